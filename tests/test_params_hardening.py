"""Parameter files and overrides under hostile or careless input (issue 18): refused with the file, line or key."""

from __future__ import annotations

import pytest

from agrocluster import params as params_module
from agrocluster.errors import ParamsError


def test_sheet_positions_are_accepted_like_the_loader_does(project):
    data = project / "data" / "firms.xlsx"
    data.write_bytes(b"placeholder")
    cluster = project / "params" / "clusters" / "chile_wine.yaml"
    cluster.write_text(cluster.read_text(encoding="utf-8")
                       + "\ndata:\n  establishments: {source: file, path: data/firms.xlsx, sheet: 1}\n", encoding="utf-8")
    assert params_module.load("chile_wine").data["establishments"].sheet == 1
    with pytest.raises(ParamsError, match="sheet -1"):
        params_module.load("chile_wine", {"data.establishments.sheet": -1})


def test_an_empty_cluster_file_gets_one_line_naming_it(project):
    (project / "params" / "clusters" / "empty.yaml").write_text("", encoding="utf-8")
    with pytest.raises(ParamsError) as info:
        params_module.load("empty")
    lines = str(info.value).splitlines()
    assert len(lines) == 2 and "params/clusters/empty.yaml: missing required key(s) cluster_id, name," in lines[1]


def test_cli_version_and_a_closed_pipe(project):
    import os
    import subprocess
    import sys

    from agrocluster import __version__

    env = {**os.environ, "AGROCLUSTER_ROOT": str(project)}
    version = subprocess.run([sys.executable, "-m", "agrocluster.cli", "--version"], capture_output=True, text=True,
                             env=env, check=True)
    assert version.stdout.strip() == f"agrocluster {__version__}"
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before the first line is written, as with `| head` on a long output
    try:
        shown = subprocess.run([sys.executable, "-m", "agrocluster.cli", "params", "show", "chile_wine"],
                               stdout=write_end, stderr=subprocess.PIPE, text=True, env=env, check=False)
    finally:
        os.close(write_end)
    assert shown.returncode == 1 and shown.stderr == ""


def test_a_file_read_again_is_parsed_once_and_each_caller_gets_its_own_copy(tmp_path):
    path = tmp_path / "cluster.yaml"
    path.write_text("name: Demo\nregions: [a, b]\n", encoding="utf-8")
    first = params_module.read_yaml(path)
    first["regions"].append("changed by a caller")
    again = params_module.read_yaml(path)
    assert again == {"name": "Demo", "regions": ["a", "b"]} and again is not first
    path.write_text("name: Demo\nname: Twice\n", encoding="utf-8")  # an edit is read, and an error is never remembered
    for _ in range(2):
        with pytest.raises(ParamsError, match=r"line 2: duplicate key 'name'"):
            params_module.read_yaml(path)
