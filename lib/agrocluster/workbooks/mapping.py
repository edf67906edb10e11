"""Workbook 01 (cluster mapping): each step decides what the data allow, runs the estimator and words the reading.

Every public function returns an :class:`agrocluster.sections.Section`; the notebook shows it with
``rec.section(name, step, caption)`` (tables) or :func:`agrocluster.workbooks.common.show_figure`
(figures). Headline numbers ride in ``step.result.headlines`` (keys ``cluster_lq``, ``cluster_lq_lo``,
``cluster_lq_hi``, ``eg_gamma``, ``eg_gamma_pvalue``, ``localised_from_km``, ``localised_to_km``,
``strong_cluster``, ``world_production_share``).

The choice of the location-quotient interval (Poisson, bootstrap, none …) is made in one place,
:func:`lq_arguments`; every LQ of the workbook (the heat table, the core, the strength flags) follows it.

Like the estimators, these functions read and write no files and print nothing; the figure steps draw
with :mod:`agrocluster.figures` and return the figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from agrocluster import concentration as conc
from agrocluster.concentration import mapping as cmap
from agrocluster.sections import Section
from agrocluster.validation.notes import annotate
from agrocluster.workbooks.common import Headline, excluded_from

__all__ = [
    "CrossSection",
    "LocationQuotients",
    "cluster_strength",
    "coagglomeration",
    "concentration_indices",
    "cross_section",
    "eg_reading",
    "ellison_glaeser",
    "establishment_map",
    "kd_figure",
    "kdensity",
    "location_quotients",
    "lq_arguments",
    "lq_cluster_sector",
    "lq_heatmap",
    "lq_reading",
    "producers_figure",
    "shift_share",
    "shift_share_figure",
    "strength_reading",
    "world_production",
    "world_share_figure",
]

#: γ thresholds of Ellison and Glaeser (1997, p. 906): below "not very localised", above "highly localised".
EG_LOW, EG_HIGH = 0.02, 0.05


_SITES = ("establishments",)
_REGIONS = ("regional_employment",)
_FAO = ("country_product",)
#: What a step needs when the cluster has no such table (completes "Not computed: needs …").
NEEDS_SITES = "the establishments table (data.establishments in the cluster's parameters)"
NEEDS_REGIONS = ("the regional_employment table, or plant employment (column labour) in the establishments to "
                 "derive it (data.regional_employment in the cluster's parameters)")
NEEDS_FAO = "the country_product table (FAOSTAT food balances: data.country_product {source: faostat})"


def _upstream(title: str, *steps: Section) -> Section | None:
    """Not computed, with the first missing step's reason, when a step this one rests on was not computed."""
    for step in steps:
        if not step.computed:
            return Section(title=title, computed=False, reason=step.reason)
    return None


def _related(params: Any) -> list[str]:
    return [str(r) for r in params.related_sectors]


# ------------------------------------------------------------------------------------------ cross-section


@dataclass(frozen=True)
class CrossSection:
    """The establishments of the latest year and what they support.

    ``plants`` all rows of ``year``; ``located`` those with coordinates; ``staffed`` those with plant
    employment; ``check`` the :class:`~agrocluster.concentration.mapping.Feasibility` of the plant-level
    analyses; ``truth`` the synthetic generator's truth when the establishments are synthetic, else None.
    """

    year: int
    plants: pd.DataFrame
    located: pd.DataFrame
    staffed: pd.DataFrame
    check: cmap.Feasibility
    truth: dict | None


def cross_section(data: Any, params: Any) -> Section:
    """The latest cross-section of the establishments and what it can support (map, K-density, EG, coagglomeration).

    ``table`` is the feasibility table (analysis, possible, reason); ``excluded`` counts the rows without
    coordinates and without plant employment (``labour``) in that year. Not computed without establishments.
    """
    if not data.has("establishments"):
        return Section.not_computed("Establishments", needs=NEEDS_SITES)
    year, plants = cmap.latest_cross_section(data["establishments"])
    located, no_coordinates = cmap.select_rows(plants, ["lat", "lon"], f"no coordinates (lat/lon) in year {year}")
    staffed, no_employment = cmap.select_rows(plants, ["labour"], f"plant employment (labour) missing in year {year}")
    check = cmap.feasibility(plants, params.cluster_sector, _related(params), employment="labour")
    truth = data.truth if data.is_synthetic("establishments") else None
    reading = f"Latest year {year}: {len(plants):,} establishments."
    return Section(title=f"Establishments of {year}", result=CrossSection(year, plants, located, staffed, check, truth),
                   table=check.table(), reading=reading, excluded=excluded_from(no_coordinates, no_employment),
                   inputs=_SITES)


