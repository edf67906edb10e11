"""Workbook 00 (cluster overview), and what any workbook needs to know first: what the cluster's data allow.

:func:`availability` is the one place that decides which analyses a cluster's tables can support, from
the tables and their columns, never from the name of a data set; every workbook can call it::

    allowed = overview.availability(data, params)
    allowed.allows("distance")        # every establishment has coordinates
    allowed.reason("member_premium")  # why not, in words

:func:`cluster_profile` is the cluster's profile (actors, institutions, history, governance, ISIC codes)
from the cited ``profile`` of its parameters. :func:`inventory` is the data step every workbook starts with, :func:`country_series` the overview's
country-level step (real FAOSTAT food balances).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from agrocluster._frames import code_equals
from agrocluster.sections import Section
from agrocluster.workbooks.common import Headline, excluded_from, membership_need

__all__ = ["ANALYSES", "Availability", "availability", "cluster_output", "cluster_profile", "country_figure",
           "country_series", "inventory", "mismatch_notes", "synthetic_note"]

#: The analyses :class:`Availability` decides, with what each needs (the sentence of a "no").
ANALYSES = {
    "regional": "the regional employment table (region × sector × year)",
    "map": "coordinates (lat/lon) of at least one establishment",
    "distance": "coordinates (lat/lon) of every establishment (distance bands, Conley errors, K-density on all sites)",
    "plant_employment": "plant employment (labour) of at least one establishment",
    "production": "output of at least one establishment (the agglomeration and productivity workbooks)",
    "urbanisation": "establishments in at least two sectors (own-sector and total employment differ)",
    "member_premium": "a cluster_member column with both members and non-members",
    "programme": "a programme_entry_year column with at least one establishment entering",
    "capital": "capital of at least one establishment (production functions with a capital input)",
    "investment": "investment of at least one establishment (Olley–Pakes proxy)",
    "country_series": "the country_product table (FAOSTAT food balances) with the cluster's country and item",
    "trade_flows": "the trade_flows table (bilateral exports)",
    "firm_links": "the firm_links table (inter-firm links)",
}


def _known(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Rows where every one of ``columns`` is present and finite (no row when a column is absent)."""
    ok = np.ones(len(frame), dtype=bool)
    for col in columns:
        if col not in frame.columns:
            return np.zeros(len(frame), dtype=bool)
        ok &= np.isfinite(pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype="float64", na_value=np.nan))
    return ok


@dataclass(frozen=True)
class Availability:
    """What one cluster's data allow: one row per analysis of :data:`ANALYSES`, with the reason.

    Attributes
    ----------
    tables : tuple of str
        The tables the cluster has.
    synthetic : tuple of str
        Those of them that are synthetic (seeded, with planted truth).
    n_establishments, n_located : int
        Establishment rows, and those with coordinates.
    n_sectors : int
        Distinct sectors among the establishments.
    checks : DataFrame
        Indexed by analysis, columns ``possible`` (bool) and ``reason`` (what it rests on, or what it needs).
    """

    tables: tuple[str, ...]
    synthetic: tuple[str, ...]
    n_establishments: int
    n_located: int
    n_sectors: int
    checks: pd.DataFrame = field(repr=False)

    def allows(self, analysis: str) -> bool:
        """Whether the data support ``analysis`` (a key of :data:`ANALYSES`)."""
        if analysis not in self.checks.index:
            raise KeyError(f"unknown analysis {analysis!r}; known: {', '.join(self.checks.index)}")
        return bool(self.checks.loc[analysis, "possible"])

    def reason(self, analysis: str) -> str:
        """What ``analysis`` rests on, or what it needs and the data lack."""
        self.allows(analysis)
        return str(self.checks.loc[analysis, "reason"])

    def missing(self) -> list[str]:
        """The analyses the data do not allow."""
        return [a for a in self.checks.index if not self.checks.loc[a, "possible"]]

    def table(self) -> pd.DataFrame:
        """``analysis, possible, reason`` for a report."""
        return self.checks.reset_index()


