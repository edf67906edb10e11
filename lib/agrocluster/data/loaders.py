"""Read a user's table (CSV, Parquet, Excel, Stata) into a validated contract frame.

:func:`read_table` infers the format from the file extension (overridable), renames the user's
columns to the contract names with a mapping ``{user_column: contract_column}`` (given in the
cluster's params), reads code columns as text so that leading zeros survive (``"0112"`` stays
``"0112"``), validates with :func:`agrocluster.data.contracts.validate` and returns a
:class:`LoadedTable` carrying the file's SHA-256 for provenance.

Parquet, Excel and Stata keep the types they were written with: a sector code stored as a number
in those files has already lost its leading zeros, and nothing here can restore them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from agrocluster.data.contracts import (
    STRING_DTYPE,
    YEAR_RANGE,
    code_columns,
    contract_fields,
    excluded_frame,
    missing_columns_message,
    validate_rows,
)
from agrocluster.data.files import FORMATS, IMPORTER_FORMATS
from agrocluster.errors import DataContractError

_EXTENSIONS = {
    ".csv": "csv", ".txt": "csv", ".tsv": "csv", ".gz": "csv", ".zip": "csv", ".bz2": "csv",
    ".parquet": "parquet", ".pq": "parquet",
    ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel",
    ".dta": "stata",
}


class MissingDataFileError(DataContractError, FileNotFoundError):
    """A data file named in the params does not exist (also a :class:`FileNotFoundError`)."""


@dataclass
class LoadedTable:
    """A validated contract table and where it came from.

    Attributes
    ----------
    frame : DataFrame
        The coerced, validated table.
    table : str
        Contract name.
    path : Path | None
        Source file (``None`` for an in-memory or packaged source).
    sha256 : str
        SHA-256 of the source file ("" when there is no file).
    n_rows : int
        Rows in ``frame``.
    excluded : DataFrame
        ``reason → n_rows`` for rows left out by a documented rule (empty when none).
    """

    frame: pd.DataFrame
    table: str
    path: Path | None
    sha256: str
    n_rows: int
    excluded: pd.DataFrame = field(default_factory=excluded_frame)

    @property
    def n_excluded(self) -> int:
        return int(self.excluded["n_rows"].sum())

    def summary(self) -> pd.DataFrame:
        """One-row inventory: table, file, rows kept, rows excluded, SHA-256 (first 12 hex)."""
        return pd.DataFrame([{
            "table": self.table, "file": str(self.path) if self.path else "", "rows": self.n_rows,
            "excluded_rows": self.n_excluded, "sha256": self.sha256[:12],
        }])


def file_sha256(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file, read in chunks (constant memory)."""
    p = Path(path)
    if not p.is_file():
        raise MissingDataFileError(f"data file not found: {p}")
    h = hashlib.sha256()
    with p.open("rb") as fh:
        while chunk := fh.read(chunk_size):
            h.update(chunk)
    return h.hexdigest()


def infer_format(path: str | Path) -> str:
    """Format from the extension: csv, parquet, excel or stata (``.csv.gz`` is csv)."""
    suffix = Path(path).suffix.lower()
    if suffix not in _EXTENSIONS:
        raise DataContractError(f"{path}: cannot tell the format from extension {suffix!r}; "
                                f"pass format= one of {', '.join(FORMATS)}")
    return _EXTENSIONS[suffix]


def _check_mapping(columns: Mapping[str, str] | None, table: str, path: Path) -> dict[str, str]:
    mapping = dict(columns or {})
    known = contract_fields(table)
    wrong = [c for c in mapping.values() if c not in known]
    if wrong:
        raise DataContractError(f"{path}: column mapping targets {wrong} that are not columns of table {table!r}; "
                                f"its columns are {', '.join(known)}")
    return mapping


