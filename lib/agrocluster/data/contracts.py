"""Data contracts: the five tables every agrocluster module reads, as pandera schemas.

Each table has required and optional columns of a few kinds (code, ISO3 code, year, quantity ...).
:func:`validate` coerces a frame to the contract types (codes as strings with leading zeros kept,
years as ``int64``, quantities as ``float64``), then checks every rule lazily and raises one
:class:`~agrocluster.errors.DataContractError` that lists *all* the problems: source file, table,
column, rule broken, offending rows (1-based data rows, the header not counted; first few + count).

Coercion is done here rather than by pandera's ``coerce=True`` because a failed pandera coercion
hides the other checks of that column (they then fail with a ``TypeError``); coercing first and
recording the cells that are not numbers keeps every problem visible in one message.

Rules (agreed across the team): required columns present; unique keys (``firm_id × year``,
``region × sector × year``, ``exporter × importer × product × year``, ``country × item × year``);
non-negative quantities; years in 1900–2100 (overridable for panels indexed by season, see
:func:`agrocluster.data.sources.rice_farms`); codes as strings; ``kind`` in its set; ISO3 codes three
upper-case letters; ``lat`` in [-90, 90], ``lon`` in [-180, 180]; ``programme_entry_year`` nullable
integer. Extra columns are allowed and kept unchanged.

:func:`positive_for_logs` implements the documented rule "logs only of positive values": it returns
the rows kept and a table of the rows excluded, counted by reason; nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from agrocluster.errors import DataContractError

#: String dtype for codes: pyarrow-backed, ``pd.NA`` for missing, same behaviour on pandas 2 and 3.
STRING_DTYPE = pd.StringDtype("pyarrow")
#: Default plausible range of calendar years.
YEAR_RANGE = (1900, 2100)
#: Allowed values of ``firm_links.kind``.
LINK_KINDS = ("input_supply", "sales", "cooperation", "knowledge")

_MAX_ROWS_SHOWN = 5


@dataclass(frozen=True)
class Field:
    """One contract column: its kind (how it is coerced and checked), whether required and nullable."""

    name: str
    kind: str  # code | iso3 | year | year_nullable | quantity | count | float | bool | kind | lat | lon | dummy | positive
    required: bool = True
    nullable: bool = False


def _fields(*specs: Field) -> dict[str, Field]:
    return {f.name: f for f in specs}


_QUANTITIES = ("output", "value_added", "capital", "labour", "materials", "investment", "wage_bill",
               "exports", "land")

#: The contracts: table name → column → :class:`Field`.
TABLES: dict[str, dict[str, Field]] = {
    "establishments": _fields(
        Field("firm_id", "code"),
        Field("year", "year"),
        Field("region", "code"),
        Field("sector", "code"),
        Field("lat", "lat", required=False, nullable=True),
        Field("lon", "lon", required=False, nullable=True),
        *(Field(q, "quantity", required=False, nullable=True) for q in _QUANTITIES),
        Field("export_destinations", "count", required=False, nullable=True),
        Field("cluster_member", "bool", required=False),
        Field("programme_entry_year", "year_nullable", required=False, nullable=True),
    ),
    "regional_employment": _fields(
        Field("region", "code"),
        Field("sector", "code"),
        Field("year", "year"),
        Field("employment", "quantity"),
        Field("establishments", "count"),
    ),
    "trade_flows": _fields(
        Field("exporter", "iso3"),
        Field("importer", "iso3"),
        Field("product", "code"),
        Field("year", "year"),
        Field("value", "quantity"),
        Field("quantity", "quantity", nullable=True),
        Field("distance", "positive", required=False, nullable=True),
        *(Field(d, "dummy", required=False, nullable=True)
          for d in ("contiguity", "common_language", "colony", "rta")),
    ),
    "country_product": _fields(
        Field("country", "iso3"),
        Field("item", "code"),
        Field("year", "year"),
        Field("production", "quantity", nullable=True),
        Field("imports", "quantity", nullable=True),
        Field("exports", "quantity", nullable=True),
        Field("item_name", "code", required=False, nullable=True),
        Field("domestic_supply", "float", required=False, nullable=True),
    ),
    "firm_links": _fields(
        Field("source", "code"),
        Field("target", "code"),
        Field("year", "year"),
        Field("kind", "kind"),
        Field("value", "quantity"),
    ),
}

#: What each table is (one sentence) — the head of its section in the data dictionary.
TABLE_MEANINGS: dict[str, str] = {
    "establishments": "One row per establishment (firm, plant or farm) and year: where it is, its sector, inputs "
                      "and outputs. Read by the mapping, agglomeration, productivity and export workbooks.",
    "regional_employment": "One row per region × sector × year: employment and establishments. Read by the mapping "
                           "workbook (location quotients, concentration, shift-share). Derived from a user's "
                           "establishments (labour summed) when the cluster gives no such table.",
    "trade_flows": "One row per exporter × importer × product × year: bilateral trade of the cluster's products. "
                   "Read by the export-links workbook (destinations, RCA, gravity).",
    "country_product": "One row per country × FAOSTAT item × year: production and trade in quantities (FAOSTAT "
                       "food balances). Read by the overview, mapping and export workbooks.",
    "firm_links": "One row per link between two establishments and year: supplies, sales, cooperation or "
                  "knowledge. Read by the export-links workbook (networks inside and outside the cluster).",
}

#: Unit and meaning of every contract column (table → column → (unit, meaning)).
COLUMN_MEANINGS: dict[str, dict[str, tuple[str, str]]] = {
    "establishments": {
        "firm_id": ("code", "establishment identifier, stable across years (text; leading zeros kept)"),
        "year": ("year", "calendar year (the rice farms: season index 1–6)"),
        "region": ("code", "region name or code; must match the names in params 'regions' exactly"),
        "sector": ("code", "sector code (text, e.g. ISIC '0127'); params 'cluster_sector' must be one of them"),
        "lat": ("degrees", "latitude (WGS84); needed by maps, distance bands, Conley errors and K-density"),
        "lon": ("degrees", "longitude (WGS84)"),
        "output": ("thousand USD", "gross output (value); the rice farms: kg"),
        "value_added": ("thousand USD", "value added = output - materials"),
        "capital": ("thousand USD", "capital stock"),
        "labour": ("workers", ("plant employment (full-time workers); the rice farms: hours. Not a region's "
                               "employment")),
        "materials": ("thousand USD", "intermediate inputs (materials, energy, services)"),
        "investment": ("thousand USD", "gross investment (the Olley–Pakes proxy; zeros allowed)"),
        "wage_bill": ("thousand USD", "wages paid"),
        "exports": ("thousand USD", "export sales, a VALUE (0 for a non-exporter) — not a 0/1 exporter flag"),
        "land": ("ha", "land farmed"),
        "export_destinations": ("count", "number of export destination countries (0 for a non-exporter)"),
        "cluster_member": ("true/false", "member of the cluster organisation (true/false, 1/0 or yes/no)"),
        "programme_entry_year": ("year", ("year the establishment entered the cluster programme; EMPTY (NaN) for "
                                          "never treated (not 0: the estimators build R did's 0 themselves)")),
    },
    "regional_employment": {
        "region": ("code", "region name or code, as in establishments.region"),
        "sector": ("code", "sector code (text), as in establishments.sector"),
        "year": ("year", "calendar year"),
        "employment": ("workers", "employment of the sector in the region"),
        "establishments": ("count", "establishments of the sector in the region"),
    },
    "trade_flows": {
        "exporter": ("ISO3", "exporting country (ISO 3166-1 alpha-3, upper case)"),
        "importer": ("ISO3", "importing country (ISO3)"),
        "product": ("code", "product code: HS code as text ('0901'), matched against params 'hs_codes'"),
        "year": ("year", "calendar year"),
        "value": ("thousand USD", "trade value (Comtrade's USD are divided by 1000 on import)"),
        "quantity": ("tonnes", "trade quantity; may be empty"),
        "distance": ("km", "distance between the two countries (> 0); gravity regressor ln_distance"),
        "contiguity": ("0/1", "1 if the countries share a border"),
        "common_language": ("0/1", "1 if they share an official language"),
        "colony": ("0/1", "1 if they ever had a colonial link"),
        "rta": ("0/1", "1 if a regional trade agreement is in force that year"),
    },
    "country_product": {
        "country": ("ISO3", "country (ISO3; FAOSTAT aggregates are left out on import)"),
        "item": ("code", "FAOSTAT food-balance item code as text ('2630' coffee); params 'faostat_item_code'"),
        "year": ("year", "calendar year"),
        "production": ("thousand tonnes", "production; may be empty"),
        "imports": ("thousand tonnes", "import quantity; may be empty"),
        "exports": ("thousand tonnes", "export quantity; may be empty"),
        "item_name": ("text", "FAOSTAT item name"),
        "domestic_supply": ("thousand tonnes", "domestic supply quantity (may be negative through stock changes)"),
    },
    "firm_links": {
        "source": ("code", "firm_id of the establishment the link starts from"),
        "target": ("code", "firm_id of the establishment it goes to (may be outside the establishments table)"),
        "year": ("year", "calendar year"),
        "kind": ("one of " + ", ".join(LINK_KINDS), "what flows along the link"),
        "value": ("thousand USD", "value of the link (sales or supplies; 1 for a cooperation or knowledge tie)"),
    },
}

#: Unique key of each table.
KEYS: dict[str, tuple[str, ...]] = {
    "establishments": ("firm_id", "year"),
    "regional_employment": ("region", "sector", "year"),
    "trade_flows": ("exporter", "importer", "product", "year"),
    "country_product": ("country", "item", "year"),
    "firm_links": (),
}

_STRING_KINDS = {"code", "iso3", "kind"}
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def table_names() -> list[str]:
    """The names of the contract tables."""
    return list(TABLES)


def contract_fields(table: str) -> dict[str, Field]:
    """The :class:`Field` of each column of ``table``; unknown table → :class:`DataContractError`."""
    if table not in TABLES:
        raise DataContractError(f"unknown table {table!r}: the contracts are {', '.join(TABLES)}")
    return TABLES[table]


def dictionary(table: str | None = None) -> pd.DataFrame:
    """The data dictionary: one row per contract column (of ``table``, or of every table).

    Columns: ``table, column, kind, unit, required, nullable, meaning`` — what ``agrocluster data contract``
    prints and ``docs/data.md`` holds (:func:`dictionary_markdown`).
    """
    tables = [table] if table is not None else list(TABLES)
    rows = []
    for name in tables:
        for column, f in contract_fields(name).items():
            unit, meaning = COLUMN_MEANINGS[name][column]
            rows.append({"table": name, "column": column, "kind": f.kind, "unit": unit,
                         "required": f.required, "nullable": f.nullable, "meaning": meaning})
    return pd.DataFrame(rows)


#: The rules every table obeys, as the data dictionary states them.
RULES = (
    ("Required columns must be present; other columns of the file are kept unchanged (map your names to the "
     "contract's with `columns: {your_name: contract_name}`)."),
    "Codes (`code`, `ISO3`, `kind`) are read as text: `0127` keeps its leading zero in CSV and Excel files.",
    ("Quantities and counts are non-negative; `year` is a whole number in 1900–2100; `lat` in [-90, 90], `lon` "
     "in [-180, 180]; 0/1 dummies are 0 or 1."),
    "Missing values: an empty cell (or NA) is missing; a column marked nullable may have them, the others not.",
    ("Keys are unique: establishments firm_id × year; regional_employment region × sector × year; trade_flows "
     "exporter × importer × product × year; country_product country × item × year."),
    ("A table that breaks a rule is refused with every problem listed (file, column, rule, rows); with "
     "`on_invalid: drop` the offending rows are left out instead and counted in the report's exclusions table."),
)


def dictionary_markdown() -> str:
    """``docs/data.md``: the data dictionary of every contract table, generated from the contracts."""
    lines = ["# Data dictionary", "",
             ("Generated from `lib/agrocluster/data/contracts.py` by `agrocluster data contract --markdown`; "
              "do not edit by hand (a test compares this file with the contracts)."), "",
             "Print one table in a terminal with `agrocluster data contract TABLE`.", "", "## Rules", ""]
    lines += [f"- {rule}" for rule in RULES]
    for table in TABLES:
        key = " × ".join(KEYS[table]) or "none"
        lines += ["", f"## `{table}`", "", TABLE_MEANINGS[table], "", f"Unique key: {key}.", "",
                  "| column | kind | unit | required | nullable | meaning |", "|---|---|---|---|---|---|"]
        for row in dictionary(table).itertuples(index=False):
            lines.append(f"| `{row.column}` | {row.kind} | {row.unit} | {'yes' if row.required else 'no'} | "
                         f"{'yes' if row.nullable else 'no'} | {row.meaning} |")
    return "\n".join(lines) + "\n"


def code_columns(table: str) -> list[str]:
    """Columns of ``table`` read as strings (codes, ISO3 codes, link kinds)."""
    return [n for n, f in contract_fields(table).items() if f.kind in _STRING_KINDS]


def required_columns(table: str) -> list[str]:
    return [n for n, f in contract_fields(table).items() if f.required]


# --------------------------------------------------------------------------------------------------
# coercion


def _code_to_string(values: pd.Series) -> pd.Series:
    """Codes as strings: text is stripped of spaces (zeros kept); integer-valued numbers lose '.0'.

    A column already of :data:`STRING_DTYPE` is taken as is (it was coerced before).
    """
    if pd.api.types.is_bool_dtype(values):
        return values.astype(STRING_DTYPE)
    if pd.api.types.is_integer_dtype(values):
        return values.astype("Int64").astype(STRING_DTYPE)
    if pd.api.types.is_float_dtype(values):
        if (values.dropna() == np.floor(values.dropna())).all():
            return values.astype("Int64").astype(STRING_DTYPE)
        return values.astype(STRING_DTYPE)
    if values.dtype == STRING_DTYPE:
        return values
    return values.astype(STRING_DTYPE).str.strip()


def _to_bool(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Booleans from bool, 0/1 or true/false/yes/no text; returns (values, mask of cells not understood)."""
    if pd.api.types.is_bool_dtype(values) and not values.isna().any():
        return values.astype(bool), pd.Series(False, index=values.index)
    text = values.astype(STRING_DTYPE).str.strip().str.lower()
    is_true = text.isin(_TRUE).fillna(False).astype(bool)
    is_false = text.isin(_FALSE).fillna(False).astype(bool)
    bad = ~(is_true | is_false)
    return pd.Series(is_true.to_numpy(), index=values.index), bad


