"""The bad-input matrix: every way a user can get the input wrong gives the exact error class and a
message that names the file, key, column or row at fault.

One parametrized table (``CASES``) over parameters, data contracts, importers, estimators and the
synthesis; the data come from the helpers and sample files of the modules' own test files. Run-level
cases (a missing data file, a notebook that raises, bad parameters for one cluster) check the whole run:
exit code not 0, the other tasks complete, the last good report stays, no partial files. Determinism:
two runs with the same parameters record identical numbers (provenance times aside); the same check on a real
workbook of the demo site is in tests/test_site_browser.py, beside the other tests that read that site.

Faults already covered elsewhere and not repeated here: a killed kernel and unwritable outputs
(tests/test_runner.py), a killed Dask worker (tests/test_dask.py).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from agrocluster import cli, runner, synthesis
from agrocluster import params as P
from agrocluster.agglomeration import estimate_agglomeration
from agrocluster.concentration import location_quotient
from agrocluster.data import (
    MissingDataFileError,
    country_to_iso3,
    positive_for_logs,
    read_baci,
    read_comtrade,
    read_table,
    validate,
)
from agrocluster.errors import DataContractError, EstimationError, ParamsError, ResultsFileError
from agrocluster.exports.gravity_model import prepare_gravity_data
from agrocluster.exports.markets import destination_structure, export_orientation, world_market_share
from agrocluster.linkages import link_shares
from agrocluster.productivity import estimate_tfp
from agrocluster.programmes import staggered_did
from agrocluster.results_file import RunLedger

from .test_agglomeration import panel as agglomeration_panel
from .test_data_contracts import DATA, _establishments
from .test_exports_gravity import _tiny_flows
from .test_exports_markets import _flows
from .test_params import write
from .test_productivity import _fit, simulate_panel
from .test_programmes_did import _staggered_panel
from .test_runner import write_probe

CLUSTER = "chile_wine"


def cluster_yaml(project: Path, cluster_id: str = CLUSTER) -> Path:
    return project / "params" / "clusters" / f"{cluster_id}.yaml"


def replace_in_cluster(project: Path, old: str, new: str, cluster_id: str = CLUSTER) -> None:
    path = cluster_yaml(project, cluster_id)
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    write(path, text.replace(old, new))


def append_to_cluster(project: Path, text: str, cluster_id: str = CLUSTER) -> None:
    path = cluster_yaml(project, cluster_id)
    write(path, path.read_text() + "\n" + text)


def _malformed_yaml(project):
    append_to_cluster(project, "regions: [Colchagua, Maule\n")
    P.resolve(CLUSTER)


def _unknown_key(project):
    append_to_cluster(project, "productivty:\n  bootstrap: 5\n")
    P.resolve(CLUSTER)


def _unknown_nested_key(project):
    append_to_cluster(project, "concentration:\n  eg_simulation: 5\n")
    P.resolve(CLUSTER)


def _wrong_type(project):
    replace_in_cluster(project, "first_year: 2011", "first_year: twenty-eleven")
    P.resolve(CLUSTER)


def _not_a_mapping(project):
    write(cluster_yaml(project), "- chile\n- wine\n")
    P.resolve(CLUSTER)


def _id_mismatch(project):
    replace_in_cluster(project, "cluster_id: chile_wine", "cluster_id: chile_wines")
    P.resolve(CLUSTER)


def _bad_iso3_param(project):
    replace_in_cluster(project, "country_iso3: CHL", "country_iso3: Chile")
    P.resolve(CLUSTER)


def _years_reversed(project):
    P.resolve(CLUSTER, {"last_year": 2000})


def _missing_data_file(project):
    append_to_cluster(project, "data:\n  establishments: {source: file, path: data/nowhere.csv}\n")
    P.resolve(CLUSTER)


def _file_without_path(project):
    P.resolve(CLUSTER, {"data.establishments.source": "file"})


def _user_file_missing_column(project):
    frame = pd.read_csv(DATA / "establishments_ok.csv", dtype=str).drop(columns="sector")
    frame.to_csv(project / "data" / "mine.csv", index=False)
    append_to_cluster(project, "data:\n  establishments: {source: file, path: data/mine.csv}\n")
    from agrocluster.data.cluster import load_cluster

    load_cluster(P.resolve(CLUSTER, {"synthetic.n_firms": 100}).params)


def _synthesis_json(project):
    path = project / "outputs" / "kenya_tea" / "00_cluster_overview.results.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"cluster_id": "kenya_tea", "headline": ')
    ledger = RunLedger()
    ledger.record(project / "outputs", "kenya_tea", "00_cluster_overview", path.read_bytes())
    ledger.write(project / "outputs")
    synthesis.load_results(project / "outputs")


def _synthesis_empty(project):
    (project / "outputs").mkdir()
    synthesis.load_results(project / "outputs")


def _tfp(frame, method="ols", proxy=None):
    return _fit(frame, method, proxy)


def _links(**change):
    est = pd.DataFrame({"firm_id": list("ABCD"), "year": 2020, "cluster_member": [True, True, False, False]})
    links = pd.DataFrame({"source": list("ABC"), "target": list("BCD"), "year": 2020,
                          "kind": ["sales", "input_supply", "knowledge"], "value": [1.0, 2.0, 3.0]})
    for column, (row, value) in change.items():
        links.loc[row, column] = value
    return links, est


LQ = pd.DataFrame({"region": ["A", "A", "B", "B", "C"], "sector": ["x", "y", "x", "y", "x"],
                   "employment": [10.0, 20.0, 20.0, 20.0, 20.0]})
CP = pd.DataFrame({"country": ["CHL", "ARG"], "item": "2655", "year": 2000, "production": [1.0, 2.0],
                   "exports": [0.0, 0.0]})

# (case id, call(project), exact error class, substrings the message must contain)
CASES = [
    # --- parameters
    ("params-malformed-yaml", _malformed_yaml, ParamsError, ["chile_wine.yaml", "malformed YAML"]),
    ("params-unknown-key", _unknown_key, ParamsError, ["chile_wine.yaml", "productivty", "productivity"]),
    ("params-unknown-nested-key", _unknown_nested_key, ParamsError, ["concentration.eg_simulation"]),
    ("params-wrong-type", _wrong_type, ParamsError, ["first_year", "chile_wine.yaml"]),
    ("params-not-a-mapping", _not_a_mapping, ParamsError, ["chile_wine.yaml", "top level must be a mapping"]),
    ("params-id-mismatch", _id_mismatch, ParamsError, ["chile_wines", "chile_wine.yaml"]),
    ("params-bad-iso3", _bad_iso3_param, ParamsError, ["country_iso3", "'Chile'"]),
    ("params-years-reversed", _years_reversed, ParamsError, ["last_year 2000", "first_year 2011"]),
    ("params-unsafe-cluster-id", lambda p: P.cluster_file("../etc/passwd"), ParamsError,
     ["'../etc/passwd'", "safe slug"]),
    ("params-markup-cluster-id", lambda p: P.cluster_file("<script>"), ParamsError, ["'<script>'", "safe slug"]),
    ("params-unknown-cluster", lambda p: P.resolve("chile_wyne"), ParamsError,
     ["chile_wyne", "did you mean 'chile_wine'"]),
    ("params-override-syntax", lambda p: P.parse_override("seed"), ParamsError, ["'seed'", "key=value"]),
    ("params-override-unknown", lambda p: P.resolve(CLUSTER, ["sed=3"]), ParamsError, ["sed"]),
    ("params-missing-data-file", _missing_data_file, ParamsError, ["data.establishments.path", "data/nowhere.csv"]),
    ("params-file-without-path", _file_without_path, ParamsError, ["data.establishments", "needs a 'path'"]),
    ("run-unknown-notebook", lambda p: runner.build_matrix(None, ["99_nothing"]), ParamsError, ["99_nothing"]),
    ("synthesis-unknown-option", lambda p: P.load_synthesis_params({"synthesis.sed": 1}), ParamsError,
     ["synthesis.sed"]),
    # --- data contracts and loaders
    ("data-missing-column", lambda p: read_table(DATA / "establishments_missing_column.csv", "establishments"),
     DataContractError, ["establishments_missing_column.csv", "'sector'"]),
    ("data-user-file-missing-column", _user_file_missing_column, DataContractError, ["mine.csv", "'sector'"]),
    ("data-duplicate-firm-year",
     lambda p: read_table(DATA / "establishments_duplicate_firm_year.csv", "establishments"),
     DataContractError, ["establishments_duplicate_firm_year.csv", "firm_id × year", "must be unique"]),
    ("data-negative-capital", lambda p: read_table(DATA / "establishments_negative_capital.csv", "establishments"),
     DataContractError, ["establishments_negative_capital.csv", "'capital'", "non-negative"]),
    ("data-negative-capital-in-memory",
     lambda p: validate(_establishments(capital=[1.0, -2.0, 3.0]), "establishments", "frame-under-test"),
     DataContractError, ["frame-under-test", "'capital'"]),
    ("data-empty-table", lambda p: read_table(DATA / "establishments_empty.csv", "establishments"),
     DataContractError, ["establishments_empty.csv", "empty"]),
    ("data-unknown-link-kind", lambda p: read_table(DATA / "firm_links_unknown_kind.csv", "firm_links"),
     DataContractError, ["'kind'", "friendship"]),
    ("data-bad-iso3", lambda p: read_table(DATA / "trade_flows_bad_iso3.csv", "trade_flows"),
     DataContractError, ["'exporter'", "CHINA"]),
    ("data-missing-file", lambda p: read_table(p / "data" / "absent.csv", "establishments"),
     MissingDataFileError, ["absent.csv"]),
    ("data-logs-missing-column", lambda p: positive_for_logs(_establishments(), ["output"], "frame-under-test"),
     DataContractError, ["frame-under-test", "['output']"]),
    # --- importers and country codes
    ("import-not-baci", lambda p: read_baci(DATA / "comtrade_sample.csv", DATA / "baci_country_codes.csv"),
     DataContractError, ["comtrade_sample.csv", "not a BACI file"]),
    ("import-missing-comtrade", lambda p: read_comtrade(DATA / "nope.csv"), MissingDataFileError, ["nope.csv"]),
    ("import-unknown-country-code", lambda p: country_to_iso3(["40", "351", "5000"], scheme="fao"),
     DataContractError, ["'351'", "'5000'"]),
    # --- estimators
    ("concentration-negative-employment", lambda p: location_quotient(LQ.assign(employment=[10.0, -1, 20, 20, 20])),
     DataContractError, ["'employment' is negative"]),
    ("concentration-missing-column", lambda p: location_quotient(LQ.drop(columns="employment")),
     DataContractError, ["['employment']"]),
    ("agglomeration-missing-column",
     lambda p: estimate_agglomeration(agglomeration_panel(4), "va_per_worker", "nope", logs=True), DataContractError, ["nope"]),
    ("agglomeration-bad-vcov",
     lambda p: estimate_agglomeration(agglomeration_panel(4), "va_per_worker", "loc", vcov="HC7", logs=True),
     EstimationError, ["vcov must be one of", "HC7"]),
    ("productivity-duplicate-firm-year",
     lambda p: _tfp(pd.concat([simulate_panel(40, 4, 0, "lp")] * 2, ignore_index=True)),
     DataContractError, ["firm_id, year"]),
    ("productivity-zero-output-under-logs", lambda p: _tfp(simulate_panel(40, 4, 0, "lp").assign(value_added=0.0)),
     EstimationError, ["'value_added'", "non-positive", "logs"]),
    ("productivity-missing-column",
     lambda p: estimate_tfp(simulate_panel(40, 4, 0, "lp"), "value_added", "labour", ["capital", "land"], None,
                            "firm_id", "year", "ols"), DataContractError, ["land"]),
    ("productivity-unknown-method", lambda p: _tfp(simulate_panel(40, 4, 0, "lp"), "gmm"), ParamsError, ["gmm"]),
    ("programmes-missing-outcome", lambda p: staggered_did(_staggered_panel(0, n=40)[0], "revenue", "id", "t", "g"),
     DataContractError, ["'revenue'"]),
    ("programmes-no-treated-unit",
     lambda p: staggered_did(_staggered_panel(0, n=40)[0].assign(g=0), "y", "id", "t", "g"),
     EstimationError, ["no treated unit"]),
    ("exports-unknown-country-code",
     lambda p: destination_structure(_flows([("CHL", "USA", "x", 10.0), ("XXX", "WLD", "x", 3.0)]), "CHL", 2020),
     DataContractError, ["'exporter'", "'XXX'"]),
    ("exports-zero-world-exports", lambda p: world_market_share(CP), EstimationError, ["zero world exports"]),
    ("exports-negative-exports", lambda p: export_orientation(CP.assign(exports=[-1.0, 0.0])),
     DataContractError, ["'exports'", "row 0"]),
    ("gravity-bad-iso3", lambda p: prepare_gravity_data(_tiny_flows().assign(exporter=["CHL", "CHL", "usa", "CHL",
                                                                                       "CHL"])),
     DataContractError, ["exporter codes must be ISO3", "'usa'", "row 2"]),
    ("linkages-unknown-firm", lambda p: link_shares(*_links(target=(2, "ZZ9"))), DataContractError,
     ["ZZ9", "not in the establishment table"]),
    ("linkages-unknown-kind", lambda p: link_shares(*_links(kind=(0, "friendship"))), DataContractError,
     ["friendship"]),
    ("synthesis-invalid-json", _synthesis_json, ResultsFileError,
     ["kenya_tea/00_cluster_overview.results.json", "not valid JSON"]),
    ("synthesis-no-results", _synthesis_empty, EstimationError, ["no <cluster>/<notebook>.results.json"]),
]


@pytest.mark.parametrize(("call", "error", "names"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_matrix(project, call, error, names):
    with pytest.raises(error) as caught:
        call(project)
    assert type(caught.value) is error, f"expected exactly {error.__name__}, got {type(caught.value).__name__}"
    message = str(caught.value)
    for name in names:
        assert name in message, f"{name!r} not named in: {message}"


def test_matrix_is_large_and_covers_every_layer():
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids)) and len(ids) >= 30
    layers = {i.split("-")[0] for i in ids}
    assert {"params", "data", "import", "concentration", "agglomeration", "productivity", "programmes",
            "exports", "gravity", "linkages", "synthesis", "run"} <= layers


# --------------------------------------------------------------------------------------------------------
# Run-level: one task fails, the others complete, nothing good is lost
# --------------------------------------------------------------------------------------------------------

RUN_CLUSTERS = ["chile_wine", "kenya_tea", "nicaragua_dairy", "vietnam_coffee"]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file's bytes; in reports, the site navigation (rebuilt with the site: which reports exist,
    which failed) is left out, so what is compared is the report itself."""
    from agrocluster.site import NAV_END, NAV_START

    files = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            data = p.read_bytes()
            if p.suffix == ".html" and NAV_START.encode() in data:
                start, end = data.index(NAV_START.encode()), data.index(NAV_END.encode())
                data = data[:start] + data[end:]
            files[str(p.relative_to(folder))] = data
    return files


