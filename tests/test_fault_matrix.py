"""The bad-input and fault matrix (issue 18): every hostile or careless input and every fault of a run, as data.

One project is prepared per module (:func:`world`): the probe workbook run once for ``chile_wine`` gives the
last good report. Every case plants one fault, triggers it in-process (the exact error class, and a message
naming the file, key, row or column and the rule broken) and, where a command exists, through the CLI in
this process (its exit code, the same names in what it prints). After every case: the last good report is
byte-identical (the site navigation, which lists failures, stripped), no partial file (``*.tmp``,
``.staging-*``, cache temporaries) is left anywhere in the project, and no secret planted in a file appears
in any message, page or results file.

Parameter cases run ``agrocluster run`` (refused before any kernel starts: a failed task, exit 1) or fail
in the command line itself (exit 2). Data-file cases run ``agrocluster data check`` (exit 1). Library
cases are the estimators' and importers' own refusals. Faults of a run that need a kernel (a notebook that
raises, exits, skips its save cell, a killed kernel, a disk that fills while committing) run one kernel
each on the same project; Ctrl-C and SIGTERM stop a real ``agrocluster run`` process. Faults that must be
survived: a damaged FAOSTAT cache (rebuilt; a planted pickle never loaded), damaged run records, a site folder
that cannot be written. After the failures a clean run is not "cached" and records the same numbers as the
first (determinism), and a kernel in a pool worker runs with one thread whatever ``--jobs`` (numbers do not
depend on it); CSV downloads carry no spreadsheet formula from the data.

Covered elsewhere, not repeated: a killed Dask worker (tests/test_dask.py), a Dask scheduler with no
worker (tests/test_runner_faults.py), unwritable outputs folders (tests/test_runner.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import resource
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import psutil
import pytest

from agrocluster import cli, paths, runner, synthesis
from agrocluster import params as P
from agrocluster.agglomeration import estimate_agglomeration
from agrocluster.concentration import location_quotient
from agrocluster.data import country_to_iso3, positive_for_logs, read_baci, read_comtrade, validate
from agrocluster.data.cluster import load_cluster, synthetic_spec
from agrocluster.errors import (
    DataContractError,
    EstimationError,
    FormulaError,
    ParamsError,
    ResultsFileError,
    RunError,
)
from agrocluster.exports import gravity
from agrocluster.exports.gravity_model import prepare_gravity_data
from agrocluster.exports.markets import destination_structure, export_orientation, world_market_share
from agrocluster.formulas import parse_formula
from agrocluster.linkages import link_shares
from agrocluster.productivity import estimate_tfp
from agrocluster.productivity.workflow import production_spec
from agrocluster.programmes import staggered_did
from agrocluster.results_file import RunLedger

from .conftest import ROOT, wait_until
from .test_agglomeration import panel as agglomeration_panel
from .test_data_contracts import DATA, _establishments
from .test_exports_gravity import _tiny_flows
from .test_exports_markets import _flows
from .test_productivity import _fit, simulate_panel
from .test_programmes_did import _staggered_panel

pytestmark = pytest.mark.slow

CLUSTER = "chile_wine"
PROBE = "10_probe"
SECRET = "sk-live-0123456789"  # planted in files the runs must never quote
HOSTILE_REGION = '=HYPERLINK("http://evil.example","click")'

PROBE_CELLS = [
    ("parameters", 'cluster_id = "chile_wine"\noverrides = {}\noutput_dir = ""\nparams_json = ""'),
    (None, ("import os, sys, time\nimport pandas as pd\nimport agrocluster.params\nfrom agrocluster import record\n"
            "params = agrocluster.params.load(cluster_id, overrides, params_json)\n"
            f'rec = record.Recorder(params, "{PROBE}", output_dir)')),
    (None, ('probe = params.synthetic.get("probe", "ok")\n'
            'if params.cluster_id == params.synthetic.get("fault_cluster", params.cluster_id):\n'
            '    if probe == "raise":\n'
            '        raise ValueError("planted failure in " + params.cluster_id)\n'
            '    if probe == "exit":\n'
            "        sys.exit()\n"
            '    if probe == "exit0":\n'
            "        raise SystemExit(0)\n"
            '    if probe == "die":\n'
            "        os.kill(os.getpid(), 9)\n"
            'time.sleep(float(params.synthetic.get("sleep", 0)))')),
    (None, ('print("THREADS", *(os.environ.get(v) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", '
            '"MKL_NUM_THREADS", "RAYON_NUM_THREADS")))\n'
            'rec.headline("establishments", params.seed, note="seed of " + params.name)\n'
            f'rec.table("probe", pd.DataFrame({{"region": [{HOSTILE_REGION!r}, "+1", "-x", "@SUM(A1)", "Maule"], '
            '"value": [1.5, -2.25, 3.0, 4.0, 5.0]}), "Probe table")')),
    (None, ('if params.synthetic.get("probe") != "nosave" or params.cluster_id != params.synthetic.get('
            '"fault_cluster", params.cluster_id):\n    rec.save()')),
]


def write_matrix_probe(root: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell("# Probe workbook\n\nA notebook for the fault matrix."))
    for tag, source in PROBE_CELLS:
        cell = nbformat.v4.new_code_cell(source)
        if tag:
            cell.metadata["tags"] = [tag]
        nb.cells.append(cell)
    nbformat.write(nb, root / "notebooks" / f"{PROBE}.ipynb")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file's bytes; in reports the site navigation (rebuilt with the site: which reports exist,
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


def last_report(folder: Path) -> dict[str, bytes]:
    """The report of ``folder`` without the failure record a failed run adds beside it."""
    return {k: v for k, v in snapshot(folder).items() if ".failed." not in k}


def partial_files(root: Path) -> list[str]:
    """Half-written files: temporaries of the runner, the results writer and the FAOSTAT cache."""
    return [str(p.relative_to(root)) for p in root.rglob("*")
            if p.name.endswith(".tmp") or p.name.startswith(".staging-") or ".tmp." in p.name]


@dataclass
class World:
    root: Path
    pristine: dict[Path, bytes]
    good: dict[str, bytes]

    @property
    def cluster_yaml(self) -> Path:
        return self.root / "params" / "clusters" / f"{CLUSTER}.yaml"

    @property
    def out(self) -> Path:
        return self.root / "outputs" / CLUSTER


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A copy of the project (defaults, two demo clusters, the probe workbook) with the probe run once for
    chile_wine: the last good report every case must leave as it is."""
    root = tmp_path_factory.mktemp("faults") / "project"
    (root / "params" / "clusters").mkdir(parents=True)
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    shutil.copy(ROOT / "params" / "defaults.yaml", root / "params" / "defaults.yaml")
    for cluster_id in (CLUSTER, "kenya_tea"):  # two clusters: every run rebuilds the index, which reads them all
        shutil.copy(ROOT / "params" / "clusters" / f"{cluster_id}.yaml", root / "params" / "clusters")
    (root / "notebooks").mkdir()
    (root / "data").mkdir()
    write_matrix_probe(root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AGROCLUSTER_ROOT", str(root))
        mp.setenv("AGROCLUSTER_OUTPUTS", str(root / "outputs"))
        mp.delenv(paths.DATA_ROOTS_ENV, raising=False)
        summary = runner.run([CLUSTER], [PROBE], jobs=1, progress=False)
        assert [r.status for r in summary.results] == ["ok"], summary.table()
        pristine = {p: p.read_bytes() for p in (root / "params").rglob("*") if p.is_file()}
        yield World(root, pristine, snapshot(root / "outputs" / CLUSTER))


@pytest.fixture
def fresh(world):
    """The world as prepared: parameter files, data/ (the FAOSTAT cache kept) and the last good report alone
    (failure records removed) put back after each case."""
    yield world
    for path in (world.root / "params").rglob("*"):
        if path.is_file() and path not in world.pristine:
            path.unlink()
    for path, data in world.pristine.items():
        if path.read_bytes() != data:
            path.write_bytes(data)
    for path in (world.root / "outputs").glob("*/*.failed.*"):  # each case starts from the last good report alone
        path.unlink()
    for path in (world.root / "data").iterdir():
        if path.name != "cache":
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


def _invoke(argv: list[str], capsys) -> tuple[int, str]:
    """The CLI in this process: exit code and everything it printed."""
    capsys.readouterr()
    code = cli.main(argv)
    printed = capsys.readouterr()
    return code, printed.out + printed.err


def _assert_untouched(world: World, absent: tuple[str, ...] = ()) -> None:
    assert last_report(world.out) == world.good, "the last good report changed"
    assert not partial_files(world.root), f"partial files left: {partial_files(world.root)}"
    for secret in (SECRET, *absent):
        for path in (world.root / "outputs").rglob("*"):
            if path.is_file() and path.suffix in (".html", ".json", ".csv", ".ipynb"):
                assert secret.encode() not in path.read_bytes(), f"{secret!r} quoted in {path}"


# ---------------------------------------------------------------------------------------------------------
# Parameters: the run refuses them before any kernel starts
# ---------------------------------------------------------------------------------------------------------

RUN = ("run", "--cluster", CLUSTER, "--notebook", PROBE, "--jobs", "1", "--no-progress")


@dataclass(frozen=True)
class Case:
    """One bad input: ``plant(root)`` writes the fault and returns the in-process call that must raise
    exactly ``error`` with ``names`` in its message; ``argv`` (None: no command) must exit with ``code`` and
    print ``cli_names`` (default ``names``); ``absent`` must appear nowhere."""

    id: str
    plant: Callable[[Path], Callable[[], Any]]
    error: type[BaseException]
    names: tuple[str, ...]
    argv: tuple[str, ...] | None = RUN
    code: int = 1
    cli_names: tuple[str, ...] | None = None
    absent: tuple[str, ...] = field(default=())


def _yaml(root: Path) -> Path:
    return root / "params" / "clusters" / f"{CLUSTER}.yaml"


def _load(overrides: list[str] | None = None) -> Callable[[], Any]:
    return lambda: P.load(CLUSTER, overrides)


def append(text: str) -> Callable[[Path], Callable[[], Any]]:
    def plant(root: Path) -> Callable[[], Any]:
        path = _yaml(root)
        path.write_text(path.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")
        return _load()
    return plant


def replace(old: str, new: str) -> Callable[[Path], Callable[[], Any]]:
    def plant(root: Path) -> Callable[[], Any]:
        path = _yaml(root)
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {path}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return _load()
    return plant


def write_bytes(data: bytes) -> Callable[[Path], Callable[[], Any]]:
    def plant(root: Path) -> Callable[[], Any]:
        _yaml(root).write_bytes(data)
        return _load()
    return plant


def override(*texts: str) -> Callable[[Path], Callable[[], Any]]:
    return lambda root: _load(list(texts))


def call(function: Callable[[], Any]) -> Callable[[Path], Callable[[], Any]]:
    return lambda root: function


def _with_p(*texts: str) -> tuple[str, ...]:
    return RUN + tuple(arg for t in texts for arg in ("-p", t))


def _alias_bomb() -> str:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    return "links_bomb:\n" + "\n".join("  " + line for line in levels) + "\n"


def _point_data_at(path_text: str, link: tuple[str, Path] | None = None) -> Callable[[Path], Callable[[], Any]]:
    """establishments read from ``path_text``; ``link`` = (name under data/, target) made first."""
    def plant(root: Path) -> Callable[[], Any]:
        outside = root.parent / "outside"
        outside.mkdir(exist_ok=True)
        (outside / "secrets.env").write_text(f"API_TOKEN={SECRET}\nfirm_id,year\n", encoding="utf-8")
        if link:
            (root / "data" / link[0]).symlink_to(link[1] if link[1].is_absolute() else outside / link[1])
        text = path_text.replace("OUTSIDE", str(outside))
        return append(f"data:\n  establishments: {{source: file, path: '{text}'}}\n")(root)
    return plant


def _yml_file(root: Path) -> Callable[[], Any]:
    (root / "params" / "clusters" / "extra.yml").write_text("cluster_id: extra\n", encoding="utf-8")
    return lambda: runner.build_matrix(["extra"], None)


def _defaults_unknown_key(root: Path) -> Callable[[], Any]:
    path = root / "params" / "defaults.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\nsed: 3\n", encoding="utf-8")
    return _load()


def _lock_held(root: Path) -> Callable[[], Any]:
    import fcntl

    held = os.open(root / "outputs" / ".lock", os.O_RDWR | os.O_CREAT)
    _HELD.append(held)
    fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.ftruncate(held, 0)
    os.write(held, b"4242")
    return lambda: runner.run([CLUSTER], [PROBE], jobs=1, progress=False)


_HELD: list[int] = []  # descriptors of locks a case holds, closed after it


def _dask_unreachable(root: Path) -> Callable[[], Any]:
    runner.DASK_WORKER_TIMEOUT_S = 1.0  # put back by the test
    return lambda: runner.run([CLUSTER], [PROBE], scheduler="tcp://127.0.0.1:9", progress=False, force=True)


PARAMS_CASES = [
    # --- YAML syntax and the loader's limits
    Case("yaml-unclosed-bracket", append("regions_x: [Colchagua, Maule\n"), ParamsError,
         ("chile_wine.yaml", "malformed YAML")),
    Case("yaml-tab-indentation", append("exports:\n\tn_competitors: 5\n"), ParamsError,
         ("chile_wine.yaml", "malformed YAML")),
    Case("yaml-duplicate-top-key", append("programme:\n  name: second block\n"), ParamsError,
         ("chile_wine.yaml", "duplicate key 'programme'", "first at line")),
    Case("yaml-duplicate-data-block", append("data:\n  establishments: {source: synthetic}\n"
                                             "data:\n  establishments: {source: none}\n"), ParamsError,
         ("chile_wine.yaml", "duplicate key 'data'", "silently replace")),
    Case("yaml-duplicate-nested-key", replace("synthetic:", "synthetic:\n  centre_lat: 1.0"), ParamsError,
         ("chile_wine.yaml", "duplicate key 'centre_lat'")),
    Case("yaml-alias-bomb", append(_alias_bomb()), ParamsError,
         ("chile_wine.yaml", "expands to more than 100,000 values")),
    Case("yaml-too-many-aliases", append("anchor_x: &a 1\nmany_x: [" + ", ".join(["*a"] * 101) + "]\n"),
         ParamsError, ("chile_wine.yaml", "more than 100 YAML aliases")),
    Case("yaml-oversized-file", append("note_x: '" + "x" * 1_000_001 + "'\n"), ParamsError,
         ("chile_wine.yaml", "limited to 1,000,000")),
    Case("yaml-python-object-tag", append("seed_x: !!python/object/apply:os.system ['true']\n"), ParamsError,
         ("chile_wine.yaml", "malformed YAML", "python/object/apply")),
    Case("yaml-python-name-tag", append("seed_x: !!python/name:os.system\n"), ParamsError,
         ("chile_wine.yaml", "malformed YAML", "python/name")),
    Case("yaml-unknown-tag", append("seed_x: !include secrets.yaml\n"), ParamsError,
         ("chile_wine.yaml", "malformed YAML", "!include")),
    Case("yaml-latin1-file", lambda root: write_bytes(_yaml(root).read_bytes() + "\n# Regi\u00f3n\n".encode("latin-1"))(root),
         ParamsError, ("chile_wine.yaml", "not UTF-8 (byte 0xf3)", "save the file as UTF-8")),
    Case("yaml-control-character", append("note_x: \"a\x00b\"\n"), ParamsError, ("chile_wine.yaml", "malformed YAML")),
    Case("yaml-empty-file", write_bytes(b""), ParamsError, ("chile_wine.yaml", "missing required key(s) cluster_id")),
    Case("yaml-top-level-list", write_bytes(b"- chile\n- wine\n"), ParamsError,
         ("chile_wine.yaml", "top level must be a mapping", "list")),
    Case("yaml-top-level-scalar", write_bytes(b"just words\n"), ParamsError,
         ("chile_wine.yaml", "top level must be a mapping", "str")),
    # --- keys, types and ranges
    Case("key-unknown-did-you-mean", append("productivty:\n  bootstrap: 5\n"), ParamsError,
         ("chile_wine.yaml", "productivty", "did you mean 'productivity'")),
    Case("key-unknown-nested", append("concentration:\n  eg_simulation: 5\n"), ParamsError,
         ("chile_wine.yaml", "concentration.eg_simulation")),
    Case("key-unknown-data-option", append("data:\n  establishments: {source: file, pth: data/x.csv}\n"),
         ParamsError, ("chile_wine.yaml", "data.establishments.pth", "did you mean 'data.establishments.path'")),
    Case("key-unknown-table", append("data:\n  firms: {source: none}\n"), ParamsError,
         ("chile_wine.yaml", "data.firms")),
    Case("type-year-as-text", replace("first_year: 2011", "first_year: twenty-eleven"), ParamsError,
         ("chile_wine.yaml", "first_year", "integer")),
    Case("type-seed-true", replace("seed: 152011", "seed: true"), ParamsError,
         ("chile_wine.yaml", "'seed'", "integer")),
    Case("type-seed-float", replace("seed: 152011", "seed: 1.5"), ParamsError, ("chile_wine.yaml", "'seed'", "integer")),
    Case("range-seed-negative", replace("seed: 152011", "seed: -1"), ParamsError,
         ("chile_wine.yaml", "'seed'", "greater than or equal to 0")),
    Case("range-seed-too-large", replace("seed: 152011", "seed: 4294967296"), ParamsError,
         ("chile_wine.yaml", "'seed'", "less than or equal to 4294967295")),
    Case("code-arabic-indic-digits", replace('country_code: "152"', 'country_code: "\u0661\u0665\u0662"'),
         ParamsError, ("chile_wine.yaml", "country_code", "three-digit UN M49")),
    Case("code-iso3-name", replace("country_iso3: CHL", "country_iso3: Chile"), ParamsError,
         ("chile_wine.yaml", "country_iso3 'Chile'", "ISO 3166-1 alpha-3")),
    Case("code-iso3-lower-case", replace("country_iso3: CHL", "country_iso3: chl"), ParamsError,
         ("chile_wine.yaml", "country_iso3 'chl'", "three upper-case letters")),
    Case("range-first-year-1900", replace("first_year: 2011", "first_year: 1900"), ParamsError,
         ("chile_wine.yaml", "first_year", "greater than or equal to 1961")),
    Case("range-faostat-item", replace("faostat_item_code: 2655", "faostat_item_code: 9999"), ParamsError,
         ("chile_wine.yaml", "faostat_item_code", "less than or equal to 2999")),
    Case("range-years-reversed", override("last_year=2000"), ParamsError,
         ("last_year 2000", "before first_year 2011"), _with_p("last_year=2000")),
    Case("range-conley-cutoff-inf", override("agglomeration.conley_cutoff_km=inf"), ParamsError,
         ("agglomeration.conley_cutoff_km", "finite"), _with_p("agglomeration.conley_cutoff_km=inf")),
    Case("range-bands-unsorted", override("agglomeration.bands_km=[0, 25, 10]"), ParamsError,
         ("agglomeration.bands_km", "increase strictly"), _with_p("agglomeration.bands_km=[0, 25, 10]")),
    Case("range-bands-nan", override("agglomeration.bands_km=[0, nan]"), ParamsError,
         ("agglomeration.bands_km",), _with_p("agglomeration.bands_km=[0, nan]")),
    Case("range-spillover-one-edge", override("programme.spillover_bands_km=[5]"), ParamsError,
         ("programme.spillover_bands_km", "at least two band edges"), _with_p("programme.spillover_bands_km=[5]")),
    Case("range-bootstrap-huge", override("productivity.bootstrap=1000000"), ParamsError,
         ("productivity.bootstrap", "less than or equal to 10000"), _with_p("productivity.bootstrap=1000000")),
    Case("range-stress-drop-zero", override("exports.stress_drop=0"), ParamsError,
         ("exports.stress_drop", "greater than 0"), _with_p("exports.stress_drop=0")),
    Case("enum-unknown-method", override("productivity.methods=[ols, gmm]"), ParamsError,
         ("productivity.methods", "gmm"), _with_p("productivity.methods=[ols, gmm]")),
    Case("range-region-area-negative", append("region_areas_km2: {Maule: -5}\n"), ParamsError,
         ("chile_wine.yaml", "region_areas_km2", "> 0")),
    # --- ids
    Case("id-mismatch", replace("cluster_id: chile_wine", "cluster_id: chile_wines"), ParamsError,
         ("chile_wine.yaml", "chile_wines")),
    Case("id-path-traversal", call(lambda: P.cluster_file("../etc/passwd")), ParamsError,
         ("'../etc/passwd'", "safe slug"), ("run", "--cluster", "../etc/passwd", "--no-progress"), 2),
    Case("id-markup", call(lambda: P.cluster_file("<script>")), ParamsError, ("'<script>'", "safe slug"),
         ("run", "--cluster", "<script>", "--no-progress"), 2),
    Case("id-reserved", call(lambda: P.cluster_file(paths.COLLECTION_ID)), ParamsError, ("'synthesis'", "reserved"),
         ("params", "show", paths.COLLECTION_ID), 2),
    Case("id-unknown-did-you-mean", call(lambda: P.resolve("chile_wyne")), ParamsError,
         ("chile_wyne", "chile_wine"), ("run", "--cluster", "chile_wyne", "--no-progress"), 2),
    Case("id-unknown-notebook", call(lambda: runner.build_matrix(None, ["99_nothing"])), ParamsError,
         ("99_nothing", "known: 10_probe"), ("run", "--notebook", "99_nothing", "--no-progress"), 2),
    Case("yml-cluster-file", _yml_file, ParamsError, ("'extra'", "params/clusters/extra.yaml"),
         ("params", "check"), 1, ("extra.yml", "not a .yaml file", "rename")),
    Case("key-unknown-synthetic-option", lambda root: replace("synthetic:", "synthetic:\n  n_firm: 5")(root) and (
        lambda: synthetic_spec(P.load(CLUSTER))), ParamsError, ("synthetic: unknown option(s) 'n_firm'",
                                                                "did you mean 'n_firms'"), ("params", "check"), 1,
         ("chile_wine.yaml: synthetic: unknown option(s) 'n_firm'", "did you mean 'n_firms'")),
    Case("defaults-unknown-key", _defaults_unknown_key, ParamsError, ("defaults.yaml", "'sed'", "seed")),
    # --- overrides
    Case("override-without-equals", call(lambda: P.parse_override("seed")), ParamsError, ("'seed'", "key=value"),
         _with_p("seed"), 2),
    Case("override-empty-key", call(lambda: P.parse_override("=3")), ParamsError, ("'=3'", "empty key"),
         _with_p("=3"), 2),
    Case("override-unknown-key", override("sed=3"), ParamsError, ("'sed'", "did you mean 'seed'"), _with_p("sed=3"), 2),
    Case("override-bad-type", override("seed=abc"), ParamsError, ("seed", "integer"), _with_p("seed=abc")),
    Case("override-synthesis-unknown", call(lambda: P.load_synthesis_params({"synthesis.sed": 1})), ParamsError,
         ("synthesis.sed",), _with_p("synthesis.sed=1"), 2),
    # --- data paths: inside the project or the listed roots, symlinks resolved, contents never quoted
    Case("path-absolute-outside", _point_data_at("/etc/passwd"), ParamsError,
         ("data.establishments.path", "'/etc/passwd'", "outside the project"), absent=("root:x:0:0",)),
    Case("path-dot-dot", _point_data_at("../../../../../../etc/passwd"), ParamsError,
         ("data.establishments.path", "outside the project"), absent=("root:x:0:0",)),
    Case("path-symlink-to-etc", _point_data_at("data/link/passwd", ("link", Path("/etc"))), ParamsError,
         ("data.establishments.path", "'data/link/passwd'", "outside the project"), absent=("root:x:0:0",)),
    Case("path-secret-outside", _point_data_at("OUTSIDE/secrets.env"), ParamsError,
         ("data.establishments.path", "secrets.env", "outside the project")),
    Case("path-symlink-to-secret", _point_data_at("data/firms.csv", ("firms.csv", Path("secrets.env"))), ParamsError,
         ("data.establishments.path", "'data/firms.csv'", "outside the project")),
    Case("path-missing-file", append("data:\n  establishments: {source: file, path: data/nowhere.csv}\n"),
         ParamsError, ("data.establishments.path", "data/nowhere.csv", "not found")),
    Case("path-file-without-path", override("data.establishments.source=file"), ParamsError,
         ("data.establishments", "needs a 'path'"), _with_p("data.establishments.source=file")),
    Case("path-with-synthetic-source", append("data:\n  establishments: {source: synthetic, path: data/x.csv}\n"),
         ParamsError, ("data.establishments", "only used with source 'file'")),
    Case("data-baci-without-codes", append("data:\n  trade_flows: {source: file, path: data/x.csv, format: baci_csv}\n"),
         ParamsError, ("data.trade_flows", "needs 'country_codes'")),
    Case("data-sep-equals-decimal", append("data:\n  establishments: {source: file, path: data/x.csv, sep: ',', "
                                           "decimal: ','}\n"), ParamsError, ("data.establishments", "sep and decimal")),
    Case("data-sep-two-characters", append("data:\n  establishments: {source: file, path: data/x.csv, sep: ';;'}\n"),
         ParamsError, ("data.establishments.sep", "must be one character")),
    Case("data-unknown-encoding", append("data:\n  establishments: {source: file, path: data/x.csv, "
                                         "encoding: klingon}\n"), ParamsError,
         ("data.establishments.encoding", "unknown encoding 'klingon'")),
    Case("data-sheet-negative", append("data:\n  establishments: {source: file, path: data/x.xlsx, sheet: -1}\n"),
         ParamsError, ("data.establishments.sheet", "sheet -1")),
    Case("data-format-for-another-table", append("data:\n  establishments: {source: file, path: data/x.csv, "
                                                 "format: faostat_csv}\n"), ParamsError,
         ("data.establishments", "reads a country_product table, not establishments")),
    Case("data-unknown-source", append("data:\n  establishments: {source: web}\n"), ParamsError,
         ("data.establishments.source", "'web'")),
    # --- formulas from parameters: parsed by a grammar, never evaluated
    Case("formula-import", override("exports.gravity_formula=value ~ __import__('os').system('id')"), ParamsError,
         ("exports.gravity_formula", "character '.' at position 24 is not allowed"), _with_p("exports.gravity_formula=value ~ __import__('os').system('id')")),
    Case("formula-chr-bypass", override("exports.gravity_formula=value ~ x + eval(chr(49))"), ParamsError,
         ("exports.gravity_formula", "'eval'"), _with_p("exports.gravity_formula=value ~ x + eval(chr(49))")),
    Case("formula-dunder-attribute", append("exports:\n  gravity_formula: 'value ~ x.__class__'\n"), ParamsError,
         ("chile_wine.yaml", "exports.gravity_formula", "'.'")),
    Case("formula-statement", append("exports:\n  gravity_formula: 'value ~ x; import os'\n"), ParamsError,
         ("exports.gravity_formula", "';'")),
    Case("formula-lambda", override("exports.gravity_formula=value ~ (lambda: 1)()"), ParamsError,
         ("exports.gravity_formula", "lambda"), _with_p("exports.gravity_formula=value ~ (lambda: 1)()")),
    # --- one run at a time; a scheduler that cannot be reached
    Case("run-lock-held", _lock_held, RunError, ("another agrocluster run (pid 4242)", "is writing to")),
    Case("run-dask-unreachable", _dask_unreachable, RunError, ("cannot reach the Dask scheduler at tcp://127.0.0.1:9",),
         RUN + ("--scheduler", "tcp://127.0.0.1:9", "--force")),
]


@pytest.mark.parametrize("case", PARAMS_CASES, ids=[c.id for c in PARAMS_CASES])
def test_bad_parameters(fresh, case, capsys, monkeypatch):
    monkeypatch.setattr(runner, "DASK_WORKER_TIMEOUT_S", runner.DASK_WORKER_TIMEOUT_S)
    try:
        _check(fresh, case, capsys)
    finally:
        while _HELD:
            os.close(_HELD.pop())


def _check(world: World, case: Case, capsys) -> None:
    trigger = case.plant(world.root)
    with pytest.raises(case.error) as caught:
        trigger()
    assert type(caught.value) is case.error, f"expected exactly {case.error.__name__}, got {type(caught.value).__name__}"
    message = str(caught.value)
    for name in case.names:
        assert name in message, f"{name!r} not named in: {message}"
    if case.argv is not None:
        code, printed = _invoke(list(case.argv), capsys)
        assert code == case.code, printed
        for name in case.cli_names or case.names:
            assert name in printed, f"{name!r} not in what the command printed: {printed}"
        for secret in (SECRET, *case.absent):
            assert secret not in printed
    for secret in (SECRET, *case.absent):
        assert secret not in message
    _assert_untouched(world, case.absent)


# ---------------------------------------------------------------------------------------------------------
# Data files: `agrocluster data check` refuses them, naming file, column, rows and rule
# ---------------------------------------------------------------------------------------------------------

GOOD_CSV = (DATA / "establishments_ok.csv").read_text(encoding="utf-8")
CHECK = ("data", "check", CLUSTER)


def _excel(sheet: str = "Firms") -> bytes:
    import io

    buffer = io.BytesIO()
    pd.read_csv(DATA / "establishments_ok.csv", dtype=str).to_excel(buffer, sheet_name=sheet, index=False)
    return buffer.getvalue()


def data_file(name: str, content: bytes | Callable[[], bytes], options: str = "",
              table: str = "establishments") -> Callable[[Path], Callable[[], Any]]:
    """``content`` written to data/``name`` and read as the cluster's ``table`` with ``options``."""
    def plant(root: Path) -> Callable[[], Any]:
        (root / "data" / name).write_bytes(content() if callable(content) else content)
        extra = f", {options}" if options else ""
        others = "".join(f"  {other}: {{source: none}}\n" for other in P.TABLES if other != table)
        append(f"data:\n  {table}: {{source: file, path: data/{name}{extra}}}\n{others}")(root)
        return lambda: load_cluster(P.load(CLUSTER))
    return plant


def edited(old: str, new: str) -> bytes:
    assert old in GOOD_CSV
    return GOOD_CSV.replace(old, new, 1).encode("utf-8")


DATA_CASES = [
    Case("file-missing-column", data_file("firms.csv", (DATA / "establishments_missing_column.csv").read_bytes()),
         DataContractError, ("firms.csv", "'sector'", "'sectr'"), CHECK),
    Case("file-empty-0-bytes", data_file("firms.csv", b""), DataContractError,
         ("firms.csv", "the file is empty (0 bytes)"), CHECK),
    Case("file-header-only", data_file("firms.csv", GOOD_CSV.splitlines()[0].encode() + b"\n"), DataContractError,
         ("firms.csv", "empty"), CHECK),
    Case("file-wrong-encoding", data_file("firms.csv", edited("Maule", "Regi\u00f3n").decode().encode("latin-1")),
         DataContractError, ("firms.csv", "byte 0xf3", "not utf-8", "encoding"), CHECK),
    Case("file-wrong-separator", data_file("firms.csv", GOOD_CSV.replace(",", ";").encode()), DataContractError,
         ("firms.csv", "'firm_id'", "separated by ';'", "sep: ';'"), CHECK),
    Case("file-text-in-number-column", data_file("firms.csv", edited("120.5", "lots")), DataContractError,
         ("firms.csv", "'output'", "row 1"), CHECK),
    Case("file-missing-key", data_file("firms.csv", edited("0001,2019", ",2019")), DataContractError,
         ("firms.csv", "'firm_id'", "row 1"), CHECK),
    Case("file-inf-output", data_file("firms.csv", edited("120.5", "inf")), DataContractError,
         ("firms.csv", "'output'", "finite number (not inf or -inf)", "row 1"), CHECK),
    Case("file-minus-inf-capital", data_file("firms.csv", edited(",300,", ",-inf,")), DataContractError,
         ("firms.csv", "'capital'", "row 1"), CHECK),
    Case("file-duplicate-firm-year", data_file("firms.csv", (DATA / "establishments_duplicate_firm_year.csv").read_bytes()),
         DataContractError, ("firms.csv", "firm_id × year", "must be unique"), CHECK),
    Case("file-negative-capital", data_file("firms.csv", (DATA / "establishments_negative_capital.csv").read_bytes()),
         DataContractError, ("firms.csv", "'capital'", "non-negative", "rows 2, 4"), CHECK),
    Case("file-year-out-of-range", data_file("firms.csv", edited("0001,2019", "0001,1850")), DataContractError,
         ("firms.csv", "'year'", "row 1"), CHECK),
    Case("file-member-not-boolean", data_file("firms.csv", edited("true", "maybe")), DataContractError,
         ("firms.csv", "'cluster_member'"), CHECK),
    Case("file-unknown-link-kind", data_file("links.csv", (DATA / "firm_links_unknown_kind.csv").read_bytes(),
                                             table="firm_links"), DataContractError,
         ("links.csv", "'kind'", "friendship"), CHECK),
    Case("file-unknown-country-code", data_file("flows.csv", (DATA / "trade_flows_bad_iso3.csv").read_bytes(),
                                                table="trade_flows"), DataContractError,
         ("flows.csv", "'exporter'", "'CL'"), CHECK),
    Case("file-unknown-sheet-name", data_file("firms.xlsx", _excel, "sheet: Firmz"), DataContractError,
         ("firms.xlsx", "no sheet 'Firmz'", "1 sheet(s): 'Firms'"), CHECK),
    Case("file-sheet-position-too-large", data_file("firms.xlsx", _excel, "sheet: 3"), DataContractError,
         ("firms.xlsx", "no sheet 3", "1 sheet(s): 'Firms'"), CHECK),
    Case("file-truncated-xlsx", data_file("firms.xlsx", b"PK\x03\x04 truncated"), DataContractError,
         ("firms.xlsx", "not a complete .xlsx file"), CHECK),
    Case("file-truncated-csv-gz", data_file("firms.csv.gz", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x4b"),
         DataContractError, ("firms.csv.gz", "compressed file ends early"), CHECK),
    Case("file-empty-dta", data_file("firms.dta", b""), DataContractError, ("firms.dta", "empty (0 bytes)"), CHECK),
    Case("file-truncated-dta", data_file("firms.dta", b"\x72"), DataContractError,
         ("firms.dta", "not a complete Stata .dta file"), CHECK),
    Case("file-not-parquet", data_file("firms.parquet", b"PAR1 not really"), DataContractError,
         ("firms.parquet", "not a complete Parquet file"), CHECK),
    Case("file-unknown-extension", data_file("firms.json", GOOD_CSV.encode()), DataContractError,
         ("firms.json", "extension '.json'"), CHECK),
    Case("file-secret-bytes", data_file("firms.csv", f"API_TOKEN={SECRET}\n\xff\xfe,1\n".encode("latin-1")),
         DataContractError, ("firms.csv", "not utf-8"), CHECK),
    Case("file-mapped-onto-existing-column", data_file("firms.csv", b"plant,firm_id,year\n1,9,2020\n",
                                                       "columns: {plant: firm_id}"), DataContractError,
         ("firms.csv", "'plant' → 'firm_id'", "two columns the same name"), CHECK),
    Case("file-mapping-to-unknown-column", data_file("firms.csv", GOOD_CSV.encode(), "columns: {output: revenue}"),
         DataContractError, ("firms.csv", "['revenue']", "not columns of table 'establishments'"), CHECK),
    Case("file-mapped-column-absent", data_file("firms.csv", GOOD_CSV.encode(), "columns: {turnover: output}"),
         DataContractError, ("firms.csv", "'turnover'", "missing mapped column"), CHECK),
]


@pytest.mark.parametrize("case", DATA_CASES, ids=[c.id for c in DATA_CASES])
def test_bad_data_files(fresh, case, capsys):
    _check(fresh, case, capsys)


# ---------------------------------------------------------------------------------------------------------
# Library calls: estimators, importers and the synthesis refuse bad frames
# ---------------------------------------------------------------------------------------------------------


def _tfp(frame, method="ols", proxy=None):
    return _fit(frame, method, proxy)


def _links(**change):
    est = pd.DataFrame({"firm_id": list("ABCD"), "year": 2020, "cluster_member": [True, True, False, False]})
    links = pd.DataFrame({"source": list("ABC"), "target": list("BCD"), "year": 2020,
                          "kind": ["sales", "input_supply", "knowledge"], "value": [1.0, 2.0, 3.0]})
    for column, (row, value) in change.items():
        links.loc[row, column] = value
    return links, est


def _synthesis_json(root: Path) -> Callable[[], Any]:
    outputs = root.parent / "synthesis-bad-json"
    path = outputs / "kenya_tea" / "00_cluster_overview.results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"cluster_id": "kenya_tea", "headline": ')
    ledger = RunLedger()
    ledger.record(outputs, "kenya_tea", "00_cluster_overview", path.read_bytes())
    ledger.write(outputs)
    return lambda: synthesis.load_results(outputs)


def _synthesis_empty(root: Path) -> Callable[[], Any]:
    outputs = root.parent / "synthesis-empty"
    outputs.mkdir(exist_ok=True)
    return lambda: synthesis.load_results(outputs)


LQ = pd.DataFrame({"region": ["A", "A", "B", "B", "C"], "sector": ["x", "y", "x", "y", "x"],
                   "employment": [10.0, 20.0, 20.0, 20.0, 20.0]})
CP = pd.DataFrame({"country": ["CHL", "ARG"], "item": "2655", "year": 2000, "production": [1.0, 2.0],
                   "exports": [0.0, 0.0]})


def lib(case_id: str, function: Callable[[], Any], error: type[BaseException], names: tuple[str, ...]) -> Case:
    return Case(case_id, call(function), error, names, None)


LIBRARY_CASES = [
    lib("frame-negative-capital", lambda: validate(_establishments(capital=[1.0, -2.0, 3.0]), "establishments",
                                                   "frame-under-test"), DataContractError,
        ("frame-under-test", "'capital'")),
    lib("frame-logs-missing-column", lambda: positive_for_logs(_establishments(), ["output"], "frame-under-test"),
        DataContractError, ("frame-under-test", "['output']")),
    lib("frame-inf-trade-value", lambda: validate(pd.DataFrame({
        "exporter": ["CHL", "CHL"], "importer": ["USA", "CHN"], "product": ["2204", "2204"], "year": [2019, 2019],
        "value": [1.0, float("inf")], "quantity": [1.0, 2.0]}), "trade_flows", source="flows.csv"),
        DataContractError, ("flows.csv", "'value'", "finite number")),
    lib("import-not-baci", lambda: read_baci(DATA / "comtrade_sample.csv", DATA / "baci_country_codes.csv"),
        DataContractError, ("comtrade_sample.csv", "not a BACI file")),
    lib("import-missing-comtrade", lambda: read_comtrade(DATA / "nope.csv"), __import__(
        "agrocluster.data", fromlist=["MissingDataFileError"]).MissingDataFileError, ("nope.csv",)),
    lib("import-unknown-fao-codes", lambda: country_to_iso3(["40", "351", "5000"], scheme="fao"), DataContractError,
        ("'351'", "'5000'")),
    lib("import-unknown-iso2", lambda: country_to_iso3(["XX"], scheme="iso2"), DataContractError, ("'XX'",)),
    lib("concentration-negative-employment", lambda: location_quotient(LQ.assign(employment=[10.0, -1, 20, 20, 20])),
        DataContractError, ("'employment' is negative",)),
    lib("concentration-missing-column", lambda: location_quotient(LQ.drop(columns="employment")), DataContractError,
        ("['employment']",)),
    lib("agglomeration-missing-column",
        lambda: estimate_agglomeration(agglomeration_panel(4), "va_per_worker", "nope", logs=True), DataContractError,
        ("nope",)),
    lib("agglomeration-bad-vcov",
        lambda: estimate_agglomeration(agglomeration_panel(4), "va_per_worker", "loc", vcov="HC7", logs=True),
        EstimationError, ("vcov must be one of", "HC7")),
    lib("agglomeration-no-row-left",
        lambda: estimate_agglomeration(agglomeration_panel(4).assign(loc=float("nan")), "va_per_worker", "loc",
                                       logs=True), EstimationError,
        ("no rows left after the exclusions", "missing or non-finite value in 'loc'")),
    lib("productivity-output-never-positive",
        lambda: production_spec(simulate_panel(40, 4, 0, "lp").assign(value_added=0.0, output=0.0), ["ols"]),
        DataContractError, ("'output' column with no positive value",)),
    lib("productivity-duplicate-firm-year",
        lambda: _tfp(pd.concat([simulate_panel(40, 4, 0, "lp")] * 2, ignore_index=True)), DataContractError,
        ("firm_id, year",)),
    lib("productivity-zero-output-under-logs", lambda: _tfp(simulate_panel(40, 4, 0, "lp").assign(value_added=0.0)),
        EstimationError, ("'value_added'", "non-positive", "logs")),
    lib("productivity-missing-column",
        lambda: estimate_tfp(simulate_panel(40, 4, 0, "lp"), "value_added", "labour", ["capital", "land"], None,
                             "firm_id", "year", "ols"), DataContractError, ("land",)),
    lib("productivity-unknown-method", lambda: _tfp(simulate_panel(40, 4, 0, "lp"), "gmm"), ParamsError, ("gmm",)),
    lib("productivity-one-year", lambda: _tfp(simulate_panel(40, 4, 0, "lp").query("year == year.min()"), "lp",
                                              "materials"),
        EstimationError, ("need at least two years", "the data hold only year 2000")),
    lib("programmes-missing-outcome", lambda: staggered_did(_staggered_panel(0, n=40)[0], "revenue", "id", "t", "g"),
        DataContractError, ("'revenue'",)),
    lib("programmes-no-treated-unit",
        lambda: staggered_did(_staggered_panel(0, n=40)[0].assign(g=0), "y", "id", "t", "g"), EstimationError,
        ("no treated unit",)),
    lib("exports-unknown-country-code",
        lambda: destination_structure(_flows([("CHL", "USA", "x", 10.0), ("XXX", "WLD", "x", 3.0)]), "CHL", 2020),
        DataContractError, ("'exporter'", "'XXX'")),
    lib("exports-zero-world-exports", lambda: world_market_share(CP), EstimationError, ("zero world exports",)),
    lib("exports-negative-exports", lambda: export_orientation(CP.assign(exports=[-1.0, 0.0])), DataContractError,
        ("'exports'", "row 0")),
    lib("gravity-bad-iso3", lambda: prepare_gravity_data(_tiny_flows().assign(exporter=["CHL", "CHL", "usa", "CHL",
                                                                                         "CHL"])),
        DataContractError, ("exporter codes must be ISO3", "'usa'", "row 2")),
    lib("gravity-formula-outside-grammar", lambda: gravity(pd.DataFrame({"value": [1.0, 2.0], "x": [0.1, 0.2]}),
                                                           "value ~ x + exec(x)"), FormulaError,
        ("'exec'", "not an allowed transform")),
    lib("formula-np-attribute", lambda: parse_formula("y ~ np.system(x)", where="f"), FormulaError, ("np.system",)),
    lib("formula-I-transform", lambda: parse_formula("y ~ I(x**2)", where="f"), FormulaError, ("'I'",)),
    lib("formula-three-parts", lambda: parse_formula("y ~ x | fe | z", where="f"), FormulaError, ("'|'",)),
    lib("formula-dangling-plus", lambda: parse_formula("y ~ x + ", where="f"), FormulaError, ("the end",)),
    lib("formula-call-in-ref", lambda: parse_formula("y ~ i(x, ref=os.getcwd())", where="f"), FormulaError,
        ("character '.' at position 15",)),
    lib("linkages-unknown-firm", lambda: link_shares(*_links(target=(2, "ZZ9"))), DataContractError,
        ("ZZ9", "not in the establishment table")),
    lib("linkages-unknown-kind", lambda: link_shares(*_links(kind=(0, "friendship"))), DataContractError,
        ("friendship",)),
    Case("synthesis-invalid-json", _synthesis_json, ResultsFileError,
         ("kenya_tea/00_cluster_overview.results.json", "not valid JSON"), None),
    Case("synthesis-no-results", _synthesis_empty, EstimationError, ("no <cluster>/<notebook>.results.json",), None),
]


@pytest.mark.parametrize("case", LIBRARY_CASES, ids=[c.id for c in LIBRARY_CASES])
def test_bad_frames(fresh, case, capsys):
    _check(fresh, case, capsys)


# ---------------------------------------------------------------------------------------------------------
# Faults survived: damaged caches and a damaged results file never stop the next run or the site
# ---------------------------------------------------------------------------------------------------------


class _Planted:
    """A pickle that would create ``marker`` if anything unpickled it."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_damaged_faostat_cache_is_rebuilt_and_a_planted_pickle_never_loaded(fresh, capsys):
    from agrocluster.data import sources

    sources._faostat_decoded.cache_clear()
    entry = sources._faostat_cache_file()
    assert entry is not None and entry.parent == fresh.root / "data" / "cache"
    marker = fresh.root.parent / "pickle-ran"
    entry.mkdir(parents=True, exist_ok=True)
    (entry / "countries.arrow").write_bytes(b"ARROW1 damaged")
    (entry.parent / f"{entry.name}.pkl").write_bytes(pickle.dumps(_Planted(marker)))
    try:
        countries, world, _ = sources._faostat_decoded()
    finally:
        sources._faostat_decoded.cache_clear()
    assert len(countries) > 100_000 and len(world) > 1000
    assert not marker.exists(), "a pickle in the cache was loaded"
    assert sources._read_cache_part(entry / "countries.arrow").shape == countries.shape  # rebuilt whole
    assert not partial_files(fresh.root)
    _assert_untouched(fresh)


def test_damaged_run_records_do_not_stop_the_site_or_the_next_run(fresh, capsys):
    outputs = fresh.root / "outputs"
    records = [outputs / "runs.json", outputs / ".cache" / "hashes.json"]
    saved = [path.read_bytes() for path in records]
    for path in records:
        path.write_text("{ damaged", encoding="utf-8")
    try:
        code, printed = _invoke(["site"], capsys)
        assert code == 0, printed
        assert "runs.json: not valid JSON" in (outputs / "index.html").read_text(encoding="utf-8")
        code, printed = _invoke(list(RUN), capsys)  # the memo of file hashes is rebuilt: same key, cached
        assert code == 0 and f"[cached] {CLUSTER}/{PROBE}" in printed, printed
    finally:
        for path, data in zip(records, saved, strict=True):
            path.write_bytes(data)
        cli.main(["site"])
    _assert_untouched(fresh)


def test_a_site_that_cannot_be_written_fails_with_a_message(fresh, capsys, monkeypatch):
    blocked = fresh.root.parent / "not-a-folder"
    blocked.write_text("a file where the outputs folder should be", encoding="utf-8")  # unwritable, even for root
    monkeypatch.setenv("AGROCLUSTER_OUTPUTS", str(blocked))
    code, printed = _invoke(["site"], capsys)
    assert code == 1 and "cannot write" in printed and "not-a-folder" in printed and "None" not in printed
    code, printed = _invoke(list(RUN), capsys)
    assert code == 1 and "cannot create the outputs folder" in printed and "not-a-folder" in printed, printed
    monkeypatch.undo()
    _assert_untouched(fresh)


# ---------------------------------------------------------------------------------------------------------
# Runs that fail in the kernel or while committing: one kernel each, on the prepared project
# ---------------------------------------------------------------------------------------------------------

STOPPED = "stopped before it recorded its results"
KERNEL_FAULTS = [  # (id, probe, names in the failure record)
    ("notebook-raises", "raise", ("ValueError", "planted failure in chile_wine")),
    ("notebook-sys-exit", "exit", (STOPPED,)),
    ("notebook-system-exit-0", "exit0", (STOPPED,)),
    ("notebook-skips-save-cell", "nosave", (STOPPED,)),
    ("kernel-killed", "die", ("DeadKernelError",)),
]


@pytest.mark.parametrize(("probe", "names"), [f[1:] for f in KERNEL_FAULTS], ids=[f[0] for f in KERNEL_FAULTS])
def test_a_failing_notebook_fails_its_task_and_keeps_the_last_good_report(fresh, capsys, probe, names):
    junit = fresh.root.parent / "run-junit.xml"
    extra = ("--cluster", "kenya_tea", "--jobs", "2", "--junit", str(junit)) if probe == "raise" else ()  # a
    # second task completes, and the JUnit report of the run names the cell's error
    code, printed = _invoke([*RUN, "--force", "-p", f"synthetic.probe={probe}", "-p",
                             f"synthetic.fault_cluster={CLUSTER}", *extra], capsys)
    assert code == 1, printed
    assert f"[failed] {CLUSTER}/{PROBE}" in printed, printed
    failed = json.loads((fresh.out / f"{PROBE}.failed.json").read_text(encoding="utf-8"))
    for name in names:
        assert name in failed["error"], f"{name!r} not in {failed['error']!r}"
    assert (fresh.out / f"{PROBE}.failed.html").is_file()
    index = (fresh.root / "outputs" / "index.html").read_text(encoding="utf-8")
    assert "last good report" in index
    _assert_untouched(fresh)
    if extra:
        other = fresh.root / "outputs" / "kenya_tea"
        assert f"[ok] kenya_tea/{PROBE}" in printed, printed
        executed = (other / f"{PROBE}.ipynb").read_text(encoding="utf-8")
        assert "THREADS 1 1 1 1" in executed  # a pool worker's kernel: one thread, whatever --jobs
        failure = ET.parse(junit).find(".//testcase[@classname='chile_wine']/failure")
        assert failure.get("type") == "ValueError" and "planted failure" in failure.get("message")
        junit.unlink()
        shutil.rmtree(other)


def test_a_disk_that_fills_while_committing_keeps_the_last_good_report(fresh, capsys, monkeypatch):
    largest = max(path.stat().st_size for path in fresh.out.rglob("*") if path.is_file())
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit raise EFBIG instead
    commit = runner.commit_outputs

    def commit_on_a_filling_disk(outcome, key):  # the disk fills once the notebook has run, while committing
        if outcome["status"] != "ok":
            return commit(outcome, key)
        resource.setrlimit(resource.RLIMIT_FSIZE, (largest * 2 // 3, hard))
        try:
            return commit(outcome, key)
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))

    monkeypatch.setattr(runner, "commit_outputs", commit_on_a_filling_disk)
    try:
        code, printed = _invoke([*RUN, "--force"], capsys)
    finally:
        signal.signal(signal.SIGXFSZ, previous)
    assert code == 1, printed
    failed = json.loads((fresh.out / f"{PROBE}.failed.json").read_text(encoding="utf-8"))
    assert "could not write outputs" in failed["error"] and "previous outputs kept" in failed["error"]
    _assert_untouched(fresh)


def test_after_failures_a_clean_run_is_not_cached_and_gives_the_same_numbers(fresh, capsys):
    (fresh.out / f"{PROBE}.failed.json").write_text('{"error": "an earlier failure"}', encoding="utf-8")
    code, printed = _invoke(list(RUN), capsys)
    assert code == 0 and f"[ok] {CLUSTER}/{PROBE}" in printed, printed  # never "cached" over a failure
    assert not (fresh.out / f"{PROBE}.failed.json").exists()
    now = snapshot(fresh.out)
    assert now.keys() == fresh.good.keys()
    volatile = ("started", "duration_s", "runner_duration_s")
    first, second = (json.loads(files[f"{PROBE}.results.json"]) for files in (fresh.good, now))
    for document in (first, second):
        for key in volatile:
            document["provenance"].pop(key)
    assert first == second
    assert now[f"tables/{PROBE}-probe.csv"] == fresh.good[f"tables/{PROBE}-probe.csv"]
    fresh.good.update(now)  # the later cases compare with this report


def test_csv_downloads_neutralise_spreadsheet_formulas(world):
    written = pd.read_csv(world.out / "tables" / f"{PROBE}-probe.csv")
    assert written["region"].tolist() == ["'" + HOSTILE_REGION, "'+1", "'-x", "'@SUM(A1)", "Maule"]
    assert written["value"].tolist() == [1.5, -2.25, 3.0, 4.0, 5.0]  # numbers stay numbers


# ---------------------------------------------------------------------------------------------------------
# Ctrl-C and SIGTERM: a real `agrocluster run` stops within seconds, exit 130, no orphans
# ---------------------------------------------------------------------------------------------------------


def _tree(process: psutil.Process) -> list[psutil.Process]:
    try:
        return process.children(recursive=True)
    except psutil.Error:
        return []


def _kernels(process: psutil.Process) -> int:
    count = 0
    for child in _tree(process):
        try:
            count += "ipykernel" in " ".join(child.cmdline())
        except psutil.Error:  # a process that has just ended
            pass
    return count


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stopped_run_ends_quickly_with_no_orphans(fresh, stop):
    env = {**os.environ, "AGROCLUSTER_ROOT": str(fresh.root), "AGROCLUSTER_OUTPUTS": str(fresh.root / "outputs")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "agrocluster.cli", "run", "--notebook", PROBE, "--cluster", CLUSTER, "--cluster",
         "kenya_tea", "-p", "synthetic.sleep=60", "--jobs", "2", "--no-progress"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    me = psutil.Process(proc.pid)
    try:
        wait_until(lambda: _kernels(me) >= 2, 120, "two kernels")
        family = _tree(me)
        os.killpg(proc.pid, stop)  # as a terminal does: the signal goes to the runner's process group
        started = time.monotonic()
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:  # the test failed before the signal: stop the run and its workers
            for child in _tree(me):
                with contextlib.suppress(psutil.Error):
                    os.killpg(child.pid, signal.SIGKILL)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert time.monotonic() - started < 15
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    wait_until(lambda: not [p for p in family if _alive(p)], 15, "every worker and kernel to exit")
    assert not (fresh.root / "outputs" / "kenya_tea" / f"{PROBE}.html").exists()
    _assert_untouched(fresh)


def test_matrix_is_large_and_covers_every_layer():
    ids = [c.id for c in PARAMS_CASES + DATA_CASES + LIBRARY_CASES] + [f[0] for f in KERNEL_FAULTS]
    assert len(ids) == len(set(ids)) and len(ids) + 7 >= 100  # + disk full, rerun, CSV, cache, records, site, 2 signals
    layers = {i.split("-")[0] for i in ids}
    assert {"yaml", "key", "type", "range", "code", "id", "override", "path", "data", "formula", "run", "file",
            "frame", "import", "concentration", "agglomeration", "productivity", "programmes", "exports", "gravity",
            "linkages", "synthesis", "notebook", "kernel"} <= layers
