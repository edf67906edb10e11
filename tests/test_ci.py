"""CI as a user: the run report (JSON, JUnit, Markdown), ``agrocluster diff``, ``--vary`` and the workflow.

The hand cases build results files and ledgers directly (no kernel); the recipe test runs the real CLI with
real papermill kernels on the cheapest workbook (00) of one cluster, changing one parameter in the cluster
file between two runs.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from agrocluster import ci_report, cli, diff, variants
from agrocluster.errors import ParamsError
from agrocluster.results_file import ResultsFile, RunLedger
from agrocluster.runner import RunSummary, TaskResult

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "agrocluster.yml"


# ---------------------------------------------------------------------------------------------------------
# Hand-made outputs folders
# ---------------------------------------------------------------------------------------------------------


def write_report(outputs: Path, cluster: str, notebook: str, headline: dict, *, params: dict | None = None,
                 inputs: dict | None = None, cache_key: str = "k") -> None:
    folder = outputs / cluster
    (folder / "tables").mkdir(parents=True, exist_ok=True)
    (folder / "tables" / f"{notebook}-t.csv").write_text("a\n1\n")
    (folder / f"{notebook}.html").write_text("<html></html>")
    (folder / f"{notebook}.ipynb").write_text("{}")
    results = ResultsFile.from_mapping({
        "cluster_id": cluster, "notebook": notebook, "headline": headline,
        "tables": [{"number": 1, "name": "t", "caption": "c", "file": f"tables/{notebook}-t.csv"}],
        "provenance": {"params": params or {}, "inputs": inputs or {}, "code": {"commit": "abc"},
                       "cache_key": cache_key},
    }, "test")
    text = results.to_json()
    (folder / f"{notebook}.results.json").write_text(text)
    ledger = RunLedger.read(outputs)
    ledger.record(outputs, cluster, notebook, text.encode())
    ledger.write(outputs)


def test_report_json_junit_and_summary_structure(tmp_path):
    outputs = tmp_path / "outputs"
    write_report(outputs, "chile_wine", "00_cluster_overview", {"establishments": {"value": 3}},
                 params={"seed": 1})
    write_report(outputs, "kenya_tea", "00_cluster_overview", {"establishments": {"value": 4}})
    (outputs / "kenya_tea" / "01_cluster_mapping.failed.html").write_text("<html>failed</html>")
    (outputs / "kenya_tea" / "01_cluster_mapping.failed.json").write_text(json.dumps(
        {"traceback": "\x1b[0;31mValueError\x1b[0m: planted | failure\x07 in cell 3"}))
    results = [TaskResult("chile_wine", "00_cluster_overview", "ok", 12.5, attempts=1),
               TaskResult("kenya_tea", "00_cluster_overview", "cached"),
               TaskResult("kenya_tea", "01_cluster_mapping", "failed", 3.25, "ValueError: planted | failure (cell 3)",
                          1, "ValueError")]
    report = ci_report.build_report([ci_report.RunRecord(RunSummary(results, None, 20.0), outputs)],
                                    overrides=["seed=1"])
    assert report["totals"] == {"tasks": 3, "ok": 1, "cached": 1, "failed": 1, "seconds": 20.0}
    assert report["overrides"] == ["seed=1"] and set(report["code"]) >= {"agrocluster", "commit", "dirty"}
    ok, hit, bad = report["tasks"]
    assert ok["outputs"]["tables"] == ["chile_wine/tables/00_cluster_overview-t.csv"]
    assert ok["outputs"]["results"] == "chile_wine/00_cluster_overview.results.json"
    assert ok["cache_key"] == "k" and ok["commit"] == "abc" and len(ok["params_sha256"]) == 64
    assert hit["cached"] is True and hit["status"] == "cached" and hit["error"] is None
    assert bad["error"]["class"] == "ValueError" and bad["error"]["message"].startswith("ValueError: planted")
    assert "\x1b" not in bad["error"]["traceback"] and "\x07" not in bad["error"]["traceback"]
    assert bad["outputs"] == {"failed_html": "kenya_tea/01_cluster_mapping.failed.html",
                              "failed_json": "kenya_tea/01_cluster_mapping.failed.json"}

    paths = ci_report.write(report, json_path=tmp_path / "r.json", junit_path=tmp_path / "j.xml",
                            markdown_path=tmp_path / "s.md")
    assert [p.name for p in paths] == ["r.json", "j.xml", "s.md"]
    assert json.loads((tmp_path / "r.json").read_text())["tasks"][2]["status"] == "failed"

    root = ET.parse(tmp_path / "j.xml").getroot()  # what JUnit readers expect
    assert root.tag == "testsuites" and (root.get("tests"), root.get("failures")) == ("3", "1")
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["chile_wine", "kenya_tea"]
    assert [(s.get("tests"), s.get("failures"), s.get("skipped")) for s in suites] == [("1", "0", "0"), ("2", "1", "0")]
    cases = root.findall("testsuite/testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("chile_wine", "00_cluster_overview"), ("kenya_tea", "00_cluster_overview"), ("kenya_tea", "01_cluster_mapping")]
    assert all(float(c.get("time")) >= 0 for c in cases)
    assert cases[0].find("failure") is None and cases[1].find("skipped") is None  # a cached task passes
    assert "cached" in cases[1].find("system-out").text
    failure = cases[2].find("failure")
    assert failure.get("type") == "ValueError" and failure.get("message").startswith("ValueError: planted")
    assert "planted | failure in cell 3" in failure.text

    markdown = (tmp_path / "s.md").read_text()
    assert "**1 failed**" in markdown and "`-p seed=1`" in markdown
    assert "| kenya_tea/01_cluster_mapping | **FAILED** | 3.2 | ValueError: planted \\| failure (cell 3) |" in markdown


def test_diff_hand_cases(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    write_report(old, "chile_wine", "01_cluster_mapping", {
        "cluster_lq": {"value": 3.0, "origin": "synthetic"},
        "eg_gamma": {"value": 0.04, "se": 0.01},
        "rta_effect": {"value": 0.2},
        "localised_to_km": {"value": 14.0},
        "world_production_share": {"value": 3.9, "origin": "real"},
        "strong_cluster": {"value": 1},
    }, params={"seed": 1, "concentration": {"eg_simulations": 999}}, inputs={"establishments": {"sha256": "a" * 64}})
    write_report(old, "chile_wine", "00_cluster_overview", {"production_kt": {"value": 1034.0}})
    write_report(new, "chile_wine", "01_cluster_mapping", {
        "cluster_lq": {"value": 3.0, "origin": "synthetic"},
        "eg_gamma": {"value": 0.05, "se": 0.03},
        "rta_effect": {"value": -0.1},
        "localised_to_km": {"value": None},
        "world_production_share": {"value": 3.9, "origin": "synthetic"},
        "eg_gamma_pvalue": {"value": 0.001},
    }, params={"seed": 1, "concentration": {"eg_simulations": 99}}, inputs={"establishments": {"sha256": "b" * 64}})
    write_report(new, "kenya_tea", "00_cluster_overview", {"production_kt": {"value": 10.0}})

    result = diff.compare(old, new)
    by_key = {(h.cluster, h.key): h for h in result.headlines}
    flags = {k: h.flags for k, h in by_key.items()}
    assert flags[("chile_wine", "cluster_lq")] == ()
    assert flags[("chile_wine", "eg_gamma")] == ("changed",)
    assert flags[("chile_wine", "rta_effect")] == ("changed", "sign flip")
    assert flags[("chile_wine", "localised_to_km")] == ("now missing",)
    assert flags[("chile_wine", "world_production_share")] == ("origin changed",)
    assert flags[("chile_wine", "strong_cluster")] == ("only in old",)
    assert flags[("chile_wine", "eg_gamma_pvalue")] == ("only in new",)
    assert flags[("chile_wine", "production_kt")] == ("only in old",)  # the whole report is gone
    assert flags[("kenya_tea", "production_kt")] == ("only in new",)
    gamma = by_key[("chile_wine", "eg_gamma")]
    assert gamma.difference == pytest.approx(0.01)
    assert gamma.difference_se == pytest.approx(0.01 / math.sqrt((0.01 ** 2 + 0.03 ** 2) / 2))
    assert by_key[("chile_wine", "rta_effect")].difference_se is None  # no SE in either run
    changes = {(p.kind, p.key): (p.old, p.new) for p in result.provenance}
    assert changes == {("param", "concentration.eg_simulations"): (999, 99), ("input", "establishments"): ("a" * 64, "b" * 64)}

    assert diff.compare(old, new, atol=0.02).headlines[1].flags == ()  # eg_gamma within the absolute tolerance
    assert ("chile_wine", "eg_gamma") not in {(h.cluster, h.key) for h in diff.compare(old, new, rtol=0.5).flagged}

    assert cli.main([ "diff", str(old), str(old), "--fail-on-change"]) == 0
    md, table = tmp_path / "d.md", tmp_path / "d.csv"
    assert cli.main(["diff", str(old), str(new), "--fail-on-change", "--markdown", str(md), "--csv", str(table)]) == 1
    assert cli.main(["diff", str(old), str(new)]) == 0
    rows = list(csv.DictReader(table.open()))
    assert {r["kind"] for r in rows} == {"headline", "param", "input"}
    assert sum(r["kind"] == "headline" for r in rows) == len(result.headlines)
    assert next(r for r in rows if r["key"] == "rta_effect")["flags"] == "changed;sign flip"
    text = md.read_text()
    assert "| chile_wine/01_cluster_mapping | rta_effect |" in text and "`concentration.eg_simulations`" in text
    assert "cluster_lq |" not in text  # unchanged headlines are only in --all
    folded = diff.RunDiff(old, new, [], [diff.ProvenanceChange(f"c{i}", "00_x", "code", "commit", "a", "b")
                                         for i in range(6)] + [diff.ProvenanceChange("c0", "00_x", "param", "seed", 1, 2)])
    assert folded.provenance_groups() == [("6 reports", "code", "commit", "a", "b"), ("c0/00_x", "param", "seed", "1", "2")]


def test_diff_refuses_a_folder_the_runner_did_not_write(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert cli.main(["diff", str(tmp_path / "empty"), str(tmp_path / "missing")]) == 2
    assert "no runs.json" in capsys.readouterr().err


def test_vary_values_and_refusals(project):
    assert variants.split_values("99,999") == ["99", "999"]
    assert variants.split_values("[0,10,25],[0, 25],'a,b'") == ["[0,10,25]", "[0, 25]", "'a,b'"]
    assert [v.name for v in variants.parse_vary("agglomeration.bands_km=[0,10],[0,25]")] == [
        "agglomeration.bands_km=0_10", "agglomeration.bands_km=0_25"]
    for bad in ("seed", "=1,2", "seed=7", "seed=1,,2", "seed=1,1"):
        with pytest.raises(ParamsError, match="--vary"):
            variants.parse_vary(bad)
    with pytest.raises(ParamsError, match="same key"):
        variants.run_variation("seed=1,2", ["chile_wine"], ["00_cluster_overview"], ["seed=3"])
    with pytest.raises(ParamsError, match="unknown|did you mean|not"):
        variants.run_variation("concentration.kd_drawz=1,2", ["chile_wine"], ["00_cluster_overview"])
    assert not (project / "outputs" / "variants").exists()  # refused before anything ran


def test_spec_curve_sorts_the_estimates_with_their_intervals():
    svg = variants.spec_curve_svg(["a", "b", "c"], [0.3, -0.1, None], [0.1, None, None])
    assert svg.index(">b</text>") < svg.index(">a</text>")  # sorted from smallest to largest
    assert svg.count("<circle") == 2 and svg.count('stroke="#888"') == 1  # one SE bar; no number, no point
    assert 'stroke-dasharray="3,3"' in svg  # zero inside the range: the dashed line


# ---------------------------------------------------------------------------------------------------------
# The workflow and the README recipe cannot rot: every agrocluster command parses with the real CLI
# ---------------------------------------------------------------------------------------------------------


def _commands(script: str) -> list[list[str]]:
    """The ``agrocluster ...`` commands of a shell script, with shell variables replaced by sample values."""
    samples = {'"${args[@]}"': "-p seed=7 --cluster chile_wine", '"$VARY"': "seed=1,2"}
    found = []
    for line in script.replace("\\\n", " ").splitlines():
        match = re.search(r"(?:^(?:-\s+)?|[;&|]\s*|then\s+)agrocluster\s+(.*?)(?:;\s*fi)?\s*$", line.strip())
        if match and not line.strip().startswith("#"):
            text = match.group(1).split("#")[0]
            for variable, value in samples.items():
                text = text.replace(variable, value)
            assert "$" not in text, f"unexpected shell variable in {line!r}"
            found.append(shlex.split(text))
    return found


def test_workflow_uses_real_cli_options_and_only_github_services():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request", "workflow_dispatch"} <= set(triggers)
    assert {"params", "clusters", "notebooks", "vary"} <= set(triggers["workflow_dispatch"]["inputs"])
    steps = workflow["jobs"]["run"]["steps"]
    parser = cli._parser()
    commands = [c for s in steps if "run" in s for c in _commands(s["run"])]
    assert [c[0] for c in commands] == ["run", "run", "diff"]
    for command in commands:
        parser.parse_args(command)  # an unknown option or a missing value exits here
    run = next(c for c in commands if c[0] == "run" and "--vary" not in c)
    assert {"--report", "--junit", "--summary", "--no-progress"} <= set(run)
    for step in steps:
        assert "${{ inputs." not in step.get("run", ""), "inputs reach scripts through env, never inline"
    used = [s["uses"] for job in workflow["jobs"].values() for s in job["steps"] if "uses" in s]
    assert all(u.startswith("actions/") for u in used), used  # no service beyond GitHub's cache and artifacts
    restore = next(i for i, s in enumerate(steps) if s.get("uses", "").startswith("actions/cache/restore"))
    save = next(i for i, s in enumerate(steps) if s.get("uses", "").startswith("actions/cache/save"))
    runs = [i for i, s in enumerate(steps) if "agrocluster run" in s.get("run", "")]
    assert restore < min(runs) and save > max(runs) and steps[save]["if"] == "always()"
    assert "outputs" in steps[restore]["with"]["path"] and steps[save]["with"]["path"] == steps[restore]["with"]["path"]
    assert any("GITHUB_STEP_SUMMARY" in s.get("run", "") and "run-summary.md" in s["run"] for s in steps)
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and "outputs/" in upload["with"]["path"]


def test_readme_recipe_commands_parse():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Re-running the collection in CI", 1)[1].split("\n## ", 1)[0]
    commands = [c for block in re.findall(r"```(?:bash|yaml)\n(.*?)```", section, re.DOTALL) for c in _commands(block)]
    assert {c[0] for c in commands} == {"run", "diff"} and len(commands) >= 4
    parser = cli._parser()
    for command in commands:
        parser.parse_args(command)
    for option in ("--report", "--junit", "--summary", "--vary", "--fail-on-change", "--markdown", "--csv"):
        assert option in section


# ---------------------------------------------------------------------------------------------------------
# The recipe, run locally with real kernels
# ---------------------------------------------------------------------------------------------------------


def _cli(project: Path, *args: str, expect: int = 0) -> subprocess.CompletedProcess:
    completed = subprocess.run([sys.executable, "-m", "agrocluster.cli", *args], cwd=project, env=os.environ.copy(),
                               capture_output=True, text=True, timeout=600, check=False)
    assert completed.returncode == expect, completed.stdout + completed.stderr
    return completed


def _set_n_firms(project: Path, n: int) -> None:
    path = project / "params" / "clusters" / "chile_wine.yaml"
    text = re.sub(r"\n  n_firms: \d+\n", "\n", path.read_text())
    path.write_text(re.sub(r"\nsynthetic:[^\n]*\n", lambda m: f"{m.group(0)}  n_firms: {n}\n", text, count=1))


def _workflow_steps(project: Path) -> subprocess.CompletedProcess:
    """Run the workflow's shell steps from "Keep the previous outputs" to "Job summary" in ``project``, as
    GitHub runs them (bash -eo pipefail), the selection given as the workflow inputs would give it."""
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["run"]["steps"]
    names = [s.get("name") for s in steps]
    chosen = steps[names.index("Keep the previous outputs for the diff"):names.index("Job summary") + 1]
    script = "\n".join(s["run"] for s in chosen if "run" in s and "inputs.vary" not in str(s.get("if", "")))
    env = {**os.environ, "CLUSTERS": "chile_wine", "NOTEBOOKS": "00_cluster_overview", "PARAMS": "",
           "GITHUB_STEP_SUMMARY": str(project / "step-summary.md"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}  # the venv's agrocluster
    (project / "step-summary.md").write_text("")
    completed = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=project,
                               env=env, capture_output=True, text=True, timeout=600, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed


@pytest.mark.slow
def test_recipe_two_runs_with_a_changed_parameter_diff_and_variant_page(project):
    """``synthetic.n_firms`` sizes the synthetic microdata: it moves the count of establishments and not the
    FAOSTAT production and exports, so the diff must flag exactly ``establishments``."""
    select = ["--cluster", "chile_wine", "--notebook", "00_cluster_overview", "--no-progress"]
    out = project / "outputs"

    vary = _cli(project, "run", *select, "--vary", "synthetic.n_firms=1000,1500", "--report", "vary.json",
                "--junit", "vary.xml")
    report = json.loads((project / "vary.json").read_text())
    assert [(t["variant"], t["status"]) for t in report["tasks"]] == [
        ("synthetic.n_firms=1000", "ok"), ("synthetic.n_firms=1500", "ok")], vary.stdout
    junit = ET.parse(project / "vary.xml").getroot()
    assert [s.get("name") for s in junit.findall("testsuite")] == [
        "synthetic.n_firms=1000 chile_wine", "synthetic.n_firms=1500 chile_wine"]
    page = (out / "variants" / "synthetic.n_firms.html").read_text()
    assert "Firms or farms in the microdata" in page and "<svg" in page
    assert "Unchanged under every value" in page and "production_kt" in page and "exports_kt" in page
    assert 'href="synthetic.n_firms=1500/chile_wine/00_cluster_overview.html"' in page
    assert 'href="variants/synthetic.n_firms.html"' in (out / "index.html").read_text()

    # The recipe, as the workflow's own shell steps: change the parameter in the cluster file, run the steps
    # (keep the previous outputs, run with the reports, diff, job summary), change it again, run them again.
    _set_n_firms(project, 1000)
    first = _workflow_steps(project)
    assert "[shared] chile_wine/00_cluster_overview" in first.stderr  # the variant's report, same cache key
    task = json.loads((project / "run-report.json").read_text())["tasks"][0]
    assert task["status"] == "cached" and task["cached"] is True
    assert all((out / p).is_file() for p in [task["outputs"]["html"], *task["outputs"]["tables"]])
    assert "nothing to compare" in (project / "diff.md").read_text()  # no previous run yet
    _set_n_firms(project, 1500)
    second = _workflow_steps(project)

    rows = list(csv.DictReader((project / "diff.csv").open()))
    headline_rows = {r["key"]: r for r in rows if r["kind"] == "headline"}
    assert {k for k, r in headline_rows.items() if r["flags"]} == {"establishments"}, second.stdout
    assert {"production_kt", "exports_kt"} <= set(headline_rows)
    assert float(headline_rows["establishments"]["old"]) < float(headline_rows["establishments"]["new"])
    params = {(r["key"], r["old"], r["new"]) for r in rows if r["kind"] == "param"}
    assert params == {("synthetic.n_firms", "1000", "1500")}
    summary = (project / "step-summary.md").read_text()
    assert "## agrocluster run: all passed" in summary and "| chile_wine/00_cluster_overview | establishments |" in summary
    _cli(project, "diff", "previous-outputs", "outputs", "--fail-on-change", expect=1)
    _cli(project, "diff", "previous-outputs", "outputs", "--fail-on-change", "--rtol", "1", expect=0)
    junit = ET.parse(project / "run-junit.xml").getroot()
    assert junit.get("failures") == "0" and junit.find("testsuite/testcase").get("name") == "00_cluster_overview"
