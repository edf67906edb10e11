"""Bookkeeping shared by the steps of workbook 04."""

from __future__ import annotations

import pandas as pd


def excluded_rows(
    table: str, rows: pd.DataFrame, prefix: str, count: str = "n"
) -> list[tuple[str, str, int]]:
    """Exclusion rows ``(table, prefix + reason, rows)`` from an estimator's exclusions (``reason, n, unit``:
    :mod:`agrocluster.results`) or, with ``count="n_rows"``, a data-layer frame (``reason, n_rows``)."""
    return [
        (table, f"{prefix}{reason}", int(n)) for reason, n in zip(rows["reason"], rows[count], strict=True)
    ]
