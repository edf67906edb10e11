"""agrocluster.headlines: every key the workbooks record is declared once, and the recorder enforces it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agrocluster import headlines, params, record
from agrocluster.errors import HeadlineError

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")) + sorted(
    p for p in (ROOT / "lib" / "agrocluster").rglob("*.py") if p.name != "headlines.py")  # its docstring has an example
# rec.headline("key", ...) in notebooks, and in the workbook modules the Headline("key", ...) steps return, the
# _head("key", ...) dicts of 02 and the (key, value, se, ...) tuples 03 builds before they are recorded
RECORDED = re.compile(r'(?:rec\.headline|Headline|_head)\(\s*"(\w+)"|heads\.append\(\(\s*"(\w+)"')
WORKBOOK_NOTEBOOK = {"overview": "00_cluster_overview", "mapping": "01_cluster_mapping",
                     "agglomeration": "02_agglomeration", "productivity": "03_productivity",
                     "exports": "04_export_links", "synthesis": "05_synthesis", "links_risks": "06_cluster_links_risks"}


def recorded_keys() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in SOURCES:
        for match in RECORDED.finditer(path.read_text(encoding="utf-8")):
            where = WORKBOOK_NOTEBOOK.get(path.stem, path.stem) if path.parent.name == "workbooks" else path.stem
            found.setdefault(match.group(1) or match.group(2), set()).add(where)
    return found


def test_every_recorded_key_is_declared_for_its_notebook():
    found = recorded_keys()
    assert len(found) >= 30, "the scan of rec.headline calls found too few keys: the pattern is broken"
    for key, where in found.items():
        declared = headlines.get(key)
        assert where == {declared.notebook}, f"{key!r} is recorded in {where}, declared for {declared.notebook}"


def test_declarations_are_complete_and_in_reader_words():
    for key, h in headlines.REGISTRY.items():
        assert h.key == key and h.label and key not in h.label, f"{key}: label must be words, not the key"
        assert h.direction in headlines.DIRECTIONS and h.unit in headlines.UNITS
        assert set(h.inputs) <= set(params.TABLES) | {headlines.RESULTS_INPUT}
        assert h.qualifies is None or headlines.get(h.qualifies).notebook == h.notebook
    assert [h.key for h in headlines.for_notebook("00_cluster_overview")] == ["production_kt", "exports_kt",
                                                                              "establishments"]


def test_a_bad_declaration_is_refused():
    with pytest.raises(ValueError, match="unit 'furlongs'"):
        headlines.Headline("x", "00_cluster_overview", "X", "furlongs", "neutral", ())
    with pytest.raises(ValueError, match="direction 'up'"):
        headlines.Headline("x", "00_cluster_overview", "X", "count", "up", ())


def test_unknown_key_names_it_and_the_closest():
    with pytest.raises(HeadlineError, match=r"'cluster_lg' is not declared.*did you mean 'cluster_lq'"):
        headlines.get("cluster_lg")
    with pytest.raises(HeadlineError, match="'zzz' is not declared"):
        headlines.get("zzz")


@pytest.mark.parametrize(("key", "value", "text"), [
    ("production_kt", 1234.56, "1,235 kt"),
    ("establishments", 1200, "1,200"),
    ("cluster_lq", 2.345, "2.35"),
    ("world_export_share", 3.21, "3.2%"),
    ("world_export_share_change", -0.5, "-0.50 pp"),
    ("world_export_share_change", 0.25, "+0.25 pp"),
    ("localised_to_km", 12.34, "12.3 km"),
    ("strong_cluster", 1, "yes"),
    ("strong_cluster", 0, "no"),
    ("member_tfp_premium", 0.1234, "+0.123 log points"),
    ("eg_gamma", None, "–"),
    ("eg_gamma", float("nan"), "–"),
])
def test_numbers_are_formatted_by_unit(key, value, text):
    assert headlines.get(key).format(value) == text


def test_origin_follows_the_input_tables():
    lq = headlines.get("cluster_lq")  # from regional employment
    assert lq.origin({"regional_employment", "establishments"}) == "synthetic"
    assert lq.origin({"establishments"}) == "real"
    assert headlines.get("n_clusters").origin({headlines.RESULTS_INPUT}) == "real"
    assert headlines.get("n_danger_flags").origin({headlines.RESULTS_INPUT}) == "synthetic"
    assert headlines.synthetic_tables({"a": {"source": "synthetic"}, "b": {"source": "faostat"}}) == {"a"}


def test_recorder_validates_the_key_and_stores_label_unit_origin(tmp_path):
    wine = params.load("chile_wine")  # synthetic firms, real FAOSTAT
    rice = params.load("indonesia_rice")  # real rice farms
    assert "establishments" in headlines.synthetic_tables(wine.data)
    assert "establishments" not in headlines.synthetic_tables(rice.data)
    rec = record.Recorder(wine, "00_cluster_overview", tmp_path)
    assert rec.headline("establishments", 120, note="all years") == 120
    rec.headline("production_kt", 900.0)
    with pytest.raises(HeadlineError, match="did you mean 'exports_kt'"):
        rec.headline("export_kt", 1.0)
    with pytest.raises(TypeError):
        rec.headline("exports_kt", 1.0, label="my own label")  # labels live in the registry only
    entry = rec.headlines["establishments"]
    assert entry["label"] == "Firms or farms in the microdata"  # mapping access kept for notebooks
    assert (entry.unit, entry.origin, entry.note) == ("", "synthetic", "all years")
    assert (rec.headlines["production_kt"].origin, rec.headlines["production_kt"].unit) == ("real", "kt")
    saved = json.loads(rec.save().read_text())
    assert saved["headline"]["establishments"]["origin"] == "synthetic"
    rice_rec = record.Recorder(rice, "03_productivity", tmp_path)
    rice_rec.headline("member_tfp_premium", 0.1, se=0.02)
    assert rice_rec.headlines["member_tfp_premium"].origin == "real"
