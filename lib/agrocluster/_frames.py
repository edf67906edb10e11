"""Small checks on input tables shared by the estimator modules (messages name the columns and rows)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from .errors import DataContractError


def require_columns(df: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise :class:`DataContractError` naming ``what`` and the missing columns, if any are absent."""
    if not isinstance(df, pd.DataFrame):
        raise DataContractError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataContractError(f"{what}: column(s) {missing} not found; the table has {list(df.columns)}")


def describe_rows(df: pd.DataFrame, mask: np.ndarray, keys: list[str], limit: int = 5) -> str:
    """``row i (key=value, ...)`` for the first ``limit`` rows where ``mask`` holds, and how many more."""
    sub = df.loc[np.asarray(mask), keys].head(limit)
    text = "; ".join(f"row {i} (" + ", ".join(f"{k}={r[k]!r}" for k in keys) + ")" for i, r in sub.iterrows())
    n = int(np.asarray(mask).sum())
    return text + (f" and {n - limit} more" if n > limit else "")
