"""Sensitivity runs: ``agrocluster run --vary KEY=V1,V2,...`` and the page of each variation.

Each value of the varied key is one *variant*: the selected task matrix is run with the overrides plus
``KEY=value`` into its own outputs folder, ``outputs/variants/<KEY>=<value>/`` (a complete site of its own).
The variants share the content-hash cache: before a variant runs, every per-cluster task whose cache key
(notebook, effective parameters, input files, library; :func:`agrocluster.runner.cache_key`) matches a good
report in the main outputs folder or in another variant of the same key is copied from there, so a value that
leaves a task's inputs unchanged (the main run's own value, a key a notebook does not read) does not rerun it.
Collection notebooks (the synthesis) run after the per-cluster tasks of their variant, as in any run. A
plain ``agrocluster run`` takes from the variants in the same way (:func:`share_from_variants`), so a value
tried with ``--vary`` and then written into the cluster file does not run again.

Then ``outputs/variants/<KEY>.html`` shows, for every cluster × notebook, each headline's value under every
value of the key, its range (largest minus smallest), whether it moves and whether its sign flips; for each
headline that moves, a specification curve (Simonsohn, Simmons & Nelson 2020): the estimates sorted from
smallest to largest, each with its 95% interval (± 1.96 SE) where it has an SE, labelled with the value that
produced it. ``outputs/variants/<KEY>.json`` records the variation (key, values, folders, selection); the site
index links every variation page.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from . import diff, paths, runner
from . import headlines as H
from .errors import ParamsError, ResultsFileError, RunError
from .results_file import ResultsFile, atomic_write_text

VARIANTS_FOLDER = "variants"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
Z95 = 1.959963984540054


@dataclasses.dataclass(frozen=True)
class Variant:
    """One value of the varied key and its outputs folder name (``<key>=<slug of the value>``)."""

    key: str
    value: str

    @property
    def override(self) -> str:
        return f"{self.key}={self.value}"

    @property
    def name(self) -> str:
        return f"{self.key}={_SAFE.sub('_', self.value).strip('_') or 'empty'}"


def split_values(text: str) -> list[str]:
    """Split ``V1,V2,...`` at the commas outside brackets and quotes (``[0,10],[0,25]`` is two values)."""
    values, depth, quote, current = [], 0, "", []
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        elif char == "," and depth == 0:
            values.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    values.append("".join(current).strip())
    return values


def parse_vary(text: str) -> list[Variant]:
    """``KEY=V1,V2,...`` → one :class:`Variant` per value; at least two distinct values, none empty."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ParamsError(f"--vary {text!r}: expected KEY=V1,V2,... (e.g. --vary concentration.kd_draws=99,999)")
    values = split_values(raw)
    if len(values) < 2 or any(v == "" for v in values):
        raise ParamsError(f"--vary {text!r}: give at least two values separated by commas, none empty")
    variants = [Variant(key, v) for v in values]
    names = [v.name for v in variants]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ParamsError(f"--vary {text!r}: values repeat or map to the same folder name: {', '.join(duplicates)}")
    return variants


@contextlib.contextmanager
def outputs_at(folder: Path) -> Iterator[None]:
    """Point :func:`agrocluster.paths.outputs_dir` (``AGROCLUSTER_OUTPUTS``) at ``folder`` for the block."""
    before = os.environ.get("AGROCLUSTER_OUTPUTS")
    os.environ["AGROCLUSTER_OUTPUTS"] = str(folder)
    try:
        yield
    finally:
        if before is None:
            del os.environ["AGROCLUSTER_OUTPUTS"]
        else:
            os.environ["AGROCLUSTER_OUTPUTS"] = before


def _report_files(folder: Path, stem: str) -> dict[str, bytes] | None:
    """The files of a good report in ``folder`` (html, ipynb, tables, figures, results last), or None."""
    names = [f"{stem}.html", f"{stem}.ipynb"]
    if (folder / f"{stem}.failed.json").is_file() or not all((folder / n).is_file() for n in names):
        return None
    files = {n: (folder / n).read_bytes() for n in names}
    for sub in ("tables", "figures"):
        files.update({f"{sub}/{p.name}": p.read_bytes() for p in sorted((folder / sub).glob(f"{stem}-*"))})
    files[f"{stem}.results.json"] = (folder / f"{stem}.results.json").read_bytes()
    return files


def share_cache(tasks: Sequence[runner.Task], sources: Sequence[Path], log: Callable[[str], None]) -> int:
    """Copy into the current outputs folder every per-cluster task whose good report, with the same cache key,
    is in one of ``sources``; return how many were copied. The next run finds them cached."""
    target = paths.outputs_dir()
    target.mkdir(parents=True, exist_ok=True)
    with runner._run_lock(target):
        return _share_cache(tasks, sources, target, log)


