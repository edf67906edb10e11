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


def code_equals(values: pd.Series, code: object) -> np.ndarray:
    """``values.astype(str) == str(code)`` as a numpy mask, without converting a string column.

    Code columns (``country``, ``item``, ``sector`` ...) are pyarrow-backed strings under the data contracts;
    converting a million of them to Python objects to compare costs half a second, comparing them directly a
    few milliseconds. Columns of another dtype (numbers, objects) are compared as text, and a missing value
    never equals a code.
    """
    text = str(code)
    if not pd.api.types.is_string_dtype(values):
        values = values.astype(str)
    return (values == text).fillna(False).to_numpy(dtype=bool)