@dataclass
class _Problem:
    columns: str
    rule: str
    rows: np.ndarray  # 0-based positions
    values: list


def _coerce(df: pd.DataFrame, fields: dict[str, Field]) -> tuple[pd.DataFrame, list[_Problem]]:
    out = df.copy()
    problems: list[_Problem] = []
    for name, f in fields.items():
        if name not in out.columns:
            continue
        col = out[name]
        if f.kind in _STRING_KINDS:
            out[name] = _code_to_string(col)
        elif f.kind == "bool":
            values, bad = _to_bool(col)
            if bad.any():
                pos = np.flatnonzero(bad.to_numpy())
                problems.append(_Problem(name, "must be true/false (or 1/0, yes/no)", pos,
                                         col.iloc[pos[:_MAX_ROWS_SHOWN]].tolist()))
            out[name] = values
        else:
            num = col if col.dtype == np.float64 else pd.to_numeric(col, errors="coerce").astype("float64")
            not_number = (num.isna() & col.notna()).to_numpy()
            if not_number.any():
                pos = np.flatnonzero(not_number)
                problems.append(_Problem(name, "must be a number", pos, col.iloc[pos[:_MAX_ROWS_SHOWN]].tolist()))
            if f.kind in {"year", "year_nullable", "count"}:
                fractional = (num.notna() & (num != np.round(num))).to_numpy()
                if fractional.any():
                    pos = np.flatnonzero(fractional)
                    problems.append(_Problem(name, "must be a whole number", pos,
                                             num.iloc[pos[:_MAX_ROWS_SHOWN]].tolist()))
                    num = num.where(~fractional)
                if f.kind == "year" and not num.isna().any():
                    out[name] = num.astype("int64")
                else:
                    out[name] = num.round().astype("Int64")
            else:
                out[name] = num
    return out, problems


