"""Tests of agrocluster.exports.gravity_model: PPML gravity on pyfixest, data preparation, bad input."""

from __future__ import annotations

import string

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from agrocluster.errors import DataContractError, EstimationError
from agrocluster.exports.gravity_model import (
    coefficient_table,
    gravity,
    gravity_by_sector,
    prepare_gravity_data,
)

CODES = [a + b + "X" for a, b in zip(string.ascii_uppercase, string.ascii_uppercase[::-1], strict=True)]
THREE_WAY = "value ~ rta | exp_year + imp_year + pair"


def _panel(seed: int, n: int = 16, years: int = 6, beta_rta: float = 0.5, beta_dist: float = -1.0):
    """Structural-gravity DGP: X_ijt ~ Poisson(exp(b_rta RTA_ijt + b_dist ln d_ij + o_it + m_jt + p_ij))."""
    rng = np.random.default_rng(seed)
    loc = rng.uniform(0, 3000, size=(n, 2))
    i, j, t = (a.ravel() for a in np.meshgrid(np.arange(n), np.arange(n), np.arange(years), indexing="ij"))
    keep = i != j
    i, j, t = i[keep], j[keep], t[keep]
    dist = np.hypot(*(loc[i] - loc[j]).T) + 50.0
    in_rta = (rng.random((n, n)) < 0.35)[i, j]
    start = rng.integers(0, years + 2, size=(n, n))[i, j]
    rta = (in_rta & (t >= start)).astype(int)
    o, m = rng.normal(0, 1, (n, years)), rng.normal(0, 1, (n, years))
    p = rng.normal(0, 0.5, (n, n))[i, j]
    mu = np.exp(9.0 + beta_rta * rta + beta_dist * np.log(dist) + o[i, t] + m[j, t] + p)
    return pd.DataFrame(
        {
            "exporter": np.array(CODES)[i],
            "importer": np.array(CODES)[j],
            "year": 2000 + t,
            "distance": dist,
            "rta": rta,
            "value": rng.poisson(mu).astype(float),
        }
    )


# ---------------------------------------------------------------------------------------------------------
# Same numbers as pyfixest
# ---------------------------------------------------------------------------------------------------------


def test_gravity_identical_to_direct_pyfixest_call():
    data = prepare_gravity_data(_panel(0))
    data.loc[(data["exporter"] == "AZX") & (data["importer"] == "BYX"), "value"] = 0.0  # an all-zero pair
    ours = gravity(data, THREE_WAY)
    direct = pf.fepois(THREE_WAY, data=data, vcov={"CRV1": "country_pair"}, separation_check=["fe", "ir"])
    np.testing.assert_allclose(ours.coef.to_numpy(), direct.coef().to_numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.se.to_numpy(), direct.se().to_numpy(), rtol=1e-10)
    assert ours.nobs == direct._N
    assert ours.vcov == "CRV1 by country_pair"  # symmetric pair, as Yotov et al. (2016)
    ex = ours.excluded.set_index("reason")
    pair_row = ex.loc["all-zero flows in a pair group (absorbed by its FE)"]
    assert pair_row["n"] == 6 and pair_row["n_groups"] == 1
    assert ours.nobs + ours.excluded["n"].sum() == len(data)


def test_gravity_default_vcov_without_pair_is_heteroskedasticity_robust():
    data = prepare_gravity_data(_panel(1)).drop(columns=["pair", "country_pair"])
    fml = "value ~ ln_distance + rta | exp_year + imp_year"
    ours = gravity(data, fml)
    direct = pf.fepois(fml, data=data, vcov="hetero")
    assert ours.vcov == "hetero"
    np.testing.assert_allclose(ours.se.to_numpy(), direct.se().to_numpy(), rtol=1e-10)


# ---------------------------------------------------------------------------------------------------------
# Recovery of planted coefficients
# ---------------------------------------------------------------------------------------------------------


