"""Workbook 06 (links and risks): the FAO study's questions of every cluster, one step each.

Gálvez-Nogales (2010, FAO) asks of an agro-based cluster: its vertical and horizontal links, how innovation
diffuses, whether joint action pays, and its dangers: magnified environmental impact, exposure to a market
collapse, too much inward cooperation, neglected links outside. Each public function here is one step of
notebook 06 and returns an :class:`agrocluster.sections.Section` (result, table, reading, notes, exclusions);
the numbers the synthesis compares ride in ``result.headlines`` (:class:`~agrocluster.workbooks.common.Headline`).

Real data first: FAOSTAT quantities × Poore & Nemecek (2018) factors for the footprint, FAOSTAT export series
for collapse episodes, the Indonesian rice panel for adoption of high-yielding varieties and input use.
Firm links, the synthetic diffusion and joint action rest on synthetic firms with planted truth, said so in
every reading; when a cluster's own firm table is real and carries no links (the rice farms), these steps use
the cluster's synthetic demonstration economy (same generator, same seed) and say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from agrocluster import diffusion as diff
from agrocluster import environment as env
from agrocluster import linkages
from agrocluster._frames import code_equals
from agrocluster.exports import collapse
from agrocluster.exports.markets import destination_structure
from agrocluster.sections import Section, rests_on
from agrocluster.workbooks.common import Headline, excluded_from

__all__ = [
    "Network",
    "adoption_figure",
    "adoption_real",
    "collapse_exposure",
    "diffusion_synthetic",
    "footprint",
    "footprint_figure",
    "impact_inputs",
    "input_use",
    "joint_action",
    "link_mixing",
    "magnification",
    "network",
    "peer_adoption_real",
    "regional_intensity",
]

SYNTHETIC_TAG = "SYNTHETIC"
#: Varieties of the rice panel counted as adoption of high-yielding varieties (``mixed``: some HYV on the farm).
HYV_VARIETIES = ("high", "mixed")
RICE_INPUTS = ("pesticide", "urea", "phosphate")
RICE_INPUT_UNITS = {"pesticide": "Rupiah per ha", "urea": "kg per ha", "phosphate": "kg per ha"}


@dataclass(frozen=True)
class Network:
    """Firms and links the link steps use: ``establishments``, ``links``, the generator's ``truth`` and where
    they come from (``origin``, a sentence)."""

    establishments: pd.DataFrame
    links: pd.DataFrame
    truth: dict
    origin: str
    synthetic: bool


@dataclass(frozen=True)
class Step:
    """A step's result with the headline numbers it records."""

    value: Any
    headlines: tuple[Headline, ...] = field(default=())


@rests_on("establishments", "firm_links")
def network(data: Any, params: Any) -> Section:
    """The firms and links for the link, diffusion and joint-action steps.

    The cluster's own ``establishments`` and ``firm_links`` when both come from the same source; when the
    links are synthetic but the firm table is real (links would join firms that do not exist), the
    cluster's synthetic economy from the generator (``params.synthetic``, ``params.seed``) instead, labelled.
    """
    title = "Firms and links"
    if not data.has("firm_links"):
        return Section.not_computed(title, needs="a firm_links table (inter-firm links)")
    same = data.has("establishments") and data.is_synthetic("establishments") == data.is_synthetic("firm_links")
    if same:
        est, links = data["establishments"], data["firm_links"]
        truth = data.truth if data.is_synthetic("firm_links") else {}
        origin = (f"{SYNTHETIC_TAG} firms and links of the cluster (agrocluster.data.synthetic, seed {params.seed})"
                  if data.is_synthetic("firm_links") else "the cluster's own firm and link tables")
    else:
        from agrocluster.data.cluster import synthetic_spec
        from agrocluster.data.synthetic import generate_cluster

        economy = generate_cluster(synthetic_spec(params), seed=params.seed)
        est, links, truth = economy.establishments, economy.firm_links, economy.truth
        origin = (f"{SYNTHETIC_TAG} demonstration firms and links (agrocluster.data.synthetic, seed {params.seed}): "
                  "the cluster's own firm table is real and records no links between its units")
    synthetic = bool(truth)
    table = pd.DataFrame({"item": ["firm-years", "firms", "links", "member share of firm-years", "source"],
                          "value": [f"{len(est):,}", f"{est['firm_id'].nunique():,}", f"{len(links):,}",
                                    f"{est['cluster_member'].mean():.3f}" if "cluster_member" in est else "n/a",
                                    origin]})
    notes = [(f"Link, diffusion (synthetic part) and joint-action steps use {origin}; their numbers demonstrate "
             "and check the methods, not findings about the real cluster.")] if synthetic else []
    return Section(title=title, result=Network(est, links, truth, origin, synthetic), table=table,
                   reading=f"Firms and links from {origin}.", notes=notes)