# --------------------------------------------------------------------------------------------------
# pandera schemas


def _checks(f: Field, year_range: tuple[int, int]) -> list[pa.Check]:
    lo, hi = year_range
    by_kind = {
        "iso3": [pa.Check.str_matches(r"^[A-Z]{3}$", error="ISO3 code: three upper-case letters")],
        "year": [pa.Check.in_range(lo, hi, error=f"year in [{lo}, {hi}]")],
        "year_nullable": [pa.Check.in_range(lo, hi, error=f"year in [{lo}, {hi}], or empty for never (not 0)")],
        "quantity": [pa.Check.ge(0, error="non-negative quantity (>= 0)")],
        "count": [pa.Check.ge(0, error="non-negative count (>= 0)")],
        "positive": [pa.Check.gt(0, error="strictly positive (> 0)")],
        "dummy": [pa.Check.isin([0.0, 1.0], error="0/1 dummy")],
        "kind": [pa.Check.isin(list(LINK_KINDS), error=f"one of {', '.join(LINK_KINDS)}")],
        "lat": [pa.Check.in_range(-90, 90, error="latitude in [-90, 90] degrees")],
        "lon": [pa.Check.in_range(-180, 180, error="longitude in [-180, 180] degrees")],
    }
    checks = by_kind.get(f.kind, [])
    if _dtype_kind(f) == "float64":
        checks = [pa.Check(_finite, element_wise=False, error="finite number (not inf or -inf)"), *checks]
    return checks


