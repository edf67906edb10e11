"""Workbook 02 (agglomeration effects): what the data allow, which specification, the reading.

Each step of the notebook is one function here returning a :class:`~agrocluster.sections.Section`:

- :func:`describe_data` — what the establishments are and whether they have coordinates;
- :func:`measures` — the lagged localisation / urbanisation measures, the instrument and the distance bands,
  and which of them the data cannot support;
- :func:`productivity_specifications`, :func:`wage_specifications` — pooled, firm-FE and IV elasticities
  (Combes & Gobillon 2015, eq. 5.1) with the inference the number of regions allows; TFP, when asked for,
  comes from the productivity workflow of workbook 03 (one TFP path);
- :func:`excluded_rows`, :func:`sorting`, :func:`distance_decay`, :func:`core_move`,
  :func:`planted_vs_estimated`;
- :func:`headlines` and :func:`reading`.

Decisions are taken from the data (sectors, coordinates, region areas, hired labour, synthetic truth),
never from the name of a data set.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import pandas as pd

from agrocluster import agglomeration as ag
from agrocluster.errors import EstimationError
from agrocluster.sections import Section
from agrocluster.validation.notes import annotate
from agrocluster.workbooks import productivity as productivity_workbook
from agrocluster.workbooks.common import has_coordinates, loader_excluded, span_text

#: Regressors of the workbook (the synthetic generator's own, ``truth["agglomeration"]``).
LOC, INSTRUMENT = "loc_emp_region_lag1", "loc_emp_region_lag2"
#: Row labels of the specification tables.
LABELS = {
    LOC: "localisation: ln(1 + own-sector employment in region, t−1)",
    "urb_density_lag1": "urbanisation: ln((1 + total employment in region, t−1) / km²)",
    "urb_emp_region_lag1": "urbanisation: ln(1 + total employment in region, t−1)",
}
#: Columns of the specification tables shown in the report.
SHOW = ["specification", "term", "elasticity", "se", "ci_low", "ci_high", "p", "p_kind", "nobs", "n_clusters",
        "standard_errors", "first_stage_F"]
#: Columns that record hired labour separately from all labour (then the wage bill pays hired labour only).
HIRED_LABOUR_COLUMNS = ("hiredlabor", "hired_labour", "hired_labor")
MEASURE_TEXT = "own-sector employment in the region"


@dataclass
class AgglomerationData:
    """The establishments and what they allow: coordinates, sectors, regions, region areas, planted truth."""

    establishments: pd.DataFrame
    synthetic: bool
    has_coordinates: bool
    n_sectors: int
    n_regions: int
    region_areas: dict[str, float] | None
    truth: dict


def _known(est: pd.DataFrame, column: str) -> bool:
    return column in est.columns and bool(pd.to_numeric(est[column], errors="coerce").gt(0).any())


def missing_inputs(data: Any, outcome: str = "labour_productivity") -> list[str]:
    """What the workbook's every section rests on and ``data`` lacks, in words ([] when nothing is missing).

    The establishments table with plant employment (``labour``: the localisation measure) and the outcome:
    ``output`` or ``value_added`` for labour productivity, ``wage_bill`` for wages; for TFP, the production
    function's columns (:func:`agrocluster.workbooks.productivity.prepare`).
    """
    if not data.has("establishments"):
        return ["the establishments table (data.establishments in the cluster's parameters)"]
    est = data["establishments"]
    needs = [] if _known(est, "labour") else ["plant employment (column labour) in the establishments"]
    if outcome == "labour_productivity" and not (_known(est, "output") or _known(est, "value_added")):
        needs.append("output (or value_added) in the establishments for labour productivity")
    elif outcome == "wage" and not _known(est, "wage_bill"):
        needs.append("the wage bill (column wage_bill) in the establishments for wages")
    elif outcome == "tfp" and not needs:
        tfp = productivity_workbook.prepare(data, ["ols"])
        needs += [] if tfp.computed else [tfp.reason.removeprefix("needs ")]
    return needs


def describe_data(data: Any, outcome: str = "labour_productivity") -> Section:
    """What the establishments of ``data`` (a ``ClusterData``) are, and a warning when they are synthetic.

    Region areas (for employment density) are the generator's for synthetic data, else the cluster's
    ``region_areas_km2`` when it gives one for every region of the data (a note names the regions it lacks).
    Not computed when the data lack what every later section rests on (:func:`missing_inputs` for the
    agglomeration ``outcome``): the notebook then ends with ``rec.stop_unless``.
    """
    needs = missing_inputs(data, outcome)
    if needs:
        return Section.not_computed("Data behind this page", needs="; ".join(needs), excluded=loader_excluded(data))
    est = data["establishments"]
    synthetic = data.is_synthetic("establishments")
    coords = has_coordinates(est)
    areas = ({r["region"]: r["area_km2"] for r in data.truth["geography"]["regions"]}
             if synthetic and "geography" in data.truth else None)
    given = dict(getattr(data.params, "region_areas_km2", {}) or {})
    lacking = sorted(set(est["region"].astype(str)) - set(given))
    if given and not synthetic:
        areas = None if lacking else given
    prepared = AgglomerationData(est, synthetic, coords, int(est["sector"].nunique()), int(est["region"].nunique()),
                                 areas, data.truth if synthetic else {})
    kind = "synthetic (generated with known true parameters)" if synthetic else f"real ({data.info['establishments'].origin})"
    reading = (f"{len(est):,} establishment-years, {est['firm_id'].nunique():,} firms or farms, "
               f"{prepared.n_sectors} sector(s), {prepared.n_regions} regions, {span_text(est['year'])}; "
               f"establishment data are {kind}; coordinates: {'yes' if coords else 'no'}.")
    warning = ("Establishment data are SYNTHETIC (agrocluster.data.synthetic): the elasticities test the method "
               "against planted true values; they are not findings about the real cluster.")
    notes = [warning] if synthetic else []
    if given and not synthetic and lacking:
        notes.append(f"region_areas_km2 gives no area for {len(lacking)} region(s) of the data "
                     f"({', '.join(lacking[:5])}{' …' if len(lacking) > 5 else ''}): density is not computed.")
    return Section(title="Data behind this page", result=prepared, reading=reading, notes=notes,
                   excluded=loader_excluded(data))


@dataclass
class Measures:
    """The establishments joined with their lagged measures, and the regressors chosen for them.

    ``urbanisation`` is None with one sector (it would equal localisation); it is the density when region
    areas are known, total employment otherwise.
    """

    frame: pd.DataFrame
    urbanisation: str | None
    bands: list[tuple[float, float]]
    labels: dict[str, str]


def measures(prepared: AgglomerationData, bands_km: list[float]) -> Section:
    """Localisation, urbanisation and band measures at t−1 and the t−2 instrument (:func:`ag.lagged_measures`).

    The table describes the measures before logs; the reading and notes list what the data cannot support
    (one sector: no urbanisation; no region areas: no density; no coordinates: no bands, no Conley SEs).
    """
    est, areas = prepared.establishments, prepared.region_areas
    bands = list(pairwise(bands_km))
    lag1 = ag.lagged_measures(est, 1, bands=bands if prepared.has_coordinates else None, region_area_km2=areas)
    lag2 = ag.lagged_measures(est, 2, region_area_km2=areas)
    frame = est.join(lag1.drop(columns=["firm_id", "year"])).join(lag2[[INSTRUMENT]])
    urb = None if prepared.n_sectors == 1 else "urb_density_lag1" if areas else "urb_emp_region_lag1"
    unavailable = []
    if urb is None:
        unavailable.append("urbanisation: the data have one sector only, so own-sector and total employment are the "
                           "same number; localisation and urbanisation cannot be told apart and only localisation is "
                           "used (sector-year fixed effects are then period effects)")
    elif not areas:
        unavailable.append("density: no region areas, so urbanisation is total employment (firm fixed effects absorb "
                           "the area anyway)")
    if not prepared.has_coordinates:
        unavailable.append("distance bands and Conley standard errors: the data have no coordinates")
    names = {
        LOC: "1 + own-sector employment in the region, t−1 (localisation)",
        "urb_emp_region_lag1": "1 + total employment in the region, t−1",
        "urb_density_lag1": "(1 + total employment in the region, t−1) per km² (urbanisation)",
        INSTRUMENT: "1 + own-sector employment in the region, t−2 (instrument)",
        **{ag.band_column(lo, hi, "loc_emp_lag1"): f"own-sector employment {lo:g}–{hi:g} km away, t−1"
           for lo, hi in bands},
    }
    cols = [c for c in lag1.columns if c not in ("firm_id", "year")] + [INSTRUMENT]
    table = frame[cols].describe(percentiles=[0.1, 0.5, 0.9]).T.reset_index(names="column")
    table.insert(0, "measure", table["column"].map(names))
    reading = ("Not computable with these data: " + "; ".join(unavailable) + "." if unavailable
               else "Every measure above is computable with these data.")
    return Section(title="Agglomeration measures", result=Measures(frame, urb, bands, dict(LABELS)), table=table,
                   reading=reading,
                   notes=[f"Agglomeration measure not computable: {text}." for text in unavailable])


@dataclass
class Specifications:
    """One outcome's specifications (``specs``), its label, the regression frame, the urbanisation regressor
    (None with one sector) and the estimation options used."""

    specs: ag.SpecificationSet
    outcome: str
    label: str
    frame: pd.DataFrame
    urbanisation: str | None
    options: dict
    inference_notes: list[str]


def _table(specs: ag.SpecificationSet) -> pd.DataFrame:
    table = specs.table(LABELS)
    return table[[c for c in SHOW if c in table]]


def _inference(prepared: AgglomerationData, options: Any, seed: int) -> tuple[dict, list[str]]:
    inference, notes = ag.inference_options(options.vcov, prepared.n_regions, options.wild_bootstrap,
                                            options.conley_cutoff_km, prepared.has_coordinates)
    # the outcomes and measures are levels: the regressions take their logs (elasticities)
    return dict(logs=True, drop_nonpositive=True, seed=seed, **inference), notes


def coverage_keys(fit_options: dict) -> tuple[str, ...]:
    """The coverage-study keys (:data:`agrocluster.validation.notes.METHODS`) of the elasticities' inference:
    Conley or CRV1 intervals, and the wild cluster bootstrap p-value when few regions call for it
    (heteroskedasticity-robust SEs, used with a single region, have no check)."""
    vcov = {"conley": ("agglomeration-conley",), "CRV1": ("agglomeration-crv1",)}.get(fit_options["vcov"], ())
    return vcov + (("agglomeration-wild",) if fit_options.get("wild_bootstrap") else ())


def productivity_specifications(data: Any, prepared: AgglomerationData, measured: Measures, options: Any,
                                productivity_options: Any, seed: int = 0) -> Section:
    """Pooled, firm-FE and IV elasticities of log productivity (``options.outcome``) to the measures.

    ``options`` are ``params.agglomeration``. With ``outcome="tfp"``, TFP is the one workbook 03 uses:
    :func:`agrocluster.workbooks.productivity.production_function` with ``productivity_options`` (no
    bootstrap: only the point estimate enters), so the two workbooks cannot disagree on it.

    Raises EstimationError when the establishments hold one year: every measure is lagged (t−1), so
    no row would be left to estimate on.
    """
    years = sorted(int(y) for y in prepared.establishments["year"].dropna().unique())
    if len(years) < 2:
        raise EstimationError("the agglomeration measures are lagged one year (t-1), so the elasticities need at "
                              "least two years of establishment data; the data hold only "
                              + (str(years[0]) if years else "no year"))
    frame = measured.frame.copy()
    excluded = []
    if options.outcome == "tfp":
        tfp_data = productivity_workbook.prepare(data, productivity_options.methods,
                                                 value_added=productivity_options.value_added)
        fit = productivity_workbook.production_function(
            tfp_data.result, productivity_options.methods, bootstrap=0, seed=seed,
            poly_degree=productivity_options.poly_degree, markov_degree=productivity_options.markov_degree,
            exit=productivity_options.exit)
        frame["productivity"], _ = ag.agglomeration_outcome(frame, "tfp", log_tfp=fit.result.tfp)
        label = f"log TFP, {fit.result.method_name} on {fit.result.fits.spec.output}"
        # the loader's exclusions are recorded by describe_data; the rows without logs and those the
        # estimator left out are TFP's own
        tfp_rows = pd.concat([tfp_data.excluded.iloc[len(loader_excluded(data)):], fit.excluded])
        excluded = [(table, f"TFP estimation: {reason}", rows) for table, reason, rows in tfp_rows.itertuples(index=False)]
    else:
        frame["productivity"], label = ag.agglomeration_outcome(frame, options.outcome)
    if "wage_bill" in frame.columns:
        frame["wage"], _ = ag.agglomeration_outcome(frame, "wage")
    fit_options, inference_notes = _inference(prepared, options, seed)
    specs = ag.agglomeration_specifications(frame, "productivity", LOC, measured.urbanisation, instrument=INSTRUMENT,
                                            **fit_options)
    notes = inference_notes + [n for n in specs.notes if n not in inference_notes]
    reading = " ".join([f"Productivity is measured as {label}.", *(f"{n[0].upper()}{n[1:]}." for n in notes)])
    section = Section(title="Productivity", result=Specifications(specs, "productivity", label, frame,
                                                                  measured.urbanisation, fit_options, inference_notes),
                      table=_table(specs), reading=reading, notes=inference_notes, excluded=excluded)
    return annotate(section, *coverage_keys(fit_options))


def wage_specifications(productivity: Specifications, measured: Measures) -> Section:
    """The same three specifications for the log average wage (wage bill per unit of labour).

    When the data record hired labour separately (:data:`HIRED_LABOUR_COLUMNS`), the wage bill pays hired
    labour only while labour counts all hours, which the reading says. Without a ``wage_bill`` column the
    step is not computed (``result`` None; the later steps then leave wages out).
    """
    frame = productivity.frame
    if "wage" not in frame.columns:
        return Section.not_computed("Wages", needs="the wage bill of the establishments (column wage_bill)")
    specs = ag.agglomeration_specifications(frame, "wage", LOC, measured.urbanisation, instrument=INSTRUMENT,
                                            **productivity.options)
    label = ag.agglomeration_outcome(frame, "wage")[1]
    hired = any(c in frame.columns for c in HIRED_LABOUR_COLUMNS)
    reading = ("The wage bill covers hired labour only while labour counts all hours (family labour is unpaid): "
               "the wage here mixes the wage rate with the hired share." if hired else "")
    section = Section(title="Wages", result=Specifications(specs, "wage", label, frame,
                                                           measured.urbanisation, productivity.options,
                                                           productivity.inference_notes),
                      table=_table(specs), reading=reading)
    return annotate(section, *coverage_keys(productivity.options))


def excluded_rows(productivity: Specifications, wage: Specifications | None) -> Section:
    """Establishment-years left out of each regression and why (and recorded as exclusions)."""
    parts = [productivity.specs.excluded().assign(outcome="productivity")]
    parts += [wage.specs.excluded().assign(outcome="wage")] if wage is not None else []
    table = pd.concat(parts, ignore_index=True)[["outcome", "specification", "reason", "n"]]
    excluded = [("establishments", f"{row.outcome}, {row.specification}: {row.reason}", row.n)
                for row in table.itertuples()]
    return Section(title="Excluded rows", table=table, excluded=excluded)


def localisation_by_specification(productivity: Section, wages: Section) -> pd.DataFrame:
    """The productivity and wage specification tables stacked, with an ``outcome`` column, for the coefficient plot."""
    parts = [productivity.table.assign(outcome="productivity")]
    parts += [wages.table.assign(outcome="wage")] if wages.computed else []
    return pd.concat(parts, ignore_index=True)


def planted_lines(prepared: AgglomerationData, outcome: str, value_added: bool) -> dict[str, float] | None:
    """Planted localisation elasticities per outcome for the coefficient plot (synthetic data), else None.

    Wages: 0 (the generator's wages depend on density only); productivity: only when it is TFP (on the
    value-added scale when ``value_added``).
    """
    if not prepared.synthetic:
        return None
    lines = {"wage": 0.0}
    if outcome == "tfp":
        scale = prepared.truth["agglomeration"]["value_added_scale"] if value_added else 1.0
        lines["productivity"] = prepared.truth["agglomeration"]["localisation_elasticity"] * scale
    return lines


def sorting(productivity: Specifications, wage: Specifications | None) -> Section:
    """The sorting check (Combes, Duranton & Gobillon 2008): pooled against firm-FE elasticities, and its reading.

    ``result`` is the sorting share of the productivity localisation elasticity; the reading refuses to read
    the share when the pooled elasticity is within two standard errors of zero.
    """
    prod = productivity.specs
    parts = [prod.sorting.table().assign(outcome="log productivity")]
    parts += [wage.specs.sorting.table().assign(outcome="log wage")] if wage is not None else []
    table = pd.concat(parts, ignore_index=True)
    table["term"] = table["term"].map(LABELS)
    share = float(prod.sorting.sorting_share[LOC])
    return Section(title="Reading the sorting check", result=share,
                   table=table[["outcome", "term", "coef_pooled", "se_pooled", "coef_firm_fe", "se_firm_fe",
                                "sorting_share"]],
                   reading=sorting_sentence(float(prod.pooled.coef[LOC]), float(prod.within.coef[LOC]),
                                            abs(float(prod.pooled.tstat[LOC])), share))


def sorting_sentence(pooled: float, within: float, pooled_t: float, share: float) -> str:
    """Read a sorting share: noise when |t| of the pooled elasticity < 2, sorting when > 0, none otherwise."""
    text = (f"The pooled localisation elasticity of productivity is {pooled:.3f} and {within:.3f} with firm fixed "
            f"effects: a sorting share of {share:.2f}. ")
    if pooled_t < 2:
        return text + (f"The pooled elasticity is not distinguishable from zero (|t| = {pooled_t:.1f}), so the share "
                       "is a ratio to a noisy number near zero: it says nothing about sorting either way.")
    if share > 0:
        return text + (f"About {min(share, 1):.0%} of the raw elasticity is absorbed by firm fixed effects: better "
                       "firms are more often found where their sector is dense.")
    return text + ("The within-firm elasticity exceeds the pooled one: no sign that better firms sort into places "
                   "where their sector is dense.")


def distance_decay(prepared: AgglomerationData, productivity: Specifications, measured: Measures) -> Section:
    """Elasticities by distance band in one regression with firm and sector-year FE (Rosenthal & Strange 2003).

    Not computed without coordinates. ``result`` is the :class:`ag.DistanceDecayResult` for the plot.
    """
    if not prepared.has_coordinates:
        return Section.not_computed("Distance decay", needs="coordinates of the establishments (distances between "
                                                            "them are unknown)")
    decay = ag.distance_decay(productivity.frame, "productivity", measured.bands, prefix="loc_emp_lag1",
                              urbanisation=measured.urbanisation, fe=("firm_id", "sector^year"), **productivity.options)
    return annotate(Section(title="Distance decay", result=decay, table=decay.table().drop(columns=["column"])),
                    *coverage_keys(productivity.options))


def core_move(productivity: Specifications, cluster_sector: str, core_regions: list[str]) -> Section:
    """Gain of moving a median establishment of ``cluster_sector`` from non-core to core localisation (last year).

    Uses the firm-FE elasticity (:func:`ag.core_move_gain`). Not computed without core regions, or when
    the cluster sector's establishments are all in, or all outside, the core.
    """
    frame = productivity.frame
    last = frame[(frame["sector"] == cluster_sector) & (frame["year"] == frame["year"].max())]
    in_core = last["region"].isin(core_regions)
    title = "Core-move gain"
    if not core_regions:
        return Section.not_computed(title, needs="core regions (params `regions` is empty)")
    if in_core.all():
        return Section.not_computed(title, needs="establishments of the cluster sector outside the core in the last "
                                                 "year (all are in core regions)")
    if not in_core.any():
        return Section.not_computed(title, needs="establishments of the cluster sector in a core region in the last "
                                                 "year")
    gain = ag.core_move_gain(last, LOC, in_core, productivity.specs.within)
    return Section(title=title, result=gain, table=gain.table())


def planted_vs_estimated(prepared: AgglomerationData, productivity: Specifications, wage: Specifications | None,
                         value_added: bool = True) -> Section:
    """Firm-FE estimates beside the planted elasticities (synthetic data only).

    Rows: TFP with the generator's true value-added technology (Cobb–Douglas truth only), the wage, and the
    productivity outcome (planted only when it is TFP).
    """
    if not prepared.synthetic:
        return Section.not_computed("Planted versus estimated", needs="synthetic data with planted values (these "
                                                                      "establishment data are real)")
    agglo, va = prepared.truth["agglomeration"], prepared.truth["production"]["value_added"]
    urb = productivity.urbanisation
    urb_key = urb or "urb_density_lag1"
    # the premium is realised with sales (materials do not answer it): on ln value added its elasticity is Y/VA
    planted_tfp = {LOC: agglo["localisation_elasticity"] * agglo["value_added_scale"],
                   urb_key: agglo["urbanisation_elasticity"] * agglo["value_added_scale"]}
    planted_go = {LOC: agglo["localisation_elasticity"], urb_key: agglo["urbanisation_elasticity"]}
    within = {"fe": ("firm_id", "sector^year"), **productivity.options}
    parts = []
    if "beta_ll" not in va:
        frame = productivity.frame.copy()
        frame["tfp_true_technology"], _ = ag.agglomeration_outcome(
            frame, "tfp", elasticities={"labour": va["beta_l"], "capital": va["beta_k"]}, output="value_added")
        oracle = ag.estimate_agglomeration(frame, "tfp_true_technology", LOC, urb, **within)
        parts.append(ag.specification_table({"firm FE, TFP with the true technology": oracle}, LABELS, planted_tfp))
    if wage is not None:
        parts.append(ag.specification_table({"firm FE, wage": wage.specs.within}, LABELS,
                                            {LOC: 0.0, urb_key: agglo["wage_density_elasticity"]}))
    tfp_outcome = productivity.label.startswith("log TFP")
    planted = (planted_tfp if value_added else planted_go) if tfp_outcome else None
    parts.append(ag.specification_table({"firm FE, " + productivity.label: productivity.specs.within}, LABELS, planted))
    table = pd.concat(parts, ignore_index=True)
    return Section(title="Planted versus estimated", table=table[["specification", "term", "elasticity", "ci_low",
                                                                  "ci_high", "planted", "interval_covers_planted"]])


def _head(key: str, value: float, se: float | None, note: str | None = None) -> dict:
    return {"key": key, "value": float(value), "se": None if se is None else float(se), "note": note}


def headlines(productivity: Specifications, wage: Specifications | None, sorted_: Section, gain: Section) -> Section:
    """Headline numbers of workbook 02 as keyword dicts for ``Recorder.headline`` (``result``).

    Keys: localisation_elasticity, urbanisation_elasticity (when there is an urbanisation measure),
    sorting_share (only when the pooled elasticity is distinguishable from zero, |t| >= 2: otherwise
    :func:`sorting_sentence` says the share means nothing, and it is not a headline),
    wage_localisation_elasticity (with a wage bill), core_move_gain_pct (when computed).
    """
    within, label = productivity.specs.within, productivity.label
    pooled_t = abs(float(productivity.specs.pooled.tstat[LOC]))
    heads = [_head("localisation_elasticity", within.coef[LOC], within.se[LOC], label)]
    urb = productivity.urbanisation
    if urb is not None:
        heads.append(_head("urbanisation_elasticity", within.coef[urb], within.se[urb], label))
    if pooled_t >= 2:   # otherwise the page says the share means nothing: no headline either
        heads.append(_head("sorting_share", sorted_.result, None))
    if wage is not None:
        heads.append(_head("wage_localisation_elasticity", wage.specs.within.coef[LOC], wage.specs.within.se[LOC]))
    if gain.computed:
        heads.append(_head("core_move_gain_pct", gain.result.gain_pct, gain.result.gain_se_pct))
    return Section(title="Headline numbers", result=heads)


def reading(prepared: AgglomerationData, productivity: Specifications, wage: Specifications | None,
            gain: Section) -> Section:
    """The closing reading: firm-FE elasticities in words, the core-move gain, caveats and inference."""
    sentences = [
        f"With firm fixed effects, {ag.elasticity_sentence(productivity.specs.within, LOC, MEASURE_TEXT, 'productivity')}.",
        f"For wages: {ag.elasticity_sentence(wage.specs.within, LOC, MEASURE_TEXT, 'wages')}." if wage is not None
        else "Wages are not measured: the data have no wage bill.",
    ]
    if gain.computed:
        g = gain.result
        sentences.append(f"Moving a median firm of the cluster sector into the core would change its productivity by "
                         f"about {g.gain_pct:.1f}% (interval {g.gain_low_pct:.1f}% to {g.gain_high_pct:.1f}%).")
    sentences.append("Caveats: firm fixed effects remove sorting on time-invariant firm quality, not sorting of "
                     "workers over time; measuring agglomeration a year ahead, and the IV with a two-year lag, guard "
                     "against reverse causality only if shocks do not persist across years; the elasticities are "
                     "averages over all sectors of the region.")
    if prepared.synthetic:
        sentences.append("The data are synthetic: section 8 shows how close the method comes to the planted values.")
    if "wild_bootstrap" in productivity.options:
        sentences.append(f"With {prepared.n_regions} regions, p-values rest on a wild cluster bootstrap.")
    return Section(title="Reading", reading=" ".join(sentences))
