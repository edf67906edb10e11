"""Workbook 04 (export links): the decisions of lib/agrocluster/workbooks/exports.py.

Hand cases for each decision (not computed and why, the reading sentences, the numbers a step returns),
and one run of every step on the chile_wine demo data against the numbers its report recorded.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import agrocluster.params
from agrocluster.data.cluster import ClusterData, TableInfo, load_cluster
from agrocluster.sections import Section
from agrocluster.workbooks import exports as workbook


@pytest.fixture(scope="module")
def params():
    return agrocluster.params.load("chile_wine", {})


def _data(params, synthetic=(), truth=None, **tables):
    info = {
        name: TableInfo(
            name, "synthetic" if name in synthetic else "file", f"hand {name}", "0" * 64, len(frame)
        )
        for name, frame in tables.items()
    }
    return ClusterData(params, dict(tables), info, truth or {})


def _food_balances(chile_exports):
    """Two countries and one other item, 2010 and 2020: CHL exports ``chile_exports`` of wine in 2020."""
    rows = []
    for year, chl in ((2010, 10.0), (2020, chile_exports)):
        for country, wine, other in (("CHL", chl, 5.0), ("FRA", 90.0, 50.0)):
            rows.append((country, "2655", year, 100.0, 1.0, wine, "Wine", 50.0, 1, country))
            rows.append((country, "2511", year, 100.0, 1.0, other, "Wheat", 50.0, 1, country))
    return pd.DataFrame(
        rows,
        columns=[
            "country",
            "item",
            "year",
            "production",
            "imports",
            "exports",
            "item_name",
            "domestic_supply",
            "area_code",
            "area_name",
        ],
    ).astype({"country": "string", "item": "string", "item_name": "string", "area_name": "string"})


def _flows(values):
    """CHL's flows of HS 2204 in 2020 to the given importers (values in thousand USD)."""
    return pd.DataFrame(
        {
            "exporter": "CHL",
            "importer": list(values),
            "product": "2204",
            "year": 2020,
            "value": list(values.values()),
            "quantity": 1.0,
        }
    ).astype({"exporter": "string", "importer": "string", "product": "string"})


# ----------------------------------------------------------------------------------------- hand cases


def test_world_market_hand_case(params):
    hand = params.model_copy(update={"exports": params.exports.model_copy(update={"base_year": 2010})})
    market = workbook.world_market(_data(hand, country_product=_food_balances(30.0)), hand)
    assert market.computed
    # 2020: 30 / (30 + 90) = 25 %; 2010: 10 / 100 = 10 % -> +15 pp; orientation 30 / 100
    assert market.result.export_share == pytest.approx(25.0)
    assert market.result.share_change == pytest.approx(15.0)
    assert market.result.orientation == pytest.approx(0.3)
    assert (market.result.base, market.result.latest) == (2010, 2020)
    assert (
        "25% of world exports in 2020 (+15 pp since 2010) and exported 0.3 times its production"
        in market.reading
    )
    assert any("2010-2013 overlap" in note for note in market.notes)  # the window starts inside the overlap
    assert list(market.table["year"]) == ["2010", "2020"]


def test_world_market_not_computed_without_an_export_figure(params):
    balances = _food_balances(30.0)
    balances.loc[balances["country"] == "CHL", "exports"] = np.nan
    data = _data(params, country_product=balances)
    market = workbook.world_market(data, params)
    assert not market.computed and "export quantity of Wine (FAOSTAT item 2655) for CHL" in market.message
    assert market.result.export_share is None and market.result.latest is None
    # the missing exports are still counted as excluded, and the later steps say what they need
    assert (
        market.excluded.set_index("reason").loc[
            "Wine: exports missing (left out of world exports totals)", "rows"
        ]
        == 2
    )
    assert not workbook.world_check(market).computed
    assert not workbook.competitors(data, params, market).computed
    rca = workbook.quantity_rca(data, params, market)
    assert not rca.computed and rca.result.rca is None
    assert workbook.market_trends_figure(market, params) is None and workbook.rca_figure(rca, params) is None
    assert workbook.product_space_figure(workbook.product_space_position(data, params, rca), params) is None