# --------------------------------------------------------------------------------------- location quotients


def lq_arguments(params: Any, regional: pd.DataFrame, establishments: pd.DataFrame | None = None) -> dict[str, Any]:
    """The keyword arguments of :func:`agrocluster.concentration.location_quotient` for this workbook.

    The one place that turns ``params.concentration`` (``lq_base``, ``lq_interval``, ``interval_level``)
    into the LQ call: base (all or traded employment), interval kind and level, and the seed. Switch the
    interval here and every LQ of the workbook follows. ``lq_interval="establishments"`` (the default)
    resamples the plants of ``establishments`` within their region when their employment adds up to the
    regional table, and falls back to ``"poisson"`` otherwise (:func:`~agrocluster.concentration.mapping.lq_options`).
    """
    return {**cmap.lq_options(params.concentration, regional, establishments), "seed": params.seed}


@dataclass(frozen=True)
class LocationQuotients:
    """Location quotients of every region × sector × year and the cluster's core.

    ``table``: all years; ``latest``: the last ``year``; ``core`` the core regions and ``core_basis`` how
    they were chosen; ``arguments`` the :func:`lq_arguments` used.
    """

    table: pd.DataFrame
    year: int
    latest: pd.DataFrame
    core: list[str]
    core_basis: str
    arguments: dict[str, Any]
    establishments: pd.DataFrame | None = None

    @property
    def interval(self) -> str | None:
        return self.arguments.get("interval")

    @property
    def base_text(self) -> str:
        """The employment the LQs are shares of, in words."""
        return "traded employment" if self.arguments.get("base") == "traded" else "all employment"

    @property
    def interval_text(self) -> str:
        """E.g. "95% Poisson interval (lq_lo–lq_hi)", or "no interval"."""
        if not self.interval:
            return "no interval"
        kind = {"poisson": "Poisson", "establishments": "establishment-resampling"}.get(str(self.interval),
                                                                                     str(self.interval))
        return f"{self.arguments['level']:.0%} {kind} interval (lq_lo–lq_hi)"


def location_quotients(regional: pd.DataFrame | None, params: Any,
                       establishments: pd.DataFrame | None = None) -> Section:
    """LQs of the regional employment table (as :func:`lq_arguments` says) and the core regions.

    The core is the regions the cluster names (``params.regions``) or, when it names none, the three
    with the highest LQ of the cluster sector in the last year (then a note says so: chosen on the
    outcome, their LQ is biased upwards). Not computed when ``regional`` is None (the cluster has none).
    """
    if regional is None:
        return Section.not_computed("Location quotients", needs=NEEDS_REGIONS)
    arguments = lq_arguments(params, regional, establishments)
    options = {k: v for k, v in arguments.items() if k != "seed"}
    lq = cmap.location_quotients(regional, establishments, options, n_boot=params.concentration.lq_draws,
                                 seed=params.seed)
    year = int(regional["year"].max())
    latest = lq[lq["year"] == year]
    core, basis = cmap.core_regions(latest, params.cluster_sector, params.regions)
    notes = [] if params.regions else [f"The cluster names no core region: the core is {basis}."]
    reading = f"Core regions of the cluster: {', '.join(core)} ({basis})."
    if params.concentration.lq_interval == "establishments" and arguments["interval"] == "poisson":
        notes.append("LQ intervals are Poisson, valid only if workers locate independently: the establishments do "
                     "not add up to the regional employment table, so plants cannot be resampled.")
    return Section(title="Location quotients",
                   result=LocationQuotients(lq, year, latest, core, basis, arguments, establishments),
                   reading=reading, notes=notes, inputs=_REGIONS)


