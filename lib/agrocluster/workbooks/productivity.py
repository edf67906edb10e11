"""Workbook 03 (productivity and the cluster programme): what the data allow, which specification, the reading.

Each step of the notebook is one function here returning a :class:`~agrocluster.sections.Section`:

- :func:`prepare` — the production-function columns, the panel usable for logs and what the data lack;
- :func:`production_function` — every estimator (:func:`~agrocluster.productivity.workflow.fit_methods`), the
  TFP the rest of the workbook uses (ACF first, one path for workbooks 02 and 03) and its exclusions;
- :func:`acf_roots`, :func:`tfp_groups`, :func:`tfp_dispersion`, :func:`member_premium`, :func:`olley_pakes`;
- :func:`programme_sample`, :func:`programme_effects`, :func:`did_vs_twfe`, :func:`spillovers` — the
  staggered DiD (as R ``did::att_gt``) and what surrounds it;
- :func:`headlines` and :func:`reading` — the numbers the site compares and the plain-language summary.

The decisions (members or not, coordinates or not, absorbing participation or not, synthetic truth or not)
are taken from the data, never from the name of a data set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from agrocluster.data.contracts import positive_for_logs
from agrocluster.errors import DataContractError, EstimationError
from agrocluster.productivity import (
    dispersion,
    mean_within_dispersion,
    olley_pakes_decomposition,
    productivity_premium,
    workflow,
)
from agrocluster.productivity.tfp import TFPResult
from agrocluster.productivity.uses import PremiumResult
from agrocluster.productivity.workflow import METHOD_NAMES, MethodFits, ProductionSpec
from agrocluster.programmes import (
    credibility_reading,
    event_study,
    spillover_effects,
    staggered_did,
    twfe_did,
)
from agrocluster.programmes.prepare import programme_panel, treatment_exits
from agrocluster.sections import Section, excluded_frame
from agrocluster.validation.notes import METHODS as COVERAGE_METHODS
from agrocluster.validation.notes import annotate
from agrocluster.workbooks.common import (
    has_coordinates,
    interval_text,
    loader_excluded,
    membership_need,
    span_text,
)

#: The programme section's intervals and test, by coverage-study key (:mod:`agrocluster.validation.notes`).
DID_COVERAGE = {"did-simple": "Simple ATT", "did-group-band": "ATT by cohort (uniform band)",
                "did-event-band": "Event-study ATT(e) (uniform band)", "did-att-gt": "ATT(g,t) (pointwise)",
                "did-att-gt-band": "ATT(g,t) (uniform band)", "did-pretrend": "Pre-trend test (sup-t)"}

#: Suffix of a per-period participation column (e.g. ``bimas_participant``): participation may not be absorbing.
PARTICIPATION_SUFFIX = "_participant"


@dataclass
class ProductivityData:
    """What the steps of workbook 03 share once the data are read.

    Attributes
    ----------
    establishments : DataFrame — the table as loaded; panel : DataFrame — its rows with positive logs.
    spec : ProductionSpec — output, inputs and proxies; synthetic : bool.
    truth_production, truth_programme : dict or None — the synthetic generator's planted values.
    has_members : bool — the data say which units are cluster members (both kinds present).
    has_coordinates : bool — :func:`agrocluster.workbooks.common.has_coordinates`.
    """

    establishments: pd.DataFrame
    panel: pd.DataFrame
    spec: ProductionSpec
    synthetic: bool
    truth_production: dict | None
    truth_programme: dict | None
    has_members: bool
    has_coordinates: bool


def _missing_parts(est: pd.DataFrame, members: bool, coords: bool) -> list[str]:
    """What a table lacks that some step of the workbook needs, worded as "no X: Y is skipped"."""
    rules = [
        ("capital" not in est.columns, "no capital (land is the state input)"),
        ("investment" not in est.columns, "no investment, so Olley–Pakes is skipped"),
        ("value_added" not in est.columns, "no value added, so the production function is on gross output"),
        (not coords, "no coordinates, so the distance spillovers are skipped"),
        ("cluster_member" not in est.columns, "no cluster membership, so the member premium is skipped"),
        ("cluster_member" in est.columns and not members,
         f"no comparison of members with non-members (it needs {membership_need(est)}), so the member premium is "
         "skipped"),
    ]
    return [text for missing, text in rules if missing]


def prepare(data: Any, methods: list[str], value_added: bool = True) -> Section:
    """Read the establishments of ``data`` (a ``ClusterData``) for workbook 03.

    Chooses the production-function columns (:func:`~agrocluster.productivity.workflow.production_spec`),
    keeps the rows whose logged columns are positive (the others are counted in ``excluded``), and says what
    the data lack for the later steps. The section's table lists the production-function columns. Not
    computed without establishments or without output, labour and a state input (every later step rests on
    the production function: the notebook then ends with ``rec.stop_unless``).
    """
    if not data.has("establishments"):
        return Section.not_computed("The data", needs="the establishments table (data.establishments in the "
                                    "cluster's parameters)", excluded=loader_excluded(data))
    est = data["establishments"]
    synthetic = data.is_synthetic("establishments")
    try:
        spec = workflow.production_spec(est, methods, value_added=value_added)
    except DataContractError as err:  # no output, labour or state input: no production function
        return Section.not_computed("The data", needs=f"output, labour and capital (or land) in the establishments "
                                    f"for a production function ({str(err).removeprefix('production_spec: ')})",
                                    excluded=loader_excluded(data))
    panel, excluded_logs = positive_for_logs(est, spec.log_columns, source="establishments")
    logs = excluded_logs[excluded_logs["n_rows"] > 0].assign(table="establishments").rename(columns={"n_rows": "rows"})
    members = "cluster_member" in est.columns and est["cluster_member"].nunique() == 2
    coords = has_coordinates(est)
    prepared = ProductivityData(
        establishments=est, panel=panel, spec=spec, synthetic=synthetic,
        truth_production=data.truth.get("production") if synthetic else None,
        truth_programme=data.truth.get("programme") if synthetic else None,
        has_members=members, has_coordinates=coords,
    )
    kind = "synthetic (generated with known true parameters)" if synthetic else "real"
    reading = (f"{len(est):,} {kind} firm-period rows, {est['firm_id'].nunique():,} units, "
               f"{span_text(est['year'])}; {len(panel):,} rows usable for logs.")
    missing = _missing_parts(est, members, coords)
    if missing:
        reading += " What these data cannot support: " + "; ".join(missing) + "."
    return Section(
        title="The data", result=prepared, table=spec.table(), reading=reading, notes=list(spec.notes),
        excluded=pd.concat([loader_excluded(data), excluded_frame(logs)], ignore_index=True),
    )


@dataclass
class ProductionFit:
    """The production-function runs and the TFP the workbook uses.

    Attributes
    ----------
    fits : MethodFits; truth : dict — planted elasticities (empty for real data).
    main : str — the method whose TFP is used (:meth:`MethodFits.preferred`: ACF first).
    tfp : Series — log TFP of ``main`` on the panel's index.
    """

    fits: MethodFits
    truth: dict[str, float]
    main: str

    @property
    def result(self) -> TFPResult:
        return self.fits.results[self.main]

    @property
    def tfp(self) -> pd.Series:
        return self.result.tfp

    @property
    def method_name(self) -> str:
        return METHOD_NAMES[self.main]


def production_function(prepared: ProductivityData, methods: list[str], *, bootstrap: int = 0, seed: int = 0,
                        poly_degree: int = 2, markov_degree: int = 3, exit: bool = False) -> Section:
    """Every estimator of ``methods`` side by side (as Stata ``prodest``), and the TFP used downstream.

    The table is :func:`~agrocluster.productivity.workflow.method_table` (with the planted values for
    synthetic data). Methods skipped for a reason other than a missing proxy (those are already said by
    :func:`prepare`) become notes; the rows the chosen estimator left out are counted in ``excluded``.
    """
    spec = prepared.spec
    fits = workflow.fit_methods(prepared.panel, spec, methods, bootstrap=bootstrap, seed=seed,
                                poly_degree=poly_degree, markov_degree=markov_degree, exit=exit)
    fit = ProductionFit(fits=fits, truth=workflow.truth_coefficients(prepared.truth_production, spec),
                        main=fits.preferred())
    notes = [f"Production function: {row.method} not estimated ({row.reason})."
             for row in fits.skipped.itertuples() if row.reason != "its proxy is not in the data"]
    excluded = [("establishments", f"{fit.method_name} estimating equation: {row.reason}", row.n)
                for row in fit.result.excluded.itertuples() if row.n > 0]
    reading = (f"{'Value added' if spec.value_added else 'Gross output'}; TFP used below: {fit.method_name} "
               f"(log TFP = log output − Σ elasticity × log input, including the measurement error; "
               f"{fit.tfp.notna().sum():,} firm-periods).")
    if fit.truth:
        reading += " 'true value' is the elasticity the synthetic generator planted."
    section = Section(title="Production function", result=fit, table=workflow.method_table(fits, fit.truth),
                      reading=reading, notes=notes, excluded=excluded)
    # every fitted method with a coverage check (Wooldridge has none yet: no note claims one)
    keys = {f"tfp-{m}": METHOD_NAMES.get(m, m.upper()) for m in fits.results if f"tfp-{m}" in COVERAGE_METHODS}
    return annotate(section, *keys, label=keys)


def acf_roots(fit: ProductionFit) -> Section:
    """The distinct roots the ACF criterion reached from several starts, or not computed when ACF was not run."""
    scan = fit.fits.acf_scan
    if scan is None:
        return Section.not_computed("ACF roots", needs="ACF among productivity.methods")
    notes = []
    if scan.several:
        notes.append(f"ACF: {scan.reading()} The root reached from the OLS start (Stata prodest's default) is "
                     "listed in Table 3; the choice among exact roots is a stated rule, not a test.")
    roots = scan.table().drop(columns=["criterion"]).rename(columns={"n_starts": "starts reaching it"})
    return Section(title="ACF roots", result=scan, table=roots, reading=scan.reading(), notes=notes)


@dataclass
class Groups:
    """How units are compared: ``labels`` per panel row, their ``order`` and what they are (``what``)."""

    labels: pd.Series
    order: list[str] | None
    what: str


def tfp_groups(prepared: ProductivityData) -> Groups:
    """Members against other firms when the data say who is a member, otherwise the regions (villages)."""
    panel = prepared.panel
    if prepared.has_members:
        labels = panel["cluster_member"].map({True: "cluster members", False: "other firms"})
        return Groups(labels, ["cluster members", "other firms"], "members and other firms")
    return Groups(panel["region"].astype(str), None, "regions (the data do not split establishments into members and non-members)")


def tfp_dispersion(prepared: ProductivityData, fit: ProductionFit, groups: Groups) -> Section:
    """Spread of log TFP by group (table) and the firm-weighted mean 90–10 within sector × year (result, reading)."""
    disp_9010, n_cells = mean_within_dispersion(fit.tfp, by=prepared.panel[["sector", "year"]])
    table = dispersion(fit.tfp, by=groups.labels).reset_index(names="group")
    table["n"] = table["n"].astype(int)
    reading = (f"Within sector and year, the 90–10 difference of log TFP averages {disp_9010:.3f} log points "
               f"(a ratio of {np.exp(disp_9010):.2f}) over {n_cells} sector-year cells, weighted by firms.")
    return Section(title="TFP dispersion", result=disp_9010,
                   table=table[["group", "n", "sd", "p90_p10", "p75_p25", "ratio_90_10", "ratio_75_25"]],
                   reading=reading)


def premium_table(premium: Any) -> pd.DataFrame:
    """Overall premium, its trend and the premium year by year, with 95% intervals and the firms compared."""
    overall = premium.table().assign(year="all")
    overall["ci_low"] = overall["estimate"] - 1.96 * overall["se"]
    overall["ci_high"] = overall["estimate"] + 1.96 * overall["se"]
    by_year = premium.by_year.rename(columns={"premium": "estimate"}).assign(
        year=premium.by_year["year"].astype(str), term="member premium in the year")
    table = pd.concat([overall, by_year], ignore_index=True)
    table[["n_members", "n_others"]] = table[["n_members", "n_others"]].astype("Int64")
    return table[["term", "year", "estimate", "se", "pvalue", "ci_low", "ci_high", "n_members", "n_others"]]


def member_premium(prepared: ProductivityData, fit: ProductionFit, fe: tuple[str, ...] = ("sector", "year")) -> Section:
    """Members' log-TFP premium over non-members of the same ``fe`` cells (SE clustered by firm).

    Not computed when the data define no membership, or when no comparison cell has both kinds of unit.
    """
    title = "Member premium"
    if not prepared.has_members:
        return Section.not_computed(title, needs=membership_need(prepared.establishments))
    try:
        premium = productivity_premium(prepared.panel, fit.tfp, member="cluster_member", fe=fe)
    except EstimationError as exc:
        return Section.not_computed(title, needs=f"comparable members and non-members ({exc})")
    excluded = [("establishments", f"member premium: {row.reason}", row.n) for row in premium.excluded.itertuples()]
    return annotate(Section(title=title, result=premium, table=premium_table(premium), reading=premium.reading(),
                            excluded=excluded), "member-premium")


def olley_pakes(prepared: ProductivityData, fit: ProductionFit) -> Section:
    """Olley–Pakes decomposition of output-weighted log TFP, for members and others or for all units.

    ``result`` is a list of (group label, decomposition) for the figure; the table stacks them.
    """
    panel = prepared.panel
    if prepared.has_members:
        split = [("cluster members", panel["cluster_member"]), ("other firms", ~panel["cluster_member"])]
    else:
        split = [("all firms" if prepared.synthetic else "all farms", pd.Series(True, index=panel.index))]
    parts = []
    for label, mask in split:
        sub = panel[mask]
        parts.append((label, olley_pakes_decomposition(sub, fit.tfp.reindex(sub.index), weight="output")))
    table = pd.concat([op.reset_index().assign(group=label) for label, op in parts], ignore_index=True)
    table["year"] = table["year"].astype(str)
    return Section(title="Olley–Pakes decomposition", result=parts,
                   table=table[["group", "year", "n", "aggregate", "unweighted_mean", "covariance", "d_aggregate",
                                "d_mean", "d_cov"]])


@dataclass
class ProgrammeSample:
    """The programme panel (``data``: log outcome, first_treated), the outcome's name and the exits table."""

    data: pd.DataFrame
    outcome: str
    outcome_text: str
    exits: pd.DataFrame | None


