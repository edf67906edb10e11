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
params_json = ""

# %%
import agrocluster.params
from agrocluster import figures, record
from agrocluster.data.cluster import load_cluster

params = agrocluster.params.load(cluster_id, overrides, params_json)
rec = record.Recorder(params, "04_export_links", output_dir)
figures.use_theme()

# %% [markdown]
# ## 1. The data this workbook uses
#
# Each table is loaded and validated against its contract. The *kind* column says whether it is real or
# synthetic. Rows that the data layer excluded by documented rules are listed below it.

# %%
from agrocluster.workbooks import exports as workbook

data = load_cluster(params)
rec.add_inputs(data.provenance())
iso, product = params.country_iso3, params.product
rec.section("data", workbook.data_used(data), "Tables used, real or synthetic, and their size.")

# %%
rec.section("excluded-at-load", workbook.load_exclusions(data), "Rows excluded at load (documented rules).")

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
market = workbook.world_market(data, params)
rec.section("country-profile", market, f"{iso}, {product}: quantities (thousand tonnes, kt) and shares in "
            "the base and latest years (FAOSTAT food balances). A dash: not defined, e.g. imports / domestic "
            "supply when domestic supply is negative (stocks drawn down) or a quantity is missing.")

# %%
rec.figure("market-trends", workbook.market_trends_figure(market, params),
           f"{iso}: share of world exports and of world production of {product} (left, percent of world "
           "tonnes, countries only) and exports divided by production (right). Real FAOSTAT food balances; "
           "the series joins the old and new methodologies at 2010.", inputs=market.inputs)

# %%
if market.computed:
    window = f"{market.result.base}-{market.result.latest}"
    rec.headline("world_export_share", market.result.export_share,
                 note=f"{product}, {market.result.latest} (FAOSTAT quantities)")
    rec.headline("world_export_share_change", market.result.share_change, note=f"{product}, {window}")
    rec.headline("export_orientation", market.result.orientation,
                 note=f"{product}, {market.result.latest} (FAOSTAT quantities)")

# %% [markdown]
# **A check on the world totals.** The sum over countries should reproduce FAOSTAT's own World row
# within rounding; a large gap would mean missing countries or double counting.

# %%
rec.section("world-check", workbook.world_check(market),
            f"World exports of {product}: sum over countries against FAOSTAT's World row (thousand tonnes).")

# %% [markdown]
# ### Competitors
#
# The largest exporters of the product in the latest year, their share of world exports and how fast
# their exports grew since the start of the window (compound annual growth). The cluster's country is
# added at the bottom when it is not among them.

# %%
rec.section("competitors", workbook.competitors(data, params, market),
            f"Top {params.exports.n_competitors} exporters of {product} in {market.result.latest} and the "
            "cluster's country (FAOSTAT quantities, thousand tonnes).")

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
rca = workbook.quantity_rca(data, params, market)
rec.section("rca-sample", rca, "Food-balance rows left out of the quantity RCA, by reason.")

# %%
rec.figure("rca", workbook.rca_figure(rca, params),
           f"Quantity-based Balassa RCA of {iso} in {product} over the food-balance basket (log scale; above "
           "the dashed line the country exports relatively more of it than the world). Real FAOSTAT "
           "quantities.", inputs=rca.inputs)

# %%
if rca.computed:
    rec.headline("rca", rca.result.rca, note=f"{iso}, {product}, {rca.result.latest}, quantity-based (FAOSTAT tonnes)")

# %% [markdown]
# **Position in the product space (real FAOSTAT, quantity-based).** The Atlas of Economic Complexity
# measures complexity on trade values of about 1,200 HS products; those are not in this workbook's data.
# What the food balances allow is the same computation (Stata `ecomplexity` conventions) over the food
# basket in tonnes: a product's *complexity* (PCI) is high when few, diversified countries export it; its
# *relatedness density* for the country is the share of related products (often co-exported) that the
# country already exports with RCA > 1. A product with high density sits close to the country's
# capabilities. Read the ranks within food, not as the Atlas's economy-wide ECI and PCI.

# %%
space = workbook.product_space_position(data, params, rca)
rec.figure("product-space", workbook.product_space_figure(space, params),
           f"Each dot is a FAOSTAT food item: how related it is to what {iso} already exports (x) and how "
           "complex it is (y), quantity-based. Filled dots: exported with RCA > 1. The star is the cluster's "
           "product.", inputs=space.inputs)