def test_gravity_recovers_planted_coefficients_across_seeds():
    rta3, rta2, dist2, covered = [], [], [], 0
    for seed in range(6):
        data = prepare_gravity_data(_panel(seed))
        three = gravity(data, THREE_WAY)
        two = gravity(data, "value ~ ln_distance + rta | exp_year + imp_year")
        rta3.append(three.coef["rta"])
        rta2.append(two.coef["rta"])
        dist2.append(two.coef["ln_distance"])
        covered += three.conf_int.loc["rta", "low"] <= 0.5 <= three.conf_int.loc["rta", "high"]
    # Sampling SD across seeds is about 0.02-0.05; a wrong sign or a log-linear estimator would miss by far more.
    assert np.mean(rta3) == pytest.approx(0.5, abs=0.05)
    assert np.mean(rta2) == pytest.approx(0.5, abs=0.1)
    assert np.mean(dist2) == pytest.approx(-1.0, abs=0.05)
    assert covered >= 4


def test_ppml_unbiased_where_log_ols_is_not_santos_silva_tenreyro_2006():
    """Santos Silva & Tenreyro (2006), 'The Log of Gravity', REStat 88(4), Section IV simulation design:
    y = exp(b0 + b1 x1 + b2 x2) eta with b0 = 0, b1 = b2 = 1, x1 ~ N(0,1), x2 ~ Bernoulli(0.4), eta
    log-normal with mean 1 and variance sigma_i^2. Their Table 1 finding: PPML is close to unbiased in
    every heteroskedasticity case, while OLS on ln y is biased whenever V(eta|x) depends on x, e.g. the
    case sigma_i^2 = 1 + exp(-x_i b) (V[y|x] = mu + mu^2), and unbiased when sigma^2 is constant.
    No installable data set with a published PPML gravity table exists (see the report), so this is the
    published check."""
    rng = np.random.default_rng(2006)
    ppml_b1, ols_b1, ols_const_var = [], [], []
    for _ in range(30):
        n = 1000
        x1, x2 = rng.normal(size=n), (rng.random(n) < 0.4).astype(float)
        xb = x1 + x2
        for sigma2, store_ppml, store_ols in (
            (1 + np.exp(-xb), ppml_b1, ols_b1),
            (np.ones(n), None, ols_const_var),
        ):
            s2 = np.log1p(sigma2)  # log-normal eta with E = 1 and Var = sigma2
            eta = np.exp(rng.normal(-s2 / 2, np.sqrt(s2)))
            df = pd.DataFrame({"y": np.exp(xb) * eta, "x1": x1, "x2": x2})
            if store_ppml is not None:
                store_ppml.append(gravity(df, "y ~ x1 + x2").coef["x1"])
            design = np.column_stack([np.ones(n), x1, x2])
            store_ols.append(np.linalg.lstsq(design, np.log(df["y"]), rcond=None)[0][1])
    assert np.mean(ppml_b1) == pytest.approx(1.0, abs=0.03)
    assert np.mean(ols_const_var) == pytest.approx(1.0, abs=0.03)
    assert np.mean(ols_b1) > 1.1  # ln(eta) has mean -ln(1 + sigma2)/2, rising in x: OLS overstates b1


# ---------------------------------------------------------------------------------------------------------
# Data preparation
# ---------------------------------------------------------------------------------------------------------


def _tiny_flows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "exporter": ["CHL", "CHL", "USA", "CHL", "CHL"],
            "importer": ["USA", "USA", "CHL", "CHL", "CHL"],
            "year": [2000, 2004, 2004, 2000, 2004],
            "value": [10.0, 12.0, 5.0, 100.0, 110.0],
            "distance": [8000.0, 8000.0, 8000.0, 300.0, 300.0],
            "rta": [0, 1, 1, 0, 0],
        }
    )


def test_prepare_identifiers_intl_and_internal_distance():
    out = prepare_gravity_data(_tiny_flows(), border_year_dummies=True)
    row = out[(out["exporter"] == "CHL") & (out["importer"] == "USA") & (out["year"] == 2004)].iloc[0]
    assert (row["exp_year"], row["imp_year"], row["pair"], row["intl"]) == (
        "CHL_2004",
        "USA_2004",
        "CHL_USA",
        1,
    )
    own = out[out["exporter"] == out["importer"]]
    assert (own["intl"] == 0).all()
    np.testing.assert_allclose(own["ln_distance"], np.log(300.0))  # intra-national distance kept
    # intl x year dummies for every year but the last (the reference year)
    assert "intl_2000" in out.columns and "intl_2004" not in out.columns
    assert out["intl_2000"].tolist() == ((out["year"] == 2000) & (out["intl"] == 1)).astype(int).tolist()