def impact_inputs() -> dict[str, dict[str, Any]]:
    """The Poore & Nemecek factors as an input of the report (for ``rec.add_inputs``): source, origin, sha256,
    rows."""
    from agrocluster.data import sources

    prov = sources.pn18_provenance()
    return {"pn18_impact_factors": {"source": "pn18", "origin": f"agrifoodpy-data: {prov['file'].rsplit('/', 1)[-1]}",
                                    "sha256": prov["sha256"], "rows": len(sources.pn18_factors()),
                                    "citation": prov["citation"]}}


def _planted_inside_share(net: Network) -> float | None:
    """The inside share of members' links the generator implies: ``rho / (rho + (1 - rho) q)``, with ``q`` the
    chance that a link drawn among pairs not both members has exactly one member, averaged over years."""
    rho = (net.truth.get("links") or {}).get("inside_link_share")
    if rho is None:
        return None
    per_year = net.establishments.groupby("year")["cluster_member"].agg(["sum", "size"])
    m, n = per_year["sum"].astype(float), per_year["size"].astype(float)
    q = 2 * m * (n - m) / (n * (n - 1) - m * (m - 1))
    return float((rho / (rho + (1 - rho) * q)).mean())


@rests_on("establishments", "firm_links")
def link_mixing(net_step: Section, draws: int, seed: int) -> Section:
    """Vertical and horizontal links of members, inside shares against random mixing
    (:func:`agrocluster.linkages.link_orientation`). Headlines: ``vertical_inside_share``,
    ``horizontal_inside_share`` (with bootstrap SEs) and ``horizontal_inward_excess`` (share − chance)."""
    title = "Vertical and horizontal links against random mixing"
    if not net_step.computed:
        return Section.not_computed(title, needs=net_step.reason.removeprefix("needs "))
    net: Network = net_step.result
    if "cluster_member" not in net.establishments:
        return Section.not_computed(title, needs="a cluster_member column in the firm table")
    res = linkages.link_orientation(net.links, net.establishments, draws=draws, seed=seed)
    rows = res.summary().set_index("orientation")
    v, h = rows.loc["vertical"], rows.loc["horizontal"]
    tag = f"{SYNTHETIC_TAG} links: " if net.synthetic else ""
    words = {"above chance": "more inside than random mixing would give",
             "below chance": "less inside than random mixing would give", "as chance": "as random mixing would give"}
    reading = (f"{tag}members are {res.member_share:.1%} of firms, so random mixing would keep "
               f"{v['benchmark']:.1%} of their links inside. Vertical links (input supply, sales) stay inside "
               f"{v['inside_share']:.1%} of the time ({v['conf_low']:.1%}–{v['conf_high']:.1%}): "
               f"{words[v['verdict']]}"
               + ("; suppliers and buyers outside the cluster are neglected relative to chance" if v["verdict"] ==
                  "above chance" else "") +
               f". Horizontal links (cooperation, knowledge) stay inside {h['inside_share']:.1%} "
               f"({h['conf_low']:.1%}–{h['conf_high']:.1%}): {words[h['verdict']]}"
               + ("; cooperation turns inward, the FAO study's danger of a closed cluster" if h["verdict"] ==
                  "above chance" else "") + ". Institutions are not in the link data.")
    planted = _planted_inside_share(net) if net.synthetic else None
    notes = []
    if planted is not None:
        inside = rows.loc["all"]
        notes.append(f"Planted truth: the generator implies an inside share of {planted:.3f} for every kind; "
                     f"estimated {inside['inside_share']:.3f} (SE {inside['std_error']:.3f}).")
    heads = (Headline("vertical_inside_share", float(v["inside_share"]), se=float(v["std_error"])),
             Headline("horizontal_inside_share", float(h["inside_share"]), se=float(h["std_error"])),
             Headline("horizontal_inward_excess", float(h["excess"]), se=float(h["std_error"])))
    table = res.table().drop(columns=["ratio"]).round(4)
    return Section(title=title, result=Step(res, heads), table=table, reading=reading, notes=notes)


