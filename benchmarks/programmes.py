"""Benchmark: Callaway–Sant'Anna on 100k units × 6 periods vs a TWFE pyfixest fit on the same data.

Run: ``python benchmarks/programmes.py [n_units]``. Prints wall time and peak traced memory (tracemalloc)
of ``staggered_did`` (no covariates, analytic SEs, all four aggregations) and, as the baseline in the same
run, of ``pyfixest.feols("y ~ D | unit + year")`` with unit-clustered SEs (after a warm-up fit that pays
numba's compilation), then the ratio. Also times the multiplier bootstrap (999 draws) on the same data.
"""

from __future__ import annotations

import sys
import time
import tracemalloc

import numpy as np
import pandas as pd
import pyfixest as pf

from agrocluster.programmes import staggered_did


def make_panel(n: int, T: int = 6, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.choice([0, 3, 4, 5], size=n)
    t = np.arange(1, T + 1)
    e = t[None, :] - g[:, None]
    tau = np.where((g[:, None] > 0) & (e >= 0), 1.0 + 0.5 * e, 0.0)
    y = rng.normal(size=(n, 1)) + 0.2 * t[None, :] + tau + rng.normal(size=(n, T))
    return pd.DataFrame({"unit": np.repeat(np.arange(n), T), "year": np.tile(t, n), "y": y.ravel(),
                         "g": np.repeat(g, T)})


def timed(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, dt, peak


def main(n: int) -> None:
    df = make_panel(n)
    df["D"] = ((df["g"] > 0) & (df["year"] >= df["g"])).astype(float)
    pf.feols("y ~ D | unit + year", data=df.head(6000), vcov={"CRV1": "unit"})  # numba warm-up

    def cs():
        res = staggered_did(df, "y", "unit", "year", "g", bootstrap=0)
        aggs = [res.aggregate(k) for k in ("simple", "group", "dynamic", "calendar")]
        return res, aggs

    (res, aggs), t_cs, m_cs = timed(cs)
    fit, t_fe, m_fe = timed(lambda: pf.feols("y ~ D | unit + year", data=df, vcov={"CRV1": "unit"}))
    _, t_bs, m_bs = timed(lambda: staggered_did(df, "y", "unit", "year", "g", bootstrap=999, seed=1))
    print(f"panel: {n} units x 6 periods = {len(df)} rows; {len(res.att_gt)} ATT(g,t)")
    print(f"staggered_did (analytic SE + 4 aggregations): {t_cs:6.2f} s, peak {m_cs:7.1f} MiB; "
          f"simple ATT {aggs[0].overall:.4f} (se {aggs[0].se:.4f})")
    print(f"pyfixest TWFE feols, CRV1 by unit (baseline):  {t_fe:6.2f} s, peak {m_fe:7.1f} MiB; "
          f"coef {float(fit.coef()['D']):.4f}")
    print(f"ratio CS / TWFE time: {t_cs / t_fe:.2f}x; memory: {m_cs / m_fe:.2f}x")
    print(f"staggered_did with 999-draw multiplier bootstrap: {t_bs:6.2f} s, peak {m_bs:7.1f} MiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
