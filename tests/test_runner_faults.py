"""The runner under interruptions and faults (issue 18): Ctrl-C and SIGTERM stop everything, one run at a time,
Dask without workers fails after a stated timeout. Real processes, real kernels, a real scheduler."""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import sys
import time

import psutil
import pytest

from agrocluster import runner
from agrocluster.errors import RunError

from .test_dask import BIN, _free_port, _wait
from .test_runner import write_probe

pytestmark = pytest.mark.slow


@pytest.fixture
def probe_project(project):
    for path in (project / "notebooks").glob("*"):
        path.unlink()
    write_probe(project)
    return project


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stopped_run_ends_quickly_with_no_orphans(probe_project, stop):
    env = {**os.environ, "AGROCLUSTER_ROOT": str(probe_project)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "agrocluster.cli", "run", "--notebook", "10_probe", "--cluster", "chile_wine",
         "--cluster", "kenya_tea", "-p", "synthetic.sleep=60", "--jobs", "2", "--no-progress"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    me = psutil.Process(proc.pid)
    # wait until both kernels run (runner → pool workers → kernels)
    _wait(lambda: sum("ipykernel" in " ".join(p.cmdline()) for p in _tree(me)) >= 2, 120, "two kernels")
    family = _tree(me)
    os.killpg(proc.pid, stop)  # as a terminal does: the signal goes to the runner's process group
    started = time.monotonic()
    _, stderr = proc.communicate(timeout=30)
    assert time.monotonic() - started < 15
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    _wait(lambda: not [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE], 15,
          "every worker and kernel to exit")
    assert not (probe_project / "outputs" / "chile_wine" / "10_probe.html").exists()


def _tree(process: psutil.Process) -> list[psutil.Process]:
    """The runner's descendants: pool workers (in sessions of their own) and the kernels they started."""
    try:
        return process.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def test_a_second_run_on_the_same_outputs_is_refused(probe_project):
    outputs = probe_project / "outputs"
    outputs.mkdir()
    with open(outputs / ".lock", "a+", encoding="utf-8") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("4242")
        held.flush()
        with pytest.raises(RunError, match=r"another agrocluster run \(pid 4242\) is writing to"):
            runner.run(["chile_wine"], ["10_probe"], jobs=1, progress=False)
    summary = runner.run(["chile_wine"], ["10_probe"], jobs=1, progress=False)
    assert [r.status for r in summary.results] == ["ok"]


def test_dask_without_workers_fails_after_the_stated_timeout(probe_project, monkeypatch):
    monkeypatch.setattr(runner, "DASK_WORKER_TIMEOUT_S", 3.0)
    port = _free_port()
    with pytest.raises(RunError, match=f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}"):
        runner.run(["chile_wine"], ["10_probe"], scheduler=f"tcp://127.0.0.1:{port}", progress=False)
    scheduler = subprocess.Popen(
        [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, 60, "the scheduler")
        started = time.monotonic()
        with pytest.raises(RunError, match=r"no Dask worker joined the scheduler .* within 3 s"):
            runner.run(["chile_wine"], ["10_probe"], scheduler=f"tcp://127.0.0.1:{port}", progress=False)
        assert time.monotonic() - started < 30
    finally:
        os.killpg(scheduler.pid, signal.SIGKILL)
        scheduler.wait(timeout=30)


def _snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_notebook_that_stops_before_recording_fails_and_keeps_the_last_good_report(probe_project):
    assert [r.status for r in runner.run(["chile_wine"], ["10_probe"], jobs=1, progress=False).results] == ["ok"]
    folder = probe_project / "outputs" / "chile_wine"
    good = _snapshot(folder)
    summary = runner.run(["chile_wine"], ["10_probe"], ["synthetic.probe=nosave"], jobs=1, progress=False)
    assert [r.status for r in summary.results] == ["failed"]
    assert "stopped before it recorded its results" in summary.results[0].error
    after = _snapshot(folder)
    assert {k: v for k, v in after.items() if ".failed." not in k} == good  # byte-identical last good report
    assert "stopped before it recorded its results" in (folder / "10_probe.failed.html").read_text()
    assert not list(folder.glob(".staging-*")) and not list(folder.rglob("*.tmp"))
    rerun = runner.run(["chile_wine"], ["10_probe"], ["synthetic.probe=nosave"], jobs=1, progress=False)
    assert [r.status for r in rerun.results] == ["failed"]  # never "cached" after a failure


def test_a_write_that_fails_midway_leaves_the_last_good_report_whole(probe_project, monkeypatch):
    import resource

    assert [r.status for r in runner.run(["chile_wine"], ["10_probe"], jobs=1, progress=False).results] == ["ok"]
    folder = probe_project / "outputs" / "chile_wine"
    good = _snapshot(folder)
    largest = max(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit raise EFBIG instead
    commit = runner.commit_outputs

    def commit_on_a_filling_disk(outcome, key):  # the disk fills once the notebook has run, while committing
        resource.setrlimit(resource.RLIMIT_FSIZE, (largest * 2 // 3, hard))
        return commit(outcome, key)

    monkeypatch.setattr(runner, "commit_outputs", commit_on_a_filling_disk)
    try:
        summary = runner.run(["chile_wine"], ["10_probe"], jobs=1, progress=False, force=True)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    assert [r.status for r in summary.results] == ["failed"] and "previous outputs kept" in summary.results[0].error
    after = _snapshot(folder)
    assert {k: v for k, v in after.items() if ".failed." not in k} == good
    assert not list(folder.glob(".staging-*")) and not list(folder.rglob("*.tmp"))
    assert (folder / "10_probe.failed.json").is_file()  # the index shows the failure, not "ok"


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
