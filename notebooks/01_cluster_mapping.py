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

# %%
import agrocluster.params
from agrocluster import figures, record, tables

params = agrocluster.params.load(cluster_id, overrides)
rec = record.Recorder(params, "01_cluster_mapping", output_dir)
figures.use_theme()

# %%
import pandas as pd

import agrocluster.concentration as conc
from agrocluster.concentration import mapping as cmap
from agrocluster.data.cluster import load_cluster
from agrocluster.figures import mapping as fmap

options = params.concentration
sector, related = params.cluster_sector, list(params.related_sectors)
left_out = []  # every exclusion of this workbook, shown together in section 8

# %% [markdown]
# ## 1. The data this workbook reads
#
# Three tables: establishments (one row per plant and year, with location and employment), regional
# employment (region × sector × year) and the country's food balances (real FAOSTAT, thousand tonnes).

# %%
data = load_cluster(params, tables=["establishments", "regional_employment", "country_product"])
rec.add_inputs(data.provenance())
left_out.append(data.excluded_table())
synthetic = [t for t in ("establishments", "regional_employment") if data.is_synthetic(t)]
if synthetic:
    rec.note(f"Synthetic table(s) used here: {', '.join(synthetic)} (seeded, with planted truth). Numbers from them "
             "demonstrate and check the methods; they are not findings about the real cluster.")
inventory = data.inventory()[["table", "kind", "origin", "rows", "years"]]
rec.table("inputs", inventory, "The tables this workbook reads: real or synthetic, where from, rows and years.")

# %% [markdown]
# The plant-level analyses (map, Ellison–Glaeser, K-density) use one cross-section: the latest year of
# the establishments table (in a season-indexed panel such as the Indonesian rice farms, the latest
# season). The table below says what that cross-section can support and why, so a missing analysis
# further down is never a surprise.

# %%
year, plants = cmap.latest_cross_section(data["establishments"])
located, no_coordinates = cmap.select_rows(plants, ["lat", "lon"], f"no coordinates (lat/lon) in year {year}")
staffed, no_employment = cmap.select_rows(plants, ["labour"], f"plant employment (labour) missing in year {year}")
left_out += [no_coordinates, no_employment]
check = cmap.feasibility(plants, sector, related, employment="labour")
rec.table("feasibility", check.table(),
          f"What the establishments of year {year} ({len(plants):,} rows) can support, and why not where they cannot.")

# %% [markdown]
# ## 2. Where the cluster is
#
# Each dot is an establishment of the latest year, placed by longitude and latitude; the cluster sector
# is highlighted, related sectors in a second colour, all others in grey. Crosses mark region centres
# (the mean position of each region's establishments); the cluster's core regions are named.

# %%
regional = data["regional_employment"]
lq_args = cmap.lq_options(options, regional, data["establishments"])
lq = cmap.location_quotients(regional, data["establishments"], lq_args, n_boot=options.lq_draws, seed=params.seed)
last_year = int(regional["year"].max())
lq_last = lq[lq["year"] == last_year]
core, core_basis = cmap.core_regions(lq_last, sector, params.regions)
if not params.regions:
    rec.note(f"The cluster names no core region: the core is {core_basis}.")

if check.ok("map"):
    centres = cmap.region_centres(located)
    fig, ax = figures.new_figure(8.5, 7.0)
    fmap.establishment_map(ax, located, sector, related=related, centres=centres, core=core,
                           title=f"{params.name}: establishments in {year}")
    shown = rec.figure("map", fig, f"Establishments of {year} by longitude and latitude: cluster sector {sector} "
                       f"highlighted, related sector(s) {', '.join(related) or 'none'} in a second colour; crosses are "
                       f"region centres, named for the core regions ({', '.join(core)}).")
else:
    rec.note(f"No map: {check.reason('map')}.")
    shown = tables.callout("No map for this cluster", check.reason("map") + ". The regional tables below still "
                           "say where the sector is concentrated.")
shown

# %% [markdown]
# ## 3. How specialised the regions are: location quotients
#
# The location quotient of a region in a sector is the sector's share of the region's employment divided
# by its share of national employment: above 1 the region is specialised in it. The heat table shows every
# region × sector of the latest year (regions ordered by the cluster sector's LQ; colours on a log scale so
# 2 and ½ are equally far from 1).