def test_prepare_square_panel_fills_explicit_zeros_and_pair_covariates():
    out = prepare_gravity_data(_tiny_flows(), square=True)
    # Countries {CHL, USA}; own flows present -> 4 pairs x 2 years = 8 rows, 3 of them filled.
    assert len(out) == 8
    assert out["zero_filled"].sum() == 3
    filled = out[out["zero_filled"]]
    assert (filled["value"] == 0).all()
    usa_chl_2000 = out[(out["exporter"] == "USA") & (out["importer"] == "CHL") & (out["year"] == 2000)].iloc[
        0
    ]
    assert usa_chl_2000["distance"] == 8000.0  # time-invariant: filled along the pair
    assert pd.isna(usa_chl_2000["rta"])  # time-varying: unknown on a filled row
    usa_usa = out[(out["exporter"] == "USA") & (out["importer"] == "USA")]
    assert usa_usa["distance"].isna().all()  # never observed: stays missing


def test_prepare_rta_lags_and_leads_by_hand():
    out = prepare_gravity_data(_tiny_flows(), rta_lags=(4,), rta_leads=(4,))
    chl_usa = out[(out["exporter"] == "CHL") & (out["importer"] == "USA")].set_index("year")
    assert pd.isna(chl_usa.loc[2000, "rta_lag4"]) and chl_usa.loc[2004, "rta_lag4"] == 0
    assert chl_usa.loc[2000, "rta_lead4"] == 1 and pd.isna(chl_usa.loc[2004, "rta_lead4"])
    with pytest.raises(DataContractError, match="rta_lags must be positive integers"):
        prepare_gravity_data(_tiny_flows(), rta_lags=(0,))


def test_prepare_unknown_country_codes_named():
    flows = _tiny_flows()
    flows.loc[2, "exporter"] = "usa"
    flows.loc[3, "importer"] = "Chile"
    with pytest.raises(DataContractError, match=r"exporter codes must be ISO3.*\['usa'\].*row 2"):
        prepare_gravity_data(flows)
    flows.loc[2, "exporter"] = "USA"
    with pytest.raises(DataContractError, match=r"importer codes must be ISO3.*\['Chile'\].*row 3"):
        prepare_gravity_data(flows)


def test_prepare_negative_and_missing_values_named():
    flows = _tiny_flows()
    flows.loc[1, "value"] = -2.0
    with pytest.raises(
        DataContractError, match=r"'value' must be >= 0.*row 1 \(exporter='CHL', importer='USA'"
    ):
        prepare_gravity_data(flows)
    flows.loc[1, "value"] = np.nan
    with pytest.raises(DataContractError, match=r"'value' missing.*row 1"):
        prepare_gravity_data(flows)


# ---------------------------------------------------------------------------------------------------------
# Bad input and exclusions in estimation
# ---------------------------------------------------------------------------------------------------------


def test_gravity_negative_trade_value_named():
    data = prepare_gravity_data(_panel(3))
    data.index = data.index + 1000
    data.loc[1007, "value"] = -1.0
    with pytest.raises(DataContractError, match=r"'value' must be >= 0.*row 1007 \(value=-1.0"):
        gravity(data, THREE_WAY)


def test_gravity_interacted_fixed_effects_equal_prebuilt_identifiers():
    data = prepare_gravity_data(_panel(3))
    silent = (data["exporter"] == "CXX") | ((data["exporter"] == "AZX") & (data["year"] == 2002))
    data.loc[silent, "value"] = 0.0  # CXX never exports; AZX exports nothing in 2002
    prebuilt = gravity(data, THREE_WAY)
    interacted = gravity(data, "value ~ rta | exporter^year + importer^year + pair")
    assert interacted.coef["rta"] == pytest.approx(prebuilt.coef["rta"], abs=1e-10)
    assert interacted.nobs == prebuilt.nobs
    n_zero = interacted.excluded.set_index("reason").loc[
        "all-zero flows in a exporter^year group (absorbed by its FE)", "n"
    ]
    assert n_zero == silent.sum() == 6 * 15 + 15


