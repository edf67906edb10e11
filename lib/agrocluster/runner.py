"""Run the collection: every notebook for every cluster, rendered to HTML, indexed as a site.

The task matrix is notebook × cluster. Each task

1. is skipped when its cache key (notebook content, effective parameters, input-file hashes and library
   source) matches the key stamped in its last good ``.results.json`` (``force`` overrides);
2. executes the notebook with papermill (kernel ``python3``, working directory the project root) into a
   private staging folder, with parameters ``cluster_id``, ``params_json`` (the effective parameters the
   runner resolved, which the kernel validates without re-reading the parameter files) and ``output_dir``;
   a collection notebook gets ``overrides`` and ``results_dir`` instead;
3. replaces each recorded figure's inline copy in the executed notebook by a link to its saved file
   (:func:`link_figures`: each figure is stored once, as ``figures/<notebook>-<name>.png``), then renders
   HTML with nbconvert in the same process (template ``agrocluster``: code hidden unless ``show_code``,
   the injected-parameters cell removed, the site's stylesheet linked, no CDN);
4. returns every output file's bytes to the caller, which alone writes ``outputs/``: each file under a
   temporary name and renamed into place, ``.results.json`` last, then records the task in the ledger of
   completed tasks (``outputs/runs.json``, :class:`agrocluster.results_file.RunLedger`), the only results
   the site index and the synthesis read. A failed task writes ``<nb>.failed.json`` / ``.failed.ipynb`` /
   ``.failed.html`` and leaves the last good report alone.

Tasks run in a bounded local process pool (``jobs``, default the number of cores) or, given a
``scheduler`` address, on an existing Dask distributed cluster whose workers have the project installed.
In the local pool each task's kernel is a fresh process forked from one fork server per run, which has
imported the notebooks' modules once (:class:`WarmKernels`, :mod:`agrocluster.forkserver`); on Dask,
kernels start plain. Kernel start-up is retried, the retry with a plain kernel (parallel kernels can race
for ports). Collection notebooks (the cross-cluster synthesis, the cluster-independent validation report)
run once each, after the per-cluster tasks.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import dataclasses
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Self

from . import __version__, paths
from . import params as params_mod
from .errors import ParamsError, ResultsFileError, RunError
from .results_file import _FILE_MODE, ResultsFile, RunLedger, atomic_write_text

KERNEL = "python3"
# Notebooks that run once, not per cluster, after the per-cluster tasks, into outputs/synthesis/: the
# cross-cluster synthesis (reads every cluster's results) and the validation report (cluster-independent).
COLLECTION_NOTEBOOKS = ("05_synthesis", "90_validation")
# Files a collection notebook reads besides the clusters' results (the coverage study of 90_validation).
COLLECTION_INPUTS = ("data/validation/*.csv",)
COLLECTION_FOLDER = paths.COLLECTION_ID
KERNEL_START_ATTEMPTS = 3
#: The kernel logs only critical errors: its start-up warning about TCP transport (the kernel listens on
#: loopback only) and its "KeyboardInterrupt caught" at shutdown would otherwise interleave with the run's
#: one line per task. Errors in the notebook's cells still reach the report and the task's status.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]
# Thread pools of the numerical libraries inside each kernel. Tasks already run one per core; letting each
# kernel's BLAS or numba also start one thread per core makes them contend (measured 4x slower on 2 cores).
# RAYON_NUM_THREADS: pyfixest's default demeaner and CRV1 loops are Rust (rayon), whose pool otherwise takes
# one thread per core and whose work-stealing reductions may sum in a different order from run to run;
# POLARS_MAX_THREADS: the same for polars, which pyfixest imports.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS",
                    "RAYON_NUM_THREADS", "POLARS_MAX_THREADS")
#: One thread per task whatever ``--jobs`` and the machine's cores: the summation order of BLAS and numba
#: reductions depends on the thread count, so a fixed count keeps every number identical across machines.
THREADS_PER_TASK = 1
#: Python's string-hash seed in every kernel: with a random seed (each new process's default) the order of a
#: set of strings varies between runs, and with it the last digits of some estimates (measured: the PPML
#: coefficients of 04_export_links and the joint-action slope of 06 changed at the 13th digit between two runs).
KERNEL_HASH_SEED = "0"
#: Seconds a Dask run waits for a worker (at the start, and after the last worker has gone) before failing.
DASK_WORKER_TIMEOUT_S = float(os.environ.get("AGROCLUSTER_DASK_WORKER_TIMEOUT", "60"))


@dataclasses.dataclass(frozen=True)
class Task:
    """One notebook for one cluster (``cluster_id`` is :data:`agrocluster.paths.COLLECTION_ID` for a
    collection notebook)."""

    cluster_id: str
    notebook: str
    overrides: tuple[tuple[str, Any], ...] = ()

    @property
    def label(self) -> str:
        return f"{self.cluster_id}/{self.notebook}"


@dataclasses.dataclass
class TaskResult:
    cluster_id: str
    notebook: str
    status: str  # "ok" | "cached" | "failed"
    duration_s: float = 0.0
    error: str = ""
    attempts: int = 0
    error_class: str = ""  # the exception's class (a notebook cell's: its ename), "" when the task did not fail

    @property
    def label(self) -> str:
        return f"{self.cluster_id}/{self.notebook}"


# ---------------------------------------------------------------------------------------------------------
# The matrix
# ---------------------------------------------------------------------------------------------------------


def discover_notebooks() -> list[str]:
    """Stems of the workbooks under ``notebooks/`` (``NN_name.py`` or ``NN_name.ipynb``), in order."""
    folder = paths.notebooks_dir()
    return sorted({p.stem for pattern in ("[0-9][0-9]_*.ipynb", "[0-9][0-9]_*.py") for p in folder.glob(pattern)})


#: Notebook JSON and titles already read in this process, by notebook stem, with the signatures of the files
#: they were read from (a changed file is read again).
_READ: dict[tuple[str, str], tuple[tuple[Any, ...], str]] = {}


def _file_signature(path: Path) -> list[int]:
    """What identifies a file's content without reading it: size, mtime, ctime and inode. ctime and inode too:
    an edit that keeps the size and puts the mtime back (touch -r, some sync tools) still changes ctime, which
    no user call can set back. Raises OSError when the file cannot be read."""
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


def _signature(*files: Path) -> tuple[Any, ...]:
    """:func:`_file_signature` of each file (``None``: no file)."""
    out: list[Any] = []
    for path in files:
        try:
            out.append(tuple(_file_signature(path)))
        except OSError:
            out.append(None)
    return tuple(out)


def _remembered(kind: str, stem: str, files: tuple[Path, ...], read: Callable[[str], str]) -> str:
    """``read(stem)``, or the value read before when none of ``files`` has changed since (signatures taken
    after reading: :func:`notebook_json` may rewrite the ``.ipynb``)."""
    hit = _READ.get((kind, stem))
    if hit is not None and hit[0] == _signature(*files):
        return hit[1]
    value = read(stem)
    _READ[(kind, stem)] = (_signature(*files), value)
    return value


def notebook_json(stem: str) -> str:
    """The notebook a task executes, as JSON (see :func:`_notebook_json`); read once per process while
    neither file of the pair changes (a run asks for it per task, for the cache key and the task)."""
    folder = paths.notebooks_dir()
    return _remembered("json", stem, (folder / f"{stem}.py", folder / f"{stem}.ipynb"), _notebook_json)


def _notebook_json(stem: str) -> str:
    """The notebook a task executes, as JSON: built from the paired ``.py`` script, the file people edit.

    The ``.py`` (jupytext ``py:percent``) is the source of truth, so editing only it reruns the notebook
    with the edit. When the ``.ipynb`` beside it has other cells and is the newer file (edited in a
    JupyterLab without the jupytext pairing), the run refuses with the command that carries that edit into
    the ``.py``. When the ``.py`` is the newer one, the ``.ipynb`` is rewritten from it (no outputs), so the
    pair stays in sync. A notebook with no ``.py`` is run as it is.
    """
    import jupytext
    import nbformat

    script = paths.notebooks_dir() / f"{stem}.py"
    ipynb = paths.notebooks_dir() / f"{stem}.ipynb"
    if not script.is_file():
        return ipynb.read_text(encoding="utf-8")
    from_script = jupytext.read(script)
    if ipynb.is_file():
        paired = nbformat.read(ipynb, as_version=4)
        cells = lambda nb: [(c.cell_type, c.source.strip()) for c in nb.cells]
        if cells(paired) == cells(from_script):
            return ipynb.read_text(encoding="utf-8")  # in sync: the same cells, with the pair's stable cell ids
        if ipynb.stat().st_mtime > script.stat().st_mtime:
            raise RunError(f"notebooks/{stem}.ipynb was edited after notebooks/{stem}.py and they differ: run "
                           f"`jupytext --sync notebooks/{stem}.ipynb` (or `make notebooks-sync`) to carry the "
                           "edit into the .py, then run again")
    jupytext.write(from_script, ipynb, fmt="ipynb")  # written once, so its cell ids (and the cache key) stay put
    return ipynb.read_text(encoding="utf-8")


def notebook_title(stem: str) -> str:
    """The first Markdown heading of a notebook, or its stem (read once per process while the files do not change)."""
    folder = paths.notebooks_dir()
    return _remembered("title", stem, (folder / f"{stem}.py", folder / f"{stem}.ipynb"), _notebook_title)


def _notebook_title(stem: str) -> str:
    script = paths.notebooks_dir() / f"{stem}.py"
    source = paths.notebooks_dir() / f"{stem}.ipynb"
    if script.is_file():
        import jupytext
        import nbformat

        nb = json.loads(nbformat.writes(jupytext.read(script)))
    else:
        nb = json.loads(source.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            for line in ("".join(source) if isinstance(source, list) else source).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return stem


def build_matrix(clusters: Iterable[str] | None = None, notebooks: Iterable[str] | None = None,
                 overrides: Iterable[str] = ()) -> list[Task]:
    """The tasks to run: every requested notebook × cluster, collection notebooks last (once each)."""
    known_notebooks = discover_notebooks()
    known_clusters = params_mod.list_clusters()
    chosen_nb = list(notebooks) if notebooks else known_notebooks
    chosen_cl = list(clusters) if clusters else known_clusters
    for stem in chosen_nb:
        if stem not in known_notebooks:
            raise ParamsError(f"--notebook {stem!r}: no notebooks/{stem}.py or .ipynb; known: {', '.join(known_notebooks)}")
    for cid in chosen_cl:
        params_mod.cluster_file(cid)  # refuses unsafe ids
        if cid not in known_clusters:
            raise ParamsError(f"--cluster {cid!r}: no params/clusters/{cid}.yaml; known: {', '.join(known_clusters)}")
    overrides = list(overrides)
    typed = tuple(params_mod.parse_override(text) for text in overrides if not _is_synthesis_override(text))
    collection_typed = typed + tuple(_parse_synthesis_override(text) for text in overrides
                                     if _is_synthesis_override(text))
    params_mod.load_synthesis_params(dict(collection_typed))  # a bad synthesis.* option fails here, before any task runs
    tasks = [
        Task(cid, stem, typed) for stem in chosen_nb if stem not in COLLECTION_NOTEBOOKS for cid in chosen_cl
    ]
    tasks += [Task(COLLECTION_FOLDER, stem, collection_typed) for stem in chosen_nb if stem in COLLECTION_NOTEBOOKS]
    return tasks


def _is_synthesis_override(text: str) -> bool:
    return text.strip().startswith(params_mod.SYNTHESIS_PREFIX) and "=" in text


def _parse_synthesis_override(text: str) -> tuple[str, Any]:
    """``synthesis.<option>=value`` for the collection notebooks only (validated by SynthesisParams)."""
    key, raw = text.split("=", 1)
    return key.strip(), params_mod.parse_yaml(raw, f"override {key.strip()!r}") if raw != "" else None


# ---------------------------------------------------------------------------------------------------------
# Cache keys
# ---------------------------------------------------------------------------------------------------------


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class HashMemo:
    """sha256 of files, remembered by (size, mtime) in ``outputs/.cache/hashes.json``."""

    def __init__(self, store: Path):
        self.store = store
        try:
            self.memo: dict[str, list[Any]] = json.loads(store.read_text())
        except (OSError, ValueError):
            self.memo = {}
        self.changed = False

    def sha256(self, path: Path) -> str:
        signature = _file_signature(path)
        key = str(path.resolve())
        hit = self.memo.get(key)
        if hit and hit[:-1] == signature:
            return hit[-1]
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        self.memo[key] = [*signature, digest.hexdigest()]
        self.changed = True
        return digest.hexdigest()

    def save(self) -> None:
        if self.changed:
            try:
                atomic_write_text(self.store, json.dumps(self.memo))
            except OSError:
                pass


def library_fingerprint() -> str:
    """Hash of the installed library's source (so editing the library reruns what depends on it)."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".j2", ".json") and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def resolve_params(task: Task) -> Any:
    """The effective parameters of a task, resolved once: ``ClusterParams`` of its cluster, or the
    ``SynthesisParams`` of a collection notebook. Bad parameters raise ParamsError."""
    if task.cluster_id == COLLECTION_FOLDER:
        return params_mod.load_synthesis_params(dict(task.overrides))
    return params_mod.resolve(task.cluster_id, dict(task.overrides)).params


