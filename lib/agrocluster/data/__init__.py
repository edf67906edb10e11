"""agrocluster.data: data contracts, loaders, real bundled sources, importers (and synthetic clusters).

The synthetic generator lives in :mod:`agrocluster.data.synthetic` and is imported on demand
(``from agrocluster.data import synthetic``), not here. Public names load lazily on first use.
"""

from importlib import import_module

_HOME = {
    "KEYS": "contracts", "LINK_KINDS": "contracts", "TABLES": "contracts", "YEAR_RANGE": "contracts",
    "code_columns": "contracts", "excluded_frame": "contracts", "positive_for_logs": "contracts",
    "required_columns": "contracts", "table_names": "contracts", "validate": "contracts",
    "country_to_iso3": "countries", "is_faostat_aggregate": "countries",
    "read_baci": "importers", "read_comtrade": "importers", "read_faostat_food_balances": "importers",
    "read_faostat_trade_matrix": "importers",
    "LoadedTable": "loaders", "MissingDataFileError": "loaders", "file_sha256": "loaders",
    "infer_format": "loaders", "read_table": "loaders",
    "faostat_food_balances": "sources", "faostat_provenance": "sources", "rice_farms": "sources",
    "rice_farms_provenance": "sources", "world_totals": "sources",
}


def __getattr__(name: str):
    """Import the public names on first use, so light submodules (``files``) stay light."""
    if name in _HOME:
        value = getattr(import_module(f"agrocluster.data.{_HOME[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'agrocluster.data' has no attribute {name!r}")


__all__ = [
    "KEYS", "LINK_KINDS", "TABLES", "YEAR_RANGE", "LoadedTable", "MissingDataFileError", "code_columns",
    "country_to_iso3", "excluded_frame", "faostat_food_balances", "faostat_provenance", "file_sha256",
    "infer_format", "is_faostat_aggregate", "positive_for_logs", "read_baci", "read_comtrade",
    "read_faostat_food_balances", "read_faostat_trade_matrix", "read_table", "required_columns",
    "rice_farms", "rice_farms_provenance", "table_names", "validate", "world_totals",
]
