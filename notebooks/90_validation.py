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
# # Validation: published numbers reproduced, and intervals that cover
#
# **What this answers.** Do the library's estimators give the numbers their reference implementations
# publish, on the same public data? And do the 95% intervals the reports print contain the truth 95% of
# the time, in simulated worlds where the truth is known?
#
# **Prerequisites.** None: this page does not depend on any cluster. `agrocluster run` runs it once, with
# the collection pages. The data are public and install from PyPI (statsmodels' Grunfeld, moderndid's
# mpdta) or are read, when present, from the folder of the Stata `ecomplexity` fixtures. The coverage
# table is read from `data/validation/coverage.csv`, written by
# `python -m agrocluster.validation.coverage` (about 20 minutes on 2 cores); its provenance is shown below.

# %% tags=["parameters"]
cluster_id = "synthesis"
overrides = {}
output_dir = ""
results_dir = ""
coverage_file = "data/validation/coverage.csv"
reference_data = "../shared/data"

# %%
from IPython.display import display

from agrocluster import record
from agrocluster.validation import workbook

params = workbook.ValidationParams(coverage_file=coverage_file, reference_data=reference_data)
rec = record.Recorder(params, "90_validation", output_dir)

# %% [markdown]
# ## 1. Production functions: Grunfeld, Baltagi (2005) Table 2.1
#
# The within (firm fixed effects) and pooled OLS estimates of Grunfeld's investment equation
# I = a + b·F + c·C on ten US firms, 1935–54, with conventional standard errors, as printed by Baltagi.

# %%
grunfeld = workbook.grunfeld_section()
display(rec.section("grunfeld", grunfeld, "Grunfeld investment equation: Baltagi Table 2.1 against ours."))

# %% [markdown]
# ## 2. Staggered difference-in-differences: R `did` on mpdta
#
# Callaway and Sant'Anna's group-time effects of minimum wages on teen employment (500 US counties,
# 2003–07), their aggregates and the pre-test, as printed by the R package `did`.

# %%
did = workbook.did_section()
display(rec.section("mpdta", did, "mpdta: R did's ATT(g,t), aggregates and pre-test against ours."))

# %% [markdown]
# ## 3. Export complexity: Stata `ecomplexity`
#
# RCA, diversity, ubiquity, ECI, PCI, density, complexity outlook and gain on the Growth Lab's test sample
# (10 countries × 30 HS92 products, 1995–96), against the Stata command's output.

# %%
complexity = workbook.complexity_section(params.reference_data)
display(rec.section("ecomplexity", complexity, "Economic complexity: largest difference from Stata ecomplexity."))

# %% [markdown]
# ## 4. Summary of the published numbers

# %%
summary = workbook.published_summary([grunfeld, did, complexity])
display(rec.section("published", summary, "Published numbers reproduced, per estimator and source."))

# %% [markdown]
# ## 5. Coverage of the intervals
#
# For every interval and test the reports print, the share of simulated worlds in which the 95% interval
# contains the true value (or, for a test, the share in which a true null is rejected at 5%), with its
# Monte Carlo standard error. The verdict is "within" for 93–97% coverage (3–7% size). Where a method
# misses, the note says why: read that interval in the cluster reports with the same caution.

# %%
study = workbook.coverage_section(params.coverage_file)
display(rec.section("coverage", study, "Coverage of the 95% intervals and size of the 5% tests in simulated worlds."))

# %%
rec.headline("published_reproduced", int(summary.table["agree"].sum()) if summary.computed else None)
rec.headline("coverage_within", int((study.result["verdict"] == "within").sum()) if study.computed else None)

# %% [markdown]
# ## Summary
#
# The estimators reproduce the published numbers they follow; the coverage table says which intervals can be
# read at face value and which cannot. The notes beside each miss travel with the cluster reports' numbers.

# %%
rec.save();
