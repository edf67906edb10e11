"""Workbook 04 (export links): what the data allow, which specification, and the reading of each step.

Every public function returns an :class:`agrocluster.sections.Section` whose ``result`` is always a small
dataclass of this module (its fields are ``None`` when the step was not computed), so a notebook cell
reads one value without testing whether the step ran. The ``*_figure`` functions draw a step with the
helpers of :mod:`agrocluster.figures.exports` and return ``None`` for a step that was not computed
(:meth:`agrocluster.record.Recorder.figure` then shows nothing).

Data: the cluster's ``country_product`` (FAOSTAT food balances, thousand tonnes), ``trade_flows``,
``establishments`` and ``firm_links`` (see :mod:`agrocluster.data.cluster`). Estimators:
:mod:`agrocluster.exports` and :mod:`agrocluster.linkages`.

Parameters shared by the functions below
----------------------------------------
data : agrocluster.data.cluster.ClusterData
    The cluster's validated tables, with provenance and, for synthetic tables, the generator's truth.
params : agrocluster.params.ClusterParams
    The cluster's parameters; the options used are ``country_iso3``, ``product``, ``faostat_item_code``,
    ``hs_codes``, ``seed`` and ``exports.*`` (base year, trend years, competitors, gravity formula, pivots).
market, rca, flows, grav, premium, network, … : Section
    Earlier steps of the workbook whose results a later step builds on; when such a step was not
    computed, the later one is not computed either and says what it needs.

Examples
--------
>>> market = world_market(data, params)                                  # doctest: +SKIP
>>> rec.section("country-profile", market, "Quantities and shares")      # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from agrocluster import figures, linkages, tables
from agrocluster.data import sources
from agrocluster.errors import EstimationError
from agrocluster.exports import bilateral, firms, gravity_model, product_space, shares
from agrocluster.figures import exports as export_figures
from agrocluster.sections import Section

__all__ = [
    "ClusterFlows",
    "ExportPremiumStep",
    "FirmNetwork",
    "GravityStep",
    "ProductSpacePosition",
    "QuantityRCA",
    "RiskStep",
    "WorldMarket",
    "competitors",
    "data_used",
    "destinations",
    "destinations_figure",
    "export_premium",
    "export_rates",
    "export_risk",
    "firm_network",
    "gravity",
    "gravity_by_product",
    "gravity_exclusions",
    "gravity_figure",
    "growth",
    "headline_table",
    "inside_share_check",
    "load_exclusions",
    "market_trends_figure",
    "network_brokers",
    "network_figure",
    "network_summary",
    "product_space_figure",
    "product_space_position",
    "quantity_rca",
    "rca_figure",
    "stress_figure",
    "trade_flows",
    "value_rca",
    "world_check",
    "world_market",
]

FIRM_COLUMNS = frozenset({"cluster_member", "exports", "sector", "output"})
STRESS_COLUMNS = frozenset({"labour", "output", "exports"})
METHODOLOGY_OVERLAP_END = 2013  # FAOSTAT food balances: old methodology to 2013, new from 2010
PROFILE_LABELS = {
    "production": "production (kt)",
    "exports": "exports (kt)",
    "imports": "imports (kt)",
    "export_share": "share of world exports (%)",
    "production_share": "share of world production (%)",
    "export_orientation": "exports / production",
    "import_dependence": "imports / domestic supply",
}


def _excluded(
    table: str, rows: pd.DataFrame, prefix: str, count: str = "n_rows"
) -> list[tuple[str, str, int]]:
    """Exclusion rows ``(table, prefix + reason, rows)`` from an estimator's ``reason, n_rows`` frame."""
    return [
        (table, f"{prefix}{reason}", int(n)) for reason, n in zip(rows["reason"], rows[count], strict=True)
    ]


# ------------------------------------------------------------------------------------------- 1. the data


