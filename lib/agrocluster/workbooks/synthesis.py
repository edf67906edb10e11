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

from agrocluster.params import cluster_overrides
from agrocluster.sections import Section
from agrocluster.workbooks.common import Headline

__all__ = ["RankingStep", "data_kinds", "page_headlines", "rankings", "runs", "synthetic_share_note"]


def data_kinds(result: Any, overrides: Mapping[str, Any] | None = None) -> Section:
    """Cluster × data table → real / synthetic; a note for each per-cluster override given to this page
    (it shaped the cluster reports, not the synthesis)."""
    notes = [f"Override {key}={value!r} is a per-cluster parameter: it shaped the cluster reports, not this page."
             for key, value in cluster_overrides(overrides).items()]
    return Section(title="Data behind the clusters' reports", result=result.data_kinds,
                   table=result.data_kinds.reset_index(), notes=notes)


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
    return Section(title="Results files read", result=collection, table=collection.summary(), notes=notes)


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
        if ranking.order:
            fig, ax = figures.new_figure(width=7.5, height=0.45 * len(ranking.order) + 1.5)
            synthesis_figures.rank_intervals(ax, ranking.ranks, title=title)
            notebook = registry.REGISTRY[key].notebook if key in registry.REGISTRY else ""
            figure = Section(title=title, result=fig, reading=(
                f"{title}: mean simulated rank and {ranking.level:.0%} rank interval ({ranking.draws} draws, "
                f"seed {ranking.seed})."), inputs=tuple(f"{c}/{notebook}.results.json" for c in ranking.order))
        else:
            figure = Section.not_computed(title, needs="at least one cluster with an estimate and its standard error")
        caption = ranking.reading()
        steps.append(RankingStep(key, figure, Section(title=title, result=ranking, table=ranking.table(),
                                                      excluded=excluded), caption))
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
