"""Tests of agrocluster.exports.product_space: RCA, presence, complexity, proximity, density, COI, COG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agrocluster.errors import DataContractError, EstimationError
from agrocluster.exports.product_space import revealed_comparative_advantage

SHARED_DATA = Path(__file__).parents[2] / "shared" / "data"


def _hand_table() -> pd.DataFrame:
    # 2 countries x 2 products; world total 100.
    return pd.DataFrame(
        {
            "c": ["A", "A", "B", "B"],
            "p": ["1", "2", "1", "2"],
            "x": [30.0, 10.0, 20.0, 40.0],
        }
    )


def test_rca_by_hand():
    out = revealed_comparative_advantage(_hand_table(), "c", "p", "x")
    # RCA_A1 = (30/40) / (50/100) = 1.5 ; RCA_A2 = (10/40)/(50/100) = 0.5
    # RCA_B1 = (20/60) / 0.5 = 2/3 ; RCA_B2 = (40/60) / 0.5 = 4/3
    np.testing.assert_allclose(out["rca"].to_numpy(), [1.5, 0.5, 2 / 3, 4 / 3], rtol=1e-15)
    assert list(out.columns) == ["c", "p", "x", "rca"]


def test_rca_by_year_uses_year_totals_and_keeps_index():
    a = _hand_table().assign(t=2000)
    b = _hand_table().assign(t=2001, x=lambda d: d["x"] * [1.0, 3.0, 1.0, 1.0])
    df = pd.concat([a, b]).set_axis(range(10, 18))
    out = revealed_comparative_advantage(df, "c", "p", "x", year="t")
    assert list(out.index) == list(range(10, 18))
    np.testing.assert_allclose(out["rca"].to_numpy()[:4], [1.5, 0.5, 2 / 3, 4 / 3])
    # 2001: A = (30, 30), B = (20, 40); world 120; product 1 = 50, product 2 = 70.
    np.testing.assert_allclose(out["rca"].to_numpy()[4:], [0.5 / (50 / 120), 0.5 / (70 / 120),
                                                          (20 / 60) / (50 / 120), (40 / 60) / (70 / 120)])


def test_rca_negative_value_names_row():
    df = _hand_table()
    df.loc[2, "x"] = -1.0
    with pytest.raises(DataContractError, match=r"'x' must be >= 0.*row 2 \(c='B', p='1'\)"):
        revealed_comparative_advantage(df, "c", "p", "x")


def test_rca_zero_country_and_empty_product_raise():
    df = _hand_table()
    df.loc[[0, 1], "x"] = 0.0
    with pytest.raises(EstimationError, match="country with zero total exports.*c='A'"):
        revealed_comparative_advantage(df, "c", "p", "x")
    df = _hand_table()
    df.loc[[1, 3], "x"] = 0.0
    with pytest.raises(EstimationError, match="product that no country exports.*p='2'"):
        revealed_comparative_advantage(df, "c", "p", "x")


def test_rca_missing_column_and_duplicates():
    with pytest.raises(DataContractError, match=r"\['value'\] not found"):
        revealed_comparative_advantage(_hand_table(), "c", "p", "value")
    df = pd.concat([_hand_table(), _hand_table().iloc[[0]]], ignore_index=True)
    with pytest.raises(DataContractError, match="more than one row per.*c='A', p='1'"):
        revealed_comparative_advantage(df, "c", "p", "x")