def cache_key(task: Task, memo: HashMemo, library: str, params: Any = None) -> str:
    """Content hash of everything a task's result depends on (``params``: see :func:`resolve_params`)."""
    from .data.files import input_files

    params = resolve_params(task) if params is None else params
    nb_bytes = notebook_json(task.notebook).encode("utf-8")
    parts: dict[str, Any] = {"notebook": _sha256_bytes(nb_bytes), "library": library, "kernel": KERNEL}
    if task.cluster_id == COLLECTION_FOLDER:
        parts["results"] = {name: entry.sha256 for name, entry in sorted(_ledger().tasks.items())
                            if entry.cluster_id != COLLECTION_FOLDER}
        parts["overrides"] = [list(o) for o in task.overrides]
        parts["collection_inputs"] = {
            str(p.relative_to(paths.project_root())): memo.sha256(p)
            for pattern in COLLECTION_INPUTS for p in sorted(paths.project_root().glob(pattern))
        }
    else:
        parts["params"] = params.model_dump(mode="json")
        parts["inputs"] = {name: memo.sha256(path) for name, path in input_files(params).items()}
    return _sha256_bytes(json.dumps(parts, sort_keys=True, default=str).encode())


def cached(task: Task, key: str) -> bool:
    folder = paths.outputs_dir() / task.cluster_id
    results = folder / f"{task.notebook}.results.json"
    if not (results.is_file() and (folder / f"{task.notebook}.html").is_file()):
        return False
    if (folder / f"{task.notebook}.failed.json").is_file():
        return False
    try:
        stamped = ResultsFile.read(results).provenance.cache_key
    except ResultsFileError:
        return False
    return stamped == key


