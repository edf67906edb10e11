"""Decisions of the validation report (``notebooks/90_validation``): which checks the installed data allow,
what each shows and how to read it. Every function returns an :class:`agrocluster.sections.Section`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict

from agrocluster import paths
from agrocluster.data import reference
from agrocluster.errors import ParamsError
from agrocluster.sections import Section
from agrocluster.validation import coverage, published


class ValidationParams(BaseModel):
    """Options of the validation report (the recorder's params object for ``90_validation``).

    Attributes
    ----------
    coverage_file : str
        The coverage study written by ``python -m agrocluster.validation.coverage`` (relative paths are
        taken from the project root).
    reference_data : str
        Folder holding the Stata ``ecomplexity`` fixtures (``../shared/data`` beside the project).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    cluster_id: Literal["synthesis"] = "synthesis"
    name: str = "Validation report"
    coverage_file: str = "data/validation/coverage.csv"
    reference_data: str = "../shared/data"


def _resolve(path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else paths.project_root() / p


def _reproduction(title: str, table: pd.DataFrame) -> Section:
    bad = table[~table["agrees"]]
    if bad.empty:
        reading = (f"All {len(table)} published numbers are reproduced within half a unit of their last printed "
                   f"decimal (largest difference {table['difference'].abs().max():.1e}).")
    else:
        reading = (f"{len(bad)} of {len(table)} published numbers differ by more than their tolerance: "
                   + "; ".join(f"{r.quantity} ({r.difference:+.2e})" for r in bad.itertuples()) + ".")
    shown = table.assign(published=table["published"].map("{:.6g}".format), ours=table["ours"].map("{:.6g}".format),
                         agrees=table["agrees"].map({True: "yes", False: "NO"}))
    return Section(title, result=table, table=shown, reading=reading,
                   notes=[] if bad.empty else [f"{title}: {reading}"])


def grunfeld_section() -> Section:
    """FE and OLS on Grunfeld against Baltagi (2005) Table 2.1 (needs statsmodels)."""
    data = reference.grunfeld()
    if data is None:
        return Section.not_computed("Grunfeld, Baltagi Table 2.1", needs="statsmodels (its Grunfeld data set)")
    return _reproduction("Grunfeld, Baltagi Table 2.1", published.grunfeld_baltagi(data))


def did_section() -> Section:
    """Callaway–Sant'Anna on mpdta against R did's printed output (needs the moderndid package)."""
    data = reference.mpdta()
    if data is None:
        return Section.not_computed("mpdta, R did", needs="the moderndid package (it ships R did's mpdta); "
                                    "pip install moderndid")
    return _reproduction("mpdta, R did", published.mpdta_callaway_santanna(data))


def complexity_section(reference_data: str) -> Section:
    """Economic complexity against Stata ecomplexity on the Growth Lab fixtures, when their folder is present."""
    files = reference.ecomplexity_fixtures(_resolve(reference_data))
    if files is None:
        return Section.not_computed("Stata ecomplexity", needs=f"{reference.ECOMPLEXITY_SAMPLE} and "
                                    f"{reference.ECOMPLEXITY_TRUTH} in {reference_data}")
    return _reproduction("Stata ecomplexity", published.ecomplexity_stata(*files))


def published_summary(sections: Sequence[Section]) -> Section:
    """One row per estimator: numbers compared, numbers that agree, largest absolute difference."""
    tables = [s.result for s in sections if s.computed]
    missing = [s.title for s in sections if not s.computed]
    if not tables:
        return Section.not_computed("Published numbers", needs="at least one reference data set installed")
    rows = pd.concat(tables, ignore_index=True)
    summary = (rows.assign(gap=rows["difference"].abs())
               .groupby(["estimator", "source"], sort=False)
               .agg(numbers=("agrees", "size"), agree=("agrees", "sum"), largest_difference=("gap", "max"))
               .reset_index())
    reading = (f"{int(summary['agree'].sum())} of {int(summary['numbers'].sum())} published numbers reproduced "
               "within their printed precision.")
    if missing:
        reading += f" Not checked on this machine: {', '.join(missing)}."
    return Section("Published numbers", result=rows, table=summary, reading=reading)


def coverage_section(coverage_file: str) -> Section:
    """The coverage study read from its file, with its provenance and the misses spelled out."""
    path = _resolve(coverage_file)
    if not path.is_file():
        return Section.not_computed("Coverage of the intervals", needs=f"{coverage_file}: run "
                                    "python -m agrocluster.validation.coverage")
    try:
        table, meta = coverage.read_study(path)
    except ParamsError as exc:
        return Section.not_computed("Coverage of the intervals", needs=f"a readable coverage file ({exc})")
    misses = table[table["verdict"] != "within"]
    worlds = ", ".join(map(str, sorted(set(table["worlds"].astype(int)))))
    stamp = f"{worlds} worlds per check; {coverage.runs_sentence(table)}"
    reading = (f"{len(table) - len(misses)} of {len(table)} intervals and tests are within 93–97% coverage "
               f"(3–7% size). Misses: " + "; ".join(f"{r.method} ({r.check}) {100 * r.coverage:.1f}%"
                                                   for r in misses.itertuples()) + ". " + stamp + ".")
    display = coverage.CoverageStudy(table, pd.DataFrame(), meta.get("params", {}), {}, {}).display()
    return Section("Coverage of the intervals", result=table, table=display, reading=reading,
                   notes=[f"Coverage: {r.method} ({r.check}) {100 * r.coverage:.1f}% — {r.note}"
                          for r in misses.itertuples()])
