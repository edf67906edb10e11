"""Tests of the workbook building blocks of agrocluster.agglomeration: lagged measures (hand cases, brute-force
haversine, the synthetic generator's own regressors), outcomes, inference choice, specification tables, the
core-move gain and the plain-language sentence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agrocluster.agglomeration import (
    FEW_CLUSTERS,
    agglomeration_outcome,
    agglomeration_specifications,
    core_move_gain,
    elasticity_sentence,
    estimate_agglomeration,
    haversine_km,
    inference_options,
    lagged_measures,
    specification_table,
)
from agrocluster.errors import DataContractError, EstimationError


def tiny() -> pd.DataFrame:
    """Two years, two regions, two sectors; firm c moves region, firm e enters in 2021."""
    return pd.DataFrame(
        {
            "firm_id": ["a", "b", "c", "d", "a", "b", "c", "e"],
            "year": [2020, 2020, 2020, 2020, 2021, 2021, 2021, 2021],
            "region": ["R1", "R1", "R1", "R2", "R1", "R1", "R2", "R1"],
            "sector": ["s", "s", "t", "s", "s", "s", "t", "s"],
            "labour": [10.0, 20.0, 5.0, 7.0, 11.0, 21.0, 6.0, 3.0],
        }
    )


def test_lagged_measures_hand_case():
    out = lagged_measures(tiny(), 1, plus_one=False, region_area_km2={"R1": 10.0, "R2": 2.0})
    y21 = out[out["year"] == 2021].set_index("firm_id")
    # a: own-sector R1 in 2020 = a 10 + b 20 → minus own 10 = 20; region R1 total 35 − 10 = 25
    assert y21.loc["a", "loc_emp_region_lag1"] == 20.0
    assert y21.loc["a", "urb_emp_region_lag1"] == 25.0
    assert y21.loc["a", "urb_density_lag1"] == 2.5
    # entrant e: nothing of its own to leave out
    assert y21.loc["e", "loc_emp_region_lag1"] == 30.0
    assert y21.loc["e", "urb_emp_region_lag1"] == 35.0
    # c moved R1 → R2: its 2020 labour was in R1, so nothing is subtracted from R2 (d's 7)
    assert y21.loc["c", "loc_emp_region_lag1"] == 0.0  # no sector t in R2 in 2020
    assert y21.loc["c", "urb_emp_region_lag1"] == 7.0
    # the first year has no previous year
    assert out.loc[out["year"] == 2020, "loc_emp_region_lag1"].isna().all()
    with_one = lagged_measures(tiny(), 1)
    np.testing.assert_allclose(
        with_one["loc_emp_region_lag1"].dropna(), out["loc_emp_region_lag1"].dropna() + 1.0
    )


def test_lagged_measures_lag_two_and_bad_input():
    est = tiny()
    est3 = pd.concat([est, est[est["year"] == 2021].assign(year=2022)], ignore_index=True)
    out = lagged_measures(est3, 2, plus_one=False)
    assert out.loc[out["year"] < 2022, "loc_emp_region_lag2"].isna().all()
    # a in 2022, looking at 2020: b's 20 in sector s of R1
    assert out[(out["year"] == 2022) & (out["firm_id"] == "a")]["loc_emp_region_lag2"].item() == 20.0
    with pytest.raises(DataContractError, match="lag"):
        lagged_measures(est, 0)
    with pytest.raises(DataContractError, match="no area"):
        lagged_measures(est, 1, region_area_km2={"R1": 1.0})
    with pytest.raises(DataContractError, match="missing"):
        lagged_measures(est.assign(labour=[np.nan] + [1.0] * 7), 1)


def test_lagged_bands_equal_brute_force():
    rng = np.random.default_rng(3)
    n = 120
    base = pd.DataFrame(
        {
            "firm_id": [f"f{i}" for i in range(n)],
            "region": rng.choice(["R1", "R2"], n),
            "sector": rng.choice(["s", "t"], n),
            "lat": rng.uniform(-34.5, -34.0, n),
            "lon": rng.uniform(-71.0, -70.4, n),
        }
    )
    y0 = base.assign(year=2019, labour=rng.uniform(1, 50, n))
    y1 = base.iloc[10:].assign(year=2020, labour=rng.uniform(1, 50, n - 10))  # 10 exits
    est = pd.concat([y0, y1], ignore_index=True)
    bands = [(0.0, 10.0), (10.0, 25.0)]
    out = lagged_measures(est, 1, bands=bands)
    q, s = est[est["year"] == 2020], est[est["year"] == 2019]
    d = haversine_km(q["lat"].to_numpy()[:, None], q["lon"].to_numpy()[:, None],
                     s["lat"].to_numpy()[None, :], s["lon"].to_numpy()[None, :])
    same = q["sector"].to_numpy()[:, None] == s["sector"].to_numpy()[None, :]
    other = q["firm_id"].to_numpy()[:, None] != s["firm_id"].to_numpy()[None, :]
    for lo, hi in bands:
        inb = (d <= hi) & ((d > lo) | (lo == 0))
        expect = ((same & other & inb) * s["labour"].to_numpy()[None, :]).sum(axis=1)
        got = out.loc[q.index, f"loc_emp_lag1_{lo:g}_{hi:g}km"].to_numpy()
        np.testing.assert_allclose(got, expect, rtol=1e-10, atol=1e-9)
    assert out.loc[est["year"] == 2019, "loc_emp_lag1_0_10km"].isna().all()


def test_lagged_measures_rebuild_the_synthetic_regressors():
    """ln of the measures equals the generator's LOC and URB (truth['agglomeration']) to rounding."""
    from agrocluster.data.synthetic import SyntheticSpec, generate_cluster

    sc = generate_cluster(SyntheticSpec(n_firms=300, n_years=4, n_regions=8, burn_in_years=2), seed=5)
    area = {r["region"]: r["area_km2"] for r in sc.truth["geography"]["regions"]}
    m = lagged_measures(sc.establishments, 1, region_area_km2=area)
    x = m.merge(sc.latent, on=["firm_id", "year"]).dropna(subset=["loc_emp_region_lag1"])
    assert len(x) > 500
    np.testing.assert_allclose(np.log(x["loc_emp_region_lag1"]), x["loc"], atol=1e-10)
    np.testing.assert_allclose(np.log(x["urb_density_lag1"]), x["urb"], atol=1e-10)


