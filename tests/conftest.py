"""Shared fixtures: a throw-away copy of the project (params, notebooks) with its own outputs folder."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def wait_until(predicate: Callable[[], object], seconds: float, what: str, poll: float = 0.2) -> None:
    """Poll ``predicate`` until it is true; fail the test after ``seconds`` naming ``what`` was awaited."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(poll)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")
SHARED_DATA = ROOT.parent / "shared" / "data"
#: The demo clusters shipped with the project: tests use these, never a user's own cluster files.
DEMO_CLUSTERS = ("brazil_grapes", "chile_wine", "indonesia_rice", "kenya_tea", "nicaragua_dairy", "vietnam_coffee")


#: Test files that take longest (measured with ``--durations`` on 2 cores), first in line under pytest-xdist.
SLOW_FILES_FIRST = ("test_site_browser.py", "test_own_data_end_to_end.py", "test_runner.py", "test_dask.py",
                    "test_data_cluster.py", "test_own_data.py", "test_runner_faults.py", "test_bad_inputs.py")


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``make test``: ``-n 2 --dist loadfile``), hand out the slowest files first.

    ``loadfile`` keeps each file on one worker (its module fixtures, and the session's :func:`built_site`,
    which only tests/test_site_browser.py reads, are built once) and gives files to workers in collection
    order as they free up; a slow file collected last would run alone at the end. Only worker processes
    reorder (every worker the same way); a plain ``pytest`` run keeps the usual order.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    rank = {name: i for i, name in enumerate(SLOW_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A copy of the project's defaults, demo clusters and notebooks under tmp_path, used as AGROCLUSTER_ROOT.

    Only the shipped demo clusters are copied, so a user's own cluster files (and their data) never
    change what the tests see.

    Outputs go to tmp_path/outputs, so tests never touch the real outputs/ folder.
    """
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    (root / "params" / "clusters").mkdir(parents=True)
    shutil.copy(ROOT / "params" / "defaults.yaml", root / "params" / "defaults.yaml")
    for cluster_id in DEMO_CLUSTERS:
        shutil.copy(ROOT / "params" / "clusters" / f"{cluster_id}.yaml", root / "params" / "clusters")
    shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (root / "data").mkdir()
    share_faostat_cache(root)
    monkeypatch.setenv("AGROCLUSTER_ROOT", str(root))
    monkeypatch.setenv("AGROCLUSTER_OUTPUTS", str(root / "outputs"))
    return root


def share_faostat_cache(root: Path) -> None:
    """Point ``root/data/cache`` at the repository's ``data/cache``: a test project reads the decoded FAOSTAT food
    balances from there instead of decoding the cube once more for itself (3-6 s a project on 2 busy cores).

    Entries are keyed by the FAOSTAT file and the decoding code and written atomically (a temporary folder renamed
    into place, :func:`agrocluster.data.sources._faostat_decoded`), so concurrent kernels and xdist workers share
    them safely; the cache's own behaviour is tested on a private folder (tests/test_data_cluster.py).
    """
    cache = ROOT / "data" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    (root / "data" / "cache").symlink_to(cache, target_is_directory=True)


@pytest.fixture
def shared_data():
    """The reference data in ../shared/data (skips the test when it is absent)."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The demo site, built once per test session: every notebook for two clusters, then the synthesis.

    Runs ``agrocluster run --cluster chile_wine --cluster indonesia_rice --jobs 2 --no-progress`` with the
    repository as project root and a temporary outputs folder; returns (outputs path, CompletedProcess).
    Only tests/test_site_browser.py reads it, so under ``--dist loadfile`` one worker builds it, once.
    """
    import subprocess
    import sys

    outputs = tmp_path_factory.mktemp("site") / "outputs"
    env = {**os.environ, "AGROCLUSTER_ROOT": str(ROOT), "AGROCLUSTER_OUTPUTS": str(outputs)}
    completed = subprocess.run(
        [sys.executable, "-m", "agrocluster.cli", "run", "--cluster", "chile_wine", "--cluster", "indonesia_rice",
         "--jobs", "2", "--no-progress"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=1500, check=False,
    )
    return outputs, completed