def participation_column(df: pd.DataFrame) -> str | None:
    """The per-period participation column (name ending in ``_participant``), or None when the data have none."""
    found = [c for c in df.columns if str(c).endswith(PARTICIPATION_SUFFIX)]
    return found[0] if found else None


#: What the programme steps need when the data do not date programme entry (completes "Not computed: needs …").
NEEDS_PROGRAMME = ("the year each participating establishment entered the programme (column programme_entry_year, "
                   "empty for firms never in it)")


def programme_sample(prepared: ProductivityData, fit: ProductionFit, outcome: str = "output") -> Section:
    """The panel of :func:`~agrocluster.programmes.prepare.programme_panel` and whether participation is absorbing.

    When the data record participation period by period, :func:`treatment_exits` counts units that leave
    after entering; the staggered DiD then estimates the effect of having entered (intention to treat),
    which a note says. Otherwise entry dates define treatment and the section says so. Not computed (result
    None) when the data give no programme entry year or lack the outcome column.
    """
    panel = prepared.panel
    if "programme_entry_year" not in panel.columns or not panel["programme_entry_year"].notna().any():
        return Section.not_computed("Programme sample", needs=NEEDS_PROGRAMME)
    try:
        df, excl = programme_panel(panel, outcome, tfp=fit.tfp)
    except DataContractError as err:
        return Section.not_computed("Programme sample", needs=f"the programme outcome ({err})")
    outcome_text = "log TFP" if outcome == "tfp" else f"log {outcome}"
    excluded = [("establishments", f"programme: {row.reason}", row.n_rows) for row in excl.itertuples()]
    column = participation_column(df)
    if column is None:
        return Section(title="Treatment is absorbing here", result=ProgrammeSample(df, outcome, outcome_text, None),
                       reading="Once in the programme, a firm stays in: entry dates define treatment, as the "
                               "staggered DiD assumes.", excluded=excluded)
    exits = treatment_exits(df, column)
    e0 = exits.iloc[0]
    name = column.removesuffix(PARTICIPATION_SUFFIX).upper()
    note = (f"{name} participation is not absorbing: {int(e0.units_leaving_later)} of {int(e0.units_ever_in)} units "
            f"that enter leave in a later period ({100 * e0.share_post_entry_out:.0f}% of post-entry periods are "
            "spent outside). The staggered DiD dates treatment by first entry and treats every later period as "
            "treated: it estimates the effect of having entered (intention to treat), not of staying in.")
    return Section(title="Programme exits", result=ProgrammeSample(df, outcome, outcome_text, exits), table=exits,
                   reading=note, notes=[note], excluded=excluded)


