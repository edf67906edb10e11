"""The measured coverage beside each interval (agrocluster.validation.notes): the lookup, and the notes on the
sections the workbook step functions build."""

from __future__ import annotations

import pandas as pd
import pytest

from agrocluster import params as params_module
from agrocluster import record
from agrocluster.errors import ParamsError
from agrocluster.sections import Section
from agrocluster.validation import coverage, notes
from agrocluster.workbooks import agglomeration, mapping

from .workbook_data import cluster_data, regional_table


def _study_file(tmp_path, rows: dict[tuple[str, str], list[float]]):
    """A study file written from hand-made per-world values (no world is simulated)."""
    tables = [coverage.summarise(coverage.CHECKS[check], {method: values}) for (check, method), values in rows.items()]
    table = pd.concat(tables, ignore_index=True).assign(seed=7, code_version="abc", date="2026-12-01T10:00:00+00:00")
    study = coverage.CoverageStudy(table, pd.DataFrame(columns=["check", "world", "error"]), {"seed": 7, "worlds": 4},
                                   {}, {"code_version": {"commit": "abc"}, "date": "2026-12-01T10:00:00+00:00"})
    path = tmp_path / "coverage.csv"
    path.write_text(coverage.to_csv_text(study), encoding="utf-8")
    return path


def test_unknown_method_key_fails_loudly():
    with pytest.raises(ParamsError, match="unknown method key 'lq-wrong'.*lq-establishments"):
        notes.coverage_note("lq-wrong")


def test_every_method_key_names_rows_of_registered_checks():
    for key, rows in notes.METHODS.items():
        assert rows, key
        assert all(check in coverage.CHECKS for check, _ in rows), key


def test_note_says_coverage_mc_se_dgp_and_why_it_misses(tmp_path):
    path = _study_file(tmp_path, {("ppml-gravity", "PPML, heteroskedasticity-robust"): [1.0, 0.0, 1.0, 1.0],
                                  ("member-premium", "premium, CRV1 by firm"): [1.0] * 19 + [0.0]})
    ppml = notes.coverage_note("ppml", path)
    assert ppml.miss
    assert "coverage of the 95% interval 75.0% (MC SE 25.0) in 4 simulated worlds of PPML gravity" in ppml.text
    assert "too narrow, centred (mean bias < 0.01)" in ppml.text and "Weidner & Zylkin" in ppml.text
    assert "run 2026-12-01" in ppml.text
    premium = notes.coverage_note("member-premium", path)
    assert not premium.miss and "95.0%" in premium.text and "within the 93–97% band" in premium.text
    # a method whose rows the file lacks is said to be unmeasured, with the command that measures it
    missing = notes.coverage_note("tfp-acf", path)
    assert missing.miss and "not measured for tfp-generator: ACF" in missing.text
    assert "--only tfp-generator" in missing.text
    gone = notes.coverage_note("ppml", tmp_path / "nowhere.csv")
    assert gone.miss and gone.text.startswith("Coverage not measured")


def test_annotate_shows_every_note_and_makes_misses_caveats(tmp_path, monkeypatch):
    path = _study_file(tmp_path, {("ppml-gravity", "PPML, heteroskedasticity-robust"): [1.0, 0.0, 1.0, 1.0],
                                  ("member-premium", "premium, CRV1 by firm"): [1.0] * 19 + [0.0]})
    monkeypatch.setattr(notes, "default_study_file", lambda: path)
    section = notes.annotate(Section("x", table=pd.DataFrame({"a": [1]})), "member-premium", "ppml",
                             label={"ppml": "Gravity"})
    assert len(section.coverage) == 2 and section.coverage[1].startswith("Gravity: Coverage study")
    assert section.notes == [section.coverage[1]]


def test_lq_step_carries_the_coverage_of_its_interval_into_the_report(tmp_path):
    """The shipped study: workbook 01's LQ table says how its (Poisson, on this hand case) interval covers."""
    params = params_module.load("chile_wine", {"regions": []})
    regional = regional_table({("A", "1102"): 60, ("A", "0121"): 40, ("B", "1102"): 20, ("B", "0121"): 80})
    lqs = mapping.location_quotients(regional, params)
    assert lqs.result.interval == "poisson"
    step = mapping.lq_cluster_sector(lqs, cluster_data(params, {"regional_employment": regional}), params)
    assert len(step.coverage) == 1 and "[poisson]" in step.coverage[0]
    assert "employment in plants of lognormal size" in step.coverage[0]  # where it misses
    assert step.coverage[0] in step.notes  # a miss: also among the report's caveats
    shown = record.Recorder(params, "99_test", tmp_path).section("lq", step, "LQ")
    assert "Coverage study (validation report" in shown._repr_html_()


def test_agglomeration_inference_names_its_checks():
    assert agglomeration.coverage_keys({"vcov": "conley"}) == ("agglomeration-conley",)
    assert agglomeration.coverage_keys({"vcov": "CRV1", "wild_bootstrap": 199}) == ("agglomeration-crv1",
                                                                                  "agglomeration-wild")
    assert agglomeration.coverage_keys({"vcov": "hetero"}) == ()