def _country_rows(data: Any, params: Any) -> pd.DataFrame:
    """The rows of the country_product table for the cluster's country and FAOSTAT item (the table must exist)."""
    cp = data["country_product"]
    return cp[code_equals(cp["country"], params.country_iso3) & code_equals(cp["item"], params.faostat_item_code)]


def availability(data: Any, params: Any) -> Availability:
    """Decide what a cluster's loaded tables allow (:class:`Availability`), from tables and columns only.

    Parameters
    ----------
    data : agrocluster.data.cluster.ClusterData
        The loaded tables (any subset of them).
    params : ClusterParams
        The cluster's parameters (country and FAOSTAT item of the country series).

    Notes
    -----
    Coordinates: ``map`` needs at least one located establishment, ``distance`` every one (a distance
    band or a Conley kernel with unlocated firms would silently drop them). An analysis whose table is
    absent is "not possible" with the table named.
    """
    has = {name: data.has(name) for name in ("establishments", "regional_employment", "country_product",
                                              "trade_flows", "firm_links")}
    est = data["establishments"] if has["establishments"] else pd.DataFrame()
    n = len(est)
    located = int(_known(est, ["lat", "lon"]).sum())
    sectors = int(est["sector"].nunique()) if "sector" in est.columns else 0
    members = est["cluster_member"].dropna().nunique() if "cluster_member" in est.columns else 0
    entering = int(est["programme_entry_year"].notna().sum()) if "programme_entry_year" in est.columns else 0
    rows: dict[str, tuple[bool, str]] = {}

    def put(analysis: str, possible: bool, rests_on: str) -> None:
        rows[analysis] = (possible, rests_on if possible else f"needs {ANALYSES[analysis]}")

    no_est = "" if has["establishments"] else " (no establishments table)"
    put("regional", has["regional_employment"], "regional employment table present")
    put("map", located > 0, f"{located:,} of {n:,} establishment rows have coordinates")
    put("distance", n > 0 and located == n, f"all {n:,} establishment rows have coordinates")
    staffed = int(_known(est, ["labour"]).sum())
    put("plant_employment", staffed > 0, f"{staffed:,} of {n:,} establishment rows have plant employment")
    producing = int(_known(est, ["output"]).sum())
    put("production", producing > 0, f"{producing:,} of {n:,} establishment rows report output")
    put("urbanisation", sectors >= 2, f"{sectors} sectors among the establishments")
    put("member_premium", members == 2, "members and non-members among the establishments")
    if has["establishments"] and members != 2:
        rows["member_premium"] = (False, f"needs {membership_need(est)}")
    put("programme", entering > 0, f"{entering:,} establishment rows with a programme entry year")
    for column in ("capital", "investment"):
        count = int(_known(est, [column]).sum())
        put(column, count > 0, f"{count:,} of {n:,} establishment rows report {column}")
    series = has["country_product"] and len(_country_rows(data, params)) > 0
    put("country_series", series, f"FAOSTAT series of item {params.faostat_item_code} for {params.country_iso3}")
    put("trade_flows", has["trade_flows"], "trade flows table present")
    put("firm_links", has["firm_links"], "firm links table present")
    if no_est:
        for analysis in ("map", "distance", "plant_employment", "production", "urbanisation", "member_premium",
                         "programme", "capital", "investment"):
            rows[analysis] = (False, rows[analysis][1] + no_est)
    checks = pd.DataFrame({"possible": [v[0] for v in rows.values()], "reason": [v[1] for v in rows.values()]},
                          index=pd.Index(list(rows), name="analysis"))
    tables = tuple(data.tables)
    return Availability(tables, tuple(t for t in tables if data.is_synthetic(t)), n, located, sectors, checks)


def synthetic_note(data: Any) -> list[str]:
    """The caveat for a report that reads synthetic tables (none when every table is real)."""
    synthetic = [t for t in data.tables if data.is_synthetic(t)]
    if not synthetic:
        return []
    return [(f"Synthetic table(s) used here: {', '.join(synthetic)} (seeded, with planted truth). Numbers from them "
            "demonstrate and check the methods; they are not findings about the real cluster.")]


