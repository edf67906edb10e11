"""Kernels forked from a warm process: each task still gets a fresh kernel process, but the heavy modules
(pandas, statsmodels, pyfixest, matplotlib, the library…) are imported once per run, not once per task.

The runner starts one fork server per run (:class:`ForkServer`): a process that imports the modules the
workbooks import (:func:`notebook_modules`, read from their import statements) plus the kernel's own
(:data:`KERNEL_MODULES`), then listens on a Unix socket; while no request waits it imports more
(``background``: the rest of the library and what it imports inside functions, :func:`library_modules`). Kernels are launched by jupyter_client as usual,
through a kernelspec whose command is the small client :mod:`agrocluster._kernel_client`; the client hands
its standard streams, environment, working directory and the kernel's arguments to the server, which forks
a child that

1. starts a session of its own, takes the client's streams, working directory and environment;
2. re-seeds NumPy's global random state from the OS (as a new process would: Python's ``random`` is
   re-seeded at fork by the standard library) — the workbooks seed their own generators anyway;
3. watches the client's connection and ends when the client ends (jupyter_client killing the kernel kills
   the client; the runner's pool workers are stopped with their clients, see the runner's ``_stop_workers``);
4. runs ``IPKernelApp`` on the connection file, exactly as ``python -m ipykernel_launcher`` does.

The server forks only while it has a single thread (imports start none: the thread pools of BLAS and numba
are limited to one thread per task before the imports and started lazily), and it ends with the run: the
runner stops it, and on Linux it also ends when the runner dies (``PR_SET_PDEATHSIG``). A module that fails
to import in the server is left out (the kernel imports it itself and shows the error in the report).
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Self

from agrocluster._process import set_parent_death_signal

#: The kernelspec name of a forked kernel (written into the server's own folder, not the user's).
KERNEL_NAME = "agrocluster-forked"
#: What ``python -m ipykernel_launcher`` imports, plus the matplotlib backend it registers and the debugger
#: module a kernel imports while it initialises (debugpy: 0.14 s of the 0.23 s of CPU a kernel's start takes,
#: measured; it starts no thread on import).
KERNEL_MODULES = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "IPython.display",
                  "matplotlib_inline.backend_inline", "ipykernel.debugger")
#: Modules the library imports inside functions, so a notebook's import cell does not load them: measured as
#: the difference between ``sys.modules`` at the end of each workbook's kernel and after the server's imports
#: (pyfixest's estimation layer alone takes about 2 s to import; xarray's first netCDF open imports dask.array,
#: 0.2 s, to test for dask arrays).
LIBRARY_MODULES = ("pyfixest.estimation", "pyfixest.report", "narwhals", "numba", "pyarrow.parquet", "PIL.Image",
                   "scipy.optimize", "scipy.stats", "statsmodels.api", "networkx", "agrifoodpy_data", "xarray",
                   "xarray.backends.netCDF4_", "netCDF4", "dask.array")
#: Modules of the library itself not to preload: the runner's machinery (kernels never import it).
NOT_PRELOADED = ("agrocluster.runner", "agrocluster.cli", "agrocluster.forkserver", "agrocluster._kernel_client",
                 "agrocluster._local_client", "agrocluster.site")
#: Seconds the server has to start listening (it does so before importing anything).
LISTEN_TIMEOUT_S = 30.0
#: Seconds the server has to stop when the run ends before it is killed.
STOP_TIMEOUT_S = 5.0
_CLIENT = Path(__file__).resolve().parent / "_kernel_client.py"


def notebook_modules(notebooks: Iterable[Mapping[str, Any]]) -> list[str]:
    """The modules the code cells of ``notebooks`` (nbformat dicts) import, first-seen order.

    ``import a.b`` gives ``a.b``; ``from a import b, c`` gives ``a`` and, where they are submodules,
    ``a.b`` and ``a.c`` (tried at import time). A cell that is not plain Python (an IPython magic) is skipped.
    """
    found: dict[str, None] = {}
    for nb in notebooks:
        for cell in nb.get("cells", []):
            if cell.get("cell_type") != "code":
                continue
            source = cell.get("source", "")
            try:
                tree = ast.parse("".join(source) if isinstance(source, list) else source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    found.update((alias.name, None) for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found[node.module] = None
                    found.update((f"{node.module}.{alias.name}", None) for alias in node.names if alias.name != "*")
    return list(found)


def library_modules() -> list[str]:
    """Every module of the ``agrocluster`` package but the runner's (:data:`NOT_PRELOADED`), then the
    third-party modules it imports inside functions (:data:`LIBRARY_MODULES`).

    Read from the package's files, importing nothing: the runner must not load the numerical libraries,
    some of which start threads of their own (jemalloc, polars), which can take the Ctrl-C signal meant for
    the runner's main thread while it waits for its tasks.
    """
    package = Path(__file__).resolve().parent
    names = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package).with_suffix("").parts
        if "__pycache__" in parts or not all(part.isidentifier() for part in parts):
            continue
        name = ".".join(("agrocluster", *parts[:-1], *([] if parts[-1] == "__init__" else [parts[-1]])))
        if not name.startswith(NOT_PRELOADED):
            names.append(name)
    return [*names, *LIBRARY_MODULES]


def preload(modules: Iterable[str]) -> list[str]:
    """Import ``modules`` (names that are not modules, such as ``from a import function``, are skipped);
    return those imported."""
    done = []
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001, S110 - not a module, or broken: the kernel's own import shows the error
            pass
        else:
            done.append(name)
    return done


class ForkServer:
    """One fork server for a run: ``start`` it, pass :attr:`kernel_dirs` to :func:`kernel_manager` in the
    tasks, ``stop`` it at the end (or use it as a context manager)."""

    def __init__(self, modules: Iterable[str], env: Mapping[str, str] | None = None, background: Iterable[str] = ()):
        self.modules = list(modules)
        self.background = list(background)
        self.env = dict(os.environ if env is None else env)
        self.folder: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def socket_path(self) -> str:
        assert self.folder is not None
        return str(self.folder / "server.sock")

    @property
    def kernel_dirs(self) -> list[str]:
        assert self.folder is not None
        return [str(self.folder / "kernels")]

    def start(self) -> ForkServer:
        self.folder = Path(tempfile.mkdtemp(prefix="agrocluster-forkserver-"))
        spec_dir = self.folder / "kernels" / KERNEL_NAME
        spec_dir.mkdir(parents=True)
        argv = [sys.executable, "-S", str(_CLIENT), self.socket_path, "ipykernel_launcher", "-f", "{connection_file}"]
        (spec_dir / "kernel.json").write_text(json.dumps(
            {"argv": argv, "display_name": "Python 3 (forked by agrocluster)", "language": "python",
             "interrupt_mode": "signal", "metadata": {"debugger": False}}))
        modules = self.folder / "modules.json"
        modules.write_text(json.dumps({"first": self.modules, "background": self.background}))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "agrocluster.forkserver", self.socket_path, str(modules), str(os.getpid())],
            env=self.env, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + LISTEN_TIMEOUT_S  # it listens before it imports: this takes a moment
        while not Path(self.socket_path).exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise OSError(f"the fork server did not start listening on {self.socket_path} "
                              f"(exit status {self.process.returncode})")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def kernel_manager(kernel_dirs: list[str]) -> Any:
    """A jupyter_client kernel manager that starts a forked kernel (for papermill's ``km=``), with the client
    of :mod:`agrocluster._local_client`. Papermill does not shut down a kernel it was given: use
    :func:`forked_kernel`, which does."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    return AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=KernelSpecManager(kernel_dirs=kernel_dirs),
                              client_class="agrocluster._local_client.LocalKernelClient")


