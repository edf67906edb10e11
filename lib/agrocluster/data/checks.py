"""Parameters checked against the data: do the codes, names and years the params give occur in the tables?

A cluster sector written ``127`` when the data say ``"0127"``, or a region spelled ``Quindío`` when the data
say ``Quindio``, would otherwise run without error and report "0 plants of sector 127".
:func:`check_params_against_data` lists every such mismatch with a "did you mean" suggestion (leading zeros,
accents and case are ignored when looking for one); ``agrocluster data check ID`` prints it and fails on a
mismatch.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable
from typing import Any

import pandas as pd

__all__ = ["check_params_against_data", "suggest"]


def _fold(text: str) -> str:
    """Text without accents, case, surrounding spaces or leading zeros (for suggestions only)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", str(text)) if not unicodedata.combining(c))
    return plain.strip().casefold().lstrip("0")


def suggest(value: str, present: Iterable[str]) -> str | None:
    """The value of ``present`` that ``value`` most likely means: equal once accents, case and leading zeros
    are ignored, else the closest spelling (difflib, ratio ≥ 0.6); ``None`` when nothing is close."""
    present = sorted({str(p) for p in present})
    folded = {_fold(p): p for p in present}
    if _fold(value) in folded:
        return folded[_fold(value)]
    close = difflib.get_close_matches(_fold(value), list(folded), n=1, cutoff=0.6)
    return folded[close[0]] if close else None


def _values(data: Any, table: str, column: str) -> set[str]:
    if not data.has(table) or column not in data[table].columns:
        return set()
    return set(data[table][column].dropna().astype(str))


def check_params_against_data(data: Any) -> pd.DataFrame:
    """Every parameter that names something in the data, checked against the loaded tables.

    Parameters
    ----------
    data : agrocluster.data.cluster.ClusterData
        The loaded tables; its ``params`` are checked.

    Returns
    -------
    DataFrame
        One row per check: ``key`` (the params key), ``table``, ``status`` (``ok``, ``mismatch`` or ``skipped``
        when the table is absent) and ``message`` (for a mismatch: what is wrong and "did you mean …").

    Notes
    -----
    Checked: ``cluster_sector`` among the sectors of establishments and of regional employment, and
    ``related_sectors`` among the sectors of either; ``regions`` among the regions of each, and the regions of ``region_areas_km2`` among the establishments'; the years ``first_year``–``last_year`` overlap each
    microdata table's years; ``hs_codes`` among the trade-flow products and ``country_iso3`` among the
    exporters; ``faostat_item_code`` and ``country_iso3`` in the country-product table; that ``exports`` is not
    a 0/1 flag mapped onto the export value. Years are checked for
    the user's tables only (the bundled rice farms count seasons 1–6).
    """
    params = data.params
    rows: list[dict[str, str]] = []

    def check(key: str, table: str, wanted: Iterable[str], column: str, what: str) -> None:
        tables = [t for t in table.split(" + ") if data.has(t)]
        if not tables:
            rows.append({"key": key, "table": table, "status": "skipped", "message": f"no {table} table"})
            return
        present = set().union(*(_values(data, t, column) for t in tables))
        for value in wanted:
            if str(value) in present:
                rows.append({"key": key, "table": table, "status": "ok", "message": f"{what} {value!r} present"})
                continue
            hint = suggest(str(value), present)
            shown = ", ".join(sorted(present)[:12]) + (" …" if len(present) > 12 else "")
            rows.append({"key": key, "table": table, "status": "mismatch",
                         "message": f"{what} {value!r} is not in {' or '.join(f'{t}.{column}' for t in tables)}"
                                    + (f" (did you mean {hint!r}?)" if hint else "") + f"; present: {shown}"})

    for table in ("establishments", "regional_employment"):
        check("cluster_sector", table, [params.cluster_sector], "sector", "sector")
        check("regions", table, params.regions, "region", "region")
    check("related_sectors", "establishments + regional_employment", params.related_sectors, "sector", "sector")
    check("region_areas_km2", "establishments", list(getattr(params, "region_areas_km2", {}) or {}), "region", "region")
    check("hs_codes", "trade_flows", params.hs_codes, "product", "HS code")
    check("country_iso3", "trade_flows", [params.country_iso3], "exporter", "exporter")
    check("faostat_item_code", "country_product", [str(params.faostat_item_code)], "item", "FAOSTAT item")
    check("country_iso3", "country_product", [params.country_iso3], "country", "country")
    if data.has("establishments") and "exports" in data["establishments"].columns:
        values = set(data["establishments"]["exports"].dropna().unique())
        if values and values <= {0.0, 1.0}:
            rows.append({"key": "data.establishments.columns", "table": "establishments", "status": "mismatch",
                         "message": "column exports holds only 0 and 1: it is export sales in thousand USD, not an "
                                    "exporter flag; map the column of export values to it (or leave exports out)"})
    wanted_years = set(range(params.first_year, params.last_year + 1))
    for table in ("establishments", "regional_employment", "trade_flows", "firm_links"):
        if not data.has(table) or data.info[table].source not in ("file", "derived"):
            continue
        years = {int(y) for y in data[table]["year"].unique()}
        common = years & wanted_years
        span = f"{min(years)}–{max(years)}" if years else "none"
        if not common:
            rows.append({"key": "first_year, last_year", "table": table, "status": "mismatch",
                         "message": f"no year of {params.first_year}–{params.last_year} in {table} (years {span})"})
        else:
            rows.append({"key": "first_year, last_year", "table": table, "status": "ok",
                         "message": f"{len(common)} of {len(wanted_years)} years present (data: {span})"})
    return pd.DataFrame(rows, columns=["key", "table", "status", "message"])
