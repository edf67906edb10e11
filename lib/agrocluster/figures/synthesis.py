"""Figures of the cross-cluster synthesis (no statistics: they draw what agrocluster.synthesis returns)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..tables import format_number


def scorecard_heatmap(ax: Any, card: pd.DataFrame) -> Any:
    """Clusters × dimensions, coloured by each column's standardised value and annotated with the value.

    Colours compare clusters within a dimension only (z-score per column); grey cells were not recorded.
    """
    values = card.select_dtypes("number")
    spread = values.std(ddof=0)
    spread = spread.where(spread > 1e-9 * values.abs().max().clip(lower=1e-300))  # constant column: no colour
    z = ((values - values.mean()) / spread).fillna(0.0).where(values.notna())
    masked = np.ma.masked_invalid(z.to_numpy(float))
    ax.set_facecolor("#e4e7eb")
    ax.imshow(masked, cmap="RdBu", vmin=-2, vmax=2, aspect="auto")
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            value = values.iat[i, j]
            ax.text(j, i, "—" if pd.isna(value) else format_number(value), ha="center", va="center", fontsize=8)
    labels = card.get("cluster_name", card.index)
    ax.set_yticks(range(len(values)), labels=[str(v) for v in labels])
    ax.set_xticks(range(values.shape[1]), labels=[str(c).replace(" ", "\n", 1) for c in values.columns], fontsize=8)
    ax.grid(False)
    ax.set_title("Scorecard (colour: standardised within each column)")
    return ax


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
