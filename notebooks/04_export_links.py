# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Export links: markets, competitiveness, gravity and value-chain links
#
# **What this answers.** Clusters thrive when they reach high-value export markets and are exposed when
# they depend on one market or keep all their links at home. This workbook measures both: how large the
# country's share of world exports of the cluster's product is and where it is heading, whether the
# country has a revealed comparative advantage in it and how the product sits among what the country
# already exports, where exports go and how concentrated they are, what distance, borders and trade
# agreements do to trade flows (gravity), whether cluster members export more than other firms, whether
# the cluster's firms link mostly to each other or to the outside, and what a collapse of the largest
# market would cost.
#
# **Prerequisites.** Read the cluster overview (workbook 00) first: it lists which tables of this cluster
# are real and which are synthetic. The country-level series (sections 2 and 3) are real FAOSTAT food
# balances, in **quantities** (thousand tonnes). Trade flows, firm data and firm links of the demo
# clusters are **synthetic** (generated with known true parameters): their results demonstrate and
# check the methods and are not findings about the real cluster. Where the data are synthetic, the
# estimates are shown beside the true values.
#
# **How to read the numbers.** Shares in tables and figures are in percent, changes in percentage points
# (pp); the headline table at the end gives each recorded number with its unit. A revealed
# comparative advantage (RCA) above 1 means the country's share of world exports of the product is larger
# than its share of world exports overall. Gravity coefficients are PPML elasticities or semi-elasticities:
# a coefficient *b* on a dummy changes trade by 100 (e<sup>b</sup> − 1) percent.

# %% tags=["parameters"]
cluster_id = "chile_wine"
overrides = {}
output_dir = ""

# %%
import pandas as pd
from IPython.display import display

import agrocluster.params
from agrocluster import figures, linkages, record, tables
from agrocluster.data import sources
from agrocluster.data.cluster import load_cluster
from agrocluster.errors import DataContractError, EstimationError
from agrocluster.exports import firms, gravity_model, markets, product_space
from agrocluster.figures import exports as export_figures

params = agrocluster.params.load(cluster_id, overrides)
rec = record.Recorder(params, "04_export_links", output_dir)
figures.use_theme()

# %% [markdown]
# ## 1. The data this workbook uses
#
# Each table is loaded and validated against its contract. The *kind* column says whether it is real or
# synthetic. Rows that the data layer excluded by documented rules are listed below it.

# %%
data = load_cluster(params)
rec.add_inputs(data.provenance())
iso = params.country_iso3
product = params.product
synthetic_tables = [t for t in ("trade_flows", "establishments", "firm_links") if data.is_synthetic(t)]
if synthetic_tables:
    rec.note(
        f"{', '.join(synthetic_tables)} are SYNTHETIC (generated with known truth): destinations, gravity, "
        "firm-level exports, the firm network and the stress scenario demonstrate the methods and are not "
        "findings about the real cluster. The FAOSTAT country series (shares, orientation, RCA) are real."
    )
inventory = data.inventory()[["table", "kind", "origin", "rows", "years"]]
rec.table("data", inventory, "Tables used by this workbook, whether real or synthetic, and their size.")

# %%
excluded = data.excluded_table()
for row in excluded.itertuples():
    rec.add_excluded(row.table, row.reason, row.n_rows)
rec.table("excluded-at-load", excluded, "Rows excluded when the tables were loaded (documented rules).")

# %% [markdown]
# ## 2. World market share and export orientation (real FAOSTAT food balances)
#
# The share of world exports is the country's exports of the product divided by the sum over **countries
# only** (FAOSTAT's World, continental and economic-group rows, and its "China" aggregate, are left out, so
# nothing is counted twice). Quantities are in thousand tonnes, so the share is a share of tonnes, not of
# value. Many countries that re-export without producing have no production figure; their exports still
# count in the world total. Export orientation is exports divided by production: above 1 means
# re-exports or stock draw-downs. FAOSTAT changed its food-balance methodology in 2010 (dotted line).

# %%
food_balances = data["country_product"]
# countries only (the data layer drops FAOSTAT aggregates); includes dissolved states (SUN, YUG, ...)
countries = set(food_balances["country"].unique())
item = str(params.faostat_item_code)
item_rows = food_balances[food_balances["item"] == item]
shares = markets.world_market_share(item_rows, known_codes=countries, missing="exclude")
orientation = markets.export_orientation(item_rows, known_codes=countries, missing="exclude")
for column in ("exports", "production"):
    n_missing = int(item_rows[column].isna().sum())
    rec.add_excluded(
        "country_product", f"{product}: {column} missing (left out of world {column} totals)", n_missing
    )