def _rice_panel(data: Any, columns: tuple[str, ...]) -> pd.DataFrame | None:
    if not data.has("establishments"):
        return None
    est = data["establishments"]
    return est if set(columns) <= set(est.columns) else None


@rests_on("establishments")
def adoption_real(data: Any) -> Section:
    """Adoption of high-yielding rice varieties by season, overall and by village (real farm panel):
    a farm adopts when it grows high-yielding or mixed varieties. Headline ``hyv_adoption_change``: the
    change of the adoption share from the first to the last season."""
    title = "Adoption of high-yielding varieties (real farm panel)"
    est = _rice_panel(data, ("varieties", "region", "season"))
    if est is None or data.is_synthetic("establishments"):
        return Section.not_computed(title, needs="farm-level records of the varieties grown (the varieties "
                                    "column of a real farm panel, as the Indonesian rice farms)")
    panel = est.assign(hyv=est["varieties"].isin(HYV_VARIETIES))
    overall = diff.adoption_curve(panel, "hyv", "season").assign(village="all villages")
    villages = diff.adoption_curve(panel, "hyv", "season", group="region").rename(columns={"region": "village"})
    table = pd.concat([overall, villages], ignore_index=True)[["village", "season", "n", "adopters", "share",
                                                               "std_error"]]
    first, last = overall.iloc[0], overall.iloc[-1]
    change = float(last["share"] - first["share"])
    se = float(np.hypot(first["std_error"], last["std_error"]))
    spread = villages[villages["season"] == last["season"]]["share"]
    reading = (f"Farms growing high-yielding varieties rose from {first['share']:.0%} in season "
               f"{int(first['season'])} to {last['share']:.0%} in season {int(last['season'])} (real data); in the "
               f"last season the villages range from {spread.min():.0%} to {spread.max():.0%}.")
    heads = (Headline("hyv_adoption_change", change, se=se, note="first to last season"),)
    return Section(title=title, result=Step(table, heads), table=table.round(4), reading=reading)


@rests_on("establishments")
def adoption_figure(adoption: Section) -> Section:
    """The figure step of :func:`adoption_real` (passes "not computed" through)."""
    if not adoption.computed:
        return adoption
    from agrocluster import figures
    from agrocluster.figures import links_risks as fl

    fig, ax = figures.new_figure(height=3.8)
    fl.adoption_curves(ax, adoption.result.value, title="Farms growing high-yielding varieties")
    return Section(title=adoption.title, result=fig, reading=(
        "Share of farms growing high-yielding (or mixed) rice varieties by season: all villages (thick, with a "
        "95% band) and each village (real data)."))


@rests_on("establishments")
def peer_adoption_real(data: Any) -> Section:
    """Does a farm's adoption follow its village's lagged adoption? (:func:`agrocluster.diffusion.peer_adoption`,
    with and without village effects), read with Manski's (1993) reflection caveat. Headline
    ``peer_adoption_coef`` (without village effects)."""
    title = "Peer adoption in the village (real farm panel)"
    est = _rice_panel(data, ("varieties", "region", "season"))
    if est is None or data.is_synthetic("establishments"):
        return Section.not_computed(title, needs="farm-level records of the varieties grown, by village and season")
    panel = est.assign(hyv=est["varieties"].isin(HYV_VARIETIES))
    fits = {effects: diff.peer_adoption(panel, "hyv", "firm_id", "season", "region", group_effects=effects)
            for effects in (False, True)}
    table = pd.concat([f.tidy().assign(village_effects=k, nobs=f.nobs) for k, f in fits.items()], ignore_index=True)
    b, se = fits[False].estimate("peer_lag")
    bw, sew = fits[True].estimate("peer_lag")
    reading = (f"A farm is {b:.2f} (SE {se:.2f}) more likely to grow high-yielding varieties per unit of the share "
               f"of other farms of its village that did so the season before, holding its own lagged choice and "
               f"the season fixed; within villages (village effects) {bw:.2f} (SE {sew:.2f}). {diff.REFLECTION_CAVEAT}"
               " With six villages, the village-level variation is thin.")
    heads = (Headline("peer_adoption_coef", b, se=se, note="association (reflection problem)"),)
    return Section(title=title, result=Step(fits, heads), table=table.round(4), reading=reading,
                   notes=[diff.REFLECTION_CAVEAT], excluded=fits[False].excluded)