def test_trade_flows_not_computed_without_table_or_positive_flows(params):
    no_table = workbook.trade_flows(_data(params), params)
    assert not no_table.computed and no_table.reason == "needs a trade_flows table"
    zero = _flows({"USA": 0.0, "GBR": 0.0})
    other = _flows({"USA": 5.0}).assign(product="0000")
    flows = workbook.trade_flows(
        _data(params, trade_flows=pd.concat([zero, other], ignore_index=True)), params
    )
    assert not flows.computed and "positive trade flows of CHL in HS 2204" in flows.message
    assert flows.excluded.loc[0, "rows"] == 1  # the other product, counted
    for step in (
        workbook.destinations(flows, params),
        workbook.growth(flows, params),
        workbook.gravity(flows, _data(params), params.exports.gravity_formula),
    ):
        assert not step.computed
    risk = workbook.export_risk(flows, workbook.export_premium(_data(params)), params, drop=0.5)
    assert not risk.computed and workbook.stress_figure(risk) is None


def test_destinations_and_risk_use_the_results_own_summaries(params):
    data = _data(
        params, synthetic=("trade_flows",), trade_flows=_flows({"USA": 60.0, "GBR": 30.0, "JPN": 10.0})
    )
    flows = workbook.trade_flows(data, params)
    assert (
        flows.computed and flows.result.kind == "SYNTHETIC" and flows.result.note == "synthetic trade flows"
    )
    destinations = workbook.destinations(flows, params)
    summary = destinations.table.set_index("indicator")["value"]
    assert summary["n_markets"] == 3 and summary["top_market"] == "USA"
    assert summary["hhi"] == pytest.approx(0.6**2 + 0.3**2 + 0.1**2)
    assert "USA, took 60.0%" in destinations.reading
    risk = workbook.export_risk(flows, workbook.export_premium(data), params, drop=0.5)
    table = risk.table.set_index("indicator")["value"]
    assert table["export_loss_share"] == pytest.approx(0.3) and table["max_exposure"] == pytest.approx(0.3)
    assert table["drop"] == 0.5 and table.index.is_unique
    assert "jobs at risk are not estimated" in risk.reading
    growth = workbook.growth(flows, params)  # one year only
    assert not growth.computed and "two years or more" in growth.message
    value_rca = workbook.value_rca(flows, params)
    assert not value_rca.computed and "1 for every exporter by construction" in value_rca.message


def test_export_premium_not_computed_names_missing_columns(params):
    farms = pd.DataFrame({"firm_id": ["a"], "year": [2020], "output": [1.0], "sector": ["rice"]})
    data = _data(params, synthetic=("firm_links",), establishments=farms, firm_links=pd.DataFrame())
    premium = workbook.export_premium(data)
    assert not premium.computed
    assert "cluster_member, exports in the establishments table (hand establishments)" in premium.message
    assert any("synthetic firm links join synthetic firms" in note for note in premium.notes)
    network = workbook.firm_network(data, params, premium)
    assert not network.computed and network.result.inside_share is None
    assert workbook.network_figure(network, params) is None
    for step in (
        workbook.export_rates(premium),
        workbook.network_summary(network),
        workbook.network_brokers(network),
        workbook.inside_share_check(network),
    ):
        assert isinstance(step, Section) and not step.computed


@pytest.mark.parametrize(
    ("effect", "se", "p_value", "expected"),
    [
        (0.05, 0.01, 0.001, "Cluster members are 5.0 percentage points (SE 1.0) more likely to export"),
        (-0.08, 0.02, 0.01, "Cluster members are 8.0 percentage points (SE 2.0) less likely to export"),
        (0.02, 0.03, 0.5, "not significantly (5% level) more or less likely to export"),
    ],
)
def test_effect_reading(effect, se, p_value, expected):
    assert expected in workbook.effect_reading(effect, se, p_value)


def test_true_gravity_only_for_synthetic_flows(params):
    truth = {"trade": {"beta_ln_distance": -1.0, "beta_contiguity": 0.5, "beta_rta": 0.4}}
    flows = _flows({"USA": 1.0})
    assert workbook.true_gravity(
        _data(params, synthetic=("trade_flows",), truth=truth, trade_flows=flows)
    ) == {"ln_distance": -1.0, "contiguity": 0.5, "rta": 0.4}
    assert workbook.true_gravity(_data(params, truth=truth, trade_flows=flows)) == {}