# %%
fig, ax = figures.new_figure(9.0, max(5.0, 0.28 * lq_last["region"].nunique() + 1.5))
fmap.lq_heatmap(ax, lq_last, sector, highlight=core, title=f"Location quotients, {last_year}")
rec.figure("lq-heatmap", fig, f"Location quotients of every region (rows) and sector (columns) in {last_year}; "
           f"the framed column is the cluster sector {sector}, core regions in bold. Base: "
           f"{'traded employment' if lq_args['base'] == 'traded' else 'all employment'}.")

# %% [markdown]
# The cluster sector's LQ in every region, with its interval. A wide interval means the region is small
# and its "specialisation" could be noise. For a synthetic cluster the planted values sit beside the
# estimates: the LQ the location model implies, and whether the generator planted the cluster there.

# %%
interval = lq_args["interval"]  # "establishments", "poisson", "bootstrap" or None
lq_sector = lq_last[lq_last["sector"] == sector].drop(columns=["year", "sector"])
lq_sector = lq_sector.merge(regional[(regional["year"] == last_year) & (regional["sector"] == sector)]
                            [["region", "employment", "establishments"]], on="region", how="left")
lq_sector.insert(1, "core", lq_sector["region"].isin(core))
if data.is_synthetic("regional_employment"):
    lq_sector = lq_sector.merge(cmap.truth_lq(data.truth, sector)[["region", "lq_expected", "planted_core"]],
                                on="region", how="left")
lq_sector = lq_sector.sort_values("lq", ascending=False).reset_index(drop=True)
lq_sector = lq_sector.astype({"employment": "float64"}).round({"employment": 0}).astype({"employment": "int64",
                                                                                        "establishments": "int64"})
level_text = f"{options.interval_level:.0%} {interval.capitalize()} interval (lq_lo–lq_hi)" if interval else "no interval"
rec.table("lq-cluster-sector", lq_sector,
          f"LQ of the cluster sector {sector} in each region, {last_year}, with its {level_text}; core: "
          f"{core_basis}." + (" lq_expected and planted_core: the synthetic generator's truth." if
                              data.is_synthetic("regional_employment") else ""))

# %%
top = cmap.strongest_region(lq_last, sector, core)
lq_label = f"LQ of sector {sector} in {top['region']} (strongest core region), {last_year}"
rec.headline("cluster_lq", float(top["lq"]), label=lq_label, unit="ratio",
             note=(f"{options.interval_level:.0%} {interval.capitalize()} interval {top['lq_lo']:.2f}–{top['lq_hi']:.2f}"
                   if interval else "no interval computed (concentration.lq_interval=none)"))
if interval:
    rec.headline("cluster_lq_lo", float(top["lq_lo"]), label=f"{lq_label}: lower bound", unit="ratio")
    rec.headline("cluster_lq_hi", float(top["lq_hi"]), label=f"{lq_label}: upper bound", unit="ratio")
reading = (f"In {last_year}, {top['region']} employs the cluster sector {top['lq']:.1f} times as intensively as the "
           "country as a whole" + (f" (interval {top['lq_lo']:.1f}–{top['lq_hi']:.1f})" if interval else "") + ". "
           f"{int((lq_sector['lq'] >= 1).sum())} of {len(lq_sector)} regions have an LQ of 1 or more"
           + (f", {int((lq_sector['lq_lo'] > 1).sum())} of them with the whole interval above 1." if interval else "."))
tables.callout("Reading", reading)

# %% [markdown]
# How unevenly the cluster and related sectors are spread over regions, first and last year: the Hoover
# index (0 = spread like total employment), the Gini coefficient across regions and the locational Gini
# (regions weighted by their employment). Rising values mean the sector is concentrating.

