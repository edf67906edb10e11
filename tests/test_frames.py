"""Shared table helpers: comparing code columns without converting them."""

import numpy as np
import pandas as pd

from agrocluster._frames import code_equals


def test_code_equals_is_astype_str_equality_without_the_conversion():
    cases = [pd.Series(["CHL", "ARG", None, "CHL"], dtype="string[pyarrow]"),
             pd.Series(["2655", "2620", "2655"], dtype="string"),
             pd.Series([2655, 2620, 2655]),
             pd.Series(["2655", 2655, None], dtype=object)]
    for values in cases:
        for code in ("CHL", "2655", 2655):
            expected = (values.astype(str) == str(code)).to_numpy(dtype=bool) & values.notna().to_numpy()
            got = code_equals(values, code)
            assert got.dtype == bool and got.shape == (len(values),)
            np.testing.assert_array_equal(got, expected)
