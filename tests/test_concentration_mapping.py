"""The cluster-mapping steps between the data and the estimators (concentration.mapping)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from agrocluster import concentration as conc
from agrocluster.concentration import mapping as cmap
from agrocluster.data.synthetic import generate_cluster
from agrocluster.errors import DataContractError, ParamsError
from agrocluster.params import ConcentrationOptions
from agrocluster.tables import format_number

# ------------------------------------------------------------------------------------------------ fixtures


@pytest.fixture
def plants() -> pd.DataFrame:
    """Two years; in the last, sector 'w' has 3 plants (one without coordinates), 'g' 2, 'x' 3."""
    last = pd.DataFrame({
        "firm_id": [f"f{i}" for i in range(8)],
        "year": 2020,
        "region": ["A", "A", "B", "A", "B", "B", "C", "C"],
        "sector": ["w", "w", "w", "g", "g", "x", "x", "x"],
        "lat": [-34.0, -34.2, np.nan, -33.0, -33.5, -33.1, -35.0, -35.2],
        "lon": [-71.0, -71.2, -70.0, -70.5, -70.6, -70.1, -71.5, -71.7],
        "labour": [10.0, 20.0, 5.0, 8.0, 4.0, 6.0, np.nan, 3.0],
    })
    first = last.assign(year=2019)
    return pd.concat([first, last], ignore_index=True)


@pytest.fixture
def regional() -> pd.DataFrame:
    # two years; sector w: A 40→60, B 10→10, C 10→10; sector o: A 10→10, B 40→50, C 40→40
    rows = []
    for year, values in ((2011, {"A": (40, 10), "B": (10, 40), "C": (10, 40)}),
                         (2020, {"A": (60, 10), "B": (10, 50), "C": (10, 40)})):
        for region, (w, o) in values.items():
            rows += [(region, "w", year, float(w), 4), (region, "o", year, float(o), 5)]
    return pd.DataFrame(rows, columns=["region", "sector", "year", "employment", "establishments"])


# ------------------------------------------------------------------------------------------ cross-section


def test_latest_cross_section_picks_the_last_year(plants):
    year, frame = cmap.latest_cross_section(plants)
    assert year == 2020 and len(frame) == 8 and (frame["year"] == 2020).all()
    year, frame = cmap.latest_cross_section(plants, 2019)
    assert year == 2019 and len(frame) == 8
    with pytest.raises(DataContractError, match="2018"):
        cmap.latest_cross_section(plants, 2018)
    with pytest.raises(DataContractError, match="year"):
        cmap.latest_cross_section(plants.drop(columns="year"))


def test_select_rows_counts_what_it_leaves_out(plants):
    _, frame = cmap.latest_cross_section(plants)
    kept, excluded = cmap.select_rows(frame, ["lat", "lon"], "no coordinates")
    assert len(kept) == 7 and "f2" not in set(kept["firm_id"])
    assert excluded.to_dict("records") == [{"table": "establishments", "reason": "no coordinates", "n_rows": 1}]
    kept, excluded = cmap.select_rows(frame.drop(columns=["lat"]), ["lat", "lon"], "no coordinates")
    assert len(kept) == 0 and excluded["n_rows"].tolist() == [8] and "absent" in excluded["reason"].iloc[0]
    kept, excluded = cmap.select_rows(frame, ["firm_id"] and ["year"], "no year")
    assert len(kept) == 8 and len(excluded) == 0 and list(excluded.columns) == cmap.EXCLUDED_COLUMNS


# -------------------------------------------------------------------------------------------- feasibility


def test_feasibility_says_what_is_possible(plants):
    _, frame = cmap.latest_cross_section(plants)
    check = cmap.feasibility(frame, "w", ["g", "z"])
    assert check.ok("map") and check.ok("kd") and check.ok("eg") and check.ok("coagglomeration")
    assert check.related_usable == ("g",)
    assert "7 of 8" in check.reason("map")
    assert list(check.table().columns) == ["analysis", "possible", "reason"]


def test_feasibility_refuses_with_reasons(plants):
    _, frame = cmap.latest_cross_section(plants)
    no_coords = cmap.feasibility(frame.drop(columns=["lat", "lon"]), "w")
    assert not no_coords.ok("map") and not no_coords.ok("kd")
    assert "coordinates" in no_coords.reason("kd")
    assert not no_coords.ok("coagglomeration") and "no related sector" in no_coords.reason("coagglomeration")
    one_sector = frame.assign(sector="w")
    check = cmap.feasibility(one_sector, "w", ["g"])
    assert not check.ok("eg") and "one sector" in check.reason("eg")
    assert not check.ok("kd") and "every located establishment" in check.reason("kd")
    assert not check.ok("coagglomeration") and check.related_usable == ()
    single = frame[frame["sector"] != "w"].pipe(lambda f: pd.concat([f, frame.iloc[[0]]]))
    check = cmap.feasibility(single, "w")
    assert not check.ok("eg") and "1 plant" in check.reason("eg")
    assert not check.ok("kd") and "at least two" in check.reason("kd")
    no_emp = cmap.feasibility(frame.drop(columns="labour"), "w")
    assert not no_emp.ok("eg") and "labour" in no_emp.reason("eg")
    one_region = cmap.feasibility(frame.assign(region="A"), "w")
    assert not one_region.ok("eg") and "one region" in one_region.reason("eg")


# -------------------------------------------------------------------------------------------- geography


def test_region_centres_are_mean_coordinates(plants):
    _, frame = cmap.latest_cross_section(plants)
    centres = cmap.region_centres(frame).set_index("region")
    assert centres.loc["A", "lat"] == pytest.approx((-34.0 - 34.2 - 33.0) / 3)
    assert centres.loc["B", "lon"] == pytest.approx((-70.6 - 70.1) / 2)  # the plant without lat is left out
    assert centres.loc["B", "establishments"] == 2
    with pytest.raises(DataContractError, match="coordinates"):
        cmap.region_centres(frame.assign(lat=np.nan))


def test_kd_subsample_keeps_the_sector_share():
    points = pd.DataFrame({"sector": ["s"] * 500 + ["o"] * 1500, "lat": 0.0, "lon": 0.0})
    same = cmap.kd_subsample(points, "s", 1000, seed=1)
    assert same.rate == 1.0 and len(same.frame) == 2000 and "all 500" in same.note
    sample = cmap.kd_subsample(points, "s", 100, seed=1)
    counts = sample.frame["sector"].value_counts()
    assert counts["s"] == 100 and counts["o"] == 300  # same rate 0.2 for every sector
    assert sample.rate == pytest.approx(0.2) and sample.n_sites_kept == 400 and "seed 1" in sample.note
    again = cmap.kd_subsample(points.assign(id=range(2000)), "s", 100, seed=1)
    other = cmap.kd_subsample(points.assign(id=range(2000)), "s", 100, seed=2)
    assert again.frame["id"].equals(cmap.kd_subsample(points.assign(id=range(2000)), "s", 100, seed=1).frame["id"])
    assert not again.frame["id"].equals(other.frame["id"])
    with pytest.raises(DataContractError, match="max_points"):
        cmap.kd_subsample(points, "s", 1)


# ----------------------------------------------------------------------------------------- specialisation


def test_lq_options_from_parameters(regional):
    options = SimpleNamespace(lq_base="all", lq_interval="none", interval_level=0.9)
    assert cmap.lq_options(options, regional) == {"base": "all", "level": 0.9, "interval": None}
    options = SimpleNamespace(lq_base="traded", lq_interval="poisson", interval_level=0.95)
    with pytest.raises(ParamsError, match="lq_base='traded'"):
        cmap.lq_options(options, regional)
    kwargs = cmap.lq_options(options, regional.assign(traded=regional["sector"] == "w"))
    assert kwargs["traded"] == "traded" and kwargs["interval"] == "poisson"


def test_core_regions_named_or_by_lq(regional):
    lq = conc.location_quotient(regional)
    last = lq[lq["year"] == 2020]
    core, basis = cmap.core_regions(last, "w", ["C", "A"])
    assert core == ["C", "A"] and "named" in basis
    core, basis = cmap.core_regions(last, "w", ["A", "Nowhere"])
    assert core == ["A"] and "Nowhere" in basis
    core, basis = cmap.core_regions(last, "w", [], n=2)
    # LQ of w in 2020: A (60/70)/(80/170) = 1.82; B, C (10/60)/(80/170), (10/50)/(80/170): C > B
    assert core == ["A", "C"] and "highest LQ" in basis and "biased" in basis
    top = cmap.strongest_region(last, "w", ["B", "C"])
    assert top["region"] == "C" and top["lq"] == pytest.approx((10 / 50) / (80 / 180))
    with pytest.raises(DataContractError):
        cmap.core_regions(last, "nope")
    with pytest.raises(DataContractError):
        cmap.strongest_region(last, "w", ["Nowhere"])


def test_concentration_indices_match_the_estimators(regional):
    out = cmap.concentration_indices(regional, ["w"], [2011, 2020])
    assert out["year"].tolist() == [2011, 2020] and (out["sector"] == "w").all()
    hoover = conc.hoover_index(regional).query("sector == 'w'")["hoover"].to_numpy()
    np.testing.assert_allclose(out["hoover"], hoover)
    np.testing.assert_allclose(out["gini"], conc.gini(regional).query("sector == 'w'")["gini"])
    assert {"locational_gini"} <= set(out.columns)
    with pytest.raises(DataContractError, match="1999"):
        cmap.concentration_indices(regional, ["w"], [1999])


# ----------------------------------------------------------------------------------- strength, shift-share


def test_cluster_strength_keeps_the_sector_and_marks_the_core(regional):
    last = regional[regional["year"] == 2020]
    out = cmap.cluster_strength(last, "w", ["A"], n_resamples=20, seed=0)
    assert out["region"].tolist()[0] == "A" and out["core"].tolist() == [True, False, False]
    direct = conc.strong_clusters(last, n_resamples=20, seed=0).query("sector == 'w'").set_index("region")
    assert out.set_index("region")["strong"].to_dict() == direct["strong"].to_dict()
    assert out["strong_stability"].between(0, 1).all() and out["stars"].between(0, 3).all()
    none = cmap.cluster_strength(last, "w", ["A"], n_resamples=0)
    assert none["strong_stability"].isna().all() and none["stars_stability"].isna().all()
    with pytest.raises(DataContractError, match="one year"):
        cmap.cluster_strength(regional, "w")
    with pytest.raises(DataContractError, match="nope"):
        cmap.cluster_strength(last, "nope")


def test_shift_share_regions_add_up(regional):
    out = cmap.shift_share_regions(regional, ["A", "B"], "w", 2011, 2020)
    assert out["scope"].tolist() == ["cluster sector", "all sectors"] * 2
    parts = out[["national_growth", "industry_mix", "competitive"]].sum(axis=1)
    np.testing.assert_allclose(parts, out["change"], atol=1e-9)
    a_own = out[(out["region"] == "A") & (out["scope"] == "cluster sector")].iloc[0]
    assert a_own["change"] == pytest.approx(20.0)
    # national growth 180/150 − 1; w nationally 80/60 − 1: A's competitive effect 60 − 40·(80/60)
    assert a_own["national_growth"] == pytest.approx(40 * (180 / 150 - 1))
    assert a_own["competitive"] == pytest.approx(60 - 40 * 80 / 60)
    total = conc.shift_share(regional, "A", 2011, 2020)
    a_all = out[(out["region"] == "A") & (out["scope"] == "all sectors")].iloc[0]
    assert a_all["competitive"] == pytest.approx(total.competitive)


# ----------------------------------------------------------------------------------------- EG, Kd, truth


def test_eg_report_orders_and_adds_truth(plants):
    _, frame = cmap.latest_cross_section(plants)
    staffed, _ = cmap.select_rows(frame, ["labour"], "no labour")
    eg = conc.ellison_glaeser(staffed, employment="labour")
    truth = {"sectors": [
        {"sector": "w", "role": "cluster", "firm_share": 0.2, "eg_gamma": 0.1, "eg_gamma_given_draw": 0.05},
        {"sector": "g", "role": "related", "firm_share": 0.1, "eg_gamma": 0.0, "eg_gamma_given_draw": 0.0},
    ]}
    out = cmap.eg_report(eg, "w", ["g"], truth)
    assert out["sector"].iloc[0] == "w" and out["role"].tolist()[0] == "cluster"
    assert set(out["role"]) == {"cluster", "related", "other"}
    row = out.set_index("sector").loc["w"]
    assert row["gamma_true"] == 0.1 and row["gamma_expected_index"] == pytest.approx(0.05 * 0.8**2)
    assert np.isnan(out.set_index("sector").loc["x", "gamma_true"])
    plain = cmap.eg_report(eg, "w", ["g"], None)
    assert "gamma_true" not in plain.columns and len(plain) == 3


def test_kd_ranges_and_truth_helpers():
    kd = SimpleNamespace(localised_ranges=[(0.0, 12.5)], dispersed_ranges=[(30.0, 40.0)])
    out = cmap.kd_ranges(kd)
    assert out.to_dict("records") == [{"pattern": "localised", "from_km": 0.0, "to_km": 12.5},
                                      {"pattern": "dispersed", "from_km": 30.0, "to_km": 40.0}]
    flat = cmap.kd_ranges(SimpleNamespace(localised_ranges=[], dispersed_ranges=[]))
    assert len(flat) == 1 and flat["pattern"].iloc[0].startswith("none")
    assert cmap.truth_kd({}) is None
    assert cmap.truth_kd({"geography": {"cluster_radius_km": 8}}) == {"cluster_radius_km": 8.0,
                                                                        "localised_below_km": 16.0}
    assert cmap.truth_lq({}, "w").empty and cmap.truth_eg({}).empty
    truth = {"lq_expected": {"w": {"A": 2.0, "B": 0.5}}, "lq_realised_last_year": {"w": {"A": 1.9}},
             "geography": {"cluster_regions": ["A"]}}
    lq = cmap.truth_lq(truth, "w")
    assert lq["planted_core"].tolist() == [True, False] and np.isnan(lq["lq_realised_last_year"].iloc[1])


def test_recovers_the_planted_cluster_on_synthetic_data():
    cluster = generate_cluster(seed=7, n_firms=3000, n_years=4, burn_in_years=2, programme_entry_years=(2013,))
    truth = cluster.truth
    sector = truth["ellison_glaeser"]["cluster_sector"]
    regional = cluster.regional_employment
    lq = conc.location_quotient(regional)
    last = lq[lq["year"] == lq["year"].max()]
    planted = cmap.truth_lq(truth, sector).merge(last[last["sector"] == sector], on="region")
    # the planted cluster regions are those with the largest excess location probability: specialised
    assert (planted.loc[planted["planted_core"], "lq"] > 1).all()
    assert np.corrcoef(planted["lq"], planted["lq_expected"])[0, 1] > 0.9
    core, _ = cmap.core_regions(last, sector, truth["geography"]["cluster_regions"])
    assert core == truth["geography"]["cluster_regions"]
    _year, frame = cmap.latest_cross_section(cluster.establishments)
    eg = conc.ellison_glaeser(frame, employment="labour", simulate=99, seed=1)
    row = cmap.eg_report(eg, sector, (), truth).iloc[0]
    assert row["gamma_p"] <= 0.05
    assert row["gamma"] == pytest.approx(row["gamma_expected_index"], abs=0.03)
    sample = cmap.kd_subsample(frame, sector, 200, seed=1)
    kd = conc.kdensity(sample.frame, sector, n_draws=99, seed=1)
    below = cmap.truth_kd(truth)["localised_below_km"]
    assert kd.localised and kd.localised_ranges[0][0] < below


# ------------------------------------------------------------------------------------ country in the world


@pytest.fixture
def food() -> pd.DataFrame:
    """Production (kt) of wine (2655), grapes (2620) and an aggregate (2924) in 2019–2020 for four countries."""
    prod_2020 = {"CHL": (10.0, 30.0), "FRA": (40.0, 20.0), "ITA": (50.0, 50.0), "PER": (0.0, 0.0)}
    rows = []
    for year in (2019, 2020):
        for country, (wine, grapes) in prod_2020.items():
            scale = 1.0 if year == 2020 else 0.5
            rows += [(country, "2655", year, wine * scale, 1.0), (country, "2620", year, grapes * scale, 1.0),
                     (country, "2924", year, 999.0, 1.0)]
    rows.append(("ESP", "2620", 2020, np.nan, 1.0))
    cp = pd.DataFrame(rows, columns=["country", "item", "year", "production", "exports"])
    cp["item_name"] = cp["item"].map({"2655": "Wine", "2620": "Grapes", "2924": "Alcoholic Beverages"})
    cp["area_name"] = cp["country"]
    return cp


def test_production_standing_by_hand(food):
    out = cmap.production_standing(food, "CHL", 2655, top=2)
    assert out.year == 2020 and out.item_name == "Wine" and out.world_production == pytest.approx(100.0)
    assert out.share == pytest.approx(0.10) and out.rank == 3 and out.n_producers == 3
    # basket = wine + grapes (2924 is an aggregate); CHL: (10/40) / (100/200) = 0.5
    assert out.rca == pytest.approx(0.5)
    table = out.table()
    assert table["country"].tolist() == ["ITA", "FRA", "CHL"] and table["is_country"].tolist() == [False, False, True]
    assert table["share_pct"].tolist() == pytest.approx([50.0, 40.0, 10.0])
    assert table.set_index("country").loc["FRA", "rca"] == pytest.approx((40 / 60) / 0.5)
    assert out.series["year"].tolist() == [2019, 2020]
    assert out.series["production_share"].tolist() == pytest.approx([0.1, 0.1])
    reasons = dict(zip(out.excluded["reason"], out.excluded["n"], strict=True))
    assert any("missing" in r and n == 1 for r, n in reasons.items())  # ESP grapes
    assert any("no production in the basket" in r and n == 2 for r, n in reasons.items())  # PER's two rows
    assert "quantity-based" in out.rca_basis and "not a value RCA" in out.rca_basis
    assert out.summary()["production_share_pct"].iloc[0] == pytest.approx(10.0)


def test_production_standing_options_and_errors(food):
    in_2019 = cmap.production_standing(food, "CHL", "2655", year=2019, basket=["2620", "2924"])
    assert in_2019.year == 2019 and "3 FAOSTAT items" in in_2019.rca_basis
    top = cmap.production_standing(food, "ITA", "2655", top=1)
    assert top.table()["country"].tolist() == ["ITA"] and top.rank == 1
    with pytest.raises(DataContractError, match="item"):
        cmap.production_standing(food, "CHL", 2630)
    with pytest.raises(DataContractError, match="no production"):
        cmap.production_standing(food, "ESP", 2655)
    with pytest.raises(DataContractError, match="2018"):
        cmap.production_standing(food, "CHL", 2655, year=2018)
    with pytest.raises(DataContractError, match="lacks"):
        cmap.production_standing(food.drop(columns="exports"), "CHL", 2655)


def test_report_tables_show_numpy_bools_as_yes_no():
    assert format_number(np.bool_(True)) == "yes" and format_number(np.bool_(False)) == "no"
    assert format_number(True) == "yes" and format_number(np.int64(3)) == "3"


def _plants_of(regional: pd.DataFrame) -> pd.DataFrame:
    """Split every cell of the regional table into plants of 10 jobs (and a remainder)."""
    rows = []
    for r in regional.itertuples():
        jobs = float(r.employment)
        sizes = [10.0] * int(jobs // 10) + ([jobs % 10] if jobs % 10 else [])
        rows += [(r.year, r.region, r.sector, s) for s in sizes]
    return pd.DataFrame(rows, columns=["year", "region", "sector", "labour"])


def test_location_quotients_use_the_plants_when_they_add_up(regional):
    plants = _plants_of(regional)
    options = ConcentrationOptions(lq_interval="establishments")
    assert cmap.plants_add_up(regional, plants)
    args = cmap.lq_options(options, regional, plants)
    assert args["interval"] == "establishments"
    out = cmap.location_quotients(regional, plants, args, n_boot=199, seed=1)
    np.testing.assert_allclose(out["lq"], conc.location_quotient(regional)["lq"])
    assert (out["lq_lo"] <= out["lq"]).all() and (out["lq"] <= out["lq_hi"]).all() and "lq_se" in out
    # plants that do not add up to the table (a sample, another source): the Poisson interval, said so
    assert not cmap.plants_add_up(regional, plants.iloc[1:])
    assert cmap.lq_options(options, regional, plants.iloc[1:])["interval"] == "poisson"
    assert cmap.lq_options(options, regional)["interval"] == "poisson"
    last = regional[regional["year"] == 2020]
    strength = cmap.cluster_strength(last, "w", ["A"], n_resamples=99, seed=0, establishments=plants,
                                     resample="establishments")
    poisson = cmap.cluster_strength(last, "w", ["A"], n_resamples=99, seed=0)
    # the same LQs; establishment counts are the plants' (10 jobs each), not the table's
    pd.testing.assert_frame_equal(strength[["region", "lq", "stars"]], poisson[["region", "lq", "stars"]])
    assert strength["establishments"].tolist() == [6.0, 1.0, 1.0]
    assert strength["strong_probability"].between(0, 1).all()
    with pytest.raises(DataContractError, match="adds up"):
        cmap.cluster_strength(last, "w", establishments=plants.iloc[:-1], resample="establishments")