# %%
first_year = int(regional["year"].min())
indices = cmap.concentration_indices(regional, [sector, *related], [first_year, last_year])
indices["year"] = indices["year"].astype(str)  # a label, not a number to format
rec.table("concentration-indices", indices,
          f"Hoover index, Gini and locational Gini of the cluster sector and related sector(s), {first_year} and "
          f"{last_year} (regional employment).")

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
if check.ok("eg"):
    simulate = options.eg_simulations or None
    eg = conc.ellison_glaeser(staffed, employment="labour", simulate=simulate, level=options.interval_level,
                              seed=params.seed)
    truth = data.truth if data.is_synthetic("establishments") else None
    eg_table = cmap.eg_report(eg, sector, related, truth)
    cluster_row = eg_table.iloc[0]
    rec.headline("eg_gamma", float(cluster_row["gamma"]), label=f"Ellison–Glaeser γ of sector {sector}, {year}",
                 unit="index")
    if simulate:
        rec.headline("eg_gamma_pvalue", float(cluster_row["gamma_p"]),
                     label=f"p-value of γ under random location ({simulate} draws)", unit="probability")
    else:
        rec.note("Ellison–Glaeser γ has no p-value: concentration.eg_simulations is 0.")
    caption = (f"Ellison–Glaeser index of every sector, {year} ({len(staffed):,} plants weighted by employment): G raw "
               "concentration, H plant Herfindahl, γ the index" + (f"; gamma_p one-sided p-value and gamma_null_lo/hi the "
               f"central {options.interval_level:.0%} of γ under random location, {simulate} draws" if simulate else "")
               + (". gamma_true: planted γ; gamma_expected_index: what the index should show given the location "
                  "probabilities actually drawn, attenuated by (1 − w)² for a sector with employment share w."
                  if truth else "."))
    shown = rec.table("ellison-glaeser", eg_table.drop(columns=["employment", "gamma_given_draw"], errors="ignore"),
                      caption)
else:
    rec.note(f"Ellison–Glaeser γ not computed: {check.reason('eg')}.")
    shown = tables.callout("Ellison–Glaeser γ not computed", check.reason("eg") + ". The location quotients and "
                           "strength flags, which use the regional employment table, still describe concentration.")
shown

# %%
if check.ok("eg"):
    significant = eg_table[(eg_table["gamma_p"] <= 0.05)]["sector"].tolist() if simulate else []
    text = (f"γ of the cluster sector is {cluster_row['gamma']:.3f}"
            + (f" (p = {cluster_row['gamma_p']:.3f}; under random location γ would lie between "
               f"{cluster_row['gamma_null_lo']:.3f} and {cluster_row['gamma_null_hi']:.3f})" if simulate else "")
            + ". " + (f"Sectors with p ≤ 0.05: {', '.join(significant)}; with {len(eg_table)} sectors tested, about "
                      f"{0.05 * len(eg_table):.1f} would pass by chance alone. " if simulate else "")
            + "Judge γ by its size as well: Ellison and Glaeser read γ below 0.02 as not very localised and above "
              "0.05 as highly localised.")
    if truth is not None:
        text += (f" Planted γ: {cluster_row['gamma_true']:.3f}; given the drawn location probabilities the index "
                 f"should show about {cluster_row['gamma_expected_index']:.3f}. Sectors planted with γ = 0 can show a "
                 "small γ that the random-location test calls significant: in the generator plant sizes respond to "
                 "agglomeration, which the test's null (location independent of size) does not allow for.")
    shown = tables.callout("Reading", text)
else:
    shown = None
shown

# %%
if check.ok("coagglomeration"):
    co = conc.coagglomeration(staffed, [sector, *check.related_usable], employment="labour")
    co_table = co.table().reset_index()
    co_table.insert(1, "role", cmap.sector_roles(co_table["sector"], sector, related))
    planted = (" The generator places related sectors independently of the cluster sector (planted γᶜ = 0)."
               if data.is_synthetic("establishments") else "")
    shown = rec.table("coagglomeration", co_table,
                      f"Coagglomeration of {' + '.join(co.sectors)}, {year}: γᶜ = {co.gamma_c:.4f} (pooled G = "
                      f"{co.G:.4f}, H = {co.H:.4f}); rows: each sector's employment weight, G, H and own γ." + planted)
else:
    shown = tables.callout("Coagglomeration not computed", check.reason("coagglomeration") + ".")
shown

