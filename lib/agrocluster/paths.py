"""Every path the project uses, resolved from the project root, never from the current directory.

The root is the folder that holds ``pyproject.toml`` and ``params/``. It is found, in order, from the
environment variable ``AGROCLUSTER_ROOT``, then by walking up from the current directory (a command or
notebook run inside a checkout, which wins over the checkout the package is installed from: one
environment can serve several checkouts), then by walking up from this file (an editable install).

Reports of the runner go to ``outputs/<cluster>/``; a notebook run by hand (JupyterLab "Run All",
papermill with ``output_dir=""``) writes to ``outputs/_scratch/<cluster>/`` (:func:`scratch_outputs`), which
the site index and the synthesis never read.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import DataPathError

ROOT_ENV = "AGROCLUSTER_ROOT"
#: The pseudo-cluster id of the collection notebooks (the cross-cluster synthesis): their outputs folder
#: ``outputs/synthesis/`` and the ``cluster_id`` their results carry. No cluster may take this id.
COLLECTION_ID = "synthesis"


def _is_root(path: Path) -> bool:
    return (path / "pyproject.toml").is_file() and (path / "params").is_dir()


def project_root() -> Path:
    """Return the project root folder (see module docstring for the search order)."""
    env = os.environ.get(ROOT_ENV)
    if env:
        root = Path(env).resolve()
        if not _is_root(root):
            raise FileNotFoundError(
                f"{ROOT_ENV}={env!r} is not an agrocluster project root (no pyproject.toml and params/ there)"
            )
        return root
    for start in (Path.cwd().resolve(), Path(__file__).resolve().parent):
        for candidate in (start, *start.parents):
            if _is_root(candidate):
                return candidate
    raise FileNotFoundError(
        "cannot find the agrocluster project root: set AGROCLUSTER_ROOT or run inside the project folder"
    )


def params_dir() -> Path:
    return project_root() / "params"


def clusters_dir() -> Path:
    return params_dir() / "clusters"


def defaults_file() -> Path:
    return params_dir() / "defaults.yaml"


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def data_dir() -> Path:
    return project_root() / "data"


def outputs_dir() -> Path:
    """Where reports go; ``AGROCLUSTER_OUTPUTS`` moves it (tests use a temporary folder)."""
    env = os.environ.get("AGROCLUSTER_OUTPUTS")
    return Path(env).resolve() if env else project_root() / "outputs"


def cluster_outputs(cluster_id: str) -> Path:
    return outputs_dir() / cluster_id


SCRATCH_FOLDER = "_scratch"


def scratch_outputs(cluster_id: str) -> Path:
    """Where a notebook run outside the runner writes (``outputs/_scratch/<cluster_id>/``)."""
    return outputs_dir() / SCRATCH_FOLDER / cluster_id


def synthetic_dir(cluster_id: str) -> Path:
    """Where the synthetic microdata of a cluster is generated (rebuilt by a command, not committed)."""
    return data_dir() / "synthetic" / cluster_id


DATA_ROOTS_ENV = "AGROCLUSTER_DATA_ROOTS"


def data_roots() -> list[Path]:
    """Folders data files may come from: the project root, plus those listed in ``AGROCLUSTER_DATA_ROOTS``
    (separated by the system's path separator, ``:`` on Linux), each resolved with symlinks followed."""
    listed = [Path(p).expanduser().resolve() for p in os.environ.get(DATA_ROOTS_ENV, "").split(os.pathsep) if p]
    return [project_root().resolve(), *listed]


def resolve_data_path(path: str | Path, *, key: str = "data path") -> Path:
    """The absolute path of a data file named in the params, refused when it leaves the allowed roots.

    A relative path is taken from the project root. Symlinks are resolved first, so a link inside
    ``data/`` that points to ``/etc`` is refused like ``../../etc/passwd`` is. The error names the key
    and the path given, never the file's contents.
    """
    given = Path(path).expanduser()
    resolved = (given if given.is_absolute() else project_root() / given).resolve()
    roots = data_roots()
    if not any(resolved == root or root in resolved.parents for root in roots):
        raise DataPathError(
            f"{key}: {str(path)!r} resolves to {resolved}, outside the project ({roots[0]}) and the data roots "
            f"listed in {DATA_ROOTS_ENV}; move the file under data/ or list its folder in {DATA_ROOTS_ENV}"
        )
    return resolved
