"""Input checks and the sorted panel arrays every TFP estimator works on.

The estimators never see the caller's DataFrame: :func:`build_panel` checks it (columns, duplicate
keys, integer time, missing and non-positive values), takes logs, sorts rows by firm and time and
records, per row, whether the previous row is the same firm one period earlier. A lag across a gap in
the panel (t−2 standing where t−1 should be) is *not* a lag: such rows get ``has_lag = False`` and are
counted under their own reason. Every row left out is counted in ``excluded`` (reason → rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from agrocluster.errors import DataContractError, EstimationError

REASON_NO_LAG_FIRST = "second stage: no lag (first observation of the firm)"
REASON_NO_LAG_GAP = "second stage: no lag (previous period missing: gap in the panel)"


def as_list(cols, what: str) -> list[str]:
    """Normalise a column name or a list of names to a list of str, rejecting empties."""
    if cols is None:
        return []
    if isinstance(cols, str):
        return [cols]
    out = list(cols)
    if not all(isinstance(c, str) for c in out):
        raise DataContractError(f"{what}: column names must be strings, got {out!r}")
    return out


@dataclass
class Panel:
    """Arrays of one estimation sample, rows sorted by (firm, time), firms contiguous."""

    y: np.ndarray
    free: np.ndarray
    state: np.ndarray
    proxy: np.ndarray | None
    controls: np.ndarray
    firm: np.ndarray  # int codes 0..n_firms-1, contiguous blocks
    time: np.ndarray
    has_lag: np.ndarray  # previous row is the same firm at time - 1
    index: pd.Index  # caller's row labels, same order as the arrays
    position: np.ndarray  # caller's row positions, same order as the arrays
    free_names: list[str]
    state_names: list[str]
    proxy_name: str | None
    control_names: list[str]
    excluded: dict[str, int] = field(default_factory=dict)
    n_gap_firms: int = 0

    @property
    def n(self) -> int:
        return self.y.shape[0]

    @property
    def n_firms(self) -> int:
        return int(self.firm.max()) + 1 if self.n else 0

    def firm_starts(self) -> np.ndarray:
        """Row position where each firm's block starts, plus the end (length n_firms + 1)."""
        starts = np.flatnonzero(np.r_[True, self.firm[1:] != self.firm[:-1]])
        return np.r_[starts, self.n]

    def resample(self, firms: np.ndarray) -> Panel:
        """The panel made of the given firm blocks (with repetition), each drawn block a new firm."""
        bounds = self.firm_starts()
        sizes = bounds[firms + 1] - bounds[firms]
        first = np.r_[0, np.cumsum(sizes)[:-1]]
        # row j of the new panel is row (start of its block) + (j − first row of its block)
        rows = np.repeat(bounds[firms] - first, sizes) + np.arange(int(sizes.sum()))
        new_firm = np.repeat(np.arange(len(firms)), sizes)
        has_lag = self.has_lag[rows].copy()
        has_lag[first] = False
        return Panel(
            y=self.y[rows], free=self.free[rows], state=self.state[rows],
            proxy=None if self.proxy is None else self.proxy[rows], controls=self.controls[rows],
            firm=new_firm, time=self.time[rows], has_lag=has_lag, index=self.index[rows],
            position=self.position[rows],
            free_names=self.free_names, state_names=self.state_names, proxy_name=self.proxy_name,
            control_names=self.control_names,
        )

    def survival(self) -> np.ndarray:
        """1.0 if the firm is observed at t+1, 0.0 if not, NaN in the panel's last period (censored)."""
        nxt_same = np.r_[self.has_lag[1:], False]
        surv = nxt_same.astype(float)
        surv[self.time == self.time.max()] = np.nan
        return surv


