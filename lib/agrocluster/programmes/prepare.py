"""From an establishments table to the panel the programme estimators read, with every exclusion counted.

- :func:`programme_panel` adds the log outcome and the ``first_treated`` column (entry period, 0 = never)
  that :func:`~agrocluster.programmes.staggered_did`, :func:`~agrocluster.programmes.twfe_did`,
  :func:`~agrocluster.programmes.event_study` and :func:`~agrocluster.programmes.spillover_effects` take.
- :func:`treatment_exits` measures how far participation is from absorbing (units that leave the
  programme after entering), which a staggered DiD on entry dates reads as intention to treat.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from agrocluster.errors import DataContractError

#: Outcomes that are logged; ``"tfp"`` is already log TFP.
LOGGED = ("output", "value_added", "labour", "exports")


def programme_panel(
    df: pd.DataFrame,
    outcome: str,
    entry: str = "programme_entry_year",
    tfp: pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows with a usable outcome, plus ``log_outcome`` and ``first_treated``; and what was left out.

    Parameters
    ----------
    df : DataFrame
        Establishments (one row per unit and period) with ``entry`` (first period in the programme,
        missing = never).
    outcome : str
        ``"output" | "value_added" | "labour" | "exports"`` (logged: rows with a missing, zero or negative
        value are excluded and counted, since the log does not exist) or ``"tfp"`` (log TFP from ``tfp``,
        a Series aligned to ``df``'s index; rows without an estimate are excluded and counted).
    entry : str
        Entry-period column.
    tfp : Series, optional
        Log TFP (``TFPResult.tfp``) for ``outcome="tfp"``.

    Returns
    -------
    (panel, excluded)
        ``panel`` = the kept rows of ``df`` with ``log_outcome`` (float) and ``first_treated`` (float, 0 for
        never treated); ``excluded`` = ``reason``, ``n_rows``.
    """
    if entry not in df.columns:
        raise DataContractError(f"programme_panel: column {entry!r} (programme entry period) is not in the table")
    if outcome == "tfp":
        if tfp is None:
            raise DataContractError("programme_panel: outcome 'tfp' needs the log TFP series (tfp=...)")
        y = tfp.reindex(df.index).astype(float)
        reason = "no TFP estimate (outcome is log TFP)"
    elif outcome in LOGGED:
        if outcome not in df.columns:
            raise DataContractError(f"programme_panel: outcome column {outcome!r} is not in the table")
        level = pd.to_numeric(df[outcome], errors="coerce").astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.log(level.where(level > 0))
        reason = f"{outcome} <= 0 or missing (logs only of positive values)"
    else:
        raise DataContractError(f"programme_panel: outcome {outcome!r} is not one of {(*LOGGED, 'tfp')}")
    keep = y.notna() & np.isfinite(y)
    g = pd.to_numeric(df[entry], errors="coerce").astype(float).fillna(0.0)
    panel = df.loc[keep].copy()
    panel["log_outcome"] = y[keep].to_numpy()
    panel["first_treated"] = g[keep].to_numpy()
    excluded = pd.DataFrame({"reason": [reason], "n_rows": [int((~keep).sum())]})
    return panel, excluded[excluded["n_rows"] > 0].reset_index(drop=True)


def treatment_exits(df: pd.DataFrame, participating: str, unit: str = "firm_id", time: str = "year",
                    entry: str = "programme_entry_year") -> pd.DataFrame:
    """How absorbing participation is: units that ever enter, units that later leave, post-entry periods out.

    ``participating`` is a per-period boolean column (in the programme in that period). Returns one row:
    ``units_ever_in``, ``units_leaving_later`` (out in some period after entry), ``post_entry_periods``,
    ``post_entry_periods_out`` and their share ``share_post_entry_out``. A staggered DiD that dates
    treatment by entry treats all post-entry periods as treated: an intention-to-treat effect.
    """
    for c in (participating, unit, time, entry):
        if c not in df.columns:
            raise DataContractError(f"treatment_exits: column {c!r} is not in the table")
    g = pd.to_numeric(df[entry], errors="coerce")
    post = g.notna() & (pd.to_numeric(df[time]) >= g)
    part = df[participating].astype("boolean").fillna(False).astype(bool)
    out = post & ~part
    units_in = df.loc[g.notna(), unit].nunique()
    leaving = df.loc[out, unit].nunique()
    n_post = int(post.sum())
    return pd.DataFrame({
        "units_ever_in": [int(units_in)], "units_leaving_later": [int(leaving)],
        "post_entry_periods": [n_post], "post_entry_periods_out": [int(out.sum())],
        "share_post_entry_out": [float(out.sum() / n_post) if n_post else np.nan],
    })
