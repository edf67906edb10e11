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

# %%
import agrocluster.params
from agrocluster import record

params = agrocluster.params.load(cluster_id, overrides)
rec = record.Recorder(params, "03_productivity", output_dir)

# %%
import warnings

import numpy as np
import pandas as pd

from agrocluster import figures, tables
from agrocluster.data.cluster import load_cluster
from agrocluster.data.contracts import positive_for_logs
from agrocluster.errors import EstimationError
from agrocluster.figures import productivity as fp
from agrocluster.productivity import (
    dispersion,
    mean_within_dispersion,
    olley_pakes_decomposition,
    productivity_premium,
    workflow,
)
from agrocluster.programmes import (
    credibility_reading,
    event_study,
    spillover_effects,
    staggered_did,
    twfe_did,
)
from agrocluster.programmes.prepare import programme_panel, treatment_exits

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
data = load_cluster(params)
rec.add_inputs(data.provenance())
for row in data.excluded_table().itertuples():
    rec.add_excluded(row.table, row.reason, row.n_rows)
est = data["establishments"]
synthetic = data.is_synthetic("establishments")
truth_prod = data.truth.get("production") if synthetic else None
truth_prog = data.truth.get("programme") if synthetic else None
has_members = "cluster_member" in est.columns and est["cluster_member"].nunique() == 2
has_coords = {"lat", "lon"} <= set(est.columns) and est[["lat", "lon"]].notna().any(axis=None)

spec = workflow.production_spec(est, opts.methods, value_added=opts.value_added)
panel, excluded_logs = positive_for_logs(est, spec.log_columns, source="establishments")
for row in excluded_logs[excluded_logs["n_rows"] > 0].itertuples():
    rec.add_excluded("establishments", row.reason, row.n_rows)
kind = "synthetic (generated with known true parameters)" if synthetic else "real"
print(f"{len(est):,} {kind} firm-period rows, {est['firm_id'].nunique():,} units, "
      f"periods {int(est['year'].min())}–{int(est['year'].max())}; {len(panel):,} rows usable for logs.")
for note in spec.notes:
    print("Note:", note)
    rec.note(note)
rec.table("production-columns", spec.table(), "Columns of the production function: output measure, inputs "
          "and the proxy variables of the control-function estimators.")

# %%
if params.table_source("establishments").source == "rice_farms":
    tables.callout("Real farm data: what they can and cannot support",
                   "171 rice farms in six Javanese villages over six growing seasons (the 'year' column is the "
                   "season 1-6, not a calendar year). Output is rough rice in kg, land (ha) is the state input, "
                   "labour in hours, materials in Rupiah. There is no capital, no investment, no value added, no "
                   "coordinates and no cluster membership: Olley-Pakes needs investment, the member premium "
                   "needs membership and the distance spillovers need coordinates, so those parts are skipped "
                   "below and say why. The programme is BIMAS, which many farms leave again (section 4).")

# %% [markdown]
# ## 2. The production function across estimators
#
# TFP is what is left of output once inputs are accounted for, so it is only as good as the estimated input
# elasticities. Firms choose inputs knowing their own productivity, which biases OLS (labour gets too much
# credit); firm fixed effects (FE) remove only the permanent part. The control-function estimators use a
# proxy that reacts to productivity: Levinsohn–Petrin (LP, materials), Olley–Pakes (OP, investment) and
# Ackerberg–Caves–Frazer (ACF, materials, robust to labour being chosen before the period's shock), with
# Wooldridge's one-step GMM (WRDG) as a variant. Standard errors come from a block bootstrap over firms
# (`productivity.bootstrap` replications, 199 by default: enough for standard errors). ACF is started from several points
# because its criterion can have more than one exact solution; Table 3 lists what each start reached.

# %%
fits = workflow.fit_methods(panel, spec, opts.methods, bootstrap=opts.bootstrap, seed=params.seed,
                            poly_degree=opts.poly_degree, markov_degree=opts.markov_degree, exit=opts.exit)
