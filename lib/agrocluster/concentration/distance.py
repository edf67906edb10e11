"""Distance-based concentration: Duranton–Overman K-density and Marcon–Puech M with global envelopes.

Written by hand: no maintained Python library computes Kd or M (dbmss is R-only; pointpats has Ripley's
K/L/G/F only). Conventions follow Duranton & Overman (2005, REStud 72(4)) and dbmss (Marcon, Traissac &
Lang, JSS 2015): sites are all establishments of the table, the null is random location of the sector's
establishments among those sites, and confidence bands are global (DO 2005 section 4).

Distances are great-circle (haversine on a sphere of radius 6371.0088 km, the IUGG mean Earth radius)
from ``lat``/``lon`` in degrees, or any symmetric distance matrix (road km, travel minutes) aligned with
the rows of ``points``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from agrocluster.concentration._checks import (
    check_count,
    check_level,
    require_frame,
    require_keys,
    require_nonnegative,
    row_labels,
)
from agrocluster.errors import DataContractError, EstimationError
from agrocluster.geo import EARTH_RADIUS_KM, km_of_chord, unit_vectors
from agrocluster.results import NothingExcluded, ResultProtocol, indicator_tidy

_BLOCK = 1024


@lru_cache(maxsize=8)
@lru_cache(maxsize=8)
def _triu(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the unordered pairs ``i < j`` of ``n`` sites (row-major; cached, read-only)."""
    rows, cols = np.triu_indices(n, 1)
    rows.flags.writeable = cols.flags.writeable = False
    return rows, cols


@lru_cache(maxsize=8)
def _triu_flat(n: int) -> np.ndarray:
    """The pairs of :func:`_triu` as positions in a flattened ``n × n`` matrix (cached, read-only)."""
    rows, cols = _triu(n)
    flat = rows * n + cols
    flat.flags.writeable = False
    return flat


