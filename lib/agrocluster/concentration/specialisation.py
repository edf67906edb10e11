"""Specialisation and concentration indices on region × sector employment tables.

Conventions follow EconGeo (Balland, R) and REAT (Wieland, R) where they exist; formulas are written in
each docstring. Inputs follow the ``regional_employment`` contract (``region``, ``sector``, ``year``,
``employment``); column names are parameters. When the table holds a ``year`` column every index is
computed per year and the year is kept in the output.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse, special

from agrocluster.concentration._checks import check_count, check_level, regional_table
from agrocluster.errors import DataContractError, EstimationError
from agrocluster.results import NothingExcluded, ResultProtocol, indicator_tidy


def _describe(keys: list[str], row: pd.Series | tuple) -> str:
    values = row if isinstance(row, tuple) else tuple(row[k] for k in keys)
    return ", ".join(f"{k}={v!r}" for k, v in zip(keys, values, strict=True))


def _codes(parts: list[np.ndarray]) -> np.ndarray:
    """Integer group codes (0..k-1) of the combination of per-column integer codes ``parts``."""
    parts = [p for p in parts if p.max() > 0] or parts[:1]
    if len(parts) == 1:
        return parts[0]
    dims = [int(p.max()) + 1 for p in parts]
    return pd.factorize(np.ravel_multi_index(parts, dims))[0]


def _sector_types(
    table: pd.DataFrame, raw: pd.DataFrame, sector: str, base: str, traded: Collection[str] | str | None
) -> np.ndarray:
    """1 for rows of traded sectors, 0 otherwise (all 0 when ``base='all'``)."""
    if base == "all":
        return np.zeros(len(table), dtype=np.int64)
    if base != "traded":
        raise DataContractError(f"base must be 'all' or 'traded', got {base!r}")
    if traded is None:
        raise DataContractError(
            "base='traded' needs traded=: a set of traded sector codes or a boolean column name"
        )
    if isinstance(traded, str):
        if traded not in raw.columns:
            raise DataContractError(
                f"traded={traded!r} is not a column of the table; pass a set of sector codes or a column"
            )
        flags = raw[[sector, traded]].drop_duplicates()
        if flags[sector].duplicated().any():
            bad = flags.loc[flags[sector].duplicated(), sector].astype(str).unique()[:5]
            raise DataContractError(f"column '{traded}' is not constant within sector(s) {list(bad)}")
        if flags[traded].isna().any():
            raise DataContractError(f"column '{traded}' is missing for some sectors; it must be True/False")
        code_set = set(flags.loc[flags[traded].astype(bool), sector].astype(str))
    else:
        code_set = {str(s) for s in traded}
    is_traded = table[sector].astype(str).isin(code_set).to_numpy()
    if not is_traded.any():
        raise DataContractError("base='traded' but none of the table's sectors is in traded")
    return is_traded.astype(np.int64)


def _lq_core(
    e: np.ndarray, g_reg: np.ndarray, g_sec: np.ndarray, g_all: np.ndarray
) -> tuple[np.ndarray, ...]:
    """LQ of every cell from employment ``e`` and group codes (region-in-base, sector, base)."""
    e_r = np.bincount(g_reg, weights=e)[g_reg]
    e_s = np.bincount(g_sec, weights=e)[g_sec]
    e_tot = np.bincount(g_all, weights=e)[g_all]
    with np.errstate(divide="ignore", invalid="ignore"):
        lq = (e / e_r) / (e_s / e_tot)
    return lq, e_r, e_s, e_tot


def _onehot(groups: np.ndarray) -> sparse.csr_matrix:
    """The cells × groups indicator matrix of ``groups`` (what :func:`_group_sum` multiplies by)."""
    n = len(groups)
    return sparse.csr_matrix((np.ones(n), (np.arange(n), groups)), shape=(n, int(groups.max()) + 1))


def _group_sum(values: np.ndarray, groups: np.ndarray, onehot: sparse.csr_matrix | None = None) -> np.ndarray:
    """Sum of the columns of ``values`` (draws × cells) within ``groups``, broadcast back to the cells
    (``onehot``: :func:`_onehot` of ``groups``, when the caller sums by the same groups many times)."""
    onehot = _onehot(groups) if onehot is None else onehot
    return np.asarray((onehot.T @ values.T).T)[:, groups]


def _lq_draws(e: np.ndarray, g_reg: np.ndarray, g_sec: np.ndarray, g_all: np.ndarray) -> np.ndarray:
    """LQ of every cell in every row of ``e`` (draws × cells); NaN where a region total is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return (e / _group_sum(e, g_reg)) / (_group_sum(e, g_sec) / _group_sum(e, g_all))


@dataclass(frozen=True)
class _LQSetup:
    table: pd.DataFrame
    keys: list[str]
    e: np.ndarray
    g_reg: np.ndarray
    g_sec: np.ndarray
    g_all: np.ndarray
    lq: np.ndarray
    e_r: np.ndarray
    e_s: np.ndarray
    e_tot: np.ndarray


def _lq_setup(
    df: pd.DataFrame,
    region: str,
    sector: str,
    value: str,
    year: str | None,
    base: str,
    traded: Collection[str] | str | None,
    extra: tuple[str, ...] = (),
) -> _LQSetup:
    table, keys, fac = regional_table(df, region, sector, value, year, extra=extra)
    kind = _sector_types(table, df, sector, base, traded)
    time = [k for k in keys if k not in (region, sector)]
    t_codes = [fac[k] for k in time]
    g_reg = _codes([*t_codes, kind, fac[region]])
    g_sec = _codes([*t_codes, fac[sector]])
    g_all = _codes([*t_codes, kind])
    e = table[value].to_numpy(dtype="float64")
    lq, e_r, e_s, e_tot = _lq_core(e, g_reg, g_sec, g_all)
    zero_r = e_r == 0
    if zero_r.any():
        row = table.loc[zero_r, [*time, region]].iloc[0]
        raise EstimationError(
            f"region with zero employment ({_describe([*time, region], row)}): its LQ is 0/0; "
            f"drop the region or give it employment in column '{value}'"
        )
    zero_s = e_s == 0
    if zero_s.any():
        row = table.loc[zero_s, [*time, sector]].iloc[0]
        raise EstimationError(
            f"empty sector ({_describe([*time, sector], row)}): zero total employment in '{value}', so its LQ is 0/0"
        )
    return _LQSetup(table, keys, e, g_reg, g_sec, g_all, lq, e_r, e_s, e_tot)


