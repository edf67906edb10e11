"""One look for every figure: a seaborn theme, numbered captions, PNGs embedded in the report.

No statistics here: the figures draw what estimators return.
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

from .tables import HTMLBlock  # noqa: E402

PALETTE = "colorblind"


def use_theme() -> None:
    """The house theme: white grid, colour-blind palette, readable font sizes."""
    sns.set_theme(style="whitegrid", palette=PALETTE, context="notebook", font_scale=0.95)
    plt.rcParams.update({"figure.figsize": (7.5, 4.2), "figure.dpi": 100, "axes.titleweight": "bold"})


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
