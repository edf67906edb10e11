"""End to end with a user's own data set (issue 17): every notebook runs through the runner, nothing synthetic.

The data look like what a user brings: Spanish column names, establishments in a Latin-1 CSV with ';' and
decimal commas (a spreadsheet's export in a Spanish locale), regional employment on a named Excel sheet,
exports from a UN Comtrade download of one reporting country, and the real FAOSTAT food balances. The README
walk-through ("Your own data") uses the same files and parameters.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from agrocluster import cli, runner

ROOT = Path(__file__).resolve().parents[1]

REGIONS = {"Caldas": (5.07, -75.52), "Quindío": (4.53, -75.68), "Risaralda": (4.81, -75.69),
           "Antioquia": (6.25, -75.56), "Huila": (2.93, -75.28), "Tolima": (4.44, -75.23)}
PARTNERS = ["USA", "DEU", "JPN", "BEL", "CAN", "KOR", "ITA", "FRA"]

CLUSTER_YAML = """\
cluster_id: caldas_coffee
name: Caldas coffee
description: Coffee growers and processors of the Colombian coffee axis.
country_iso3: COL
country_code: "170"
faostat_area_code: 44
product: Coffee
faostat_item_code: 2630
hs_codes: ["0901"]
cluster_sector: "0127"
related_sectors: ["1061"]
regions: [Caldas, Quindío]
region_areas_km2: {Caldas: 7888, Quindío: 1845, Risaralda: 4140, Antioquia: 63612, Huila: 19890, Tolima: 23562}
first_year: 2016
last_year: 2020
seed: 17
data:
  establishments:
    source: file
    path: data/caldas/empresas.csv
    encoding: latin-1
    sep: ";"
    decimal: ","
    columns: {id_empresa: firm_id, "año": year, departamento: region, ciiu: sector, latitud: lat,
              longitud: lon, "producción": output, capital: capital, empleo: labour, materiales: materials,
              "inversión": investment, exportaciones: exports, miembro: cluster_member,
              "año_programa": programme_entry_year}
  regional_employment:
    source: file
    path: data/caldas/empleo.xlsx
    sheet: empleo
    columns: {depto: region, ciiu: sector, anio: year, ocupados: employment, establecimientos: establishments}
  trade_flows: {source: file, path: data/caldas/comtrade_col_0901.csv, format: comtrade_csv}
