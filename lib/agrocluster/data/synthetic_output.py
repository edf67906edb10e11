"""Synthetic production calibrated to the real series: the cluster sector's output, in tonnes, against FAOSTAT.

Part of :mod:`agrocluster.data.synthetic` (the data layer); see :func:`calibrate_output`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from agrocluster.errors import ParamsError

#: Columns of the establishments table in money (thousand USD): scaled together by the calibration, so every
#: ratio of money quantities (value added per output, export intensity, capital per output) is unchanged.
MONEY_COLUMNS = ("output", "value_added", "capital", "materials", "investment", "wage_bill", "exports")


def output_tonnes(establishments: pd.DataFrame, sector: str, unit_value: float) -> pd.Series:
    """The sector's output by year in tonnes: output (thousand USD) / unit value (USD per kg = thousand USD
    per tonne)."""
    if not unit_value > 0:
        raise ParamsError(f"synthetic.trade_unit_value={unit_value!r}: must be positive to value output in tonnes")
    rows = establishments["sector"].astype(str) == str(sector)
    return establishments.loc[rows].groupby("year")["output"].sum() / unit_value


def calibrate_output(
    establishments: pd.DataFrame,
    sector: str,
    production_t: pd.Series,
    unit_value: float,
    share: float = 1.0,
) -> tuple[pd.DataFrame, dict]:
    """Scale the money of every establishment by one factor so that the sector's output, in tonnes, equals
    ``share`` of the real production over the panel's years.

    With ``Q_t`` the sector's synthetic output in tonnes (:func:`output_tonnes`: output / ``unit_value``, the
    cited export unit value, USD per kg) and ``P_t`` the real production (tonnes, FAOSTAT), the factor is
    ``c = share * sum_t P_t / sum_t Q_t``; every column of :data:`MONEY_COLUMNS` of every establishment is
    multiplied by ``c``. One factor for all firms and years is a change of the money unit: logs shift by a
    constant that intercepts, firm and year effects absorb, so the planted elasticities, TFP differences and
    programme effects are unchanged. Year by year the ratio ``Q_t / (share * P_t)`` still moves with the
    synthetic panel (which does not follow FAOSTAT's harvests); the truth entry lists it.

    Returns the scaled table and a truth entry (factor, share, unit value, yearly ratios, note).
    """
    if not 0 < share <= 1:
        raise ParamsError(f"synthetic.production_share={share!r}: must be in (0, 1]")
    quantity = output_tonnes(establishments, sector, unit_value)
    if quantity.empty or not (quantity > 0).any():
        raise ParamsError(f"production calibration: the synthetic establishments have no output in sector {sector!r}")
    missing = [int(y) for y in quantity.index if int(y) not in production_t.index or not np.isfinite(production_t.loc[int(y)])]
    if missing:
        raise ParamsError(f"production calibration: no real production in {missing}")
    real = production_t.loc[[int(y) for y in quantity.index]].to_numpy(dtype=float)
    factor = float(share * real.sum() / quantity.sum())
    out = establishments.copy()
    for column in MONEY_COLUMNS:
        if column in out:
            out[column] = out[column] * factor
    ratio = (quantity.to_numpy() * factor) / (share * real)
    truth = {
        "calibrated_to": "real production of the cluster's product in the country, over the panel's years",
        "factor": factor,
        "share": share,
        "unit_value_usd_per_kg": unit_value,
        "years": [{"year": int(y), "output_t": float(q * factor), "target_t": float(share * p), "ratio": float(r)}
                  for y, q, p, r in zip(quantity.index, quantity.to_numpy(), real, ratio)],
        "note": (f"every money column of every establishment ({', '.join(MONEY_COLUMNS)}) multiplied by {factor:.4g} so "
                 f"that the cluster sector's output valued at the cited unit value ({unit_value} USD/kg) sums to "
                 f"{share:g} x the real production over the panel's years; one factor, so planted elasticities "
                 "and effects are unchanged"),
    }
    return out, truth
