"""The site without a browser: figures drawn once at 2x with alt text, navigation and contents of the reports,
the index cards, the comparison data, the single-file export and the site's size.

Pages are built from small hand-made outputs folders (results files committed to a ledger, saved tables,
report pages with the template's navigation markers); no kernel runs here.
"""

from __future__ import annotations

import json
import struct

import numpy as np
import pandas as pd
import pytest

from agrocluster import figures, runner, site
from agrocluster.figures import synthesis as synthesis_figures
from agrocluster.results_file import HeadlineEntry, ResultsFile, RunLedger

CLUSTERS = (("chile_wine", "Chile wine"), ("kenya_tea", "Kenya tea"), ("vietnam_coffee", "Coffee"))
NOTEBOOKS = (("00_cluster_overview", "Cluster overview: identity"), ("01_cluster_mapping", "Cluster mapping: where"))
REPORT = """<!DOCTYPE html><html><head><link href="../assets/agrocluster.css" rel="stylesheet"/></head>
<body class="ac-report"><!--ac-nav--><nav>home</nav><!--/ac-nav--><main>
<h1 id="Title">Title<a class="anchor-link" href="#Title">¶</a></h1>
<h2 id="1.-The-data">1. The data<a class="anchor-link" href="#1.-The-data">¶</a></h2>
<h3 id="1.1-Firms-&amp;-farms">1.1 Firms &amp; farms</h3>
<figure><img alt="Figure 1" src="figures/{stem}-a.png" width="10"/><figcaption>Figure 1.</figcaption></figure>
</main></body></html>"""


def _png_size(png: bytes) -> tuple[int, int]:
    return struct.unpack(">II", png[16:24])


def test_figure_image_is_twice_its_display_size_and_alt_text_says_what_it_shows():
    fig, ax = figures.new_figure(width=6, height=3)
    ax.plot([2000, 2010], [1, 2], label="production")
    ax.plot([2000, 2010], [2, 1], label="exports")
    ax.set_xlabel("year")
    ax.set_ylabel("thousand tonnes")
    ax.set_title("Wine in CHL")
    ax.legend()
    image = figures.figure_image(fig)
    width, height = _png_size(image.png)
    assert abs(width - 2 * image.width) <= 1 and abs(height - 2 * image.height) <= 1 and 500 < image.width < 700
    for words in ("'Wine in CHL'", "lines", "x axis: year", "y axis: thousand tonnes", "series: production, exports"):
        assert words in image.description
    block = figures.figure_block(image, caption="Production and exports.", number=3, file="figures/00-x.png").markup
    assert 'alt="Figure 3: Production and exports. It shows a chart: ' in block and "..&quot;" not in block
    assert f'width="{image.width}"' in block and 'data-ac-file="figures/00-x.png"' in block


def test_two_panels_are_described_and_do_not_overlap():
    fig, axes = figures.new_figure(width=8, height=3, ncols=2)
    for ax, name in zip(axes.ravel(), ("members", "others"), strict=True):
        ax.plot([0, 1], [0, 1])
        ax.set_title(name)
        ax.set_ylabel("change in log TFP since the first period")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    left_panel = axes.ravel()[0].get_window_extent(renderer)
    right_label = axes.ravel()[1].yaxis.label.get_window_extent(renderer)
    assert right_label.x0 >= left_panel.x1  # the right panel's y label sits beside, not over, the left panel
    assert figures.describe(fig).startswith("2 panels: (1) 'members'")


def test_recorded_figure_is_stored_once_and_the_report_links_it(tmp_path, project):
    import nbformat

    from agrocluster import params, record

    rec = record.Recorder(params.load("chile_wine"), "00_cluster_overview", tmp_path / "out")
    fig, ax = figures.new_figure()
    ax.plot([1, 2], [3, 4])
    block = rec.figure("series", fig, "A caption")
    saved = (tmp_path / "out" / "figures" / "00_cluster_overview-series.png").read_bytes()
    assert _png_size(saved)[0] >= 2 * 500 and figures.DPI == 2 * figures.DISPLAY_DPI
    assert "data:image/png;base64," in block.markup  # shown inline to a hand run in JupyterLab
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("rec.figure(...)")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": block.markup, "text/plain": "x"})]
    nb.cells.append(cell)
    assert runner.link_figures(nb) == 1
    linked = nb.cells[0].outputs[0]["data"]["text/html"]
    assert "base64" not in linked and 'src="figures/00_cluster_overview-series.png"' in linked
    assert runner.link_figures(nb) == 0


