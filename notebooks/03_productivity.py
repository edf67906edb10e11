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
# # Productivity gains: TFP of cluster firms and farms, and the impact of the cluster programme
#
# **What this answers.** Do cluster members produce more from the same inputs than comparable firms
# outside the cluster, is that gap growing, and did the cluster programme cause any of it? We estimate the
# production function with several estimators (their disagreement is informative), measure total factor
# productivity (TFP) firm by firm, compare members with non-members, decompose aggregate productivity, and
# evaluate the programme with a staggered difference-in-differences design that stays valid when firms
# join in different years, with the usual two-way fixed effects regression beside it to show where that
# one misleads.
#
# **Prerequisites.** The cluster overview (workbook 00) for what the data are and which tables are real or
# synthetic. The parameters cell below runs the demo cluster; the runner (`agrocluster run`) injects others.
# Options: `productivity.*` (estimators, bootstrap replications, polynomial degrees) and `programme.*`
# (outcome, control group, bootstrap draws, spillover distance bands).

# %% tags=["parameters"]
cluster_id = "chile_wine"
overrides = {}
output_dir = ""
params_json = ""

# %%
import agrocluster.params
from agrocluster import record

params = agrocluster.params.load(cluster_id, overrides, params_json)
rec = record.Recorder(params, "03_productivity", output_dir)

# %%
import warnings

import numpy as np

from agrocluster import figures, tables
from agrocluster.data.cluster import load_cluster
from agrocluster.figures import productivity as fp
from agrocluster.productivity import workflow
from agrocluster.workbooks import common
from agrocluster.workbooks import productivity as wb

figures.use_theme()
# pyfixest reports the singleton firms it drops and did reports small cohorts: both are shown in tables below
warnings.filterwarnings("ignore", message=".*singleton fixed effect.*")
warnings.filterwarnings("ignore", message="small cohorts.*")
opts, prog = params.productivity, params.programme

# %% [markdown]
# ## 1. The data
#
# The firm (or farm) panel is the `establishments` table. Logs are taken only of positive values: rows with
# a zero or missing output or input are left out and counted below (nothing is dropped silently).


# %%
data = load_cluster(params, tables=["establishments"])
rec.add_inputs(data.provenance())
prepared = wb.prepare(data, opts.methods, value_added=opts.value_added)
rec.section("production-columns", prepared, "Columns of the production function: output measure, inputs and the "
            "proxy variables of the control-function estimators.")

# %%
rec.stop_unless(prepared)

# %% [markdown]
# ## 2. The production function across estimators
#
# TFP is what is left of output once inputs are accounted for, so it is only as good as the estimated input
# elasticities. Firms choose inputs knowing their own productivity, which biases OLS (labour gets too much
# credit); firm fixed effects (FE) remove only the permanent part. The control-function estimators use a
# proxy that reacts to productivity: Levinsohn–Petrin (LP, materials), Olley–Pakes (OP, investment) and
# Ackerberg–Caves–Frazer (ACF, materials, robust to labour being chosen before the period's shock), with
# Wooldridge's one-step GMM (WRDG) as a variant. Standard errors come from a block bootstrap over firms
# (`productivity.bootstrap` replications: raise it for publication). ACF is started from several points
# because its criterion can have more than one exact solution; Table 3 lists what each start reached.


# %%
production = wb.production_function(prepared.result, opts.methods, bootstrap=opts.bootstrap, seed=params.seed,
                                    poly_degree=opts.poly_degree, markov_degree=opts.markov_degree, exit=opts.exit)
fit = production.result
rec.section("production-function", production, "Production-function coefficients (output elasticities) by "
            f"estimator; block-bootstrap standard errors in brackets ({opts.bootstrap} replications).")

# %%
fig, ax = figures.new_figure(height=3.6)
fp.coefficients_by_method(ax, workflow.coefficient_frame(fit.fits), truth=fit.truth or None)
rec.figure("coefficients", fig, "Output elasticities by estimator with 95% intervals (block bootstrap); dashed "
           "ticks, for synthetic data: the true values of the generator.")

# %%
rec.section("acf-roots", wb.acf_roots(fit), "ACF from several starting values: each distinct solution (root) of the "
            "moment conditions, which starts reached it, whether it fits them as well as the best ('candidate') and "
            "whether every elasticity lies between 0 and 1 ('admissible'); the chosen root is reported in Table 2.")