def data_used(data: Any) -> Section:
    """The tables this workbook reads, real or synthetic, and a note on which results are synthetic."""
    synthetic = [t for t in ("trade_flows", "establishments", "firm_links") if data.is_synthetic(t)]
    notes = (
        [
            (
                f"{', '.join(synthetic)} are SYNTHETIC (generated with known truth): destinations, gravity, "
                "firm-level exports, the firm network and the stress scenario demonstrate the methods and "
                "are not findings about the real cluster. The FAOSTAT country series (shares, orientation, "
                "RCA) are real."
            )
        ]
        if synthetic
        else []
    )
    return Section(
        "Tables used", table=data.inventory()[["table", "kind", "origin", "rows", "years"]], notes=notes
    )


def load_exclusions(data: Any) -> Section:
    """Rows the data layer excluded at load, by documented rules (recorded as excluded rows)."""
    excluded = data.excluded_table()
    rows = [
        (t, r, int(n))
        for t, r, n in zip(excluded["table"], excluded["reason"], excluded["n_rows"], strict=True)
    ]
    return Section("Rows excluded at load", table=excluded, excluded=rows)


# -------------------------------------------------------------------- 2. world market share, orientation


@dataclass
class WorldMarket:
    """The country's FAOSTAT series of the cluster's item (fields ``None`` when there is none).

    ``export_share`` (percent) and ``share_change`` (percentage points, ``base`` to ``latest``) and
    ``orientation`` (exports / production) in ``latest`` are the workbook's headline numbers.
    """

    item: str
    countries: set[str]
    item_rows: pd.DataFrame
    shares: pd.DataFrame | None = None
    orientation_series: pd.DataFrame | None = None
    latest: int | None = None
    base: int | None = None
    first_trend: int | None = None
    export_share: float | None = None
    share_change: float | None = None
    orientation: float | None = None


def world_market(data: Any, params: Any) -> Section:
    """Share of world exports, export orientation and the country profile of the cluster's FAOSTAT item.

    World totals are sums over countries only (the data layer drops FAOSTAT's aggregates), as
    :func:`agrocluster.exports.shares.world_market_share`; rows with a missing export or production
    figure are left out of the world totals and counted. The change in share runs from
    ``params.exports.base_year`` (default: ten years before the latest year with an export figure) to the
    latest year; a window that starts inside FAOSTAT's 2010–2013 methodology overlap gets a note.
    """
    food_balances = data["country_product"]
    iso, product, item = params.country_iso3, params.product, str(params.faostat_item_code)
    countries = set(food_balances["country"].unique())
    item_rows = food_balances[food_balances["item"] == item]
    excluded = [
        (
            "country_product",
            f"{product}: {column} missing (left out of world {column} totals)",
            int(item_rows[column].isna().sum()),
        )
        for column in ("exports", "production")
    ]
    result = WorldMarket(item=item, countries=countries, item_rows=item_rows)
    share_table = shares.world_market_share(item_rows, known_codes=countries, missing="exclude")
    own = share_table[share_table["country"] == iso].dropna(subset=["export_share"])
    title = "World market share and export orientation"
    if own.empty:
        return Section.not_computed(
            title,
            needs=f"an export quantity of {product} (FAOSTAT item {item}) for {iso}",
            result=result,
            excluded=excluded,
            notes=[
                (
                    f"FAOSTAT has no export figure of item {item} ({product}) for {iso}: sections 2 "
                    "and 3 are skipped."
                )
            ],
        )
    orientation = shares.export_orientation(item_rows, known_codes=countries, missing="exclude")
    latest = int(own["year"].max())
    base = params.exports.base_year or latest - 10
    first_trend = latest - params.exports.trend_years + 1
    by_year = own.set_index("year")["export_share"]
    change = by_year[latest] - by_year[base] if base in by_year.index else float("nan")
    own_orientation = orientation[(orientation["country"] == iso) & (orientation["year"] == latest)]
    result.shares, result.orientation_series = share_table, orientation
    result.latest, result.base, result.first_trend = latest, base, first_trend
    result.export_share = 100 * float(by_year[latest])
    result.share_change = 100 * float(change)
    result.orientation = float(own_orientation["export_orientation"].iloc[0])
    profile = shares.country_profile(
        item_rows, iso, years=[base, latest], known_codes=countries, missing="exclude"
    )
    profile = profile.drop(columns="item").assign(
        year=profile["year"].astype("string"),
        export_share=100 * profile["export_share"],
        production_share=100 * profile["production_share"],
        **{c: profile[c].round().astype("Int64") for c in ("production", "exports", "imports")},
    )
    window_note = "" if base in by_year.index else f" (no export figure for {iso} in {base})"
    notes = (
        [
            (
                f"The {base}-{latest} change in world export share starts inside the 2010-2013 overlap of "
                "FAOSTAT's old and new food-balance methodologies: part of it may be methodological."
            )
        ]
        if base <= METHODOLOGY_OVERLAP_END < latest
        else []
    )
    reading = (
        f"Latest FAOSTAT year with exports of {product} for {iso}: {latest}. Changes are measured from "
        f"{base}{window_note}; trend figures start in {first_trend}. {iso} had {result.export_share:.3g}% of "
        f"world exports in {latest} ({result.share_change:+.3g} pp since {base}) and exported "
        f"{result.orientation:.3g} times its production."
    )
    return Section(
        title,
        result=result,
        table=profile.rename(columns=PROFILE_LABELS),
        reading=reading,
        notes=notes,
        excluded=excluded,
    )


