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
# # Links and risks: vertical and horizontal links, innovation diffusion, joint action, environmental footprint and collapse exposure
#
# **What this answers.** The FAO study of agro-based clusters (Gálvez-Nogales 2010) asks of every cluster how it
# links along the value chain (vertical links to suppliers and buyers) and among its producers (horizontal
# links), how innovations spread, whether joint action pays, and which dangers it runs: a magnified
# environmental burden, exposure to a market collapse, too much inward cooperation and neglected links outside.
# This workbook answers each question with the best data the project has: real FAOSTAT quantities and Poore &
# Nemecek (2018) impact factors for the footprint, real FAOSTAT export series and cited episodes for collapses,
# the real Indonesian rice panel for the adoption of high-yielding varieties and input use; firm links,
# synthetic diffusion and joint action rest on synthetic firms with planted truth, labelled SYNTHETIC.
#
# **Prerequisites.** The cluster overview (workbook 00: profile, data, which tables are real) and the export
# links (workbook 04). Options: `links_risks.*` (bootstrap draws, distance band of diffusion, base year of the
# footprint, PN18 product and region, collapse episodes with their sources).

# %% tags=["parameters"]
cluster_id = "chile_wine"
overrides = {}
output_dir = ""
params_json = ""

# %%
import agrocluster.params
from agrocluster import record

params = agrocluster.params.load(cluster_id, overrides, params_json)
rec = record.Recorder(params, "06_cluster_links_risks", output_dir)

# %%
import warnings

from agrocluster import tables
from agrocluster.data.cluster import load_cluster
from agrocluster.workbooks import common, overview
from agrocluster.workbooks import links_risks as wb

# pyfixest reports the singleton firms it drops from the within-firm comparisons: the tables give the counts used
warnings.filterwarnings("ignore", message=".*singleton fixed effect.*")
opts = params.links_risks

# %% [markdown]
# ## 1. The data

# %%
data = load_cluster(params)
rec.add_inputs(data.provenance())
rec.add_inputs(wb.impact_inputs())
rec.section("inventory", overview.inventory(data, ["table", "kind", "origin", "rows", "years"]),
            "Tables of the cluster read here, real or synthetic.")

# %%
network = wb.network(data, params)
rec.section("network", network, "Firms and links behind the link, diffusion and joint-action steps, and their source.")

# %% [markdown]
# ## 2. Vertical and horizontal links
#
# Buying inputs and selling output are **vertical** links; cooperation and knowledge exchange among producers are
# **horizontal**. For each, the share of the members' links that stay inside the cluster is set against what
# **random mixing** would give: if members are a share *p* of firms and partners were drawn at random, about
# *p / (2 − p)* of their links would stay inside. A share far above chance for horizontal links is the FAO study's
# "too much inward cooperation"; for vertical links it means suppliers and buyers outside are neglected. The
# interval comes from resampling member firms (their links move together).

# %%
links = wb.link_mixing(network, opts.link_draws, params.seed)
rec.section("links", links, f"Inside shares of members' links by orientation and kind, {opts.link_draws} member-firm "
            "bootstrap resamples (95% percentile intervals), the random-mixing benchmark and the verdict.")

# %% [markdown]
# ## 3. Innovation diffusion
#
# ### 3.1 High-yielding rice varieties in six Javanese villages (real data)
#
# A farm adopts when it grows high-yielding (or mixed) varieties in a season. The adoption curve shows the share
# of adopters by season and village; the regression asks whether a farm's choice follows the share of the other
# farms of its village that adopted the season before.

# %%
adoption = wb.adoption_real(data)
rec.section("adoption", adoption, "Share of farms growing high-yielding varieties by season, all villages and by "
            "village, with binomial standard errors (real data).")

# %%
common.show_figure(rec, "adoption", wb.adoption_figure(adoption))

# %%
peers = wb.peer_adoption_real(data)
rec.section("peer-adoption", peers, "Adoption on the village's lagged leave-one-out adoption and the farm's own lag "
            "(linear probability, season effects, with and without village effects; SE clustered by farm).")

# %% [markdown]
# ### 3.2 Diffusion through links and distance (synthetic, planted truth)
#
# On the synthetic firms an adoption process is planted: each year a firm that has not adopted does so with a
# probability rising with the share of its link partners and of its neighbours within the distance band that had
# adopted. The hazard regression should recover the planted effects; the table puts them side by side.

