"""Putting a cluster on the map: the steps of the cluster-mapping workbook (``notebooks/01_cluster_mapping``)
that sit between the data and the estimators of :mod:`agrocluster.concentration`.

Each function is a small, documented rule so the notebook stays thin: which cross-section to map, which
rows cannot be used (and how many), what the establishment data can support, where the regions' centres
are, which regions are the cluster's core, how the K-density subsample is drawn, the strength flags and
the shift-share of the core regions, the planted truth of a synthetic cluster in comparable tables, and
the country's standing in world production of its product (real FAOSTAT food balances, through
:mod:`agrocluster.exports.markets` and :func:`agrocluster.exports.product_space.revealed_comparative_advantage`).

Like every estimator module this one reads and writes no files, draws nothing and prints nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from agrocluster._frames import code_equals as _equals
from agrocluster.concentration.specialisation import (
    gini,
    hoover_index,
    location_quotient,
    locational_gini,
    shift_share,
)
from agrocluster.concentration.strength import eco_stars, strong_clusters
from agrocluster.errors import DataContractError, ParamsError
from agrocluster.results import ResultProtocol, indicator_tidy, set_exclusions

__all__ = [
    "EXCLUDED_COLUMNS",
    "FAOSTAT_AGGREGATE_ITEMS",
    "Feasibility",
    "KdSample",
    "ProductionStanding",
    "cluster_strength",
    "concentration_indices",
    "core_regions",
    "eg_report",
    "feasibility",
    "kd_ranges",
    "kd_subsample",
    "latest_cross_section",
    "location_quotients",
    "lq_options",
    "plants_add_up",
    "production_standing",
    "region_centres",
    "sector_roles",
    "select_rows",
    "shift_share_regions",
    "strongest_region",
    "truth_eg",
    "truth_kd",
    "truth_lq",
]

#: Columns of the exclusion tables returned here (as :meth:`ClusterData.excluded_table`).
EXCLUDED_COLUMNS = ["table", "reason", "n_rows"]

#: FAOSTAT food-balance item codes from 2900 up are aggregates of the detailed items (2905 Cereals,
#: 2924 Alcoholic Beverages, 2948 Milk - Excluding Butter ...): a basket that sums items must leave them out.
FAOSTAT_AGGREGATE_ITEMS = 2900


def _excluded(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    kept = [r for r in rows if r[2] > 0]
    return pd.DataFrame(kept, columns=EXCLUDED_COLUMNS).astype({"n_rows": "int64"})


# ------------------------------------------------------------------------------------------ cross-section


def latest_cross_section(establishments: pd.DataFrame, year: int | None = None, *, year_col: str = "year"
                         ) -> tuple[int, pd.DataFrame]:
    """The establishments of one year: ``year`` or, by default, the latest year of the table.

    Distance-based indices and Ellison–Glaeser are cross-sections (one row per plant); the latest year is
    the picture a reader asks for. Returns ``(year, rows of that year)`` with a fresh index.
    """
    if not isinstance(establishments, pd.DataFrame) or year_col not in establishments.columns:
        raise DataContractError(f"establishments need a '{year_col}' column to pick a cross-section")
    if len(establishments) == 0:
        raise DataContractError("establishments table is empty: no cross-section to map")
    years = pd.to_numeric(establishments[year_col], errors="coerce")
    chosen = int(years.max()) if year is None else int(year)
    if chosen not in set(years.dropna().astype(int)):
        raise DataContractError(f"year {chosen} is not in the establishments' '{year_col}' column")
    return chosen, establishments.loc[(years == chosen).to_numpy()].reset_index(drop=True)


def select_rows(frame: pd.DataFrame, columns: Sequence[str], reason: str, *, table: str = "establishments"
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows whose ``columns`` are all present and finite, and a count of the others.

    Returns ``(kept rows, exclusions)``; the exclusions frame has ``table, reason, n_rows`` (no row when
    nothing is excluded), ready for :meth:`agrocluster.record.Recorder.add_excluded`. A column absent from
    the table excludes every row, with the reason saying so.
    """
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        return frame.iloc[0:0].copy(), _excluded([(table, f"{reason} (column(s) {absent} absent)", len(frame))])
    ok = np.ones(len(frame), dtype=bool)
    for col in columns:
        values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        ok &= np.isfinite(values)
    return frame.loc[ok].reset_index(drop=True), _excluded([(table, reason, int((~ok).sum()))])


# ------------------------------------------------------------------------------------------- feasibility


@dataclass(frozen=True)
class Feasibility:
    """What a cross-section of establishments can support: one row per analysis, with the reason.

    ``checks`` is indexed by analysis (``map``, ``kd``, ``eg``, ``coagglomeration``) with columns
    ``possible`` (bool) and ``reason`` (what it rests on, or why it cannot be done); ``related_usable``
    lists the related sectors with enough plants for the coagglomeration index.
    """

    checks: pd.DataFrame
    related_usable: tuple[str, ...] = ()

    def ok(self, analysis: str) -> bool:
        return bool(self.checks.loc[analysis, "possible"])

    def reason(self, analysis: str) -> str:
        return str(self.checks.loc[analysis, "reason"])

    def table(self) -> pd.DataFrame:
        """``analysis, possible, reason`` for a report."""
        return self.checks.reset_index()


