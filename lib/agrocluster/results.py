"""One protocol for every estimator result: ``tidy()``, ``summary()``, ``excluded``, ``nobs``.

Every public result class of the estimator packages adopts :class:`ResultProtocol` (a mixin, in the way
pyfixest's models share one output mixin). The single source is :meth:`ResultProtocol.tidy`, a frame with
the broom / pyfixest column names

    ``term, estimate, std_error, statistic, p_value, conf_low, conf_high``

(NaN where the result has no standard error, test or interval); :meth:`~ResultProtocol.estimates`,
:meth:`~ResultProtocol.std_errors`, :meth:`~ResultProtocol.p_values` and :meth:`~ResultProtocol.confint`
derive from it, as pyfixest's ``coef()``, ``se()``, ``pvalue()`` and ``confint()``. Older attribute names
(``coef``, ``se``, ``table()`` ...) stay on the classes as they were.

Each class also carries

- ``summary()`` → DataFrame (never a string; sentences come from ``reading()`` where a class has one),
- ``excluded`` → one exclusions table whose first columns are ``reason, n, unit`` (``unit`` says what was
  counted: ``rows``, ``units``, ``clusters`` ...; a class may add columns after them, e.g. ``step``),
- ``nobs`` → int, the observations (rows, units, points) the estimate rests on.

Because the result classes are dataclasses with fields called ``excluded`` and ``nobs``, the mixin does not
define those two names (a dataclass would take an inherited attribute for a default); each class provides
them as a field or a property, and ``tests/test_results_protocol.py`` checks every public class.

Examples
--------
>>> tidy_frame(["x"], [0.5], [0.1], conf_low=[0.3], conf_high=[0.7])
  term  estimate  std_error  statistic  p_value  conf_low  conf_high
0    x       0.5        0.1        5.0      NaN       0.3        0.7
>>> exclusions({"missing region": 2, "no coordinates": 0}, unit="rows")
           reason  n  unit
0  missing region  2  rows
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

TIDY_COLUMNS = ("term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high")
EXCLUDED_COLUMNS = ("reason", "n", "unit")
_COUNT_COLUMNS = ("n", "n_rows", "rows", "n_units")


def _column(values: Any, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, np.nan)
    out = np.asarray(values, dtype=float).reshape(-1)
    if out.size == 1 and n != 1:
        out = np.full(n, float(out[0]))
    if out.size != n:
        raise ValueError(f"tidy_frame: a column has {out.size} values for {n} terms")
    return out


def tidy_frame(
    term: Sequence[Any],
    estimate: Any,
    std_error: Any = None,
    statistic: Any = None,
    p_value: Any = None,
    conf_low: Any = None,
    conf_high: Any = None,
) -> pd.DataFrame:
    """The protocol's tidy frame from columns (broom's ``tidy()`` names).

    Parameters
    ----------
    term : sequence
        Term labels (stored as strings).
    estimate, std_error, p_value, conf_low, conf_high : array-like or None
        One value per term (a scalar is repeated); None gives NaN.
    statistic : array-like or None
        The test statistic; when None it is ``estimate / std_error`` (t or z, as the estimator's own
        inference), NaN where there is no standard error.

    Returns
    -------
    DataFrame
        Columns ``term`` (string) and the six float columns of :data:`TIDY_COLUMNS`.
    """
    terms = [str(t) for t in term]
    n = len(terms)
    est = _column(estimate, n)
    se = _column(std_error, n)
    stat = _column(statistic, n) if statistic is not None else est / np.where(se > 0, se, np.nan)
    return pd.DataFrame({
        "term": pd.array(terms, dtype="string"),
        "estimate": est,
        "std_error": se,
        "statistic": stat,
        "p_value": _column(p_value, n),
        "conf_low": _column(conf_low, n),
        "conf_high": _column(conf_high, n),
    })


def exclusions(rows: Any = None, unit: str = "rows") -> pd.DataFrame:
    """The protocol's exclusions table: ``reason, n, unit`` (then any extra columns of ``rows``).

    Parameters
    ----------
    rows : dict, DataFrame or None
        ``{reason: count}``, or a frame with ``reason`` and one count column named ``n``, ``n_rows``,
        ``rows`` or ``n_units`` (the names the estimators used before the protocol); None means none.
        Reasons with a zero count are kept when given as a frame (an estimator may report a rule that
        excluded nothing) and dropped when given as a dict.
    unit : str
        What was counted (``rows``, ``units``, ``establishments`` ...), unless ``rows`` has a ``unit``
        column already.

    Returns
    -------
    DataFrame
        ``reason`` (string), ``n`` (int64), ``unit`` (string), then the other columns of ``rows``.
    """
    if rows is None:
        rows = {}
    if isinstance(rows, Mapping):
        items = [(str(r), int(n)) for r, n in rows.items() if n]
        rows = pd.DataFrame(items, columns=["reason", "n"])
    if not isinstance(rows, pd.DataFrame):
        raise TypeError(f"exclusions: expected a dict or a DataFrame, got {type(rows).__name__}")
    counts = [c for c in _COUNT_COLUMNS if c in rows.columns]
    if "reason" not in rows.columns or len(counts) != 1:
        raise ValueError(
            "exclusions: the table needs a 'reason' column and exactly one count column among "
            f"{list(_COUNT_COLUMNS)}; it has {list(rows.columns)}"
        )
    frame = rows.rename(columns={counts[0]: "n"})
    if "unit" not in frame.columns:
        frame = frame.assign(unit=unit)
    extra = [c for c in frame.columns if c not in EXCLUDED_COLUMNS]
    frame = frame.loc[:, [*EXCLUDED_COLUMNS, *extra]].reset_index(drop=True)
    return frame.astype({"reason": "string", "n": "int64", "unit": "string"})


def set_exclusions(result: Any, unit: str) -> None:
    """Put ``result.excluded`` in the protocol's shape (works on frozen dataclasses too)."""
    object.__setattr__(result, "excluded", exclusions(result.excluded, unit=unit))


