"""Figures of the export-links workbook (04): market trends, RCA, product space, destinations, gravity,
firm network and stress scenario.

No statistics here: every helper draws numbers an estimator of :mod:`agrocluster.exports` or
:mod:`agrocluster.linkages` returned (shares are multiplied by 100 to show percent, nothing else is
computed). Each helper draws on axes the caller made with :func:`agrocluster.figures.new_figure`, so every
figure of the collection has the same theme, and returns the axes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.patches as mpatches
import numpy as np
import pandas as pd
import seaborn as sns

__all__ = [
    "coefficient_plot",
    "destination_bars",
    "ego_network",
    "inside_share_trend",
    "link_flows",
    "market_trends",
    "product_space_position",
    "rca_series",
    "stress_bars",
]

#: FAOSTAT changed its food-balance methodology in 2010 (old series to 2013, new from 2010).
FAOSTAT_BREAK_YEAR = 2010
MEMBER_COLOUR = sns.color_palette("colorblind")[0]
OTHER_COLOUR = sns.color_palette("colorblind")[7]
HIGHLIGHT_COLOUR = sns.color_palette("colorblind")[3]
TRUTH_COLOUR = sns.color_palette("colorblind")[3]


def _mark_break(ax: Any, years: pd.Series, break_year: int | None) -> None:
    if break_year is None or not len(years):
        return
    if years.min() < break_year <= years.max():
        ax.axvline(break_year, color="grey", linestyle=":", linewidth=1)
        ax.annotate(
            "FAOSTAT method change",
            (break_year, 1.0),
            xycoords=("data", "axes fraction"),
            fontsize=8,
            color="grey",
            ha="left",
            va="top",
            xytext=(3, -2),
            textcoords="offset points",
        )


def market_trends(
    axes: Sequence[Any],
    shares: pd.DataFrame,
    orientation: pd.DataFrame,
    country: str,
    product: str,
    break_year: int | None = FAOSTAT_BREAK_YEAR,
) -> Sequence[Any]:
    """Two panels: world export and production shares (percent) and export orientation (exports / production).

    ``shares`` holds ``year, export_share, production_share`` (fractions, as
    :func:`agrocluster.exports.shares.world_market_share`); ``orientation`` holds ``year,
    export_orientation`` (:func:`~agrocluster.exports.shares.export_orientation`). Missing years are gaps.
    """
    ax_share, ax_orient = np.ravel(axes)
    ax_share.plot(shares["year"], 100 * shares["export_share"], label="share of world exports", linewidth=1.8)
    ax_share.plot(
        shares["year"],
        100 * shares["production_share"],
        label="share of world production",
        linewidth=1.8,
        linestyle="--",
    )
    ax_share.set_ylim(bottom=0)
    ax_share.set_ylabel("percent of world (quantities)")
    ax_share.set_title(f"{country}: world shares in {product}")
    ax_share.legend(frameon=False, fontsize=8)
    ax_orient.plot(
        orientation["year"],
        orientation["export_orientation"],
        color=sns.color_palette("colorblind")[2],
        linewidth=1.8,
        label="exports / production",
    )
    ax_orient.axhline(1.0, color="grey", linewidth=0.8, linestyle="--")
    ax_orient.set_ylim(bottom=0)
    ax_orient.set_ylabel("exports / production")
    ax_orient.set_title(f"{country}: export orientation")
    for ax, frame in ((ax_share, shares), (ax_orient, orientation)):
        ax.set_xlabel("year")
        _mark_break(ax, frame["year"], break_year)
    return axes


def rca_series(
    ax: Any,
    rca: pd.DataFrame,
    title: str,
    threshold: float = 1.0,
    break_year: int | None = FAOSTAT_BREAK_YEAR,
) -> Any:
    """Revealed comparative advantage over years (``year, rca``) on a log scale, with the RCA = 1 line.

    The log scale makes an advantage of 4 and a disadvantage of 1/4 equally far from 1. Years with RCA 0
    (no exports) are not drawn (log scale) and are named in the caption by the caller.
    """
    shown = rca[rca["rca"] > 0]
    ax.plot(
        shown["year"], shown["rca"], marker="o", markersize=3, linewidth=1.8, label="RCA (quantity-based)"
    )
    ax.axhline(threshold, color="grey", linestyle="--", linewidth=1, label=f"RCA = {threshold:g}")
    ax.set_yscale("log")
    ax.set_xlabel("year")
    ax.set_ylabel("Balassa RCA (log scale)")
    ax.set_title(title)
    _mark_break(ax, shown["year"], break_year)
    ax.legend(frameon=False, fontsize=8)
    return ax


def product_space_position(
    ax: Any,
    items: pd.DataFrame,
    highlight: str,
    title: str,
    x: str = "relatedness_density",
    y: str = "pci",
    label: str = "item_name",
) -> Any:
    """The country's products: relatedness density (x) against product complexity (y).

    ``items``: one row per product with ``x``, ``y``, ``M`` (presence, 1 = RCA > 1) and ``label``; products
    with presence are filled, others hollow; ``highlight`` (a value of ``label``) is starred and named.
    """
    present = items["M"].astype(bool).to_numpy()
    ax.scatter(
        items.loc[present, x],
        items.loc[present, y],
        s=22,
        color=MEMBER_COLOUR,
        alpha=0.8,
        label="exported with RCA > 1",
    )
    ax.scatter(
        items.loc[~present, x],
        items.loc[~present, y],
        s=22,
        facecolors="none",
        edgecolors=OTHER_COLOUR,
        label="RCA ≤ 1",
    )
    target = items[items[label] == highlight]
    if len(target):
        ax.scatter(
            target[x], target[y], s=180, marker="*", color=HIGHLIGHT_COLOUR, zorder=5, label="cluster product"
        )
        ax.annotate(
            str(highlight),
            (float(target[x].iloc[0]), float(target[y].iloc[0])),
            xytext=(8, 6),
            textcoords="offset points",
            fontsize=9,
            fontweight="bold",
            color=HIGHLIGHT_COLOUR,
        )
    ax.set_xlabel("relatedness density (% of related products already exported)")
    ax.set_ylabel("product complexity (PCI, food basket)")
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8, loc="best")
    return ax


def destination_bars(
    ax: Any, destinations: pd.DataFrame, title: str, top: int = 15, label: str = "importer"
) -> Any:
    """Horizontal bars of the largest destinations' shares (percent), largest on top.

    ``destinations``: ``importer, share`` sorted by decreasing share, as
    :meth:`agrocluster.exports.bilateral.DestinationStructure.table`. The cumulative share of the bars shown
    is written under the title.
    """
    shown = destinations.head(top)
    y = np.arange(len(shown))[::-1]
    ax.barh(y, 100 * shown["share"].to_numpy(), color=MEMBER_COLOUR)
    ax.set_yticks(y, shown[label].astype(str).tolist())
    for yi, s in zip(y, shown["share"].to_numpy()):
        ax.annotate(
            f"{100 * s:.1f}%",
            (100 * s, yi),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    ax.set_xlabel("share of exports (%)")
    ax.set_title(title)
    if "cumulative_share" in shown and len(shown) < len(destinations):
        ax.text(
            0.99,
            0.02,
            f"top {len(shown)} of {len(destinations)} markets: "
            f"{100 * shown['cumulative_share'].iloc[-1]:.0f}% of exports",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=8,
            color="grey",
        )
    ax.margins(x=0.12)
    return ax


def coefficient_plot(
    ax: Any, table: pd.DataFrame, title: str, truth: Mapping[str, float] | None = None, by: str | None = None
) -> Any:
    """Point estimates with 95% confidence bars, one row per term (and per ``by`` group), true values marked.

    ``table``: ``term, estimate, conf_low, conf_high`` (as :meth:`GravityResult.table
    <agrocluster.exports.gravity_model.GravityResult.table>`), optionally a ``by`` column for several
    models drawn side by side. ``truth``: term -> true coefficient (synthetic data), drawn as red crosses.
    """
    terms = list(dict.fromkeys(table["term"]))
    groups = list(dict.fromkeys(table[by])) if by else [None]
    width = 0.7 / max(len(groups), 1)
    palette = sns.color_palette("colorblind", max(len(groups), 1))
    for g, (group, colour) in enumerate(zip(groups, palette)):
        part = table if group is None else table[table[by] == group]
        pos = {t: len(terms) - 1 - i for i, t in enumerate(terms)}
        yy = np.array([pos[t] for t in part["term"]]) + (g - (len(groups) - 1) / 2) * width
        est = part["estimate"].to_numpy()
        err = np.vstack([est - part["conf_low"].to_numpy(), part["conf_high"].to_numpy() - est])
        ax.errorbar(
            est,
            yy,
            xerr=err,
            fmt="o",
            color=colour,
            capsize=3,
            linewidth=1.5,
            label="estimate, 95% CI" if group is None else str(group),
        )
    if truth:
        known = [t for t in terms if t in truth]
        ax.scatter(
            [truth[t] for t in known],
            [len(terms) - 1 - terms.index(t) for t in known],
            marker="x",
            s=70,
            color=TRUTH_COLOUR,
            zorder=5,
            label="true value (synthetic)",
        )
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_yticks(np.arange(len(terms))[::-1], terms)
    ax.set_xlabel("PPML coefficient")
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    return ax


def link_flows(ax: Any, n_inside: int, n_boundary: int, n_outside: int, title: str) -> Any:
    """The firm network aggregated into two nodes, cluster members and other firms.

    Loops show links inside each group, the connecting band links across the cluster boundary; widths
    are proportional to the numbers of links, which are written on them (as
    :class:`agrocluster.linkages.LinkShares` counts them).
    """
    total = max(n_inside + n_boundary + n_outside, 1)
    nodes = {"members": (0.27, 0.42), "others": (0.73, 0.42)}
    radius = 0.12

    def width(n: int) -> float:
        return 1.0 + 14.0 * n / total

    ax.add_patch(
        mpatches.FancyArrowPatch(
            (nodes["members"][0] + radius, nodes["members"][1]),
            (nodes["others"][0] - radius, nodes["others"][1]),
            arrowstyle="-",
            linewidth=width(n_boundary),
            color=HIGHLIGHT_COLOUR,
            alpha=0.7,
        )
    )
    ax.text(
        0.5, nodes["members"][1] + 0.05, f"boundary\n{n_boundary:,}", ha="center", va="bottom", fontsize=9
    )
    for (name, (x, y)), n, colour, label in zip(
        nodes.items(), (n_inside, n_outside), (MEMBER_COLOUR, OTHER_COLOUR), ("inside", "outside")
    ):
        ax.add_patch(
            mpatches.FancyArrowPatch(
                (x - 0.06, y + radius - 0.01),
                (x + 0.06, y + radius - 0.01),
                connectionstyle="arc3,rad=-1.9",
                arrowstyle="-",
                linewidth=width(n),
                color=colour,
                alpha=0.7,
            )
        )
        ax.add_patch(mpatches.Circle((x, y), radius, color=colour, alpha=0.9, zorder=3))
        ax.text(
            x,
            y,
            "cluster\nmembers" if name == "members" else "other\nfirms",
            ha="center",
            va="center",
            color="white",
            fontsize=9,
            fontweight="bold",
            zorder=4,
        )
        ax.text(x, y + radius + 0.2, f"{label}\n{n:,}", ha="center", va="bottom", fontsize=9)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title)
    return ax


def ego_network(ax: Any, edges: pd.DataFrame, members: pd.Series, ego: str, title: str, seed: int = 0) -> Any:
    """One firm and its direct partners (``edges``: ``source, target``), coloured by cluster membership.

    ``members``: boolean Series indexed by firm id (True = cluster member), e.g. the ``member`` column of
    :meth:`agrocluster.linkages.NetworkMetrics.table`. The layout is networkx's spring layout with ``seed``.
    """
    import networkx as nx

    graph = nx.Graph()
    graph.add_edges_from(zip(edges["source"].astype(str), edges["target"].astype(str)))
    graph.add_node(str(ego))
    pos = nx.spring_layout(graph, seed=seed)
    flags = members.reindex(list(graph.nodes)).fillna(False).astype(bool)
    colours = [MEMBER_COLOUR if flags[n] else OTHER_COLOUR for n in graph.nodes]
    sizes = [260 if n == str(ego) else 45 for n in graph.nodes]
    nx.draw_networkx_edges(graph, pos, ax=ax, width=0.8, alpha=0.5, edge_color="grey")
    nx.draw_networkx_nodes(graph, pos, ax=ax, node_color=colours, node_size=sizes, linewidths=0)
    ax.annotate(
        str(ego), pos[str(ego)], xytext=(6, 6), textcoords="offset points", fontsize=9, fontweight="bold"
    )
    ax.legend(
        handles=[
            mpatches.Patch(color=MEMBER_COLOUR, label="cluster member"),
            mpatches.Patch(color=OTHER_COLOUR, label="other firm"),
        ],
        frameon=False,
        fontsize=8,
        loc="lower right",
    )
    ax.axis("off")
    ax.set_title(title)
    return ax


def inside_share_trend(ax: Any, by_year: pd.DataFrame, title: str, truth: float | None = None) -> Any:
    """Share of cluster members' links that stay inside the cluster, by year, by count and by value (percent).

    ``by_year``: ``year, inside_share_count, inside_share_value`` as
    :meth:`agrocluster.linkages.LinkShares.table` with ``by=("year",)``. ``truth`` (percent) is drawn as a
    dashed line when given.
    """
    ax.plot(by_year["year"], 100 * by_year["inside_share_count"], marker="o", markersize=3, label="by count")
    ax.plot(
        by_year["year"],
        100 * by_year["inside_share_value"],
        marker="s",
        markersize=3,
        linestyle="--",
        label="by value",
    )
    if truth is not None:
        ax.axhline(truth, color=TRUTH_COLOUR, linewidth=1, linestyle=":", label="true (synthetic)")
    ax.set_ylim(0, 100)
    ax.set_xlabel("year")
    ax.set_ylabel("% of members' links inside")
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    return ax


def stress_bars(
    ax: Any,
    exports_before: float,
    export_loss: float,
    exports_after: float,
    market: str,
    drop: float,
    title: str,
    unit: str = "thousand USD",
) -> Any:
    """Exports before the shock, the loss in the hit market and exports after, as three bars.

    Numbers as :class:`agrocluster.exports.bilateral.StressScenario` returns them.
    """
    labels = ["before", f"loss in {market}\n(-{100 * drop:.0f}%)", "after"]
    values = [exports_before, -export_loss, exports_after]
    bottoms = [0.0, exports_before, 0.0]
    colours = [MEMBER_COLOUR, HIGHLIGHT_COLOUR, OTHER_COLOUR]
    ax.bar(labels, values, bottom=bottoms, color=colours, width=0.6)
    for i, (v, b) in enumerate(zip(values, bottoms)):
        ax.annotate(
            f"{abs(v):,.0f}",
            (i, b + v if v > 0 else b),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_ylabel(f"exports ({unit})")
    ax.set_ylim(0, exports_before * 1.12 if exports_before > 0 else 1)
    ax.set_title(title)
    return ax