class _Sites:
    """Pairwise distances between the establishment sites, from coordinates or a given matrix."""

    def __init__(self, points: pd.DataFrame, lat: str, lon: str, distances, id_col: str) -> None:
        self.n = len(points)
        if distances is None:
            require_frame(points, "points", [lat, lon])
            la = pd.to_numeric(points[lat], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
            lo = pd.to_numeric(points[lon], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
            bad = ~(np.isfinite(la) & np.isfinite(lo))
            if bad.any():
                raise DataContractError(
                    f"points have missing coordinates ('{lat}'/'{lon}') in {row_labels(points, bad, id_col)}"
                )
            out = (np.abs(la) > 90) | (np.abs(lo) > 180)
            if out.any():
                raise DataContractError(
                    f"points have coordinates outside [-90, 90] x [-180, 180] degrees in {row_labels(points, out, id_col)}"
                )
            self.u = unit_vectors(la, lo)
            self.d = None
        else:
            d = np.asarray(distances, dtype="float64")
            if d.shape != (self.n, self.n):
                raise DataContractError(
                    f"distances must be a {self.n} x {self.n} matrix aligned with the rows of points, got shape {d.shape}"
                )
            if not np.isfinite(d).all() or (d < 0).any():
                raise DataContractError("distances must be finite and non-negative")
            if not np.allclose(d, d.T, rtol=1e-9, atol=1e-9):
                raise DataContractError(
                    "distances is not symmetric; Kd and M use unordered pairs: symmetrise it first, e.g. (D + D.T) / 2"
                )
            self.u = None
            self.d = d

    def block(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Distances between sites ``rows`` and ``cols`` (a dense block)."""
        if self.d is not None:
            return self.d[np.ix_(rows, cols)]
        chord2 = np.clip(2.0 - 2.0 * (self.u[rows] @ self.u[cols].T), 0.0, 4.0)
        return km_of_chord(np.sqrt(chord2))

    def pairs(self, idx: np.ndarray) -> np.ndarray:
        """Distances of all unordered pairs within ``idx`` (condensed, i < j)."""
        if self.d is not None:
            iu = _triu(len(idx))
            return self.d[idx[iu[0]], idx[iu[1]]]
        u = self.u[idx]
        chord2 = np.take(u @ u.T, _triu_flat(len(idx)))  # the dot products of the pairs, then 2 - 2·dot
        chord2 *= 2.0
        np.subtract(2.0, chord2, out=chord2)
        np.clip(chord2, 0.0, 4.0, out=chord2)
        return km_of_chord(np.sqrt(chord2, out=chord2))

    def median_pair_distance(self) -> float:
        """Median of the distances between all pairs of sites (DO 2005's default range, 180 km in the UK)."""
        everything = np.arange(self.n)
        parts = []
        for start in range(0, self.n, _BLOCK):
            rows = everything[start : start + _BLOCK]
            blk = self.block(rows, everything[start:]).astype("float32")
            parts.append(blk[np.triu(np.ones(blk.shape, dtype=bool), 1)])
        return float(np.median(np.concatenate(parts)))


def _prepare(points, sector, sector_col, lat, lon, distances, weights, id_col):
    """Validated sites, the sector's row positions and the weight of every row."""
    require_frame(points, "points", [sector_col] + ([weights] if weights is not None else []))
    if "year" in points.columns and points["year"].nunique(dropna=True) > 1:
        raise DataContractError(
            f"points hold {points['year'].nunique()} years in 'year'; distance-based indices need one "
            "cross-section: filter one year first"
        )
    require_keys(points, "points", [sector_col], id_col)
    idx = np.flatnonzero((points[sector_col] == sector).to_numpy())
    if len(idx) == 0:
        raise DataContractError(f"empty sector: no point has {sector_col}={sector!r}")
    if len(idx) < 2:
        raise EstimationError(
            f"sector {sector!r} has a single establishment: no pair distance, Kd/M undefined"
        )
    if len(idx) == len(points):
        raise EstimationError(
            f"every site belongs to sector {sector!r}: random relocation among the same sites cannot differ "
            "from the observed pattern; add the other establishments as sites"
        )
    w = np.ones(len(points)) if weights is None else require_nonnegative(points, "points", weights, id_col)
    if weights is not None and np.count_nonzero(w[idx]) < 2:
        raise EstimationError(
            f"sector {sector!r} has fewer than two establishments with positive '{weights}'"
        )
    sites = _Sites(points, lat, lon, distances, id_col)
    return sites, idx, w


def silverman_bandwidth(d: np.ndarray) -> float:
    """Silverman's (1986, eq. 3.31) rule of thumb, R's ``bw.nrd0``: ``0.9 min(sd, IQR/1.34) m^(-1/5)``.

    Examples
    --------
    >>> round(float(silverman_bandwidth(np.array([1.0, 2.0, 4.0, 8.0, 16.0]))), 3)
    2.921
    """
    sd = float(np.std(d, ddof=1)) if len(d) > 1 else 0.0
    q75, q25 = np.percentile(d, [75, 25])
    spread = min(sd, (q75 - q25) / 1.34) if q75 > q25 else sd
    return 0.9 * spread * len(d) ** (-0.2)


def _global_band(sims: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """DO (2005) global bands: the pointwise order statistic whose band is crossed *anywhere* by a
    share ``1 − level`` of the simulated curves, found separately for the upper and lower band."""
    n = sims.shape[0]
    alpha = 1.0 - level
    srt = np.sort(sims, axis=0)

    def largest(hit) -> int:
        """Largest j with hit(j) <= alpha; hit grows with j and hit(0) = 0."""
        lo, hi = 0, n - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if hit(mid) <= alpha:
                lo = mid
            else:
                hi = mid - 1
        return lo

    j_up = largest(lambda j: np.mean(np.any(sims > srt[n - 1 - j], axis=1)))
    j_lo = largest(lambda j: np.mean(np.any(sims < srt[j], axis=1)))
    return srt[j_lo], srt[n - 1 - j_up]


def _ranges(grid: np.ndarray, flag: np.ndarray) -> list[tuple[float, float]]:
    """Contiguous runs of ``flag`` on ``grid`` as (start, end) distance pairs."""
    out = []
    edges = np.diff(np.concatenate([[0], flag.astype(np.int8), [0]]))
    for s, e in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        out.append((float(grid[s]), float(grid[e - 1])))
    return out


@dataclass(frozen=True)
class KdResult(NothingExcluded, ResultProtocol):
    """Duranton–Overman K-density of one sector with its global confidence band.

    Attributes
    ----------
    sector : the sector studied.
    curve : DataFrame ``distance, kd, lo, hi`` (see :meth:`table`).
    bandwidth : Gaussian kernel bandwidth (distance units).
    max_distance : upper end of the distance range.
    n_points, n_sites : establishments of the sector and sites relocated among.
    n_draws, level, weighted : simulation settings.
    localised_ranges, dispersed_ranges : lists of (from, to) distance intervals where Kd is above the
        upper / below the lower global band.
    localised : Kd crosses the upper band somewhere (DO 2005 definition).
    dispersed : Kd crosses the lower band somewhere and is never localised (DO 2005 definition).
    localisation_index, dispersion_index : DO's Γ = ∫ max(Kd − hi, 0) and Ψ = ∫ max(lo − Kd, 0)
        (Ψ set to 0 when localised), integrated over the distance grid.
    """

    sector: str
    curve: pd.DataFrame = field(repr=False)
    bandwidth: float
    max_distance: float
    n_points: int
    n_sites: int
    n_draws: int
    level: float
    weighted: bool
    localised_ranges: list[tuple[float, float]]
    dispersed_ranges: list[tuple[float, float]]
    localised: bool
    dispersed: bool
    localisation_index: float
    dispersion_index: float

    def tidy(self) -> pd.DataFrame:
        """Duranton–Overman's localisation index Γ and dispersion index Ψ (no standard errors: the
        global confidence bands are in :meth:`table`)."""
        return indicator_tidy({"localisation_index": self.localisation_index,
                               "dispersion_index": self.dispersion_index})

    @property
    def nobs(self) -> int:
        """Establishments of the sector (``n_points``)."""
        return int(self.n_points)

    def table(self) -> pd.DataFrame:
        """The curve and its band: ``distance, kd, lo, hi``."""
        return self.curve.copy()

    def summary(self) -> pd.DataFrame:
        """One row with the headline numbers."""
        fmt = "; ".join(f"{a:.1f}–{b:.1f}" for a, b in self.localised_ranges) or "none"
        dfmt = "; ".join(f"{a:.1f}–{b:.1f}" for a, b in self.dispersed_ranges) or "none"
        return pd.DataFrame(
            {
                "sector": [self.sector],
                "n_points": [self.n_points],
                "bandwidth": [self.bandwidth],
                "max_distance": [self.max_distance],
                "localised": [self.localised],
                "localised_ranges": [fmt],
                "dispersed": [self.dispersed],
                "dispersed_ranges": [dfmt],
                "localisation_index": [self.localisation_index],
                "dispersion_index": [self.dispersion_index],
            }
        )


def kdensity(
    points: pd.DataFrame,
    sector: str,
    *,
    sector_col: str = "sector",
    lat: str = "lat",
    lon: str = "lon",
    distances=None,
    weights: str | None = None,
    pair_weight: str = "product",
    bandwidth: float | None = None,
    max_distance: float | None = None,
    n_grid: int = 201,
    n_draws: int = 1000,
    level: float = 0.95,
    seed: int | None = None,
    id_col: str = "firm_id",
) -> KdResult:
    """Duranton–Overman (2005) K-density of ``sector`` with DO global confidence bands.

    ``Kd(d) = 1 / (h Σ_{i<j} ω_ij) Σ_{i<j} ω_ij [φ((d − d_ij)/h) + φ((d + d_ij)/h)]`` over pairs of
    the sector's establishments, with ``φ`` the standard normal density, reflection at 0 (Silverman
    1986, as DO 2005), ``h`` Silverman's rule of thumb on the observed pair distances (R ``bw.nrd0``, as
    dbmss ``Kdhat``) and pair weights ``ω_ij = 1`` (count Kd). With employment ``weights``:
    ``pair_weight="product"`` (default) ``ω_ij = w_i w_j``, the convention of dbmss ``Kdhat`` with
    weights (its ``Kemp``); ``pair_weight="sum"`` ``ω_ij = w_i + w_j``, Duranton & Overman's (2005, eq. 4)
    employment-weighted ``K_emp``, for users who reproduce DO. Evaluated on
    ``n_grid`` points from 0 to ``max_distance`` (default: the median distance between all sites, as DO
    2005's 180 km).

    Approximation: pair distances are binned in bins of width ``min(h/10, range/20000)`` before smoothing
    (binned kernel estimation, Wand & Jones 1995 ch. 3), which moves each distance by at most ``h/20``;
    the smoothing is then one matrix product for all draws, which makes 1,000 draws on thousands of
    establishments feasible. Pairs beyond the evaluated range still count in the normalisation.

    Null and bands: each of ``n_draws`` (1,000 as DO) draws relocates the sector's establishments, keeping
    their weights, on sites drawn without replacement from all sites of ``points`` (dbmss
    ``RandomLocation``); the same ``h`` is used for every draw. The upper global band is the pointwise
    order statistic chosen so that a share ``1 − level`` of simulated curves cross it somewhere in the
    range, and likewise the lower band (DO 2005 sec. 4: 5% each with ``level=0.95``).

    Parameters
    ----------
    points : DataFrame
        One cross-section of establishments (all sectors): the sites.
    sector : str
        The sector code studied (value of ``sector_col``).
    distances : array-like, optional
        Symmetric ``n × n`` distance matrix aligned with the rows of ``points`` (road km, travel time);
        replaces ``lat``/``lon``.
    weights : str, optional
        Column of employment weights.
    pair_weight : {"product", "sum"}
        How two establishments' weights weight their pair (see above); unused without ``weights``.
    seed : int, optional
        Seed of ``numpy.random.default_rng``.

    Raises
    ------
    DataContractError
        Missing columns, missing/out-of-range coordinates (rows named), bad distance matrix, several years.
    EstimationError
        A sector with a single establishment, or every site in the sector, or zero bandwidth.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> points = pd.DataFrame({"sector": ["wine"] * 20 + ["other"] * 40,
    ...                        "lat": np.r_[rng.normal(-35, 0.05, 20), rng.uniform(-36, -34, 40)],
    ...                        "lon": np.r_[rng.normal(-71, 0.05, 20), rng.uniform(-72, -70, 40)]})
    >>> res = kdensity(points, "wine", n_draws=49, seed=1)
    >>> res.localised, res.nobs
    (True, 20)
    """
    n_grid = check_count(n_grid, "n_grid", 2)
    n_draws = check_count(n_draws, "n_draws", 19)
    level = check_level(level)
    sites, idx, w = _prepare(points, sector, sector_col, lat, lon, distances, weights, id_col)
    n = len(idx)
    iu = _triu(n)
    w_sec = w[idx]
    if pair_weight not in ("product", "sum"):
        raise DataContractError(f"pair_weight must be 'product' (dbmss Kemp) or 'sum' (DO 2005), got {pair_weight!r}")
    combine = np.multiply if pair_weight == "product" else np.add
    pair_w = None if weights is None else combine.outer(w_sec, w_sec)[iu]
    d_obs = sites.pairs(idx)
    h = silverman_bandwidth(d_obs) if bandwidth is None else float(bandwidth)
    if not np.isfinite(h) or h <= 0:
        raise EstimationError(
            f"bandwidth is {h!r} for sector {sector!r}: its establishments are (nearly) all at the same "
            "distance; pass bandwidth= explicitly"
        )
    dmax = sites.median_pair_distance() if max_distance is None else float(max_distance)
    if not np.isfinite(dmax) or dmax <= 0:
        raise EstimationError(f"max_distance must be positive, got {dmax!r}")
    grid = np.linspace(0.0, dmax, n_grid)
    upper = dmax + 5.0 * h
    width = max(h / 10.0, upper / 20000.0)
    n_bins = int(np.ceil(upper / width))
    centres = (np.arange(n_bins) + 0.5) * width
    kernel = (
        np.exp(-0.5 * ((grid[None, :] - centres[:, None]) / h) ** 2)
        + np.exp(-0.5 * ((grid[None, :] + centres[:, None]) / h) ** 2)
    ) / (h * np.sqrt(2.0 * np.pi))
    total = n * (n - 1) / 2.0 if pair_w is None else float(pair_w.sum())

    def histogram(d: np.ndarray) -> np.ndarray:
        b = (d / width).astype(np.int64)
        keep = b < n_bins
        wts = None if pair_w is None else pair_w[keep]
        return np.bincount(b[keep], weights=wts, minlength=n_bins)

    kd = histogram(d_obs) @ kernel / total
    rng = np.random.default_rng(seed)
    hists = np.empty((n_draws, n_bins))
    for b in range(n_draws):
        hists[b] = histogram(sites.pairs(rng.choice(sites.n, size=n, replace=False)))
    sims = hists @ kernel / total
    lo, hi = _global_band(sims, level)
    above, below = kd > hi, kd < lo
    step = grid[1] - grid[0]
    localised = bool(above.any())
    curve = pd.DataFrame({"distance": grid, "kd": kd, "lo": lo, "hi": hi})
    return KdResult(
        sector=sector,
        curve=curve,
        bandwidth=h,
        max_distance=dmax,
        n_points=n,
        n_sites=sites.n,
        n_draws=n_draws,
        level=level,
        weighted=weights is not None,
        localised_ranges=_ranges(grid, above),
        dispersed_ranges=_ranges(grid, below),
        localised=localised,
        dispersed=bool(below.any()) and not localised,
        localisation_index=float(np.sum(np.maximum(kd - hi, 0.0)) * step),
        dispersion_index=0.0 if localised else float(np.sum(np.maximum(lo - kd, 0.0)) * step),
    )


@dataclass(frozen=True)
class MResult(NothingExcluded, ResultProtocol):
    """Marcon–Puech M function of one sector with its global envelope.

    Attributes
    ----------
    sector : the sector studied.
    curve : DataFrame ``distance, m, lo, hi`` (see :meth:`table`).
    n_points, n_sites, n_draws, level, weighted : data and simulation settings.
    localised_ranges, dispersed_ranges : (from, to) radii where M is above / below the envelope.
    undefined_draws : number of simulated draws in which M was undefined at some radius (no sector
        establishment with a neighbour that close); those values enter the envelope as M = 0.
    """

    sector: str
    curve: pd.DataFrame = field(repr=False)
    n_points: int
    n_sites: int
    n_draws: int
    level: float
    weighted: bool
    localised_ranges: list[tuple[float, float]]
    dispersed_ranges: list[tuple[float, float]]
    undefined_draws: int

    def tidy(self) -> pd.DataFrame:
        """The largest M and the radius where it is reached (the envelope is in :meth:`table`)."""
        top = self.curve.loc[self.curve["m"].idxmax()]
        return indicator_tidy({"max_m": float(top["m"]), "at_distance": float(top["distance"])})

    @property
    def nobs(self) -> int:
        """Establishments of the sector (``n_points``)."""
        return int(self.n_points)

    def table(self) -> pd.DataFrame:
        """The curve and its envelope: ``distance, m, lo, hi``."""
        return self.curve.copy()

    def summary(self) -> pd.DataFrame:
        """One row: sector, maximum M and where, localised ranges."""
        top = self.curve.loc[self.curve["m"].idxmax()]
        return pd.DataFrame(
            {
                "sector": [self.sector],
                "n_points": [self.n_points],
                "max_m": [float(top["m"])],
                "at_distance": [float(top["distance"])],
                "localised_ranges": [
                    "; ".join(f"{a:.1f}–{b:.1f}" for a, b in self.localised_ranges) or "none"
                ],
            }
        )


def m_function(
    points: pd.DataFrame,
    sector: str,
    *,
    sector_col: str = "sector",
    lat: str = "lat",
    lon: str = "lon",
    distances=None,
    weights: str | None = None,
    radii=None,
    n_draws: int = 100,
    level: float = 0.95,
    seed: int | None = None,
    id_col: str = "firm_id",
) -> MResult:
    """Marcon & Puech (2010) M function of ``sector`` with a global envelope, as dbmss ``Mhat``/``MEnvelope``.

    For each radius r, over the sector's establishments i::

        M(r) = Σ_i [W_S(i, r) / W(i, r)] / Σ_i [(W_S − w_i) / (W − w_i)]

    with ``W_S(i, r)`` the weight of the sector's *other* establishments within distance r of i, ``W(i, r)``
    that of all other establishments, ``W_S``/``W`` the totals. M = 1 under random location; M > 1 means
    the sector is relatively more present around its own establishments than in the whole area. A point
    with no neighbour within r leaves both sums at that r (its ratio is undefined).

    Null (dbmss ``RandomLocation``, ``n_draws`` = 100 as dbmss): all establishments, with their sector and
    weight, are permuted over the sites. The envelope is global, built as for :func:`kdensity`.
    Default radii: 50 values from the median nearest-neighbour distance between sites to the median
    distance between all sites. Memory is O(n_sites²) (one distance matrix).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> points = pd.DataFrame({"sector": ["wine"] * 20 + ["other"] * 40,
    ...                        "lat": np.r_[rng.normal(-35, 0.05, 20), rng.uniform(-36, -34, 40)],
    ...                        "lon": np.r_[rng.normal(-71, 0.05, 20), rng.uniform(-72, -70, 40)]})
    >>> res = m_function(points, "wine", n_draws=49, seed=1)
    >>> bool(res.tidy().set_index("term").loc["max_m", "estimate"] > 1)
    True
    """
    n_draws = check_count(n_draws, "n_draws", 19)
    level = check_level(level)
    sites, idx, w = _prepare(points, sector, sector_col, lat, lon, distances, weights, id_col)
    n_all = sites.n
    everything = np.arange(n_all)
    label = np.zeros(n_all, dtype=bool)
    label[idx] = True
    if radii is None:
        nearest = np.empty(n_all)
        for start in range(0, n_all, _BLOCK):
            rows = everything[start : start + _BLOCK]
            blk = sites.block(rows, everything)
            blk[np.arange(len(rows)), rows] = np.inf
            nearest[rows] = blk.min(axis=1)
        r_min = float(np.median(nearest))
        r_max = sites.median_pair_distance()
        if not r_max > r_min:
            raise EstimationError(f"cannot set default radii for sector {sector!r}: pass radii= explicitly")
        radii = np.linspace(r_min, r_max, 50)
    radii = np.asarray(radii, dtype="float64")
    if radii.ndim != 1 or len(radii) < 2 or not np.all(np.diff(radii) > 0) or radii[0] <= 0:
        raise DataContractError("radii must be an increasing 1-D sequence of at least two positive distances")
    n_r = len(radii)
    bins = np.empty((n_all, n_all), dtype=np.int32)
    for start in range(0, n_all, _BLOCK):
        rows = everything[start : start + _BLOCK]
        bins[rows] = np.searchsorted(radii, sites.block(rows, everything), side="left")

    def m_of(lab: np.ndarray, wt: np.ndarray) -> np.ndarray:
        s_idx = np.flatnonzero(lab)
        k = len(s_idx)
        key = (np.arange(k)[:, None] * (n_r + 1) + bins[s_idx]).ravel()
        tiled = np.tile(wt, k)
        a_all = np.bincount(key, weights=tiled, minlength=k * (n_r + 1)).reshape(k, n_r + 1)[:, :n_r]
        a_s = np.bincount(key, weights=tiled * np.tile(lab, k), minlength=k * (n_r + 1)).reshape(k, n_r + 1)[
            :, :n_r
        ]
        own = wt[s_idx][:, None]
        a_all = np.cumsum(a_all, axis=1) - own
        a_s = np.cumsum(a_s, axis=1) - own
        w_s, w_tot = wt[s_idx].sum(), wt.sum()
        ref = ((w_s - wt[s_idx]) / (w_tot - wt[s_idx]))[:, None]
        ok = a_all > 1e-12 * w_tot
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(ok, a_s / a_all, 0.0)
        den = np.sum(np.where(ok, ref, 0.0), axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sum(ratio, axis=0) / den

    m_obs = m_of(label, w)
    undefined = ~np.isfinite(m_obs)
    if undefined.any():
        raise EstimationError(
            f"M is undefined at radius {radii[undefined][0]:.4g} for sector {sector!r}: no establishment of the "
            "sector has a neighbour that close; start radii further out"
        )
    rng = np.random.default_rng(seed)
    sims = np.empty((n_draws, n_r))
    for b in range(n_draws):
        perm = rng.permutation(n_all)
        sims[b] = m_of(label[perm], w[perm])
    undefined_draws = int(np.sum(~np.isfinite(sims).all(axis=1)))
    sims = np.where(np.isfinite(sims), sims, 0.0)
    lo, hi = _global_band(sims, level)
    curve = pd.DataFrame({"distance": radii, "m": m_obs, "lo": lo, "hi": hi})
    return MResult(
        sector=sector,
        curve=curve,
        n_points=len(idx),
        n_sites=n_all,
        n_draws=n_draws,
        level=level,
        weighted=weights is not None,
        localised_ranges=_ranges(radii, m_obs > hi),
        dispersed_ranges=_ranges(radii, m_obs < lo),
        undefined_draws=undefined_draws,
    )


__all__ = ["EARTH_RADIUS_KM", "KdResult", "MResult", "kdensity", "m_function", "silverman_bandwidth"]