def _share_cache(tasks: Sequence[runner.Task], sources: Sequence[Path], target: Path,
                 log: Callable[[str], None]) -> int:
    memo = runner.HashMemo(target / ".cache" / "hashes.json")
    library = runner.library_fingerprint()
    copied = 0
    for task in tasks:
        if task.cluster_id == runner.COLLECTION_FOLDER:
            continue  # their key depends on this folder's cluster reports: computed by the run itself
        try:
            key = runner.cache_key(task, memo, library)
        except (ParamsError, RunError):
            continue  # the run itself reports it
        if runner.cached(task, key):
            continue
        for source in sources:
            folder = source / task.cluster_id
            try:
                stamped = ResultsFile.read(folder / f"{task.notebook}.results.json").provenance
            except ResultsFileError:  # a missing or unreadable report is no cache hit
                continue
            files = _report_files(folder, task.notebook) if stamped.cache_key == key else None
            if files is None:
                continue
            runner.commit_outputs({"cluster_id": task.cluster_id, "notebook": task.notebook, "status": "ok",
                                   "files": files, "duration_s": stamped.runner_duration_s or 0.0}, key)
            log(f"[shared] {task.label}: same cache key as {folder / task.notebook}")
            copied += 1
            break
    memo.save()
    return copied


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def share_from_variants(clusters: Sequence[str] | None, notebooks: Sequence[str] | None, overrides: Sequence[str],
                        log: Callable[[str], None] = _stderr) -> int:
    """Before a plain run: take from ``outputs/variants/*/`` every per-cluster report whose cache key matches
    (a value tried with ``--vary`` and then set in the cluster file does not run again); return how many."""
    root = paths.outputs_dir() / VARIANTS_FOLDER
    sources = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    per_cluster = [s for s in (notebooks or runner.discover_notebooks()) if s not in runner.COLLECTION_NOTEBOOKS]
    if not sources or not per_cluster:
        return 0
    return share_cache(runner.build_matrix(clusters, per_cluster, overrides), sources, log)


@dataclasses.dataclass
class VariationRun:
    """The runs of one ``--vary``: the variants in order, with each one's outputs folder and summary."""

    key: str
    variants: list[Variant]
    folders: list[Path]
    summaries: list[Any]
    page: Path | None = None


def check_variation(vary: str, clusters: Sequence[str] | None = None, notebooks: Sequence[str] | None = None,
                    overrides: Sequence[str] = ()) -> list[Variant]:
    """The variants of ``vary``, each one's task matrix and parameters checked (ParamsError) before any runs."""
    variants = parse_vary(vary)
    key = variants[0].key
    clashing = [o for o in overrides if o.partition("=")[0].strip() == key]
    if clashing:
        raise ParamsError(f"--vary {vary!r} and -p {clashing[0]!r} set the same key; drop one")
    for variant in variants:
        runner.build_matrix(clusters, notebooks, [*overrides, variant.override])
    return variants


def run_variation(vary: str, clusters: Sequence[str] | None = None, notebooks: Sequence[str] | None = None,
                  overrides: Sequence[str] = (), *, log: Callable[[str], None] | None = None,
                  **run_options: Any) -> VariationRun:
    """Run the selection once per value of ``vary`` (``KEY=V1,V2,...``) and write the variation page.

    ``overrides`` (``key=value``) apply to every variant; the varied key may not be among them.
    ``run_options`` go to :func:`agrocluster.runner.run` (jobs, scheduler, force, show_code, progress).
    """
    log = log or _stderr
    variants = check_variation(vary, clusters, notebooks, overrides)
    key = variants[0].key
    main = paths.outputs_dir()
    root = main / VARIANTS_FOLDER
    folders = [root / v.name for v in variants]
    per_cluster = [s for s in (notebooks or runner.discover_notebooks()) if s not in runner.COLLECTION_NOTEBOOKS]
    summaries = []
    for variant, folder in zip(variants, folders, strict=True):
        log(f"== variant {variant.override} → {folder}")
        folder.mkdir(parents=True, exist_ok=True)
        with outputs_at(folder):
            tasks = runner.build_matrix(clusters, per_cluster, [*overrides, variant.override]) if per_cluster else []
            if not run_options.get("force"):  # --force reruns every task, shared or not
                share_cache(tasks, [main, *[f for f in folders if f != folder]], log)
            summaries.append(runner.run(clusters, notebooks, [*overrides, variant.override], log=log, **run_options))
    outcome = VariationRun(key, variants, folders, summaries)
    with outputs_at(main), runner._run_lock(main):  # no other run rewrites the main site meanwhile
        outcome.page = write_variation_page(main, outcome, clusters=clusters, notebooks=notebooks, overrides=overrides)
        runner.build_site()
    return outcome


