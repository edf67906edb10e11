"""Workbook 05 (cross-cluster synthesis): the bookkeeping and the per-ranking steps of the synthesis page.

The comparisons themselves (scorecard, rankings, danger flags) are :func:`agrocluster.synthesis.synthesise`;
this module turns its :class:`~agrocluster.synthesis.Synthesis` into the steps the notebook shows, each an
:class:`agrocluster.sections.Section`: which data are behind the page and what to say about it
(:func:`data_kinds`, :func:`runs`), one figure and one table per ranking (:func:`rankings`), and the page's
headline numbers (:func:`page_headlines`: ``n_clusters``, ``n_danger_flags``, ``synthetic_share``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from agrocluster.params import cluster_overrides
from agrocluster.sections import Section
from agrocluster.workbooks.common import Headline

__all__ = ["RankingStep", "cluster_origins", "data_kinds", "flag_rules", "flags", "missing", "origin_word",
           "page_headlines", "rankings", "runs", "scorecard", "scorecard_inputs", "scorecard_long", "synthetic_share_note"]

ORIGIN_COLUMN = "origin"


def origin_word(origins: Any) -> str:
    """One row's mark from the origins of the numbers or tables it rests on: "real", "synthetic" or
    "real and synthetic" (missing words are skipped; nothing left reads "real").

    >>> origin_word(["synthetic", None, "real"]), origin_word(["synthetic"]), origin_word([])
    ('real and synthetic', 'synthetic', 'real')
    """
    words = {str(o) for o in origins if isinstance(o, str) and o}
    synthetic = any("synthetic" in w for w in words)
    real = any(w != "synthetic" for w in words)
    return "real and synthetic" if synthetic and real else "synthetic" if synthetic else "real"


def cluster_origins(result: Any) -> dict[str, str]:
    """Cluster id → the mark of the data behind its reports (:func:`origin_word` of the kinds of the tables
    it uses: FAOSTAT, rice farms and users' files are real, the generator's tables synthetic)."""
    kinds = result.data_kinds
    return {str(c): origin_word([k for k in row if k != "not used"]) for c, row in kinds.iterrows()}


def _fill_origin(table: Any, result: Any) -> Any:
    """``table`` (rows by ``cluster_id`` with an ``origin`` column) with every row's origin one of "real",
    "synthetic", "real and synthetic": a number recorded without one (an older results file, or not recorded)
    takes its cluster's mark (:func:`cluster_origins`)."""
    from agrocluster.record import ROW_ORIGINS

    fallback = table["cluster_id"].astype(str).map(cluster_origins(result)).fillna("real")
    known = table[ORIGIN_COLUMN].isin(ROW_ORIGINS)
    return table.assign(**{ORIGIN_COLUMN: table[ORIGIN_COLUMN].where(known, fallback)})


def _with_origin(frame: Any, origins: Any) -> Any:
    """``frame`` with a per-row ``origin`` column (placed last) from a cluster id → word mapping or a list."""
    words = frame["cluster_id"].astype(str).map(origins) if isinstance(origins, Mapping) else list(origins)
    return frame.assign(**{ORIGIN_COLUMN: pd.Series(words, index=frame.index).fillna("real")})


def _headline_origins(collection: Any) -> dict[tuple[str, str], str]:
    """(cluster id, headline key) → the origin the cluster recorded with the number (None when not recorded)."""
    heads = collection.headlines
    return {(str(c), str(k)): o for c, k, o in zip(heads["cluster_id"], heads["key"], heads["origin"])}


def data_kinds(result: Any, overrides: Mapping[str, Any] | None = None) -> Section:
    """Cluster × data table → real / synthetic; a note for each per-cluster override given to this page
    (it shaped the cluster reports, not the synthesis)."""
    notes = [f"Override {key}={value!r} is a per-cluster parameter: it shaped the cluster reports, not this page."
             for key, value in cluster_overrides(overrides).items()]
    table = _with_origin(result.data_kinds.reset_index(), cluster_origins(result))
    return Section(title="Data behind the clusters' reports", result=result.data_kinds, table=table, notes=notes)


