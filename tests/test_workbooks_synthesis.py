"""Workbook 05 steps (agrocluster.workbooks.synthesis) on a hand-made collection of results files."""

from __future__ import annotations

import matplotlib
import pytest

from agrocluster import params as P
from agrocluster import synthesis
from agrocluster.workbooks import common
from agrocluster.workbooks import synthesis as workbook

from .test_synthesis import SOURCES, results_doc, write_results

matplotlib.use("Agg")


@pytest.fixture
def collection(tmp_path):
    docs = [
        results_doc("aa", "03_productivity", {"member_tfp_premium": (0.30, 0.05)}, SOURCES),
        results_doc("bb", "03_productivity", {"member_tfp_premium": (0.10, 0.05)},
                    {"country_product": "faostat", "establishments": "rice_farms"}),
        results_doc("cc", "03_productivity", {"member_tfp_premium": (0.20, None)}, SOURCES),
    ]
    return synthesis.load_results(write_results(tmp_path / "outputs", docs))


def test_data_kinds_notes_each_per_cluster_override_only(collection):
    result = synthesis.synthesise(collection, P.SynthesisParams(rank_draws=200))
    step = workbook.data_kinds(result, {"seed": 3, "synthesis.rank_draws": 10})
    assert step.notes == ["Override seed=3 is a per-cluster parameter: it shaped the cluster reports, not this page."]
    assert step.table["cluster_id"].tolist() == ["aa", "bb", "cc"]
    assert workbook.data_kinds(result).notes == []


def test_runs_note_synthetic_share_and_failed_runs(collection):
    result = synthesis.synthesise(collection, P.SynthesisParams(rank_draws=200))
    collection.runs.loc[collection.runs["cluster_id"] == "bb", "failed_last_run"] = True
    step = workbook.runs(collection, result)
    assert step.notes[0] == workbook.synthetic_share_note(result.synthetic_share)
    assert 0 < result.synthetic_share < 1 and step.notes[0].startswith(f"{result.synthetic_share:.0%} of the data")
    assert workbook.synthetic_share_note(0.0).startswith("No data table in use is synthetic")
    assert "not findings" in workbook.synthetic_share_note(1.0) and "not findings" not in workbook.synthetic_share_note(0)
    assert step.notes[1:] == ["The last run of bb/03_productivity failed: its last good results are used."]


def test_rankings_figure_only_where_clusters_can_be_ranked_and_exclusions_counted(collection):
    result = synthesis.synthesise(collection, P.SynthesisParams(rank_draws=200))
    steps = {s.key: s for s in workbook.rankings(result)}
    assert list(steps) == list(result.rankings)
    ranked = steps["member_tfp_premium"]
    assert isinstance(ranked.figure.result, matplotlib.figure.Figure) and "rank interval" in ranked.figure.reading
    matplotlib.pyplot.close(ranked.figure.result)
    assert ranked.caption == result.rankings["member_tfp_premium"].reading()
    assert ranked.table.excluded["rows"].sum() == 1 and ranked.table.excluded["table"].iloc[0] == (
        "ranking member_tfp_premium")  # cc has no standard error
    empty = steps["programme_att"]
    assert not empty.figure.computed and "standard error" in empty.figure.message
    assert empty.table.computed


def test_page_headlines(collection):
    result = synthesis.synthesise(collection, P.SynthesisParams(rank_draws=200))
    heads = {h.key: h for h in common.collect_headlines(workbook.page_headlines(result))}
    assert list(heads) == ["n_clusters", "n_danger_flags", "synthetic_share"]
    assert heads["n_clusters"].value == 3
    assert heads["n_danger_flags"].note == f"of {result.n_flags_assessed} assessable"


def test_every_table_and_figure_of_the_page_has_a_precise_mark(collection, tmp_path):
    """Each step of 05 says per row which clusters are real or synthetic, or declares the results files it
    rests on: none takes the page-level mark listing every results file."""
    import pandas as pd

    from agrocluster import figures, record
    from agrocluster.figures import synthesis as synthesis_figures

    result = synthesis.synthesise(collection, P.SynthesisParams(rank_draws=200))
    rec = record.Recorder(P.load_synthesis_params({}), "05_synthesis", tmp_path)
    rec.add_inputs(collection.inputs())
    assert rec.origin()[0] == "real and synthetic"          # what an unattributed step would say
    rec.section("data-kinds", workbook.data_kinds(result), "Kinds")
    rec.section("runs", workbook.runs(collection, result), "Runs")
    rec.section("scorecard", workbook.scorecard(result), "Scorecard")
    fig, ax = figures.new_figure()
    synthesis_figures.scorecard_heatmap(ax, result.scorecard)
    rec.figure("scorecard", fig, "Scorecard", inputs=workbook.scorecard_inputs(result))
    rec.section("scorecard-se", workbook.scorecard_long(result), "Long")
    rec.section("missing", workbook.missing(result, collection), "Missing")
    for ranking in workbook.rankings(result):
        common.show_figure(rec, f"rank-{ranking.key}", ranking.figure)
        rec.section(f"rank-{ranking.key}", ranking.table, ranking.caption)
    rules = workbook.flag_rules(result, collection)
    rec.section("flags", workbook.flags(result, rules), "Flags")
    rec.section("flag-rules", rules, "Rules")
    saved = rec.results()
    assert {t.name for t in saved.tables} >= {"data-kinds", "runs", "scorecard", "scorecard-se", "missing",
                                               "flags", "flag-rules", "rank-member_tfp_premium"}
    for entry in saved.tables + saved.figures:
        rows_say = entry.caption.endswith("(the origin column says which).]") or "(every row)" in entry.caption
        assert rows_say or entry.inputs, entry.name
    kinds = pd.read_csv(tmp_path / next(t.file for t in saved.tables if t.name == "data-kinds"))
    assert dict(zip(kinds["cluster_id"], kinds["origin"])) == {"aa": "real and synthetic", "bb": "real",
                                                               "cc": "real and synthetic"}
    missing = next(t for t in saved.tables if t.name == "missing")
    assert set(missing.inputs) == {f"{c}/03_productivity.results.json" for c in ("aa", "bb", "cc")}
    matplotlib.pyplot.close("all")


def test_origin_word():
    assert workbook.origin_word(["real", "real and synthetic"]) == "real and synthetic"
    assert workbook.origin_word([None, "synthetic"]) == "synthetic"
    assert workbook.origin_word(["user file", "real"]) == "real"
