"""Checks shared by the export-market modules: country codes, numeric columns, trade-flow tables.

Country codes are checked against the ISO3 list of ``country_converter``; ``known_codes`` accepts other
codes (e.g. a subnational cluster id).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import pandas as pd

from agrocluster._frames import describe_rows as _rows
from agrocluster._frames import require_columns as _require
from agrocluster.errors import DataContractError


@lru_cache(maxsize=1)
def iso3_codes() -> frozenset[str]:
    import country_converter as coco

    return frozenset(coco.CountryConverter().data["ISO3"].dropna().astype(str))


def numeric(
    df: pd.DataFrame, col: str, keys: list[str], what: str, allow_na: bool = False, nonneg: bool = True
) -> np.ndarray:
    """Return ``df[col]`` as float64 after checking it is numeric, finite and >= 0 (NaN only if allowed;
    negative values only with ``nonneg=False``)."""
    if not pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_bool_dtype(df[col]):
        raise DataContractError(f"{what}: column {col!r} must be numeric, got dtype {df[col].dtype}")
    x = df[col].to_numpy(dtype="float64", na_value=np.nan)
    if not allow_na and np.isnan(x).any():
        raise DataContractError(f"{what}: {col!r} is missing in {_rows(df, np.isnan(x), keys)}")
    bad = np.isinf(x)
    if bad.any():
        raise DataContractError(f"{what}: {col!r} is infinite in {_rows(df, bad, keys)}")
    bad = x < 0
    if nonneg and bad.any():
        raise DataContractError(f"{what}: {col!r} must be >= 0; negative in {_rows(df, bad, keys)}")
    return x


def check_codes(df: pd.DataFrame, cols: list[str], what: str, known_codes: Iterable[str] | None) -> None:
    known = iso3_codes() if known_codes is None else frozenset(map(str, known_codes))
    for col in cols:
        if df[col].isna().any():
            raise DataContractError(f"{what}: {col!r} is missing in {_rows(df, df[col].isna().to_numpy(), [col])}")
        values = df[col] if pd.api.types.is_string_dtype(df[col]) else df[col].astype(str)
        codes = values.unique()
        unknown = sorted(c for c in codes if c not in known)
        if unknown:
            raise DataContractError(
                f"{what}: unknown country code(s) in {col!r}: {unknown[:10]}"
                + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
                + " (expected ISO3 codes of countries, no aggregates such as World or EU; "
                "pass known_codes= to accept other codes)"
            )


def trade_table(
    df: pd.DataFrame,
    what: str,
    known_codes: Iterable[str] | None,
    exporter: str = "exporter",
    importer: str | None = "importer",
    product: str = "product",
    year: str | None = "year",
    value: str = "value",
) -> pd.DataFrame:
    """Validated copy of a trade-flow style table with float values (``year=None``: one cross-section)."""
    cols = [exporter, *([importer] if importer else []), product, *([year] if year else []), value]
    _require(df, cols, what)
    keys = [c for c in cols if c != value]
    out = df[cols].copy()
    out[value] = numeric(df, value, keys, what)
    check_codes(out, [exporter, *([importer] if importer else [])], what, known_codes)
    return out


def hhi(shares: np.ndarray) -> float:
    return float(np.sum(np.square(shares)))
