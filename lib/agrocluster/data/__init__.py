"""agrocluster.data: data contracts, loaders, real bundled sources, importers (and synthetic clusters).

The synthetic generator lives in :mod:`agrocluster.data.synthetic` and is imported on demand
(``from agrocluster.data import synthetic``), not here.
"""

from agrocluster.data.contracts import (
    KEYS,
    LINK_KINDS,
    TABLES,
    YEAR_RANGE,
    code_columns,
    excluded_frame,
    positive_for_logs,
    required_columns,
    table_names,
    validate,
)
from agrocluster.data.countries import country_to_iso3, is_faostat_aggregate
from agrocluster.data.importers import (
    read_baci,
    read_comtrade,
    read_faostat_food_balances,
    read_faostat_trade_matrix,
)
from agrocluster.data.loaders import LoadedTable, MissingDataFileError, file_sha256, infer_format, read_table
from agrocluster.data.sources import (
    faostat_food_balances,
    faostat_provenance,
    rice_farms,
    rice_farms_provenance,
    world_totals,
)

__all__ = [
    "KEYS", "LINK_KINDS", "TABLES", "YEAR_RANGE", "LoadedTable", "MissingDataFileError", "code_columns",
    "country_to_iso3", "excluded_frame", "faostat_food_balances", "faostat_provenance", "file_sha256",
    "infer_format", "is_faostat_aggregate", "positive_for_logs", "read_baci", "read_comtrade",
    "read_faostat_food_balances", "read_faostat_trade_matrix", "read_table", "required_columns",
    "rice_farms", "rice_farms_provenance", "table_names", "validate", "world_totals",
]