@dataclasses.dataclass(frozen=True)
class TaskStatus:
    """The last outcome of one task on disk, as ``agrocluster list`` shows it."""

    cluster_id: str
    notebook: str
    status: str  # "ok" | "failed" (the last good report, if any, is kept) | "not run"
    finished: str
    seconds: float | None
    up_to_date: str  # "yes": the next run would say "cached"; "no": it would run; "–" when never run


def task_statuses(clusters: Iterable[str] | None = None, notebooks: Iterable[str] | None = None) -> list[TaskStatus]:
    """Every task of the matrix with its last status, when it finished, how long it took and whether the
    next run would reuse it (its cache key matches). Reads only what the runner recorded."""
    memo = HashMemo(paths.outputs_dir() / ".cache" / "hashes.json")
    library = library_fingerprint()
    ledger = _ledger()
    rows = []
    for task in build_matrix(clusters, notebooks):
        folder = paths.outputs_dir() / task.cluster_id
        failed = folder / f"{task.notebook}.failed.json"
        recorded = ledger.has(task.cluster_id, task.notebook)
        seconds, finished = None, ""
        if recorded:
            try:
                provenance = ResultsFile.read(folder / f"{task.notebook}.results.json").provenance
                seconds, finished = provenance.runner_duration_s, provenance.started or ""
            except ResultsFileError:
                recorded = False
        if failed.is_file():
            try:
                finished = json.loads(failed.read_text(encoding="utf-8")).get("finished", "")
            except (OSError, ValueError):
                finished = ""
            status = "failed"
        else:
            status = "ok" if recorded else "not run"
        try:
            fresh = "yes" if recorded and cached(task, cache_key(task, memo, library)) else "no"
        except (ParamsError, RunError):
            fresh = "no"
        rows.append(TaskStatus(task.cluster_id, task.notebook, status, finished, seconds,
                               fresh if status != "not run" else "–"))
    return rows


def _ledger() -> RunLedger:
    """The record of completed tasks; an unreadable one is started afresh (the runner rewrites it)."""
    try:
        return RunLedger.read(paths.outputs_dir())
    except ResultsFileError:
        return RunLedger()


# ---------------------------------------------------------------------------------------------------------
# Executing one task (runs in a worker process: local pool or Dask worker)
# ---------------------------------------------------------------------------------------------------------


def _is_kernel_start_failure(exc: BaseException, executed: Any) -> bool:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return False
    if executed is None:
        return True
    return all(c.get("execution_count") is None for c in executed.cells if c.cell_type == "code")


_INLINE_FIGURE = re.compile(r'src="data:image/png;base64,[A-Za-z0-9+/=]*" data-ac-file="([^"]+)"')


def link_figures(nb: Any) -> int:
    """Replace every inline figure marked ``data-ac-file`` (see :func:`agrocluster.figures.figure_block`)
    by a link to that file, relative to the report; return how many were replaced. Edits ``nb`` in place."""
    count = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            markup = data.get("text/html")
            if markup is None:
                continue
            text = "".join(markup) if isinstance(markup, list) else markup
            linked, n = _INLINE_FIGURE.subn(r'src="\1"', text)
            if n:
                data["text/html"] = linked
                count += n
    return count


_EXPORTERS = threading.local()