@dataclass
class ProgrammeEffects:
    """The staggered DiD (``did`` and its simple, dynamic and cohort aggregates) and the TWFE beside it."""

    sample: ProgrammeSample
    did: Any
    simple: Any
    dynamic: Any
    cohorts: pd.DataFrame
    twfe: Any
    twfe_event_study: Any
    truth: dict | None

    @property
    def pretest(self) -> float:
        """p-value of the pre-trend test that keeps its size in small cohorts (sup-t, small-sample t reference)."""
        return float(self.did.pretrend_pvalue)

    @property
    def credibility(self) -> str:
        """:func:`~agrocluster.programmes.credibility_reading`: the pre-trend verdict and the minimum
        detectable effect, in words."""
        return credibility_reading(self.did)

    def pretrend(self) -> tuple[str, str, str]:
        """(the sentence under the DiD table, the caveat note, the clause of the closing summary), all from
        :attr:`credibility`: when the pre-trend test rejects, the estimate is not credible as a causal effect."""
        text = self.credibility
        return text, f"Programme: {text}", f". {text}"

    @property
    def band(self) -> str:
        return "uniform 95% band" if self.dynamic.uniform else "pointwise 95% interval"

    @property
    def true_event_study(self) -> pd.DataFrame | None:
        """The planted effect by event time (synthetic data, outcome output), else None."""
        if self.truth and self.sample.outcome == "output":
            return pd.DataFrame(self.truth["att_event_study"])
        return None

    def cohort_table(self) -> pd.DataFrame:
        return self.cohorts.rename(columns={"group": "cohort (entry period)", "n_treated": "units"})


