"""Tests of agrocluster.workbooks.productivity (notebook 03's steps) and agrocluster.workbooks.common.

Hand cases for each decision (coordinates, membership, participation, pre-trend wording, premium wording,
intervals), then the whole workbook on the demo data: a small synthetic cluster (planted truth) and the real
Indonesian rice farms (no membership, no coordinates, participation that is not absorbing).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agrocluster import params as P
from agrocluster.data.cluster import load_cluster
from agrocluster.productivity.uses import PremiumResult
from agrocluster.sections import Section
from agrocluster.workbooks import productivity as wb
from agrocluster.workbooks.common import has_coordinates, interval_text, loader_excluded, span_text


# -- common ------------------------------------------------------------------------------------------------
def test_has_coordinates_needs_both_columns_on_every_row():
    full = pd.DataFrame({"lat": [1.0, 2.0], "lon": [3.0, 4.0]})
    assert has_coordinates(full)
    assert not has_coordinates(full.assign(lat=[1.0, np.nan]))  # one missing latitude: no distances for it
    assert not has_coordinates(full.drop(columns="lon"))
    assert not has_coordinates(pd.DataFrame({"region": ["a"]}))
    assert not has_coordinates(full.iloc[:0])


def test_interval_text_hand_cases():
    assert interval_text(0.1, 0.05) == "0.002 to 0.198"
    assert interval_text(-1.0, 0.5, digits=2) == "-1.98 to -0.02"
    assert interval_text(0.1, np.nan) == "–"
    assert interval_text(None, 0.1) == "–"


def test_span_text_tells_periods_from_years():
    assert span_text(pd.Series([2010, 2019])) == "years 2010–2019"
    assert span_text(pd.Series([1, 6])) == "periods 1–6 (not calendar years)"


# -- decisions of workbook 03 ------------------------------------------------------------------------------
def test_participation_column_is_found_by_its_suffix_not_a_dataset_name():
    assert wb.participation_column(pd.DataFrame(columns=["firm_id", "coop_participant"])) == "coop_participant"
    assert wb.participation_column(pd.DataFrame(columns=["firm_id", "programme_entry_year"])) is None


def _staggered(pre_trend: float, seed: int = 0):
    """A staggered panel of 60 treated (two cohorts) and 60 never-treated units; treated units drift by
    ``pre_trend`` per period before entry (0: parallel trends)."""
    from agrocluster.programmes import staggered_did

    rng = np.random.default_rng(seed)
    units, years = 120, np.arange(2001, 2009)
    first = np.where(np.arange(units) < 30, 2005, np.where(np.arange(units) < 60, 2006, 0))
    rows = []
    for i in range(units):
        for t in years:
            drift = pre_trend * (t - years[0]) if first[i] else 0.0
            effect = 0.3 if first[i] and t >= first[i] else 0.0
            rows.append((i, t, first[i], drift + effect + rng.normal(scale=0.1)))
    df = pd.DataFrame(rows, columns=["unit", "year", "g", "y"])
    return staggered_did(df, "y", "unit", "year", "g", seed=seed, bootstrap=99)


def test_pretrend_wording_says_whether_the_effect_is_credible():
    parallel = wb.ProgrammeEffects(None, _staggered(0.0), None, None, pd.DataFrame(), None, None, None)
    text, note, clause = parallel.pretrend()
    assert "Parallel trends are not rejected." in text and note == f"Programme: {text}" and clause == f". {text}"
    drifting = wb.ProgrammeEffects(None, _staggered(0.2), None, None, pd.DataFrame(), None, None, None)
    text, _, _ = drifting.pretrend()
    assert "not credible as a causal effect" in text and drifting.pretest < 0.05
    assert "detects (80% power, 5% size) effects of at least" in text


def _premium(value: float, se: float) -> PremiumResult:
    return PremiumResult(premium=value, se=se, pvalue=0.5, by_year=pd.DataFrame(), trend=0.01, trend_se=0.005,
                         trend_pvalue=0.05, nobs=100, excluded=pd.DataFrame(columns=["reason", "rows"]))


def test_premium_sentence_positive_negative_and_insignificant():
    up = wb.premium_sentence(_premium(0.10, 0.02))
    assert up.startswith("Members: 10.5% higher TFP") and "0.061 to 0.139" in up
    assert "not distinguishable" not in up
    down = wb.premium_sentence(_premium(-0.20, 0.05))
    assert down.startswith("Members: 18.1% lower TFP")  # exp(-0.2) - 1 = -18.1%
    noisy = wb.premium_sentence(_premium(0.03, 0.05))
    assert "3.0% higher" in noisy and "not distinguishable from zero" in noisy


def _farms(n: int = 30, periods: int = 4, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = np.repeat(np.arange(n), periods)
    land = np.exp(rng.normal(0, 0.5, n))[f]
    labour = np.exp(rng.normal(5, 0.3, n * periods))
    materials = np.exp(rng.normal(10, 0.3, n * periods))
    output = land**0.4 * labour**0.3 * materials**0.3 * np.exp(rng.normal(0, 0.1, n * periods))
    return pd.DataFrame({"firm_id": [f"F{i}" for i in f], "year": np.tile(np.arange(1, periods + 1), n),
                         "sector": "0112", "region": np.where(f % 2 == 0, "v1", "v2"), "output": output,
                         "land": land, "labour": labour, "materials": materials})


def _data(frame: pd.DataFrame):
    from agrocluster.data.cluster import ClusterData, TableInfo

    info = TableInfo(table="establishments", source="test", origin="hand-made farms", sha256="", rows=len(frame))
    return ClusterData(params=None, tables={"establishments": frame}, info={"establishments": info}, truth={})


def test_farms_without_membership_or_coordinates_are_not_computed_and_say_why():
    farms = _farms()
    farms.loc[0, "output"] = 0.0  # one row has no log
    prepared = wb.prepare(_data(farms), ["ols", "lp"], value_added=True)
    assert prepared.computed and not prepared.result.has_members and not prepared.result.has_coordinates
    assert len(prepared.result.panel) == len(farms) - 1
    assert prepared.excluded["rows"].sum() == 1
    assert "periods 1–4 (not calendar years)" in prepared.reading
    for lack in ("no capital", "no investment", "no value added", "no coordinates", "no cluster membership"):
        assert lack in prepared.reading
    fit = wb.production_function(prepared.result, ["ols", "lp"]).result
    assert fit.main == "lp"
    roots = wb.acf_roots(fit)
    assert not roots.computed and roots.message == "Not computed: needs ACF among productivity.methods."
    premium = wb.member_premium(prepared.result, fit)
    assert not premium.computed and "cluster_member" in premium.reason
    groups = wb.tfp_groups(prepared.result)
    assert groups.order is None and set(groups.labels) == {"v1", "v2"}
    op = wb.olley_pakes(prepared.result, fit)
    assert [label for label, _ in op.result] == ["all farms"]
    everyone = wb.prepare(_data(farms.assign(cluster_member=True)), ["ols", "lp"], value_added=True)
    assert "every establishment is a member" in everyone.reading and "no cluster membership" not in everyone.reading
    premium = wb.member_premium(everyone.result, fit)
    assert premium.message.startswith("Not computed: needs non-members as well as members: every establishment is "
                                      "a member (cluster_member is true in all ")
    sample = wb.programme_sample(prepared.result, fit)  # no programme entry years: every programme step says so
    programme = wb.programme_effects(sample.result)
    steps = [sample, programme, wb.did_cohorts(programme), wb.event_study_figure(programme),
             wb.did_vs_twfe(programme.result), wb.spillovers(prepared.result, sample.result, [0.0, 10.0])]
    assert {step.reason for step in steps} == {"needs " + wb.NEEDS_PROGRAMME} and not any(s.computed for s in steps)
    heads = {h["key"]: h for h in wb.headlines(fit, 0.5, premium, None).result}
    assert heads["programme_att"]["value"] is None and "no programme entry" in heads["programme_att"]["note"]
    assert "Programme" not in wb.reading(fit, 0.5, premium, None).reading


def test_prepare_without_output_or_establishments_says_what_the_production_function_needs():
    step = wb.prepare(_data(_farms().drop(columns=["output"])), ["ols"])
    assert not step.computed and "has no 'output' column" in step.reason
    assert step.reason.startswith("needs output, labour and capital (or land) in the establishments")
    from agrocluster.data.cluster import ClusterData

    none = wb.prepare(ClusterData(params=None, tables={}, info={}, truth={}), ["ols"])
    assert none.reason == "needs the establishments table (data.establishments in the cluster's parameters)"


# -- the whole workbook on the demo data ------------------------------------------------------------------
def _run(data, methods, outcome="output"):
    prepared = wb.prepare(data, methods)
    production = wb.production_function(prepared.result, methods, bootstrap=0, seed=1)
    fit = production.result
    spread = wb.tfp_dispersion(prepared.result, fit, wb.tfp_groups(prepared.result))
    premium = wb.member_premium(prepared.result, fit)
    sample = wb.programme_sample(prepared.result, fit, outcome=outcome)
    effects = wb.programme_effects(sample.result, prepared.result.truth_programme, seed=1, bootstrap=49)
    return prepared, production, spread, premium, sample, effects


@pytest.fixture(scope="module")
def synthetic_run():
    data = load_cluster(P.load("kenya_tea", {"synthetic.n_firms": 300, "seed": 3}), tables=("establishments",))
    return _run(data, ["ols", "acf"])


def test_synthetic_demo_run(synthetic_run):
    prepared, production, spread, premium, sample, effects = synthetic_run
    assert all(isinstance(s, Section) for s in synthetic_run)
    assert prepared.result.synthetic and prepared.result.has_members and prepared.result.has_coordinates
    fit = production.result
    assert fit.main == "acf" and "true value" in production.table.columns
    assert "'true value' is the elasticity" in production.reading
    assert premium.computed and list(premium.table["term"][:2]) == ["member premium", "premium trend per period"]
    row = premium.table.iloc[0]
    assert row["ci_low"] == pytest.approx(row["estimate"] - 1.96 * row["se"])
    assert spread.result == pytest.approx(wb.mean_within_dispersion(fit.tfp, by=prepared.result.panel[["sector", "year"]])[0])
    assert sample.result.exits is None and sample.title == "Treatment is absorbing here"
    did = effects.result
    assert did.true_event_study is not None
    comparison = wb.did_vs_twfe(did).table
    assert comparison["estimate"].iloc[-1] == "true simple ATT (synthetic generator)"
    spill = wb.spillovers(prepared.result, sample.result, [0, 10, 25], seed=1)
    assert spill.computed and "True spillover" in spill.reading
    # every interval carries its measured coverage (data/validation/coverage.csv) under its table
    assert [c.split(":")[0] for c in production.coverage] == [wb.METHOD_NAMES[m] for m in fit.fits.results
                                                             if f"tfp-{m}" in wb.COVERAGE_METHODS]
    assert "[premium, CRV1 by firm]" in premium.coverage[0]
    assert [c.split(":")[0] for c in effects.coverage] == list(wb.DID_COVERAGE.values())
    assert spill.coverage[1].startswith("Pre-trend test by band (sup-t): Coverage study")
    heads = wb.headlines(fit, spread.result, premium, did)
    keys = [h["key"] for h in heads.result]
    assert keys == ["member_tfp_premium", "programme_att", "acf_beta_l", "acf_beta_k", "returns_to_scale",
                    "tfp_dispersion_9010", "programme_pretrend_pvalue", "programme_credible", "programme_mde"]
    by_key = {h["key"]: h for h in heads.result}
    assert by_key["acf_beta_l"]["value"] == pytest.approx(fit.fits.results["acf"].coef["labour"])
    assert by_key["programme_att"]["value"] == pytest.approx(did.simple.overall)
    text = wb.reading(fit, spread.result, premium, did).reading
    assert text.startswith("Production: ACF gives output elasticities of labour")
    assert "the generator planted" in text and "Members:" in text


def test_headlines_without_acf_note_the_missing_keys(synthetic_run):
    prepared, _, spread, premium, _, effects = synthetic_run
    fit = wb.production_function(prepared.result, ["ols"]).result
    heads = wb.headlines(fit, spread.result, premium, effects.result)
    assert "acf_beta_l" not in [h["key"] for h in heads.result]
    assert heads.notes and "acf_beta_l" in heads.notes[0]


def test_real_rice_farms_demo_run():
    data = load_cluster(P.load("indonesia_rice"), tables=("establishments",))
    prepared, production, spread, premium, sample, effects = _run(data, ["ols", "lp"])
    assert not prepared.result.synthetic and production.result.truth == {}
    assert not premium.computed
    assert sample.result.exits is not None and sample.notes[0].startswith("BIMAS participation is not absorbing")
    assert not wb.spillovers(prepared.result, sample.result, [0, 10], seed=1).computed
    heads = {h["key"]: h for h in wb.headlines(production.result, spread.result, premium, effects.result).result}
    assert heads["member_tfp_premium"]["value"] is None
    assert heads["programme_att"]["note"] == "intention to treat (entry date; exits ignored)"
    assert "intention-to-treat" in wb.reading(production.result, spread.result, premium, effects.result).reading


def test_loader_excluded_renames_to_the_exclusions_shape():
    data = load_cluster(P.load("indonesia_rice"), tables=("establishments",))
    assert list(loader_excluded(data).columns) == ["table", "reason", "rows"]
