"""The validation report's library (agrocluster.validation.published / workbook, agrocluster.data.reference).

Published values: Baltagi (2005) Table 2.1 (Grunfeld), R did's README (mpdta), Stata ecomplexity fixtures.
"""

from __future__ import annotations

import pandas as pd
import pytest
from pydantic import ValidationError

from agrocluster.data import reference
from agrocluster.validation import coverage, published, workbook


def test_grunfeld_reproduces_baltagi_table_2_1():
    table = published.grunfeld_baltagi(reference.grunfeld())
    assert len(table) == 8 and table["agrees"].all(), table
    assert (table["difference"].abs() <= 1e-4).all()


def test_a_wrong_number_is_flagged_not_hidden():
    data = reference.grunfeld()
    data.loc[data.index[0], "invest"] *= 3  # one firm-year altered: the estimates move off Baltagi's
    section = workbook._reproduction("Grunfeld", published.grunfeld_baltagi(data))
    assert not section.result["agrees"].all()
    assert "differ by more than their tolerance" in section.reading and section.notes
    assert "NO" in set(section.table["agrees"])


def test_mpdta_reproduces_r_did():
    data = reference.mpdta()
    if data is None:
        pytest.skip("moderndid not installed")
    table = published.mpdta_callaway_santanna(data)
    assert len(table) == 16 and table["agrees"].all(), table


def test_ecomplexity_reproduces_stata(shared_data):
    table = published.ecomplexity_stata(*reference.ecomplexity_fixtures(shared_data))
    assert len(table) == 9 and table["agrees"].all() and table["quantity"].str.contains("72 rows").all()


def test_sections_say_what_they_need(tmp_path):
    missing = workbook.complexity_section(str(tmp_path))
    assert not missing.computed and reference.ECOMPLEXITY_SAMPLE in missing.message
    cov = workbook.coverage_section(str(tmp_path / "none.csv"))
    assert not cov.computed and "agrocluster.validation.coverage" in cov.message
    summary = workbook.published_summary([workbook.grunfeld_section(), missing])
    assert summary.computed and "Not checked on this machine: Stata ecomplexity" in summary.reading
    assert summary.table[["numbers", "agree"]].to_numpy().tolist() == [[4, 4], [4, 4]]


def test_coverage_section_reads_the_study_and_names_the_misses(tmp_path):
    study = coverage.run_study(worlds=3, seed=1, checks=["lq-lumpy"])
    path = tmp_path / "coverage.csv"
    path.write_text(coverage.to_csv_text(study), encoding="utf-8")
    section = workbook.coverage_section(str(path))
    within = int((section.result["verdict"] == "within").sum())
    assert section.computed and f"{within} of 5 intervals and tests are within" in section.reading
    assert "lq-lumpy: run " in section.reading and "seed 1)" in section.reading  # the rows' provenance
    assert any("independent draw" in note for note in section.notes)
    assert list(section.table.columns[:3]) == ["method", "dgp", "worlds"]
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    assert not workbook.coverage_section(str(bad)).computed


def test_params_refuse_unknown_options():
    with pytest.raises(ValidationError):
        workbook.ValidationParams(coverage_fle="x")
    assert isinstance(reference.grunfeld(), pd.DataFrame)


def test_validation_runs_once_and_reruns_when_the_coverage_study_changes(project):
    from agrocluster import runner

    tasks = runner.build_matrix(["chile_wine"], ["00_cluster_overview", "90_validation"])
    assert [(t.cluster_id, t.notebook) for t in tasks] == [("chile_wine", "00_cluster_overview"),
                                                           ("synthesis", "90_validation")]
    memo = runner.HashMemo(project / "outputs" / ".cache" / "hashes.json")
    study = project / "data" / "validation" / "coverage.csv"
    study.parent.mkdir(parents=True)
    study.write_text("# provenance: {}\na\n1\n", encoding="utf-8")
    before = runner.cache_key(tasks[1], memo, "lib")
    study.write_text("# provenance: {}\na\n2\n", encoding="utf-8")
    assert runner.cache_key(tasks[1], memo, "lib") != before
