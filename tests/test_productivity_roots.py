"""Tests of agrocluster.productivity.roots: the ACF root scan and the rule that chooses a root."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agrocluster.data.synthetic import generate_cluster
from agrocluster.errors import EstimationError, ParamsError
from agrocluster.productivity import estimate_tfp
from agrocluster.productivity.roots import acf_root_scan, choose_root


def _roots(rows):
    return pd.DataFrame(rows, columns=["root", "l", "k", "criterion", "n_starts", "first_start"])


def test_choose_root_rule_step_by_step():
    # one root at the minimum: chosen whatever its values
    _, reason, t = choose_root(_roots([(1, 1.2, -0.1, 0.0, 1, 0), (2, 0.5, 0.2, 5.0, 3, 1)]), ["l", "k"])
    assert t["chosen"].tolist() == [True, False] and "only root" in reason
    assert t["candidate"].tolist() == [True, False] and t["admissible"].tolist() == [False, True]
    # two exact roots, one admissible: the admissible one, even if reached from fewer starts
    pick, reason, _ = choose_root(_roots([(1, 0.97, -0.01, 1e-16, 4, 0), (2, 0.44, 0.17, 1e-18, 1, 3)]), ["l", "k"])
    assert pick == 2 and "(0, 1)" in reason
    # two admissible exact roots: the one reached from more starts
    pick, reason, _ = choose_root(_roots([(1, 0.6, 0.2, 0.0, 1, 0), (2, 0.4, 0.3, 0.0, 2, 1)]), ["l", "k"])
    assert pick == 2 and "most starting values" in reason
    # a tie: the earlier start (OLS comes first)
    pick, reason, _ = choose_root(_roots([(1, 0.6, 0.2, 0.0, 2, 0), (2, 0.4, 0.3, 0.0, 2, 2)]), ["l", "k"])
    assert pick == 1 and "earliest" in reason
    # none admissible: falls back to the count of starts, and says so
    pick, reason, _ = choose_root(_roots([(1, 1.1, -0.1, 0.0, 1, 0), (2, 1.3, 0.3, 0.0, 3, 1)]), ["l", "k"])
    assert pick == 2 and reason.startswith("no root has every elasticity")
    # the tolerance is absolute on the chi-square scale: 5e-4 apart are both roots, 0.01 apart are not
    t = choose_root(_roots([(1, 0.6, 0.2, 1e-4, 1, 0), (2, 0.4, 0.3, 6e-4, 1, 1)]), ["l", "k"])[2]
    assert t["candidate"].all()
    t = choose_root(_roots([(1, 0.6, 0.2, 1e-4, 1, 0), (2, 0.4, 0.3, 0.011, 1, 1)]), ["l", "k"])[2]
    assert t["candidate"].tolist() == [True, False]
    with pytest.raises(EstimationError, match="no starting value"):
        choose_root(_roots([]), ["l", "k"])


def test_scan_finds_the_second_root_of_the_synthetic_cluster_that_the_ols_start_misses():
    """On the generator's panel (labour set one period ahead with partial adjustment, AR(1) productivity)
    the value-added ACF criterion has two exact roots: the OLS start (prodest's default) lands on
    labour ≈ 1, capital ≈ 0; starts away from OLS reach the root near the true (0.5, 0.2)."""
    c = generate_cluster(seed=0, n_firms=800, n_years=6)
    e = c.establishments
    truth = c.truth["production"]["value_added"]
    scan = acf_root_scan(e, "value_added", "labour", "capital", "materials", markov_degree=1)
    assert scan.several
    assert scan.starts["start"].tolist() == ["OLS (prodest default)", "every elasticity 0.1",
                                            "every elasticity 0.3", "every elasticity 0.6"]
    ols_root = scan.roots.loc[scan.roots["reached_from"].str.contains("OLS"), "labour"].iloc[0]
    assert ols_root > 0.85
    assert scan.chosen["labour"] == pytest.approx(truth["beta_l"], abs=0.15)
    assert scan.chosen["capital"] == pytest.approx(truth["beta_k"], abs=0.15)
    assert scan.roots["chosen"].sum() == 1 and scan.roots["candidate"].sum() == 2
    assert "2 roots" in scan.reading()
    # estimate_tfp started at the chosen root stays there (what the notebook bootstraps)
    r = estimate_tfp(e, "value_added", "labour", "capital", "materials", method="acf", markov_degree=1,
                     start=scan.chosen_start, n_starts=1)
    np.testing.assert_allclose(r.coef.to_numpy(), scan.chosen.to_numpy(), atol=1e-4)


def test_scan_with_named_starts_and_bad_options():
    c = generate_cluster(seed=1, n_firms=300, n_years=5)
    e = c.establishments
    scan = acf_root_scan(e, "value_added", "labour", "capital", "materials", starts={"mine": [0.5, 0.2]},
                         fixed_starts=(), include_ols=False, markov_degree=1)
    assert scan.starts["start"].tolist() == ["mine"] and not scan.several
    assert scan.starts["start_values"].iloc[0] == [0.5, 0.2]
    assert "agree" in scan.reading()
    with pytest.raises(ParamsError, match="has 3 values"):
        acf_root_scan(e, "value_added", "labour", "capital", "materials", starts={"bad": [0.5, 0.2, 0.1]})
    with pytest.raises(ParamsError, match="bootstrap"):
        acf_root_scan(e, "value_added", "labour", "capital", "materials", bootstrap=5)
    with pytest.raises(ParamsError, match="at least one start"):
        acf_root_scan(e, "value_added", "labour", "capital", "materials", fixed_starts=(), include_ols=False)
