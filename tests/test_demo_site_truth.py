"""The Done-when of the demo-truth issue, checked on the built demo site (chile_wine: synthetic microdata;
indonesia_rice: real farms, no trade flows): every establishment point the site plots is on land in its
country; synthetic export quantities match FAOSTAT's each year within 1 %; every caption, CSV and index cell
says real or synthetic, and no step of a cluster's pages leaves its mark ambiguous (a table or figure marked
"real and synthetic" must have declared the tables it rests on)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from agrocluster.data import geography
from agrocluster.data.cluster import frame_sha256, load_cluster
from agrocluster.params import resolve

CLUSTERS = ("chile_wine", "indonesia_rice")
ORIGINS = {"real", "synthetic", "real and synthetic"}
MARK = re.compile(r"\[Data: .+\.\]$")


@pytest.fixture(scope="module")
def site(built_site):
    outputs, completed = built_site
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    return outputs


def _results(site, cluster_id):
    return {p.name.removesuffix(".results.json"): json.loads(p.read_text())
            for p in sorted((site / cluster_id).glob("*.results.json"))}


@pytest.mark.parametrize("cluster_id", CLUSTERS)
def test_every_plotted_establishment_is_on_land_in_its_country(site, cluster_id):
    """With the bundled land-in-country mask (GLOBE land mask × GeoNames country, itself checked against
    global-land-mask and reverse_geocoder in test_geography)."""
    recorded = _results(site, cluster_id)["01_cluster_mapping"]["provenance"]["inputs"]["establishments"]
    params = resolve(cluster_id).params
    establishments = load_cluster(params, tables=["establishments"])["establishments"]
    if recorded["source"] == "synthetic":      # the very table the site's map was drawn from
        assert frame_sha256(establishments) == recorded["sha256"]
    located = establishments.dropna(subset=["lat", "lon"]) if {"lat", "lon"} <= set(establishments) else None
    figures = {f["name"] for f in _results(site, cluster_id)["01_cluster_mapping"]["figures"]}
    if located is None or located.empty:
        assert "map" not in figures             # nothing plotted: the real rice farms carry no coordinates
        return
    assert "map" in figures
    lat, lon = located["lat"].to_numpy(float), located["lon"].to_numpy(float)
    assert geography.country_mask(params.country_iso3).contains(lat, lon, margin_cells=0).all()


def test_synthetic_exports_match_faostat_each_year_on_the_page(site):
    units = pd.read_csv(site / "chile_wine" / "tables" / "04_export_links-unit-values.csv")
    params = resolve("chile_wine").params
    assert sorted(units["year"]) == list(range(params.first_year, params.last_year + 1))
    assert (units["quantity_ratio_to_faostat"] - 1).abs().max() < 0.01
    assert set(units["origin"]) == {"real and synthetic"}
    firms = pd.read_csv(site / "chile_wine" / "tables" / "04_export_links-firm-exports-vs-flows.csv")
    assert sorted(firms["year"]) == sorted(units["year"])
    assert (firms["ratio_to_stated_share"] - 1).abs().max() < 1e-6 and set(firms["origin"]) == {"synthetic"}
    rice = _results(site, "indonesia_rice")["04_export_links"]
    assert not (site / "indonesia_rice" / "tables" / "04_export_links-unit-values.csv").exists()
    assert any("net importer of rice" in note for note in rice["notes"])


@pytest.mark.parametrize("cluster_id", CLUSTERS)
def test_every_caption_and_csv_is_marked_and_no_mark_is_ambiguous(site, cluster_id):
    pages = _results(site, cluster_id)
    assert {"00_cluster_overview", "01_cluster_mapping", "02_agglomeration", "03_productivity",
            "04_export_links", "06_cluster_links_risks"} <= set(pages)
    for notebook, results in pages.items():
        for entry in results["tables"] + results["figures"]:
            where = f"{cluster_id}/{notebook} {entry['name']}"
            assert MARK.search(entry["caption"]), where
            assert entry["origin"] in ORIGINS, where
            rows_say = entry["caption"].endswith("(the origin column says which).]")
            assert entry["inputs"] is not None or entry["origin"] != "real and synthetic" or rows_say, where
            if entry["inputs"] is not None:
                assert entry["inputs"], where
        for entry in results["tables"]:
            frame = pd.read_csv(site / cluster_id / entry["file"])
            column = "data_origin" if "data_origin" in frame else "origin"
            assert set(frame[column].dropna()) <= ORIGINS and len(frame[column].dropna()) == len(frame), entry["file"]
        for key, headline in results["headline"].items():
            assert headline["origin"] in {"real", "synthetic"}, f"{cluster_id}/{notebook} headline {key}"


def test_the_synthesis_page_gives_each_table_and_figure_its_precise_mark(site):
    """No step of 05 takes the page-level mark listing every results file: rows say their origin, or the step
    declares the results files it rests on."""
    results = _results(site, "synthesis")["05_synthesis"]
    assert results["tables"] and results["figures"]
    for entry in results["tables"] + results["figures"]:
        where = f"synthesis {entry['name']}"
        assert MARK.search(entry["caption"]) and entry["origin"] in ORIGINS, where
        rows_say = entry["caption"].endswith(("(the origin column says which).]", "(every row).]"))
        assert rows_say or entry["inputs"], where
    for entry in results["tables"]:
        frame = pd.read_csv(site / "synthesis" / entry["file"])
        column = "data_origin" if "data_origin" in frame else "origin"
        assert set(frame[column].dropna()) <= ORIGINS and len(frame[column].dropna()) == len(frame), entry["file"]


def test_every_index_cell_number_is_marked(site):
    index = (site / "index.html").read_text()
    numbers = re.findall(r"<li>[^<]*: <strong>[^<]*</strong>(.{0,60})", index)
    assert numbers
    for tail in numbers:
        assert tail.startswith((' <span class="ac-note">(real)', ' <span class="ac-note">(synthetic)')), tail


def test_no_headline_the_pages_disown(site):
    """No "localised from 0 km"; a sorting share only when the page reads it; the agglomeration headline of
    synthetic data is the planted TFP elasticity's estimate."""
    for cluster_id in CLUSTERS:
        pages = _results(site, cluster_id)
        mapping = pages["01_cluster_mapping"]["headline"]
        assert "localised_from_km" not in mapping or mapping["localised_from_km"]["value"] > 0
        agglomeration = pages.get("02_agglomeration", {}).get("headline", {})
        if "sorting_share" in agglomeration:
            page = (site / cluster_id / "02_agglomeration.html").read_text()
            assert "says nothing about sorting" not in page
    chile = _results(site, "chile_wine")["02_agglomeration"]["headline"]["localisation_elasticity"]
    assert chile["origin"] == "synthetic" and "TFP" in (chile["note"] or "")
    assert np.isfinite(chile["value"])