def test_load_exclusions_and_headline_table(params):
    info = TableInfo(
        "trade_flows",
        "file",
        "f.csv",
        "0" * 64,
        3,
        excluded=pd.DataFrame({"reason": ["negative value"], "n_rows": [2]}),
    )
    data = ClusterData(params, {"trade_flows": _flows({"USA": 1.0})}, {"trade_flows": info}, {})
    exclusions = workbook.load_exclusions(data)
    assert exclusions.excluded.to_dict("records") == [
        {"table": "trade_flows", "reason": "negative value", "rows": 2}
    ]
    headlines = {"rca": {"label": "RCA", "value": 1.5, "se": None, "unit": "index", "origin": "real", "note": None}}
    table = workbook.headline_table(headlines).table
    assert table.to_dict("records") == [
        {"label": "RCA", "value": "1.500", "se": "–", "origin": "real", "note": "", "key": "rca"}
    ]


# ------------------------------------------------------------------------------------------- demo data


@pytest.fixture(scope="module")
def demo(params):
    return load_cluster(params)


def test_every_step_on_the_chile_wine_demo(demo, params):
    """Every step on the chile_wine demo: the real FAOSTAT numbers the 04 report recorded before the workbook
    module took over its logic, and the synthetic ones against what the generator planted or cited."""
    market = workbook.world_market(demo, params)
    assert market.result.export_share == pytest.approx(7.801613494682802, rel=1e-9)
    assert market.result.share_change == pytest.approx(0.5926318125870758, rel=1e-9)
    assert market.result.orientation == pytest.approx(0.8230174081237911, rel=1e-9)
    assert (
        workbook.world_check(market).computed and len(workbook.competitors(demo, params, market).table) >= 10
    )
    rca = workbook.quantity_rca(demo, params, market)
    assert rca.result.rca == pytest.approx(13.593280683676165, rel=1e-9)
    assert "above 1" in rca.reading
    space = workbook.product_space_position(demo, params, rca)
    assert space.computed and len(space.table) == 10
    flows = workbook.trade_flows(demo, params)
    destinations = workbook.destinations(flows, params)
    cited = dict(zip(params.synthetic["trade_destinations"], params.synthetic["trade_destination_shares"]))
    assert destinations.result.top_market == "CHN"  # calibrated to the cited destination shares
    assert destinations.result.top_market_share == pytest.approx(cited["CHN"], abs=0.02)
    gravity = workbook.gravity(flows, demo, params.exports.gravity_formula)
    assert abs(gravity.result.rta - gravity.result.true_values["rta"]) < 3 * gravity.result.rta_se
    assert set(gravity.result.true_values) == {"ln_distance", "contiguity", "rta"}
    assert "true_value" in gravity.table and gravity.excluded["table"].eq("trade_flows").all()
    premium = workbook.export_premium(demo)
    assert np.isfinite(premium.result.effect) and premium.result.se > 0
    network = workbook.firm_network(demo, params, premium)
    assert 0 < network.result.inside_share < 1
    members = demo["establishments"].groupby("year")["cluster_member"].mean().mean()
    assert network.result.member_share == pytest.approx(members)
    units = workbook.unit_values_vs_cited(flows, demo, params)
    assert units.inputs == ("trade_flows", "country_product")
    assert units.table["cited_usd_per_kg"].eq(params.synthetic["trade_unit_value"]).all()
    assert (units.table["quantity_ratio_to_faostat"] - 1).abs().max() < 0.01      # the 1 %
    assert units.table["ratio_to_cited"].between(0.75, 1.33).all()
    assert params.synthetic["trade_unit_value_source"] in units.reading
    risk = workbook.export_risk(flows, premium, params, drop=params.exports.stress_drop)
    assert risk.result.stress.employment_basis == "establishments"
    figures = [
        workbook.market_trends_figure(market, params),
        workbook.rca_figure(rca, params),
        workbook.product_space_figure(space, params),
        workbook.destinations_figure(destinations, params),
        workbook.gravity_figure(gravity),
        workbook.network_figure(network, params),
        workbook.stress_figure(risk),
    ]
    assert all(fig is not None for fig in figures)