def lq_reading(top: pd.Series, sector_table: pd.DataFrame, year: int, interval: bool) -> str:
    """The reading of the cluster sector's LQs: the strongest core region, and how many regions are
    specialised (LQ ≥ 1) and, with an interval, how many surely so (whole interval above 1)."""
    text = (f"In {year}, {top['region']} employs the cluster sector {top['lq']:.1f} times as intensively as the "
            "country as a whole")
    if interval:
        text += f" (interval {top['lq_lo']:.1f}–{top['lq_hi']:.1f})"
    text += f". {int((sector_table['lq'] >= 1).sum())} of {len(sector_table)} regions have an LQ of 1 or more"
    if interval:
        return text + f", {int((sector_table['lq_lo'] > 1).sum())} of them with the whole interval above 1."
    return text + "."


@dataclass(frozen=True)
class LQCluster:
    """The cluster sector's LQ in every region (``table``), its strongest core region (``top``) and headlines."""

    table: pd.DataFrame
    top: pd.Series
    headlines: tuple[Headline, ...]


def lq_cluster_sector(lqs: Section, data: Any, params: Any) -> Section:
    """The cluster sector's LQ in every region of the last year, with interval, employment, establishments,
    core flag and, for a synthetic table, the planted ``lq_expected`` and ``planted_core``.

    Headlines: ``cluster_lq`` of the strongest core region and, with an interval, ``cluster_lq_lo`` /
    ``cluster_lq_hi``.
    """
    stop = _upstream(f"LQ of sector {params.cluster_sector}", lqs)
    if stop:
        return stop
    res: LocationQuotients = lqs.result
    sector, year = params.cluster_sector, res.year
    regional = data["regional_employment"]
    table = res.latest[res.latest["sector"] == sector].drop(columns=["year", "sector"])
    cells = regional[(regional["year"] == year) & (regional["sector"] == sector)]
    table = table.merge(cells[["region", "employment", "establishments"]], on="region", how="left")
    table.insert(1, "core", table["region"].isin(res.core))
    synthetic = data.is_synthetic("regional_employment")
    if synthetic:
        table = table.merge(cmap.truth_lq(data.truth, sector)[["region", "lq_expected", "planted_core"]],
                            on="region", how="left")
    table = table.sort_values("lq", ascending=False).reset_index(drop=True)
    table = table.astype({"employment": "float64"}).round({"employment": 0}).astype(
        {"employment": "int64", "establishments": "int64"})
    top = cmap.strongest_region(res.latest, sector, res.core)
    label = f"LQ of sector {sector} in {top['region']} (strongest core region), {year}"
    level = res.arguments["level"]
    if res.interval:
        heads = (Headline("cluster_lq", float(top["lq"]),
                          note=f"{label}; {level:.0%} {str(res.interval).capitalize()} interval "
                               f"{top['lq_lo']:.2f}–{top['lq_hi']:.2f}"),
                 Headline("cluster_lq_lo", float(top["lq_lo"]), note=label),
                 Headline("cluster_lq_hi", float(top["lq_hi"]), note=label))
    else:
        heads = (Headline("cluster_lq", float(top["lq"]),
                          note=f"{label}; no interval computed (concentration.lq_interval=none)"),)
    reading = lq_reading(top, table, year, bool(res.interval)) + f" Interval: {res.interval_text}; core: {res.core_basis}."
    if synthetic:
        reading += " lq_expected and planted_core: the synthetic generator's truth."
    section = Section(title=f"LQ of sector {sector}", result=LQCluster(table, top, heads), table=table,
                      reading=reading, inputs=_REGIONS)
    return annotate(section, f"lq-{res.interval}") if res.interval else section


def concentration_indices(regional: pd.DataFrame | None, params: Any) -> Section:
    """Hoover index, Gini and locational Gini of the cluster and related sectors, first and last year; not
    computed when ``regional`` is None."""
    if regional is None:
        return Section.not_computed("Concentration indices", needs=NEEDS_REGIONS)
    first, last = int(regional["year"].min()), int(regional["year"].max())
    table = cmap.concentration_indices(regional, [params.cluster_sector, *_related(params)], [first, last])
    table["year"] = table["year"].astype(str)  # a label, not a number to format
    return Section(title="Concentration indices", result=(first, last), table=table, inputs=_REGIONS)