@rests_on("establishments", "firm_links")
def diffusion_synthetic(net_step: Section, band_km: float, seed: int) -> Section:
    """Adoption spreading through links and with distance on the synthetic firms, planted by
    :func:`agrocluster.data.synthetic.generate_adoption` and recovered by
    :func:`agrocluster.diffusion.diffusion_hazard`; the table puts estimates beside the truth."""
    title = f"Diffusion through links and distance ({SYNTHETIC_TAG}, planted truth)"
    if not net_step.computed or not net_step.result.synthetic:
        return Section.not_computed(title, needs="synthetic firms and links with coordinates")
    from agrocluster.data.synthetic import generate_adoption

    net: Network = net_step.result
    adoption, truth = generate_adoption(net.establishments, net.links, seed=seed, band_km=band_km)
    fit = diff.diffusion_hazard(adoption, net.establishments, net.links, band_km)
    table = fit.tidy().assign(truth=[truth["link_effect"], truth["near_effect"]])
    table["covered"] = (table["conf_low"] <= table["truth"]) & (table["truth"] <= table["conf_high"])
    reading = (f"{SYNTHETIC_TAG}: a planted adoption process (logit hazard, link effect {truth['link_effect']:g}, "
               f"effect of adopters within {band_km:g} km {truth['near_effect']:g}) is recovered as "
               + ", ".join(f"{r.term} {r.estimate:.2f} (SE {r.std_error:.2f})" for r in table.itertuples())
               + f"; adopters grow from {min(truth['adopters_by_year'].values()):,} to "
               f"{max(truth['adopters_by_year'].values()):,} firms.")
    return Section(title=title, result=Step(fit), table=table.round(4), reading=reading, excluded=fit.excluded)


@rests_on("establishments", "firm_links")
def joint_action(net_step: Section) -> Section:
    """Do members with more joint-action links do better? Log TFP (OLS Cobb–Douglas on value added, labour
    and capital, as Stata ``prodest, method(ols)``) and export participation, pooled within sector × year and
    within firm (:func:`agrocluster.linkages.joint_action`). Headline ``joint_action_tfp`` (within firm)."""
    title = "Joint action and firm outcomes"
    if not net_step.computed:
        return Section.not_computed(title, needs=net_step.reason.removeprefix("needs "))
    net: Network = net_step.result
    need = {"value_added", "labour", "capital", "exports", "sector", "cluster_member"}
    if not need <= set(net.establishments.columns):
        return Section.not_computed(title, needs=f"firm columns {sorted(need)}")
    from agrocluster.productivity import estimate_tfp

    est = net.establishments
    fit = estimate_tfp(est, "value_added", "labour", "capital", method="ols", logs=True)  # the firm table is in levels
    firms = est.assign(log_tfp=fit.tfp.reindex(est.index), exporter=(est["exports"] > 0).astype(float))
    res = linkages.joint_action(net.links, firms, ("log_tfp", "exporter"))
    t = res.summary().set_index(["outcome", "specification"])
    tfp_w, exp_p = t.loc[("log_tfp", "within firm")], t.loc[("exporter", "pooled")]
    tag = f"{SYNTHETIC_TAG}: " if net.synthetic else ""
    truth = (" The generator draws links at random, so the true effect is zero: an estimate far from zero would "
             "flag a fault.") if net.synthetic else ""
    reading = (f"{tag}{res.share_cooperating:.0%} of member-years have at least one cooperation or knowledge link "
               f"with another member ({res.mean_links:.1f} on average). Each further link goes with "
               f"{tfp_w['estimate']:+.3f} log TFP within the same firm (SE {tfp_w['std_error']:.3f}) and "
               f"{exp_p['estimate']:+.3f} in the probability of exporting among members of the same sector and year "
               f"(SE {exp_p['std_error']:.3f}). Collective efficiency (Schmitz 1995) adds to passive external "
               "economies the gains of such deliberate joint action; these gaps are descriptive: firms choose to "
               f"cooperate and good firms are sought as partners (selection).{truth}")
    heads = (Headline("joint_action_tfp", float(tfp_w["estimate"]), se=float(tfp_w["std_error"])),)
    return Section(title=title, result=Step(res, heads), table=res.summary().round(4), reading=reading,
                   notes=["Joint action: descriptive gaps with selection; see the reading."],
                   excluded=excluded_from(res.excluded))


