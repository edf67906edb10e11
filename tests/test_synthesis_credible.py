"""The synthesis ranks only comparable, credible numbers, flags dangers against benchmarks and maps each
cluster's profile to the FAO study's policy levers."""

from __future__ import annotations

import pandas as pd
import pytest

from agrocluster import params as P
from agrocluster import synthesis
from tests.test_synthesis import results_doc


def _doc(cluster, notebook, headline, origin):
    doc = results_doc(cluster, notebook, headline)
    for entry in doc["headline"].values():
        entry["origin"] = origin
    return doc


def test_synthetic_numbers_and_failed_pretrends_are_not_ranked():
    heads = synthesis.tidy_headlines([
        _doc("real_a", "03_productivity", {"programme_att": (0.10, 0.02), "programme_pretrend_pvalue": 0.40}, "real"),
        _doc("real_b", "03_productivity", {"programme_att": (0.30, 0.02), "programme_pretrend_pvalue": 0.01}, "real"),
        _doc("real_c", "03_productivity", {"programme_att": (0.05, 0.02), "programme_pretrend_pvalue": 0.50}, "real"),
        _doc("synth", "03_productivity", {"programme_att": (0.90, 0.02), "programme_pretrend_pvalue": 0.90},
             "synthetic"),
    ])
    assert synthesis.failed_pretrends(heads) == {"real_b": "pre-programme trends rejected (p < 0.05)"}
    ranked = synthesis.rank_clusters(heads, "programme_att", draws=500, exclude_synthetic=True,
                                     leave_out=synthesis.failed_pretrends(heads))
    assert ranked.order == ["real_a", "real_c"]
    reasons = dict(zip(ranked.excluded["reason"], ranked.excluded["n"]))
    assert reasons == {"synthetic data: recovers a planted parameter, not a finding": 1,
                       "pre-programme trends rejected (p < 0.05)": 1}
    # without the rules, the planted synthetic effect and the failed one would lead the ranking
    assert synthesis.rank_clusters(heads, "programme_att", draws=500).order[:2] == ["synth", "real_b"]


def test_inside_links_are_judged_against_random_mixing():
    heads = synthesis.tidy_headlines([
        _doc("closed", "04_export_links", {"inside_link_share": 0.85, "member_firm_share": 0.20}, "real"),
        _doc("big", "04_export_links", {"inside_link_share": 0.85, "member_firm_share": 0.95}, "real"),
        _doc("most", "04_export_links", {"inside_link_share": 0.85, "member_firm_share": 0.90}, "real"),
        _doc("unknown", "04_export_links", {"inside_link_share": 0.85}, "real"),
    ])
    flags = synthesis.danger_flags(heads).set_index(["cluster_id", "flag"])
    assert bool(flags.loc[("closed", "links only inside"), "raised"])
    assert not bool(flags.loc[("big", "links only inside"), "raised"])     # no more than random mixing
    assert bool(flags.loc[("unknown", "links only inside"), "raised"])
    assert "no random-mixing benchmark" in flags.loc[("unknown", "links only inside"), "rule"]
    # random mixing keeps p / (2 - p) inside: 0.905 for p = 0.95, 0.818 for p = 0.90 (below 0.85: raised)
    assert flags.loc[("big", "links only inside"), "benchmark"] == pytest.approx(0.95 / 1.05)
    assert bool(flags.loc[("most", "links only inside"), "raised"])


def test_shrinking_share_is_relative_to_its_own_size():
    heads = synthesis.tidy_headlines([
        _doc("large", "04_export_links", {"world_export_share": 30.0, "world_export_share_change": -0.5}, "real"),
        _doc("small", "04_export_links", {"world_export_share": 0.5, "world_export_share_change": -0.2}, "real"),
    ])
    for entry in ("world_export_share",):
        heads.loc[heads["key"] == entry, "unit"] = "%"
    flags = synthesis.danger_flags(heads, P.SynthesisParams()).set_index(["cluster_id", "flag"])
    # large: -0.5 pp of a 30.5 % base is -1.6 %; small: -0.2 pp of 0.7 % is -29 %
    assert not bool(flags.loc[("large", "shrinking market share"), "raised"])
    assert bool(flags.loc[("small", "shrinking market share"), "raised"])
    assert flags.loc[("small", "shrinking market share"), "value"] == pytest.approx(-0.2 / 0.7)


def test_typology_maps_profiles_to_levers():
    heads = synthesis.tidy_headlines([
        _doc("aa", "01_cluster_mapping", {"cluster_lq": 2.5}, "real"),
        _doc("aa", "03_productivity", {"member_tfp_premium": (0.01, 0.05)}, "real"),
        _doc("aa", "04_export_links", {"top_market_share": 0.7, "inside_link_share": 0.10,
                                       "member_firm_share": 0.30}, "real"),
        _doc("bb", "01_cluster_mapping", {"cluster_lq": 1.5}, "synthetic"),
        _doc("bb", "03_productivity", {"member_tfp_premium": (0.30, 0.05)}, "synthetic"),
        _doc("bb", "04_export_links", {"top_market_share": 0.2, "inside_link_share": 0.95,
                                       "member_firm_share": 0.30}, "synthetic"),
    ])
    levers = synthesis.typology(heads, synthesis.danger_flags(heads))
    got = {(r.cluster_id, r.lever): r.origin for r in levers.itertuples()}
    assert got == {("aa", "upgrading"): "real", ("aa", "market diversification"): "real",
                   ("aa", "joint action"): "real", ("bb", "outside links"): "synthetic"}
    assert set(levers["lever"]) <= set(synthesis.LEVERS)


def test_synthesise_carries_the_levers():
    heads = [_doc("aa", "04_export_links", {"top_market_share": 0.7}, "real")]
    frame = synthesis.tidy_headlines(heads)
    collection = synthesis.ResultsCollection(frame, pd.DataFrame({"cluster_id": ["aa"], "notebook": ["04"],
                                                                  "started": [""], "failed_last_run": [False],
                                                                  "file": [""], "sha256": [""]}),
                                             pd.DataFrame(columns=["cluster_id", "notebook", "table", "source",
                                                                   "kind"]))
    result = synthesis.synthesise(collection, P.SynthesisParams(rank_draws=100))
    assert result.levers.to_dict("records") == [{"cluster_id": "aa", "lever": "market diversification",
                                                 "reason": "raised: one-market dependence", "origin": "real"}]


def test_levers_step_reads_the_rules_and_marks_synthetic_rows():
    from types import SimpleNamespace

    from agrocluster.workbooks import synthesis as workbook

    empty = workbook.levers(SimpleNamespace(levers=pd.DataFrame(columns=synthesis.TYPOLOGY_COLUMNS)))
    assert not empty.computed and "Not computed: needs recorded indicators" in empty.message
    rows = pd.DataFrame([("aa", "upgrading", "premium", "synthetic"), ("bb", "joint action", "lq", "real")],
                        columns=synthesis.TYPOLOGY_COLUMNS)
    step = workbook.levers(SimpleNamespace(levers=rows))
    assert step.table is rows and "1 of 2 rows rest on synthetic numbers" in step.reading
    assert all(lever in step.reading for lever in synthesis.LEVERS)