def test_outcomes():
    est = pd.DataFrame(
        {"value_added": [10.0, -2.0, 6.0], "output": [20.0, 5.0, 9.0], "labour": [2.0, 1.0, 0.0],
         "wage_bill": [4.0, 1.0, 0.0], "capital": [4.0, 1.0, 2.0]},
        index=[5, 6, 7],
    )
    lp, label = agglomeration_outcome(est, "labour_productivity")
    assert lp.loc[5] == 5.0 and lp.loc[6] == -2.0 and np.isnan(lp.loc[7])  # 0 labour → NaN, not inf
    assert "value added" in label
    gp, label = agglomeration_outcome(est.drop(columns="value_added"), "labour_productivity")
    assert gp.loc[5] == 10.0 and "no value added" in label
    w, _ = agglomeration_outcome(est, "wage")
    assert w.loc[5] == 2.0
    t, _ = agglomeration_outcome(est, "tfp", log_tfp=pd.Series([0.0, np.log(2.0)], index=[6, 5]))
    assert t.loc[5] == pytest.approx(2.0) and t.loc[6] == pytest.approx(1.0) and np.isnan(t.loc[7])
    t, label = agglomeration_outcome(est, "tfp", elasticities={"labour": 0.5, "capital": 0.25})
    assert t.loc[5] == pytest.approx(10.0 / (2.0**0.5 * 4.0**0.25))
    assert np.isnan(t.loc[6])  # negative value added: log undefined
    with pytest.raises(DataContractError, match="exactly one"):
        agglomeration_outcome(est, "tfp")
    with pytest.raises(DataContractError, match="one of"):
        agglomeration_outcome(est, "profit")


def test_inference_options():
    opts, notes = inference_options("CRV1", 40, 999)
    assert opts == {"vcov": "CRV1"} and notes == []
    opts, notes = inference_options("CRV1", 6, 999)
    assert opts["wild_bootstrap"] == 999 and "Webb" in notes[0]
    opts, notes = inference_options("CRV1", FEW_CLUSTERS - 1, 0)
    assert "wild_bootstrap" not in opts and "unreliable" in notes[0]
    opts, notes = inference_options("conley", 40, 0, 50.0, has_coordinates=False)
    assert opts == {"vcov": "CRV1"} and "coordinates" in notes[0]
    opts, _ = inference_options("conley", 40, 0, 50.0)
    assert opts == {"vcov": "conley", "conley_cutoff_km": 50.0}
    opts, notes = inference_options("CRV1", 1, 999)
    assert opts == {"vcov": "hetero"}
    with pytest.raises(EstimationError):
        inference_options("bogus", 10)


