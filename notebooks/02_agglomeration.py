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
# # Agglomeration effects: does being in the cluster raise productivity and wages?
#
# **What this answers.** Are firms and farms more productive, and do they pay more, where more of their own
# sector works nearby (*localisation* economies, Marshall) or where more people work in all sectors
# (*urbanisation* economies, Jacobs)? How much of the raw gap is sorting of better firms into dense places,
# how fast does the effect fade with distance, and what would a firm gain by moving into the cluster core?
#
# **Prerequisites.** The overview workbook (00) describes the data. Productivity is value added per worker
# by default (`agglomeration.outcome`); set it to `tfp` to use total factor productivity estimated by
# `agrocluster.productivity` (see workbook 03).
#
# **How to read the numbers.** An *elasticity* of 0.03 means that 10% more employment nearby goes with
# about 0.3% higher productivity (or wages). The usual range in the literature is 0.02–0.10 (Rosenthal &
# Strange 2004; Combes & Gobillon 2015). Where the establishment data are **synthetic**, the true elasticities
# the generator planted are shown beside the estimates (section 8): the numbers then test the method,
# they are not findings about the real cluster.

# %% tags=["parameters"]
cluster_id = "chile_wine"
overrides = {}
output_dir = ""
params_json = ""

# %%
from IPython.display import display

import agrocluster.params
from agrocluster import figures, record, tables
from agrocluster.data.cluster import load_cluster
from agrocluster.figures import agglomeration as agg_figures

params = agrocluster.params.load(cluster_id, overrides, params_json)
rec = record.Recorder(params, "02_agglomeration", output_dir)
figures.use_theme()
options = params.agglomeration

# %%
from agrocluster.workbooks import agglomeration as wb

# %% [markdown]
# ## 1. Data
#
# The regressions use the `establishments` table: one row per firm (or farm) and year, with employment,
# value added, the wage bill, the region and, where known, coordinates.


# %%
data = load_cluster(params, tables=["establishments"])
rec.add_inputs(data.provenance())
described = wb.describe_data(data, options.outcome)
rec.section("data", described, "Data behind this page")

# %%
rec.stop_unless(described)

# %% [markdown]
# ## 2. Agglomeration measures
#
# Each measure leaves the establishment itself out and is measured **one year before** the outcome
# (predetermined: today's productivity shock cannot have moved last year's employment of others):
#
# - **localisation** = ln(1 + employment of the *other* establishments of the same sector in the same
#   region, year t−1);
# - **urbanisation** = ln((1 + employment of all other establishments in the region, t−1) / region area in
#   km²), an employment density (Ciccone & Hall 1996); without region areas, total employment;
# - **distance bands**: own-sector employment, t−1, within 0–10, 10–25 and 25–50 km of the establishment
#   (`agglomeration.bands_km`), entered as ln(1 + employment) for the decay in section 6;
# - the **instrument** of the IV specification: localisation measured two years before (t−2).
#
# These are exactly the regressors of the synthetic generator (`truth["agglomeration"]`), so for synthetic
# data the estimates can be compared with the planted values. Region areas come, for synthetic data, from
# the generator's geography (in a real study: official region areas).


# %%
measured = wb.measures(described.result, options.bands_km)
rec.section("measures", measured, "Agglomeration measures before logs (workers; density in workers per km²): count of "
            "establishment-years with a value (the first year, or two, has no earlier year), mean and percentiles.")

# %% [markdown]
# ## 3. Productivity: three specifications
#
# Log productivity on log localisation and log urbanisation (Combes & Gobillon 2015, eq. 5.1), over the
# establishments of every sector:
#
# 1. **pooled OLS with sector-year fixed effects**: compares establishments of the same sector and year;
#    more productive firms may have chosen denser places (sorting), which this column mixes in;
# 2. **firm fixed effects** (plus sector-year): compares each firm with itself as employment around it
#    changes; the headline estimate;
# 3. **IV**: as (2), with localisation instrumented by its value a year earlier (t−2), against shocks
#    common to a region that move both productivity and last year's employment (reverse causality).
#
# Standard errors are clustered by region (`agglomeration.vcov`). With fewer than 30 regions the p-values
# come from a wild cluster bootstrap (`agglomeration.wild_bootstrap` replications).


# %%
productivity = wb.productivity_specifications(data, described.result, measured.result, options, params.productivity,
                                              seed=params.seed)
prod = productivity.result
rec.section("productivity-specifications", productivity, f"Elasticities of log productivity ({prod.label}) to the "
            "agglomeration measures: pooled, firm fixed effects, IV (first_stage_F: F statistic of the excluded "
            "instrument). Intervals are 95%.")

# %% [markdown]
# ## 4. Wages
#
# The same three specifications for the log average wage (wage bill per unit of labour). Higher wages in
# dense places are the other half of the agglomeration story: firms can pay more where they are more
# productive, and workers there may be more skilled (sorting again).


# %%
wages = wb.wage_specifications(prod, measured.result)
rec.section("wage-specifications", wages, "Elasticities of the log wage (wage bill per unit of labour) to the "
            "agglomeration measures, same specifications.")

