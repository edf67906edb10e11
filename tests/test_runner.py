"""The runner with real papermill kernels, real nbconvert rendering and real files.

Small probe notebooks (written into a throw-away copy of the project) keep these tests quick; the real
workbooks are run end to end in tests/test_notebooks_run.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import nbformat
import pytest

from agrocluster import runner

pytestmark = pytest.mark.slow

PROBE = [
    ("parameters", 'cluster_id = "chile_wine"\noverrides = {}\noutput_dir = ""\nparams_json = ""'),
    (None, "import os, time\nimport pandas as pd\nimport agrocluster.params\nfrom agrocluster import record\n"
           "params = agrocluster.params.load(cluster_id, overrides, params_json)\n"
           'rec = record.Recorder(params, "10_probe", output_dir)'),
    (None, 'probe = params.synthetic.get("probe", "ok")\n'
           'if probe == "fail" and params.cluster_id == params.synthetic.get("fail_cluster", params.cluster_id):\n'
           '    raise ValueError("planted failure in " + params.cluster_id)\n'
           'if probe == "die" and params.cluster_id == params.synthetic.get("fail_cluster", params.cluster_id):\n'
           "    os.kill(os.getpid(), 9)\n"
           'time.sleep(float(params.synthetic.get("sleep", 0)))'),
    (None, 'print("CODE-MARKER")\nrec.headline("establishments", params.seed, note="seed of <b>" + params.name + "</b>")\n'
           'rec.table("probe", pd.DataFrame({"region": ["<i>r1</i>", "r2"], "value": [1.5, 2.25]}), "Probe table")'),
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


def test_failure_is_isolated_and_keeps_last_good_report(probe_project):
    runner.run(["chile_wine", "kenya_tea"], ["10_probe"], jobs=2, progress=False)
    out = probe_project / "outputs" / "chile_wine"
    good_html = (out / "10_probe.html").read_bytes()
    good_results = (out / "10_probe.results.json").read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "agrocluster.cli", "run", "--notebook", "10_probe", "--cluster", "chile_wine",
         "--cluster", "kenya_tea", "-p", "synthetic.probe=fail", "-p", "synthetic.fail_cluster=chile_wine",
         "--jobs", "2", "--no-progress", "--junit", str(probe_project / "run-junit.xml")],
        capture_output=True, text=True, env=dict(os.environ),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "planted failure in chile_wine" in result.stdout
    failure = ET.parse(probe_project / "run-junit.xml").find(".//testcase[@classname='chile_wine']/failure")
    assert failure.get("type") == "ValueError" and "planted failure" in failure.get("message")  # the cell's error
    assert (out / "10_probe.html").read_bytes() == good_html
    assert (out / "10_probe.results.json").read_bytes() == good_results
    failed = json.loads((out / "10_probe.failed.json").read_text())
    assert "ValueError: planted failure in chile_wine" in failed["error"]
    assert (out / "10_probe.failed.ipynb").is_file() and (out / "10_probe.failed.html").is_file()
    kenya = json.loads((probe_project / "outputs" / "kenya_tea" / "10_probe.results.json").read_text())
    assert kenya["provenance"]["params"]["synthetic"]["probe"] == "fail"  # the other task ran with the override
    index = (probe_project / "outputs" / "index.html").read_text()
    assert "planted failure in chile_wine" in index and "last good report" in index
    assert not list(out.rglob("*.tmp")) and not list(out.rglob(".*.tmp"))
    # fixing the cause and rerunning clears the failure
    runner.run(["chile_wine"], ["10_probe"], jobs=1, progress=False)
    assert not (out / "10_probe.failed.json").exists()


def test_killed_kernel_fails_that_task_only(probe_project):
    summary = runner.run(["chile_wine", "kenya_tea"], ["10_probe"],
                         ["synthetic.probe=die", "synthetic.fail_cluster=kenya_tea"], jobs=2, progress=False)
    status = {r.cluster_id: r for r in summary.results}
    assert status["chile_wine"].status == "ok"
    assert status["kenya_tea"].status == "failed"
    assert "DeadKernelError" in status["kenya_tea"].error or "died" in status["kenya_tea"].error.lower()


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


def test_bad_cluster_and_notebook_names_are_refused(probe_project):
    from agrocluster.errors import ParamsError

    with pytest.raises(ParamsError, match="safe slug"):
        runner.build_matrix(["../etc"], None)
    with pytest.raises(ParamsError, match="known: 10_probe"):
        runner.build_matrix(None, ["99_nothing"])


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