def programme_effects(sample: ProgrammeSample, truth: dict | None = None, *, control: str = "never_treated",
                      seed: int = 0, anticipation: int = 0, bootstrap: int = 999) -> Section:
    """Staggered DiD (Callaway & Sant'Anna 2021, as R ``did::att_gt``) with TWFE beside it.

    The table describes the DiD sample (units, comparison group, estimator, draws, units left out); the
    reading gives the simple ATT, the static TWFE coefficient, the pre-trend test and small cohorts. Not
    computed (result None) without a programme sample (``sample`` None) or when the DiD cannot be estimated.
    """
    if sample is None:
        return Section.not_computed("Staggered DiD", needs=NEEDS_PROGRAMME)
    df = sample.data
    try:
        did = staggered_did(df, "log_outcome", "firm_id", "year", "first_treated", control=control, seed=seed,
                            anticipation=anticipation, bootstrap=bootstrap)
    except (EstimationError, DataContractError) as err:
        return Section.not_computed("Staggered DiD", needs=f"a sample the staggered DiD can estimate ({err})")
    simple, dynamic, group_agg = did.aggregate("simple"), did.aggregate("dynamic"), did.aggregate("group")
    cohorts = did.att_gt.groupby("group", as_index=False)["n_treated"].max().merge(group_agg.table, on="group",
                                                                                    how="left")
    cohorts["group"] = cohorts["group"].astype(str)
    cohorts = cohorts.merge(did.power()[["cohort", "mde"]], left_on="group", right_on="cohort").drop(columns="cohort")
    es_twfe = event_study(df, "log_outcome", "firm_id", "year", "first_treated", method="twfe")
    twfe = twfe_did(df, "log_outcome", "firm_id", "year", "first_treated")
    effects = ProgrammeEffects(sample, did, simple, dynamic, cohorts, twfe, es_twfe, truth)
    excluded = ([("establishments", f"staggered DiD (units, not rows): {row.reason}", row.n)
                 for row in did.excluded.itertuples()]
                + [("establishments", f"TWFE: {row.reason}", row.n) for row in twfe.excluded.itertuples()])
    notes = [f"Staggered DiD: {text}" for text in did.notes]
    lines = [(f"Staggered DiD, simple ATT: {simple.overall:.3f} log points (SE {simple.se:.3f}, 95% CI "
              f"{simple.ci_lower:.3f} to {simple.ci_upper:.3f}); static TWFE: {twfe.coef:.3f} (SE {twfe.se:.3f}).")]
    small = did.small_groups
    if len(small):
        txt = ", ".join(f"{int(r.group)} ({r.n_units} units)" for r in small.itertuples())
        lines.append(f"Small cohorts (fewer than 5 units): {txt}; their estimates are imprecise.")
        notes.append(f"Staggered DiD: small cohorts ({txt}): wide bands, weak pre-trend test.")
    pre_text, pre_note, _ = effects.pretrend()
    lines.insert(1, pre_text)
    notes.append(pre_note)
    table = pd.concat([
        pd.DataFrame({"item": ["units in the balanced panel", "comparison group", "estimator",
                               "multiplier-bootstrap draws", "anticipation periods"],
                      "value": [f"{did.n_units:,}", did.control.replace("_", " "), did.est_method,
                                f"{did.bootstrap:,}", str(did.anticipation)]}),
        pd.DataFrame({"item": "left out: " + did.excluded["reason"].astype(str),
                      "value": did.excluded["n"].map("{:,} units".format)}),
    ], ignore_index=True)
    section = Section(title="Staggered DiD", result=effects, table=table, reading=" ".join(lines), notes=notes,
                      excluded=excluded)
    return annotate(section, *DID_COVERAGE, label=DID_COVERAGE)


