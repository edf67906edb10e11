"""The command of a forked kernel: ask the run's fork server for a kernel, then stand for it until it exits.

Run by jupyter_client as ``python -S _kernel_client.py SOCKET ipykernel_launcher -f CONNECTION_FILE ...``
(the kernelspec written by :func:`agrocluster.forkserver.ForkServer.start`). Standard library only, so it
starts in milliseconds. It passes its standard streams, environment and working directory to the fork
server (:mod:`agrocluster.forkserver`), which forks a kernel process from its warm imports; then it

- forwards the signals jupyter_client sends (SIGINT interrupts a cell, SIGTERM stops the kernel) to the kernel;
- exits when the kernel exits, with the kernel's exit status (a kernel killed by a signal: the same signal);
- dies when the process that launched it dies (Linux ``PR_SET_PDEATHSIG``, as the runner's pool workers do),
  and the kernel dies with it: the kernel watches the connection this process holds open.
"""

import json
import os
import signal
import socket
import struct
import sys
import time

CONNECT_TIMEOUT_S = 10.0
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        return
    launcher = int(os.environ.get("JPY_PARENT_PID") or 0)
    if launcher and os.getppid() != launcher:  # the launcher died before the prctl above
        sys.exit(1)


def _connect(path: str) -> socket.socket:
    deadline = time.monotonic() + CONNECT_TIMEOUT_S
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
            return sock
        except OSError as exc:
            sock.close()
            if time.monotonic() > deadline:
                sys.exit(f"agrocluster: no fork server at {path} ({exc})")
            time.sleep(0.05)


def main() -> None:
    _die_with_parent()
    path, kernel_argv = sys.argv[1], sys.argv[2:]
    try:
        _stand_for_kernel(path, kernel_argv)
    except OSError as exc:  # the fork server went away (the run is ending): no traceback in the run's log
        launcher = int(os.environ.get("JPY_PARENT_PID") or 0)
        sys.exit(1 if launcher and os.getppid() != launcher else f"agrocluster: lost the fork server at {path} ({exc})")


def _stand_for_kernel(path: str, kernel_argv: list[str]) -> None:
    sock = _connect(path)
    payload = json.dumps({"argv": kernel_argv, "env": dict(os.environ), "cwd": os.getcwd()}).encode()
    socket.send_fds(sock, [struct.pack("!Q", len(payload))], [0, 1, 2])
    sock.sendall(payload)
    reader = sock.makefile("rb")
    first = reader.readline().split()
    if len(first) != 2 or first[0] != b"pid":
        sys.exit(f"agrocluster: the fork server at {path} did not start a kernel")
    kernel = int(first[1])

    def forward(signum: int, _frame: object) -> None:
        try:
            os.kill(kernel, signum)
        except ProcessLookupError:
            pass

    for signum in FORWARDED:
        signal.signal(signum, forward)
    code = 1  # the connection closed with no status: the fork server has gone (the kernel has exited too)
    for line in reader:
        words = line.split()
        if len(words) == 2 and words[0] == b"exit":
            code = int(words[1])
    if code < 0:  # killed by a signal: end the same way
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    sys.exit(code)


if __name__ == "__main__":
    main()
