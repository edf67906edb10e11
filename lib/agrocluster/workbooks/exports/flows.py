"""Workbook 04, sections 4, 5 and 8: trade flows, destinations, gravity, export risk."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from agrocluster import figures
from agrocluster.errors import DataContractError, EstimationError
from agrocluster.exports import bilateral, gravity_model, shares
from agrocluster.figures import exports as export_figures
from agrocluster.sections import Section, rests_on
from agrocluster.validation.notes import annotate
from agrocluster.workbooks.exports._common import excluded_rows

_FLOWS = ("trade_flows",)

STRESS_COLUMNS = frozenset({"labour", "output", "exports"})


# --------------------------------------------------------------------------------------- trade flows


@dataclass
class ClusterFlows:
    """Trade flows of the cluster's HS products (fields ``None`` when the country has no positive flow)."""

    flows: pd.DataFrame | None = None
    year: int | None = None
    first_year: int | None = None
    n_products: int = 0
    synthetic: bool = False
    kind: str = "trade"
    note: str | None = None


@rests_on(*_FLOWS)
def trade_flows(data: Any, params: Any) -> Section:
    """The trade flows of the cluster's HS codes (``params.hs_codes``); other products are counted out.

    Not computed when the cluster has no trade flows or the country has no positive flow in its products.
    """
    title = "Trade flows of the cluster's products"
    if not data.has("trade_flows"):
        return Section(title, computed=False, reason=data.absent_reason("trade_flows", "a trade_flows table"),
                       result=ClusterFlows())
    every = data["trade_flows"]
    flows = every[every["product"].isin(params.hs_codes)]
    excluded = [("trade_flows", "product not among the cluster's HS codes", len(every) - len(flows))]
    iso = params.country_iso3
    if not (flows.loc[flows["exporter"] == iso, "value"] > 0).any():
        return Section.not_computed(
            title,
            needs=f"positive trade flows of {iso} in HS {', '.join(params.hs_codes)}",
            result=ClusterFlows(),
            excluded=excluded,
            notes=[
                (
                    "No positive trade flows of the cluster's country in its HS products: sections 4, "
                    "5 and 8 are skipped."
                )
            ],
        )
    synthetic = data.is_synthetic("trade_flows")
    result = ClusterFlows(
        flows=flows,
        year=int(flows["year"].max()),
        first_year=int(flows["year"].min()),
        n_products=int(flows["product"].nunique()),
        synthetic=synthetic,
        kind="SYNTHETIC" if synthetic else "trade",
        note="synthetic trade flows" if synthetic else None,
    )
    reading = (
        f"{len(flows):,} {result.kind} flows of {result.n_products} HS product(s) "
        f"({', '.join(params.hs_codes)}), {result.first_year}-{result.year}."
    )
    return Section(title, result=result, reading=reading, excluded=excluded)


def _without_flows(title: str, flows: Section, result: Any = None) -> Section:
    """A step that needs the trade flows when :func:`trade_flows` was not computed: it gives the same reason
    (e.g. the cluster's stated reason for having no trade flows)."""
    return Section(title, computed=False, reason=flows.reason, result=result)


@rests_on(*_FLOWS)
def value_rca(flows: Section, params: Any) -> Section:
    """Value-based Balassa RCA within the cluster's HS products, latest year; needs two products or more.

    With one product every exporter's RCA is 1 by construction, so the step is not computed.
    """
    title = "Value-based RCA within the cluster's products"
    r = flows.result
    if not flows.computed:
        return _without_flows(title, flows)
    if r.n_products < 2:
        return Section.not_computed(
            title,
            result=r,
            needs=f"two HS products or more in the trade flows (they hold {r.n_products} of the "
            f"cluster's HS codes {', '.join(params.hs_codes)}: a value-based RCA would be 1 for every exporter "
            "by construction; the quantity-based RCA is the measure of comparative advantage here)",
        )
    rca = shares.comparative_advantage(r.flows)
    own = rca[(rca["exporter"] == params.country_iso3) & (rca["year"] == r.year)]
    return Section(title, result=rca, table=own[["product", "value", "rca", "basis"]].reset_index(drop=True))


# ------------------------------------------------------------------------------------------ 4. destinations


