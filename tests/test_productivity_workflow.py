"""Tests of agrocluster.productivity.workflow (columns, method runs, tables) and programmes.prepare."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agrocluster.data.synthetic import generate_cluster
from agrocluster.errors import DataContractError
from agrocluster.productivity import workflow
from agrocluster.programmes.prepare import programme_panel, treatment_exits


@pytest.fixture(scope="module")
def small():
    c = generate_cluster(seed=2, n_firms=400, n_years=5)
    return c.establishments, c.truth


def _farms(n=40, T=4, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = np.repeat(np.arange(n), T)
    t = np.tile(np.arange(1, T + 1), n)
    land = np.exp(rng.normal(0, 0.5, n))[f]
    labour = np.exp(rng.normal(5, 0.3, n * T))
    materials = np.exp(rng.normal(10, 0.3, n * T))
    output = land**0.4 * labour**0.3 * materials**0.3 * np.exp(rng.normal(0, 0.1, n * T))
    return pd.DataFrame({"firm_id": [f"F{i}" for i in f], "year": t, "sector": "0112", "region": "v1",
                         "output": output, "land": land, "labour": labour, "materials": materials})


def test_spec_for_firms_with_value_added(small):
    est, _ = small
    spec = workflow.production_spec(est, ["ols", "fe", "op", "lp", "acf"])
    assert (spec.output, spec.value_added, spec.free, spec.state) == ("value_added", True, ["labour"], ["capital"])
    assert spec.proxies == {"ols": None, "fe": None, "op": "investment", "lp": "materials", "acf": "materials"}
    assert spec.log_columns == ["value_added", "labour", "capital", "materials"]
    assert spec.args("ols")["free"] == ["labour"] and spec.notes == []
    assert spec.table()["role"].tolist()[:3] == ["output", "free input", "state input"]


def test_spec_for_farms_falls_back_to_gross_output_with_land_and_materials():
    spec = workflow.production_spec(_farms(), ["ols", "op", "acf"], value_added=True)
    assert (spec.output, spec.value_added, spec.state) == ("output", False, ["land"])
    assert spec.proxies["op"] is None and spec.proxies["acf"] == "materials"
    # OLS/FE estimate the same gross-output function as the proxy methods: materials is an input
    assert spec.args("ols")["free"] == ["labour", "materials"] and spec.args("acf")["free"] == ["labour"]
    assert any("gross output" in n for n in spec.notes) and any("land is the state input" in n for n in spec.notes)
    assert any("OP needs investment" in n for n in spec.notes)
    with pytest.raises(DataContractError, match="no state input"):
        workflow.production_spec(_farms().drop(columns="land"), ["ols"])
    with pytest.raises(DataContractError, match="unknown method"):
        workflow.production_spec(_farms(), ["tobit"])


def test_fit_methods_tables_and_truth(small):
    est, truth = small
    spec = workflow.production_spec(est, ["ols", "acf", "fe"])
    fits = workflow.fit_methods(est, spec, ["ols", "acf", "fe"], bootstrap=3, seed=1)
    assert list(fits.results) == ["ols", "acf", "fe"] and fits.skipped.empty
    # ACF runs the estimator's own root scan (OLS start, fixed starts), then bootstraps at the chosen root
    assert fits.acf_scan.starts["start"].tolist()[:2] == ["OLS (prodest default)", "every elasticity 0.1"]
    assert fits.results["acf"].options["markov_degree"] == 3 and fits.results["acf"].options["logs"]
    np.testing.assert_allclose(fits.results["acf"].coef.to_numpy(), fits.acf_scan.chosen.to_numpy(), atol=1e-4)
    assert fits.results["acf"].se_kind.startswith("block bootstrap")
    assert fits.preferred() == "acf"
    tc = workflow.truth_coefficients(truth["production"], spec)
    assert tc == pytest.approx({"labour": 0.5, "capital": 0.2, "returns to scale": 0.7})
    table = workflow.method_table(fits, tc)
    assert list(table.columns) == ["term", "OLS", "ACF", "FE", "true value"]
    row = table.set_index("term").loc["labour"]
    assert row["true value"] == "0.500" and "(" in row["OLS"]
    assert table.set_index("term").loc["returns to scale (sum)", "true value"] == "0.700"
    coefs = workflow.coefficient_frame(fits)
    assert set(coefs["method"]) == {"OLS", "ACF", "FE"} and set(coefs["term"]) == {"labour", "capital"}
    diag = workflow.diagnostics_table(fits)
    assert diag["method"].tolist() == ["OLS", "ACF", "FE"]
    assert diag.loc[diag["method"] == "ACF", "share lost (no lag)"].iloc[0] > 0


def test_fit_methods_on_farms_skips_what_the_data_cannot_support():
    d = _farms(n=60)
    spec = workflow.production_spec(d, ["ols", "op", "lp"])
    fits = workflow.fit_methods(d, spec, ["ols", "op", "lp"], markov_degree=1)
    assert list(fits.results) == ["ols", "lp"]
    assert fits.skipped.to_dict("records") == [{"method": "OP", "reason": "its proxy is not in the data"}]
    assert set(fits.results["ols"].coef.index) == {"labour", "materials", "land"}
    assert fits.results["ols"].coef["land"] == pytest.approx(0.4, abs=0.1)
    assert workflow.truth_coefficients(None, spec) == {}


def test_programme_panel_logs_and_entry_and_counts_exclusions():
    df = pd.DataFrame({"firm_id": ["a", "a", "b", "b"], "year": [1, 2, 1, 2], "output": [1.0, np.e, 0.0, 2.0],
                       "programme_entry_year": pd.array([2, 2, pd.NA, pd.NA], dtype="Int64")})
    panel, excl = programme_panel(df, "output")
    assert panel["log_outcome"].tolist() == pytest.approx([0.0, 1.0, np.log(2.0)])
    assert panel["first_treated"].tolist() == [2.0, 2.0, 0.0]
    assert excl.to_dict("records") == [{"reason": "output <= 0 or missing (logs only of positive values)",
                                        "n_rows": 1}]
    tfp = pd.Series([0.1, 0.2, 0.3], index=[0, 1, 3])
    panel, excl = programme_panel(df, "tfp", tfp=tfp)
    assert panel["log_outcome"].tolist() == [0.1, 0.2, 0.3] and excl["n_rows"].tolist() == [1]
    with pytest.raises(DataContractError, match="needs the log TFP"):
        programme_panel(df, "tfp")
    with pytest.raises(DataContractError, match="not one of"):
        programme_panel(df, "profit")
    with pytest.raises(DataContractError, match="programme entry"):
        programme_panel(df.drop(columns="programme_entry_year"), "output")


def test_treatment_exits_counts_units_that_leave():
    df = pd.DataFrame({"firm_id": list("aaabbbccc"), "year": [1, 2, 3] * 3,
                       "in_prog": [False, True, False, True, True, True, False, False, False],
                       "programme_entry_year": [2, 2, 2, 1, 1, 1, None, None, None]})
    out = treatment_exits(df, "in_prog").iloc[0]
    assert (out.units_ever_in, out.units_leaving_later, out.post_entry_periods, out.post_entry_periods_out) == (
        2, 1, 5, 1)
    assert out.share_post_entry_out == pytest.approx(0.2)