def _finite(series: pd.Series) -> pd.Series:
    """True where a number is finite or missing (missing values are judged by ``nullable``)."""
    values = series.to_numpy(dtype="float64", na_value=np.nan)
    return pd.Series(np.isfinite(values) | np.isnan(values), index=series.index)


def _dtype_kind(f: Field) -> str:
    if f.kind in _STRING_KINDS or f.kind in {"bool", "year", "year_nullable", "count"}:
        return "other"
    return "float64"


def _dtype(f: Field, frame: pd.DataFrame) -> object:
    if f.kind in _STRING_KINDS:
        return STRING_DTYPE
    if f.kind == "bool":
        return bool
    if f.kind in {"year", "year_nullable", "count"}:
        return frame[f.name].dtype  # int64 or Int64, fixed by _coerce
    return "float64"


def schema(table: str, frame: pd.DataFrame | None = None, year_range: tuple[int, int] = YEAR_RANGE
           ) -> pa.DataFrameSchema:
    """The pandera schema of ``table`` (for an already-coerced ``frame``, if given)."""
    fields = contract_fields(table)
    columns = {}
    for name, f in fields.items():
        dtype = _dtype(f, frame) if frame is not None and name in frame.columns else None
        columns[name] = pa.Column(dtype, checks=_checks(f, year_range), nullable=f.nullable,
                                  required=f.required, coerce=False)
    key = list(KEYS[table])
    return pa.DataFrameSchema(columns, unique=key or None, report_duplicates="all", strict=False,
                              name=table)