def mismatch_notes(data: Any) -> list[str]:
    """Parameters that name what the user's tables lack (a sector, a region, years), as report caveats.

    From :func:`agrocluster.data.checks.check_params_against_data`, for the user's own tables only (the
    project's demo tables are checked by its tests): a report must not say "0 plants of sector 127" without
    saying that the data write it "0127".
    """
    from agrocluster.data.checks import check_params_against_data

    user = {t for t, i in data.info.items() if i.source in ("file", "derived")}
    if not user:
        return []
    checks = check_params_against_data(data)
    bad = checks[(checks["status"] == "mismatch") & checks["table"].map(lambda t: bool(user & set(t.split(" + "))))]
    return [f"The parameter {row.key} does not match the data: {row.message}. Results that rest on it are "
            "not about what the parameter names; fix the cluster file (agrocluster data check)."
            for row in bad.itertuples(index=False)]


def inventory(data: Any, columns: list[str] | None = None) -> Section:
    """The data step of a workbook: the tables read (real or synthetic, origin, rows, years).

    ``table`` is :meth:`ClusterData.inventory` (only ``columns`` when given); ``notes`` the synthetic-data
    caveat of :func:`synthetic_note` and the parameters that do not match the user's tables
    (:func:`mismatch_notes`); ``excluded`` the rows the loaders left out, by rule. It describes every table
    read (``inputs``), one row each with its kind.
    """
    table = data.inventory()
    return Section(title="The data this workbook reads", result=data,
                   table=table[columns] if columns else table, notes=synthetic_note(data) + mismatch_notes(data),
                   excluded=excluded_from(data.excluded_table()), inputs=tuple(data.tables))


@dataclass(frozen=True)
class CountrySeries:
    """The country's FAOSTAT series of the cluster's product (``frame``: year, production, exports, …) and
    the headline numbers of its latest year with production."""

    frame: pd.DataFrame
    year: int
    headlines: tuple[Headline, ...]


def country_series(data: Any, params: Any) -> Section:
    """Production and exports of the cluster's product in its country (FAOSTAT food balances, thousand tonnes).

    Headlines: ``production_kt`` and ``exports_kt`` of the latest year with production, and
    ``establishments`` (distinct firms or farms) when the cluster has an establishments table. Its table is
    the series by year (the site's comparison page reads it from the saved CSV).
    """
    title = f"{params.product} in {params.country_iso3}"
    rows = _country_rows(data, params) if data.has("country_product") else None
    if rows is None or len(rows) == 0:
        return Section(title=title, computed=False, reason=f"needs {ANALYSES['country_series']}")
    series = rows.sort_values("year")
    produced = series.dropna(subset=["production"])
    if len(produced) == 0:
        return Section.not_computed(title, needs=f"a reported production of {params.product} in {params.country_iso3}")
    latest = produced.iloc[-1]
    year = int(latest["year"])
    heads = [Headline("production_kt", float(latest["production"]), note=f"{params.product}, {year}"),
             Headline("exports_kt", float(latest["exports"]), note=f"{params.product}, {year}")]
    if data.has("establishments"):
        heads.append(Headline("establishments", int(data["establishments"]["firm_id"].nunique())))
    scope = [f"Scope: {params.scope}"] if params.scope else []
    columns = ["year"] + [c for c in ("production", "imports", "exports", "domestic", "food") if c in series]
    return Section(title=title, result=CountrySeries(series.reset_index(drop=True), year, tuple(heads)),
                   table=series[columns].reset_index(drop=True), inputs=("country_product",), notes=scope)


