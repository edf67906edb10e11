"""Time agrocluster.exports.product_space.complexity against the PyPI `ecomplexity` package on the same data.

    python benchmarks/complexity.py                      # 200 countries x 5,000 products x 20 years
    python benchmarks/complexity.py --years 2 --baseline-years 2

agrocluster runs on the whole table (synthetic capability-model exports, about 60% of pairs non-zero). The
PyPI package solves a dense non-symmetric 5,000 x 5,000 eigenproblem per year (about 800 s per year on the
2-core machine), so by default it runs only on the first ``--baseline-years`` years of the same table, and
agrocluster is timed again on exactly that subset: the printed ratio compares the two on identical data. The PyPI run disables its log-supermodularity check and printing,
so only the complexity computation is timed. Note the two do not compute identical numbers (the PyPI port
departs from the Stata conventions: RCA >= 1, standardisation over countries with the population SD).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from agrocluster.exports.product_space import complexity


def make_trade(n_countries: int, n_products: int, n_years: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cap, req = rng.normal(size=n_countries), rng.normal(size=n_products)
    countries = np.array([f"C{i:03d}" for i in range(n_countries)], dtype=object)
    products = np.array([f"{j:04d}" for j in range(n_products)], dtype=object)
    frames = []
    for y in range(n_years):
        x = rng.lognormal(0, 1, size=(n_countries, n_products)) / (
            1 + np.exp(-2 * (cap[:, None] - req[None, :]))
        )
        x *= rng.random(size=x.shape) < 0.6
        x[:, x.sum(axis=0) == 0] = 1.0  # every product has an exporter
        frames.append(
            pd.DataFrame(
                {
                    "year": 2000 + y,
                    "origin": np.repeat(countries, n_products),
                    "product": np.tile(products, n_countries),
                    "export_val": x.ravel(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--countries", type=int, default=200)
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--baseline-years", type=int, default=1, help="years given to PyPI ecomplexity")
    parser.add_argument("--skip-baseline", action="store_true", help="time agrocluster only")
    args = parser.parse_args()

    trade = make_trade(args.countries, args.products, args.years, args.seed)
    print(
        f"data: {args.countries} countries x {args.products} products x {args.years} years = {len(trade):,} rows"
    )

    t0 = time.perf_counter()
    ours = complexity(trade, "origin", "product", "export_val", "year")
    t_ours = time.perf_counter() - t0
    print(
        f"agrocluster complexity: {t_ours:8.1f} s ({t_ours / args.years:.2f} s per year), {len(ours):,} rows"
    )
    if args.skip_baseline:
        return

    import warnings

    from ecomplexity import ecomplexity

    k = min(args.baseline_years, args.years)
    subset = trade[trade["year"] < 2000 + k]
    t0 = time.perf_counter()
    complexity(subset, "origin", "product", "export_val", "year")
    t_ours_k = time.perf_counter() - t0
    cols = {"time": "year", "loc": "origin", "prod": "product", "val": "export_val"}
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = ecomplexity(subset, cols, check_logsupermodularity=False, verbose=False)
    t_theirs = time.perf_counter() - t0
    print(f"same data, first {k} year(s), {len(subset):,} rows:")
    print(f"  agrocluster complexity: {t_ours_k:8.1f} s")
    print(f"  PyPI ecomplexity:       {t_theirs:8.1f} s ({len(theirs):,} rows)")
    print(
        f"  ratio agrocluster / ecomplexity: {t_ours_k / t_theirs:.4f} (speed-up x{t_theirs / t_ours_k:.0f})"
    )


if __name__ == "__main__":
    main()
