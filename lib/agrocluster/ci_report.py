"""Machine-readable reports of a run for CI: JSON (``--report``), JUnit XML (``--junit``), Markdown (``--summary``).

One entry per task (cluster × notebook, and per variant of a ``--vary`` run): status, seconds, whether it
was cached, the error's class and message (and the traceback the runner kept), and the paths of its output
files relative to the outputs folder; then the run's totals, the parameter overrides and the code version.

JSON report (``REPORT_FORMAT`` 1)::

    {"format": 1, "tool": "agrocluster", "finished": ISO time,
     "code": {"agrocluster", "commit", "dirty"}, "python": "3.11.x",
     "overrides": ["key=value", ...], "vary": ["key=v1,v2", ...],
     "totals": {"tasks", "ok", "cached", "failed", "seconds"},
     "runs": [{"variant": null | "key=value", "outputs": absolute folder, "seconds"}],
     "tasks": [{"variant", "cluster", "notebook", "status", "cached", "seconds", "attempts",
                "error": null | {"class", "message", "traceback"},
                "outputs": {"html", "notebook", "results", "tables": [...], "figures": [...]}   (ok, cached)
                           {"failed_html", "failed_notebook", "failed_json", "last_good_html"}  (failed)
                "cache_key", "params_sha256", "commit"}]}

JUnit XML follows the schema Jenkins, GitLab and the JUnit readers of CI tools accept: ``<testsuites>`` with
one ``<testsuite>`` per cluster (per variant and cluster for ``--vary``), one ``<testcase>`` per task
(``classname`` the cluster id, ``name`` the notebook, ``time`` the seconds), a ``<failure>`` element with
``message`` and ``type`` (the error class) and the traceback as its text for a failed task. **A cached task
is a passed test case, not a skipped one**: its report is up to date (same notebook, parameters, input
files and library as its last good run), so it stands as a pass; ``<system-out>`` says it was cached. CI
tools show skipped tests as not run, which a cached task is not.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import platform
import re
import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .errors import ResultsFileError
from .results_file import ResultsFile, atomic_write_text

REPORT_FORMAT = 1
#: Characters XML 1.0 cannot hold (and the ANSI colour codes of kernel tracebacks), removed from JUnit text.
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MARKDOWN_MESSAGE_CHARS = 300


@dataclasses.dataclass(frozen=True)
class RunRecord:
    """One run of the task matrix into one outputs folder (``variant`` is ``key=value`` for ``--vary``)."""

    summary: Any  # agrocluster.runner.RunSummary
    outputs: Path
    variant: str | None = None


def clean_text(text: str) -> str:
    """``text`` without ANSI colour codes and without the control characters XML 1.0 forbids."""
    return _XML_ILLEGAL.sub("", _ANSI.sub("", text or ""))


def _relative(outputs: Path, folder: str, names: Iterable[str]) -> list[str]:
    return [f"{folder}/{name}" for name in names if (outputs / folder / name).is_file()]


def _params_sha256(params: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def task_entry(result: Any, outputs: Path, variant: str | None = None) -> dict[str, Any]:
    """The report entry of one :class:`agrocluster.runner.TaskResult` whose files are under ``outputs``."""
    folder, stem = result.cluster_id, result.notebook
    entry: dict[str, Any] = {
        "variant": variant, "cluster": folder, "notebook": stem, "status": result.status,
        "cached": result.status == "cached", "seconds": round(float(result.duration_s), 3),
        "attempts": result.attempts, "error": None, "outputs": {}, "cache_key": None, "params_sha256": None,
        "commit": None,
    }
    if result.status == "failed":
        traceback = ""
        failed_json = outputs / folder / f"{stem}.failed.json"
        try:
            traceback = json.loads(failed_json.read_text(encoding="utf-8")).get("traceback", "")
        except (OSError, ValueError):
            pass
        entry["error"] = {"class": result.error_class or None, "message": clean_text(result.error),
                          "traceback": clean_text(traceback)}
        names = {"failed_html": f"{stem}.failed.html", "failed_notebook": f"{stem}.failed.ipynb",
                 "failed_json": f"{stem}.failed.json", "last_good_html": f"{stem}.html"}
        entry["outputs"] = {k: f"{folder}/{n}" for k, n in names.items() if (outputs / folder / n).is_file()}
        return entry
    results_path = outputs / folder / f"{stem}.results.json"
    entry["outputs"] = {"html": f"{folder}/{stem}.html", "notebook": f"{folder}/{stem}.ipynb",
                        "results": f"{folder}/{stem}.results.json"}
    try:
        results = ResultsFile.read(results_path)
    except ResultsFileError:
        return entry
    entry["outputs"]["tables"] = _relative(outputs, folder, (t.file for t in results.tables))
    entry["outputs"]["figures"] = _relative(outputs, folder, (f.file for f in results.figures))
    provenance = results.provenance
    entry.update(cache_key=provenance.cache_key, params_sha256=_params_sha256(provenance.params),
                 commit=provenance.code.get("commit"))
    return entry


def build_report(runs: Sequence[RunRecord], *, overrides: Sequence[str] = (), vary: Sequence[str] = ()) -> dict[str, Any]:
    """The JSON report of one or more runs (several for ``--vary``); see the module docstring."""
    from .record import code_version

    tasks = [task_entry(r, run.outputs, run.variant) for run in runs for r in run.summary.results]
    count = lambda status: sum(t["status"] == status for t in tasks)
    return {
        "format": REPORT_FORMAT, "tool": "agrocluster",
        "finished": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "code": code_version(), "python": platform.python_version(),
        "overrides": list(overrides), "vary": list(vary),
        "totals": {"tasks": len(tasks), "ok": count("ok"), "cached": count("cached"), "failed": count("failed"),
                   "seconds": round(sum(run.summary.wall_s for run in runs), 3)},
        "runs": [{"variant": run.variant, "outputs": str(run.outputs), "seconds": run.summary.wall_s} for run in runs],
        "tasks": tasks,
    }


def junit_xml(report: Mapping[str, Any]) -> str:
    """JUnit XML of a report (see the module docstring for the mapping and why cached tasks pass)."""
    totals = report["totals"]
    root = ET.Element("testsuites", name="agrocluster run", tests=str(totals["tasks"]),
                      failures=str(totals["failed"]), errors="0", skipped="0", time=f"{totals['seconds']:.3f}")
    suites: dict[tuple[Any, str], list[Mapping[str, Any]]] = {}
    for task in report["tasks"]:
        suites.setdefault((task["variant"], task["cluster"]), []).append(task)
    for (variant, cluster), tasks in suites.items():
        suite = ET.SubElement(
            root, "testsuite", name=f"{variant} {cluster}" if variant else cluster, tests=str(len(tasks)),
            failures=str(sum(t["status"] == "failed" for t in tasks)), errors="0", skipped="0",
            time=f"{sum(t['seconds'] for t in tasks):.3f}", timestamp=report["finished"].removesuffix("+00:00"),
            hostname=socket.gethostname(),
        )
        properties = ET.SubElement(suite, "properties")
        for name, value in (("overrides", " ".join(report["overrides"])), ("variant", variant or ""),
                            ("commit", report["code"].get("commit") or "")):
            ET.SubElement(properties, "property", name=name, value=clean_text(value))
        for task in tasks:
            case = ET.SubElement(suite, "testcase", classname=cluster,
                                 name=f"{task['notebook']} [{variant}]" if variant else task["notebook"],
                                 time=f"{task['seconds']:.3f}", file=f"notebooks/{task['notebook']}.py")
            if task["status"] == "failed":
                error = task["error"] or {}
                failure = ET.SubElement(case, "failure", message=clean_text(error.get("message") or "failed"),
                                        type=error.get("class") or "failed")
                failure.text = error.get("traceback") or error.get("message") or ""
            out = ", ".join(f"{k}: {v}" for k, v in task["outputs"].items() if isinstance(v, str))
            ET.SubElement(case, "system-out").text = clean_text(
                ("cached: inputs unchanged since its last good run; " if task["cached"] else "") + out)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _md(text: Any) -> str:
    """A value as one Markdown table cell (pipes escaped, one line)."""
    return " ".join(str(text if text is not None else "").split()).replace("|", "\\|")


def summary_markdown(report: Mapping[str, Any]) -> str:
    """A Markdown summary of a report, for a CI job summary or a pull-request comment."""
    totals = report["totals"]
    failed = totals["failed"]
    ran = totals["ok"]
    verdict = f"**{failed} failed**" if failed else "all passed"
    lines = [f"## agrocluster run: {verdict}", "",
             (f"{totals['tasks']} tasks: {ran} ran, {totals['cached']} cached (unchanged inputs), {failed} failed, "
              f"in {totals['seconds']:.1f} s.")]
    code = report["code"]
    commit = (code.get("commit") or "unknown")[:10] + (" (uncommitted changes)" if code.get("dirty") else "")
    lines.append(f"Code: agrocluster {code.get('agrocluster')}, commit {commit}; Python {report['python']}.")
    if report["overrides"]:
        lines.append("Overrides: " + " ".join(f"`-p {_md(o)}`" for o in report["overrides"]) + ".")
    if report["vary"]:
        lines.append("Varied: " + " ".join(f"`--vary {_md(v)}`" for v in report["vary"]) + ".")
    variants = any(t["variant"] for t in report["tasks"])
    head = ("| Variant " if variants else "") + "| Task | Status | Seconds | Error |"
    lines += ["", head, "|" + "---|" * (5 if variants else 4)]
    for task in report["tasks"]:
        status = "**FAILED**" if task["status"] == "failed" else task["status"]
        error = task["error"] or {}
        message = error.get("message") or ""
        if len(message) > MARKDOWN_MESSAGE_CHARS:
            message = message[:MARKDOWN_MESSAGE_CHARS] + "…"
        cells = ([_md(task["variant"])] if variants else []) + [
            f"{task['cluster']}/{task['notebook']}", status, f"{task['seconds']:.1f}", _md(message)]
        lines.append("| " + " | ".join(cells) + " |")
    if failed:
        lines += ["", ("Each failed task wrote `<cluster>/<notebook>.failed.html` (the executed notebook up to "
                       "the error, with its traceback) and kept its last good report.")]
    return "\n".join(lines) + "\n"


def write(report: Mapping[str, Any], *, json_path: str | Path | None = None, junit_path: str | Path | None = None,
          markdown_path: str | Path | None = None) -> list[Path]:
    """Write the report in the formats asked for; return the files written."""
    written = []
    for path, text in ((json_path, lambda: json.dumps(report, indent=2, ensure_ascii=False) + "\n"),
                       (junit_path, lambda: junit_xml(report)), (markdown_path, lambda: summary_markdown(report))):
        if path is not None:
            atomic_write_text(Path(path), text())
            written.append(Path(path))
    return written