@pytest.mark.slow
def test_run_level_failures_are_isolated_and_keep_last_good_reports(project, capsys):
    for path in (project / "notebooks").glob("*"):
        path.unlink()
    write_probe(project)
    first = runner.run(RUN_CLUSTERS, ["10_probe"], jobs=1, progress=False)
    assert {r.status for r in first.results} == {"ok"}, first.table()
    out = project / "outputs"
    good = {cid: snapshot(out / cid) for cid in RUN_CLUSTERS}

    # chile_wine: its user data file is missing; kenya_tea: a bad parameter in its file;
    # nicaragua_dairy: its notebook raises; vietnam_coffee: nothing wrong.
    append_to_cluster(project, "data:\n  establishments: {source: file, path: data/nowhere.csv}\n", "chile_wine")
    append_to_cluster(project, "seed: not-a-number\n", "kenya_tea")
    dairy = cluster_yaml(project, "nicaragua_dairy")  # one synthetic: block (a second would be a duplicate key)
    write(dairy, dairy.read_text().replace("\nsynthetic:", "\nsynthetic:\n  probe: fail", 1))
    code = cli.main(["run", "--notebook", "10_probe", *[arg for c in RUN_CLUSTERS for arg in ("--cluster", c)],
                     "--jobs", "1", "--no-progress", "--force"])
    printed = capsys.readouterr().out
    assert code != 0, printed
    results = {line.split()[0]: line.split()[1] for line in printed.splitlines()
               if line.split() and line.split()[0].endswith("/10_probe")}
    assert results == {"chile_wine/10_probe": "failed", "kenya_tea/10_probe": "failed",
                       "nicaragua_dairy/10_probe": "failed", "vietnam_coffee/10_probe": "ok"}, printed

    expected = {"chile_wine": ["data.establishments.path", "nowhere.csv"],
                "kenya_tea": ["seed", "kenya_tea.yaml"],
                "nicaragua_dairy": ["ValueError", "planted failure in nicaragua_dairy"]}
    for cid, names in expected.items():
        folder = out / cid
        failed = json.loads((folder / "10_probe.failed.json").read_text())
        for name in names:
            assert name in failed["error"], f"{cid}: {name!r} not in {failed['error']!r}"
        now = snapshot(folder)
        for rel in ("10_probe.html", "10_probe.results.json", "tables/10_probe-probe.csv"):
            assert now[rel] == good[cid][rel], f"{cid}: last good {rel} changed"
    assert (out / "nicaragua_dairy" / "10_probe.failed.html").is_file()
    fresh = json.loads((out / "vietnam_coffee" / "10_probe.results.json").read_text())
    stale = json.loads(good["vietnam_coffee"]["10_probe.results.json"])
    assert fresh["provenance"]["started"] >= stale["provenance"]["started"]
    assert not (out / "vietnam_coffee" / "10_probe.failed.json").exists()
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")], "partial files left behind"
    index = (out / "index.html").read_text()
    assert index.count("last good report") == 3 and "planted failure in nicaragua_dairy" in index


