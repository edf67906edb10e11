"""Time agrocluster.exports.gravity_model.gravity against a direct pyfixest.fepois call on the same data.

    python benchmarks/gravity.py                 # 1M flows: 100 countries x 99 partners x 101 years
    python benchmarks/gravity.py --years 20      # smaller

PPML with three sets of fixed effects (exporter-year, importer-year, pair), SEs clustered by pair. Baselines:
pyfixest with its default separation check ("fe") and with the same checks as ours ("fe" + "ir"). Both get
a small warm-up fit first so numba compilation is not timed. Prints the times, the ratios and the largest
coefficient difference (which must be ~0).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
import pyfixest as pf

from agrocluster.exports.gravity_model import gravity, prepare_gravity_data

FORMULA = "value ~ rta | exp_year + imp_year + pair"


def make_flows(n: int, years: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    codes = np.array([letters[k // 26 % 26] + letters[k % 26] + "X" for k in range(n)])
    i, j, t = (a.ravel() for a in np.meshgrid(np.arange(n), np.arange(n), np.arange(years), indexing="ij"))
    keep = i != j
    i, j, t = i[keep], j[keep], t[keep]
    in_rta = (rng.random((n, n)) < 0.3)[i, j]
    start = rng.integers(0, years, size=(n, n))[i, j]
    rta = (in_rta & (t >= start)).astype(np.int8)
    o, m = rng.normal(0, 1, (n, years)), rng.normal(0, 1, (n, years))
    p = rng.normal(0, 1, (n, n))[i, j]
    mu = np.exp(0.5 + 0.4 * rta + o[i, t] + m[j, t] + p)
    return pd.DataFrame(
        {
            "exporter": codes[i],
            "importer": codes[j],
            "year": 1900 + t,
            "rta": rta,
            "value": rng.poisson(mu).astype(float),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--countries", type=int, default=100)
    parser.add_argument("--years", type=int, default=101)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    t0 = time.perf_counter()
    data = prepare_gravity_data(make_flows(args.countries, args.years, args.seed))
    t_prep = time.perf_counter() - t0
    print(
        f"data: {len(data):,} flows, {(data['value'] == 0).mean():.1%} zeros; prepare_gravity_data {t_prep:.1f} s"
    )

    warm = prepare_gravity_data(make_flows(10, 3, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pf.fepois(FORMULA, data=warm, vcov={"CRV1": "pair"})
        gravity(warm, FORMULA)

        t0 = time.perf_counter()
        ours = gravity(data, FORMULA)
        t_ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        direct = pf.fepois(FORMULA, data=data, vcov={"CRV1": "pair"})
        t_direct = time.perf_counter() - t0
        t0 = time.perf_counter()
        direct_ir = pf.fepois(FORMULA, data=data, vcov={"CRV1": "pair"}, separation_check=["fe", "ir"])
        t_direct_ir = time.perf_counter() - t0

    diff = max(
        np.abs(ours.coef.to_numpy() - direct.coef().to_numpy()).max(),
        np.abs(ours.coef.to_numpy() - direct_ir.coef().to_numpy()).max(),
    )
    print(
        f"agrocluster gravity:                 {t_ours:7.1f} s  (nobs {ours.nobs:,}, rta {ours.coef['rta']:.4f})"
    )
    print(f"pyfixest.fepois, separation 'fe':    {t_direct:7.1f} s")
    print(f"pyfixest.fepois, separation fe + ir: {t_direct_ir:7.1f} s")
    print(f"ratio gravity / fepois(fe):      {t_ours / t_direct:.2f}")
    print(f"ratio gravity / fepois(fe + ir): {t_ours / t_direct_ir:.2f}")
    print(f"largest coefficient difference: {diff:.2e}")
    print(ours.excluded.to_string(index=False))


if __name__ == "__main__":
    main()
