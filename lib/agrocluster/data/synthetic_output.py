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


def flows_export_value(flows: pd.DataFrame, country_iso3: str, hs_codes: tuple[str, ...] | list[str]) -> pd.Series:
    """The country's export value of the cluster's HS products by year (thousand USD), summed over importers."""
    rows = (flows["exporter"].astype(str) == country_iso3) & flows["product"].astype(str).isin([str(c) for c in hs_codes])
    return flows.loc[rows].groupby("year")["value"].sum()


def sector_exports(establishments: pd.DataFrame, sector: str) -> pd.Series:
    """The sector's firm exports by year (thousand USD), summed over its establishments."""
    rows = establishments["sector"].astype(str) == str(sector)
    return establishments.loc[rows].groupby("year")["exports"].sum()


def calibrate_exports(
    establishments: pd.DataFrame,
    sector: str,
    export_value_t: pd.Series,
    share: float,
) -> tuple[pd.DataFrame, dict]:
    """Scale the firms' exports year by year so that the sector's exports make ``share`` of the country's
    export value in the (synthetic) trade flows.

    With ``X_t`` the sector's firm exports of year t (:func:`sector_exports`, thousand USD) and ``V_t`` the
    country's export value of the cluster's products in the flows (:func:`flows_export_value`), the factor of
    year t is ``c_t = share * V_t / X_t``; the ``exports`` of every establishment of year t are multiplied by
    ``c_t`` (an export money unit per year). Who exports, how many destinations, the ranking of firms by
    export intensity within a year and every other column are unchanged; export intensity (exports /
    output) is multiplied by ``c_t``, so its level and its year effects move (the generator's planted
    ``expit(s0 + s_tfp tfp)`` holds up to that factor, which the truth entry records), and a regression of
    log exports with year effects keeps its slopes.

    Raises :class:`~agrocluster.errors.ParamsError` when ``share`` is outside (0, 1], when a year has no
    flows or no exporting plant in the sector, and when a factor would make some plant export more than its
    output (the message gives the largest share that keeps every plant within its output).

    Returns the scaled table and a truth entry (share, yearly factors, note).
    """
    if not 0 < share <= 1:
        raise ParamsError(f"synthetic.export_share={share!r}: must be in (0, 1]")
    exported = sector_exports(establishments, sector)
    zero = [int(y) for y, x in exported.items() if not x > 0]
    if exported.empty or zero:
        raise ParamsError(f"export calibration: no plant of sector {sector!r} exports in "
                          f"{zero or 'any year'}, so its exports cannot be set to a share of the flows")
    missing = [int(y) for y in exported.index if int(y) not in export_value_t.index or not export_value_t.loc[int(y)] > 0]
    if missing:
        raise ParamsError(f"export calibration: the trade flows have no export value of the country in {missing}")
    value = export_value_t.loc[[int(y) for y in exported.index]].to_numpy(dtype=float)
    factor = pd.Series(share * value / exported.to_numpy(), index=exported.index)
    with np.errstate(divide="ignore", invalid="ignore"):
        intensity = (establishments["exports"] / establishments["output"]).where(establishments["output"] > 0, 0.0)
    top = intensity.groupby(establishments["year"]).max()
    top = top.loc[exported.index]
    over = (factor * top) > 1.0 + 1e-12
    if over.any():
        feasible = float((share / (factor * top)).min())
        raise ParamsError(
            f"synthetic.export_share={share!r}: the plants would export more than their output in "
            f"{[int(y) for y in over.index[over]]} (largest exports / output {float((factor * top).max()):.2f}); "
            f"a share of at most {feasible:.4f} keeps every plant's exports within its output")
    out = establishments.copy()
    out["exports"] = out["exports"] * out["year"].map(factor).fillna(1.0).to_numpy()
    truth = {
        "calibrated_to": "export value of the cluster country in the synthetic trade flows, year by year",
        "share": share,
        "years": [{"year": int(y), "factor": float(c), "firm_exports_kusd": float(x * c), "flows_kusd": float(v)}
                  for y, c, x, v in zip(exported.index, factor.to_numpy(), exported.to_numpy(), value)],
        "note": (f"the exports of every establishment of year t multiplied by c_t = {share:g} x flows' export value / "
                 "the sector's firm exports, so the cluster sector's exports make that share of the country's exports "
                 "each year; export status and destinations unchanged; export intensity = c_t x expit(s0 + s_tfp tfp "
                 "+ noise)"),
    }
    return out, truth