def _column_quantiles(a: np.ndarray, qs: tuple[float, ...]) -> list[np.ndarray]:
    """Per-column quantiles ignoring NaN (linear interpolation, as ``np.nanquantile``), in one sort."""
    ordered = np.sort(a, axis=0)  # NaN last
    n = np.isfinite(ordered).sum(axis=0)
    out = []
    for q in qs:
        pos = q * np.maximum(n - 1, 0)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
        low = np.take_along_axis(ordered, lo[None, :], axis=0)[0]
        high = np.take_along_axis(ordered, hi[None, :], axis=0)[0]
        out.append(np.where(n > 0, low + (pos - lo) * (high - low), np.nan))
    return out


@dataclass(frozen=True)
class _Plants:
    """Establishments behind the cells of an :class:`_LQSetup`, sorted by stratum (region × year)."""

    cell: np.ndarray  # cell (row of setup.table) of every establishment
    value: np.ndarray  # its employment
    start: np.ndarray  # first position of its stratum
    size: np.ndarray  # number of establishments in its stratum


def _plants(df: pd.DataFrame, setup: _LQSetup, value: str) -> _Plants:
    """Map every establishment row of ``df`` to its cell and its region (× year) stratum."""
    keys = setup.keys
    cell = pd.MultiIndex.from_frame(setup.table[keys]).get_indexer(pd.MultiIndex.from_frame(df[keys]))
    stratum = pd.MultiIndex.from_frame(df[[k for k in keys if k != keys[-1]]]).factorize()[0]
    order = np.argsort(stratum, kind="stable")
    stratum = stratum[order]
    counts = np.bincount(stratum)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    values = pd.to_numeric(df[value]).to_numpy(dtype="float64")[order]
    return _Plants(cell[order], values, starts[stratum], counts[stratum])