def feasibility(
    points: pd.DataFrame,
    sector_code: str,
    related: Iterable[str] = (),
    *,
    sector: str = "sector",
    region: str = "region",
    employment: str = "labour",
    lat: str = "lat",
    lon: str = "lon",
) -> Feasibility:
    """Which plant-level analyses of ``sector_code`` one cross-section ``points`` can support, and why not.

    Rules (each the condition under which the estimator's result means something, not only runs):

    - ``map``: coordinates (``lat``, ``lon``) known for at least one establishment;
    - ``kd`` (Duranton–Overman): at least two located establishments of the sector and at least one
      located establishment of another sector (the null relocates the sector among all sites);
    - ``eg`` (Ellison–Glaeser): plant employment known, at least two sectors (γ compares the sector's
      spread with all employment's: with one sector it is 0/0 by construction), at least two regions with
      employment, and at least two plants of the sector with employment (H < 1);
    - ``coagglomeration``: ``eg`` possible and at least one of ``related`` with two plants with employment.
    """
    def known(cols: Sequence[str]) -> np.ndarray:
        ok = np.ones(len(points), dtype=bool)
        for col in cols:
            if col not in points.columns:
                return np.zeros(len(points), dtype=bool)
            ok &= np.isfinite(pd.to_numeric(points[col], errors="coerce").to_numpy(dtype="float64", na_value=np.nan))
        return ok

    in_sector = (points[sector].astype(str) == str(sector_code)).to_numpy() if sector in points else np.zeros(
        len(points), dtype=bool)
    located = known([lat, lon])
    rows: dict[str, tuple[bool, str]] = {}
    n_located = int(located.sum())
    if n_located == 0:
        rows["map"] = (False, "no establishment has coordinates (lat/lon), so there is nothing to map")
    else:
        rows["map"] = (True, f"{n_located:,} of {len(points):,} establishments have coordinates")
    n_sec_loc = int((located & in_sector).sum())
    n_other_loc = int((located & ~in_sector).sum())
    if n_located == 0:
        rows["kd"] = (False, "no establishment has coordinates (lat/lon): distances cannot be measured")
    elif n_sec_loc < 2:
        rows["kd"] = (False, (f"{n_sec_loc} located establishment(s) of sector {sector_code}: "
                             "K-density needs at least two (pair distances)"))
    elif n_other_loc == 0:
        rows["kd"] = (False, ("every located establishment is in the sector: the random-location null has no "
                             "other sites to draw from"))
    else:
        rows["kd"] = (True, f"{n_sec_loc:,} establishments of the sector among {n_located:,} sites")
    with_emp = known([employment])
    if with_emp.any():
        with_emp &= pd.to_numeric(points[employment], errors="coerce").fillna(0).to_numpy() > 0
    sectors = points.loc[with_emp, sector].astype(str) if sector in points else pd.Series(dtype=str)
    n_sectors = sectors.nunique()
    n_regions = points.loc[with_emp, region].nunique() if region in points else 0
    n_sec_plants = int((with_emp & in_sector).sum())
    if not with_emp.any():
        rows["eg"] = (False, f"plant employment ('{employment}') is not known: Ellison–Glaeser weighs plants by it")
    elif n_sectors < 2:
        rows["eg"] = (False, (f"every plant is in one sector ({', '.join(sorted(sectors.unique()))}): "
                             "Ellison–Glaeser compares a sector's spread with that of all employment, which "
                             "is the same thing here, so γ says nothing"))
    elif n_regions < 2:
        rows["eg"] = (False, "all plant employment is in one region: Ellison–Glaeser needs at least two")
    elif n_sec_plants < 2:
        rows["eg"] = (False, (f"{n_sec_plants} plant(s) of sector {sector_code} with employment: "
                             "γ needs at least two (H < 1)"))
    else:
        rows["eg"] = (True, f"{n_sec_plants:,} plants of the sector, {n_sectors} sectors, {n_regions} regions")
    related = [str(r) for r in related]
    labels = points[sector].astype(str).to_numpy() if sector in points else np.full(len(points), "")
    usable = [r for r in related if int((with_emp & (labels == r)).sum()) >= 2]
    if not related:
        rows["coagglomeration"] = (False, "the cluster names no related sector")
    elif not rows["eg"][0]:
        rows["coagglomeration"] = (False, "Ellison–Glaeser is not possible (see eg)")
    elif not usable:
        rows["coagglomeration"] = (False, f"no related sector ({', '.join(related)}) has two plants with employment")
    else:
        rows["coagglomeration"] = (True, f"with related sector(s) {', '.join(usable)}")
    checks = pd.DataFrame(
        {"possible": [v[0] for v in rows.values()], "reason": [v[1] for v in rows.values()]},
        index=pd.Index(list(rows), name="analysis"),
    )
    return Feasibility(checks, tuple(usable) if rows["coagglomeration"][0] else ())


# --------------------------------------------------------------------------------------------- geography


