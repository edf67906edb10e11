"""Shared panel checks for the programme-evaluation estimators (internal).

Every estimator in :mod:`agrocluster.programmes` starts from a long firm × year panel. This module turns
it into a balanced wide panel and counts every unit it has to leave out, so that nothing is dropped
silently: the counts travel on the results as an ``excluded`` table (reason → number of units).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from agrocluster import _frames
from agrocluster.errors import DataContractError, EstimationError


@dataclass
class Exclusions:
    """Running tally of units left out of an estimate, by reason."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, reason: str, n: int) -> None:
        if n > 0:
            self.counts[reason] = self.counts.get(reason, 0) + int(n)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"reason": list(self.counts), "n_units": list(self.counts.values())},
            columns=["reason", "n_units"],
        ).astype({"n_units": "int64"})


def require_columns(df: pd.DataFrame, columns: list[str], table: str = "df") -> None:
    """:func:`agrocluster._frames.require_columns` with ``df`` as the default table name."""
    _frames.require_columns(df, columns, table)


def require_numeric(df: pd.DataFrame, column: str, role: str) -> None:
    """Raise DataContractError if ``column`` is not numeric (bool counts as numeric)."""
    s = df[column]
    if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
        raise DataContractError(
            f"{role} column {column!r} must be numeric, but has dtype {s.dtype} "
            f"(first value {s.iloc[0]!r}); convert it before estimating"
        )


@dataclass
class WidePanel:
    """A balanced panel in wide form: one row per unit, one column per period."""

    units: np.ndarray  # unit ids, length n
    periods: np.ndarray  # sorted periods, length T
    y: np.ndarray  # n × T outcome
    group: np.ndarray  # first treated period per unit (0 = never)
    unit_frame: pd.DataFrame  # per-unit time-invariant columns (first period values)
    x: dict[float, np.ndarray]  # period → n × k covariate matrix (without intercept)


def balanced_wide_panel(
    df: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    first_treated: str,
    covariates: list[str],
    keep: list[str],
    excluded: Exclusions,
) -> WidePanel:
    """Validate a long panel and return it balanced and wide.

    Rules (as R ``did::att_gt`` with ``panel=TRUE, allow_unbalanced_panel=FALSE``): rows with a missing
    outcome, covariate or treatment date are removed, then units not observed in every period are dropped
    (did's ``BMisc::makeBalancedPanel``). Both removals are counted in ``excluded``.
    """
    require_columns(df, [outcome, unit, time, first_treated, *covariates, *keep])
    if len(df) == 0:
        raise DataContractError("df has no rows")
    require_numeric(df, outcome, "outcome")
    require_numeric(df, time, "time")
    for c in covariates:
        require_numeric(df, c, "covariate")
    cols = list(dict.fromkeys([unit, time, outcome, first_treated, *covariates, *keep]))
    d = df[cols].copy()
    if d[time].isna().any():
        raise DataContractError(f"time column {time!r} has {int(d[time].isna().sum())} missing values")
    g = pd.to_numeric(d[first_treated], errors="coerce")
    if g.isna().any() and not d[first_treated].isna().equals(g.isna()):
        bad = d.loc[g.isna() & d[first_treated].notna(), first_treated].iloc[0]
        raise DataContractError(
            f"first_treated column {first_treated!r} must be numeric (0 = never treated); found {bad!r}"
        )
    if (g < 0).any():
        raise DataContractError(
            f"first_treated column {first_treated!r} has negative values (use 0 for never treated)"
        )
    d[first_treated] = g.astype("float64")
    dup = d.duplicated([unit, time])
    if dup.any():
        row = d.loc[dup].iloc[0]
        raise DataContractError(
            f"duplicate ({unit}, {time}) pair ({row[unit]!r}, {row[time]!r}): the panel must have one row "
            f"per unit and period ({int(dup.sum())} duplicates)"
        )
    varying = d.groupby(unit, sort=False)[first_treated].nunique(dropna=False)
    if (varying > 1).any():
        u = varying.index[varying > 1][0]
        raise DataContractError(
            f"first_treated column {first_treated!r} varies within unit {u!r}; it must be constant per unit"
        )
    units_before = d[unit].nunique()
    need = [outcome, first_treated, *covariates]
    bad_rows = d[need].isna().any(axis=1) | ~np.isfinite(d[need].astype("float64")).all(axis=1)
    d = d.loc[~bad_rows]
    units_after_na = d[unit].nunique()
    periods = np.sort(d[time].unique())
    counts = d.groupby(unit, sort=False)[time].size()
    full = counts.index[counts == len(periods)]
    n_unbalanced = units_after_na - len(full)
    n_rows_missing = int(bad_rows.sum())
    excluded.add("missing outcome, covariate or first_treated in every period", units_before - units_after_na)
    excluded.add(
        f"unbalanced panel: unit not observed in every period (did drops it; {n_rows_missing} rows had "
        f"missing values)",
        n_unbalanced,
    )
    d = d.loc[d[unit].isin(full)]
    if len(d) == 0:
        raise EstimationError(
            f"no unit is observed in all {len(periods)} periods ({list(periods)}) after removing missing "
            f"values: the balanced panel is empty"
        )
    d = d.sort_values([unit, time], kind="stable")
    units = d[unit].drop_duplicates().to_numpy()
    n, T = len(units), len(periods)
    y = d[outcome].to_numpy(dtype="float64").reshape(n, T)
    first_rows = d.groupby(unit, sort=False).head(1)
    group = first_rows[first_treated].to_numpy(dtype="float64")
    x: dict[float, np.ndarray] = {}
    if covariates:
        xall = d[covariates].to_numpy(dtype="float64").reshape(n, T, len(covariates))
        x = {p: xall[:, j, :] for j, p in enumerate(periods)}
    unit_frame = first_rows[[unit, *keep]].reset_index(drop=True)
    return WidePanel(units=units, periods=periods, y=y, group=group, unit_frame=unit_frame, x=x)
