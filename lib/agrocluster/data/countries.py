"""Country codes → ISO 3166-1 alpha-3, through ``country_converter`` (coco) plus a documented FAOSTAT table.

Schemes: ``"fao"`` (FAOSTAT area codes), ``"m49"`` (UN M49 / ISO numeric, e.g. ``"004"``: leading zeros
are allowed and ignored), ``"iso2"``, ``"iso3"``, ``"name"`` (coco's regular expressions), ``"auto"``.

FAOSTAT area codes that coco does not map, or maps in a way that double-counts, are fixed here
(checked against the production series of ``agrifoodpy-data``'s FAOSTAT.nc):

- ``41`` China, mainland → ``CHN`` (ISO's CHN excludes Hong Kong ``HKG``, Macao ``MAC`` and Taiwan
  ``TWN``, which FAOSTAT lists separately); ``351`` "China" is the aggregate of the four and is *not* a
  country (coco maps it to CHN: using it would double-count).
- ``276`` Sudan (from 2012) → ``SDN``; ``206`` Sudan (former, to 2011) → ``SDN`` (ISO kept SDN);
  ``62`` Ethiopia PDR (to 1992) → ``ETH`` (ISO kept ETH). The series do not overlap in years, so
  ``country × year`` stays unique; the ``area_code`` column keeps them apart.
- Dissolved states get their ISO 3166-3 former alpha-3 code: ``51`` Czechoslovakia → ``CSK``,
  ``228`` USSR → ``SUN``, ``248`` Yugoslav SFR → ``YUG``, ``186`` Serbia and Montenegro → ``SCG``,
  ``151`` Netherlands Antilles (former) → ``ANT``. ``15`` Belgium-Luxembourg (to 1999) has no ISO
  code: ``BLX`` is the code UN Comtrade and WITS use for it.
- Codes 5000 and above (World, continents, economic groupings) and 351 are aggregates:
  :func:`is_faostat_aggregate`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import pandas as pd

from agrocluster.errors import DataContractError

#: FAOSTAT area codes mapped here rather than by country_converter (see module docstring).
FAO_EXTRA_ISO3: dict[int, str] = {
    41: "CHN", 276: "SDN", 206: "SDN", 62: "ETH", 15: "BLX", 51: "CSK", 228: "SUN", 248: "YUG",
    186: "SCG", 151: "ANT",
}
#: FAOSTAT area code of the China aggregate (mainland + Hong Kong + Macao + Taiwan).
FAO_CHINA_AGGREGATE = 351
#: FAOSTAT area code of the World row.
FAO_WORLD = 5000

SCHEMES = ("auto", "fao", "m49", "iso2", "iso3", "name")
_ISO3 = re.compile(r"^[A-Z]{3}$")
_ISO2 = re.compile(r"^[A-Z]{2}$")


def is_faostat_aggregate(area_code: int) -> bool:
    """True for FAOSTAT areas that are not countries: World (5000), groupings (> 5000), China (351)."""
    return int(area_code) >= FAO_WORLD or int(area_code) == FAO_CHINA_AGGREGATE


@lru_cache(maxsize=1)
def _tables() -> dict[str, dict]:
    import country_converter as coco

    data = coco.CountryConverter().data

    def mapping(src: str) -> dict:
        sub = data[[src, "ISO3"]].dropna()
        out = {}
        for key, iso in zip(sub[src], sub["ISO3"]):
            try:
                out[int(key)] = iso
            except (TypeError, ValueError):
                out[str(key).upper()] = iso
        return out

    fao = mapping("FAOcode")
    fao.pop(FAO_CHINA_AGGREGATE, None)
    fao.update(FAO_EXTRA_ISO3)
    numeric = mapping("UNcode")
    numeric.update(mapping("ISOnumeric"))  # ISO numeric has Taiwan (158), absent from UNcode
    return {"fao": fao, "m49": numeric, "iso2": mapping("ISO2"),
            "iso3": {iso: iso for iso in data["ISO3"].dropna()}}


def _guess_scheme(codes: list[str]) -> str:
    if all(_ISO3.match(c.upper()) for c in codes):
        return "iso3"
    if all(_ISO2.match(c.upper()) for c in codes):
        return "iso2"
    if all(c.isdigit() for c in codes):
        if all(len(c) == 3 for c in codes):
            return "m49"
        raise DataContractError(
            "country codes are numbers that are not all three-digit zero-padded M49 codes "
            f"(e.g. {codes[:3]}): say scheme='fao' (FAOSTAT area codes) or scheme='m49'")
    if all(not c.isdigit() for c in codes):
        return "name"
    raise DataContractError(f"country codes mix numbers and text (e.g. {codes[:5]}): give scheme= one of {SCHEMES}")


def _convert_one(code: str, scheme: str, tables: dict) -> str | None:
    if scheme in {"fao", "m49"}:
        if not code.isdigit():
            return None
        if scheme == "fao" and is_faostat_aggregate(int(code)):
            return None
        return tables[scheme].get(int(code))
    if scheme in {"iso2", "iso3"}:
        return tables[scheme].get(code.upper())
    import country_converter as coco

    iso = coco.CountryConverter().convert(code, src="regex", to="ISO3", not_found=None)
    return iso if isinstance(iso, str) and _ISO3.match(iso) else None


def country_to_iso3(codes: Iterable | pd.Series, scheme: str = "auto") -> pd.Series:
    """Map country codes or names to ISO3.

    Parameters
    ----------
    codes : iterable or Series
        Codes as strings or integers (``"004"`` and ``4`` are the same M49 code).
    scheme : str
        ``"fao"``, ``"m49"``, ``"iso2"``, ``"iso3"``, ``"name"`` or ``"auto"`` (ISO3 / ISO2 by shape,
        three-digit numbers as M49, text as names; other numbers need an explicit scheme).

    Returns
    -------
    Series of str
        ISO3 codes, aligned with the input (its index, if a Series).

    Raises
    ------
    DataContractError
        Listing every code that has no ISO3 (FAOSTAT aggregates such as 5000 World or 351 China
        included), or for an unknown scheme.
    """
    if scheme not in SCHEMES:
        raise DataContractError(f"unknown country code scheme {scheme!r}: use one of {', '.join(SCHEMES)}")
    series = codes if isinstance(codes, pd.Series) else pd.Series(list(codes))
    text = series.astype("string").str.strip()
    if text.isna().any():
        rows = list(text.index[text.isna()][:5])
        raise DataContractError(f"country codes are missing at rows {rows}")
    uniques = sorted(set(text.tolist()))
    if not uniques:
        return pd.Series([], dtype="string", index=series.index)
    used = _guess_scheme(uniques) if scheme == "auto" else scheme
    tables = _tables()
    found = {c: _convert_one(c, used, tables) for c in uniques}
    unknown = [c for c, iso in found.items() if iso is None]
    if unknown:
        shown = ", ".join(repr(c) for c in unknown[:20]) + (f" and {len(unknown) - 20} more" if len(unknown) > 20 else "")
        raise DataContractError(f"{len(unknown)} country code(s) not recognised as {used} codes of a country: {shown}")
    return text.map(found).astype("string")