def region_centres(points: pd.DataFrame, *, region: str = "region", lat: str = "lat", lon: str = "lon"
                   ) -> pd.DataFrame:
    """Centre of each region as the mean coordinates of its located establishments.

    The plain mean of latitudes and longitudes: fine for regions a few hundred km across away from the
    antimeridian (it is where a map label goes, not a statistic). Returns ``region, lat, lon,
    establishments`` sorted by region.
    """
    kept, _ = select_rows(points, [lat, lon], "no coordinates")
    if len(kept) == 0:
        raise DataContractError(f"no establishment has coordinates ('{lat}'/'{lon}'): no region centre")
    out = kept.groupby(region, sort=True, observed=True).agg(
        lat=(lat, "mean"), lon=(lon, "mean"), establishments=(lat, "size"))
    return out.reset_index()


@dataclass(frozen=True)
class KdSample:
    """The cross-section the K-density runs on, and how it was subsampled.

    ``frame``: the rows used; ``rate``: the share of establishments kept (1.0 when no subsample was
    needed); ``n_sector``/``n_sector_kept`` and ``n_sites``/``n_sites_kept``: establishments of the sector
    and of all sectors before and after; ``note``: one sentence for the report.
    """

    frame: pd.DataFrame
    rate: float
    n_sector: int
    n_sector_kept: int
    n_sites: int
    n_sites_kept: int
    note: str


def kd_subsample(points: pd.DataFrame, sector_code: str, max_points: int, *, seed: int | None = None,
                 sector: str = "sector") -> KdSample:
    """At most ``max_points`` establishments of the sector for the K-density, drawn so the null is unchanged.

    The K-density costs O(n²) per draw in the sector's establishments ``n``. When the sector has more than
    ``max_points`` (``params.concentration.kd_max_points``), a simple random sample of exactly
    ``max_points`` of its establishments is kept, and the same share ``rate = max_points / n`` of every
    other sector's (rounded, at least one site when there are any): the sites keep their geography and
    the sector its share of them, so the random-location null is that of the full data, with fewer draws'
    worth of pairs. Seeded (``numpy.random.default_rng(seed)``).
    """
    if not isinstance(max_points, (int, np.integer)) or max_points < 2:
        raise DataContractError(f"max_points must be an integer >= 2, got {max_points!r}")
    in_sector = (points[sector].astype(str) == str(sector_code)).to_numpy()
    n_sec, n_all = int(in_sector.sum()), len(points)
    if n_sec <= max_points:
        return KdSample(points.reset_index(drop=True), 1.0, n_sec, n_sec, n_all, n_all,
                        f"all {n_sec:,} establishments of the sector are used (limit {max_points:,})")
    rng = np.random.default_rng(seed)
    rate = max_points / n_sec
    sec_pos = np.flatnonzero(in_sector)
    other_pos = np.flatnonzero(~in_sector)
    n_other = min(len(other_pos), max(1, round(rate * len(other_pos)))) if len(other_pos) else 0
    keep = np.sort(np.concatenate([rng.choice(sec_pos, max_points, replace=False),
                                   rng.choice(other_pos, n_other, replace=False)]))
    frame = points.iloc[keep].reset_index(drop=True)
    note = (f"random subsample (seed {seed}): {max_points:,} of the sector's {n_sec:,} establishments and the same "
            f"share ({rate:.1%}) of the other sectors' — {len(frame):,} of {n_all:,} sites")
    return KdSample(frame, rate, n_sec, max_points, n_all, len(frame), note)


# --------------------------------------------------------------------------------------- specialisation


def plants_add_up(regional: pd.DataFrame, establishments: pd.DataFrame | None, *, employment: str = "labour",
                  region: str = "region", sector: str = "sector", year: str = "year") -> bool:
    """Whether ``establishments`` (one row per plant) hold every job of the regional table.

    True when the plants have region, sector, year and employment ``employment`` in every row of the
    regional table's years and their sums equal the table's employment in every cell (relative error
    below 1e-6). Only then can an interval from resampling plants stand beside the table's LQs.
    """
    cols = [region, sector, year, employment]
    if establishments is None or any(c not in establishments.columns for c in cols):
        return False
    years = set(regional[year].tolist()) if year in regional.columns else None
    plants = establishments if years is None else establishments[establishments[year].isin(years)]
    if len(plants) == 0 or plants[cols].isna().to_numpy().any():
        return False
    keys = [k for k in (year, region, sector) if k in regional.columns]
    cells = regional.groupby(keys, observed=True)["employment"].sum()
    by_plant = plants.groupby(keys, observed=True)[employment].sum()
    if not by_plant.index.isin(cells.index).all():
        return False
    sums = by_plant.reindex(cells.index, fill_value=0.0).to_numpy(dtype="float64")
    return bool(np.allclose(sums, cells.to_numpy(dtype="float64"), rtol=1e-6, atol=1e-9))


def lq_options(options: Any, regional: pd.DataFrame, establishments: pd.DataFrame | None = None, *,
               traded_column: str = "traded", employment: str = "labour") -> dict[str, Any]:
    """Keyword arguments of :func:`location_quotient` from ``params.concentration``.

    ``lq_base="traded"`` needs to know which sectors are traded: the regional table must carry a boolean
    column ``traded_column``; otherwise this raises :class:`ParamsError` naming the value. ``lq_interval``
    ``"none"`` means no interval. ``lq_interval="establishments"`` (the default) resamples plants, which
    needs the establishments whose employment (column ``employment``) adds up to the regional table
    (:func:`plants_add_up`); without them the interval falls back to ``"poisson"``, and the returned
    ``interval`` says which one is used.
    """
    base = options.lq_base
    interval = None if options.lq_interval == "none" else options.lq_interval
    if interval == "establishments" and not plants_add_up(regional, establishments, employment=employment):
        interval = "poisson"
    kwargs: dict[str, Any] = {"base": base, "level": options.interval_level, "interval": interval}
    if base == "traded":
        if traded_column not in regional.columns:
            raise ParamsError(
                f"concentration.lq_base='traded' needs a boolean column '{traded_column}' in the regional "
                f"employment table saying which sectors are traded; the table has {list(regional.columns)}. "
                "Add the column or set concentration.lq_base=all"
            )
        kwargs["traded"] = traded_column
    return kwargs