def market_trends_figure(market: Section, params: Any) -> Any:
    """Share of world exports and production (left) and exports / production (right) since the trend start."""
    if not market.computed:
        return None
    r, iso = market.result, params.country_iso3
    own_shares = r.shares[(r.shares["country"] == iso)].dropna(subset=["export_share"])
    orientation = r.orientation_series
    fig, axes = figures.new_figure(width=12, height=4.2, ncols=2)
    export_figures.market_trends(
        axes,
        own_shares[own_shares["year"] >= r.first_trend],
        orientation[(orientation["country"] == iso) & (orientation["year"] >= r.first_trend)],
        iso,
        params.product,
    )
    return fig


def world_check(market: Section) -> Section:
    """World exports summed over countries against FAOSTAT's own World row, in the base and latest years."""
    title = "World totals check"
    if not market.computed:
        return Section.not_computed(title, needs="the country's FAOSTAT export series", result=market.result)
    r = market.result
    world_row = sources.world_totals(r.item).set_index("year")["exports"]
    check = r.shares.drop_duplicates("year")[["year", "world_exports"]]
    check = check[check["year"].isin([r.base, r.latest])].assign(
        faostat_world_row=lambda d: d["year"].map(world_row)
    )
    gap = (check["world_exports"] - check["faostat_world_row"]).abs().max()
    table = check.astype({"year": "string"}).rename(
        columns={"world_exports": "sum over countries (kt)", "faostat_world_row": "FAOSTAT World row (kt)"}
    )
    return Section(
        title,
        result=r,
        table=table.reset_index(drop=True),
        reading=f"The largest gap between the two is {gap:,.1f} thousand tonnes.",
    )


def competitors(data: Any, params: Any, market: Section) -> Section:
    """The largest exporters of the item in the latest year (``exports.n_competitors``), plus the country.

    Shares in percent, their change since the base year in percentage points and compound annual growth
    of exports, as :func:`agrocluster.exports.shares.competitor_table`.
    """
    title = "Competitors"
    if not market.computed:
        return Section.not_computed(title, needs="the country's FAOSTAT export series", result=market.result)
    r, iso = market.result, params.country_iso3
    reported = r.item_rows.dropna(subset=["exports"])
    ranked_table = shares.competitor_table(
        reported,
        r.item,
        end_year=r.latest,
        start_year=r.base,
        top=len(r.countries),
        exporter="country",
        product="item",
        value="exports",
        known_codes=r.countries,
    )
    ranked = ranked_table.table()
    shown = ranked.head(params.exports.n_competitors)
    shown = ranked[ranked.index.isin(shown.index) | (ranked["exporter"] == iso)]
    names = data["country_product"].drop_duplicates("country", keep="last").set_index("country")["area_name"]
    shown = shown.assign(
        country=shown["exporter"].map(names),
        share=100 * shown["share"],
        exports=shown["exports"].round().astype("Int64"),
        share_change=100 * shown["share_change"],
        cagr=100 * shown["cagr"],
    )[["rank", "exporter", "country", "exports", "share", "share_change", "cagr", "new_exporter"]]
    table = shown.rename(
        columns={
            "exports": f"exports {r.latest} (kt)",
            "share": "share of world (%)",
            "share_change": f"change since {r.base} (pp)",
            "cagr": "growth per year (%)",
        }
    )
    reading = (
        f"{ranked_table.n_exporters} countries exported {params.product} in {r.latest}; world exports grew "
        f"{100 * ranked_table.world_cagr:.1f}% a year since {r.base}."
    )
    return Section(title, result=ranked_table, table=table, reading=reading)