# ----------------------------------------------------------------------------------------- Ellison–Glaeser


def eg_reading(row: pd.Series, n_sectors: int, significant: list[str], simulated: bool, planted: bool) -> str:
    """The reading of the cluster sector's γ: its size against the Ellison–Glaeser thresholds, its p-value
    under random location and how many sectors would pass by chance, and the planted γ of a synthetic cluster."""
    text = f"γ of the cluster sector is {row['gamma']:.3f}"
    if simulated:
        text += (f" (p = {row['gamma_p']:.3f}; under random location γ would lie between "
                 f"{row['gamma_null_lo']:.3f} and {row['gamma_null_hi']:.3f})")
    if row["gamma"] < 0:
        text += ": below 0, the sector's plants are less concentrated than random location would make them. "
    else:
        size = ("not very localised" if row["gamma"] < EG_LOW else "highly localised" if row["gamma"] > EG_HIGH
                else "moderately localised")
        text += f": by Ellison and Glaeser's scale ({EG_LOW} and {EG_HIGH}) the sector is {size}. "
    if simulated:
        text += (f"Sectors with p ≤ 0.05: {', '.join(significant) or 'none'}; with {n_sectors} sectors tested, about "
                 f"{0.05 * n_sectors:.1f} would pass by chance alone.")
    if planted:
        text += (f" Planted γ: {row['gamma_true']:.3f}; given the drawn location probabilities the index should "
                 f"show about {row['gamma_expected_index']:.3f}. Sectors planted with γ = 0 can show a small γ that "
                 "the random-location test calls significant: they locate like the regions' sizes, while the "
                 "test compares them with aggregate employment, which the concentrated cluster sector tilts "
                 "towards its own regions.")
    return text.strip()


@dataclass(frozen=True)
class EGResult:
    """The Ellison–Glaeser table of every sector (``table``), the cluster sector's row and the headlines."""

    table: pd.DataFrame
    cluster_row: pd.Series
    simulations: int | None
    headlines: tuple[Headline, ...]


def ellison_glaeser(sites: Section, params: Any) -> Section:
    """Ellison–Glaeser γ of every sector in the latest cross-section, plants weighted by employment, with a
    one-sided p-value from ``params.concentration.eg_simulations`` random relocations (none when 0).

    Not computed when :func:`cross_section` says the data do not allow it (one sector, no plant
    employment, one region, fewer than two plants of the sector). Headlines ``eg_gamma`` and, with
    simulations, ``eg_gamma_pvalue``.
    """
    title = "Ellison–Glaeser γ"
    stop = _upstream(title, sites)
    if stop:
        return stop
    cs: CrossSection = sites.result
    if not cs.check.ok("eg"):
        return Section(title=title, computed=False, reason=cs.check.reason("eg"))
    options = params.concentration
    simulate = options.eg_simulations or None
    eg = conc.ellison_glaeser(cs.staffed, employment="labour", simulate=simulate, level=options.interval_level,
                              seed=params.seed)
    table = cmap.eg_report(eg, params.cluster_sector, _related(params), cs.truth)
    row = table.iloc[0]
    heads = [Headline("eg_gamma", float(row["gamma"]), note=f"sector {params.cluster_sector}, {cs.year}")]
    notes = []
    if simulate:
        heads.append(Headline("eg_gamma_pvalue", float(row["gamma_p"]), note=f"{simulate} random-location draws"))
        significant = table.loc[table["gamma_p"] <= 0.05, "sector"].tolist()
    else:
        notes.append("Ellison–Glaeser γ has no p-value: concentration.eg_simulations is 0.")
        significant = []
    planted = cs.truth is not None
    reading = eg_reading(row, len(table), significant, bool(simulate), planted)
    reading += (f" Columns: G raw concentration, H plant Herfindahl, γ the index ({len(cs.staffed):,} plants)"
                + (f"; gamma_p and gamma_null_lo/hi the central {options.interval_level:.0%} of γ under random "
                   f"location, {simulate} draws" if simulate else "")
                + ("; gamma_true the planted γ, gamma_expected_index what the index should show given the location "
                   "probabilities drawn, attenuated by (1 − w)² for a sector with employment share w" if planted
                   else "") + ".")
    shown = table.drop(columns=["employment", "gamma_given_draw"], errors="ignore")
    section = Section(title=title, result=EGResult(table, row, simulate, tuple(heads)), table=shown,
                      reading=reading, notes=notes, inputs=_SITES)
    return annotate(section, "eg-dartboard") if simulate else section