# --------------------------------------------------------------------------------------------------
# validation


def _rows_text(rows: np.ndarray) -> str:
    shown = ", ".join(str(int(r) + 1) for r in rows[:_MAX_ROWS_SHOWN])
    more = f" and {len(rows) - _MAX_ROWS_SHOWN} more" if len(rows) > _MAX_ROWS_SHOWN else ""
    if len(rows) == 1:
        return f"1 row (row {shown})"
    return f"{len(rows)} rows (rows {shown}{more})"


def _pandera_problems(err: pa.errors.SchemaErrors, table: str, skip: set[tuple[str, int]]) -> list[_Problem]:
    fc = err.failure_cases
    problems: list[_Problem] = []
    key = KEYS[table]
    dup = fc[fc["check"].astype(str) == "multiple_fields_uniqueness"]
    if len(dup):
        rows = np.unique(pd.to_numeric(dup["index"], errors="coerce").dropna().astype(int).to_numpy())
        problems.append(_Problem(" × ".join(key), f"duplicate key: ({', '.join(key)}) must be unique", rows, []))
    rest = fc[fc["check"].astype(str) != "multiple_fields_uniqueness"]
    for (column, check), grp in rest.groupby(["column", "check"], sort=False, dropna=False):
        check = str(check)
        idx = pd.to_numeric(grp["index"], errors="coerce")
        rows = idx.dropna().astype(int).to_numpy()
        if check == "not_nullable":
            rows = np.array([r for r in rows if (column, int(r)) not in skip], dtype=int)
            if rows.size == 0:
                continue
            rule = "must not be missing"
            problems.append(_Problem(str(column), rule, np.unique(rows), []))
            continue
        elif check == "column_in_dataframe":
            continue  # reported by validate() with the "did you mean" hint
        elif check.startswith("dtype("):
            rule = f"wrong type {grp['failure_case'].iloc[0]} (expected {check[6:-1]})"
        else:
            rule = check
        problems.append(_Problem(str(column), rule, np.unique(rows), grp["failure_case"].head(_MAX_ROWS_SHOWN).tolist()
                                 if rows.size else []))
    return problems


