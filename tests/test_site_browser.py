"""The published site in a real browser: Debian's Chromium driven headless by Playwright.

Over the demo site built once per session (``built_site`` in conftest): every page loads without console
errors, every local link and image resolves, the index shows every cluster × notebook cell, the content is
there with JavaScript off, and screenshots of the index and one report are kept in the project's
``outputs/ci-artefacts/`` (CI keeps that folder). A cluster named ``<script>alert(1)</script>`` renders as
text and fires no dialog. The site's numbers are reproducible: one of its real workbooks, run again with the
same parameters into a fresh folder, gives the same results (the determinism checks of tests/test_bad_inputs.py
on a real notebook; here because it reads the same site, which pytest-xdist then builds once, on one worker).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd
import pytest

from agrocluster import runner

from .conftest import ROOT
from .test_runner import write_probe

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTEFACTS = ROOT / "outputs" / "ci-artefacts"
CLUSTERS = ("chile_wine", "indonesia_rice")
XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.is_file() or shutil.which(str(CHROMIUM)) is None:
        missing = "Debian chromium is not installed at /usr/bin/chromium (.ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(f"{missing}: in CI the browser tests must run")
        pytest.skip(missing)
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def site(built_site):
    outputs, completed = built_site
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return outputs


def site_pages(outputs: Path) -> list[Path]:
    return sorted(outputs.rglob("*.html"))


def open_page(browser, path: Path, *, javascript: bool = True):
    """Open ``path``; return (context, page, problems) where problems collects console errors,
    uncaught page errors, failed requests and dialogs."""
    context = browser.new_context(java_script_enabled=javascript, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url} {req.failure}"))

    def on_dialog(dialog):
        problems.append(f"dialog {dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(path.as_uri(), wait_until="load")
    return context, page, problems


def local_target(href: str, page_path: Path) -> tuple[Path | None, str]:
    """The file and fragment a link points at (None for a same-page anchor)."""
    parsed = urlparse(href)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path)), parsed.fragment
    if parsed.scheme == "" and parsed.path:
        return (page_path.parent / unquote(parsed.path)).resolve(), parsed.fragment
    return None, parsed.fragment


def built_notebooks(completed) -> list[str]:
    """The per-cluster notebooks the demo run had (from its task table: notebooks may be added meanwhile)."""
    stems = {line.split()[0].split("/", 1)[1] for line in completed.stdout.splitlines()
             if line.startswith(f"{CLUSTERS[0]}/")}
    return sorted(stems)


def test_demo_run_succeeded_for_every_task(site, built_site):
    _, completed = built_site
    notebooks = built_notebooks(completed)
    assert "00_cluster_overview" in notebooks and set(notebooks) <= set(runner.discover_notebooks())
    for cid in CLUSTERS:
        for stem in notebooks:
            assert (site / cid / f"{stem}.html").is_file(), f"{cid}/{stem} has no report"
            assert not (site / cid / f"{stem}.failed.json").exists()
    assert (site / "synthesis" / "05_synthesis.html").is_file()
    synthesis_results = json.loads((site / "synthesis" / "05_synthesis.results.json").read_text())
    assert synthesis_results["headline"]["n_clusters"]["value"] == len(CLUSTERS)
    assert " 0 failed " in completed.stdout, completed.stdout[-2000:]


def test_every_page_loads_without_errors_and_links_and_images_resolve(site, browser):
    pages = site_pages(site)
    assert len(pages) >= 1 + len(CLUSTERS) + 1
    sizes = {}
    for path in pages:
        sizes[str(path.relative_to(site))] = path.stat().st_size
        context, page, problems = open_page(browser, path)
        try:
            assert problems == [], f"{path.name}: {problems}"
            assert page.title().strip(), f"{path} has no title"
            for href in page.eval_on_selector_all(  # SVG links (the index's map) have an animated href
                    "a[href]", "els => els.map(e => new URL(e.getAttribute('href'), document.baseURI).href)"):
                target, fragment = local_target(href, path)
                if href.startswith(("http://", "https://", "mailto:")):
                    continue  # external references are not fetched (no network); the page loads none
                if target is not None:
                    assert target.exists(), f"{path.relative_to(site)}: broken link {href}"
                if fragment and (target is None or target == path):
                    # as browsers do: the fragment as written (nbconvert writes percent-encoded ids), then decoded
                    found = page.evaluate(
                        "fs => fs.some(f => document.getElementById(f) || document.getElementsByName(f).length)",
                        [fragment, unquote(fragment)])
                    assert found, f"{path.relative_to(site)}: anchor #{fragment} has no target"
            broken = page.eval_on_selector_all(
                "img", "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 80))")
            assert broken == [], f"{path.relative_to(site)}: images that do not load: {broken}"
            assert page.locator("figcaption").count() >= (0 if path.name == "index.html" else 1)
        finally:
            context.close()
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / "page-sizes.json").write_text(json.dumps(dict(sorted(sizes.items(), key=lambda kv: -kv[1])), indent=2))


def test_index_shows_every_cluster_notebook_cell(site, built_site, browser):
    context, page, problems = open_page(browser, site / "index.html")
    try:
        notebooks = built_notebooks(built_site[1])
        header = page.locator("table.ac-matrix thead th").all_inner_texts()
        for stem in notebooks:
            assert any(stem in h for h in header), f"no column for {stem}"
        for cid in CLUSTERS:
            row = page.locator("table.ac-matrix tbody tr", has_text=cid)
            assert row.count() == 1
            for stem in notebooks:
                link = row.locator(f"a[href='{cid}/{stem}.html']")
                assert link.count() == 1, f"index has no report link for {cid} × {stem}"
                assert link.is_visible()
        assert page.locator("a[href='synthesis/05_synthesis.html']").count() == 1
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / "index.png"), full_page=True)
        assert (ARTEFACTS / "index.png").stat().st_size > 10_000
        assert problems == []
    finally:
        context.close()


def test_report_screenshot_and_content_without_javascript(site, browser):
    report = site / "synthesis" / "05_synthesis.html"
    for javascript in (True, False):
        context, page, problems = open_page(browser, report, javascript=javascript)
        try:
            text = page.inner_text("body")
            assert "Cross-cluster synthesis" in text and "Table 1." in text and "Figure 1." in text
            assert "synthetic" in text.lower()
            for cid in CLUSTERS:
                assert cid in text
            if javascript:
                ARTEFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(ARTEFACTS / "report-synthesis.png"), full_page=True)
            assert problems == []
        finally:
            context.close()
    context, page, _ = open_page(browser, site / "index.html", javascript=False)
    try:
        text = page.inner_text("body")
        assert all(cid in text for cid in CLUSTERS) and "Open report" in text
        cluster_report = site / CLUSTERS[0] / "00_cluster_overview.html"
        page.goto(cluster_report.as_uri())
        assert "Data provenance" in page.inner_text("body")
    finally:
        context.close()


def test_script_in_cluster_name_renders_as_text(project, browser):
    text = (project / "params" / "clusters" / "chile_wine.yaml").read_text()
    (project / "params" / "clusters" / "xss_test.yaml").write_text(
        text.replace("cluster_id: chile_wine", "cluster_id: xss_test")
        .replace("name: Chile wine cluster", f"name: '{XSS}'"))
    for path in (project / "notebooks").glob("*"):
        path.unlink()
    write_probe(project)
    summary = runner.run(["xss_test"], ["10_probe"], jobs=1, progress=False)
    assert [r.status for r in summary.results] == ["ok"], summary.table()
    outputs = project / "outputs"
    for path in (outputs / "index.html", outputs / "xss_test" / "10_probe.html"):
        raw = path.read_text()
        assert XSS not in raw and "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
        context, page, problems = open_page(browser, path)
        try:
            assert XSS in page.inner_text("body"), f"{path.name} does not show the name as text"
            assert not [p for p in problems if p.startswith("dialog")], problems
            assert page.evaluate("document.querySelectorAll('script').length") == \
                raw.count("<script")  # no script element came from the name
        finally:
            context.close()


def report_pages(outputs: Path) -> list[Path]:
    """The reports of the site (not the index, the comparison page, nor failure pages)."""
    return [p for p in site_pages(outputs) if p.parent != outputs and not p.name.endswith(".failed.html")]


def test_every_report_has_switcher_tabs_prev_next_and_contents(site, built_site, browser):
    notebooks = built_notebooks(built_site[1])
    reports = report_pages(site)
    visited = []
    context, page, problems = open_page(browser, site / CLUSTERS[0] / f"{notebooks[0]}.html")
    try:
        while True:  # "Next →" walks every report once, in reading order
            visited.append(Path(unquote(urlparse(page.url).path)).resolve())
            nav = page.locator("nav.ac-sitenav")
            assert nav.count() == 1 and nav.locator("a.ac-home[href='../index.html']").count() == 1
            assert page.locator(".ac-toc a[href^='#']").count() >= 2, f"{page.url} has no table of contents"
            if visited[-1].parent.name != "synthesis":
                cid, stem = visited[-1].parent.name, visited[-1].stem
                tabs = nav.locator("ul.ac-tabs a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
                assert len(tabs) == len(notebooks) and f"{stem}.html" in tabs
                other = next(c for c in CLUSTERS if c != cid)
                assert nav.locator(f".ac-switch a[href='../{other}/{stem}.html']").count() == 1
            following = nav.locator("a[rel='next']")
            if following.count() == 0:
                break
            following.click()
            page.wait_for_load_state("load")
            assert page.locator("a[rel='prev']").count() == 1
        assert sorted(visited) == sorted(p.resolve() for p in reports)
        assert problems == []
    finally:
        context.close()


def test_pages_are_light_assets_are_shared_and_figures_stored_once(site, built_site):
    for path in site_pages(site):
        size = path.stat().st_size
        assert size <= 300_000, f"{path.relative_to(site)} weighs {size / 1000:.0f} KB (budget 300 KB)"
        raw = path.read_text()
        assert "<style" not in raw and 'href="../assets/agrocluster.css"' in raw or path.parent == site
        assert "data:image/png;base64" not in raw, f"{path.relative_to(site)} embeds a figure"
    for executed in site.rglob("*.ipynb"):
        assert "data:image/png;base64" not in executed.read_text(), f"{executed.name} keeps a copy of a figure"
    figures = list(site.glob("*/figures/*.png"))
    assert figures and all(f.stat().st_size > 5_000 for f in figures)
    assert len(list((site / "assets").iterdir())) >= 2
    completed = built_site[1]
    line = next(line for line in completed.stdout.splitlines() if line.startswith("site: ") and " MB in " in line)
    assert "over the" not in line, line


def test_pages_fit_a_phone_420_px_wide(site, built_site, browser):
    pages = [site / "index.html", site / "compare.html", site / "synthesis" / "05_synthesis.html"]
    pages += [site / CLUSTERS[0] / f"{stem}.html" for stem in built_notebooks(built_site[1])]
    for path in pages:
        context = browser.new_context(viewport={"width": 420, "height": 900})
        page = context.new_page()
        try:
            page.goto(path.as_uri(), wait_until="load")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 420, f"{path.relative_to(site)} is {width} px wide at 420 px (sideways scrolling)"
            if path.name == "index.html":
                ARTEFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(ARTEFACTS / "index-420px.png"), full_page=True)
            if path.parent.name == CLUSTERS[0]:  # print: no navigation, the content whole
                page.emulate_media(media="print")
                assert not page.locator("nav.ac-sitenav").is_visible() and page.locator("main").is_visible()
        finally:
            context.close()


def test_comparison_page_works_offline_and_without_javascript(site, browser):
    path = site / "compare.html"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    fetched: list[str] = []

    def only_local(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            fetched.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    try:
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_selector("#ac-chart svg path")
        assert page.locator("#ac-controls").is_visible()
        before = page.inner_html("#ac-chart")
        lines = page.locator("#ac-legend li").all_inner_texts()
        assert any(CLUSTERS[0].split("_")[0].capitalize() in t for t in lines), lines
        options = page.locator("#ac-series option").evaluate_all("els => els.map(e => e.value)")
        assert "production" in options and any(o.startswith("headline:") for o in options)
        page.select_option("#ac-series", "exports")
        assert page.inner_html("#ac-chart") != before
        page.select_option("#ac-series", next(o for o in options if o.startswith("headline:")))
        assert page.locator("#ac-chart svg rect").count() >= 1 and page.locator("#ac-year").is_disabled()
        page.select_option("#ac-series", "production")
        readout = page.inner_text("#ac-readout")
        page.locator("#ac-year").fill("2000")
        assert page.inner_text("#ac-year-label") == "2000" and page.inner_text("#ac-readout") != readout
        assert "in 2000" in page.inner_text("#ac-readout")
        linear = page.inner_html("#ac-chart")
        page.check("#ac-log")
        assert page.inner_html("#ac-chart") != linear and "log scale" in page.inner_text("#ac-chart")
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / "compare.png"), full_page=True)
        assert fetched == [] and problems == []
    finally:
        context.close()
    context, page, problems = open_page(browser, path, javascript=False)
    try:
        assert not page.locator("#ac-controls").is_visible()
        table = page.locator("table#static-production")
        assert table.is_visible() and table.locator("tbody tr").count() > 20
        assert all(cid.split("_")[0].capitalize() in table.inner_text() for cid in CLUSTERS)
        assert problems == []
    finally:
        context.close()


VOLATILE = {"started", "duration_s", "runner_duration_s", "cache_key", "code"}


def stable(results: dict) -> dict:
    """A results document without the provenance fields that are times (and the code stamp, which moves
    when the checkout gets a commit between two runs)."""
    copy = json.loads(json.dumps(results))
    for key in VOLATILE:
        copy["provenance"].pop(key, None)
    return copy


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


REAL_NOTEBOOK_PREFERENCE = ("02_agglomeration", "00_cluster_overview")  # quick ones, with seeded data
# Measured on 02_agglomeration, two runs of the same parameters: point estimates differ by ~1e-13 relative
# and clustered standard errors by ~1e-8 (multithreaded float reductions before pyfixest's iterative
# demeaning, whose tolerance is 1e-8). Reports show 3 decimals; a change of seed or data moves them by far more.
REAL_TOL = 1e-6  # relative or absolute


@pytest.mark.slow
def test_same_params_give_identical_results_on_a_real_notebook(built_site, tmp_path):
    """One real workbook for one cluster, run again into a fresh outputs folder: same numbers and tables."""
    site, completed = built_site
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    stem = next(s for s in REAL_NOTEBOOK_PREFERENCE if (site / "chile_wine" / f"{s}.results.json").is_file())
    again = tmp_path / "outputs"
    env = {**os.environ, "AGROCLUSTER_ROOT": str(ROOT), "AGROCLUSTER_OUTPUTS": str(again)}
    rerun = subprocess.run([sys.executable, "-m", "agrocluster.cli", "run", "--cluster", "chile_wine",
                            "--notebook", stem, "--jobs", "1", "--no-progress"],
                           capture_output=True, text=True, env=env, cwd=ROOT, timeout=900, check=False)
    assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-2000:]
    first = json.loads((site / "chile_wine" / f"{stem}.results.json").read_text())
    second = json.loads((again / "chile_wine" / f"{stem}.results.json").read_text())
    assert first["headline"], f"{stem} recorded no headline number"
    assert_same_numbers(stable(first), stable(second), tol=REAL_TOL)
    for table in first["tables"]:
        pd.testing.assert_frame_equal(pd.read_csv(site / "chile_wine" / table["file"]),
                                      pd.read_csv(again / "chile_wine" / table["file"]),
                                      check_exact=False, rtol=REAL_TOL, atol=REAL_TOL, obj=f"{stem} table {table['file']}")