def did_cohorts(programme: Section) -> Section:
    """The effect by cohort (average over its post-entry periods) with uniform bands and units; passes "not
    computed" through."""
    if not programme.computed:
        return Section(title="Effect by cohort", computed=False, reason=programme.reason)
    return Section(title="Effect by cohort", result=programme.result, table=programme.result.cohort_table())


def event_study_figure(programme: Section) -> Section:
    """The programme's effect by periods since entry: Callaway–Sant'Anna with its band, dynamic TWFE beside it
    and, for synthetic data, the planted effect; captioned; passes "not computed" through."""
    if not programme.computed:
        return Section(title="Event study", computed=False, reason=programme.reason)
    from agrocluster import figures
    from agrocluster.figures import productivity as fp

    effects: ProgrammeEffects = programme.result
    fig, ax = figures.new_figure(height=4.2)
    fp.event_study(ax, effects.dynamic.table, effects.twfe_event_study.table(), effects.true_event_study,
                   band=effects.band)
    caption = (f"Effect of the programme on {effects.sample.outcome_text} by periods since entry: Callaway–Sant'Anna "
               f"({effects.band}), dynamic TWFE beside it (reference period −1); dashed, for synthetic data: the true "
               "effect planted by the generator.")
    return Section(title="Event study", result=fig, reading=caption)


