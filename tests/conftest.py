"""Shared fixtures: a throw-away copy of the project (params, notebooks) with its own outputs folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
#: The demo clusters shipped with the project: tests use these, never a user's own cluster files.
DEMO_CLUSTERS = ("brazil_grapes", "chile_wine", "indonesia_rice", "kenya_tea", "nicaragua_dairy", "vietnam_coffee")


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
    monkeypatch.setenv("AGROCLUSTER_ROOT", str(root))
    monkeypatch.setenv("AGROCLUSTER_OUTPUTS", str(root / "outputs"))
    return root


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
    """
    import os
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