# %%
rec.table("diagnostics", workflow.diagnostics_table(fit.fits), "Diagnostics by estimator: observations in the "
          "estimating equation, shares of rows lost to missing values and to missing lags, returns to scale "
          "(sum of elasticities) with its bootstrap SE and the p-value of constant returns, convergence.")

# %% [markdown]
# **Reading.** Compare each column with the others (and with the true values when the data are synthetic):
# OLS should give labour the largest elasticity, FE usually shrinks capital, and the proxy estimators should
# sit between. LP assumes labour reacts to the current shock like materials do; when labour is set before the
# shock (as in the synthetic generator) LP cannot separate labour from materials and its labour elasticity
# collapses, which is exactly the Ackerberg–Caves–Frazer critique. The rest of this workbook uses the TFP of
# the estimator named below.


# %% [markdown]
# ## 3. How productive are cluster members?
#
# ### 3.1 Distributions and dispersion
#
# The density of log TFP for members and for other firms, and the spread of TFP within sector and year:
# the 90–10 difference is the log-point gap between a firm at the 90th percentile and one at the 10th
# (Syverson 2004 reports a median ratio of about 1.9, i.e. 0.65 log points, in US manufacturing industries).


# %%
groups = wb.tfp_groups(prepared.result)
fig, ax = figures.new_figure(height=3.8)
fp.tfp_distributions(ax, fit.tfp, groups.labels, order=groups.order, title=f"Log TFP ({fit.method_name}) by group")
rec.figure("tfp-distribution", fig, f"Distribution of firm log TFP ({fit.method_name}) for {groups.what}; "
           "dotted lines are the medians.")

# %%
spread = wb.tfp_dispersion(prepared.result, fit, groups)
rec.section("dispersion", spread, "Dispersion of log TFP by group, pooled over years: standard deviation, 90–10 and "
            "75–25 differences (log points) and the corresponding ratios of TFP levels.")

# %% [markdown]
# ### 3.2 The member premium, and whether it grows
#
# Members are compared with non-members **of the same sector in the same year** (sector × year fixed
# effects); standard errors are clustered by firm. The premium is in log points: 0.10 means about 10.5 %
# higher TFP. It is a descriptive gap, not the effect of joining: productive firms may locate in the cluster.


# %%
premium = wb.member_premium(prepared.result, fit, fe=("sector", "year"))
rec.section("premium", premium, "Member premium (log points) with 95% intervals: overall, its trend per period (a "
            "positive trend means a growing gap) and year by year, with the firms compared.")

# %%
if premium.computed:
    fig, ax = figures.new_figure(height=3.6)
    fp.premium_by_year(ax, premium.result.by_year, overall=premium.result.premium)
    rec.figure("premium-by-year", fig, "Members' log-TFP premium over non-members of the same sector, by year, with "
               "95% intervals (SE clustered by firm); dashed: all years together.")

# %% [markdown]
# ### 3.3 Aggregate productivity: better firms, or more output in better firms?
#
# The Olley–Pakes decomposition splits output-weighted mean log TFP into the unweighted mean (how productive
# the typical firm is) and the covariance between output share and productivity (allocative efficiency:
# whether the more productive firms produce more). A rising covariance means output is moving to better firms.


# %%
decomposition = wb.olley_pakes(prepared.result, fit)
fig, axes = figures.new_figure(width=5 + 2.5 * len(decomposition.result), height=3.8, ncols=len(decomposition.result))
for ax, (label, op) in zip(np.atleast_1d(axes).ravel(), decomposition.result):
    fp.op_decomposition(ax, op, title=f"Olley–Pakes: {label}")
rec.figure("olley-pakes", fig, f"Olley–Pakes decomposition of output-weighted log TFP ({fit.method_name}): change "
           "since the first period of the aggregate, of the unweighted mean and of the covariance of output shares "
           "with productivity (aggregate = mean + covariance).")

# %%
rec.section("olley-pakes", decomposition, "Olley–Pakes decomposition by period and group (log TFP); d_ columns are "
            "changes since the first period.")

