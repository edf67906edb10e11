"""Time the synthetic cluster generator on 1 million establishment-years, against a numpy baseline.

Run: ``python benchmarks/synthetic.py [--firms 100000] [--years 10] [--repeat 2]``

Baseline, in the same process: drawing as many standard normals as the generator draws for its panel
(about 10 variates per simulated plant-year, burn-in included) — the floor any vectorised simulator of this
size pays. Reported: best wall time of each, their ratio, rows per second, and the peak traced Python
memory of one generation (``tracemalloc``; numpy and pyarrow buffers included) and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np

from agrocluster.data.synthetic import SyntheticSpec, generate_cluster


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=100_000, help="plants alive each year")
    parser.add_argument("--years", type=int, default=10, help="published years")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    spec = SyntheticSpec(n_firms=args.firms, n_years=args.years)
    rows = args.firms * args.years
    simulated = args.firms * (args.years + spec.burn_in_years)
    rng = np.random.default_rng(0)

    def baseline() -> None:
        rng.standard_normal(10 * simulated)

    def ours() -> None:
        generate_cluster(spec, seed=1)

    t_base = best_of(baseline, args.repeat)
    t_ours = best_of(ours, args.repeat)

    tracemalloc.start()
    cluster = generate_cluster(spec, seed=1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"establishment-years: {len(cluster.establishments):,} (firm links {len(cluster.firm_links):,}, "
          f"trade rows {len(cluster.trade_flows):,})")
    print(f"baseline  numpy: {10 * simulated:,} normal draws   {t_base:7.2f} s")
    print(f"generate_cluster:                          {t_ours:7.2f} s   ({rows / t_ours:,.0f} rows/s)")
    print(f"ratio generate_cluster / baseline: {t_ours / t_base:.1f}x")
    print(f"peak traced memory of one generation: {peak / 2**20:,.0f} MiB; process peak RSS {rss:,.0f} MiB")


if __name__ == "__main__":
    main()