def coagglomeration(sites: Section, params: Any) -> Section:
    """Coagglomeration γᶜ (Ellison–Glaeser 1997) of the cluster sector with its related sectors that have
    at least two plants with employment; not computed when EG is not possible or no related sector qualifies."""
    title = "Coagglomeration"
    stop = _upstream(title, sites)
    if stop:
        return stop
    cs: CrossSection = sites.result
    if not cs.check.ok("coagglomeration"):
        return Section(title=title, computed=False, reason=cs.check.reason("coagglomeration"))
    co = conc.coagglomeration(cs.staffed, [params.cluster_sector, *cs.check.related_usable], employment="labour")
    table = co.table().reset_index()
    table.insert(1, "role", cmap.sector_roles(table["sector"], params.cluster_sector, _related(params)))
    reading = (f"Coagglomeration of {' + '.join(co.sectors)}, {cs.year}: γᶜ = {co.gamma_c:.4f} (pooled G = "
               f"{co.G:.4f}, H = {co.H:.4f}); "
               + ("γᶜ above 0: the sectors share locations beyond their own concentration."
                  if co.gamma_c > 0 else "γᶜ at or below 0: no co-location beyond their own concentration."))
    if cs.truth is not None:
        reading += " The generator places related sectors independently of the cluster sector (planted γᶜ = 0)."
    return Section(title=title, result=co, table=table, reading=reading, inputs=_SITES)


# ------------------------------------------------------------------------------------------------- K-density


@dataclass(frozen=True)
class KdResult:
    """The K-density (``kd``), the sample it ran on, the planted scale (synthetic) and the headlines."""

    kd: Any
    sample: cmap.KdSample
    planted: dict[str, float] | None
    headlines: tuple[Headline, ...]


def kdensity(sites: Section, params: Any) -> Section:
    """Duranton–Overman K-density of the cluster sector against random location among all sites.

    At most ``concentration.kd_max_points`` establishments of the sector (:func:`kd_subsample`), a global
    band at ``interval_level`` from ``kd_draws`` relocations. ``table``: the distance ranges outside the
    band. Headlines ``localised_to_km`` of the first localised range and ``localised_from_km`` when that range
    starts beyond 0 km (a start at 0 km is the shortest distance, not a finding); a note says so when there is
    no localised range. Not computed without coordinates.
    """
    title = "K-density"
    stop = _upstream(title, sites)
    if stop:
        return stop
    cs: CrossSection = sites.result
    if not cs.check.ok("kd"):
        return Section(title=title, computed=False, reason=cs.check.reason("kd"))
    options, sector = params.concentration, params.cluster_sector
    sample = cmap.kd_subsample(cs.located, sector, options.kd_max_points, seed=params.seed)
    kd = conc.kdensity(sample.frame, sector, n_draws=options.kd_draws, level=options.interval_level,
                       seed=params.seed)
    heads, notes = [], []
    if kd.localised_ranges:
        start_km, end_km = kd.localised_ranges[0]
        # "localised from 0 km" says only that the range starts at the shortest distance: not a headline
        heads = [Headline("localised_from_km", start_km, note=f"sector {sector}, first localised range")
                 ] if start_km > 0 else []
        heads.append(Headline("localised_to_km", end_km, note=f"sector {sector}, first localised range"))
        reading = f"The sector is localised from {start_km:.1f} to {end_km:.1f} km (first range above the band)."
    else:
        notes.append(f"The K-density of sector {sector} never rises above its band: no localised range "
                     "(localised_from_km / localised_to_km not recorded).")
        reading = "The K-density never rises above its band: no distance at which the sector is localised."
    reading += (f" Localisation index Γ = {kd.localisation_index:.4f}, dispersion index Ψ = "
                f"{kd.dispersion_index:.4f} (global {kd.level:.0%} band).")
    planted = cmap.truth_kd(cs.truth) if cs.truth is not None else None
    return Section(title=title, result=KdResult(kd, sample, planted, tuple(heads)), table=cmap.kd_ranges(kd),
                   reading=reading, notes=notes, inputs=_SITES)