# %% [markdown]
# ## 4. Did the programme raise the participants' outcome?
#
# The programme admits firms in waves ("cohorts"). A staggered difference-in-differences (Callaway &
# Sant'Anna 2021) compares each cohort's change in the outcome since just before its entry with the change
# among comparison firms (`programme.control`: never treated, or not yet treated), period by period, and
# then averages these comparisons. Its assumption is **parallel trends**: without the programme, participants
# would have evolved like the comparison firms. Pre-entry estimates near zero support it; the pre-trend test
# checks them jointly. Bands around the event-time estimates are **uniform**: they cover all event times
# together 95% of the time. The outcome is the log of `programme.outcome`; the design uses a balanced panel
# (units seen in every period), as R's `did` does.


# %%
sample = wb.programme_sample(prepared.result, fit, outcome=prog.outcome)
rec.section("programme-exits", sample, "Is participation absorbing? Units that ever enter the programme, those that "
            "leave it in a later period, and the share of post-entry periods spent outside it.")

# %%
programme = wb.programme_effects(sample.result, prepared.result.truth_programme, control=prog.control,
                                 seed=params.seed, anticipation=prog.anticipation, bootstrap=prog.bootstrap)
effects = programme.result
rec.section("did-sample", programme, "The staggered DiD sample: units kept, comparison group and units left out "
            "(by did's rules).")

# %%
rec.section("did-cohorts", wb.did_cohorts(programme), "Effect by cohort (average over its post-entry periods, log points) "
          "with uniform bands; cohorts with few units give wide bands.")

# %%
common.show_figure(rec, "event-study", wb.event_study_figure(programme))

# %%
rec.section("did-vs-twfe", wb.did_vs_twfe(effects), "Programme effect (log points): staggered DiD against two-way "
            "fixed effects. TWFE compares late entrants with early ones already treated; with effects that grow over "
            "time this gives some cells negative weight and can bias it in either direction.")

# %% [markdown]
# ### 4.1 Spillovers to firms that did not take part
#
# A programme can also help (or crowd out) non-participants nearby. Following the IDB evaluations of cluster
# programmes, non-participants within each distance band of a participant are compared, by the same staggered
# DiD, with non-participants beyond the last band (`programme.spillover_bands_km`); exposure starts when the
# first participant within the band's outer edge enters. If spillovers exist, never-treated firms near
# participants are not clean controls for the main estimate above.


# %%
rec.section("spillovers", wb.spillovers(prepared.result, sample.result, prog.spillover_bands_km, seed=params.seed),
            "Effects on non-participants by distance to the nearest participant (outcome: see the reading): "
            "staggered DiD (simple ATT, analytic SE) and pooled TWFE, against non-participants beyond "
            f"{prog.spillover_bands_km[-1]:g} km.")

# %% [markdown]
# ## 5. Headline numbers and plain-language reading


# %%
heads = wb.headlines(fit, spread.result, premium, effects)
for head in heads.result:
    rec.headline(**head)
rec.section("headline", heads, "Headline numbers recorded for the cross-cluster synthesis.")

# %%
summary = wb.reading(fit, spread.result, premium, effects)
tables.callout(summary.title, summary.reading)

# %% [markdown]
# **Caveats.**
# - TFP is a residual: it contains measurement error and, with revenue data, price differences (a price
#   premium from a cluster brand shows up as "productivity").
# - The control-function estimators rest on timing assumptions (when labour and materials are chosen); the
#   comparison across estimators, and with the truth when the data are synthetic, shows how much they matter.
#   When the ACF criterion has several exact roots the choice among them is a stated rule (elasticities
#   between 0 and 1, then the Hansen J of moments with lagged inputs as extra instruments), shown in Table 3.
# - The member premium is descriptive. The programme effect is causal only under parallel trends, with no
#   spillovers onto the comparison firms, and with cohorts large enough for the bands to mean something.
# - Synthetic tables demonstrate and test the methods; their numbers are not findings about the real cluster.
#
# ## Summary and what comes next
#
# This workbook estimated the production function several ways, measured firm TFP, compared members with
# non-members, decomposed aggregate productivity and evaluated the programme with a design that suits
# staggered entry. Agglomeration effects on productivity (why members might be more productive: nearby
# employment in the same sector, urbanisation) are in workbook 02; export links of the cluster are in 04, and
# the cross-cluster synthesis ranks the member premium and programme effect across clusters.

# %%
rec.save();
