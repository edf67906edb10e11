"""Time the whole collection three ways on the same notebooks and clusters, and print the ratios.

(a) the naive loop a user would write: ``papermill`` CLI then ``jupyter nbconvert --to html`` CLI per
    notebook × cluster, one after the other;
(b) ``agrocluster run --force`` (bounded local pool, in-process rendering);
(c) ``agrocluster run`` again with nothing changed (cache).

Usage: ``python benchmarks/collection.py [--cluster ID ...] [--notebook STEM ...] [--jobs N]``
(default: clusters chile_wine and kenya_tea, every per-cluster notebook). Outputs go to temporary folders.
Targets: (b) at least 4× faster than (a) on 2 cores (issue 19; issue 2 asked 3×); (c) under 2 s.
Other jobs on the machine slow (a) and (b) unequally: measure on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process and the descendants it waited for: on a
    machine shared with other jobs a fairer comparison than wall time."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def naive(clusters: list[str], notebooks: list[str], work: Path) -> float:
    t0 = time.perf_counter()
    for stem in notebooks:
        for cid in clusters:
            out_dir = work / cid
            out_dir.mkdir(parents=True, exist_ok=True)
            executed = out_dir / f"{stem}.ipynb"
            subprocess.run([str(BIN / "papermill"), str(ROOT / "notebooks" / f"{stem}.ipynb"), str(executed),
                            "-k", "python3", "--cwd", str(ROOT), "-p", "cluster_id", cid,
                            "-p", "output_dir", str(out_dir), "--no-progress-bar"],
                           check=True, capture_output=True)
            subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
                           check=True, capture_output=True)
    return time.perf_counter() - t0


def agrocluster_run(clusters: list[str], notebooks: list[str], outputs: Path, jobs: int, force: bool) -> float:
    args = [str(BIN / "agrocluster"), "run", "--no-progress", "--jobs", str(jobs)]
    args += [a for cid in clusters for a in ("--cluster", cid)]
    args += [a for stem in notebooks for a in ("--notebook", stem)]
    if force:
        args.append("--force")
    t0 = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, env={**os.environ, "AGROCLUSTER_OUTPUTS": str(outputs)})
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cluster", action="append", default=[])
    parser.add_argument("--notebook", action="append", default=[])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "lib"))
    from agrocluster import runner

    clusters = args.cluster or ["chile_wine", "kenya_tea"]
    notebooks = args.notebook or [s for s in runner.discover_notebooks() if s not in runner.COLLECTION_NOTEBOOKS]
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        outputs = tmp_path / "outputs"
        cpu0 = children_cpu()
        forced = agrocluster_run(clusters, notebooks, outputs, args.jobs, force=True)
        cpu_forced = children_cpu() - cpu0
        cached = agrocluster_run(clusters, notebooks, outputs, args.jobs, force=False)
        cpu1 = children_cpu()
        loop = naive(clusters, notebooks, tmp_path / "naive")
        cpu_loop = children_cpu() - cpu1
    n = len(clusters) * len(notebooks)
    print(f"{n} tasks ({len(notebooks)} notebooks × {len(clusters)} clusters), {os.cpu_count()} cores")
    print(f"(a) naive papermill + nbconvert CLI loop : {loop:8.1f} s")
    print(f"(b) agrocluster run --force (jobs={args.jobs})   : {forced:8.1f} s   (a)/(b) = {loop / forced:5.2f}x")
    print(f"(c) agrocluster run, nothing changed     : {cached:8.2f} s   (a)/(c) = {loop / cached:5.0f}x")
    print(f"CPU seconds of all processes: (a) {cpu_loop:.1f}, (b) {cpu_forced:.1f}, (a)/(b) = {cpu_loop / cpu_forced:.2f}x")


if __name__ == "__main__":
    main()
