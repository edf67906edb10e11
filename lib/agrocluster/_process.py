"""Process plumbing shared by the runner's pool workers and the fork server (standard library only).

:mod:`agrocluster._kernel_client` keeps its own copy of the call: it runs as a script under ``python -S``, where
the package is not importable.
"""

from __future__ import annotations

import sys


def set_parent_death_signal(signum: int) -> bool:
    """Ask Linux to send ``signum`` to this process when its parent dies, even by SIGKILL (``prctl``
    ``PR_SET_PDEATHSIG``); return whether it was set (False on other systems or when libc refuses).

    The request is lost if the parent died before it: callers that must not outlive their parent check
    ``os.getppid()`` afterwards.
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    PR_SET_PDEATHSIG = 1
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signum) == 0
    except OSError:
        return False
