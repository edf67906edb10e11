"""Distances on the Earth's surface, shared by every module that works with coordinates.

Great-circle (haversine) distances on a sphere of radius :data:`EARTH_RADIUS_KM`, the IUGG mean Earth
radius (Moritz 2000), as in R's ``geosphere::distHaversine`` with that radius. Errors against the
ellipsoid stay below 0.5 %, far smaller than the distance bands the workbooks use.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (broadcasts like numpy).

    ``d = 2 R arcsin( sqrt( sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2) ) )`` with ``R`` = :data:`EARTH_RADIUS_KM`.
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2)) - np.radians(np.asarray(lon1))
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def unit_vectors(lat, lon) -> np.ndarray:
    """Points in degrees as unit vectors ``(cos φ cos λ, cos φ sin λ, sin φ)``, one row per point.

    The straight-line (chord) distance between two unit vectors is a monotone function of the great-circle
    distance (:func:`km_of_chord`), so neighbour searches can run on the vectors (k-d trees, dot products)
    and compare chords with :func:`chord_of_km` of the distance band.

    Examples
    --------
    >>> u = unit_vectors([0.0, 0.0], [0.0, 90.0])
    >>> u.round(6).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    >>> round(float(km_of_chord(np.linalg.norm(u[0] - u[1]))), 1) == round(float(haversine_km(0, 0, 0, 90)), 1)
    True
    """
    phi, lmb = np.radians(np.asarray(lat, dtype=float)), np.radians(np.asarray(lon, dtype=float))
    return np.column_stack([np.cos(phi) * np.cos(lmb), np.cos(phi) * np.sin(lmb), np.sin(phi)])


def chord_of_km(km: float) -> float:
    """Chord on the unit sphere of a great-circle distance of ``km`` (``2 sin(d / 2R)``; capped at antipodes)."""
    return float(2.0 * np.sin(min(km, np.pi * EARTH_RADIUS_KM) / (2.0 * EARTH_RADIUS_KM)))


def km_of_chord(chord) -> np.ndarray:
    """Great-circle distance in km of a chord on the unit sphere (``2R arcsin(c / 2)``), the inverse of
    :func:`chord_of_km`."""
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(np.asarray(chord, dtype=float) / 2.0, 0.0, 1.0))


def neighbour_share(hits: Sequence[Sequence[int]], own: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """Mean of the 0/1 ``flags`` over each point's neighbours but itself: ``hits[k]`` are the positions found
    near point ``k`` (e.g. ``cKDTree.query_ball_point``), ``own[k]`` its own position; 0 without a neighbour.

    One pass over all neighbours instead of a mean per point; 0/1 flags sum exactly, so each share is the
    same number as ``flags[others].mean()``.
    """
    sizes = np.fromiter(map(len, hits), dtype=np.intp, count=len(hits))
    flat = np.fromiter(itertools.chain.from_iterable(hits), dtype=np.intp, count=int(sizes.sum()))
    row = np.repeat(np.arange(len(hits)), sizes)
    other = flat != np.asarray(own)[row]
    count = np.bincount(row, weights=other, minlength=len(hits))
    hit = np.bincount(row, weights=np.asarray(flags, dtype="float64")[flat] * other, minlength=len(hits))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, hit / count, 0.0)
