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

# %%
import pandas as pd
from IPython.display import Markdown, display

import agrocluster.params
from agrocluster import agglomeration as ag
from agrocluster import figures, record, tables
from agrocluster.data.cluster import load_cluster
from agrocluster.figures import agglomeration as agg_figures

params = agrocluster.params.load(cluster_id, overrides)
rec = record.Recorder(params, "02_agglomeration", output_dir)
figures.use_theme()
options = params.agglomeration

# %% [markdown]
# ## 1. Data
#
# The regressions use the `establishments` table: one row per firm (or farm) and year, with employment,
# value added, the wage bill, the region and, where known, coordinates.

# %%
data = load_cluster(params, tables=["establishments"])
rec.add_inputs(data.provenance())
est = data["establishments"]
synthetic = data.is_synthetic("establishments")
for row in data.excluded_table().itertuples():
    rec.add_excluded(row.table, row.reason, row.n_rows)
has_coordinates = {"lat", "lon"} <= set(est.columns) and bool(est[["lat", "lon"]].notna().all().all())
n_sectors, n_regions = est["sector"].nunique(), est["region"].nunique()
if synthetic:
    rec.note("Establishment data are SYNTHETIC (agrocluster.data.synthetic): the elasticities test the method "
             "against planted true values; they are not findings about the real cluster.")
kind = "synthetic (generated with known true parameters)" if synthetic else f"real ({data.info['establishments'].origin})"
tables.callout(
    "Data behind this page",
    f"{len(est):,} establishment-years, {est['firm_id'].nunique():,} firms or farms, {n_sectors} sector(s), "
    f"{n_regions} regions, {'years' if est['year'].min() >= 1900 else 'periods (not calendar years)'} "
    f"{est['year'].min()}–{est['year'].max()}; establishment data are {kind}; "
    f"coordinates: {'yes' if has_coordinates else 'no'}.",
)

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
bands = list(zip(options.bands_km[:-1], options.bands_km[1:], strict=True))
areas = ({r["region"]: r["area_km2"] for r in data.truth["geography"]["regions"]} if synthetic else None)
lag1 = ag.lagged_measures(est, 1, bands=bands if has_coordinates else None, region_area_km2=areas)
lag2 = ag.lagged_measures(est, 2, region_area_km2=areas)
df = est.join(lag1.drop(columns=["firm_id", "year"])).join(lag2[["loc_emp_region_lag2"]])

LOC, INSTRUMENT = "loc_emp_region_lag1", "loc_emp_region_lag2"
URB = None if n_sectors == 1 else "urb_density_lag1" if areas else "urb_emp_region_lag1"
LABELS = {
    LOC: "localisation: ln(1 + own-sector employment in region, t−1)",
    "urb_density_lag1": "urbanisation: ln((1 + total employment in region, t−1) / km²)",
    "urb_emp_region_lag1": "urbanisation: ln(1 + total employment in region, t−1)",
}
unavailable = []
if URB is None:
    unavailable.append("**urbanisation**: the data have one sector only, so own-sector and total employment are the "
                       "same number; localisation and urbanisation cannot be told apart and only localisation is used "
                       "(sector-year fixed effects are then period effects)")
elif not areas:
    unavailable.append("**density**: no region areas, so urbanisation is total employment (firm fixed effects absorb "
                       "the area anyway)")
if not has_coordinates:
    unavailable.append("**distance bands and Conley standard errors**: the data have no coordinates")
for text in unavailable:
    rec.note(f"Agglomeration measure not computable: {text.replace('**', '')}.")
display(Markdown("**Not computable with these data:**\n\n" + "\n".join(f"- {t}" for t in unavailable))
        if unavailable else Markdown("Every measure above is computable with these data."))

