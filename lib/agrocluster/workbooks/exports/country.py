"""Workbook 04, sections 1–3: the data, world market share and orientation, RCA and product space."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from agrocluster import figures, tables
from agrocluster.data import sources
from agrocluster.errors import EstimationError
from agrocluster.exports import product_space, shares
from agrocluster.figures import exports as export_figures
from agrocluster.sections import Section, rests_on
from agrocluster.workbooks.exports._common import excluded_rows

_FAO = ("country_product",)

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
        "Tables used", table=data.inventory()[["table", "kind", "origin", "rows", "years"]], notes=notes,
        inputs=tuple(data.tables),
    )


def load_exclusions(data: Any) -> Section:
    """Rows the data layer excluded at load, by documented rules (recorded as excluded rows)."""
    excluded = data.excluded_table()
    rows = [
        (t, r, int(n))
        for t, r, n in zip(excluded["table"], excluded["reason"], excluded["n_rows"], strict=True)
    ]
    return Section("Rows excluded at load", table=excluded, excluded=rows, inputs=tuple(data.tables))


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


@rests_on(*_FAO)
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


@rests_on(*_FAO)
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


@rests_on(*_FAO)
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


@rests_on(*_FAO)
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
    excluded = excluded_rows("country_product", dropped, f"quantity RCA basket {r.first_trend}-{r.latest}: ",
                             count="n_rows")
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


@rests_on(*_FAO)
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