truth_coef = workflow.truth_coefficients(truth_prod, spec)
main = fits.preferred()
res = fits.results[main]
for row in fits.skipped.itertuples():
    if row.reason != "its proxy is not in the data":  # those are already noted with the columns above
        rec.note(f"Production function: {row.method} not estimated ({row.reason}).")
caption = (f"Production-function coefficients (output elasticities) by estimator, {'value added' if spec.value_added else 'gross output'}; "
           f"block-bootstrap standard errors in brackets ({opts.bootstrap} replications)")
caption += ("; 'true value' is the elasticity the synthetic generator planted." if truth_coef else ".")
rec.table("production-function", workflow.method_table(fits, truth_coef), caption)

# %%
fig, ax = figures.new_figure(height=3.6)
fp.coefficients_by_method(ax, workflow.coefficient_frame(fits), truth=truth_coef or None)
rec.figure("coefficients", fig, "Output elasticities by estimator with 95% intervals (block bootstrap)"
           + ("; dashed ticks: the true values of the synthetic generator." if truth_coef else "."))

# %%
if fits.acf_scan is not None:
    scan = fits.acf_scan
    print(scan.summary())
    if scan.several:
        rec.note(f"ACF: {scan.summary()} The root reached from the OLS start (Stata prodest's default) is "
                 "listed in Table 3; no statistic can rank exact roots.")
    roots = scan.table().drop(columns=["criterion"]).rename(columns={"n_starts": "starts reaching it"})
    shown = rec.table("acf-roots", roots, "ACF from several starting values: each distinct solution (root) of the "
                      "moment conditions, which starts reached it, whether it fits them as well as the best "
                      "('candidate') and whether every elasticity lies between 0 and 1 ('admissible'); the chosen "
                      "root is reported in Table 2.")
else:
    shown = tables.callout("ACF not run", "ACF is not among productivity.methods.")
shown

# %%
rec.table("diagnostics", workflow.diagnostics_table(fits), "Diagnostics by estimator: observations in the "
          "estimating equation, shares of rows lost to missing values and to missing lags, returns to scale "
          "(sum of elasticities) with its bootstrap SE and the p-value of constant returns, convergence.")

# %% [markdown]
# **Reading.** Compare each column with the others (and with the true values when the data are synthetic):
# OLS should give labour the largest elasticity, FE usually shrinks capital, and the proxy estimators should
# sit between. LP assumes labour reacts to the current shock like materials do; when labour is set before the
# shock (as in the synthetic generator) LP cannot separate labour from materials and its labour elasticity
# collapses, which is exactly the Ackerberg–Caves–Frazer critique. The rest of this workbook uses the TFP of
# the estimator named below.

# %%
print(f"TFP used below: {workflow.METHOD_NAMES[main]} (log TFP = log output − Σ elasticity × log input, "
      f"including the measurement error; {res.tfp.notna().sum():,} firm-periods).")
for row in res.excluded.itertuples():
    if row.rows > 0:
        rec.add_excluded("establishments", f"{workflow.METHOD_NAMES[main]} estimating equation: {row.reason}", row.rows)
tfp = res.tfp
rts = res.diagnostics["returns_to_scale"]

# %% [markdown]
# ## 3. How productive are cluster members?
#
# ### 3.1 Distributions and dispersion
#
# The density of log TFP for members and for other firms, and the spread of TFP within sector and year:
# the 90–10 difference is the log-point gap between a firm at the 90th percentile and one at the 10th
# (Syverson 2004 reports a median ratio of about 1.9, i.e. 0.65 log points, in US manufacturing industries).

# %%
if has_members:
    groups = panel["cluster_member"].map({True: "cluster members", False: "other firms"})
    order, what = ["cluster members", "other firms"], "members and other firms"
else:
    groups, order, what = panel["region"].astype(str), None, "villages (the data define no cluster membership)"
