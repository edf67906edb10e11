"""What every workbook shares: headline numbers of a step, the headline and exclusions tables, figure steps,
whether the data have coordinates, how an interval reads, and the rows the loaders left out.

A workbook step (a function of a workbook module) returns an :class:`agrocluster.sections.Section`. When the
step yields numbers the synthesis compares, its ``result`` carries them as a tuple of :class:`Headline`
in ``result.headlines``; :func:`collect_headlines` gathers them from several steps (skipping steps that
were not computed) so a notebook records them in one visible loop::

    for h in common.collect_headlines(lq_step, eg_step):
        rec.headline(h.key, h.value, se=h.se, note=h.note)

A step whose result is a figure puts the matplotlib figure in ``result`` and its caption in ``reading``;
:func:`show_figure` shows it (or "Not computed: …").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from agrocluster.sections import EXCLUDED_COLUMNS, Section, excluded_frame

__all__ = ["HEADLINE_COLUMNS", "Headline", "collect_headlines", "excluded_from", "excluded_table",
           "has_coordinates", "headline_table", "interval_text", "loader_excluded", "show_figure", "span_text"]

#: Columns of :func:`headline_table`, the one shape of a workbook's table of headline numbers.
HEADLINE_COLUMNS = ["label", "value", "se", "origin", "note", "key"]


class Headline(NamedTuple):
    """One headline number as :meth:`agrocluster.record.Recorder.headline` records it (label, unit and
    direction come from the registry :mod:`agrocluster.headlines`; ``note`` carries the context: sector,
    year, product, interval)."""

    key: str
    value: Any
    se: Any = None
    note: str | None = None


def collect_headlines(*steps: Section) -> list[Headline]:
    """The headlines of the computed ``steps``, in the order given (a step without headlines adds none)."""
    found: list[Headline] = []
    for step in steps:
        if step.computed:
            found.extend(getattr(step.result, "headlines", ()))
    return found


def headline_table(headlines: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """The headline numbers a :class:`~agrocluster.record.Recorder` holds (``rec.headlines``) as one table:
    ``label, value, se, origin, note, key`` in the order recorded. Value and standard error are printed as
    the site prints them, in the unit the registry declares (:meth:`agrocluster.headlines.Headline.format`:
    "14.7 km", "3.9%", "yes"; a missing standard error "–"); origin says whether the number rests on real or
    synthetic data; the results-file key comes last (the reader's label first)."""
    from agrocluster import headlines as registry
    from agrocluster.tables import format_number

    def printed(key: str, value: Any, se: bool = False) -> str:
        if value is None:
            return "–"
        if key not in registry.REGISTRY:
            return format_number(value)
        unit = registry.UNITS[registry.REGISTRY[key].unit]
        return f"{float(value):,.{unit.decimals}f}" if se else registry.REGISTRY[key].format(value)

    rows = [{"key": key, "label": item.get("label") or key, "value": printed(key, item.get("value")),
             "se": printed(key, item.get("se"), se=True), "origin": item.get("origin") or "",
             "note": item.get("note") or ""}
            for key, item in headlines.items()]
    return pd.DataFrame(rows, columns=HEADLINE_COLUMNS)


def headline_inputs(headlines: Mapping[str, Any]) -> list[str]:
    """The data tables the recorded headlines rest on (the union of their declared inputs in
    :data:`agrocluster.headlines.REGISTRY`), for the mark of the headline table."""
    from agrocluster import headlines as registry

    return sorted({table for key in headlines for table in registry.get(key).inputs})


def excluded_from(*parts: pd.DataFrame) -> pd.DataFrame:
    """One exclusions table (``table, reason, rows``) from tables that count rows in ``rows``, ``n_rows`` (the
    shape of :meth:`ClusterData.excluded_table` and :mod:`agrocluster.concentration.mapping`) or ``n`` (an
    estimator's exclusions, :mod:`agrocluster.results`, with a ``table`` column); rows counting zero are left
    out."""
    frames = [excluded_frame(part.rename(columns={"n_rows": "rows", "n": "rows"})) for part in parts if len(part)]
    if not frames:
        return excluded_frame()
    whole = pd.concat(frames, ignore_index=True)
    return whole[whole["rows"] > 0].reset_index(drop=True)


def excluded_table(recorded: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The rows a recorder excluded (``rec.excluded``: typed entries or dicts) as a table ``table, reason, rows``."""
    rows = [{column: entry[column] for column in EXCLUDED_COLUMNS} for entry in recorded]
    return excluded_frame(pd.DataFrame(rows, columns=list(EXCLUDED_COLUMNS)))


def show_figure(rec: Any, name: str, step: Section) -> Any:
    """Show a figure step: its figure (``step.result``) captioned by ``step.reading``, or "Not computed: …".

    Records the step's notes and excluded rows either way; returns the display object. A step already
    reported as not computed (its note is in ``rec.notes``, e.g. by the ``rec.section`` of the table it
    belongs to) is not reported twice: nothing is shown.
    """
    if not step.computed:
        if f"{step.title}: {step.message}" in rec.notes:
            return None
        return rec.section(name, step, step.title)
    for text in step.notes:
        rec.note(text)
    for row in step.excluded.itertuples(index=False):
        rec.add_excluded(row.table, row.reason, row.rows)
    return rec.figure(name, step.result, step.reading, inputs=step.inputs or None)


def has_coordinates(df: pd.DataFrame, lat: str = "lat", lon: str = "lon") -> bool:
    """Whether distances between establishments can be measured: ``lat`` and ``lon`` present and known on every row.

    One rule for every workbook: a distance band or a spillover exposure computed with some establishments
    missing would silently leave them out, so a single missing coordinate means "no coordinates".
    """
    if not {lat, lon} <= set(df.columns) or df.empty:
        return False
    return bool(df[[lat, lon]].notna().all(axis=None))


def interval_text(value: float | None, se: float | None, z: float = 1.96, digits: int = 3) -> str:
    """``"low to high"`` for the normal interval value ± z·se, or ``"–"`` when value or SE is missing.

    >>> interval_text(0.1, 0.05)
    '0.002 to 0.198'
    >>> interval_text(0.1, float("nan"))
    '–'
    """
    if value is None or se is None or not np.isfinite(se) or not np.isfinite(value):
        return "–"
    return f"{value - z * se:.{digits}f} to {value + z * se:.{digits}f}"


def loader_excluded(data: Any) -> pd.DataFrame:
    """The rows the loaders left out (``ClusterData.excluded_table()``) as an exclusions table (table, reason, rows)."""
    return excluded_from(data.excluded_table())


def span_text(years: pd.Series) -> str:
    """``"years 2010–2020"`` for calendar years, ``"periods 1–6 (not calendar years)"`` otherwise."""
    first, last = int(years.min()), int(years.max())
    return f"years {first}–{last}" if first >= 1900 else f"periods {first}–{last} (not calendar years)"