own_shares = shares[(shares["country"] == iso)].dropna(subset=["export_share"])
has_series = len(own_shares) > 0
if has_series:
    latest = int(own_shares["year"].max())
    base = params.exports.base_year or latest - 10
    window_note = "" if base in set(own_shares["year"]) else f" (no export figure for {iso} in {base})"
    first_trend = latest - params.exports.trend_years + 1
    display(
        tables.callout(
            "Years",
            f"Latest FAOSTAT year with exports of {product} for {iso}: {latest}. Changes "
            f"are measured from {base}{window_note}; trend figures start in {first_trend}.",
        )
    )
else:
    latest = base = first_trend = None
    rec.note(
        f"FAOSTAT has no export figure of item {item} ({product}) for {iso}: sections 2 and 3 are skipped."
    )
    display(
        tables.callout(
            "Not computed",
            f"FAOSTAT food balances have no export quantity of {product} "
            f"(item {item}) for {iso}: world shares, orientation and RCA cannot be computed.",
        )
    )

# %%
if has_series:
    trend_shares = own_shares[own_shares["year"] >= first_trend]
    trend_orientation = orientation[(orientation["country"] == iso) & (orientation["year"] >= first_trend)]
    fig, axes = figures.new_figure(width=12, height=4.2, ncols=2)
    export_figures.market_trends(axes, trend_shares, trend_orientation, iso, product)
    display(
        rec.figure(
            "market-trends",
            fig,
            f"{iso}: share of world exports and of world production of {product} (left, percent of "
            "world tonnes, countries only) and exports divided by production (right). Real FAOSTAT "
            "food balances; the series joins the old and new methodologies at 2010.",
        )
    )

# %%
if has_series:
    profile = markets.country_profile(
        item_rows, iso, years=[base, latest], known_codes=countries, missing="exclude"
    )
    profile = profile.drop(columns="item").assign(
        year=profile["year"].astype("string"),
        export_share=100 * profile["export_share"],
        production_share=100 * profile["production_share"],
        **{c: profile[c].round().astype("Int64") for c in ("production", "exports", "imports")},
    )
    labels = {
        "production": "production (kt)",
        "exports": "exports (kt)",
        "imports": "imports (kt)",
        "export_share": "share of world exports (%)",
        "production_share": "share of world production (%)",
        "export_orientation": "exports / production",
        "import_dependence": "imports / domestic supply",
    }
    display(
        rec.table(
            "country-profile",
            profile.rename(columns=labels),
            f"{iso}, {product}: quantities (thousand tonnes, kt) and shares in {base} and {latest} "
            "(FAOSTAT food balances). A dash: not defined, e.g. imports / domestic supply when domestic "
            "supply is negative (stocks drawn down) or a quantity is missing.",
        )
    )

# %% [markdown]
# **A check on the world totals.** The sum over countries should reproduce FAOSTAT's own World row
# within rounding; a large gap would mean missing countries or double counting.

# %%
if has_series:
    world_row = sources.world_totals(item).set_index("year")["exports"]
    world_check = shares[shares["country"] == iso][["year", "world_exports"]].assign(
        faostat_world_row=lambda d: d["year"].map(world_row)
    )
    world_check = (
        world_check[world_check["year"].isin([base, latest])]
        .astype({"year": "string"})
        .rename(
            columns={
                "world_exports": "sum over countries (kt)",
                "faostat_world_row": "FAOSTAT World row (kt)",
            }
        )
    )
    display(
        rec.table(
            "world-check",
            world_check,
            f"World exports of {product}: sum over countries against the "
            "FAOSTAT World row (thousand tonnes).",
        )
    )

# %%
if has_series:
    latest_share = own_shares.set_index("year")["export_share"]
    share_change = (
        (latest_share.get(latest) - latest_share.get(base)) if base in latest_share.index else float("nan")
    )
    latest_orientation = orientation[(orientation["country"] == iso) & (orientation["year"] == latest)]
    if base <= 2013 < latest:
        rec.note(
            f"The {base}-{latest} change in world export share starts inside the 2010-2013 overlap of FAOSTAT's "
            "old and new food-balance methodologies: part of it may be methodological."
        )
    rec.headline(
        "world_export_share",
        100 * float(latest_share[latest]),
        unit="%",
        label=f"share of world exports of {product} in {latest} (FAOSTAT quantities)",
    )
    rec.headline(
        "world_export_share_change",
        100 * float(share_change),
        unit="pp",
        label=f"change in the share of world exports of {product}, {base}-{latest} (percentage points)",
    )
    rec.headline(
        "export_orientation",
        float(latest_orientation["export_orientation"].iloc[0]),
        unit="ratio",
        label=f"exports / production of {product} in {latest} (FAOSTAT quantities)",
    )