# --------------------------------------------------------------------------------------------------------
# Determinism: same parameters, same numbers
# --------------------------------------------------------------------------------------------------------

VOLATILE = {"started", "duration_s", "runner_duration_s", "cache_key", "code"}


def stable(results: dict) -> dict:
    """A results document without the provenance fields that are times (and the code stamp, which moves
    when the checkout gets a commit between two runs)."""
    copy = json.loads(json.dumps(results))
    for key in VOLATILE:
        copy["provenance"].pop(key, None)
    return copy


@pytest.mark.slow
def test_same_params_give_identical_results_on_a_probe(project):
    for path in (project / "notebooks").glob("*"):
        path.unlink()
    write_probe(project)
    out = project / "outputs" / "kenya_tea"
    runner.run(["kenya_tea"], ["10_probe"], ["seed=11"], jobs=1, progress=False)
    first = json.loads((out / "10_probe.results.json").read_text())
    first_csv = (out / "tables" / "10_probe-probe.csv").read_bytes()
    runner.run(["kenya_tea"], ["10_probe"], ["seed=11"], jobs=1, progress=False, force=True)
    second = json.loads((out / "10_probe.results.json").read_text())
    assert second["provenance"]["started"] >= first["provenance"]["started"]
    assert_same_numbers(stable(first), stable(second))  # exactly
    assert first["headline"]["establishments"]["value"] == 11  # the probe records its seed there
    assert (out / "tables" / "10_probe-probe.csv").read_bytes() == first_csv


def assert_same_numbers(first, second, where="results", tol=0.0):
    """Equal documents; floats equal within ``tol``, relative or absolute (0: exactly)."""
    if isinstance(first, float) or isinstance(second, float):
        assert isinstance(first, (int, float)) and isinstance(second, (int, float)), f"{where}: {first!r} vs {second!r}"
        assert math.isclose(first, second, rel_tol=tol, abs_tol=tol), f"{where}: {first!r} != {second!r}"
    elif isinstance(first, dict) and isinstance(second, dict):
        assert first.keys() == second.keys(), f"{where}: keys {sorted(first)} != {sorted(second)}"
        for key in first:
            assert_same_numbers(first[key], second[key], f"{where}.{key}", tol)
    elif isinstance(first, list) and isinstance(second, list):
        assert len(first) == len(second), f"{where}: {len(first)} items != {len(second)}"
        for i, (a, b) in enumerate(zip(first, second, strict=True)):
            assert_same_numbers(a, b, f"{where}[{i}]", tol)
    else:
        assert first == second, f"{where}: {first!r} != {second!r}"