# ------------------------------------------------------------------- 3. comparative advantage, product space


@dataclass
class QuantityRCA:
    """Quantity-based Balassa RCA over the FAOSTAT food basket (fields ``None`` when not computed)."""

    usable: pd.DataFrame | None = None
    own: pd.DataFrame | None = None
    latest: int | None = None
    rca: float | None = None


def quantity_rca(data: Any, params: Any, market: Section) -> Section:
    """Balassa RCA of the country in the cluster's item on FAOSTAT export tonnes over the food basket.

    ``RCA_cp = (x_cp / x_c) / (x_p / x)`` within each year from the trend start to the latest year, as
    :func:`agrocluster.exports.shares.comparative_advantage` with ``basis="quantity"``. Country-years
    without exports and items nobody exports have no defined RCA: they are left out and counted
    (:func:`agrocluster.exports.shares.rca_sample`). Not computed when the item is a FAOSTAT group total.
    """
    title = "Quantity-based RCA"
    result = QuantityRCA()
    r = market.result
    if not market.computed:
        return Section.not_computed(
            title, needs="a FAOSTAT export series of the cluster's item", result=result
        )
    basket_items = set(sources.faostat_basket_items())
    if r.item not in basket_items:
        return Section.not_computed(
            title, needs=f"an item of the FAOSTAT food basket (item {r.item} is a group total)", result=result
        )
    food_balances = data["country_product"]
    basket = food_balances[
        food_balances["item"].isin(basket_items) & food_balances["year"].between(r.first_trend, r.latest)
    ]
    usable, dropped = shares.rca_sample(
        basket, exporter="country", product="item", year="year", value="exports"
    )
    rca = shares.comparative_advantage(
        usable, "country", "item", "exports", "year", basis="quantity", known_codes=r.countries
    )
    own = rca[(rca["country"] == params.country_iso3) & (rca["item"] == r.item)]
    excluded = _excluded("country_product", dropped, f"quantity RCA basket {r.first_trend}-{r.latest}: ")
    if r.latest not in set(own["year"]):
        return Section.not_computed(
            title, needs=f"an RCA of {params.country_iso3} in {r.latest}", result=result, excluded=excluded
        )
    result.usable, result.own, result.latest = usable, own, r.latest
    result.rca = float(own.set_index("year").loc[r.latest, "rca"])
    side, relation = ("above", "more") if result.rca > 1 else ("below", "less")
    reading = (
        f"{len(usable):,} rows of {len(basket_items)} food items used ({r.first_trend}-{r.latest}). The RCA "
        f"of {params.country_iso3} in {params.product} is {result.rca:.3g} in {r.latest}, {side} 1: the "
        f"country exports relatively {relation} of it than the world (tonnes)."
    )
    return Section(title, result=result, table=dropped, reading=reading, excluded=excluded)


def rca_figure(rca: Section, params: Any) -> Any:
    """The quantity-based RCA of the country in its item over the years (log scale)."""
    if not rca.computed:
        return None
    fig, ax = figures.new_figure()
    export_figures.rca_series(
        ax, rca.result.own, f"{params.country_iso3}: revealed comparative advantage in {params.product}"
    )
    return fig