@rests_on(*_FLOWS)
def destinations(flows: Section, params: Any) -> Section:
    """Destination structure in the latest year (:func:`agrocluster.exports.bilateral.destination_structure`).

    The table is the result's own ``summary()`` (exports, number of markets, HHI, largest market and its
    share); ``result`` is the :class:`~agrocluster.exports.bilateral.DestinationStructure`, ``None`` when
    not computed.
    """
    title = "Destinations"
    if not flows.computed:
        return _without_flows(title, flows)
    structure = bilateral.destination_structure(flows.result.flows, params.country_iso3, flows.result.year)
    reading = (
        f"In {structure.year} {params.country_iso3} exported to {structure.n_markets} markets (HHI "
        f"{structure.hhi:.3f}); the largest, {structure.top_market}, took "
        f"{100 * structure.top_market_share:.1f}%."
    )
    return Section(title, result=structure, table=structure.summary(), reading=reading)


def destinations_figure(destination: Section, params: Any) -> Any:
    """Shares of export value by destination in the latest year."""
    if not destination.computed:
        return None
    fig, ax = figures.new_figure(width=7.5, height=5.0)
    export_figures.destination_bars(
        ax,
        destination.result.table(),
        f"{params.country_iso3}: export destinations, {destination.result.year}",
    )
    return fig


@rests_on(*_FLOWS)
def growth(flows: Section, params: Any) -> Section:
    """New, lost and continuing markets from the first to the latest year of the flows.

    As :func:`agrocluster.exports.bilateral.growth_decomposition`; not computed with a single year or when
    the decomposition is undefined (e.g. no exports in the first year).
    """
    title = "Growth by new, lost and continuing markets"
    r = flows.result
    if not flows.computed:
        return _without_flows(title, flows)
    if r.year <= r.first_year:
        return Section.not_computed(title, needs="trade flows of the country in two years or more")
    try:
        decomposition = bilateral.growth_decomposition(r.flows, params.country_iso3, r.first_year, r.year)
    except EstimationError as err:
        return Section.not_computed(title, needs=f"exports in both years ({err})")
    reading = f"Exports changed by {100 * decomposition.growth_rate:.1f}% from {r.first_year} to {r.year}."
    return Section(title, result=decomposition, table=decomposition.table(), reading=reading)


# ---------------------------------------------------------------------------------------------- 5. gravity


@dataclass
class GravityStep:
    """A PPML gravity fit, its coefficient table with the planted true values, and the RTA coefficient."""

    fit: Any = None
    data: pd.DataFrame | None = None
    coefficients: pd.DataFrame | None = None
    true_values: dict[str, float] = field(default_factory=dict)
    rta: float | None = None
    rta_se: float | None = None
    note: str | None = None


def true_gravity(data: Any) -> dict[str, float]:
    """The gravity coefficients planted in SYNTHETIC trade flows (empty for real flows)."""
    trade = data.truth.get("trade", {}) if data.is_synthetic("trade_flows") else {}
    planted = {
        "ln_distance": trade.get("beta_ln_distance"),
        "contiguity": trade.get("beta_contiguity"),
        "rta": trade.get("beta_rta"),
    }
    return {term: value for term, value in planted.items() if value is not None}


def regressors_available(formula: str, frame: pd.DataFrame) -> tuple[str | None, list[str]]:
    """The gravity formula without the regressor terms whose columns ``frame`` lacks (absent, or empty on
    every row), and the contract columns those terms need (``ln_distance`` needs ``distance``).

    The formula is returned unchanged when every column is there; None when no regressor term would remain.
    A trade download (Comtrade, BACI) has no trade-agreement column: ``rta`` is then dropped from the default
    formula rather than the whole gravity section.
    """
    from agrocluster.formulas import parse_formula, without_columns

    parsed = parse_formula(formula, where="exports.gravity_formula")
    absent = [c for c in parsed.regressor_columns if c not in frame.columns or not frame[c].notna().any()]
    needs = list(dict.fromkeys("distance" if c == "ln_distance" else c for c in absent))
    if not absent:
        return parsed.text, []
    reduced = without_columns(parsed, set(absent))
    return (reduced.text if reduced is not None else None), needs