def test_gravity_unknown_formula_columns():
    data = prepare_gravity_data(_panel(3))
    with pytest.raises(DataContractError, match="regressor 'fta'"):
        gravity(data, "value ~ fta | exp_year + imp_year + pair")
    with pytest.raises(DataContractError, match="fixed effect 'pair' .*prepare_gravity_data"):
        gravity(_panel(3), "value ~ rta | pair")


def test_gravity_counts_missing_rows():
    data = prepare_gravity_data(_panel(4), rta_lags=(2,))
    res = gravity(data, "value ~ rta + rta_lag2 | exp_year + imp_year + pair")
    n_missing = int(data["rta_lag2"].isna().sum())
    assert n_missing > 0
    ex = res.excluded.set_index("reason")["n"]
    assert ex["missing or non-finite value in a formula variable"] == n_missing
    assert res.nobs + res.excluded["n"].sum() == len(data)


def test_gravity_all_zero_raises():
    data = prepare_gravity_data(_panel(5)).assign(value=0.0)
    with pytest.raises(EstimationError, match="no observation with a positive 'value'"):
        gravity(data, THREE_WAY)


def test_gravity_by_sector_and_product_without_exporters():
    a = prepare_gravity_data(_panel(6)).assign(product="0805")
    b = prepare_gravity_data(_panel(7, beta_rta=0.2)).assign(product="2204")
    empty = prepare_gravity_data(_panel(8)).assign(product="0901", value=0.0)
    data = pd.concat([a, b], ignore_index=True)
    by = gravity_by_sector(data, THREE_WAY, by="product")
    assert list(by.results) == ["0805", "2204"]
    assert by.results["0805"].coef["rta"] == pytest.approx(gravity(a, THREE_WAY).coef["rta"], abs=1e-12)
    assert by.summary().loc["2204", "rta"] < by.summary().loc["0805", "rta"]
    assert set(by.table()["product"]) == {"0805", "2204"}
    with_empty = pd.concat([data, empty], ignore_index=True)
    with pytest.raises(EstimationError, match="product='0901' has no exporters"):
        gravity_by_sector(with_empty, THREE_WAY, by="product")
    rec = gravity_by_sector(with_empty, THREE_WAY, by="product", on_error="record")
    assert list(rec.failed["sector"]) == ["0901"] and "no exporters" in rec.failed["reason"].iloc[0]


def test_coefficient_table_side_by_side():
    data = prepare_gravity_data(_panel(9))
    res = {
        "three-way": gravity(data, THREE_WAY),
        "two-way": gravity(data, "value ~ ln_distance + rta | exp_year + imp_year"),
    }
    table = coefficient_table(res)
    assert table.loc["rta", ("three-way", "estimate")] == res["three-way"].coef["rta"]
    assert np.isnan(table.loc["ln_distance", ("three-way", "estimate")])
    assert table.attrs["nobs"] == {"three-way": res["three-way"].nobs, "two-way": res["two-way"].nobs}
    with pytest.raises(DataContractError, match=r"terms \['gdp'\]"):
        coefficient_table(res, terms=["gdp"])
    t = res["three-way"].table()
    assert t.loc[0, "effect_pct"] == pytest.approx(100 * np.expm1(t.loc[0, "estimate"]))


# ---------------------------------------------------------------------------------------------------------
# Inference conventions (issue 11, item 4)
# ---------------------------------------------------------------------------------------------------------


