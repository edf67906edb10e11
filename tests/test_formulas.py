"""Formulas from parameters are parsed by a grammar, never evaluated (issue 18, item 6)."""

from __future__ import annotations

from agrocluster.formulas import parse_formula


def test_accepts_the_field_syntax_and_rebuilds_it():
    parsed = parse_formula("y~np.log(x)+C(r):z+i(year,treat,ref=2004)|firm^year+ exp_year")
    assert parsed.text == "y ~ np.log(x) + C(r):z + i(year, treat, ref=2004) | firm^year + exp_year"
    assert parsed.response == "y" and parsed.regressor_columns == ["x", "r", "z", "year", "treat"]
    assert parsed.fixed_effects == [["firm", "year"], ["exp_year"]]
    assert parse_formula("log(value) ~ 0 + a*b").columns == ["value", "a", "b"]
