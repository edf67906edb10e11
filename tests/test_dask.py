"""The runner on a real Dask distributed cluster: a scheduler and two workers on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from agrocluster import runner

from .conftest import wait_until
from .test_runner import write_probe

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
CLUSTERS = ["chile_wine", "kenya_tea", "brazil_grapes", "vietnam_coffee"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dask_cluster(project):
    from distributed import Client

    for path in (project / "notebooks").glob("*"):
        path.unlink()
    write_probe(project)
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ)
    procs = {"scheduler": subprocess.Popen(
        [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)}
    try:
        wait_until(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, 60, "the scheduler")
        for name in ("w0", "w1"):
            procs[name] = subprocess.Popen(
                [str(BIN / "dask"), "worker", address, "--name", name, "--nthreads", "1", "--nworkers", "1",
                 "--host", "127.0.0.1", "--no-dashboard"],
                env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with Client(address, timeout=60) as client:
            wait_until(lambda: len(client.scheduler_info()["workers"]) == 2, 90, "two workers")
        yield address, procs, project
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)


def test_matrix_runs_on_dask_workers(dask_cluster):
    from distributed import Client

    address, _, project = dask_cluster
    summary = runner.run(CLUSTERS, ["10_probe"], scheduler=address, progress=False)
    assert [r.status for r in summary.results] == ["ok"] * len(CLUSTERS), summary.table()
    for cid in CLUSTERS:
        assert (project / "outputs" / cid / "10_probe.html").is_file()
    with Client(address, timeout=60) as client:
        prefixes = client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.task_prefixes))
    assert "agrocluster" in prefixes  # the tasks went through the scheduler, not a local pool


def test_killing_a_worker_mid_run_still_gets_every_report(dask_cluster):
    from distributed import Client

    address, procs, project = dask_cluster
    outcome = {}

    def go():
        outcome["summary"] = runner.run(CLUSTERS, ["10_probe"], ["synthetic.sleep=8"], scheduler=address,
                                        progress=False)

    thread = threading.Thread(target=go)
    thread.start()
    with Client(address, timeout=60) as client:
        def busy_worker():
            workers = client.scheduler_info()["workers"]
            for addr, keys in client.processing().items():
                if keys and workers.get(addr, {}).get("name") in ("w0", "w1"):
                    return workers[addr]["name"]
            return None

        wait_until(lambda: busy_worker() is not None, 120, "a worker to start a task")
        victim = busy_worker()
        os.killpg(procs[victim].pid, signal.SIGKILL)
        procs[victim].wait(timeout=30)
    thread.join(timeout=600)
    summary = outcome["summary"]
    assert [r.status for r in summary.results] == ["ok"] * len(CLUSTERS), summary.table()
    for cid in CLUSTERS:
        assert (project / "outputs" / cid / "10_probe.results.json").is_file()
