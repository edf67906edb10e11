"""agrocluster.synthesis: reading results, scorecard, ranks with uncertainty (known truth), danger flags."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from agrocluster import headlines, synthesis
from agrocluster import params as P
from agrocluster.errors import DataContractError, EstimationError, HeadlineError, ParamsError
from agrocluster.results_file import RunLedger


def results_doc(cluster_id, notebook, headline, sources=None):
    """A .results.json document as agrocluster.record writes it (only the keys the synthesis reads)."""
    data = {t: {"source": s} for t, s in (sources or {}).items()}
    return {
        "cluster_id": cluster_id, "cluster_name": f"{cluster_id} cluster", "notebook": notebook,
        "headline": {k: {"value": v[0], "se": v[1], "label": k, "unit": None, "note": None} if isinstance(v, tuple)
                     else {"value": v, "se": None, "label": k, "unit": None, "note": None}
                     for k, v in headline.items()},
        "provenance": {"params": {"cluster_id": cluster_id, "data": data}, "started": "2026-01-01T00:00:00+00:00"},
    }


def write_results(folder, docs, *, record=True):
    """Write results files as the runner commits them: the file, then its entry in the ledger."""
    ledger = RunLedger.read(folder)
    for doc in docs:
        path = folder / doc["cluster_id"] / f"{doc['notebook']}.results.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc))
        if record:
            ledger.record(folder, doc["cluster_id"], doc["notebook"], path.read_bytes())
    ledger.write(folder)
    return folder


SOURCES = {"country_product": "faostat", "establishments": "synthetic", "trade_flows": "synthetic"}


@pytest.fixture
def three_clusters(tmp_path):
    docs = [
        results_doc("aa", "01_cluster_mapping", {"cluster_lq": 2.0, "eg_gamma": 0.05}, SOURCES),
        results_doc("aa", "03_productivity", {"member_tfp_premium": (0.30, 0.05)}, SOURCES),
        results_doc("aa", "04_export_links", {"top_market_share": 0.62, "inside_link_share": 0.5,
                                              "world_export_share_change": -0.01}, SOURCES),
        results_doc("bb", "01_cluster_mapping", {"cluster_lq": 1.2, "eg_gamma": 0.01},
                    {"country_product": "faostat", "establishments": "rice_farms"}),
        results_doc("bb", "03_productivity", {"member_tfp_premium": (0.10, 0.05)},
                    {"country_product": "faostat", "establishments": "rice_farms"}),
        results_doc("cc", "04_export_links", {"top_market_share": 0.30, "inside_link_share": 0.9,
                                              "world_export_share_change": 0.02}, SOURCES),
        results_doc("cc", "03_productivity", {"member_tfp_premium": (0.20, None)}, SOURCES),
        # the synthesis folder itself is never read back
        results_doc("synthesis", "05_synthesis", {"n_clusters": 99}),
    ]
    return write_results(tmp_path / "outputs", docs)


def test_load_results_tidy_frame_runs_and_sources(three_clusters):
    (three_clusters / "aa" / "03_productivity.failed.json").write_text("{}")
    coll = synthesis.load_results(three_clusters)
    assert coll.clusters == ["aa", "bb", "cc"]
    h = coll.headlines
    assert list(h.columns) == synthesis.HEADLINE_COLUMNS
    assert len(h) == 2 + 1 + 3 + 2 + 1 + 3 + 1
    row = h[(h["cluster_id"] == "aa") & (h["key"] == "member_tfp_premium")].iloc[0]
    assert (row["notebook"], row["value"], row["se"]) == ("03_productivity", 0.30, 0.05)
    assert np.isnan(h.loc[h["key"] == "cluster_lq", "se"]).all()
    runs = coll.runs.set_index(["cluster_id", "notebook"])
    assert bool(runs.loc[("aa", "03_productivity"), "failed_last_run"])
    assert not bool(runs.loc[("bb", "03_productivity"), "failed_last_run"])
    kinds = coll.data_kinds()
    assert kinds.loc["aa", "establishments"] == "synthetic" and kinds.loc["bb", "establishments"] == "real"
    assert kinds.loc["bb", "trade_flows"] == "not used"
    inputs = coll.inputs()
    assert inputs["aa/01_cluster_mapping.results.json"]["synthetic_tables"] == ["establishments", "trade_flows"]
    assert inputs["bb/01_cluster_mapping.results.json"]["real_tables"] == ["country_product", "establishments"]
    assert len(inputs["cc/03_productivity.results.json"]["sha256"]) == 64
    summary = coll.summary().set_index("cluster_id")
    assert summary.loc["aa", "notebooks"] == 3 and summary.loc["aa", "failed_last_run"] == 1
    assert summary.loc["cc", "headline_numbers"] == 4
    assert coll.not_recorded.empty


def test_only_results_recorded_by_the_runner_are_read(three_clusters):
    """A results file the runner did not record (a run by hand, an interrupted commit) is listed, not read;
    nor is anything under the scratch folder of interactive runs."""
    write_results(three_clusters, [results_doc("dd", "01_cluster_mapping", {"cluster_lq": 9.0})], record=False)
    write_results(three_clusters / "_scratch", [results_doc("ee", "01_cluster_mapping", {"cluster_lq": 9.0})])
    coll = synthesis.load_results(three_clusters)
    assert coll.clusters == ["aa", "bb", "cc"] and 9.0 not in set(coll.headlines["value"])
    assert list(coll.not_recorded["file"]) == [str(three_clusters / "dd" / "01_cluster_mapping.results.json")]


def test_scorecard_labels_and_directions_come_from_the_registry():
    dims = synthesis.scorecard_dimensions().set_index("dimension")
    assert list(dims.index) == list(synthesis.SCORECARD)
    for dimension, key in synthesis.SCORECARD.items():
        declared = headlines.get(key)
        assert dims.loc[dimension, "label"] == declared.label and dims.loc[dimension, "notebook"] == declared.notebook
    assert dims.loc["market dependence", "direction"] == "lower is better"
    heads = synthesis.tidy_headlines([results_doc("aa", "03_productivity", {"member_tfp_premium": (0.3, 0.1)})])
    assert heads.loc[0, "label"] == headlines.get("member_tfp_premium").label  # not the label stored in the file
    with pytest.raises(HeadlineError, match="member_tfp_premum.*did you mean 'member_tfp_premium'"):
        synthesis.scorecard(heads, {"premium": "member_tfp_premum"})


def test_scorecard_by_hand_and_missing_dimensions(three_clusters):
    result = synthesis.synthesise(synthesis.load_results(three_clusters), P.SynthesisParams(rank_draws=200))
    card = result.scorecard
    assert list(card.columns) == ["cluster_name", *synthesis.SCORECARD]
    assert card.loc["aa", "specialisation"] == 2.0 and card.loc["bb", "concentration"] == 0.01
    assert card.loc["cc", "market dependence"] == 0.30 and card.loc["aa", "inside-link share"] == 0.5
    assert np.isnan(card.loc["bb", "market dependence"]) and np.isnan(card.loc["cc", "specialisation"])
    missing = result.missing.set_index("dimension")["clusters_without"]
    assert missing["specialisation"] == 1 and missing["agglomeration elasticity"] == 3
    # 2 synthetic tables out of 3 for aa and cc, 0 of 2 for bb: 4 of 8 pairs
    assert result.synthetic_share == pytest.approx(4 / 8)
    assert result.n_clusters == 3
    se = result.scorecard_se.set_index(["cluster_id", "key"])
    assert se.loc[("aa", "member_tfp_premium"), "se"] == 0.05


def test_danger_flags_by_hand(three_clusters):
    heads = synthesis.load_results(three_clusters).headlines
    flags = synthesis.danger_flags(heads, P.SynthesisParams()).set_index(["cluster_id", "flag"])["raised"]
    assert flags[("aa", "one-market dependence")] == True
    assert flags[("cc", "one-market dependence")] == False
    assert flags[("cc", "links only inside")] == True
    assert flags[("aa", "links only inside")] == False
    assert flags[("aa", "shrinking market share")] == True
    assert flags[("cc", "shrinking market share")] == False
    assert pd.isna(flags[("bb", "one-market dependence")])  # not recorded is not "no danger"
    looser = synthesis.danger_flags(heads, P.SynthesisParams(top_market_share_threshold=0.7))
    assert looser.set_index(["cluster_id", "flag"]).loc[("aa", "one-market dependence"), "raised"] == False
    result = synthesis.synthesise(synthesis.load_results(three_clusters), P.SynthesisParams(rank_draws=200))
    assert result.n_flags_raised == 3 and result.n_flags_assessed == 6
    wide = result.flags_wide()
    assert wide.loc["bb", "links only inside"] == "not recorded" and wide.loc["aa", "one-market dependence"] == "yes"


def test_ranking_excludes_clusters_without_se_and_counts_them(three_clusters):
    heads = synthesis.load_results(three_clusters).headlines
    ranked = synthesis.rank_clusters(heads, "member_tfp_premium", draws=2000, seed=1)
    assert ranked.order == ["aa", "bb"]
    assert ranked.excluded.to_dict("records") == [{"reason": "no standard error recorded", "n": 1, "unit": "clusters"}]
    top = ranked.ranks.iloc[0]
    # P(aa first) = Phi((0.30 - 0.10) / sqrt(0.05^2 + 0.05^2)) = Phi(2.83) = 0.9977
    assert top["p_best"] == pytest.approx(stats.norm.cdf(0.2 / np.sqrt(0.005)), abs=0.01)
    assert top["point_rank"] == 1 and ranked.ranks.iloc[1]["point_rank"] == 2
    assert "aa first" in ranked.reading()
    nothing = synthesis.rank_clusters(heads, "programme_att")
    assert nothing.order == [] and nothing.ranks.empty and "no cluster" in nothing.reading()


@pytest.mark.parametrize("gap", [0.0, 0.05, 0.1])
def test_rank_probability_matches_normal_truth_across_seeds(gap):
    """Two clusters: P(A first) = Phi(gap / sqrt(sA^2 + sB^2)); Monte Carlo mean over seeds recovers it."""
    heads = synthesis.tidy_headlines([
        results_doc("a", "03_productivity", {"x": (0.2 + gap, 0.06)}),
        results_doc("b", "03_productivity", {"x": (0.2, 0.08)}),
    ])
    truth = stats.norm.cdf(gap / 0.1)
    estimates = [synthesis.rank_clusters(heads, "x", draws=1000, seed=s).ranks.set_index("cluster_id")
                 .loc["a", "p_best"] for s in range(8)]
    # each estimate has sd <= sqrt(.25 / 1000) = 0.016; the mean over 8 seeds <= 0.0056
    assert np.mean(estimates) == pytest.approx(truth, abs=0.02)
    assert max(abs(e - truth) for e in estimates) < 0.06
    assert np.std(estimates) > 0  # different seeds, different draws


def test_rank_interval_covers_and_is_deterministic():
    heads = synthesis.tidy_headlines([
        results_doc(c, "03_productivity", {"x": (v, 0.01)}) for c, v in [("a", 3.0), ("b", 2.0), ("c", 1.0)]
    ] + [results_doc("d", "03_productivity", {"x": (2.0, 5.0)})])
    first = synthesis.rank_clusters(heads, "x", draws=3000, seed=7, level=0.9)
    again = synthesis.rank_clusters(heads, "x", draws=3000, seed=7, level=0.9)
    pd.testing.assert_frame_equal(first.ranks, again.ranks)
    r = first.ranks.set_index("cluster_id")
    # a, b, c are precise; d is anywhere: its rank interval spans 1..4
    assert (r.loc["d", "rank_low"], r.loc["d", "rank_high"]) == (1, 4)
    assert r.loc["a", "rank_low"] <= 2 and r.loc["c", "rank_high"] == 4
    lower = synthesis.rank_clusters(heads, "x", draws=500, seed=7, higher_is_better=False)
    assert lower.ranks.set_index("cluster_id").loc["c", "point_rank"] == 1


def test_params_from_overrides():
    params = P.load_synthesis_params({"synthesis.seed": 3, "synthesis.top_market_share_threshold": 0.4, "seed": 9})
    assert params.seed == 3 and params.top_market_share_threshold == 0.4
    assert params.cluster_id == "synthesis" and params.model_dump()["rank_draws"] == 4000
    assert P.cluster_overrides({"synthesis.seed": 3, "seed": 9}) == {"seed": 9}
    with pytest.raises(ParamsError, match="synthesis.top_market_treshold"):
        P.load_synthesis_params({"synthesis.top_market_treshold": 0.4})
    with pytest.raises(ParamsError, match="synthesis.rank_level"):
        P.load_synthesis_params({"synthesis.rank_level": 1.5})


def test_bad_results_files_are_named(tmp_path):
    with pytest.raises(EstimationError, match="no <cluster>/<notebook>.results.json"):
        synthesis.load_results(tmp_path)
    bad = tmp_path / "aa" / "01_cluster_mapping.results.json"
    write_results(tmp_path, [results_doc("aa", "01_cluster_mapping", {"cluster_lq": 2.0})])
    bad.write_text("{not json")
    with pytest.raises(DataContractError, match="aa/01_cluster_mapping.results.json: not valid JSON"):
        synthesis.load_results(tmp_path)
    bad.write_text(json.dumps({"cluster_id": "aa", "notebook": "01_cluster_mapping"}))
    with pytest.raises(DataContractError, match="01_cluster_mapping.results.json: key 'headline': Field required"):
        synthesis.load_results(tmp_path)
    bad.write_text(json.dumps(results_doc("aa", "01_cluster_mapping", {"cluster_lq": "high"})))
    with pytest.raises(DataContractError, match="key 'headline.cluster_lq.value"):
        synthesis.load_results(tmp_path)
    bad.unlink()
    with pytest.raises(DataContractError, match="recorded by the runner as completed but missing"):
        synthesis.load_results(tmp_path)
    heads = synthesis.tidy_headlines([results_doc("aa", "03_productivity", {"x": (1.0, -0.1)})])
    with pytest.raises(DataContractError, match="'x' of cluster 'aa'.*negative"):
        synthesis.rank_clusters(heads, "x")
    with pytest.raises(DataContractError, match="column 'se' is missing"):
        synthesis.scorecard(heads.drop(columns="se"))


def full_results(cluster_id, shift, sources=SOURCES):
    """Every headline key the synthesis reads, for one cluster (values shifted per cluster)."""
    return [
        results_doc(cluster_id, "01_cluster_mapping", {"cluster_lq": 1.5 + shift, "eg_gamma": 0.02 + shift / 10},
                    sources),
        results_doc(cluster_id, "02_agglomeration", {"localisation_elasticity": (0.05 + shift / 20, 0.02)}, sources),
        results_doc(cluster_id, "03_productivity", {"member_tfp_premium": (0.1 + shift / 10, 0.04),
                                                    "programme_att": (0.05, 0.03)}, sources),
        results_doc(cluster_id, "04_export_links", {
            "export_orientation": 0.3 + shift / 5, "top_market_share": 0.35 + shift / 5,
            "inside_link_share": 0.6 + shift / 10, "world_export_share_change": 0.01 - shift / 50,
            "member_export_premium": (0.1, 0.05)}, sources),
    ]


@pytest.mark.slow
def test_synthesis_notebook_runs_on_collected_results(project):
    docs = full_results("chile_wine", 0.0) + full_results("kenya_tea", 1.0) + full_results("vietnam_coffee", 2.0)
    write_results(project / "outputs", docs)
    from agrocluster import runner

    summary = runner.run(None, ["05_synthesis"], ["synthesis.rank_draws=500"], jobs=1, progress=False)
    assert [(r.label, r.status) for r in summary.results] == [("synthesis/05_synthesis", "ok")], summary.table()
    out = project / "outputs" / "synthesis"
    results = json.loads((out / "05_synthesis.results.json").read_text())
    assert results["headline"]["n_clusters"]["value"] == 3
    # kenya_tea (0.55) and vietnam_coffee (0.75) depend on one market; vietnam_coffee's share shrinks (-0.03)
    # and kenya_tea's (-0.01); nobody's inside-link share exceeds 0.8
    assert results["headline"]["n_danger_flags"]["value"] == 4
    assert results["provenance"]["params"]["rank_draws"] == 500
    assert set(results["provenance"]["inputs"]) == {f"{d['cluster_id']}/{d['notebook']}.results.json" for d in docs}
    card = pd.read_csv(out / "tables" / "05_synthesis-scorecard.csv").set_index("cluster_id")
    assert card.loc["kenya_tea", "specialisation"] == 2.5 and card.loc["vietnam_coffee", "market dependence"] == 0.75
    ranks = pd.read_csv(out / "tables" / "05_synthesis-rank-member_tfp_premium.csv")
    assert ranks["cluster_id"].iloc[0] == "vietnam_coffee"
    assert len(results["figures"]) == 1 + 4  # the scorecard and one rank plot per ranked key
    html = (out / "05_synthesis.html").read_text()
    assert "SYNTHETIC" in html and "Data provenance" in html and "Figure 5." in html
    index = (project / "outputs" / "index.html").read_text()
    assert "synthesis/05_synthesis.html" in index


def test_run_routes_synthesis_options_to_the_collection_notebook_only(project):
    from agrocluster import runner

    tasks = runner.build_matrix(["chile_wine"], ["00_cluster_overview", "05_synthesis"],
                                ["seed=5", "synthesis.rank_draws=300"])
    by_notebook = {t.notebook: dict(t.overrides) for t in tasks}
    assert by_notebook["00_cluster_overview"] == {"seed": 5}
    assert by_notebook["05_synthesis"] == {"seed": 5, "synthesis.rank_draws": 300}
    with pytest.raises(ParamsError, match="synthesis.rank_draw"):
        runner.build_matrix(["chile_wine"], None, ["synthesis.rank_draw=300"])
    with pytest.raises(ParamsError, match="synthesis.rank_level"):
        runner.build_matrix(["chile_wine"], None, ["synthesis.rank_level=2"])


def test_flags_read_shares_recorded_in_percent():
    doc = results_doc("aa", "04_export_links", {"top_market_share": 62.0, "inside_link_share": 0.5})
    doc["headline"]["top_market_share"]["unit"] = "%"
    other = results_doc("bb", "04_export_links", {"top_market_share": 0.4})
    flags = synthesis.danger_flags(synthesis.tidy_headlines([doc, other])).set_index(["cluster_id", "flag"])
    assert flags.loc[("aa", "one-market dependence"), "value"] == pytest.approx(0.62)
    assert bool(flags.loc[("aa", "one-market dependence"), "raised"])
    assert not bool(flags.loc[("bb", "one-market dependence"), "raised"])
    assert not bool(flags.loc[("aa", "links only inside"), "raised"])


def test_non_credible_programme_effect_is_neither_ranked_nor_flagged(tmp_path, monkeypatch):
    docs = [
        results_doc("aa", "03_productivity", {"programme_att": (0.30, 0.05), "programme_credible": 0}),
        results_doc("bb", "03_productivity", {"programme_att": (0.10, 0.05), "programme_credible": 1}),
        results_doc("cc", "03_productivity", {"programme_att": (0.20, 0.05)}),  # no pre-test recorded
    ]
    heads = synthesis.load_results(write_results(tmp_path / "outputs", docs)).headlines
    ranked = synthesis.rank_clusters(heads, "programme_att", draws=500, seed=1)
    assert ranked.order == ["cc", "bb"]
    assert ranked.excluded.to_dict("records") == [
        {"reason": "pre-trend test rejects: not credible as a causal effect", "n": 1, "unit": "clusters"}]
    # a flag on a causal estimate (none ships yet) is missing, not raised, for the non-credible cluster
    monkeypatch.setitem(synthesis.FLAGS, "programme hurts", ("programme_att", ">", "top_market_share_threshold"))
    flags = synthesis.danger_flags(heads).query("flag == 'programme hurts'").set_index("cluster_id")["raised"]
    assert flags.isna()["aa"] and not flags.isna()["bb"]


def test_scorecard_compares_clusters_on_links_and_risks_of_workbook_06():
    docs = [results_doc("aa", "06_cluster_links_risks", {"ghg_production_kt": 1850.9, "worst_collapse_output_share": 0.4,
                                                         "horizontal_inward_excess": 0.86, "largest_export_fall": 0.3}),
            results_doc("bb", "06_cluster_links_risks", {"ghg_production_kt": 245466.4, "ghg_growth_pct": 59.4})]
    card = synthesis.scorecard(synthesis.tidy_headlines(docs))
    assert card.loc["aa", "GHG of production"] == 1850.9 and card.loc["bb", "GHG of production"] == 245466.4
    assert card.loc["aa", "collapse exposure"] == 0.4 and np.isnan(card.loc["bb", "collapse exposure"])
    assert card.loc["bb", "footprint growth"] == 59.4 and card.loc["aa", "inward cooperation"] == 0.86
    assert card.loc["aa", "historical export collapse"] == 0.3 and np.isnan(card.loc["bb", "historical export collapse"])