def test_scorecard_colours_better_the_same_way_whatever_the_direction():
    card = pd.DataFrame({"cluster_name": ["A", "B", "C"], "specialisation": [1.0, 2.0, 3.0],
                         "market dependence": [0.1, 0.5, 0.9], "other": [5.0, 6.0, 7.0]})
    fig, ax = figures.new_figure()
    synthesis_figures.scorecard_heatmap(ax, card, directions={"specialisation": "higher is better",
                                                             "market dependence": "lower is better"})
    colours = np.ma.getdata(ax.images[0].get_array())
    assert colours[2, 0] > 0 > colours[0, 0]  # most specialised: better
    assert colours[0, 1] > 0 > colours[2, 1]  # least dependent on one market: better
    assert np.allclose(colours[:, 2], 0.0)  # a neutral column gets no colour
    assert len(fig.axes) == 2 and "better" in [t.get_text() for t in fig.axes[1].get_yticklabels()]
    texts = {t.get_text(): t.get_color() for t in ax.texts}
    assert texts["3"] == "white" and texts["2"] != "white"  # readable on dark cells (whole numbers print bare)
    figures.plt.close(fig)


def _outputs(tmp_path, *, notebooks=NOTEBOOKS, clusters=("chile_wine", "kenya_tea")):
    """An outputs folder with committed reports for ``clusters`` × ``notebooks`` (plus the overview's series)."""
    outputs = tmp_path / "outputs"
    ledger = RunLedger()
    for i, cid in enumerate(clusters):
        folder = outputs / cid
        (folder / "tables").mkdir(parents=True)
        (folder / "figures").mkdir()
        for stem, _ in notebooks:
            headline = {"production_kt": HeadlineEntry(value=1000.0 * (i + 1), origin="real"),
                        "member_tfp_premium": HeadlineEntry(value=0.1, se=0.05, origin="synthetic")}
            results = ResultsFile(cluster_id=cid, notebook=stem, headline=headline if stem.startswith("00") else {})
            results.write(folder / f"{stem}.results.json")
            ledger.record(outputs, cid, stem, (folder / f"{stem}.results.json").read_bytes())
            (folder / f"{stem}.html").write_text(REPORT.replace("{stem}", stem))
            (folder / "figures" / f"{stem}-a.png").write_bytes(b"\x89PNG fake")
        pd.DataFrame({"year": [2000, 2001, 2002], "production": [1.0 + i, 2.0, None],
                      "exports": [0.5, 0.6, 0.7]}).to_csv(folder / site.COUNTRY_SERIES_CSV, index=False)
    ledger.write(outputs)
    return outputs, ledger


def _site_map(outputs, ledger):
    available = frozenset((e.cluster_id, e.notebook) for e in ledger.tasks.values())
    return site.SiteMap(CLUSTERS, NOTEBOOKS, (("05_synthesis", "Synthesis"),), "synthesis", available)


def test_reports_get_switcher_tabs_prev_next_and_contents(tmp_path):
    outputs, ledger = _outputs(tmp_path)
    site_map = _site_map(outputs, ledger)
    assert site.decorate_reports(outputs, site_map) == 4
    assert site.decorate_reports(outputs, site_map) == 0  # rebuilding changes nothing
    page = (outputs / "kenya_tea" / "00_cluster_overview.html").read_text()
    nav = page[page.index(site.NAV_START):page.index(site.NAV_END)]
    assert 'href="../chile_wine/00_cluster_overview.html">Chile wine</a>' in nav  # same notebook, other cluster
    assert 'title="not run">Coffee</span>' in nav and "vietnam_coffee" not in nav  # not run: named, not linked
    assert 'href="../kenya_tea/01_cluster_mapping.html">01 Cluster mapping</a>' in nav  # tab: same cluster
    assert 'aria-current="page" href="00_cluster_overview.html">00 Cluster overview' in nav
    assert 'rel="prev" href="../chile_wine/01_cluster_mapping.html"' in nav
    assert 'rel="next" href="../kenya_tea/01_cluster_mapping.html"' in nav
    assert '<a href="#1.-The-data">1. The data</a>' in nav and "1.1 Firms &amp; farms" in nav and "¶" not in nav
    assert 'href="#Title"' not in nav  # the page title is not a section
    first = (outputs / "chile_wine" / "00_cluster_overview.html").read_text()
    assert 'rel="prev"' not in first and 'rel="next"' in first
    assert site_map.order()[0] == ("chile_wine", "00_cluster_overview") and len(site_map.order()) == 4


def test_single_file_export_inlines_stylesheet_and_figures(tmp_path):
    outputs, ledger = _outputs(tmp_path)
    site.write_assets(outputs)
    site.decorate_reports(outputs, _site_map(outputs, ledger))
    report = outputs / "chile_wine" / "00_cluster_overview.html"
    text = site.single_file(report)
    assert "figures/" not in text and "assets/" not in text and "../" not in text
    assert 'src="data:image/png;base64,' in text and ":root {" in text and 'alt="Figure 1"' in text
    (outputs / "chile_wine" / "figures" / "00_cluster_overview-a.png").unlink()
    with pytest.raises(FileNotFoundError, match="figures/00_cluster_overview-a.png is missing"):
        site.single_file(report)


