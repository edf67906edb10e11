"""Workbook 01 steps (agrocluster.workbooks.mapping): the decisions on hand cases, then a run on the demo data."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from agrocluster import params as params_module
from agrocluster.errors import ParamsError
from agrocluster.workbooks import common, mapping

from .workbook_data import cluster_data, plants_table, regional_table

matplotlib.use("Agg")

SECTOR, RELATED = "1102", "0121"


@pytest.fixture(scope="module")
def params():
    return params_module.load("chile_wine", {"regions": [], "concentration.eg_simulations": 19,
                                             "concentration.kd_draws": 19, "concentration.strength_resamples": 20})


def _regional():
    # national: sector 1102 = 80 of 200 (share 0.4); region A: 60 of 100 → LQ 1.5; B: 20 of 100 → LQ 0.5
    return regional_table({("A", SECTOR): 60, ("A", RELATED): 40, ("B", SECTOR): 20, ("B", RELATED): 80})


def _plants(with_coordinates: bool, sectors=(SECTOR, RELATED)):
    rows = []
    for i in range(8):
        row = {"firm_id": f"f{i}", "region": "AB"[i % 2], "sector": sectors[i % len(sectors)], "labour": 10.0 + i}
        if with_coordinates:
            row.update(lat=-34.0 - 0.01 * i, lon=-71.0 + 0.01 * i)
        rows.append(row)
    return plants_table(rows)


# ------------------------------------------------------------------------------------------------ decisions


def test_every_step_says_what_it_needs_when_a_table_is_missing(params):
    """No establishments, no regional employment, no food balances: every step (tables and figures) is not
    computed and names the table; with establishments only, the plant-level steps run and the regional ones
    still name regional employment."""
    empty = cluster_data(params, {})
    sites = mapping.cross_section(empty, params)
    lqs = mapping.location_quotients(empty.get("regional_employment"), params, empty.get("establishments"))
    world = mapping.world_production(empty, params)
    shares = mapping.shift_share(None, lqs, params)
    steps = [sites, lqs, world, shares, mapping.lq_cluster_sector(lqs, empty, params),
             mapping.concentration_indices(None, params), mapping.cluster_strength(None, lqs, params),
             mapping.ellison_glaeser(sites, params), mapping.coagglomeration(sites, params),
             mapping.kdensity(sites, params), mapping.establishment_map(sites, lqs, params),
             mapping.lq_heatmap(lqs, params), mapping.shift_share_figure(shares, params),
             mapping.world_share_figure(world, params), mapping.producers_figure(world, params)]
    assert not any(step.computed for step in steps)
    reasons = {step.title: step.reason for step in steps}
    assert reasons["Establishments"] == reasons["K-density"] == "needs " + mapping.NEEDS_SITES
    assert reasons["Location quotients"] == reasons["Shift-share of the core regions"] == "needs " + mapping.NEEDS_REGIONS
    assert reasons["Top producers"] == "needs " + mapping.NEEDS_FAO
    plants = cluster_data(params, {"establishments": _plants(with_coordinates=True)})
    sites = mapping.cross_section(plants, params)
    lqs = mapping.location_quotients(plants.get("regional_employment"), params, plants.get("establishments"))
    assert sites.computed and mapping.coagglomeration(sites, params).computed
    assert mapping.cluster_strength(None, lqs, params).reason == "needs " + mapping.NEEDS_REGIONS


def test_without_coordinates_map_and_kdensity_are_not_computed_and_rows_are_counted(params):
    data = cluster_data(params, {"establishments": _plants(False), "regional_employment": _regional()})
    sites = mapping.cross_section(data, params)
    assert sites.result.year == 2020 and len(sites.result.located) == 0
    assert sites.excluded.to_dict("records") == [
        {"table": "establishments", "reason": "no coordinates (lat/lon) in year 2020 (column(s) ['lat', 'lon'] absent)",
         "rows": 8}]
    lqs = mapping.location_quotients(data["regional_employment"], params)
    for step in (mapping.establishment_map(sites, lqs, params), mapping.kdensity(sites, params)):
        assert not step.computed
        assert "coordinates" in step.message and step.message.startswith("Not computed: ")
    assert mapping.kd_figure(mapping.kdensity(sites, params), sites, params).computed is False
    assert mapping.ellison_glaeser(sites, params).computed  # employment and two sectors: EG is possible


def test_one_sector_makes_ellison_glaeser_and_coagglomeration_not_computed(params):
    data = cluster_data(params, {"establishments": _plants(True, sectors=(SECTOR,)),
                                 "regional_employment": _regional()})
    sites = mapping.cross_section(data, params)
    eg, co = mapping.ellison_glaeser(sites, params), mapping.coagglomeration(sites, params)
    assert not eg.computed and "one sector" in eg.reason
    assert not co.computed and "Ellison–Glaeser is not possible" in co.reason
    assert common.collect_headlines(eg, co) == []


def test_location_quotients_hand_case_and_core_chosen_on_the_outcome(params):
    lqs = mapping.location_quotients(_regional(), params)
    latest = lqs.result.latest.set_index(["region", "sector"])["lq"]
    assert latest[("A", SECTOR)] == pytest.approx(1.5) and latest[("B", SECTOR)] == pytest.approx(0.5)
    assert lqs.result.core == ["A", "B"]  # no region named: the highest LQs, best first
    assert "biased upwards" in lqs.notes[0] and lqs.reading.startswith("Core regions of the cluster: A, B")
    assert lqs.result.interval == "poisson" and lqs.result.interval_text.startswith("95% Poisson interval")
    named = mapping.location_quotients(_regional(), params.model_copy(update={"regions": ["B"]}))
    assert named.result.core == ["B"]
    # the default establishments interval falls back to Poisson without plants, and says so
    assert named.notes == ["LQ intervals are Poisson, valid only if workers locate independently: the establishments "
                           "do not add up to the regional employment table, so plants cannot be resampled."]


def test_lq_arguments_is_the_one_place_of_the_interval_choice(params):
    regional = _regional()
    assert mapping.lq_arguments(params, regional) == {"base": "all", "level": 0.95, "interval": "poisson",
                                                     "seed": params.seed}
    none = params.model_copy(update={"concentration": params.concentration.model_copy(update={"lq_interval": "none"})})
    assert mapping.lq_arguments(none, regional)["interval"] is None
    lqs = mapping.location_quotients(regional, none)
    assert lqs.result.interval_text == "no interval"
    data = cluster_data(none, {"regional_employment": regional})
    step = mapping.lq_cluster_sector(lqs, data, none)
    assert [h.key for h in step.result.headlines] == ["cluster_lq"]
    assert step.result.headlines[0].note.endswith("; no interval computed (concentration.lq_interval=none)")
    traded = params.model_copy(update={"concentration": params.concentration.model_copy(update={"lq_base": "traded"})})
    with pytest.raises(ParamsError, match="lq_base='traded'"):
        mapping.lq_arguments(traded, regional)


def test_lq_cluster_sector_table_headlines_and_reading(params):
    regional = _regional()
    data = cluster_data(params, {"regional_employment": regional})
    lqs = mapping.location_quotients(regional, params)
    step = mapping.lq_cluster_sector(lqs, data, params)
    assert step.table["region"].tolist() == ["A", "B"] and step.table["employment"].tolist() == [60, 20]
    keys = [h.key for h in step.result.headlines]
    assert keys == ["cluster_lq", "cluster_lq_lo", "cluster_lq_hi"]
    assert step.result.headlines[0].value == pytest.approx(1.5)
    assert step.result.headlines[1].value < 1.5 < step.result.headlines[2].value
    assert step.reading.startswith("In 2020, A employs the cluster sector 1.5 times as intensively")


def test_lq_reading_with_and_without_interval():
    table = pd.DataFrame({"region": ["A", "B", "C"], "lq": [2.5, 1.2, 0.5], "lq_lo": [2.0, 0.9, 0.3]})
    top = pd.Series({"region": "A", "lq": 2.5, "lq_lo": 2.0, "lq_hi": 3.1})
    assert mapping.lq_reading(top, table, 2020, True) == (
        "In 2020, A employs the cluster sector 2.5 times as intensively as the country as a whole (interval "
        "2.0–3.1). 2 of 3 regions have an LQ of 1 or more, 1 of them with the whole interval above 1.")
    assert mapping.lq_reading(top, table, 2020, False).endswith("2 of 3 regions have an LQ of 1 or more.")


@pytest.mark.parametrize(("gamma", "words"), [(0.08, "highly localised"), (0.03, "moderately localised"),
                                              (0.01, "not very localised"),
                                              (-0.01, "less concentrated than random location")])
def test_eg_reading_by_size_of_gamma(gamma, words):
    row = pd.Series({"gamma": gamma, "gamma_p": 0.2, "gamma_null_lo": -0.01, "gamma_null_hi": 0.01})
    text = mapping.eg_reading(row, 10, [], simulated=True, planted=False)
    assert words in text and f"γ of the cluster sector is {gamma:.3f} (p = 0.200" in text
    assert "Sectors with p ≤ 0.05: none; with 10 sectors tested, about 0.5 would pass by chance alone." in text
    assert "p =" not in mapping.eg_reading(row, 10, [], simulated=False, planted=False)


def test_strength_reading_names_strong_core_regions_only():
    table = pd.DataFrame({"region": ["A", "B", "C"], "core": [True, True, False], "strong": [True, False, True],
                          "strong_stability": [0.9, 0.4, 1.0], "stars": [3, 1, 2]})
    assert mapping.strength_reading(table) == ("Core regions flagged strong: A (stability 90%). Stars of the core "
                                               "regions: A 3★, B 1★.")
    assert mapping.strength_reading(table.assign(strong=False)).startswith("Core regions flagged strong: none.")


def test_shift_share_reading_and_components_add_up(params):
    regional = pd.concat([regional_table({("A", SECTOR): 60, ("A", RELATED): 40, ("B", SECTOR): 20,
                                          ("B", RELATED): 80}, years=(2019,)),
                          regional_table({("A", SECTOR): 90, ("A", RELATED): 40, ("B", SECTOR): 20,
                                          ("B", RELATED): 80}, years=(2020,))], ignore_index=True)
    lqs = mapping.location_quotients(regional, params.model_copy(update={"regions": ["A", "B"]}))
    step = mapping.shift_share(regional, lqs, params)
    own = step.result.own.set_index("region")
    assert own.loc["A", "change"] == 30 and own.loc["B", "change"] == 0
    parts = own[["national_growth", "industry_mix", "competitive"]].sum(axis=1)
    assert (parts - own["change"]).abs().max() <= 2  # components are rounded to whole jobs
    assert step.reading.endswith(": A (positive competitive effect).")


# ---------------------------------------------------------------------------------------------- demo data


@pytest.fixture(scope="module")
def demo(params):
    from agrocluster.data.cluster import load_cluster

    demo_params = params.model_copy(update={"regions": ["Colchagua", "Maule", "Casablanca"]})
    data = load_cluster(demo_params, tables=["establishments", "regional_employment", "country_product"])
    return demo_params, data


def test_demo_run_of_every_step(demo):
    params, data = demo
    sites = mapping.cross_section(data, params)
    regional = data["regional_employment"]
    lqs = mapping.location_quotients(regional, params)
    steps = {"lq": mapping.lq_cluster_sector(lqs, data, params), "eg": mapping.ellison_glaeser(sites, params),
             "kd": mapping.kdensity(sites, params), "strength": mapping.cluster_strength(regional, lqs, params),
             "world": mapping.world_production(data, params)}
    assert all(step.computed for step in steps.values())
    assert mapping.coagglomeration(sites, params).computed
    heads = {h.key: h for h in common.collect_headlines(*steps.values())}
    assert set(heads) >= {"cluster_lq", "cluster_lq_lo", "cluster_lq_hi", "eg_gamma", "eg_gamma_pvalue",
                          "strong_cluster", "world_production_share"}
    assert heads["cluster_lq_lo"].value < heads["cluster_lq"].value < heads["cluster_lq_hi"].value
    assert heads["cluster_lq"].value > 1 and heads["strong_cluster"].value == 1  # the planted cluster is found
    eg = steps["eg"].result
    # the planted γ of the cluster sector lies within a few null widths of the estimate
    width = eg.cluster_row["gamma_null_hi"] - eg.cluster_row["gamma_null_lo"]
    assert abs(eg.cluster_row["gamma"] - eg.cluster_row["gamma_expected_index"]) < 5 * width + 0.01
    assert 0 < heads["world_production_share"].value < 100
    for figure_step in (mapping.establishment_map(sites, lqs, params), mapping.kd_figure(steps["kd"], sites, params)):
        assert isinstance(figure_step.result, matplotlib.figure.Figure) and figure_step.reading
        matplotlib.pyplot.close(figure_step.result)
    assert np.isfinite(steps["kd"].result.kd.localisation_index)
    ranges = steps["kd"].result.kd.localised_ranges
    assert ("localised_to_km" in heads) == bool(ranges)
    # a localised range that starts at 0 km gives no "localised from" headline
    assert ("localised_from_km" in heads) == bool(ranges and ranges[0][0] > 0)
