"""Tables for readers: numbered, captioned, escaped HTML with a CSV download link, and regression tables that
set estimator results side by side (:func:`regression_table`). No statistics here.

Text from parameters or data (cluster names, region names) is always HTML-escaped, so a cluster called
``<script>alert(1)</script>`` shows as text in every report.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd


def format_number(value: Any) -> str:
    """Readable number: thousands separators for large values, 3 decimals for small ones, whole numbers
    stored as floats (FAOSTAT thousand tonnes) without decimals, and no scientific notation: values below
    0.001 keep three significant digits (``0.000109``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "–"
    if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b":  # numpy bools too
        return "yes" if value else "no"
    if isinstance(value, int) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
        return f"{int(value):,}"
    if isinstance(value, float) or hasattr(value, "dtype"):
        number = float(value)
        if math.isinf(number):
            return "∞" if number > 0 else "−∞"
        if number != 0 and abs(number) < 1e-3:
            digits = 2 - math.floor(math.log10(abs(number)))
            return f"{number:.{digits}f}"
        if abs(number) >= 1000 or (abs(number) >= 1 and number.is_integer()):
            return f"{number:,.0f}"
        return f"{number:.3f}"
    return str(value)


def _column_formatter(values: pd.Series) -> Any:
    """The formatter of one numeric column: :func:`format_number`, except that in a column holding fractions
    a whole number below 1,000 keeps the column's three decimals ("1.000" beside "0.994", not "1")."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    finite = numbers[np.isfinite(numbers)]
    if values.dtype.kind != "f" or not (finite != np.round(finite)).any():
        return format_number

    def formatted(value: Any) -> str:
        if value is not None and value is not pd.NA and not isinstance(value, bool):
            number = float(value)
            if math.isfinite(number) and number.is_integer() and abs(number) < 1000:
                return f"{number:.3f}"
        return format_number(value)
    return formatted


def _is_year(column: Any) -> bool:
    """Columns of calendar years or seasons (``year``, ``start_year``, ``first_year`` ...) print without separators."""
    name = str(column).lower()
    return name == "year" or name.endswith("_year") or name.startswith("year_")


def _year_text(value: Any) -> str:
    return "–" if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) else str(int(value))


def to_html(frame: pd.DataFrame, *, index: bool = False, max_rows: int = 60) -> str:
    """An escaped HTML table of ``frame`` (first ``max_rows`` rows, with a note of how many were left out)."""
    shown = frame.head(max_rows)
    body = shown.to_html(
        index=index, escape=True, border=0, classes="ac-table", na_rep="–",
        formatters={c: _year_text if _is_year(c) else _column_formatter(shown[c])
                    for c in shown.columns if pd.api.types.is_numeric_dtype(shown[c])},
    )
    if len(frame) > max_rows:
        body += f'<p class="ac-note">First {max_rows} of {len(frame):,} rows; the CSV holds them all.</p>'
    return body


class HTMLBlock:
    """A piece of HTML that Jupyter displays as rich output (and nbconvert keeps in the report)."""

    def __init__(self, markup: str):
        self.markup = markup

    def _repr_html_(self) -> str:
        return self.markup


def display_table(frame: pd.DataFrame, *, caption: str, number: int, csv_href: str | None = None,
                  index: bool = False) -> HTMLBlock:
    """Numbered, captioned table with a link to its CSV (relative to the report)."""
    link = (
        f' <a class="ac-csv" href="{html.escape(csv_href, quote=True)}" download>Download CSV</a>'
        if csv_href else ""
    )
    return HTMLBlock(
        f'<figure class="ac-figure ac-tab" id="table-{number}">'
        f"<figcaption><strong>Table {number}.</strong> {html.escape(caption)}{link}</figcaption>"
        f"{to_html(frame, index=index)}</figure>"
    )


def callout(title: str, text: str, kind: str = "info") -> HTMLBlock:
    """A boxed note for a report (provenance, caveats); both strings are escaped."""
    return HTMLBlock(
        f'<div class="ac-box ac-{html.escape(kind)}"><strong>{html.escape(title)}</strong>'
        f"<p>{html.escape(text)}</p></div>"
    )


def identity_table(params: Any) -> pd.DataFrame:
    """What defines a cluster (from its parameters), as a two-column table for a report; ISIC codes named
    (:func:`agrocluster.data.isic.sector_label`)."""
    from agrocluster.data.isic import sector_label

    programme = params.programme
    rows = [
        ("Cluster", params.name), ("Identifier", params.cluster_id), ("Description", params.description),
        ("Country", f"{params.country_iso3} (UN M49 {params.country_code}, FAOSTAT area {params.faostat_area_code})"),
        ("Product", f"{params.product} (FAOSTAT item {params.faostat_item_code}; HS {', '.join(params.hs_codes)})"),
        ("Cluster sector (ISIC rev.4)", sector_label(params.cluster_sector)),
        ("Related sectors", ", ".join(sector_label(code) for code in params.related_sectors) or "–"),
        ("Core regions", ", ".join(params.regions) or "–"),
        ("Years", f"{params.first_year}–{params.last_year}"),
        ("Programme", f"{programme.name}: {programme.description}" if programme.description else programme.name),
        ("Seed", str(params.seed)),
    ]
    return pd.DataFrame(rows, columns=["item", "value"])


def parameters_table(params: Any) -> pd.DataFrame:
    """Every effective parameter as a (key, value) table, nested keys dotted."""
    rows: list[tuple[str, str]] = []

    def walk(value: Any, key: str) -> None:
        if isinstance(value, dict) and value:
            for sub in sorted(value):
                walk(value[sub], f"{key}.{sub}" if key else str(sub))
        else:
            rows.append((key, "null" if value is None else str(value)))

    walk(params.model_dump(mode="json"), "")
    return pd.DataFrame(rows, columns=["parameter", "value"])


# --------------------------------------------------------------------------------------------- regression tables

STAR_LEVELS = (0.10, 0.05, 0.01)
"""p-value thresholds of one, two and three stars (esttab's ``star(* 0.10 ** 0.05 *** 0.01)``)."""

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _stars(p_value: float, levels: tuple[float, ...]) -> str:
    if not np.isfinite(p_value):
        return ""
    return "*" * sum(p_value < level for level in levels)


def _cell(value: float, digits: int) -> str:
    return "" if not np.isfinite(value) else f"{value:.{digits}f}"


class RegressionTable:
    """Results side by side, as Stata ``esttab``, R ``modelsummary`` or pyfixest ``etable`` set them.

    Built by :func:`regression_table`. ``frame`` is the table as strings: a ``term`` column, then one
    column per result. Each term takes two rows (the estimate, then its standard error in brackets on a row
    whose ``term`` is empty), followed by ``N``, the goodness-of-fit rows known for any result and one
    ``FE: <name>`` row per fixed effect (``yes``/``no``). ``notes`` says how to read it.
    """

    def __init__(self, frame: pd.DataFrame, notes: str, n_coefficient_rows: int):
        self.frame = frame
        self.notes = notes
        self.n_coefficient_rows = n_coefficient_rows

    def __repr__(self) -> str:
        return f"{self.frame.to_string(index=False)}\n{self.notes}"

    def to_markdown(self) -> str:
        """A pipe table (GitHub / Quarto Markdown) with the notes below it."""
        def line(cells: list[str]) -> str:
            return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

        header = [str(c) for c in self.frame.columns]
        rows = [line(header), "|" + "|".join([":---"] + ["---:"] * (len(header) - 1)) + "|"]
        rows += [line(list(r)) for r in self.frame.astype(str).itertuples(index=False)]
        return "\n".join(rows) + f"\n\n{self.notes}\n"

    def to_latex(self) -> str:
        """A booktabs ``tabular`` (needs ``\\usepackage{booktabs}``), special characters escaped."""
        def esc(text: str) -> str:
            return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))

        k = self.frame.shape[1] - 1
        out = [f"\\begin{{tabular}}{{l{'c' * k}}}", "\\toprule",
               " & ".join(esc(c) for c in self.frame.columns) + r" \\", "\\midrule"]
        for i, row in enumerate(self.frame.astype(str).itertuples(index=False)):
            if i == self.n_coefficient_rows:
                out.append("\\midrule")
            out.append(" & ".join(esc(c) for c in row) + r" \\")
        out += ["\\bottomrule", f"\\multicolumn{{{k + 1}}}{{l}}{{\\footnotesize {esc(self.notes)}}} \\\\",
                "\\end{tabular}"]
        return "\n".join(out) + "\n"

    def to_html(self) -> str:
        """An escaped HTML table with the classes of :func:`to_html` (``ac-table``, note ``ac-note``)."""
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in self.frame.columns)
        body = []
        for i, row in enumerate(self.frame.astype(str).itertuples(index=False)):
            kind = "ac-coef" if i < self.n_coefficient_rows else "ac-stat"
            cells = "".join(f"<td>{html.escape(c)}</td>" for c in row)
            body.append(f'<tr class="{kind}">{cells}</tr>')
        return (f'<table class="ac-table ac-regression"><thead><tr>{head}</tr></thead>'
                f'<tbody>{"".join(body)}</tbody></table><p class="ac-note">{html.escape(self.notes)}</p>')

    def _repr_html_(self) -> str:
        return self.to_html()