def synthetic_share_note(share: float) -> str:
    """What the share of synthetic data tables means for the page's comparisons.

    >>> synthetic_share_note(0.0)[:36]
    'No data table in use is synthetic: t'
    >>> synthetic_share_note(1.0)[:60]
    'Every data table in use is synthetic: the comparisons on thi'
    """
    if share <= 0:
        return ("No data table in use is synthetic: the comparisons on this page rest on real data (FAOSTAT, the rice "
                "farms, users' own files).")
    if share >= 1:
        return ("Every data table in use is synthetic: the comparisons on this page demonstrate the methods and are "
                "not findings about the real clusters.")
    return (f"{share:.0%} of the data tables in use are synthetic: comparisons resting on them (Table 1 says which) "
            "demonstrate the methods and are not findings about the real clusters.")


def runs(collection: Any, result: Any) -> Section:
    """The results files read per cluster, the share of synthetic data tables (always noted, in words that fit
    it: none, some or all) and a note for each task whose last run failed (its last good report is used)."""
    notes = [synthetic_share_note(result.synthetic_share)]
    failed = collection.runs[collection.runs["failed_last_run"]]
    notes += [f"The last run of {row.cluster_id}/{row.notebook} failed: its last good results are used."
              for row in failed.itertuples()]
    table = _with_origin(collection.summary(), cluster_origins(result))
    return Section(title="Results files read", result=collection, table=table, notes=notes)


def scorecard(result: Any) -> Section:
    """The scorecard (cluster × dimension), each row marked with the origins of the numbers it holds
    (:func:`origin_word` over the cluster's recorded values; a row without any value takes its cluster's)."""
    long = _fill_origin(result.scorecard_se, result)
    long = long[long["value"].notna()]
    fallback = cluster_origins(result)
    words = {c: origin_word(long.loc[long["cluster_id"] == c, ORIGIN_COLUMN]) if (long["cluster_id"] == c).any()
             else fallback.get(str(c), "real") for c in result.scorecard.index}
    return Section(title="Scorecard", result=result.scorecard, table=_with_origin(result.table(), words))


def scorecard_long(result: Any) -> Section:
    """The scorecard in long form with standard errors; each row keeps the origin its cluster recorded with the
    number, and a dimension the cluster did not record takes its cluster's mark."""
    return Section(title="Scorecard in long form", result=result.scorecard_se,
                   table=_fill_origin(result.scorecard_se, result))


def scorecard_inputs(result: Any, recorded_only: bool = True) -> tuple[str, ...]:
    """The results files whose numbers fill the scorecard (``cluster/notebook.results.json``, the notebook that
    declares each key): what its figure rests on; with ``recorded_only`` False, also the files of the clusters
    that did not record a dimension (where it would have been)."""
    from agrocluster import headlines as registry

    long = result.scorecard_se
    if recorded_only:
        long = long[long["value"].notna()]
    notebooks = {key: registry.REGISTRY[key].notebook for key in long["key"].unique() if key in registry.REGISTRY}
    return tuple(sorted({f"{c}/{notebooks[k]}.results.json" for c, k in zip(long["cluster_id"], long["key"])
                         if k in notebooks}))


def missing(result: Any, collection: Any) -> Section:
    """Clusters without each scorecard dimension; it rests on the results files of the scorecard's notebooks
    that were read (declared inputs)."""
    read = set(collection.inputs())
    inputs = tuple(f for f in scorecard_inputs(result, recorded_only=False) if f in read) or tuple(sorted(read))
    return Section(title="Scorecard dimensions not recorded", result=result.missing, table=result.missing,
                   inputs=inputs)


def flag_rules(result: Any, collection: Any) -> Section:
    """The danger flags with value, benchmark and rule, each row marked with the origin of its indicator (and
    of its benchmark when one was recorded); a flag not assessed takes its cluster's mark."""
    from agrocluster.record import ROW_ORIGINS
    from agrocluster.synthesis import BENCHMARKS

    recorded = _headline_origins(collection)
    fallback = cluster_origins(result)
    words = []
    for row in result.flags.itertuples(index=False):
        keys = [row.indicator] + ([BENCHMARKS[row.flag]] if row.flag in BENCHMARKS and pd.notna(row.benchmark) else [])
        found = [recorded.get((str(row.cluster_id), k)) for k in keys] if pd.notna(row.value) else []
        found = [o for o in found if o in ROW_ORIGINS]
        words.append(origin_word(found) if found else fallback.get(str(row.cluster_id), "real"))
    return Section(title="Danger flags and their rules", result=result.flags, table=_with_origin(result.flags, words))