# %%
NAMES = {
    LOC: "1 + own-sector employment in the region, t−1 (localisation)",
    "urb_emp_region_lag1": "1 + total employment in the region, t−1",
    "urb_density_lag1": "(1 + total employment in the region, t−1) per km² (urbanisation)",
    INSTRUMENT: "1 + own-sector employment in the region, t−2 (instrument)",
    **{ag.band_column(lo, hi, "loc_emp_lag1"): f"own-sector employment {lo:g}–{hi:g} km away, t−1" for lo, hi in bands},
}
measure_cols = [c for c in lag1.columns if c not in ("firm_id", "year")] + [INSTRUMENT]
summary = df[measure_cols].describe(percentiles=[0.1, 0.5, 0.9]).T.reset_index(names="column")
summary.insert(0, "measure", summary["column"].map(NAMES))
rec.table("measures", summary,
          "Agglomeration measures before logs (workers; density in workers per km²): count of establishment-years "
          "with a value (the first year, or two, has no earlier year), mean and percentiles.")

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
outcome_kind = options.outcome
if outcome_kind == "tfp":
    log_tfp, tfp_label, tfp_excluded = ag.estimated_log_tfp(
        est, method="acf" if "acf" in params.productivity.methods else params.productivity.methods[-1],
        value_added=params.productivity.value_added, poly_degree=params.productivity.poly_degree,
        markov_degree=params.productivity.markov_degree, seed=params.seed)
    df["productivity"], outcome_label = ag.agglomeration_outcome(df, "tfp", log_tfp=log_tfp)
    outcome_label = tfp_label
    for row in tfp_excluded.itertuples():
        rec.add_excluded("establishments", f"TFP estimation: {row.reason}", row.rows)
else:
    df["productivity"], outcome_label = ag.agglomeration_outcome(df, outcome_kind)
df["wage"], wage_label = ag.agglomeration_outcome(df, "wage")

inference, inference_notes = ag.inference_options(options.vcov, n_regions, options.wild_bootstrap,
                                                  options.conley_cutoff_km, has_coordinates)
for text in inference_notes:
    rec.note(text)
fit_options = dict(logs=True, drop_nonpositive=True, seed=params.seed, **inference)  # measures and outcomes are levels
prod = ag.agglomeration_specifications(df, "productivity", LOC, URB, instrument=INSTRUMENT, **fit_options)
display(Markdown(f"Productivity is measured as **{outcome_label}**.\n\n"
                 + "\n".join(f"- {n}" for n in inference_notes + [n for n in prod.notes if n not in inference_notes])))

# %%
SHOW = ["specification", "term", "elasticity", "se", "ci_low", "ci_high", "p", "p_kind", "nobs", "n_clusters",
        "standard_errors"]
prod_table = prod.table(LABELS)
rec.table("productivity-specifications", prod_table[[c for c in SHOW + ["first_stage_F"] if c in prod_table]],
          f"Elasticities of log productivity ({outcome_label}) to the agglomeration measures: pooled, firm fixed "
          "effects, IV (first_stage_F: F statistic of the excluded instrument). Intervals are 95%.")

# %% [markdown]
# ## 4. Wages
#
# The same three specifications for the log average wage (wage bill per unit of labour). Higher wages in
# dense places are the other half of the agglomeration story: firms can pay more where they are more
# productive, and workers there may be more skilled (sorting again).

# %%
wage = ag.agglomeration_specifications(df, "wage", LOC, URB, instrument=INSTRUMENT, **fit_options)
if data.info["establishments"].source == "rice_farms":
    display(Markdown("For these farms the wage bill covers hired labour only while labour counts all hours "
                     "(family labour is unpaid): the wage here mixes the wage rate with the hired share."))
wage_table = wage.table(LABELS)
rec.table("wage-specifications", wage_table[[c for c in SHOW + ["first_stage_F"] if c in wage_table]],
          f"Elasticities of the log wage ({wage_label}) to the agglomeration measures, same specifications.")

# %%
excluded = pd.concat([prod.excluded().assign(outcome="productivity"), wage.excluded().assign(outcome="wage")],
                     ignore_index=True)[["outcome", "specification", "reason", "n_rows"]]
for row in excluded.itertuples():
    rec.add_excluded("establishments", f"{row.outcome}, {row.specification}: {row.reason}", row.n_rows)
rec.table("excluded-rows", excluded,
          "Establishment-years left out of each regression and why: the first year (two for the IV) has no earlier "
          "measure; non-positive outcomes have no log; firms seen once are singletons of the firm fixed effect.")

# %%
both = pd.concat([prod_table.assign(outcome="productivity"), wage_table.assign(outcome="wage")], ignore_index=True)
planted_lines = None
if synthetic:
    agglo, va = data.truth["agglomeration"], data.truth["production"]["value_added"]
    planted_lines = {"wage": 0.0}
    if outcome_kind == "tfp":
        planted_lines["productivity"] = agglo["localisation_elasticity"] * (
            va["tfp_scale"] if params.productivity.value_added else 1.0)
fig, ax = figures.new_figure(height=3.8)
agg_figures.coefficient_plot(ax, both, LABELS[LOC], planted=planted_lines,
                             title="Localisation elasticity by specification")
