"""The measured coverage of an interval, said beside it in the reports.

Every interval and test a cluster report prints has a key here (:data:`METHODS`) that names its rows in the
coverage study shipped with the project (``data/validation/coverage.csv``, written by
``python -m agrocluster.validation.coverage``). :func:`coverage_note` reads them and words them: coverage of the
95% interval (or size of the 5% test), its Monte Carlo SE, the simulated worlds it was measured in, and — when it
misses the 93–97% band (3–7% size) — why. :func:`annotate` puts the notes on a workbook step
(:class:`agrocluster.sections.Section`): beside its table, and among the report's caveats when a method misses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import pandas as pd

from agrocluster import paths
from agrocluster.errors import ParamsError
from agrocluster.validation import coverage

COVERAGE_FILE = Path("data") / "validation" / "coverage.csv"

_LQ_ENOUGH = coverage.ESTABLISHMENTS_ENOUGH
_LQ_FEW = coverage.ESTABLISHMENTS_FEW
_PRE = coverage.PRETREND_SUP_T
_DID = ("did-staggered", "did-small-cohorts")

#: Method key → rows ``(check, method)`` of the coverage study. The first row is the design the reports' data
#: resemble (plants of unequal size for the LQ, 200-unit cohorts for the DiD); the others show where the method
#: breaks (or holds).
METHODS: dict[str, tuple[tuple[str, str], ...]] = {
    "lq-establishments": (("lq-lumpy", "establishments"), ("lq-lumpy", _LQ_ENOUGH), ("lq-lumpy", _LQ_FEW),
                          ("lq-independent", "establishments")),
    "lq-poisson": (("lq-lumpy", "poisson"), ("lq-independent", "poisson")),
    "lq-bootstrap": (("lq-lumpy", "bootstrap"), ("lq-independent", "bootstrap")),
    "eg-dartboard": (("eg-dartboard", coverage.EG_RANDOM_LOCATION), ("eg-generator", coverage.EG_RANDOM_LOCATION)),
    "agglomeration-crv1": (("agglomeration-40-regions", "CRV1 by region"),
                           ("agglomeration-12-regions", "CRV1 t-test, 12 clusters")),
    "agglomeration-conley": (("agglomeration-40-regions", "Conley 50 km"),),
    "agglomeration-wild": (("agglomeration-12-regions", "wild cluster bootstrap (WCR)"),),
    **{f"tfp-{m}": (("tfp-generator", m.upper()),) for m in coverage.TFP_METHODS},
    "did-att-gt": tuple((c, "ATT(g,t) pointwise") for c in _DID),
    "did-att-gt-band": tuple((c, "ATT(g,t) uniform band") for c in _DID),
    "did-simple": tuple((c, "simple ATT") for c in _DID),
    "did-event-band": tuple((c, "event-study ATT(e), band") for c in _DID),
    "did-group-band": tuple((c, "ATT by cohort, band") for c in _DID),
    "did-pretrend": tuple((c, _PRE) for c in _DID),
    "did-pretrend-wald": tuple((c, "pre-trend Wald test") for c in _DID),
    "ppml": (("ppml-gravity", "PPML, heteroskedasticity-robust"),),
    "member-premium": (("member-premium", "premium, CRV1 by firm"),),
}


@dataclasses.dataclass(frozen=True)
class CoverageNote:
    """What the coverage study measured for one method.

    Attributes
    ----------
    key : str
        The method key (:data:`METHODS`).
    rows : DataFrame
        Its rows of the study: ``check, method, dgp, kind, worlds, nominal, coverage, mc_se, verdict, note``
        and their provenance ``seed, code_version, date`` (empty when the study file is missing or lacks them).
    text : str
        The sentence a report prints beside the interval.
    miss : bool
        True when the first row (the design the reports' data resemble) is outside the 93–97% band (3–7% size),
        or a row was not measured. The other rows' misses are said in ``text`` only.
    """

    key: str
    rows: pd.DataFrame
    text: str
    miss: bool


def default_study_file() -> Path:
    """The project's ``data/validation/coverage.csv``, else the one of the checkout the library is installed from
    (the study measures the library, so a project without its own copy reads the library's)."""
    own = paths.project_root() / COVERAGE_FILE
    shipped = Path(__file__).resolve().parents[3] / COVERAGE_FILE
    return own if own.is_file() or not shipped.is_file() else shipped


@lru_cache(maxsize=4)
def _read(path: str, mtime: float) -> tuple[pd.DataFrame, dict]:
    return coverage.read_study(path)


def _row_text(row: pd.Series) -> str:
    what = "size of the 5% test" if row["kind"] == "size" else "coverage of the 95% interval"
    verdict = "within the 3–7% band" if row["kind"] == "size" else "within the 93–97% band"
    text = (f"{what} {100 * row['coverage']:.1f}% (MC SE {100 * row['mc_se']:.1f}) in {int(row['worlds'])} "
            f"simulated worlds of {row['dgp']} [{row['method']}]: ")
    return text + (verdict if row["verdict"] == "within" else f"{row['verdict']}, {row['note']}")


def coverage_note(method_key: str, study_file: str | Path | None = None) -> CoverageNote:
    """The measured coverage (or size) of an interval (or test), with its MC SE and the DGP it was measured on.

    Parameters
    ----------
    method_key : str
        A key of :data:`METHODS`, e.g. ``"lq-establishments"``, ``"tfp-acf"``, ``"did-pretrend"``.
    study_file : path, optional
        The coverage study; default :func:`default_study_file`.

    Raises
    ------
    ParamsError
        Unknown ``method_key`` (the known keys are listed).

    A missing study file, or one without the method's rows, gives a note that says the coverage was not
    measured and how to measure it (``miss`` True), so a report never claims a coverage it does not have.
    """
    if method_key not in METHODS:
        raise ParamsError(f"coverage_note: unknown method key {method_key!r}; known: {', '.join(METHODS)}")
    wanted = METHODS[method_key]
    path = Path(study_file) if study_file is not None else default_study_file()
    rerun = f"python -m agrocluster.validation.coverage --only {','.join(dict.fromkeys(c for c, _ in wanted))}"
    if not path.is_file():
        return CoverageNote(method_key, pd.DataFrame(), f"Coverage not measured: {path.name} is missing ({rerun}).",
                            True)
    table, _ = _read(str(path), path.stat().st_mtime)
    index = pd.MultiIndex.from_tuples(wanted, names=["check", "method"])
    rows = table.set_index(["check", "method"]).reindex(index)
    absent = [f"{c}: {m}" for (c, m), w in rows["worlds"].items() if pd.isna(w)]
    rows = rows.dropna(subset=["worlds"]).reset_index()
    parts = [_row_text(row) for _, row in rows.iterrows()]
    if absent:
        parts.append(f"not measured for {'; '.join(absent)} ({rerun})")
    miss = bool(absent) or rows["verdict"].iloc[0] != "within"
    dates = sorted(set(rows["date"].dropna().astype(str).str[:10]))
    text = (f"Coverage study (validation report; run {', '.join(dates) or 'never'}): " + "; ".join(parts) + ".")
    return CoverageNote(method_key, rows, text, miss)


def annotate(section, *method_keys: str, label: Mapping[str, str] | None = None):
    """Put the coverage notes of ``method_keys`` on a workbook step and return it.

    Each note goes to ``section.coverage`` (shown under the step's table); a note whose method misses in the
    design the reports' data resemble (:attr:`CoverageNote.miss`) also goes to ``section.notes`` (the report's
    caveats). ``label`` may name what a key's interval is in this report
    (e.g. ``{"tfp-acf": "ACF"}``); the note then starts with it.
    """
    for key in method_keys:
        note = coverage_note(key)
        text = f"{label[key]}: {note.text}" if label and key in label else note.text
        section.coverage.append(text)
        if note.miss:
            section.notes.append(text)
    return section