# ---------------------------------------------------------------------------------------------------------
# The variation page
# ---------------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class HeadlineRange:
    """One headline of one cluster × notebook across the values of the varied key."""

    cluster: str
    notebook: str
    key: str
    origin: str
    values: tuple[float | None, ...]
    ses: tuple[float | None, ...]

    @property
    def numbers(self) -> list[float]:
        return [v for v in self.values if v is not None]

    @property
    def range(self) -> float | None:
        return max(self.numbers) - min(self.numbers) if self.numbers else None

    def moves(self, rtol: float = diff.RTOL, atol: float = diff.ATOL) -> bool:
        """Some value differs from the first beyond the diff's tolerance, or a number appears or vanishes."""
        first = self.values[0]
        return any((v is None) != (first is None) or (v is not None and first is not None
                                                      and abs(v - first) > atol + rtol * abs(first))
                   for v in self.values[1:])

    @property
    def sign_flip(self) -> bool:
        return any(v > 0 for v in self.numbers) and any(v < 0 for v in self.numbers)


def headline_ranges(folders: Sequence[Path]) -> list[HeadlineRange]:
    """Every headline of every cluster × notebook recorded in any of ``folders`` (one per value)."""
    reports = [diff.read_reports(f) if (f / "runs.json").is_file() else {} for f in folders]
    tasks = sorted({t for r in reports for t in r})
    rows = []
    for cluster, notebook in tasks:
        found = [r.get((cluster, notebook)) for r in reports]
        keys = diff._ordered_keys([f.headline for f in found if f is not None])
        for key in keys:
            entries = [f.headline.get(key) if f is not None else None for f in found]
            origin = next((e.origin for e in entries if e is not None and e.origin), "") or ""
            rows.append(HeadlineRange(
                cluster, notebook, key, origin,
                tuple(diff._number(e.value) if e is not None else None for e in entries),
                tuple(diff._number(e.se) if e is not None else None for e in entries)))
    return rows


def spec_curve_svg(labels: Sequence[str], values: Sequence[float | None], ses: Sequence[float | None],
                   width: int = 260, height: int = 90) -> str:
    """A small inline SVG specification curve: estimates sorted, ± 1.96 SE bars, each labelled by its value."""
    from .site import esc

    points = sorted(((v, s, lab) for v, s, lab in zip(values, ses, labels, strict=True) if v is not None),
                    key=lambda p: p[0])
    if not points:
        return ""
    lows = [v - Z95 * s if s is not None else v for v, s, _ in points]
    highs = [v + Z95 * s if s is not None else v for v, s, _ in points]
    lo, hi = min(lows), max(highs)
    span = (hi - lo) or 1.0
    top, bottom, pad = 6, height - 22, 40
    y = lambda v: bottom - (v - lo) / span * (bottom - top)
    step = (width - 2 * pad) / max(len(points) - 1, 1)
    marks = []
    for i, ((v, s, label), low, high) in enumerate(zip(points, lows, highs, strict=True)):
        x = pad + i * step if len(points) > 1 else width / 2
        tip = esc(f"{label}: {v:.6g}" + (f" (SE {s:.3g})" if s is not None else ""))
        if s is not None:
            marks.append(f'<line x1="{x:.1f}" y1="{y(low):.1f}" x2="{x:.1f}" y2="{y(high):.1f}" stroke="#888"/>')
        marks.append(f'<circle cx="{x:.1f}" cy="{y(v):.1f}" r="3.5" fill="#1f5f8b"><title>{tip}</title></circle>')
        marks.append(f'<text x="{x:.1f}" y="{height - 6}" font-size="9" text-anchor="middle">{esc(label[:12])}</text>')
    marks.append(f'<text x="1" y="{top + 7}" font-size="8" fill="#666">{esc(f"{hi:.4g}")}</text>')
    marks.append(f'<text x="1" y="{bottom}" font-size="8" fill="#666">{esc(f"{lo:.4g}")}</text>')
    if lo < 0 < hi:
        marks.insert(0, f'<line x1="0" y1="{y(0):.1f}" x2="{width}" y2="{y(0):.1f}" stroke="#c33" '
                        'stroke-dasharray="3,3"/>')
    return (f'<svg class="ac-speccurve" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            'role="img" aria-label="Specification curve: the estimates under each value, sorted, with 95% '
            f'intervals">{"".join(marks)}</svg>')


