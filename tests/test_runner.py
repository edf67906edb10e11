"""The runner with real papermill kernels, real nbconvert rendering and real files.

Small probe notebooks (written into a throw-away copy of the project) keep these tests quick; the real
workbooks are run end to end in tests/test_notebooks_run.py.
"""

from __future__ import annotations

import json

import nbformat
import pytest

from agrocluster import runner

pytestmark = pytest.mark.slow

PROBE = [
    ("parameters", 'cluster_id = "chile_wine"\noverrides = {}\noutput_dir = ""\nparams_json = ""'),
    (None, ("import os, time\nimport pandas as pd\nimport agrocluster.params\nfrom agrocluster import record\n"
            "params = agrocluster.params.load(cluster_id, overrides, params_json)\n"
            'rec = record.Recorder(params, "10_probe", output_dir)')),
    (None, ('probe = params.synthetic.get("probe", "ok")\n'
            'if probe == "fail" and params.cluster_id == params.synthetic.get("fail_cluster", params.cluster_id):\n'
            '    raise ValueError("planted failure in " + params.cluster_id)\n'
            'if probe == "die" and params.cluster_id == params.synthetic.get("fail_cluster", params.cluster_id):\n'
            "    os.kill(os.getpid(), 9)\n"
            'time.sleep(float(params.synthetic.get("sleep", 0)))')),
    (None, ('print("CODE-MARKER")\nrec.headline("establishments", params.seed, note="seed of <b>" + params.name + "</b>")\n'
            'rec.table("probe", pd.DataFrame({"region": ["<i>r1</i>", "r2"], "value": [1.5, 2.25]}), "Probe table")')),
    (None, 'if params.synthetic.get("probe") != "nosave":\n    rec.save()'),
]


def write_probe(project, stem="10_probe"):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell("# Probe workbook\n\nA notebook for runner tests."))
    for tag, source in PROBE:
        cell = nbformat.v4.new_code_cell(source.replace("10_probe", stem))
        if tag:
            cell.metadata["tags"] = [tag]
        nb.cells.append(cell)
    nbformat.write(nb, project / "notebooks" / f"{stem}.ipynb")


@pytest.fixture
def probe_project(project):
    for path in (project / "notebooks").glob("*"):
        path.unlink()
    write_probe(project)
    return project


def test_run_writes_reports_results_and_index(probe_project):
    summary = runner.run(["chile_wine", "kenya_tea"], ["10_probe"], jobs=2, progress=False)
    assert [r.status for r in summary.results] == ["ok", "ok"], summary.table()
    out = probe_project / "outputs"
    for cid in ("chile_wine", "kenya_tea"):
        html = (out / cid / "10_probe.html").read_text()
        assert "CODE-MARKER" in html  # the cell's output is there...
        assert 'CODE-MARKER"</span>' not in html and "hl-ipython3" not in html  # ...code is hidden
        assert "injected-parameters" not in html and "Parameters" not in html.split("<main>")[1][:200]
        assert "<script src=" not in html  # nothing fetched from a CDN
        assert "&lt;i&gt;r1&lt;/i&gt;" in html and "<i>r1</i>" not in html  # text from data is escaped
        results = json.loads((out / cid / "10_probe.results.json").read_text())
        assert results["headline"]["establishments"]["value"] == results["provenance"]["params"]["seed"]
        assert results["headline"]["establishments"]["label"] == "Firms or farms in the microdata"  # the registry's
        assert results["headline"]["establishments"]["origin"] == "synthetic"  # chile_wine's firms are synthetic
        prov = results["provenance"]
        for key in ("params", "inputs", "code", "packages", "seed", "started", "duration_s", "cache_key"):
            assert key in prov
        assert prov["packages"]["pandas"] not in ("", "not installed")
        assert (out / cid / "tables" / "10_probe-probe.csv").read_text().startswith("region,value")
        assert (out / cid / "10_probe.ipynb").is_file()
    index = (out / "index.html").read_text()
    assert "chile_wine/10_probe.html" in index and "kenya_tea/10_probe.html" in index
    assert "not run" in index  # the other clusters of params/ are listed, not run
    assert "Firms or farms in the microdata" in index
    ledger = json.loads((out / "runs.json").read_text())["tasks"]
    assert set(ledger) == {"chile_wine/10_probe", "kenya_tea/10_probe"}