def location_quotients(regional: pd.DataFrame, establishments: pd.DataFrame | None, lq_args: Mapping[str, Any],
                       *, n_boot: int = 999, seed: int | None = None, employment: str = "labour") -> pd.DataFrame:
    """LQ of every cell of the regional table with the interval ``lq_args`` names (from :func:`lq_options`).

    With ``interval="establishments"`` the interval comes from resampling the plants of ``establishments``
    within their region (:func:`location_quotient`); cells with 0–2 plants (an empty cell of the regional table
    included) get its compound-Poisson bounds from the plant-count process. A cell of the regional table
    outside the plants' regions and sectors keeps LQ 0 with interval 0–0. Otherwise this is
    ``location_quotient(regional, **lq_args)``.
    """
    if lq_args.get("interval") != "establishments":
        return location_quotient(regional, **lq_args, n_boot=n_boot, seed=seed)
    keys = [k for k in ("year", "region", "sector") if k in regional.columns]
    traded = lq_args.get("traded")
    plants = establishments.loc[establishments["year"].isin(set(regional["year"].tolist()))] \
        if "year" in keys else establishments
    if isinstance(traded, str):
        flags = regional[["sector", traded]].drop_duplicates("sector")
        plants = plants.merge(flags, on="sector", how="left", validate="many_to_one")
    by_plant = location_quotient(plants, value=employment, **lq_args, n_boot=n_boot, seed=seed)
    point = location_quotient(regional, **{**lq_args, "interval": None})
    out = point.merge(by_plant.drop(columns="lq"), on=keys, how="left", validate="one_to_one")
    empty = out["lq_lo"].isna().to_numpy()
    out.loc[empty, ["lq_lo", "lq_hi", "lq_se"]] = 0.0
    out["boot_defined"] = out["boot_defined"].fillna(n_boot).astype("int64")
    return out


def core_regions(lq_latest: pd.DataFrame, sector_code: str, declared: Sequence[str] = (), n: int = 3, *,
                 region: str = "region", sector: str = "sector") -> tuple[list[str], str]:
    """The cluster's core regions and how they were chosen.

    The regions the cluster's parameters name (``params.regions``) that are in the table, in the order
    given; when it names none (or none is in the table), the ``n`` regions with the highest LQ of the
    sector in ``lq_latest`` (one year). Returns ``(regions, basis)`` with ``basis`` a phrase for the
    report; the LQ-chosen core is selected on the outcome, so its LQ is biased upwards (say so).
    """
    cells = lq_latest[lq_latest[sector].astype(str) == str(sector_code)]
    if len(cells) == 0:
        raise DataContractError(f"sector {sector_code!r} is not in the LQ table")
    present = set(cells[region].astype(str))
    named = [str(r) for r in declared if str(r) in present]
    if named:
        missing = [str(r) for r in declared if str(r) not in present]
        basis = "named in the cluster's parameters"
        if missing:
            basis += f" ({', '.join(missing)} not in the regional table)"
        return named, basis
    top = cells.sort_values(["lq", region], ascending=[False, True], kind="stable").head(int(n))
    basis = (f"the {len(top)} regions with the highest LQ of the sector (the cluster names no region"
             + (" found in the table" if declared else "") + "; chosen on the outcome, so their LQ is biased upwards)")
    return top[region].astype(str).tolist(), basis


def strongest_region(lq_latest: pd.DataFrame, sector_code: str, regions: Sequence[str], *,
                     region: str = "region", sector: str = "sector") -> pd.Series:
    """The row of ``lq_latest`` (one year) with the highest LQ of ``sector_code`` among ``regions``."""
    cells = lq_latest[(lq_latest[sector].astype(str) == str(sector_code))
                      & lq_latest[region].astype(str).isin([str(r) for r in regions])]
    if len(cells) == 0:
        raise DataContractError(f"none of the regions {list(regions)} has sector {sector_code!r} in the LQ table")
    return cells.sort_values(["lq", region], ascending=[False, True], kind="stable").iloc[0]


def concentration_indices(regional: pd.DataFrame, sectors: Sequence[str], years: Sequence[int], *,
                          region: str = "region", sector: str = "sector", value: str = "employment"
                          ) -> pd.DataFrame:
    """How unevenly each of ``sectors`` is spread over regions in each of ``years``: ``year, sector,
    hoover, gini, locational_gini`` (:func:`hoover_index`, :func:`gini`, :func:`locational_gini` on the
    whole table of those years, all sectors, since the reference distribution is total employment)."""
    wanted = [int(y) for y in dict.fromkeys(years)]
    part = regional[regional["year"].isin(wanted)]
    if len(part) == 0:
        raise DataContractError(f"none of the years {wanted} is in the regional table")
    keys = ["year", sector]
    out = hoover_index(part, region, sector, value)
    out = out.merge(gini(part, region, sector, value), on=keys).merge(
        locational_gini(part, region, sector, value), on=keys)
    codes = [str(c) for c in sectors]
    out = out[out[sector].astype(str).isin(codes)].copy()
    out["_order"] = out[sector].astype(str).map({c: i for i, c in enumerate(codes)})
    return out.sort_values(["_order", "year"]).drop(columns="_order").reset_index(drop=True)