fig, ax = figures.new_figure(height=3.8)
fp.tfp_distributions(ax, tfp, groups, order=order, title=f"Log TFP ({workflow.METHOD_NAMES[main]}) by group")
rec.figure("tfp-distribution", fig, f"Distribution of firm log TFP ({workflow.METHOD_NAMES[main]}) for {what}; "
           "dotted lines are the medians.")

# %%
disp_9010, n_cells = mean_within_dispersion(tfp, by=panel[["sector", "year"]])
disp_group = dispersion(tfp, by=groups).reset_index(names="group")
disp_group["n"] = disp_group["n"].astype(int)
rec.table("dispersion", disp_group[["group", "n", "sd", "p90_p10", "p75_p25", "ratio_90_10", "ratio_75_25"]],
          "Dispersion of log TFP by group, pooled over years: standard deviation, 90–10 and 75–25 differences "
          "(log points) and the corresponding ratios of TFP levels.")

# %%
print(f"Within sector and year, the 90–10 difference of log TFP averages {disp_9010:.3f} log points "
      f"(a ratio of {np.exp(disp_9010):.2f}) over {n_cells} sector-year cells, weighted by firms.")

# %% [markdown]
# ### 3.2 The member premium, and whether it grows
#
# Members are compared with non-members **of the same sector in the same year** (sector × year fixed
# effects); standard errors are clustered by firm. The premium is in log points: 0.10 means about 10.5 %
# higher TFP. It is a descriptive gap, not the effect of joining: productive firms may locate in the cluster.

# %%
premium = None
if has_members:
    try:
        premium = productivity_premium(panel, tfp, member="cluster_member", fe=("sector", "year"))
    except EstimationError as exc:
        rec.note(f"Member premium not estimable: {exc}")
        print("Member premium not estimable:", exc)
if premium is not None:
    print(premium.summary())
    for row in premium.excluded.itertuples():
        rec.add_excluded("establishments", f"member premium: {row.reason}", row.rows)
    fig, ax = figures.new_figure(height=3.6)
    fp.premium_by_year(ax, premium.by_year, overall=premium.premium)
    shown = rec.figure("premium-by-year", fig, "Members' log-TFP premium over non-members of the same sector, by "
                       "year, with 95% intervals (SE clustered by firm); dashed: all years together.")
else:
    if not has_members:
        rec.note("Member premium: the data define no cluster membership (no cluster_member column), so there is "
                 "no premium to estimate.")
    shown = tables.callout("No member premium", "This cluster's data do not say which units are cluster members "
                           "(or no comparison cell has both), so the premium is not estimated.")
shown

# %%
shown = None
if premium is not None:
    overall = premium.table().assign(year="all", ci_low=lambda d: d["estimate"] - 1.96 * d["se"],
                                     ci_high=lambda d: d["estimate"] + 1.96 * d["se"])
    by_year = premium.by_year.rename(columns={"premium": "estimate"}).assign(
        year=premium.by_year["year"].astype(str), term="member premium in the year")
    table = pd.concat([overall, by_year], ignore_index=True)
    table[["n_members", "n_others"]] = table[["n_members", "n_others"]].astype("Int64")
    shown = rec.table("premium", table[["term", "year", "estimate", "se", "pvalue", "ci_low", "ci_high",
                                        "n_members", "n_others"]],
                      "Member premium (log points) with 95% intervals: overall, its trend per period (a positive "
                      "trend means a growing gap) and year by year, with the firms compared.")
shown

# %% [markdown]
# ### 3.3 Aggregate productivity: better firms, or more output in better firms?
#
# The Olley–Pakes decomposition splits output-weighted mean log TFP into the unweighted mean (how productive
# the typical firm is) and the covariance between output share and productivity (allocative efficiency:
# whether the more productive firms produce more). A rising covariance means output is moving to better firms.

# %%
split = [("cluster members", panel["cluster_member"]), ("other firms", ~panel["cluster_member"])] if has_members \
    else [("all farms" if not synthetic else "all firms", pd.Series(True, index=panel.index))]