# %% [markdown]
# ## 5. At what distances the sector clusters: Duranton–Overman K-density
#
# The K-density is the smoothed distribution of distances between pairs of the sector's establishments.
# The grey band is where it would lie if those establishments sat at random among all establishment
# sites (global band: a random curve leaves it anywhere with the stated small probability). Above the band
# the sector is **localised** at those distances, below it **dispersed**. Distances are great-circle km;
# the range runs to the median distance between all sites.

# %%
kd_done = False
if check.ok("kd"):
    sample = cmap.kd_subsample(located, sector, options.kd_max_points, seed=params.seed)
    kd = conc.kdensity(sample.frame, sector, n_draws=options.kd_draws, level=options.interval_level, seed=params.seed)
    kd_done = True
    planted_kd = cmap.truth_kd(data.truth) if data.is_synthetic("establishments") else None
    fig, ax = figures.new_figure(8.0, 4.5)
    fmap.kd_curve(ax, kd.table(), localised=kd.localised_ranges, level=kd.level,
                  truth_km=planted_kd["localised_below_km"] if planted_kd else None,
                  title=f"K-density of sector {sector}, {year}")
    shown = rec.figure("kd", fig, f"K-density of the cluster sector's {kd.n_points:,} establishments ({year}), "
                       f"bandwidth {kd.bandwidth:.1f} km, with the global {kd.level:.0%} band from {kd.n_draws:,} random "
                       f"relocations among {kd.n_sites:,} sites; shaded: localised ranges. Sample: {sample.note}."
                       + (f" Dashed: the planted scale (plants within {planted_kd['cluster_radius_km']:g} km of their "
                          "region centre)." if planted_kd else ""))
else:
    rec.note(f"K-density not computed: {check.reason('kd')}.")
    shown = tables.callout("K-density not computed", check.reason("kd") + ". Distance-based concentration needs "
                           "the establishments' coordinates.")
shown

# %%
if kd_done:
    ranges = cmap.kd_ranges(kd)
    if kd.localised_ranges:
        start_km, end_km = kd.localised_ranges[0]
        rec.headline("localised_from_km", start_km, label=f"sector {sector} localised from (first range)", unit="km")
        rec.headline("localised_to_km", end_km, label=f"sector {sector} localised to (first range)", unit="km")
    else:
        rec.note(f"The K-density of sector {sector} never rises above its band: no localised range "
                 "(localised_from_km / localised_to_km not recorded).")
    shown = rec.table("kd-ranges", ranges, f"Distance ranges (km) where the K-density of sector {sector} is above "
                      f"(localised) or below (dispersed) its global {kd.level:.0%} band; localisation index Γ = "
                      f"{kd.localisation_index:.4f}, dispersion index Ψ = {kd.dispersion_index:.4f}.")
else:
    shown = None
shown

# %% [markdown]
# ## 6. How strong the cluster is: US Cluster Mapping flag and European stars
#
# A region × sector cell is a **strong cluster** (US Cluster Mapping Project) when its LQ is at least the
# 75th percentile of the sector's LQs across regions and at least 1, and its employment and establishment
# counts are above their 25th percentiles. The European Cluster Observatory gives up to three **stars**:
# size (top 10 % of regions by employment), specialisation (LQ ≥ 2) and focus (top 10 % by the sector's
# share of the region's employment). Both are thresholds on noisy counts, so each comes with its
# *stability*: the share of redraws in which it keeps its value (0.5 is a coin toss) — plants resampled
# within their region when the establishments add up to the regional table, as for the LQ interval.

# %%
regional_last = regional[regional["year"] == last_year]
strength = cmap.cluster_strength(regional_last, sector, core, n_resamples=options.strength_resamples,
                                 seed=params.seed, base=lq_args["base"], traded=lq_args.get("traded"),
                                 establishments=data["establishments"], resample=lq_args["interval"])
strength = strength.round({"employment": 0}).astype({"employment": "int64", "establishments": "int64"})
strong_core = bool(strength.loc[strength["core"], "strong"].any())
rec.headline("strong_cluster", int(strong_core), label=f"any core region a strong cluster in sector {sector}, "
             f"{last_year} (1 = yes)", unit="flag")
rec.table("strength", strength,
          f"Strong-cluster flag and stars of sector {sector} in every region, {last_year} (highest LQ first), with "
          f"their stability and probability over {options.strength_resamples} redraws ({lq_args['interval']} design).")