# ------------------------------------------------------------------------------------------------ strength


def cluster_strength(regional_year: pd.DataFrame, sector_code: str, core: Sequence[str] = (), *,
                     n_resamples: int = 999, seed: int | None = None, region: str = "region",
                     sector: str = "sector", base: str = "all", traded: Any = None,
                     establishments: pd.DataFrame | None = None, resample: str | None = "poisson",
                     employment: str = "labour") -> pd.DataFrame:
    """US Cluster Mapping "strong cluster" flag and European Cluster Observatory stars of one sector.

    Runs :func:`strong_clusters` and :func:`eco_stars` on one year of the regional table (all sectors, as
    their percentiles and LQs need) and keeps the sector's cells: ``region, core, employment,
    establishments, lq, strong, strong_stability, stars, stars_stability, size_star,
    specialisation_star, focus_star, strong_probability`` sorted by LQ (highest first). Stabilities are the
    share of ``n_resamples`` draws in which the flag keeps its observed value (NaN when ``n_resamples`` is
    0), ``strong_probability`` the share in which the cell is strong.

    ``resample="establishments"`` (the value of ``lq_options(...)["interval"]`` when the plants add up to
    the regional table) draws from ``establishments`` of the table's year, resampling plants within their
    region, so the flags carry the same uncertainty as the LQ interval; any other value (``"poisson"``,
    ``"bootstrap"``, ``None``) redraws employment as Poisson counts.
    """
    years = regional_year["year"].nunique() if "year" in regional_year.columns else 1
    if years > 1:
        raise DataContractError(f"cluster_strength reads one year; the table holds {years}: filter one first")
    opts = {"region": region, "sector": sector, "base": base, "traded": traded,
            "n_resamples": max(int(n_resamples), 1), "seed": seed}
    table = regional_year
    if resample == "establishments":
        if not plants_add_up(regional_year, establishments, employment=employment, region=region, sector=sector):
            raise DataContractError(
                "cluster_strength(resample='establishments') needs establishments whose "
                f"'{employment}' adds up to the regional table's employment in every cell")
        table = establishments.loc[establishments["year"].isin(set(regional_year["year"].tolist()))] \
            if "year" in regional_year.columns else establishments
        table = table.rename(columns={employment: "employment"})
        if isinstance(traded, str):
            table = table.merge(regional_year[[sector, traded]].drop_duplicates(sector), on=sector, how="left")
        opts["resample"] = "establishments"
    strong = strong_clusters(table, **opts)
    stars = eco_stars(table, **opts)
    keys = [k for k in ("year", region, sector) if k in strong.columns]
    merged = strong.merge(
        stars[[*keys, "stars", "stars_stability", "size_star", "specialisation_star", "focus_star"]],
        on=keys, how="left", validate="one_to_one")
    out = merged[merged[sector].astype(str) == str(sector_code)].copy()
    if len(out) == 0:
        raise DataContractError(f"sector {sector_code!r} is not in the regional table")
    out.insert(out.columns.get_loc(region) + 1, "core", out[region].astype(str).isin([str(r) for r in core]))
    out = out.rename(columns={"stability": "strong_stability"})
    if int(n_resamples) == 0:  # no resampling asked for: no stability to report
        out[["strong_stability", "stars_stability", "strong_probability"]] = np.nan
    cols = [region, "core", "employment", "establishments", "lq", "strong", "strong_stability", "stars",
            "stars_stability", "size_star", "specialisation_star", "focus_star", "strong_probability"]
    return out.sort_values(["lq", region], ascending=[False, True], kind="stable")[cols].reset_index(drop=True)


# ----------------------------------------------------------------------------------------------- shift-share


def shift_share_regions(regional: pd.DataFrame, regions: Sequence[str], sector_code: str, start: int, end: int,
                        *, region: str = "region", sector: str = "sector", value: str = "employment"
                        ) -> pd.DataFrame:
    """Shift-share (:func:`shift_share`) of each region's employment change from ``start`` to ``end``.

    Two rows per region: ``scope = "cluster sector"`` (the sector's own components) and ``"all sectors"``
    (the region's totals). Columns ``region, scope, employment_start, employment_end, change,
    national_growth, industry_mix, competitive``; the three components add up to ``change``. A region
    without the sector in either year has a cluster-sector row of zeros.
    """
    rows = []
    for name in regions:
        res = shift_share(regional, str(name), int(start), int(end), region=region, sector=sector, value=value)
        by = res.table()
        own = by[by[sector].astype(str) == str(sector_code)]
        parts = ["employment_start", "employment_end", "change", "national_growth", "industry_mix", "competitive"]
        own_values = own[parts].sum() if len(own) else pd.Series(0.0, index=parts)
        rows.append({region: str(name), "scope": "cluster sector", **own_values.to_dict()})
        rows.append({region: str(name), "scope": "all sectors",
                     **{p: float(by[p].sum()) for p in parts}})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------- EG and Kd for reports


