"""Data paths stay inside the project or the listed data roots (issue 18, item 8); input hashes see every edit."""

from __future__ import annotations

import os
import time

import pytest

from agrocluster import paths
from agrocluster.errors import DataPathError
from agrocluster.runner import HashMemo


def test_listed_data_roots_are_allowed(project, tmp_path, monkeypatch):
    elsewhere = tmp_path / "survey"
    elsewhere.mkdir()
    (elsewhere / "firms.csv").write_text("firm_id,year\n1,2020\n", encoding="utf-8")
    with pytest.raises(DataPathError):
        paths.resolve_data_path(elsewhere / "firms.csv")
    monkeypatch.setenv(paths.DATA_ROOTS_ENV, str(elsewhere))
    assert paths.resolve_data_path(elsewhere / "firms.csv") == (elsewhere / "firms.csv").resolve()
    assert paths.resolve_data_path("data/x.csv") == (project / "data" / "x.csv").resolve()


def test_hash_memo_sees_a_same_size_edit_with_the_mtime_put_back(tmp_path):
    data = tmp_path / "firms.csv"
    data.write_text("firm_id,year\n1,2020\n", encoding="utf-8")
    memo = HashMemo(tmp_path / "memo.json")
    before = memo.sha256(data)
    stat = data.stat()
    time.sleep(0.05)  # past the file system's timestamp granularity (coarse clocks tick every 4-10 ms)
    data.write_text("firm_id,year\n2,2020\n", encoding="utf-8")
    os.utime(data, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert data.stat().st_size == stat.st_size and data.stat().st_mtime_ns == stat.st_mtime_ns
    assert memo.sha256(data) != before
