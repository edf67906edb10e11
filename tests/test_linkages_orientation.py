"""Vertical / horizontal links of cluster members against random mixing."""

import numpy as np
import pandas as pd
import pytest

from agrocluster import linkages
from agrocluster.data.synthetic import generate_cluster
from agrocluster.errors import DataContractError, EstimationError


def _est(members, n, year=2020):
    return pd.DataFrame({"firm_id": [f"f{i}" for i in range(n)], "year": year,
                         "cluster_member": [i < members for i in range(n)]})


def test_hand_case():
    est = _est(3, 5)
    links = pd.DataFrame({"source": ["f0", "f0", "f1", "f2", "f3"], "target": ["f1", "f3", "f2", "f4", "f4"],
                          "year": 2020, "kind": ["cooperation", "sales", "cooperation", "input_supply", "sales"],
                          "value": 1.0})
    res = linkages.link_orientation(links, est, draws=50, seed=1).table().set_index(["orientation", "kind"])
    assert res.loc[("horizontal", "all"), "inside_share"] == 1.0      # f0-f1, f1-f2 both inside
    assert res.loc[("vertical", "all"), "inside_share"] == 0.0        # f0-f3, f2-f4 boundary; f3-f4 outside
    assert res.loc[("all", "all"), "inside_share"] == 0.5
    assert res.loc[("all", "all"), "benchmark"] == pytest.approx(2 / (2 + 4))   # (M-1)/((M-1)+2(N-M))
    assert res.loc[("horizontal", "knowledge"), "n_inside"] == 0


def test_random_mixing_formula_by_enumeration():
    m, n = 4, 9
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
    inside = sum(i < m and j < m for i, j in pairs)
    boundary = sum((i < m) != (j < m) for i, j in pairs)
    assert linkages.random_mixing_share(m, n) == pytest.approx(inside / (inside + boundary))


def _random_links(seed, n=400, members=80, n_links=3000):
    rng = np.random.default_rng(seed)
    src, tgt = rng.integers(0, n, n_links), rng.integers(0, n, n_links)
    ok = src != tgt
    kinds = rng.choice(linkages.LINK_KINDS, ok.sum())
    links = pd.DataFrame({"source": [f"f{i}" for i in src[ok]], "target": [f"f{i}" for i in tgt[ok]],
                          "year": 2020, "kind": kinds, "value": 1.0})
    return links, _est(members, n)


def test_random_mixing_reads_as_chance_across_seeds():
    covered = 0
    for seed in range(20):
        links, est = _random_links(seed)
        row = linkages.link_orientation(links, est, draws=199, seed=seed).summary().set_index("orientation").loc["all"]
        covered += row["conf_low"] <= row["benchmark"] <= row["conf_high"]
        assert abs(row["ratio"] - 1) < 0.35
    assert covered >= 16                                               # 95% intervals, 20 seeds


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_recovers_planted_inside_share_of_generator(seed):
    c = generate_cluster(seed=seed, n_firms=400)
    est, links = c.establishments, c.firm_links
    rho = c.truth["links"]["inside_link_share"]
    per_year = est.groupby("year")["cluster_member"].agg(["sum", "size"])
    m, n = per_year["sum"].astype(float), per_year["size"].astype(float)
    q = 2 * m * (n - m) / (n * (n - 1) - m * (m - 1))                 # P(one member | not two), generator's outside draw
    truth = float((rho / (rho + (1 - rho) * q)).mean())
    res = linkages.link_orientation(links, est, draws=199, seed=seed).summary().set_index("orientation")
    for o in ("all", "vertical", "horizontal"):
        row = res.loc[o]
        assert abs(row["inside_share"] - truth) < 4 * row["std_error"], o
    assert res.loc["all", "verdict"] == "above chance"                # 30% inside with ~6% members is inward


def test_errors_named():
    links, est = _random_links(0)
    with pytest.raises(DataContractError, match="kind"):
        linkages.link_orientation(links.assign(kind="friendship"), est, draws=10)
    with pytest.raises(EstimationError, match="no link involves"):
        linkages.link_orientation(links, est.assign(cluster_member=False), draws=10)