def regression_table(
    results: Any,
    *,
    stars: bool = False,
    star_levels: tuple[float, ...] = STAR_LEVELS,
    names: list[str] | None = None,
    terms: Mapping[str, str] | list[str] | None = None,
    digits: int = 3,
) -> RegressionTable:
    """Set estimator results side by side: estimates, standard errors in brackets, N, fit and FE rows.

    Reads only the result protocol (:mod:`agrocluster.results`): ``tidy()``, ``nobs``,
    ``fit_statistics()`` and ``fixed_effects()``, so any estimator's results can share a table.

    Parameters
    ----------
    results : list or dict of results
        The columns, in order; a dict's keys name them.
    stars : bool
        Append ``*``, ``**``, ``***`` to estimates whose p-value is below each of ``star_levels``
        (default 0.10, 0.05, 0.01, as esttab's ``star(* 0.10 ** 0.05 *** 0.01)``); the note states them.
        Results without p-values get no stars.
    names : list of str, optional
        Column labels; default the dict's keys, else ``(1)``, ``(2)`` … as esttab.
    terms : list or dict, optional
        Which terms to show, in order (a dict also relabels them: term → label); default every term,
        in order of first appearance.
    digits : int
        Decimals of estimates, standard errors and fit statistics.

    Returns
    -------
    RegressionTable
        ``.frame`` (DataFrame of strings), ``.to_latex()``, ``.to_markdown()``, ``.to_html()``.

    Examples
    --------
    >>> from agrocluster.programmes.twfe import TWFEResult
    >>> fit = TWFEResult(coef=0.25, se=0.1, ci_lower=0.05, ci_upper=0.45, pvalue=0.012, n_obs=1200,
    ...                  n_units=100, negative_weight_share=0.0, weights=pd.DataFrame(),
    ...                  excluded=pd.DataFrame({"reason": [], "n_rows": []}), vcov="CRV1 by unit")
    >>> regression_table([fit], stars=True).frame
           term      (1)
    0   treated  0.250**
    1            (0.100)
    2         N    1,200
    3  FE: unit      yes
    4  FE: time      yes
    """
    if isinstance(results, Mapping):
        labels, fits = [str(k) for k in results], list(results.values())
    else:
        fits = list(results)
        labels = [f"({i})" for i in range(1, len(fits) + 1)]
    if not fits:
        raise ValueError("regression_table needs at least one result")
    if names is not None:
        if len(names) != len(fits):
            raise ValueError(f"regression_table: {len(names)} names for {len(fits)} results")
        labels = [str(n) for n in names]
    missing = [type(f).__name__ for f in fits if not callable(getattr(f, "tidy", None))]
    if missing:
        raise TypeError(f"regression_table: {missing} do not follow the result protocol (no tidy())")
    tidies = [f.tidy().set_index("term") for f in fits]
    order = list(dict.fromkeys(t for tidy in tidies for t in tidy.index))
    if terms is not None:
        unknown = [t for t in terms if t not in order]
        if unknown:
            raise ValueError(f"regression_table: terms {unknown} are in no result; terms are {order}")
        order = list(terms)
    relabel = dict(terms) if isinstance(terms, Mapping) else {}
    rows: list[list[str]] = []
    for term in order:
        est, se = [], []
        for tidy in tidies:
            if term not in tidy.index:
                est.append("")
                se.append("")
                continue
            r = tidy.loc[term]
            est.append(_cell(r["estimate"], digits) + (_stars(r["p_value"], star_levels) if stars else ""))
            se.append(f"({_cell(r['std_error'], digits)})" if np.isfinite(r["std_error"]) else "")
        rows += [[relabel.get(term, term), *est], ["", *se]]
    n_coefficient_rows = len(rows)
    rows.append(["N", *[f"{int(f.nobs):,}" for f in fits]])
    stats = [f.fit_statistics() for f in fits]
    for key in dict.fromkeys(k for s in stats for k in s):
        rows.append([key, *[_cell(s.get(key, np.nan), digits) for s in stats]])
    effects = [tuple(f.fixed_effects()) for f in fits]
    for fe in dict.fromkeys(e for es in effects for e in es):
        rows.append([f"FE: {fe}", *["yes" if fe in es else "no" for es in effects]])
    notes = "Standard errors in brackets."
    if stars:
        levels = sorted(star_levels, reverse=True)
        notes += " " + ", ".join(f"{'*' * (i + 1)} p < {lvl:g}" for i, lvl in enumerate(levels)) + "."
    frame = pd.DataFrame(rows, columns=["term", *labels])
    return RegressionTable(frame, notes, n_coefficient_rows)