fig, axes = figures.new_figure(width=7.5 if len(split) == 1 else 10, height=3.8, ncols=len(split))
op_tables = []
for ax, (label, mask) in zip(np.atleast_1d(axes).ravel(), split):
    sub = panel[mask]
    op = olley_pakes_decomposition(sub, tfp.reindex(sub.index), weight="output")
    fp.op_decomposition(ax, op, title=f"Olley–Pakes: {label}")
    op_tables.append(op.reset_index().assign(group=label))
rec.figure("olley-pakes", fig, f"Olley–Pakes decomposition of output-weighted log TFP ({workflow.METHOD_NAMES[main]}): "
           "change since the first period of the aggregate, of the unweighted mean and of the covariance of output "
           "shares with productivity (aggregate = mean + covariance).")

# %%
op_all = pd.concat(op_tables, ignore_index=True)
op_all["year"] = op_all["year"].astype(str)
rec.table("olley-pakes", op_all[["group", "year", "n", "aggregate", "unweighted_mean", "covariance", "d_aggregate",
                                 "d_mean", "d_cov"]],
          "Olley–Pakes decomposition by period and group (log TFP); d_ columns are changes since the first period.")

# %% [markdown]
# ## 4. Did the programme raise the participants' outcome?
#
# The programme admits firms in waves ("cohorts"). A staggered difference-in-differences (Callaway &
# Sant'Anna 2021) compares each cohort's change in the outcome since just before its entry with the change
# among comparison firms (`programme.control`: never treated, or not yet treated), period by period, and
# then averages these comparisons. Its assumption is **parallel trends**: without the programme, participants
# would have evolved like the comparison firms. Pre-entry estimates near zero support it; the pre-trend test
# checks them jointly, with a small-sample reference that keeps its size in cohorts of a few firms (R did's Wald
# test rejects far too often there). When it rejects, the estimate is not credible as a causal effect and the
# synthesis does not rank it. Each cohort's minimum detectable effect says how large an effect it could see. Bands around the event-time estimates are **uniform**: they cover all event times
# together 95% of the time. The outcome is the log of `programme.outcome`; the design uses a balanced panel
# (units seen in every period), as R's `did` does.

# %%
prog_df, prog_excl = programme_panel(panel, prog.outcome, tfp=tfp)
outcome_txt = "log TFP" if prog.outcome == "tfp" else f"log {prog.outcome}"
for row in prog_excl.itertuples():
    rec.add_excluded("establishments", f"programme: {row.reason}", row.n_rows)
exits = None
if "bimas_participant" in prog_df.columns:
    exits = treatment_exits(prog_df, "bimas_participant")
    shown = rec.table("programme-exits", exits, "Is participation absorbing? Units that ever enter the programme, those "
                      "that leave it in a later period, and the share of post-entry periods spent outside it.")
    e0 = exits.iloc[0]
    rec.note(f"BIMAS participation is not absorbing: {int(e0.units_leaving_later)} of {int(e0.units_ever_in)} farms "
             f"that enter leave in a later season ({100 * e0.share_post_entry_out:.0f}% of post-entry seasons are "
             "spent outside). The staggered DiD dates treatment by first entry and treats every later season as "
             "treated: it estimates the effect of having entered (intention to treat), not of staying in.")
else:
    shown = tables.callout("Treatment is absorbing here", "Once in the programme, a firm stays in: entry dates "
                           "define treatment, as the staggered DiD assumes.")
shown

# %%
did = staggered_did(prog_df, "log_outcome", "firm_id", "year", "first_treated", control=prog.control,
                    seed=params.seed, anticipation=prog.anticipation, bootstrap=prog.bootstrap)
simple, dynamic = did.aggregate("simple"), did.aggregate("dynamic")
group_agg = did.aggregate("group")
for row in did.excluded.itertuples():
    rec.add_excluded("establishments", f"staggered DiD (units, not rows): {row.reason}", row.n_units)
for text in did.notes:
    rec.note(f"Staggered DiD: {text}")
