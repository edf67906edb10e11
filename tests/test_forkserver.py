"""Kernels forked from the run's fork server (issue 19 item 6): each task a fresh process with nothing left
over from the previous one; interrupts, kills and dead kernels behave as with a plain kernel. Real kernels."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import nbformat
import papermill
import psutil
import pytest
from papermill.exceptions import PapermillExecutionError

from agrocluster import forkserver

from .conftest import wait_until

pytestmark = pytest.mark.slow


def test_notebook_modules_reads_the_import_statements_of_code_cells():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import numpy as np\nfrom agrocluster import figures, record\n"
                                          "from .local import x\nfrom os.path import *"),
                nbformat.v4.new_markdown_cell("import notthis"),
                nbformat.v4.new_code_cell("%matplotlib inline\nimport magic_cell_is_skipped"),
                nbformat.v4.new_code_cell("def f():\n    import json\n    return json")]
    assert forkserver.notebook_modules([nb]) == ["numpy", "agrocluster", "agrocluster.figures",
                                                 "agrocluster.record", "os.path", "json"]
    assert forkserver.preload(["json", "agrocluster.params.load", "no_such_module_xyz"]) == ["json"]


@pytest.fixture(scope="module")
def server():
    with forkserver.ForkServer(["numpy", "json"]) as running:
        yield running


def _notebook(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return nb


def _run(server, nb, tmp_path, **kwargs):
    with forkserver.forked_kernel(server.kernel_dirs) as km:
        return papermill.execute_notebook(nb, str(tmp_path / "out.ipynb"), kernel_name="python3", progress_bar=False,
                                          km=km, cwd=str(tmp_path), extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
                                          **kwargs)


def _printed(nb) -> list[str]:
    return [o["text"].strip() for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stdout"]


def test_each_kernel_is_a_fresh_forked_process_with_nothing_left_from_the_previous_one(server, tmp_path):
    leak = _notebook("import os, sys, json, numpy as np\nprint(os.getpid(), os.getppid(), os.getcwd())",
                     "print(hasattr(json, 'LEFT_OVER'), 'numpy' in sys.modules, np.random.randint(10**9))",
                     "json.LEFT_OVER = 1\nLEFT_OVER_GLOBAL = 2\nnp.random.seed(0)")
    seen = []
    for _ in range(2):
        printed = _printed(_run(server, leak, tmp_path))
        pid, parent, cwd = printed[0].split()
        left_over, numpy_loaded, draw = printed[1].split()
        seen.append((int(pid), draw))
        assert int(parent) == server.process.pid  # forked from the warm server
        assert cwd == str(tmp_path)
        assert (left_over, numpy_loaded) == ("False", "True")  # preloaded, yet nothing carried over
    assert seen[0][0] != seen[1][0] and server.process.pid not in (seen[0][0], seen[1][0])
    assert seen[0][1] != seen[1][1]  # NumPy's global state re-seeded per kernel, as in a new process
    assert not psutil.pid_exists(seen[0][0]) or psutil.Process(seen[0][0]).status() == psutil.STATUS_ZOMBIE


def test_a_forked_kernel_runs_and_shuts_down_when_the_caller_runs_an_event_loop(server, tmp_path):
    """As from a JupyterLab cell (or Playwright's sync API): an event loop is running in the calling thread."""
    import asyncio

    async def from_a_running_loop():
        return _printed(_run(server, _notebook("import os\nprint(os.getpid())"), tmp_path))

    (pid,) = asyncio.run(from_a_running_loop())
    wait_until(lambda: not psutil.pid_exists(int(pid)) or psutil.Process(int(pid)).status() == psutil.STATUS_ZOMBIE,
               10, "the kernel to end with its run")


def test_a_failing_or_dying_kernel_does_not_affect_the_next_and_an_interrupt_reaches_the_cell(server, tmp_path):
    with pytest.raises(PapermillExecutionError, match="ZeroDivisionError"):
        _run(server, _notebook("1 / 0"), tmp_path)
    with pytest.raises(Exception, match="(?i)dead|died"):
        _run(server, _notebook("import os\nos._exit(3)"), tmp_path)
    started = time.monotonic()
    with pytest.raises(PapermillExecutionError, match="KeyboardInterrupt"):  # SIGINT forwarded by the client
        _run(server, _notebook("import time\ntime.sleep(60)"), tmp_path, execution_timeout=2, interrupt_on_timeout=True)
    assert time.monotonic() - started < 30
    assert _printed(_run(server, _notebook("print('still fine')"), tmp_path)) == ["still fine"]


def test_killing_the_client_ends_the_kernel(server, tmp_path):
    km = forkserver.kernel_manager(server.kernel_dirs)
    import asyncio

    async def start_and_kill() -> tuple[int, int]:
        await km.start_kernel(extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
        client = km.provisioner.process.pid
        wait_until(lambda: [p for p in psutil.Process(server.process.pid).children() if p.status() != psutil.STATUS_ZOMBIE],
              30, "the forked kernel")
        kernel = psutil.Process(server.process.pid).children()[-1].pid
        os.killpg(os.getpgid(client), signal.SIGKILL)  # as jupyter_client's kill does
        await km.cleanup_resources()
        return client, kernel

    _, kernel = asyncio.run(start_and_kill())
    wait_until(lambda: not psutil.pid_exists(kernel) or psutil.Process(kernel).status() == psutil.STATUS_ZOMBIE, 15,
          "the kernel to end with its client")


def test_without_a_fork_server_the_run_uses_plain_kernels_and_says_so(project, tmp_path, monkeypatch):
    from agrocluster import runner

    long_folder = tmp_path / ("x" * 60) / ("y" * 60)  # a Unix socket path longer than the 108 bytes allowed
    long_folder.mkdir(parents=True)
    monkeypatch.setattr("tempfile.tempdir", str(long_folder))
    lines: list[str] = []
    with runner.WarmKernels([runner.Task("chile_wine", "00_cluster_overview")], lines.append) as kernels:
        assert kernels.kernel_dirs() is None and kernels.kernel_dirs() is None
    assert len(lines) == 1 and lines[0].startswith("[warning] kernels start without the fork server")


def test_a_server_whose_runner_died_removes_its_folder():
    orphan = forkserver.ForkServer(["json"])
    orphan.start()
    folder = orphan.folder
    orphan.process.terminate()  # the signal PR_SET_PDEATHSIG sends when the runner dies
    orphan.process.wait(10)
    assert not folder.exists()


def test_a_forked_kernel_is_ready_with_its_startup_messages_read_and_every_output_kept(server, tmp_path):
    from agrocluster._local_client import LocalKernelClient

    async def start_and_ask():
        km = forkserver.kernel_manager(server.kernel_dirs)
        await km.start_kernel(extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
        kc = km.client()
        try:
            kc.start_channels()
            await kc.wait_for_ready(timeout=60)
            ready = (type(kc), await kc.iopub_channel.msg_ready())  # start-up messages were all read
            reply = await kc.execute_interactive("print('first'); print('second')", timeout=60)
            return ready, reply["content"]["status"]
        finally:
            kc.stop_channels()
            await forkserver._shutdown(km)

    assert asyncio.run(start_and_ask()) == ((LocalKernelClient, False), "ok")
    printed = _printed(_run(server, _notebook("print('a')", "import time; time.sleep(0.3); print('b')"), tmp_path))
    assert printed == ["a", "b"]
