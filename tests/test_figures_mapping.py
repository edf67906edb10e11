"""Figures of the cluster-mapping workbook (figures.mapping): what is drawn, not only that it runs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection, PolyCollection, QuadMesh
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle

from agrocluster import figures
from agrocluster.figures import mapping as fmap


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _points() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    sectors = ["1102"] * 20 + ["0121"] * 15 + ["0111"] * 30
    return pd.DataFrame({
        "region": rng.choice(["Maule", "Colchagua", "R01"], len(sectors)),
        "sector": sectors,
        "lat": -34 + rng.normal(0, 0.3, len(sectors)),
        "lon": -71 + rng.normal(0, 0.3, len(sectors)),
    })


def test_establishment_map_draws_every_layer():
    points = _points()
    centres = points.groupby("region").agg(lat=("lat", "mean"), lon=("lon", "mean")).reset_index()
    _fig, ax = figures.new_figure()
    fmap.establishment_map(ax, points, "1102", related=["0121"], centres=centres, core=["Maule", "Colchagua"],
                           title="map")
    layers = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [len(c.get_offsets()) for c in layers] == [30, 15, 20, 3]  # others, related, cluster, centres
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["other sectors (30)", "related sector 0121 (15)", "cluster sector 1102 (20)", "region centres"]
    assert sorted(t.get_text() for t in ax.texts) == ["Colchagua", "Maule"]  # only core regions are named
    assert ax.get_aspect() == pytest.approx(1 / np.cos(np.radians(points["lat"].mean())))
    assert ax.get_xlabel().startswith("longitude") and ax.get_title() == "map"


def test_lq_heatmap_orders_frames_and_annotates():
    lq = pd.DataFrame({
        "region": ["A", "A", "B", "B", "C", "C"],
        "sector": ["s", "o", "s", "o", "s", "o"],
        "lq": [2.0, 0.5, 0.25, 1.5, 1.0, 1.0],
    })
    _fig, ax = figures.new_figure()
    fmap.lq_heatmap(ax, lq, "s", highlight=["B"], title="LQ")
    assert len([c for c in ax.collections if isinstance(c, QuadMesh)]) == 1
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "C", "B"]  # by the sector's LQ
    assert [t.get_text() for t in ax.get_xticklabels()] == ["s", "o"]  # the cluster sector first
    assert sorted(t.get_text() for t in ax.texts) == sorted(["2.0", "0.5", "1.0", "1.0", "0.2", "1.5"])
    frames = [p for p in ax.patches if isinstance(p, Rectangle) and not p.get_fill()]
    assert len(frames) == 1 and frames[0].get_height() == 3
    bold = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == ["B"]
    _fig, ax = figures.new_figure()
    fmap.lq_heatmap(ax, lq, "s", max_regions=2)
    assert len(ax.get_yticklabels()) == 2 and "top 2 of 3" in ax.get_title()


def test_kd_curve_draws_band_localised_ranges_and_truth():
    curve = pd.DataFrame({"distance": np.linspace(0, 100, 11), "kd": np.linspace(0.02, 0.0, 11),
                          "lo": 0.004, "hi": 0.008})
    _fig, ax = figures.new_figure()
    fmap.kd_curve(ax, curve, localised=[(0.0, 50.0), (70.0, 80.0)], truth_km=16.0, title="Kd")
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 1  # the band
    lines = ax.get_lines()
    assert len(lines) == 2 and np.allclose(lines[0].get_ydata(), curve["kd"])  # curve + truth line
    assert list(lines[1].get_xdata()) == [16.0, 16.0]
    spans = [p for p in ax.patches if isinstance(p, (Rectangle,)) or p.__class__.__name__ == "Polygon"]
    assert len(spans) == 2
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "localised (above the band)" in labels and any("planted" in x for x in labels)
    assert ax.get_xlim() == (0.0, 100.0)


def test_shift_share_bars_three_components_per_region():
    frame = pd.DataFrame({"region": ["A", "B"], "change": [10.0, -5.0], "national_growth": [2.0, 1.0],
                          "industry_mix": [3.0, -1.0], "competitive": [5.0, -5.0]})
    _fig, ax = figures.new_figure()
    fmap.shift_share_bars(ax, frame, title="ss")
    bars = ax.patches
    assert len(bars) == 6
    assert sorted(round(b.get_height(), 6) for b in bars) == sorted([2.0, 1.0, 3.0, -1.0, 5.0, -5.0])
    diamonds = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(diamonds) == 1 and diamonds[0].get_offsets()[:, 1].tolist() == [10.0, -5.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["A", "B"]


def test_world_share_line_in_percent_with_break():
    series = pd.DataFrame({"year": [2005, 2010, 2015], "production_share": [0.02, 0.03, 0.04]})
    _fig, ax = figures.new_figure()
    fmap.world_share_line(ax, series, label="CHL")
    lines = ax.get_lines()
    assert np.allclose(lines[0].get_ydata(), [2.0, 3.0, 4.0])
    assert len(lines) == 2 and list(lines[1].get_xdata()) == [2010, 2010]
    assert "%" in ax.get_ylabel()
    _fig, ax = figures.new_figure()
    fmap.world_share_line(ax, series[series["year"] > 2010], label="CHL")
    assert len(ax.get_lines()) == 1  # no break inside the range


def test_rca_bars_highlight_the_country_on_a_log_scale():
    producers = pd.DataFrame({"rank": [1, 2, 9], "country": ["ITA", "FRA", "CHL"],
                              "area_name": ["Italy", "France", "Chile"], "share_pct": [20.0, 16.0, 4.0],
                              "rca": [31.0, 12.9, np.nan], "is_country": [False, False, True]})
    _fig, ax = figures.new_figure()
    fmap.rca_bars(ax, producers, title="RCA")
    bars = ax.patches
    assert len(bars) == 3
    assert [b.get_width() for b in bars] == [31.0, 12.9, 0.0]  # no RCA: no bar
    colours = [to_hex(b.get_facecolor()) for b in bars]
    assert colours[0] == colours[1] != colours[2]
    assert ax.get_xscale() == "log"
    ys = {t.get_text(): t.get_position()[1] for t in ax.get_yticklabels()}
    assert ys["Italy (20.0%)"] > ys["France (16.0%)"] > ys["Chile (4.0%)"]  # largest producer on top
    bold = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == ["Chile (4.0%)"]
    assert any(list(line.get_xdata()) == [1.0, 1.0] for line in ax.get_lines())


def test_dollar_signs_from_data_draw_as_text():
    from agrocluster import figures

    fig, ax = figures.new_figure()
    ax.set_title("Wine $5 per litre, $x_1$ and 50% of A_1")
    shown = figures.display_figure(fig, caption="a caption with $", number=1)
    assert "data:image/png;base64," in shown._repr_html_()