def _format(problems: list[_Problem], table: str, source: str) -> str:
    plural = "s" if len(problems) != 1 else ""
    lines = [f"{source}: table {table!r} breaks its contract ({len(problems)} problem{plural}; "
             + "rows are 1-based data rows, header not counted):"]
    for p in problems:
        where = f"column {p.columns!r}" if " × " not in p.columns else f"key {p.columns}"
        what = _rows_text(p.rows) if p.rows.size else "the whole column"
        vals = f"; values {p.values}" if p.values else ""
        lines.append(f"  - {where}: {p.rule}: {what}{vals}")
    return "\n".join(lines)


def missing_columns_message(missing: Sequence[str], present: Iterable[str], table: str, source: str) -> str:
    """Message for required columns that are absent, with the columns present and 'did you mean'."""
    import difflib

    present = [str(c) for c in present]
    parts = []
    for col in missing:
        close = difflib.get_close_matches(col, present, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        parts.append(f"{col!r}{hint}")
    separator = ""
    if len(present) == 1:  # one column whose name holds the others: the file uses another separator
        found = [s for s in (";", "\t", "|", ",") if s in present[0]]
        if found:
            separator = (f"; the header is one column holding {found[0]!r}: the file is separated by {found[0]!r}, "
                         f"give sep: {found[0]!r} in the data source")
    return (f"{source}: table {table!r} is missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(parts)}; columns present: {', '.join(present) or '(none)'}{separator}")


def validate(df: pd.DataFrame, table: str, source: str = "<in-memory>",
             year_range: tuple[int, int] = YEAR_RANGE) -> pd.DataFrame:
    """Coerce ``df`` to the ``table`` contract and check every rule; return the coerced frame.

    Parameters
    ----------
    df : DataFrame
        The table; extra columns are kept unchanged. Its index is replaced by a fresh RangeIndex.
    table : str
        One of ``establishments, regional_employment, trade_flows, country_product, firm_links``.
    source : str
        Where the table came from (a file path), named in every error message.
    year_range : (int, int)
        Inclusive range of plausible years, 1900–2100 by default.

    Returns
    -------
    DataFrame
        Codes as pyarrow-backed strings (leading zeros kept), ``year`` as int64, counts and
        ``programme_entry_year`` as nullable Int64, quantities as float64, ``cluster_member`` as bool.

    Raises
    ------
    DataContractError
        Naming the source, the table, each failing column, the rule and the offending rows
        (all problems at once). An empty table is an error naming the source.
    """
    frame, problems = _check(df, table, source, year_range)
    if problems:
        raise DataContractError(_format(problems, table, source))
    return frame


def _check(df: pd.DataFrame, table: str, source: str, year_range: tuple[int, int]
           ) -> tuple[pd.DataFrame, list[_Problem]]:
    """The coerced frame and every problem found (structural problems raise at once)."""
    fields = contract_fields(table)
    if not isinstance(df, pd.DataFrame):
        raise DataContractError(f"{source}: table {table!r} must be a pandas DataFrame, got {type(df).__name__}")
    if len(df) == 0:
        raise DataContractError(f"{source}: table {table!r} is empty (no data rows)")
    missing = [c for c in required_columns(table) if c not in df.columns]
    if missing:
        raise DataContractError(missing_columns_message(missing, df.columns, table, source))
    frame = df.reset_index(drop=True)
    frame, problems = _coerce(frame, fields)
    skip = {(p.columns, int(r)) for p in problems for r in p.rows}
    try:
        schema(table, frame, year_range).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        problems.extend(_pandera_problems(err, table, skip))
    return frame, problems


#: What a table's rows that break its contract become: refused (the default) or dropped and counted.
ON_INVALID = ("refuse", "drop")


def validate_rows(df: pd.DataFrame, table: str, source: str = "<in-memory>",
                  year_range: tuple[int, int] = YEAR_RANGE, on_invalid: str = "refuse"
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`validate` with a row policy: ``refuse`` raises, ``drop`` leaves out the rows that break a rule.

    Returns
    -------
    (frame, excluded)
        The coerced, valid frame and the ``reason → n_rows`` table of dropped rows (each row counted once,
        under the first rule it breaks; every row of a duplicated key is dropped).

    Raises
    ------
    DataContractError
        With ``refuse``, as :func:`validate`. With ``drop``, still for what no row drop can mend: a missing
        required column, a column of the wrong type as a whole, an empty table, or no row left.
    """
    if on_invalid not in ON_INVALID:
        raise DataContractError(f"{source}: on_invalid must be one of {', '.join(ON_INVALID)}, got {on_invalid!r}")
    if on_invalid == "refuse":
        return validate(df, table, source, year_range), excluded_frame()
    frame, problems = _check(df, table, source, year_range)
    whole = [p for p in problems if not p.rows.size]
    if whole:
        raise DataContractError(_format(whole, table, source) + "\n(on_invalid: drop cannot mend a whole column)")
    dropped = np.zeros(len(frame), dtype=bool)
    counts: dict[str, int] = {}
    for p in problems:
        newly = np.zeros(len(frame), dtype=bool)
        newly[p.rows] = True
        newly &= ~dropped
        reason = f"broke the contract: {p.columns}: {p.rule} (on_invalid: drop)"
        counts[reason] = counts.get(reason, 0) + int(newly.sum())
        dropped |= newly
    if dropped.all():
        raise DataContractError(f"{source}: every row of table {table!r} breaks its contract:\n"
                                + _format(problems, table, source))
    kept = validate(df.reset_index(drop=True).loc[~dropped], table, source, year_range)
    return kept, excluded_frame(counts)


def excluded_frame(counts: dict[str, int] | None = None) -> pd.DataFrame:
    """A tidy ``reason → n_rows`` table (reasons with zero rows left out)."""
    items = [(r, int(n)) for r, n in (counts or {}).items() if n]
    return pd.DataFrame(items, columns=["reason", "n_rows"]).astype({"reason": STRING_DTYPE, "n_rows": "int64"})


def positive_for_logs(df: pd.DataFrame, columns: Sequence[str], source: str = "<in-memory>"
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the rows whose ``columns`` are all strictly positive, so that their logs exist.

    A row is excluded under the first listed column that is missing, zero or negative; each row
    is counted once. Documented rule: "logs only of positive values".

    Returns
    -------
    (kept, excluded)
        ``kept`` is the frame restricted to usable rows (original index kept); ``excluded`` has one
        row per reason (``"<column> <= 0 or missing (logs only of positive values)"``) with ``n_rows``.

    Raises
    ------
    DataContractError
        If a column is absent (naming it and the source) or not numeric.
    """
    columns = list(columns)
    absent = [c for c in columns if c not in df.columns]
    if absent:
        raise DataContractError(f"{source}: positive_for_logs needs column(s) {absent} "
                                f"that are not in the table; columns present: {', '.join(map(str, df.columns))}")
    alive = np.ones(len(df), dtype=bool)
    counts: dict[str, int] = {}
    for c in columns:
        if not pd.api.types.is_numeric_dtype(df[c]):
            raise DataContractError(f"{source}: column {c!r} must be numeric to take logs, got {df[c].dtype}")
        ok = (df[c] > 0).fillna(False).to_numpy(dtype=bool)
        newly_out = alive & ~ok
        counts[f"{c} <= 0 or missing (logs only of positive values)"] = int(newly_out.sum())
        alive &= ok
    return df.loc[alive], excluded_frame(counts)