# %% [markdown]
# ### Competitors
#
# The largest exporters of the product in the latest year, their share of world exports and how fast
# their exports grew since the start of the window (compound annual growth). The cluster's country is
# added at the bottom when it is not among them.

# %%
if has_series:
    reported = item_rows.dropna(subset=["exports"])
    competitors = markets.competitor_table(
        reported,
        item,
        end_year=latest,
        start_year=base,
        top=len(countries),
        exporter="country",
        product="item",
        value="exports",
        known_codes=countries,
    )
    ranked = competitors.table()
    shown = ranked.head(params.exports.n_competitors)
    if iso not in set(shown["exporter"]):
        shown = ranked[ranked.index.isin(shown.index) | (ranked["exporter"] == iso)]
    names = food_balances.drop_duplicates("country", keep="last").set_index("country")["area_name"]
    shown = shown.assign(
        country=shown["exporter"].map(names),
        share=100 * shown["share"],
        exports=shown["exports"].round().astype("Int64"),
        share_change=100 * shown["share_change"],
        cagr=100 * shown["cagr"],
    )
    shown = shown[
        ["rank", "exporter", "country", "exports", "share", "share_change", "cagr", "new_exporter"]
    ].rename(
        columns={
            "exports": f"exports {latest} (kt)",
            "share": "share of world (%)",
            "share_change": f"change since {base} (pp)",
            "cagr": "growth per year (%)",
        }
    )
    display(
        rec.table(
            "competitors",
            shown,
            f"Top {params.exports.n_competitors} exporters of {product} in {latest} of "
            f"{competitors.n_exporters} (FAOSTAT quantities, thousand tonnes). World exports grew "
            f"{100 * competitors.world_cagr:.1f}% a year since {base}.",
        )
    )

# %% [markdown]
# ## 3. Comparative advantage and position in the product space
#
# **Quantity-based RCA (real FAOSTAT).** Balassa's index compares the product's share in the country's
# exports with its share in world exports. Trade values are not in the food balances, so it is computed
# on **tonnes** over the basket of FAOSTAT food items (group totals such as "Cereals" are left out so that
# nothing is counted twice). A tonne of wine and a tonne of wheat are not worth the same: read the level
# as indicative and the trend as the message. Country-years without any exports and items nobody
# exports are left out (they have no defined RCA) and counted.

# %%
basket_items = set(sources.faostat_basket_items())
has_rca = has_series and item in basket_items
if has_rca:
    basket = food_balances[
        food_balances["item"].isin(basket_items) & food_balances["year"].between(first_trend, latest)
    ]
    usable, rca_excluded = markets.rca_sample(
        basket, exporter="country", product="item", year="year", value="exports"
    )
    for row in rca_excluded.itertuples():
        rec.add_excluded(
            "country_product", f"quantity RCA basket {first_trend}-{latest}: {row.reason}", row.n_rows
        )
    rca = markets.comparative_advantage(
        usable,
        exporter="country",
        product="item",
        year="year",
        value=None,
        quantity="exports",
        known_codes=countries,
    )
    own_rca = rca[(rca["country"] == iso) & (rca["item"] == item)]
    has_rca = latest in set(own_rca["year"])
    display(
        rec.table(
            "rca-sample",
            rca_excluded,
            f"Food-balance rows left out of the quantity RCA "
            f"({len(basket_items)} items, {first_trend}-{latest}); {len(usable):,} rows used.",
        )
    )
else:
    reason = (
        "no FAOSTAT export series"
        if not has_series
        else f"item {item} is a FAOSTAT group total, not an item of the basket"
    )
    rec.note(f"Quantity-based RCA not computed: {reason}.")
    display(tables.callout("Not computed", f"The quantity-based RCA is not computed: {reason}."))

# %%
if has_rca:
    fig, ax = figures.new_figure()
    export_figures.rca_series(ax, own_rca, f"{iso}: revealed comparative advantage in {product}")
    rec.headline(
        "rca",
        float(own_rca.set_index("year").loc[latest, "rca"]),
        unit="index (1 = neutral)",
        label=f"Balassa RCA of {iso} in {product}, {latest}, quantity-based (FAOSTAT tonnes)",
    )
    display(
        rec.figure(
            "rca",
            fig,
            f"Quantity-based Balassa RCA of {iso} in {product} over the food-balance basket "
            "(log scale; above the dashed line the country exports relatively more of it than the "
            "world). Real FAOSTAT quantities.",
        )
    )