# %%
spread = wb.diffusion_synthetic(network, opts.diffusion_band_km, params.seed)
rec.section("diffusion", spread, "Logit adoption hazard on lagged exposure through links and within "
            f"{opts.diffusion_band_km:g} km (year effects, SE clustered by firm) against the planted truth (SYNTHETIC).")

# %% [markdown]
# ## 4. Joint action
#
# Collective efficiency (Schmitz 1995) is the competitive advantage that comes from passive external economies and
# from deliberate **joint action**. Here members with more cooperation and knowledge links to other members are
# compared with other members of the same sector and year, and with themselves in other years (firm effects).

# %%
joint = wb.joint_action(network)
rec.section("joint-action", joint, "Log TFP (OLS Cobb–Douglas) and export participation on the number of "
            "joint-action links, members only: pooled within sector × year and within firm; SE clustered by firm.")

# %% [markdown]
# ## 5. Environmental magnification (real data)
#
# The footprint of the country's production and exports of the cluster's product: FAOSTAT quantities times the
# Poore & Nemecek (2018) impacts per kg (greenhouse gases with IPCC 2013 factors, land use, freshwater
# withdrawals, eutrophying emissions), its growth as exports expanded, and the intensity of the country's region
# against the world mean. Where the farm data record inputs, pesticide and fertiliser per hectare follow.

# %%
fp = wb.footprint(data, params)
rec.section("footprint", fp, "Footprint of production and exports in the latest FAOSTAT year: quantities (kt), "
            "factors per kg and totals (kt CO2e, km², million m³, t PO4e).")

# %%
common.show_figure(rec, "footprint", wb.footprint_figure(fp, params))

# %%
growth = wb.magnification(fp, opts.footprint_base_year)
rec.section("magnification", growth, "Change of the footprint between the base year and the latest year, and the "
            "change of exports as a share of the change of production (export_part).")

# %%
intensity = wb.regional_intensity(params)
rec.section("intensity", intensity, "Impact per kg in the country's world region against PN18's world mean.")

# %%
inputs = wb.input_use(data)
rec.section("input-use", inputs, "Pesticide (Rupiah), urea and phosphate (kg) per hectare by BIMAS participation "
            "and by village, means with SE clustered by farm (real data).")

# %% [markdown]
# ## 6. Exposure to a market collapse
#
# Instead of a fixed cut, real collapses are replayed on the cluster's destinations: the worst year-on-year falls
# of world and country exports of the product in FAOSTAT (1961–2020), the country's largest fall of those exports
# from a peak to a later trough (its historical collapse, which may take several years), and the cited price or
# trade episodes of the cluster's parameters, each checked against its source (e.g. China's duties on Australian wine,
# the Robusta price collapse of 1999–2001, the Mombasa tea price fall of 1985), with the export orientation
# turning lost exports into a share of output at risk.

# %%
exposure = wb.collapse_exposure(data, params)
rec.section("collapse", exposure, "Episodes replayed on the destination structure: change, markets hit, share of "
            "exports hit, loss, loss as a share of exports and of output, and the source of each episode.")

# %% [markdown]
# ## 7. Headline numbers

# %%
for h in common.collect_headlines(links, adoption, peers, joint, fp, growth, intensity, inputs, exposure):
    rec.headline(h.key, h.value, se=h.se, note=h.note)
rec.table("headline", common.headline_table(rec.headlines), "Headline numbers recorded for the cross-cluster synthesis.",
          inputs=common.headline_inputs(rec.headlines))

# %%
tables.callout("Reading", " ".join(step.reading for step in (fp, growth, links, exposure) if step.computed))

# %% [markdown]
# **Caveats.**
# - Footprints use global (or regional) mean factors per kg: they scale with quantities and say nothing about
#   this cluster's own practices. FAOSTAT's 2010 change of food-balance method can break the series.
# - Peer adoption is an association: Manski's (1993) reflection problem leaves learning, shared circumstances and
#   common shocks unseparated. Joint-action gaps are descriptive (firms choose to cooperate).
# - Where the firms and links are synthetic (the demo clusters; the data table at the top says which), link,
#   diffusion and joint-action numbers are marked SYNTHETIC: they demonstrate and check the methods against
#   planted truth and are not findings about the real cluster.
# - Collapse replays assume no diversion of lost sales and direct effects only.
#
# ## Summary and what comes next
#
# This workbook classified the cluster's links against chance, traced innovation diffusion, related joint action
# to outcomes, measured the environmental footprint of the cluster's product and replayed real market collapses.
# The cross-cluster synthesis (workbook 05) compares the clusters on these numbers.

# %%
rec.save();