def kd_figure(step: Section, sites: Section, params: Any) -> Section:
    """The K-density curve with its band and localised ranges (and the planted scale of a synthetic
    cluster), captioned; passes "not computed" through."""
    if not step.computed:
        return step
    from agrocluster import figures
    from agrocluster.figures import mapping as fmap

    res: KdResult = step.result
    kd, planted, year = res.kd, res.planted, sites.result.year
    fig, ax = figures.new_figure(8.0, 4.5)
    fmap.kd_curve(ax, kd.table(), localised=kd.localised_ranges, level=kd.level,
                  truth_km=planted["localised_below_km"] if planted else None,
                  title=f"K-density of sector {params.cluster_sector}, {year}")
    caption = (f"K-density of the cluster sector's {kd.n_points:,} establishments ({year}), bandwidth "
               f"{kd.bandwidth:.1f} km, with the global {kd.level:.0%} band from {kd.n_draws:,} random relocations "
               f"among {kd.n_sites:,} sites; shaded: localised ranges. Sample: {res.sample.note}.")
    if planted:
        caption += (f" Dashed: the planted scale (plants within {planted['cluster_radius_km']:g} km of their region "
                    "centre).")
    return Section(title=step.title, result=fig, reading=caption, inputs=_SITES)


def establishment_map(sites: Section, lqs: Section, params: Any) -> Section:
    """The map of the latest cross-section (cluster sector highlighted, related sectors in a second colour,
    region centres, core regions named); not computed when no establishment has coordinates."""
    title = "Map of the establishments"
    stop = _upstream(title, sites)
    if stop:
        return stop
    cs: CrossSection = sites.result
    if not cs.check.ok("map"):
        still = "; the regional tables below still say where the sector is" if lqs.computed else ""
        return Section(title=title, computed=False, reason=cs.check.reason("map") + still)
    from agrocluster import figures
    from agrocluster.data import geography
    from agrocluster.data.isic import sector_label
    from agrocluster.figures import mapping as fmap

    related = _related(params)
    core = lqs.result.core if lqs.computed else list(params.regions)
    fig, ax = figures.new_figure(8.5, 7.0)
    outline = geography.country_mask(params.country_iso3)
    fmap.establishment_map(ax, cs.located, params.cluster_sector, related=related,
                           centres=cmap.region_centres(cs.located), core=core,
                           title=f"{params.name}: establishments in {cs.year}", outline=outline)
    caption = (f"Establishments of {cs.year} by longitude and latitude: cluster sector "
               f"{sector_label(params.cluster_sector)} highlighted, related sector(s) "
               f"{', '.join(sector_label(r) for r in related) or 'none'} in a second colour; crosses are "
               f"region centres, named for the core regions ({', '.join(core)}).")
    if outline is not None:
        caption += f" Shaded: land in {params.country_iso3}. {geography.SOURCE}"
    return Section(title=title, result=fig, reading=caption, inputs=_SITES)


# -------------------------------------------------------------------------------------------------- strength


def strength_reading(table: pd.DataFrame) -> str:
    """Which core regions are strong clusters (with stability) and the stars of each core region."""
    core = table[table["core"]]
    strong = ", ".join(f"{r.region} (stability {r.strong_stability:.0%})" for r in core.itertuples() if r.strong)
    stars = ", ".join(f"{r.region} {int(r.stars)}★" for r in core.itertuples())
    return f"Core regions flagged strong: {strong or 'none'}. Stars of the core regions: {stars or 'none'}."


@dataclass(frozen=True)
class Strength:
    table: pd.DataFrame
    headlines: tuple[Headline, ...]