# %%
rec.section("product-space-position", space, f"Position of {iso} and of {product} in the food product space, "
            f"{rca.result.latest} (quantity-based, FAOSTAT food balances).")

# %% [markdown]
# **Value-based RCA and complexity from trade flows.** Trade flows carry values, but only for the
# cluster's own HS products. A value-based RCA needs the country's exports of all other products: with one
# product every exporter's RCA is 1 by construction, and with a handful it compares the country's mix
# *within* the cluster's products only. Value-based complexity needs hundreds of products and is not
# computed here.

# %%
flows = workbook.trade_flows(data, params)
rec.section("trade-flows", flows, "Trade flows of the cluster's HS products.")

# %%
rec.section("value-rca", workbook.value_rca(flows, params),
            f"Value-based RCA of {iso} within the cluster's HS products, {flows.result.year} "
            f"({flows.result.kind} flows, thousand USD). It compares the product mix within these products "
            "only.")

# %% [markdown]
# ## 4. Destinations
#
# Where the country's exports of the cluster's products go in the latest year of the trade flows: shares
# of export value by destination, the number of markets, and the Herfindahl–Hirschman index (HHI, the sum
# of squared shares: 1 for a single market, 1/*n* for *n* equal markets). The growth decomposition splits
# the change in exports since the first year into new markets, lost markets and markets served in both
# years.

# %%
destinations = workbook.destinations(flows, params)
rec.figure("destinations", workbook.destinations_figure(destinations, params),
           f"Share of {iso}'s exports of HS {', '.join(params.hs_codes)} by destination, {flows.result.year} "
           f"({flows.result.kind} flows, values).", inputs=destinations.inputs)

# %%
rec.section("destination-structure", destinations, f"Concentration of {iso}'s exports of the cluster's "
            f"products across markets, {flows.result.year} (exports in thousand USD, HHI, largest market).")

# %%
rec.section("growth-decomposition", workbook.growth(flows, params),
            f"Change in {iso}'s exports of the cluster's products from {flows.result.first_year} to "
            f"{flows.result.year} (thousand USD): new markets, lost markets and markets served in both.")

# %% [markdown]
# **Unit values against the cited figure.** Synthetic flows are drawn around a unit value cited in the
# cluster's parameters (`synthetic.trade_unit_value`, with its source) and their export quantities are set
# to FAOSTAT's year by year. The table shows both checks, with the citation below it.

# %%
rec.section("unit-values", workbook.unit_values_vs_cited(flows, data, params),
            f"{iso}'s exports of the cluster's products in the trade flows: quantity (t), value (thousand USD), "
            "unit value (USD/kg) against the cited one, and quantity against FAOSTAT's exports (t).")

# %% [markdown]
# **Firm exports against the flows.** The cluster sector's firm exports, summed per year, beside the country's
# exports in the flows; synthetic firms' exports are scaled to a stated share of them (`synthetic.export_share`).

# %%
rec.section("firm-exports-vs-flows", workbook.firm_exports_vs_flows(flows, data, params),
            f"Exports of the sector {params.cluster_sector} plants (thousand USD) against {iso}'s exports of the "
            "cluster's products in the trade flows (thousand USD), year by year.")

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
gravity = workbook.gravity(flows, data, params.exports.gravity_formula,
                           fe_by_product=params.exports.gravity_fe_by_product)
rec.section("gravity", gravity, f"PPML gravity, {params.exports.gravity_formula}. effect_pct = 100 (exp(b) - "
            "1), the percent change in trade for a unit change; true_value: the coefficient planted in "
            "SYNTHETIC flows.")

# %%
rec.figure("gravity", workbook.gravity_figure(gravity), "Gravity coefficients with 95% confidence intervals "
           "(clustered by pair); red crosses, where shown: the true values planted in SYNTHETIC trade flows.",
           inputs=gravity.inputs)

# %%
if flows.computed:
    rec.headline("top_market_share", destinations.result.top_market_share,
                 note=f"{destinations.result.top_market}, {flows.result.year}; {flows.result.note or ''}".rstrip("; "))
    rec.headline("rta_effect", gravity.result.rta, se=gravity.result.rta_se, note=gravity.result.note)