def _quantities(data: Any, params: Any) -> pd.DataFrame | None:
    if not data.has("country_product"):
        return None
    cp = data["country_product"]
    rows = cp[code_equals(cp["country"], params.country_iso3) & code_equals(cp["item"], params.faostat_item_code)]
    rows = rows.dropna(subset=["production"])
    return rows[["year", "production", "exports"]].fillna({"exports": 0.0}).sort_values("year") if len(rows) else None


def _factors(params: Any) -> tuple[dict[str, float], str]:
    """PN18 factors of the cluster's item; for an item PN18 does not cover, the mean of the PN18 product named in
    ``links_risks.pn18_product`` (regional file, ``Global``), said in the second element."""
    from agrocluster.data import sources

    row = sources.pn18_factors(params.faostat_item_code).iloc[0]
    if row["has_factor"]:
        return {i: float(row[i]) for i in env.IMPACTS}, f"PN18 factor of FAOSTAT item {row['item']} {row['item_name']}"
    product = params.links_risks.pn18_product
    if product is None:
        return {}, f"PN18 has no factor for FAOSTAT item {row['item']} {row['item_name']}"
    regional = sources.pn18_regional_factors()
    world = regional[(regional["product"] == product) & (regional["region"] == "Global")]
    if world.empty:
        return {}, f"PN18 has no factor for FAOSTAT item {row['item']} nor for product {product!r}"
    return ({i: float(world.iloc[0][i]) for i in env.IMPACTS if i in world.columns},
            (f"PN18 has no factor for FAOSTAT item {row['item']} {row['item_name']}: the world mean of PN18's "
            f"product {product!r} is used instead"))


@rests_on("country_product")
def footprint(data: Any, params: Any) -> Section:
    """Footprint of the country's production and exports of the cluster's product, latest year (real data:
    FAOSTAT × Poore & Nemecek 2018). Headlines ``ghg_production_kt`` and ``ghg_exports_kt``."""
    title = f"Environmental footprint of {params.product} in {params.country_iso3} (real data)"
    q = _quantities(data, params)
    if q is None:
        return Section.not_computed(title, needs=f"FAOSTAT production of {params.product} in {params.country_iso3}")
    factors, origin = _factors(params)
    if not factors:
        return Section.not_computed(title, needs=f"an impact factor ({origin})")
    fp = env.footprint(q, factors)
    latest = fp.table[fp.table["year"] == fp.latest("ghg")["year"]]
    g = fp.latest("ghg")
    year = int(g["year"])
    reading = (f"In {year} the country produced {g['production']:,.0f} kt of {params.product} and exported "
               f"{g['exports']:,.0f} kt; at {g['factor']:.2f} kg CO2e per kg ({origin}; IPCC 2013 GWP100) that is "
               f"{g['footprint_production']:,.0f} kt CO2e for production, {g['footprint_exports']:,.0f} kt of it "
               "embodied in exports. Factors are global means per kg (PN18): the footprint moves with quantities, "
               "not with the country's practices.")
    heads = (Headline("ghg_production_kt", float(g["footprint_production"]),
                      note=f"{params.product}, {year} (PN18, IPCC 2013)"),
             Headline("ghg_exports_kt", float(g["footprint_exports"]), note=f"{params.product}, {year}"))
    if g["exports"] > g["production"]:
        reading += (" Exports exceed production (re-exports of imported product): the exports' footprint is partly "
                    "incurred abroad.")
    notes = [origin] if "instead" in origin or fp.missing else []
    return Section(title=title, result=Step(fp, heads), table=latest.round(3), reading=reading, notes=notes)


