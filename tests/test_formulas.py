"""Formulas from parameters are parsed by a grammar, never evaluated (issue 18, item 6)."""

from __future__ import annotations

import pandas as pd
import pytest

from agrocluster import params as params_module
from agrocluster.errors import FormulaError, ParamsError
from agrocluster.exports import gravity
from agrocluster.formulas import parse_formula


def test_accepts_the_field_syntax_and_rebuilds_it():
    parsed = parse_formula("y~np.log(x)+C(r):z+i(year,treat,ref=2004)|firm^year+ exp_year")
    assert parsed.text == "y ~ np.log(x) + C(r):z + i(year, treat, ref=2004) | firm^year + exp_year"
    assert parsed.response == "y" and parsed.regressor_columns == ["x", "r", "z", "year", "treat"]
    assert parsed.fixed_effects == [["firm", "year"], ["exp_year"]]
    assert parse_formula("log(value) ~ 0 + a*b").columns == ["value", "a", "b"]


@pytest.mark.parametrize("text, offending", [
    ("y ~ __import__('os').system('id')", "__import__"),
    ("y ~ x + chr(95)", "chr"),
    ("y ~ I(x**2)", "I"),
    ("y ~ x; import os", ";"),
    ("y ~ x.__class__", "."),
    ("y ~ np.system(x)", "np.system"),
    ("y ~ x | fe | z", "|"),
    ("y ~ x + ", "the end"),
    ("y ~ i(x, ref=os.getcwd())", "os"),
])
def test_refuses_anything_else_and_names_the_token(text, offending):
    with pytest.raises(FormulaError, match="exports.gravity_formula") as info:
        parse_formula(text, where="exports.gravity_formula")
    assert repr(offending)[1:-1] in str(info.value)


def test_a_hostile_formula_in_params_is_refused_before_any_run(project):
    with pytest.raises(ParamsError, match="gravity_formula"):
        params_module.load("chile_wine", {"exports.gravity_formula": "value ~ x + eval(chr(49))"})


def test_gravity_refuses_a_formula_outside_the_grammar_before_pyfixest():
    flows = pd.DataFrame({"value": [1.0, 2.0], "x": [0.1, 0.2]})
    with pytest.raises(FormulaError, match="not an allowed transform"):
        gravity(flows, "value ~ x + exec(x)")
