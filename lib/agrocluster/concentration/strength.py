"""Cluster strength flags: US Cluster Mapping "strong cluster" and European Cluster Observatory stars.

Both flags are thresholds on noisy counts, so each comes with how often it survives resampling. With
``resample="establishments"`` the input has one row per establishment (plant, farm) and every draw
resamples establishments within their region, as :func:`~agrocluster.concentration.location_quotient`'s
``interval="establishments"`` does — the same uncertainty as the LQ interval, valid when employment comes
in plants of unequal size. ``resample="poisson"`` redraws every region × sector cell as ``Poisson(e_rs)``,
valid only when workers locate independently. LQs, shares and the across-region percentiles are
recomputed in every draw; ``<flag>_probability`` is the share of draws in which the flag is on and
``stability`` the share in which it takes the value observed in the data. A flag with stability near 0.5
is a coin toss.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from agrocluster.concentration._checks import check_count
from agrocluster.concentration.specialisation import _lq_core, _lq_setup, _LQSetup, _plant_draws, _plants
from agrocluster.errors import DataContractError


def _group_quantile(values: np.ndarray, groups: np.ndarray, q: float) -> np.ndarray:
    """Per-group quantile (linear interpolation, as numpy's default), broadcast back to the cells; ``values``
    holds the cells in its last axis (one row per draw when 2-D, each row on its own)."""
    order = np.lexsort((values, np.broadcast_to(groups, values.shape)), axis=-1)
    sorted_vals = np.take_along_axis(values, order, axis=-1)
    counts = np.bincount(groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = starts + q * (counts - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.ceil(pos).astype(np.int64)
    per_group = sorted_vals[..., lo] + (pos - lo) * (sorted_vals[..., hi] - sorted_vals[..., lo])
    return per_group[..., groups]


def _row_lq(e: np.ndarray, setup: _LQSetup) -> tuple[np.ndarray, np.ndarray]:
    """LQ and regional total of every cell in each row of ``e`` (draws × cells), as :func:`_lq_core` row by
    row: one bincount per total over all rows, each row's cells summed in the same order."""
    b = e.shape[0]
    totals = []
    for g in (setup.g_reg, setup.g_sec, setup.g_all):
        size = int(g.max()) + 1
        flat = (np.arange(b)[:, None] * size + g).ravel()
        totals.append(np.bincount(flat, weights=e.ravel(), minlength=b * size).reshape(b, size)[:, g])
    e_r, e_s, e_tot = totals
    with np.errstate(divide="ignore", invalid="ignore"):
        return (e / e_r) / (e_s / e_tot), e_r


#: Draws handled at once by :func:`strong_clusters` and :func:`eco_stars` (the numbers do not depend on it).
_BLOCK_DRAWS = 64


def _redraws(df: pd.DataFrame, setup: _LQSetup, value: str, resample: str, n: int, seed: int | None):
    """Yield blocks ``(employment, establishments or None)`` (draws × cells) of the ``n`` draws of ``resample``,
    the same draws, in the same order, whatever the block size."""
    if resample == "poisson":
        rng = np.random.default_rng(seed)
        for first in range(0, n, _BLOCK_DRAWS):
            b = min(_BLOCK_DRAWS, n - first)
            yield rng.poisson(setup.e, size=(b, len(setup.e))).astype("float64"), None
    elif resample == "establishments":
        plants = _plants(df, setup, value)
        for emp, _, count in _plant_draws(plants, len(setup.e), n, seed, chunk_cells=_BLOCK_DRAWS * len(plants.cell)):
            yield emp, count
    else:
        raise DataContractError(f"resample must be 'establishments' or 'poisson', got {resample!r}")


def _check_pct(p: float, name: str) -> float:
    if not isinstance(p, (int, float)) or not 0 <= p <= 100:
        raise DataContractError(f"{name} must be a percentile between 0 and 100, got {p!r}")
    return float(p) / 100.0


def strong_clusters(
    df: pd.DataFrame,
    region: str = "region",
    sector: str = "sector",
    value: str = "employment",
    establishments: str = "establishments",
    *,
    year: str | None = "year",
    base: str = "all",
    traded: Collection[str] | str | None = None,
    lq_percentile: float = 75,
    size_percentile: float = 25,
    resample: str = "poisson",
    n_resamples: int = 999,
    seed: int | None = None,
) -> pd.DataFrame:
    """US Cluster Mapping Project "strong cluster" flag of every region × sector cell.

    As the USCMP platform (Delgado, Porter & Stern 2016 data processing): a cell is strong when, within
    its sector and year, ``LQ ≥`` the sector's ``lq_percentile`` (75th) percentile of LQ across regions,
    ``LQ ≥ 1``, and employment and establishment counts are *above* their ``size_percentile`` (25th)
    percentiles across regions. Percentiles are taken over the regions where the sector has a row
    (numpy linear interpolation). ``base="traded"`` uses traded employment as LQ denominator, as USCMP.

    Parameters
    ----------
    df : DataFrame
        With ``resample="poisson"``: a region × sector (× year) table with employment and the count of
        establishments (column ``establishments``). With ``resample="establishments"``: one row per
        establishment; the count is the number of rows of the cell and ``establishments`` is ignored.
    resample : {"poisson", "establishments"}
        How the flag's uncertainty is drawn (see the module docstring): Poisson redraws of employment
        with establishment counts held fixed, or establishments resampled within region.
    n_resamples : int
        Draws; 999 keeps the Monte Carlo SE of a share of draws below 0.016.

    Returns
    -------
    DataFrame
        ``[year,] region, sector, <value>, <establishments>, lq, lq_threshold, employment_threshold,
        establishments_threshold, strong, strong_probability, stability``: ``strong_probability`` is the
        share of the ``n_resamples`` draws in which the cell is strong, ``stability`` the share in which
        ``strong`` keeps its observed value. A draw that leaves a region with no employment gives its
        cells LQ 0.

    Examples
    --------
    >>> df = pd.DataFrame({"region": ["a", "a", "b", "b", "c", "c"], "sector": ["wine", "other"] * 3,
    ...                    "employment": [300, 100, 100, 500, 50, 450], "establishments": [12, 8, 3, 20, 2, 15]})
    >>> strong_clusters(df, year=None, seed=1)[["region", "sector", "lq", "strong"]].round(3)
      region sector     lq  strong
    0      a   wine  2.500    True
    1      a  other  0.357   False
    2      b   wine  0.556   False
    3      b  other  1.190   False
    4      c   wine  0.333   False
    5      c  other  1.286    True
    """
    q_lq = _check_pct(lq_percentile, "lq_percentile")
    q_size = _check_pct(size_percentile, "size_percentile")
    n_resamples = check_count(n_resamples, "n_resamples")
    if resample == "establishments":
        setup = _lq_setup(df, region, sector, value, year, base, traded)
        est = np.bincount(_plants(df, setup, value).cell, minlength=len(setup.e)).astype("float64")
    else:
        setup = _lq_setup(df, region, sector, value, year, base, traded, extra=(establishments,))
        est = setup.table[establishments].to_numpy(dtype="float64")

    def flags(e: np.ndarray, n_est: np.ndarray) -> tuple[np.ndarray, ...]:
        lq = np.nan_to_num(_lq_core(e, setup.g_reg, setup.g_sec, setup.g_all)[0] if e.ndim == 1
                           else _row_lq(e, setup)[0], nan=0.0)
        lq_thr = _group_quantile(lq, setup.g_sec, q_lq)
        e_thr = _group_quantile(e, setup.g_sec, q_size)
        est_thr = _group_quantile(n_est, setup.g_sec, q_size)
        strong = (lq >= lq_thr) & (lq >= 1.0) & (e > e_thr) & (n_est > est_thr)
        return strong, lq, lq_thr, e_thr, est_thr

    strong, lq, lq_thr, e_thr, est_thr = flags(setup.e, est)
    on = np.zeros(len(strong))
    for e_b, est_b in _redraws(df, setup, value, resample, n_resamples, seed):
        on += flags(e_b, est if est_b is None else est_b)[0].sum(axis=0)
    out = setup.table[list(setup.keys)].copy()
    out[value] = setup.e
    out[establishments] = est
    out["lq"] = lq
    out["lq_threshold"] = lq_thr
    out["employment_threshold"] = e_thr
    out["establishments_threshold"] = est_thr
    out["strong"] = strong
    out["strong_probability"] = on / n_resamples
    out["stability"] = np.where(strong, on, n_resamples - on) / n_resamples
    return out.reset_index(drop=True)


def eco_stars(
    df: pd.DataFrame,
    region: str = "region",
    sector: str = "sector",
    value: str = "employment",
    *,
    year: str | None = "year",
    base: str = "all",
    traded: Collection[str] | str | None = None,
    size_top: float = 10,
    lq_min: float = 2.0,
    focus_top: float = 10,
    resample: str = "poisson",
    n_resamples: int = 999,
    seed: int | None = None,
) -> pd.DataFrame:
    """European Cluster Observatory stars (0–3) of every region × sector cell.

    One star each for (European Cluster Observatory 2007 methodology; the LQ threshold 2 is the commonly
    cited value):

    - size: employment in the top ``size_top`` % of the sector's regions (``e_rs ≥`` the 90th percentile);
    - specialisation: ``LQ ≥ lq_min`` (2);
    - focus: the sector's share of the region's employment ``e_rs / e_r`` in the top ``focus_top`` % of
      regions for that sector.

    Percentiles are across the regions where the sector has a row (numpy linear interpolation).
    ``df``, ``resample`` and ``n_resamples`` are as in :func:`strong_clusters` (with
    ``resample="establishments"``, one row per establishment).

    Returns
    -------
    DataFrame
        ``[year,] region, sector, <value>, lq, focus_share, size_star, specialisation_star, focus_star,
        stars``; for each star the share of ``n_resamples`` draws in which it is awarded
        (``size_star_probability``, ``specialisation_star_probability``, ``focus_star_probability``);
        for each star and for ``stars`` the share in which it keeps its observed value
        (``size_stability``, ``specialisation_stability``, ``focus_stability``, ``stars_stability``).

    Examples
    --------
    >>> df = pd.DataFrame({"region": ["a", "a", "b", "b", "c", "c"], "sector": ["wine", "other"] * 3,
    ...                    "employment": [300, 100, 100, 500, 50, 450], "establishments": [12, 8, 3, 20, 2, 15]})
    >>> eco_stars(df, year=None, seed=1)[["region", "sector", "lq", "stars"]].round(3)
      region sector     lq  stars
    0      a   wine  2.500      3
    1      a  other  0.357      0
    2      b   wine  0.556      0
    3      b  other  1.190      1
    4      c   wine  0.333      0
    5      c  other  1.286      1
    """
    q_size = 1.0 - _check_pct(size_top, "size_top")
    q_focus = 1.0 - _check_pct(focus_top, "focus_top")
    if not isinstance(lq_min, (int, float)) or lq_min < 0:
        raise DataContractError(f"lq_min must be a non-negative number, got {lq_min!r}")
    n_resamples = check_count(n_resamples, "n_resamples")
    setup = _lq_setup(df, region, sector, value, year, base, traded)

    def stars(e: np.ndarray) -> tuple[np.ndarray, ...]:
        lq, e_r = _lq_core(e, setup.g_reg, setup.g_sec, setup.g_all)[:2] if e.ndim == 1 else _row_lq(e, setup)
        lq = np.nan_to_num(lq, nan=0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.nan_to_num(e / e_r, nan=0.0)
        size = e >= _group_quantile(e, setup.g_sec, q_size)
        spec = lq >= lq_min
        focus = share >= _group_quantile(share, setup.g_sec, q_focus)
        return size, spec, focus, lq, share

    size, spec, focus, lq, share = stars(setup.e)
    total = size.astype(int) + spec + focus
    on = np.zeros((3, len(total)))
    same_total = np.zeros(len(total))
    for e_b, _ in _redraws(df, setup, value, resample, n_resamples, seed):
        b_size, b_spec, b_focus, _, _ = stars(e_b)
        on += np.stack([b_size.sum(axis=0), b_spec.sum(axis=0), b_focus.sum(axis=0)])
        same_total += ((b_size.astype(int) + b_spec + b_focus) == total).sum(axis=0)
    out = setup.table[list(setup.keys)].copy()
    out[value] = setup.e
    out["lq"] = lq
    out["focus_share"] = share
    out["size_star"] = size
    out["specialisation_star"] = spec
    out["focus_star"] = focus
    out["stars"] = total
    for i, (name, observed) in enumerate([("size", size), ("specialisation", spec), ("focus", focus)]):
        out[f"{name}_star_probability"] = on[i] / n_resamples
        out[f"{name}_stability"] = np.where(observed, on[i], n_resamples - on[i]) / n_resamples
    out["stars_stability"] = same_total / n_resamples
    return out.reset_index(drop=True)


__all__ = ["eco_stars", "strong_clusters"]