def panel(seed: int, beta: float = 0.05, n_regions: int = 12, firms: int = 10, years: int = 5):
    rng = np.random.default_rng(seed)
    reg = np.repeat(np.arange(n_regions), firms)
    alpha = rng.normal(0, 0.3, reg.size)
    base = rng.normal(6.0, 1.0, n_regions)
    rows = []
    for t in range(years):
        log_loc = base + rng.normal(0, 0.4, n_regions)
        y = beta * log_loc[reg] + alpha + rng.normal(0, 0.05, reg.size)
        rows.append(pd.DataFrame({
            "firm_id": [f"F{i}" for i in range(reg.size)], "year": 2010 + t, "sector": "s",
            "region": [f"R{r}" for r in reg], "y": np.exp(y), "loc": np.exp(log_loc[reg]),
            "z": np.exp(log_loc[reg] + rng.normal(0, 0.2, reg.size)),
        }))
    return pd.concat(rows, ignore_index=True)


def test_specifications_table_and_iv():
    df = panel(1)
    spec = agglomeration_specifications(df, "y", "loc", instrument="z", wild_bootstrap=199, seed=1, logs=True)
    assert list(spec.results()) == list(spec.names)
    direct = estimate_agglomeration(df, "y", "loc", fe=("firm_id", "sector^year"), logs=True)
    assert spec.within.coef["loc"] == pytest.approx(direct.coef["loc"])
    tab = spec.table({"loc": "localisation"}, planted={"loc": 0.05})
    assert list(tab["term"].unique()) == ["localisation"]
    assert set(tab["p_kind"]) == {"wild bootstrap", "analytical"}  # IV has no wild bootstrap
    assert tab["interval_covers_planted"].isin(["yes", "no"]).all()
    assert np.isfinite(tab.loc[tab["specification"] == spec.names[2], "first_stage_F"]).all()
    assert any("IV" in n and "analytical" in n for n in spec.notes)
    # no instrument: IV reported in notes, not raised
    spec = agglomeration_specifications(df, "y", "loc", logs=True)
    assert spec.iv is None and any("IV not estimated" in n for n in spec.notes)
    assert "first_stage_F" not in spec.table().columns
    ex = spec.excluded()
    assert list(ex.columns) == ["reason", "n", "unit", "specification"]


def test_specification_table_planted_dash():
    res = estimate_agglomeration(panel(2), "y", "loc", logs=True)
    tab = specification_table({"a": res}, planted={"other": 1.0})
    assert np.isnan(tab["planted"].item()) and tab["interval_covers_planted"].item() == "–"


def test_core_move_gain_formula_and_delta_method():
    df = panel(3)
    res = estimate_agglomeration(df, "y", "loc", logs=True)
    last = pd.DataFrame({"m": [100.0, 200.0, 300.0, 1000.0, 2000.0], "core": [False, False, False, True, True]})
    g = core_move_gain(last, "m", "core", res, term="loc")
    b = res.coef["loc"]
    ratio = 1500.0 / 200.0
    assert g.ratio == pytest.approx(ratio)
    assert g.gain_pct == pytest.approx(100 * (ratio**b - 1))
    assert g.gain_se_pct == pytest.approx(100 * ratio**b * np.log(ratio) * res.se["loc"])
    assert g.gain_low_pct <= g.gain_pct <= g.gain_high_pct
    assert g.gain_low_pct == pytest.approx(100 * (ratio ** res.ci_low["loc"] - 1))
    assert "formula" in set(g.table()["quantity"])
    with pytest.raises(EstimationError, match="both in the core"):
        core_move_gain(last.assign(core=True), "m", "core", res, term="loc")
    with pytest.raises(EstimationError, match="not a regressor"):
        core_move_gain(last, "m", "core", res)


def test_elasticity_sentence():
    res = estimate_agglomeration(panel(4, beta=0.05), "y", "loc", logs=True)
    text = elasticity_sentence(res, "loc", "employment nearby", "productivity")
    eff = 100 * (1.1 ** res.coef["loc"] - 1)
    assert f"{eff:.2f}% higher productivity" in text
    assert "not distinguishable" not in text
    res0 = estimate_agglomeration(panel(4, beta=0.0), "y", "loc", logs=True)
    if res0.ci_low["loc"] <= 0 <= res0.ci_high["loc"]:
        assert "not distinguishable from zero" in elasticity_sentence(res0, "loc", "x", "y")
