"""Tables for readers: numbered, captioned, escaped HTML with a CSV download link. No statistics here.

Text from parameters or data (cluster names, region names) is always HTML-escaped, so a cluster called
``<script>alert(1)</script>`` shows as text in every report.
"""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd


def format_number(value: Any) -> str:
    """Readable number: thousands separators for large values, 3 decimals for small ones, whole numbers
    stored as floats (FAOSTAT thousand tonnes) without decimals, and no scientific notation: values below
    0.001 keep three significant digits (``0.000109``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "–"
    if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b":  # numpy bools too
        return "yes" if value else "no"
    if isinstance(value, int) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
        return f"{int(value):,}"
    if isinstance(value, float) or hasattr(value, "dtype"):
        number = float(value)
        if math.isinf(number):
            return "∞" if number > 0 else "−∞"
        if number != 0 and abs(number) < 1e-3:
            digits = 2 - math.floor(math.log10(abs(number)))
            return f"{number:.{digits}f}"
        if abs(number) >= 1000 or (abs(number) >= 1 and number.is_integer()):
            return f"{number:,.0f}"
        return f"{number:.3f}"
    return str(value)


def _is_year(column: Any) -> bool:
    """Columns of calendar years or seasons (``year``, ``start_year``, ``first_year`` ...) print without separators."""
    name = str(column).lower()
    return name == "year" or name.endswith("_year") or name.startswith("year_")


def _year_text(value: Any) -> str:
    return "–" if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) else str(int(value))


def to_html(frame: pd.DataFrame, *, index: bool = False, max_rows: int = 60) -> str:
    """An escaped HTML table of ``frame`` (first ``max_rows`` rows, with a note of how many were left out)."""
    shown = frame.head(max_rows)
    body = shown.to_html(
        index=index, escape=True, border=0, classes="ac-table", na_rep="–",
        formatters={c: _year_text if _is_year(c) else format_number
                    for c in shown.columns if pd.api.types.is_numeric_dtype(shown[c])},
    )
    if len(frame) > max_rows:
        body += f'<p class="ac-note">First {max_rows} of {len(frame):,} rows; the CSV holds them all.</p>'
    return body


class HTMLBlock:
    """A piece of HTML that Jupyter displays as rich output (and nbconvert keeps in the report)."""

    def __init__(self, markup: str):
        self.markup = markup

    def _repr_html_(self) -> str:
        return self.markup


def display_table(frame: pd.DataFrame, *, caption: str, number: int, csv_href: str | None = None,
                  index: bool = False) -> HTMLBlock:
    """Numbered, captioned table with a link to its CSV (relative to the report)."""
    link = (
        f' <a class="ac-csv" href="{html.escape(csv_href, quote=True)}" download>Download CSV</a>'
        if csv_href else ""
    )
    return HTMLBlock(
        f'<figure class="ac-figure ac-tab" id="table-{number}">'
        f"<figcaption><strong>Table {number}.</strong> {html.escape(caption)}{link}</figcaption>"
        f"{to_html(frame, index=index)}</figure>"
    )


def callout(title: str, text: str, kind: str = "info") -> HTMLBlock:
    """A boxed note for a report (provenance, caveats); both strings are escaped."""
    return HTMLBlock(
        f'<div class="ac-box ac-{html.escape(kind)}"><strong>{html.escape(title)}</strong>'
        f"<p>{html.escape(text)}</p></div>"
    )


def identity_table(params: Any) -> pd.DataFrame:
    """What defines a cluster (from its parameters), as a two-column table for a report."""
    programme = params.programme
    rows = [
        ("Cluster", params.name), ("Identifier", params.cluster_id), ("Description", params.description),
        ("Country", f"{params.country_iso3} (UN M49 {params.country_code}, FAOSTAT area {params.faostat_area_code})"),
        ("Product", f"{params.product} (FAOSTAT item {params.faostat_item_code}; HS {', '.join(params.hs_codes)})"),
        ("Cluster sector (ISIC rev.4)", params.cluster_sector),
        ("Related sectors", ", ".join(params.related_sectors) or "–"),
        ("Core regions", ", ".join(params.regions) or "–"),
        ("Years", f"{params.first_year}–{params.last_year}"),
        ("Programme", f"{programme.name}: {programme.description}" if programme.description else programme.name),
        ("Seed", str(params.seed)),
    ]
    return pd.DataFrame(rows, columns=["item", "value"])


def parameters_table(params: Any) -> pd.DataFrame:
    """Every effective parameter as a (key, value) table, nested keys dotted."""
    rows: list[tuple[str, str]] = []

    def walk(value: Any, key: str) -> None:
        if isinstance(value, dict) and value:
            for sub in sorted(value):
                walk(value[sub], f"{key}.{sub}" if key else str(sub))
        else:
            rows.append((key, str(value)))

    walk(params.model_dump(mode="json"), "")
    return pd.DataFrame(rows, columns=["parameter", "value"])