@dataclass
class ProductSpacePosition:
    """The country's food items by relatedness density and PCI (fields ``None`` when not computed)."""

    own_items: pd.DataFrame | None = None
    item_name: str | None = None
    latest: int | None = None


def product_space_position(data: Any, params: Any, rca: Section) -> Section:
    """Complexity (PCI, ECI) and relatedness density over the food basket in tonnes, latest year.

    As Stata ``ecomplexity`` (:func:`agrocluster.exports.product_space.complexity` and
    :func:`~agrocluster.exports.product_space.relatedness_density`) on the RCA sample of
    :func:`quantity_rca`; ranks are within food, not the Atlas's economy-wide ECI and PCI.
    """
    title = "Position in the food product space"
    result = ProductSpacePosition()
    if not rca.computed:
        return Section.not_computed(title, needs="the quantity-based RCA", result=result)
    iso, item, latest = params.country_iso3, str(params.faostat_item_code), rca.result.latest
    basket = rca.result.usable[rca.result.usable["year"] == latest]
    try:
        space = product_space.complexity(basket, "country", "item", "exports", "year")
        density = product_space.relatedness_density(
            basket, "country", "item", "exports", "year", countries=[iso]
        )
    except EstimationError as err:
        return Section.not_computed(
            title, needs=f"a food basket on which complexity converges ({err})", result=result
        )
    item_names = data["country_product"].drop_duplicates("item").set_index("item")["item_name"]
    pci = space.drop_duplicates("item").set_index("item")["pci"]
    own_items = density.assign(pci=density["item"].map(pci), item_name=density["item"].map(item_names))
    own_items = own_items[own_items["country"] == iso]
    me = (
        space.drop_duplicates("country")
        .assign(eci_rank=lambda d: d["eci"].rank(ascending=False))
        .set_index("country")
        .loc[iso]
    )
    it = (
        space.drop_duplicates("item")
        .assign(pci_rank=lambda d: d["pci"].rank(ascending=False))
        .set_index("item")
        .loc[item]
    )
    position = own_items.set_index("item").loc[item]
    product = params.product
    rows = (
        ("countries in the food basket", space["country"].nunique()),
        ("items in the food basket", space["item"].nunique()),
        (f"{iso}: items exported with RCA > 1 (diversity)", int(me["diversity"])),
        (f"{iso}: food-basket ECI", float(me["eci"])),
        (f"{iso}: ECI rank (1 = most complex)", int(me["eci_rank"])),
        (f"{product}: countries exporting it with RCA > 1 (ubiquity)", int(it["ubiquity"])),
        (f"{product}: PCI", float(it["pci"])),
        (f"{product}: PCI rank (1 = most complex)", int(it["pci_rank"])),
        (f"{product}: relatedness density for {iso} (%)", float(position["relatedness_density"])),
        (f"{product}: density percentile among {iso}'s items", float(position["density_percentile"])),
    )
    table = pd.DataFrame(
        [(name, tables.format_number(value)) for name, value in rows], columns=["indicator", "value"]
    )
    result.own_items, result.item_name, result.latest = own_items, str(item_names[item]), latest
    reading = (
        f"{product} ranks {int(it['pci_rank'])} of {space['item'].nunique()} food items by complexity in "
        f"{latest}; its relatedness density for {iso} is at the "
        f"{float(position['density_percentile']):.0f}th percentile of {iso}'s items."
    )
    return Section(title, result=result, table=table, reading=reading)


def product_space_figure(space: Section, params: Any) -> Any:
    """Each food item by relatedness density (x) and complexity (y); the cluster's item as a star."""
    if not space.computed:
        return None
    r = space.result
    fig, ax = figures.new_figure(width=8.5, height=5.2)
    export_figures.product_space_position(
        ax, r.own_items, r.item_name, f"{params.country_iso3}: food products in {r.latest}"
    )
    return fig


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


