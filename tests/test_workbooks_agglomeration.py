"""Tests of agrocluster.workbooks.agglomeration (notebook 02's steps).

Hand cases for the decisions (which urbanisation measure, what is not computable, the sorting reading, the
core-move feasibility), then the workbook on the demo data: a small synthetic cluster (planted truth,
coordinates, several sectors) and the real Indonesian rice farms (one sector, no coordinates, hired labour),
and the TFP outcome, which must be the TFP of workbook 03 (one TFP path).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agrocluster import params as P
from agrocluster.data.cluster import ClusterData, TableInfo, load_cluster
from agrocluster.errors import EstimationError
from agrocluster.workbooks import agglomeration as wb
from agrocluster.workbooks import productivity as productivity_workbook


def _tiny(sectors=("s", "t")) -> ClusterData:
    rng = np.random.default_rng(0)
    n, years = 12, 4
    firm = np.repeat(np.arange(n), years)
    frame = pd.DataFrame({"firm_id": [f"f{i}" for i in firm], "year": np.tile(np.arange(2001, 2001 + years), n),
                          "region": np.where(firm % 3 == 0, "R1", "R2"),
                          "sector": [sectors[i % len(sectors)] for i in firm],
                          "labour": rng.integers(5, 50, n * years).astype(float)})
    frame["output"] = 3.0 * frame["labour"]
    info = TableInfo(table="establishments", source="test", origin="hand-made", sha256="", rows=len(frame))
    return ClusterData(params=None, tables={"establishments": frame}, info={"establishments": info}, truth={})


def test_describe_data_of_real_establishments_without_coordinates():
    described = wb.describe_data(_tiny())
    assert described.computed and described.notes == []
    prepared = described.result
    assert not prepared.synthetic and not prepared.has_coordinates and prepared.region_areas is None
    assert (prepared.n_sectors, prepared.n_regions) == (2, 2)
    assert "years 2001–2004" in described.reading and "coordinates: no" in described.reading


def test_describe_data_says_what_every_section_needs():
    """Without plant employment or the outcome the first section is not computed and names the columns; the
    notebook then ends there (rec.stop_unless)."""
    tiny = _tiny()
    assert wb.missing_inputs(tiny) == [] and wb.missing_inputs(tiny, "wage") == [
        "the wage bill (column wage_bill) in the establishments for wages"]
    bare = tiny.tables["establishments"].drop(columns=["labour", "output"])
    stripped = ClusterData(params=None, tables={"establishments": bare}, info=tiny.info, truth={})
    step = wb.describe_data(stripped)
    assert not step.computed and step.message == (
        "Not computed: needs plant employment (column labour) in the establishments; output (or value_added) in "
        "the establishments for labour productivity.")
    empty = ClusterData(params=None, tables={}, info={}, truth={})
    assert wb.describe_data(empty).reason == "needs the establishments table (data.establishments in the cluster's parameters)"
    zero = ClusterData(params=None, tables={"establishments": tiny.tables["establishments"].assign(output=0.0)},
                       info=tiny.info, truth={})
    assert wb.missing_inputs(zero) == ["output (or value_added) in the establishments for labour productivity"]


def test_measures_choose_urbanisation_from_the_data():
    two = wb.measures(wb.describe_data(_tiny()).result, [0.0, 10.0])
    assert two.result.urbanisation == "urb_emp_region_lag1"  # no region areas: total employment
    assert "density: no region areas" in two.reading and "no coordinates" in two.reading
    assert len(two.notes) == 2
    one = wb.measures(wb.describe_data(_tiny(sectors=("s",))).result, [0.0, 10.0])
    assert one.result.urbanisation is None
    assert one.notes[0].startswith("Agglomeration measure not computable: urbanisation: the data have one sector")
    assert wb.LOC in set(one.table["column"]) and wb.INSTRUMENT in set(one.table["column"])


def test_one_year_of_data_says_that_two_are_needed():
    data = _tiny()
    data.tables["establishments"] = data["establishments"].query("year == 2003").reset_index(drop=True)
    prepared = wb.describe_data(data).result
    measured = wb.measures(prepared, [0.0, 10.0]).result
    options = P.AgglomerationOptions(outcome="labour_productivity")
    with pytest.raises(EstimationError, match=r"need at least two years of establishment data; the data hold only "
                                              r"2003$"):
        wb.productivity_specifications(data, prepared, measured, options, P.ProductivityOptions())


def test_sorting_sentence_hand_cases():
    noisy = wb.sorting_sentence(0.02, 0.01, 1.2, 0.5)
    assert "not distinguishable from zero (|t| = 1.2)" in noisy and "says nothing about sorting" in noisy
    sorted_ = wb.sorting_sentence(0.10, 0.04, 5.0, 0.6)
    assert sorted_.startswith("The pooled localisation elasticity of productivity is 0.100 and 0.040")
    assert "About 60% of the raw elasticity" in sorted_
    assert "About 100%" in wb.sorting_sentence(0.10, -0.02, 5.0, 1.2)  # the share is capped in words
    none = wb.sorting_sentence(0.05, 0.08, 3.0, -0.6)
    assert "no sign that better firms sort" in none


# -- the workbook on the demo data -----------------------------------------------------------------------
def _run(params, data):
    described = wb.describe_data(data)
    measured = wb.measures(described.result, params.agglomeration.bands_km)
    productivity = wb.productivity_specifications(data, described.result, measured.result, params.agglomeration,
                                                  params.productivity, seed=params.seed)
    wages = wb.wage_specifications(productivity.result, measured.result)
    return described, measured, productivity, wages


@pytest.fixture(scope="module")
def synthetic():
    params = P.load("kenya_tea", {"synthetic.n_firms": 300, "seed": 3, "agglomeration.wild_bootstrap": 99})
    data = load_cluster(params, tables=("establishments",))
    return params, data, _run(params, data)


def test_synthetic_demo_run(synthetic):
    params, _, (described, measured, productivity, wages) = synthetic
    prepared, prod = described.result, productivity.result
    assert prepared.synthetic and prepared.has_coordinates and prepared.region_areas
    assert measured.result.urbanisation == "urb_density_lag1"
    assert productivity.table["specification"].nunique() == 3
    few_regions = prepared.n_regions < wb.ag.FEW_CLUSTERS
    assert ("wild cluster bootstrap" in productivity.reading) == few_regions
    assert wages.reading == ""  # no separate hired labour in the synthetic data
    excluded = wb.excluded_rows(prod, wages.result)
    assert len(excluded.excluded) == len(excluded.table) and excluded.excluded["rows"].sum() > 0
    decay = wb.distance_decay(prepared, prod, measured.result)
    assert decay.computed and len(decay.table) == len(params.agglomeration.bands_km) - 1
    planted = wb.planted_vs_estimated(prepared, prod, wages.result)
    assert planted.computed and "firm FE, TFP with the true technology" in set(planted.table["specification"])
    wage_row = planted.table[(planted.table["specification"] == "firm FE, wage")
                             & (planted.table["term"] == wb.LABELS[wb.LOC])]
    assert wage_row["planted"].iloc[0] == 0.0
    assert wb.planted_lines(prepared, "labour_productivity", True) == {"wage": 0.0}
    stacked = wb.localisation_by_specification(productivity, wages)
    assert len(stacked) == len(productivity.table) + len(wages.table)
    assert list(stacked["outcome"].unique()) == ["productivity", "wage"]
    sorted_ = wb.sorting(prod, wages.result)
    assert sorted_.result == pytest.approx(float(prod.specs.sorting.sorting_share[wb.LOC]))
    gain = wb.core_move(prod, params.cluster_sector, sorted(prepared.establishments["region"].unique())[:2])
    heads = {h["key"]: h for h in wb.headlines(prod, wages.result, sorted_, gain).result}
    assert heads["localisation_elasticity"]["value"] == pytest.approx(float(prod.specs.within.coef[wb.LOC]))
    assert "urbanisation_elasticity" in heads
    assert ("core_move_gain_pct" in heads) == gain.computed
    # a sorting share the page calls meaningless (pooled |t| < 2) is no headline
    assert ("sorting_share" in heads) == (abs(float(prod.specs.pooled.tstat[wb.LOC])) >= 2)
    text = wb.reading(prepared, prod, wages.result, gain).reading
    assert text.startswith("With firm fixed effects, 10% more own-sector employment in the region goes with")
    assert "The data are synthetic" in text and ("wild cluster bootstrap" in text) == few_regions


def test_core_move_is_not_computed_without_a_core_or_outside_it(synthetic):
    params, _, (described, _, productivity, _) = synthetic
    prod, regions = productivity.result, sorted(described.result.establishments["region"].unique())
    assert wb.core_move(prod, params.cluster_sector, []).reason == "needs core regions (params `regions` is empty)"
    assert "all are in core regions" in wb.core_move(prod, params.cluster_sector, regions).reason
    assert "in a core region" in wb.core_move(prod, params.cluster_sector, ["nowhere"]).reason


def test_tfp_outcome_is_the_tfp_of_workbook_03(synthetic):
    params, data, (described, measured, _, _) = synthetic
    options = params.agglomeration.model_copy(update={"outcome": "tfp"})
    productivity = wb.productivity_specifications(data, described.result, measured.result, options,
                                                  params.productivity, seed=params.seed)
    prepared = productivity_workbook.prepare(data, params.productivity.methods,
                                             value_added=params.productivity.value_added)
    fit = productivity_workbook.production_function(prepared.result, params.productivity.methods, bootstrap=2,
                                                    seed=params.seed).result
    frame = productivity.result.frame
    np.testing.assert_allclose(np.log(frame["productivity"]), fit.tfp.reindex(frame.index), equal_nan=True)
    assert productivity.result.label.startswith(f"log TFP, {fit.method_name}")
    assert all(reason.startswith("TFP estimation: ") for reason in productivity.excluded["reason"])
    assert set(wb.planted_lines(described.result, "tfp", True)) == {"wage", "productivity"}


def test_real_rice_farms_demo_run():
    params = P.load("indonesia_rice", {"agglomeration.wild_bootstrap": 99})
    data = load_cluster(params, tables=("establishments",))
    described, measured, productivity, wages = _run(params, data)
    prepared, prod = described.result, productivity.result
    assert not prepared.synthetic and not prepared.has_coordinates and measured.result.urbanisation is None
    assert "periods 1–6 (not calendar years)" in described.reading
    assert "hired labour only" in wages.reading
    assert not wb.distance_decay(prepared, prod, measured.result).computed
    assert not wb.planted_vs_estimated(prepared, prod, wages.result).computed
    assert wb.planted_lines(prepared, "tfp", True) is None
    gain = wb.core_move(prod, params.cluster_sector, params.regions)
    heads = [h["key"] for h in wb.headlines(prod, wages.result, wb.sorting(prod, wages.result), gain).result]
    assert heads[:1] == ["localisation_elasticity"] and "urbanisation_elasticity" not in heads
    assert "The data are synthetic" not in wb.reading(prepared, prod, wages.result, gain).reading
