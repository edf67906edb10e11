"""The one reader and writer of ``<notebook>.results.json`` and of the runner's record of completed tasks.

:class:`ResultsFile` is what :class:`agrocluster.record.Recorder` writes and what the runner, the site and
the synthesis read::

    {"cluster_id", "cluster_name", "notebook",
     "headline": {key: {"value", "se", "label", "unit", "note", "origin"}},
     "notes": [...], "tables": [{"number", "name", "caption", "file"}], "figures": [...],
     "excluded": [{"table", "reason", "rows"}],
     "provenance": {"params", "inputs", "code", "packages", "python", "platform", "seed", "started",
                    "duration_s", "cache_key", "runner_duration_s"}}

:class:`RunLedger` (``outputs/runs.json``) is written by the runner alone: one entry per task whose report
it committed (or found cached). The site index and the synthesis read only the results files listed there,
so a notebook run by hand (which writes to ``outputs/_scratch/``) never reaches them.

Every file is written under a temporary name and renamed into place, so a reader never sees half a file.
A file that is not JSON or not of this shape raises :class:`~agrocluster.errors.ResultsFileError` naming
the file and the first offending key.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ResultsFileError

LEDGER_NAME = "runs.json"


def _file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_FILE_MODE = _file_mode()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def __getitem__(self, name: str) -> Any:
        """Mapping-style access (``entry["value"]``) for code written against the old plain dicts."""
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(name) from None

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self, name, default)


class HeadlineEntry(_Model):
    """One recorded headline number; label and unit come from :mod:`agrocluster.headlines`."""

    value: int | float | None = None
    se: float | None = None
    label: str | None = None
    unit: str | None = None
    note: str | None = None
    origin: Literal["real", "synthetic"] | None = None


class TableEntry(_Model):
    number: int
    name: str
    caption: str
    file: str
    origin: str | None = None    # "real", "synthetic" or "real and synthetic" (None: written before origins)
    inputs: list[str] | None = None  # the data tables the step declared it rests on (None: not declared, the
                                     # mark then rests on every table the notebook read)


class ExcludedEntry(_Model):
    table: str
    reason: str
    rows: int


class Provenance(_Model):
    """Where the numbers come from; the runner adds ``cache_key`` and ``runner_duration_s``."""

    model_config = ConfigDict(extra="allow")

    params: dict[str, Any] = Field(default_factory=dict)
    inputs: dict[str, Any] = Field(default_factory=dict)
    code: dict[str, Any] = Field(default_factory=dict)
    packages: dict[str, str] = Field(default_factory=dict)
    python: str | None = None
    platform: str | None = None
    seed: int | None = None
    started: str | None = None
    duration_s: float | None = None
    cache_key: str | None = None
    runner_duration_s: float | None = None


class ResultsFile(_Model):
    """The content of one ``<notebook>.results.json``."""

    cluster_id: str
    cluster_name: str = ""
    notebook: str
    headline: dict[str, HeadlineEntry]
    notes: list[str] = Field(default_factory=list)
    tables: list[TableEntry] = Field(default_factory=list)
    figures: list[TableEntry] = Field(default_factory=list)
    excluded: list[ExcludedEntry] = Field(default_factory=list)
    provenance: Provenance = Field(default_factory=Provenance)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    def write(self, path: str | Path) -> Path:
        """Write atomically to ``path`` and return it."""
        atomic_write_text(Path(path), self.to_json())
        return Path(path)

    @classmethod
    def from_bytes(cls, data: bytes | str, where: str | Path) -> ResultsFile:
        """Parse a results document; ``where`` (the file) names it in the error."""
        return _parse(cls, data, where)

    @classmethod
    def from_mapping(cls, document: Any, where: str | Path) -> ResultsFile:
        """Validate an already parsed results document; ``where`` names it in the error."""
        return _validate(cls, document, where)

    @classmethod
    def read(cls, path: str | Path) -> ResultsFile:
        """Read ``path``; a missing, non-JSON or misshapen file raises ResultsFileError naming it."""
        return cls.from_bytes(_read(path), path)


class LedgerEntry(_Model):
    """A task whose report the runner committed: its results file (relative to outputs) and when."""

    cluster_id: str
    notebook: str
    results: str
    sha256: str
    recorded: str


class RunLedger(_Model):
    """The runner's record of completed tasks (``outputs/runs.json``), keyed ``<cluster_id>/<notebook>``."""

    tasks: dict[str, LedgerEntry] = Field(default_factory=dict)

    @staticmethod
    def path(outputs: str | Path) -> Path:
        return Path(outputs) / LEDGER_NAME

    @classmethod
    def read(cls, outputs: str | Path) -> RunLedger:
        """The ledger of the outputs folder ``outputs`` (empty when the runner has recorded nothing)."""
        path = cls.path(outputs)
        if not path.is_file():
            return cls()
        return _parse(cls, _read(path), path)

    def record(self, outputs: str | Path, cluster_id: str, notebook: str, results: bytes) -> None:
        """Note that ``<cluster_id>/<notebook>.results.json`` (content ``results``) is a committed report."""
        self.tasks[f"{cluster_id}/{notebook}"] = LedgerEntry(
            cluster_id=cluster_id, notebook=notebook, results=f"{cluster_id}/{notebook}.results.json",
            sha256=hashlib.sha256(results).hexdigest(),
            recorded=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"))

    def has(self, cluster_id: str, notebook: str) -> bool:
        return f"{cluster_id}/{notebook}" in self.tasks

    def write(self, outputs: str | Path) -> None:
        atomic_write_text(self.path(outputs), self.model_dump_json(indent=2))


def _read(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ResultsFileError(f"{path}: cannot be read ({exc.strerror or exc})") from exc


def _parse(model: type[_Model], data: bytes | str, where: str | Path) -> Any:
    try:
        document = json.loads(data)
    except ValueError as exc:
        raise ResultsFileError(f"{where}: not valid JSON ({exc})") from exc
    return _validate(model, document, where)


def _validate(model: type[_Model], document: Any, where: str | Path) -> Any:
    if not isinstance(document, dict):
        raise ResultsFileError(f"{where}: the top level must be a JSON object, not {type(document).__name__}")
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise ResultsFileError(f"{where}: key {key!r}: {err['msg']}{more}; "
                               f"not a {model.__name__} as agrocluster.results_file writes it") from exc
