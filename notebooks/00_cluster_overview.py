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
# # Cluster overview: identity, data inventory and provenance
#
# **What this answers.** Which cluster is this, what defines it (country, product, sectors, regions,
# years, programme), which data describe it, and which of those data are real and which synthetic.
# Every other workbook of the collection reads the same tables, so this page is the place to check them.
#
# **Prerequisites.** Nothing: run it first. The parameters cell below runs the demo cluster; the runner
# (`agrocluster run`) injects other clusters.

# %% tags=["parameters"]
cluster_id = "chile_wine"
overrides = {}
output_dir = ""
params_json = ""

# %%
import agrocluster.params
from agrocluster import figures, record, tables
from agrocluster.data.cluster import load_cluster

params = agrocluster.params.load(cluster_id, overrides, params_json)
rec = record.Recorder(params, "00_cluster_overview", output_dir)
figures.use_theme()

# %%
from agrocluster.workbooks import common, overview

# %% [markdown]
# ## 1. The cluster

# %%
identity = tables.identity_table(params)
rec.table("identity", identity, f"What defines the {params.name} in this analysis.", inputs=["parameters"])

# %%
rec.section("profile", overview.cluster_profile(params), "The cluster's actors, institutions, history and governance, "
            "and its activities by ISIC rev.4 class (cited sentences from the cluster's parameters).")

# %% [markdown]
# ## 2. Data inventory
#
# Each table is loaded and validated against its contract (unique keys, non-negative quantities, codes as
# strings, years in range). The *kind* column says plainly whether a table is real data or synthetic.

# %%
data = load_cluster(params)
rec.add_inputs(data.provenance())
rec.section("inventory", overview.inventory(data), "Tables of the cluster, their source, size and content hash.")

# %%
rec.table("excluded", common.excluded_table(rec.excluded), "Rows excluded by documented rules (none is dropped silently).",
          inputs=data.tables)

# %% [markdown]
# ## 3. What these data allow
#
# Which analyses of the workbooks that follow the tables can support, and what each rests on or needs. The
# analysis workbooks take the same decisions from the same function, so a missing analysis is never a
# surprise.

# %%
allowed = overview.availability(data, params)
rec.table("availability", allowed.table(), "Analyses these data allow (possible) and what each rests on or needs.",
          inputs=data.tables)

# %% [markdown]
# ## 4. The product at country level (real FAOSTAT food balances)

# %%
series = overview.country_series(data, params)
rec.section("country-series", series, "The country series by year, thousand tonnes (FAOSTAT food balances).")

# %%
common.show_figure(rec, "country-series", overview.country_figure(series, params))

# %% [markdown]
# Where the establishments are synthetic, their money is scaled so that the cluster sector's output, valued
# at the cited export unit value, makes a stated share of FAOSTAT's production (`synthetic.production_share`).

# %%
rec.section("cluster-output", overview.cluster_output(data, params, series), "Synthetic output of the cluster "
            "sector (thousand tonnes at the cited unit value) against FAOSTAT production (thousand tonnes).")

# %%
for h in common.collect_headlines(series):
    rec.headline(h.key, h.value, se=h.se, note=h.note)

# %% [markdown]
# ## 5. Effective parameters

# %%
rec.table("parameters", tables.parameters_table(params), "Every effective parameter of this run.",
          inputs=["parameters"])

# %% [markdown]
# ## Summary and what comes next
#
# The tables above feed the four analysis workbooks: cluster mapping (01), agglomeration effects (02),
# productivity and programme impact (03) and export links (04). Synthetic tables carry known true
# parameters: their numbers demonstrate and test the methods, they are not findings about the real cluster.

# %%
rec.save();
