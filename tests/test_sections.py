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