def variation_page(key: str, variants: Sequence[Variant], ranges: Sequence[HeadlineRange],
                   overrides: Sequence[str] = ()) -> str:
    """HTML of ``outputs/variants/<key>.html`` (see the module docstring)."""
    from .site import esc, page

    values = [v.value for v in variants]
    head = "".join(f'<th><a href="{esc(v.name)}/index.html"><code>{esc(v.value)}</code></a></th>' for v in variants)
    sections = []
    for cluster, notebook in dict.fromkeys((r.cluster, r.notebook) for r in ranges):
        rows, still = [], []
        for r in (r for r in ranges if (r.cluster, r.notebook) == (cluster, notebook)):
            declared = H.REGISTRY.get(r.key)
            show = declared.format if declared else (lambda v: "–" if v is None else f"{v:.6g}")
            label = declared.label if declared else r.key
            if not r.moves():
                still.append(f"<span title=\"{esc(label)}\"><code>{esc(r.key)}</code> {esc(show(r.values[0]))}</span>")
                continue
            cells = "".join(
                f'<td><a href="{esc(v.name)}/{esc(cluster)}/{esc(notebook)}.html">{esc(show(x))}</a>'
                + (f'<br><span class="ac-note">SE {s:.3g}</span>' if s is not None else "") + "</td>"
                for v, x, s in zip(variants, r.values, r.ses, strict=True))
            flags = "sign flips" if r.sign_flip else ""
            rows.append(
                f"<tr><th>{esc(label)}<br><span class=\"ac-note\"><code>{esc(r.key)}</code> · "
                f"{esc((r.origin or 'origin unknown').upper())}</span></th>{cells}"
                f"<td>{esc('–' if r.range is None else f'{r.range:.4g}')}<br><strong>{flags}</strong></td>"
                f"<td>{spec_curve_svg(values, r.values, r.ses)}</td></tr>")
        table = (f'<div class="ac-scroll"><table class="ac-matrix"><thead><tr><th>Headline</th>{head}'
                 "<th>Range</th><th>Specification curve</th></tr></thead><tbody>" + "".join(rows)
                 + "</tbody></table></div>") if rows else f"<p>No headline of this report moves with <code>{esc(key)}</code>.</p>"
        unchanged = (f'<p class="ac-note">Unchanged under every value: {" · ".join(still)}</p>' if still else "")
        sections.append(f"<section><h2>{esc(cluster)} / {esc(notebook)}</h2>{table}{unchanged}</section>")
    moved = sum(r.moves() for r in ranges)
    others = f" Other overrides in every variant: {', '.join(f'<code>{esc(o)}</code>' for o in overrides)}." if overrides else ""
    body = (
        '<header class="ac-header"><p><a href="../index.html">← all reports</a></p>'
        f"<h1>Sensitivity to <code>{esc(key)}</code></h1>"
        f'<p class="ac-sub">{len(variants)} values: {", ".join(f"<code>{esc(v)}</code>" for v in values)}; '
        f"{moved} of {len(ranges)} headline numbers move.{others}</p>"
        '<div class="ac-box ac-synthetic">Each column is a complete run with that value '
        f"(<code>agrocluster run --vary {esc(key)}=…</code>); click a number for its report. The range is the "
        "largest value minus the smallest. The curve sorts the estimates from smallest to largest, each with "
        "its 95% interval (± 1.96 SE) where it has one; the dashed line is zero. Numbers marked SYNTHETIC "
        "illustrate the methods; they are not findings about the real clusters.</div></header>"
        f'<main class="ac-main">{"".join(sections) or "<p>No report was recorded in any variant.</p>"}</main>'
    )
    return page(f"Sensitivity to {key}", body, depth=1)


def page_name(key: str) -> str:
    return f"{_SAFE.sub('_', key)}.html"


def write_variation_page(outputs: Path, run: VariationRun, *, clusters: Sequence[str] | None,
                         notebooks: Sequence[str] | None, overrides: Sequence[str]) -> Path:
    """Write ``outputs/variants/<key>.html`` and its manifest ``<key>.json``; return the page."""
    root = outputs / VARIANTS_FOLDER
    ranges = headline_ranges(run.folders)
    path = root / page_name(run.key)
    atomic_write_text(path, variation_page(run.key, run.variants, ranges, overrides))
    manifest = {"key": run.key, "values": [v.value for v in run.variants], "folders": [v.name for v in run.variants],
                "clusters": list(clusters or []), "notebooks": list(notebooks or []), "overrides": list(overrides),
                "moved": sum(r.moves() for r in ranges), "headlines": len(ranges), "page": path.name,
                "finished": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}
    atomic_write_text(path.with_suffix(".json"), json.dumps(manifest, indent=2) + "\n")
    return path

