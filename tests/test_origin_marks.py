"""Every table, figure and index cell says whether it rests on real or synthetic data."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import pandas as pd

from agrocluster import params as params_module
from agrocluster import record, site
from agrocluster.results_file import HeadlineEntry, ResultsFile
from agrocluster.sections import Section


def _recorder(cluster, tmp_path):
    return record.Recorder(params_module.load(cluster), "99_test", tmp_path)


def test_origin_from_the_step_inputs(project, tmp_path):
    rec = _recorder("chile_wine", tmp_path)          # FAOSTAT real, microdata synthetic
    assert rec.origin(["country_product"]) == ("real", "Data: real (country_product).")
    assert rec.origin(["establishments"]) == ("synthetic", "Data: SYNTHETIC (establishments).")
    origin, mark = rec.origin(["country_product", "trade_flows"])
    assert origin == "real and synthetic" and "SYNTHETIC (trade_flows)" in mark
    # a step that does not say rests on every table of the page: here both kinds
    assert rec.origin()[0] == "real and synthetic"


def test_recorded_inputs_take_precedence(project, tmp_path):
    rec = _recorder("chile_wine", tmp_path)
    rec.add_inputs({"country_product": {"source": "faostat"}})
    assert rec.origin() == ("real", "Data: real (country_product).")
    rec.add_inputs({"results/chile_wine/01": {"synthetic_tables": ["establishments"]}})
    assert rec.origin()[0] == "real and synthetic"


def test_real_only_cluster_is_real(project, tmp_path):
    rec = _recorder("indonesia_rice", tmp_path)
    assert rec.origin(["establishments"])[0] == "real"


def test_csv_caption_and_results_carry_the_mark(project, tmp_path):
    rec = _recorder("chile_wine", tmp_path)
    rec.section("lq", Section("LQ", table=pd.DataFrame({"region": ["Maule"], "lq": [2.5]}),
                              inputs=("regional_employment",)), "Location quotients")
    rec.table("faostat", pd.DataFrame({"year": [2020], "origin": ["Chile"]}), "Series", show=False,
              inputs=["country_product"])
    fig, _ = plt.subplots()
    rec.figure("map", fig, "Map", inputs=["establishments"])
    plt.close(fig)
    saved = json.loads(rec.save().read_text())
    lq, series = saved["tables"]
    assert lq["origin"] == "synthetic" and lq["caption"].endswith("[Data: SYNTHETIC (regional_employment).]")
    assert series["origin"] == "real"
    assert saved["figures"][0]["origin"] == "synthetic" and "SYNTHETIC" in saved["figures"][0]["caption"]
    assert pd.read_csv(tmp_path / lq["file"])["origin"].tolist() == ["synthetic"]
    written = pd.read_csv(tmp_path / series["file"])
    assert written["origin"].tolist() == ["Chile"] and written["data_origin"].tolist() == ["real"]


def test_index_cells_mark_real_and_synthetic_numbers():
    results = ResultsFile(cluster_id="x", cluster_name="X", notebook="00_cluster_overview", headline={
        "production_kt": HeadlineEntry(value=851.0, label="p", unit="kt", origin="real"),
        "establishments": HeadlineEntry(value=120, label="e", unit="", origin="synthetic"),
    })
    cell = site._headline_items(results)
    assert "851 kt</strong> <span class=\"ac-note\">(real)</span>" in cell
    assert "(synthetic)" in cell


def test_numbers_print_without_scientific_notation_or_spurious_decimals():
    from agrocluster.tables import format_number

    assert format_number(851.0) == "851"            # FAOSTAT kt, beside "1,034"
    assert format_number(1034.0) == "1,034"
    assert format_number(0.000109) == "0.000109"    # not 1.09e-04
    assert format_number(-0.0000123) == "-0.0000123"
    assert format_number(0.25) == "0.250"


def test_a_column_of_fractions_prints_its_whole_numbers_with_the_same_decimals():
    from agrocluster.tables import to_html

    frame = pd.DataFrame({"year": [2019, 2020], "ratio": [1.0, 0.9941], "kt": [851.0, 1034.0]})
    body = to_html(frame)
    assert "<td>1.000</td>" in body and "<td>0.994</td>" in body     # not "1" beside "0.994"
    assert "<td>851</td>" in body and "<td>1,034</td>" in body      # whole kt stay whole


def test_a_table_whose_rows_say_real_or_synthetic_is_marked_from_its_rows(project, tmp_path):
    rec = _recorder("chile_wine", tmp_path)
    rows = pd.DataFrame({"cluster_id": ["indonesia_rice", "chile_wine"], "value": [0.47, 0.05],
                         "origin": ["real", "synthetic"]})
    rec.table("mixed", rows, "Two clusters", show=False)
    rec.table("rice", rows.iloc[:1], "One real cluster", show=False, inputs=["establishments"])
    mixed, rice = rec.results().tables
    assert mixed.origin == "real and synthetic" and mixed.caption.endswith("(the origin column says which).]")
    assert rice.origin == "real" and rice.caption.endswith("[Data: real (every row).]")   # not the page's mix
    written = pd.read_csv(tmp_path / mixed.file)
    assert list(written.columns) == ["cluster_id", "value", "origin"]                    # the rows' own words
