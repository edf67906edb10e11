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
# # Cluster mapping: where the cluster is, how concentrated, how strong
#
# **What this answers.** Is there a cluster here, and how strong is it? The workbook places the
# cluster's establishments on a map, measures how specialised its regions are in the cluster sector
# (location quotients, with intervals), how concentrated the sector is in space (Ellison–Glaeser γ and
# the Duranton–Overman K-density, each against a simulated "random location" benchmark), whether its
# regions pass the US Cluster Mapping "strong cluster" test and earn European Cluster Observatory stars,
# and whether its employment grew through its own dynamism or its sector's (shift-share). At country
# level it places the country in world production of the product, from real FAOSTAT food balances.
#
# **Prerequisites.** Read the cluster overview (workbook 00) first: it lists which tables are real and
# which are synthetic. For synthetic tables the generator's planted truth is shown beside each estimate:
# those numbers check the methods, they are not findings about the real cluster.
#
# **How to read the uncertainty.** A location quotient from a small region is noisy, so each comes with
# an interval; concentration indices come with their distribution under random location; strength flags
# and stars come with how often they survive when employment is redrawn.

# %% tags=["parameters"]
cluster_id = "chile_wine"
overrides = {}
output_dir = ""
params_json = ""

# %%
import agrocluster.params
from agrocluster import figures, record

params = agrocluster.params.load(cluster_id, overrides, params_json)
rec = record.Recorder(params, "01_cluster_mapping", output_dir)
figures.use_theme()

# %%
from agrocluster.data.cluster import load_cluster
from agrocluster.workbooks import common, mapping, overview

sector = params.cluster_sector

# %% [markdown]
# ## 1. The data this workbook reads
#
# Three tables: establishments (one row per plant and year, with location and employment), regional
# employment (region × sector × year) and the country's food balances (real FAOSTAT, thousand tonnes).

# %%
data = load_cluster(params, tables=["establishments", "regional_employment", "country_product"])
rec.add_inputs(data.provenance())
rec.section("inputs", overview.inventory(data, ["table", "kind", "origin", "rows", "years"]),
            "The tables this workbook reads: real or synthetic, where from, rows and years.")

# %% [markdown]
# The plant-level analyses (map, Ellison–Glaeser, K-density) use one cross-section: the latest year of
# the establishments table (in a season-indexed panel such as the Indonesian rice farms, the latest
# season). The table below says what that cross-section can support and why, so a missing analysis
# further down is never a surprise.

# %%
sites = mapping.cross_section(data, params)
rec.section("feasibility", sites, "What the establishments of the latest year can support, and why not where "
            "they cannot.")

# %% [markdown]
# ## 2. Where the cluster is
#
# Each dot is an establishment of the latest year, placed by longitude and latitude; the cluster sector
# is highlighted, related sectors in a second colour, all others in grey. Crosses mark region centres
# (the mean position of each region's establishments); the cluster's core regions are named.

# %%
regional = data.get("regional_employment")
lqs = mapping.location_quotients(regional, params, data.get("establishments"))
rec.section("core-regions", lqs, "Core regions of the cluster")

# %%
common.show_figure(rec, "map", mapping.establishment_map(sites, lqs, params))

# %% [markdown]
# ## 3. How specialised the regions are: location quotients
#
# The location quotient of a region in a sector is the sector's share of the region's employment divided
# by its share of national employment: above 1 the region is specialised in it. The heat table shows every
# region × sector of the latest year (regions ordered by the cluster sector's LQ; colours on a log scale so
# 2 and ½ are equally far from 1).

# %%
common.show_figure(rec, "lq-heatmap", mapping.lq_heatmap(lqs, params))

# %% [markdown]
# The cluster sector's LQ in every region, with its interval. A wide interval means the region is small
# and its "specialisation" could be noise. For a synthetic cluster the planted values sit beside the
# estimates: the LQ the location model implies, and whether the generator planted the cluster there.

# %%
lq_sector = mapping.lq_cluster_sector(lqs, data, params)
rec.section("lq-cluster-sector", lq_sector, f"LQ of the cluster sector {sector} in each region in the latest year, "
            "with its interval; the reading names the interval and how the core was chosen.")

# %% [markdown]
# How unevenly the cluster and related sectors are spread over regions, first and last year: the Hoover
# index (0 = spread like total employment), the Gini coefficient across regions and the locational Gini
# (regions weighted by their employment). Rising values mean the sector is concentrating.

# %%
indices = mapping.concentration_indices(regional, params)
rec.section("concentration-indices", indices, "Hoover index, Gini and locational Gini of the cluster sector and "
            "related sector(s), first and last year (regional employment).")

# %% [markdown]
# ## 4. How concentrated the sector is: Ellison–Glaeser γ
#
# γ measures how much more the sector's plants cluster in the same regions than plants dropped at random
# in proportion to regional employment would ("dartboard"), correcting for the sector having a few big
# plants. γ near 0 means no more concentration than chance; Ellison and Glaeser called sectors above 0.05
# highly localised. Each γ has a one-sided p-value from simulated random location (plant employment is the
# weight). Coagglomeration γᶜ asks whether the cluster sector and its related sector(s) co-locate beyond
# their own concentration.

