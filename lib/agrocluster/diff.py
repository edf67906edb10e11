"""What changed between two runs: every headline number of every cluster × notebook, and why.

:func:`compare` reads the reports the runner recorded in two outputs folders (their ``runs.json`` ledgers,
the same reports the site shows) and lines up every headline of every cluster × notebook present in either.

For each headline, with old value :math:`a`, new value :math:`b` and standard errors :math:`s_a`, :math:`s_b`:

- difference :math:`d = b - a`;
- difference in standard errors, where both runs have one, :math:`d / \\sqrt{(s_a^2 + s_b^2)/2}`: the change on
  the scale of the estimate's sampling uncertainty (the root mean square of the two SEs, which is the SE itself
  when both agree). It is a scale, not a test: two runs on the same data are not independent samples;
- flags: ``changed`` when :math:`|d| > \\text{atol} + \\text{rtol}\\,|a|` (the rule of ``numpy.isclose``;
  defaults ``rtol = 1e-9``, ``atol = 0``: any change beyond floating-point noise, since two runs with the same
  parameters give identical numbers), ``sign flip`` when :math:`a\\,b < 0`, ``now missing`` / ``now computed``
  when one run has a number and the other none, ``origin changed`` when a number turns from real to synthetic
  or back, and ``only in old`` / ``only in new`` for a headline (or a whole report) that one run lacks.

Beside the numbers it lists what differs in each report's provenance: parameters (dotted keys), the sha256 of
each input table, the code version, and package versions; so a reviewer sees which parameter or file moved
which number. Output: a table for the terminal (:meth:`RunDiff.table`), Markdown (:meth:`RunDiff.markdown`)
and a long CSV (:meth:`RunDiff.frame`; one row per headline, then one per provenance difference).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from . import headlines as H
from .errors import AgroclusterError, ResultsFileError
from .results_file import HeadlineEntry, ResultsFile, RunLedger

RTOL = 1e-9
ATOL = 0.0
FLAGS = ("changed", "sign flip", "now missing", "now computed", "origin changed", "only in old", "only in new")


class DiffError(AgroclusterError, ValueError):
    """An outputs folder cannot be compared (missing, or holds no runner record)."""


@dataclasses.dataclass(frozen=True)
class HeadlineChange:
    """One headline of one cluster × notebook in the two runs."""

    cluster: str
    notebook: str
    key: str
    label: str
    unit: str
    origin: str
    old: float | None
    new: float | None
    se_old: float | None
    se_new: float | None
    flags: tuple[str, ...]

    @property
    def difference(self) -> float | None:
        return None if self.old is None or self.new is None else self.new - self.old

    @property
    def difference_se(self) -> float | None:
        """The difference over the root mean square of the two SEs (``None`` unless both runs have an SE)."""
        d = self.difference
        if d is None or self.se_old is None or self.se_new is None:
            return None
        scale = math.sqrt((self.se_old ** 2 + self.se_new ** 2) / 2)
        return None if scale == 0 else d / scale

    def formatted(self, value: float | None) -> str:
        declared = H.REGISTRY.get(self.key)
        if declared is None:
            return "–" if value is None else f"{value:.6g}"
        return declared.format(value)


@dataclasses.dataclass(frozen=True)
class ProvenanceChange:
    """One difference in what a report was made from: ``kind`` is param, input, code or package."""

    cluster: str
    notebook: str
    kind: str
    key: str
    old: Any
    new: Any

    def shown(self, value: Any) -> str:
        """``value`` for the terminal and Markdown (an input's sha256 cut to 12 characters; the CSV keeps it whole)."""
        text = _show(value)
        return text[:12] + "…" if self.kind == "input" and len(text) > 12 else text


@dataclasses.dataclass
class RunDiff:
    old: Path
    new: Path
    headlines: list[HeadlineChange]
    provenance: list[ProvenanceChange]
    rtol: float = RTOL
    atol: float = ATOL

    @property
    def flagged(self) -> list[HeadlineChange]:
        return [h for h in self.headlines if h.flags]

    def frame(self) -> Any:
        """Every headline (kind ``headline``) then every provenance difference, as one long DataFrame."""
        import pandas as pd

        rows = [{"cluster": h.cluster, "notebook": h.notebook, "kind": "headline", "key": h.key, "label": h.label,
                 "unit": h.unit, "origin": h.origin, "old": h.old, "new": h.new, "difference": h.difference,
                 "se_old": h.se_old, "se_new": h.se_new, "difference_se": h.difference_se,
                 "flags": ";".join(h.flags)} for h in self.headlines]
        rows += [{"cluster": p.cluster, "notebook": p.notebook, "kind": p.kind, "key": p.key,
                  "old": _show(p.old), "new": _show(p.new)} for p in self.provenance]
        columns = ["cluster", "notebook", "kind", "key", "label", "unit", "origin", "old", "new", "difference",
                   "se_old", "se_new", "difference_se", "flags"]
        return pd.DataFrame(rows, columns=columns)

    def provenance_groups(self, listed: int = 4) -> list[tuple[str, str, str, str, str]]:
        """The provenance differences with the same kind, key, old and new value folded into one row:
        (tasks, kind, key, old, new); more than ``listed`` tasks are counted, not named."""
        groups: dict[tuple[str, str, str, str], list[str]] = {}
        for p in self.provenance:
            groups.setdefault((p.kind, p.key, p.shown(p.old), p.shown(p.new)), []).append(f"{p.cluster}/{p.notebook}")
        return [(", ".join(tasks) if len(tasks) <= listed else f"{len(tasks)} reports", *group)
                for group, tasks in groups.items()]

    def _rows(self, everything: bool) -> list[list[str]]:
        shown = self.headlines if everything else self.flagged
        return [[f"{h.cluster}/{h.notebook}", h.key, h.origin, h.formatted(h.old), h.formatted(h.new),
                 "–" if h.difference is None else f"{h.difference:+.4g}",
                 "–" if h.difference_se is None else f"{h.difference_se:+.2f}", ", ".join(h.flags)]
                for h in shown]

    def _counts(self) -> str:
        return (f"{len(self.headlines)} headlines compared, {len(self.flagged)} flagged "
                f"(tolerance: |new − old| > {self.atol:g} + {self.rtol:g}·|old|)")

    def table(self, everything: bool = False) -> str:
        """The comparison for the terminal: flagged headlines (every headline with ``everything``), then the
        provenance differences."""
        head = ["task", "headline", "origin", "old", "new", "difference", "in SEs", "flags"]
        rows = self._rows(everything)
        lines = [f"old: {self.old}", f"new: {self.new}", self._counts()]
        if rows:
            widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
            lines += ["", "  ".join(c.ljust(w) for c, w in zip(head, widths, strict=True)).rstrip()]
            lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
        if self.provenance:
            lines += ["", "what differs in the reports' provenance:"]
            lines += [f"  {tasks}  {kind} {key}: {old} → {new}" for tasks, kind, key, old, new in self.provenance_groups()]
        return "\n".join(lines)

    def markdown(self, everything: bool = False) -> str:
        """The comparison as Markdown (a job summary or a pull-request comment)."""
        def cell(text: str) -> str:
            return text.replace("|", "\\|")

        lines = ["## agrocluster diff: what changed", "", f"Old `{self.old}`, new `{self.new}`: {self._counts()}."]
        rows = self._rows(everything)
        if rows:
            lines += ["", "| Task | Headline | Origin | Old | New | Difference | In SEs | Flags |",
                      "|---|---|---|---:|---:|---:|---:|---|"]
            lines += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
        else:
            lines += ["", "No headline number changed."]
        if self.provenance:
            lines += ["", "### What differs in the reports' provenance", "", "| Task | Kind | Key | Old | New |",
                      "|---|---|---|---|---|"]
            lines += [f"| {cell(tasks)} | {kind} | `{cell(key)}` | {cell(old)} | {cell(new)} |"
                      for tasks, kind, key, old, new in self.provenance_groups()]
        lines += ["", ("Differences in SEs: the change over the root mean square of the two runs' standard "
                       "errors (a scale, not a test). Numbers marked synthetic illustrate the methods; they are "
                       "not findings.")]
        return "\n".join(lines) + "\n"


def _show(value: Any) -> str:
    if value is None:
        return "–"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def read_reports(folder: str | Path) -> dict[tuple[str, str], ResultsFile]:
    """The reports the runner recorded in an outputs folder, by (cluster, notebook)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DiffError(f"{folder}: no such outputs folder")
    if not RunLedger.path(folder).is_file():
        raise DiffError(f"{folder}: no {RunLedger.path(folder).name}; not an outputs folder written by `agrocluster run`")
    ledger = RunLedger.read(folder)
    reports = {}
    for entry in ledger.tasks.values():
        try:
            reports[(entry.cluster_id, entry.notebook)] = ResultsFile.read(folder / entry.results)
        except ResultsFileError as exc:
            raise DiffError(f"{folder}: the runner recorded {entry.results}, but it cannot be read: {exc}") from exc
    return reports


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def headline_flags(old: HeadlineEntry | None, new: HeadlineEntry | None, *, rtol: float = RTOL,
                   atol: float = ATOL) -> tuple[str, ...]:
    """The flags of one headline between two runs (see the module docstring); ``()`` when it did not move."""
    if old is None:
        return ("only in new",)
    if new is None:
        return ("only in old",)
    a, b = _number(old.value), _number(new.value)
    flags = []
    if a is not None and b is not None:
        if math.isinf(a) or math.isinf(b):
            moved = a != b
        else:
            moved = abs(b - a) > atol + rtol * abs(a)
        if moved:
            flags.append("changed")
        if a * b < 0:
            flags.append("sign flip")
    elif a is not None:
        flags.append("now missing")
    elif b is not None:
        flags.append("now computed")
    if old.origin and new.origin and old.origin != new.origin:
        flags.append("origin changed")
    return tuple(flags)


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def _changes(cluster: str, notebook: str, kind: str, old: Mapping[str, Any],
             new: Mapping[str, Any]) -> list[ProvenanceChange]:
    return [ProvenanceChange(cluster, notebook, kind, key, old.get(key), new.get(key))
            for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]


def provenance_changes(cluster: str, notebook: str, old: ResultsFile, new: ResultsFile) -> list[ProvenanceChange]:
    """Parameters, input-table hashes, code version and package versions that differ between two reports."""
    a, b = old.provenance, new.provenance
    sha = lambda inputs: {t: (v.get("sha256") if isinstance(v, Mapping) else v) for t, v in inputs.items()}
    return (_changes(cluster, notebook, "param", _flatten(a.params), _flatten(b.params))
            + _changes(cluster, notebook, "input", sha(a.inputs), sha(b.inputs))
            + _changes(cluster, notebook, "code", a.code, b.code)
            + _changes(cluster, notebook, "package", a.packages, b.packages))


def _entry_change(cluster: str, notebook: str, key: str, old: HeadlineEntry | None, new: HeadlineEntry | None,
                  rtol: float, atol: float) -> HeadlineChange:
    declared = H.REGISTRY.get(key)
    either = new if new is not None else old
    return HeadlineChange(
        cluster=cluster, notebook=notebook, key=key,
        label=declared.label if declared else (either.label or key),
        unit=declared.unit if declared else (either.unit or ""),
        origin=(new.origin if new is not None and new.origin else (old.origin if old is not None else None)) or "",
        old=_number(old.value) if old is not None else None, new=_number(new.value) if new is not None else None,
        se_old=_number(old.se) if old is not None else None, se_new=_number(new.se) if new is not None else None,
        flags=headline_flags(old, new, rtol=rtol, atol=atol),
    )


def compare_reports(old: Mapping[tuple[str, str], ResultsFile], new: Mapping[tuple[str, str], ResultsFile], *,
                    old_folder: Path, new_folder: Path, rtol: float = RTOL, atol: float = ATOL) -> RunDiff:
    """Compare two sets of reports keyed (cluster, notebook); see :func:`compare`."""
    if rtol < 0 or atol < 0:
        raise DiffError(f"tolerances must be >= 0 (rtol={rtol}, atol={atol})")
    rows: list[HeadlineChange] = []
    provenance: list[ProvenanceChange] = []
    for cluster, notebook in sorted(set(old) | set(new)):
        a, b = old.get((cluster, notebook)), new.get((cluster, notebook))
        keys = _ordered_keys([a.headline if a else {}, b.headline if b else {}])
        for key in keys:
            rows.append(_entry_change(cluster, notebook, key, a.headline.get(key) if a else None,
                                      b.headline.get(key) if b else None, rtol, atol))
        if a is not None and b is not None:
            provenance += provenance_changes(cluster, notebook, a, b)
    return RunDiff(Path(old_folder), Path(new_folder), rows, provenance, rtol, atol)


def _ordered_keys(mappings: Iterable[Mapping[str, Any]]) -> list[str]:
    """Headline keys in the registry's order, undeclared ones after them in the order met."""
    seen: list[str] = []
    for mapping in mappings:
        seen += [k for k in mapping if k not in seen]
    order = {k: i for i, k in enumerate(H.REGISTRY)}
    return sorted(seen, key=lambda k: (order.get(k, len(order)), seen.index(k)))


def compare(old: str | Path, new: str | Path, *, rtol: float = RTOL, atol: float = ATOL) -> RunDiff:
    """Compare the runner-recorded reports of two outputs folders (see the module docstring)."""
    return compare_reports(read_reports(old), read_reports(new), old_folder=Path(old), new_folder=Path(new),
                           rtol=rtol, atol=atol)
