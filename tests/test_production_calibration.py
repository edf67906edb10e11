"""Synthetic production calibrated to the real series: the cluster sector's output, valued at the cited unit
value, makes the stated share of FAOSTAT's production over the panel's years; one factor, so nothing planted
moves."""

import numpy as np
import pandas as pd
import pytest

from agrocluster.data import sources
from agrocluster.data.cluster import load_cluster, synthetic_spec
from agrocluster.data.synthetic_output import MONEY_COLUMNS, calibrate_output, output_tonnes
from agrocluster.errors import ParamsError
from agrocluster.params import resolve


def _plants():
    return pd.DataFrame({"firm_id": list("abab"), "year": [2019, 2019, 2020, 2020], "sector": ["S", "T", "S", "T"],
                         "output": [10.0, 5.0, 30.0, 5.0], "value_added": [4.0, 2.0, 12.0, 2.0],
                         "exports": [1.0, 0.0, 3.0, 0.0], "labour": [2.0, 1.0, 2.0, 1.0]})


def test_hand_case_one_factor_for_every_money_column():
    # sector S: 40 thousand USD at 2 USD/kg = 20 t over two years; half of 100 t real -> factor 2.5
    out, truth = calibrate_output(_plants(), "S", pd.Series({2019: 60.0, 2020: 40.0}), unit_value=2.0, share=0.5)
    assert truth["factor"] == pytest.approx(2.5)
    assert output_tonnes(out, "S", 2.0).sum() == pytest.approx(50.0)
    for column in ("output", "value_added", "exports"):
        assert (out[column] / _plants()[column]).fillna(2.5).eq(2.5).all()
    assert out["labour"].equals(_plants()["labour"])        # not money: unchanged
    # yearly ratios: 2019 5 t x 2.5 = 12.5 t against 30 t; 2020 37.5 t against 20 t
    assert [y["ratio"] for y in truth["years"]] == pytest.approx([12.5 / 30, 37.5 / 20])


def test_bad_inputs_are_refused():
    with pytest.raises(ParamsError, match="production_share"):
        calibrate_output(_plants(), "S", pd.Series({2019: 1.0, 2020: 1.0}), 2.0, share=1.5)
    with pytest.raises(ParamsError, match="2020"):
        calibrate_output(_plants(), "S", pd.Series({2019: 1.0}), 2.0)
    with pytest.raises(ParamsError, match="no output in sector"):
        calibrate_output(_plants(), "X", pd.Series({2019: 1.0, 2020: 1.0}), 2.0)


@pytest.mark.parametrize("cluster_id", ["chile_wine", "kenya_tea"])
def test_demo_output_makes_the_stated_share_of_faostat(cluster_id):
    params = resolve(cluster_id).params
    spec = synthetic_spec(params)
    assert spec.production_share_source                      # the share is cited or labelled an assumption
    data = load_cluster(params, tables=["establishments"])
    tonnes = output_tonnes(data["establishments"], params.cluster_sector, spec.trade_unit_value)
    real = sources.faostat_food_balances(countries=params.country_iso3, items=params.faostat_item_code)
    real = real.set_index("year")["production"].reindex(tonnes.index) * 1000.0
    assert tonnes.sum() / real.sum() == pytest.approx(spec.production_share, rel=1e-9)
    assert np.abs(tonnes / (spec.production_share * real) - 1).max() < 0.5   # no year off by half or more
    raw = load_cluster(resolve(cluster_id, ["synthetic.production_calibrate=false", "synthetic.export_share=null"]).params,
                       tables=["establishments"])["establishments"]
    factor = data.truth["production"]["calibration"]["factor"]
    for column in set(MONEY_COLUMNS) - {"exports"}:        # exports are then set to the flows (test_export_calibration)
        assert np.allclose(data["establishments"][column], raw[column] * factor)
    assert raw["output"].sum() / 1000 / spec.trade_unit_value != pytest.approx(spec.production_share * real.sum() / 1000,
                                                                                rel=0.01)   # the check can fail