def trade_flows(data: Any, params: Any) -> Section:
    """The trade flows of the cluster's HS codes (``params.hs_codes``); other products are counted out.

    Not computed when the cluster has no trade flows or the country has no positive flow in its products.
    """
    title = "Trade flows of the cluster's products"
    if not data.has("trade_flows"):
        return Section.not_computed(title, needs="a trade_flows table", result=ClusterFlows())
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


def value_rca(flows: Section, params: Any) -> Section:
    """Value-based Balassa RCA within the cluster's HS products, latest year; needs two products or more.

    With one product every exporter's RCA is 1 by construction, so the step is not computed.
    """
    title = "Value-based RCA within the cluster's products"
    r = flows.result
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


def destinations(flows: Section, params: Any) -> Section:
    """Destination structure in the latest year (:func:`agrocluster.exports.bilateral.destination_structure`).

    The table is the result's own ``summary()`` (exports, number of markets, HHI, largest market and its
    share); ``result`` is the :class:`~agrocluster.exports.bilateral.DestinationStructure`, ``None`` when
    not computed.
    """
    title = "Destinations"
    if not flows.computed:
        return Section.not_computed(title, needs="positive trade flows of the cluster's country")
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


def growth(flows: Section, params: Any) -> Section:
    """New, lost and continuing markets from the first to the latest year of the flows.

    As :func:`agrocluster.exports.bilateral.growth_decomposition`; not computed with a single year or when
    the decomposition is undefined (e.g. no exports in the first year).
    """
    title = "Growth by new, lost and continuing markets"
    r = flows.result
    if not flows.computed or r.year <= r.first_year:
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


def gravity(flows: Section, data: Any, formula: str, fe_by_product: bool = True) -> Section:
    """PPML structural gravity with exporter-year and importer-year fixed effects, SEs clustered by pair.

    As Stata ``ppmlhdfe`` (:func:`agrocluster.exports.gravity_model.gravity`). With several HS products and
    ``fe_by_product`` the fixed effects are built per product. Excluded flows (all-zero groups,
    singletons, separation) are counted. ``result.rta`` is the coefficient on ``rta`` (``None`` when the
    formula has no ``rta`` term or the model could not be estimated).
    """
    title = "Gravity (PPML)"
    if not flows.computed:
        return Section.not_computed(
            title, needs="positive trade flows of the cluster's country", result=GravityStep()
        )
    prepared = gravity_model.prepare_gravity_data(flows.result.flows, product="product")
    if fe_by_product and flows.result.n_products > 1:
        prepared = prepared.assign(
            exp_year=prepared["exp_year"] + "_" + prepared["product"],
            imp_year=prepared["imp_year"] + "_" + prepared["product"],
        )
    try:
        fit = gravity_model.gravity(prepared, formula)
    except EstimationError as err:
        return Section.not_computed(
            title, needs=f"a gravity sample PPML can estimate ({err})", result=GravityStep()
        )
    truth = true_gravity(data)
    coefficients = fit.table()
    if truth:
        coefficients["true_value"] = coefficients["term"].map(truth)
    note = f"synthetic trade flows, true value {truth.get('rta')}" if flows.result.synthetic else None
    step = GravityStep(fit=fit, data=prepared, coefficients=coefficients, true_values=truth, note=note)
    notes = []
    if "rta" in fit.coef.index:
        step.rta, step.rta_se = float(fit.coef["rta"]), float(fit.se["rta"])
        reading = (
            f"A regional trade agreement raises trade by {100 * (math.exp(step.rta) - 1):.0f}% "
            f"(coefficient {step.rta:.3f}, SE {step.rta_se:.3f}); {fit.nobs:,} flows, SEs {fit.vcov}."
        )
    else:
        notes.append("The gravity formula has no 'rta' term: rta_effect is not recorded.")
        reading = f"{fit.nobs:,} flows, SEs {fit.vcov}."
    return Section(
        title,
        result=step,
        table=coefficients,
        reading=reading,
        notes=notes,
        excluded=_excluded("trade_flows", fit.excluded, "gravity: "),
    )


