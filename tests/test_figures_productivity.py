"""Figures of the productivity workbook: what each helper draws (points, intervals, bands, lines, labels)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PolyCollection

from agrocluster import figures
from agrocluster.figures import productivity as fp


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _labels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_coefficients_by_method_points_intervals_and_truth_ticks():
    table = pd.DataFrame({
        "method": ["OLS", "OLS", "ACF", "ACF"], "term": ["labour", "capital"] * 2,
        "coef": [0.9, 0.05, 0.45, 0.18], "ci_low": [0.88, 0.03, np.nan, np.nan],
        "ci_high": [0.92, 0.07, np.nan, np.nan],
    })
    _fig, ax = figures.new_figure()
    fp.coefficients_by_method(ax, table, truth={"labour": 0.5, "capital": 0.2})
    # one errorbar container per method, two points each, in the table's order
    assert len(ax.containers) == 2
    ols_points = ax.containers[0].lines[0]
    assert sorted(ols_points.get_xdata()) == [0.05, 0.9]
    # no SE (ACF without bootstrap): points drawn with zero-width intervals, not dropped
    assert sorted(ax.containers[1].lines[0].get_xdata()) == [0.18, 0.45]
    truth = [c for c in ax.collections if isinstance(c, LineCollection) and c.get_label() == "true value"]
    assert len(truth) == 1
    ticks = [c for c in ax.collections if isinstance(c, LineCollection) and c.get_linestyle()[0][1] is not None]
    assert len(ticks) >= 2  # one dashed tick per term with a true value
    # terms top to bottom in the table's order
    ticks = {t.get_text(): t.get_position()[1] for t in ax.get_yticklabels()}
    assert ticks["labour"] > ticks["capital"]
    assert _labels(ax) == ["true value", "OLS", "ACF"]


def test_coefficients_by_method_frames_the_points_when_an_interval_is_huge():
    table = pd.DataFrame({"method": ["OLS", "LP"], "term": ["land", "land"], "coef": [0.48, 0.17],
                          "ci_low": [0.42, -4.0], "ci_high": [0.54, 4.4]})
    _fig, ax = figures.new_figure()
    fp.coefficients_by_method(ax, table)
    left, right = ax.get_xlim()
    assert -1.0 < left < 0.0 and 1.0 < right < 2.0
    assert "cut" in ax.get_xlabel()
    _fig, ax = figures.new_figure()
    fp.coefficients_by_method(ax, table.iloc[:1])
    assert "cut" not in ax.get_xlabel()


def test_tfp_distributions_one_density_and_median_per_group():
    rng = np.random.default_rng(0)
    tfp = pd.Series(np.r_[rng.normal(0.2, 0.3, 300), rng.normal(0, 0.3, 500), [0.1]])
    groups = pd.Series(["members"] * 300 + ["others"] * 500 + ["lonely"])
    _fig, ax = figures.new_figure()
    fp.tfp_distributions(ax, tfp, groups, order=["members", "others", "lonely"])
    dens = [ln for ln in ax.get_lines() if "n = " in ln.get_label() and len(ln.get_xdata()) > 2]
    assert [ln.get_label() for ln in dens] == ["members (n = 300)", "others (n = 500)"]
    medians = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 2]
    assert len(medians) == 3
    assert medians[0].get_xdata()[0] == pytest.approx(np.median(tfp[:300]))
    assert any("too few" in t for t in _labels(ax))
    _fig, ax = figures.new_figure()
    fp.tfp_distributions(ax, pd.Series([np.nan]), pd.Series(["a"]))
    assert ax.texts[0].get_text() == "no TFP estimate to draw"


def test_premium_by_year_points_intervals_zero_and_overall():
    by_year = pd.DataFrame({"year": [2011, 2012, 2013], "premium": [0.1, 0.15, 0.2],
                            "ci_low": [0.0, 0.05, 0.1], "ci_high": [0.2, 0.25, 0.3]})
    _fig, ax = figures.new_figure()
    fp.premium_by_year(ax, by_year, overall=0.15)
    container = ax.containers[0]
    np.testing.assert_allclose(container.lines[0].get_ydata(), [0.1, 0.15, 0.2])
    segs = container.lines[2][0].get_segments()
    assert [tuple(s[:, 1]) for s in segs] == [(0.0, 0.2), (0.05, 0.25), (0.1, 0.3)]
    flat = {float(ln.get_ydata()[0]) for ln in ax.get_lines() if len(set(ln.get_ydata())) == 1}
    assert {0.0, 0.15} <= flat
    assert "all years: 0.150" in _labels(ax)
    _fig, ax = figures.new_figure()
    fp.premium_by_year(ax, by_year.iloc[0:0])
    assert "no year" in ax.texts[0].get_text()


def test_op_decomposition_three_series_over_time():
    years = np.arange(2011, 2021)
    agg, mean = np.linspace(0.3, 0.4, 10), np.linspace(0.2, 0.25, 10)
    t = pd.DataFrame({"aggregate": agg, "unweighted_mean": mean, "covariance": agg - mean},
                     index=pd.Index(years, name="year"))
    t["d_aggregate"], t["d_mean"] = agg - agg[0], mean - mean[0]
    t["d_cov"] = t["d_aggregate"] - t["d_mean"]
    _fig, ax = figures.new_figure()
    fp.op_decomposition(ax, t)
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert {"aggregate (share-weighted)", "unweighted mean", "covariance (allocative efficiency)"} <= set(lines)
    # changes since the first period by default: they start at 0 and add up
    np.testing.assert_allclose(lines["covariance (allocative efficiency)"].get_ydata(), t["d_cov"])
    np.testing.assert_allclose(lines["aggregate (share-weighted)"].get_ydata()[0], 0.0)
    np.testing.assert_allclose(lines["aggregate (share-weighted)"].get_xdata(), years)
    assert list(ax.get_xticks()) == list(years[::2])  # ten periods: every second labelled
    _fig, ax = figures.new_figure()
    fp.op_decomposition(ax, t.iloc[:4], changes=False)
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    np.testing.assert_allclose(lines["unweighted mean"].get_ydata(), mean[:4])
    assert list(ax.get_xticks()) == list(years[:4]) and ax.get_ylabel() == "log TFP"


def test_event_study_band_twfe_and_truth():
    dyn = pd.DataFrame({"event_time": [-2, -1, 0, 1], "att": [0.0, 0.01, 0.05, 0.08],
                        "ci_lower": [-0.05, -0.04, 0.0, 0.02], "ci_upper": [0.05, 0.06, 0.1, 0.14]})
    tw = pd.DataFrame({"event_time": [-2, -1, 0, 1], "estimate": [0.02, 0.0, 0.03, 0.05],
                       "ci_lower": [-0.01, 0.0, 0.0, 0.01], "ci_upper": [0.05, 0.0, 0.06, 0.09]})
    truth = pd.DataFrame({"event_time": [-5, -2, -1, 0, 1, 2], "att": [0, 0, 0, 0.02, 0.04, 0.06]})
    _fig, ax = figures.new_figure()
    fp.event_study(ax, dyn, tw, truth)
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 1 and "uniform" in bands[0].get_label()
    verts = bands[0].get_paths()[0].vertices
    assert verts[:, 1].max() == pytest.approx(0.14) and verts[:, 1].min() == pytest.approx(-0.05)
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    np.testing.assert_allclose(lines["Callaway–Sant'Anna ATT(e)"].get_ydata(), dyn["att"])
    # truth is clipped to the estimated event times
    np.testing.assert_allclose(lines["true effect (synthetic)"].get_xdata(), [-2, -1, 0, 1])
    twfe = ax.containers[0]
    np.testing.assert_allclose(twfe.lines[0].get_xdata(), np.array([-2, -1, 0, 1]) + 0.15)
    assert "dynamic TWFE (pointwise 95%)" in _labels(ax)
    _fig, ax = figures.new_figure()
    fp.event_study(ax, dyn)
    assert len(ax.containers) == 0 and "true effect (synthetic)" not in _labels(ax)