productivity: {bootstrap: 5}
programme: {bootstrap: 99}
concentration: {kd_draws: 99, eg_simulations: 49, strength_resamples: 20}
agglomeration: {wild_bootstrap: 0}
"""


def write_user_data(root: Path, seed: int = 17) -> None:
    """The user's files under ``root/data/caldas`` and her cluster file under ``root/params/clusters``."""
    rng = np.random.default_rng(seed)
    folder = root / "data" / "caldas"
    folder.mkdir(parents=True, exist_ok=True)
    names = list(REGIONS)
    firms = pd.DataFrame({"id_empresa": [f"{i:04d}" for i in range(1, 121)],
                          "departamento": rng.choice(names, 120, p=[0.3, 0.25, 0.15, 0.1, 0.1, 0.1]),
                          "ciiu": rng.choice(["0127", "1061", "4631"], 120, p=[0.6, 0.25, 0.15]),
                          "miembro": rng.choice(["sí", "no"], 120),
                          "omega": rng.normal(0, 0.3, 120), "k0": rng.normal(4, 0.6, 120)})
    firms["miembro"] = firms["miembro"].map({"sí": "yes", "no": "no"})
    entry = rng.choice([2018, 2019, np.nan], 120, p=[0.25, 0.25, 0.5])
    firms["año_programa"] = pd.array(entry, dtype="Float64").astype("Int64")
    rows = []
    for year in range(2016, 2021):
        shock = rng.normal(0, 0.15, 120)
        omega = firms["omega"] + 0.03 * (year - 2016) + shock
        labour = np.exp(2.0 + 0.5 * firms["omega"] + rng.normal(0, 0.2, 120))
        capital = np.exp(firms["k0"] + rng.normal(0, 0.1, 120))
        materials = np.exp(1.5 + 0.6 * omega + 0.3 * np.log(capital) + rng.normal(0, 0.05, 120))
        output = np.exp(0.5 + 0.25 * np.log(labour) + 0.1 * np.log(capital) + 0.55 * np.log(materials) + omega)
        lat = [REGIONS[r][0] for r in firms["departamento"]] + rng.normal(0, 0.1, 120)
        lon = [REGIONS[r][1] for r in firms["departamento"]] + rng.normal(0, 0.1, 120)
        exports = np.where(omega > 0.1, output * 0.4, 0.0)
        rows.append(pd.DataFrame({
            "id_empresa": firms["id_empresa"], "año": year, "departamento": firms["departamento"],
            "ciiu": firms["ciiu"], "latitud": lat.round(4), "longitud": lon.round(4),
            "producción": output.round(3), "capital": capital.round(3), "empleo": labour.round(2),
            "materiales": materials.round(3), "inversión": (0.1 * capital * np.exp(omega)).round(3),
            "exportaciones": exports.round(3), "miembro": firms["miembro"], "año_programa": firms["año_programa"],
        }))
    panel = pd.concat(rows, ignore_index=True)
    panel.to_csv(folder / "empresas.csv", sep=";", decimal=",", index=False, encoding="latin-1")

    sectors = ["0127", "1061", "4631", "4711", "8510", "0111"]
    regional = pd.DataFrame([
        {"depto": region, "ciiu": sector, "anio": year,
         "ocupados": float(rng.integers(200, 5000) * (6 if sector == "0127" and region in ("Caldas", "Quindío") else 1)),
         "establecimientos": int(rng.integers(5, 200))}
        for region in names for sector in sectors for year in range(2016, 2021)])
    with pd.ExcelWriter(folder / "empleo.xlsx") as writer:
        pd.DataFrame({"nota": ["fuente: encuesta regional"]}).to_excel(writer, sheet_name="leeme", index=False)
        regional.to_excel(writer, sheet_name="empleo", index=False)

    trade = []
    for year in range(2016, 2021):
        for partner in [*PARTNERS, "W00"]:
            for code in ("090111", "090121"):
                value = rng.uniform(1e6, 4e8) if partner != "W00" else 2e9
                trade.append({"refYear": year, "reporterISO": "COL", "partnerISO": partner,
                              "partnerCode": "0" if partner == "W00" else "1", "cmdCode": code, "flowCode": "X",
                              "primaryValue": round(value, 1), "netWgt": round(value / 3.5, 1)})
    pd.DataFrame(trade).to_csv(folder / "comtrade_col_0901.csv", index=False)
    (root / "params" / "clusters" / "caldas_coffee.yaml").write_text(CLUSTER_YAML, encoding="utf-8")


MINIMAL_YAML = """\
cluster_id: min_coffee
name: Minimal coffee
country_iso3: COL
country_code: "170"
faostat_area_code: 44
product: Coffee
faostat_item_code: 2630
hs_codes: ["0901"]
cluster_sector: "0127"
regions: [Caldas]
first_year: 2016
last_year: 2020
seed: 3
data:
  establishments: {source: file, path: data/caldas/minimal.csv}
"""


def write_minimal_data(root: Path) -> None:
    """A user data set with the required columns only (firm_id, year, region, sector) and its cluster file."""
    firms = pd.read_csv(root / "data" / "caldas" / "empresas.csv", sep=";", decimal=",", encoding="latin-1",
                        dtype={"id_empresa": str, "ciiu": str})
    firms = firms.rename(columns={"id_empresa": "firm_id", "año": "year", "departamento": "region", "ciiu": "sector"})
    firms[["firm_id", "year", "region", "sector"]].to_csv(root / "data" / "caldas" / "minimal.csv", index=False)
    (root / "params" / "clusters" / "min_coffee.yaml").write_text(MINIMAL_YAML, encoding="utf-8")


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_readme_walk_through_reads_the_files_as_this_test_does():
    """The data block of the README's walk-through is the one this test runs (same files, options, columns)."""
    readme = _text(ROOT / "README.md")
    section = readme[readme.index("## Your own data, step by step"):]
    block = section[section.index("```yaml") + len("```yaml"):section.index("```", section.index("```yaml") + 7)]
    assert yaml.safe_load(block)["data"] == yaml.safe_load(CLUSTER_YAML)["data"]


