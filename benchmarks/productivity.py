"""Benchmark: ACF point estimate on 100k plant-years against OLS on the same data; TFP bootstrap cost.

Run: ``python benchmarks/productivity.py [--firms 12500] [--years 8] [--n-starts 1 5]``.
Prints wall time, the ratio to the baselines and peak traced memory (tracemalloc) per configuration.
Target (issue 6): ACF ≤ 10 s per point estimate on 100k plant-years.

``python benchmarks/productivity.py --bootstrap 199 [--firms 3000] [--years 8]`` times instead the
block bootstrap of every method at the size of a demo cluster (``estimate_tfp(..., bootstrap=B)``, minus
the point estimate), per draw and in total, and the spread of the draws (the SEs).

Measured 2026-12-01 on the shared 2-core machine (all five methods), before and after issue 12's fast draws
(LM polish from the chosen root, numpy OLS/FE, vectorised resampling, one BLAS thread per draw): 20 draws
took 82.2 s before (ms/draw: ols 397, fe 523, op 1392, lp 1127, acf 674); 199 draws took 46.5 s after
(ols 7, fe 7, op 72, lp 64, acf 84), with the same SEs to 3 decimals.

Then (issue 19, 2026-12-01, default size 12,500 firms × 8 years, other jobs sharing the 2 cores: timings
noisy) with the analytic Jacobian of the second stage, least squares from per-firm cross-products and the
second stage on the distinct rows weighted by draws (``_estimators.BootstrapDraws``): 199 draws of the five
methods took 45.5 s before (ms/draw: ols 5, fe 6, op 67, lp 63, acf 87) and 17.4 s after (ols 0.5, fe 0.3,
op 31, lp 22, acf 33). SEs: OLS, FE and ACF the same to 4 decimals (ACF draws agree to ~1e-9);
OP capital 1.1473 → 1.1474 (OP/LP draws now reach the minimum of the flat NLS criterion, where LM with
finite-difference Jacobians used to stop short).

Baselines, timed in the same run on the same data:
- ``estimate_tfp(method="ols")`` (pyfixest, after a warm-up fit so numba compilation is not counted);
- a bare numpy least-squares fit of log value added on log labour and capital.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from agrocluster.productivity import estimate_tfp
from test_productivity import simulate_panel


def timed(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, dt, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--firms", type=int, default=12_500)
    ap.add_argument("--years", type=int, default=8)
    ap.add_argument("--n-starts", type=int, nargs="+", default=[1, 5])
    ap.add_argument("--bootstrap", type=int, default=0, help="time B bootstrap draws per method instead")
    ap.add_argument("--methods", nargs="+", default=["ols", "fe", "op", "lp", "acf"])
    args = ap.parse_args()
    if args.bootstrap:
        bootstrap_cost(args)
        return

    df = simulate_panel(args.firms, args.years, seed=0, timing="acf")
    print(f"data: {len(df):,} plant-years ({args.firms:,} firms x {args.years} years)")
    call = {"output": "value_added", "free": "labour", "state": "capital", "id": "firm_id", "time": "year",
            "logs": True}  # the simulated panel holds levels

    estimate_tfp(df.head(500), method="ols", **call)  # warm-up: pyfixest's numba compilation
    ols, t_ols, m_ols = timed(lambda: estimate_tfp(df, method="ols", **call))
    X = np.column_stack([np.ones(len(df)), np.log(df.labour), np.log(df.capital)])
    _, t_np, m_np = timed(lambda: np.linalg.lstsq(X, np.log(df.value_added), rcond=None))
    print(f"{'baseline numpy lstsq':<34} {t_np:8.3f} s   peak {m_np:7.1f} MiB")
    print(f"{'baseline estimate_tfp(ols)':<34} {t_ols:8.3f} s   peak {m_ols:7.1f} MiB   "
          f"labour {ols.coef['labour']:.3f} capital {ols.coef['capital']:.3f}")
    for n in args.n_starts:
        r, t, m = timed(lambda n=n: estimate_tfp(df, method="acf", proxy="materials", n_starts=n, **call))
        print(f"{'estimate_tfp(acf, n_starts=' + str(n) + ')':<34} {t:8.3f} s   peak {m:7.1f} MiB   "
              f"labour {r.coef['labour']:.3f} capital {r.coef['capital']:.3f} (true 0.600 0.400)   "
              f"x{t / t_ols:.1f} OLS, x{t / t_np:.0f} lstsq, {t / n:.2f} s per start, "
              f"starts agree: {r.diagnostics['starts_agree']}")


def bootstrap_cost(args) -> None:
    df = simulate_panel(args.firms, args.years, seed=0, timing="acf")
    call = {"output": "value_added", "free": "labour", "state": "capital", "id": "firm_id", "time": "year"}
    proxy = {"op": "investment", "lp": "materials", "acf": "materials"}
    estimate_tfp(df.head(500), method="ols", **call)  # warm-up: pyfixest's numba compilation
    print(f"data: {len(df):,} plant-years ({args.firms:,} firms x {args.years} years); {args.bootstrap} draws")
    total = 0.0
    for m in args.methods:
        extra = {"proxy": proxy[m]} if m in proxy else {}
        _, t0, _ = timed(lambda m=m, extra=extra: estimate_tfp(df, method=m, seed=1, **call, **extra))
        r, t, _ = timed(lambda m=m, extra=extra: estimate_tfp(df, method=m, bootstrap=args.bootstrap, seed=1,
                                                              **call, **extra))
        total += t - t0
        se = ", ".join(f"{k} {v:.4f}" for k, v in r.se.items())
        print(f"{m:<4} point {t0:6.2f} s   bootstrap {t - t0:7.2f} s   {1000 * (t - t0) / args.bootstrap:6.0f} ms/draw"
              f"   failed {r.diagnostics.get('bootstrap_failed', 0)}   SE {se}")
    print(f"all methods: {total:.1f} s of bootstrap")


if __name__ == "__main__":
    main()