@contextlib.contextmanager
def forked_kernel(kernel_dirs: list[str] | None) -> Iterator[Any]:
    """A kernel manager for one notebook run (``None`` when ``kernel_dirs`` is: papermill starts a plain
    kernel); on exit its kernel, if started, is shut down as papermill does with its own (a shutdown request,
    then a kill after jupyter_client's grace period)."""
    if not kernel_dirs:
        yield None
        return
    from jupyter_core.utils import run_sync

    km = kernel_manager(kernel_dirs)
    try:
        yield km
    finally:
        if km.has_kernel:  # on papermill's own event loop, also when the caller already runs one (JupyterLab)
            run_sync(_shutdown)(km)


#: Seconds between checks that a kernel asked to shut down has exited (jupyter_client's default is 0.1).
SHUTDOWN_POLL_S = 0.01


async def _shutdown(km: Any) -> None:
    """What ``km.shutdown_kernel(now=False)`` does for a kernel whose cells have all returned: a shutdown
    request, a wait for the process to exit (terminated, then killed, after jupyter_client's grace period),
    then clean-up; polled every :data:`SHUTDOWN_POLL_S` instead of 0.1 s (the server reports the exit at
    once, see :func:`serve`), and without the interrupt jupyter_client sends first to stop a running cell."""
    if await km.is_alive():
        await km.request_shutdown()
        await km.finish_shutdown(pollinterval=SHUTDOWN_POLL_S)
    await km.cleanup_resources()