def test_symmetric_pair_cluster_and_ssc_passthrough():
    data = prepare_gravity_data(_panel(4))
    ab = data[(data["exporter"] == "AZX") & (data["importer"] == "BYX")]["country_pair"].unique()
    ba = data[(data["exporter"] == "BYX") & (data["importer"] == "AZX")]["country_pair"].unique()
    assert ab.tolist() == ba.tolist() == ["AZX_BYX"]
    assert data["country_pair"].nunique() * 2 == data["pair"].nunique()
    default = gravity(data, THREE_WAY)
    # pyfixest's default is fixest's: fixed effects nested in the cluster not counted (as reghdfe/ppmlhdfe)
    nested = gravity(data, THREE_WAY, ssc=pf.ssc(k_adj=True, k_fixef="nonnested", G_adj=True))
    np.testing.assert_allclose(nested.se.to_numpy(), default.se.to_numpy(), rtol=1e-12)
    raw = gravity(data, THREE_WAY, ssc=pf.ssc(k_adj=False, G_adj=False))
    G = data["country_pair"].nunique()
    ratio = (default.se / raw.se).to_numpy() ** 2
    # one scalar factor for every coefficient, at least the cluster factor G/(G-1)
    assert ratio == pytest.approx(np.full(len(ratio), ratio[0]), rel=1e-10) and ratio[0] >= G / (G - 1)
    assert (raw.se < default.se).all()


def test_ols_gravity_is_log_linear_feols_on_positive_flows():
    data = prepare_gravity_data(_panel(5))
    data.loc[data.index[:7], "value"] = 0.0
    n_zero = int((data["value"] == 0).sum())
    ols = gravity(data, "value ~ rta + ln_distance | exp_year + imp_year", method="ols")
    pos = data[data["value"] > 0].assign(lv=lambda d: np.log(d["value"]))
    direct = pf.feols("lv ~ rta + ln_distance | exp_year + imp_year", data=pos, vcov={"CRV1": "country_pair"})
    np.testing.assert_allclose(ols.coef.to_numpy(), direct.coef().to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(ols.se.to_numpy(), direct.se().to_numpy(), rtol=1e-10)
    ex = ols.excluded.set_index("reason")
    assert ex.loc["zero 'value': its log is undefined (OLS on positive flows)", "n"] == n_zero
    assert ols.coef["ln_distance"] == pytest.approx(-1.0, abs=0.1)  # the planted distance elasticity
    with pytest.raises(DataContractError, match="method must be"):
        gravity(data, THREE_WAY, method="gls")


def test_lags_come_from_the_full_panel_before_years_are_selected():
    flows = _panel(6, n=5, years=9)
    out = prepare_gravity_data(flows, rta_lags=(2,), years=(2000, 2004, 2008))
    assert sorted(out["year"].unique()) == [2000, 2004, 2008]
    # every row of 2004 and 2008 has its two-year lag from the full data (2002, 2006), equal to it by hand
    later = out[out["year"] > 2000]
    assert later["rta_lag2"].notna().all()
    full = flows.set_index(["exporter", "importer", "year"])["rta"]
    expect = [full[(e, i, y - 2)] for e, i, y in zip(later["exporter"], later["importer"], later["year"])]
    assert later["rta_lag2"].tolist() == expect
    # selecting first would leave no two-year lag at all
    before = prepare_gravity_data(flows[flows["year"].isin([2000, 2004, 2008])], rta_lags=(2,))
    assert before["rta_lag2"].isna().all()
    with pytest.raises(DataContractError, match="not in the data"):
        prepare_gravity_data(flows, years=(1999,))


def test_gravity_refuses_a_single_exporter_before_pyfixest():
    """One exporter (a user's own-country Comtrade download) crashed pyfixest's Rust core: refused with words."""
    data = prepare_gravity_data(_panel(3))
    one = data[data["exporter"] == data["exporter"].iloc[0]]
    with pytest.raises(EstimationError, match="single exporter .*at least two exporters"):
        gravity(one, "value ~ ln_distance + rta | exp_year + imp_year")


def test_gravity_names_the_trade_columns_a_formula_needs():
    data = prepare_gravity_data(_panel(4).drop(columns=["distance"]))
    with pytest.raises(DataContractError, match=r"needs the column\(s\) distance \(km\)"):
        gravity(data, "value ~ ln_distance + rta | exp_year + imp_year")