def _reader_problem(exc: BaseException, fmt: str) -> str:
    """What went wrong, in words that name no file contents (reader messages can quote a line of the file)."""
    import struct
    import zipfile

    if isinstance(exc, zipfile.BadZipFile):
        return "not a complete .xlsx file (truncated or not Excel); save it again from the spreadsheet program"
    if isinstance(exc, EOFError):
        return "the compressed file ends early (truncated download?)"
    if isinstance(exc, struct.error):
        return "not a complete Stata .dta file (truncated or another format)"
    if isinstance(exc, UnicodeDecodeError):
        return (f"byte 0x{exc.object[exc.start]:02x} at position {exc.start} is not {exc.encoding}; "
                "give the file's encoding (e.g. latin-1)")
    if isinstance(exc, pd.errors.EmptyDataError):
        return "no header line and no data"
    if isinstance(exc, pd.errors.ParserError):
        where = re.search(r"line (\d+)", str(exc))
        return "rows with an unexpected number of fields" + (f" (line {where.group(1)})" if where else "")
    if type(exc).__name__ == "ArrowInvalid" and fmt == "parquet":
        return "not a complete Parquet file (truncated or another format)"
    if isinstance(exc, ImportError):
        return f"a package needed to read {fmt} files is missing ({exc.name})"
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return type(exc).__name__


def _read(path: Path, fmt: str, text_columns: list[str], sheet: str | int | None,
          csv_options: Mapping[str, str | None]) -> pd.DataFrame:
    if fmt == "csv":
        sep = csv_options.get("sep") or ("\t" if path.suffix.lower() == ".tsv" else ",")
        encoding = csv_options.get("encoding") or "utf-8"
        decimal = csv_options.get("decimal") or "."
        # a decimal comma comes with a thousands dot (1.234,5), as spreadsheets in those locales write numbers
        thousands = "." if decimal == "," else None
        header = pd.read_csv(path, sep=sep, nrows=0, encoding=encoding).columns
        dtype = {c: str for c in header if c in text_columns}
        return pd.read_csv(path, sep=sep, dtype=dtype, keep_default_na=True, encoding=encoding, decimal=decimal,
                           thousands=thousands)
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        # strings straight into pyarrow-backed columns: no detour through Python objects
        arrow_strings = {pa.string(): STRING_DTYPE, pa.large_string(): STRING_DTYPE}
        return pq.read_table(path).to_pandas(types_mapper=arrow_strings.get)
    if fmt == "excel":
        names = pd.ExcelFile(path).sheet_names
        if isinstance(sheet, str) and sheet not in names or isinstance(sheet, int) and not 0 <= sheet < len(names):
            raise DataContractError(f"{path}: no sheet {sheet!r} (positions count from 0); the workbook has "
                                    f"{len(names)} sheet(s): {', '.join(repr(n) for n in names)}")
        header = pd.read_excel(path, sheet_name=0 if sheet is None else sheet, nrows=0).columns
        return pd.read_excel(path, sheet_name=0 if sheet is None else sheet,
                             dtype={c: str for c in header if c in text_columns})
    if fmt == "stata":
        return pd.read_stata(path, convert_categoricals=False)
    raise DataContractError(f"{path}: unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def _import(path: Path, table: str, fmt: str, columns: Mapping[str, str] | None,
            csv_options: Mapping[str, str | None], country_codes: str | Path | None, flow: str) -> LoadedTable:
    """A download read by its importer (:mod:`agrocluster.data.importers`), for ``format`` = ``fmt``."""
    from agrocluster.data import importers

    if IMPORTER_FORMATS[fmt] != table:
        raise DataContractError(f"{path}: format {fmt!r} reads a {IMPORTER_FORMATS[fmt]} table, not {table!r}")
    if columns:
        raise DataContractError(f"{path}: format {fmt!r} knows its download's columns; drop the 'columns' mapping")
    options = {k: v for k, v in csv_options.items() if k in ("encoding", "sep") and v}
    if fmt == "faostat_csv":
        return importers.read_faostat_food_balances(path, **options)
    if fmt == "faostat_trade_csv":
        return importers.read_faostat_trade_matrix(path, flow=flow, **options)
    if fmt == "comtrade_csv":
        return importers.read_comtrade(path, flow="X" if flow == "export" else "M", **options)
    if country_codes is None:
        raise DataContractError(f"{path}: format 'baci_csv' needs country_codes, the BACI country-code file")
    return importers.read_baci(path, country_codes, **options)


