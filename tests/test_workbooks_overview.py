"""Workbook 00 steps and the one availability decision (agrocluster.workbooks.overview), and the shared
pieces of agrocluster.workbooks.common."""

from __future__ import annotations

import json

import matplotlib
import pandas as pd
import pytest

from agrocluster import params as params_module
from agrocluster import record
from agrocluster.sections import Section
from agrocluster.workbooks import common, overview

from .workbook_data import cluster_data, plants_table

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def params():
    return params_module.load("chile_wine")


def _country_product(production=(900.0, 1000.0)):
    return pd.DataFrame({"country": ["CHL", "CHL"], "item": ["2655", "2655"], "year": [2019, 2020],
                         "production": list(production), "imports": [1.0, 2.0], "exports": [700.0, 800.0]})


# ------------------------------------------------------------------------------------------- availability


def test_availability_decides_from_columns_not_from_data_set_names(params):
    plants = plants_table([{"firm_id": "a", "region": "R1", "sector": "0112", "labour": 3.0},
                           {"firm_id": "b", "region": "R2", "sector": "0112", "labour": 4.0}])
    allowed = overview.availability(cluster_data(params, {"establishments": plants}), params)
    assert not allowed.allows("map") and not allowed.allows("distance")
    assert allowed.reason("map") == "needs coordinates (lat/lon) of at least one establishment"
    assert not allowed.allows("urbanisation") and allowed.allows("plant_employment")
    assert not allowed.allows("member_premium") and not allowed.allows("programme")
    assert not allowed.allows("regional") and not allowed.allows("country_series")
    assert allowed.n_establishments == 2 and allowed.n_located == 0 and allowed.n_sectors == 1
    assert set(allowed.missing()) >= {"map", "distance", "capital", "investment", "trade_flows", "firm_links"}
    assert list(allowed.table().columns) == ["analysis", "possible", "reason"]
    with pytest.raises(KeyError, match="unknown analysis"):
        allowed.allows("gravity")


def test_some_coordinates_allow_a_map_but_not_distances(params):
    plants = plants_table([{"firm_id": "a", "region": "R1", "sector": "1102", "lat": -34.0, "lon": -71.0},
                           {"firm_id": "b", "region": "R2", "sector": "0121", "lat": None, "lon": None},
                           {"firm_id": "c", "region": "R2", "sector": "0121", "lat": -35.0, "lon": -71.5,
                            "cluster_member": True}])
    plants["cluster_member"] = [True, False, True]
    plants["programme_entry_year"] = pd.array([None, 2018, None], dtype="Int64")
    data = cluster_data(params, {"establishments": plants, "country_product": _country_product()},
                        synthetic=("establishments",))
    allowed = overview.availability(data, params)
    assert allowed.allows("map") and not allowed.allows("distance")
    assert allowed.reason("map") == "2 of 3 establishment rows have coordinates"
    assert allowed.allows("urbanisation") and allowed.allows("member_premium") and allowed.allows("programme")
    assert allowed.allows("country_series") and allowed.synthetic == ("establishments",)


def test_without_establishments_every_plant_analysis_says_so(params):
    allowed = overview.availability(cluster_data(params, {"country_product": _country_product()}), params)
    assert not allowed.allows("plant_employment")
    assert allowed.reason("plant_employment").endswith("(no establishments table)")


# ------------------------------------------------------------------------------------------------- steps


def test_inventory_notes_synthetic_tables_and_carries_exclusions(params):
    dropped = pd.DataFrame({"reason": ["negative output"], "n_rows": [4]})
    data = cluster_data(params, {"establishments": plants_table([{"firm_id": "a", "region": "R", "sector": "1"}]),
                                 "country_product": _country_product()},
                        synthetic=("establishments",), excluded={"establishments": dropped})
    step = overview.inventory(data, ["table", "kind", "rows"])
    assert list(step.table.columns) == ["table", "kind", "rows"]
    assert step.notes == [overview.synthetic_note(data)[0]] and "establishments" in step.notes[0]
    assert step.excluded.to_dict("records") == [{"table": "establishments", "reason": "negative output", "rows": 4}]
    real = cluster_data(params, {"country_product": _country_product()})
    assert overview.inventory(real).notes == []


def test_country_series_headlines_from_the_latest_year_with_production(params):
    data = cluster_data(params, {"country_product": _country_product(production=(900.0, None))})
    step = overview.country_series(data, params)
    heads = {h.key: h.value for h in common.collect_headlines(step)}
    assert heads == {"production_kt": 900.0, "exports_kt": 700.0} and step.result.year == 2019
    figure = overview.country_figure(step, params)
    assert isinstance(figure.result, matplotlib.figure.Figure) and "2010" in figure.reading
    matplotlib.pyplot.close(figure.result)
    missing = overview.country_series(cluster_data(params, {}), params)
    assert not missing.computed and overview.country_figure(missing, params) is missing
    assert "FAOSTAT" in missing.message


