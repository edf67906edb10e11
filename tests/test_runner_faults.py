"""The runner under faults not in the matrix of tests/test_fault_matrix.py: Dask without workers fails after a
stated timeout; edits of a notebook's .py and .ipynb; ``agrocluster list``. Real processes, kernels, scheduler."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from agrocluster import runner
from agrocluster.errors import RunError

from .conftest import wait_until
from .test_dask import BIN, _free_port
from .test_runner import write_probe

pytestmark = pytest.mark.slow


@pytest.fixture
def probe_project(project):
    for path in (project / "notebooks").glob("*"):
        path.unlink()
    write_probe(project)
    return project


def test_dask_without_workers_fails_after_the_stated_timeout(probe_project, monkeypatch):
    monkeypatch.setattr(runner, "DASK_WORKER_TIMEOUT_S", 3.0)
    port = _free_port()  # an unreachable scheduler: tests/test_fault_matrix.py (run-dask-unreachable)
    scheduler = subprocess.Popen(
        [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, 60, "the scheduler")
        started = time.monotonic()
        with pytest.raises(RunError, match=r"no Dask worker joined the scheduler .* within 3 s"):
            runner.run(["chile_wine"], ["10_probe"], scheduler=f"tcp://127.0.0.1:{port}", progress=False)
        assert time.monotonic() - started < 30
    finally:
        os.killpg(scheduler.pid, signal.SIGKILL)
        scheduler.wait(timeout=30)


def test_editing_only_the_py_reruns_that_notebook_and_an_unpaired_ipynb_edit_is_refused(probe_project):
    import jupytext
    import nbformat

    ipynb = probe_project / "notebooks" / "10_probe.ipynb"
    script = ipynb.with_suffix(".py")
    jupytext.write(nbformat.read(ipynb, as_version=4), script, fmt="py:percent")
    first = runner.run(["chile_wine"], ["10_probe"], jobs=1, progress=False)
    assert [r.status for r in first.results] == ["ok"]
    again = runner.run(["chile_wine"], ["10_probe"], jobs=1, progress=False)
    assert [r.status for r in again.results] == ["cached"]  # a notebook built from its .py hashes the same twice
    time.sleep(0.05)
    script.write_text(script.read_text(encoding="utf-8").replace('print("CODE-MARKER")', 'print("EDITED-IN-PY")'),
                      encoding="utf-8")
    edited = runner.run(["chile_wine"], ["10_probe"], jobs=1, progress=False)
    assert [r.status for r in edited.results] == ["ok"]  # not "cached": the .py is what runs
    executed = (probe_project / "outputs" / "chile_wine" / "10_probe.ipynb").read_text(encoding="utf-8")
    assert "EDITED-IN-PY" in executed and "EDITED-IN-PY" in ipynb.read_text(encoding="utf-8")  # the pair follows
    time.sleep(0.05)
    nb = nbformat.read(ipynb, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("print('only in the ipynb')"))
    nbformat.write(nb, ipynb)
    refused = runner.run(["chile_wine"], ["10_probe"], jobs=1, progress=False)
    assert [r.status for r in refused.results] == ["failed"]
    assert "jupytext --sync notebooks/10_probe.ipynb" in refused.results[0].error


def test_list_shows_last_status_time_and_whether_the_next_run_reuses_it(probe_project):
    runner.run(["chile_wine"], ["10_probe"], jobs=1, progress=False)
    env = {**os.environ, "AGROCLUSTER_ROOT": str(probe_project), "AGROCLUSTER_OUTPUTS": str(probe_project / "outputs")}
    shown = subprocess.run([sys.executable, "-m", "agrocluster.cli", "list", "--cluster", "chile_wine",
                            "--cluster", "kenya_tea"], capture_output=True, text=True, env=env, check=True).stdout
    lines = {line.split()[0]: line.split() for line in shown.splitlines()[1:]}
    assert lines["chile_wine/10_probe"][1] == "ok" and lines["chile_wine/10_probe"][-1] == "yes"
    assert lines["kenya_tea/10_probe"][1:3] == ["not", "run"]
    cluster = probe_project / "params" / "clusters" / "chile_wine.yaml"
    cluster.write_text(cluster.read_text(encoding="utf-8").replace("seed: 152011", "seed: 7"), encoding="utf-8")
    changed = subprocess.run([sys.executable, "-m", "agrocluster.cli", "list", "--cluster", "chile_wine"],
                             capture_output=True, text=True, env=env, check=True).stdout
    assert changed.splitlines()[1].split()[-1] == "no"  # a changed parameter: the next run reruns it


def test_the_command_prints_one_line_per_task_and_no_kernel_or_debugger_warning(probe_project):
    env = {**os.environ, "AGROCLUSTER_ROOT": str(probe_project), "AGROCLUSTER_OUTPUTS": str(probe_project / "outputs")}
    env.pop("PYDEVD_DISABLE_FILE_VALIDATION", None)  # the fork server sets it for its own imports
    clusters = ["chile_wine", "kenya_tea", "indonesia_rice"]  # more tasks than jobs: the server also warms the library
    done = subprocess.run([sys.executable, "-m", "agrocluster.cli", "run", "--notebook", "10_probe", "--jobs", "2",
                           "--no-progress", *[a for c in clusters for a in ("--cluster", c)]],
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    log = done.stdout + done.stderr
    task_lines = [line for line in log.splitlines() if line.startswith("[")]
    assert sorted(line.rsplit(" ", 2)[0] for line in task_lines) == sorted(f"[ok] {c}/10_probe" for c in clusters), log
    for noise in ("warning", "traceback", "keyboardinterrupt", "frozen modules", "without encryption"):
        assert noise not in log.lower(), log
