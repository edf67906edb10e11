"""Environmental footprint (PN18 × FAOSTAT) and input intensity per hectare."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from agrocluster import environment as env
from agrocluster.data import sources
from agrocluster.errors import DataContractError, EstimationError


def test_footprint_hand_case():
    q = pd.DataFrame({"year": [2000, 2001], "production": [10.0, 20.0], "exports": [5.0, 15.0]})
    fp = env.footprint(q, {"ghg": 2.0, "freshwater": 500.0, "land_use": 1.5, "eutrophying": 4.0})
    ghg = fp.table[fp.table["impact"] == "ghg"].set_index("year")
    assert ghg.loc[2001, "footprint_production"] == 40.0          # 20 kt × 2 kg/kg = 40 kt CO2e
    assert ghg.loc[2001, "footprint_exports"] == 30.0
    water = fp.table[fp.table["impact"] == "freshwater"].set_index("year")
    assert water.loc[2000, "footprint_production"] == pytest.approx(5.0)   # 10 kt × 500 L/kg = 5e9 L = 5 million m3
    mag = env.magnification(fp, 2000, 2001).set_index("impact")
    assert mag.loc["ghg", "change"] == 20.0
    assert mag.loc["ghg", "export_part"] == 1.0                   # ΔX = ΔQ = 10 kt
    assert mag.loc["ghg", "change_pct"] == pytest.approx(100.0)
    assert fp.latest("ghg")["year"] == 2001


def test_footprint_missing_factor_is_not_zero():
    q = pd.DataFrame({"year": [2000], "production": [1.0], "exports": [0.0]})
    fp = env.footprint(q, {"ghg": 1.0, "land_use": float("nan")}, impacts=("ghg", "land_use"))
    assert fp.missing == ("land_use",)
    with pytest.raises(EstimationError, match="no factor"):
        env.footprint(q, {}, impacts=("ghg",))


def test_footprint_bad_input_named():
    with pytest.raises(DataContractError, match="negative exports"):
        env.footprint(pd.DataFrame({"year": [2000], "production": [1.0], "exports": [-1.0]}), {"ghg": 1.0})
    with pytest.raises(DataContractError, match="unknown impact"):
        env.footprint(pd.DataFrame({"year": [2000], "production": [1.0], "exports": [0.0]}), {"ghg": 1.0},
                      impacts=("co2",))


def test_pn18_factors_match_published_values():
    # Poore & Nemecek (2018) mean GHG per kg, as published by Our World in Data ("Food: greenhouse gas
    # emissions across the supply chain"): wine 1.79, coffee 28.53, rice 4.45, milk 3.15 kg CO2e per kg.
    f = sources.pn18_factors([2655, 2630, 2807, 2948, 2635]).set_index("item")
    assert f.loc["2655", "ghg"] == pytest.approx(1.79, abs=1e-3)
    assert f.loc["2630", "ghg"] == pytest.approx(28.53, abs=1e-3)
    assert f.loc["2807", "ghg"] == pytest.approx(4.45, abs=1e-3)
    assert f.loc["2948", "ghg"] == pytest.approx(3.15, abs=1e-3)
    assert not f.loc["2635", "has_factor"] and np.isnan(f.loc["2635", "ghg"])   # tea: no factor, not zero
    with pytest.raises(DataContractError, match="not in the file"):
        sources.pn18_factors([2999])


def test_regional_intensity_against_world_mean():
    r = env.regional_intensity(sources.pn18_regional_factors(), "Wine", "Europe").set_index("impact")
    assert r.loc["ghg", "ratio"] == pytest.approx(1.9 / 1.8, rel=1e-6)
    with pytest.raises(DataContractError, match="region 'Mars'"):
        env.regional_intensity(sources.pn18_regional_factors(), "Wine", "Mars")


def _farms(seed, gap=3.0, n=300, seasons=4):
    rng = np.random.default_rng(seed)
    farm = np.repeat(np.arange(n), seasons)
    season = np.tile(np.arange(1, seasons + 1), n)
    bimas = rng.random(n * seasons) < 0.4
    land = rng.uniform(0.2, 3.0, n * seasons)
    per_ha = 10 + 2 * season + gap * bimas + rng.normal(0, 1, n)[farm] + rng.normal(0, 2, n * seasons)
    return pd.DataFrame({"firm_id": farm.astype(str), "year": season, "land": land,
                         "urea": per_ha * land, "bimas": np.where(bimas, "yes", "no")})


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_input_gap_recovers_planted_truth(seed):
    res = env.input_intensity(_farms(seed), ["urea"], "bimas", treated="yes")
    row = res.gap.iloc[0]
    assert abs(row["estimate"] - 3.0) < 3.5 * row["std_error"]
    assert row["std_error"] < 0.3


def test_input_gap_null_across_seeds():
    rejections = sum(env.input_intensity(_farms(s, gap=0.0), ["urea"], "bimas", treated="yes").gap.iloc[0]["p_value"]
                     < 0.05 for s in range(40))
    assert rejections <= 6                                          # about 5% of 40


def test_clustered_mean_se_matches_statsmodels():
    d = _farms(0)
    res = env.input_intensity(d, ["urea"], "bimas")
    u = (d["urea"] / d["land"]).to_numpy()
    yes = (d["bimas"] == "yes").to_numpy()
    fit = sm.OLS(u[yes], np.ones(yes.sum())).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(d["firm_id"][yes])[0]})
    row = res.by_group.set_index("group").loc["yes"]
    assert row["mean"] == pytest.approx(fit.params[0])
    assert row["std_error"] == pytest.approx(fit.bse[0], rel=1e-10)


def test_input_intensity_excludes_zero_area_and_names_bad_treated():
    d = _farms(0)
    d.loc[0, "land"] = 0.0
    res = env.input_intensity(d, ["urea"], "bimas")
    assert res.excluded["rows"].iloc[0] == 1 and res.nobs == len(d) - 1
    with pytest.raises(DataContractError, match="treated='maybe'"):
        env.input_intensity(d, ["urea"], "bimas", treated="maybe")
