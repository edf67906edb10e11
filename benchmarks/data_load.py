"""Benchmark: load + validate a 1M-row establishments Parquet with read_table vs bare pandas.read_parquet.

Run: ``python benchmarks/data_load.py [n_rows]``. Prints wall times, their ratio and peak memory
(tracemalloc peak of Python allocations, including pandas/numpy buffers, plus the process max RSS).
Target (issue 3): under 5 s for 1M rows on the 2-core project machine.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from agrocluster.data import read_table


def make_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    years = 10
    firms = n // years
    return pd.DataFrame({
        "firm_id": pd.Series(np.repeat(np.arange(firms), years)).map("{:07d}".format),
        "year": np.tile(np.arange(2011, 2011 + years), firms),
        "region": pd.Series(rng.integers(0, 300, n)).map("R{:03d}".format),
        "sector": pd.Series(rng.choice(["0121", "0111", "0112", "1104", "0127"], n)),
        "lat": rng.uniform(-40, -30, n), "lon": rng.uniform(-73, -70, n),
        "output": rng.lognormal(3, 1, n), "capital": rng.lognormal(4, 1, n), "labour": rng.lognormal(2, 1, n),
        "materials": rng.lognormal(2.5, 1, n), "cluster_member": rng.random(n) < 0.3,
        "programme_entry_year": pd.array(np.where(rng.random(n) < 0.2, 2015, np.nan)).astype("Int64"),
    })


def timed(fn):
    """Wall time of one call, then the tracemalloc peak of a second call (tracing slows the code down)."""
    t0 = time.perf_counter()
    out = fn()
    elapsed = time.perf_counter() - t0
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, elapsed, peak


def main(n: int = 1_000_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "establishments.parquet"
        make_frame(n).to_parquet(path, index=False)
        size = path.stat().st_size / 2**20
        read_table(path, "establishments")  # warm-up: imports, pandera schema construction
        _, t_pandas, m_pandas = timed(lambda: pd.read_parquet(path))
        loaded, t_ours, m_ours = timed(lambda: read_table(path, "establishments"))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows: {loaded.n_rows:,}  parquet: {size:.1f} MiB")
    print(f"pandas.read_parquet:              {t_pandas:6.2f} s  peak {m_pandas / 2**20:7.1f} MiB")
    print(f"read_table (load+coerce+validate): {t_ours:6.2f} s  peak {m_ours / 2**20:7.1f} MiB")
    print(f"ratio read_table / read_parquet:  {t_ours / t_pandas:6.1f}x   (target: read_table < 5 s)")
    print(f"process max RSS: {rss:.0f} MiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