def cluster_strength(regional: pd.DataFrame, lqs: Section, params: Any) -> Section:
    """US Cluster Mapping strong-cluster flag and European Cluster Observatory stars of the cluster sector in
    every region of the last year, with the probability and stability of each over ``strength_resamples``
    draws of the same design as the LQ interval (plants resampled within region, or Poisson redraws); the
    LQ base follows :func:`lq_arguments`. Headline ``strong_cluster``: 1 when any core region is strong."""
    stop = _upstream("Cluster strength", lqs)
    if stop:
        return stop
    res: LocationQuotients = lqs.result
    options, sector = params.concentration, params.cluster_sector
    resample = "establishments" if res.arguments.get("interval") == "establishments" else "poisson"
    table = cmap.cluster_strength(regional[regional["year"] == res.year], sector, res.core,
                                  n_resamples=options.strength_resamples, seed=params.seed,
                                  base=res.arguments["base"], traded=res.arguments.get("traded"),
                                  establishments=res.establishments, resample=resample)
    table = table.round({"employment": 0}).astype({"employment": "int64", "establishments": "int64"})
    strong = int(bool(table.loc[table["core"], "strong"].any()))
    heads = (Headline("strong_cluster", strong, note=f"sector {sector}, {res.year}"),)
    design = "plants resampled within region" if resample == "establishments" else "Poisson redraws of employment"
    reading = strength_reading(table) + f" Year {res.year}; {options.strength_resamples} redraws ({design})."
    section = Section(title="Cluster strength", result=Strength(table, heads), table=table, reading=reading,
                      inputs=_REGIONS)
    # the flag's probability comes from the LQ interval's design: its coverage is that design's
    key = "lq-establishments" if resample == "establishments" else "lq-bootstrap"
    return annotate(section, key, label={key: "The strength probabilities resample as this LQ interval does"})


# ----------------------------------------------------------------------------------------------- shift-share


@dataclass(frozen=True)
class ShiftShare:
    """Shift-share of each core region from ``start`` to ``end``: ``table`` (both scopes) and ``own``
    (the cluster-sector rows, for the figure)."""

    table: pd.DataFrame
    own: pd.DataFrame
    start: int
    end: int


def shift_share(regional: pd.DataFrame, lqs: Section, params: Any) -> Section:
    """National growth, industry mix and competitive effect of each core region's cluster-sector and total
    employment change, from ``concentration.shift_share_base_year`` (default the first year) to the last year."""
    stop = _upstream("Shift-share", lqs)
    if stop:
        return stop
    res: LocationQuotients = lqs.result
    start = params.concentration.shift_share_base_year or int(regional["year"].min())
    table = cmap.shift_share_regions(regional, res.core, params.cluster_sector, start, res.year)
    jobs = table.columns[2:]
    table[jobs] = table[jobs].round(0).astype("int64")
    own = table[table["scope"] == "cluster sector"]
    ahead = own.loc[own["competitive"] > 0, "region"].tolist()
    reading = (f"Core regions whose cluster sector grew faster than the sector nationally, {start}–{res.year}: "
               f"{', '.join(ahead) or 'none'} (positive competitive effect).")
    return Section(title="Shift-share", result=ShiftShare(table, own, start, res.year), table=table, reading=reading,
                   inputs=_REGIONS)


# ---------------------------------------------------------------------------------------- world production


@dataclass(frozen=True)
class WorldProduction:
    standing: cmap.ProductionStanding
    headlines: tuple[Headline, ...]


def world_production(data: Any, params: Any) -> Section:
    """The country's share of world production of its FAOSTAT item, its rank and quantity RCA among the
    top ``exports.n_competitors`` producers (real food balances). Headline ``world_production_share`` (%).
    Not computed without the country_product table."""
    if not data.has("country_product"):
        return Section.not_computed("World production", needs=NEEDS_FAO)
    standing = cmap.production_standing(data["country_product"], params.country_iso3, params.faostat_item_code,
                                        top=params.exports.n_competitors)
    heads = (Headline("world_production_share", 100.0 * standing.share,
                      note=f"{params.country_iso3}, {standing.item_name}, {standing.year}: rank {standing.rank} of "
                           f"{standing.n_producers} producers; quantity RCA {standing.rca:.2f}"),)
    table = standing.table().round({"production": 0}).astype({"production": "int64"})
    reading = (f"{params.country_iso3} produced {100.0 * standing.share:.1f}% of world {standing.item_name} in "
               f"{standing.year}, rank {standing.rank} of {standing.n_producers}; RCA column: {standing.rca_basis}.")
    return Section(title="World production", result=WorldProduction(standing, heads), table=table, reading=reading,
                   excluded=excluded_from(standing.excluded), inputs=_FAO)


