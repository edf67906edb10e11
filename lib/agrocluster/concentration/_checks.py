"""Input checks shared by the concentration estimators.

Every check raises :class:`~agrocluster.errors.DataContractError` naming the column, the offending rows
(first few labels) and the rule broken, so a notebook never receives a NaN table from bad input.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from agrocluster.errors import DataContractError

_SHOW = 5


def row_labels(df: pd.DataFrame, mask: np.ndarray | pd.Series, id_col: str | None = None) -> str:
    """The first few offending rows, named by ``id_col`` when present, else by index label."""
    mask = np.asarray(mask, dtype=bool)
    if id_col is not None and id_col in df.columns:
        labels = df.loc[mask, id_col].astype(str).tolist()
        what = id_col
    else:
        labels = [str(v) for v in df.index[mask]]
        what = "index"
    more = f" and {len(labels) - _SHOW} more" if len(labels) > _SHOW else ""
    return f"{int(mask.sum())} row(s) ({what} {', '.join(labels[:_SHOW])}{more})"


def require_frame(df: object, name: str, columns: Sequence[str]) -> pd.DataFrame:
    """Check ``df`` is a non-empty DataFrame holding ``columns``."""
    if not isinstance(df, pd.DataFrame):
        raise DataContractError(f"{name} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataContractError(f"{name} lacks column(s) {missing}; it has {list(df.columns)[:20]}")
    if len(df) == 0:
        raise DataContractError(f"{name} is empty: at least one row is needed")
    return df


def require_keys(df: pd.DataFrame, name: str, columns: Iterable[str], id_col: str | None = None) -> None:
    """Key columns (region, sector, year...) may not hold missing values."""
    for col in columns:
        bad = df[col].isna().to_numpy()
        if bad.any():
            raise DataContractError(
                f"{name} column '{col}' is missing in {row_labels(df, bad, id_col)}; every row needs a {col}"
            )


def require_nonnegative(df: pd.DataFrame, name: str, col: str, id_col: str | None = None) -> np.ndarray:
    """A numeric, finite, non-negative column, returned as float64."""
    try:
        values = pd.to_numeric(df[col], errors="raise").to_numpy(dtype="float64", na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise DataContractError(f"{name} column '{col}' must be numeric: {exc}") from exc
    bad = ~np.isfinite(values)
    if bad.any():
        raise DataContractError(
            f"{name} column '{col}' is missing or not finite in {row_labels(df, bad, id_col)}"
        )
    neg = values < 0
    if neg.any():
        raise DataContractError(
            f"{name} column '{col}' is negative in {row_labels(df, neg, id_col)}; it must be >= 0"
        )
    return values


def check_level(level: float, name: str = "level") -> float:
    """A confidence level strictly between 0 and 1."""
    if not isinstance(level, (int, float)) or not 0 < float(level) < 1:
        raise DataContractError(f"{name} must be a number strictly between 0 and 1, got {level!r}")
    return float(level)


def check_count(n: object, name: str, minimum: int = 1) -> int:
    """A whole number at least ``minimum`` (draws, resamples, grid points)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or int(n) < minimum:
        raise DataContractError(f"{name} must be an integer >= {minimum}, got {n!r}")
    return int(n)


def regional_table(
    df: pd.DataFrame,
    region: str,
    sector: str,
    value: str,
    year: str | None,
    name: str = "regional table",
    extra: Sequence[str] = (),
) -> tuple[pd.DataFrame, list[str], dict[str, np.ndarray]]:
    """Validate a region × sector (× year) table and sum duplicate cells (when there are any).

    Returns the cleaned frame (columns ``keys + [value] + extra``, values float64), the key list and the
    integer codes of each key column (aligned with the frame's rows). The
    year column is used when ``year`` is given and present in ``df``; otherwise the table is one
    cross-section.
    """
    require_frame(df, name, [region, sector, value, *extra])
    keys = [region, sector]
    if year is not None and year in df.columns:
        keys = [year, region, sector]
    codes = {k: pd.factorize(df[k])[0] for k in keys}
    for k, c in codes.items():
        if (c < 0).any():  # factorize marks missing values with -1
            raise DataContractError(
                f"{name} column '{k}' is missing in {row_labels(df, c < 0)}; every row needs a {k}"
            )
    columns = {k: df[k].array for k in keys}
    columns[value] = require_nonnegative(df, name, value)
    for col in extra:
        columns[col] = require_nonnegative(df, name, col)
    out = pd.DataFrame(columns, copy=False)
    dims = [int(c.max()) + 1 for c in codes.values()]
    cell = np.ravel_multi_index([codes[k] for k in keys], dims)
    n_cells = int(np.prod(dims, dtype=np.float64))
    duplicated = (
        np.bincount(cell, minlength=n_cells).max() > 1
        if n_cells <= 50_000_000
        else pd.Series(cell).duplicated().any()
    )
    if duplicated:
        out = out.groupby(keys, as_index=False, sort=True, observed=True)[[value, *extra]].sum()
        codes = {k: pd.factorize(out[k])[0] for k in keys}
    return out, keys, codes