rec.figure("localisation-by-specification", fig,
           "Elasticity of productivity and wages to own-sector employment in the region (t−1), with 95% intervals. "
           + ("Dashed: planted values (the wage elasticity to localisation is zero: the generator's wages depend on "
              "density only)." if synthetic else ""))

# %% [markdown]
# ## 5. Sorting check
#
# If more productive firms locate where their sector is dense, the pooled elasticity overstates the gain
# from density, and firm fixed effects (which compare a firm with itself) pull it down. Combes, Duranton &
# Gobillon (2008) find the wage elasticity to density about halves once individual effects are controlled.
# The *sorting share* is (pooled − firm FE) / pooled, on the same sample.

# %%
sorting = pd.concat([prod.sorting.table().assign(outcome="log productivity"),
                     wage.sorting.table().assign(outcome="log wage")], ignore_index=True)
sorting["term"] = sorting["term"].map(LABELS)
rec.table("sorting", sorting[["outcome", "term", "coef_pooled", "se_pooled", "coef_firm_fe", "se_firm_fe",
                              "sorting_share"]],
          "Sorting check: elasticities without and with firm fixed effects on the same sample; sorting share = "
          "(pooled − firm FE) / pooled. A share is only meaningful when the pooled elasticity is clearly non-zero.")

# %%
pooled_t = abs(float(prod.pooled.tstat[LOC]))
share = float(prod.sorting.sorting_share[LOC])
share_reading = (
    f"The pooled localisation elasticity of productivity is {prod.pooled.coef[LOC]:.3f} and {prod.within.coef[LOC]:.3f} "
    f"with firm fixed effects: a sorting share of {share:.2f}. "
)
if pooled_t < 2:
    share_reading += (f"The pooled elasticity is not distinguishable from zero (|t| = {pooled_t:.1f}), so the share is "
                      "a ratio to a noisy number near zero: it says nothing about sorting either way.")
elif share > 0:
    share_reading += (f"About {min(share, 1):.0%} of the raw elasticity is absorbed by firm fixed effects: better "
                      "firms are more often found where their sector is dense.")
else:
    share_reading += ("The within-firm elasticity exceeds the pooled one: no sign that better firms sort into places "
                      "where their sector is dense.")
tables.callout("Reading the sorting check", share_reading)

# %% [markdown]
# ## 6. How fast does the effect fade with distance?
#
# All distance bands enter one regression with firm and sector-year fixed effects (Rosenthal & Strange 2003),
# so each coefficient is the effect of own-sector employment at that distance holding the other rings fixed.
# Bands are entered as ln(1 + employment), since a ring can be empty.

# %%
if has_coordinates:
    decay = ag.distance_decay(df, "productivity", bands, prefix="loc_emp_lag1", urbanisation=URB,
                              fe=("firm_id", "sector^year"), **fit_options)
    fig, ax = figures.new_figure(height=3.8)
    agg_figures.decay_plot(ax, decay.table(), outcome="log productivity")
    display(rec.figure("distance-decay", fig,
                       "Elasticity of log productivity to own-sector employment (t−1) in each distance band, with 95% "
                       "intervals; horizontal bars show the band's extent."))
    display(rec.table("distance-decay", decay.table().drop(columns=["column"]),
                      "Elasticities by distance band (lower, upper km], firm and sector-year fixed effects."))
else:
    display(Markdown("**Skipped:** the data have no coordinates (villages only), so distances between "
                     "establishments are unknown."))
    rec.note("Distance decay skipped: no coordinates.")

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
last = df[(df["sector"] == params.cluster_sector) & (df["year"] == df["year"].max())]
in_core = last["region"].isin(params.regions)
gain = None
if not params.regions:
    reason = "the cluster defines no core regions (params `regions` is empty)"
elif in_core.all():
    reason = ("every establishment of the cluster sector is in a core region in the last year, so there is no "
              "non-core location to move from")
elif not in_core.any():
    reason = "no establishment of the cluster sector is in a core region in the last year"
else:
    gain = ag.core_move_gain(last, LOC, in_core, prod.within)
    reason = None
if gain is None:
    display(Markdown(f"**Skipped:** {reason}."))
    rec.note(f"Core-move gain not computed: {reason}.")
