"""One look for every figure: a seaborn theme, numbered captions, 2x PNGs with alt text.

A recorded figure is drawn once as a PNG at :data:`DPI` (twice the 100 dpi of its displayed size, sharp on
high-density screens and in print) and saved as ``figures/<notebook>-<name>.png``. The notebook shows it
inline (so a notebook run by hand in JupyterLab sees it); the runner then replaces the inline copy by a
link to the saved file (``data-ac-file``), so each figure is stored once. Every image carries alt text
that says what the figure shows (its panels, axes and series, from :func:`describe`).

No statistics here: the figures draw what estimators return. Plot helpers for each workbook live in
submodules (``figures.mapping``, ``figures.agglomeration``, ``figures.productivity``, ``figures.exports``,
``figures.synthesis``); this module holds the theme and what they share.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import seaborn as sns

from ..tables import HTMLBlock

PALETTE = "colorblind"
#: Colour maps of the house: sequential (more is more) and diverging (below / above a centre), both
#: colour-blind safe and readable in grey scale.
SEQUENTIAL_CMAP = "viridis"
DIVERGING_CMAP = "PuOr"
#: Resolution of saved figures: twice the 100 dpi at which they are laid out and displayed.
DPI = 200
DISPLAY_DPI = 100


def use_theme() -> None:
    """The house theme: white grid, colour-blind palette, readable font sizes.

    Text is drawn as written (``text.parse_math`` off): labels carry names from parameters and data
    (a product "Wine $5", a region "A_1"), which matplotlib would otherwise parse as TeX and fail on.
    """
    sns.set_theme(style="whitegrid", palette=PALETTE, context="notebook", font_scale=0.95)
    plt.rcParams.update({"figure.figsize": (7.5, 4.2), "figure.dpi": 100, "axes.titleweight": "bold",
                         "text.parse_math": False})


def new_figure(width: float = 7.5, height: float = 4.2, ncols: int = 1, nrows: int = 1) -> tuple[Any, Any]:
    """A figure and its axes in the house theme, laid out by matplotlib's constrained layout (labels, titles,
    legends and colour bars of neighbouring panels never overprint each other)."""
    use_theme()
    return plt.subplots(nrows=nrows, ncols=ncols, figsize=(width, height), squeeze=nrows * ncols == 1,
                        layout="constrained")


@dataclasses.dataclass(frozen=True)
class FigureImage:
    """A drawn figure: PNG bytes at :data:`DPI`, its display size in CSS pixels, and its description."""

    png: bytes
    width: int
    height: int
    description: str


def describe(fig: Any) -> str:
    """What a figure shows, in words, for its alt text: per panel its title, axes and named series.

    Colour bars are read as colour scales with their label. Only what the figure itself says is used.
    """
    panels = []
    for ax in fig.get_axes():
        if not ax.get_visible() or (not ax.axison and not ax.get_title() and not ax.texts):
            continue
        if getattr(ax, "_colorbar", None) is not None or ax.get_label() == "<colorbar>":
            label = ax.get_ylabel() or ax.get_xlabel()
            panels.append(f"colour scale{': ' + label if label else ''}")
            continue
        parts = []
        kinds = []
        if ax.images:
            kinds.append("heat map")
        if ax.lines:
            kinds.append("lines")
        if ax.collections:
            kinds.append("points or areas")
        if ax.patches:
            kinds.append("bars or shapes")
        if ax.get_title():
            parts.append(f"'{ax.get_title()}'")
        if kinds:
            parts.append(" and ".join(kinds))
        if ax.get_xlabel():
            parts.append(f"x axis: {ax.get_xlabel()}")
        if ax.get_ylabel():
            parts.append(f"y axis: {ax.get_ylabel()}")
        legend = ax.get_legend()
        if legend is not None:
            names = [t.get_text() for t in legend.get_texts() if t.get_text()]
            if names:
                parts.append("series: " + ", ".join(names))
        if parts:
            panels.append("; ".join(parts))
    if not panels:
        return "an empty figure"
    if len(panels) == 1:
        return f"a chart: {panels[0]}"
    return f"{len(panels)} panels: " + " | ".join(f"({i}) {p}" for i, p in enumerate(panels, 1))


def figure_image(fig: Any) -> FigureImage:
    """Draw ``fig`` once as a PNG at :data:`DPI` and close it (so Jupyter does not draw it again)."""
    description = describe(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    png = buffer.getvalue()
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    scale = DISPLAY_DPI / DPI
    return FigureImage(png, round(width * scale), round(height * scale), description)


def figure_block(image: FigureImage, *, caption: str, number: int, file: str | None = None) -> HTMLBlock:
    """A numbered, captioned figure: the PNG inline, marked with the ``file`` it is saved as (if any).

    The runner replaces an inline image marked with ``data-ac-file`` by a link to that file.
    """
    data = base64.b64encode(image.png).decode("ascii")
    marker = f' data-ac-file="{html.escape(file, quote=True)}"' if file else ""
    alt = f"Figure {number}: {caption.rstrip('. ')}. It shows {image.description}."
    return HTMLBlock(
        f'<figure class="ac-figure ac-fig" id="figure-{number}">'
        f'<img src="data:image/png;base64,{data}"{marker} width="{image.width}" height="{image.height}" '
        f'alt="{html.escape(alt, quote=True)}">'
        f"<figcaption><strong>Figure {number}.</strong> {html.escape(caption)}</figcaption></figure>"
    )


def display_figure(fig: Any, *, caption: str, number: int) -> HTMLBlock:
    """Embed ``fig`` as a 2x PNG with a numbered caption and alt text, and close it."""
    return figure_block(figure_image(fig), caption=caption, number=number)


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