# ---------------------------------------------------------------------------------------------------------
# The server process
# ---------------------------------------------------------------------------------------------------------


def _receive(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    head, fds, _, _ = socket.recv_fds(conn, 8, 3)
    if len(head) != 8 or len(fds) != 3:
        for fd in fds:
            os.close(fd)
        raise OSError("incomplete request")
    (size,) = struct.unpack("!Q", head)
    data = b""
    while len(data) < size:
        block = conn.recv(size - len(data))
        if not block:
            raise OSError("incomplete request")
        data += block
    return json.loads(data), fds


def _become_kernel(request: Mapping[str, Any], fds: list[int], conn: socket.socket) -> None:
    """In the forked child: become the kernel described by ``request`` (never returns)."""
    code = 1
    try:
        os.setsid()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        for signum in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()
        sys.path[0] = request["cwd"]  # as `python -m ipykernel_launcher` started in that folder

        def lifeline() -> None:  # the client ends (killed by jupyter_client, or its launcher died): end too
            while True:
                try:
                    if not conn.recv(1):
                        break
                except InterruptedError:
                    continue
                except OSError:
                    break
            os.kill(os.getpid(), signal.SIGKILL)

        threading.Thread(target=lifeline, name="agrocluster-lifeline", daemon=True).start()
        argv = list(request["argv"])
        if not argv or argv[0] != "ipykernel_launcher":
            raise ValueError(f"not a kernel command: {argv}")
        sys.argv = argv
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(argv=argv[1:])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported on the kernel's stderr (the client's), then exit
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001, S110 - exiting anyway
                pass
        os._exit(code)


def _die_with(parent: int) -> None:
    set_parent_death_signal(signal.SIGTERM)
    if os.getppid() != parent:
        sys.exit(0)


def serve(path: str, modules: list[str], parent: int, background: Iterable[str] = ()) -> None:
    """Listen on ``path`` (before importing, so clients can connect at once), import ``modules``, then fork
    a kernel for each request and tell its client the kernel's pid and, when reaped, its exit status.

    ``background`` modules are imported one at a time while no request waits, so the first kernels start
    as soon as ``modules`` are in and later kernels find more already imported.
    """
    _die_with(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner stops the server (SIGTERM)

    def stop(_signum: int, _frame: object) -> None:  # also when the runner died: leave no folder behind
        shutil.rmtree(Path(path).parent, ignore_errors=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    # as ipykernel does at start-up, before matplotlib is imported (it reads MPLBACKEND once)
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    # debugpy warns on import that frozen standard modules may hide breakpoints: kernels here are not debugged,
    # and the warning would land in the run's log (the kernels themselves get the client's environment)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    preload([*KERNEL_MODULES, *modules])
    # a child's exit wakes the loop at once (its client, and the runner waiting for it, learn of it without delay)
    exited, exit_signal = os.pipe()
    for fd in (exited, exit_signal):
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(exit_signal)
    signal.signal(signal.SIGCHLD, lambda _signum, _frame: None)
    children: dict[int, socket.socket] = {}
    later = list(background)
    while True:
        ready, _, _ = select.select([listener, exited], [], [], 0 if later else 0.2)
        if exited in ready:
            with contextlib.suppress(BlockingIOError):
                os.read(exited, 512)
        _reap(children)
        if listener not in ready:
            if later:
                preload([later.pop(0)])
            continue
        conn, _ = listener.accept()
        conn.settimeout(10)
        try:
            request, fds = _receive(conn)
        except (OSError, ValueError):
            conn.close()
            continue
        conn.settimeout(None)
        if threading.active_count() > 1:  # forking now would copy locks held by other threads
            for fd in fds:
                os.close(fd)
            conn.close()
            sys.exit("agrocluster fork server: a thread started during the imports; cannot fork safely")
        pid = os.fork()
        if pid == 0:
            signal.set_wakeup_fd(-1)
            listener.close()
            os.close(exited)
            os.close(exit_signal)
            for other in children.values():
                other.close()
            _become_kernel(request, fds, conn)
        for fd in fds:
            os.close(fd)
        children[pid] = conn
        try:
            conn.sendall(f"pid {pid}\n".encode())
        except OSError:
            pass


def _reap(children: dict[int, socket.socket]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is not None:
            try:
                conn.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
            except OSError:
                pass
            conn.close()


if __name__ == "__main__":
    _modules = json.loads(Path(sys.argv[2]).read_text())
    serve(sys.argv[1], _modules["first"], int(sys.argv[3]), _modules["background"])