# %%
eg = mapping.ellison_glaeser(sites, params)
rec.section("ellison-glaeser", eg, "Ellison–Glaeser index of every sector in the latest year, plants weighted "
            "by employment; the reading below names the columns.")

# %%
co = mapping.coagglomeration(sites, params)
rec.section("coagglomeration", co, "Coagglomeration of the cluster sector and its related sector(s), latest "
            "year: each sector's employment weight, G, H and own γ.")

# %% [markdown]
# ## 5. At what distances the sector clusters: Duranton–Overman K-density
#
# The K-density is the smoothed distribution of distances between pairs of the sector's establishments.
# The grey band is where it would lie if those establishments sat at random among all establishment
# sites (global band: a random curve leaves it anywhere with the stated small probability). Above the band
# the sector is **localised** at those distances, below it **dispersed**. Distances are great-circle km;
# the range runs to the median distance between all sites.

# %%
kd = mapping.kdensity(sites, params)
rec.section("kd-ranges", kd, f"Distance ranges (km) where the K-density of sector {sector} is above (localised) "
            "or below (dispersed) its global band.")

# %%
common.show_figure(rec, "kd", mapping.kd_figure(kd, sites, params))

# %% [markdown]
# ## 6. How strong the cluster is: US Cluster Mapping flag and European stars
#
# A region × sector cell is a **strong cluster** (US Cluster Mapping Project) when its LQ is at least the
# 75th percentile of the sector's LQs across regions and at least 1, and its employment and establishment
# counts are above their 25th percentiles. The European Cluster Observatory gives up to three **stars**:
# size (top 10 % of regions by employment), specialisation (LQ ≥ 2) and focus (top 10 % by the sector's
# share of the region's employment). Both are thresholds on noisy counts, so each comes with its
# *probability* (the share of redraws in which it is on) and *stability* (the share in which it keeps its
# value; 0.5 is a coin toss), the redraws being the LQ interval's: plants resampled within their region,
# or Poisson redraws of employment when the plants do not add up to the regional table.

# %%
strength = mapping.cluster_strength(regional, lqs, params)
rec.section("strength", strength, f"Strong-cluster flag and stars of sector {sector} in every region, latest year "
            "(highest LQ first), with their probability and stability over redraws (the reading says which).")

# %% [markdown]
# ## 7. Own dynamism or the sector's? Shift-share of the core regions
#
# Each core region's change in cluster-sector employment between the first and last year is split into
# **national growth** (what it would have gained growing like the whole economy), **industry mix** (the
# sector growing faster or slower than the economy nationally) and the **regional competitive effect**
# (what is left: the region doing better or worse than the sector nationally). A large positive
# competitive effect is the cluster's own dynamism.

# %%
shares = mapping.shift_share(regional, lqs, params)
common.show_figure(rec, "shift-share", mapping.shift_share_figure(shares, params))

# %%
rec.section("shift-share", shares, "Shift-share decomposition from the base year to the latest, for each core "
            "region: the cluster sector and all sectors of the region (jobs; components add up to the change).")

# %% [markdown]
# ## 8. The country in world production (real FAOSTAT food balances)
#
# The country's share of world production of its product, over the years, and its specialisation against
# the other top producers. Specialisation here is a **quantity-based RCA in production**: the product's
# share of the country's food production (tonnes, over the FAOSTAT food-balance items) divided by its share
# of world food production. Above 1 the country produces relatively more of the product than the world
# does. Tonnes of different goods are added, so read it as a ranking, not as a value-based RCA; the
# shares use countries only (no World or regional aggregates). FAOSTAT changed its food-balance method in
# 2010: the share series crosses that break.

# %%
world = mapping.world_production(data, params)
common.show_figure(rec, "world-share", mapping.world_share_figure(world, params))

# %%
common.show_figure(rec, "rca", mapping.producers_figure(world, params))

# %%
rec.section("producers", world, "Top producers of the cluster's FAOSTAT item in the latest year: production "
            "(thousand tonnes), share of world production and quantity-based RCA in production.")

# %% [markdown]
# ## 9. Rows left out
#
# Every row a rule excluded, with the rule. Nothing else was dropped.

# %%
rec.table("excluded", common.excluded_table(rec.excluded), "Rows excluded by documented rules, by table and reason.",
          inputs=data.tables)

# %% [markdown]
# ## Summary and what comes next
#
# The key numbers below are recorded for the cross-cluster synthesis. Read them with the caveats at the top
# of the page: location quotients and stars from small regions are noisy (see their intervals and
# stabilities), a "core" chosen for its high LQ overstates it, and synthetic tables check the methods
# rather than describe the real cluster. Next: workbook 02 asks whether being in the cluster makes plants
# more productive (agglomeration effects), 03 measures productivity and the programme's impact, 04 the
# cluster's export links.

# %%
for h in common.collect_headlines(lq_sector, eg, kd, strength, world):
    rec.headline(h.key, h.value, se=h.se, note=h.note)
rec.table("headline", common.headline_table(rec.headlines), "Headline numbers of this workbook (recorded in the "
          "results file).", inputs=common.headline_inputs(rec.headlines))

# %%
rec.save();