cohorts = did.att_gt.groupby("group", as_index=False)["n_treated"].max()
cohorts = cohorts.merge(group_agg.table, on="group", how="left")
cohorts["group"] = cohorts["group"].astype(str)
cohorts = cohorts.merge(did.power()[["cohort", "mde"]], left_on="group", right_on="cohort").drop(columns="cohort")
rec.table("did-sample", pd.concat([
    pd.DataFrame({"item": ["units in the balanced panel", "comparison group", "estimator",
                           "multiplier-bootstrap draws", "anticipation periods"],
                  "value": [f"{did.n_units:,}", did.control.replace("_", " "), did.est_method,
                            f"{did.bootstrap:,}", str(did.anticipation)]}),
    did.excluded.rename(columns={"reason": "item", "n_units": "value"}).assign(
        item=lambda d: "left out: " + d["item"], value=lambda d: d["value"].map("{:,} units".format)),
], ignore_index=True), "The staggered DiD sample: units kept, comparison group and units left out (by did's rules).")

# %%
rec.table("did-cohorts", cohorts.rename(columns={"group": "cohort (entry period)", "n_treated": "units"}),
          "Effect by cohort (average over its post-entry periods, log points) with uniform bands and the minimum "
          "detectable effect (mde: 80% power, 5% size); cohorts with few units give wide bands and large mde.")

# %%
es_twfe = event_study(prog_df, "log_outcome", "firm_id", "year", "first_treated", method="twfe")
twfe = twfe_did(prog_df, "log_outcome", "firm_id", "year", "first_treated")
truth_es = pd.DataFrame(truth_prog["att_event_study"]) if truth_prog and prog.outcome == "output" else None
fig, ax = figures.new_figure(height=4.2)
fp.event_study(ax, dynamic.table, es_twfe.table(), truth_es,
               band="uniform 95% band" if dynamic.uniform else "pointwise 95% interval")
rec.figure("event-study", fig, f"Effect of the programme on {outcome_txt} by periods since entry: Callaway–Sant'Anna "
           f"({'uniform' if dynamic.uniform else 'pointwise'} 95% band), dynamic TWFE beside it (reference period −1)"
           + ("; dashed: the true effect planted by the synthetic generator." if truth_es is not None else "."))

# %%
comparison = pd.DataFrame([
    {"estimate": "Callaway–Sant'Anna, simple ATT", "value": simple.overall, "se": simple.se,
     "ci_lower": simple.ci_lower, "ci_upper": simple.ci_upper},
    {"estimate": "Callaway–Sant'Anna, mean of event-time effects (e ≥ 0)", "value": dynamic.overall,
     "se": dynamic.se, "ci_lower": dynamic.ci_lower, "ci_upper": dynamic.ci_upper},
    {"estimate": "static TWFE coefficient", "value": twfe.coef, "se": twfe.se, "ci_lower": twfe.ci_lower,
     "ci_upper": twfe.ci_upper},
    {"estimate": "TWFE: share of treated cells with negative weight", "value": twfe.negative_weight_share},
    {"estimate": "minimum detectable effect of the simple ATT (80% power, 5% size)",
     "value": did.summary()["mde"].iloc[0]},
    {"estimate": "pre-trend test p-value (sup-t, small-sample t reference)", "value": did.pretrend_pvalue},
    {"estimate": "pre-trend test p-value (Wald as R did; over-rejects with small cohorts)",
     "value": did.pretest_pvalue},
])
if truth_prog and prog.outcome == "output":
    comparison = pd.concat([comparison, pd.DataFrame([{"estimate": "true simple ATT (synthetic generator)",
                                                       "value": truth_prog["att_simple"]}])], ignore_index=True)
rec.table("did-vs-twfe", comparison, "Programme effect (log points): staggered DiD against two-way fixed effects. TWFE "
          "compares late entrants with early ones already treated; with effects that grow over time this gives "
          "some cells negative weight and can bias it in either direction.")