def sector_roles(sectors: Iterable[str], sector_code: str, related: Iterable[str] = ()) -> list[str]:
    """``"cluster"``, ``"related"`` or ``"other"`` for each sector code."""
    related = {str(r) for r in related}
    return ["cluster" if str(s) == str(sector_code) else "related" if str(s) in related else "other"
            for s in sectors]


def eg_report(eg: pd.DataFrame, sector_code: str, related: Iterable[str] = (), truth: Mapping[str, Any] | None = None,
              *, sector: str = "sector") -> pd.DataFrame:
    """The Ellison–Glaeser table of :func:`ellison_glaeser` for a report: one row per sector with its
    ``role`` (cluster / related / other), the cluster sector first, then by γ (highest first), and for a
    synthetic cluster the planted ``gamma_true``, ``gamma_given_draw`` and ``gamma_expected_index`` of
    :func:`truth_eg` beside the estimate."""
    out = eg.reset_index()
    out[sector] = out[sector].astype(str)
    out.insert(1, "role", sector_roles(out[sector], sector_code, related))
    planted = truth_eg(truth or {}, sector=sector)
    if len(planted):
        out = out.merge(planted.drop(columns="role"), on=sector, how="left")
    first = (out[sector] == str(sector_code)).astype(int)
    return (out.assign(_first=first).sort_values(["_first", "gamma"], ascending=[False, False], kind="stable")
            .drop(columns="_first").reset_index(drop=True))


def kd_ranges(kd: Any) -> pd.DataFrame:
    """The distance ranges where a :class:`KdResult` leaves its band: ``pattern`` (localised above the upper
    band, dispersed below the lower one), ``from_km``, ``to_km``; one row saying ``none`` when it never
    leaves the band."""
    rows = [("localised", a, b) for a, b in kd.localised_ranges] + [("dispersed", a, b) for a, b in kd.dispersed_ranges]
    if not rows:
        return pd.DataFrame({"pattern": ["none (inside the band everywhere)"], "from_km": [np.nan], "to_km": [np.nan]})
    return pd.DataFrame(rows, columns=["pattern", "from_km", "to_km"])


# ------------------------------------------------------------------------------------------ synthetic truth


def truth_lq(truth: Mapping[str, Any], sector_code: str, *, region: str = "region") -> pd.DataFrame:
    """The planted LQs of a synthetic cluster for one sector: ``region, lq_expected, lq_realised_last_year,
    planted_core``.

    ``lq_expected`` is the LQ implied by the location model's probabilities (equal plant sizes),
    ``lq_realised_last_year`` the LQ of the generated table's last year, ``planted_core`` whether the
    generator labelled the region a cluster region. Empty when ``truth`` holds no LQ (real data).
    """
    expected = (truth or {}).get("lq_expected", {}).get(str(sector_code))
    if not expected:
        return pd.DataFrame(columns=[region, "lq_expected", "lq_realised_last_year", "planted_core"])
    realised = truth.get("lq_realised_last_year", {}).get(str(sector_code), {})
    planted = set(truth.get("geography", {}).get("cluster_regions", []))
    names = list(expected)
    return pd.DataFrame({
        region: names,
        "lq_expected": [float(expected[r]) for r in names],
        "lq_realised_last_year": [float(realised[r]) if r in realised else np.nan for r in names],
        "planted_core": [r in planted for r in names],
    })


def truth_eg(truth: Mapping[str, Any], *, sector: str = "sector") -> pd.DataFrame:
    """The planted Ellison–Glaeser γ of every sector of a synthetic cluster.

    Columns ``sector, role, gamma_true, gamma_given_draw, gamma_expected_index``: the model's γ, the
    concentration of the location probabilities actually drawn, and what the index should then show,
    ``gamma_given_draw × (1 − w)²`` with ``w`` the sector's expected share of employment (the attenuation
    the generator's truth records: EG's derivation takes region sizes as given, and a large sector moves
    them). Empty when ``truth`` has no sectors (real data).
    """
    sectors = (truth or {}).get("sectors") or []
    cols = [sector, "role", "gamma_true", "gamma_given_draw", "gamma_expected_index"]
    if not sectors:
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame({
        sector: [str(s["sector"]) for s in sectors],
        "role": [str(s["role"]) for s in sectors],
        "gamma_true": [float(s["eg_gamma"]) for s in sectors],
        "gamma_given_draw": [float(s["eg_gamma_given_draw"]) for s in sectors],
        "weight": [float(s["firm_share"]) for s in sectors],
    })
    out["gamma_expected_index"] = out["gamma_given_draw"] * (1.0 - out["weight"]) ** 2
    return out[cols]


def truth_kd(truth: Mapping[str, Any]) -> dict[str, float] | None:
    """The planted scale of localisation of a synthetic cluster: ``cluster_radius_km`` (every cluster-sector
    plant lies within it of its region centre) and ``localised_below_km`` = twice that radius (pairs of
    plants of one cluster region are at most that far apart, where Kd should exceed its band). ``None`` for
    real data."""
    geo = (truth or {}).get("geography") or {}
    if "cluster_radius_km" not in geo:
        return None
    radius = float(geo["cluster_radius_km"])
    return {"cluster_radius_km": radius, "localised_below_km": 2.0 * radius}