def did_vs_twfe(effects: ProgrammeEffects | None) -> Section:
    """The programme effect by staggered DiD and by TWFE side by side (and the planted ATT for synthetic data);
    not computed without a DiD (``effects`` None)."""
    if effects is None:
        return Section.not_computed("Staggered DiD against TWFE", needs=NEEDS_PROGRAMME)
    simple, dynamic, twfe = effects.simple, effects.dynamic, effects.twfe
    rows = [
        {"estimate": "Callaway–Sant'Anna, simple ATT", "value": simple.overall, "se": simple.se,
         "ci_lower": simple.ci_lower, "ci_upper": simple.ci_upper},
        {"estimate": "Callaway–Sant'Anna, mean of event-time effects (e ≥ 0)", "value": dynamic.overall,
         "se": dynamic.se, "ci_lower": dynamic.ci_lower, "ci_upper": dynamic.ci_upper},
        {"estimate": "static TWFE coefficient", "value": twfe.coef, "se": twfe.se, "ci_lower": twfe.ci_lower,
         "ci_upper": twfe.ci_upper},
        {"estimate": "TWFE: share of treated cells with negative weight", "value": twfe.negative_weight_share},
        {"estimate": "minimum detectable effect of the simple ATT (80% power, 5% size)",
         "value": effects.did.summary()["mde"].iloc[0]},
        {"estimate": "pre-trend test p-value (sup-t, small-sample t reference)", "value": effects.pretest},
        {"estimate": "pre-trend test p-value (Wald as R did; over-rejects with small cohorts)",
         "value": effects.did.pretest_pvalue},
    ]
    if effects.true_event_study is not None:
        rows.append({"estimate": "true simple ATT (synthetic generator)", "value": effects.truth["att_simple"]})
    keys = {k: DID_COVERAGE[k] for k in ("did-simple", "did-pretrend")} | {"did-pretrend-wald": "Pre-trend test (Wald)"}
    return annotate(Section(title="Staggered DiD against TWFE", result=effects, table=pd.DataFrame(rows)), *keys,
                    label=keys)


