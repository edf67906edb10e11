"""Tests of agrocluster.exports.markets: shares, orientation, RCA, competitors, destinations, margins, risk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agrocluster.errors import DataContractError, EstimationError
from agrocluster.exports.markets import (
    comparative_advantage,
    competitor_table,
    destination_structure,
    export_orientation,
    export_risk,
    growth_decomposition,
    hummels_klenow,
    import_dependence,
    stress_scenario,
    unit_values,
    world_market_share,
)
from agrocluster.exports.product_space import revealed_comparative_advantage


def _flows(rows, year=2020):
    df = pd.DataFrame(rows, columns=["exporter", "importer", "product", "value"])
    df["year"] = year
    return df


@pytest.fixture
def cp():
    # wine (2655), thousand tonnes; two countries, two years
    return pd.DataFrame(
        {
            "country": ["CHL", "ARG", "CHL", "ARG"],
            "item": "2655",
            "year": [2000, 2000, 2001, 2001],
            "production": [40.0, 60.0, 50.0, 50.0],
            "exports": [10.0, 30.0, 20.0, 20.0],
            "imports": [1.0, 2.0, 3.0, 4.0],
        }
    )


def test_world_market_share_by_hand(cp):
    t = world_market_share(cp).set_index(["country", "year"])
    # 2000: CHL 10 / 40 of exports, 40 / 100 of production; 2001: 20 / 40, 50 / 100
    assert t.loc[("CHL", 2000), "export_share"] == pytest.approx(0.25)
    assert t.loc[("ARG", 2000), "export_share"] == pytest.approx(0.75)
    assert t.loc[("CHL", 2001), "export_share"] == pytest.approx(0.5)
    assert t.loc[("CHL", 2000), "production_share"] == pytest.approx(0.4)
    assert t.loc[("CHL", 2001), "d_export_share"] == pytest.approx(0.25)
    assert t.loc[("ARG", 2001), "export_share_change_since_start"] == pytest.approx(-0.25)
    assert t.loc[("ARG", 2001), "d_production_share"] == pytest.approx(-0.1)
    assert np.isnan(t.loc[("CHL", 2000), "d_export_share"])


def test_orientation_and_import_dependence_by_hand(cp):
    o = export_orientation(cp).set_index(["country", "year"])["export_orientation"]
    assert o[("CHL", 2000)] == pytest.approx(10 / 40)
    assert o[("ARG", 2001)] == pytest.approx(20 / 50)
    zero = cp.assign(production=[0.0, 60.0, 50.0, 50.0])
    assert np.isnan(export_orientation(zero)["export_orientation"].iloc[0])
    d = import_dependence(cp).set_index(["country", "year"])
    # domestic supply computed: 40 + 1 - 10 = 31
    assert d.loc[("CHL", 2000), "domestic_supply"] == pytest.approx(31.0)
    assert d.loc[("CHL", 2000), "import_dependence"] == pytest.approx(1 / 31)
    assert d.loc[("CHL", 2000), "domestic_supply_basis"] == "computed"
    given = import_dependence(cp.assign(domestic_supply=[20.0, np.nan, 30.0, 40.0])).set_index(["country", "year"])
    assert given.loc[("CHL", 2000), "import_dependence"] == pytest.approx(1 / 20)
    assert given.loc[("CHL", 2000), "domestic_supply_basis"] == "given"
    assert given.loc[("ARG", 2000), "domestic_supply_basis"] == "computed"


def test_rca_value_and_quantity_bases(cp):
    flows = _flows(
        [("CHL", "USA", "p1", 10.0), ("CHL", "CHN", "p2", 20.0), ("CHL", "GBR", "p2", 10.0),
         ("ARG", "USA", "p1", 50.0), ("ARG", "USA", "p2", 100.0)]
    )
    r = comparative_advantage(flows).set_index(["exporter", "product"])
    # by hand: CHL p2 share 30/40 over world p2 share 130/190
    assert r.loc[("CHL", "p2"), "rca"] == pytest.approx((30 / 40) / (130 / 190))
    assert set(r["basis"]) == {"value"}
    summed = flows.groupby(["exporter", "product", "year"], as_index=False)["value"].sum()
    ref = revealed_comparative_advantage(summed, "exporter", "product", "value", "year")
    np.testing.assert_allclose(r["rca"].to_numpy(), ref["rca"].to_numpy())
    two_items = pd.concat([cp, cp.assign(item="2620", exports=[5.0, 5.0, 5.0, 5.0])], ignore_index=True)
    q = comparative_advantage(two_items, "country", "item", "exports", basis="quantity")
    assert set(q["basis"]) == {"quantity"}
    row = q.set_index(["country", "item", "year"]).loc[("CHL", "2655", 2000)]
    assert row["rca"] == pytest.approx((10 / 15) / (40 / 50))


def test_competitor_table_by_hand():
    rows = []
    for y, vals in ((2010, {"CHL": 100.0, "FRA": 300.0, "ESP": 0.0}), (2020, {"CHL": 200.0, "FRA": 400.0, "ESP": 100.0})):
        for c, v in vals.items():
            rows.append((c, "USA", "2204", v, y))
    flows = pd.DataFrame(rows, columns=["exporter", "importer", "product", "value", "year"])
    res = competitor_table(flows, "2204", 2020, 2010, top=2)
    t = res.table()
    assert t["exporter"].tolist() == ["FRA", "CHL"]
    assert t["share"].tolist() == pytest.approx([400 / 700, 200 / 700])
    assert t.loc[1, "cagr"] == pytest.approx(2 ** 0.1 - 1)
    assert t.loc[1, "share_change"] == pytest.approx(200 / 700 - 100 / 400)
    assert res.n_exporters == 3 and res.world_cagr == pytest.approx((700 / 400) ** 0.1 - 1)
    new = competitor_table(flows, "2204", 2020, 2010, top=3).table().set_index("exporter")
    assert bool(new.loc["ESP", "new_exporter"]) and np.isnan(new.loc["ESP", "cagr"])
    with pytest.raises(EstimationError, match=r"product '0901' has no exporters"):
        competitor_table(flows, "0901", 2020, 2010)


def test_destination_structure_hhi_by_hand():
    f = _flows([("CHL", "USA", "2204", 50.0), ("CHL", "CHN", "2204", 30.0), ("CHL", "GBR", "2204", 20.0),
                ("CHL", "JPN", "2204", 0.0), ("ARG", "USA", "2204", 10.0)])
    d = destination_structure(f, "CHL", 2020)
    assert d.n_markets == 3  # JPN has a zero flow: not a market
    assert d.hhi == pytest.approx(0.5**2 + 0.3**2 + 0.2**2)
    assert d.top_market == "USA" and d.top_market_share == pytest.approx(0.5)
    assert d.table()["cumulative_share"].iloc[-1] == pytest.approx(1.0)


def test_hummels_klenow_two_country_example_by_hand():
    # exporter CHL vs reference ARG over products p1, p2, p3 (one importer):
    # X_CHL = (10, 30, 0), X_ARG = (50, 100, 50). CHL exports p1, p2.
    # EM = (50 + 100) / 200 = 0.75; IM = 40 / 150; EM * IM = 40 / 200.
    # count: n_CHL / n_ARG = 2 / 3; (40 / 2) / (200 / 3) = 0.3.
    f = _flows([("CHL", "USA", "p1", 10.0), ("CHL", "USA", "p2", 30.0), ("CHL", "USA", "p3", 0.0),
                ("ARG", "USA", "p1", 50.0), ("ARG", "USA", "p2", 100.0), ("ARG", "USA", "p3", 50.0)])
    m = hummels_klenow(f, "CHL", 2020, reference="ARG", categories=("product",))
    assert m.extensive == pytest.approx(0.75)
    assert m.intensive == pytest.approx(40 / 150)
    assert m.extensive * m.intensive == pytest.approx(m.relative_exports)
    assert m.relative_exports == pytest.approx(0.2)
    assert m.count_extensive == pytest.approx(2 / 3)
    assert m.count_intensive == pytest.approx(0.3)
    # with two exporters, the rest of the world is ARG
    assert hummels_klenow(f, "CHL", 2020, categories=("product",)).extensive == pytest.approx(0.75)
    # markets as categories: one market, served by both -> EM = 1, IM = 40 / 200
    mk = hummels_klenow(f, "CHL", 2020, reference="ARG", categories=("importer",))
    assert (mk.extensive, mk.intensive) == pytest.approx((1.0, 0.2))


def test_hummels_klenow_identity_on_random_data():
    rng = np.random.default_rng(11)
    exporters = ["CHL", "ARG", "BRA", "PER"]
    rows = [(e, i, p, float(rng.exponential(10)) * (rng.random() < 0.6))
            for e in exporters for i in ["USA", "CHN", "DEU"] for p in ["a", "b", "c", "d"]]
    f = _flows(rows)
    for e in exporters:
        m = hummels_klenow(f, e, 2020)
        assert 0 < m.extensive <= 1
        assert m.extensive * m.intensive == pytest.approx(m.relative_exports)
        assert m.count_extensive * m.count_intensive == pytest.approx(m.relative_exports)


def test_unit_values_relative_to_world_median_and_exclusions():
    f = _flows([("CHL", "USA", "p1", 100.0), ("ARG", "USA", "p1", 60.0), ("PER", "USA", "p1", 40.0),
                ("CHL", "CHN", "p1", 50.0), ("ARG", "CHN", "p1", 30.0)])
    f["quantity"] = [10.0, 10.0, 10.0, np.nan, 0.0]
    res = unit_values(f)
    t = res.table().set_index("exporter")
    # unit values 10, 6, 4 -> median 6
    assert t["unit_value"].to_dict() == pytest.approx({"CHL": 10.0, "ARG": 6.0, "PER": 4.0})
    assert t.loc["CHL", "relative_unit_value"] == pytest.approx(10 / 6)
    assert res.excluded.set_index("reason")["n"].to_dict() == {"quantity missing": 1, "quantity zero": 1}
    assert res.n_rows_used == 3


def test_growth_decomposition_by_hand():
    f = pd.concat([
        _flows([("CHL", "USA", "x", 100.0), ("CHL", "CHN", "x", 50.0), ("CHL", "GBR", "x", 30.0)], 2015),
        _flows([("CHL", "USA", "x", 120.0), ("CHL", "CHN", "x", 0.0), ("CHL", "JPN", "x", 40.0),
                ("CHL", "GBR", "x", 30.0)], 2020),
    ])
    g = growth_decomposition(f, "CHL", 2015, 2020)
    assert (g.new_markets, g.lost_markets, g.continuing) == (40.0, -50.0, 20.0)
    assert g.change == pytest.approx(10.0) and g.growth_rate == pytest.approx(10 / 180)
    assert (g.n_new, g.n_lost, g.n_continuing) == (1, 1, 2)
    t = g.table().set_index("component")
    assert t.loc["new_markets", "contribution_to_growth"] == pytest.approx(40 / 180)
    assert t.loc["total", "share_of_change"] == pytest.approx(1.0)


def test_risk_and_stress_scenario_by_hand():
    f = _flows([("CHL", "USA", "wine", 40.0), ("CHL", "USA", "grapes", 10.0), ("CHL", "CHN", "wine", 30.0),
                ("CHL", "GBR", "wine", 20.0)])
    r = export_risk(f, "CHL", 2020, drop=0.2)
    assert r.top_market == "USA" and r.top_market_share == pytest.approx(0.5)
    assert r.top_product == "wine" and r.top_product_share == pytest.approx(0.9)
    assert r.market_hhi == pytest.approx(0.25 + 0.09 + 0.04)
    assert r.product_hhi == pytest.approx(0.81 + 0.01)
    assert r.max_exposure == pytest.approx(0.1)
    s = stress_scenario(f, "CHL", 2020, drop=0.4, employment_per_export=0.5)
    # loss = 0.4 * 50 = 20; jobs = 20 * 0.5
    assert (s.market, s.export_loss, s.exports_after, s.jobs_at_risk) == ("USA", 20.0, 80.0, 10.0)
    est = pd.DataFrame(
        {
            "firm_id": ["a", "b", "c", "d"],
            "year": 2020,
            "cluster_member": [True, True, False, True],
            "labour": [100.0, 50.0, 999.0, 10.0],
            "output": [200.0, 100.0, 10.0, 0.0],
            "exports": [100.0, 100.0, 10.0, 5.0],
        }
    )
    e = stress_scenario(f, "CHL", 2020, drop=0.4, establishments=est)
    # every member loses 20/100 of its exports: 100 * 0.5 * 0.2 + 50 * 1.0 * 0.2 = 20 jobs; c is not a
    # member; d has zero output and is excluded (counted)
    assert e.jobs_at_risk == pytest.approx(20.0)
    assert e.employment_before == pytest.approx(150.0)
    assert e.excluded.set_index("reason")["n"]["output zero"] == 1
    assert any("proportion to output" in a for a in e.assumptions)


def test_bad_inputs_are_named():
    f = _flows([("CHL", "USA", "x", 10.0), ("CHL", "CHN", "x", -3.0)])
    with pytest.raises(DataContractError, match=r"negative in row 1 .*importer='CHN'"):
        destination_structure(f, "CHL", 2020)
    bad_code = _flows([("CHL", "USA", "x", 10.0), ("XXX", "WLD", "x", 3.0)])
    with pytest.raises(DataContractError, match=r"unknown country code\(s\) in 'exporter': \['XXX'\]"):
        destination_structure(bad_code, "CHL", 2020)
    assert destination_structure(bad_code, "CHL", 2020, known_codes=["CHL", "USA", "XXX", "WLD"]).n_markets == 1
    zero = _flows([("CHL", "USA", "x", 0.0), ("CHL", "CHN", "x", 0.0), ("ARG", "USA", "x", 5.0)])
    with pytest.raises(EstimationError, match="all flows of exporter 'CHL' in 2020 are zero"):
        destination_structure(zero, "CHL", 2020)
    with pytest.raises(EstimationError, match="all flows of exporter 'CHL'"):
        hummels_klenow(zero, "CHL", 2020)
    cp = pd.DataFrame({"country": ["CHL", "ARG"], "item": "2655", "year": 2000, "production": [1.0, 2.0],
                       "exports": [0.0, 0.0]})
    with pytest.raises(EstimationError, match=r"zero world exports .*no exporters"):
        world_market_share(cp)
    with pytest.raises(DataContractError, match=r"'exports' must be >= 0; negative in row 0"):
        export_orientation(cp.assign(exports=[-1.0, 0.0]))
    with pytest.raises(DataContractError, match=r"column\(s\) \['imports'\] not found"):
        import_dependence(cp)


def test_comparative_advantage_is_the_public_rca_on_summed_rows():
    """The alias takes the public function's argument order and gives its numbers, with or without years."""
    rows = pd.DataFrame(
        {"c": ["CHL", "CHL", "CHL", "ARG"], "p": ["a", "a", "b", "b"], "x": [1.0, 2.0, 3.0, 4.0]}
    )
    alias = comparative_advantage(rows, "c", "p", "x", None, basis="quantity")
    summed = rows.groupby(["c", "p"], as_index=False)["x"].sum()
    public = revealed_comparative_advantage(summed, "c", "p", "x")
    np.testing.assert_allclose(alias["rca"].to_numpy(), public["rca"].to_numpy())
    # CHL a: (3 / 6) / (3 / 10)
    assert alias.set_index(["c", "p"]).loc[("CHL", "a"), "rca"] == pytest.approx((3 / 6) / (3 / 10))
    assert set(alias["basis"]) == {"quantity"}
    with pytest.raises(DataContractError, match="basis"):
        comparative_advantage(rows, "c", "p", "x", None, basis="tonnes")
