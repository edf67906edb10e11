"""Revealed comparative advantage and the product space: presence, complexity, proximity, density, COI, COG.

Conventions follow the Growth Lab's Stata command ``ecomplexity`` (Hausmann, Hidalgo et al., *The Atlas
of Economic Complexity*, 2011/2014), checked against its output to 1e-8 in the tests. Everything is computed
per year on a dense country × product matrix with numpy, so the work is a few matrix products per year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from agrocluster.errors import DataContractError, EstimationError

__all__ = ["revealed_comparative_advantage"]


def _require_columns(df: pd.DataFrame, columns: list[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise DataContractError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataContractError(
            f"{what}: column(s) {missing} not found; the table has columns {list(df.columns)}"
        )


def _row_labels(df: pd.DataFrame, mask: pd.Series | np.ndarray, keys: list[str], limit: int = 5) -> str:
    rows = df.loc[np.asarray(mask), keys].head(limit)
    shown = "; ".join(
        f"row {idx} (" + ", ".join(f"{k}={row[k]!r}" for k in keys) + ")" for idx, row in rows.iterrows()
    )
    n = int(np.asarray(mask).sum())
    return shown + (f" and {n - limit} more" if n > limit else "")


def _validated_values(df: pd.DataFrame, keys: list[str], value: str, what: str) -> np.ndarray:
    """Check the key columns and the value column; return the values as float64."""
    _require_columns(df, [*keys, value], what)
    if len(set(keys)) != len(keys) or value in keys:
        raise DataContractError(f"{what}: the key columns {keys} and value column {value!r} must be distinct")
    key_na = df[keys].isna().any(axis=1)
    if key_na.any():
        raise DataContractError(f"{what}: missing key ({', '.join(keys)}) in {_row_labels(df, key_na, keys)}")
    if not pd.api.types.is_numeric_dtype(df[value]) or pd.api.types.is_bool_dtype(df[value]):
        raise DataContractError(f"{what}: column {value!r} must be numeric, got dtype {df[value].dtype}")
    x = df[value].to_numpy(dtype="float64", na_value=np.nan)
    bad = np.isnan(x)
    if bad.any():
        raise DataContractError(f"{what}: {value!r} is missing (NaN) in {_row_labels(df, bad, keys)}")
    bad = ~np.isfinite(x)
    if bad.any():
        raise DataContractError(f"{what}: {value!r} is infinite in {_row_labels(df, bad, keys)}")
    bad = x < 0
    if bad.any():
        raise DataContractError(
            f"{what}: {value!r} must be >= 0 (trade values cannot be negative); "
            f"negative in {_row_labels(df, bad, keys)}"
        )
    dup = df.duplicated(subset=keys, keep=False)
    if dup.any():
        raise DataContractError(
            f"{what}: more than one row per ({', '.join(keys)}) in {_row_labels(df, dup, keys)}; "
            f"aggregate first, e.g. df.groupby({keys})[{value!r}].sum().reset_index()"
        )
    return x


def revealed_comparative_advantage(
    df: pd.DataFrame, country: str, product: str, value: str, year: str | None = None
) -> pd.DataFrame:
    """Balassa revealed comparative advantage of each country in each product (and year).

    As Balassa (1965) and Stata ``ecomplexity`` (``rca``):

    .. math:: RCA_{cp} = \\frac{x_{cp} / \\sum_{p'} x_{cp'}}{\\sum_{c'} x_{c'p} / \\sum_{c'p'} x_{c'p'}}

    with all sums taken within the year when ``year`` is given. Country × product pairs absent from ``df``
    count as zero exports. Pass a quantity column as ``value`` to get a quantity-based RCA (label it so).

    Parameters
    ----------
    df : DataFrame
        One row per country × product (× year); extra columns are ignored.
    country, product, value : str
        Column names of the exporter, the product code and the non-negative export value.
    year : str, optional
        Column name of the year; without it ``df`` is one cross-section.

    Returns
    -------
    DataFrame
        The key columns and ``value`` of ``df`` (same index and row order) plus ``rca`` (float).

    Raises
    ------
    DataContractError
        Missing columns, missing keys, duplicated keys, or a negative, missing or infinite value (the message
        lists the offending rows).
    EstimationError
        A country with zero total exports, or a product that no country exports, in a year: its RCA is 0/0.
    """
    keys = [country, product] + ([year] if year is not None else [])
    what = "revealed_comparative_advantage"
    x = _validated_values(df, keys, value, what)
    out = df[keys].copy()
    out[value] = x
    if len(out) == 0:
        raise EstimationError(f"{what}: the table is empty")
    by_year = [year] if year is not None else []
    grand = out.groupby(by_year)[value].transform("sum") if by_year else pd.Series(x.sum(), index=out.index)
    c_total = out.groupby([*by_year, country])[value].transform("sum")
    p_total = out.groupby([*by_year, product])[value].transform("sum")
    for total, label in ((c_total, country), (p_total, product)):
        zero = total.to_numpy() <= 0
        if zero.any():
            groups = out.loc[zero, [*by_year, label]].drop_duplicates().head(5)
            names = "; ".join(", ".join(f"{k}={r[k]!r}" for k in [*by_year, label]) for _, r in groups.iterrows())
            kind = "country with zero total exports" if label == country else "product that no country exports"
            raise EstimationError(
                f"{what}: {kind} ({names}): its RCA is 0/0; drop it or give it positive {value!r}"
            )
    out["rca"] = (x * grand.to_numpy()) / (c_total.to_numpy() * p_total.to_numpy())
    return out
