"""Figures of the agglomeration workbook (no statistics: they draw what :mod:`agrocluster.agglomeration` returns).

- :func:`coefficient_plot` — one elasticity across specifications and outcomes, with intervals and, for
  synthetic data, the planted value;
- :func:`decay_plot` — localisation elasticities by distance band (Rosenthal & Strange 2003), with intervals.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["coefficient_plot", "decay_plot"]

_PLANTED_STYLE = {"color": "black", "linestyle": "--", "linewidth": 1.2}


def coefficient_plot(
    ax: Any,
    table: pd.DataFrame,
    term: str,
    planted: dict[str, float] | None = None,
    title: str | None = None,
) -> Any:
    """Point estimates and intervals of regressor ``term`` in every row of a specification table.

    ``table`` is :func:`agrocluster.agglomeration.specification_table` (or several concatenated): the rows
    whose ``term`` equals ``term`` are drawn top to bottom as "specification · outcome", one colour per
    outcome, with a horizontal interval ``ci_low``–``ci_high`` and a zero line. ``planted`` maps an outcome
    label (as in the ``outcome`` column) to the true value, drawn as a dashed tick across that outcome's rows.
    """
    rows = table[table["term"] == term].reset_index(drop=True)
    if rows.empty:
        ax.text(0.5, 0.5, f"no estimate of {term}", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    outcomes = list(dict.fromkeys(rows["outcome"]))
    colours = dict(zip(outcomes, [f"C{i}" for i in range(len(outcomes))], strict=False))
    y = np.arange(len(rows))[::-1].astype(float)
    for outcome in outcomes:
        sel = (rows["outcome"] == outcome).to_numpy()
        est = rows.loc[sel, "elasticity"].to_numpy(float)
        lo = rows.loc[sel, "ci_low"].to_numpy(float)
        hi = rows.loc[sel, "ci_high"].to_numpy(float)
        ax.errorbar(
            est,
            y[sel],
            xerr=np.vstack([est - lo, hi - est]),
            fmt="o",
            color=colours[outcome],
            capsize=3,
            label=outcome,
        )
        if planted and outcome in planted and np.isfinite(planted[outcome]):
            ax.vlines(
                planted[outcome],
                y[sel].min() - 0.35,
                y[sel].max() + 0.35,
                label=f"planted ({outcome})",
                **_PLANTED_STYLE,
            )
    ax.axvline(0.0, color="grey", linewidth=0.8)
    ax.set_yticks(
        y, labels=[f"{s} · {o}" for s, o in zip(rows["specification"], rows["outcome"], strict=True)]
    )
    ax.set_xlabel("elasticity (95% interval)")
    ax.set_title(title or f"Elasticity to {term}")
    ax.legend(frameon=False, fontsize=8, loc="best")
    return ax


def decay_plot(ax: Any, bands: pd.DataFrame, title: str | None = None, outcome: str | None = None) -> Any:
    """Elasticity of the outcome to own-sector employment in each distance band, with intervals.

    ``bands`` is :meth:`agrocluster.agglomeration.DistanceDecayResult.table`: each band is drawn at its
    midpoint with a vertical interval ``ci_low``–``ci_high`` and a horizontal bar spanning the band
    (``lower_km``–``upper_km``); a line joins the estimates; zero is marked.
    """
    if bands.empty:
        ax.text(0.5, 0.5, "no distance bands", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    x = bands["midpoint_km"].to_numpy(float)
    est = bands["coef"].to_numpy(float)
    lo, hi = bands["ci_low"].to_numpy(float), bands["ci_high"].to_numpy(float)
    ax.errorbar(
        x,
        est,
        yerr=np.vstack([est - lo, hi - est]),
        xerr=np.vstack([x - bands["lower_km"].to_numpy(float), bands["upper_km"].to_numpy(float) - x]),
        fmt="o-",
        color="C0",
        capsize=3,
        label="elasticity (95% interval)",
    )
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set_xticks(x, labels=list(bands["band"]))
    ax.set_xlabel("distance from the establishment (km)")
    ax.set_ylabel(f"elasticity of {outcome}" if outcome else "elasticity")
    ax.set_title(title or "Localisation economies by distance")
    ax.legend(frameon=False, fontsize=8)
    return ax
