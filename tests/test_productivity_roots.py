"""Tests of agrocluster.productivity.roots: the ACF root scan and the rule that chooses a root."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from agrocluster.data.synthetic import generate_cluster
from agrocluster.errors import EstimationError, ParamsError
from agrocluster.productivity import AmbiguousRootWarning, estimate_tfp
from agrocluster.productivity._estimators import choose_acf_root
from agrocluster.productivity.roots import RootScan, acf_root_scan, choose_root

from .test_productivity import simulate_panel


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


def test_scan_on_the_synthetic_cluster_chooses_the_root_near_the_truth():
    """On the generator's panel (omega AR(1) and the only productivity inputs answer, labour slow to adjust,
    persistent wages) the value-added ACF criterion can keep a second exact root, far from the truth and
    outside (0, 1); the scan finds every root, chooses the one near the true (0.5, 0.2) and says so."""
    c = generate_cluster(seed=1, n_firms=800, n_years=6)
    e = c.establishments
    truth = c.truth["production"]["value_added"]
    scan = acf_root_scan(e, "value_added", "labour", "capital", "materials", markov_degree=1, logs=True)
    assert scan.starts["start"].tolist() == ["OLS (prodest default)", "every elasticity 0.1",
                                            "every elasticity 0.3", "every elasticity 0.6"]
    chosen = scan.roots[scan.roots["chosen"]].iloc[0]
    assert chosen["labour"] == pytest.approx(truth["beta_l"], abs=0.15)
    assert chosen["capital"] == pytest.approx(truth["beta_k"], abs=0.15) and chosen["admissible"]
    others = scan.roots[scan.roots["candidate"] & ~scan.roots["chosen"]]
    assert not others["admissible"].any()
    if scan.several:
        assert "roots" in scan.reading() and "(0, 1)" in scan.reason
    # estimate_tfp started at the chosen root stays there (what the notebook bootstraps)
    r = estimate_tfp(e, "value_added", "labour", "capital", "materials", method="acf", markov_degree=1,
                     start=scan.chosen_start, n_starts=1, logs=True)
    np.testing.assert_allclose(r.coef.to_numpy(), scan.chosen.to_numpy(), atol=1e-4)
    # the default call scans by itself, records the roots and picks the same one; RootScan reads it back
    d = estimate_tfp(e, "value_added", "labour", "capital", "materials", method="acf", markov_degree=1,
                     logs=True)
    np.testing.assert_allclose(d.coef.to_numpy(), scan.chosen.to_numpy(), atol=1e-4)
    assert d.diagnostics["root_choice"]
    back = RootScan.from_result(d)
    assert back.chosen.equals(d.coef) and "returns_to_scale" in back.roots


def test_scan_with_named_starts_and_bad_options():
    c = generate_cluster(seed=1, n_firms=300, n_years=5)
    e = c.establishments
    scan = acf_root_scan(e, "value_added", "labour", "capital", "materials", starts={"mine": [0.5, 0.2]}, logs=True,
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


def _acf_roots(rows):
    return pd.DataFrame(rows, columns=["root", "criterion", "converged", "admissible", "hansen_j", "first_start"])


def test_estimator_root_rule_exact_then_admissible_then_hansen_j():
    """The default rule of estimate_tfp(method='acf') on hand-made root tables."""
    # exact roots only: a root with a larger criterion is never chosen, however admissible
    pick, reason, t = choose_acf_root(_acf_roots([(1, 0.0, True, False, 9.0, 0), (2, 0.5, True, True, 0.1, 1)]))
    assert pick == 0 and "only root at the minimum" in reason and t["candidate"].tolist() == [True, False]
    # two exact roots, one admissible: the admissible one, whatever its J
    pick, reason, _ = choose_acf_root(_acf_roots([(1, 0.0, True, False, 0.1, 0), (2, 0.0, True, True, 50.0, 1)]))
    assert pick == 1 and "(0, 1)" in reason
    # two admissible exact roots: the smaller Hansen J of the over-identified moments
    pick, reason, _ = choose_acf_root(_acf_roots([(1, 0.0, True, True, 7.0, 0), (2, 1e-9, True, True, 0.4, 1)]))
    assert pick == 1 and "Hansen J" in reason
    # none admissible: J among all exact roots, and it says so
    pick, reason, _ = choose_acf_root(_acf_roots([(1, 0.0, True, False, 3.0, 0), (2, 0.0, True, False, 1.0, 1)]))
    assert pick == 1 and reason.startswith("no exact root")
    # J not available: the earliest start (OLS first)
    pick, reason, _ = choose_acf_root(_acf_roots([(1, 0.0, True, True, np.nan, 2), (2, 0.0, True, True, np.nan, 0)]))
    assert pick == 1 and "earliest start" in reason
    # a root that did not converge is no candidate while another converged
    _, _, t = choose_acf_root(_acf_roots([(1, 0.0, False, True, 0.1, 0), (2, 0.2, True, True, 0.1, 1)]))
    assert t["candidate"].tolist() == [False, True]


def _two_root_world(seed: int, n_firms: int = 300, n_years: int = 6) -> pd.DataFrame:
    """Our own DGP with two exact ACF roots: a textbook ACF world (labour chosen half a period before
    production from ω at t−b, AR(1) ω, Leontief materials m = y − ε, predetermined capital), small
    enough that the value-added criterion has a second exact root beside the one near the truth
    (β_l, β_k) = (0.6, 0.4): seed 3 has one, checked in the test."""
    return simulate_panel(n_firms, n_years, seed, "acf")


def test_default_acf_keeps_every_root_and_warns_when_two_are_admissible():
    """On our two-root world the default call runs the scan, keeps both exact roots, warns (both lie in
    (0, 1)) and picks the one with the smaller Hansen J; the bootstrap-style call from a given start
    runs that start only."""
    d = _two_root_world(3)
    with pytest.warns(AmbiguousRootWarning, match="2 exact roots"):
        r = estimate_tfp(d, "value_added", "labour", "capital", "materials", method="acf", logs=True,
                         markov_degree=3, n_starts=1)
    roots = r.diagnostics["roots"]
    assert roots["candidate"].sum() == 2 and roots["admissible"].all() and roots["chosen"].sum() == 1
    chosen = roots[roots["chosen"]].iloc[0]
    assert chosen["hansen_j"] == roots.loc[roots["candidate"], "hansen_j"].min()
    assert r.coef["labour"] == pytest.approx(chosen["labour"]) and "Hansen J" in r.diagnostics["root_choice"]
    assert r.coef["labour"] == pytest.approx(0.6, abs=0.1) and r.coef["capital"] == pytest.approx(0.4, abs=0.1)
    assert r.diagnostics["hansen_j"]["df"] == 2  # k_{t-1} and m_{t-1} added to (l_{t-1}, k_t)
    other = roots[~roots["chosen"]].iloc[0]
    one = estimate_tfp(d, "value_added", "labour", "capital", "materials", method="acf", logs=True,
                       markov_degree=3, n_starts=1, start=[other["labour"], other["capital"]])
    assert len(one.diagnostics["starts"]) == 1 and one.coef["labour"] == pytest.approx(other["labour"], abs=1e-3)


def test_default_acf_call_on_the_generator_picks_the_true_root():
    """Issue 11 item 1 on the library's generator, seeds 0..9 (800 plants × 6 years): the default call
    (root scan, then the rule; cubic Markov polynomial) chooses, among every exact root it finds, the one nearest the planted
    value-added elasticities; that root is admissible and any other exact root is not, so no
    AmbiguousRootWarning. Over the seeds the chosen labour and capital elasticities centre on the truth
    (mean within 0.1; each seed's estimate has an SE of about 0.05-0.1 at this size)."""
    chosen = []
    for seed in range(10):
        c = generate_cluster(seed=seed, n_firms=800, n_years=6)
        truth = c.truth["production"]["value_added"]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            r = estimate_tfp(c.establishments, "value_added", "labour", "capital", "materials", method="acf",
                             logs=True, n_starts=1)
        assert not any(issubclass(w.category, AmbiguousRootWarning) for w in caught), seed
        roots = r.diagnostics["roots"]
        cand = roots[roots["candidate"]]
        distance = (cand["labour"] - truth["beta_l"]).abs() + (cand["capital"] - truth["beta_k"]).abs()
        assert cand.loc[distance.idxmin(), "chosen"], (seed, cand)
        assert cand.loc[distance.idxmin(), "admissible"] and cand["admissible"].sum() == 1, (seed, cand)
        chosen.append([r.coef["labour"], r.coef["capital"]])
    mean = np.mean(chosen, axis=0)
    assert mean[0] == pytest.approx(truth["beta_l"], abs=0.1) and mean[1] == pytest.approx(truth["beta_k"], abs=0.1)
