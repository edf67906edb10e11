"""Figures of the cross-cluster synthesis (no statistics: they draw what agrocluster.synthesis returns)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..tables import format_number


def scorecard_heatmap(ax: Any, card: pd.DataFrame, directions: Mapping[str, str] | None = None) -> Any:
    """Clusters × dimensions, coloured by how each cluster compares with the others on a dimension, with values.

    Colour is the value's z-score within its column turned so that *better* is always the same colour
    (purple; orange is worse), using each dimension's direction (``directions``: column → "higher is
    better" / "lower is better" / "neutral"; default from :data:`agrocluster.synthesis.SCORECARD` and the
    headline registry). Neutral dimensions are left uncoloured; grey cells were not recorded. A colour bar
    says the direction; numbers switch to white on dark cells. Palette: PuOr (colour-blind safe).
    """
    from matplotlib.colors import Normalize

    from . import DIVERGING_CMAP

    values = card.select_dtypes("number")
    directions = _directions(values.columns) if directions is None else directions
    sign = pd.Series({c: {"higher is better": 1.0, "lower is better": -1.0}.get(directions.get(c, "neutral"), np.nan)
                      for c in values.columns})
    spread = values.std(ddof=0)
    spread = spread.where(spread > 1e-9 * values.abs().max().clip(lower=1e-300))  # constant column: no colour
    z = ((values - values.mean()) / spread).fillna(0.0).mul(sign.fillna(0.0), axis=1).where(values.notna())
    masked = np.ma.masked_invalid(z.to_numpy(float))
    ax.set_facecolor("#e4e7eb")
    norm = Normalize(vmin=-2, vmax=2)
    image = ax.imshow(masked, cmap=DIVERGING_CMAP, norm=norm, aspect="auto")
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            value = values.iat[i, j]
            dark = not np.ma.is_masked(masked[i, j]) and abs(float(masked[i, j])) > 1.1
            ax.text(j, i, "—" if pd.isna(value) else format_number(value), ha="center", va="center", fontsize=8,
                    color="white" if dark else "#1f2933")
    labels = card.get("cluster_name", card.index)
    ax.set_yticks(range(len(values)), labels=[str(v) for v in labels])
    arrows = {1.0: "\n(↑ better)", -1.0: "\n(↓ better)"}
    ax.set_xticks(range(values.shape[1]), labels=["\n".join(textwrap.wrap(str(c), 11, break_long_words=False)) + arrows.get(sign[c], "\n(neutral)")
                                                  for c in values.columns], fontsize=8)
    ax.grid(False)
    colourbar = ax.figure.colorbar(image, ax=ax, shrink=0.8, ticks=[-2, -1, 0, 1, 2])
    colourbar.ax.set_yticklabels(["worse", "", "average", "", "better"])
    colourbar.set_label("vs the other clusters (z within column)")
    ax.set_title("Scorecard (colour: better or worse than the other clusters; grey: not recorded)")
    return ax


def _directions(columns: Any) -> dict[str, str]:
    """Direction of each scorecard column from the headline registry (neutral when unknown)."""
    from .. import headlines
    from ..synthesis import SCORECARD

    known = {dimension: headlines.REGISTRY[key].direction for dimension, key in SCORECARD.items()
             if key in headlines.REGISTRY}
    return {c: known.get(c, "neutral") for c in columns}


def rank_intervals(ax: Any, ranks: pd.DataFrame, title: str) -> Any:
    """Mean simulated rank of each cluster with its rank interval (rank 1 at the top)."""
    if ranks.empty:
        ax.text(0.5, 0.5, "no cluster has an estimate with a standard error", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    y = np.arange(len(ranks))
    ax.hlines(y, ranks["rank_low"], ranks["rank_high"], color="grey", linewidth=3, alpha=0.6, label="rank interval")
    ax.plot(ranks["mean_rank"], y, "o", label="mean rank")
    ax.set_yticks(y, labels=list(ranks["cluster_id"]))
    ax.invert_yaxis()
    ax.set_xlim(0.5, len(ranks) + 0.5)
    ax.set_xticks(range(1, len(ranks) + 1))
    ax.set_xlabel("rank (1 = highest)")
    ax.set_title(title)
    ax.legend(frameon=False, loc="lower right", fontsize=8)
    return ax