@rests_on(*_FLOWS)
def gravity(flows: Section, data: Any, formula: str, fe_by_product: bool = True) -> Section:
    """PPML structural gravity with exporter-year and importer-year fixed effects, SEs clustered by pair.

    As Stata ``ppmlhdfe`` (:func:`agrocluster.exports.gravity_model.gravity`). With several HS products and
    ``fe_by_product`` the fixed effects are built per product. Excluded flows (all-zero groups,
    singletons, separation) are counted. Regressor terms whose columns the flows lack are left out of the
    formula (:func:`regressors_available`) and a note names the columns that would restore them; with no
    regressor left the section is not computed. ``result.rta`` is the coefficient on ``rta`` (``None`` when
    the formula has no ``rta`` term, the flows have no ``rta`` column, or the model could not be estimated).
    """
    title = "Gravity (PPML)"
    if not flows.computed:
        return _without_flows(title, flows, GravityStep())
    prepared = gravity_model.prepare_gravity_data(flows.result.flows, product="product")
    if fe_by_product and flows.result.n_products > 1:
        prepared = prepared.assign(
            exp_year=prepared["exp_year"] + "_" + prepared["product"],
            imp_year=prepared["imp_year"] + "_" + prepared["product"],
        )
    estimable, needs = regressors_available(formula, prepared)
    notes = []
    if needs:
        what = (f"the terms of {', '.join(needs)} are left out of the gravity formula ({estimable})"
                if estimable else "no regressor of the gravity formula is left")
        notes.append(f"Gravity: {what}: the trade_flows table needs the column(s) {', '.join(needs)} (see "
                     "`agrocluster data contract trade_flows`), or write exports.gravity_formula without them.")
    if estimable is None:
        return Section.not_computed(title, needs=f"the trade_flows column(s) {', '.join(needs)}", result=GravityStep(),
                                    notes=notes)
    try:
        fit = gravity_model.gravity(prepared, estimable)
    except (EstimationError, DataContractError) as err:  # e.g. one exporter, or trade columns the formula needs
        return Section.not_computed(
            title, needs=f"a gravity sample PPML can estimate ({err})", result=GravityStep(), notes=notes
        )
    truth = true_gravity(data)
    coefficients = fit.table()
    if truth:
        coefficients["true_value"] = coefficients["term"].map(truth)
    note = f"synthetic trade flows, true value {truth.get('rta')}" if flows.result.synthetic else None
    step = GravityStep(fit=fit, data=prepared, coefficients=coefficients, true_values=truth, note=note)
    if "rta" in fit.coef.index:
        step.rta, step.rta_se = float(fit.coef["rta"]), float(fit.se["rta"])
        reading = (
            f"A regional trade agreement raises trade by {100 * (math.exp(step.rta) - 1):.0f}% "
            f"(coefficient {step.rta:.3f}, SE {step.rta_se:.3f}); {fit.nobs:,} flows, SEs {fit.vcov}."
        )
    else:
        notes.append("The gravity formula has no 'rta' term: rta_effect is not recorded."
                     if "rta" not in needs else "Without an rta column rta_effect is not recorded.")
        reading = f"{fit.nobs:,} flows, SEs {fit.vcov}; formula {estimable}."
    section = Section(
        title,
        result=step,
        table=coefficients,
        reading=reading,
        notes=notes,
        excluded=excluded_rows("trade_flows", fit.excluded, "gravity: "),
    )
    return annotate(section, "ppml")


def gravity_figure(grav: Section) -> Any:
    """Gravity coefficients with 95% intervals and, for synthetic flows, the planted true values."""
    if not grav.computed:
        return None
    fig, ax = figures.new_figure(width=7.5, height=3.6)
    export_figures.coefficient_plot(
        ax, grav.result.coefficients, "Gravity coefficients (PPML)", truth=grav.result.true_values or None
    )
    return fig


@rests_on(*_FLOWS)
def gravity_exclusions(grav: Section) -> Section:
    """The flows left out of the gravity estimate and why (shown; counted by :func:`gravity`)."""
    if not grav.computed:
        return Section.not_computed("Flows left out of the gravity estimate", needs="a gravity estimate")
    return Section("Flows left out of the gravity estimate", table=grav.result.fit.excluded)


@rests_on(*_FLOWS)
def gravity_by_product(grav: Section, flows: Section, formula: str) -> Section:
    """The gravity model product by product (:func:`agrocluster.exports.gravity_model.gravity_by_sector`).

    Needs two HS products or more; products where PPML fails are noted, not dropped silently.
    """
    title = "Gravity product by product"
    if not grav.computed or flows.result.n_products < 2:
        return Section.not_computed(title, needs="a gravity estimate on two HS products or more")
    estimable, _ = regressors_available(formula, grav.result.data)
    by_product = gravity_model.gravity_by_sector(grav.result.data, estimable, by="product", on_error="record")
    notes = [
        f"Gravity for HS {s} not estimated: {r}"
        for s, r in zip(by_product.failed["sector"], by_product.failed["reason"], strict=True)
    ]
    table = by_product.table()[["product", "nobs", "term", "estimate", "std_error", "p_value"]]
    return annotate(Section(title, result=by_product, table=table, notes=notes), "ppml")


def gravity_by_product_figure(by_product: Section, grav: Section) -> Any:
    """Coefficients product by product with 95% intervals."""
    if not by_product.computed:
        return None
    fig, ax = figures.new_figure(width=7.5, height=4.0)
    export_figures.coefficient_plot(
        ax,
        by_product.result.table(),
        "Gravity product by product",
        by="product",
        truth=grav.result.true_values or None,
    )
    return fig