def test_show_code_keeps_code(probe_project):
    runner.run(["chile_wine"], ["10_probe"], jobs=1, progress=False, show_code=True)
    html = (probe_project / "outputs" / "chile_wine" / "10_probe.html").read_text()
    assert 'CODE-MARKER"</span>' in html and "hl-ipython3" in html  # highlighted source is shown
    # the same process renders again without code: each option has its own (reused) exporter
    runner.run(["chile_wine"], ["10_probe"], jobs=1, progress=False, force=True)
    html = (probe_project / "outputs" / "chile_wine" / "10_probe.html").read_text()
    assert "CODE-MARKER" in html and 'CODE-MARKER"</span>' not in html
    assert runner._html_exporter(False) is runner._html_exporter(False) is not runner._html_exporter(True)


def test_runner_processes_validate_notebooks_without_the_iri_grammars():
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from agrocluster._process import skip_iri_grammars\n"
        "first = skip_iri_grammars()\n"
        "import nbformat\n"
        "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('x = 1')])\n"
        "nbformat.validate(nb)\n"
        "nb.cells[0]['execution_count'] = 'one'\n"
        "try:\n"
        "    nbformat.validate(nb)\n"
        "except nbformat.ValidationError:\n"
        "    print('refused')\n"
        "print(first, skip_iri_grammars(), sys.modules['rfc3987_syntax'] is None)\n"
    )
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    # nbformat still validates (a broken notebook is refused); a second call, after jsonschema loaded, changes nothing
    assert shown == ["refused", "True", "False", "True"]


def test_cache_skips_unchanged_and_reruns_edited_notebook(probe_project):
    write_probe(probe_project, "11_probe")
    first = runner.run(["chile_wine"], None, jobs=2, progress=False)
    assert {r.status for r in first.results} == {"ok"}
    again = runner.run(["chile_wine"], None, jobs=2, progress=False)
    assert {r.status for r in again.results} == {"cached"}
    path = probe_project / "notebooks" / "11_probe.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += "\n\nEdited."
    nbformat.write(nb, path)
    edited = runner.run(["chile_wine"], None, jobs=2, progress=False)
    assert {(r.notebook, r.status) for r in edited.results} == {("10_probe", "cached"), ("11_probe", "ok")}
    forced = runner.run(["chile_wine"], None, jobs=2, progress=False, force=True)
    assert {r.status for r in forced.results} == {"ok"}
    changed_params = runner.run(["chile_wine"], ["10_probe"], ["seed=5"], jobs=1, progress=False)
    assert [r.status for r in changed_params.results] == ["ok"]


def test_unwritable_outputs_are_reported_and_good_files_kept(probe_project):
    runner.run(["chile_wine"], ["10_probe"], jobs=1, progress=False)
    out = probe_project / "outputs" / "chile_wine"
    good = (out / "10_probe.html").read_bytes()
    tables = out / "tables"
    for path in tables.iterdir():
        path.unlink()
    tables.rmdir()
    tables.write_text("a file where the tables folder should be")  # writing tables/*.csv now fails
    summary = runner.run(["chile_wine"], ["10_probe"], jobs=1, progress=False, force=True)
    assert summary.results[0].status == "failed"
    assert "could not write outputs" in summary.results[0].error
    assert (out / "10_probe.html").read_bytes() == good


def test_parameters_enter_the_kernel_once_as_json(probe_project):
    """The runner resolves the parameters and injects them as params_json (no overrides to re-resolve)."""
    summary = runner.run(["chile_wine"], ["10_probe"], ["seed=5"], jobs=1, progress=False)
    assert [r.status for r in summary.results] == ["ok"], summary.table()
    out = probe_project / "outputs" / "chile_wine"
    executed = nbformat.read(out / "10_probe.ipynb", as_version=4)
    injected = next(c.source for c in executed.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert "params_json = " in injected and "overrides" not in injected
    results = json.loads((out / "10_probe.results.json").read_text())
    assert results["provenance"]["params"]["seed"] == 5 and results["headline"]["establishments"]["value"] == 5
    assert "Chile" in (out / "10_probe.html").read_text()  # the cluster's name comes from the resolved params


def test_notebook_that_ignores_params_json_is_refused(probe_project):
    """A notebook resolving its own parameters (here: without the override) would publish other numbers."""
    path = probe_project / "notebooks" / "10_probe.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        cell.source = cell.source.replace("load(cluster_id, overrides, params_json)", "load(cluster_id, overrides)")
    nbformat.write(nb, path)
    summary = runner.run(["chile_wine"], ["10_probe"], ["seed=5"], jobs=1, progress=False)
    assert summary.results[0].status == "failed"
    assert "params_json" in summary.results[0].error
    assert not (probe_project / "outputs" / "chile_wine" / "10_probe.results.json").exists()