def _html_exporter(show_code: bool) -> Any:
    """The ``agrocluster`` HTML exporter, built once per thread and ``show_code``: building one compiles its
    Jinja templates (about 0.45 s of CPU), which a pool worker would otherwise pay again for every report.
    Jinja checks the template files' modification times, so an edited template is still picked up."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    built = _EXPORTERS.__dict__.setdefault("by_option", {})
    if show_code not in built:
        config = Config()
        config.TagRemovePreprocessor.enabled = True
        config.TagRemovePreprocessor.remove_cell_tags = {"remove-cell", "injected-parameters"}
        config.TagRemovePreprocessor.remove_input_tags = {"remove-input", "hide-input"}
        config.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output"}
        config.CSSHTMLHeaderPreprocessor.enabled = False  # its code-highlighting CSS is in the site's stylesheet
        config.HTMLExporter.exclude_input = not show_code
        config.HTMLExporter.exclude_input_prompt = True
        config.HTMLExporter.exclude_output_prompt = True
        built[show_code] = HTMLExporter(
            config=config, template_name="agrocluster",
            extra_template_basedirs=[str(Path(__file__).resolve().parent / "templates")],
        )
    return built[show_code]


def render_html(nb: Any, *, title: str, cluster_name: str, cluster_id: str, results: ResultsFile,
                command: str, show_code: bool) -> str:
    """Render an executed notebook with the ``agrocluster`` template (see module docstring).

    The page links the site's stylesheet (``../assets/``, written by :func:`build_site`); its navigation
    is filled in when the site is built (:func:`agrocluster.site.decorate_report`).
    """
    from . import site

    exporter = _html_exporter(show_code)
    resources = {
        "metadata": {"name": title},
        "agrocluster": {
            "css_href": f"../{site.ASSETS}/{site.STYLESHEET}",
            "nav": site.home_nav(),
            "header": site.report_header(title=title, cluster_name=cluster_name, cluster_id=cluster_id,
                                         results=results, command=command),
            "footer": site.report_footer(results),
        },
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


def _command(task_spec: Mapping[str, Any]) -> str:
    parts = ["agrocluster run"]
    if task_spec["cluster_id"] != COLLECTION_FOLDER:
        parts.append(f"--cluster {task_spec['cluster_id']}")
    parts.append(f"--notebook {task_spec['notebook']}")
    parts += [f"-p {k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in task_spec["overrides"]]
    return " ".join(parts)


def execute_task(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Execute and render one task; return its status and the bytes of every output file.

    ``spec`` holds ``cluster_id``, ``cluster_name``, ``notebook``, ``notebook_json`` (the exact notebook
    hashed by the caller), ``params_json`` (the resolved parameters), ``overrides`` ((key, value) pairs,
    for the command line shown and the collection notebooks), ``show_code`` and ``outputs`` (the outputs
    folder, which collection notebooks read). Nothing here writes ``outputs/``.
    """
    import nbformat
    import papermill

    from . import forkserver

    for variable in THREAD_VARIABLES:  # the kernel inherits these: one core's worth of threads per task
        os.environ[variable] = str(spec.get("threads", 1))
    os.environ["PYTHONHASHSEED"] = KERNEL_HASH_SEED
    started = time.perf_counter()
    root = paths.project_root()
    staging = Path(tempfile.mkdtemp(prefix=f"agrocluster-{spec['cluster_id']}-{spec['notebook']}-"))
    stem = spec["notebook"]
    executed_path = staging / f"{stem}.ipynb"
    parameters: dict[str, Any] = {"cluster_id": spec["cluster_id"], "output_dir": str(staging / "out")}
    if spec["cluster_id"] == COLLECTION_FOLDER:
        parameters.update(overrides=dict(spec["overrides"]), results_dir=spec["outputs"])
    else:
        parameters["params_json"] = spec["params_json"]
    nb_in = nbformat.reads(spec["notebook_json"], as_version=4)
    title = spec.get("title") or stem
    outcome: dict[str, Any] = {"cluster_id": spec["cluster_id"], "notebook": stem, "files": {}, "attempts": 0}
    executed = None
    error: BaseException | None = None
    try:
        for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
            outcome["attempts"] = attempt
            executed, error = None, None
            # a kernel forked from the run's fork server; a retry after a failed start starts a plain one
            try:
                with forkserver.forked_kernel(spec.get("kernel_dirs") if attempt == 1 else None) as km:
                    executed = papermill.execute_notebook(
                        nb_in, str(executed_path), parameters=parameters, kernel_name=KERNEL, cwd=str(root),
                        progress_bar=False, log_output=False, request_save_on_cell_execute=False,
                        start_timeout=120, extra_arguments=KERNEL_ARGUMENTS, km=km,
                    )
                break
            except (KeyboardInterrupt, SystemExit):
                raise  # the user stopped the run: no retry, no failure report
            except BaseException as exc:  # noqa: BLE001 - classified just below
                error = exc
                executed = nbformat.read(executed_path, as_version=4) if executed_path.is_file() else None
                if not _is_kernel_start_failure(exc, executed) or attempt == KERNEL_START_ATTEMPTS:
                    break
                time.sleep(1.0 * attempt)
        out = staging / "out"
        results_path = out / f"{stem}.results.json"
        if _stopped_on_purpose(error) and executed is not None and results_path.is_file():
            end_at_stop(executed)
            error = None
        if error is None and not results_path.is_file():
            error = RunError(f"notebooks/{stem} stopped before it recorded its results (no {stem}.results.json: "
                             "a sys.exit(), a raised SystemExit or a skipped rec.save()); the last good report is kept")
        if error is None:
            results = ResultsFile.read(results_path)
            _check_params_used(results, spec)
            link_figures(executed)
            html = render_html(
                executed, title=title, cluster_name=spec["cluster_name"], cluster_id=spec["cluster_id"],
                results=results, command=_command(spec), show_code=spec.get("show_code", False),
            )
            files = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
            files[f"{stem}.ipynb"] = nbformat.writes(executed).encode("utf-8")
            files[f"{stem}.html"] = html.encode("utf-8")
            outcome.update(status="ok", files=files)
        else:
            message = _error_message(error)
            files = {}
            if executed is not None:
                files[f"{stem}.failed.ipynb"] = nbformat.writes(executed).encode("utf-8")
                failed_results = ResultsFile(cluster_id=spec["cluster_id"], notebook=stem, headline={},
                                             notes=[f"This run failed: {message}"])
                files[f"{stem}.failed.html"] = render_html(
                    executed, title=f"{title} (failed run)", cluster_name=spec["cluster_name"],
                    cluster_id=spec["cluster_id"], results=failed_results, command=_command(spec), show_code=True,
                ).encode("utf-8")
            else:
                files[f"{stem}.failed.html"] = failure_page(title, spec["cluster_id"], message).encode("utf-8")
            outcome.update(status="failed", error=message, error_class=_error_class(error), files=files,
                           traceback="".join(traceback.format_exception(error))[-4000:])
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    outcome["duration_s"] = round(time.perf_counter() - started, 3)
    return outcome


