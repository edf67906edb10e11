"""Benchmark: firm-network metrics on a 100k-link graph, agrocluster.linkages vs a naive baseline.

Run with ``python benchmarks/linkages.py [n_links]``. The naive baseline is what one writes by hand with
networkx: a Python loop over link rows to classify them inside / boundary / outside, and a loop over each
node's predecessors × successors with ``has_edge`` for the Gould–Fernandez census. Both compute the same
numbers (checked here before timing is reported); clustering uses networkx in both, so it is timed apart.
"""

from __future__ import annotations

import sys
import time

import networkx as nx
import numpy as np
import pandas as pd

from agrocluster.linkages import ROLES, brokerage_roles, link_shares, network_metrics


def make_graph(n_links: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n_firms = n_links // 5
    firms = np.array([f"f{i}" for i in range(n_firms)])
    member = rng.random(n_firms) < 0.4
    # heavier-tailed activity so some firms are hubs, as in supplier networks
    weight = rng.pareto(2.5, n_firms) + 1
    p = weight / weight.sum()
    src = rng.choice(n_firms, n_links, p=p)
    tgt = rng.choice(n_firms, n_links, p=p)
    ok = src != tgt
    links = pd.DataFrame(
        {
            "source": firms[src[ok]],
            "target": firms[tgt[ok]],
            "year": 2022,
            "kind": rng.choice(["input_supply", "sales", "cooperation", "knowledge"], ok.sum()),
            "value": rng.exponential(10.0, ok.sum()),
        }
    )
    est = pd.DataFrame({"firm_id": firms, "year": 2022, "cluster_member": member})
    return links, est


def naive_shares(links: pd.DataFrame, est: pd.DataFrame) -> tuple[float, float]:
    member = dict(zip(est["firm_id"], est["cluster_member"]))
    n_in = n_b = 0
    v_in = v_b = 0.0
    for s, t, v in zip(links["source"], links["target"], links["value"]):
        k = member[s] + member[t]
        if k == 2:
            n_in += 1
            v_in += v
        elif k == 1:
            n_b += 1
            v_b += v
    return n_in / (n_in + n_b), v_in / (v_in + v_b)


def naive_brokerage(links: pd.DataFrame, group: dict[str, str]) -> dict[str, dict[str, int]]:
    G = nx.DiGraph(list(zip(links["source"], links["target"])))
    out = {}
    for b in G.nodes:
        c_ = dict.fromkeys(ROLES, 0)
        gb = group[b]
        for a in G.predecessors(b):
            ga = group[a]
            for c in G.successors(b):
                if a == c or G.has_edge(a, c):
                    continue
                gc = group[c]
                if ga == gb == gc:
                    c_["coordinator"] += 1
                elif ga == gc:
                    c_["itinerant"] += 1
                elif ga == gb:
                    c_["representative"] += 1
                elif gb == gc:
                    c_["gatekeeper"] += 1
                else:
                    c_["liaison"] += 1
        out[b] = c_
    return out


def naive_degrees(links: pd.DataFrame) -> tuple[dict[str, int], float]:
    G = nx.DiGraph(list(zip(links["source"], links["target"])))
    deg = {n: G.in_degree(n) + G.out_degree(n) for n in G.nodes}
    return deg, nx.density(G)


def timed(f, *args, repeat: int = 3):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f(*args)
        best = min(best, time.perf_counter() - t)
    return best, out


def main(n_links: int = 100_000) -> None:
    links, est = make_graph(n_links)
    group = dict(zip(est["firm_id"], np.where(est["cluster_member"], "member", "other")))
    print(f"graph: {len(est)} firms, {len(links)} links")

    t_ours, ours = timed(link_shares, links, est)
    t_naive, naive = timed(naive_shares, links, est)
    assert np.allclose([ours.inside_share_count, ours.inside_share_value], naive)
    print(f"link shares      ours {t_ours:8.3f} s   naive {t_naive:8.3f} s   ratio naive/ours {t_naive / t_ours:6.1f}")

    groups = pd.Series(group)
    t_ours, ours_b = timed(brokerage_roles, links, groups, repeat=2)
    t_naive, naive_b = timed(naive_brokerage, links, group, repeat=1)
    ob = ours_b.set_index("node")
    sample = list(naive_b)[:2000]
    assert all(ob.loc[k, list(ROLES)].to_dict() == naive_b[k] for k in sample)
    print(f"brokerage census ours {t_ours:8.3f} s   naive {t_naive:8.3f} s   ratio naive/ours {t_naive / t_ours:6.1f}")

    t_ours, m = timed(network_metrics, links, est, None, None, "cluster_member", False, repeat=1)
    t_deg, (_deg, dens) = timed(naive_degrees, links, repeat=1)
    t_clu, _ = timed(lambda: nx.average_clustering(nx.Graph(list(zip(links["source"], links["target"])))), repeat=1)
    t_naive_all = t_deg + t_clu + t_naive + timed(naive_shares, links, est, repeat=1)[0]
    assert np.isclose(m.density, dens)
    print(
        f"network_metrics (no betweenness) ours {t_ours:8.3f} s   naive total {t_naive_all:8.3f} s   "
        f"ratio naive/ours {t_naive_all / t_ours:6.1f}   (networkx clustering alone {t_clu:.3f} s)"
    )
    t_btw, _ = timed(
        lambda: network_metrics(links, est, betweenness=True, betweenness_k=20, seed=0), repeat=1
    )
    print(f"network_metrics with betweenness sampled on 20 pivots: {t_btw:.3f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