def test_index_cards_mark_origin_and_interval(tmp_path):
    outputs, _ = _outputs(tmp_path)
    places = {"chile_wine": {"lat": -34.6, "lon": -71.2, "product": "Wine", "country": "CHL"}}
    index = site.build_index(outputs, CLUSTERS, list(NOTEBOOKS), places=places)
    card = index[index.index('id="card-chile_wine"'):index.index('id="card-kenya_tea"')]
    assert "1,000 kt" in card and "ac-origin-real" in card and "no sampling uncertainty recorded" in card
    low, high = 0.1 - site.Z95 * 0.05, 0.1 + site.Z95 * 0.05
    assert f"95% CI {low:+.3f} log points to {high:+.3f} log points" in card and "ac-origin-synthetic" in card
    assert 'href="chile_wine/01_cluster_mapping.html"' in card and "Wine · CHL" in card
    assert "No results recorded yet." in index[index.index('id="card-vietnam_coffee"'):]
    assert "<svg" in index and 'aria-label="Map of the clusters&#x27; locations: 1 Chile wine (-34.6°, -71.2°)"' in index
    assert f'href="{site.COMPARE_PAGE}"' in index and '<div class="ac-scroll"><table class="ac-matrix">' in index


def test_compare_data_lines_and_bars_and_the_page_embeds_them_safely(tmp_path):
    outputs, ledger = _outputs(tmp_path)
    clusters = (("chile_wine", "Chile </script><script>alert(1)</script>"), ("kenya_tea", "Kenya tea"))
    data = site.compare_data(outputs, clusters, ledger, {"kenya_tea": {"product": "Tea"}})
    assert data["years"] == [2000, 2001, 2002] and data["default_year"] == 2002
    lines = data["series"]["production"]["lines"]
    assert lines[1] == {"name": "Kenya tea (Tea)", "values": [2.0, 2.0, None]}
    assert "imports" not in data["series"]  # not in the saved table: not offered
    bar = data["headlines"]["member_tfp_premium"]["bars"][0]
    assert bar["origin"] == "synthetic" and bar["low"] == pytest.approx(0.1 - site.Z95 * 0.05)
    page = site.compare_page(data)
    assert "<script>alert(1)" not in page and page.count("<script") == 2  # the data block and the linked script
    embedded = page[page.index('id="ac-compare-data">') + len('id="ac-compare-data">'):page.rindex("</script>")]
    assert json.loads(embedded)["years"] == [2000, 2001, 2002]
    assert '<table class="ac-table" id="static-production">' in page and "<td>2001</td>" in page
    assert f'src="{site.ASSETS}/{site.COMPARE_SCRIPT}"' in page and "cdn" not in page.lower()


def test_site_size_counts_the_site_and_names_pages_over_budget(tmp_path):
    outputs, _ = _outputs(tmp_path, notebooks=NOTEBOOKS[:1], clusters=("chile_wine",))
    (outputs / ".cache").mkdir()
    (outputs / ".cache" / "hashes.json").write_text("x" * 10_000)
    (outputs / "chile_wine" / "big.html").write_text("x" * (site.PAGE_BUDGET_BYTES + 1))
    size = site.site_size(outputs)
    assert size.largest_page == ("chile_wine/big.html", site.PAGE_BUDGET_BYTES + 1)
    assert size.total == sum(p.stat().st_size for p in outputs.rglob("*") if p.is_file() and ".cache" not in p.parts)
    assert "1 over the 300 KB budget" in size.line() and size.line().startswith("site: ")
    assert {p.name for p in site.write_assets(outputs)} == {site.STYLESHEET, site.COMPARE_SCRIPT}
    assert "@media print" in site.CSS and "@media (max-width: 600px)" in site.CSS


def test_single_file_flag_writes_one_report_and_refuses_an_unknown_one(tmp_path, monkeypatch, capsys):
    from agrocluster import cli

    outputs, _ = _outputs(tmp_path)
    site.write_assets(outputs)
    monkeypatch.setenv("AGROCLUSTER_OUTPUTS", str(outputs))
    target = tmp_path / "mail.html"
    assert cli.main(["site", "--single-file", "chile_wine/00_cluster_overview", "-o", str(target)]) == 0
    assert "self-contained" in capsys.readouterr().out
    text = target.read_text()
    assert "data:image/png;base64," in text and "<style>" in text and "<link" not in text
    assert cli.main(["site", "--single-file", "chile_wine/99_none"]) == 2
    assert "no report" in capsys.readouterr().err
