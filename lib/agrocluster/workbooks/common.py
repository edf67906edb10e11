"""Decisions and wording that several workbooks share: whether the data have coordinates, how an interval
reads, and the rows the loaders left out."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from agrocluster.sections import excluded_frame


def has_coordinates(df: pd.DataFrame, lat: str = "lat", lon: str = "lon") -> bool:
    """Whether distances between establishments can be measured: ``lat`` and ``lon`` present and known on every row.

    One rule for every workbook: a distance band or a spillover exposure computed with some establishments
    missing would silently leave them out, so a single missing coordinate means "no coordinates".
    """
    if not {lat, lon} <= set(df.columns) or df.empty:
        return False
    return bool(df[[lat, lon]].notna().all(axis=None))


def interval_text(value: float | None, se: float | None, z: float = 1.96, digits: int = 3) -> str:
    """``"low to high"`` for the normal interval value ± z·se, or ``"–"`` when value or SE is missing.

    >>> interval_text(0.1, 0.05)
    '0.002 to 0.198'
    >>> interval_text(0.1, float("nan"))
    '–'
    """
    if value is None or se is None or not np.isfinite(se) or not np.isfinite(value):
        return "–"
    return f"{value - z * se:.{digits}f} to {value + z * se:.{digits}f}"


def loader_excluded(data: Any) -> pd.DataFrame:
    """The rows the loaders left out (``ClusterData.excluded_table()``) as an exclusions table (table, reason, rows)."""
    table = data.excluded_table()
    return excluded_frame(table.rename(columns={"n_rows": "rows"}))


def span_text(years: pd.Series) -> str:
    """``"years 2010–2020"`` for calendar years, ``"periods 1–6 (not calendar years)"`` otherwise."""
    first, last = int(years.min()), int(years.max())
    return f"years {first}–{last}" if first >= 1900 else f"periods {first}–{last} (not calendar years)"