def _stopped_on_purpose(error: BaseException | None) -> bool:
    """Whether the notebook raised :class:`~agrocluster.errors.WorkbookStopped` (``rec.stop_unless``)."""
    from papermill.exceptions import PapermillExecutionError

    return isinstance(error, PapermillExecutionError) and error.ename == "WorkbookStopped"


def end_at_stop(nb: Any) -> list[str]:
    """End an executed notebook at the cell that raised ``WorkbookStopped`` (edits ``nb`` in place).

    Removes papermill's error banners and that cell's traceback, drops the cells after it (never executed),
    and appends a markdown cell that names each section left out (its ``## `` heading) with the reason, the
    exception's message. Returns the headings of the sections left out.
    """
    import nbformat

    cells = [c for c in nb.cells if "papermill-error-cell-tag" not in c.get("metadata", {}).get("tags", [])]
    stop, reason = len(cells), ""
    for position, cell in enumerate(cells):
        stopped = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"
                   and o.get("ename") == "WorkbookStopped"]
        if stopped:
            stop, reason = position, stopped[0].get("evalue", "")
            cell["outputs"] = [o for o in cell["outputs"] if o.get("output_type") != "error"]
            break
    headings = [line[3:].strip() for cell in cells[stop + 1:] if cell.get("cell_type") == "markdown"
                for line in cell.get("source", "").splitlines() if line.startswith("## ")]
    reason = reason.removeprefix("the rest of this workbook is not computed: ")
    lines = ["## Sections not computed\n\nThe sections below rest on what the data lack; add it and run again.\n"]
    lines += [f"- **{heading}**: Not computed: {reason}." for heading in headings]
    nb.cells = cells[:stop + 1] + [nbformat.v4.new_markdown_cell("\n".join(lines))]
    return headings


def recorded_data_kinds(outputs: Path, ledger: RunLedger) -> dict[str, dict[str, str]]:
    """Cluster → {table: kind} of the tables its recorded reports actually read (their provenance inputs), for
    the clusters the ledger has reports of. Closer to the truth than the parameters alone: a regional
    employment table that could not be derived (establishments without ``labour``) is not claimed."""
    from .data.files import source_kind

    found: dict[str, dict[str, str]] = {}
    for entry in ledger.tasks.values():
        if entry.cluster_id == COLLECTION_FOLDER:
            continue
        try:
            inputs = ResultsFile.read(outputs / entry.results).provenance.inputs
        except (OSError, ResultsFileError):
            continue
        tables = found.setdefault(entry.cluster_id, {})
        for table, info in inputs.items():
            tables[table] = source_kind(str(info.get("source", "")))
    return {cid: {t: k for t, k in tables.items() if k != "not used"} for cid, tables in found.items()}


def _check_params_used(results: ResultsFile, spec: Mapping[str, Any]) -> None:
    """Refuse a report whose recorded parameters are not the ones the runner passed (a notebook that
    resolves its parameters itself instead of validating ``params_json``)."""
    recorded = results.provenance.params
    if spec["cluster_id"] == COLLECTION_FOLDER or not recorded:
        return
    if recorded != json.loads(spec["params_json"]):
        raise RunError(f"notebooks/{spec['notebook']}: the parameters it recorded differ from those the runner "
                       "passed; its validation cell must call agrocluster.params.load(cluster_id, overrides, "
                       "params_json) with the parameters cell's params_json")


def _error_class(exc: BaseException) -> str:
    """The class of the error that failed a task: the notebook cell's exception class for a cell error."""
    from papermill.exceptions import PapermillExecutionError

    return exc.ename if isinstance(exc, PapermillExecutionError) else type(exc).__name__


