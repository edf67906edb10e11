"""Importers for files downloaded from FAOSTAT, CEPII BACI and UN Comtrade, mapped to the contracts.

Every importer returns a :class:`~agrocluster.data.loaders.LoadedTable` whose ``excluded`` table counts
the rows left out, by reason (aggregate areas, world partner, other elements or flows …).

Units of ``trade_flows`` from these importers: ``value`` in **thousand US dollars** (BACI's and
FAOSTAT's unit; Comtrade's ``primaryValue`` in dollars is divided by 1000) and ``quantity`` in
**tonnes** (Comtrade's ``netWgt`` in kg is divided by 1000).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from agrocluster.data.contracts import STRING_DTYPE, excluded_frame, validate
from agrocluster.data.countries import country_to_iso3, is_faostat_aggregate
from agrocluster.data.loaders import LoadedTable, MissingDataFileError, file_sha256
from agrocluster.errors import DataContractError

_ISO3 = re.compile(r"^[A-Z]{3}$")


def _read_csv(path: str | Path, needed: list[str], what: str, **kw) -> tuple[Path, pd.DataFrame]:
    """Read a download as text columns; ``kw`` are read options (``encoding``, ``sep``, ``encoding_errors``)."""
    p = Path(path)
    if not p.is_file():
        raise MissingDataFileError(f"{what} file not found: {p}")
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""], **kw)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise DataContractError(f"{p}: cannot be read as a {what} CSV ({type(exc).__name__}: {exc})") from exc
    df.columns = [str(c).strip() for c in df.columns]
    absent = [c for c in needed if c not in df.columns]
    if absent:
        raise DataContractError(f"{p}: not a {what} file: missing column(s) {absent}; "
                                f"columns present: {', '.join(df.columns)}")
    if df.empty:
        raise DataContractError(f"{p}: {what} file is empty (no data rows)")
    return p, df


def _strip_quote(values: pd.Series) -> pd.Series:
    """FAOSTAT writes codes that could lose zeros with a leading apostrophe ("'004")."""
    return values.str.strip().str.lstrip("'")


def _number(values: pd.Series, column: str, path: Path) -> pd.Series:
    text = values.str.strip().replace({"NA": None, "": None})
    num = pd.to_numeric(text, errors="coerce")
    bad = num.isna() & text.notna()
    if bad.any():
        rows = list(np.flatnonzero(bad.to_numpy())[:5] + 1)
        raise DataContractError(f"{path}: column {column!r} must be numeric: rows {rows} "
                                f"(values {text[bad].head(5).tolist()})")
    return num.astype("float64")


def _faostat_areas(codes: pd.Series, column: str, path: Path) -> tuple[pd.Series, pd.Series]:
    """(ISO3 or NA, aggregate mask) for FAOSTAT area codes."""
    num = pd.to_numeric(codes, errors="coerce")
    if num.isna().any():
        rows = list(np.flatnonzero(num.isna().to_numpy())[:5] + 1)
        raise DataContractError(f"{path}: column {column!r} must hold FAOSTAT area codes: rows {rows}")
    num = num.astype(int)
    aggregate = num.map({c: is_faostat_aggregate(c) for c in num.unique()}).astype(bool)
    iso = pd.Series(pd.NA, index=codes.index, dtype=STRING_DTYPE)
    if (~aggregate).any():
        iso[~aggregate] = country_to_iso3(num[~aggregate].astype(str), scheme="fao").to_numpy()
    return iso, aggregate


def _finish(frame: pd.DataFrame, table: str, path: Path, counts: dict[str, int]) -> LoadedTable:
    if frame.empty:
        raise DataContractError(f"{path}: no rows left for table {table!r} after exclusions: {counts}")
    out = validate(frame, table, source=str(path))
    return LoadedTable(frame=out, table=table, path=path, sha256=file_sha256(path), n_rows=len(out),
                       excluded=excluded_frame(counts))


# --------------------------------------------------------------------------------------------------
# FAOSTAT

#: FAOSTAT food-balance element codes → country_product columns (units 1000 t).
FBS_ELEMENTS = {"5511": "production", "5611": "imports", "5911": "exports", "5301": "domestic_supply"}
_FBS_NEEDED = ["Area Code", "Area", "Item Code", "Item", "Element Code", "Element", "Year", "Unit", "Value"]


def read_faostat_food_balances(path: str | Path, encoding: str | None = None, sep: str = ",") -> LoadedTable:
    """FAOSTAT bulk food balances, normalized form → ``country_product``.

    Reads ``FoodBalanceSheets_E_All_Data_(Normalized).csv`` (columns ``Area Code, Area Code (M49),
    Area, Item Code, [Item Code (FBS),] Item, Element Code, Element, Year Code, Year, Unit, Value,
    Flag[, Note]``; M49 codes carry a leading apostrophe). Elements kept: 5511 Production, 5611 Import
    quantity, 5911 Export quantity, 5301 Domestic supply quantity, all in 1000 t. Rows of aggregate
    areas (code ≥ 5000, 351 China) and of other elements (food supply per capita, feed, losses …) are
    excluded and counted. Area codes map to ISO3 as in :mod:`agrocluster.data.countries`.
    """
    p, raw = _read_csv(path, _FBS_NEEDED, "FAOSTAT food balances", encoding=encoding, sep=sep,
                       encoding_errors="replace")
    element = _strip_quote(raw["Element Code"])
    keep = element.isin(list(FBS_ELEMENTS))
    counts = {"element not used by country_product (per-capita supply, feed, losses ...)": int((~keep).sum())}
    raw, element = raw[keep], element[keep]
    units = set(raw["Unit"].str.strip())
    if not units <= {"1000 t", "1000 tonnes"}:
        raise DataContractError(f"{p}: column 'Unit' of quantity elements must be 1000 t, found {sorted(units)}")
    iso, aggregate = _faostat_areas(_strip_quote(raw["Area Code"]), "Area Code", p)
    counts["aggregate area (World, regions, China 351)"] = int(aggregate.sum())
    long = pd.DataFrame({
        "country": iso[~aggregate], "item": _strip_quote(raw["Item Code"])[~aggregate],
        "item_name": raw["Item"][~aggregate].str.strip(), "year": raw["Year"][~aggregate],
        "column": element[~aggregate].map(FBS_ELEMENTS),
        "value": _number(raw["Value"], "Value", p)[~aggregate],
    })
    dup = long.duplicated(["country", "item", "year", "column"], keep=False)
    if dup.any():
        rows = list(np.flatnonzero(dup.to_numpy())[:5] + 1)
        raise DataContractError(f"{p}: duplicate (area, item, element, year) records at kept rows {rows}")
    wide = long.pivot_table(index=["country", "item", "item_name", "year"], columns="column", values="value",
                            aggfunc="first", dropna=False, observed=True).reset_index()
    wide = wide.dropna(subset=[c for c in FBS_ELEMENTS.values() if c in wide.columns], how="all")
    for col in FBS_ELEMENTS.values():
        if col not in wide.columns:
            wide[col] = np.nan
    wide.columns.name = None
    return _finish(wide, "country_product", p, counts)


_TM_NEEDED = ["Reporter Country Code", "Reporter Countries", "Partner Country Code", "Partner Countries",
              "Item Code", "Item", "Element Code", "Element", "Year", "Unit", "Value"]
_TM_ELEMENTS = {"export": {"5910": "quantity", "5922": "value"}, "import": {"5610": "quantity", "5622": "value"}}


def read_faostat_trade_matrix(path: str | Path, flow: str = "export", encoding: str | None = None,
                              sep: str = ",") -> LoadedTable:
    """FAOSTAT detailed trade matrix, normalized form → ``trade_flows``.

    Reads ``Trade_DetailedTradeMatrix_E_All_Data_(Normalized).csv`` (``Reporter Country Code,
    Reporter Country Code (M49), Reporter Countries, Partner Country Code, ... Item Code, Item Code
    (CPC), Item, Element Code, Element, Year Code, Year, Unit, Value, Flag``). ``flow="export"`` keeps
    the reporters' exports (elements 5910 Export quantity, t; 5922 Export value, 1000 USD): exporter =
    reporter, importer = partner. ``flow="import"`` keeps reported imports (5610, 5622): exporter =
    partner, importer = reporter. ``product`` is the FAOSTAT item code (text); ``product_cpc`` keeps
    the CPC code when present. Rows of the other flow, other elements and aggregate areas are
    excluded and counted.
    """
    if flow not in _TM_ELEMENTS:
        raise DataContractError(f"flow must be 'export' or 'import', got {flow!r}")
    p, raw = _read_csv(path, _TM_NEEDED, "FAOSTAT detailed trade matrix", encoding=encoding, sep=sep,
                       encoding_errors="replace")
    elements = _TM_ELEMENTS[flow]
    element = _strip_quote(raw["Element Code"])
    keep = element.isin(list(elements))
    counts = {f"element not a {flow} quantity/value (flow={flow!r})": int((~keep).sum())}
    raw, element = raw[keep], element[keep]
    rep_iso, rep_agg = _faostat_areas(_strip_quote(raw["Reporter Country Code"]), "Reporter Country Code", p)
    par_iso, par_agg = _faostat_areas(_strip_quote(raw["Partner Country Code"]), "Partner Country Code", p)
    agg = rep_agg | par_agg
    counts["aggregate reporter or partner area"] = int(agg.sum())
    exporter, importer = (rep_iso, par_iso) if flow == "export" else (par_iso, rep_iso)
    long = pd.DataFrame({
        "exporter": exporter, "importer": importer, "product": _strip_quote(raw["Item Code"]),
        "item_name": raw["Item"].str.strip(), "year": raw["Year"],
        "column": element.map(elements), "amount": _number(raw["Value"], "Value", p),
    })
    if "Item Code (CPC)" in raw.columns:
        long["product_cpc"] = _strip_quote(raw["Item Code (CPC)"])
    long = long[~agg.to_numpy()]
    index = [c for c in ("exporter", "importer", "product", "product_cpc", "item_name", "year") if c in long]
    wide = long.pivot_table(index=index, columns="column", values="amount", aggfunc="first",
                            observed=True).reset_index()
    wide.columns.name = None
    for col in ("value", "quantity"):
        if col not in wide.columns:
            wide[col] = np.nan
    no_value = wide["value"].isna()
    counts["quantity reported without a value"] = int(no_value.sum())
    return _finish(wide[~no_value], "trade_flows", p, counts)


# --------------------------------------------------------------------------------------------------
# CEPII BACI


def _baci_countries(path: Path) -> dict[str, str]:
    _, codes = _read_csv(path, ["country_code"], "BACI country codes", encoding_errors="replace")
    iso_col = next((c for c in ("country_iso3", "iso_3digit_alpha") if c in codes.columns), None)
    if iso_col is None:
        raise DataContractError(f"{path}: BACI country-code file needs a column 'country_iso3' "
                                f"(or 'iso_3digit_alpha'); columns present: {', '.join(codes.columns)}")
    return {str(int(c)): ("" if pd.isna(i) else str(i).strip()) for c, i in zip(codes["country_code"], codes[iso_col])}


def read_baci(path: str | Path, country_codes: str | Path, encoding: str | None = None, sep: str = ",") -> LoadedTable:
    """CEPII BACI CSV (``t, i, j, k, v, q``) → ``trade_flows``.

    ``t`` year, ``i`` exporter and ``j`` importer as BACI numeric codes (mapped to ISO3 with the
    ``country_codes_V*.csv`` file shipped with BACI: columns ``country_code`` and ``country_iso3``, or
    ``iso_3digit_alpha`` in older releases), ``k`` HS6 product (text; a code written without its
    leading zero, e.g. ``10121``, is padded back to six digits), ``v`` value in thousand USD, ``q``
    quantity in metric tonnes (``NA`` → missing). Flows whose exporter or importer has no
    three-letter ISO code (e.g. areas n.e.s.) are excluded and counted.
    """
    p, raw = _read_csv(path, ["t", "i", "j", "k", "v", "q"], "BACI", encoding=encoding, sep=sep)
    cc_path = Path(country_codes)
    if not cc_path.is_file():
        raise MissingDataFileError(f"BACI country-code file not found: {cc_path}")
    iso = _baci_countries(cc_path)
    exporter = raw["i"].str.strip().map(iso)
    importer = raw["j"].str.strip().map(iso)
    unknown = sorted(set(raw["i"][exporter.isna()]) | set(raw["j"][importer.isna()]))
    if unknown:
        raise DataContractError(f"{p}: BACI country codes {unknown[:20]} are not in {cc_path}")
    usable = (exporter.str.match(_ISO3.pattern) & importer.str.match(_ISO3.pattern)).astype(bool)
    counts = {"exporter or importer without an ISO3 code (areas n.e.s.)": int((~usable).sum())}
    k = raw["k"].str.strip()
    frame = pd.DataFrame({
        "exporter": exporter, "importer": importer,
        "product": k.where(k.str.len() != 5, "0" + k),
        "year": raw["t"], "value": _number(raw["v"], "v", p), "quantity": _number(raw["q"], "q", p),
    })[usable.to_numpy()]
    return _finish(frame, "trade_flows", p, counts)


# --------------------------------------------------------------------------------------------------
# UN Comtrade

_CT_NEEDED = ["reporterISO", "partnerISO", "cmdCode", "flowCode", "primaryValue", "netWgt"]
_CT_TOTALS = {"partner2Code": "0", "customsCode": "C00", "motCode": "0"}


def read_comtrade(path: str | Path, flow: str = "X", encoding: str | None = None, sep: str = ",") -> LoadedTable:
    """UN Comtrade bulk or API CSV → ``trade_flows``.

    Columns used: ``refYear`` (or ``period`` for annual data), ``reporterISO``, ``partnerISO``,
    ``cmdCode`` (HS code, text), ``flowCode``, ``primaryValue`` (USD), ``netWgt`` (kg), and when present
    ``partnerCode``, ``partner2Code``, ``customsCode``, ``motCode``. ``flow="X"`` keeps exports
    (exporter = reporter), ``flow="M"`` imports (exporter = partner). Excluded and counted: other
    flows (re-exports RX, re-imports RM …), the World partner (``W00`` / code 0), breakdowns by second
    partner, customs procedure or transport mode (only their totals 0 / C00 / 0 are kept), the
    ``TOTAL`` commodity, and partners or reporters without an ISO3 code (areas n.e.s. such as
    ``S19``, ``_X``). ``value`` = primaryValue / 1000 (thousand USD); ``quantity`` = netWgt / 1000 (t).
    """
    if flow not in {"X", "M"}:
        raise DataContractError(f"flow must be 'X' (exports) or 'M' (imports), got {flow!r}")
    p, raw = _read_csv(path, _CT_NEEDED, "UN Comtrade", encoding=encoding, sep=sep)
    year_col = "refYear" if "refYear" in raw.columns else "period" if "period" in raw.columns else None
    if year_col is None:
        raise DataContractError(f"{p}: UN Comtrade file needs 'refYear' or 'period'; columns: {', '.join(raw.columns)}")
    counts: dict[str, int] = {}
    keep = pd.Series(True, index=raw.index)

    def drop(mask: pd.Series, reason: str) -> None:
        nonlocal keep
        newly = keep & mask
        counts[reason] = counts.get(reason, 0) + int(newly.sum())
        keep &= ~mask

    drop(raw["flowCode"].str.strip() != flow, f"flow other than {flow!r} (flow={flow!r})")
    world = raw["partnerISO"].str.strip().eq("W00")
    if "partnerCode" in raw.columns:
        world |= raw["partnerCode"].str.strip().eq("0")
    drop(world, "partner is World (W00 / 0)")
    for col, total in _CT_TOTALS.items():
        if col in raw.columns:
            drop(raw[col].str.strip().fillna(total) != total, f"breakdown by {col} (only total {total} kept)")
    drop(raw["cmdCode"].str.strip().str.upper().eq("TOTAL"), "commodity TOTAL (all products)")
    reporter, partner = raw["reporterISO"].str.strip(), raw["partnerISO"].str.strip()
    no_iso = ~(reporter.str.match(_ISO3.pattern).fillna(False) & partner.str.match(_ISO3.pattern).fillna(False))
    drop(no_iso, "reporter or partner without an ISO3 code (areas n.e.s., special codes)")
    exporter, importer = (reporter, partner) if flow == "X" else (partner, reporter)
    k = keep.to_numpy()
    frame = pd.DataFrame({
        "exporter": exporter[k], "importer": importer[k], "product": raw["cmdCode"].str.strip()[k],
        "year": raw[year_col][k], "value": _number(raw["primaryValue"][k], "primaryValue", p) / 1000.0,
        "quantity": _number(raw["netWgt"][k], "netWgt", p) / 1000.0,
    })
    return _finish(frame, "trade_flows", p, counts)


# --------------------------------------------------------------------------------------------------
# FAOSTAT items ↔ HS codes

#: FAOSTAT trade items of the agro-cluster products → their HS codes (HS 2007), after FAO's
#: HS–FCL correspondence tables (FAOSTAT, "Definitions and standards", commodity list FCL ↔ HS).
FAOSTAT_ITEM_HS: dict[str, tuple[str, ...]] = {
    "27": ("100610",), "28": ("100620",), "31": ("100630",), "32": ("100640",),  # rice paddy, husked, milled, broken
    "486": ("080300",),                                                            # bananas
    "560": ("080610",), "561": ("080620",),                                        # grapes, raisins
    "564": ("220421", "220429"), "565": ("220430",),                               # wine, grape must
    "656": ("090111", "090112"), "657": ("090121", "090122"), "659": ("210111", "210112"),  # coffee
    "661": ("180100",), "662": ("180310", "180320"),                               # cocoa beans, paste
    "667": ("090210", "090220", "090230", "090240"),                               # tea
    "882": ("040110", "040120", "040130"), "888": ("040110",),                     # whole and skim cow milk
    "897": ("040210", "040221", "040229"), "898": ("040210",),                     # dry whole and skim milk
}


def to_cluster_products(frame: pd.DataFrame, hs_codes: list[str], faostat_items: bool = False
                        ) -> tuple[pd.DataFrame, dict[str, int]]:
    """Relabel trade-flow products with the cluster's HS codes, so that a finer code counts as the cluster's.

    A product takes the cluster HS code that all its HS codes fall under: ``090111`` becomes ``0901`` when the
    cluster's codes are ``["0901"]``. With ``faostat_items`` the products are FAOSTAT trade-matrix items whose
    HS codes come from :data:`FAOSTAT_ITEM_HS` (item 656, coffee green → ``090111``, ``090112`` → ``0901``).
    Flows that become the same exporter × importer × product × year are summed (value, and quantity when
    reported); other columns (bilateral covariates such as distance) take the group's first value. The original codes are kept in ``product_detail`` (joined with ``+`` after a sum). Products
    with no cluster HS code keep their code; their rows are counted in the returned ``{reason: rows}``.
    """
    def match(product: str) -> str | None:
        codes = FAOSTAT_ITEM_HS.get(product, ()) if faostat_items else (product,)
        for hs in hs_codes:
            if codes and all(code.startswith(hs) for code in codes):
                return hs
        return None

    products = frame["product"].astype(str)
    mapped = products.map({p: match(p) for p in products.unique()})
    out = frame.assign(product_detail=products, product=mapped.fillna(products).astype(STRING_DTYPE))
    keys = ["exporter", "importer", "product", "year"]
    others = {c: (c, "first") for c in out.columns if c not in {*keys, "value", "quantity", "product_detail"}}
    summed = (out.groupby(keys, as_index=False, sort=False, observed=True)
              .agg(value=("value", "sum"), quantity=("quantity", lambda q: q.sum(min_count=1)),
                   product_detail=("product_detail", lambda s: "+".join(sorted(set(s)))), **others))
    what = "FAOSTAT item" if faostat_items else "product"
    counts = {f"{what} with no HS code among the cluster's ({', '.join(hs_codes)})": int(mapped.isna().sum())}
    return summed, counts
