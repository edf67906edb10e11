"""What one step of a workbook found: its result, the table to show, the reading, or why it was not computed.

Workbook modules (one per notebook) decide what the data allow, pick the specification and word the
reading; each of their public functions returns a :class:`Section`. The notebook then shows it with
:meth:`agrocluster.record.Recorder.section`, which numbers and saves its table, records its notes and
excluded rows, and displays the reading, so a notebook cell is one library call and one display::

    section = mapping.lq_table(employment, params)
    rec.section("lq", section, "Location quotients with 95% intervals")

A step whose inputs are missing returns ``Section.not_computed(title, needs=...)``; the report then says
"Not computed: needs …" and the run stays green.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

EXCLUDED_COLUMNS = ("table", "reason", "rows")


def excluded_frame(rows: Any = ()) -> pd.DataFrame:
    """An exclusions table (table, reason, rows) from an iterable of tuples or dicts; empty when none."""
    frame = pd.DataFrame(list(rows), columns=list(EXCLUDED_COLUMNS)) if not isinstance(rows, pd.DataFrame) else rows
    missing = set(EXCLUDED_COLUMNS) - set(frame.columns)
    if missing:
        raise ValueError(f"an exclusions table needs the columns {EXCLUDED_COLUMNS}; missing {sorted(missing)}")
    frame = frame.loc[:, list(EXCLUDED_COLUMNS)].copy()
    frame["rows"] = frame["rows"].astype(int)
    return frame.reset_index(drop=True)


@dataclass
class Section:
    """One step of a workbook.

    Attributes
    ----------
    title : str
        What the step shows, e.g. ``"Location quotients"``.
    computed : bool
        False when the data do not allow the step; ``reason`` then says what it needs.
    result : object, optional
        The estimator result (with ``tidy()``) or any object later steps use.
    table : DataFrame, optional
        The table to show and save as CSV.
    reading : str
        One or a few sentences that read the result for a policy reader.
    reason : str
        Why the step was not computed ("needs coordinates of the establishments").
    notes : list of str
        Caveats the site shows beside the headline numbers.
    coverage : list of str
        The measured coverage of the step's intervals (:func:`agrocluster.validation.notes.annotate`), shown
        under its table.
    excluded : DataFrame
        Rows left out by a documented rule: columns ``table, reason, rows``.
    inputs : tuple of str
        The cluster's data tables the step rests on (e.g. ``("country_product",)``); the recorder marks the
        step's caption and CSV real or synthetic from them. Empty: not said, and the recorder marks it from
        every table the notebook read.
    """

    title: str
    computed: bool = True
    result: Any = None
    table: pd.DataFrame | None = None
    reading: str = ""
    reason: str = ""
    notes: list[str] = field(default_factory=list)
    coverage: list[str] = field(default_factory=list)
    excluded: pd.DataFrame = field(default_factory=excluded_frame)
    inputs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.excluded = excluded_frame(self.excluded)
        if not self.computed and not self.reason:
            raise ValueError(f"section {self.title!r} is not computed but gives no reason")

    @classmethod
    def not_computed(cls, title: str, needs: str, **kwargs: Any) -> Section:
        """A step the data do not allow: ``needs`` completes "Not computed: needs …"."""
        return cls(title=title, computed=False, reason=f"needs {needs}", **kwargs)

    @property
    def message(self) -> str:
        """The sentence a report shows for a step that was not computed."""
        return f"Not computed: {self.reason}." if not self.computed else ""


def rests_on(*tables: str) -> Callable[[Callable[..., Section]], Callable[..., Section]]:
    """Declare the data tables a workbook step rests on: the :class:`Section` it returns gets ``inputs =
    tables`` unless the step set its own (a step whose inputs depend on the data sets them itself).

    ``"parameters"`` stands for the cluster's parameter file (a step that shows no data table).

    >>> @rests_on("country_product")
    ... def series() -> Section:
    ...     return Section("Country series")
    >>> series().inputs
    ('country_product',)
    """
    def decorate(step: Callable[..., Section]) -> Callable[..., Section]:
        @functools.wraps(step)
        def wrapped(*args: Any, **kwargs: Any) -> Section:
            section = step(*args, **kwargs)
            if isinstance(section, Section) and not section.inputs:
                section.inputs = tuple(tables)
            return section
        wrapped.rests_on = tuple(tables)  # type: ignore[attr-defined]
        return wrapped
    return decorate