# ------------------------------------------------------------------------------------------------- figures


def lq_heatmap(lqs: Section, params: Any) -> Section:
    """The heat table of every region × sector LQ in the last year (cluster sector framed, core regions in
    bold), captioned; passes "not computed" through."""
    stop = _upstream("Location quotients of every region and sector", lqs)
    if stop:
        return stop
    from agrocluster import figures
    from agrocluster.figures import mapping as fmap

    res: LocationQuotients = lqs.result
    sector = params.cluster_sector
    fig, ax = figures.new_figure(9.0, max(5.0, 0.28 * res.latest["region"].nunique() + 1.5))
    fmap.lq_heatmap(ax, res.latest, sector, highlight=res.core, title=f"Location quotients, {res.year}")
    caption = (f"Location quotients of every region (rows) and sector (columns) in {res.year}; the framed column is "
               f"the cluster sector {sector}, core regions in bold. Base: {res.base_text}.")
    return Section(title="Location quotients of every region and sector", result=fig, reading=caption, inputs=_REGIONS)


def shift_share_figure(shares: Section, params: Any) -> Section:
    """The shift-share bars of each core region (three components and the total change); passes "not computed"."""
    stop = _upstream("Shift-share of the core regions", shares)
    if stop:
        return stop
    from agrocluster import figures
    from agrocluster.figures import mapping as fmap

    res: ShiftShare = shares.result
    fig, ax = figures.new_figure(7.5, 4.2)
    fmap.shift_share_bars(ax, res.own, title=f"Sector {params.cluster_sector}: employment change {res.start}–{res.end}")
    caption = (f"Shift-share of the cluster sector's employment change in each core region, {res.start} to {res.end}: "
               "bars are the three components, diamonds the total change (their sum).")
    return Section(title="Shift-share of the core regions", result=fig, reading=caption, inputs=_REGIONS)


def world_share_figure(world: Section, params: Any) -> Section:
    """The country's share of world production of its item over the years (FAOSTAT); passes "not computed"."""
    stop = _upstream("Share of world production", world)
    if stop:
        return stop
    from agrocluster import figures
    from agrocluster.figures import mapping as fmap

    standing = world.result.standing
    fig, ax = figures.new_figure(7.5, 3.8)
    fmap.world_share_line(ax, standing.series, label=params.country_iso3,
                          title=f"{params.country_iso3}: share of world {standing.item_name} production")
    caption = (f"Share of world production of {standing.item_name} (FAOSTAT item {standing.item}) produced by "
               f"{params.country_iso3}, per cent, {int(standing.series['year'].min())}–{standing.year}; world = sum "
               "over countries reporting production.")
    return Section(title="Share of world production", result=fig, reading=caption, inputs=_FAO)


def producers_figure(world: Section, params: Any) -> Section:
    """Quantity-based RCA in production of the top producers (FAOSTAT); passes "not computed"."""
    stop = _upstream("Top producers", world)
    if stop:
        return stop
    from agrocluster import figures
    from agrocluster.figures import mapping as fmap

    standing = world.result.standing
    fig, ax = figures.new_figure(7.5, 0.35 * len(standing.table()) + 1.5)
    fmap.rca_bars(ax, standing.table(), title=f"Top producers of {standing.item_name}, {standing.year}")
    caption = (f"Quantity-based RCA in production of the top {params.exports.n_competitors} producers of "
               f"{standing.item_name} in {standing.year} (label: share of world production); {params.country_iso3} "
               "highlighted; dashed line at 1.")
    return Section(title="Top producers", result=fig, reading=caption, inputs=_FAO)