def spillovers(prepared: ProductivityData, sample: ProgrammeSample | None, bands_km: list[float],
               seed: int = 0) -> Section:
    """Effects on non-participants by distance band to the nearest participant (staggered DiD and TWFE).

    Not computed without a programme sample or without coordinates. The reading names the outcome and, for
    synthetic data, the planted value.
    """
    if sample is None:
        return Section.not_computed("Spillovers", needs=NEEDS_PROGRAMME)
    if not prepared.has_coordinates:
        return Section.not_computed("Spillovers", needs="latitude and longitude of every establishment "
                                                        "(distance to participants)")
    spill = spillover_effects(sample.data, "log_outcome", "firm_id", "year", "first_treated", exposure="distance",
                              bands=tuple(bands_km), seed=seed)
    excluded = [("establishments", f"spillovers (units): {row.reason}", row.n)
                for row in spill.excluded.itertuples() if not row.reason.startswith("participants")]
    truth = prepared.truth_programme
    reading = f"Outcome: {sample.outcome_text}."
    if truth:
        reading += (f" True spillover in the synthetic data: {truth['spillover_effect']:+.3f} log points within "
                    f"{truth['spillover_band_km']:g} km of a participant, from its entry.")
    table = spill.table()[["band", "att", "se", "ci_lower", "ci_upper", "mde", "pretrend_pvalue", "credible",
                           "n_exposed", "n_unexposed", "twfe_coef", "twfe_se"]]
    # each band's ATT is a simple ATT of a staggered DiD whose cohorts start at the earliest nearby entry
    keys = {"did-simple": "Spillover ATT by band (staggered DiD)", "did-pretrend": "Pre-trend test by band (sup-t)"}
    return annotate(Section(title="Spillovers", result=spill, table=table, reading=reading, excluded=excluded),
                    *keys, label=keys)


def _finite(x: Any) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def headlines(fit: ProductionFit, dispersion_9010: float, premium: Section,
              effects: ProgrammeEffects | None) -> Section:
    """The headline numbers of workbook 03; ``result`` is a list of keyword dicts for ``Recorder.headline``.

    Keys: member_tfp_premium, programme_att, acf_beta_l, acf_beta_k, returns_to_scale (ACF only),
    tfp_dispersion_9010, programme_pretrend_pvalue, programme_credible, programme_mde (the programme's
    recorded as not estimable when ``effects`` is None).
    """
    heads, notes = [], []
    if premium.computed:
        heads.append(("member_tfp_premium", premium.result.premium, premium.result.se,
                      f"member TFP premium ({fit.method_name}, sector-year FE)", "log points", None))
    else:
        heads.append(("member_tfp_premium", None, None, "member TFP premium", "log points",
                      f"not estimable: {premium.reason}"))
    if effects is not None:
        simple = effects.simple
        heads.append(("programme_att", simple.overall, simple.se,
                      f"programme ATT on {effects.sample.outcome_text} (staggered DiD)", "log points",
                      "intention to treat (entry date; exits ignored)" if effects.sample.exits is not None else None))
    else:
        heads.append(("programme_att", None, None, "programme ATT (staggered DiD)", "log points",
                      "not estimable: the data date no programme entry"))
    state = fit.fits.spec.state[0]
    if "acf" in fit.fits.results:
        acf = fit.fits.results["acf"]
        rts = acf.diagnostics["returns_to_scale"]
        land = state != "capital"
        heads += [
            ("acf_beta_l", acf.coef["labour"], acf.se["labour"], "ACF output elasticity of labour", "elasticity", None),
            ("acf_beta_k", acf.coef[state], acf.se[state], f"ACF output elasticity of {state}"
             + (" (the farms' state input; no capital in the data)" if land else ""), "elasticity",
             "land, not capital" if land else None),
            ("returns_to_scale", rts["sum"], rts["se"], "ACF returns to scale (sum of elasticities)", "elasticity",
             None),
        ]
    else:
        notes.append("ACF is not among productivity.methods: acf_beta_l, acf_beta_k and returns_to_scale are not "
                     "recorded.")
    heads.append(("tfp_dispersion_9010", dispersion_9010, None,
                  f"90–10 log-TFP difference within sector-year ({fit.method_name})", "log points", None))
    if effects is not None:
        pre = effects.pretest
        heads.append(("programme_pretrend_pvalue", None if np.isnan(pre) else pre, None,
                      "pre-trend test p-value (sup-t)", None, None))
        credible = effects.did.credible
        heads.append(("programme_credible", None if credible is None else int(credible), None,
                      "programme ATT credible as a causal effect (1 = yes)", "flag", None))
        heads.append(("programme_mde", effects.did.summary()["mde"].iloc[0], None,
                      "minimum detectable programme effect (80% power, 5% size)", "log points", None))
    records = [{"key": k, "value": None if v is None else float(v), "se": None if s is None else _finite(s),
                "note": n} for k, v, s, lab, u, n in heads]
    table = pd.DataFrame([{"key": k, "value": v, "se": s, "unit": u or "", "meaning": lab}
                          for k, v, s, lab, u, _ in heads])
    return Section(title="Headline numbers", result=records, table=table, notes=notes)