# ---------------------------------------------------------------------------------- country in the world


@dataclass(frozen=True)
class ProductionStanding(ResultProtocol):
    """A country's place in world production of one FAOSTAT food-balance item.

    Attributes
    ----------
    country, item, item_name, year : who, what, and the year of :meth:`table`.
    world_production : world production of the item in ``year`` (sum over countries, thousand tonnes).
    share : the country's share of world production in ``year`` (0–1; NaN when it reports none).
    rca : the country's quantity-based RCA in production in ``year`` (NaN when it reports none).
    rank : its rank among producers in ``year`` (1 = largest; None when it produces nothing).
    n_producers : countries with positive production of the item in ``year``.
    series : DataFrame ``year, production, world_production, production_share`` of the country, all years.
    producers : DataFrame of the top producers and the country (see :meth:`table`).
    rca_basis : plain-language definition of the RCA used (quantity-based, basket of items).
    excluded : rows left out of the RCA basket (``reason, n, unit, table``).
    """

    country: str
    item: str
    item_name: str
    year: int
    world_production: float
    share: float
    rca: float
    rank: int | None
    n_producers: int
    series: pd.DataFrame = field(repr=False)
    producers: pd.DataFrame = field(repr=False)
    rca_basis: str = ""
    excluded: pd.DataFrame = field(default_factory=lambda: _excluded([]), repr=False)

    def __post_init__(self) -> None:
        set_exclusions(self, unit="rows")

    def tidy(self) -> pd.DataFrame:
        """Share of world production (0–1), quantity RCA, rank and world production in ``year``."""
        return indicator_tidy({"production_share": self.share, "rca_quantity": self.rca,
                               "rank": np.nan if self.rank is None else self.rank,
                               "world_production_kt": self.world_production})

    @property
    def nobs(self) -> int:
        """Countries producing the item in ``year``."""
        return int(self.n_producers)

    def table(self) -> pd.DataFrame:
        """``rank, country, area_name, production, share_pct, rca, is_country``: top producers in ``year``
        (production in thousand tonnes, share of world production in per cent, quantity RCA) and the
        country (added at the end when it is not among them)."""
        return self.producers.copy()

    def summary(self) -> pd.DataFrame:
        """One row: year, production share (%), rank, producers, quantity RCA."""
        return pd.DataFrame({
            "country": [self.country], "item": [self.item_name], "year": [self.year],
            "world_production_kt": [self.world_production], "production_share_pct": [100.0 * self.share],
            "rank": [self.rank], "producers": [self.n_producers], "rca_quantity": [self.rca],
        })