else:
    display(rec.table(
        "core-move-gain", gain.table(),
        f"Implied productivity gain of an establishment of the cluster sector (ISIC {params.cluster_sector}) moving "
        f"from the median non-core to the median core localisation ({int(df['year'].max())}), with the firm-FE "
        "elasticity."))

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
if synthetic:
    urb_key = URB or "urb_density_lag1"
    planted_tfp = {LOC: agglo["localisation_elasticity"] * va["tfp_scale"],
                   urb_key: agglo["urbanisation_elasticity"] * va["tfp_scale"]}
    planted_go = {LOC: agglo["localisation_elasticity"], urb_key: agglo["urbanisation_elasticity"]}
    planted_wage = {LOC: 0.0, urb_key: agglo["wage_density_elasticity"]}
    within = {"fe": ("firm_id", "sector^year"), **fit_options}
    parts = []
    if "beta_ll" not in va:
        df["tfp_true_technology"], _ = ag.agglomeration_outcome(
            df, "tfp", elasticities={"labour": va["beta_l"], "capital": va["beta_k"]}, output="value_added")
        oracle = ag.estimate_agglomeration(df, "tfp_true_technology", LOC, URB, **within)
        parts.append(ag.specification_table({"firm FE, TFP with the true technology": oracle}, LABELS, planted_tfp))
    parts.append(ag.specification_table({"firm FE, wage": wage.within}, LABELS, planted_wage))
    prod_planted = None
    if outcome_kind == "tfp":
        prod_planted = planted_tfp if params.productivity.value_added else planted_go
    parts.append(ag.specification_table({"firm FE, " + outcome_label: prod.within}, LABELS, prod_planted))
    check = pd.concat(parts, ignore_index=True)
    check = check[["specification", "term", "elasticity", "ci_low", "ci_high", "planted", "interval_covers_planted"]]
    display(rec.table(
        "planted-vs-estimated", check,
        "Firm-FE estimates beside the planted elasticities (TFP on the value-added scale; wages). A dash in "
        "'planted': the generator plants no value for that outcome (value added per worker, see text)."))
else:
    display(Markdown("**Not applicable:** the establishment data are real, so there is no planted truth."))

# %% [markdown]
# ## 9. Headline numbers and reading

# %%
b, se = float(prod.within.coef[LOC]), float(prod.within.se[LOC])
rec.headline("localisation_elasticity", b, se=se, label="Localisation elasticity of productivity (firm FE)",
             unit="elasticity", note=outcome_label)
if URB is not None:
    rec.headline("urbanisation_elasticity", float(prod.within.coef[URB]), se=float(prod.within.se[URB]),
                 label="Urbanisation elasticity of productivity (firm FE)", unit="elasticity", note=outcome_label)
rec.headline("sorting_share", share, label="Sorting share of the localisation elasticity (pooled vs firm FE)",
             unit="share", note=None if pooled_t >= 2 else "pooled elasticity not distinguishable from zero")
rec.headline("wage_localisation_elasticity", float(wage.within.coef[LOC]), se=float(wage.within.se[LOC]),
             label="Localisation elasticity of wages (firm FE)", unit="elasticity")
if gain is not None:
    rec.headline("core_move_gain_pct", gain.gain_pct, se=gain.gain_se_pct,
                 label="Productivity gain of moving into the cluster core", unit="%")
MEASURE_TEXT = "own-sector employment in the region"
sentences = [
    f"With firm fixed effects, {ag.elasticity_sentence(prod.within, LOC, MEASURE_TEXT, 'productivity')}.",
    f"For wages: {ag.elasticity_sentence(wage.within, LOC, MEASURE_TEXT, 'wages')}.",
]
if gain is not None:
    sentences.append(f"Moving a median firm of the cluster sector into the core would change its productivity by about "
                     f"{gain.gain_pct:.1f}% (interval {gain.gain_low_pct:.1f}% to {gain.gain_high_pct:.1f}%).")
sentences.append("Caveats: firm fixed effects remove sorting on time-invariant firm quality, not sorting of workers "
                 "over time; measuring agglomeration a year ahead, and the IV with a two-year lag, guard against "
                 "reverse causality only if shocks do not persist across years; the elasticities are averages over "
                 "all sectors of the region.")
if synthetic:
    sentences.append("The data are synthetic: section 8 shows how close the method comes to the planted values.")
if "wild_bootstrap" in inference:
    sentences.append(f"With {n_regions} regions, p-values rest on a wild cluster bootstrap.")
reading = " ".join(sentences)
tables.callout("Reading", reading)

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
