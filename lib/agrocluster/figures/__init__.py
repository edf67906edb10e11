"""One look for every figure: a seaborn theme, numbered captions, PNGs embedded in the report.

No statistics here: the figures draw what estimators return. Plot helpers for each workbook live in
submodules (``figures.mapping``, ``figures.agglomeration``, ``figures.productivity``, ``figures.exports``,
``figures.synthesis``); this module holds the theme and what they share.
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

from ..tables import HTMLBlock  # noqa: E402

PALETTE = "colorblind"


def use_theme() -> None:
    """The house theme: white grid, colour-blind palette, readable font sizes.

    Text is drawn as written (``text.parse_math`` off): labels carry names from parameters and data
    (a product "Wine $5", a region "A_1"), which matplotlib would otherwise parse as TeX and fail on.
    """
    sns.set_theme(style="whitegrid", palette=PALETTE, context="notebook", font_scale=0.95)
    plt.rcParams.update({"figure.figsize": (7.5, 4.2), "figure.dpi": 100, "axes.titleweight": "bold",
                         "text.parse_math": False})


def new_figure(width: float = 7.5, height: float = 4.2, ncols: int = 1, nrows: int = 1) -> tuple[Any, Any]:
    """A figure and its axes in the house theme."""
    use_theme()
    return plt.subplots(nrows=nrows, ncols=ncols, figsize=(width, height), squeeze=nrows * ncols == 1)


def display_figure(fig: Any, *, caption: str, number: int) -> HTMLBlock:
    """Embed ``fig`` as a PNG with a numbered caption, and close it (so Jupyter does not draw it twice)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return HTMLBlock(
        f'<figure class="ac-figure ac-fig" id="figure-{number}">'
        f'<img src="data:image/png;base64,{data}" alt="Figure {number}: {html.escape(caption, quote=True)}">'
        f"<figcaption><strong>Figure {number}.</strong> {html.escape(caption)}</figcaption></figure>"
    )


def country_series(ax: Any, series: Any, title: str, columns: tuple[str, ...] = ("production", "exports", "imports"),
                   break_year: int | None = 2010) -> Any:
    """Lines of a country's food-balance quantities over years, with the FAOSTAT methodology break marked."""
    for column in columns:
        if column in series:
            ax.plot(series["year"], series[column], label=column, linewidth=1.8)
    if break_year is not None and len(series) and series["year"].min() < break_year <= series["year"].max():
        ax.axvline(break_year, color="grey", linestyle=":", linewidth=1)
        ax.annotate("FAOSTAT method change", (break_year, ax.get_ylim()[1]), fontsize=8, color="grey",
                    ha="left", va="top")
    ax.set_title(title)
    ax.set_xlabel("year")
    ax.legend(frameon=False)
    return ax
