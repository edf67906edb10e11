"""Fast version of the coverage study (agrocluster.validation.coverage): few worlds, wide tolerances.

The full study (200 worlds per check) is data/validation/coverage.csv; these tests check that every check
runs, that the ones the study finds within 93–97% are not far off with a handful of worlds, that the known
misses are detected, and the machinery: verdicts, Monte Carlo SE, seeding, the registry, the file.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agrocluster.errors import ParamsError
from agrocluster.validation import coverage


@functools.cache
def _study(key: str, worlds: int):
    """One small study per check and worlds, shared by the tests that read it (read only)."""
    return coverage.run_study(worlds=worlds, seed=11, checks=[key]).table.set_index("method")


def test_every_report_interval_has_a_check():
    keys = set(coverage.CHECKS)
    assert {"lq-independent", "lq-lumpy", "eg-dartboard", "eg-generator", "agglomeration-40-regions",
            "agglomeration-12-regions", "tfp-generator", "did-staggered", "did-small-cohorts", "ppml-gravity",
            "member-premium"} <= keys


def test_lq_poisson_covers_with_independent_workers_and_misses_with_lumpy_plants():
    independent = _study("lq-independent", 4)
    lumpy = _study("lq-lumpy", 8)
    # 120 cells a world: the pooled share is precise even with 4–8 worlds.
    assert independent.loc["poisson", "coverage"] > 0.9
    assert lumpy.loc["poisson", "coverage"] < 0.6  # the miss issue #12 measured (26–31%)
    assert lumpy.loc["poisson", "verdict"] == "too narrow" and "independent" in lumpy.loc["poisson", "note"]


def test_lq_establishments_interval_covers_where_the_poisson_ones_miss():
    """The reports' default LQ interval in the study: it covers with lumpy plants (in cells with enough plants,
    by resampling them, and in cells with 0–2 plants, from the plant-count process) and with independent
    workers; the Poisson intervals on the same worlds do not."""
    lumpy = _study("lq-lumpy", 8)
    assert lumpy.loc[coverage.ESTABLISHMENTS_ENOUGH, "coverage"] > 0.88
    assert lumpy.loc[coverage.ESTABLISHMENTS_FEW, "coverage"] > 0.85  # about 15 small cells a world
    assert lumpy.loc["establishments", "coverage"] > 0.88
    assert lumpy.loc["establishments", "coverage"] > lumpy.loc["poisson", "coverage"] + 0.3
    assert _study("lq-independent", 4).loc["establishments", "coverage"] > 0.88


def test_eg_dartboard_test_has_about_its_size():
    table = _study("eg-dartboard", 40)
    assert table.loc[coverage.EG_RANDOM_LOCATION, "kind"] == "size"
    assert table.loc[coverage.EG_RANDOM_LOCATION, "coverage"] < 0.2


def test_eg_generator_null_sectors_rarely_rejected():
    assert _study("eg-generator", 6).loc[coverage.EG_RANDOM_LOCATION, "coverage"] < 0.25


def test_agglomeration_crv1_and_conley_cover():
    table = _study("agglomeration-40-regions", 30)
    assert (table["coverage"] > 0.75).all(), table


def test_agglomeration_wild_bootstrap_size():
    table = _study("agglomeration-12-regions", 30)
    assert table.loc["wild cluster bootstrap (WCR)", "coverage"] < 0.25


def test_tfp_check_runs_every_method_and_flags_biased_ols():
    table = _study("tfp-generator", 2)
    assert set(table.index) == {"OLS", "FE", "OP", "LP", "ACF"}
    assert table["coverage"].between(0, 1).all()
    # OLS on the generator is biased by simultaneity far beyond its SE (labour 0.7-0.85 with an SE of 0.06
    # against a true 0.5: never covered; capital can be), so at most half the intervals cover.
    assert table.loc["OLS", "coverage"] <= 0.5 and table.loc["OLS", "note"]


def test_did_intervals_cover_and_small_cohorts_break_the_pretest():
    table = _study("did-staggered", 12)
    assert table.loc["ATT(g,t) pointwise", "coverage"] > 0.8
    assert table.loc["simple ATT", "coverage"] > 0.6
    assert table.loc["pre-trend Wald test", "kind"] == "size"
    assert table.loc[coverage.PRETREND_SUP_T, "kind"] == "size"
    small = _study("did-small-cohorts", 12)
    assert small.loc["pre-trend Wald test", "coverage"] > 0.2  # the over-rejection issue #12 reports
    assert small.loc[coverage.PRETREND_SUP_T, "coverage"] < 0.2  # the test the reports read holds its size


def test_ppml_and_member_premium_cover():
    assert _study("ppml-gravity", 12).loc["PPML, heteroskedasticity-robust", "coverage"] > 0.7
    assert _study("member-premium", 20).loc["premium, CRV1 by firm", "coverage"] > 0.75


# ------------------------------------------------------------------------------------------ machinery


def test_summarise_hand_computed():
    check = coverage.Check("x", "hand", "coverage", lambda rng, seed: {}, {"m": "why it misses"})
    row = coverage.summarise(check, {"m": [1.0, 1.0, 0.0, 1.0]}).iloc[0]
    assert row["coverage"] == pytest.approx(0.75)
    assert row["mc_se"] == pytest.approx(np.std([1, 1, 0, 1], ddof=1) / 2)
    assert row["verdict"] == "too narrow" and row["note"] == "why it misses"
    ok = coverage.summarise(check, {"m": [0.95, 0.95]}).iloc[0]
    assert ok["verdict"] == "within" and ok["note"] == ""
    size = coverage.Check("y", "hand", "size", lambda rng, seed: {})
    assert coverage.summarise(size, {"t": [0.0] * 9 + [1.0]}).iloc[0]["verdict"] == "over-rejects"
    assert coverage.summarise(size, {"t": [0.0] * 19 + [1.0]}).iloc[0]["verdict"] == "within"


def test_worlds_are_seeded():
    a = coverage.run_world("lq-lumpy", 3, seed=5)
    assert a == coverage.run_world("lq-lumpy", 3, seed=5)
    assert a != coverage.run_world("lq-lumpy", 4, seed=5)


def test_adding_an_lq_method_is_one_registry_entry(monkeypatch):
    def everything(plants, level, seed):
        grid = pd.MultiIndex.from_product([pd.unique(plants["region"]), pd.unique(plants["sector"])],
                                          names=["region", "sector"])
        return grid.to_frame(index=False).assign(lq_lo=0.0, lq_hi=np.inf)

    monkeypatch.setitem(coverage.LQ_METHODS, "whole line", everything)
    table = coverage.run_study(worlds=3, seed=11, checks=["lq-lumpy"]).table.set_index("method")
    assert table.loc["whole line", "coverage"] == 1.0


def test_study_file_round_trip_with_provenance(tmp_path):
    study = coverage.run_study(worlds=3, seed=2, checks=["lq-lumpy"])
    path = tmp_path / "coverage.csv"
    path.write_text(coverage.to_csv_text(study), encoding="utf-8")
    table, meta = coverage.read_study(path)
    pd.testing.assert_frame_equal(table[["method", "worlds"]], study.table[["method", "worlds"]])
    assert meta["params"]["worlds"] == 3 and "numpy" in meta["packages"] and meta["date"]
    assert "commit" in meta["code_version"]
    assert (table["seed"] == 2).all() and (table["date"] == meta["date"]).all()
    assert table["code_version"].str.startswith(str(meta["code_version"]["commit"])).all()
    assert "| poisson |" in coverage.markdown_table(table)


def test_bad_options_are_refused():
    with pytest.raises(ParamsError, match="unknown coverage check"):
        coverage.run_study(worlds=3, checks=["nope"])
    with pytest.raises(ParamsError, match="at least 2 worlds"):
        coverage.run_study(worlds=1)


def test_merge_replaces_the_rerun_checks_and_records_their_run(tmp_path):
    base = coverage.run_study(worlds=3, seed=2, checks=["lq-lumpy", "eg-dartboard"])
    rerun = coverage.run_study(worlds=4, seed=3, checks=["lq-lumpy"])
    for name, study in (("base.csv", base), ("rerun.csv", rerun)):
        (tmp_path / name).write_text(coverage.to_csv_text(study), encoding="utf-8")
    merged = tmp_path / "merged.csv"
    merged.write_text(coverage.merge_text(coverage.read_study(tmp_path / "base.csv"),
                                          coverage.read_study(tmp_path / "rerun.csv")), encoding="utf-8")
    table, meta = coverage.read_study(merged)
    assert table["check"].tolist() == ["lq-lumpy"] * 5 + ["eg-dartboard"] * 2  # 3 intervals + 2 kinds of cell; 2 nulls
    assert table.loc[table["check"] == "lq-lumpy", "worlds"].tolist() == [4] * 5
    assert table.loc[table["check"] == "eg-dartboard", "worlds"].tolist() == [3, 3]
    assert meta["params"]["seed"] == 2 and meta["updated_checks"]["lq-lumpy"]["params"]["seed"] == 3


def test_only_reruns_checks_into_the_file_keeping_each_rows_provenance(tmp_path):
    path = tmp_path / "coverage.csv"
    base = coverage.run_study(worlds=3, seed=2, checks=["lq-lumpy", "eg-dartboard"])
    path.write_text(coverage.to_csv_text(base), encoding="utf-8")
    assert coverage.main(["--only", "lq-lumpy", "--worlds", "2", "--seed", "9", "--jobs", "1",
                          "--output", str(path)]) == 0
    table, meta = coverage.read_study(path)
    rerun = table[table["check"] == "lq-lumpy"]
    assert (rerun["worlds"] == 2).all() and (rerun["seed"] == 9).all()
    kept = table[table["check"] == "eg-dartboard"]
    assert (kept["worlds"] == 3).all() and (kept["seed"] == 2).all() and kept["date"].iloc[0] == meta["date"]
    assert meta["updated_checks"]["lq-lumpy"]["params"]["seed"] == 9
    with pytest.raises(ParamsError, match="unknown check"):
        coverage.main(["--only", "lq-independent,nope", "--output", str(path)])


def test_old_files_get_row_provenance_from_their_first_line(tmp_path):
    study = coverage.run_study(worlds=2, seed=4, checks=["lq-lumpy"])
    text = coverage.to_csv_text(study)
    header, body = text.split("\n", 1)
    old = pd.read_csv(io.StringIO(body)).drop(columns=coverage.ROW_PROVENANCE)
    path = tmp_path / "old.csv"
    path.write_text(header + "\n" + old.to_csv(index=False), encoding="utf-8")
    table, meta = coverage.read_study(path)
    assert (table["seed"] == 4).all() and (table["date"] == meta["date"]).all()


def test_readme_coverage_table_is_generated_from_the_shipped_file():
    """README's "Coverage of the intervals" block is the shipped CSV (regenerate it with
    python -m agrocluster.validation.coverage --worlds 0 --readme README.md)."""
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert coverage.write_readme(root / "README.md", root / "data" / "validation" / "coverage.csv") == readme


def test_a_study_written_into_data_does_not_make_the_code_dirty(project, tmp_path):
    """--only rewrites data/validation/coverage.csv after each check; the next check's code is still clean."""
    import subprocess

    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    (project / "data" / "validation").mkdir(parents=True, exist_ok=True)
    (project / "data" / "validation" / "coverage.csv").write_text("old\n", encoding="utf-8")
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    (project / "data" / "validation" / "coverage.csv").write_text("new\n", encoding="utf-8")
    assert coverage.study_code_version()["dirty"] is False
    (project / "pyproject.toml").write_text("# changed\n", encoding="utf-8")
    assert coverage.study_code_version()["dirty"] is True