def _programme_sentence(effects: ProgrammeEffects) -> str:
    simple, twfe = effects.simple, effects.twfe
    text = (f"Programme: the average effect on participants' {effects.sample.outcome_text} is {simple.overall:.3f} "
            f"(95% CI {simple.ci_lower:.3f} to {simple.ci_upper:.3f})")
    if effects.sample.exits is not None:
        text += ", an intention-to-treat effect of having entered (many participants leave again)"
    if effects.true_event_study is not None:
        text += f"; the generator planted {effects.truth['att_simple']:.3f}"
    text += effects.pretrend()[2]
    text += f". Two-way fixed effects gives {twfe.coef:.3f}"
    if twfe.negative_weight_share > 0:
        text += f", with {100 * twfe.negative_weight_share:.0f}% of treated cells weighted negatively"
    return text + "."


def premium_sentence(premium: PremiumResult, z: float = 1.96) -> str:
    """The member premium in words: the percentage gap exp(premium) − 1, its interval, its trend, and a warning.

    Says "not distinguishable from zero" when the 95% interval premium ± z·se contains zero.
    """
    pct = 100 * (np.exp(premium.premium) - 1)
    text = (f"Members: {abs(pct):.1f}% {'higher' if pct >= 0 else 'lower'} TFP than comparable non-members "
            f"(log points {premium.premium:.3f}, 95% CI {interval_text(premium.premium, premium.se, z)}")
    if abs(premium.premium) <= z * premium.se:
        text += ", not distinguishable from zero"
    return (text + f"), a gap changing by {premium.trend:.3f} log points per period (SE {premium.trend_se:.3f}); "
            "a gap between comparable firms, not proof that the cluster causes it.")


def reading(fit: ProductionFit, dispersion_9010: float, premium: Section, effects: ProgrammeEffects | None) -> Section:
    """What the numbers say, in a few sentences: production, members, programme (when estimated), dispersion."""
    lines = []
    if "acf" in fit.fits.results:
        acf = fit.fits.results["acf"]
        rts = acf.diagnostics["returns_to_scale"]
        inputs = list(acf.elasticities.columns)
        lines.append("Production: ACF gives output elasticities of " + ", ".join(f"{n} {acf.coef[n]:.2f}" for n in inputs)
                     + f" (returns to scale {rts['sum']:.2f}, 95% CI {interval_text(rts['sum'], rts['se'])}).")
        if fit.truth:
            lines.append("The synthetic truth is " + ", ".join(f"{n} {fit.truth[n]:.2f}" for n in inputs
                                                               if n in fit.truth)
                         + "; the gap shows what the estimator's assumptions miss in these data.")
    if premium.computed:
        lines.append(premium_sentence(premium.result))
    if effects is not None:
        lines.append(_programme_sentence(effects))
    lines.append(f"Dispersion: within sector and year, a firm at the 90th percentile of TFP is "
                 f"{np.exp(dispersion_9010):.1f} times as productive as one at the 10th (this includes measurement "
                 "error).")
    return Section(title="What the numbers say", reading=" ".join(lines))