# %% [markdown]
# **Position in the product space (real FAOSTAT, quantity-based).** The Atlas of Economic Complexity
# measures complexity on trade values of about 1,200 HS products; those are not in this workbook's data.
# What the food balances allow is the same computation (Stata `ecomplexity` conventions) over the food
# basket in tonnes: a product's *complexity* (PCI) is high when few, diversified countries export it; its
# *relatedness density* for the country is the share of related products (often co-exported) that the
# country already exports with RCA > 1. A product with high density sits close to the country's
# capabilities. Read the ranks within food, not as the Atlas's economy-wide ECI and PCI.

# %%
if has_rca:
    latest_basket = usable[usable["year"] == latest]
    try:
        space = product_space.complexity(latest_basket, "country", "item", "exports", "year")
        density = product_space.relatedness_density(
            latest_basket, "country", "item", "exports", "year", countries=[iso]
        )
    except EstimationError as err:
        space = None
        rec.note(f"Product-space position not computed: {err}")
        display(tables.callout("Not computed", f"Complexity could not be computed on the food basket: {err}"))
    if space is not None:
        item_names = food_balances.drop_duplicates("item").set_index("item")["item_name"]
        pci = space.drop_duplicates("item").set_index("item")["pci"]
        own_items = density.assign(pci=density["item"].map(pci), item_name=density["item"].map(item_names))
        own_items = own_items[own_items["country"] == iso]
        fig, ax = figures.new_figure(width=8.5, height=5.2)
        export_figures.product_space_position(
            ax, own_items, item_names[item], f"{iso}: food products in {latest}"
        )
        display(
            rec.figure(
                "product-space",
                fig,
                f"Each dot is a FAOSTAT food item: how related it is to what {iso} already exports "
                f"(x) and how complex it is (y), {latest}, quantity-based. Filled dots: exported with "
                f"RCA > 1. The star is the cluster's product.",
            )
        )