# ------------------------------------------------------------------------------------------------- common


def test_headline_table_and_excluded_tables():
    heads = {"a": {"value": 1.5, "se": 0.1, "label": "A", "unit": "ratio", "note": None},
             "b": {"value": 2, "se": None, "label": None, "unit": None, "note": "n"},
             "localised_to_km": {"value": 14.6627, "se": None, "label": "L", "origin": "synthetic"},
             "strong_cluster": {"value": 1, "label": "S", "origin": "synthetic"},
             "member_tfp_premium": {"value": 0.08123, "se": 0.0234, "label": "P", "origin": "real"}}
    table = common.headline_table(heads)
    assert list(table.columns) == common.HEADLINE_COLUMNS
    rows = table.to_dict("records")
    assert rows[1] == {"key": "b", "label": "b", "value": "2", "se": "–", "origin": "", "note": "n"}
    # printed in the registry's unit, as the site prints them
    assert [r["value"] for r in rows[2:]] == ["14.7 km", "yes", "+0.081 log points"]
    assert rows[4]["se"] == "0.023"
    parts = common.excluded_from(pd.DataFrame({"table": ["t", "t"], "reason": ["x", "y"], "n_rows": [3, 0]}),
                                 pd.DataFrame(columns=["table", "reason", "n_rows"]))
    assert parts.to_dict("records") == [{"table": "t", "reason": "x", "rows": 3}]
    assert common.excluded_table([{"table": "t", "reason": "x", "rows": 3}]).equals(parts)
    assert len(common.excluded_table([])) == 0


def test_show_figure_records_once_and_collect_headlines_skips_steps_not_computed(params, tmp_path):
    import matplotlib.pyplot as plt

    rec = record.Recorder(params, "99_test", tmp_path)
    fig, _ = plt.subplots()
    shown = common.show_figure(rec, "curve", Section("Curve", result=fig, reading="A curve.", notes=["caveat"]))
    assert "A curve." in shown._repr_html_() and rec.figures[0]["caption"].startswith("A curve. [Data: ") and rec.notes == ["caveat"]
    plt.close(fig)
    missing = Section.not_computed("Kd", "coordinates")
    rec.section("kd-ranges", missing, "unused")
    assert common.show_figure(rec, "kd", missing) is None  # already reported by its table
    assert rec.notes.count("Kd: Not computed: needs coordinates.") == 1
    assert common.show_figure(rec, "map", Section.not_computed("Map", "coordinates")) is not None
    done = Section("LQ", result=type("R", (), {"headlines": (common.Headline("k", 1.0),)})())
    assert common.collect_headlines(missing, done) == [common.Headline("k", 1.0)]
    rec.save()
    assert json.loads((tmp_path / "99_test.results.json").read_text())["figures"][0]["name"] == "curve"


# ---------------------------------------------------------------------------------------------- demo data


@pytest.mark.parametrize(("cluster_id", "allowed", "not_allowed"), [
    ("chile_wine", {"regional", "map", "distance", "plant_employment", "urbanisation", "member_premium",
                    "programme", "capital", "investment"}, set()),
    # the real Indonesian rice farms: no coordinates, one sector, no membership, no capital
    ("indonesia_rice", {"regional", "plant_employment", "programme"},
     {"map", "distance", "urbanisation", "member_premium", "capital", "investment"}),
])
def test_availability_of_the_demo_clusters(cluster_id, allowed, not_allowed):
    from agrocluster.data.cluster import load_cluster

    cluster = params_module.load(cluster_id)
    data = load_cluster(cluster, tables=["establishments", "regional_employment"])
    found = overview.availability(data, cluster)
    assert {a for a in allowed if found.allows(a)} == allowed
    assert not_allowed <= set(found.missing())
    assert not found.allows("country_series")  # country_product not loaded here
    assert found.synthetic == tuple(t for t in data.tables if data.is_synthetic(t))


def test_excluded_table_reads_the_recorders_typed_entries(project, tmp_path):
    from agrocluster import params as params_module
    from agrocluster import record

    rec = record.Recorder(params_module.load("chile_wine"), "01_cluster_mapping", tmp_path)
    rec.add_excluded("establishments", "zero output", 3)
    table = common.excluded_table(rec.excluded)
    assert table.to_dict("records") == [{"table": "establishments", "reason": "zero output", "rows": 3}]


def test_cluster_profile_names_isic_codes_and_cites_sources(params):
    step = overview.cluster_profile(params)
    assert step.computed
    table = step.table.set_index("aspect")["profile"]
    assert "1102 Manufacture of wines (cluster sector)" in table["ISIC rev.4 activities"]
    assert "Giuliani" in step.reading and step.reading.startswith("Sources: [1]")


def test_cluster_profile_not_computed_without_profile(params):
    bare = params.model_copy(update={"profile": type(params.profile)()})
    step = overview.cluster_profile(bare)
    assert not step.computed and "profile" in step.reason