def cluster_output(data: Any, params: Any, series: Section) -> Section:
    """The synthetic establishments' output of the cluster sector, in tonnes, beside FAOSTAT's production.

    Output in tonnes = output (thousand USD) / the cited unit value (``synthetic.trade_unit_value``, USD per
    kg): :func:`agrocluster.data.synthetic_output.output_tonnes`. The generator's money is scaled so that
    this sums, over the panel's years, to ``synthetic.production_share`` of FAOSTAT's production
    (:func:`agrocluster.data.synthetic_output.calibrate_output`); the table gives the yearly ratio. Not
    computed for real establishments (their output is the data) or without the country series.
    """
    from agrocluster.data.cluster import synthetic_spec
    from agrocluster.data.synthetic_output import output_tonnes

    title = "Synthetic output of the cluster sector against FAOSTAT production"
    if not series.computed:
        return Section(title=title, computed=False, reason=series.reason)
    if not data.is_synthetic("establishments"):
        return Section.not_computed(title, needs="synthetic establishments calibrated to FAOSTAT (these "
                                                 "establishments are not synthetic: their output is the data)")
    spec = synthetic_spec(params)
    tonnes = output_tonnes(data["establishments"], params.cluster_sector, spec.trade_unit_value)
    real = series.result.frame.set_index("year")["production"]
    table = pd.DataFrame({"year": tonnes.index.astype(int), "output_kt": tonnes.to_numpy() / 1000.0})
    table["faostat_production_kt"] = table["year"].map(real)
    table["share_of_faostat"] = table["output_kt"] / table["faostat_production_kt"]
    table["ratio_to_stated_share"] = table["share_of_faostat"] / spec.production_share
    overall = table["output_kt"].sum() / table["faostat_production_kt"].sum()
    source = spec.production_share_source or "1: the establishments stand for every producer of the country"
    reading = (f"The synthetic plants of sector {params.cluster_sector}, valued at the cited US${spec.trade_unit_value:.2f}"
               f"/kg, produce {100 * overall:.1f}% of FAOSTAT's production of {params.product} over "
               f"{table['year'].min()}-{table['year'].max()}, the stated share of {100 * spec.production_share:.0f}% "
               f"({source}). Year by year the share moves between {100 * table['share_of_faostat'].min():.1f}% and "
               f"{100 * table['share_of_faostat'].max():.1f}%: the synthetic panel does not follow the harvests.")
    return Section(title=title, result=table, table=table, reading=reading,
                   inputs=("establishments", "country_product"))


def country_figure(series: Section, params: Any) -> Section:
    """The figure step of :func:`country_series`: production, exports and imports over the years, captioned
    with the 2010 break of the food-balance method (passes "not computed" through)."""
    if not series.computed:
        return series
    from agrocluster import figures

    fig, ax = figures.new_figure()
    figures.country_series(ax, series.result.frame,
                           title=f"{params.product} in {params.country_iso3} (thousand tonnes)")
    caption = (f"Production, exports and imports of {params.product}, FAOSTAT food balances. The methodology "
               "changed in 2010: the series joins the old and new food balances.")
    if params.scope:
        caption += f" Scope: {params.scope}"
    return Section(title=series.title, result=fig, reading=caption, inputs=("country_product",), notes=series.notes)


def cluster_profile(params: Any) -> Section:
    """The cluster's profile, as the FAO case studies open (Gálvez-Nogales 2010): actors and institutions,
    history and governance in a few cited sentences from ``params.profile``, the ISIC rev.4 classes of its
    activities named, and the sources as the reading. Not computed when the parameters hold no profile."""
    title = f"Profile of the {params.name}"
    prof = params.profile
    parts = [("Actors", prof.actors), ("Institutions", prof.institutions), ("History", prof.history),
             ("Governance", prof.governance)]
    rows = [(aspect, " ".join(text.split())) for aspect, text in parts if text]
    if not rows:
        return Section.not_computed(title, needs="a profile (actors, institutions, history, governance) with its "
                                    "sources in params/clusters/<id>.yaml (key profile)")
    roles = {params.cluster_sector: "cluster sector", **{c: "related sector" for c in params.related_sectors}}
    codes = {**{c: "" for c in roles}, **prof.isic}
    isic = "; ".join(f"{code} {name or '(name not given)'} ({roles.get(code, 'activity')})"
                     for code, name in codes.items())
    rows.append(("ISIC rev.4 activities", isic))
    table = pd.DataFrame(rows, columns=["aspect", "profile"])
    reading = "Sources: " + " ".join(f"[{i}] {src}" for i, src in enumerate(prof.sources, start=1))
    return Section(title=title, result=prof, table=table, reading=reading, inputs=("parameters",))
