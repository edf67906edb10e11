"""Tests of agrocluster.linkages: link shares, network metrics, brokerage, Rasmussen–Hirschman."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from agrocluster.errors import DataContractError, EstimationError
from agrocluster.linkages import (
    brokerage_roles,
    link_shares,
    network_metrics,
    network_over_time,
    rasmussen_hirschman,
)


@pytest.fixture
def six_firms():
    """A, B, C are cluster members; D, E, F are not. Seven links in 2020, drawn by hand:

    A->B (10, inside), B->C (20, inside), C->D (30, boundary), D->E (5, outside), E->A (15, boundary),
    A->C (10, inside), F->B (40, boundary).
    """
    est = pd.DataFrame(
        {"firm_id": list("ABCDEF"), "year": 2020, "cluster_member": [True] * 3 + [False] * 3, "sector": "1102"}
    )
    links = pd.DataFrame(
        {
            "source": list("ABCDEAF"),
            "target": list("BCDEACB"),
            "year": 2020,
            "kind": ["input_supply", "sales", "sales", "input_supply", "cooperation", "knowledge", "sales"],
            "value": [10, 20, 30, 5, 15, 10, 40.0],
        }
    )
    return links, est


def test_link_shares_six_firm_graph_by_hand(six_firms):
    links, est = six_firms
    res = link_shares(links, est)
    # inside links 3, boundary 3, outside 1: inside share 3 / (3 + 3); values 40 / (40 + 85)
    assert (res.n_inside, res.n_boundary, res.n_outside) == (3, 3, 1)
    assert res.inside_share_count == pytest.approx(0.5)
    assert res.inside_share_value == pytest.approx(40 / 125)
    by_kind = res.table().set_index("kind")
    # sales: B->C inside (20), C->D boundary (30), F->B boundary (40)
    assert by_kind.loc["sales", "inside_share_count"] == pytest.approx(1 / 3)
    assert by_kind.loc["sales", "inside_share_value"] == pytest.approx(20 / 90)
    assert by_kind.loc["cooperation", "inside_share_count"] == 0.0


def test_network_metrics_six_firm_graph_by_hand(six_firms):
    links, est = six_firms
    res = network_metrics(links, est)
    assert res.n_firms == 6 and res.n_ties == 7
    assert res.density == pytest.approx(7 / 30)
    nodes = res.table().set_index("firm_id")
    assert nodes["out_degree"].to_dict() == {"A": 2, "B": 1, "C": 1, "D": 1, "E": 1, "F": 1}
    assert nodes["in_degree"].to_dict() == {"A": 1, "B": 2, "C": 2, "D": 1, "E": 1, "F": 0}
    # undirected triangles: only A-B-C; A, B, C have 3 neighbours each -> 1/3, others 0
    assert nodes["clustering"].to_dict() == pytest.approx({"A": 1 / 3, "B": 1 / 3, "C": 1 / 3, "D": 0, "E": 0, "F": 0})
    assert res.avg_clustering == pytest.approx(1 / 6)
    # member subgraph A->B, B->C, A->C: 3 ties over 3*2 ordered pairs, a triangle
    assert res.members_density == pytest.approx(0.5)
    assert res.members_avg_clustering == pytest.approx(1.0)
    # brokerage by hand (open two-paths only; A->B->C is closed by A->C):
    # E->A->B, E->A->C gatekeeper (A); F->B->C gatekeeper (B); B->C->D, A->C->D representative (C);
    # C->D->E gatekeeper (D); D->E->A representative (E)
    assert nodes["gatekeeper"].to_dict() == {"A": 2, "B": 1, "C": 0, "D": 1, "E": 0, "F": 0}
    assert nodes["representative"].to_dict() == {"A": 0, "B": 0, "C": 2, "D": 0, "E": 1, "F": 0}
    assert nodes["coordinator"].sum() == 0 and nodes["itinerant"].sum() == 0 and nodes["liaison"].sum() == 0
    top = res.brokers(2)
    assert set(top["firm_id"]) == {"A", "C"}
    exact = nx.betweenness_centrality(nx.DiGraph(list(zip(links["source"], links["target"]))), normalized=True)
    assert nodes["betweenness"].to_dict() == pytest.approx(exact)


def test_brokerage_three_groups_liaison_and_itinerant():
    # a(X) -> b(Y) -> c(Z): liaison; d(X) -> b(Y) -> e(X): itinerant; no direct ties a->c, d->e
    edges = pd.DataFrame({"source": ["a", "b", "d", "b"], "target": ["b", "c", "b", "e"]})
    groups = pd.Series({"a": "X", "b": "Y", "c": "Z", "d": "X", "e": "X"})
    roles = brokerage_roles(edges, groups).set_index("node")
    # two-paths through b: a->b->c liaison, a->b->e itinerant, d->b->c liaison, d->b->e itinerant
    assert roles.loc["b", "liaison"] == 2
    assert roles.loc["b", "itinerant"] == 2
    assert roles["total"].sum() == 4


def test_brokerage_matches_naive_census_on_random_graph():
    rng = np.random.default_rng(3)
    n = 40
    edges = pd.DataFrame({"source": rng.integers(0, n, 300).astype(str), "target": rng.integers(0, n, 300).astype(str)})
    groups = pd.Series(rng.integers(0, 3, n).astype(str), index=np.arange(n).astype(str))
    fast = brokerage_roles(edges, groups).set_index("node")
    G = nx.DiGraph(list(zip(edges["source"], edges["target"])))
    G.remove_edges_from(nx.selfloop_edges(G))
    for b in G.nodes:
        counts = dict.fromkeys(["coordinator", "itinerant", "representative", "gatekeeper", "liaison"], 0)
        for a in G.predecessors(b):
            for c in G.successors(b):
                if a == c or G.has_edge(a, c):
                    continue
                ga, gb, gc = groups[a], groups[b], groups[c]
                if ga == gb == gc:
                    counts["coordinator"] += 1
                elif ga == gc:
                    counts["itinerant"] += 1
                elif ga == gb:
                    counts["representative"] += 1
                elif gb == gc:
                    counts["gatekeeper"] += 1
                else:
                    counts["liaison"] += 1
        assert fast.loc[b, list(counts)].to_dict() == counts


def test_clustering_matches_networkx_on_random_graph_with_reciprocal_ties():
    rng = np.random.default_rng(8)
    firms = [f"f{i}" for i in range(50)]
    src, tgt = rng.choice(firms, 400), rng.choice(firms, 400)
    ok = src != tgt
    links = pd.DataFrame({"source": src[ok], "target": tgt[ok], "year": 2020, "kind": "sales", "value": 1.0})
    est = pd.DataFrame({"firm_id": firms, "year": 2020, "cluster_member": rng.random(50) < 0.5})
    res = network_metrics(links, est, betweenness=False)
    U = nx.Graph(list(zip(links["source"], links["target"])))
    nodes = res.table().set_index("firm_id")
    assert nodes["clustering"].to_dict() == pytest.approx(nx.clustering(U))
    assert res.avg_clustering == pytest.approx(nx.average_clustering(U))
    members = set(nodes.index[nodes["member"]])
    assert res.members_avg_clustering == pytest.approx(nx.average_clustering(U.subgraph(members)))
    assert np.isnan(nodes["betweenness"]).all()


def _planted_network(seed: int, p_inside: float, n_links: int = 800):
    """Links all start at a member; the target is a member with probability p_inside.

    Inside link values ~ Exp(mean 2), boundary ones ~ Exp(mean 1): expected value share
    2 p / (2 p + (1 - p)).
    """
    rng = np.random.default_rng(seed)
    members = [f"m{i}" for i in range(60)]
    others = [f"o{i}" for i in range(60)]
    est = pd.DataFrame({"firm_id": members + others, "year": 2021, "cluster_member": [True] * 60 + [False] * 60})
    inside = rng.random(n_links) < p_inside
    src = rng.choice(members, n_links)
    tgt = np.where(inside, rng.choice(members, n_links), rng.choice(others, n_links))
    ok = src != tgt
    value = np.where(inside, rng.exponential(2.0, n_links), rng.exponential(1.0, n_links))
    links = pd.DataFrame(
        {"source": src[ok], "target": tgt[ok], "year": 2021, "kind": "sales", "value": value[ok]}
    )
    return links, est


def test_recovers_planted_inside_share_over_seeds():
    p = 0.35
    expected_value_share = 2 * p / (2 * p + (1 - p))
    counts, values = [], []
    for seed in range(8):
        links, est = _planted_network(seed, p)
        res = link_shares(links, est)
        n = res.n_inside + res.n_boundary
        se = np.sqrt(p * (1 - p) / n)
        assert abs(res.inside_share_count - p) < 4 * se
        counts.append(res.inside_share_count)
        values.append(res.inside_share_value)
    assert np.mean(counts) == pytest.approx(p, abs=3 * np.sqrt(p * (1 - p) / (8 * 780)))
    assert np.mean(values) == pytest.approx(expected_value_share, abs=0.03)
    # a wrong share is rejected: the estimator discriminates 0.35 from 0.45
    assert abs(np.mean(counts) - 0.45) > 0.05


def test_network_over_time_changes():
    links = pd.DataFrame(
        {
            "source": ["A", "A", "B", "A"],
            "target": ["B", "B", "C", "C"],
            "year": [2019, 2020, 2020, 2020],
            "kind": "sales",
            "value": 1.0,
        }
    )
    est = pd.DataFrame({"firm_id": list("ABC"), "year": 2020, "cluster_member": [True, True, False]})
    t = network_over_time(links, est).set_index("year")
    assert t.loc[2019, "n_ties"] == 1 and t.loc[2020, "n_ties"] == 3
    assert t.loc[2020, "d_n_ties"] == 2
    assert t.loc[2019, "density"] == pytest.approx(1 / 2)
    assert t.loc[2020, "density"] == pytest.approx(3 / 6)
    # 2019: A->B inside only -> 1; 2020: A->B inside, B->C and A->C boundary -> 1/3
    assert t.loc[2020, "inside_share_count"] == pytest.approx(1 / 3)
    assert t.loc[2020, "d_inside_share_count"] == pytest.approx(1 / 3 - 1)


def test_membership_from_time_invariant_flag_and_error_when_ambiguous():
    links = pd.DataFrame({"source": ["A"], "target": ["B"], "year": [2018], "kind": ["sales"], "value": [1.0]})
    est = pd.DataFrame({"firm_id": ["A", "B"], "year": 2020, "cluster_member": [True, True]})
    assert link_shares(links, est).n_inside == 1
    est2 = pd.concat([est, pd.DataFrame({"firm_id": ["B"], "year": [2021], "cluster_member": [False]})])
    with pytest.raises(DataContractError, match=r"membership of target firm\(s\) \['B'\]"):
        link_shares(links, est2)


def test_bad_links_are_named(six_firms):
    links, est = six_firms
    unknown = pd.concat([links, pd.DataFrame({"source": ["A"], "target": ["ZZ9"], "year": [2020],
                                              "kind": ["sales"], "value": [1.0]})], ignore_index=True)
    with pytest.raises(DataContractError, match="ZZ9") as e:
        link_shares(unknown, est)
    assert "not in the establishment table" in str(e.value)
    neg = links.copy()
    neg.loc[3, "value"] = -2.0
    with pytest.raises(DataContractError, match=r"row 3 .*source='D'"):
        network_metrics(neg, est)
    kind = links.copy()
    kind.loc[0, "kind"] = "friendship"
    with pytest.raises(DataContractError, match="friendship"):
        link_shares(kind, est)
    loop = links.copy()
    loop.loc[1, "target"] = "B"
    with pytest.raises(DataContractError, match="itself"):
        link_shares(loop, est)
    outside_only = links[(links["source"] == "D")]
    with pytest.raises(EstimationError, match="no link involves a cluster member"):
        link_shares(outside_only, est)


# ------------------------------------------------------------------------------------- Rasmussen–Hirschman


def test_rasmussen_hirschman_three_sector_chain_by_hand():
    # farming (a) supplies processing (b) 0.5 per unit, processing supplies packing/export (c) 0.5 per unit.
    # I - A is unit upper triangular: L = I + A + A^2 = [[1, .5, .25], [0, 1, .5], [0, 0, 1]].
    A = pd.DataFrame([[0, 0.5, 0], [0, 0, 0.5], [0, 0, 0]], index=list("abc"), columns=list("abc"))
    res = rasmussen_hirschman(A)
    np.testing.assert_allclose(res.leontief.to_numpy(), [[1, 0.5, 0.25], [0, 1, 0.5], [0, 0, 1]], atol=1e-12)
    t = res.table().set_index("sector")
    # column sums 1, 1.5, 1.75; row sums 1.75, 1.5, 1; grand total 4.25; index = 3 * sum / 4.25
    np.testing.assert_allclose(t["power_of_dispersion"], [3 / 4.25, 4.5 / 4.25, 5.25 / 4.25], atol=1e-12)
    np.testing.assert_allclose(t["sensitivity_of_dispersion"], [5.25 / 4.25, 4.5 / 4.25, 3 / 4.25], atol=1e-12)
    assert res.key_sectors == ("b",)
    assert t["classification"].tolist() == ["forward", "key", "backward"]


def test_rasmussen_hirschman_miller_blair_published_example():
    """Miller & Blair (2009), *Input–Output Analysis*, 2nd ed., section 2.3 two-sector example:
    Z = [[150, 500], [200, 100]], x = (1000, 2000); the book prints A = [[.15, .25], [.2, .05]] and
    L = [[1.254, .330], [.264, 1.122]]."""
    Z = pd.DataFrame([[150, 500], [200, 100.0]], index=["1", "2"], columns=["1", "2"])
    x = pd.Series([1000.0, 2000.0], index=["1", "2"])
    res = rasmussen_hirschman(Z, output=x)
    np.testing.assert_allclose(res.leontief.to_numpy(), [[1.254, 0.330], [0.264, 1.122]], atol=5e-4)
    t = res.table().set_index("sector")
    # by hand from L = adj(I - A) / det, det = .7575: column sums 1.15/.7575, 1.10/.7575
    np.testing.assert_allclose(t["power_of_dispersion"], [2 * 1.15 / 2.25, 2 * 1.10 / 2.25], atol=1e-12)
    # Ghosh: B = diag(x)^-1 Z = [[.15, .5], [.1, .05]]; G row sums 1.45/.7575, .95/.7575
    g = rasmussen_hirschman(Z, output=x, forward="ghosh").table().set_index("sector")
    np.testing.assert_allclose(g["sensitivity_of_dispersion"], [1.45 / 1.2, 0.95 / 1.2], atol=1e-12)


def test_rasmussen_hirschman_bad_input():
    singular = pd.DataFrame([[0.5, 0.5], [0.5, 0.5]], index=["x", "y"], columns=["x", "y"])
    with pytest.raises(EstimationError, match="singular"):
        rasmussen_hirschman(singular)
    unproductive = pd.DataFrame([[0.9, 0.9], [0.9, 0.9]], index=["x", "y"], columns=["x", "y"])
    with pytest.raises(EstimationError, match="not productive"):
        rasmussen_hirschman(unproductive)
    neg = pd.DataFrame([[0.1, -0.2], [0.1, 0.1]], index=["x", "y"], columns=["x", "y"])
    with pytest.raises(DataContractError, match=r"row 'x', column 'y'"):
        rasmussen_hirschman(neg)
    with pytest.raises(DataContractError, match="square"):
        rasmussen_hirschman(pd.DataFrame([[0.1, 0.2]], index=["x"], columns=["x", "y"]))
    with pytest.raises(DataContractError, match=r"output must be .* bad for \['y'\]"):
        rasmussen_hirschman(singular, output=pd.Series({"x": 10.0, "y": 0.0}))