# %%
core_rows = strength[strength["core"]]
tables.callout("Reading", "Core regions flagged strong: " + (", ".join(
    f"{r.region} (stability {r.strong_stability:.0%})" for r in core_rows.itertuples() if r.strong) or "none")
    + ". Stars of the core regions: " + ", ".join(f"{r.region} {int(r.stars)}★" for r in core_rows.itertuples()) + ".")

# %% [markdown]
# ## 7. Own dynamism or the sector's? Shift-share of the core regions
#
# Each core region's change in cluster-sector employment between the first and last year is split into
# **national growth** (what it would have gained growing like the whole economy), **industry mix** (the
# sector growing faster or slower than the economy nationally) and the **regional competitive effect**
# (what is left: the region doing better or worse than the sector nationally). A large positive
# competitive effect is the cluster's own dynamism.

# %%
start = options.shift_share_base_year or first_year
shares = cmap.shift_share_regions(regional, core, sector, start, last_year)
jobs = shares.columns[2:]
shares[jobs] = shares[jobs].round(0).astype("int64")
own = shares[shares["scope"] == "cluster sector"]
fig, ax = figures.new_figure(7.5, 4.2)
fmap.shift_share_bars(ax, own, title=f"Sector {sector}: employment change {start}–{last_year}")
rec.figure("shift-share", fig, f"Shift-share of the cluster sector's employment change in each core region, "
           f"{start} to {last_year}: bars are the three components, diamonds the total change (their sum).")

# %%
rec.table("shift-share", shares, f"Shift-share decomposition, {start} to {last_year}, for each core region: the "
          "cluster sector and all sectors of the region (jobs; components add up to the change).")

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
standing = cmap.production_standing(data["country_product"], params.country_iso3, params.faostat_item_code,
                                    top=params.exports.n_competitors)
left_out.append(standing.excluded)
rec.headline("world_production_share", 100.0 * standing.share,
             label=f"{params.country_iso3} share of world {standing.item_name} production, {standing.year}", unit="%",
             note=f"rank {standing.rank} of {standing.n_producers} producers; quantity RCA {standing.rca:.2f}")
fig, ax = figures.new_figure(7.5, 3.8)
fmap.world_share_line(ax, standing.series, label=params.country_iso3,
                      title=f"{params.country_iso3}: share of world {standing.item_name} production")
rec.figure("world-share", fig, f"Share of world production of {standing.item_name} (FAOSTAT item {standing.item}) "
           f"produced by {params.country_iso3}, per cent, {int(standing.series['year'].min())}–{standing.year}; world = "
           "sum over countries reporting production.")

# %%
fig, ax = figures.new_figure(7.5, 0.35 * len(standing.table()) + 1.5)
fmap.rca_bars(ax, standing.table(), title=f"Top producers of {standing.item_name}, {standing.year}")
rec.figure("rca", fig, f"Quantity-based RCA in production of the top {params.exports.n_competitors} producers of "
           f"{standing.item_name} in {standing.year} (label: share of world production); {params.country_iso3} "
           "highlighted; dashed line at 1.")

# %%
producers = standing.table().round({"production": 0}).astype({"production": "int64"})
rec.table("producers", producers, f"Top producers of {standing.item_name} in {standing.year}: production "
          f"(thousand tonnes), share of world production and {standing.rca_basis}.")

# %% [markdown]
# ## 9. Rows left out
#
# Every row a rule excluded, with the rule. Nothing else was dropped.

# %%
excluded = pd.concat([part for part in left_out if len(part)], ignore_index=True) if any(
    len(part) for part in left_out) else pd.DataFrame(columns=cmap.EXCLUDED_COLUMNS)
for row in excluded.itertuples():
    rec.add_excluded(row.table, row.reason, row.n_rows)
rec.table("excluded", excluded, "Rows excluded by documented rules, by table and reason.")

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
summary = pd.DataFrame([{"key": key, "value": tables.format_number(item["value"]), "unit": item["unit"],
                         "what": item["label"]}
                        for key, item in rec.headlines.items()])
rec.table("headline", summary, "Headline numbers of this workbook (recorded in the results file).")

# %%
rec.save();