# %%
for row in twfe.excluded.itertuples():
    rec.add_excluded("establishments", f"TWFE: {row.reason}", row.n_rows)
print(f"Staggered DiD, simple ATT: {simple.overall:.3f} log points (SE {simple.se:.3f}, 95% CI "
      f"{simple.ci_lower:.3f} to {simple.ci_upper:.3f}); static TWFE: {twfe.coef:.3f} (SE {twfe.se:.3f}).")
credibility = credibility_reading(did)
print(credibility)
rec.note(f"Programme: {credibility}")

# %% [markdown]
# ### 4.1 Spillovers to firms that did not take part
#
# A programme can also help (or crowd out) non-participants nearby. Following the IDB evaluations of cluster
# programmes, non-participants within each distance band of a participant are compared, by the same staggered
# DiD, with non-participants beyond the last band (`programme.spillover_bands_km`); exposure starts when the
# first participant within the band's outer edge enters. If spillovers exist, never-treated firms near
# participants are not clean controls for the main estimate above.

# %%
if has_coords:
    spill = spillover_effects(prog_df, "log_outcome", "firm_id", "year", "first_treated", exposure="distance",
                              bands=tuple(prog.spillover_bands_km), seed=params.seed)
    for row in spill.excluded.itertuples():
        if not row.reason.startswith("participants"):
            rec.add_excluded("establishments", f"spillovers (units): {row.reason}", row.n_units)
    cap = (f"Effects on non-participants by distance to the nearest participant ({outcome_txt}): staggered DiD "
           "(simple ATT, analytic SE, minimum detectable effect, sup-t pre-trend p-value and whether it lets the "
           "estimate stand as causal) and pooled TWFE, against non-participants beyond "
           f"{prog.spillover_bands_km[-1]:g} km.")
    if truth_prog:
        cap += (f" True spillover in the synthetic data: {truth_prog['spillover_effect']:+.3f} log points within "
                f"{truth_prog['spillover_band_km']:g} km of a participant, from its entry.")
    shown = rec.table("spillovers", spill.table()[["band", "att", "se", "ci_lower", "ci_upper", "mde", "pretrend_pvalue",
                                                   "credible", "n_exposed", "n_unexposed", "twfe_coef", "twfe_se"]], cap)
else:
    rec.note("Spillovers: the data have no coordinates, so distance to participants cannot be measured.")
    shown = tables.callout("No spillover estimate", "The establishments have no latitude/longitude: exposure to "
                           "participants by distance cannot be measured.")
shown

# %% [markdown]
# ## 5. Headline numbers and plain-language reading

# %%
label_state = spec.state[0]
heads = []
if premium is not None:
    heads.append(("member_tfp_premium", premium.premium, premium.se,
                  f"member TFP premium ({workflow.METHOD_NAMES[main]}, sector-year FE)", "log points", None))
else:
    heads.append(("member_tfp_premium", None, None, "member TFP premium", "log points",
                  "not estimable: the data define no cluster membership"))
heads.append(("programme_att", simple.overall, simple.se, f"programme ATT on {outcome_txt} (staggered DiD)",
              "log points", "intention to treat (entry date; exits ignored)" if exits is not None else None))
if "acf" in fits.results:
    acf = fits.results["acf"]
    heads.append(("acf_beta_l", acf.coef["labour"], acf.se["labour"], "ACF output elasticity of labour",
                  "elasticity", None))
    heads.append(("acf_beta_k", acf.coef[label_state], acf.se[label_state],
                  f"ACF output elasticity of {label_state}" + (" (the farms' state input; no capital in the data)"
                                                               if label_state != "capital" else ""),
                  "elasticity", None if label_state == "capital" else "land, not capital"))
    acf_rts = acf.diagnostics["returns_to_scale"]
    heads.append(("returns_to_scale", acf_rts["sum"], acf_rts["se"], "ACF returns to scale (sum of elasticities)",
                  "elasticity", None))
else:
    rec.note("ACF is not among productivity.methods: acf_beta_l, acf_beta_k and returns_to_scale are not recorded.")
