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


@pytest.mark.parametrize("method,proxy", [("ols", None), ("fe", None), ("op", "investment"), ("lp", "materials"),
                                          ("acf", "materials")])
def test_bootstrap_fast_path_equals_full_estimator_on_a_resample(data, method, proxy):
    """A bootstrap draw fitted the fast way (numpy least squares; Levenberg–Marquardt from the
    full-sample solution) equals the full estimator on the same resample started at the same point."""
    full = estimate_tfp(data, method=method, **CALL, **({"proxy": proxy} if proxy else {}))
    panel = build_panel(data, "value_added", ["labour"], ["capital"], proxy, "firm_id", "year", [], True, proxy is not None)
    spec = est.Spec(method=method, value_added=True, poly_degree=2, markov_degree=1, exit=False, translog=False,
                    optimizer="nelder-mead", n_starts=1, vcov="iid")
    start = {"op": full.coef[["capital"]].to_numpy(), "lp": full.coef[["capital"]].to_numpy(),
             "acf": full.coef.to_numpy()}.get(method)
    spec = replace(spec, start=start)
    rng = np.random.default_rng(11)
    boot = panel.resample(rng.integers(0, panel.n_firms, panel.n_firms))
    slow = _fit(boot, spec, np.random.default_rng(0)).coef
    fast = _fit(boot, replace(spec, local=True), np.random.default_rng(0)).coef
    np.testing.assert_allclose(fast, slow, atol=2e-5)
    assert not np.allclose(fast, full.coef.to_numpy(), atol=1e-4)  # the resample moved the estimate
