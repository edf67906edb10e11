"""Benchmark: the cross-cluster synthesis on many results files, agrocluster.synthesis vs a naive baseline.

Run with ``python benchmarks/synthesis.py [n_clusters]``. A folder of ``n_clusters`` × 4 results files is
written to a temporary directory; both sides read them and rank the clusters on one headline key from
``draws`` normal draws. The naive baseline is what one writes by hand: ``json.load`` per file into a list
of dicts, then a Python loop over draws that sorts the clusters in each draw. Both give the same
probability of ranking first for each cluster from the same draws (checked before timing is reported).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from agrocluster import synthesis
from agrocluster.results_file import RunLedger

NOTEBOOKS = {
    "01_cluster_mapping": ("cluster_lq", "eg_gamma"),
    "02_agglomeration": ("localisation_elasticity", "urbanisation_elasticity"),
    "03_productivity": ("member_tfp_premium", "programme_att"),
    "04_export_links": ("top_market_share", "inside_link_share", "world_export_share_change"),
}


def write_folder(folder: Path, n_clusters: int, seed: int = 0) -> None:
    """The results files and the runner's ledger that lists them (the synthesis reads only those)."""
    rng = np.random.default_rng(seed)
    ledger = RunLedger()
    for c in range(n_clusters):
        cid = f"cluster_{c:04d}"
        for notebook, keys in NOTEBOOKS.items():
            headline = {k: {"value": float(rng.normal()), "se": float(rng.uniform(0.05, 0.5)), "label": k}
                        for k in keys}
            doc = {"cluster_id": cid, "cluster_name": cid, "notebook": notebook, "headline": headline,
                   "provenance": {"params": {"data": {"establishments": {"source": "synthetic"}}}}}
            path = folder / cid / f"{notebook}.results.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(doc))
            ledger.record(folder, cid, notebook, path.read_bytes())
    ledger.write(folder)


def naive(folder: Path, key: str, draws: int, seed: int) -> dict[str, float]:
    docs = [json.loads(p.read_text()) for p in sorted(folder.glob("*/*.results.json"))]
    estimates = {d["cluster_id"]: d["headline"][key] for d in docs if key in d["headline"]}
    ids = sorted(estimates)
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((draws, len(ids)))
    firsts = dict.fromkeys(ids, 0)
    for d in range(draws):
        drawn = [(estimates[c]["value"] + estimates[c]["se"] * z[d, i], c) for i, c in enumerate(ids)]
        firsts[max(drawn)[1]] += 1
    return {c: firsts[c] / draws for c in ids}


def ours(folder: Path, key: str, draws: int, seed: int) -> dict[str, float]:
    heads = synthesis.load_results(folder).headlines
    ranked = synthesis.rank_clusters(heads, key, draws=draws, seed=seed)
    return dict(zip(ranked.ranks["cluster_id"], ranked.ranks["p_best"], strict=True))


def timed(fn, *args) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def main() -> None:
    n_clusters = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    draws, seed, key = 4000, 1, "member_tfp_premium"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_folder(folder, n_clusters)
        ours(folder, key, 200, seed)  # warm imports and file cache for both sides
        t_naive, p_naive = timed(naive, folder, key, draws, seed)
        t_ours, p_ours = timed(ours, folder, key, draws, seed)
    assert set(p_naive) == set(p_ours)
    assert max(abs(p_naive[c] - p_ours[c]) for c in p_naive) == 0.0, "the two sides disagree"
    print(f"synthesis: {n_clusters} clusters x {len(NOTEBOOKS)} results files, {draws} rank draws")
    print(f"  naive (json.load + Python loop over draws): {t_naive:7.3f} s")
    print(f"  agrocluster.synthesis (load_results + rank_clusters): {t_ours:7.3f} s")
    print(f"  speed-up: {t_naive / t_ours:5.1f}x")


if __name__ == "__main__":
    main()