# %%
rec.section("gravity-excluded", workbook.gravity_exclusions(gravity),
            "Flows left out of the gravity estimate and why (all-zero fixed-effect groups carry no "
            "information; singletons and separated observations are dropped as ppmlhdfe does).")

# %%
by_product = workbook.gravity_by_product(gravity, flows, params.exports.gravity_formula)
rec.figure("gravity-by-product", workbook.gravity_by_product_figure(by_product, gravity),
           "Gravity estimated separately for each HS product (95% confidence intervals).",
           inputs=by_product.inputs)

# %%
rec.section("gravity-by-product", by_product, "Gravity coefficients product by product.")

# %% [markdown]
# ## 6. Do cluster members export more? (firm level)
#
# Export participation of cluster members against other firms in the same sector and year: a linear
# probability model and a probit (average marginal effect) with sector × year fixed effects, and export
# intensity (exports / output) among exporters. Standard errors are clustered by firm. The comparison
# is descriptive: members may export more because they are more productive or have more exporting
# neighbours, not because membership itself opens markets.

# %%
premium = workbook.export_premium(data)
rec.section("export-premium", premium, "Cluster members vs other firms: effect of membership on export "
            "participation (LPM and probit average marginal effect, probability units) and on export "
            "intensity among exporters, with sector × year fixed effects; SEs clustered by firm.")

# %%
if premium.computed:
    rec.headline("member_export_premium", premium.result.effect, se=premium.result.se, note=premium.result.note)
rec.section("export-rates", workbook.export_rates(premium), "Raw export participation (share of firm-years "
            "exporting) and mean export intensity of exporters, members and others (before fixed effects).")

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
network = workbook.firm_network(data, params, premium)
rec.figure("network", workbook.network_figure(network, params),
           "Left: all firm links grouped by type (numbers of links; line widths proportional). Middle: the "
           f"firm that brokers most across the cluster boundary in {network.result.year} and its direct "
           "partners. "
           "Right: share of cluster members' links that go to another member, by count and by value.",
           inputs=network.inputs)

# %%
if network.computed:
    rec.headline("inside_link_share", network.result.inside_share, note=network.result.note)
    rec.headline("member_firm_share", network.result.member_share, note=network.result.note)
rec.section("links-by-kind", network, "Links by kind: numbers and values inside, across the boundary and "
            "outside, and the inside share of cluster members' links (by count and by value).")

# %%
rec.section("network-summary", workbook.network_summary(network), f"Network of firm links in "
            f"{network.result.year}: size, density, clustering, and the same for the members' subgraph.")

# %%
rec.section("brokers", workbook.network_brokers(network, top=10), "Firms that broker most across the cluster "
            "boundary (gatekeeper + representative roles; betweenness sampled on "
            f"{params.exports.betweenness_pivots} pivots).")

# %%
rec.section("links-truth", workbook.inside_share_check(network), "Two definitions of the inside share; for "
            "SYNTHETIC links the generator's realised share of links joining two members is the true "
            "value of the second.")

# %% [markdown]
# ## 8. Risk: dependence on one market and a stress scenario
#
# Dependence on the largest market and on the largest product, and what happens if the largest market
# cuts its imports from the country by the stress parameter (`exports.stress_drop`). The employment
# effect assumes every member firm loses the same share of its exports and cuts jobs in proportion to
# output; it ignores diversion to other markets and indirect (input–output) effects, so it is an upper
# bound on the direct effect and a lower bound on the total one.

# %%
risk = workbook.export_risk(flows, premium, params, drop=params.exports.stress_drop)
rec.section("risk", risk, f"Export risk of {iso} in the cluster's products, {flows.result.year}: "
            "dependence on the largest market and product, and the stress scenario (thousand USD; jobs in "
            "the member firms).")

# %%
rec.figure("stress", workbook.stress_figure(risk),
           f"Exports of the cluster's products before and after a {100 * params.exports.stress_drop:.0f}% "
           f"fall of the largest market's imports from {iso}, {flows.result.year} (thousand USD; direct "
           "effect, no diversion).", inputs=risk.inputs)

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
rec.section("headlines", workbook.headline_table(rec.headlines), "Headline numbers of this workbook.")

# %%
rec.save();