def build_panel(
    df: pd.DataFrame,
    output: str,
    free: list[str],
    state: list[str],
    proxy: str | None,
    id: str,
    time: str,
    controls: list[str],
    logs: bool,
    proxy_must_be_positive: bool,
) -> Panel:
    """Check ``df`` and return the logged, sorted :class:`Panel` (see module docstring)."""
    if not isinstance(df, pd.DataFrame):
        raise DataContractError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    if not df.index.is_unique:
        raise DataContractError("df has a non-unique index: TFP is returned aligned to it; reset_index() first")
    needed = [output, *free, *state, *([proxy] if proxy else []), *controls, id, time]
    missing = [c for c in dict.fromkeys(needed) if c not in df.columns]
    if missing:
        raise DataContractError(f"column(s) {missing} not in the table (columns: {list(df.columns)})")
    if not free and not state:
        raise DataContractError("free and state are both empty: at least one input column is needed")
    overlap = set(free) & set(state) | ({proxy} & (set(free) | set(state)) if proxy else set())
    if overlap or output in set(free) | set(state):
        raise DataContractError(f"a column is used twice among output/free/state/proxy: {sorted(overlap)}")
    if df[id].isna().any():
        raise DataContractError(f"column '{id}' (firm id) has {int(df[id].isna().sum())} missing values")
    tvals = pd.to_numeric(df[time], errors="coerce")
    if tvals.isna().any():
        raise DataContractError(f"column '{time}' has {int(tvals.isna().sum())} missing or non-numeric values")
    if not np.all(np.isclose(tvals.to_numpy(float), np.round(tvals.to_numpy(float)))):
        raise DataContractError(f"column '{time}' must hold whole periods (e.g. years); found fractions")
    dup = df.duplicated([id, time], keep=False)
    if dup.any():
        first = df.loc[dup, [id, time]].iloc[0].tolist()
        raise DataContractError(
            f"{int(dup.sum())} rows share a ({id}, {time}) key, e.g. {first}: one row per firm and period"
        )

    excluded: dict[str, int] = {}
    keep = pd.Series(True, index=df.index)
    num = {}
    for c in dict.fromkeys([output, *free, *state, *controls, *([proxy] if proxy else [])]):
        vals = pd.to_numeric(df[c], errors="coerce")
        bad_type = vals.isna() & df[c].notna()
        if bad_type.any():
            raise DataContractError(f"column '{c}' has {int(bad_type.sum())} non-numeric values")
        num[c] = vals.astype(float)
    for c, vals in num.items():
        miss = vals.isna() & keep
        if miss.any():
            label = f"missing proxy ({c})" if c == proxy else f"missing value in '{c}'"
            excluded[label] = int(miss.sum())
            keep &= ~miss
    logged = [output, *free, *state] + ([proxy] if proxy else [])
    if logs:
        for c in logged:
            nonpos = (num[c] <= 0) & keep
            if not nonpos.any():
                continue
            if c == proxy and not proxy_must_be_positive:
                excluded[f"proxy '{c}' <= 0 (Olley-Pakes inversion needs positive investment)"] = int(
                    nonpos.sum()
                )
                keep &= ~nonpos
                continue
            raise EstimationError(
                f"column '{c}' has {int(nonpos.sum())} non-positive values; inputs and output are taken "
                f"in logs. Drop or fix those rows, or pass already-logged columns with logs=False"
            )
    if not keep.any():
        rules = "; ".join(f"{reason}: {n} row(s)" for reason, n in excluded.items())
        raise EstimationError(f"no row is left after the exclusions ({rules or 'an empty frame'})")

    kept_pos = np.flatnonzero(keep.to_numpy())
    sub = df.loc[keep]
    order = np.lexsort((tvals[keep].to_numpy(), sub[id].astype(str).to_numpy()))
    sub = sub.iloc[order]
    kept_pos = kept_pos[order]
    t = tvals.loc[sub.index].to_numpy().round().astype(np.int64)
    firm_codes, _ = pd.factorize(sub[id].astype(str), sort=False)
    firm_codes = np.asarray(firm_codes)

    def col(c):
        v = num[c].loc[sub.index].to_numpy(float)
        return np.log(v) if logs and c in logged else v

    same_prev = np.r_[False, firm_codes[1:] == firm_codes[:-1]]
    dt = np.r_[0, np.diff(t)]
    has_lag = same_prev & (dt == 1)
    gap = same_prev & (dt > 1)
    n_first = int((~same_prev).sum())
    excluded[REASON_NO_LAG_FIRST] = n_first
    if gap.any():
        excluded[REASON_NO_LAG_GAP] = int(gap.sum())
    return Panel(
        y=col(output),
        free=np.column_stack([col(c) for c in free]) if free else np.empty((len(sub), 0)),
        state=np.column_stack([col(c) for c in state]) if state else np.empty((len(sub), 0)),
        proxy=col(proxy) if proxy else None,
        controls=np.column_stack([col(c) for c in controls]) if controls else np.empty((len(sub), 0)),
        firm=firm_codes,
        time=t,
        has_lag=has_lag,
        index=sub.index,
        position=kept_pos,
        free_names=list(free),
        state_names=list(state),
        proxy_name=proxy,
        control_names=list(controls),
        excluded=excluded,
        n_gap_firms=int(pd.Series(gap).groupby(firm_codes).any().sum()),
    )


def check_variation(names: list[str], X: np.ndarray, role: str) -> None:
    """Raise EstimationError naming the first column of ``X`` that does not vary."""
    for j, name in enumerate(names):
        col = X[:, j]
        if col.size and np.ptp(col) == 0:
            raise EstimationError(
                f"{role} '{name}' does not vary in the estimation sample (all values = {col[0]:.6g}); "
                "its coefficient cannot be estimated"
            )