@rests_on("country_product")
def footprint_figure(fp_step: Section, params: Any) -> Section:
    """The figure step of :func:`footprint`: greenhouse gases of production and exports by year."""
    if not fp_step.computed:
        return fp_step
    from agrocluster import figures
    from agrocluster.figures import links_risks as fl

    fig, ax = figures.new_figure(height=3.8)
    fl.footprint_series(ax, fp_step.result.value.table, "ghg", title=f"GHG of {params.product}, {params.country_iso3}")
    return Section(title=fp_step.title, result=fig, reading=(
        f"Greenhouse gases of the production of {params.product} in {params.country_iso3} and embodied in its exports "
        "(kt CO2e; FAOSTAT quantities × Poore & Nemecek 2018, IPCC 2013 factors); dotted: FAOSTAT's 2010 change of "
        "food-balance method."))


@rests_on("country_product")
def magnification(fp_step: Section, base_year: int | None) -> Section:
    """Growth of the footprint with export expansion between ``base_year`` (default: 20 years before the latest)
    and the latest year. Headline ``ghg_growth_pct``."""
    title = "Magnification: footprint growth and export expansion (real data)"
    if not fp_step.computed:
        return Section.not_computed(title, needs=fp_step.reason.removeprefix("needs "))
    fp: env.Footprint = fp_step.result.value
    year = int(fp.latest("ghg")["year"])
    years = set(fp.table.loc[fp.table["production"].notna(), "year"])
    base = base_year if base_year is not None else year - 20
    if base not in years:
        return Section.not_computed(title, needs=f"FAOSTAT production in the base year {base}")
    table = env.magnification(fp, base, year)
    g = table.set_index("impact").loc["ghg"]
    part = ("" if not np.isfinite(g["export_part"]) else
            f"; exports changed by {g['export_part']:.0%} of the change of production, so export expansion "
            + ("drove most of it" if g["export_part"] > 0.5 else "explains a minor part of it"))
    reading = (f"From {base} to {year} the greenhouse-gas footprint of production changed by "
               f"{g['change']:+,.0f} kt CO2e ({g['change_pct']:+.0f}%){part}; the export share of production moved "
               f"from {g['export_share_base']:.0%} to {g['export_share']:.0%}. FAOSTAT's 2010 change of food-balance "
               "method falls inside this window.")
    heads = (Headline("ghg_growth_pct", float(g["change_pct"]), note=f"{base}–{year}"),)
    return Section(title=title, result=Step(table, heads), table=table.round(3), reading=reading)


@rests_on("Poore & Nemecek (2018) regional impacts")
def regional_intensity(params: Any) -> Section:
    """Impact per kg in the country's world region against PN18's world mean of the product. Headline
    ``ghg_intensity_ratio`` (region over world)."""
    from agrocluster.data import sources

    title = "Intensity against the world mean (PN18 regional means)"
    opts = params.links_risks
    if opts.pn18_product is None or opts.pn18_region is None:
        return Section.not_computed(title, needs="a PN18 product and world region for the cluster "
                                    "(links_risks.pn18_product, links_risks.pn18_region); PN18's regional means "
                                    "cover only Asia, Europe, Latin America & Caribbean, North America and Oceania")
    table = env.regional_intensity(sources.pn18_regional_factors(), opts.pn18_product, opts.pn18_region)
    g = table.set_index("impact").loc["ghg"]
    if not np.isfinite(g["ratio"]):
        return Section.not_computed(title, needs=f"a PN18 mean for {opts.pn18_product} in {opts.pn18_region} (PN18 "
                                    "had too few producers there)", table=table)
    reading = (f"{opts.pn18_product} from {opts.pn18_region} emits {g['factor_region']:.2f} kg CO2e per kg against a "
               f"world mean of {g['factor_world']:.2f} (ratio {g['ratio']:.2f}); regional means of PN18's producer "
               "sample, not of this cluster's farms.")
    heads = (Headline("ghg_intensity_ratio", float(g["ratio"]),
                      note=f"{opts.pn18_product}, {opts.pn18_region} over the world mean"),)
    return Section(title=title, result=Step(table, heads), table=table.round(3), reading=reading)


