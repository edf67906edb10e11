"""Agglomeration economies: localisation, urbanisation and diversity elasticities.

Two layers, both pure functions of DataFrames and options (no I/O, no plotting, no printing):

1. **Measures** built from an ``establishments`` table (one row per ``firm_id`` × ``year``):
   own-sector employment in the region and within distance bands around each establishment
   (:func:`localisation_measures`), total employment density or total employment within a radius
   (:func:`urbanisation_measures`), Jacobs diversity (:func:`diversity_measures`), Harris market access
   (:func:`market_access`) and the number of exporters nearby (:func:`exporters_nearby`);
   :func:`agglomeration_measures` appends them all to the table. Every measure excludes the establishment
   itself, so a firm's own size never enters its own agglomeration measure.
2. **Estimation**: :func:`estimate_agglomeration` regresses log productivity or log wages on log measures
   with high-dimensional fixed effects through :func:`pyfixest.feols` (Combes & Gobillon 2015, *Handbook of
   Regional and Urban Economics* 5, ch. 5, eq. 5.1), with clustered, heteroskedasticity-robust or Conley
   (1999) spatial standard errors, a wild cluster bootstrap when regions are few, IV for the localisation
   measure, the Combes–Duranton–Gobillon (2008) sorting check (:func:`sorting_check`) and elasticities by
   distance band (:func:`distance_decay`).

Distances are great-circle (haversine) distances on a sphere of radius :data:`EARTH_RADIUS_KM`. Neighbour
searches work on 3-D unit-sphere coordinates: a great-circle distance ``d`` is the chord ``2 sin(d / 2R)``,
which is monotone in ``d``, so comparing chords selects exactly the points within ``d``, and a chord converts
back to the haversine distance ``2R arcsin(c / 2)``. The sums over neighbours run in a small numba kernel on
a grid of cells (:func:`_neighbour_sums`; why not a cKDTree is said there).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyfixest as pf
from numba import njit, prange
from pyfixest.core.detect_singletons import detect_singletons
from scipy import stats

from agrocluster._frames import require_columns
from agrocluster.errors import DataContractError, EstimationError
from agrocluster.geo import EARTH_RADIUS_KM, chord_of_km, haversine_km, km_of_chord, unit_vectors
from agrocluster.results import ResultProtocol, exclusions, set_exclusions, tidy_frame

__all__ = [
    "DEFAULT_BANDS",
    "EARTH_RADIUS_KM",
    "FEW_CLUSTERS",
    "OUTCOMES",
    "AgglomerationResult",
    "CoreMoveGain",
    "DistanceDecayResult",
    "SortingResult",
    "SpecificationSet",
    "agglomeration_measures",
    "agglomeration_outcome",
    "agglomeration_specifications",
    "band_column",
    "conley_vcov",
    "core_move_gain",
    "distance_decay",
    "diversity_measures",
    "elasticity_sentence",
    "estimate_agglomeration",
    "estimated_log_tfp",
    "exporters_nearby",
    "haversine_km",
    "inference_options",
    "lagged_measures",
    "localisation_measures",
    "market_access",
    "sorting_check",
    "specification_table",
    "urbanisation_measures",
    "wild_cluster_bootstrap",
]

#: Mean Earth radius in km (IUGG mean radius R1 = 6371.0088 km, Moritz 2000, *Geodetic Reference System 1980*).
_R = EARTH_RADIUS_KM

#: Default distance bands in km (lower, upper]: 0–10, 10–25, 25–50 km, the rings of the agrocluster issue 5,
#: in the spirit of the concentric rings of Rosenthal & Strange (2003, *REStat* 85(2)).
DEFAULT_BANDS: tuple[tuple[float, float], ...] = ((0.0, 10.0), (10.0, 25.0), (25.0, 50.0))

_VCOV_TYPES = ("CRV1", "hetero", "iid", "conley")
_KERNELS = ("uniform", "bartlett")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Webb (2014) six-point weights: ±sqrt(1/2), ±1, ±sqrt(3/2), each with probability 1/6.
_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
# Webb (2014) and MacKinnon & Webb (2017) recommend the six-point weights below about a dozen clusters,
# where Rademacher weights allow only 2**G distinct draws.
_WEBB_BELOW_G = 12


# --------------------------------------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------------------------------------
@njit(parallel=True, cache=True)
def _grid_sums_kernel(xyz, w, src, cell, keys, starts, ends, m, reach, lo2, hi2, lo_zero, bartlett_km, out):
    """out[p, b, c] = Σ_{q ≠ p, src[q], chord²(p, q) in band b} K(d_pq) · w[q, c], candidates from nearby cells."""
    n, nb, nc = out.shape
    hi_max = hi2.max()
    for p in prange(n):
        for dx in range(-reach, reach + 1):
            for dy in range(-reach, reach + 1):
                for dz in range(-reach, reach + 1):
                    key = ((cell[p, 0] + dx) * m + (cell[p, 1] + dy)) * m + (cell[p, 2] + dz)
                    k = np.searchsorted(keys, key)
                    if k >= keys.size or keys[k] != key:
                        continue
                    for q in range(starts[k], ends[k]):
                        if q == p or not src[q]:
                            continue
                        d2 = (
                            (xyz[p, 0] - xyz[q, 0]) ** 2
                            + (xyz[p, 1] - xyz[q, 1]) ** 2
                            + (xyz[p, 2] - xyz[q, 2]) ** 2
                        )
                        if d2 > hi_max:
                            continue
                        kern = 1.0
                        if bartlett_km > 0:
                            kern = 1.0 - 2.0 * _R * np.arcsin(min(np.sqrt(d2) / 2.0, 1.0)) / bartlett_km
                        for b in range(nb):
                            if d2 <= hi2[b] and (lo_zero[b] or d2 > lo2[b]):
                                for c in range(nc):
                                    out[p, b, c] += kern * w[q, c]


def _neighbour_sums(
    xyz: np.ndarray,
    w: np.ndarray,
    bands: Sequence[tuple[float, float]],
    src: np.ndarray | None = None,
    bartlett_km: float = 0.0,
) -> np.ndarray:
    """For each point p, Σ over OTHER points q (``src[q]`` True) with ``lo < d_pq <= hi`` of ``K(d_pq) w[q]``.

    Returns an array (n, n_bands, n_weight_columns). A band with ``lo == 0`` also holds ``d == 0`` (other
    points at the same coordinates). ``K`` is 1, or the Bartlett weight ``1 − d/bartlett_km`` when
    ``bartlett_km > 0``. Distances are compared as chords on the unit sphere (``2 sin(d / 2R)``, monotone in
    the great-circle distance d), so no trigonometry is needed per pair.

    Written by hand (a uniform grid of cells over the 3-D unit-sphere coordinates, compiled with numba,
    parallel over points) because every maintained neighbour search materialises the pairs:
    ``cKDTree.sparse_distance_matrix`` took 144 s for 100k establishments with ≈ 150M own-sector pairs
    within 50 km (benchmarks/agglomeration.py), the compiled grid sums weights without storing any pair.
    """
    xyz = np.ascontiguousarray(xyz, dtype=float)
    w = np.asarray(w, dtype=float)
    w = np.ascontiguousarray(w.reshape(len(xyz), -1))
    n = len(xyz)
    out = np.zeros((n, len(bands), w.shape[1]))
    if n < 2:
        return out
    lo2 = np.array([chord_of_km(lo) ** 2 for lo, _ in bands])
    hi2 = np.array([chord_of_km(hi) ** 2 for _, hi in bands])
    rmax = float(np.sqrt(hi2.max()))
    h = max(rmax / 2.0, 1e-5)  # cell side (chord units); the floor keeps cell keys inside int64
    reach = int(np.ceil(rmax / h))
    ijk = np.floor(xyz / h).astype(np.int64)
    ijk -= ijk.min(axis=0) - reach
    m = int(ijk.max()) + reach + 1
    key = (ijk[:, 0] * m + ijk[:, 1]) * m + ijk[:, 2]
    order = np.argsort(key, kind="stable")
    keys, starts, counts = np.unique(key[order], return_index=True, return_counts=True)
    src = np.ones(n, dtype=bool) if src is None else np.asarray(src, dtype=bool)
    res = np.zeros_like(out)
    _grid_sums_kernel(
        xyz[order],
        w[order],
        src[order],
        np.ascontiguousarray(ijk[order]),
        keys,
        starts,
        starts + counts,
        m,
        reach,
        lo2,
        hi2,
        np.array([lo == 0 for lo, _ in bands]),
        float(bartlett_km),
        res,
    )
    out[order] = res
    return out


def band_column(lower_km: float, upper_km: float, prefix: str = "loc_emp") -> str:
    """Name of the distance-band column made by :func:`localisation_measures`, e.g. ``loc_emp_0_10km``."""
    return f"{prefix}_{lower_km:g}_{upper_km:g}km".replace(".", "p")


# --------------------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------------------
def _require(df: pd.DataFrame, cols: Sequence[str], table: str = "establishments") -> None:
    """:func:`agrocluster._frames.require_columns` with the establishment table as the default name."""
    require_columns(df, cols, table)


def _numeric(df: pd.DataFrame, col: str, nonneg: bool = False, table: str = "establishments") -> np.ndarray:
    s = df[col]
    if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
        raise DataContractError(f"{table}: column '{col}' must be numeric, has dtype {s.dtype}")
    v = s.to_numpy(dtype=float, na_value=np.nan)
    if nonneg:
        bad = np.flatnonzero(v < 0)
        if bad.size:
            raise DataContractError(
                f"{table}: column '{col}' must be >= 0; {bad.size} negative row(s), first at index "
                f"{df.index[bad[0]]!r} (value {v[bad[0]]})"
            )
    return v


def _check_bands(bands) -> tuple[tuple[float, float], ...]:
    out = []
    for b in bands:
        if len(b) != 2 or not (0 <= float(b[0]) < float(b[1])):
            raise DataContractError(
                f"bands: each band must be (lower, upper) km with 0 <= lower < upper, got {b}"
            )
        out.append((float(b[0]), float(b[1])))
    if not out:
        raise DataContractError("bands: at least one distance band is needed")
    return tuple(out)


def _check_keys(est: pd.DataFrame) -> None:
    dup = est.duplicated(["firm_id", "year"])
    if dup.any():
        first = est.loc[dup, ["firm_id", "year"]].iloc[0].tolist()
        raise DataContractError(
            f"establishments: {int(dup.sum())} duplicate firm_id × year row(s), first {first}; "
            "the table must have one row per firm_id × year"
        )


def _coords(est: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    _require(est, ["lat", "lon"])
    lat, lon = _numeric(est, "lat"), _numeric(est, "lon")
    bad = np.flatnonzero(~np.isfinite(lat) | ~np.isfinite(lon) | (np.abs(lat) > 90) | (np.abs(lon) > 180))
    if bad.size:
        raise DataContractError(
            f"establishments: columns 'lat'/'lon' need finite degrees (|lat| <= 90, |lon| <= 180); "
            f"{bad.size} bad row(s), first at index {est.index[bad[0]]!r}"
        )
    return lat, lon


def _group_positions(keys: pd.DataFrame | pd.Series) -> list[np.ndarray]:
    codes = keys.groupby(list(keys.columns) if isinstance(keys, pd.DataFrame) else keys, sort=False).ngroup()
    order = np.argsort(codes.to_numpy(), kind="stable")
    cuts = np.flatnonzero(np.diff(codes.to_numpy()[order])) + 1
    return np.split(order, cuts)


# --------------------------------------------------------------------------------------------------------
# Measures
# --------------------------------------------------------------------------------------------------------
def localisation_measures(
    est: pd.DataFrame,
    bands: Sequence[tuple[float, float]] | None = DEFAULT_BANDS,
    employment: str = "labour",
) -> pd.DataFrame:
    """Own-sector agglomeration around each establishment, excluding the establishment itself.

    For establishment ``i`` of sector ``s`` in region ``r`` and year ``t``:

    - ``loc_emp_region`` = Σ_{j ≠ i, s_j = s, r_j = r, t_j = t} L_j (own-sector employment in the region);
    - ``loc_est_region`` = number of other own-sector establishments in the region that year;
    - for each band (lo, hi] in km (when ``lat``/``lon`` are present and ``bands`` is not None):
      ``loc_emp_{lo}_{hi}km`` = Σ L_j and ``loc_est_{lo}_{hi}km`` = count, over other own-sector
      establishments of the same year at haversine distance lo < d_ij <= hi (d = 0 belongs to the first
      band when lo = 0).

    These are the localisation variables of Henderson (2003, *J. Urban Econ.* 53) by region and of
    Rosenthal & Strange (2003, *REStat* 85) by distance ring. Neighbour sums per sector-year on unit-sphere
    coordinates (:func:`_neighbour_sums`); the cost grows with the number of own-sector pairs within the
    largest band, memory does not.

    Parameters
    ----------
    est : establishments table (``firm_id``, ``year``, ``region``, ``sector``, ``employment`` column;
        ``lat``/``lon`` for bands).
    bands : distance bands in km; None skips the band measures.
    employment : column with plant employment (``labour`` by the data contract), >= 0.

    Returns
    -------
    DataFrame aligned on ``est.index`` with ``firm_id``, ``year`` and the measure columns.
    """
    _require(est, ["firm_id", "year", "region", "sector", employment])
    _check_keys(est)
    emp = _numeric(est, employment, nonneg=True)
    if np.isnan(emp).any():
        raise DataContractError(
            f"establishments: column '{employment}' has {int(np.isnan(emp).sum())} missing value(s); "
            "agglomeration measures need every plant's employment"
        )
    out = est[["firm_id", "year"]].copy()
    keys = est[["region", "sector", "year"]]
    tot = pd.Series(emp, index=est.index).groupby([keys[c] for c in keys.columns]).transform("sum")
    cnt = pd.Series(1.0, index=est.index).groupby([keys[c] for c in keys.columns]).transform("sum")
    out["loc_emp_region"] = tot.to_numpy() - emp
    out["loc_est_region"] = (cnt.to_numpy() - 1).astype(int)
    if bands is not None and {"lat", "lon"} <= set(est.columns):
        bands = _check_bands(bands)
        lat, lon = _coords(est)
        xyz = unit_vectors(lat, lon)
        sums = np.zeros((len(est), len(bands), 2))
        w = np.column_stack([emp, np.ones(len(est))])
        for pos in _group_positions(est[["sector", "year"]]):
            sums[pos] = _neighbour_sums(xyz[pos], w[pos], bands)
        emp_b, est_b = sums[:, :, 0], sums[:, :, 1]
        for k, (lo, hi) in enumerate(bands):
            out[band_column(lo, hi, "loc_emp")] = emp_b[:, k]
            out[band_column(lo, hi, "loc_est")] = est_b[:, k].astype(int)
    elif bands is not None and bands != () and ({"lat", "lon"} & set(est.columns)):
        raise DataContractError("establishments: distance bands need both 'lat' and 'lon' columns")
    return out


def urbanisation_measures(
    est: pd.DataFrame,
    region_area_km2: Mapping[str, float] | pd.Series | None = None,
    radius_km: float | None = 25.0,
    employment: str = "labour",
) -> pd.DataFrame:
    """Urbanisation: total (all-sector) employment around each establishment, excluding itself.

    - ``urb_emp_region`` = Σ_{j ≠ i, r_j = r, t_j = t} L_j (total employment in the region);
    - ``urb_density`` = ``urb_emp_region`` / area_r (workers per km²), when ``region_area_km2`` is given —
      the employment density of Ciccone & Hall (1996, *AER* 86(1)) and Combes et al. (2008);
    - ``urb_emp_{radius}km`` = Σ L_j over all establishments of the same year within ``radius_km``
      (haversine), when ``lat``/``lon`` are present and ``radius_km`` is not None.

    ``region_area_km2`` maps region → area in km² (> 0); a region of the table without an area raises.
    """
    _require(est, ["firm_id", "year", "region", employment])
    _check_keys(est)
    emp = _numeric(est, employment, nonneg=True)
    if np.isnan(emp).any():
        raise DataContractError(f"establishments: column '{employment}' has missing values")
    out = est[["firm_id", "year"]].copy()
    tot = pd.Series(emp, index=est.index).groupby([est["region"], est["year"]]).transform("sum")
    out["urb_emp_region"] = tot.to_numpy() - emp
    if region_area_km2 is not None:
        area = pd.Series(region_area_km2, dtype=float)
        missing = sorted(set(est["region"].astype(str)) - set(area.index.astype(str)))
        if missing:
            raise DataContractError(f"region_area_km2: no area for region(s) {missing[:5]}")
        if (area <= 0).any() or area.isna().any():
            raise DataContractError(
                f"region_area_km2: areas must be > 0 km², got {area[~(area > 0)].to_dict()}"
            )
        a = est["region"].astype(str).map(area.set_axis(area.index.astype(str))).to_numpy(dtype=float)
        out["urb_density"] = out["urb_emp_region"].to_numpy() / a
    if radius_km is not None and {"lat", "lon"} <= set(est.columns):
        if not radius_km > 0:
            raise DataContractError(f"radius_km must be > 0, got {radius_km}")
        lat, lon = _coords(est)
        xyz = unit_vectors(lat, lon)
        col = np.zeros(len(est))
        for pos in _group_positions(est[["year"]]):
            col[pos] = _neighbour_sums(xyz[pos], emp[pos], ((0.0, float(radius_km)),))[:, 0, 0]
        out[f"urb_emp_{radius_km:g}km".replace(".", "p")] = col
    return out


def diversity_measures(est: pd.DataFrame, employment: str = "labour") -> pd.DataFrame:
    """Jacobs diversity faced by each establishment: ``div_jacobs`` = 1 / Σ_{s' ≠ s} (E_{r s'} / (E_r − E_{r s}))².

    The inverse Herfindahl index of the employment shares of the OTHER sectors s' in the establishment's
    region r and year (Combes 2000, *J. Urban Econ.* 47; Henderson 2003), so the measure does not move
    with the own sector's size. NaN where no other sector has employment in the region-year (the index is
    undefined); :func:`estimate_agglomeration` then counts those rows in ``excluded``.
    """
    _require(est, ["firm_id", "year", "region", "sector", employment])
    _check_keys(est)
    emp = _numeric(est, employment, nonneg=True)
    e = pd.DataFrame({"region": est["region"], "sector": est["sector"], "year": est["year"], "e": emp})
    rs = e.groupby(["region", "year", "sector"], sort=False)["e"].sum().rename("E_rs").reset_index()
    rs["E_r"] = rs.groupby(["region", "year"])["E_rs"].transform("sum")
    rs["sq"] = rs["E_rs"] ** 2
    rs["S2_r"] = rs.groupby(["region", "year"])["sq"].transform("sum")
    other = rs["E_r"] - rs["E_rs"]
    hhi = (rs["S2_r"] - rs["sq"]) / other**2
    rs["div_jacobs"] = np.where(other > 0, 1.0 / hhi.where(other > 0, 1.0), np.nan)
    merged = e.merge(
        rs[["region", "year", "sector", "div_jacobs"]], on=["region", "year", "sector"], how="left"
    )
    out = est[["firm_id", "year"]].copy()
    out["div_jacobs"] = merged["div_jacobs"].to_numpy()
    return out


def market_access(
    est: pd.DataFrame, employment: str = "labour", min_distance_km: float = 1.0
) -> pd.DataFrame:
    """Harris (1954) market access of each establishment: ``ma_harris`` = Σ_{r ≠ r_i} E_{r t} / d(i, c_{r t}).

    E_{rt} is total employment of region r in year t and c_{rt} its employment-weighted centroid (mean of
    the unit-sphere vectors, projected back to the sphere); d is the haversine distance from the
    establishment, floored at ``min_distance_km``. The establishment's own region is left out, since its
    employment enters the urbanisation measures; computing over regions rather than over all plants keeps the
    cost at (establishments × regions) instead of (establishments²).
    """
    _require(est, ["firm_id", "year", "region", employment])
    _check_keys(est)
    if not min_distance_km > 0:
        raise DataContractError(f"min_distance_km must be > 0, got {min_distance_km}")
    emp = _numeric(est, employment, nonneg=True)
    lat, lon = _coords(est)
    xyz = unit_vectors(lat, lon)
    out_v = np.zeros(len(est))
    regions = est["region"].astype(str).to_numpy()
    for pos in _group_positions(est[["year"]]):
        reg, inv = np.unique(regions[pos], return_inverse=True)
        e_r = np.bincount(inv, weights=emp[pos], minlength=len(reg))
        c = np.column_stack(
            [np.bincount(inv, weights=emp[pos] * xyz[pos, k], minlength=len(reg)) for k in range(3)]
        )
        # regions with no employment keep an unweighted centroid (they add zero anyway)
        cu = np.column_stack([np.bincount(inv, weights=xyz[pos, k], minlength=len(reg)) for k in range(3)])
        c = np.where((e_r > 0)[:, None], c, cu)
        c /= np.linalg.norm(c, axis=1, keepdims=True)
        for start in range(0, len(pos), 20000):  # blocks of establishments × regions keep memory bounded
            blk = slice(start, start + 20000)
            chord = np.sqrt(np.maximum(2.0 - 2.0 * xyz[pos[blk]] @ c.T, 0.0))
            contrib = e_r[None, :] / np.maximum(km_of_chord(chord), min_distance_km)
            contrib[np.arange(contrib.shape[0]), inv[blk]] = 0.0
            out_v[pos[blk]] = contrib.sum(axis=1)
    out = est[["firm_id", "year"]].copy()
    out["ma_harris"] = out_v
    return out


def exporters_nearby(est: pd.DataFrame, radius_km: float = 25.0, lag: int = 0) -> pd.DataFrame:
    """Number of OTHER exporting establishments (``exports`` > 0) within ``radius_km``, as a measure column.

    The count is :func:`agrocluster.exports.firms.nearby_exporters` (the one implementation) with
    ``lag=0`` by default here: exporters of the same year, the export-spillover measure of Koenig, Mayneris
    & Poncet (2010, *J. Urban Econ.* 68) by distance rather than by département; ``lag=1`` counts the
    exporters of the previous year (NaN in the panel's first year). Unlike the count, the measure needs
    valid coordinates for every establishment. Column ``n_exporters_{radius}km`` (``…km_lag{lag}`` when
    ``lag`` > 0).
    """
    from agrocluster.exports.firms import nearby_exporters

    _require(est, ["firm_id", "year", "exports"])
    _check_keys(est)
    if not radius_km > 0:
        raise DataContractError(f"radius_km must be > 0, got {radius_km}")
    _numeric(est, "exports", nonneg=True)
    _coords(est)
    counts = nearby_exporters(est, radius_km, lag=lag)["n_nearby_exporters"].to_numpy()
    out = est[["firm_id", "year"]].copy()
    column = f"n_exporters_{radius_km:g}km".replace(".", "p") + (f"_lag{lag}" if lag else "")
    out[column] = counts.astype(int) if lag == 0 else counts
    return out


def agglomeration_measures(
    est: pd.DataFrame,
    bands: Sequence[tuple[float, float]] | None = DEFAULT_BANDS,
    employment: str = "labour",
    region_area_km2: Mapping[str, float] | pd.Series | None = None,
    urbanisation_radius_km: float | None = 25.0,
    exporters_radius_km: float = 25.0,
) -> pd.DataFrame:
    """The establishments table with every measure that its columns allow appended (a copy).

    Always: localisation and urbanisation by region and Jacobs diversity; with ``lat``/``lon``: distance
    bands, urbanisation within a radius and Harris market access; with ``exports`` and coordinates: the
    number of exporters nearby. A measure column already in ``est`` raises rather than being overwritten.
    """
    parts = [
        localisation_measures(est, bands=bands, employment=employment),
        urbanisation_measures(est, region_area_km2, urbanisation_radius_km, employment),
        diversity_measures(est, employment),
    ]
    if {"lat", "lon"} <= set(est.columns):
        parts.append(market_access(est, employment))
        if "exports" in est.columns:
            parts.append(exporters_nearby(est, exporters_radius_km))
    out = est.copy()
    for p in parts:
        new = [c for c in p.columns if c not in ("firm_id", "year")]
        clash = [c for c in new if c in out.columns]
        if clash:
            raise DataContractError(
                f"establishments: measure column(s) {clash} already exist; drop them first"
            )
        for c in new:
            out[c] = p[c].to_numpy()
    return out


# --------------------------------------------------------------------------------------------------------
# Inference helpers (by hand where pyfixest has no implementation)
# --------------------------------------------------------------------------------------------------------
def conley_vcov(
    X: np.ndarray,
    u: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    cutoff_km: float,
    kernel: str = "uniform",
    time: np.ndarray | None = None,
    bread: np.ndarray | None = None,
    ssc: float = 1.0,
    unit: np.ndarray | None = None,
) -> np.ndarray:
    """Conley (1999, *J. Econometrics* 92) spatial HAC covariance of an OLS/2SLS estimate.

    ``V = ssc · B (Σ_i Σ_j K(d_ij) s_i s_jᵀ) B`` with scores ``s_i = x_i u_i`` (rows of the demeaned design
    or, for 2SLS, of the projected design X̂), ``B = (XᵀX)⁻¹`` unless ``bread`` is given, and kernel
    ``K(d) = 1[d <= cutoff]`` (uniform, as Stata ``acreg``/Hsiang's ``ols_spatial_HAC``) or
    ``K(d) = (1 − d/cutoff)·1[d <= cutoff]`` (Bartlett). ``d_ij`` is the haversine distance. With
    ``time`` given, only pairs in the same period are spatially correlated; without it all pairs are
    pooled. ``K(d_ii) = 1``, so with a cutoff near zero and distinct locations ``V`` is the White (HC0)
    sandwich times ``ssc``.

    Panel form (``time`` and ``unit`` given): pairs of the same unit in different periods are correlated
    too, with weight 1 at every lag — Conley (1999)'s panel HAC as Stata ``acreg`` (Colella, Lalive,
    Sakalli & Thoenig 2019) computes it with ``id()``, ``time()`` and a lag cutoff covering the panel, and
    as Hsiang's ``ols_spatial_HAC`` with ``lagcutoff`` ≥ T but a uniform (not Bartlett) time weight. The
    meat adds ``Σ_u (Σ_t s_ut)(Σ_t s_ut)ᵀ − Σ_ut s_ut s_utᵀ`` (the same-period terms are already in the
    spatial part). With ``unit=None`` errors are independent across periods (cross-section only).

    Written by hand because pyfixest 0.60 has no Conley errors (pyfixest issue #500; PRs #1318/#1373 open).
    Pairs are summed by the compiled grid of :func:`_neighbour_sums` (no pair is stored), so the cost grows
    with the number of pairs within the cutoff but memory does not.
    """
    if kernel not in _KERNELS:
        raise EstimationError(f"conley kernel must be one of {_KERNELS}, got {kernel!r}")
    if not cutoff_km > 0:
        raise EstimationError(f"conley_cutoff_km must be > 0 km, got {cutoff_km}")
    X = np.asarray(X, dtype=float)
    S = X * np.asarray(u, dtype=float).reshape(-1, 1)
    meat = S.T @ S
    xyz = unit_vectors(np.asarray(lat, float), np.asarray(lon, float))
    groups = [np.arange(len(S))] if time is None else _group_positions(pd.Series(np.asarray(time)).to_frame())
    bart = float(cutoff_km) if kernel == "bartlett" else 0.0
    for pos in groups:
        ks = _neighbour_sums(xyz[pos], S[pos], ((0.0, float(cutoff_km)),), bartlett_km=bart)[:, 0, :]
        meat += S[pos].T @ ks
    if unit is not None and time is not None:
        codes = pd.factorize(pd.Series(np.asarray(unit)))[0]
        su = np.zeros((codes.max() + 1, S.shape[1]))
        np.add.at(su, codes, S)
        meat += su.T @ su - S.T @ S
    B = np.linalg.inv(X.T @ X) if bread is None else bread
    return ssc * B @ meat @ B


def wild_cluster_bootstrap(
    X: np.ndarray,
    y: np.ndarray,
    clusters: np.ndarray,
    reps: int = 999,
    weights: str = "rademacher",
    seed: int | None = None,
    terms: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Wild cluster restricted (WCR) bootstrap p-values of H0: β_k = 0, one coefficient at a time.

    As Cameron, Gelbach & Miller (2008, *REStat* 90) and Roodman et al. (2019, *Stata J.* 19, ``boottest``):
    impose the null, ``y* = X β̃ + v_g ũ`` with restricted residuals ũ and one weight ``v_g`` per cluster
    (Rademacher ±1, or Webb's six-point), re-estimate, and compare the CRV1 t-statistics:
    ``p = mean(|t*_b| >= |t|)``. ``X`` and ``y`` are the fixed-effect-demeaned design and outcome (FWL), so
    the bootstrap runs on the within regression as ``fwildclusterboot`` does. Each replication uses the
    cluster-level algebra of Roodman et al. (β* − β̃ = A C v, with A = (XᵀX)⁻¹ and C the cluster scores of ũ),
    so the cost is O(G·k·reps), not O(n·reps). The small-sample factor cancels in the comparison.

    Written by hand because pyfixest's ``wildboottest`` needs the separate ``wildboottest`` package.
    Returns a DataFrame indexed by term position with ``t``, ``wild_p``, ``reps``, ``weights``, ``n_clusters``.
    """
    if weights not in ("rademacher", "webb"):
        raise EstimationError(f"wild bootstrap weights must be 'rademacher' or 'webb', got {weights!r}")
    if int(reps) < 99:
        raise EstimationError(f"wild_bootstrap: reps must be >= 99 for a usable p-value, got {reps}")
    X = np.asarray(X, float)
    y = np.asarray(y, float).ravel()
    codes, uniq = pd.factorize(pd.Series(clusters), sort=True)
    G = len(uniq)
    if G < 2:
        raise EstimationError("wild_bootstrap: needs at least 2 clusters; found 1")
    rng = np.random.default_rng(seed)
    if weights == "rademacher":
        V = rng.choice(np.array([-1.0, 1.0]), size=(G, int(reps)))
    else:
        V = rng.choice(_WEBB, size=(G, int(reps)))
    k = X.shape[1]
    A = np.linalg.inv(X.T @ X)
    beta = A @ (X.T @ y)
    u = y - X @ beta
    # cluster sums: H_g = X_g'X_g (G×k×k), scores of any residual vector via bincount
    H = np.zeros((G, k, k))
    np.add.at(H, codes, X[:, :, None] * X[:, None, :])

    def cscore(res: np.ndarray) -> np.ndarray:
        return np.column_stack([np.bincount(codes, weights=X[:, c] * res, minlength=G) for c in range(k)])

    sc = cscore(u)
    rows = []
    for t in range(k) if terms is None else terms:
        a = A[t]
        t_hat = beta[t] / np.sqrt(np.sum((sc @ a) ** 2))
        keep = [c for c in range(k) if c != t]
        Xr = X[:, keep]
        br = np.linalg.lstsq(Xr, y, rcond=None)[0]
        btil = np.zeros(k)
        btil[keep] = br
        ur = y - Xr @ br
        C = cscore(ur)  # G×k
        D = A @ C.T @ V  # k×reps: beta* - btil
        Q = H @ a  # G×k (a'H_g, H symmetric)
        r = C @ a  # G
        num = btil[t] + D[t]  # beta*_t
        s = -Q @ D + r[:, None] * V  # G×reps: a' score*_g
        t_star = num / np.sqrt(np.sum(s**2, axis=0))
        rows.append(
            {
                "term": t,
                "t": t_hat,
                "wild_p": float(np.mean(np.abs(t_star) >= abs(t_hat))),
                "reps": int(reps),
                "weights": weights,
                "n_clusters": G,
            }
        )
    return pd.DataFrame(rows).set_index("term")


# --------------------------------------------------------------------------------------------------------
# Estimation
# --------------------------------------------------------------------------------------------------------
@dataclass
class AgglomerationResult(ResultProtocol):
    """Agglomeration elasticities from one fixed-effects regression.

    Attributes
    ----------
    coef, se, tstat, pvalue : Series indexed by regressor (the input column names).
    ci_low, ci_high : Series, (1 − alpha) intervals from the t distribution of pyfixest (or normal for Conley).
    nobs : rows used in the regression.
    vcov_type : "CRV1(region)", "hetero", "iid" or "conley(… km, kernel, by year|pooled[ + within firm_id across years])".
    n_clusters : number of clusters (CRV1 / wild bootstrap), else None.
    excluded : DataFrame (``reason, n, unit``) of every row not used: missing values, non-positive values
        under logs (``drop_nonpositive=True``), singleton fixed-effect groups dropped by pyfixest.
    formula : the pyfixest formula on the original column names (logs written ``log(col)``).
    wild : DataFrame term → t, wild_p, reps, weights, n_clusters when ``wild_bootstrap`` was asked.
    first_stage : DataFrame of first-stage coefficients (IV), with ``first_stage_f`` (F of the excluded
        instruments) and ``first_stage_effective_f`` (Olea–Pflueger) from pyfixest.
    r2_within : within R² (None for IV or without fixed effects).
    r2 : R² with the fixed effects counted as fitted (fixest's ``r2``; None for IV). Without fixed effects the
        regression has an intercept (term ``Intercept`` of ``coef`` with its SE); with fixed effects it is
        absorbed, as in fixest, and the summary says so.
    notes : tuple of plain-language caveats (few clusters, etc.).
    """

    coef: pd.Series
    se: pd.Series
    tstat: pd.Series
    pvalue: pd.Series
    ci_low: pd.Series
    ci_high: pd.Series
    nobs: int
    vcov_type: str
    n_clusters: int | None
    excluded: pd.DataFrame
    formula: str
    outcome: str
    fe: tuple[str, ...]
    logged: bool
    alpha: float = 0.05
    wild: pd.DataFrame | None = None
    first_stage: pd.DataFrame | None = None
    first_stage_f: float | None = None
    first_stage_effective_f: float | None = None
    r2_within: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    vcov: pd.DataFrame | None = None
    r2: float | None = None

    def __post_init__(self) -> None:
        set_exclusions(self, unit="rows")

    def tidy(self) -> pd.DataFrame:
        """Elasticities with their standard errors, t statistics, p-values and (1 − alpha) intervals."""
        return tidy_frame(self.coef.index, self.coef, self.se, self.tstat, self.pvalue, self.ci_low, self.ci_high)

    def fixed_effects(self) -> tuple[str, ...]:
        return tuple(self.fe)

    def fit_statistics(self) -> dict[str, float]:
        """R² (fixed effects counted as fitted) and, with fixed effects, the within R², as fixest's etable."""
        out = {} if self.r2 is None else {"R²": float(self.r2)}
        if self.r2_within is not None:
            out["R² within"] = float(self.r2_within)
        return out

    def table(self) -> pd.DataFrame:
        """Tidy table, one row per regressor: term, coef, se, t, p, ci_low, ci_high (and wild_p)."""
        t = pd.DataFrame(
            {
                "term": self.coef.index,
                "coef": self.coef.to_numpy(),
                "se": self.se.to_numpy(),
                "t": self.tstat.to_numpy(),
                "p": self.pvalue.to_numpy(),
                "ci_low": self.ci_low.to_numpy(),
                "ci_high": self.ci_high.to_numpy(),
            }
        )
        if self.wild is not None:
            t["wild_p"] = self.wild["wild_p"].reindex(self.coef.index).to_numpy()
        t["vcov"] = self.vcov_type
        t["nobs"] = self.nobs
        return t

    def summary(self) -> pd.DataFrame:
        """Short table for a notebook: coefficient (se) per regressor plus N, FE and standard errors."""
        cells = {
            term: f"{c:.4f} ({s:.4f})" for term, c, s in zip(self.coef.index, self.coef, self.se, strict=True)
        }
        cells.update(
            {
                "N": f"{self.nobs:,}",
                **{k: f"{v:.3f}" for k, v in self.fit_statistics().items()},
                "fixed effects": " + ".join(self.fe) or "none",
                **({"intercept": "absorbed by the fixed effects"} if self.fe else {}),
                "standard errors": self.vcov_type,
            }
        )
        if self.first_stage_f is not None:
            cells["first-stage F"] = f"{self.first_stage_f:.1f}"
        return pd.Series(cells, name=f"log({self.outcome})" if self.logged else self.outcome).to_frame()


def _as_list(x, name: str) -> list[str]:
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    out = list(x)
    if not all(isinstance(c, str) for c in out):
        raise DataContractError(f"{name}: expected column name(s) as str, got {x!r}")
    return out


def _fe_columns(fe: Sequence[str]) -> list[list[str]]:
    return [f.split("^") for f in fe]


def estimate_agglomeration(
    df: pd.DataFrame,
    outcome: str,
    localisation: str | Sequence[str],
    urbanisation: str | Sequence[str] | None = None,
    diversity: str | Sequence[str] | None = None,
    controls: Sequence[str] = (),
    fe: Sequence[str] = ("firm_id", "year"),
    cluster: str | None = "region",
    *,
    other_measures: Sequence[str] = (),
    logs: bool = False,
    drop_nonpositive: bool = False,
    vcov: str = "CRV1",
    conley_cutoff_km: float | None = None,
    conley_kernel: str = "uniform",
    conley_by_time: str | None = "year",
    conley_unit: str | None = "firm_id",
    wild_bootstrap: int | None = None,
    wild_weights: str = "auto",
    iv: str | Sequence[str] | None = None,
    seed: int | None = None,
    alpha: float = 0.05,
) -> AgglomerationResult:
    """Elasticities of productivity or wages with respect to agglomeration measures, with HDFE.

    Estimates ``log y_it = Σ_m β_m log M_m,it + γ' controls_it + FE + ε_it`` by OLS (or 2SLS with ``iv``)
    through :func:`pyfixest.feols`, the standard specification of Combes & Gobillon (2015, eq. 5.1) and of
    Combes, Duranton & Gobillon (2008, *J. Urban Econ.* 63) with firm fixed effects.

    Logs. Columns enter as given by default (``logs=False``), as pyfixest/fixest, Stata and statsmodels
    formulas take them: the user logs. With ``logs=True`` the function takes logs inside: of ``outcome``, of
    every measure (``localisation``, ``urbanisation``, ``diversity``, ``other_measures`` such as
    ``ma_harris`` or ``n_exporters_25km``) and of the ``iv`` instruments; controls enter as given. Either way
    β are elasticities only when outcome and measures are in logs.
    Rows where a logged column is <= 0 are not dropped silently: a
    :class:`~agrocluster.errors.DataContractError` names the column and the count, unless
    ``drop_nonpositive=True``, which excludes them and reports them on ``result.excluded``. (Use
    ``log1p``-transformed columns with ``logs=False`` when zeros are meaningful, e.g. empty distance bands.)

    Rows with a missing (or infinite) value in any used column are excluded and counted. Singleton
    fixed-effect groups are dropped as pyfixest's ``fixef_rm="singleton"`` and ``reghdfe`` do (iteratively,
    with pyfixest's own detector); their count is in ``excluded`` too.

    Standard errors (``vcov``): ``"CRV1"`` clustered by ``cluster`` (default region, as pyfixest/fixest
    CRV1 with its small-sample factor), ``"hetero"`` (HC1), ``"iid"`` (classical, pyfixest's ``"iid"``) or
    ``"conley"`` (Conley 1999 spatial HAC with ``conley_cutoff_km``, ``conley_kernel`` "uniform"|"bartlett",
    spatial correlation within each ``conley_by_time`` period or pooled over all periods when None, and by
    default — ``conley_unit="firm_id"`` — correlation of the same unit across all periods, the panel form of
    Stata ``acreg`` (Colella et al. 2019) with ``id()``/``time()``; ``conley_unit=None`` drops correlation
    across periods, which over-rejects when errors persist within firms; needs ``lat``/``lon``; see
    :func:`conley_vcov`, written by hand because pyfixest lacks it, issue #500). With ``wild_bootstrap=reps`` the table also reports WCR
    wild cluster bootstrap p-values (:func:`wild_cluster_bootstrap`; ``wild_weights="auto"`` uses Webb
    weights below 12 clusters, Rademacher otherwise; seeded by ``seed``).

    Fit statistics as fixest's ``etable``: ``r2`` (fixed effects counted as fitted) and, with fixed effects,
    ``r2_within``; without fixed effects the intercept is a coefficient (``Intercept``, with its SE), with them
    it is absorbed (fixest reports none either) and ``summary()`` says so.

    ``iv``: instrument column(s) for the (single) localisation measure, e.g. lagged or historical density;
    estimated with pyfixest's three-part formula ``y ~ exog | fe | loc ~ z``; the result carries the
    first-stage coefficients, F and effective F.

    Raises
    ------
    DataContractError : missing or non-numeric columns, a column in two roles, non-positive values under logs.
    EstimationError : one cluster only with clustered SEs (suggests ``vcov="hetero"``/``"conley"``),
        collinear measures or measures absorbed by the fixed effects, no rows left, bad options.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"firm_id": np.repeat(np.arange(60), 4), "year": np.tile(np.arange(4), 60)})
    >>> df["region"] = df["firm_id"] % 10
    >>> df["loc"] = rng.normal(size=len(df))
    >>> df["y"] = 0.05 * df["loc"] + rng.normal(scale=0.1, size=len(df))
    >>> res = estimate_agglomeration(df, "y", "loc")
    >>> res.tidy()[["term", "estimate", "std_error"]].round(3)
      term  estimate  std_error
    0  loc     0.058       0.01
    >>> res.nobs, res.fixed_effects()
    (240, ('firm_id', 'year'))
    """
    loc = _as_list(localisation, "localisation")
    if not loc:
        raise DataContractError("localisation: at least one localisation measure column is required")
    urb = _as_list(urbanisation, "urbanisation")
    div = _as_list(diversity, "diversity")
    oth = _as_list(other_measures, "other_measures")
    ctl = _as_list(controls, "controls")
    ivz = _as_list(iv, "iv")
    fe = tuple(_as_list(fe, "fe"))
    measures = loc + urb + div + oth
    regressors = measures + ctl
    if vcov not in _VCOV_TYPES:
        raise EstimationError(f"vcov must be one of {_VCOV_TYPES}, got {vcov!r}")
    if not 0 < alpha < 1:
        raise EstimationError(f"alpha must be in (0, 1), got {alpha}")
    roles = [outcome] + regressors + ivz
    dup = sorted({c for c in roles if roles.count(c) > 1})
    if dup:
        raise DataContractError(f"column(s) {dup} used in more than one role (outcome/measure/control/iv)")
    if ivz and len(loc) != 1:
        raise EstimationError(f"iv: instruments are for exactly one localisation measure, got {loc}")
    fe_cols = sorted({c for parts in _fe_columns(fe) for c in parts})
    need_cluster = vcov == "CRV1" or wild_bootstrap is not None
    if need_cluster and not cluster:
        raise EstimationError(
            "cluster: clustered SEs and the wild bootstrap need a cluster column (e.g. 'region')"
        )
    extra = []
    if need_cluster:
        extra.append(cluster)
    if vcov == "conley":
        if conley_cutoff_km is None:
            raise EstimationError(
                "vcov='conley' needs conley_cutoff_km (distance in km beyond which errors are independent)"
            )
        if conley_kernel not in _KERNELS:
            raise EstimationError(f"conley_kernel must be one of {_KERNELS}, got {conley_kernel!r}")
        extra += ["lat", "lon"] + ([conley_by_time] if conley_by_time else [])
        extra += [conley_unit] if conley_unit and conley_by_time else []
    used = list(dict.fromkeys(roles + fe_cols + extra))
    _require(df, used, table="df")
    for c in [outcome] + regressors + ivz:
        _numeric(df, c, table="df")

    # ---- exclusions: missing values, then non-positive values under logs -------------------------------
    work = df[used]
    excluded: dict[str, int] = {}
    keep = np.ones(len(work), dtype=bool)
    numeric_cols = set([outcome] + regressors + ivz + (["lat", "lon"] if vcov == "conley" else []))
    for c in used:
        if c in numeric_cols:
            miss = keep & ~np.isfinite(work[c].to_numpy(dtype=float, na_value=np.nan))
        else:
            miss = keep & work[c].isna().to_numpy()
        if miss.any():
            excluded[f"missing or non-finite value in '{c}'"] = int(miss.sum())
            keep &= ~miss
    logged_cols = [outcome] + measures + ivz if logs else []
    for c in logged_cols:
        v = work[c].to_numpy(dtype=float, na_value=np.nan)
        bad = keep & ~(v > 0)
        if bad.any():
            if not drop_nonpositive:
                raise DataContractError(
                    f"column '{c}' has {int(bad.sum())} row(s) <= 0 (first at row {int(np.flatnonzero(bad)[0])}); "
                    "its log is undefined. Pass drop_nonpositive=True to exclude and count them, or logs=False "
                    "with your own transformation (e.g. log1p)"
                )
            excluded[f"non-positive '{c}' (log undefined)"] = int(bad.sum())
            keep &= ~bad
    if not keep.all():
        work = work.loc[keep]
    if len(work) == 0:
        rules = "; ".join(f"{reason}: {n} row(s)" for reason, n in excluded.items())
        raise EstimationError(f"no rows left after the exclusions ({rules or 'an empty frame'}); lagged measures are "
                              "missing in a panel's first years, so one year of data leaves none")
    # singleton fixed-effect groups, found here (pyfixest's own detector, same fixed point as
    # fixef_rm="singleton") so the count is exact and pyfixest never meets an empty sample
    if fe:
        ids = np.empty((len(work), len(fe)), dtype=np.int64, order="F")
        for k, parts in enumerate(_fe_columns(fe)):
            code = pd.factorize(work[parts[0]])[0].astype(np.int64)
            for part in parts[1:]:
                nxt = pd.factorize(work[part])[0]
                code = pd.factorize(code * (nxt.max() + 1) + nxt)[0].astype(np.int64)
            ids[:, k] = code
        single = detect_singletons(ids)
        n_single = int(single.sum())
        if n_single:
            excluded["singleton fixed-effect group (as pyfixest fixef_rm='singleton')"] = n_single
            if n_single == len(work):
                raise EstimationError(
                    f"every one of the {n_single} rows is alone in a group of the fixed effects {list(fe)} "
                    "(e.g. each firm observed once with firm fixed effects): nothing left to estimate"
                )
            work = work.loc[~single]
            ids = ids[~single]

    # ---- safe names for the formula ----------------------------------------------------------------------
    names: dict[str, str] = {}
    data = pd.DataFrame(index=pd.RangeIndex(len(work)))
    data["y__"] = np.log(work[outcome].to_numpy(float)) if logs else work[outcome].to_numpy(float)
    for k, c in enumerate(measures):
        data[f"m{k}__"] = np.log(work[c].to_numpy(float)) if logs else work[c].to_numpy(float)
        names[f"m{k}__"] = c
    for k, c in enumerate(ctl):
        data[f"c{k}__"] = work[c].to_numpy(float)
        names[f"c{k}__"] = c
    for k, c in enumerate(ivz):
        data[f"z{k}__"] = np.log(work[c].to_numpy(float)) if logs else work[c].to_numpy(float)
    # fixed effects and clusters go to pyfixest as integer codes (an interaction a^b as one code), which
    # spares pyfixest factorising strings again
    for k in range(len(fe)):
        data[f"fe{k}__"] = ids[:, k]
    if need_cluster:
        cl_codes, cl_values = pd.factorize(work[cluster])
        data["cl__"] = cl_codes
    inv_names = {v: k for k, v in names.items()}
    safe_reg = [inv_names[c] for c in regressors]
    fe_part = " + ".join(f"fe{k}__" for k in range(len(fe)))
    if ivz:
        endog = inv_names[loc[0]]
        exog = [s for s in safe_reg if s != endog]
        fml = f"y__ ~ {' + '.join(exog) if exog else '1'}"
        fml += f" | {fe_part}" if fe else ""
        fml += f" | {endog} ~ {' + '.join(f'z{k}__' for k in range(len(ivz)))}"
    else:
        fml = f"y__ ~ {' + '.join(safe_reg)}" + (f" | {fe_part}" if fe else "")
    lg = (lambda c: f"log({c})") if logs else (lambda c: c)
    shown = f"{lg(outcome)} ~ " + " + ".join(
        [lg(c) for c in measures if not (ivz and c == loc[0])] + ctl or ["1"]
    )
    shown += f" | {' + '.join(fe)}" if fe else ""
    shown += f" | {lg(loc[0])} ~ {' + '.join(lg(z) for z in ivz)}" if ivz else ""

    if need_cluster and len(cl_values) < 2:
        raise EstimationError(
            f"cluster '{cluster}' has a single value ({cl_values[0]!r}) in the estimation sample: "
            "clustered standard errors and the wild cluster bootstrap are impossible with one region. "
            "Use vcov='hetero' or vcov='conley' (with conley_cutoff_km), or cluster on a finer unit"
        )
    pf_vcov = {"CRV1": "cl__"} if vcov == "CRV1" else "iid" if vcov == "iid" else "hetero"

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fit = pf.feols(fml, data=data, vcov=pf_vcov, fixef_rm="none")
    if int(fit._N) != len(data):
        raise EstimationError(
            f"pyfixest dropped {len(data) - int(fit._N)} row(s) for a reason not checked here"
        )
    collin = [names.get(str(v), str(v)) for v in fit._collin_vars]
    if collin:
        raise EstimationError(
            f"regressor(s) {collin} are collinear with the other regressors or absorbed by the fixed effects "
            f"{list(fe)} (e.g. a region-level measure that never changes within firm); drop or redefine them"
        )
    coefnames = [str(c) for c in fit._coefnames]
    terms = [names.get(c, c) for c in coefnames]
    coef = pd.Series(np.asarray(fit.coef(), float), index=terms, name="coef")
    nobs = int(fit._N)
    notes: list[str] = []
    n_clusters = None
    if need_cluster:
        n_clusters = len(cl_values)
        if n_clusters < 30 and wild_bootstrap is None and vcov == "CRV1":
            notes.append(
                f"only {n_clusters} clusters: CRV1 standard errors are unreliable below about 30-50 clusters "
                "(Cameron, Gelbach & Miller 2008); set wild_bootstrap=999"
            )

    if vcov == "conley":
        kd = work
        Xd = np.asarray(fit._X, float)
        u = np.asarray(fit._u_hat, float).ravel()
        if ivz:
            Z = np.asarray(fit._Z, float)
            Xhat = Z @ np.linalg.lstsq(Z, Xd, rcond=None)[0]
            S_X, bread = Xhat, np.linalg.inv(Xhat.T @ Xhat)
        else:
            S_X, bread = Xd, np.linalg.inv(Xd.T @ Xd)
        V = conley_vcov(
            S_X,
            u,
            kd["lat"].to_numpy(float),
            kd["lon"].to_numpy(float),
            float(conley_cutoff_km),
            conley_kernel,
            None if conley_by_time is None else kd[conley_by_time].to_numpy(),
            bread=bread,
            ssc=float(np.ravel(fit._ssc)[0]),
            unit=kd[conley_unit].to_numpy() if conley_unit and conley_by_time else None,
        )
        var = np.diag(V)
        neg = [t for t, v in zip(terms, var, strict=True) if v < 0]
        if neg:
            notes.append(
                f"Conley variance of {neg} is negative (the {conley_kernel} kernel does not guarantee a positive "
                "semi-definite matrix): its SE is NaN; use conley_kernel='bartlett' or another cutoff"
            )
        se = pd.Series(np.sqrt(np.where(var >= 0, var, np.nan)), index=terms, name="se")
        tstat = coef / se
        crit = stats.norm.ppf(1 - alpha / 2)
        pvalue = pd.Series(2 * stats.norm.sf(np.abs(tstat)), index=terms)
        ci_low, ci_high = coef - crit * se, coef + crit * se
        serial = f" + within {conley_unit} across {conley_by_time}s" if conley_unit and conley_by_time else ""
        vlabel = (f"conley({float(conley_cutoff_km):g} km, {conley_kernel}, "
                  f"{'by ' + conley_by_time if conley_by_time else 'pooled'}{serial})")
    else:
        V = np.asarray(fit._vcov, float)
        se = pd.Series(np.asarray(fit.se(), float), index=terms, name="se")
        tstat = coef / se
        df_t = float(fit._df_t)
        crit = stats.t.ppf(1 - alpha / 2, df_t)
        pvalue = pd.Series(2 * stats.t.sf(np.abs(tstat), df_t), index=terms)
        ci_low, ci_high = coef - crit * se, coef + crit * se
        vlabel = f"CRV1({cluster})" if vcov == "CRV1" else vcov if vcov == "iid" else "hetero"

    wild = None
    if wild_bootstrap is not None:
        if ivz:
            raise EstimationError(
                "wild_bootstrap is implemented for OLS only (the WRE bootstrap for IV is not); drop iv"
            )
        w = wild_weights
        if w == "auto":
            w = "webb" if n_clusters < _WEBB_BELOW_G else "rademacher"
        wb = wild_cluster_bootstrap(
            fit._X, fit._Y, data["cl__"].to_numpy(), reps=int(wild_bootstrap), weights=w, seed=seed
        )
        wild = wb.set_axis([terms[i] for i in wb.index])

    first_stage = fs_f = eff_f = None
    if ivz:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit.IV_Diag()
        fs = fit._model_1st_stage.tidy()
        zn = {f"z{k}__": lg(c) for k, c in enumerate(ivz)}
        fs.index = [zn.get(str(i), lg(names[str(i)]) if str(i) in names else str(i)) for i in fs.index]
        first_stage = fs.rename(
            columns={"Estimate": "coef", "Std. Error": "se", "t value": "t", "Pr(>|t|)": "p"}
        )
        first_stage = first_stage[["coef", "se", "t", "p"]]
        fs_f, eff_f = float(fit._f_stat_1st_stage), float(fit._eff_F)
        if fs_f < 10:
            notes.append(f"weak instruments: first-stage F = {fs_f:.1f} < 10 (Staiger & Stock 1997)")

    excl = pd.DataFrame(
        {"reason": list(excluded), "n_rows": list(excluded.values())}, columns=["reason", "n_rows"]
    )
    return AgglomerationResult(
        coef=coef,
        se=se,
        tstat=tstat.rename("t"),
        pvalue=pvalue.rename("p"),
        ci_low=ci_low.rename("ci_low"),
        ci_high=ci_high.rename("ci_high"),
        nobs=nobs,
        vcov_type=vlabel,
        n_clusters=n_clusters,
        excluded=excl,
        formula=shown,
        outcome=outcome,
        fe=fe,
        logged=logs,
        alpha=alpha,
        wild=wild,
        first_stage=first_stage,
        first_stage_f=fs_f,
        first_stage_effective_f=eff_f,
        r2_within=None if ivz or not fe else float(fit._r2_within),
        notes=tuple(notes),
        vcov=pd.DataFrame(V, index=terms, columns=terms),
        r2=None if ivz else float(fit._r2),
    )


# --------------------------------------------------------------------------------------------------------
# Sorting check and distance decay
# --------------------------------------------------------------------------------------------------------
@dataclass
class SortingResult(ResultProtocol):
    """Elasticities without and with firm fixed effects (Combes, Duranton & Gobillon 2008).

    Attributes
    ----------
    pooled, within : AgglomerationResult without / with the firm fixed effect.
    sorting_share : Series by regressor, (β_pooled − β_within) / β_pooled: the share of the raw elasticity
        that firm fixed effects absorb, read as sorting of more productive firms into denser places.
    """

    pooled: AgglomerationResult
    within: AgglomerationResult
    sorting_share: pd.Series
    firm: str

    def tidy(self) -> pd.DataFrame:
        """Both fits: terms ``"<regressor> (pooled)"`` and ``"<regressor> (firm FE)"``."""
        pooled, within = self.pooled.tidy(), self.within.tidy()
        pooled["term"] = pooled["term"] + " (pooled)"
        within["term"] = within["term"] + " (firm FE)"
        return pd.concat([pooled, within], ignore_index=True)

    @property
    def nobs(self) -> int:
        """Rows of the common sample (the firm-FE fit's)."""
        return int(self.within.nobs)

    @property
    def excluded(self) -> pd.DataFrame:
        """Rows left out of the firm-FE fit (the pooled fit uses the same sample)."""
        return self.within.excluded

    def fixed_effects(self) -> tuple[str, ...]:
        return self.within.fixed_effects()

    def table(self) -> pd.DataFrame:
        """One row per regressor: coef/se pooled, coef/se with firm FE, and the sorting share."""
        return pd.DataFrame(
            {
                "term": self.pooled.coef.index,
                "coef_pooled": self.pooled.coef.to_numpy(),
                "se_pooled": self.pooled.se.to_numpy(),
                "coef_firm_fe": self.within.coef.reindex(self.pooled.coef.index).to_numpy(),
                "se_firm_fe": self.within.se.reindex(self.pooled.coef.index).to_numpy(),
                "sorting_share": self.sorting_share.to_numpy(),
            }
        )

    def summary(self) -> pd.DataFrame:
        """The two specifications side by side (coef (se)), as a notebook table."""
        a, b = self.pooled.summary(), self.within.summary()
        return pd.concat(
            [a.set_axis(["without firm FE"], axis=1), b.set_axis(["with firm FE"], axis=1)], axis=1
        )


def sorting_check(
    df: pd.DataFrame,
    outcome: str,
    localisation: str | Sequence[str],
    urbanisation: str | Sequence[str] | None = None,
    diversity: str | Sequence[str] | None = None,
    controls: Sequence[str] = (),
    fe: Sequence[str] = ("firm_id", "year"),
    cluster: str | None = "region",
    firm: str = "firm_id",
    **options,
) -> SortingResult:
    """The Combes, Duranton & Gobillon (2008, *J. Urban Econ.* 63, Table 2) sorting check.

    Estimates the same specification without the ``firm`` fixed effect (the other fixed effects in ``fe``
    kept) and with it, on the same sample (firms observed once, the singletons of the firm fixed effect, are dropped from
    both), and reports ``(β_pooled − β_firmFE) / β_pooled``. CDG find the density elasticity of wages
    falls by about half once worker effects are added. ``options`` go to :func:`estimate_agglomeration`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"firm_id": np.repeat(np.arange(60), 4), "year": np.tile(np.arange(4), 60)})
    >>> df["region"] = df["firm_id"] % 10
    >>> df["loc"] = rng.normal(size=len(df))
    >>> df["y"] = 0.05 * df["loc"] + rng.normal(scale=0.1, size=len(df))
    >>> res = sorting_check(df, "y", "loc", fe=("year", "firm_id"))
    >>> res.tidy()[["term", "estimate"]].round(3)
                term  estimate
    0   loc (pooled)     0.058
    1  loc (firm FE)     0.058
    """
    fe = tuple(_as_list(fe, "fe"))
    if firm not in fe:
        fe = fe + (firm,)
    pooled_fe = tuple(f for f in fe if f != firm)
    within = estimate_agglomeration(
        df, outcome, localisation, urbanisation, diversity, controls, fe, cluster, **options
    )
    # same sample: drop firms observed once (the singletons of the firm FE model) before the pooled model
    _require(df, [firm], table="df")
    once = df.groupby(firm)[firm].transform("size").to_numpy() == 1
    sample = df.loc[~once]
    pooled = estimate_agglomeration(
        sample, outcome, localisation, urbanisation, diversity, controls, pooled_fe, cluster, **options
    )
    share = ((pooled.coef - within.coef.reindex(pooled.coef.index)) / pooled.coef).rename("sorting_share")
    return SortingResult(pooled=pooled, within=within, sorting_share=share, firm=firm)


@dataclass
class DistanceDecayResult(ResultProtocol):
    """Localisation elasticities by distance band (for a decay plot with intervals).

    Attributes
    ----------
    bands : DataFrame band, lower_km, upper_km, midpoint_km, coef, se, ci_low, ci_high, column.
    result : the underlying AgglomerationResult (all regressors).
    """

    bands: pd.DataFrame
    result: AgglomerationResult

    def tidy(self) -> pd.DataFrame:
        """One elasticity per distance band (term = band label)."""
        b = self.bands
        return tidy_frame(b["band"], b["coef"], b["se"], None, self.result.pvalue.reindex(b["column"]).to_numpy(),
                          b["ci_low"], b["ci_high"])

    @property
    def nobs(self) -> int:
        return int(self.result.nobs)

    @property
    def excluded(self) -> pd.DataFrame:
        return self.result.excluded

    def fixed_effects(self) -> tuple[str, ...]:
        return self.result.fixed_effects()

    def table(self) -> pd.DataFrame:
        """The band table (one row per band, in distance order)."""
        return self.bands.copy()

    def summary(self) -> pd.DataFrame:
        """Band label with coefficient (se) and interval, for a notebook."""
        b = self.bands
        return pd.DataFrame(
            {
                "band": b["band"],
                "elasticity": [f"{c:.4f} ({s:.4f})" for c, s in zip(b["coef"], b["se"], strict=True)],
                "interval": [
                    f"[{lo:.4f}, {hi:.4f}]" for lo, hi in zip(b["ci_low"], b["ci_high"], strict=True)
                ],
            }
        )


def distance_decay(
    df: pd.DataFrame,
    outcome: str,
    bands: Sequence[tuple[float, float]] = DEFAULT_BANDS,
    prefix: str = "loc_emp",
    urbanisation: str | Sequence[str] | None = None,
    diversity: str | Sequence[str] | None = None,
    controls: Sequence[str] = (),
    fe: Sequence[str] = ("firm_id", "year"),
    cluster: str | None = "region",
    log_plus_one: bool = True,
    **options,
) -> DistanceDecayResult:
    """Elasticities of the outcome to own-sector employment in each distance band, estimated jointly.

    As Rosenthal & Strange (2003, *REStat* 85): all band measures enter one regression, so each coefficient
    is the effect of employment at that distance holding the other rings fixed; attenuation with distance
    is the spatial decay. Band columns are those of :func:`localisation_measures` (``band_column``). Since
    rings are often empty, with ``logs=True`` in ``options`` (levels, as :func:`localisation_measures` makes
    them) ``log_plus_one=True`` (default) uses ``log(1 + E_band)`` for the band measures, ``log`` of the
    outcome and of the urbanisation/diversity measures (all must be > 0 unless ``drop_nonpositive=True``).
    ``logs`` defaults to False as in :func:`estimate_agglomeration`: columns enter as given.
    ``options`` go to :func:`estimate_agglomeration`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"firm_id": np.repeat(np.arange(60), 4), "year": np.tile(np.arange(4), 60)})
    >>> df["region"] = df["firm_id"] % 10
    >>> for band in ("0_10km", "10_25km", "25_50km"):
    ...     df[f"loc_emp_{band}"] = np.log1p(rng.poisson(20, len(df)))
    >>> df["y"] = 0.1 * df["loc_emp_0_10km"] + rng.normal(scale=0.1, size=len(df))
    >>> res = distance_decay(df, "y")
    >>> res.tidy()["term"].tolist()
    ['0-10 km', '10-25 km', '25-50 km']
    """
    bands = _check_bands(bands)
    cols = [band_column(lo, hi, prefix) for lo, hi in bands]
    _require(df, cols + [outcome], table="df")
    work = df.copy()
    logs = options.pop("logs", False)
    if logs and log_plus_one:
        shifted = {}
        for c in cols:
            v = _numeric(work, c, nonneg=True, table="df")
            shifted[c] = v + 1.0
        for c, v in shifted.items():
            work[c] = v
    res = estimate_agglomeration(
        work, outcome, cols, urbanisation, diversity, controls, fe, cluster, logs=logs, **options
    )
    tab = pd.DataFrame(
        {
            "band": [f"{lo:g}-{hi:g} km" for lo, hi in bands],
            "lower_km": [b[0] for b in bands],
            "upper_km": [b[1] for b in bands],
            "midpoint_km": [(b[0] + b[1]) / 2 for b in bands],
            "coef": res.coef[cols].to_numpy(),
            "se": res.se[cols].to_numpy(),
            "ci_low": res.ci_low[cols].to_numpy(),
            "ci_high": res.ci_high[cols].to_numpy(),
            "column": cols,
        }
    )
    return DistanceDecayResult(bands=tab, result=res)


# --------------------------------------------------------------------------------------------------------
# Building blocks of the agglomeration workbook: lagged measures, outcomes, inference, tables, core gain
# --------------------------------------------------------------------------------------------------------
#: Below this many clusters CRV1 standard errors over-reject and a wild cluster bootstrap is advised
#: (Cameron, Gelbach & Miller 2008, *REStat* 90; Cameron & Miller 2015, *J. Human Resources* 50, sec. VI).
FEW_CLUSTERS = 30

#: Outcomes :func:`agglomeration_outcome` builds, as ``params.agglomeration.outcome`` names them.
OUTCOMES = ("labour_productivity", "tfp", "wage")


def lagged_measures(
    est: pd.DataFrame,
    lag: int = 1,
    bands: Sequence[tuple[float, float]] | None = None,
    employment: str = "labour",
    region_area_km2: Mapping[str, float] | pd.Series | None = None,
    plus_one: bool = True,
) -> pd.DataFrame:
    """Localisation and urbanisation of each establishment-year measured ``lag`` years earlier, self excluded.

    For establishment ``i`` of sector ``s`` in region ``r`` in year ``t`` (with ``c = 1`` if ``plus_one``
    else 0):

    - ``loc_emp_region_lag{lag}`` = c + Σ L_{j, t−lag} over plants ``j ≠ i`` of sector ``s`` in region ``r``
      in year ``t − lag`` (own-sector employment);
    - ``urb_emp_region_lag{lag}`` = c + Σ L_{j, t−lag} over plants ``j ≠ i`` of region ``r`` (all sectors);
    - ``urb_density_lag{lag}`` = ``urb_emp_region_lag{lag}`` / area_r (workers per km²), when
      ``region_area_km2`` maps every region to its area;
    - for each band (lo, hi] (when ``bands`` is given and ``lat``/``lon`` are present):
      ``loc_emp_lag{lag}_{lo}_{hi}km`` = Σ L_{j, t−lag} over plants ``j ≠ i`` of sector ``s`` in year
      ``t − lag`` at haversine distance lo < d(i_t, j) <= hi (no ``c``: :func:`distance_decay` adds 1).

    "``j ≠ i``" leaves out the establishment's own row of year ``t − lag`` (when it existed, in the same
    sector/region); entrants see the whole previous-year total. With ``plus_one=True`` and ``lag=1`` the
    logs of the first two columns are exactly the ``LOC`` and ``URB`` regressors of the synthetic generator
    (:mod:`agrocluster.data.synthetic`, ``truth["agglomeration"]``): ``ln(1 + E)`` keeps establishments
    that are alone in their sector and region. Measuring agglomeration before the outcome is the usual
    first guard against reverse causality (Combes & Gobillon 2015, sec. 5.2.3); a longer ``lag`` gives the
    lagged-density instrument of Ciccone & Hall (1996).

    Rows whose year ``t − lag`` is not in the table get NaN (the regression counts them as excluded).
    Returns a DataFrame aligned on ``est.index`` with ``firm_id``, ``year`` and the measure columns.
    """
    if isinstance(lag, bool) or int(lag) != lag or lag < 1:
        raise DataContractError(f"lag must be a whole number of years >= 1, got {lag!r}")
    lag = int(lag)
    _require(est, ["firm_id", "year", "region", "sector", employment])
    _check_keys(est)
    emp = _numeric(est, employment, nonneg=True)
    if np.isnan(emp).any():
        raise DataContractError(
            f"establishments: column '{employment}' has {int(np.isnan(emp).sum())} missing value(s); "
            "agglomeration measures need every plant's employment"
        )
    year = _numeric(est, "year")
    if np.isnan(year).any() or (year != np.round(year)).any():
        raise DataContractError("establishments: column 'year' must hold whole years (no missing values)")
    year = year.astype(np.int64)
    c = 1.0 if plus_one else 0.0
    region = est["region"].astype(str).to_numpy()
    sector = est["sector"].astype(str).to_numpy()
    has_prev = np.isin(year - lag, np.unique(year))

    frame = pd.DataFrame(
        {"f": est["firm_id"].astype(str).to_numpy(), "r": region, "s": sector, "t": year, "e": emp}
    )
    prev = frame.assign(t=frame["t"] + lag)  # the row of year t − lag, keyed by the year it is used in
    own = frame[["f", "t"]].merge(prev, on=["f", "t"], how="left", suffixes=("", "_prev"))
    own_e = own["e"].to_numpy(dtype=float, na_value=np.nan)
    own_r = own["r"].astype(object).fillna("").to_numpy(dtype=object)
    own_s = own["s"].astype(object).fillna("").to_numpy(dtype=object)
    same_r = (own_r == region) & np.isfinite(own_e)
    same_rs = same_r & (own_s == sector)
    own_e = np.nan_to_num(own_e)

    tot_rs = frame.groupby(["r", "s", "t"])["e"].sum()
    tot_r = frame.groupby(["r", "t"])["e"].sum()
    e_rs = tot_rs.reindex(pd.MultiIndex.from_arrays([region, sector, year - lag])).to_numpy(dtype=float)
    e_r = tot_r.reindex(pd.MultiIndex.from_arrays([region, year - lag])).to_numpy(dtype=float)
    loc = np.maximum(np.nan_to_num(e_rs) - np.where(same_rs, own_e, 0.0), 0.0) + c
    urb = np.maximum(np.nan_to_num(e_r) - np.where(same_r, own_e, 0.0), 0.0) + c

    out = est[["firm_id", "year"]].copy()
    sfx = f"lag{lag}"
    out[f"loc_emp_region_{sfx}"] = np.where(has_prev, loc, np.nan)
    out[f"urb_emp_region_{sfx}"] = np.where(has_prev, urb, np.nan)
    if region_area_km2 is not None:
        area = pd.Series(region_area_km2, dtype=float)
        area.index = area.index.astype(str)
        missing = sorted(set(region) - set(area.index))
        if missing:
            raise DataContractError(f"region_area_km2: no area for region(s) {missing[:5]}")
        if not (area > 0).all():
            raise DataContractError(
                f"region_area_km2: areas must be > 0 km², got {area[~(area > 0)].to_dict()}"
            )
        out[f"urb_density_{sfx}"] = out[f"urb_emp_region_{sfx}"].to_numpy() / area.reindex(region).to_numpy()
    if bands is not None and {"lat", "lon"} <= set(est.columns):
        bands = _check_bands(bands)
        lat, lon = _coords(est)
        xyz = unit_vectors(lat, lon)
        sums = np.full((len(est), len(bands)), np.nan)
        groups = {}
        for pos in _group_positions(est[["sector", "year"]]):
            groups[(sector[pos[0]], int(year[pos[0]]))] = pos
        # One kernel call for every sector-year: each (sources of t − lag, queries of t) block is translated
        # by its own offset along x. Distances are Euclidean chords, unchanged by a common translation, and
        # blocks 5 apart (unit-sphere coordinates lie in [−1, 1]) are farther than any chord (≤ 2), so no pair
        # crosses blocks; one call avoids a parallel launch per sector-year, which dominates on a busy machine.
        parts_xyz, parts_w, parts_src, parts_q = [], [], [], []
        for g, ((s, t), q) in enumerate(groups.items()):
            if not has_prev[q[0]]:
                continue
            src = groups.get((s, t - lag), np.empty(0, dtype=np.int64))
            off = np.array([5.0 * (g + 1), 0.0, 0.0])
            parts_xyz += [xyz[src] + off, xyz[q] + off]
            parts_w += [emp[src], np.zeros(len(q))]
            parts_src += [np.ones(len(src), bool), np.zeros(len(q), bool)]
            parts_q += [np.full(len(src), -1, dtype=np.int64), q]
        if parts_xyz:
            rows = np.concatenate(parts_q)
            res = _neighbour_sums(
                np.concatenate(parts_xyz), np.concatenate(parts_w), bands, src=np.concatenate(parts_src)
            )[:, :, 0]
            sums[rows[rows >= 0]] = res[rows >= 0]
        # take the establishment's own previous-year row out of the band it falls in (same rule as the kernel)
        own_pos = pd.Series(np.arange(len(est)), index=pd.MultiIndex.from_arrays([frame["f"], year]))
        j = own_pos.reindex(pd.MultiIndex.from_arrays([frame["f"], year - lag])).to_numpy(dtype=float)
        hit = np.flatnonzero(np.isfinite(j) & has_prev)
        hit = hit[sector[j[hit].astype(np.int64)] == sector[hit]]
        jj = j[hit].astype(np.int64)
        d2 = np.sum((xyz[hit] - xyz[jj]) ** 2, axis=1)
        for k, (lo, hi) in enumerate(bands):
            inb = (d2 <= chord_of_km(hi) ** 2) & ((lo == 0) | (d2 > chord_of_km(lo) ** 2))
            sums[hit[inb], k] -= emp[jj[inb]]
        for k, (lo, hi) in enumerate(bands):
            out[band_column(lo, hi, f"loc_emp_{sfx}")] = np.maximum(sums[:, k], 0.0)
    elif bands is not None and ({"lat", "lon"} & set(est.columns)):
        raise DataContractError("establishments: distance bands need both 'lat' and 'lon' columns")
    return out


def agglomeration_outcome(
    est: pd.DataFrame,
    kind: str,
    *,
    log_tfp: pd.Series | None = None,
    elasticities: Mapping[str, float] | None = None,
    output: str = "value_added",
    employment: str = "labour",
) -> tuple[pd.Series, str]:
    """The outcome of an agglomeration regression, in levels (the regression takes its log), and its label.

    ``kind`` (``params.agglomeration.outcome``):

    - ``"labour_productivity"``: ``value_added / labour``; when the table has no ``value_added`` column
      (e.g. the rice farms), ``output / labour`` (gross output per unit of labour), said in the label.
    - ``"wage"``: ``wage_bill / labour`` (average pay per unit of labour).
    - ``"tfp"``: ``exp(log TFP)``, with log TFP either given (``log_tfp``, e.g. ``TFPResult.tfp`` of
      :func:`agrocluster.productivity.estimate_tfp`, aligned on ``est.index``; rows it lacks are NaN) or
      computed from known ``elasticities`` as ``ln output − Σ_x b_x ln x`` (e.g. the synthetic truth's
      value-added elasticities: an oracle that separates the agglomeration regression from the
      production-function estimate).

    Ratios with a zero or missing denominator are NaN (inf becomes NaN), non-positive numerators stay as
    they are: :func:`estimate_agglomeration` counts both kinds of row in ``excluded``, none is dropped here.
    """
    if kind not in OUTCOMES:
        raise DataContractError(f"outcome kind must be one of {OUTCOMES}, got {kind!r}")

    def ratio(num: str, den: str) -> pd.Series:
        a, b = _numeric(est, num), _numeric(est, den)
        with np.errstate(divide="ignore", invalid="ignore"):
            v = a / b
        return pd.Series(np.where(np.isfinite(v), v, np.nan), index=est.index)

    if kind == "wage":
        _require(est, ["wage_bill", employment])
        return ratio("wage_bill", employment).rename("wage"), f"wage bill per unit of {employment}"
    if kind == "labour_productivity":
        if "value_added" in est.columns and est["value_added"].notna().any():
            _require(est, [employment])
            return ratio("value_added", employment).rename(
                "labour_productivity"
            ), f"value added per unit of {employment}"
        _require(est, ["output", employment])
        return (
            ratio("output", employment).rename("labour_productivity"),
            f"gross output per unit of {employment} (the data have no value added)",
        )
    if (log_tfp is None) == (elasticities is None):
        raise DataContractError(
            "outcome 'tfp' needs exactly one of log_tfp (a Series) or elasticities (a mapping)"
        )
    if log_tfp is not None:
        v = pd.Series(log_tfp, dtype=float).reindex(est.index).to_numpy()
        return pd.Series(np.exp(v), index=est.index, name="tfp"), "TFP (exp of estimated log TFP)"
    cols = [output, *elasticities]
    _require(est, cols)
    with np.errstate(divide="ignore", invalid="ignore"):
        lt = np.log(_numeric(est, output))
        for col, b in elasticities.items():
            lt = lt - float(b) * np.log(_numeric(est, col))
        v = np.exp(lt)
    shown = " ".join(f"− {float(b):g}·ln {col}" for col, b in elasticities.items())
    return (
        pd.Series(np.where(np.isfinite(v), v, np.nan), index=est.index, name="tfp"),
        f"TFP with given elasticities: exp(ln {output} {shown})",
    )


def inference_options(
    vcov: str,
    n_clusters: int,
    wild_bootstrap: int = 0,
    conley_cutoff_km: float | None = None,
    has_coordinates: bool = True,
    few_clusters: int = FEW_CLUSTERS,
) -> tuple[dict, list[str]]:
    """Keyword options for :func:`estimate_agglomeration` from the analysis options, and the reasons.

    - ``vcov="conley"`` without coordinates falls back to ``"CRV1"`` (said in a note);
    - ``wild_bootstrap=reps`` is passed when ``reps > 0`` and the clusters are fewer than ``few_clusters``
      (30, :data:`FEW_CLUSTERS`), and a note says so; with few clusters and ``reps == 0`` a note warns
      that CRV1 standard errors are unreliable;
    - one cluster only: ``"hetero"`` (clustering is impossible), said in a note.
    """
    if vcov not in _VCOV_TYPES:
        raise EstimationError(f"vcov must be one of {_VCOV_TYPES}, got {vcov!r}")
    notes: list[str] = []
    if vcov == "conley" and not has_coordinates:
        notes.append(
            "Conley standard errors need coordinates, which these data lack: clustered by region instead"
        )
        vcov = "CRV1"
    opts: dict = {"vcov": vcov}
    if vcov == "conley":
        if conley_cutoff_km is None:
            raise EstimationError("vcov='conley' needs conley_cutoff_km")
        opts["conley_cutoff_km"] = float(conley_cutoff_km)
    if n_clusters < 2:
        notes.append(
            f"{n_clusters} region only: heteroskedasticity-robust standard errors (no clustering possible)"
        )
        return {"vcov": "hetero"}, notes
    if n_clusters < few_clusters:
        if wild_bootstrap and wild_bootstrap > 0:
            opts["wild_bootstrap"] = int(wild_bootstrap)
            notes.append(
                f"{n_clusters} regions (< {few_clusters}): p-values from a wild cluster bootstrap with "
                f"{int(wild_bootstrap)} replications"
                + (" and Webb weights" if n_clusters < _WEBB_BELOW_G else "")
                + "; clustered standard errors and intervals are shown but understate uncertainty"
            )
        else:
            notes.append(
                f"{n_clusters} regions (< {few_clusters}): clustered standard errors are unreliable and no wild "
                "bootstrap was asked (agglomeration.wild_bootstrap = 0)"
            )
    return opts, notes


def specification_table(
    results: Mapping[str, AgglomerationResult],
    labels: Mapping[str, str] | None = None,
    planted: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Several agglomeration regressions as one tidy table: one row per specification × regressor.

    Columns: specification, outcome, term (``labels`` renames regressors), elasticity, se, ci_low, ci_high,
    p (the wild bootstrap p-value when it was computed, else the analytical one, with ``p_kind``), nobs,
    n_clusters, fixed effects, standard errors, first-stage F (IV rows) and, with ``planted`` (term →
    true value, synthetic data), ``planted`` (NaN for a term without one) and ``interval_covers_planted``
    ("yes", "no", or "–" without a planted value).
    """
    labels = dict(labels or {})
    rows = []
    for spec, res in results.items():
        tab = res.table()
        for r in tab.itertuples(index=False):
            wild_p = getattr(r, "wild_p", np.nan) if "wild_p" in tab.columns else np.nan
            row = {
                "specification": spec,
                "outcome": f"log {res.outcome}" if res.logged else res.outcome,
                "term": labels.get(r.term, r.term),
                "elasticity": r.coef,
                "se": r.se,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "p": wild_p if np.isfinite(wild_p) else r.p,
                "p_kind": "wild bootstrap" if np.isfinite(wild_p) else "analytical",
                "nobs": int(res.nobs),
                "n_clusters": res.n_clusters,
                "fixed_effects": " + ".join(res.fe) or "none",
                "standard_errors": res.vcov_type,
                "first_stage_F": res.first_stage_f if res.first_stage_f is not None else np.nan,
            }
            if planted is not None:
                truth = planted.get(r.term, np.nan)
                row["planted"] = truth
                row["interval_covers_planted"] = (
                    ("yes" if r.ci_low <= truth <= r.ci_high else "no") if np.isfinite(truth) else "–"
                )
            rows.append(row)
    out = pd.DataFrame(rows)
    if "first_stage_F" in out and out["first_stage_F"].isna().all():
        out = out.drop(columns="first_stage_F")
    return out


@dataclass
class CoreMoveGain(ResultProtocol):
    """Implied productivity gain of a firm moving from the median non-core location into the cluster core.

    ``gain_pct = 100 · ((M_core / M_noncore)^β − 1)``, with ``M`` the median localisation measure (the
    regressor in levels, e.g. 1 + own-sector employment) of the establishments in and outside the core and
    ``β`` the elasticity; ``se`` by the delta method, ``100 · ratio^β · |ln ratio| · se(β)``; the interval
    maps β's interval through the same formula (monotone in β). A prediction that holds the firm's
    own productivity fixed: sorting and reverse causality are caveats of β itself.
    """

    measure: str
    median_core: float
    median_noncore: float
    n_core: int
    n_noncore: int
    elasticity: float
    elasticity_se: float
    gain_pct: float
    gain_se_pct: float
    gain_low_pct: float
    gain_high_pct: float
    formula: str = "gain % = 100 · ((M_core / M_noncore)^β − 1)"

    def tidy(self) -> pd.DataFrame:
        """The elasticity β (its SE) and the implied gain in per cent (delta-method SE, interval from β's)."""
        return tidy_frame(["elasticity", "gain_pct"], [self.elasticity, self.gain_pct],
                          [self.elasticity_se, self.gain_se_pct], None, None,
                          [float("nan"), self.gain_low_pct], [float("nan"), self.gain_high_pct])

    @property
    def nobs(self) -> int:
        """Establishments in and outside the core."""
        return int(self.n_core + self.n_noncore)

    @property
    def excluded(self) -> pd.DataFrame:
        """Nothing is left out here (the elasticity's own exclusions are on its result)."""
        return exclusions()

    @property
    def ratio(self) -> float:
        return self.median_core / self.median_noncore

    def table(self) -> pd.DataFrame:
        """The inputs and the gain as a two-column table (quantity, value) for a report."""
        rows = [
            ("median localisation measure, core establishments (M_core)", f"{self.median_core:,.1f}"),
            (
                "median localisation measure, non-core establishments (M_noncore)",
                f"{self.median_noncore:,.1f}",
            ),
            ("ratio M_core / M_noncore", f"{self.ratio:.3f}"),
            ("establishments in the core / outside", f"{self.n_core:,} / {self.n_noncore:,}"),
            ("elasticity β (se)", f"{self.elasticity:.4f} ({self.elasticity_se:.4f})"),
            ("implied gain, % (delta-method se)", f"{self.gain_pct:.2f} ({self.gain_se_pct:.2f})"),
            (
                "interval of the gain, % (from β's interval)",
                f"[{self.gain_low_pct:.2f}, {self.gain_high_pct:.2f}]",
            ),
            ("formula", self.formula),
        ]
        return pd.DataFrame(rows, columns=["quantity", "value"])


def core_move_gain(
    df: pd.DataFrame,
    measure: str,
    core: str | np.ndarray | pd.Series,
    result: AgglomerationResult,
    term: str | None = None,
) -> CoreMoveGain:
    """Gain implied by ``result`` for moving from the median non-core to the median core value of ``measure``.

    ``df`` holds the establishments to compare (e.g. the cluster sector's plants in the last year);
    ``core`` is a boolean column name or array (True = in the cluster core); ``term`` is the regressor of
    ``result`` whose elasticity applies (default ``measure``). Rows with a missing or non-positive measure
    are left out of the medians (their log is undefined). See :class:`CoreMoveGain` for the formula.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"firm_id": np.repeat(np.arange(60), 4), "year": np.tile(np.arange(4), 60)})
    >>> df["region"] = df["firm_id"] % 10
    >>> df["loc"] = rng.normal(size=len(df))
    >>> df["y"] = 0.05 * df["loc"] + rng.normal(scale=0.1, size=len(df))
    >>> fit = estimate_agglomeration(df, "y", "loc")
    >>> df["m"] = np.where(df["region"] < 3, 40.0, 10.0)
    >>> gain = core_move_gain(df, "m", df["region"] < 3, fit, term="loc")
    >>> round(gain.ratio, 1), gain.nobs
    (4.0, 240)
    """
    term = term or measure
    if term not in result.coef.index:
        raise EstimationError(
            f"core_move_gain: {term!r} is not a regressor of the result ({list(result.coef.index)})"
        )
    _require(df, [measure], table="df")
    m = _numeric(df, measure)
    is_core = (df[core] if isinstance(core, str) else pd.Series(np.asarray(core), index=df.index)).to_numpy(
        dtype=bool
    )
    ok = np.isfinite(m) & (m > 0)
    mc, mn = m[ok & is_core], m[ok & ~is_core]
    if mc.size == 0 or mn.size == 0:
        raise EstimationError(
            f"core_move_gain: need establishments both in the core ({mc.size}) and outside it ({mn.size}) "
            f"with a positive '{measure}'"
        )
    med_c, med_n = float(np.median(mc)), float(np.median(mn))
    ratio = med_c / med_n
    b, s = float(result.coef[term]), float(result.se[term])
    lo, hi = float(result.ci_low[term]), float(result.ci_high[term])
    g = lambda beta: 100.0 * (ratio**beta - 1.0)
    return CoreMoveGain(
        measure=measure,
        median_core=med_c,
        median_noncore=med_n,
        n_core=int(mc.size),
        n_noncore=int(mn.size),
        elasticity=b,
        elasticity_se=s,
        gain_pct=g(b),
        gain_se_pct=100.0 * ratio**b * abs(np.log(ratio)) * s,
        gain_low_pct=min(g(lo), g(hi)),
        gain_high_pct=max(g(lo), g(hi)),
    )


def estimated_log_tfp(
    est: pd.DataFrame,
    method: str = "acf",
    value_added: bool = True,
    poly_degree: int = 2,
    markov_degree: int = 3,
    seed: int = 0,
) -> tuple[pd.Series, str, pd.DataFrame]:
    """Log TFP of each establishment-year from :func:`agrocluster.productivity.estimate_tfp`.

    Inputs are picked from the columns the table has: output = ``value_added`` (when ``value_added`` and the
    column exists) else ``output``; free input ``labour``; state input ``capital``, else ``land`` (farms);
    proxy ``investment`` for ``op`` and ``materials`` otherwise. No bootstrap (only the point estimate of
    TFP is used). Returns (log TFP aligned on ``est.index``, a label naming the method and inputs, the
    estimator's ``excluded`` table).
    """
    from agrocluster.productivity import estimate_tfp

    state = "capital" if "capital" in est.columns else "land" if "land" in est.columns else None
    if state is None:
        raise DataContractError("TFP needs a state input: the table has neither 'capital' nor 'land'")
    va = bool(value_added) and "value_added" in est.columns
    output = "value_added" if va else "output"
    proxy = "investment" if method == "op" else "materials"
    res = estimate_tfp(
        est,
        output,
        "labour",
        state,
        proxy,
        method=method,
        value_added=va,
        poly_degree=poly_degree,
        markov_degree=markov_degree,
        seed=seed,
        logs=True,  # the establishments contract holds levels
    )
    coefs = ", ".join(f"{k} {v:.3f}" for k, v in res.coef.items())
    label = f"log TFP, {method.upper()} on {output} ({coefs})"
    return res.tfp.reindex(est.index), label, res.excluded


@dataclass
class SpecificationSet:
    """The three specifications of the workbook for one outcome, plus their caveats.

    Attributes
    ----------
    sorting : SortingResult — ``pooled`` (sector-year FE) and ``within`` (firm + sector-year FE) on the
        same sample (Combes, Duranton & Gobillon 2008).
    iv : AgglomerationResult or None — firm + sector-year FE, localisation instrumented (None when not
        estimable; the reason is in ``notes``).
    notes : list of str — inference choices and anything not estimated.
    """

    sorting: SortingResult
    iv: AgglomerationResult | None
    notes: list[str]
    names: tuple[str, str, str] = (
        "pooled OLS, sector-year FE",
        "firm FE + sector-year FE",
        "IV, firm FE + sector-year FE",
    )

    @property
    def pooled(self) -> AgglomerationResult:
        return self.sorting.pooled

    @property
    def within(self) -> AgglomerationResult:
        return self.sorting.within

    def results(self) -> dict[str, AgglomerationResult]:
        """Specification name → result, in the order pooled, firm FE, IV (when estimated)."""
        out = {self.names[0]: self.pooled, self.names[1]: self.within}
        if self.iv is not None:
            out[self.names[2]] = self.iv
        return out

    def table(
        self, labels: Mapping[str, str] | None = None, planted: Mapping[str, float] | None = None
    ) -> pd.DataFrame:
        """:func:`specification_table` of the estimated specifications."""
        return specification_table(self.results(), labels, planted)

    def excluded(self) -> pd.DataFrame:
        """Rows left out of each specification: reason, n, unit, specification (the protocol's columns first)."""
        parts = [
            r.excluded.assign(specification=name) for name, r in self.results().items() if len(r.excluded)
        ]
        if not parts:
            return exclusions().assign(specification=pd.Series(dtype="string"))
        return pd.concat(parts, ignore_index=True)


def agglomeration_specifications(
    df: pd.DataFrame,
    outcome: str,
    localisation: str,
    urbanisation: str | Sequence[str] | None = None,
    instrument: str | None = None,
    sector_year_fe: str = "sector^year",
    firm: str = "firm_id",
    cluster: str = "region",
    **options,
) -> SpecificationSet:
    """Pooled OLS with sector-year FE, firm FE, and IV (firm FE) for one outcome.

    The first two are :func:`sorting_check` (same sample, with and without the ``firm`` fixed effect);
    the third is :func:`estimate_agglomeration` with ``iv=instrument`` for the localisation measure (e.g.
    its value two years earlier when the regressor is the one-year lag). ``options`` go to every
    estimate (``vcov``, ``conley_cutoff_km``, ``wild_bootstrap``, ``seed``, ``drop_nonpositive`` …);
    ``wild_bootstrap`` is dropped for the IV (implemented for OLS only), said in ``notes``. An IV that
    cannot be estimated (no instrument, too few rows, collinear) is reported in ``notes``, not raised.
    """
    notes: list[str] = []
    sorting = sorting_check(
        df,
        outcome,
        localisation,
        urbanisation,
        fe=(sector_year_fe, firm),
        cluster=cluster,
        firm=firm,
        **options,
    )
    iv = None
    if instrument is None:
        notes.append("IV not estimated: no instrument given")
    else:
        iv_opts = dict(options)
        wild_dropped = iv_opts.pop("wild_bootstrap", None) is not None
        try:
            iv = estimate_agglomeration(
                df,
                outcome,
                localisation,
                urbanisation,
                fe=(firm, sector_year_fe),
                cluster=cluster,
                iv=instrument,
                **iv_opts,
            )
        except (EstimationError, DataContractError) as exc:
            notes.append(f"IV not estimated: {exc}")
    for res in (sorting.pooled, sorting.within):
        notes += [n for n in res.notes if n not in notes]
    if iv is not None:
        if wild_dropped:
            notes.append(
                f"IV: the wild cluster bootstrap is implemented for OLS only, so the IV p-value is the analytical "
                f"CRV1 one with {iv.n_clusters} clusters: read it with caution"
            )
            notes += [n for n in iv.notes if n not in notes and not n.startswith("only ")]
        else:
            notes += [n for n in iv.notes if n not in notes]
    return SpecificationSet(sorting=sorting, iv=iv, notes=notes)


def elasticity_sentence(
    result: AgglomerationResult, term: str, measure_text: str, outcome_text: str, change_pct: float = 10.0
) -> str:
    """A plain-language reading of one elasticity: the change in the outcome for ``change_pct`` % more of the measure.

    The effect is exact for a log-log model, ``100 · ((1 + change_pct/100)^β − 1)`` %, with the interval
    mapped the same way; the p-value is the wild bootstrap one when the result has it. E.g. "10% more
    own-sector employment in the region goes with 0.27% higher productivity (95% interval 0.11% to 0.43%;
    p = 0.00)". Adds "not distinguishable from zero" when the interval contains 0.
    """
    if term not in result.coef.index:
        raise EstimationError(f"elasticity_sentence: {term!r} is not a regressor of the result")
    f = 1.0 + change_pct / 100.0
    b, lo, hi = (float(x[term]) for x in (result.coef, result.ci_low, result.ci_high))
    eff, elo, ehi = (100.0 * (f**x - 1.0) for x in (b, lo, hi))
    wild = result.wild is not None and term in result.wild.index
    p = float(result.wild.loc[term, "wild_p"]) if wild else float(result.pvalue[term])
    text = (
        f"{change_pct:g}% more {measure_text} goes with {abs(eff):.2f}% {'higher' if eff >= 0 else 'lower'} "
        f"{outcome_text} (95% interval {elo:+.2f}% to {ehi:+.2f}%; p = {p:.2f}{', wild bootstrap' if wild else ''})"
    )
    if lo <= 0.0 <= hi:
        text += ", not distinguishable from zero"
    return text
