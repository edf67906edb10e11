"""Figures of the cluster-mapping workbook (``notebooks/01_cluster_mapping``).

Each helper draws on a given matplotlib ``Axes`` what an estimator of :mod:`agrocluster.concentration`
(or :mod:`agrocluster.concentration.mapping`) returned, in the house theme; none computes a statistic.
Maps are plots of coordinates (longitude, latitude) with the aspect ratio of the centre latitude: no tile
server, no projection library.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.patches import Rectangle

from . import PALETTE

__all__ = [
    "establishment_map",
    "kd_curve",
    "lq_heatmap",
    "rca_bars",
    "shift_share_bars",
    "world_share_line",
]

_GREY = "#9a9a9a"


def _colours(n: int) -> list:
    return sns.color_palette(PALETTE, n)


def establishment_map(
    ax: Any,
    points: pd.DataFrame,
    sector_code: str,
    *,
    related: Iterable[str] = (),
    centres: pd.DataFrame | None = None,
    core: Iterable[str] = (),
    sector: str = "sector",
    region: str = "region",
    lat: str = "lat",
    lon: str = "lon",
    title: str | None = None,
    outline: Any = None,
) -> Any:
    """Scatter of establishments by longitude and latitude: other sectors in grey, related sectors and the
    cluster sector in colour (drawn last, on top), region centres as crosses with the core regions named.

    ``points`` must hold coordinates for every row (select them first); ``centres`` is the output of
    :func:`agrocluster.concentration.mapping.region_centres`. ``outline`` (an object with a boolean ``mask``
    grid, south to north, and its ``extent`` (west, east, south, north), such as
    :class:`agrocluster.data.geography.CountryMask`) is drawn underneath as the country's land, shaded, with
    its coast and borders as a line; the view stays on the points.
    """
    if outline is not None:
        _basemap(ax, outline)
    labels = points[sector].astype(str)
    related = [str(r) for r in related]
    colours = _colours(3)
    other = ~labels.isin([str(sector_code), *related])
    ax.scatter(points.loc[other, lon], points.loc[other, lat], s=5, color=_GREY, alpha=0.45, linewidths=0,
               label=f"other sectors ({int(other.sum()):,})")
    for i, code in enumerate(related):
        mask = labels == code
        if mask.any():
            ax.scatter(points.loc[mask, lon], points.loc[mask, lat], s=9, color=colours[1 + i % 2], alpha=0.7,
                       linewidths=0, label=f"related sector {code} ({int(mask.sum()):,})")
    mask = labels == str(sector_code)
    ax.scatter(points.loc[mask, lon], points.loc[mask, lat], s=14, color=colours[0], alpha=0.9,
               edgecolors="white", linewidths=0.3, label=f"cluster sector {sector_code} ({int(mask.sum()):,})")
    core = {str(c) for c in core}
    if centres is not None and len(centres):
        ax.scatter(centres[lon], centres[lat], marker="x", s=28, color="black", linewidths=1.0,
                   label="region centres")
        for row in centres.itertuples(index=False):
            name = str(getattr(row, region))
            if name in core:
                ax.annotate(name, (getattr(row, lon), getattr(row, lat)), xytext=(5, 5),
                            textcoords="offset points", fontsize=9, fontweight="bold",
                            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})
    if outline is not None and len(points):
        pad_x = 0.08 * max(float(np.ptp(points[lon])), 0.2)
        pad_y = 0.08 * max(float(np.ptp(points[lat])), 0.2)
        ax.set_xlim(float(points[lon].min()) - pad_x, float(points[lon].max()) + pad_x)
        ax.set_ylim(float(points[lat].min()) - pad_y, float(points[lat].max()) + pad_y)
    mean_lat = float(np.nanmean(points[lat])) if len(points) else 0.0
    ax.set_aspect(1.0 / max(np.cos(np.radians(mean_lat)), 0.05))
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    ax.legend(loc="best", fontsize=8, frameon=True, markerscale=1.5)
    if title:
        ax.set_title(title)
    return ax


def _basemap(ax: Any, outline: Any) -> None:
    grid = np.asarray(outline.mask, dtype=float)
    west, east, south, north = outline.extent
    ax.imshow(np.where(grid > 0, 1.0, np.nan), origin="lower", extent=(west, east, south, north),
              cmap="Greys", vmin=0.0, vmax=8.0, interpolation="nearest", zorder=0)
    ax.contour(grid, levels=[0.5], origin="lower", extent=(west, east, south, north), colors=_GREY,
               linewidths=0.6, zorder=0.5)


def lq_heatmap(
    ax: Any,
    lq: pd.DataFrame,
    sector_code: str,
    *,
    highlight: Iterable[str] = (),
    region: str = "region",
    sector: str = "sector",
    value: str = "lq",
    max_regions: int = 40,
    title: str | None = None,
) -> Any:
    """Heat table of LQs, regions (rows, by the cluster sector's LQ, highest first) × sectors (columns,
    cluster sector first), each cell annotated with its LQ.

    Colour is log₂ LQ on a diverging scale centred on LQ = 1 and clipped at 1/8 and 8, so over- and
    under-representation look alike; the cluster sector's column is framed and the ``highlight`` regions'
    labels are bold. With more than ``max_regions`` regions only the first ``max_regions`` (by the cluster
    sector's LQ) are drawn and the title says so. ``lq`` holds one year.
    """
    wide = lq.pivot_table(index=region, columns=sector, values=value, aggfunc="first")
    wide.columns = wide.columns.astype(str)
    wide.index = wide.index.astype(str)
    code = str(sector_code)
    cols = [code] + sorted(c for c in wide.columns if c != code) if code in wide.columns else sorted(wide.columns)
    wide = wide[cols]
    if code in wide.columns:
        wide = wide.sort_values(code, ascending=False, kind="stable")
    n_all = len(wide)
    wide = wide.head(int(max_regions))
    with np.errstate(divide="ignore"):
        colour = np.log2(wide.to_numpy(dtype="float64"))
    colour = np.clip(np.nan_to_num(colour, nan=np.nan, neginf=-3.0), -3.0, 3.0)
    annot = wide.map(lambda v: "" if pd.isna(v) else f"{v:.1f}")
    sns.heatmap(pd.DataFrame(colour, index=wide.index, columns=wide.columns), ax=ax, cmap="vlag",
                norm=mcolors.TwoSlopeNorm(vcenter=0.0, vmin=-3.0, vmax=3.0), annot=annot.to_numpy(), fmt="",
                annot_kws={"fontsize": 7}, linewidths=0.3, linecolor="white",
                cbar_kws={"label": "LQ (log scale; 1 = national average)", "ticks": [-3, -2, -1, 0, 1, 2, 3]})
    cbar = ax.collections[0].colorbar
    cbar.set_ticklabels(["≤⅛", "¼", "½", "1", "2", "4", "≥8"])
    if code in wide.columns:
        j = list(wide.columns).index(code)
        ax.add_patch(Rectangle((j, 0), 1, len(wide), fill=False, edgecolor="black", linewidth=1.6))
    marked = {str(h) for h in highlight}
    for label in ax.get_yticklabels():
        if label.get_text() in marked:
            label.set_fontweight("bold")
    ax.set_xlabel("sector (ISIC rev.4)")
    ax.set_ylabel("region")
    ax.tick_params(axis="y", labelsize=8)
    ax.tick_params(axis="x", labelsize=8, rotation=0)
    text = title or "Location quotients"
    if n_all > len(wide):
        text += f" (top {len(wide)} of {n_all} regions)"
    ax.set_title(text)
    return ax


def kd_curve(
    ax: Any,
    curve: pd.DataFrame,
    *,
    localised: Sequence[tuple[float, float]] = (),
    level: float = 0.95,
    truth_km: float | None = None,
    title: str | None = None,
) -> Any:
    """The K-density (``curve``: ``distance, kd, lo, hi`` from :meth:`KdResult.table`) with its global band
    under random location shaded, the localised ranges marked, and, for synthetic data, the planted scale
    of localisation ``truth_km`` as a dashed vertical line."""
    colours = _colours(2)
    ax.fill_between(curve["distance"], curve["lo"], curve["hi"], color=_GREY, alpha=0.35, linewidth=0,
                    label=f"global {level:.0%} band (random location)")
    ax.plot(curve["distance"], curve["kd"], color=colours[0], linewidth=2.0, label="K-density of the sector")
    for i, (a, b) in enumerate(localised):
        ax.axvspan(a, b, color=colours[1], alpha=0.15, linewidth=0, label="localised (above the band)" if i == 0 else None)
    if truth_km is not None:
        ax.axvline(truth_km, color="black", linestyle="--", linewidth=1,
                   label=f"planted: localised below {truth_km:g} km")
    ax.set_xlim(0, float(curve["distance"].max()))
    ax.set_ylim(bottom=0)
    ax.set_xlabel("distance between establishments (km)")
    ax.set_ylabel("density of pair distances")
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def shift_share_bars(ax: Any, frame: pd.DataFrame, *, region: str = "region", title: str | None = None) -> Any:
    """Grouped bars of the shift-share components (national growth, industry mix, regional competitive
    effect) per region, with the total change as a black diamond (their sum). ``frame``: one row per
    region (one scope of :func:`agrocluster.concentration.mapping.shift_share_regions`)."""
    parts = [("national_growth", "national growth"), ("industry_mix", "industry mix"),
             ("competitive", "regional competitive effect")]
    colours = _colours(len(parts))
    x = np.arange(len(frame))
    width = 0.8 / len(parts)
    for i, (col, label) in enumerate(parts):
        ax.bar(x + (i - 1) * width, frame[col].to_numpy(dtype=float), width=width, color=colours[i], label=label)
    ax.scatter(x, frame["change"].to_numpy(dtype=float), marker="D", s=36, color="black", zorder=3,
               label="total change")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x)
    ax.set_xticklabels(frame[region].astype(str).tolist())
    ax.set_ylabel("jobs (change between the two years)")
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def world_share_line(ax: Any, series: pd.DataFrame, *, label: str, break_year: int | None = 2010,
                     title: str | None = None) -> Any:
    """The country's share of world production over the years (``series``: ``year, production_share``
    from :class:`ProductionStanding`), in per cent, with FAOSTAT's 2010 methodology change marked."""
    ax.plot(series["year"], 100.0 * series["production_share"].astype(float), color=_colours(1)[0],
            linewidth=2.0, label=label)
    if break_year is not None and len(series) and series["year"].min() < break_year <= series["year"].max():
        ax.axvline(break_year, color=_GREY, linestyle=":", linewidth=1)
        ax.annotate("FAOSTAT method change", (break_year, ax.get_ylim()[1]), fontsize=8, color="grey",
                    ha="left", va="top")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("year")
    ax.set_ylabel("share of world production (%)")
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def rca_bars(ax: Any, producers: pd.DataFrame, *, country_col: str = "country", name_col: str = "area_name",
             title: str | None = None) -> Any:
    """Horizontal bars of the producers' quantity-based RCA in production (``producers``: the table of
    :class:`ProductionStanding`, largest producer on top), the cluster's country in the accent colour, a
    line at RCA = 1 (the world's average specialisation); log scale, since RCAs span orders of magnitude.
    Producers with no RCA (not computable) are drawn without a bar."""
    colours = _colours(2)
    names = producers[name_col] if name_col in producers else producers[country_col]
    labels = [f"{n} ({s:.1f}%)" for n, s in zip(names.astype(str), producers["share_pct"].astype(float), strict=True)]
    y = np.arange(len(producers))[::-1]
    rca = producers["rca"].astype(float).to_numpy()
    mine = producers["is_country"].to_numpy(dtype=bool)
    ax.barh(y, np.where(np.isfinite(rca), rca, 0.0), color=[colours[1] if m else colours[0] for m in mine])
    ax.axvline(1.0, color="black", linewidth=1, linestyle="--")
    ax.set_xscale("log")
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=8)
    bold = {lab for lab, m in zip(labels, mine, strict=True) if m}
    for tick in ax.get_yticklabels():
        if tick.get_text() in bold:
            tick.set_fontweight("bold")
    ax.set_xlabel("quantity-based RCA in production (log scale; 1 = world average)")
    if title:
        ax.set_title(title)
    return ax
