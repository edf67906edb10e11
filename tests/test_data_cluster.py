"""load_cluster: every table of a cluster from its declared source, with provenance; `agrocluster data check`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agrocluster import params as P
from agrocluster.data.cluster import frame_sha256, load_cluster
from agrocluster.data.files import faostat_file, input_files, rice_farms_file
from agrocluster.errors import DataContractError

SAMPLES = Path(__file__).parent / "data"


def test_synthetic_tables_are_deterministic_and_labelled():
    params = P.load("kenya_tea", {"synthetic.n_firms": 400})
    first = load_cluster(params, tables=("establishments", "firm_links"))
    again = load_cluster(params, tables=("establishments", "firm_links"))
    other = load_cluster(P.load("kenya_tea", {"synthetic.n_firms": 400, "seed": 1}), tables=("establishments",))
    assert first.info["establishments"].sha256 == again.info["establishments"].sha256
    assert first.info["establishments"].sha256 != other.info["establishments"].sha256
    assert first.is_synthetic("establishments") and first.truth["seed"] == params.seed
    inventory = first.inventory().set_index("table")
    assert inventory.loc["establishments", "kind"] == "synthetic"
    assert inventory.loc["establishments", "rows"] == len(first["establishments"])


def test_real_sources_and_their_files():
    params = P.load("indonesia_rice")
    data = load_cluster(params, tables=("establishments",))
    farms = data["establishments"]
    assert farms["firm_id"].nunique() == 171 and len(farms) == 171 * 6
    assert data.info["establishments"].source == "rice_farms"
    assert input_files(params) == {"country_product": faostat_file(), "establishments": rice_farms_file()}
    with pytest.raises(DataContractError, match=r"has no 'trade_flows' table \(params key data.trade_flows\)"):
        data["trade_flows"]


def test_user_file_with_column_mapping(project):
    shutil.copy(SAMPLES / "establishments_user_names.csv", project / "data" / "firms.csv")
    overrides = {"data.establishments.source": "file", "data.establishments.path": "data/firms.csv",
                 "data.establishments.columns": {"plant": "firm_id", "yr": "year", "comuna": "region",
                                                 "isic": "sector", "k": "capital"}}
    data = load_cluster(P.load("chile_wine", overrides), tables=("establishments",))
    info = data.info["establishments"]
    assert info.source == "file" and info.origin == "data/firms.csv" and len(info.sha256) == 64
    assert data["establishments"]["firm_id"].tolist() == ["0001", "0002"]  # leading zeros kept
    assert data.inventory().loc[0, "kind"] == "user file"


def test_user_file_missing_column_names_file_and_column(project):
    shutil.copy(SAMPLES / "establishments_user_names.csv", project / "data" / "firms.csv")
    params = P.load("chile_wine", {"data.establishments.source": "file", "data.establishments.path": "data/firms.csv"})
    with pytest.raises(DataContractError, match=r"firms.csv.*firm_id"):
        load_cluster(params, tables=("establishments",))


def test_frame_hash_sees_values_and_order():
    import pandas as pd

    a = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    assert frame_sha256(a) == frame_sha256(a.copy())
    assert frame_sha256(a) != frame_sha256(a.iloc[::-1])
    assert frame_sha256(a) != frame_sha256(a.assign(x=[1, 3]))


def test_cli_data_check_prints_inventory():
    result = subprocess.run([sys.executable, "-m", "agrocluster.cli", "data", "check", "indonesia_rice"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "rice_farms" in result.stdout and "real" in result.stdout and "synthetic" in result.stdout
    assert "country_product" in result.stdout


def test_faostat_disk_cache_returns_exactly_the_decoded_frames(tmp_path, monkeypatch):
    import pandas as pd

    from agrocluster.data import sources

    monkeypatch.setattr(sources, "_faostat_cache_file", lambda: tmp_path / "cache" / "faostat-test")
    (tmp_path / "cache" / "faostat-older-code").mkdir(parents=True)
    sources._faostat_decoded.cache_clear()
    try:
        fresh = sources._faostat_decoded()  # decodes and writes the cache
        assert sorted(p.name for p in (tmp_path / "cache" / "faostat-test").iterdir()) == [
            "corrections.arrow", "countries.arrow", "world.arrow"]
        # no temporary folder left, and the entry of older decoding code is gone
        assert [p.name for p in (tmp_path / "cache").iterdir()] == ["faostat-test"]
        sources._faostat_decoded.cache_clear()
        cached = sources._faostat_decoded()  # reads it back
        for a, b in zip(fresh, cached):
            pd.testing.assert_frame_equal(a, b, check_exact=True)
        (tmp_path / "cache" / "faostat-test" / "world.arrow").write_bytes(b"damaged")
        sources._faostat_decoded.cache_clear()
        pd.testing.assert_frame_equal(sources._faostat_decoded()[0], fresh[0])  # a damaged entry is rebuilt
    finally:
        sources._faostat_decoded.cache_clear()
