"""tables.regression_table: the layout by hand, the exports, and two real fits side by side."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agrocluster.agglomeration import AgglomerationResult, estimate_agglomeration
from agrocluster.tables import RegressionTable, regression_table


def fit(coef: dict, se: dict, p: dict, nobs: int, fe=("firm_id", "year"), r2=None) -> AgglomerationResult:
    """An AgglomerationResult with the given numbers (intervals ± 2 SE; nothing excluded)."""
    c, s, pv = pd.Series(coef), pd.Series(se), pd.Series(p)
    return AgglomerationResult(
        coef=c, se=s, tstat=c / s, pvalue=pv, ci_low=c - 2 * s, ci_high=c + 2 * s, nobs=nobs, vcov_type="hetero",
        n_clusters=None, excluded=pd.DataFrame({"reason": [], "n_rows": []}), formula="y ~ x", outcome="y",
        fe=tuple(fe), logged=False, r2_within=r2,
    )


A = fit({"loc": 0.0512, "urb": -0.2}, {"loc": 0.01, "urb": 0.5}, {"loc": 0.004, "urb": 0.69}, 1200, r2=0.25)
B = fit({"loc": 0.03, "div": 1.5}, {"loc": 0.02, "div": 0.6}, {"loc": 0.08, "div": 0.03}, 980, fe=("year",))


def test_layout_by_hand():
    table = regression_table([A, B])
    assert isinstance(table, RegressionTable)
    expected = [
        ["loc", "0.051", "0.030"],
        ["", "(0.010)", "(0.020)"],
        ["urb", "-0.200", ""],
        ["", "(0.500)", ""],
        ["div", "", "1.500"],
        ["", "", "(0.600)"],
        ["N", "1,200", "980"],
        ["R² within", "0.250", ""],
        ["FE: firm_id", "yes", "no"],
        ["FE: year", "yes", "yes"],
    ]
    assert table.frame.columns.tolist() == ["term", "(1)", "(2)"]
    assert table.frame.to_numpy().tolist() == expected
    assert table.notes == "Standard errors in brackets."


def test_stars_thresholds_are_stated_and_applied():
    table = regression_table({"wide": A, "narrow": B}, stars=True)
    cells = table.frame.set_index("term")
    assert cells.loc["loc", "wide"] == "0.051***" and cells.loc["loc", "narrow"] == "0.030*"
    assert cells.loc["urb", "wide"] == "-0.200" and cells.loc["div", "narrow"] == "1.500**"
    assert "* p < 0.1, ** p < 0.05, *** p < 0.01" in table.notes
    strict = regression_table([A], stars=True, star_levels=(0.001,))
    assert strict.frame.iloc[0, 1] == "0.051" and "* p < 0.001" in strict.notes


def test_terms_select_order_and_relabel_and_bad_input():
    table = regression_table([A, B], terms={"div": "diversity", "loc": "localisation"}, names=["a", "b"], digits=2)
    assert table.frame["term"].tolist()[:4] == ["diversity", "", "localisation", ""]
    assert table.frame.columns.tolist() == ["term", "a", "b"] and table.frame.iloc[2, 1] == "0.05"
    with pytest.raises(ValueError, match="terms \\['size'\\] are in no result"):
        regression_table([A], terms=["size"])
    with pytest.raises(ValueError, match="2 names for 1 results"):
        regression_table([A], names=["a", "b"])
    with pytest.raises(TypeError, match="result protocol"):
        regression_table([pd.DataFrame()])
    with pytest.raises(ValueError, match="at least one"):
        regression_table([])


def test_exports_escape_and_keep_the_layout():
    odd = fit({"a<b>&_%": 1.0}, {"a<b>&_%": 0.5}, {"a<b>&_%": 0.2}, 10, fe=())
    table = regression_table({"<m1>": odd})
    html = table.to_html()
    assert "a&lt;b&gt;&amp;_%" in html and "a<b>" not in html and "&lt;m1&gt;" in html
    assert html.startswith('<table class="ac-table ac-regression">') and 'class="ac-note"' in html
    assert html == table._repr_html_() and html.count("<tr") == 1 + len(table.frame)
    latex = table.to_latex()
    assert r"a<b>\&\_\%" in latex and r"\toprule" in latex and r"\bottomrule" in latex
    assert latex.count(r"\\") == 1 + len(table.frame) + 1  # header, rows, note
    md = table.to_markdown().splitlines()
    assert md[0] == "| term | <m1> |" and md[1] == "|:---|---:|" and md[2] == "| a<b>&_% | 1.000 |"
    assert md[-1] == "Standard errors in brackets."


def test_two_real_fits_side_by_side():
    rng = np.random.default_rng(11)
    firms, years = 120, 5
    df = pd.DataFrame({"firm_id": np.repeat(np.arange(firms), years), "year": np.tile(np.arange(years), firms)})
    df["region"] = df["firm_id"] % 12
    df["loc"] = rng.normal(size=len(df))
    df["urb"] = rng.normal(size=len(df))
    df["y"] = 0.05 * df["loc"] + 0.02 * df["urb"] + rng.normal(scale=0.3, size=firms)[df["firm_id"]] \
        + rng.normal(scale=0.1, size=len(df))
    one = estimate_agglomeration(df, "y", "loc", fe=("firm_id", "year"), cluster="region")
    two = estimate_agglomeration(df, "y", "loc", "urb", fe=("year",), cluster="region")
    table = regression_table({"firm FE": one, "year FE": two}, stars=True)
    cells = table.frame.set_index("term")
    assert cells.loc["loc", "firm FE"].rstrip("*") == f"{one.coef['loc']:.3f}"
    assert cells.loc["urb", "year FE"].rstrip("*") == f"{two.coef['urb']:.3f}"
    assert cells.loc["urb", "firm FE"] == ""
    assert cells.loc["N"].tolist() == [f"{one.nobs:,}", f"{two.nobs:,}"]
    assert cells.loc["FE: firm_id"].tolist() == ["yes", "no"] and cells.loc["FE: year"].tolist() == ["yes", "yes"]
    assert one.coef["loc"] == pytest.approx(0.05, abs=0.02)
