"""Process plumbing shared by the runner's pool workers, the fork server and the command line (standard library only).

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


#: The optional module jsonschema (nbformat's validator) imports to check the ``iri`` formats.
IRI_GRAMMAR_MODULE = "rfc3987_syntax"


def skip_iri_grammars() -> bool:
    """Let jsonschema start without ``rfc3987_syntax`` in a process the runner owns; return whether it took effect.

    nbformat validates notebooks with jsonschema, and jsonschema 4.25+ imports ``rfc3987_syntax`` when it is
    installed (JupyterLab's ``jsonschema[format-nongpl]`` extra brings it): at import that package compiles
    about 35 Earley grammars, one second of CPU on this machine (python-jsonschema/jsonschema#1428), only to
    check the ``iri`` and ``iri-reference`` string formats, which the notebook schema does not use. Marking
    the module absent makes jsonschema skip those two checks, exactly as when the package is not installed.
    Called where the runner owns the process (the ``agrocluster`` command, the pool workers), never on import
    of the library, and only before jsonschema is loaded (afterwards it changes nothing).
    """
    if "jsonschema" in sys.modules or IRI_GRAMMAR_MODULE in sys.modules:
        return False
    sys.modules[IRI_GRAMMAR_MODULE] = None  # type: ignore[assignment] - the documented "not importable" marker
    return True