def gravity_figure(grav: Section) -> Any:
    """Gravity coefficients with 95% intervals and, for synthetic flows, the planted true values."""
    if not grav.computed:
        return None
    fig, ax = figures.new_figure(width=7.5, height=3.6)
    export_figures.coefficient_plot(
        ax, grav.result.coefficients, "Gravity coefficients (PPML)", truth=grav.result.true_values or None
    )
    return fig


def gravity_exclusions(grav: Section) -> Section:
    """The flows left out of the gravity estimate and why (shown; counted by :func:`gravity`)."""
    if not grav.computed:
        return Section.not_computed("Flows left out of the gravity estimate", needs="a gravity estimate")
    return Section("Flows left out of the gravity estimate", table=grav.result.fit.excluded)


def gravity_by_product(grav: Section, flows: Section, formula: str) -> Section:
    """The gravity model product by product (:func:`agrocluster.exports.gravity_model.gravity_by_sector`).

    Needs two HS products or more; products where PPML fails are noted, not dropped silently.
    """
    title = "Gravity product by product"
    if not grav.computed or flows.result.n_products < 2:
        return Section.not_computed(title, needs="a gravity estimate on two HS products or more")
    by_product = gravity_model.gravity_by_sector(grav.result.data, formula, by="product", on_error="record")
    notes = [
        f"Gravity for HS {s} not estimated: {r}"
        for s, r in zip(by_product.failed["sector"], by_product.failed["reason"], strict=True)
    ]
    table = by_product.table()[["product", "nobs", "term", "estimate", "std_error", "p_value"]]
    return Section(title, result=by_product, table=table, notes=notes)


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


# ------------------------------------------------------------------------------------ 6. firm-level exports


@dataclass
class ExportPremiumStep:
    """The export premium of cluster members (fields ``None`` when not computed)."""

    premium: Any = None
    establishments: pd.DataFrame | None = None
    effect: float | None = None
    se: float | None = None
    note: str | None = None


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
    used = premium.excluded[premium.excluded["n_rows"] > 0]
    excluded = [
        ("establishments", f"export premium, {s}: {r}", int(n))
        for s, r, n in zip(used["step"], used["reason"], used["n_rows"], strict=True)
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
    note: str | None = None


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
    table = result.by_kind.table()[
        ["kind", "n_inside", "n_boundary", "n_outside", "inside_share_count", "inside_share_value"]
    ]
    reading = (
        f"{100 * result.inside_share:.0f}% of cluster members' links go to another member "
        f"({'most stay inside' if result.inside_share >= 0.5 else 'most go outside'} the cluster)."
    )
    return Section(title, result=result, table=table, reading=reading)


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


def network_summary(network: Section) -> Section:
    """Size, density and clustering of the network and of the members' subgraph (the metrics' summary)."""
    if not network.computed:
        return Section.not_computed("Network summary", needs="the firm network")
    return Section("Network summary", table=network.result.network.summary())


def network_brokers(network: Section, top: int = 10) -> Section:
    """The ``top`` firms that broker most across the cluster boundary (gatekeepers and representatives)."""
    if not network.computed:
        return Section.not_computed("Brokers", needs="the firm network")
    return Section("Brokers", table=network.result.network.brokers(top=top))


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
        return Section.not_computed(title, needs="the country's trade flows", result=RiskStep())
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
        excluded=_excluded("establishments", stress.excluded, "stress scenario: "),
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


# -------------------------------------------------------------------------------------------- summary


def headline_table(headlines: dict[str, dict[str, Any]]) -> Section:
    """The headline numbers a recorder holds (key, label, value, se, unit, note), as one table."""
    rows = [
        {
            "key": key,
            "label": h["label"],
            "value": h["value"],
            "se": h["se"],
            "unit": h["unit"],
            "note": h["note"] or "",
        }
        for key, h in headlines.items()
    ]
    return Section(
        "Headline numbers", table=pd.DataFrame(rows, columns=["key", "label", "value", "se", "unit", "note"])
    )