@rests_on("establishments")
def input_use(data: Any) -> Section:
    """Pesticide, urea and phosphate per hectare by BIMAS participation and by village (real farm panel),
    and the within-season gap of participants (:func:`agrocluster.environment.input_intensity`). Headline
    ``urea_per_ha_bimas_gap``."""
    title = "Pesticide and fertiliser per hectare (real farm panel)"
    est = _rice_panel(data, (*RICE_INPUTS, "bimas_participant", "region", "land"))
    if est is None or data.is_synthetic("establishments"):
        return Section.not_computed(title, needs="farm-level records of pesticide and fertiliser use with the farm "
                                    "area (as the Indonesian rice farms)")
    farms = est.assign(bimas=np.where(est["bimas_participant"], "BIMAS", "not in BIMAS"))
    by_bimas = env.input_intensity(farms, RICE_INPUTS, "bimas", treated="BIMAS")
    by_village = env.input_intensity(farms, RICE_INPUTS, "region")
    table = pd.concat([by_bimas.by_group.assign(by="BIMAS"), by_village.by_group.assign(by="village")],
                      ignore_index=True)
    table["unit"] = table["input"].map(RICE_INPUT_UNITS)
    gap = by_bimas.gap.set_index("term")
    reading = ("Within the same season, BIMAS participants apply "
               + "; ".join(f"{name} {gap.loc[name, 'estimate']:+,.1f} {RICE_INPUT_UNITS[name]} "
                           f"(SE {gap.loc[name, 'std_error']:,.1f})" for name in RICE_INPUTS)
               + " compared with other farms (real data; descriptive: participation is chosen). Per-hectare means "
               "by village are in the table.")
    heads = (Headline("urea_per_ha_bimas_gap", float(gap.loc["urea", "estimate"]),
                      se=float(gap.loc["urea", "std_error"]), note="within season"),)
    return Section(title=title, result=Step(by_bimas, heads), table=table.round(3), reading=reading,
                   excluded=by_bimas.excluded)


def _method_mark(first_year: int, last_year: int) -> str:
    return " [crosses FAOSTAT's 2010 change of method]" if collapse.crosses_method_break(first_year, last_year) else ""


def _history_only(title: str, history: pd.DataFrame, why: str) -> Section:
    """The collapse step of a cluster without destinations: the country's largest FAOSTAT export fall (real),
    and why the replay on destinations is not computed."""
    h = history.iloc[0]
    regained = ("not regained by the last year" if pd.isna(h["recovery_year"])
                else f"regained in {int(h['recovery_year'])}")
    episode = h["episode"] + _method_mark(h["peak_year"], h["trough_year"])
    table = pd.DataFrame([{"episode": episode, "peak_year": int(h["peak_year"]), "exports_kt_at_peak": h["before"],
                           "trough_year": int(h["trough_year"]), "exports_kt_at_trough": h["after"],
                           "change": float(h["change"]), "regained": regained}])
    reading = (f"The country's largest historical collapse of its exports of the product in FAOSTAT was {episode}: "
               f"{h['before']:,.0f} kt to {h['after']:,.0f} kt ({h['change']:.0%}), {regained}. The replay of "
               f"collapses on the cluster's destinations is not computed: {why}.")
    return Section(title=title, result=Step(table, (Headline("largest_export_fall", -float(h["change"]),
                                                             note=episode),)),
                   table=table.round(4), reading=reading)