heads.append(("tfp_dispersion_9010", disp_9010, None,
              f"90–10 log-TFP difference within sector-year ({workflow.METHOD_NAMES[main]})", "log points", None))
heads.append(("programme_pretrend_pvalue", None if np.isnan(did.pretrend_pvalue) else did.pretrend_pvalue, None,
              "pre-trend test p-value (sup-t)", None, None))
heads.append(("programme_credible", None if did.credible is None else int(did.credible), None,
              "programme ATT credible as a causal effect (pre-trend test not rejected; 1 = yes)", "flag", None))
heads.append(("programme_mde", did.summary()["mde"].iloc[0], None,
              "minimum detectable programme effect (80% power, 5% size)", "log points", None))
for key, value, se, label, unit, note in heads:
    rec.headline(key, None if value is None else float(value),
                 se=None if se is None or not np.isfinite(se) else float(se), label=label, unit=unit, note=note)
rec.table("headline", pd.DataFrame([{"key": k, "value": v, "se": s, "unit": u or "", "meaning": lab}
                                    for k, v, s, lab, u, _ in heads]),
          "Headline numbers recorded for the cross-cluster synthesis.")


# %%
def _ci(value, se):
    return "–" if value is None or se is None or not np.isfinite(se) else f"{value - 1.96 * se:.3f} to {value + 1.96 * se:.3f}"


lines = []
if "acf" in fits.results:
    acf = fits.results["acf"]
    inputs = list(acf.elasticities.columns)
    lines.append("Production: ACF gives output elasticities of " + ", ".join(f"{n} {acf.coef[n]:.2f}" for n in inputs)
                 + f" (returns to scale {acf_rts['sum']:.2f}, 95% CI {_ci(acf_rts['sum'], acf_rts['se'])}).")
    if truth_coef:
        lines.append("The synthetic truth is " + ", ".join(f"{n} {truth_coef[n]:.2f}" for n in inputs if n in truth_coef)
                     + "; the gap shows what the estimator's assumptions miss in these data.")
if premium is not None:
    lines.append(f"Members: {100 * (np.exp(premium.premium) - 1):.1f}% higher TFP than comparable non-members "
                 f"(log points {premium.premium:.3f}, 95% CI {_ci(premium.premium, premium.se)}), a gap changing by "
                 f"{premium.trend:.3f} log points per year (SE {premium.trend_se:.3f}); a gap between comparable firms, "
                 "not proof that the cluster causes it.")
prog_txt = (f"Programme: the average effect on participants' {outcome_txt} is {simple.overall:.3f} "
            f"(95% CI {simple.ci_lower:.3f} to {simple.ci_upper:.3f})")
if exits is not None:
    prog_txt += ", an intention-to-treat effect of having entered (many participants leave again)"
if truth_prog and prog.outcome == "output":
    prog_txt += f"; the generator planted {truth_prog['att_simple']:.3f}"
prog_txt += ". " + credibility
prog_txt += f" Two-way fixed effects gives {twfe.coef:.3f}" + (
    f", with {100 * twfe.negative_weight_share:.0f}% of treated cells weighted negatively" if twfe.negative_weight_share > 0
    else "") + "."
lines.append(prog_txt)
lines.append(f"Dispersion: within sector and year, a firm at the 90th percentile of TFP is {np.exp(disp_9010):.1f} "
             "times as productive as one at the 10th (this includes measurement error).")
tables.callout("What the numbers say", " ".join(lines))

# %% [markdown]
# **Caveats.**
# - TFP is a residual: it contains measurement error and, with revenue data, price differences (a price
#   premium from a cluster brand shows up as "productivity").
# - The control-function estimators rest on timing assumptions (when labour and materials are chosen); the
#   comparison across estimators, and with the truth when the data are synthetic, shows how much they matter.
#   When the ACF criterion has several exact roots the choice among them is an economic prior (elasticities
#   between 0 and 1), stated in Table 3, not a test.
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