# ----------------------------------------------------------------------------------------------- 8. risk


@dataclass
class RiskStep:
    """Export risk and the stress scenario (fields ``None`` when not computed)."""

    risk: Any = None
    stress: Any = None


EMPLOYMENT_BASIS = {
    "establishments": "member firms' labour and export shares in the firm data",
    "coefficient": "a jobs-per-export coefficient",
    "none": "not estimated (no usable firm data)",
}


@rests_on("trade_flows", "establishments")
def export_risk(flows: Section, premium: Section, params: Any, drop: float) -> Section:
    """Dependence on the largest market and product, and a fall of the largest market's imports by ``drop``.

    As :func:`agrocluster.exports.bilateral.export_risk` and
    :func:`~agrocluster.exports.bilateral.stress_scenario`
    (first order, no diversion). Jobs at risk use the member firms of the latest trade year when the firm
    data carry labour, output and exports in that year; otherwise they are not estimated, and the reading
    says so. The table is the two results' own ``summary()``.
    """
    title = "Export risk and stress scenario"
    if not flows.computed:
        return _without_flows(title, flows, RiskStep())
    iso, year = params.country_iso3, flows.result.year
    firms_table = premium.result.establishments
    usable = (
        firms_table is not None
        and STRESS_COLUMNS <= set(firms_table.columns)
        and year in set(firms_table["year"])
    )
    risk = bilateral.export_risk(flows.result.flows, iso, year, drop=drop)
    stress = bilateral.stress_scenario(
        flows.result.flows, iso, year, drop=drop, establishments=firms_table if usable else None
    )
    summary = pd.concat([risk.summary(), stress.summary()], ignore_index=True).drop_duplicates("indicator")
    reading = (
        f"Jobs at risk: {EMPLOYMENT_BASIS[stress.employment_basis]}. Assumptions: "
        f"{'; '.join(stress.assumptions)}."
        + (
            ""
            if usable
            else f" No firm data with exports and labour in {year}: jobs at risk are not estimated."
        )
    )
    return Section(
        title,
        result=RiskStep(risk=risk, stress=stress),
        table=summary,
        reading=reading,
        excluded=excluded_rows("establishments", stress.excluded, "stress scenario: "),
    )


def stress_figure(risk: Section) -> Any:
    """Exports before, lost in the hit market, and after the stress scenario."""
    if not risk.computed:
        return None
    s = risk.result.stress
    fig, ax = figures.new_figure(width=6.5, height=4.0)
    export_figures.stress_bars(
        ax,
        s.exports_before,
        s.export_loss,
        s.exports_after,
        s.market,
        s.drop,
        f"Stress: {s.market} imports fall {100 * s.drop:.0f}%",
    )
    return fig


# ------------------------------------------------------------------------------------ unit values vs cited


def unit_values_vs_cited(flows: Section, data: Any, params: Any) -> Section:
    """The country's export unit values in the trade flows, year by year, beside the cited unit value that
    the synthetic flows were drawn around (``synthetic.trade_unit_value`` with ``trade_unit_value_source``).

    Unit value = value / quantity of the country's exports of the cluster's HS products in the year
    (thousand USD per tonne = USD per kg). The table also sets the flows' export quantity beside FAOSTAT's
    (the calibration target). Not computed for real flows (there is nothing planted to compare) or without
    flows.
    """
    from agrocluster.data import sources
    from agrocluster.data.cluster import synthetic_spec

    title = "Export unit values against the cited figure"
    if not flows.computed:
        return _without_flows(title, flows)
    if not flows.result.synthetic:
        return Section.not_computed(title, needs="synthetic trade flows drawn around a cited unit value (these "
                                                 "flows are not synthetic: their unit values are the data)")
    spec = synthetic_spec(params)
    own = flows.result.flows[flows.result.flows["exporter"] == params.country_iso3]
    table = own.groupby("year", as_index=False).agg(exports_t=("quantity", "sum"), exports_kusd=("value", "sum"))
    table["unit_value_usd_per_kg"] = table["exports_kusd"] / table["exports_t"]
    table["cited_usd_per_kg"] = spec.trade_unit_value
    table["ratio_to_cited"] = table["unit_value_usd_per_kg"] / spec.trade_unit_value
    faostat = sources.faostat_food_balances(countries=params.country_iso3, items=params.faostat_item_code)
    table["faostat_exports_t"] = table["year"].map(faostat.set_index("year")["exports"] * 1000.0)
    table["quantity_ratio_to_faostat"] = table["exports_t"] / table["faostat_exports_t"]
    source = spec.trade_unit_value_source or "no source given (synthetic.trade_unit_value_source)"
    markets = (f" Main markets and their cited shares of the export quantity: "
               f"{', '.join(f'{m} {100 * s:.1f}%' for m, s in zip(spec.trade_destinations, spec.trade_destination_shares))}"
               f" ({spec.trade_destinations_source or 'no source given'})." if spec.trade_destinations else "")
    worst = float((table["quantity_ratio_to_faostat"] - 1).abs().max())
    reading = (f"The synthetic unit values scatter around the cited US${spec.trade_unit_value:.2f}/kg ({source}): "
               f"{table['unit_value_usd_per_kg'].min():.2f} to {table['unit_value_usd_per_kg'].max():.2f} USD/kg. "
               f"Their export quantities match FAOSTAT's each year (largest gap {100 * worst:.2f}%).{markets}")
    return Section(title, result=table, table=table, reading=reading, inputs=("trade_flows", "country_product"))


