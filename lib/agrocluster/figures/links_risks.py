"""Figures of the links-and-risks workbook (no statistics: they draw what :mod:`agrocluster.diffusion` and
:mod:`agrocluster.environment` return).

- :func:`adoption_curves` — share of adopters by period, overall with a 95 % band and per group;
- :func:`footprint_series` — footprint of production and of exports over the years, one impact.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["adoption_curves", "footprint_series"]


def adoption_curves(ax: Any, table: pd.DataFrame, overall: str = "all villages", group: str = "village",
                    time: str = "season", title: str | None = None) -> Any:
    """Adoption curves: ``table`` has ``group, time, share, std_error``; the ``overall`` row set is drawn thick
    with a ±1.96 SE band, the other groups thin."""
    for name, rows in table.groupby(group, sort=True):
        rows = rows.sort_values(time)
        if name == overall:
            continue
        ax.plot(rows[time], rows["share"], linewidth=1, alpha=0.7, marker=".", label=str(name))
    main = table[table[group] == overall].sort_values(time)
    ax.fill_between(main[time], main["share"] - 1.96 * main["std_error"], main["share"] + 1.96 * main["std_error"],
                    color="black", alpha=0.15, linewidth=0)
    ax.plot(main[time], main["share"], color="black", linewidth=2.2, marker="o", label=overall)
    ax.set_xlabel(time)
    ax.set_ylabel("share of adopters")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8, ncols=2, frameon=False)
    if title:
        ax.set_title(title)
    return ax


def footprint_series(ax: Any, table: pd.DataFrame, impact: str = "ghg", title: str | None = None) -> Any:
    """Footprint of production and exports by year for one ``impact`` of a
    :class:`~agrocluster.environment.Footprint` table."""
    rows = table[table["impact"] == impact].sort_values("year")
    ax.plot(rows["year"], rows["footprint_production"], linewidth=2, label="production")
    ax.plot(rows["year"], rows["footprint_exports"], linewidth=2, linestyle="--", label="embodied in exports")
    ax.axvline(2010, color="grey", linewidth=0.8, linestyle=":")
    ax.set_xlabel("year")
    ax.set_ylabel(rows["unit"].iloc[0] if len(rows) else impact)
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return ax