def _error_message(exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return f"{exc.ename}: {exc.evalue} (cell {exc.exec_count})"
    return f"{type(exc).__name__}: {exc}"


# ---------------------------------------------------------------------------------------------------------
# Committing outputs (the caller's process only)
# ---------------------------------------------------------------------------------------------------------


def commit_outputs(outcome: Mapping[str, Any], key: str | None) -> None:
    """Put a task's files into ``outputs/<cluster>/`` all or nothing.

    Every file is first written into a staging folder beside the outputs (same file system); only when all
    are written are they renamed into place, ``.results.json`` last. A failed write (disk full, read-only
    folder) removes the staging folder and raises :class:`OSError`, leaving the last good report exactly as
    it was. A failed task replaces the previous failure files, so ``.failed.html`` is always the latest.
    """
    folder = paths.outputs_dir() / outcome["cluster_id"]
    stem = outcome["notebook"]
    files = dict(outcome["files"])
    failure_names = {f"{stem}{suffix}" for suffix in (".failed.json", ".failed.ipynb", ".failed.html")}
    if outcome["status"] == "ok":
        results_name = f"{stem}.results.json"
        results = ResultsFile.from_bytes(files.pop(results_name), f"{outcome['cluster_id']}/{results_name}")
        results.provenance.cache_key = key
        results.provenance.runner_duration_s = outcome["duration_s"]
        text = results.to_json()
        files[results_name] = text.encode("utf-8")  # renamed last (dicts keep insertion order)
        _stage_and_replace(folder, stem, files)
        for sub in ("tables", "figures"):
            for stale in (folder / sub).glob(f"{stem}-*"):
                if f"{sub}/{stale.name}" not in files:
                    stale.unlink()
        for name in failure_names:
            (folder / name).unlink(missing_ok=True)
        _record_completed(outcome["cluster_id"], stem, text.encode("utf-8"))
    else:
        files.setdefault(f"{stem}.failed.html",
                         failure_page(stem, outcome["cluster_id"], outcome.get("error", "")).encode("utf-8"))
        files[f"{stem}.failed.json"] = json.dumps({
            "cluster_id": outcome["cluster_id"], "notebook": stem, "error": outcome.get("error", ""),
            "traceback": outcome.get("traceback", ""),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
        }, indent=2).encode("utf-8")
        _stage_and_replace(folder, stem, files)
        for name in failure_names - set(files):
            (folder / name).unlink(missing_ok=True)


def _stage_and_replace(folder: Path, stem: str, files: Mapping[str, bytes]) -> None:
    """Write ``files`` (relative path → bytes) into a staging folder, then rename each into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".staging-{stem}-", dir=folder))
    try:
        for rel, data in files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            os.chmod(target, _FILE_MODE)
        for rel in files:
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, folder / rel)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def failure_page(title: str, cluster_id: str, message: str) -> str:
    """A small page for a failure with no executed notebook to show (bad parameters, a dead kernel or
    worker, outputs that could not be written): its error, escaped."""
    from . import site

    return site.page(f"{title} (failed run)", f"<main class=\"ac-main\"><h1>{site.esc(title)}: failed run</h1>"
                     f"<p>Cluster <code>{site.esc(cluster_id)}</code>. The task failed with no notebook to show:"
                     f"</p><pre>{site.esc(message)}</pre><p>The last good report, if any, is kept.</p></main>", depth=1)


def _record_completed(cluster_id: str, notebook: str, results: bytes) -> None:
    """Add a committed report to the ledger of completed tasks (the caller's process only)."""
    ledger = _ledger()
    ledger.record(paths.outputs_dir(), cluster_id, notebook, results)
    ledger.write(paths.outputs_dir())


# ---------------------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class RunSummary:
    results: list[TaskResult]
    index: Path | None
    wall_s: float
    site_size: Any = None  # agrocluster.site.SiteSize of the outputs folder after the run

    @property
    def failed(self) -> list[TaskResult]:
        return [r for r in self.results if r.status == "failed"]

    def table(self) -> str:
        width = max([len(r.label) for r in self.results] + [10])
        lines = [f"{'task'.ljust(width)}  status   seconds  note"]
        for r in self.results:
            lines.append(f"{r.label.ljust(width)}  {r.status.ljust(7)}  {r.duration_s:7.1f}  {r.error[:100]}")
        ok = sum(r.status == "ok" for r in self.results)
        hit = sum(r.status == "cached" for r in self.results)
        lines.append(f"{ok} ran, {hit} cached, {len(self.failed)} failed in {self.wall_s:.1f} s")
        if self.site_size is not None:
            lines.append(self.site_size.line())
        return "\n".join(lines)


def _spec(task: Task, params: Any, show_code: bool, titles: Mapping[str, str], threads: int = 1) -> dict[str, Any]:
    return {
        "threads": threads,
        "cluster_id": task.cluster_id, "cluster_name": params.name, "notebook": task.notebook,
        "params_json": params.model_dump_json(),
        "notebook_json": notebook_json(task.notebook),
        "overrides": list(task.overrides), "show_code": show_code, "title": titles.get(task.notebook, task.notebook),
        "outputs": str(paths.outputs_dir()),
    }


def _worker_init() -> None:
    """Start of a pool worker: its own session, and its end when the runner dies.

    In its own session a worker (and the kernels it starts, which inherit the session) does not receive
    the terminal's Ctrl-C: the runner alone handles it and stops the workers (:func:`_stop_workers`). On
    Linux the worker also asks for SIGTERM when the runner dies, even by SIGKILL; a kernel whose worker
    has gone exits by itself (ipykernel polls its parent). Its nbformat starts without the IRI grammars
    (:func:`agrocluster._process.skip_iri_grammars`).
    """
    import signal

    from agrocluster._process import set_parent_death_signal, skip_iri_grammars

    os.setsid()
    set_parent_death_signal(signal.SIGTERM)
    skip_iri_grammars()


def _stop_workers(pool: cf.ProcessPoolExecutor) -> None:
    """Kill every worker's session (the worker and its kernels) and shut the pool down without waiting."""
    import signal

    for process in list(getattr(pool, "_processes", {}).values()):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    pool.shutdown(wait=False, cancel_futures=True)


def _run_local(specs: list[dict[str, Any]], jobs: int, on_done: Callable[[dict[str, Any]], None]) -> None:
    if jobs <= 1 or len(specs) == 1:
        for spec in specs:
            on_done(_guarded(spec))
        return
    context = multiprocessing.get_context("spawn")
    pool = cf.ProcessPoolExecutor(max_workers=min(jobs, len(specs)), mp_context=context, initializer=_worker_init)
    try:
        futures = {pool.submit(_guarded, spec): spec for spec in specs}
        for future in cf.as_completed(futures):
            spec = futures[future]
            try:
                on_done(future.result())
            except Exception as exc:  # noqa: BLE001 - a worker process died: report the task as failed
                on_done(_crashed(spec, exc))
    except BaseException:
        _stop_workers(pool)
        raise
    pool.shutdown(wait=True)


def _run_dask(specs: list[dict[str, Any]], scheduler: str, on_done: Callable[[dict[str, Any]], None]) -> None:
    """Send the tasks to a Dask scheduler; a lost worker's task is retried on another (``retries=2``).

    Fails with a :class:`RunError` when the scheduler cannot be reached, when no worker joins within
    ``DASK_WORKER_TIMEOUT_S`` seconds, or when every worker has gone for that long while tasks remain
    (they are then reported failed, not waited for).
    """
    from distributed import Client, wait

    timeout = DASK_WORKER_TIMEOUT_S
    try:
        client = Client(scheduler, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise RunError(f"cannot reach the Dask scheduler at {scheduler} within {timeout:.0f} s ({exc})") from None
    with client:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            raise RunError(f"no Dask worker joined the scheduler at {scheduler} within {timeout:.0f} s") from None
        futures = {
            client.submit(_guarded, spec, key=f"agrocluster-{spec['cluster_id']}-{spec['notebook']}-{os.getpid()}-{i}",
                          pure=False, retries=2): spec
            for i, spec in enumerate(specs)
        }
        pending = set(futures)
        no_workers_since: float | None = None
        while pending:
            try:
                done, still = wait(list(pending), timeout=2, return_when="FIRST_COMPLETED")
            except TimeoutError:  # nothing finished in this interval: check the workers, then wait again
                done, still = set(), pending
            pending = set(still)
            for future in done:
                spec = futures[future]
                try:
                    on_done(future.result())
                except Exception as exc:  # noqa: BLE001 - the task was lost on the cluster: report it
                    on_done(_crashed(spec, exc))
            if not pending:
                break
            if client.scheduler_info().get("workers"):
                no_workers_since = None
            elif no_workers_since is None:
                no_workers_since = time.monotonic()
            elif time.monotonic() - no_workers_since > timeout:
                lost = RunError(f"every Dask worker of {scheduler} has gone for more than {timeout:.0f} s")
                for future in pending:
                    future.cancel()
                    on_done(_crashed(futures[future], lost))
                return


def _guarded(spec: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return execute_task(spec)
    except Exception as exc:  # noqa: BLE001 - never let one task take the pool down
        return _crashed(spec, exc)


def _crashed(spec: Mapping[str, Any], exc: BaseException) -> dict[str, Any]:
    return {"cluster_id": spec["cluster_id"], "notebook": spec["notebook"], "status": "failed",
            "error": f"{type(exc).__name__}: {exc}", "error_class": type(exc).__name__, "files": {},
            "duration_s": 0.0, "attempts": 0,
            "traceback": "".join(traceback.format_exception(exc))[-4000:]}


def run(clusters: Iterable[str] | None = None, notebooks: Iterable[str] | None = None,
        overrides: Iterable[str] = (), *, jobs: int | None = None, scheduler: str | None = None,
        force: bool = False, show_code: bool = False, progress: bool = True,
        log: Callable[[str], None] | None = None) -> RunSummary:
    """Run the task matrix and rebuild the site index. See the module docstring."""
    t0 = time.perf_counter()
    log = log or _log_line
    tasks = build_matrix(clusters, notebooks, overrides)
    outputs = paths.outputs_dir()
    try:
        outputs.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunError(f"cannot create the outputs folder {outputs}: {exc}") from exc
    with _run_lock(outputs), WarmKernels(tasks, log) as kernels:
        return _run_tasks(tasks, outputs, t0, jobs=jobs, scheduler=scheduler, force=force, show_code=show_code,
                          progress=progress, log=log, kernels=kernels)


class WarmKernels:
    """The local pool's kernels: forked from one fork server per run (:mod:`agrocluster.forkserver`), which
    imports the modules the run's notebooks import once, so each task's kernel starts with them loaded (still
    one fresh process per task). Started when the first task needs a kernel, stopped when the run ends."""

    def __init__(self, tasks: Iterable[Task], log: Callable[[str], None] = print):
        self.notebooks = sorted({t.notebook for t in tasks})
        self.log = log
        self.server: Any = None
        self.failed = False

    def kernel_dirs(self, warm_library: bool = True) -> list[str] | None:
        """The kernelspec folder of the forked kernel (see :func:`agrocluster.forkserver.kernel_manager`), or
        ``None`` (plain kernels) when the fork server could not start, which the log says once.

        The server imports the notebooks' own imports before the first kernel; with ``warm_library`` (more
        tasks than parallel kernels, so some kernels start later) it goes on importing the rest of the
        library and what it imports inside functions while idle (:func:`agrocluster.forkserver.library_modules`).
        A short run (tasks ≤ jobs) would only pay for imports no kernel of it uses.
        """
        if self.server is None and not self.failed:
            from . import forkserver

            modules = forkserver.notebook_modules(json.loads(notebook_json(stem)) for stem in self.notebooks)
            background = forkserver.library_modules() if warm_library else []
            env = {**os.environ, **{variable: str(THREADS_PER_TASK) for variable in THREAD_VARIABLES},
                   "PYTHONHASHSEED": KERNEL_HASH_SEED}  # forked kernels share the server's hash seed
            try:
                self.server = forkserver.ForkServer(modules, env, background).start()
            except OSError as exc:
                self.failed = True
                self.log(f"[warning] kernels start without the fork server (slower): {exc}")
        return None if self.server is None else self.server.kernel_dirs

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.server is not None:
            self.server.stop()


@contextlib.contextmanager
def _run_lock(outputs: Path) -> Any:
    """Hold ``outputs/.lock`` for the whole run: a second run on the same outputs refuses to start."""
    import fcntl

    path = outputs / ".lock"
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held open for the lock's lifetime
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise RunError(f"another agrocluster run (pid {holder}) is writing to {outputs}; wait for it to "
                           "finish, or set AGROCLUSTER_OUTPUTS to another folder") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


def _run_tasks(tasks: list[Task], outputs: Path, t0: float, *, jobs: int | None, scheduler: str | None,
               force: bool, show_code: bool, progress: bool, log: Callable[[str], None],
               kernels: WarmKernels) -> RunSummary:
    memo = HashMemo(outputs / ".cache" / "hashes.json")
    library = library_fingerprint()
    titles = {stem: notebook_title(stem) for stem in {t.notebook for t in tasks}}
    results: list[TaskResult] = []
    jobs = jobs or os.cpu_count() or 1

    stages = [[t for t in tasks if t.cluster_id != COLLECTION_FOLDER],
              [t for t in tasks if t.cluster_id == COLLECTION_FOLDER]]
    bar = _progress(len(tasks), progress)
    for stage in stages:
        pending: list[tuple[Task, str, Any]] = []
        for position, task in enumerate(stage):
            if force and not scheduler:  # every task will run: the fork server imports while the keys are hashed
                kernels.kernel_dirs(warm_library=len(stage) - position > jobs)
            try:
                effective = resolve_params(task)
                key = cache_key(task, memo, library, effective)
            except (ParamsError, RunError) as exc:
                results.append(TaskResult(task.cluster_id, task.notebook, "failed", error=str(exc),
                                          error_class=type(exc).__name__))
                _write_failure(task, str(exc))
                log(f"[failed] {task.label}: {exc}")
                bar.update(1)
                continue
            if not force and cached(task, key):
                _record_cached(task)
                results.append(TaskResult(task.cluster_id, task.notebook, "cached"))
                log(f"[cached] {task.label}")
                bar.update(1)
            else:
                if not scheduler:  # the first task to run starts the fork server (once)
                    kernels.kernel_dirs(warm_library=len(stage) - position > jobs)
                pending.append((task, key, effective))
        keys = {(t.cluster_id, t.notebook): k for t, k, _ in pending}

        def on_done(outcome: dict[str, Any], keys: Mapping[tuple[str, str], str] = keys) -> None:
            label = f"{outcome['cluster_id']}/{outcome['notebook']}"
            try:
                commit_outputs(outcome, keys[(outcome["cluster_id"], outcome["notebook"])])
            except (OSError, ResultsFileError) as exc:
                outcome = {**outcome, "status": "failed", "files": {}, "error_class": type(exc).__name__,
                           "error": f"could not write outputs of {label}: {exc} (previous outputs kept)"}
                try:  # a small failure record, so the index does not keep saying "ok" (it may fail again)
                    commit_outputs(outcome, None)
                except OSError:
                    pass
            results.append(TaskResult(outcome["cluster_id"], outcome["notebook"], outcome["status"],
                                      outcome.get("duration_s", 0.0), outcome.get("error", ""),
                                      outcome.get("attempts", 0), outcome.get("error_class", "")))
            log(f"[{outcome['status']}] {label} {outcome.get('duration_s', 0.0):.1f} s"
                + (f": {outcome.get('error')}" if outcome.get("error") else ""))
            bar.update(1)

        specs = [_spec(task, effective, show_code, titles, THREADS_PER_TASK) for task, _, effective in pending]
        if specs:
            if scheduler:
                _run_dask(specs, scheduler, on_done)
            else:
                for spec in specs:
                    spec["kernel_dirs"] = kernels.kernel_dirs()
                _run_local(specs, jobs, on_done)
    bar.close()
    memo.save()
    index = build_site()
    order = {t.label: i for i, t in enumerate(tasks)}
    results.sort(key=lambda r: order.get(r.label, len(order)))
    from . import site

    return RunSummary(results, index, round(time.perf_counter() - t0, 3), site.site_size(outputs))


def _record_cached(task: Task) -> None:
    """A cached report counts as completed (reports committed before the ledger existed join it here)."""
    if not _ledger().has(task.cluster_id, task.notebook):
        path = paths.outputs_dir() / task.cluster_id / f"{task.notebook}.results.json"
        try:
            _record_completed(task.cluster_id, task.notebook, path.read_bytes())
        except OSError:
            pass


def _write_failure(task: Task, message: str) -> None:
    """Record a task that failed before its notebook ran (bad parameters): ``.failed.json`` and ``.failed.html``."""
    title = notebook_title(task.notebook)
    outcome = {"cluster_id": task.cluster_id, "notebook": task.notebook, "status": "failed", "error": message,
               "files": {f"{task.notebook}.failed.html": failure_page(title, task.cluster_id, message).encode("utf-8")}}
    try:
        commit_outputs(outcome, None)
    except OSError:
        pass


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _log_line(line: str) -> None:
    """One line of the run's log on stderr, written above the progress bar when one is shown."""
    from tqdm import tqdm

    tqdm.write(line, file=sys.stderr)


def progress_wanted(requested: bool | None = None) -> bool:
    """Show the progress bar? As asked, else when stderr is a terminal and not in CI (``CI`` set)."""
    if requested is not None:
        return requested
    return sys.stderr.isatty() and not os.environ.get("CI")


def _progress(total: int, enabled: bool) -> Any:
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc="tasks", unit="task", file=sys.stderr, leave=False)


def build_site() -> Path | None:
    """Rebuild the site from the results on disk; return ``outputs/index.html`` (``None`` if it cannot be written).

    Writes the shared assets (stylesheet, scripts), the navigation of every recorded report, the index
    (cards, map, matrix) and the comparison page (:mod:`agrocluster.site`).
    """
    from . import site
    from .data.files import data_kinds

    outputs = paths.outputs_dir()
    notebooks = discover_notebooks()
    clusters, places, kinds = [], {}, {}
    for cid in params_mod.list_clusters():
        try:
            raw = params_mod.read_yaml(params_mod.cluster_file(cid))
        except ParamsError:
            raw = {}
        clusters.append((cid, str(raw.get("name", cid))))
        synthetic = raw.get("synthetic") or {}
        places[cid] = {"lat": synthetic.get("centre_lat"), "lon": synthetic.get("centre_lon"),
                       "product": raw.get("product"), "country": raw.get("country_iso3")}
        try:
            kinds[cid] = data_kinds(params_mod.resolve(cid, check_files=False).params)
        except ParamsError:
            pass  # the banner lists the cluster as "data kinds unknown"
    ledger = _ledger()
    kinds.update(recorded_data_kinds(outputs, ledger))
    per_cluster = [(s, notebook_title(s)) for s in notebooks if s not in COLLECTION_NOTEBOOKS]
    collection = [(s, notebook_title(s)) for s in notebooks if s in COLLECTION_NOTEBOOKS]
    index = outputs / "index.html"
    available = frozenset((e.cluster_id, e.notebook) for e in ledger.tasks.values()
                          if (outputs / e.cluster_id / f"{e.notebook}.html").is_file())
    site_map = site.SiteMap(tuple(clusters), tuple(per_cluster), tuple(collection), COLLECTION_FOLDER, available)
    try:
        site.write_assets(outputs)
        site.decorate_reports(outputs, site_map)
        atomic_write_text(outputs / site.COMPARE_PAGE,
                          site.compare_page(site.compare_data(outputs, clusters, ledger, places)))
        atomic_write_text(index, site.build_index(outputs, clusters, per_cluster, collection, COLLECTION_FOLDER,
                                                  places=places, data_kinds=kinds))
    except OSError:
        return None
    return index
