"""Figures of the export-links workbook: what each helper draws (lines, bars, points, bands, labels)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.patches import Circle, FancyArrowPatch, Rectangle

from agrocluster import figures
from agrocluster.figures import exports as fx


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_market_trends_draws_shares_in_percent_orientation_and_break():
    years = np.arange(2001, 2021)
    shares = pd.DataFrame(
        {
            "year": years,
            "export_share": np.linspace(0.05, 0.08, 20),
            "production_share": np.linspace(0.03, 0.04, 20),
        }
    )
    orient = pd.DataFrame({"year": years, "export_orientation": np.linspace(0.5, 0.9, 20)})
    _fig, axes = figures.new_figure(ncols=2)
    fx.market_trends(axes, shares, orient, "CHL", "Wine")
    ax_share, ax_orient = axes.ravel()
    share_lines = [
        ln
        for ln in ax_share.get_lines()
        if ln.get_label() in ("share of world exports", "share of world production")
    ]
    assert len(share_lines) == 2
    assert share_lines[0].get_ydata()[-1] == pytest.approx(8.0)  # percent, not fraction
    # the FAOSTAT 2010 break: a vertical line at 2010 on both panels, annotated
    for ax in (ax_share, ax_orient):
        assert any(np.allclose(ln.get_xdata(), 2010) for ln in ax.get_lines())
        assert "FAOSTAT method change" in _texts(ax)
    # orientation: the series and the exports = production reference line at 1
    assert any(np.allclose(ln.get_ydata(), 1.0) for ln in ax_orient.get_lines())
    assert "CHL" in ax_share.get_title() and "Wine" in ax_share.get_title()


def test_market_trends_no_break_line_outside_the_years():
    years = np.arange(2012, 2021)
    shares = pd.DataFrame({"year": years, "export_share": 0.1, "production_share": 0.1})
    orient = pd.DataFrame({"year": years, "export_orientation": 1.2})
    _fig, axes = figures.new_figure(ncols=2)
    fx.market_trends(axes, shares, orient, "KEN", "Tea")
    assert all("FAOSTAT method change" not in _texts(ax) for ax in axes.ravel())


def test_rca_series_log_scale_threshold_and_zero_years_left_out():
    rca = pd.DataFrame({"year": [2016, 2017, 2018, 2019], "rca": [0.0, 2.0, 4.0, 8.0]})
    _fig, ax = figures.new_figure()
    fx.rca_series(ax, rca, "RCA")
    assert ax.get_yscale() == "log"
    series = next(ln for ln in ax.get_lines() if ln.get_label() == "RCA (quantity-based)")
    assert list(series.get_xdata()) == [2017, 2018, 2019]
    assert any(np.allclose(ln.get_ydata(), 1.0) for ln in ax.get_lines() if ln.get_label() == "RCA = 1")


def test_product_space_position_presence_and_highlight():
    items = pd.DataFrame(
        {
            "item_name": ["Wine", "Beer", "Rice", "Tea"],
            "relatedness_density": [30, 20, 10, 5],
            "pci": [1.9, 0.5, -1.0, 0.2],
            "M": [1, 1, 0, 0],
        }
    )
    _fig, ax = figures.new_figure()
    fx.product_space_position(ax, items, "Wine", "CHL")
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    sizes = {c.get_label(): len(c.get_offsets()) for c in scatters}
    assert sizes == {"exported with RCA > 1": 2, "RCA ≤ 1": 2, "cluster product": 1}
    assert "Wine" in _texts(ax)
    star = next(c for c in scatters if c.get_label() == "cluster product")
    assert tuple(star.get_offsets()[0]) == (30, 1.9)


def test_destination_bars_top_n_largest_first_with_cumulative_note():
    shares = np.array([0.4, 0.2, 0.15, 0.1, 0.08, 0.07])
    dest = pd.DataFrame({"importer": list("ABCDEF"), "share": shares, "cumulative_share": shares.cumsum()})
    _fig, ax = figures.new_figure()
    fx.destination_bars(ax, dest, "dest", top=4)
    bars = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_width() > 0]
    assert len(bars) == 4
    assert sorted((b.get_width() for b in bars), reverse=True) == pytest.approx([40, 20, 15, 10])
    ticks = dict(zip((t.get_text() for t in ax.get_yticklabels()), ax.get_yticks()))
    assert max(ticks, key=ticks.get) == "A"  # largest on top
    assert any("top 4 of 6 markets: 85%" in t for t in _texts(ax))


def test_coefficient_plot_bands_and_truth():
    table = pd.DataFrame(
        {
            "term": ["ln_distance", "contiguity", "rta"],
            "estimate": [-1.0, 0.4, 0.5],
            "conf_low": [-1.1, 0.3, 0.4],
            "conf_high": [-0.9, 0.5, 0.6],
        }
    )
    _fig, ax = figures.new_figure()
    fx.coefficient_plot(ax, table, "gravity", truth={"ln_distance": -1.0, "rta": 0.4})
    bands = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(bands) == 1 and len(bands[0].get_segments()) == 3  # one CI bar per term
    seg = min(bands[0].get_segments(), key=lambda s: s[0][0])
    assert seg[0][0] == pytest.approx(-1.1) and seg[1][0] == pytest.approx(-0.9)
    truth = [
        c
        for c in ax.collections
        if isinstance(c, PathCollection) and c.get_label() == "true value (synthetic)"
    ]
    assert len(truth) == 1 and len(truth[0].get_offsets()) == 2
    ticks = dict(zip((t.get_text() for t in ax.get_yticklabels()), ax.get_yticks()))
    assert sorted(ticks, key=ticks.get, reverse=True) == [
        "ln_distance",
        "contiguity",
        "rta",
    ]  # table order, top down


def test_coefficient_plot_by_group_draws_one_series_per_group():
    rows = []
    for g in ("0401", "0402"):
        for t in ("ln_distance", "rta"):
            rows.append({"product": g, "term": t, "estimate": 0.1, "conf_low": 0.0, "conf_high": 0.2})
    _fig, ax = figures.new_figure()
    fx.coefficient_plot(ax, pd.DataFrame(rows), "by product", by="product")
    bands = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(bands) == 2
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"0401", "0402"}


def test_link_flows_two_nodes_three_link_bands_with_counts():
    _fig, ax = figures.new_figure()
    fx.link_flows(ax, 300, 100, 600, "links")
    assert len([p for p in ax.patches if isinstance(p, Circle)]) == 2
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == 3
    widths = sorted(a.get_linewidth() for a in arrows)
    assert widths[0] < widths[1] < widths[2]  # proportional to 100 < 300 < 600
    text = " ".join(_texts(ax))
    assert "300" in text and "100" in text and "600" in text


def test_ego_network_colours_members_and_draws_all_partners():
    edges = pd.DataFrame({"source": ["E", "E", "C", "E"], "target": ["A", "B", "E", "D"]})
    members = pd.Series({"E": True, "A": True, "B": False, "C": True, "D": False})
    _fig, ax = figures.new_figure()
    fx.ego_network(ax, edges, members, "E", "ego")
    nodes = next(c for c in ax.collections if isinstance(c, PathCollection))
    assert len(nodes.get_offsets()) == 5
    colours = {tuple(np.round(c[:3], 3)) for c in nodes.get_facecolors()}
    assert len(colours) == 2  # members and others
    edge_lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert sum(len(c.get_segments()) for c in edge_lines) == 4
    assert "E" in _texts(ax)


def test_inside_share_trend_percent_lines_and_truth():
    by_year = pd.DataFrame(
        {"year": [2019, 2020], "inside_share_count": [0.8, 0.9], "inside_share_value": [0.7, 0.75]}
    )
    _fig, ax = figures.new_figure()
    fx.inside_share_trend(ax, by_year, "inside", truth=85.0)
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert {"by count", "by value", "true (synthetic)"} <= set(labels)
    count = next(ln for ln in ax.get_lines() if ln.get_label() == "by count")
    assert list(count.get_ydata()) == pytest.approx([80, 90])


def test_stress_bars_before_loss_after():
    _fig, ax = figures.new_figure()
    fx.stress_bars(ax, 1000.0, 250.0, 750.0, "FRA", 0.5, "stress")
    bars = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_height() != 0]
    assert len(bars) == 3
    heights = [abs(b.get_height()) for b in bars]
    assert heights == pytest.approx([1000, 250, 750])
    loss = bars[1]
    assert loss.get_y() + loss.get_height() == pytest.approx(750)  # the loss hangs from the top of "before"
    assert any("FRA" in t.get_text() and "-50%" in t.get_text() for t in ax.get_xticklabels())
