"""Firm exports consistent with the trade flows: the cluster sector's exports, summed per year, make the stated
share (``synthetic.export_share``) of the country's export value in the synthetic flows; one factor per year on
the exports column only, so who exports, and every other column, stay as generated."""

import numpy as np
import pandas as pd
import pytest

from agrocluster.data.cluster import load_cluster, synthetic_spec
from agrocluster.data.synthetic_output import calibrate_exports, flows_export_value, sector_exports
from agrocluster.errors import ParamsError
from agrocluster.params import resolve
from agrocluster.workbooks import exports as workbook


def _plants():
    return pd.DataFrame({"firm_id": list("abcabc"), "year": [2019] * 3 + [2020] * 3, "sector": list("SSTSST"),
                         "output": [10.0, 20.0, 5.0, 10.0, 20.0, 5.0], "exports": [2.0, 0.0, 1.0, 4.0, 2.0, 0.0]})


def test_hand_case_one_factor_a_year():
    # sector S exports 2 (2019) and 6 (2020); flows 40 and 30; share 0.1 -> targets 4 and 3 -> factors 2 and 0.5
    out, truth = calibrate_exports(_plants(), "S", pd.Series({2019: 40.0, 2020: 30.0}), share=0.1)
    assert [y["factor"] for y in truth["years"]] == pytest.approx([2.0, 0.5])
    assert sector_exports(out, "S").to_list() == pytest.approx([4.0, 3.0])
    assert out["exports"].to_list() == pytest.approx([4.0, 0.0, 2.0, 2.0, 1.0, 0.0])  # every sector, same year factor
    assert out["output"].equals(_plants()["output"])


def test_bad_inputs_are_refused():
    with pytest.raises(ParamsError, match="export_share"):
        calibrate_exports(_plants(), "S", pd.Series({2019: 40.0, 2020: 30.0}), share=0.0)
    with pytest.raises(ParamsError, match="2020"):
        calibrate_exports(_plants(), "S", pd.Series({2019: 40.0}), share=0.1)
    # share 0.5 of 40 in 2019 = 20 from 2 -> factor 10: plant a would export 20 of its output 10; at most
    # factor 5 (a's and c's exports / output are 0.2), i.e. a share of 0.25
    with pytest.raises(ParamsError, match="at most 0.2500"):
        calibrate_exports(_plants(), "S", pd.Series({2019: 40.0, 2020: 30.0}), share=0.5)


@pytest.fixture(scope="module")
def chile():
    params = resolve("chile_wine").params
    return params, load_cluster(params, tables=["establishments", "trade_flows"])


def test_demo_firm_exports_make_the_stated_share_each_year(chile):
    params, data = chile
    spec = synthetic_spec(params)
    assert spec.export_share and spec.export_share_source.startswith("assumption")
    firms = sector_exports(data["establishments"], params.cluster_sector)
    flows = flows_export_value(data["trade_flows"], params.country_iso3, params.hs_codes)
    assert np.allclose(firms / flows.loc[firms.index], spec.export_share, rtol=1e-9)
    assert (data["establishments"]["exports"] <= data["establishments"]["output"]).all()
    flows_step = workbook.trade_flows(data, params)
    step = workbook.firm_exports_vs_flows(flows_step, data, params)
    assert step.computed and step.inputs == ("establishments", "trade_flows")
    assert np.allclose(step.table["ratio_to_stated_share"], 1.0) and "assumption" in step.reading


def test_only_the_exports_column_moves(chile):
    _params, data = chile
    raw = load_cluster(resolve("chile_wine", ["synthetic.export_share=null"]).params,
                       tables=["establishments"])["establishments"]
    est = data["establishments"]
    assert (raw["exports"] > 0).equals(est["exports"] > 0)                 # who exports: as generated
    for column in ("output", "value_added", "capital", "labour", "export_destinations"):
        assert est[column].equals(raw[column])
    factor = (est["exports"] / raw["exports"]).groupby(est["year"]).agg(["min", "max"])
    assert np.allclose(factor["min"], factor["max"])                       # one factor a year
    assert not np.allclose(factor["min"], 1.0, atol=0.05)                   # the check can fail: it did move


def test_a_world_too_small_for_the_share_keeps_its_exports_and_the_page_says_why():
    params = resolve("chile_wine", ["synthetic.n_firms=600"]).params      # a year without a sector exporter
    data = load_cluster(params, tables=["establishments", "trade_flows"])
    calibration = data.truth["firm_exports"]["calibration"]
    assert calibration["applied"] is False and "exports" in calibration["reason"]
    step = workbook.firm_exports_vs_flows(workbook.trade_flows(data, params), data, params)
    assert step.computed and "NOT scaled" in step.reading and calibration["reason"] in step.reading