# %%
if has_rca and space is not None:
    country_rows = space.drop_duplicates("country").assign(eci_rank=lambda d: d["eci"].rank(ascending=False))
    item_rows_space = space.drop_duplicates("item").assign(pci_rank=lambda d: d["pci"].rank(ascending=False))
    me = country_rows.set_index("country").loc[iso]
    it = item_rows_space.set_index("item").loc[item]
    position = own_items.set_index("item").loc[item]
    position_table = (
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
    position_table = [
        (name, tables.format_number(value)) for name, value in position_table
    ]  # ints and floats
    display(
        rec.table(
            "product-space-position",
            pd.DataFrame(position_table, columns=["indicator", "value"]),
            f"Position of {iso} and of {product} in the food product space, {latest} "
            "(quantity-based, FAOSTAT food balances).",
        )
    )

# %% [markdown]
# **Value-based RCA and complexity from trade flows.** Trade flows carry values, but only for the
# cluster's own HS products. A value-based RCA needs the country's exports of all other products: with one
# product every exporter's RCA is 1 by construction, and with a handful it compares the country's mix
# *within* the cluster's products only. Value-based complexity needs hundreds of products and is not
# computed here.

# %%
flows_all = data["trade_flows"] if data.has("trade_flows") else None
if flows_all is not None:
    flows = flows_all[flows_all["product"].isin(params.hs_codes)]
    rec.add_excluded("trade_flows", "product not among the cluster's HS codes", len(flows_all) - len(flows))
    has_flows = len(flows) > 0 and bool((flows.loc[flows["exporter"] == iso, "value"] > 0).any())
else:
    flows, has_flows = None, False
if not has_flows:
    rec.note(
        "No positive trade flows of the cluster's country in its HS products: sections 4, 5 and 7 are skipped."
    )
n_products = flows["product"].nunique() if has_flows else 0
if n_products >= 2:
    value_rca = markets.comparative_advantage(flows)
    trade_year = int(flows["year"].max())
    own_value_rca = value_rca[(value_rca["exporter"] == iso) & (value_rca["year"] == trade_year)]
    display(
        rec.table(
            "value-rca",
            own_value_rca[["product", "value", "rca", "basis"]],
            f"Value-based RCA of {iso} within the cluster's {n_products} HS products, {trade_year} "
            f"({'SYNTHETIC' if data.is_synthetic('trade_flows') else 'trade'} flows, thousand USD). "
            "It compares the product mix within these products only.",
        )
    )
else:
    display(
        tables.callout(
            "Not computed",
            f"The trade flows hold {n_products} HS product(s) of the cluster "
            f"({', '.join(params.hs_codes)}): a value-based RCA would be 1 for every exporter by "
            "construction, and complexity needs many products. The quantity-based RCA above is "
            "the measure of comparative advantage here.",
        )
    )

# %% [markdown]
# ## 4. Destinations
#
# Where the country's exports of the cluster's products go in the latest year of the trade flows: shares
# of export value by destination, the number of markets, and the Herfindahl–Hirschman index (HHI, the sum
# of squared shares: 1 for a single market, 1/*n* for *n* equal markets). The growth decomposition splits
# the change in exports since the first year into new markets, lost markets and markets served in both
# years.

# %%
if has_flows:
    trade_year = int(flows["year"].max())
    first_trade_year = int(flows["year"].min())
    destinations = markets.destination_structure(flows, iso, trade_year)
    fig, ax = figures.new_figure(width=7.5, height=5.0)
    export_figures.destination_bars(ax, destinations.table(), f"{iso}: export destinations, {trade_year}")
    rec.headline(
        "top_market_share",
        destinations.top_market_share,
        unit="share (0-1)",
        label=f"share of the largest market ({destinations.top_market}) in exports of the cluster's "
        f"products, {trade_year} (trade flows, values)",
        note="synthetic trade flows" if data.is_synthetic("trade_flows") else None,
    )
    display(
        rec.figure(
            "destinations",
            fig,
            f"Share of {iso}'s exports of HS {', '.join(params.hs_codes)} by destination, {trade_year} "
            f"({'SYNTHETIC' if data.is_synthetic('trade_flows') else 'trade'} flows, values).",
        )
    )
else:
    display(
        tables.callout(
            "Not computed",
            "No positive trade flows of the cluster's country: destinations, "
            "gravity and the stress scenario need them.",
        )
    )

# %%
if has_flows:
    summary = pd.DataFrame(
        [
            {
                "year": str(trade_year),
                "exports (thousand USD)": destinations.total_exports,
                "markets": destinations.n_markets,
                "HHI of destinations": destinations.hhi,
                "largest market": destinations.top_market,
                "largest market share (%)": 100 * destinations.top_market_share,
            }
        ]
    )
    display(
        rec.table(
            "destination-structure",
            summary,
            f"Concentration of {iso}'s exports of the cluster's products across markets, {trade_year}.",
        )
    )

# %%
if has_flows and trade_year > first_trade_year:
    try:
        growth = markets.growth_decomposition(flows, iso, first_trade_year, trade_year)
        display(
            rec.table(
                "growth-decomposition",
                growth.table(),
                f"Change in {iso}'s exports of the cluster's products from {first_trade_year} to "
                f"{trade_year} (thousand USD): new markets, lost markets and markets served in both "
                f"years. Exports changed by {100 * growth.growth_rate:.1f}%.",
            )
        )
    except EstimationError as err:
        display(tables.callout("Not computed", f"Growth decomposition: {err}"))

# %% [markdown]
# ## 5. Gravity: distance, borders and trade agreements
#
# A structural gravity model explains every bilateral flow by the exporter's supply capacity and the
# importer's demand in each year (absorbed by exporter-year and importer-year fixed effects, which also
# take care of the "multilateral resistance" terms) and by bilateral trade costs: distance, a common
# border and a regional trade agreement (RTA). It is estimated by Poisson pseudo-maximum likelihood
# (PPML), which keeps zero flows and is consistent under heteroskedasticity (Santos Silva & Tenreyro 2006;
# Yotov et al. 2016). Standard errors are clustered by country pair. With several HS products the fixed
# effects are built per product (option `exports.gravity_fe_by_product`).

# %%
if has_flows:
    gravity_data = gravity_model.prepare_gravity_data(flows, product="product")
    if params.exports.gravity_fe_by_product and n_products > 1:
        gravity_data = gravity_data.assign(
            exp_year=gravity_data["exp_year"] + "_" + gravity_data["product"],
            imp_year=gravity_data["imp_year"] + "_" + gravity_data["product"],
        )
    try:
        fit = gravity_model.gravity(gravity_data, params.exports.gravity_formula)
    except (EstimationError, DataContractError) as err:
        fit = None
        rec.note(f"Gravity not estimated: {err}")
        display(tables.callout("Not estimated", f"The gravity model could not be estimated: {err}"))
    if fit is not None:
        truth_trade = data.truth.get("trade", {}) if data.is_synthetic("trade_flows") else {}
        true_values = (
            {
                "ln_distance": truth_trade.get("beta_ln_distance"),
                "contiguity": truth_trade.get("beta_contiguity"),
                "rta": truth_trade.get("beta_rta"),
            }
            if truth_trade
            else {}
        )
        coefficients = fit.table()
        if true_values:
            coefficients["true_value"] = coefficients["term"].map(true_values)
        for row in fit.excluded.itertuples():
            rec.add_excluded("trade_flows", f"gravity: {row.reason}", row.n_rows)
        display(
            rec.table(
                "gravity",
                coefficients,
                f"PPML gravity, {fit.formula}; {fit.nobs:,} flows, SEs {fit.vcov}. effect_pct = 100 "
                "(exp(b) - 1), the percent change in trade for a unit change"
                + (". true_value: the coefficient planted in the SYNTHETIC flows." if true_values else "."),
            )
        )

# %%
if has_flows and fit is not None:
    fig, ax = figures.new_figure(width=7.5, height=3.6)
    export_figures.coefficient_plot(
        ax,
        coefficients,
        "Gravity coefficients (PPML)",
        truth={k: v for k, v in true_values.items() if v is not None} or None,
    )
    if "rta" in fit.coef.index:
        rec.headline(
            "rta_effect",
            float(fit.coef["rta"]),
            se=float(fit.se["rta"]),
            unit="PPML coefficient",
            label="effect of a regional trade agreement on trade flows of the cluster's products "
            "(PPML, exporter-year and importer-year FE; 100 (exp(b) - 1) percent)",
            note=(f"synthetic trade flows, true value {true_values['rta']}" if true_values else None),
        )
    else:
        rec.note("The gravity formula has no 'rta' term: rta_effect is not recorded.")
    display(
        rec.figure(
            "gravity",
            fig,
            "Gravity coefficients with 95% confidence intervals (clustered by pair)"
            + (
                "; red crosses: the true values planted in the SYNTHETIC trade flows." if true_values else "."
            ),
        )
    )

# %%
if has_flows and fit is not None:
    display(
        rec.table(
            "gravity-excluded",
            fit.excluded,
            "Flows left out of the gravity estimate and why (all-zero fixed-effect groups carry no "
            "information; singletons and separated observations are dropped as ppmlhdfe does).",
        )
    )

# %%
if has_flows and n_products > 1:
    by_product = gravity_model.gravity_by_sector(
        gravity_data, params.exports.gravity_formula, by="product", on_error="record"
    )
    fig, ax = figures.new_figure(width=7.5, height=4.0)
    export_figures.coefficient_plot(
        ax,
        by_product.table(),
        "Gravity product by product",
        by="product",
        truth={k: v for k, v in true_values.items() if v is not None} or None,
    )
    for row in by_product.failed.itertuples():
        rec.note(f"Gravity for HS {row.sector} not estimated: {row.reason}")
    display(
        rec.figure(
            "gravity-by-product",
            fig,
            "Gravity estimated separately for each HS product (95% confidence intervals).",
        )
    )
    display(
        rec.table(
            "gravity-by-product",
            by_product.table()[["product", "nobs", "term", "estimate", "std_error", "p_value"]],
            "Gravity coefficients product by product.",
        )
    )

# %% [markdown]
# ## 6. Do cluster members export more? (firm level)
#
# Export participation of cluster members against other firms in the same sector and year: a linear
# probability model and a probit (average marginal effect) with sector × year fixed effects, and export
# intensity (exports / output) among exporters. Standard errors are clustered by firm. The comparison
# is descriptive: members may export more because they are more productive or have more exporting
# neighbours, not because membership itself opens markets.

# %%
establishments = data["establishments"] if data.has("establishments") else None
firm_columns = {"cluster_member", "exports", "sector", "output"}
has_firms = establishments is not None and firm_columns <= set(establishments.columns)
if has_firms:
    premium = firms.export_participation(establishments)
    for row in premium.excluded.itertuples():
        if row.n_rows:
            rec.add_excluded("establishments", f"export premium, {row.step}: {row.reason}", row.n_rows)
    rec.headline(
        "member_export_premium",
        premium.lpm_effect,
        se=premium.lpm_se,
        unit="probability (0-1)",
        label="difference in the probability of exporting, cluster members vs other firms of the same "
        "sector and year (linear probability model; 0.05 = 5 percentage points)",
        note="synthetic firm data" if data.is_synthetic("establishments") else None,
    )
    display(
        rec.table(
            "export-premium",
            premium.table(),
            "Cluster members vs other firms: effect of membership on export participation (LPM and "
            "probit average marginal effect, probability units) and on export intensity among "
            "exporters, with sector × year fixed effects; SEs clustered by firm.",
        )
    )
else:
    if establishments is None:
        reason = "the cluster has no establishments table"
    else:
        missing = ", ".join(sorted(firm_columns - set(establishments.columns)))
        reason = f"the establishments table ({data.info['establishments'].origin}) has no {missing} column(s)"
    rec.note(f"Firm-level export comparison and firm network not computed: {reason}.")
    links_note = (
        " The synthetic firm links join synthetic firms, not the firms of this table, so the network "
        "of section 7 cannot be built either."
        if data.is_synthetic("firm_links") and not data.is_synthetic("establishments")
        else ""
    )
    display(
        tables.callout("Not computed", f"Members and other firms cannot be compared: {reason}.{links_note}")
    )

# %%
if has_firms:
    display(
        rec.table(
            "export-rates",
            premium.summary(),
            "Raw export participation (share of firm-years exporting) and mean export intensity of "
            "exporters, members and others (before fixed effects).",
        )
    )

# %% [markdown]
# When the firm data are synthetic, the generator plants no direct effect of membership on exporting: a firm
# exports when its productivity, its past export status and the number of exporters in its region and
# sector in the previous year push it over a threshold. Members sit in the cluster's regions, among more
# exporters, so a positive "premium" here is the planted neighbourhood effect, picked up by membership.

# %% [markdown]
# ## 7. Firm network: inside or outside the cluster?
#
# Firm links (supply, sales, cooperation, knowledge) are *inside* when both firms are cluster members,
# *boundary* when one is, *outside* when neither is. The inside share is the share of cluster members'
# links that go to another member: a share near 100% is a closed cluster, a low share one that is open to
# the rest of the economy. Brokers are firms that connect others across the cluster boundary
# (Gould–Fernandez gatekeepers and representatives).

# %%
links = data["firm_links"] if data.has("firm_links") else None
has_network = has_firms and links is not None
if has_network:
    link_by_year = linkages.link_shares(links, establishments, by=("year",))
    link_by_kind = linkages.link_shares(links, establishments, by=("kind",))
    link_year = int(links["year"].max())
    network = linkages.network_metrics(
        links,
        establishments,
        year=link_year,
        betweenness_k=params.exports.betweenness_pivots or None,
        seed=params.seed,
    )
    rec.headline(
        "inside_link_share",
        link_by_year.inside_share_count,
        unit="share (0-1)",
        label="share of cluster members' links that go to another member (count, all years)",
        note="synthetic firm links" if data.is_synthetic("firm_links") else None,
    )
    truth_links = data.truth.get("links", {}) if data.is_synthetic("firm_links") else {}
    brokers = network.brokers(top=1)
    ego = str(brokers["firm_id"].iloc[0])
    ego_edges = links[(links["year"] == link_year) & ((links["source"] == ego) | (links["target"] == ego))]
    fig, axes = figures.new_figure(width=13, height=4.3, ncols=3)
    axes = axes.ravel()
    export_figures.link_flows(
        axes[0],
        link_by_year.n_inside,
        link_by_year.n_boundary,
        link_by_year.n_outside,
        "Links by type, all years",
    )
    export_figures.ego_network(
        axes[1],
        ego_edges,
        network.table().set_index("firm_id")["member"],
        ego,
        f"Top boundary broker, {link_year}",
        seed=params.seed,
    )
    export_figures.inside_share_trend(axes[2], link_by_year.table(), "Inside share of members' links")
    display(
        rec.figure(
            "network",
            fig,
            "Left: all firm links grouped by type (numbers of links; line widths proportional). Middle: "
            f"the firm that brokers most across the cluster boundary in {link_year} and its direct "
            "partners. Right: share of cluster members' links that go to another member, by count "
            "and by value" + (" (SYNTHETIC links)." if data.is_synthetic("firm_links") else "."),
        )
    )
else:
    display(
        tables.callout(
            "Not computed",
            "The firm network needs firm links and the cluster membership of the "
            "firms they join; see section 6.",
        )
    )

# %%
if has_network:
    display(
        rec.table(
            "links-by-kind",
            link_by_kind.table()[
                ["kind", "n_inside", "n_boundary", "n_outside", "inside_share_count", "inside_share_value"]
            ],
            "Links by kind: numbers and values inside, across the boundary and outside, and the inside "
            "share of cluster members' links (by count and by value).",
        )
    )

# %%
if has_network:
    checks = pd.DataFrame(
        {
            "measure": ["inside share of members' links (count)", "inside links / all links"],
            "estimate": [
                link_by_year.inside_share_count,
                link_by_year.n_inside
                / (link_by_year.n_inside + link_by_year.n_boundary + link_by_year.n_outside),
            ],
            "true_value": [None, truth_links.get("realised_inside_share")],
        }
    )
    display(
        rec.table(
            "network-summary",
            network.summary(),
            f"Network of firm links in {link_year}: size, density, clustering, and the same for the "
            "subgraph of cluster members.",
        )
    )
    display(
        rec.table(
            "brokers",
            network.brokers(top=10),
            f"Firms that broker most across the cluster boundary in {link_year} (gatekeeper + "
            f"representative roles; betweenness sampled on {params.exports.betweenness_pivots} pivots).",
        )
    )
    display(
        rec.table(
            "links-truth",
            checks,
            "Two definitions of the inside share; for SYNTHETIC links the generator's realised share of "
            "links joining two members is the true value of the second."
            if truth_links
            else "Two definitions of the inside share.",
        )
    )

# %% [markdown]
# ## 8. Risk: dependence on one market and a stress scenario
#
# Dependence on the largest market and on the largest product, and what happens if the largest market
# cuts its imports from the country by the stress parameter (`exports.stress_drop`). The employment
# effect assumes every member firm loses the same share of its exports and cuts jobs in proportion to
# output; it ignores diversion to other markets and indirect (input–output) effects, so it is an upper
# bound on the direct effect and a lower bound on the total one.

# %%
if has_flows:
    risk = markets.export_risk(flows, iso, trade_year, shock=params.exports.stress_drop)
    stress_firms = (
        establishments
        if has_firms
        and {"labour", "output", "exports"} <= set(establishments.columns)
        and trade_year in set(establishments["year"])
        else None
    )
    stress = markets.stress_scenario(
        flows, iso, trade_year, collapse=params.exports.stress_drop, establishments=stress_firms
    )
    for row in stress.excluded.itertuples():
        rec.add_excluded("establishments", f"stress scenario: {row.reason}", row.n_rows)
    risk_table = pd.DataFrame(
        [
            {
                "largest market": risk.top_market,
                "largest market share (%)": 100 * risk.top_market_share,
                "HHI of markets": risk.market_hhi,
                "largest product": risk.top_product,
                "largest product share (%)": 100 * risk.top_product_share,
                f"exports lost if the largest market falls {100 * stress.collapse:.0f}% (%)": 100
                * stress.export_loss_share,
                "jobs at risk (members)": stress.jobs_at_risk,
                "member employment": stress.employment_before,
            }
        ]
    )
    basis = {
        "establishments": "member firms' labour and export shares in the firm data",
        "coefficient": "a jobs-per-export coefficient",
        "none": "not estimated (no usable firm data)",
    }
    display(
        rec.table(
            "risk",
            risk_table,
            f"Export risk of {iso} in the cluster's products, {trade_year}. Jobs at "
            f"risk: {basis[stress.employment_basis]}.",
        )
    )
    fig, ax = figures.new_figure(width=6.5, height=4.0)
    export_figures.stress_bars(
        ax,
        stress.exports_before,
        stress.export_loss,
        stress.exports_after,
        stress.market,
        stress.collapse,
        f"Stress: {stress.market} imports fall {100 * stress.collapse:.0f}%",
    )
    display(
        rec.figure(
            "stress",
            fig,
            f"Exports of the cluster's products before and after a "
            f"{100 * stress.collapse:.0f}% fall of {stress.market}'s imports from {iso}, {trade_year} "
            "(thousand USD; direct effect, no diversion).",
        )
    )
    display(
        tables.callout(
            "Assumptions of the stress scenario",
            "; ".join(stress.assumptions)
            + "."
            + (
                ""
                if stress_firms is not None
                else f" No firm data with exports and labour in {trade_year}: jobs at risk are not estimated."
            ),
        )
    )
else:
    display(tables.callout("Not computed", "The risk panel needs the country's trade flows."))

# %% [markdown]
# ## Summary and what comes next
#
# The table below collects the headline numbers that the cross-cluster synthesis compares. Read the
# FAOSTAT-based ones (world share, orientation, RCA) as facts about the country's product, the others, for
# the demo clusters, as checks of the methods on synthetic data with known truth (see the notes at the top
# of the report).
#
# *What next.* With real bilateral trade (BACI or Comtrade files, see the data importers) the destination,
# gravity and risk sections describe the real cluster, and value-based RCA and complexity over all HS
# products become possible. Real firm registers with export and membership flags, and real inter-firm
# link surveys (e.g. Giuliani & Bell 2005 for the Colchagua wine valley), would do the same for sections
# 6 and 7. Workbook 03 measures whether the cluster programme raised output; a natural extension is its
# effect on export participation (`programme.outcome: exports`).

# %%
headlines = pd.DataFrame(
    [
        {
            "key": key,
            "label": h["label"],
            "value": h["value"],
            "se": h["se"],
            "unit": h["unit"],
            "note": h["note"] or "",
        }
        for key, h in rec.headlines.items()
    ]
)
rec.table("headlines", headlines, "Headline numbers recorded by this workbook.")

# %%
rec.save();