# %%
rec.section("excluded-rows", wb.excluded_rows(prod, wages.result), "Establishment-years left out of each regression "
            "and why: the first year (two for the IV) has no earlier measure; non-positive outcomes have no log; firms "
            "seen once are singletons of the firm fixed effect.")

# %%
fig, ax = figures.new_figure(height=3.8)
agg_figures.coefficient_plot(ax, wb.localisation_by_specification(productivity, wages), wb.LABELS[wb.LOC], title="Localisation elasticity by specification",
                             planted=wb.planted_lines(described.result, options.outcome, params.productivity.value_added))
rec.figure("localisation-by-specification", fig, "Elasticity of productivity and wages to own-sector employment in "
           "the region (t−1), with 95% intervals. Dashed, for synthetic data: planted values (the wage elasticity to "
           "localisation is zero: the generator's wages depend on density only).")

# %% [markdown]
# ## 5. Sorting check
#
# If more productive firms locate where their sector is dense, the pooled elasticity overstates the gain
# from density, and firm fixed effects (which compare a firm with itself) pull it down. Combes, Duranton &
# Gobillon (2008) find the wage elasticity to density about halves once individual effects are controlled.
# The *sorting share* is (pooled − firm FE) / pooled, on the same sample.


# %%
sorted_ = wb.sorting(prod, wages.result)
rec.section("sorting", sorted_, "Sorting check: elasticities without and with firm fixed effects on the same sample; "
            "sorting share = (pooled − firm FE) / pooled. A share is only meaningful when the pooled elasticity is "
            "clearly non-zero.")

# %% [markdown]
# ## 6. How fast does the effect fade with distance?
#
# All distance bands enter one regression with firm and sector-year fixed effects (Rosenthal & Strange 2003),
# so each coefficient is the effect of own-sector employment at that distance holding the other rings fixed.
# Bands are entered as ln(1 + employment), since a ring can be empty.


# %%
decay = wb.distance_decay(described.result, prod, measured.result)
if decay.computed:
    fig, ax = figures.new_figure(height=3.8)
    agg_figures.decay_plot(ax, decay.result.table(), outcome="log productivity")
    display(rec.figure("distance-decay", fig, "Elasticity of log productivity to own-sector employment (t−1) in each "
                       "distance band, with 95% intervals; horizontal bars show the band's extent."))
rec.section("distance-decay", decay, "Elasticities by distance band (lower, upper km], firm and sector-year fixed "
            "effects.")

# %% [markdown]
# ## 7. What would a firm gain by moving into the cluster core?
#
# Take a firm of the cluster sector at the median localisation measure outside the core regions and move
# it to the median of the core (`regions` of the cluster), using the firm-FE elasticity β:
#
# **gain % = 100 × [ (M_core / M_non-core)^β − 1 ]**,
#
# where M is the localisation measure, 1 + own-sector employment in the region (last year). The standard
# error is by the delta method; the interval maps β's interval through the formula. It assumes β is causal
# and the same everywhere, and ignores congestion (land, wages) that a move would also bring.


# %%
gain = wb.core_move(prod, params.cluster_sector, params.regions)
rec.section("core-move-gain", gain, "Implied productivity gain of an establishment of the cluster sector (ISIC "
            f"{params.cluster_sector}) moving from the median non-core to the median core localisation (last year), "
            "with the firm-FE elasticity.")

# %% [markdown]
# ## 8. Planted versus estimated (synthetic data only)
#
# The generator plants TFP elasticities to localisation and urbanisation (on gross-output TFP; on the
# value-added scale they are divided by 1 − β_m) and a wage elasticity to density only. Two checks:
#
# - **TFP with the true technology**: the same firm-FE regression with productivity measured as
#   ln VA − β_l ln L − β_k ln K using the generator's own value-added elasticities. It isolates the
#   agglomeration regression from the production-function estimate.
# - **wages**: firm-FE wage elasticities against the planted 0 (localisation) and the planted density effect.
#
# Value added per worker is *not* expected to show the planted TFP elasticity: in the generator labour
# adjusts to expected productivity, and with Cobb–Douglas technology value added per worker then tracks the
# wage rather than TFP; only the part of productivity that labour has not yet caught up with shows.


# %%
rec.section("planted-vs-estimated", wb.planted_vs_estimated(described.result, prod, wages.result,
                                                            value_added=params.productivity.value_added),
            "Firm-FE estimates beside the planted elasticities (TFP on the value-added scale; wages). A dash in "
            "'planted': the generator plants no value for that outcome (value added per worker, see text).")

# %% [markdown]
# ## 9. Headline numbers and reading


# %%
for head in wb.headlines(prod, wages.result, sorted_, gain).result:
    rec.headline(**head)
reading = wb.reading(described.result, prod, wages.result, gain)
tables.callout(reading.title, reading.reading)

# %% [markdown]
# ## Summary and what comes next
#
# This page estimated how productivity and wages rise with own-sector and total employment around an
# establishment, with and without firm fixed effects and with an instrument, how the effect fades with
# distance, and what moving into the cluster core would be worth. Workbook 03 (productivity and programme)
# estimates TFP and the programme's effect; workbook 04 turns to export links. To use TFP here, run with
# `-p agglomeration.outcome=tfp`; for spatial standard errors, `-p agglomeration.vcov=conley`.

# %%
rec.save();