def indicator_tidy(values: Mapping[str, Any]) -> pd.DataFrame:
    """A tidy frame of descriptive indicators (no sampling error): numeric values only, SE and tests NaN."""
    numeric = {k: float(v) for k, v in values.items()
               if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)}
    return tidy_frame(list(numeric), list(numeric.values()))


class NothingExcluded:
    """Mixin for results whose estimator leaves no row out: it raises on unusable input instead."""

    @property
    def excluded(self) -> pd.DataFrame:
        """An empty exclusions table (``reason, n, unit``)."""
        return exclusions()


class ResultProtocol:
    """Mixin of every estimator result: accessors derived from :meth:`tidy`.

    A class adopting it implements :meth:`tidy` and provides ``excluded`` and ``nobs`` (field or
    property); it usually overrides :meth:`summary` with its own short table, and may override
    :meth:`fixed_effects` and :meth:`fit_statistics`, which :func:`agrocluster.tables.regression_table`
    reads.
    """

    def tidy(self) -> pd.DataFrame:
        """One row per term: ``term, estimate, std_error, statistic, p_value, conf_low, conf_high``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement tidy()")

    def summary(self) -> pd.DataFrame:
        """Short table for a notebook (the tidy frame unless the class says otherwise)."""
        return self.tidy()

    def estimates(self) -> pd.Series:
        """Estimates by term (pyfixest ``coef()``)."""
        return self._tidy_column("estimate")

    def std_errors(self) -> pd.Series:
        """Standard errors by term (pyfixest ``se()``); NaN where there is none."""
        return self._tidy_column("std_error")

    def p_values(self) -> pd.Series:
        """p-values by term (pyfixest ``pvalue()``); NaN where there is none."""
        return self._tidy_column("p_value")

    def confint(self) -> pd.DataFrame:
        """Interval bounds by term: columns ``conf_low, conf_high`` (pyfixest ``confint()``)."""
        return self.tidy().set_index("term")[["conf_low", "conf_high"]]

    def fixed_effects(self) -> tuple[str, ...]:
        """Fixed effects absorbed by the estimate (empty when none or not a regression)."""
        return ()

    def fit_statistics(self) -> dict[str, float]:
        """Goodness-of-fit numbers known for the estimate (e.g. ``{"R² within": 0.31}``); empty if none."""
        return {}

    def _tidy_column(self, column: str) -> pd.Series:
        t = self.tidy()
        return pd.Series(t[column].to_numpy(), index=pd.Index(t["term"], name="term"), name=column)
