"""The workbook step type and its display through the recorder."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from agrocluster import params as params_module
from agrocluster import record
from agrocluster.sections import Section, excluded_frame


def test_not_computed_needs_a_reason_and_says_what_it_needs():
    with pytest.raises(ValueError, match="gives no reason"):
        Section("Kd", computed=False)
    section = Section.not_computed("Distance-based concentration", "coordinates of the establishments")
    assert section.message == "Not computed: needs coordinates of the establishments."


def test_excluded_frame_checks_columns():
    frame = excluded_frame([("establishments", "zero output", 3)])
    assert frame.to_dict("records") == [{"table": "establishments", "reason": "zero output", "rows": 3}]
    with pytest.raises(ValueError, match="missing"):
        excluded_frame(pd.DataFrame({"reason": ["x"]}))


def test_recorder_section_saves_table_notes_and_exclusions(project, tmp_path):
    params = params_module.load("chile_wine")
    rec = record.Recorder(params, "99_test", tmp_path)
    done = Section("LQ", table=pd.DataFrame({"region": ["Maule"], "lq": [2.5]}), reading="Maule <b>leads</b>.",
                   notes=["a caveat"], excluded=[("employment", "missing region", 2)])
    shown = rec.section("lq", done, "Location quotients")
    missing = rec.section("kd", Section.not_computed("Kd", "coordinates"), "unused")
    rec.save()
    saved = json.loads((tmp_path / "99_test.results.json").read_text())
    assert saved["tables"][0]["name"] == "lq" and (tmp_path / saved["tables"][0]["file"]).is_file()
    assert saved["notes"] == ["a caveat", "Kd: Not computed: needs coordinates."]
    assert saved["excluded"] == [{"table": "employment", "reason": "missing region", "rows": 2}]
    assert "Maule &lt;b&gt;leads&lt;/b&gt;." in shown._repr_html_()
    assert "Not computed: needs coordinates." in missing._repr_html_()


def test_csv_cells_that_spreadsheets_read_as_formulas_are_neutralised(project, tmp_path):
    params = params_module.load("chile_wine")
    rec = record.Recorder(params, "99_test", tmp_path)
    frame = pd.DataFrame({"region": ['=HYPERLINK("http://x")', "Maule", "+1", "@SUM(A1)", None],
                          "lq": [-1.5, 2.0, 3.0, 4.0, 5.0]})
    rec.table("regions", frame, "Regions", show=False)
    written = pd.read_csv(tmp_path / "tables" / "99_test-regions.csv")
    assert written["region"].tolist()[:4] == ["'=HYPERLINK(\"http://x\")", "Maule", "'+1", "'@SUM(A1)"]
    assert written["lq"].tolist() == [-1.5, 2.0, 3.0, 4.0, 5.0]


def test_rests_on_declares_inputs_unless_the_step_sets_its_own():
    from agrocluster.sections import rests_on

    @rests_on("trade_flows")
    def flows(own=()):
        return Section("Flows", inputs=own)

    assert flows().inputs == ("trade_flows",)
    assert flows(("establishments", "trade_flows")).inputs == ("establishments", "trade_flows")
    assert flows.rests_on == ("trade_flows",)


def test_every_step_of_the_export_and_links_workbooks_declares_its_tables():
    """Walk the public steps of workbooks 04 and 06: each declares the tables it rests on (``rests_on``) or
    sets them from the data it is given (those are listed and checked by the built-site test)."""
    import inspect
    import typing

    from agrocluster.workbooks import exports, links_risks

    sets_its_own = {"data_used", "load_exclusions", "headline_table", "unit_values_vs_cited"}
    for module in (exports, links_risks):
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or typing.get_type_hints(fn).get("return") is not Section:
                continue
            assert hasattr(fn, "rests_on") or name in sets_its_own, f"{module.__name__}.{name} declares no inputs"