def production_standing(cp: pd.DataFrame, country: str, item: str | int, *, year: int | None = None,
                        top: int = 10, basket: Iterable[str] | None = None) -> ProductionStanding:
    """The country's share of world production of ``item`` and its revealed specialisation in producing it.

    ``cp`` is the ``country_product`` table (FAOSTAT food balances, countries only — no World or regional
    aggregates — thousand tonnes). Shares come from :func:`agrocluster.exports.markets.world_market_share`
    (world = sum over the countries reporting production; a missing production is left out, not zero). The
    specialisation is a **quantity-based RCA in production**, Balassa's formula
    (:func:`agrocluster.exports.product_space.revealed_comparative_advantage`) on production tonnes:
    ``(q_c,item / q_c,basket) / (q_world,item / q_world,basket)``, the basket being ``basket`` or by default
    every detailed food-balance item (codes below :data:`FAOSTAT_AGGREGATE_ITEMS`) plus ``item`` itself.
    Tonnes of different products and processing stages are added, so it ranks how much of a country's
    food production (by weight) is this product compared with the world; it is not a value RCA.

    ``year`` defaults to the latest year in which the country reports production of the item. Rows with
    missing production in the basket and countries with no production in the basket are left out of the
    RCA and counted in ``excluded``.

    Raises
    ------
    DataContractError
        Unknown country or item, or no production of the item reported by the country.

    Examples
    --------
    >>> cp = pd.DataFrame({"country": ["CHL", "FRA", "ITA"] * 2, "item": ["2655"] * 3 + ["2620"] * 3, "year": 2020,
    ...                    "production": [10.0, 40.0, 50.0, 30.0, 20.0, 50.0], "exports": 1.0,
    ...                    "item_name": ["Wine"] * 3 + ["Grapes"] * 3, "area_name": ["Chile", "France", "Italy"] * 2})
    >>> res = production_standing(cp, "CHL", 2655)
    >>> res.share, res.rank, round(res.rca, 3)
    (0.1, 3, 0.5)
    """
    from agrocluster.exports.markets import world_market_share
    from agrocluster.exports.product_space import revealed_comparative_advantage

    item = str(item)
    country = str(country)
    need = ["country", "item", "year", "production", "exports"]
    missing_cols = [c for c in need if c not in cp.columns]
    if missing_cols:
        raise DataContractError(f"country_product lacks column(s) {missing_cols}")
    sub = cp.loc[_equals(cp["item"], item)].reset_index(drop=True)
    if len(sub) == 0:
        raise DataContractError(f"item {item!r} is not in the country_product table")
    own = sub[_equals(sub["country"], country) & sub["production"].notna().to_numpy()]
    if len(own) == 0:
        raise DataContractError(f"country {country!r} reports no production of item {item!r}")
    name = str(sub["item_name"].dropna().iloc[0]) if "item_name" in sub and sub["item_name"].notna().any() else item
    # Only the production columns of world_market_share are used: rows without production are left out of
    # the world total (as missing, not zero), and a missing export quantity is set to 0 for the call only.
    reported = sub.loc[sub["production"].notna().to_numpy(), need]
    reported = reported.assign(exports=reported["exports"].fillna(0.0))
    shares = world_market_share(reported, known_codes=set(sub["country"].astype(str)))
    series = (shares[_equals(shares["country"], country)]
              [["year", "production", "world_production", "production_share"]]
              .dropna(subset=["production"]).sort_values("year").reset_index(drop=True))
    chosen = int(series["year"].max()) if year is None else int(year)
    if chosen not in set(series["year"].astype(int)):
        raise DataContractError(f"country {country!r} reports no production of item {item!r} in {chosen}")
    in_year = shares[shares["year"] == chosen]

    # RCA on the basket, one year (filter the year first: the table has a million rows)
    keep_cols = ["country", "item", "year", "production"] + (["area_name"] if "area_name" in cp.columns else [])
    year_rows = cp.loc[(cp["year"] == chosen).to_numpy(), keep_cols].reset_index(drop=True)
    year_items = year_rows["item"].astype(str)
    if basket is None:
        codes = pd.to_numeric(year_items, errors="coerce")
        in_basket = (codes < FAOSTAT_AGGREGATE_ITEMS).to_numpy() | (year_items == item).to_numpy()
        basis_items = f"every detailed FAOSTAT food-balance item (codes below {FAOSTAT_AGGREGATE_ITEMS})"
        if not pd.to_numeric(pd.Series([item]), errors="coerce").lt(FAOSTAT_AGGREGATE_ITEMS).iloc[0]:
            basis_items += f" plus {name} ({item})"
    else:
        wanted = {str(b) for b in basket} | {item}
        in_basket = year_items.isin(wanted).to_numpy()
        basis_items = f"{len(wanted)} FAOSTAT items"
    names = (year_rows.drop_duplicates("country").set_index("country")["area_name"]
             if "area_name" in year_rows.columns else None)
    year_rows = year_rows.loc[in_basket, ["country", "item", "year", "production"]]
    na = year_rows["production"].isna().to_numpy()
    rows = year_rows.loc[~na]
    totals = rows.groupby("country", observed=True)["production"].transform("sum").to_numpy()
    zero_c = totals <= 0
    n_zero_countries = rows.loc[zero_c, "country"].nunique()
    rows = rows.loc[~zero_c]
    item_totals = rows.groupby("item", observed=True)["production"].transform("sum").to_numpy()
    zero_i = item_totals <= 0
    n_zero_items = rows.loc[zero_i, "item"].nunique()
    rows = rows.loc[~zero_i]
    excluded = _excluded([
        ("country_product", f"production missing in {chosen} (left out of the RCA basket)", int(na.sum())),
        ("country_product", (f"country with no production in the basket in {chosen} ({n_zero_countries} "
                            "countries; its RCA is 0/0)"), int(zero_c.sum())),
        ("country_product", f"basket item that no country produces in {chosen} ({n_zero_items} item{'s' * (n_zero_items != 1)})",
         int(zero_i.sum())),
    ])
    rca = revealed_comparative_advantage(rows.astype({"production": "float64"}), "country", "item", "production")
    rca_item = rca[_equals(rca["item"], item)].set_index("country")["rca"]

    producers = in_year[["country", "production", "production_share"]].dropna(subset=["production"])
    producers = producers[producers["production"] > 0].sort_values(
        ["production", "country"], ascending=[False, True], kind="stable").reset_index(drop=True)
    producers.insert(0, "rank", np.arange(1, len(producers) + 1))
    producers["rca"] = producers["country"].map(rca_item).astype("float64")
    producers["is_country"] = _equals(producers["country"], country)
    if names is not None:
        producers.insert(2, "area_name", producers["country"].map(names))
    shown = producers.head(int(top))
    if not shown["is_country"].any():
        shown = pd.concat([shown, producers[producers["is_country"]]], ignore_index=True)
    shown = shown.rename(columns={"production_share": "share_pct"}).reset_index(drop=True)
    shown["share_pct"] = 100.0 * shown["share_pct"]
    mine = producers[producers["is_country"]]
    world = float(in_year["world_production"].iloc[0]) if len(in_year) else np.nan
    basis = (f"quantity-based RCA in production: Balassa's index on production tonnes in {chosen}, basket = "
             f"{basis_items}; tonnes of different products are added, so it is a rough ranking by weight, "
             "not a value RCA")
    return ProductionStanding(
        country=country, item=item, item_name=name, year=chosen, world_production=world,
        share=float(mine["production_share"].iloc[0]) if len(mine) else np.nan,
        rca=float(mine["rca"].iloc[0]) if len(mine) else np.nan,
        rank=int(mine["rank"].iloc[0]) if len(mine) else None,
        n_producers=len(producers), series=series, producers=shown, rca_basis=basis, excluded=excluded,
    )
