"""Exposure to a market collapse, replayed from real episodes rather than a fixed cut.

The FAO study of agro-based clusters lists dependence on a market that collapses among a cluster's dangers.
Here collapses are taken from what happened:

* :func:`worst_falls`: the largest year-on-year falls of a series (FAOSTAT exports of the product, world or
  the cluster's country, 1961–2020): ``g_t = X_t / X_{t-1} - 1``, the ``n`` most negative.
* :func:`largest_drawdown`: the cluster's historical collapse episode, the largest fall of a series from a
  peak to a later trough (maximum drawdown: ``min_t X_t / max_{s<=t} X_s - 1``), which a collapse spread over
  several years (the country's exports falling 1999–2002, say) shows and a single year-on-year change misses.
* :func:`replay`: each episode (a fall observed in FAOSTAT, or a cited price or trade episode from the
  parameters) applied to the cluster's destination structure: the loss is
  ``L = sum_{m in M_e} |c_e| X_m`` over the markets the episode hits (all markets when it names none),
  reported as a share of exports and, given the export orientation ``X / Q``, of output. Assumptions, as in
  :func:`agrocluster.exports.markets.stress_scenario`: no diversion to other markets or to the home market,
  a value change equal to the episode's change, direct effect only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from agrocluster._frames import require_columns as _require
from agrocluster.errors import DataContractError, EstimationError

__all__ = ["FAOSTAT_METHOD_BREAK", "REPLAY_ASSUMPTIONS", "crosses_method_break", "largest_drawdown",
           "replay", "worst_falls"]

REPLAY_ASSUMPTIONS = ("the episode's change applies to the value of exports to the markets it hits",
                      "no diversion of lost sales to other markets or to the home market",
                      "direct effect only (no input-output multiplier)")
#: First year of FAOSTAT's new food-balance methodology (old series to 2013, new from 2010): a change between a
#: year before and a year from this one compares the two methods.
FAOSTAT_METHOD_BREAK = 2010


def crosses_method_break(first_year: int, last_year: int) -> bool:
    """Whether a change from ``first_year`` to ``last_year`` spans FAOSTAT's 2010 change of food-balance method.

    >>> crosses_method_break(2008, 2014), crosses_method_break(2010, 2011), crosses_method_break(2001, 2002)
    (True, False, False)
    """
    return int(first_year) < FAOSTAT_METHOD_BREAK <= int(last_year)


def worst_falls(series: pd.DataFrame, value: str, n: int = 3, label: str = "", min_share_of_peak: float = 0.0
                ) -> pd.DataFrame:
    """The ``n`` largest year-on-year falls of ``value``: ``change = X_t / X_{t-1} - 1`` over consecutive years.

    Years with a missing or zero previous value are skipped (no change defined), and so are falls from a level
    ``X_{t-1}`` below ``min_share_of_peak`` times the series' maximum (a trade too small to be a market: a
    country's first few tonnes). Returns ``episode, year, before, after, change`` sorted from the largest
    fall; only falls (change < 0) are listed.

    Raises
    ------
    DataContractError
        Missing columns, duplicated years, negative values.
    """
    what = "worst_falls"
    _require(series, ["year", value], what)
    if series["year"].duplicated().any():
        raise DataContractError(f"{what}: several rows for the same year")
    s = series[["year", value]].sort_values("year").astype({value: "float64"})
    if (s[value] < 0).any():
        raise DataContractError(f"{what}: negative {value} in year(s) {s.loc[s[value] < 0, 'year'].tolist()}")
    prev = s[value].shift()
    consecutive = s["year"].diff() == 1
    change = s[value] / prev - 1
    ok = consecutive & (prev > 0) & s[value].notna() & (prev >= min_share_of_peak * s[value].max())
    out = pd.DataFrame({"year": s["year"], "before": prev, "after": s[value], "change": change})[ok]
    out = out[out["change"] < 0].nsmallest(n, "change")
    out.insert(0, "episode", [f"{label}{int(y) - 1}–{int(y)}".strip() for y in out["year"]])
    return out.reset_index(drop=True)


def largest_drawdown(series: pd.DataFrame, value: str, label: str = "", min_share_of_peak: float = 0.0
                     ) -> pd.DataFrame:
    """The largest fall of ``value`` from a peak to a later trough (maximum drawdown), with its years.

    With the years sorted and missing values dropped, the running peak is ``P_t = max_{s<=t} X_s`` and the
    drawdown ``d_t = X_t / P_t - 1``; the episode is the year with the most negative ``d_t`` (the first one on a
    tie), its peak the year the running peak was set, and ``recovery_year`` the first later year with
    ``X >= P`` (NA when the series never regains the peak). Peaks below ``min_share_of_peak`` times the
    series' maximum are not counted (a country's first few tonnes are not a market).

    Returns
    -------
    DataFrame
        One row ``episode, peak_year, trough_year, before, after, change, recovery_year`` (``before`` = the
        peak, ``after`` = the trough, ``change = after / before - 1``), or no row when the series never falls.

    Raises
    ------
    DataContractError
        Missing columns, duplicated years, negative values.

    Examples
    --------
    >>> s = pd.DataFrame({"year": [2000, 2001, 2002, 2003, 2004, 2005], "x": [50.0, 100.0, 80.0, 40.0, 90.0, 120.0]})
    >>> row = largest_drawdown(s, "x").iloc[0]
    >>> int(row.peak_year), int(row.trough_year), float(row.change), int(row.recovery_year)
    (2001, 2003, -0.6, 2005)
    """
    what = "largest_drawdown"
    _require(series, ["year", value], what)
    if series["year"].duplicated().any():
        raise DataContractError(f"{what}: several rows for the same year")
    s = series[["year", value]].dropna().sort_values("year").astype({"year": "int64", value: "float64"})
    if (s[value] < 0).any():
        raise DataContractError(f"{what}: negative {value} in year(s) {s.loc[s[value] < 0, 'year'].tolist()}")
    columns = ["episode", "peak_year", "trough_year", "before", "after", "change", "recovery_year"]
    x = s[value].to_numpy()
    years = s["year"].to_numpy()
    peak = np.maximum.accumulate(x) if len(x) else x
    ok = (peak > 0) & (peak >= min_share_of_peak * (x.max() if len(x) else 0.0))
    drawdown = np.where(ok, x / np.where(peak > 0, peak, 1.0) - 1, 0.0)
    if not len(x) or drawdown.min() >= 0:
        return pd.DataFrame(columns=columns)
    t = int(np.argmin(drawdown))
    p = int(np.flatnonzero(x[: t + 1] == peak[t])[0])
    later = np.flatnonzero(x[t + 1:] >= peak[t])
    recovery = pd.NA if not len(later) else int(years[t + 1 + later[0]])
    name = f"{label}{years[p]}–{years[t]} (peak to trough)".strip()
    return pd.DataFrame([[name, int(years[p]), int(years[t]), float(peak[t]), float(x[t]), float(drawdown[t]),
                          recovery]], columns=columns).astype({"recovery_year": "Int64"})


def replay(destinations: pd.DataFrame, episodes: Iterable[Mapping[str, Any]], export_orientation: float | None = None
           ) -> pd.DataFrame:
    """Apply collapse episodes to an exporter's destination structure (see the module docstring).

    Parameters
    ----------
    destinations : DataFrame
        ``importer, value``: the cluster's exports by market in one year (e.g.
        ``destination_structure(...).destinations``).
    episodes : iterable of mappings
        ``name``, ``change`` (a fraction, -0.97 for a 97 % fall), ``markets`` (ISO3 codes; empty or None = all
        markets), ``source`` (citation), optional ``kind`` (e.g. "FAOSTAT world exports", "cited price").
    export_orientation : float, optional
        Exports over production; adds ``output_share_at_risk = loss_share × export_orientation``.

    Returns
    -------
    DataFrame
        ``episode, kind, change, markets, share_hit, loss, loss_share, output_share_at_risk, source``; an
        episode naming markets the cluster does not sell to has ``share_hit`` 0 and says so in ``markets``.

    Raises
    ------
    DataContractError
        Missing columns, negative values, a change outside [-1, 0], an episode without name or source.
    EstimationError
        No exports at all.
    """
    what = "replay"
    _require(destinations, ["importer", "value"], what)
    d = destinations.groupby(destinations["importer"].astype(str))["value"].sum().astype("float64")
    if (d < 0).any():
        raise DataContractError(f"{what}: negative export value for {sorted(d[d < 0].index)}")
    total = float(d.sum())
    if not total > 0:
        raise EstimationError(f"{what}: no exports to replay episodes on")
    rows = []
    for k, ep in enumerate(episodes):
        name, source = ep.get("name"), ep.get("source")
        if not name or not source:
            raise DataContractError(f"{what}: episode {k} needs a name and a source (citation); got {dict(ep)}")
        change = float(ep.get("change"))
        if not -1 <= change <= 0:
            raise DataContractError(f"{what}: episode {name!r}: change={change} must be a fall in [-1, 0]")
        markets = [str(m) for m in (ep.get("markets") or [])]
        hit = d if not markets else d[d.index.isin(markets)]
        absent = [m for m in markets if m not in d.index]
        share = float(hit.sum()) / total
        loss = -change * float(hit.sum())
        label = "all markets" if not markets else ", ".join(markets) + (
            f" (no exports to {', '.join(absent)})" if absent else "")
        rows.append({"episode": name, "kind": ep.get("kind", ""), "change": change, "markets": label,
                     "share_hit": share, "loss": loss, "loss_share": loss / total,
                     "output_share_at_risk": (loss / total * export_orientation
                                              if export_orientation is not None and np.isfinite(export_orientation)
                                              else np.nan),
                     "source": source})
    return pd.DataFrame(rows, columns=["episode", "kind", "change", "markets", "share_hit", "loss", "loss_share",
                                       "output_share_at_risk", "source"])