def test_value_rca_within_two_products_by_hand(params):
    two = params.model_copy(update={"hs_codes": ["2204", "2208"]})
    flows = pd.concat(
        [
            _flows({"USA": 30.0, "GBR": 10.0}),
            _flows({"USA": 10.0}).assign(product="2208"),
            _flows({"USA": 20.0}).assign(exporter="FRA"),
            _flows({"USA": 40.0}).assign(exporter="FRA", product="2208"),
        ],
        ignore_index=True,
    )
    step = workbook.value_rca(workbook.trade_flows(_data(two, trade_flows=flows), two), two)
    assert step.computed
    rca = step.table.set_index("product")["rca"]
    # CHL 2204: (40 / 50) / (60 / 110)
    assert rca["2204"] == pytest.approx((40 / 50) / (60 / 110))
    assert rca["2208"] == pytest.approx((10 / 50) / (50 / 110))


def test_gravity_by_product_on_a_duplicated_demo_product(demo, params):
    """The demo flows copied as a second HS product: the per-product fits both return the pooled estimate."""
    two = params.model_copy(update={"hs_codes": ["2204", "2205"]})
    flows = demo["trade_flows"]
    doubled = pd.concat([flows, flows.assign(product="2205")], ignore_index=True)
    data = ClusterData(two, {"trade_flows": doubled}, {"trade_flows": demo.info["trade_flows"]}, demo.truth)
    cluster_flows = workbook.trade_flows(data, two)
    assert cluster_flows.result.n_products == 2
    pooled = workbook.gravity(cluster_flows, data, two.exports.gravity_formula, fe_by_product=True)
    assert pooled.result.data["exp_year"].str.endswith(("_2204", "_2205")).all()
    by_product = workbook.gravity_by_product(pooled, cluster_flows, two.exports.gravity_formula)
    # no product failed: the only caveat is the PPML interval's measured coverage (a miss in the study)
    assert by_product.computed and set(by_product.notes) <= set(by_product.coverage)
    assert "[PPML, heteroskedasticity-robust]" in by_product.coverage[0]
    rta = by_product.table[by_product.table["term"] == "rta"].set_index("product")["estimate"]
    assert rta["2204"] == pytest.approx(rta["2205"], rel=1e-6)
    assert rta["2204"] == pytest.approx(pooled.result.rta, rel=1e-6)
    assert workbook.gravity_by_product_figure(by_product, pooled) is not None


def test_recorder_figure_of_a_step_not_computed_records_nothing(params, tmp_path):
    from agrocluster.record import Recorder

    rec = Recorder(params, "04_export_links", tmp_path)
    market = Section.not_computed(
        "World market share",
        needs="an export series",
        result=workbook.WorldMarket(item="2655", countries=set(), item_rows=pd.DataFrame()),
    )
    assert rec.figure("market-trends", workbook.market_trends_figure(market, params), "caption") is None
    assert rec.figures == [] and not (tmp_path / "figures").exists()


def test_gravity_without_an_rta_column_drops_the_term_and_names_the_column(demo, params):
    """A trade download has no trade-agreement column: the rta term leaves the formula (the section says which
    column would restore it), the other coefficients are still estimated; with no regressor left: not computed."""
    flows = demo["trade_flows"].drop(columns=["rta"])
    data = ClusterData(params, {"trade_flows": flows}, {"trade_flows": demo.info["trade_flows"]}, demo.truth)
    cluster_flows = workbook.trade_flows(data, params)
    grav = workbook.gravity(cluster_flows, data, params.exports.gravity_formula)
    assert grav.computed and grav.result.rta is None
    assert set(grav.table["term"]) == {"ln_distance", "contiguity"}
    assert any("the trade_flows table needs the column(s) rta" in note for note in grav.notes)
    assert "value ~ ln_distance + contiguity | exp_year + imp_year" in grav.reading
    full = workbook.gravity(workbook.trade_flows(demo, params), demo, params.exports.gravity_formula)
    assert grav.result.fit.coef["ln_distance"] != pytest.approx(full.result.fit.coef["ln_distance"], abs=1e-12)
    bare = flows.drop(columns=["distance", "contiguity"])
    data = ClusterData(params, {"trade_flows": bare}, {"trade_flows": demo.info["trade_flows"]}, demo.truth)
    none_left = workbook.gravity(workbook.trade_flows(data, params), data, params.exports.gravity_formula)
    assert not none_left.computed and none_left.message == (
        "Not computed: needs the trade_flows column(s) distance, contiguity, rta.")
    assert workbook.regressors_available("value ~ ln_distance + rta | exp_year", flows.assign(ln_distance=1.0, rta=pd.NA)) == (
        "value ~ ln_distance | exp_year", ["rta"])
