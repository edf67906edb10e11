"""Bring your own data (issue 17): params ↔ importers, read options, row policy, derived tables, checks, docs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from agrocluster import cli
from agrocluster import params as P
from agrocluster.data import files, loaders
from agrocluster.data.checks import check_params_against_data, suggest
from agrocluster.data.cluster import load_cluster, regional_from_establishments
from agrocluster.data.contracts import TABLES, dictionary, dictionary_markdown, validate, validate_rows
from agrocluster.data.importers import to_cluster_products
from agrocluster.errors import DataContractError, ParamsError
from agrocluster.site import data_banner

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"

IDENTITY = {
    "cluster_id": "mine", "name": "Caldas coffee", "country_iso3": "COL", "country_code": "170",
    "faostat_area_code": 44, "product": "Coffee", "faostat_item_code": 2630, "hs_codes": ["0901"],
    "cluster_sector": "0127", "regions": ["Caldas"], "first_year": 2019, "last_year": 2020, "seed": 1,
}


def _cluster(project: Path, **extra) -> str:
    content = {**IDENTITY, **extra}
    (project / "params" / "clusters" / "mine.yaml").write_text(yaml.safe_dump(content, allow_unicode=True),
                                                               encoding="utf-8")
    return "mine"


def _firms(project: Path, text: str, name: str = "firms.csv", encoding: str = "utf-8") -> str:
    (project / "data" / name).write_bytes(text.encode(encoding))
    return f"data/{name}"


FIRMS = ("firm_id,year,region,sector,labour\n"
         "001,2019,Caldas,0127,10\n002,2019,Caldas,0127,5\n003,2019,Quindio,0127,7\n"
         "004,2019,Quindio,1079,\n001,2020,Caldas,0127,11\n")


# ---------------------------------------------------------------------------------------------------------
# params: one list of formats; user data leave no synthetic table behind


def test_params_and_loaders_share_one_list_of_formats():
    assert set(files.FORMATS) == set(files.PLAIN_FORMATS) | set(files.IMPORTER_FORMATS)
    assert P.DataSource.model_fields["format"].annotation.__args__[0].__args__ == files.FORMATS
    for fmt in files.FORMATS:  # every format params accept reaches a reader, none is "unknown"
        with pytest.raises(DataContractError) as err:
            loaders.read_table(DATA / "establishments_empty.csv", "trade_flows" if fmt in files.IMPORTER_FORMATS
                               and files.IMPORTER_FORMATS[fmt] == "trade_flows" else "establishments", format=fmt)
        assert "unknown format" not in str(err.value)


def test_user_file_makes_undeclared_tables_none_unless_asked(project):
    path = _firms(project, FIRMS)
    _cluster(project, data={"establishments": {"source": "file", "path": path}})
    effective = P.resolve("mine")
    sources = {t: s.source for t, s in effective.params.data.items()}
    assert sources == {"country_product": "faostat", "establishments": "file", "regional_employment": "none",
                       "trade_flows": "none", "firm_links": "none"}
    assert effective.source_of("data.trade_flows.source") == P.USER_DATA_ORIGIN
    _cluster(project, data={"establishments": {"source": "file", "path": path}, "firm_links": {"source": "synthetic"}})
    assert P.load("mine").data["firm_links"].source == "synthetic"


def test_demo_clusters_keep_their_synthetic_tables(project):
    assert P.load("chile_wine").data["trade_flows"].source == "synthetic"
    assert P.load("indonesia_rice").data["regional_employment"].source == "synthetic"  # real, but not a user file


def test_importer_format_must_fit_its_table(project):
    _firms(project, "x\n1\n", "trade.csv")
    _cluster(project, data={"establishments": {"source": "file", "path": "data/trade.csv", "format": "comtrade_csv"}})
    with pytest.raises(ParamsError, match="format 'comtrade_csv' reads a trade_flows table, not establishments"):
        P.load("mine")


@pytest.mark.parametrize(("option", "value", "message"), [
    ("encoding", "latin-2000", "unknown encoding"), ("sep", ";;", "one character"),
    ("on_invalid", "skip", "refuse"),
])
def test_bad_read_options_are_refused_by_params(project, option, value, message):
    path = _firms(project, FIRMS)
    _cluster(project, data={"establishments": {"source": "file", "path": path, option: value}})
    with pytest.raises(ParamsError, match=message):
        P.load("mine")


# ---------------------------------------------------------------------------------------------------------
# read options, row policy


def test_latin1_semicolon_decimal_comma_csv(tmp_path):
    path = tmp_path / "empresas.csv"
    path.write_bytes("código;año;depto;ciiu;producción\n0001;2019;Quindío;0127;1.234,5\n0002;2019;Caldas;0127;7,25\n"
                     .encode("latin-1"))
    columns = {"código": "firm_id", "año": "year", "depto": "region", "ciiu": "sector", "producción": "output"}
    with pytest.raises(DataContractError, match="latin-1"):
        loaders.read_table(path, "establishments", columns=columns)
    loaded = loaders.read_table(path, "establishments", columns=columns, encoding="latin-1", sep=";", decimal=",")
    frame = loaded.frame
    assert frame["firm_id"].tolist() == ["0001", "0002"] and frame["sector"].tolist() == ["0127", "0127"]
    assert frame["region"].tolist() == ["Quindío", "Caldas"]
    assert frame["output"].tolist() == [1234.5, 7.25]


def test_on_invalid_drop_counts_rows_by_rule_and_refuse_lists_them():
    raw = pd.read_csv(DATA / "establishments_negative_capital.csv", dtype={"firm_id": str, "sector": str})
    with pytest.raises(DataContractError, match="non-negative"):
        validate_rows(raw, "establishments", "f.csv")
    kept, excluded = validate_rows(raw, "establishments", "f.csv", on_invalid="drop")
    assert kept["firm_id"].tolist() == ["0001", "0003"]  # 0002 and 0004 report negative capital
    assert excluded["n_rows"].tolist() == [2] and "capital" in excluded["reason"].iloc[0]


def test_on_invalid_drop_drops_every_row_of_a_duplicated_key_and_cannot_mend_a_column():
    raw = pd.DataFrame({"firm_id": ["1", "1", "2"], "year": [2019, 2019, 2019], "region": "A", "sector": "01"})
    kept, excluded = validate_rows(raw, "establishments", on_invalid="drop")
    assert kept["firm_id"].tolist() == ["2"] and excluded["n_rows"].sum() == 2
    with pytest.raises(DataContractError, match="missing required column"):
        validate_rows(raw.drop(columns="sector"), "establishments", on_invalid="drop")
    with pytest.raises(DataContractError, match="every row"):
        validate_rows(raw.iloc[:2], "establishments", on_invalid="drop")


def test_dropped_rows_reach_the_exclusions_of_the_cluster(project):
    shutil.copy(DATA / "establishments_negative_capital.csv", project / "data" / "neg.csv")
    _cluster(project, cluster_sector="0121", regions=["Maule"],
             data={"establishments": {"source": "file", "path": "data/neg.csv", "on_invalid": "drop"}})
    data = load_cluster(P.load("mine"), tables=["establishments"])
    assert data.excluded_table()["n_rows"].sum() == 2 and len(data["establishments"]) == 2


# ---------------------------------------------------------------------------------------------------------
# derived regional employment, HS concordance


def test_regional_employment_derived_from_user_establishments(project):
    path = _firms(project, FIRMS)
    _cluster(project, data={"establishments": {"source": "file", "path": path}})
    data = load_cluster(P.load("mine"))
    regional = data["regional_employment"].set_index(["region", "sector", "year"])
    assert regional.loc[("Caldas", "0127", 2019), "employment"] == 15
    assert regional.loc[("Caldas", "0127", 2019), "establishments"] == 2
    assert regional.loc[("Quindio", "0127", 2019), "employment"] == 7
    assert ("Quindio", "1079", 2019) not in regional.index  # its only plant has no labour: counted, not summed
    assert data.info["regional_employment"].source == "derived"
    assert data.inventory().set_index("table").loc["regional_employment", "kind"] == "user file"
    assert data.excluded_table()["n_rows"].sum() == 1
    assert not data.has("trade_flows") and not data.truth


def test_regional_employment_needs_plant_employment():
    frame = validate(pd.DataFrame({"firm_id": ["1"], "year": [2019], "region": ["A"], "sector": ["01"]}),
                     "establishments")
    with pytest.raises(DataContractError, match="labour"):
        regional_from_establishments(frame)


def test_products_relabelled_with_the_cluster_hs_codes():
    flows = pd.DataFrame({"exporter": "COL", "importer": ["USA", "USA", "USA", "DEU"], "year": 2020,
                          "product": ["090111", "090121", "080300", "090111"], "value": [10.0, 5.0, 3.0, 2.0],
                          "quantity": [1.0, None, 1.0, None], "distance": [4000.0, 4000.0, 4000.0, 9000.0]})
    out, counts = to_cluster_products(flows, ["0901"])
    usa = out[(out["importer"] == "USA") & (out["product"] == "0901")].iloc[0]
    assert usa["value"] == 15.0 and usa["quantity"] == 1.0 and usa["product_detail"] == "090111+090121"
    assert usa["distance"] == 4000.0
    assert out[out["importer"] == "DEU"]["quantity"].isna().all()
    assert list(counts.values()) == [1]  # bananas stay 080300 and are counted


def test_faostat_trade_matrix_items_become_hs_codes(project):
    shutil.copy(DATA / "faostat_trade_matrix.csv", project / "data" / "tm.csv")
    _cluster(project, country_iso3="CHL", hs_codes=["2204"],
             data={"trade_flows": {"source": "file", "path": "data/tm.csv", "format": "faostat_trade_csv"}})
    flows = load_cluster(P.load("mine"), tables=["trade_flows"])["trade_flows"]
    assert set(flows["product"]) == {"2204"} and set(flows["product_detail"]) == {"564"}


# ---------------------------------------------------------------------------------------------------------
# params against data


def test_suggest_ignores_accents_case_and_leading_zeros():
    assert suggest("127", ["0127", "1079"]) == "0127"
    assert suggest("Quindío", ["Quindio", "Caldas"]) == "Quindio"
    assert suggest("Risaralda", ["Quindio", "Caldas"]) is None


def test_check_params_against_data_names_the_mismatch_and_the_suggestion(project):
    path = _firms(project, FIRMS)
    _cluster(project, cluster_sector="127", regions=["Caldas", "Quindío"], first_year=2001, last_year=2002,
             data={"establishments": {"source": "file", "path": path}})
    checks = check_params_against_data(load_cluster(P.load("mine")))
    bad = checks[checks["status"] == "mismatch"]
    text = " | ".join(bad["message"])
    assert "sector '127' is not in establishments.sector (did you mean '0127'?)" in text
    assert "region 'Quindío' is not in establishments.region (did you mean 'Quindio'?)" in text
    assert "no year of 2001–2002 in establishments" in text
    assert set(bad["table"]) == {"establishments", "regional_employment"}
    assert cli.main(["data", "check", "mine"]) == 1


def test_data_check_passes_on_matching_params(project, capsys):
    path = _firms(project, FIRMS)
    _cluster(project, regions=["Caldas", "Quindio"], data={"establishments": {"source": "file", "path": path}})
    assert cli.main(["data", "check", "mine"]) == 0
    assert "0 mismatch(es)" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------------------
# the contract, printed and documented; a new cluster file


def test_dictionary_covers_every_column_with_unit_and_meaning():
    frame = dictionary()
    assert len(frame) == sum(len(columns) for columns in TABLES.values())
    assert frame["unit"].str.len().gt(0).all() and frame["meaning"].str.len().gt(0).all()
    exports = frame[(frame["table"] == "establishments") & (frame["column"] == "exports")].iloc[0]
    assert exports["unit"] == "thousand USD" and "not a 0/1" in exports["meaning"]


def test_committed_data_doc_is_the_generated_one():
    committed = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    assert committed == dictionary_markdown(), "regenerate: agrocluster data contract --markdown > docs/data.md"


def test_cli_data_contract(capsys):
    assert cli.main(["data", "contract", "trade_flows"]) == 0
    out = capsys.readouterr().out
    assert "distance" in out and "thousand USD" in out and "establishments" not in out
    assert cli.main(["data", "contract", "trade_flow"]) == 1
    assert "did you mean 'trade_flows'" in capsys.readouterr().err


def _schema_keys(model, prefix=""):
    """Every dotted key of a pydantic model, through nested models, the data sources and list items."""
    import typing

    from pydantic import BaseModel

    for name, info in model.model_fields.items():
        yield info, f"{prefix}{name}"
        inner = [a for a in typing.get_args(info.annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            inner.append(info.annotation)
        for nested in inner:
            yield from _schema_keys(nested, f"{prefix}{name}.")


def test_cli_new_scaffolds_every_schema_key_and_passes_params_check(project, capsys):
    assert cli.main(["new", "caldas_coffee"]) == 0
    path = project / "params" / "clusters" / "caldas_coffee.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    keys = list(_schema_keys(P.ClusterParams))
    assert len(keys) > 70
    for info, dotted in keys:
        assert info.description, f"{dotted}: the schema gives no description (the scaffold prints it)"
        name = dotted.rsplit(".", 1)[-1]
        assert any(x.lstrip("# ").startswith(f"{name}:") and info.description in x for x in lines), \
            f"{dotted} missing from the scaffold, or without its description"
    assert any('lq_interval: "establishments"' in x and "one of establishments | poisson" in x for x in lines)
    assert any("kd_draws: 1000" in x and ">= 19" in x for x in lines)
    assert yaml.safe_load("\n".join(lines))["cluster_sector"] == "0127"  # codes stay text
    assert cli.main(["params", "check"]) == 0, capsys.readouterr().err
    assert P.load("caldas_coffee").concentration.kd_draws == 1000
    option = re.compile(r"^# +[a-z_0-9]+: ")
    uncommented = "\n".join(x[2:] if option.match(x) else x for x in lines[1:]
                             if "# required:" not in x and "# each item" not in x)
    assert cli.main(["new", "caldas_coffee"]) == 2  # never overwrites
    path.write_text(uncommented, encoding="utf-8")  # the commented options, uncommented, are valid at their defaults
    assert P.load("caldas_coffee").exports.gravity_formula.startswith("value ~ ln_distance")


# ---------------------------------------------------------------------------------------------------------
# the index banner


def test_index_banner_from_each_clusters_tables(project):
    path = _firms(project, FIRMS)
    _cluster(project, data={"establishments": {"source": "file", "path": path}})
    kinds = {cid: files.data_kinds(P.load(cid)) for cid in ("mine", "indonesia_rice", "chile_wine")}
    assert kinds["mine"] == {"country_product": "real", "establishments": "user file",
                             "regional_employment": "user file"}
    html = data_banner([("mine", "Caldas coffee"), ("indonesia_rice", "Rice"), ("chile_wine", "Wine")], kinds)
    assert "ac-synthetic" in html and "Caldas coffee (establishments, regional employment)" in html
    assert "Rice (establishments" not in html.split("SYNTHETIC")[1].split("</li>")[0]
    only_user = data_banner([("mine", "Caldas coffee")], {"mine": kinds["mine"]})
    assert "ac-info" in only_user and "SYNTHETIC" not in only_user


def test_reports_name_parameters_that_miss_the_users_data(project):
    from agrocluster.workbooks import overview

    path = _firms(project, FIRMS)
    _cluster(project, cluster_sector="127", data={"establishments": {"source": "file", "path": path}})
    notes = overview.inventory(load_cluster(P.load("mine"))).notes
    assert any("cluster_sector does not match the data" in n and "did you mean '0127'" in n for n in notes)
    _cluster(project, data={"establishments": {"source": "file", "path": path}})
    assert overview.inventory(load_cluster(P.load("mine"))).notes == []


def test_region_areas_from_params_give_density_on_user_data(project):
    from agrocluster.workbooks import agglomeration as wb

    lines = FIRMS.splitlines()
    path = _firms(project, "\n".join([lines[0] + ",output"] + [f"{line},{20 + i}" for i, line in enumerate(lines[1:])]))
    _cluster(project, region_areas_km2={"Caldas": 7888, "Quindio": 1845},
             data={"establishments": {"source": "file", "path": path}})
    described = wb.describe_data(load_cluster(P.load("mine"), tables=["establishments"]))
    assert described.result.region_areas == {"Caldas": 7888.0, "Quindio": 1845.0} and described.notes == []
    _cluster(project, region_areas_km2={"Caldas": 7888}, data={"establishments": {"source": "file", "path": path}})
    described = wb.describe_data(load_cluster(P.load("mine"), tables=["establishments"]))
    assert described.result.region_areas is None and "no area for 1 region(s) of the data (Quindio)" in described.notes[0]
    _cluster(project, region_areas_km2={"Caldas": 0}, data={"establishments": {"source": "file", "path": path}})
    with pytest.raises(ParamsError, match="must be > 0"):
        P.load("mine")


def test_failed_html_is_always_the_latest_failure(project):
    """A failure without an executed notebook (a dead kernel, bad params) replaces an older .failed.html."""
    from agrocluster import runner

    folder = project / "outputs" / "mine"
    folder.mkdir(parents=True)
    (folder / "04_export_links.failed.html").write_text("old error: link source(s) not in the establishment table")
    (folder / "04_export_links.failed.ipynb").write_text("{}")
    runner.commit_outputs({"cluster_id": "mine", "notebook": "04_export_links", "status": "failed", "files": {},
                           "error": "DeadKernelError: Kernel died"}, None)
    page = (folder / "04_export_links.failed.html").read_text(encoding="utf-8")
    assert "DeadKernelError: Kernel died" in page and "old error" not in page
    assert not (folder / "04_export_links.failed.ipynb").exists()


def test_an_exporter_flag_mapped_onto_export_values_is_a_mismatch(project):
    path = _firms(project, "firm_id,year,region,sector,exporta\n1,2019,Caldas,0127,1\n2,2019,Caldas,0127,0\n")
    _cluster(project, data={"establishments": {"source": "file", "path": path, "columns": {"exporta": "exports"}}})
    checks = check_params_against_data(load_cluster(P.load("mine"), tables=["establishments"]))
    assert "not an exporter flag" in " ".join(checks.loc[checks["status"] == "mismatch", "message"])


def test_never_treated_written_as_zero_is_refused_with_the_convention():
    raw = pd.DataFrame({"firm_id": ["1"], "year": [2019], "region": ["A"], "sector": ["01"], "programme_entry_year": [0]})
    with pytest.raises(DataContractError, match=r"empty for never \(not 0\)"):
        validate(raw, "establishments")


def test_synthesis_box_tells_user_files_from_real_and_synthetic_tables():
    from agrocluster.site import collection_provenance_box

    html = collection_provenance_box({
        "mine/01_cluster_mapping.results.json": {"synthetic_tables": [], "user_tables": ["establishments"],
                                                 "real_tables": ["country_product", "establishments"]},
        "chile_wine/01_cluster_mapping.results.json": {"synthetic_tables": ["establishments"],
                                                       "real_tables": ["country_product"]}})
    assert "USER FILES: establishments; REAL: country_product" in html
    assert "SYNTHETIC: establishments; REAL: country_product" in html and "ac-synthetic" in html


def test_overview_says_when_establishments_report_no_output(project):
    from agrocluster.workbooks import overview

    path = _firms(project, FIRMS)
    _cluster(project, data={"establishments": {"source": "file", "path": path}})
    cluster = P.load("mine")
    allowed = overview.availability(load_cluster(cluster, tables=["establishments"]), cluster)
    assert not allowed.allows("production") and "output of at least one establishment" in allowed.reason("production")
    assert allowed.allows("plant_employment")


def test_end_at_stop_keeps_the_report_up_to_the_stop_and_lists_the_sections_left_out():
    """The runner's treatment of ``rec.stop_unless``: banners and traceback gone, later cells replaced by the list
    of the sections not computed, each with the reason."""
    import nbformat

    from agrocluster.runner import end_at_stop

    v4 = nbformat.v4
    stop = v4.new_code_cell("rec.stop_unless(described)")
    stop.outputs = [v4.new_output("error", ename="WorkbookStopped", evalue="the rest of this workbook is not computed: "
                                  "needs plant employment (column labour)", traceback=["..."])]
    banner = v4.new_markdown_cell("An Exception was encountered")
    banner.metadata["tags"] = ["papermill-error-cell-tag"]
    nb = v4.new_notebook(cells=[banner, v4.new_markdown_cell("## 1. The data"), v4.new_code_cell("x = 1"), banner,
                                stop, v4.new_markdown_cell("## 2. Measures\n\ntext"), v4.new_code_cell("y = 2"),
                                v4.new_markdown_cell("## Summary and what comes next")])
    assert end_at_stop(nb) == ["2. Measures", "Summary and what comes next"]
    assert [c.source for c in nb.cells[:3]] == ["## 1. The data", "x = 1", "rec.stop_unless(described)"]
    assert nb.cells[2].outputs == [] and len(nb.cells) == 4
    assert "- **2. Measures**: Not computed: needs plant employment (column labour)." in nb.cells[3].source
