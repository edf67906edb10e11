"""Library pieces added for the export-links workbook (04): missing FAOSTAT quantities in world shares,
the RCA sample, the FAOSTAT item basket and the probit average marginal effect of membership."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agrocluster.errors import DataContractError
from agrocluster.exports.markets import (
    comparative_advantage,
    country_profile,
    export_orientation,
    import_dependence,
    rca_sample,
    world_market_share,
)


@pytest.fixture
def cp_missing():
    # SGP re-exports wine without a production figure (as in FAOSTAT); ARG has no export figure in 2001
    return pd.DataFrame(
        {
            "country": ["CHL", "ARG", "SGP", "CHL", "ARG", "SGP"],
            "item": "2655",
            "year": [2000, 2000, 2000, 2001, 2001, 2001],
            "production": [40.0, 60.0, np.nan, 50.0, 50.0, np.nan],
            "exports": [20.0, 10.0, 10.0, 30.0, np.nan, 10.0],
            "imports": [1.0, 2.0, 12.0, 1.0, 2.0, 12.0],
        }
    )


def test_missing_quantities_raise_by_default(cp_missing):
    with pytest.raises(DataContractError, match="'exports' is missing in row 4"):
        world_market_share(cp_missing)
    with pytest.raises(DataContractError, match="missing="):
        world_market_share(cp_missing, missing="ignore")


def test_world_share_excludes_missing_from_totals_only(cp_missing):
    ws = world_market_share(cp_missing, missing="exclude").set_index(["country", "year"])
    # re-exporter without production still counts in world exports: 20 / (20 + 10 + 10)
    assert ws.loc[("CHL", 2000), "export_share"] == pytest.approx(0.5)
    assert ws.loc[("SGP", 2000), "export_share"] == pytest.approx(0.25)
    assert np.isnan(ws.loc[("SGP", 2000), "production_share"])
    assert ws.loc[("CHL", 2000), "production_share"] == pytest.approx(0.4)
    # ARG's missing 2001 exports: left out of the world total, its share NaN (not zero)
    assert ws.loc[("CHL", 2001), "world_exports"] == pytest.approx(40.0)
    assert ws.loc[("CHL", 2001), "export_share"] == pytest.approx(0.75)
    assert np.isnan(ws.loc[("ARG", 2001), "export_share"])
    assert ws.loc[("ARG", 2001), "production_share"] == pytest.approx(0.5)
    # the same rows with the missing ones dropped would have understated world exports in 2000
    dropped = world_market_share(cp_missing.dropna(), missing="raise").set_index(["country", "year"])
    assert dropped.loc[("CHL", 2000), "export_share"] == pytest.approx(20 / 30)


def test_orientation_and_dependence_nan_where_missing(cp_missing):
    eo = export_orientation(cp_missing, missing="exclude").set_index(["country", "year"])
    assert eo.loc[("CHL", 2001), "export_orientation"] == pytest.approx(0.6)
    assert np.isnan(eo.loc[("SGP", 2000), "export_orientation"])
    assert np.isnan(eo.loc[("ARG", 2001), "export_orientation"])
    dep = import_dependence(cp_missing, missing="exclude").set_index(["country", "year"])
    assert dep.loc[("CHL", 2000), "import_dependence"] == pytest.approx(1.0 / 21.0)
    assert np.isnan(dep.loc[("SGP", 2000), "import_dependence"])  # computed supply needs production


def test_import_dependence_accepts_negative_given_domestic_supply(cp_missing):
    # FAOSTAT: domestic supply is negative when stocks are drawn down (coffee, Viet Nam, 2010-2017)
    cp = cp_missing.dropna().assign(domestic_supply=[-5.0, 50.0, 40.0])
    dep = import_dependence(cp).set_index(["country", "year"])
    assert np.isnan(dep.loc[("CHL", 2000), "import_dependence"])
    assert dep.loc[("CHL", 2000), "domestic_supply_basis"] == "given"
    assert dep.loc[("ARG", 2000), "import_dependence"] == pytest.approx(2.0 / 50.0)
    with pytest.raises(DataContractError, match="'imports' must be >= 0"):
        import_dependence(cp.assign(imports=-1.0))


def test_rca_sample_keeps_defined_rows_and_counts_the_rest():
    df = pd.DataFrame(
        {
            "country": ["A", "A", "A", "B", "B", "B", "C", "C", "C"],
            "item": ["x", "y", "z"] * 3,
            "year": 2020,
            "exports": [10.0, 5.0, 0.0, np.nan, 4.0, 0.0, 0.0, 0.0, np.nan],
        }
    )
    kept, excluded = rca_sample(df, exporter="country", product="item", value="exports")
    counts = dict(zip(excluded["reason"], excluded["n_rows"]))
    assert counts == {
        "exports missing": 2,
        "country with zero total exports in the year": 2,  # C's known rows are all zero
        "item that no country exports in the year": 2,  # z (A and B report zero)
    }
    assert sorted(zip(kept["country"], kept["item"])) == [("A", "x"), ("A", "y"), ("B", "y")]
    # on the kept rows the Balassa RCA is defined and equals the hand computation
    rca = comparative_advantage(kept, "country", "item", "exports", basis="quantity", known_codes=["A", "B", "C"]).set_index(["country", "item"])["rca"]
    assert rca[("A", "x")] == pytest.approx((10 / 15) / (10 / 19))
    assert rca[("B", "y")] == pytest.approx((4 / 4) / (9 / 19))


def test_rca_sample_without_year_and_bad_input():
    df = pd.DataFrame({"exporter": ["A", "B"], "product": ["x", "x"], "value": [1.0, 0.0]})
    kept, excluded = rca_sample(df, year=None)
    assert list(kept["exporter"]) == ["A"] and excluded["n_rows"].sum() == 1
    with pytest.raises(DataContractError, match="column"):
        rca_sample(df.drop(columns="value"), year=None)
    with pytest.raises(DataContractError, match="numeric"):
        rca_sample(df.assign(value=["1", "0"]), year=None)


def test_faostat_basket_has_no_group_totals():
    from agrocluster.data import sources

    items = sources.faostat_items()
    basket = set(sources.faostat_basket_items())
    groups = set(items.loc[items["is_aggregate"], "item"])
    assert {
        "2905",
        "2924",
        "2960",
        "2903",
        "2941",
    } <= groups  # cereals, alcoholic beverages, fish; origin totals
    assert {"2655", "2620", "2630", "2635", "2807"} <= basket  # the demo clusters' items
    assert {"2948", "2949"} <= basket  # milk and eggs: group codes without member items in the file
    assert not basket & groups
    # summing the basket does not double-count: every group total equals the sum of its member items
    fbs = sources.faostat_food_balances(years=2019)
    cereals = items.loc[(items["item_group"] == "Cereals - Excluding Beer") & ~items["is_aggregate"], "item"]
    total = fbs.loc[fbs["item"] == "2905", "exports"].sum()
    assert fbs.loc[fbs["item"].isin(cereals), "exports"].sum() == pytest.approx(total, rel=1e-3)


def test_probit_dummy_ame_matches_statsmodels_margins():
    from statsmodels.discrete.discrete_model import Probit

    from agrocluster.exports.firms import _probit_dummy_ame

    rng = np.random.default_rng(11)
    n = 2000
    cell = rng.integers(0, 6, n)
    member = (rng.uniform(size=n) < 0.35).astype(float)
    y = (0.4 * member + 0.3 * cell / 6 - 0.3 + rng.normal(size=n) > 0).astype(float)
    X = pd.concat(
        [
            pd.DataFrame({"member": member}),
            pd.get_dummies(pd.Series(cell).astype(str), prefix="c", dtype=float),
        ],
        axis=1,
    )
    res = Probit(y, X).fit(disp=0, method="newton")
    ref = res.get_margeff(at="overall", dummy=True).summary_frame().loc["member"]
    ame, se, p = _probit_dummy_ame(res, X, "member")
    assert ame == pytest.approx(ref["dy/dx"], abs=1e-12)
    assert se == pytest.approx(ref["Std. Err."], rel=1e-8)
    assert p == pytest.approx(ref["Pr(>|z|)"], rel=1e-6)


def test_growth_decomposition_no_negative_zero_when_no_market_is_lost():
    from agrocluster.exports.markets import growth_decomposition

    flows = pd.DataFrame(
        {"exporter": "CHL", "importer": "USA", "product": "2204", "year": [2019, 2020], "value": [1.0, 2.0]}
    )
    g = growth_decomposition(flows, "CHL", 2019, 2020)
    assert g.lost_markets == 0.0 and np.copysign(1.0, g.lost_markets) == 1.0


def test_country_profile_joins_the_indicators_of_one_country(cp_missing):
    prof = country_profile(cp_missing, "CHL", years=[2001], missing="exclude")
    assert len(prof) == 1
    row = prof.iloc[0]
    assert row["year"] == 2001 and row["exports"] == 30.0 and row["imports"] == 1.0
    assert row["export_share"] == pytest.approx(0.75)  # world total over all countries passed, ARG missing
    assert row["production_share"] == pytest.approx(0.5)
    assert row["export_orientation"] == pytest.approx(0.6)
    assert row["import_dependence"] == pytest.approx(1.0 / 21.0)
    assert country_profile(cp_missing, "PER", missing="exclude").empty
