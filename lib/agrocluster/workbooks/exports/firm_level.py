"""Workbook 04, sections 6 and 7: export premium of cluster members and the firm network."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from agrocluster import figures, linkages
from agrocluster.exports import firms
from agrocluster.figures import exports as export_figures
from agrocluster.sections import Section, rests_on

_LINKS = ("establishments", "firm_links")

FIRM_COLUMNS = frozenset({"cluster_member", "exports", "sector", "output"})


# ------------------------------------------------------------------------------------ 6. firm-level exports


@dataclass
class ExportPremiumStep:
    """The export premium of cluster members (fields ``None`` when not computed)."""

    premium: Any = None
    establishments: pd.DataFrame | None = None
    effect: float | None = None
    se: float | None = None
    note: str | None = None


@rests_on("establishments")
def export_premium(data: Any) -> Section:
    """Export participation of cluster members vs other firms of the same sector and year.

    LPM and probit average marginal effect with sector × year fixed effects and SEs clustered by firm,
    as :func:`agrocluster.exports.firms.export_participation`. Needs establishments with
    ``cluster_member``, ``exports``, ``sector`` and ``output``.
    """
    title = "Export premium of cluster members"
    establishments = data["establishments"] if data.has("establishments") else None
    if establishments is None:
        reason = "an establishments table"
    else:
        missing = ", ".join(sorted(FIRM_COLUMNS - set(establishments.columns)))
        reason = f"the column(s) {missing} in the establishments table ({data.info['establishments'].origin})"
    if establishments is None or missing:
        notes = [f"Firm-level export comparison and firm network not computed: needs {reason}."]
        if data.is_synthetic("firm_links") and not data.is_synthetic("establishments"):
            notes.append(
                "The synthetic firm links join synthetic firms, not the firms of this table, so the "
                "firm network cannot be built either."
            )
        return Section.not_computed(title, needs=reason, result=ExportPremiumStep(), notes=notes)
    premium = firms.export_participation(establishments)
    used = premium.excluded[premium.excluded["n"] > 0]
    excluded = [
        ("establishments", f"export premium, {s}: {r}", int(n))
        for s, r, n in zip(used["step"], used["reason"], used["n"], strict=True)
    ]
    step = ExportPremiumStep(
        premium=premium,
        establishments=establishments,
        effect=premium.lpm_effect,
        se=premium.lpm_se,
        note="synthetic firm data" if data.is_synthetic("establishments") else None,
    )
    return Section(
        title,
        result=step,
        table=premium.table(),
        reading=effect_reading(premium.lpm_effect, premium.lpm_se, premium.lpm_pvalue),
        excluded=excluded,
    )


def effect_reading(effect: float, se: float, p_value: float, level: float = 0.05) -> str:
    """The reading of the membership effect on the probability of exporting (LPM, probability units)."""
    points = f"{100 * abs(effect):.1f} percentage points (SE {100 * se:.1f})"
    if p_value >= level:
        return (
            f"Cluster members are not significantly ({100 * level:g}% level) more or less likely to export "
            f"than other firms of the same sector and year: the difference is {points}, p = {p_value:.2f}."
        )
    direction = "more" if effect > 0 else "less"
    return (
        f"Cluster members are {points} {direction} likely to export than other firms of the same sector "
        f"and year (p = {p_value:.3f})."
    )


@rests_on("establishments")
def export_rates(premium: Section) -> Section:
    """Raw export participation and intensity of members and others (the premium's own ``summary()``)."""
    if not premium.computed:
        return Section.not_computed("Raw export rates", needs="the firm-level export comparison")
    return Section("Raw export rates", table=premium.result.premium.summary())


# ------------------------------------------------------------------------------------------ 7. firm network


@dataclass
class FirmNetwork:
    """Link shares and network metrics of the firm links (fields ``None`` when not computed)."""

    by_year: Any = None
    by_kind: Any = None
    network: Any = None
    year: int | None = None
    links: pd.DataFrame | None = None
    inside_share: float | None = None
    true_inside_share: float | None = None
    member_share: float | None = None
    note: str | None = None


def member_firm_share(establishments: pd.DataFrame, years: Any, member: str = "cluster_member") -> float:
    """Members' share of firms, ``p``: the mean over ``years`` of members / firms in the establishment table
    (as :attr:`agrocluster.linkages.LinkOrientation.member_share`). If members chose partners at random among
    all firms, ``p / (2 - p)`` of their links would stay inside (:func:`agrocluster.linkages.random_mixing_share`
    for many firms): the benchmark of the inside-link share."""
    est = establishments.loc[establishments["year"].isin(list(years)), ["firm_id", "year", member]]
    est = est.drop_duplicates(["firm_id", "year"])
    per_year = est.groupby("year")[member].agg(lambda m: float(m.astype(bool).mean()))
    return float(per_year.mean())


@rests_on(*_LINKS)
def firm_network(data: Any, params: Any, premium: Section) -> Section:
    """Inside, boundary and outside links, and the network of the latest year with its brokers.

    As :func:`agrocluster.linkages.link_shares` and :func:`agrocluster.linkages.network_metrics`
    (betweenness sampled on ``params.exports.betweenness_pivots`` pivots, 0 = exact). Needs firm links and
    the membership of the firms they join (the establishments of the export comparison).
    """
    title = "Firm network"
    if not premium.computed or not data.has("firm_links"):
        return Section.not_computed(
            title, needs="firm links and the cluster membership of the firms they join", result=FirmNetwork()
        )
    links, establishments = data["firm_links"], premium.result.establishments
    year = int(links["year"].max())
    synthetic = data.is_synthetic("firm_links")
    truth = data.truth.get("links", {}) if synthetic else {}
    result = FirmNetwork(
        by_year=linkages.link_shares(links, establishments, by=("year",)),
        by_kind=linkages.link_shares(links, establishments, by=("kind",)),
        network=linkages.network_metrics(
            links,
            establishments,
            year=year,
            betweenness_k=params.exports.betweenness_pivots or None,
            seed=params.seed,
        ),
        year=year,
        links=links,
        true_inside_share=truth.get("realised_inside_share"),
        note="synthetic firm links" if synthetic else None,
    )
    result.inside_share = result.by_year.inside_share_count
    result.member_share = member_firm_share(establishments, links["year"].unique())
    benchmark = result.member_share / (2 - result.member_share)
    table = result.by_kind.table()[
        ["kind", "n_inside", "n_boundary", "n_outside", "inside_share_count", "inside_share_value"]
    ]
    reading = (
        f"{100 * result.inside_share:.0f}% of cluster members' links go to another member "
        f"({'most stay inside' if result.inside_share >= 0.5 else 'most go outside'} the cluster). Members are "
        f"{100 * result.member_share:.0f}% of the firms: links drawn at random among all firms would keep about "
        f"{100 * benchmark:.0f}% inside (p / (2 - p)), so the members link "
        f"{'more' if result.inside_share > benchmark else 'no more'} with each other than random mixing would."
    )
    return Section(title, result=result, table=table, reading=reading, inputs=("establishments", "firm_links"))


def network_figure(network: Section, params: Any) -> Any:
    """Links by type, the top boundary broker's ego network, and the inside share over time."""
    if not network.computed:
        return None
    r = network.result
    ego = str(r.network.brokers(top=1)["firm_id"].iloc[0])
    in_year = r.links[r.links["year"] == r.year]
    ego_edges = in_year[(in_year["source"] == ego) | (in_year["target"] == ego)]
    fig, axes = figures.new_figure(width=13, height=4.3, ncols=3)
    axes = axes.ravel()
    export_figures.link_flows(
        axes[0], r.by_year.n_inside, r.by_year.n_boundary, r.by_year.n_outside, "Links by type, all years"
    )
    export_figures.ego_network(
        axes[1],
        ego_edges,
        r.network.table().set_index("firm_id")["member"],
        ego,
        f"Top boundary broker, {r.year}",
        seed=params.seed,
    )
    export_figures.inside_share_trend(axes[2], r.by_year.table(), "Inside share of members' links")
    return fig


@rests_on(*_LINKS)
def network_summary(network: Section) -> Section:
    """Size, density and clustering of the network and of the members' subgraph (the metrics' summary)."""
    if not network.computed:
        return Section.not_computed("Network summary", needs="the firm network")
    return Section("Network summary", table=network.result.network.summary())


@rests_on(*_LINKS)
def network_brokers(network: Section, top: int = 10) -> Section:
    """The ``top`` firms that broker most across the cluster boundary (gatekeepers and representatives)."""
    if not network.computed:
        return Section.not_computed("Brokers", needs="the firm network")
    return Section("Brokers", table=network.result.network.brokers(top=top))


@rests_on(*_LINKS)
def inside_share_check(network: Section) -> Section:
    """Two definitions of the inside share, with the generator's realised share for synthetic links."""
    if not network.computed:
        return Section.not_computed("Inside share", needs="the firm network")
    r = network.result
    total = r.by_year.n_inside + r.by_year.n_boundary + r.by_year.n_outside
    table = pd.DataFrame(
        {
            "measure": ["inside share of members' links (count)", "inside links / all links"],
            "estimate": [r.inside_share, r.by_year.n_inside / total],
            "true_value": [None, r.true_inside_share],
        }
    )
    return Section("Inside share", table=table)