def _plant_draws(plants: _Plants, n_cells: int, n_boot: int, seed: int | None, chunk_cells: int = 1_000_000):
    """Yield blocks (draws × cells) of cell employment, sum of squared plant employment and establishment
    counts, resampling establishments
    with replacement within their region (× year): draw ``b`` takes ``n_r`` establishments of region ``r``.

    Blocks of about ``chunk_cells`` plant draws keep the work arrays small (8 MB each at the default; blocks
    of 4 million draws were slower); the draws, and so the numbers, do not depend on the block size."""
    rng = np.random.default_rng(seed)
    n = len(plants.cell)
    per_chunk = max(1, chunk_cells // max(n, 1))
    square = plants.value * plants.value
    for first in range(0, n_boot, per_chunk):
        b = min(per_chunk, n_boot - first)
        u = rng.random((b, n))  # the stream does not depend on the chunking: blocks of draws, in order
        u *= plants.size
        pick = u.astype(np.int64)  # truncation is the floor: u · size >= 0
        pick += plants.start
        flat = plants.cell[pick]
        flat += (np.arange(b) * n_cells)[:, None]
        flat = flat.ravel()
        emp = np.bincount(flat, weights=plants.value[pick].ravel(), minlength=b * n_cells).reshape(b, n_cells)
        emp2 = np.bincount(flat, weights=square[pick].ravel(), minlength=b * n_cells).reshape(b, n_cells)
        count = np.bincount(flat, minlength=b * n_cells).reshape(b, n_cells).astype("float64")
        yield emp, emp2, count


def _lq_se(e: np.ndarray, e2: np.ndarray, n: np.ndarray, g_reg: np.ndarray, g_sec: np.ndarray,
           g_all: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LQ and its standard error under stratified resampling of establishments, from cell aggregates.

    ``e``, ``e2`` and ``n`` (draws × cells) are each cell's employment, sum of squared plant employment and
    number of plants; strata are the groups of ``g_reg``. The influence of plant ``i`` (employment ``v``)
    on ``LQ_rs = (A/B)/(C/D)`` is ``LQ·v·(1[i in r,s]/A − 1[i in r]/B − 1[i in s]/C + 1/D)``; its variance
    ``Σ_strata Σ_i (U_i − Ū_stratum)²`` is a sum of per-stratum moments of ``v``, so it needs no loop over
    plants: with ``U = v(c0 + c1·1[i in s])`` a stratum contributes
    ``c0² S2 + (2 c0 c1 + c1²) S2_s − (c0 S1 + c1 S1_s)² / n``.
    """
    hot = {"reg": _onehot(g_reg), "sec": _onehot(g_sec), "all": _onehot(g_all)}

    def by_reg(v: np.ndarray) -> np.ndarray:
        return _group_sum(v, g_reg, hot["reg"])

    def by_sec(v: np.ndarray) -> np.ndarray:
        return _group_sum(v, g_sec, hot["sec"])

    def by_all(v: np.ndarray) -> np.ndarray:
        return _group_sum(v, g_all, hot["all"])

    b_ = by_reg(e)
    c_ = by_sec(e)
    d_ = by_all(e)
    s2_r = by_reg(e2)
    n_r = by_reg(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        lq = (e / b_) / (c_ / d_)
        per_n = np.where(n_r > 0, 1.0 / n_r, 0.0)

        def own(c0: np.ndarray, c1: np.ndarray) -> np.ndarray:
            return c0**2 * s2_r + (2 * c0 * c1 + c1**2) * e2 - (c0 * b_ + c1 * e) ** 2 * per_n

        c0, c1 = lq / d_, -lq / c_
        rest = (c0**2 * by_all(e2) + (2 * c0 * c1 + c1**2) * by_sec(e2)
                - c0**2 * by_all(b_ * e * per_n) - 2 * c0 * c1 * by_sec(b_ * e * per_n)
                - c1**2 * by_sec(e**2 * per_n))
        # plants of the cell's own region: LQ·(1/A) = D/(B·C) stays finite when the cell is empty
        var = rest - own(c0, c1) + own(c0 - lq / b_, d_ / (b_ * c_) - lq / c_)
    return lq, np.sqrt(np.maximum(var, 0.0))


#: Cells with fewer establishments of the sector than this get the compound-Poisson interval of
#: :func:`location_quotient` (``interval="establishments"``): resampling 0–2 plants cannot show how the cell varies.
LQ_MIN_PLANTS = 3
# Largest plant count of a cell the compound-Poisson inversion sums over (its Poisson tail beyond is negligible
# for the bounds of a cell that holds at most LQ_MIN_PLANTS - 1 plants).
_MAX_PLANTS_SUMMED = 100


def _with_empty_cells(df: pd.DataFrame, region: str, sector: str, value: str, year: str | None,
                      traded: Collection[str] | str | None) -> pd.DataFrame:
    """``df``'s key and value columns plus a zero-employment row for every region × sector (× year) cell of the
    year's regions and sectors without an establishment (a cell without a plant has LQ 0, not no LQ)."""
    time = [year] if year is not None and year in df.columns else []
    keys = [*time, region, sector]
    flag = [traded] if isinstance(traded, str) and traded in df.columns else []
    regions = df[[*time, region]].drop_duplicates()
    sectors = df[[*time, sector]].drop_duplicates()
    grid = regions.merge(sectors, on=time, how="inner") if time else regions.merge(sectors, how="cross")
    grid = grid.merge(df[keys].drop_duplicates(), on=keys, how="left", indicator=True)
    empty = grid.loc[grid["_merge"] == "left_only", keys].copy()
    base = df[[*keys, value, *flag]]
    if empty.empty:
        return base
    empty[value] = 0.0
    if flag:
        empty[traded] = empty[sector].map(df.drop_duplicates(sector).set_index(sector)[traded])
    return pd.concat([base, empty], ignore_index=True)


def _compound_poisson_bounds(y: np.ndarray, group: np.ndarray, pools: dict, alpha: float, n_draws: int,
                             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Exact-tail (Garwood-type) bounds on the expected plant count ``μ`` of cells with employment ``y``.

    Cell employment is compound Poisson: ``Y = X_1 + … + X_N`` with ``N ~ Poisson(μ)`` and ``X_i`` drawn from
    ``pools[group]`` (the sector's plant sizes in the country that year). The bounds invert the tails as
    Garwood's Poisson interval does: ``μ_hi`` solves ``P_μ(Y ≤ y) = α/2`` and ``μ_lo`` solves
    ``P_μ(Y ≥ y) = α/2`` (0 when ``y = 0``), with ``P_μ(Y ≤ y) = Σ_k Pois(k; μ) P(S_k ≤ y)``.
    ``P(S_k ≤ y) = E F(y − S_{k−1})`` with ``F`` the empirical size distribution: exact for ``k ≤ 1``, else over
    ``n_draws`` resamples of ``S_{k−1}``, one set per sector (:func:`_invert_tails` finds the roots). For
    ``y = 0`` the bound is closed-form: ``P_μ(Y ≤ 0) = exp(−μ(1 − p0))`` with ``p0`` the share of plants of
    size 0, so ``μ_hi = ln(2/α) / (1 − p0)``, Garwood's bound for a zero count when sizes are positive.
    """
    k_max = _MAX_PLANTS_SUMMED
    mu_lo, mu_hi = np.zeros(len(y)), np.zeros(len(y))
    tails: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}  # width → (cells, below, above)
    for g in np.unique(group):
        pool = np.sort(pools[g])
        here = group == g
        # y = 0: P_μ(Y ≤ 0) = Σ_k Pois(k; μ) p0^k = exp(−μ(1 − p0)), p0 the share of plants of size 0
        mu_hi[here & (y <= 0)] = np.log(2.0 / alpha) / (1.0 - np.mean(pool <= 0))
        cells = np.flatnonzero(here & (y > 0))
        if cells.size == 0:
            continue
        partial = np.zeros((n_draws, k_max))
        partial[:, 1:] = np.cumsum(pool[rng.integers(0, len(pool), (n_draws, k_max - 1))], axis=1)
        # beyond the first k whose S_{k−1} exceeds every y in all draws, P(S_k ≤ y) = 0 and P(S_k ≥ y) = 1
        past = partial.min(axis=0) > y[cells].max()
        width = int(np.argmax(past)) + 1 if past.any() else k_max
        below = np.ones((cells.size, width + 1))
        above = np.zeros((cells.size, width + 1))
        step = max(1, 2_000_000 // (n_draws * width))
        for first in range(0, cells.size, step):
            part = slice(first, first + step)
            rest = y[cells[part], None, None] - partial[None, :, :width]  # the k-th plant brings S_k to ≤ (≥) y
            below[part, 1:] = np.searchsorted(pool, rest, side="right").mean(axis=1) / len(pool)
            above[part, 1:] = 1.0 - np.searchsorted(pool, rest, side="left").mean(axis=1) / len(pool)
        tails.setdefault(width, []).append((cells, below, above))
    # one bisection for all cells of the same width (rows are inverted independently: same numbers, fewer calls)
    for parts in tails.values():
        cells = np.concatenate([p[0] for p in parts])
        mu_lo[cells], mu_hi[cells] = _invert_tails(np.concatenate([p[1] for p in parts]),
                                                   np.concatenate([p[2] for p in parts]), alpha, float(k_max) / 2)
    return mu_lo, mu_hi


def _invert_tails(below: np.ndarray, above: np.ndarray, alpha: float, mu_max: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Roots in ``μ`` of ``Σ_k Pois(k; μ) below_k = α/2`` (upper bound; ``below`` falls with k) and of
    ``Σ_k Pois(k; μ) above_k = α/2`` (lower bound; ``above`` rises with k and is 1 past its last column), by
    vectorised bisection on ``[0, mu_max]``."""
    k = np.arange(below.shape[1])

    def pmf(mu: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            log_pmf = k * np.log(mu[:, None]) - mu[:, None] - special.gammaln(k + 1)
        return np.exp(np.where(mu[:, None] > 0, log_pmf, np.where(k == 0, 0.0, -np.inf)))

    n = below.shape[0]
    up = [np.zeros(n), np.full(n, mu_max)]
    low = [np.zeros(n), np.full(n, mu_max)]
    for _ in range(60):
        mid = (up[0] + up[1]) / 2  # P_μ(Y ≤ y) falls with μ
        p = pmf(mid)
        high = (p * below).sum(axis=1) > alpha / 2
        up = [np.where(high, mid, up[0]), np.where(high, up[1], mid)]
        mid = (low[0] + low[1]) / 2  # P_μ(Y ≥ y) rises with μ
        p = pmf(mid)
        short = (p * above).sum(axis=1) + np.maximum(1.0 - p.sum(axis=1), 0.0) < alpha / 2
        low = [np.where(short, mid, low[0]), np.where(short, low[1], mid)]
    return low[1], up[1]


def _small_cell_interval(setup: _LQSetup, plants: _Plants, small: np.ndarray, alpha: float, n_draws: int,
                         seed: int | None) -> tuple[np.ndarray, np.ndarray]:
    """LQ interval of the cells ``small`` (fewer than :data:`LQ_MIN_PLANTS` plants): the compound-Poisson bounds
    on the cell's expected plant count (:func:`_compound_poisson_bounds`, sizes from the sector's plants in
    the whole country that year) times the sector's mean plant size ``m_s = e_s / n_s`` give the expected cell
    employment ``x``; the LQ with the cell at ``x`` and the rest of the table as observed is
    ``LQ(x) = x (E − y + x) / ((e_r − y + x)(e_s − y + x))``."""
    cells = np.flatnonzero(small)
    sector_of_plant = setup.g_sec[plants.cell]
    groups = setup.g_sec[cells]
    pools = {g: plants.value[sector_of_plant == g] for g in np.unique(groups)}
    n_sector = np.bincount(sector_of_plant, minlength=int(setup.g_sec.max()) + 1)
    y = setup.e[cells]
    rng = np.random.default_rng(seed).spawn(1)[0]  # a stream apart from the bootstrap's
    mu_lo, mu_hi = _compound_poisson_bounds(y, groups, pools, alpha, n_draws, rng)
    mean_size = setup.e_s[cells] / n_sector[groups]
    rest = [total[cells] - y for total in (setup.e_r, setup.e_s, setup.e_tot)]

    def lq_at(x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.nan_to_num(x * (rest[2] + x) / ((rest[0] + x) * (rest[1] + x)), nan=0.0)

    at_lo, at_hi = lq_at(mu_lo * mean_size), lq_at(mu_hi * mean_size)
    return np.minimum(at_lo, at_hi), np.maximum(at_lo, at_hi)


def location_quotient(
    df: pd.DataFrame,
    region: str = "region",
    sector: str = "sector",
    value: str = "employment",
    *,
    year: str | None = "year",
    base: str = "all",
    traded: Collection[str] | str | None = None,
    interval: str | None = None,
    level: float = 0.95,
    n_boot: int = 999,
    seed: int | None = None,
) -> pd.DataFrame:
    """Location quotient of every region × sector cell.

    ``LQ_rs = (e_rs / e_r) / (e_s / e)`` with ``e_r`` the region's employment, ``e_s`` the sector's national
    employment and ``e`` national employment (EconGeo ``location_quotient``). With ``base="traded"`` the
    denominators are taken within the sector's type, as the US Cluster Mapping Project does: a traded
    sector's LQ uses the region's and the nation's *traded* employment, a local sector's uses local
    employment. ``traded`` is a collection of sector codes or the name of a boolean column of ``df``.

    Parameters
    ----------
    df : DataFrame
        ``regional_employment`` table. Duplicate region × sector (× year) rows are summed. When the
        ``year`` column is present the LQ is computed per year and the year column kept.
    region, sector, value : str
        Column names; the output uses the same names.
    interval : {None, "establishments", "poisson", "bootstrap"}
        ``"establishments"`` (use it whenever ``df`` has one row per establishment — plant, farm): a
        bootstrap that resamples establishments with replacement *within their region* (and year),
        keeping each region's number of establishments, so a draw moves whole plants with all their
        workers. The interval is bootstrap-t (studentized; Davison & Hinkley 1997, §5.2.1, as R
        ``boot.ci(type="stud")``): ``[LQ − t*_{1−α/2}·SE, LQ − t*_{α/2}·SE]`` clipped at 0, where ``t* =
        (LQ* − LQ)/SE*`` over ``n_boot`` draws (seeded) and SE is the influence-function (delta-method)
        standard error under the same stratified design, column ``lq_se``. Plant sizes are skewed, so a plain
        percentile interval undercovers (≈ 91 % at 95 % in the simulation); studentizing restores ≈ 93–94 %.
        Stratifying by region is the design of a survey that samples each region's establishments: the
        region's count is fixed, its sector mix and plant sizes are random. It covers the expected LQ
        ``(E[e_rs]/E[e_r]) / (E[e_s]/E[e])`` at close to the nominal rate when plant sizes are unequal
        (tested by simulation, ``tests/test_concentration_lq_establishments.py``), which the two
        Poisson intervals do not: they treat every *worker* as locating independently, so they are valid
        only when workers do, and are far too narrow when employment comes in plants (issue 12 measured
        26–31 % coverage).

        Cells with fewer than ``LQ_MIN_PLANTS`` (3) establishments of the sector, including cells with
        none (the output then holds every region × sector cell of the year's regions and sectors, an
        empty one with LQ 0), cannot show their variability by resampling their own 0–2 plants (the
        bootstrap gives 0–0 for an empty cell). Their interval comes from the plant-count process instead.
        Assumption: the cell's plants arrive as a Poisson count ``N ~ Poisson(μ)`` (a rare sector among a
        region's many plants; the binomial with the region's count fixed differs by O(N/n_r)) and their
        sizes are drawn from the sector's plant-size distribution in the whole country that year (no
        lognormal or other shape assumed: the empirical distribution of the sector's plants). The cell's
        employment ``Y`` is then compound Poisson, and ``μ`` is bounded by inverting its tails as
        Garwood's exact Poisson interval does (pivoting the CDF, Casella & Berger 2002 §9.2.3):
        ``μ_hi`` solves ``P_μ(Y ≤ y) = α/2``, ``μ_lo`` solves ``P_μ(Y ≥ y) = α/2`` (0 when ``y = 0``),
        with ``P_μ(Y ≤ y) = Σ_k Pois(k; μ) P(S_k ≤ y)`` and ``S_k`` the sum of ``k`` plant sizes
        (``P(S_k ≤ y)`` exact for ``k ≤ 1``, from ``n_boot`` resamples beyond). For an empty cell this is
        Garwood's bound for a zero count, ``μ_hi = ln(2/α)`` (3.69 plants at 95 %). The expected cell
        employment ``x = μ·m_s`` (``m_s = e_s/n_s``, the sector's mean plant size) gives the LQ with the
        cell at its expectation and the rest of the table as observed:
        ``LQ(x) = x (e − y + x) / ((e_r − y + x)(e_s − y + x))``, evaluated at ``μ_lo`` and ``μ_hi``. The
        LQ literature's intervals (delta, Fieller and GLM profile likelihood, Beyene & Moineddin 2005;
        Moineddin et al. 2003) treat workers as independent binomial/Poisson counts and so share the
        Poisson intervals' failure with plants; this construction keeps their exact-tail logic but counts
        plants. ``lq_se`` stays the delta-method SE (0 for an empty cell). In the coverage study
        (``agrocluster.validation.coverage``, lognormal plant sizes) cells with 0–2 plants cover ≈ 95 %.
        ``"poisson"``: exact (Garwood) Poisson interval on the cell count ``e_rs``
        holding the regional, sector and national totals fixed. ``"bootstrap"``: parametric Poisson
        bootstrap, every cell redrawn as ``Poisson(e_rs)``, all totals recomputed, percentile interval.
        Both bootstraps add ``boot_defined``, the number of draws where the LQ was defined (a draw whose
        region total is 0 leaves it undefined).
    level : float
        Confidence level of the interval.
    n_boot : int
        Bootstrap draws; 999 (the default) keeps the Monte Carlo error of a 2.5 % percentile small.
    seed : int, optional
        Seed of ``numpy.random.default_rng`` for the bootstraps.

    Returns
    -------
    DataFrame
        Columns ``[year,] region, sector, lq`` (named by the arguments), plus ``lq_lo, lq_hi`` with an
        interval (and ``boot_defined`` for the bootstraps, ``lq_se`` for ``"establishments"``). With
        ``"establishments"`` the rows are every region × sector cell of the year's regions and sectors,
        cells without an establishment included (LQ 0).

    Raises
    ------
    DataContractError
        Missing columns or keys, negative or missing values, bad options.
    EstimationError
        A region with zero employment or an empty sector (the LQ would be 0/0).

    Examples
    --------
    >>> df = pd.DataFrame({"region": ["a", "a", "b", "b", "c", "c"], "sector": ["wine", "other"] * 3,
    ...                    "employment": [30, 10, 10, 50, 5, 45]})
    >>> location_quotient(df, year=None).round(3)
      region sector     lq
    0      a   wine  2.500
    1      a  other  0.357
    2      b   wine  0.556
    3      b  other  1.190
    4      c   wine  0.333
    5      c  other  1.286
    """
    setup = _lq_setup(df, region, sector, value, year, base, traded)
    columns = {k: setup.table[k].array for k in setup.keys}
    columns["lq"] = setup.lq
    out = pd.DataFrame(columns, copy=False)
    if interval is None:
        return out
    level = check_level(level)
    alpha = 1.0 - level
    if interval == "poisson":
        # Garwood: chi2.ppf(q, 2k) / 2 is the gamma(k) quantile; computed once per distinct count
        k, inverse = np.unique(setup.e, return_inverse=True)
        lo = np.where(k > 0, special.gammaincinv(np.maximum(k, 1e-300), alpha / 2), 0.0)[inverse]
        hi = special.gammaincinv(k + 1, 1 - alpha / 2)[inverse]
        scale = setup.e_r * setup.e_s / setup.e_tot
        out["lq_lo"] = lo / scale
        out["lq_hi"] = hi / scale
    elif interval == "bootstrap":
        n_boot = check_count(n_boot, "n_boot", 2)
        rng = np.random.default_rng(seed)
        draws = _lq_draws(rng.poisson(np.broadcast_to(setup.e, (n_boot, len(setup.e)))).astype("float64"),
                          setup.g_reg, setup.g_sec, setup.g_all)
        defined = np.isfinite(draws)
        out["lq_lo"], out["lq_hi"] = _column_quantiles(np.where(defined, draws, np.nan), (alpha / 2, 1 - alpha / 2))
        out["boot_defined"] = defined.sum(axis=0)
    elif interval == "establishments":
        n_boot = check_count(n_boot, "n_boot", 2)
        full = _with_empty_cells(df, region, sector, value, year, traded)
        if len(full) > len(df):
            setup = _lq_setup(full, region, sector, value, year, base, traded)
            out = pd.DataFrame({**{k: setup.table[k].array for k in setup.keys}, "lq": setup.lq}, copy=False)
        plants = _plants(df, setup, value)
        groups = (setup.g_reg, setup.g_sec, setup.g_all)
        cells = len(setup.e)
        e2 = np.bincount(plants.cell, weights=plants.value**2, minlength=cells)
        n = np.bincount(plants.cell, minlength=cells).astype("float64")
        se = _lq_se(setup.e[None, :], e2[None, :], n[None, :], *groups)[1][0]
        t = []
        for emp, emp2, count in _plant_draws(plants, cells, n_boot, seed):
            lq_b, se_b = _lq_se(emp, emp2, count, *groups)
            with np.errstate(divide="ignore", invalid="ignore"):
                t.append(np.where(lq_b == setup.lq, 0.0, (lq_b - setup.lq) / se_b))
        t = np.concatenate(t)
        t[~np.isfinite(t)] = np.nan
        t_lo, t_hi = _column_quantiles(t, (alpha / 2, 1 - alpha / 2))
        out["lq_lo"] = np.maximum(setup.lq - t_hi * se, 0.0)
        out["lq_hi"] = setup.lq - t_lo * se
        small = n < LQ_MIN_PLANTS
        if small.any():
            lo, hi = _small_cell_interval(setup, plants, small, alpha, n_boot, seed)
            out.loc[small, "lq_lo"], out.loc[small, "lq_hi"] = lo, hi
        out["lq_se"] = se
        out["boot_defined"] = np.isfinite(t).sum(axis=0)
    else:
        raise DataContractError(
            f"interval must be None, 'establishments', 'poisson' or 'bootstrap', got {interval!r}"
        )
    return out


def _matrix(df: pd.DataFrame, region: str, sector: str, value: str, year: str | None):
    """Yield (time key dict, region × sector dense matrix) per year (or once)."""
    table, keys, _ = regional_table(df, region, sector, value, year)
    time = [k for k in keys if k not in (region, sector)]
    groups = table.groupby(time, sort=True) if time else [((), table)]
    for t, part in groups:
        mat = part.pivot_table(index=region, columns=sector, values=value, aggfunc="sum", fill_value=0.0)
        t = t if isinstance(t, tuple) else (t,)
        yield dict(zip(time, t, strict=True)), mat.astype("float64")


def _check_totals(mat: pd.DataFrame, tkey: dict, region: str, sector: str, value: str) -> None:
    e_r = mat.sum(axis=1)
    if (e_r == 0).any():
        raise EstimationError(
            f"region with zero employment ({region}={e_r.index[e_r == 0][0]!r}{_tsuffix(tkey)}) in '{value}'"
        )
    e_s = mat.sum(axis=0)
    if (e_s == 0).any():
        raise EstimationError(
            f"empty sector ({sector}={e_s.index[e_s == 0][0]!r}{_tsuffix(tkey)}): zero total employment in '{value}'"
        )


def _tsuffix(tkey: dict) -> str:
    return "".join(f", {k}={v!r}" for k, v in tkey.items())


def hoover_index(
    df: pd.DataFrame,
    region: str = "region",
    sector: str = "sector",
    value: str = "employment",
    *,
    year: str | None = "year",
) -> pd.DataFrame:
    """Hoover (1936) localisation index of every sector.

    ``Hoover_s = ½ Σ_r |e_rs / e_s − e_r / e|``: half the L1 distance between the sector's regional
    distribution and total employment's (as REAT ``hoover`` with total employment as reference). 0 when
    the sector is spread like employment, towards 1 when concentrated in a region with little employment.
    It equals the largest vertical gap between the diagonal and :func:`hoover_curve`.

    Returns a DataFrame ``[year,] sector, hoover``.

    Examples
    --------
    >>> df = pd.DataFrame({"region": ["a", "a", "b", "b", "c", "c"], "sector": ["wine", "other"] * 3,
    ...                    "employment": [30, 10, 10, 50, 5, 45]})
    >>> hoover_index(df, year=None).round(3)
      sector  hoover
    0  other   0.171
    1   wine   0.400
    """
    rows = []
    for tkey, mat in _matrix(df, region, sector, value, year):
        _check_totals(mat, tkey, region, sector, value)
        s = mat / mat.sum(axis=0)
        x = mat.sum(axis=1) / mat.to_numpy().sum()
        h = 0.5 * s.sub(x, axis=0).abs().sum(axis=0)
        rows.append(pd.DataFrame({**tkey, sector: h.index, "hoover": h.to_numpy()}))
    return pd.concat(rows, ignore_index=True)


def krugman_index(
    df: pd.DataFrame,
    region: str = "region",
    sector: str = "sector",
    value: str = "employment",
    *,
    year: str | None = "year",
    reference: str = "rest",
) -> pd.DataFrame:
    """Krugman (1991) specialisation index of every region.

    ``reference="rest"`` (default): against the rest of the country,
    ``K_r = Σ_s |e_rs / e_r − (e_s − e_rs) / (e − e_r)|``, between 0 (same structure as the other regions)
    and 2 (no sector in common) — the convention of REAT's ``krugman.spec2`` (Krugman 1991's comparison of
    a region with the others). ``reference="nation"``: against the nation *including* the region,
    ``K_r = Σ_s |e_rs / e_r − e_s / e|``, as EconGeo's ``krugman_index`` — smaller for a large region,
    which weighs in its own reference.

    Returns a DataFrame ``[year,] region, krugman``. Needs at least two regions.

    Examples
    --------
    >>> df = pd.DataFrame({"region": ["a", "a", "b", "b", "c", "c"], "sector": ["wine", "other"] * 3,
    ...                    "employment": [30, 10, 10, 50, 5, 45]})
    >>> krugman_index(df, year=None).round(3)
      region  krugman
    0      a    1.227
    1      b    0.444
    2      c    0.600
    """
    if reference not in ("rest", "nation"):
        raise DataContractError(f"reference must be 'rest' (REAT) or 'nation' (EconGeo), got {reference!r}")
    rows = []
    for tkey, mat in _matrix(df, region, sector, value, year):
        _check_totals(mat, tkey, region, sector, value)
        if mat.shape[0] < 2:
            raise EstimationError(
                f"krugman_index needs at least two regions{_tsuffix(tkey)}; found {mat.shape[0]}"
            )
        m = mat.to_numpy()
        e_r = m.sum(axis=1, keepdims=True)
        rest = m.sum(axis=0, keepdims=True) - (m if reference == "rest" else 0)
        k = np.abs(m / e_r - rest / rest.sum(axis=1, keepdims=True)).sum(axis=1)
        rows.append(pd.DataFrame({**tkey, region: mat.index, "krugman": k}))
    return pd.concat(rows, ignore_index=True)


def diversity(
    df: pd.DataFrame,
    region: str = "region",
    sector: str = "sector",
    value: str = "employment",
    *,
    year: str | None = "year",
) -> pd.DataFrame:
    """Herfindahl and entropy diversity of every region's sector mix.

    With ``p_s = e_rs / e_r``: ``herfindahl = Σ_s p_s²`` (1 = a single sector), ``entropy = −Σ_s p_s ln p_s``
    (natural log, 0·ln 0 = 0; EconGeo ``entropy`` uses the same Shannon form), ``effective_sectors =
    1 / herfindahl`` and ``n_sectors`` with positive employment.

    Returns a DataFrame ``[year,] region, herfindahl, entropy, effective_sectors, n_sectors``.

    Examples
    --------
    >>> df = pd.DataFrame({"region": ["a", "a", "b", "b", "c", "c"], "sector": ["wine", "other"] * 3,
    ...                    "employment": [30, 10, 10, 50, 5, 45]})
    >>> diversity(df, year=None).round(3)
      region  herfindahl  entropy  effective_sectors  n_sectors
    0      a       0.625    0.562              1.600          2
    1      b       0.722    0.451              1.385          2
    2      c       0.820    0.325              1.220          2
    """
    rows = []
    for tkey, mat in _matrix(df, region, sector, value, year):
        e_r = mat.sum(axis=1)
        if (e_r == 0).any():
            raise EstimationError(
                f"region with zero employment ({region}={e_r.index[e_r == 0][0]!r}{_tsuffix(tkey)}) in '{value}'"
            )
        p = mat.to_numpy() / e_r.to_numpy()[:, None]
        hhi = (p**2).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            ent = -np.where(p > 0, p * np.log(p), 0.0).sum(axis=1)
        rows.append(
            pd.DataFrame(
                {
                    **tkey,
                    region: mat.index,
                    "herfindahl": hhi,
                    "entropy": ent,
                    "effective_sectors": 1.0 / hhi,
                    "n_sectors": (p > 0).sum(axis=1),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def _curve(values: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Order, cumulative reference share and cumulative value share (ascending value/reference)."""
    order = np.lexsort((values, values / reference))
    x = np.concatenate([[0.0], np.cumsum(reference[order]) / reference.sum()])
    y = np.concatenate([[0.0], np.cumsum(values[order]) / values.sum()])
    return order, x, y


def _gini_from_curve(x: np.ndarray, y: np.ndarray) -> float:
    return float(1.0 - np.sum(np.diff(x) * (y[1:] + y[:-1])))


def gini(
    df: pd.DataFrame,
    region: str = "region",
    sector: str = "sector",
    value: str = "employment",
    *,
    year: str | None = "year",
) -> pd.DataFrame:
    """Gini coefficient of every sector's employment across regions, each region weighted equally.

    ``G = 1 − Σ_k (X_k − X_{k−1})(Y_k + Y_{k−1})`` on the Lorenz curve (regions sorted by employment,
    ``X`` cumulative share of regions, ``Y`` cumulative share of the sector's employment); equal to
    ``Σ_i Σ_j |e_i − e_j| / (2 n² ē)`` (REAT ``gini`` without the small-sample correction). Regions of the
    table where the sector is absent count with zero employment.

    Returns a DataFrame ``[year,] sector, gini``.

    Examples
    --------
    >>> df = pd.DataFrame({"region": ["a", "a", "b", "b", "c", "c"], "sector": ["wine", "other"] * 3,
    ...                    "employment": [30, 10, 10, 50, 5, 45]})
    >>> gini(df, year=None).round(3)
      sector   gini
    0  other  0.254
    1   wine  0.370
    """
    return _gini_table(df, region, sector, value, year, locational=False)


def locational_gini(
    df: pd.DataFrame,
    region: str = "region",
    sector: str = "sector",
    value: str = "employment",
    *,
    year: str | None = "year",
    scale: str = "full",
) -> pd.DataFrame:
    """Krugman (1991) locational Gini of every sector.

    The Lorenz curve of the sector's regional shares against the regions' shares of total employment,
    regions sorted by LQ ascending; ``G = 1 − Σ_k (X_k − X_{k−1})(Y_k + Y_{k−1})`` with ``X`` cumulative
    share of total employment and ``Y`` cumulative share of the sector: twice the area between the
    Lorenz curve and the diagonal, 0 when the sector is spread like employment, up to 1 (Krugman 1991,
    Appendix D; the usual Gini scale). ``scale="half"`` returns the area itself (maximum 0.5), the
    convention of EconGeo's ``locational_gini``, for users who compare with it.

    Returns a DataFrame ``[year,] sector, locational_gini``.

    Examples
    --------
    >>> df = pd.DataFrame({"region": ["a", "a", "b", "b", "c", "c"], "sector": ["wine", "other"] * 3,
    ...                    "employment": [30, 10, 10, 50, 5, 45]})
    >>> locational_gini(df, year=None).round(3)
      sector  locational_gini
    0  other            0.184
    1   wine            0.430
    """
    if scale not in ("full", "half"):
        raise DataContractError(f"scale must be 'full' (Gini scale) or 'half' (EconGeo), got {scale!r}")
    out = _gini_table(df, region, sector, value, year, locational=True)
    if scale == "half":
        out["locational_gini"] = out["locational_gini"] / 2
    return out


def _gini_table(df, region, sector, value, year, locational: bool) -> pd.DataFrame:
    rows = []
    name = "locational_gini" if locational else "gini"
    for tkey, mat in _matrix(df, region, sector, value, year):
        _check_totals(mat, tkey, region, sector, value)
        m = mat.to_numpy()
        reference = m.sum(axis=1) if locational else np.ones(m.shape[0])
        g = [_gini_from_curve(*_curve(m[:, j], reference)[1:]) for j in range(m.shape[1])]
        rows.append(pd.DataFrame({**tkey, sector: mat.columns, name: g}))
    return pd.concat(rows, ignore_index=True)


def lorenz_curve(
    df: pd.DataFrame,
    sector_code: str,
    region: str = "region",
    sector: str = "sector",
    value: str = "employment",
    *,
    reference: str = "regions",
    year: str | None = "year",
) -> pd.DataFrame:
    """Lorenz curve of one sector across regions, for plotting.

    ``reference="regions"``: regions sorted by the sector's employment, x = cumulative share of regions
    (the curve behind :func:`gini`). ``reference="employment"``: regions sorted by LQ, x = cumulative share
    of total employment (the curve behind :func:`locational_gini`, :func:`hoover_curve`).

    Returns a DataFrame ``region, cum_reference, cum_sector`` starting at the origin (first row's region
    is missing). The table must hold one year (filter it first).

    Examples
    --------
    >>> df = pd.DataFrame({"region": ["a", "a", "b", "b", "c", "c"], "sector": ["wine", "other"] * 3,
    ...                    "employment": [30, 10, 10, 50, 5, 45]})
    >>> lorenz_curve(df, "wine", year=None).round(3)
      region  cum_reference  cum_sector
    0   <NA>          0.000       0.000
    1      c          0.333       0.111
    2      b          0.667       0.333
    3      a          1.000       1.000
    """
    if reference not in ("regions", "employment"):
        raise DataContractError(f"reference must be 'regions' or 'employment', got {reference!r}")
    mats = list(_matrix(df, region, sector, value, year))
    if len(mats) > 1:
        raise DataContractError(
            f"lorenz_curve draws one year; the table holds {len(mats)} years in '{year}': filter one first"
        )
    tkey, mat = mats[0]
    if sector_code not in mat.columns:
        raise DataContractError(f"sector {sector_code!r} is not in column '{sector}'")
    _check_totals(mat, tkey, region, sector, value)
    m = mat.to_numpy()
    j = list(mat.columns).index(sector_code)
    ref = m.sum(axis=1) if reference == "employment" else np.ones(m.shape[0])
    order, x, y = _curve(m[:, j], ref)
    regions = pd.array([pd.NA, *mat.index[order].tolist()], dtype=pd.StringDtype())
    return pd.DataFrame({region: regions, "cum_reference": x, "cum_sector": y})


def hoover_curve(
    df: pd.DataFrame,
    sector_code: str,
    region: str = "region",
    sector: str = "sector",
    value: str = "employment",
    *,
    year: str | None = "year",
) -> pd.DataFrame:
    """Hoover curve of one sector (EconGeo ``hoover_curve``): its cumulative share against cumulative
    total employment, regions sorted by LQ. The largest gap to the diagonal is :func:`hoover_index`.
    Same output as :func:`lorenz_curve` with ``reference="employment"``.

    Examples
    --------
    >>> df = pd.DataFrame({"region": ["a", "a", "b", "b", "c", "c"], "sector": ["wine", "other"] * 3,
    ...                    "employment": [30, 10, 10, 50, 5, 45]})
    >>> hoover_curve(df, "wine", year=None).round(3)
      region  cum_reference  cum_sector
    0   <NA>          0.000       0.000
    1      c          0.333       0.111
    2      b          0.733       0.333
    3      a          1.000       1.000
    """
    return lorenz_curve(df, sector_code, region, sector, value, reference="employment", year=year)


@dataclass(frozen=True)
class ShiftShareResult(NothingExcluded, ResultProtocol):
    """Shift-share decomposition of one region's employment change between two years.

    Attributes
    ----------
    region_code, start, end : the region and years decomposed.
    change : total employment change of the region (sum over sectors).
    national_growth, industry_mix, competitive : the three components (sum over sectors); they add up
        to ``change``.
    by_sector : DataFrame, one row per sector (see :meth:`table`).
    """

    region_code: str
    start: int
    end: int
    change: float
    national_growth: float
    industry_mix: float
    competitive: float
    by_sector: pd.DataFrame

    def tidy(self) -> pd.DataFrame:
        """The change and its three components, in jobs (an accounting identity: no standard errors)."""
        return indicator_tidy({"change": self.change, "national_growth": self.national_growth,
                               "industry_mix": self.industry_mix, "competitive": self.competitive})

    @property
    def nobs(self) -> int:
        """Sectors of the region decomposed."""
        return len(self.by_sector)

    def table(self) -> pd.DataFrame:
        """Per sector: ``sector, employment_start, employment_end, change, national_growth, industry_mix,
        competitive``."""
        return self.by_sector.copy()

    def summary(self) -> pd.DataFrame:
        """The region's totals as a one-column frame (component → jobs)."""
        return pd.DataFrame(
            {
                "jobs": [self.change, self.national_growth, self.industry_mix, self.competitive],
            },
            index=pd.Index(["change", "national_growth", "industry_mix", "competitive"], name="component"),
        )


def shift_share(
    df: pd.DataFrame,
    region_code: str,
    start: int,
    end: int,
    region: str = "region",
    sector: str = "sector",
    value: str = "employment",
    *,
    year: str = "year",
) -> ShiftShareResult:
    """Classic (Dunn 1960) shift-share of a region's employment change between ``start`` and ``end``.

    For each sector ``s`` of the region, with national growth ``g = E¹/E⁰ − 1`` and sector growth
    ``g_s = E_s¹/E_s⁰ − 1`` (national totals include the region, as REAT ``shift``):

    - national growth ``NS = e⁰_rs · g``
    - industry mix ``IM = e⁰_rs · (g_s − g)``
    - regional competitive effect ``RS = e¹_rs − e⁰_rs · (1 + g_s)``

    so ``NS + IM + RS = e¹_rs − e⁰_rs``. A sector absent from the region in a year counts as zero there.

    Raises EstimationError when the region or a sector has no national employment in ``start``.

    Examples
    --------
    >>> df = pd.DataFrame({"region": ["a", "a", "b", "b"] * 2, "sector": ["wine", "other"] * 4,
    ...                    "year": [2010] * 4 + [2020] * 4, "employment": [30, 10, 10, 50, 45, 10, 12, 60]})
    >>> res = shift_share(df, "a", 2010, 2020)
    >>> res.summary()
                          jobs
    component                 
    change           15.000000
    national_growth  10.800000
    industry_mix      3.616667
    competitive       0.583333
    >>> res.nobs
    2
    """
    table, keys, _ = regional_table(df, region, sector, value, year)
    if year not in keys:
        raise DataContractError(f"shift_share needs the year column '{year}' in the table")
    years = set(table[year].tolist())
    for y in (start, end):
        if y not in years:
            raise DataContractError(
                f"year {y!r} is not in column '{year}' (years present: {sorted(years)[:10]})"
            )
    if region_code not in set(table[region].tolist()):
        raise DataContractError(f"region {region_code!r} is not in column '{region}'")
    nat = table.pivot_table(index=sector, columns=year, values=value, aggfunc="sum", fill_value=0.0)
    reg = table[table[region] == region_code].pivot_table(
        index=sector, columns=year, values=value, aggfunc="sum", fill_value=0.0
    )
    reg = reg.reindex(columns=[start, end], fill_value=0.0)
    reg = reg[(reg[start] > 0) | (reg[end] > 0)]
    if len(reg) == 0:
        raise EstimationError(f"region {region_code!r} has zero employment in both {start} and {end}")
    e0, e1 = reg[start].to_numpy(), reg[end].to_numpy()
    n_s0, n_s1 = nat.loc[reg.index, start].to_numpy(), nat.loc[reg.index, end].to_numpy()
    if (n_s0 == 0).any():
        bad = reg.index[n_s0 == 0][0]
        raise EstimationError(
            f"sector {bad!r} has zero national employment in {start}: its growth rate is undefined"
        )
    g = nat[end].sum() / nat[start].sum() - 1.0
    g_s = n_s1 / n_s0 - 1.0
    by_sector = pd.DataFrame(
        {
            sector: reg.index.to_numpy(),
            "employment_start": e0,
            "employment_end": e1,
            "change": e1 - e0,
            "national_growth": e0 * g,
            "industry_mix": e0 * (g_s - g),
            "competitive": e1 - e0 * (1.0 + g_s),
        }
    )
    return ShiftShareResult(
        region_code=region_code,
        start=start,
        end=end,
        change=float(by_sector["change"].sum()),
        national_growth=float(by_sector["national_growth"].sum()),
        industry_mix=float(by_sector["industry_mix"].sum()),
        competitive=float(by_sector["competitive"].sum()),
        by_sector=by_sector,
    )


__all__ = [
    "ShiftShareResult",
    "diversity",
    "gini",
    "hoover_curve",
    "hoover_index",
    "krugman_index",
    "location_quotient",
    "locational_gini",
    "lorenz_curve",
    "shift_share",
]