@rests_on("country_product", "trade_flows")
def collapse_exposure(data: Any, params: Any) -> Section:
    """Replay of real collapses on the cluster's destinations: the worst year-on-year falls of FAOSTAT world and
    country exports of the product (1961–2020), the country's largest peak-to-trough fall of those exports (the
    cluster's historical collapse episode, :func:`agrocluster.exports.collapse.largest_drawdown`) and the cited
    episodes of ``links_risks.episodes`` (:mod:`agrocluster.exports.collapse`). FAOSTAT changes that span the
    2010 change of food-balance method are marked in the episode's name.

    Headlines: ``worst_collapse_output_share``, the largest share of output at risk among the episodes, and
    ``largest_export_fall``, the size of the historical episode (a positive fraction: 0.3 = a 30% fall)."""
    from agrocluster.data import sources

    title = "Exposure to a market collapse: real episodes replayed"
    opts = params.links_risks
    q = _quantities(data, params)
    if q is None:
        return Section.not_computed(title, needs="FAOSTAT exports of the product")
    faostat = "FAOSTAT food balances (agrifoodpy-data)"
    history = collapse.largest_drawdown(q, "exports", label=f"{params.country_iso3} exports ",
                                        min_share_of_peak=opts.fall_min_share_of_peak)
    if not data.has("trade_flows"):
        why = data.absent_reason("trade_flows", "a trade_flows table (the cluster's destinations)")
        if history.empty:
            return Section(title=title, computed=False, reason=why)
        return _history_only(title, history, why)
    flows = data["trade_flows"]
    flows = flows[flows["product"].astype(str).isin([str(c) for c in params.hs_codes])]
    year = int(flows.loc[flows["exporter"].astype(str) == params.country_iso3, "year"].max())
    dest = destination_structure(flows, params.country_iso3, year).destinations
    # a one-year historical collapse is also among the worst year-on-year falls: listed once, as the history
    same = (set() if history.empty or history["trough_year"].iloc[0] != history["peak_year"].iloc[0] + 1
            else {int(history["trough_year"].iloc[0])})
    episodes = []
    for series, label, kind, skip in ((sources.world_totals(params.faostat_item_code), "world exports ",
                                       "FAOSTAT world exports", set()),
                                      (q, f"{params.country_iso3} exports ", "FAOSTAT country exports", same)):
        falls = collapse.worst_falls(series, "exports", opts.worst_falls, label=label,
                                     min_share_of_peak=opts.fall_min_share_of_peak)
        episodes += [{"name": r.episode + _method_mark(r.year - 1, r.year), "change": r.change, "markets": [],
                      "kind": kind, "source": faostat} for r in falls.itertuples() if r.year not in skip]
    if len(history):
        h = history.iloc[0]
        regained = ("not regained by the last year" if pd.isna(h["recovery_year"])
                    else f"regained in {int(h['recovery_year'])}")
        episodes.append({"name": h["episode"] + _method_mark(h["peak_year"], h["trough_year"]),
                         "change": float(h["change"]), "markets": [], "kind": "FAOSTAT country exports, peak to trough",
                         "source": f"{faostat}: {h['before']:,.0f} kt in {int(h['peak_year'])}, {h['after']:,.0f} kt "
                                   f"in {int(h['trough_year'])}, {regained}"})
    episodes += [e.model_dump() for e in opts.episodes]
    last = q.iloc[-1]
    orientation = float(last["exports"] / last["production"]) if last["production"] > 0 else None
    table = collapse.replay(dest, episodes, export_orientation=orientation)
    worst = table.loc[table["loss_share"].idxmax()]
    synthetic = data.is_synthetic("trade_flows")
    if len(history):
        own = table.loc[table["kind"] == "FAOSTAT country exports, peak to trough"].iloc[0]
        story = (f"The country's largest historical collapse of its exports of the product in FAOSTAT was "
                 f"{own['episode']}: {h['before']:,.0f} kt to {h['after']:,.0f} kt ({h['change']:.0%}), {regained}; "
                 f"replayed today it would put {own['output_share_at_risk']:.0%} of output at risk. ")
    else:
        story = "The country's FAOSTAT exports of the product never fell from a peak. "
    reading = (f"Applied to the destinations of {year} ({SYNTHETIC_TAG + ' ' if synthetic else ''}trade flows) and "
               f"an export orientation of {orientation:.0%} (FAOSTAT {int(last['year'])}), the worst episode, "
               f"{worst['episode']} ({worst['kind']}), would cut exports by {worst['loss_share']:.0%} and put "
               f"{worst['output_share_at_risk']:.0%} of output at risk. " + story
               + f"FAOSTAT falls from exports below {opts.fall_min_share_of_peak:.0%} of the series' peak are not counted; "
               "FAOSTAT carries quantities, so price collapses show only in cited episodes. "
               + ("" if opts.episodes else "No cited price or trade episode is given for this cluster "
                  "(links_risks.episodes). ")
               + "; ".join(collapse.REPLAY_ASSUMPTIONS).capitalize() + ".")
    heads = (Headline("worst_collapse_output_share", float(worst["output_share_at_risk"]),
                      note="synthetic destinations" if synthetic else None),)
    if len(history):
        heads += (Headline("largest_export_fall", -float(h["change"]), note=str(own["episode"])),)
    notes = [(f"Collapse replay: destinations from {SYNTHETIC_TAG} trade flows; FAOSTAT falls and cited episodes "
             "are real.")] if synthetic else []
    return Section(title=title, result=Step(table, heads), table=table.round(4), reading=reading, notes=notes)