def read_table(path: str | Path, table: str, format: str | None = None,
               columns: Mapping[str, str] | None = None, sheet: str | int | None = None,
               year_range: tuple[int, int] = YEAR_RANGE, *, encoding: str | None = None,
               sep: str | None = None, decimal: str | None = None, on_invalid: str = "refuse",
               country_codes: str | Path | None = None, flow: str = "export") -> LoadedTable:
    """Read, rename, coerce and validate one contract table from a file.

    Parameters
    ----------
    path : str or Path
        CSV (``.csv``, ``.tsv``, ``.csv.gz``), Parquet, Excel (openpyxl) or Stata ``.dta`` file.
    table : str
        Contract name (see :data:`agrocluster.data.contracts.TABLES`).
    format : str, optional
        ``csv``, ``parquet``, ``excel`` or ``stata``, inferred from the extension by default; or an
        importer of a download: ``faostat_csv``, ``faostat_trade_csv``, ``baci_csv``, ``comtrade_csv``
        (see :data:`agrocluster.data.files.FORMATS`).
    columns : mapping, optional
        ``{user_column: contract_column}``; unmapped columns keep their names.
    sheet : str or int, optional
        Excel sheet (first sheet by default).
    year_range : (int, int)
        Plausible years, 1900–2100 by default.
    encoding, sep, decimal : str, optional
        CSV read options (UTF-8, ``,`` and ``.`` by default; ``.tsv`` files are tab-separated), e.g.
        ``latin-1``, ``;`` and ``,`` for a CSV saved by a spreadsheet in a Spanish locale. With a decimal
        comma, a dot is read as the thousands separator (``1.234,5`` is 1234.5).
    on_invalid : {"refuse", "drop"}
        Rows that break the contract: refused with every problem listed, or dropped and counted in
        ``excluded`` (see :func:`agrocluster.data.contracts.validate_rows`).
    country_codes : str or Path, optional
        The BACI country-code file (format ``baci_csv`` only).
    flow : {"export", "import"}
        Which flow the trade importers keep (exports by default).

    Raises
    ------
    MissingDataFileError
        The file does not exist (a :class:`DataContractError` and a :class:`FileNotFoundError`).
    DataContractError
        A mapped column is absent (naming the file, the column, the columns present and the closest
        match), or the table breaks its contract (see :func:`~agrocluster.data.contracts.validate`).
    """
    p = Path(path)
    if not p.is_file():
        raise MissingDataFileError(f"data file for table {table!r} not found: {p}")
    fmt = format or infer_format(p)
    if fmt not in FORMATS:
        raise DataContractError(f"{p}: unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    csv_options = {"encoding": encoding, "sep": sep, "decimal": decimal}
    if fmt in IMPORTER_FORMATS:
        return _import(p, table, fmt, columns, csv_options, country_codes, flow)
    mapping = _check_mapping(columns, table, p)
    codes = set(code_columns(table))
    text_columns = [u for u, c in mapping.items() if c in codes] + [c for c in codes if c not in mapping.values()]
    if p.stat().st_size == 0:
        raise DataContractError(f"{p}: the file is empty (0 bytes); table {table!r} cannot be read from it")
    try:
        raw = _read(p, fmt, text_columns, sheet, csv_options)
    except DataContractError:  # the reader's own refusal (e.g. no such sheet) already names the file
        raise
    except Exception as exc:
        raise DataContractError(f"{p}: cannot be read as {fmt}: {_reader_problem(exc, fmt)}") from exc
    absent = [u for u in mapping if u not in raw.columns]
    if absent:
        raise DataContractError(missing_columns_message(absent, raw.columns, table, str(p))
                                .replace("missing required column", "missing mapped column"))
    clashes = [f"{user!r} → {target!r}" for user, target in mapping.items()
               if user != target and target in raw.columns and target not in mapping]
    if clashes:
        raise DataContractError(
            f"{p}: column mapping {', '.join(clashes)} would give two columns the same name: the file already "
            "has a column of that name; map that one too (or drop it from the file)"
        )
    frame, excluded = validate_rows(raw.rename(columns=mapping), table, source=str(p), year_range=year_range,
                                    on_invalid=on_invalid)
    return LoadedTable(frame=frame, table=table, path=p, sha256=file_sha256(p), n_rows=len(frame),
                       excluded=excluded)
