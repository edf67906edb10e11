"""agrocluster.results_file: one typed reader/writer of results.json and of the runner's ledger; the site
index reads only what the runner recorded and survives a bad file; hand runs go to the scratch folder;
the project root is found in the documented order."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from agrocluster import params, paths, record, site
from agrocluster.errors import DataContractError, ParamsError, ResultsFileError
from agrocluster.results_file import ResultsFile, RunLedger

ROOT = Path(__file__).resolve().parents[1]


def recorded(tmp_path: Path, cluster: str = "chile_wine", notebook: str = "00_cluster_overview") -> ResultsFile:
    """A results file as a real Recorder writes it (one table, one headline, one exclusion, one note)."""
    rec = record.Recorder(params.load(cluster), notebook, tmp_path / cluster)
    rec.headline("production_kt", 1234.5, note="wine, 2020")
    rec.headline("establishments", 300)
    rec.table("identity", pd.DataFrame({"a": [1]}), "Identity.", show=False)
    rec.add_excluded("establishments", "negative output", 3)
    rec.note("a caveat")
    rec.save()
    return ResultsFile.read(tmp_path / cluster / f"{notebook}.results.json")


def test_round_trip_keeps_every_field(tmp_path):
    first = recorded(tmp_path)
    assert first.cluster_name == "Chile wine cluster" and first.notebook == "00_cluster_overview"
    assert first.headline["production_kt"].value == 1234.5 and first.headline["establishments"].value == 300
    assert isinstance(first.headline["establishments"].value, int)
    assert first.tables[0].file == "tables/00_cluster_overview-identity.csv" and first.excluded[0].rows == 3
    assert first.notes == ["a caveat"] and first.provenance.params["cluster_id"] == "chile_wine"
    assert first.provenance.packages["pandas"] != "not installed"
    again = ResultsFile.from_bytes(first.to_json(), "again")
    assert again == first
    copy = first.write(tmp_path / "copy.results.json")
    assert ResultsFile.read(copy) == first
    assert json.loads(copy.read_text())["headline"]["production_kt"]["unit"] == "kt"


@pytest.mark.parametrize(("text", "message"), [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "top level must be a JSON object, not list"),
    ('{"cluster_id": "aa", "notebook": "00_cluster_overview"}', "key 'headline': Field required"),
    ('{"cluster_id": "aa", "notebook": "n", "headline": {"x": {"value": "high"}}}', "key 'headline.x.value"),
    ('{"cluster_id": "aa", "notebook": "n", "headline": {}, "tables": [{"number": 1}]}', "key 'tables.0.name'"),
    ('{"cluster_id": "aa", "notebook": "n", "headline": {}, "colour": "red"}', "key 'colour': Extra inputs"),
])
def test_bad_file_names_the_file_and_the_key(tmp_path, text, message):
    path = tmp_path / "aa" / "n.results.json"
    path.parent.mkdir()
    path.write_text(text)
    with pytest.raises(ResultsFileError, match=message) as caught:
        ResultsFile.read(path)
    assert str(path) in str(caught.value) and isinstance(caught.value, DataContractError)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ResultsFileError, match="nothing.results.json: cannot be read"):
        ResultsFile.read(tmp_path / "nothing.results.json")


def test_ledger_round_trip_and_bad_ledger(tmp_path):
    assert RunLedger.read(tmp_path).tasks == {}
    ledger = RunLedger()
    ledger.record(tmp_path, "chile_wine", "00_cluster_overview", b"{}")
    ledger.write(tmp_path)
    again = RunLedger.read(tmp_path)
    assert again.has("chile_wine", "00_cluster_overview") and not again.has("chile_wine", "01_cluster_mapping")
    entry = again.tasks["chile_wine/00_cluster_overview"]
    assert entry.results == "chile_wine/00_cluster_overview.results.json" and len(entry.sha256) == 64
    (tmp_path / "runs.json").write_text('{"tasks": {"x": {"cluster_id": 1}}}')
    with pytest.raises(ResultsFileError, match="runs.json: key 'tasks.x.cluster_id'"):
        RunLedger.read(tmp_path)


def _commit(outputs: Path, result: ResultsFile) -> None:
    """What the runner does on success: the report beside the results file, then the ledger entry."""
    folder = outputs / result.cluster_id
    (folder / f"{result.notebook}.html").write_text("<html></html>")
    ledger = RunLedger.read(outputs)
    ledger.record(outputs, result.cluster_id, result.notebook, (folder / f"{result.notebook}.results.json").read_bytes())
    ledger.write(outputs)


def test_index_uses_the_registry_and_survives_one_bad_file(tmp_path):
    outputs = tmp_path / "outputs"
    _commit(outputs, recorded(outputs, "chile_wine"))
    _commit(outputs, recorded(outputs, "kenya_tea"))
    (outputs / "kenya_tea" / "00_cluster_overview.results.json").write_text('{"cluster_id": ')
    recorded(outputs, "indonesia_rice")  # written but not committed by the runner
    recorded(outputs / paths.SCRATCH_FOLDER, "vietnam_coffee")  # a hand run
    clusters = [("chile_wine", "Chile"), ("kenya_tea", "Kenya"), ("indonesia_rice", "Rice"),
                ("vietnam_coffee", "Coffee")]
    index = site.build_index(outputs, clusters, [("00_cluster_overview", "Overview")])
    rows = {name: row for name, row in zip(["page", "head", *[c for c, _ in clusters]], index.split("<tr>"), strict=False)}
    assert "Production of the cluster&#x27;s product, latest year" in rows["chile_wine"]  # the registry's label
    assert "1,234 kt" in rows["chile_wine"] and "(synthetic)" in rows["chile_wine"]
    assert "unreadable results" in rows["kenya_tea"] and "not valid JSON" in rows["kenya_tea"]
    assert "not run" in rows["indonesia_rice"] and "not run" in rows["vietnam_coffee"]
    (outputs / "runs.json").write_text("{")
    broken = site.build_index(outputs, clusters, [("00_cluster_overview", "Overview")])
    assert "runs.json: not valid JSON" in broken and "Open report" not in broken


def test_hand_runs_write_to_scratch(project):
    rec = record.Recorder(params.load("chile_wine"), "00_cluster_overview", "")
    assert rec.output_dir == project / "outputs" / "_scratch" / "chile_wine"
    path = rec.save()
    assert path.parent == paths.scratch_outputs("chile_wine") and path.is_file()
    assert not (project / "outputs" / "chile_wine").exists()
    given = record.Recorder(params.load("chile_wine"), "00_cluster_overview", project / "staging")
    assert given.output_dir == project / "staging"


def test_params_json_is_validated_not_re_resolved(project):
    effective = params.resolve("chile_wine", {"seed": 11}).params
    text = effective.model_dump_json()
    (project / "params" / "clusters" / "chile_wine.yaml").write_text("not: [valid")  # files are not read again
    assert params.load("chile_wine", {}, text) == effective
    with pytest.raises(ParamsError, match="params_json is for cluster 'chile_wine', not for cluster_id 'kenya_tea'"):
        params.load("kenya_tea", {}, text)
    with pytest.raises(ParamsError, match="either overrides"):
        params.load("chile_wine", {"seed": 3}, text)
    with pytest.raises(ParamsError, match=r"params_json of 'chile_wine'.*key 'seed'"):
        params.load("chile_wine", {}, text.replace('"seed":11', '"seed":"many"'))
    with pytest.raises(ParamsError, match="reserved for the cross-cluster synthesis"):
        params.cluster_file(paths.COLLECTION_ID)


def _root_seen(cwd: Path, env_root: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k not in (paths.ROOT_ENV, "AGROCLUSTER_OUTPUTS")}
    if env_root:
        env[paths.ROOT_ENV] = env_root
    env["PYTHONPATH"] = str(ROOT / "lib")
    return subprocess.run([sys.executable, "-c", "from agrocluster import paths; print(paths.project_root())"],
                          cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout.strip()


def test_project_root_order(tmp_path):
    """AGROCLUSTER_ROOT, then the current folder and its parents, then the package's own checkout."""
    fork = tmp_path / "fork"
    (fork / "params").mkdir(parents=True)
    (fork / "pyproject.toml").write_text("[project]\nname = 'fork'\n")
    (fork / "notebooks").mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert _root_seen(fork / "notebooks", None) == str(fork)  # a second checkout wins over the package's
    assert _root_seen(fork / "notebooks", str(ROOT)) == str(ROOT)  # the variable wins over the folder
    assert _root_seen(elsewhere, None) == str(ROOT)  # outside any checkout: the package's own
