"""Distances on the Earth's surface, shared by every module that works with coordinates.

Great-circle (haversine) distances on a sphere of radius :data:`EARTH_RADIUS_KM`, the IUGG mean Earth
radius (Moritz 2000), as in R's ``geosphere::distHaversine`` with that radius. Errors against the
ellipsoid stay below 0.5 %, far smaller than the distance bands the workbooks use.
"""

from __future__ import annotations

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
