"""Synthetic trade calibrated to the real series: the cluster country's exports equal FAOSTAT's each year,
unit values and main markets follow the cited figures of the cluster file."""

import numpy as np
import pandas as pd
import pytest

from agrocluster.data import sources
from agrocluster.data.cluster import load_cluster, synthetic_spec
from agrocluster.data.synthetic_trade import calibrate_to_series
from agrocluster.errors import ParamsError
from agrocluster.params import resolve


def _flows():
    rows = []
    for year in (2019, 2020):
        for exporter in ("AAA", "BBB"):
            for importer, q in (("AAA", 4.0), ("BBB", 10.0), ("CCC", 30.0), ("DDD", 0.0)):
                if importer != exporter:
                    rows.append({"exporter": exporter, "importer": importer, "product": "0901", "year": year,
                                 "quantity": q, "value": 2.0 * q})
    return pd.DataFrame(rows)


def test_hand_case_sums_shares_and_world():
    flows = _flows()
    targets = pd.Series({2019: 100.0, 2020: 200.0})
    world = pd.Series({2019: 150.0, 2020: 240.0})
    out, truth = calibrate_to_series(flows, "AAA", targets, world_exports_t=world, destinations={"DDD": 0.25})
    own = out[out.exporter == "AAA"]
    assert own.groupby("year")["quantity"].sum().to_dict() == pytest.approx({2019: 100.0, 2020: 200.0})
    # DDD gets its cited quarter even though its synthetic flow was zero; BBB and CCC share the rest 10:30
    y = own[own.year == 2020].set_index("importer")["quantity"]
    assert y["DDD"] == pytest.approx(50.0)
    assert y["BBB"] == pytest.approx(150.0 * 10 / 40)
    assert y["CCC"] == pytest.approx(150.0 * 30 / 40)
    # values keep the flow's unit value (2 per tonne); DDD had none and takes the median of the country's
    assert (own["value"] / own["quantity"]).to_numpy() == pytest.approx(2.0)
    # other exporters: one factor a year so the world total matches
    assert out[out.year == 2019]["quantity"].sum() == pytest.approx(150.0)
    assert truth["years"][0]["other_exporters_factor"] == pytest.approx(50.0 / 34.0)   # BBB ships 4 + 30 + 0


def test_without_destinations_one_factor_keeps_the_pattern():
    flows = _flows()
    out, _ = calibrate_to_series(flows, "BBB", pd.Series({2019: 68.0, 2020: 68.0}))
    own = out[(out.exporter == "BBB") & (out.year == 2019)].set_index("importer")["quantity"]
    assert own.to_dict() == pytest.approx({"AAA": 8.0, "CCC": 60.0, "DDD": 0.0})


def test_bad_calibration_inputs_are_refused():
    flows = _flows()
    with pytest.raises(ParamsError, match="ZZZ"):
        calibrate_to_series(flows, "AAA", pd.Series({2019: 1.0, 2020: 1.0}), destinations={"ZZZ": 0.1})
    with pytest.raises(ParamsError, match="sum below 1"):
        calibrate_to_series(flows, "AAA", pd.Series({2019: 1.0, 2020: 1.0}), destinations={"BBB": 0.6, "CCC": 0.5})
    with pytest.raises(ParamsError, match="2020"):
        calibrate_to_series(flows, "AAA", pd.Series({2019: 1.0}))


@pytest.mark.parametrize("cluster_id", ["chile_wine", "nicaragua_dairy", "kenya_tea"])
def test_demo_exports_match_faostat_each_year(cluster_id):
    params = resolve(cluster_id).params
    flows = load_cluster(params, tables=["trade_flows"])["trade_flows"]
    own = flows[flows["exporter"] == params.country_iso3]
    synthetic = own.groupby("year")["quantity"].sum()
    real = sources.faostat_food_balances(countries=params.country_iso3, items=params.faostat_item_code)
    real = real.set_index("year")["exports"].reindex(synthetic.index) * 1000.0
    assert np.abs(synthetic / real - 1).max() < 0.01
    spec = synthetic_spec(params)
    unit = own["value"].sum() / own["quantity"].sum()
    assert unit == pytest.approx(spec.trade_unit_value, rel=0.25)
    by_market = own.groupby("importer")["quantity"].sum()
    assert by_market.idxmax() == spec.trade_destinations[0]
    share = by_market / by_market.sum()
    for market, cited in zip(spec.trade_destinations, spec.trade_destination_shares):
        assert share[market] == pytest.approx(cited, abs=1e-6)
    world = sources.world_totals(params.faostat_item_code).set_index("year")["exports"] * 1000.0
    totals = flows.groupby("year")["quantity"].sum()
    assert np.abs(totals / world.reindex(totals.index) - 1).max() < 0.01


def test_uncalibrated_flows_do_not_match():
    """The check above can fail: the generator alone does not follow FAOSTAT year by year."""
    params = resolve("chile_wine", ["synthetic.trade_calibrate=false"]).params
    flows = load_cluster(params, tables=["trade_flows"])["trade_flows"]
    synthetic = flows[flows["exporter"] == "CHL"].groupby("year")["quantity"].sum()
    real = sources.faostat_food_balances(countries="CHL", items=2655).set_index("year")["exports"] * 1000.0
    assert np.abs(synthetic / real.reindex(synthetic.index) - 1).max() > 0.05


def test_every_demo_cluster_with_synthetic_trade_cites_its_unit_value_and_markets(project):
    """Nothing uncited in the params: a cluster generates trade flows only when its file sets a unit value
    and destinations with a source beside them; a cluster without them has no trade flows and says why."""
    import yaml

    from agrocluster import paths
    from tests.conftest import DEMO_CLUSTERS

    for cluster_id in DEMO_CLUSTERS:
        text = (paths.project_root() / "params" / "clusters" / f"{cluster_id}.yaml").read_text()
        assert "NOT CITED" not in text.upper(), cluster_id
        own = yaml.safe_load(text)
        params = resolve(cluster_id).params
        if params.table_source("trade_flows").source == "synthetic":
            assert {"trade_unit_value", "trade_destinations"} <= set(own["synthetic"]), cluster_id
        else:
            assert params.table_source("trade_flows").reason, cluster_id


def test_rice_has_no_trade_flows_and_its_export_steps_say_why():
    from agrocluster.workbooks import exports as workbook

    params = resolve("indonesia_rice").params
    data = load_cluster(params, tables=["trade_flows", "country_product"])
    assert not data.has("trade_flows")
    flows = workbook.trade_flows(data, params)
    assert "net importer of rice" in flows.message
    for step in (workbook.destinations(flows, params), workbook.value_rca(flows, params),
                 workbook.growth(flows, params)):
        assert step.message == flows.message
    with pytest.raises(ParamsError, match="reason"):
        resolve("chile_wine", ["data.trade_flows.reason=none given"])