@pytest.mark.slow
def test_own_data_clusters_run_every_notebook_with_nothing_synthetic(project, capsys):
    """Two user clusters: the walk-through's coffee cluster and a minimal data set (required columns only).
    Every task is ok; sections without their inputs say what they need; nothing synthetic anywhere."""
    write_user_data(project)
    write_minimal_data(project)
    assert cli.main(["params", "check"]) == 0
    assert cli.main(["data", "check", "caldas_coffee"]) == 0, capsys.readouterr().err
    # the minimal data set runs the workbooks whose sections rest on the columns it lacks (00, 04 and 06 say
    # what they need step by step, tested with their workbook modules); the coffee cluster runs every notebook
    minimal_notebooks = ["01_cluster_mapping", "02_agglomeration", "03_productivity"]
    summary = runner.run(["min_coffee"], minimal_notebooks, jobs=2, progress=False)
    assert not summary.failed, summary.table()
    notebooks = sorted(p.stem for p in (project / "notebooks").glob("0*.py"))
    summary = runner.run(["caldas_coffee"], notebooks, jobs=2, progress=False)
    assert not summary.failed, summary.table()
    for cluster, stems in (("caldas_coffee", notebooks), ("min_coffee", minimal_notebooks)):
        out = project / "outputs" / cluster
        for stem in [n for n in stems if not n.startswith("05")]:
            results = json.loads(_text(out / f"{stem}.results.json"))
            sources = {table: info["source"] for table, info in results["provenance"]["inputs"].items()}
            assert "synthetic" not in sources.values(), (cluster, stem, sources)
            assert all(h.get("origin") != "synthetic" for h in results["headline"].values()), (cluster, stem)
            if not stem.startswith("06"):  # 06 names its synthetic-only sections (not computed here) in their titles
                assert "SYNTHETIC" not in _text(out / f"{stem}.html"), (cluster, stem)
    out = project / "outputs" / "caldas_coffee"
    # no wage bill in the user's data: the wage step of 02 says so and the run stays green
    assert "Not computed: needs the wage bill of the establishments" in _text(out / "02_agglomeration.html")
    exports_report = _text(out / "04_export_links.html")
    # a Comtrade download has no distance, border or agreement columns: distance and contiguity come from the
    # bundled GeoNames tables, and the gravity section says that it needs the trade agreements (rta)
    assert "the trade_flows table needs the column(s) rta" in exports_report
    assert "GeoNames" in _text(out / "00_cluster_overview.html")
    inputs = json.loads(_text(out / "00_cluster_overview.results.json"))["provenance"]["inputs"]
    assert inputs["trade_flows"]["rows"] == 5 * len(PARTNERS)  # HS6 codes summed into the cluster's 0901
    # the minimal data set: 01 names the regional table it lacks, 02 and 03 end after their first section
    # and list every section they could not compute, with the columns they need
    minimal = project / "outputs" / "min_coffee"
    assert "Not computed: needs the regional_employment table" in _text(minimal / "01_cluster_mapping.html")
    for stem, needs in (("02_agglomeration", "needs plant employment (column labour)"),
                        ("03_productivity", "needs output, labour and capital (or land)")):
        report = _text(minimal / f"{stem}.html")
        assert "Sections not computed" in report and report.count(f"Not computed: {needs}") >= 4, stem
        assert "Traceback" not in report and "WorkbookStopped" not in report
    index = _text(project / "outputs" / "index.html")
    assert "Caldas coffee (country product, establishments, regional employment, trade flows)" not in index
    assert "Caldas coffee (establishments, regional employment, trade flows)" in index
    # the banner lists the kinds of the tables the reports read: the minimal data set has no regional employment
    assert "Minimal coffee (establishments)" in index
    synthetic_line = index.split("SYNTHETIC tables")[1].split("</li>")[0]  # the demo clusters of the project
    assert "Caldas coffee" not in synthetic_line and "Minimal coffee" not in synthetic_line
    synthesis = _text(project / "outputs" / "synthesis" / "05_synthesis.html")
    assert "SYNTHETIC" not in synthesis and "No data table in use is synthetic" in synthesis
