"""Benchmark of agrocluster.agglomeration (run: ``python benchmarks/agglomeration.py``).

1. ``estimate_agglomeration`` on 1M establishment-years with firm and year fixed effects and region-clustered
   SEs, as a ratio to a direct ``pyfixest.feols`` call on the same (pre-logged) formula. Target <= 1.2x.
2. Time to build the distance-band localisation measures (0-10, 10-25, 25-50 km) for 100k establishments.

Both are timed in the same run, after a warm-up call that pays pyfixest's numba compilation; the best of
``REPEATS`` runs is reported.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pyfixest as pf

from agrocluster.agglomeration import estimate_agglomeration, localisation_measures

REPEATS = 3
SEED = 20261129


def panel(n_firms: int = 200_000, years: int = 5, n_regions: int = 150, seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    reg = rng.integers(0, n_regions, n_firms)
    alpha = rng.normal(0, 0.3, n_firms)
    frames = []
    for t in range(years):
        log_l = rng.normal(6, 1, n_regions)[reg] + rng.normal(0, 0.2, n_firms)
        log_u = rng.normal(9, 1, n_regions)[reg]
        ly = 0.05 * log_l + 0.03 * log_u + alpha + rng.normal(0, 0.1, n_firms)
        frames.append(
            pd.DataFrame(
                {
                    "firm_id": np.arange(n_firms),
                    "year": 2015 + t,
                    "region": reg,
                    "y": np.exp(ly),
                    "loc": np.exp(log_l),
                    "urb": np.exp(log_u),
                }
            )
        )
    d = pd.concat(frames, ignore_index=True)
    d["firm_id"] = "F" + d["firm_id"].astype(str)
    d["region"] = "R" + d["region"].astype(str)
    return d


def best(fn) -> float:
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_estimation() -> None:
    d = panel()
    logged = d.assign(ly=np.log(d["y"]), ll=np.log(d["loc"]), lu=np.log(d["urb"]))

    def ours():
        return estimate_agglomeration(d, "y", "loc", urbanisation="urb", logs=True)

    def direct():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pf.feols("ly ~ ll + lu | firm_id + year", data=logged, vcov={"CRV1": "region"})

    r, p = ours(), direct()  # warm-up (numba compilation) and a parity check
    assert np.allclose(r.coef[["loc", "urb"]].to_numpy(), p.coef().to_numpy(), rtol=1e-10)
    t_direct, t_ours = best(direct), best(ours)
    print(
        f"estimation, {len(d):,} rows, firm + year FE, CRV1(region): "
        f"estimate_agglomeration {t_ours:.2f} s, direct pyfixest.feols (pre-logged data) {t_direct:.2f} s, "
        f"ratio {t_ours / t_direct:.2f}x (target <= 1.2x)"
    )


def bench_bands(n: int = 100_000, seed: int = SEED) -> None:
    rng = np.random.default_rng(seed)
    # a cluster region of about 330 km x 280 km (central Chile's valleys), 5 sectors, one year
    est = pd.DataFrame(
        {
            "firm_id": np.arange(n).astype(str),
            "year": 2020,
            "region": rng.integers(0, 50, n).astype(str),
            "sector": rng.choice(["0111", "0121", "0141", "1101", "1104"], n),
            "lat": rng.uniform(-36.0, -33.0, n),
            "lon": rng.uniform(-72.0, -69.0, n),
            "labour": rng.integers(1, 80, n).astype(float),
        }
    )
    localisation_measures(est.iloc[:2000])
    t = best(lambda: localisation_measures(est))
    out = localisation_measures(est)
    mean_nb = (
        out[[c for c in out.columns if c.startswith("loc_est_") and c.endswith("km")]].sum(axis=1).mean()
    )
    print(
        f"distance bands 0-10/10-25/25-50 km for {n:,} establishments (5 sectors, {mean_nb:.0f} own-sector "
        f"neighbours within 50 km on average): {t:.2f} s"
    )


if __name__ == "__main__":
    bench_estimation()
    bench_bands()
