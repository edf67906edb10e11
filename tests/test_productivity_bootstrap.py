"""The fast paths of the TFP block bootstrap (issue 12 item 3) give the estimator's own answers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from agrocluster.productivity import _estimators as est
from agrocluster.productivity import estimate_tfp
from agrocluster.productivity._panel import build_panel
from agrocluster.productivity.tfp import _fit

from .test_productivity import simulate_panel

CALL = {"output": "value_added", "free": "labour", "state": "capital", "id": "firm_id", "time": "year", "logs": True,
        "markov_degree": 1}  # the simulated panels hold levels; the spec below uses an AR(1) Markov process


@pytest.fixture(scope="module")
def data():
    return simulate_panel(400, 6, seed=3, timing="acf")


def test_resample_takes_whole_firm_blocks_in_order(data):
    panel = build_panel(data, "value_added", ["labour"], ["capital"], "materials", "firm_id", "year", [], True, True)
    bounds = panel.firm_starts()
    firms = np.array([5, 0, 5, 399])
    boot = panel.resample(firms)
    rows = np.concatenate([np.arange(bounds[f], bounds[f + 1]) for f in firms])
    np.testing.assert_array_equal(boot.y, panel.y[rows])
    np.testing.assert_array_equal(boot.firm, np.repeat(np.arange(4), bounds[firms + 1] - bounds[firms]))
    starts = np.r_[0, np.cumsum(bounds[firms + 1] - bounds[firms])[:-1]]
    assert not boot.has_lag[starts].any()  # a drawn block never lags into the previous block


@pytest.mark.parametrize("method,proxy,value_added", [("ols", None, True), ("fe", None, True), ("op", "investment", True),
                                                      ("lp", "materials", True), ("lp", "materials", False),
                                                      ("acf", "materials", True)])
def test_bootstrap_draw_equals_full_estimator_on_a_resample(data, method, proxy, value_added):
    """A bootstrap draw (least squares from per-firm cross-products; the second stage on the distinct
    rows weighted by draws, Levenberg–Marquardt with the analytic Jacobian from the full-sample solution)
    equals the full estimator on the same resample (pyfixest / Nelder–Mead) started at the same point."""
    call = dict(CALL, **({"proxy": proxy} if proxy else {}))
    full = estimate_tfp(data, method=method, value_added=value_added, **call)
    panel = build_panel(data, "value_added", ["labour"], ["capital"], proxy, "firm_id", "year", [], True, proxy is not None)
    spec = est.Spec(method=method, value_added=value_added, poly_degree=2, markov_degree=1, exit=False, translog=False,
                    optimizer="nelder-mead", n_starts=1, vcov="iid")
    start = {"op": full.coef[["capital"]].to_numpy(), "lp": full.coef[["capital"] + ([] if value_added else ["materials"])].to_numpy(),
             "acf": full.coef.to_numpy()}.get(method)
    spec = replace(spec, start=start)
    rng = np.random.default_rng(11)
    firms = rng.integers(0, panel.n_firms, panel.n_firms)
    slow = _fit(panel.resample(firms), spec, np.random.default_rng(0)).coef
    fast = est.BootstrapDraws(panel, spec)(firms)
    np.testing.assert_allclose(fast, slow, atol=2e-5)
    assert not np.allclose(fast, full.coef.to_numpy(), atol=1e-4)  # the resample moved the estimate


def test_poly_slope_hand_case():
    """d/dx₁ of poly([x₁, x₂], 2) = [1, x₁, x₂, x₁², x₁x₂, x₂²] at (2, 3) is [0, 1, 0, 2x₁, x₂, 0]."""
    X = np.array([[2.0, 3.0]])
    np.testing.assert_array_equal(est.poly(X, 2), [[1, 2, 3, 4, 6, 9]])
    np.testing.assert_array_equal(est.poly_slope(X, 2), [[0, 1, 0, 4, 3, 0]])
    np.testing.assert_array_equal(est.poly_slope(np.array([[2.0]]), 3), [[0, 1, 4, 12]])


def _fd_jacobian(f, x, h=1e-6):
    return np.column_stack([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(len(x))])


@pytest.mark.parametrize("propensity", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_markov_innovation_jacobian_matches_finite_differences(propensity, weighted):
    """dξ/dθ = −A + G(G'WG)⁻¹(G'WA + D'W(ξ⊙X₋₁)) against central differences, on a hand-made case
    (cubic Markov polynomial; with an exit propensity its cross terms ω₋₁ᵃPᶜ; with draw weights)."""
    rng = np.random.default_rng(4)
    n = 300
    X_now, X_lag = rng.normal(1.0, 0.5, (n, 3)), rng.normal(1.0, 0.5, (n, 3))
    phi_now = X_now @ [0.5, 0.3, 0.1] + rng.normal(0, 0.3, n)
    phi_lag = X_lag @ [0.5, 0.3, 0.1] + rng.normal(0, 0.3, n)
    xi = est.MarkovInnovation(phi_now, phi_lag, X_now, X_lag, 3, rng.uniform(0.2, 0.9, n) if propensity else None,
                              rng.integers(1, 4, n).astype(float) if weighted else None)
    theta = np.array([0.45, 0.35, 0.05])
    J = xi.jacobian(theta)
    np.testing.assert_allclose(J, _fd_jacobian(xi, theta), rtol=0, atol=1e-7 * np.abs(J).max())


def _stage(panel, spec):
    """The full-sample second stage of ``spec`` (the builders fit_oplp / fit_acf use)."""
    L = panel.has_lag
    if spec.method == "acf":
        go = not spec.value_added
        Xfs = est._acf_first_stage_design(panel, spec)
        phi = Xfs @ est._ols(Xfs, panel.y)
        names = panel.free_names + panel.state_names + ([panel.proxy_name] if go else [])
        X, Z, _ = est._acf_design(panel, spec, names)
        stage, _ = est._acf_stage(phi[L], est._lagged(phi, L), X[L], est._lagged(X, L), Z[L], spec.markov_degree)
        return stage
    go = spec.method == "lp" and not spec.value_added
    phi, b_free, _, _ = est._first_stage(panel, spec)
    S = est._oplp_state(panel, go)
    propensity = est._exit_propensity(panel, spec)[0] if spec.exit else None
    return est._oplp_stage((panel.y - panel.free @ b_free)[L], phi[L], est._lagged(phi, L), S[L], est._lagged(S, L),
                           propensity, est._oplp_instruments(panel, go), spec.markov_degree)


@pytest.fixture(scope="module")
def exit_data():
    return simulate_panel(150, 6, seed=5, timing="lp", exit_rate=0.05)


@pytest.mark.parametrize("method,proxy,value_added,translog,exit", [
    ("acf", "materials", True, False, False), ("acf", "materials", True, True, False),
    ("acf", "materials", False, False, False), ("acf", "materials", False, True, False),
    ("lp", "materials", True, False, False), ("lp", "materials", False, False, False),
    ("op", "investment", True, False, False), ("op", "investment", True, False, True)])
def test_second_stage_jacobian_matches_finite_differences(exit_data, method, proxy, value_added, translog, exit):
    """The Jacobian passed to least_squares is that of the vector whose squared norm is the criterion."""
    panel = build_panel(exit_data, "value_added", ["labour"], ["capital"], proxy, "firm_id", "year", [], True,
                        method != "op")
    spec = est.Spec(method=method, value_added=value_added, poly_degree=2, markov_degree=3, exit=exit, translog=translog,
                    optimizer="nelder-mead", n_starts=1, vcov="iid")
    stage = _stage(panel, spec)
    k = {"acf": 5 if translog else 2, "lp": 1, "op": 1}[method] + (1 if not value_added else 0) * (1 if method == "lp" else (
        4 if translog else 1))
    theta = np.linspace(0.2, 0.5, k) if not translog else np.r_[np.linspace(0.2, 0.5, k - k // 2), np.full(k // 2, 0.01)]
    J = stage.jacobian(theta)
    assert J.shape == (stage.size, k)
    np.testing.assert_allclose(stage.vector(theta) @ stage.vector(theta), stage.crit(theta), rtol=1e-9)
    # with the exit propensity, G = poly(ω₋₁, P) has nearly collinear columns (P close to 1): its normal
    # equations (cond(G'G) ~ 1e14) leave rounding noise in the criterion that limits finite differences
    h, tol = (1e-4, 2e-3) if exit else (1e-5, 1e-5)
    np.testing.assert_allclose(J, _fd_jacobian(stage.vector, theta, h), rtol=0, atol=tol * np.abs(J).max())


def test_weighted_second_stage_equals_repeated_rows(data):
    """The distinct rows weighted by draws give the criterion, vector norm and gradient of the rows repeated."""
    panel = build_panel(data, "value_added", ["labour"], ["capital"], "materials", "firm_id", "year", [], True, True)
    rng = np.random.default_rng(2)
    reps = rng.integers(0, 4, panel.n)
    rows = np.repeat(np.arange(panel.n), reps)
    keep = reps > 0
    X = np.column_stack([panel.free, panel.state])
    phi, phi_lag, Z = panel.y - 0.1, np.roll(panel.y, 1) - 0.2, np.column_stack([np.roll(panel.free, 1), panel.state])
    theta = np.array([0.55, 0.35])
    for build in (lambda sel, w: est._acf_stage(phi[sel], phi_lag[sel], X[sel], np.roll(X, 1, 0)[sel], Z[sel], 3, w)[0],
                  lambda sel, w: est._oplp_stage(panel.y[sel], phi[sel], phi_lag[sel], X[sel], np.roll(X, 1, 0)[sel],
                                                 None, None, 3, w)):
        repeated, weighted = build(rows, None), build(keep, reps[keep].astype(float))
        assert weighted.n == repeated.n == len(rows)
        np.testing.assert_allclose(weighted.crit(theta), repeated.crit(theta), rtol=1e-10)
        np.testing.assert_allclose(weighted.jacobian(theta).T @ weighted.vector(theta),
                                   repeated.jacobian(theta).T @ repeated.vector(theta), rtol=1e-8)


@pytest.mark.parametrize("scale", [1.0, 1e6])
def test_resampled_least_squares_matches_lstsq_on_the_resampled_rows(data, scale):
    """Per-firm cross-products in the full sample's orthonormal basis give the least squares of the
    resampled rows, also on a badly scaled polynomial of logs (capital in units 10⁶ times smaller)."""
    panel = build_panel(data, "value_added", ["labour"], ["capital"], "materials", "firm_id", "year", [], True, True)
    X = np.column_stack([panel.free, est.poly(np.column_stack([panel.state[:, 0] + np.log(scale), panel.proxy]), 3)])
    bounds = panel.firm_starts()
    ls = est.ResampledLeastSquares(X, panel.y, bounds)
    firms = np.random.default_rng(5).integers(0, panel.n_firms, panel.n_firms)
    rows = est.block_rows(bounds, firms)
    gamma = ls.solve(np.bincount(firms, minlength=panel.n_firms).astype(float))
    want = np.linalg.lstsq(X[rows], panel.y[rows], rcond=None)[0]
    np.testing.assert_allclose(ls.Q @ gamma, X @ want, rtol=0, atol=1e-9)  # the fitted values (φ)
    np.testing.assert_allclose(ls.coef(gamma)[0], want[0], rtol=1e-8)  # the free input's coefficient
    assert ls.solve(np.r_[1.0, np.zeros(panel.n_firms - 1)]) is None  # one firm: rank-deficient, caller falls back


def test_bootstrap_with_exit_refits_the_probit_on_each_resample(exit_data):
    """OP with the attrition correction: draws (rows repeated, probit refitted) move away from the start."""
    r = estimate_tfp(exit_data, "value_added", "labour", "capital", "investment", "firm_id", "year", "op", exit=True,
                     bootstrap=4, seed=1, logs=True)
    assert r.diagnostics["bootstrap_failed"] == 0
    assert r.bootstrap_draws["capital"].std() > 1e-3


def test_rank_deficient_resample_falls_back_to_least_squares_on_its_rows(data):
    """A control that is one firm's dummy has no variation in a resample without that firm: the draw is the
    minimum-norm least squares on the resampled rows (as numpy's lstsq), not a failure."""
    d = data.assign(first_firm=(data["firm_id"] == data["firm_id"].min()).astype(float))
    panel = build_panel(d, "value_added", ["labour"], ["capital"], None, "firm_id", "year", ["first_firm"], True, False)
    spec = est.Spec(method="ols", value_added=True, poly_degree=2, markov_degree=1, exit=False, translog=False,
                    optimizer="nelder-mead", n_starts=1, vcov="iid")
    firms = np.random.default_rng(3).integers(1, panel.n_firms, panel.n_firms)  # never firm 0
    rows = est.block_rows(panel.firm_starts(), firms)
    X = np.column_stack([np.ones(panel.n), panel.free, panel.state, panel.controls])
    np.testing.assert_allclose(est.BootstrapDraws(panel, spec)(firms),
                               np.linalg.lstsq(X[rows], panel.y[rows], rcond=None)[0][1:], rtol=1e-10, atol=1e-12)
