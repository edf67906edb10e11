"""Where the cluster is, how concentrated, how strong: specialisation indices, Ellison–Glaeser,
Duranton–Overman K-density and Marcon–Puech M, cluster-strength flags, shift-share.

Pure functions of DataFrames (contracts ``regional_employment`` and ``establishments``); they read and
write no files and draw nothing. See each function's docstring for the convention followed.
"""

from agrocluster.concentration.distance import (
    EARTH_RADIUS_KM,
    KdResult,
    MResult,
    kdensity,
    m_function,
    silverman_bandwidth,
)
from agrocluster.concentration.ellison_glaeser import CoagglomerationResult, coagglomeration, ellison_glaeser
from agrocluster.concentration.specialisation import (
    ShiftShareResult,
    diversity,
    gini,
    hoover_curve,
    hoover_index,
    krugman_index,
    location_quotient,
    locational_gini,
    lorenz_curve,
    shift_share,
)
from agrocluster.concentration.strength import eco_stars, strong_clusters

__all__ = [
    "EARTH_RADIUS_KM",
    "CoagglomerationResult",
    "KdResult",
    "MResult",
    "ShiftShareResult",
    "coagglomeration",
    "diversity",
    "eco_stars",
    "ellison_glaeser",
    "gini",
    "hoover_curve",
    "hoover_index",
    "kdensity",
    "krugman_index",
    "location_quotient",
    "locational_gini",
    "lorenz_curve",
    "m_function",
    "shift_share",
    "silverman_bandwidth",
    "strong_clusters",
]