# ------------------------------------------------------------------------------------ firm exports vs flows


@rests_on("establishments", "trade_flows")
def firm_exports_vs_flows(flows: Section, data: Any, params: Any) -> Section:
    """The cluster sector's firm exports, year by year, beside the country's export value in the trade flows.

    ``firm_exports_kusd`` = exports of the establishments of sector ``params.cluster_sector`` summed by year
    (:func:`agrocluster.data.synthetic_output.sector_exports`); ``flows_exports_kusd`` = the country's exports
    of the cluster's HS products in the flows (:func:`agrocluster.data.synthetic_output.flows_export_value`);
    ``share_of_flows`` their ratio. When the establishments are synthetic and ``synthetic.export_share`` is set,
    their exports were scaled to that share each year (:func:`agrocluster.data.synthetic_output.calibrate_exports`)
    and ``ratio_to_stated_share`` checks it. Not computed without flows or establishments with ``sector`` and
    ``exports``.
    """
    from agrocluster.data.cluster import synthetic_spec
    from agrocluster.data.synthetic_output import flows_export_value, sector_exports

    title = "Firm exports of the cluster sector against the trade flows"
    if not flows.computed:
        return _without_flows(title, flows)
    if not data.has("establishments"):
        return Section(title=title, computed=False,
                       reason=data.absent_reason("establishments", "an establishments table with exports"))
    establishments = data["establishments"]
    missing = sorted({"sector", "exports"} - set(establishments.columns))
    if missing:
        return Section.not_computed(title, needs=f"the column(s) {', '.join(missing)} in the establishments table "
                                                 f"({data.info['establishments'].origin})")
    firms_x = sector_exports(establishments, params.cluster_sector)
    value = flows_export_value(flows.result.flows, params.country_iso3, params.hs_codes)
    table = pd.DataFrame({"year": firms_x.index.astype(int), "firm_exports_kusd": firms_x.to_numpy()})
    table["flows_exports_kusd"] = table["year"].map(value)
    table["share_of_flows"] = table["firm_exports_kusd"] / table["flows_exports_kusd"]
    synthetic = data.is_synthetic("establishments")
    spec = synthetic_spec(params) if synthetic else None
    stated = spec.export_share if spec is not None else None
    kind = "synthetic" if synthetic else "reported"
    flows_kind = "synthetic" if flows.result.synthetic else "real"
    reading = (f"The {kind} plants of sector {params.cluster_sector} export {100 * table['share_of_flows'].min():.1f}% "
               f"to {100 * table['share_of_flows'].max():.1f}% of {params.country_iso3}'s exports of "
               f"{params.product} in the {flows_kind} trade flows, year by year.")
    calibration = (data.truth.get("firm_exports") or {}).get("calibration") if synthetic else None
    if stated is not None:
        table["stated_share"] = stated
        table["ratio_to_stated_share"] = table["share_of_flows"] / stated
        worst = float((table["ratio_to_stated_share"] - 1).abs().max())
        if calibration is not None and not calibration.get("applied", True):
            reading += (f" They were NOT scaled to the stated share of {100 * stated:g}%: {calibration['reason']} "
                        f"(largest gap {100 * worst:.1f}%).")
        else:
            reading += (f" Their exports were scaled each year to the stated share of {100 * stated:g}% "
                        f"({spec.export_share_source or 'no source given'}); largest gap {100 * worst:.2f}%.")
    elif synthetic:
        reading += " No share is stated (synthetic.export_share), so the firms' exports are not calibrated to the flows."
    return Section(title, result=table, table=table, reading=reading)