def flags(result: Any, rules: Section) -> Section:
    """Cluster × flag ("yes", "no", "not recorded"), each row marked from its flags' rows in ``rules``
    (:func:`flag_rules`)."""
    table = result.flags_wide().reset_index()
    marks = rules.table.groupby("cluster_id")[ORIGIN_COLUMN].agg(origin_word).to_dict()
    return Section(title="Danger flags", result=table, table=_with_origin(table, marks))


@dataclass(frozen=True)
class RankingStep:
    """One ranking of the page: its key, its figure step (not computed when no cluster can be ranked), its
    table step (with the clusters left out) and the caption of the table."""

    key: str
    figure: Section
    table: Section
    caption: str


def rankings(result: Any) -> list[RankingStep]:
    """One :class:`RankingStep` per ranked headline key of ``result.rankings``, in their order.

    The figure shows each cluster's mean simulated rank with its rank interval; a key no cluster can be
    ranked on (no estimate with a standard error) has no figure, and its table says so.
    """
    from agrocluster import figures
    from agrocluster import headlines as registry
    from agrocluster.figures import synthesis as synthesis_figures

    steps = []
    for key, ranking in result.rankings.items():
        label = registry.REGISTRY[key].label if key in registry.REGISTRY else key
        title = "Ranks on " + (label if label[:2].isupper() else label[0].lower() + label[1:])
        excluded = [(f"ranking {key}", row.reason, row.n) for row in ranking.excluded.itertuples()]
        notebook = registry.REGISTRY[key].notebook if key in registry.REGISTRY else ""
        if ranking.order:
            fig, ax = figures.new_figure(width=7.5, height=0.45 * len(ranking.order) + 1.5)
            synthesis_figures.rank_intervals(ax, ranking.ranks, title=title)
            figure = Section(title=title, result=fig, reading=(
                f"{title}: mean simulated rank and {ranking.level:.0%} rank interval ({ranking.draws} draws, "
                f"seed {ranking.seed})."), inputs=tuple(f"{c}/{notebook}.results.json" for c in ranking.order))
        else:
            figure = Section.not_computed(title, needs="at least one cluster with an estimate and its standard error")
        caption = ranking.reading()
        table = ranking.table()
        if ORIGIN_COLUMN in table:
            table = _fill_origin(table, result)
        read = tuple(f"{c}/{notebook}.results.json" for c in result.data_kinds.index)   # an empty ranking's inputs
        steps.append(RankingStep(key, figure, Section(title=title, result=ranking, table=table, excluded=excluded,
                                                      inputs=read), caption))
    return steps


@dataclass(frozen=True)
class PageHeadlines:
    headlines: tuple[Headline, ...]


def page_headlines(result: Any) -> Section:
    """The synthesis page's own headline numbers: clusters compared, danger flags raised (of those
    assessable) and the share of data tables that are synthetic."""
    heads = (Headline("n_clusters", result.n_clusters),
             Headline("n_danger_flags", result.n_flags_raised, note=f"of {result.n_flags_assessed} assessable"),
             Headline("synthetic_share", result.synthetic_share))
    return Section(title="Synthesis headlines", result=PageHeadlines(heads))


def levers(result: Any) -> Section:
    """The typology step: the FAO study's policy levers each cluster's profile points to
    (:func:`agrocluster.synthesis.typology`), with the rule behind each lever as the reading."""
    from agrocluster.synthesis import LEVERS

    title = "Policy levers by cluster profile"
    if result.levers.empty:
        return Section.not_computed(title, needs="recorded indicators that point to a lever (see the rules below)")
    rules = "; ".join(f"{lever}: {why}" for lever, why in LEVERS.items())
    synthetic = int((result.levers["origin"] == "synthetic").sum())
    reading = (f"Levers of Gálvez-Nogales (2010, FAO) and the profile that points to each — {rules}. "
               f"{synthetic} of {len(result.levers)} rows rest on synthetic numbers: they illustrate the mapping, "
               "they are no advice to the real cluster.")
    return Section(title=title, result=result.levers, table=result.levers, reading=reading)
