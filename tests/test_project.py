"""House rules of the repository: notebooks paired and clean, README complete, environments in sync."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks/NN_name.ipynb found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_clean_and_has_one_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", "kernelspec must be python3"
    outputs = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not outputs, f"cells {outputs} carry outputs or execution counts: strip them before committing"
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"want exactly one cell tagged 'parameters', found {len(tagged)}"
    cell = nb.cells[tagged[0]]
    names = {line.split("=")[0].strip() for line in cell.source.splitlines() if "=" in line}
    assert {"output_dir"} <= names and ("cluster_id" in names or "results_dir" in names)
    following = nb.cells[tagged[0] + 1].source
    from agrocluster.runner import COLLECTION_NOTEBOOKS

    assert "agrocluster.params.load(" in following or path.stem in COLLECTION_NOTEBOOKS, \
        "the cell after the parameters cell must validate them through agrocluster.params.load"
    if path.stem not in COLLECTION_NOTEBOOKS:  # the runner passes the resolved parameters once, as JSON
        assert {"cluster_id", "overrides", "params_json"} <= names, "parameters cell: cluster_id, overrides, params_json"
        assert re.search(r"agrocluster\.params\.load\(cluster_id, overrides, params_json\)", following), \
            "validate the runner's params_json: agrocluster.params.load(cluster_id, overrides, params_json)"
    for line in cell.source.splitlines():
        if "=" in line:  # flat literals only, so "Run All" runs the demo cluster from the defaults
            ast.literal_eval(line.split("=", 1)[1].strip())
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), "first cell: '# Title'"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_pair_in_sync(path):
    script = path.with_suffix(".py")
    assert script.is_file(), f"{script.name} missing: notebooks are paired with jupytext (py:percent)"
    from_script = jupytext.read(script)
    from_ipynb = nbformat.read(path, as_version=4)
    sources = lambda nb: [(c.cell_type, c.source.strip()) for c in nb.cells]
    assert sources(from_script) == sources(from_ipynb), f"{path.name} and {script.name} differ: run make notebooks-sync"
    tags = lambda nb: [c.metadata.get("tags", []) for c in nb.cells]
    assert tags(from_script) == tags(from_ipynb)


def test_every_notebook_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        assert f"notebooks/{path.stem}" in readme, f"README's table does not list notebooks/{path.stem}"


def test_readme_gives_the_two_commands_and_template_sections():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make report" in readme and "make test" in readme
    for section in ("Overview", "Data availability", "Computational requirements", "Description of programs",
                    "Instructions", "List of tables and figures"):
        assert section.lower() in readme.lower(), f"README lacks the section {section!r}"


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]} | {_name(r) for r in project["optional-dependencies"]["test"]}
    wanted = {"dask" if n == "dask" else n for n in wanted}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda, pip = set(), set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip |= {_name(r) for r in dep["pip"] if not r.startswith("-e")}
        else:
            conda.add(_name(dep))
    have = (conda | pip) - {"python", "pip", "distributed"}
    assert have == wanted, f"only in environment.yml: {sorted(have - wanted)}; only in pyproject: {sorted(wanted - have)}"
    assert any(isinstance(d, dict) and "-e ." in d["pip"] for d in env["dependencies"]), "pip line must install the project"


def test_make_help_lists_the_targets():
    result = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0
    for target in ("report", "test", "install", "benchmarks"):
        assert re.search(rf"^\s+{target}\s", result.stdout, re.MULTILINE), result.stdout


def test_console_script_is_installed():
    result = subprocess.run([sys.executable, "-m", "agrocluster.cli", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "run" in result.stdout and "params" in result.stdout


def test_report_tables_escape_text_and_print_years_plainly():
    import pandas as pd

    from agrocluster.tables import display_table

    frame = pd.DataFrame({"region": ["<b>Maule</b>"], "year": [2020], "employment": [12345.0], "share": [0.25]})
    markup = display_table(frame, caption="Caption <i>", number=3, csv_href="tables/x.csv")._repr_html_()
    assert "&lt;b&gt;Maule&lt;/b&gt;" in markup and "<b>Maule</b>" not in markup
    assert "Caption &lt;i&gt;" in markup and "<strong>Table 3.</strong>" in markup
    assert "<td>2020</td>" in markup and "<td>12,345</td>" in markup and "<td>0.250</td>" in markup
    assert 'href="tables/x.csv" download' in markup


def test_outputs_saved_in_jupyterlab_are_stripped_on_the_way_into_git(tmp_path):
    """`make install` registers nbstripout as a git filter; stripping a notebook run in place leaves it clean."""
    import shutil

    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "nbstripout --install" in makefile and "-m nbstripout --keep-id" in makefile
    source = ROOT / "notebooks" / "00_cluster_overview.ipynb"
    saved = nbformat.read(source, as_version=4)
    for cell in saved.cells:
        if cell.cell_type == "code":
            cell.execution_count = 3
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="output saved by JupyterLab\n")]
    path = tmp_path / source.name
    nbformat.write(saved, path)
    nbstripout = shutil.which("nbstripout", path=str(Path(sys.executable).parent))
    stripped = subprocess.run([nbstripout, "--keep-id", "-t", str(path)], capture_output=True, text=True,
                              check=True).stdout
    nb = nbformat.reads(stripped, as_version=4)
    assert not [c for c in nb.cells if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert [c.source for c in nb.cells] == [c.source for c in nbformat.read(source, as_version=4).cells]
    assert [c.metadata.get("tags") for c in nb.cells] == [c.metadata.get("tags") for c in saved.cells]
    # the filter (with the Makefile's --keep-id) leaves every committed notebook byte-identical: git status stays
    # clean in a checkout set up by `make install`, and the runner's cell ids (its cache key) do not change
    for committed in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        text = committed.read_text(encoding="utf-8")
        again = subprocess.run([nbstripout, "--keep-id", "-t", str(committed)], capture_output=True, text=True,
                               check=True).stdout
        assert again == text, f"{committed.name} changes when stripped: run `make notebooks-sync`"
