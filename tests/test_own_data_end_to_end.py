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

from agrocluster import cli, runner

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


@pytest.mark.slow
def test_own_data_cluster_runs_every_notebook_with_nothing_synthetic(project, capsys):
    write_user_data(project)
    assert cli.main(["params", "check"]) == 0
    assert cli.main(["data", "check", "caldas_coffee"]) == 0, capsys.readouterr().err
    summary = runner.run(["caldas_coffee"], None, jobs=1, progress=False)
    assert not summary.failed, summary.table()
    out = project / "outputs" / "caldas_coffee"
    notebooks = sorted(p.stem for p in (project / "notebooks").glob("0[0-4]_*.py"))
    for stem in notebooks:
        results = json.loads((out / f"{stem}.results.json").read_text(encoding="utf-8"))
        sources = {table: info["source"] for table, info in results["provenance"]["inputs"].items()}
        assert "synthetic" not in sources.values(), (stem, sources)
        assert "SYNTHETIC" not in (out / f"{stem}.html").read_text(encoding="utf-8"), stem
    # no wage bill in the user's data: the wage step of 02 says so and the run stays green
    assert "Not computed: needs the wage bill of the establishments" in (out / "02_agglomeration.html").read_text(
        encoding="utf-8")
    exports_report = (out / "04_export_links.html").read_text(encoding="utf-8")
    # a Comtrade download has no distance, border or agreement columns: distance and contiguity come from the
    # bundled GeoNames tables, and the gravity section says that it needs the trade agreements (rta)
    assert "the trade_flows table needs the column(s) rta" in exports_report
    assert "GeoNames" in (out / "00_cluster_overview.html").read_text(encoding="utf-8")
    inputs = json.loads((out / "00_cluster_overview.results.json").read_text(encoding="utf-8"))["provenance"]["inputs"]
    assert inputs["trade_flows"]["rows"] == 5 * len(PARTNERS)  # HS6 codes summed into the cluster's 0901
    index = (project / "outputs" / "index.html").read_text(encoding="utf-8")
    assert "Caldas coffee (country product, establishments, regional employment, trade flows)" not in index
    assert "Caldas coffee (establishments, regional employment, trade flows)" in index
