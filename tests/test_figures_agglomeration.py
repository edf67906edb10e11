"""Tests of agrocluster.figures.agglomeration: what is drawn (points, intervals, planted lines, labels)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.container import ErrorbarContainer

from agrocluster.figures.agglomeration import coefficient_plot, decay_plot


def spec_table() -> pd.DataFrame:
    rows = []
    for outcome, shift in (("productivity", 0.0), ("wage", -0.02)):
        for k, spec in enumerate(["pooled", "firm FE", "IV"]):
            for term, b in (("loc", 0.03 + shift + 0.01 * k), ("urb", 0.05)):
                rows.append({"specification": spec, "outcome": outcome, "term": term, "elasticity": b,
                             "ci_low": b - 0.01, "ci_high": b + 0.015})
    return pd.DataFrame(rows)


def errorbars(ax):
    return [c for c in ax.containers if isinstance(c, ErrorbarContainer)]


def test_coefficient_plot_draws_one_interval_per_specification_and_planted_line():
    fig, ax = plt.subplots()
    coefficient_plot(ax, spec_table(), "loc", planted={"wage": 0.0}, title="Localisation")
    bars = errorbars(ax)
    assert len(bars) == 2  # one container per outcome
    xs = np.concatenate([b.lines[0].get_xdata() for b in bars])
    np.testing.assert_allclose(sorted(xs), sorted([0.03, 0.04, 0.05, 0.01, 0.02, 0.03]))
    # horizontal interval segments: from ci_low to ci_high
    segs = bars[0].lines[2][0].get_segments()
    assert len(segs) == 3
    np.testing.assert_allclose([s[1][0] - s[0][0] for s in segs], 0.025)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "pooled · productivity" and len(labels) == 6
    planted = [c for c in ax.collections if isinstance(c, LineCollection) and c.get_linestyle()[0][1] is not None]
    assert any(np.allclose([p[0][0] for p in c.get_segments()], 0.0) for c in planted)
    assert "planted (wage)" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert ax.get_title() == "Localisation"
    plt.close(fig)


def test_coefficient_plot_missing_term_says_so():
    fig, ax = plt.subplots()
    coefficient_plot(ax, spec_table(), "diversity")
    assert "no estimate" in ax.texts[0].get_text()
    plt.close(fig)


def test_decay_plot_draws_bands_with_intervals():
    bands = pd.DataFrame({
        "band": ["0-10 km", "10-25 km", "25-50 km"], "lower_km": [0.0, 10.0, 25.0], "upper_km": [10.0, 25.0, 50.0],
        "midpoint_km": [5.0, 17.5, 37.5], "coef": [0.04, 0.02, 0.005], "se": [0.01, 0.01, 0.01],
        "ci_low": [0.02, 0.0, -0.015], "ci_high": [0.06, 0.04, 0.025],
    })
    fig, ax = plt.subplots()
    decay_plot(ax, bands, outcome="log productivity")
    (bar,) = errorbars(ax)
    np.testing.assert_allclose(bar.lines[0].get_xdata(), [5.0, 17.5, 37.5])
    np.testing.assert_allclose(bar.lines[0].get_ydata(), [0.04, 0.02, 0.005])
    # two LineCollections: horizontal band extents and vertical intervals
    extents, intervals = (bar.lines[2][0].get_segments(), bar.lines[2][1].get_segments())
    np.testing.assert_allclose([s[0][0] for s in extents], [0.0, 10.0, 25.0])
    np.testing.assert_allclose([s[1][0] for s in extents], [10.0, 25.0, 50.0])
    np.testing.assert_allclose([s[0][1] for s in intervals], [0.02, 0.0, -0.015])
    np.testing.assert_allclose([s[1][1] for s in intervals], [0.06, 0.04, 0.025])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0-10 km", "10-25 km", "25-50 km"]
    assert ax.get_ylabel() == "elasticity of log productivity"
    plt.close(fig)


def test_decay_plot_empty():
    fig, ax = plt.subplots()
    decay_plot(ax, pd.DataFrame(columns=["band", "midpoint_km", "coef", "ci_low", "ci_high"]))
    assert "no distance bands" in ax.texts[0].get_text()
    plt.close(fig)
