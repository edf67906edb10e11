"""Bilateral covariates from the bundled GeoNames tables (capital distance, contiguity, main language)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agrocluster.data.covariates import EARTH_RADIUS_KM, bilateral_covariates, fill_bilateral


def _pairs(*pairs: str) -> pd.DataFrame:
    ex, im = zip(*(p.split("-") for p in pairs))
    return bilateral_covariates(pd.Series(ex), pd.Series(im))


def test_capital_distances_match_great_circle_distances():
    # Great-circle distances between capitals (published capital coordinates, haversine on 6,371 km):
    # Paris–Berlin about 878 km, Bogotá–Quito about 730 km, Santiago–Buenos Aires about 1,140 km.
    out = _pairs("FRA-DEU", "COL-ECU", "CHL-ARG")
    np.testing.assert_allclose(out["distance"], [878, 730, 1140], rtol=0.02)
    assert _pairs("DEU-FRA")["distance"].iloc[0] == pytest.approx(out["distance"].iloc[0])


def test_haversine_hand_case_a_quarter_meridian():
    from agrocluster.data import covariates as geography

    # a point on the equator and the north pole are a quarter of a great circle apart
    lat1, lat2 = np.radians(0.0), np.radians(90.0)
    h = np.sin((lat2 - lat1) / 2) ** 2
    assert 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h)) == pytest.approx(np.pi * EARTH_RADIUS_KM / 2)
    assert geography.EARTH_RADIUS_KM == pytest.approx(6371.0, abs=0.01)  # agrocluster.geo: IUGG mean radius


def test_contiguity_and_main_language():
    out = _pairs("COL-ECU", "COL-USA", "COL-ESP", "FRA-DEU", "CHL-ARG")
    assert out["contiguity"].tolist() == [1.0, 0.0, 0.0, 1.0, 1.0]
    assert out["common_language"].tolist() == [1.0, 0.0, 1.0, 0.0, 1.0]


def test_unknown_country_gives_missing_covariates():
    out = _pairs("XXX-USA")
    assert out.isna().all(axis=None)


def test_fill_keeps_the_users_columns_and_adds_the_rest():
    flows = pd.DataFrame({"exporter": ["COL", "COL"], "importer": ["USA", "ECU"], "distance": [4000.0, 700.0]})
    filled, added = fill_bilateral(flows)
    assert added == ["contiguity", "common_language"]
    assert filled["distance"].tolist() == [4000.0, 700.0] and filled["contiguity"].tolist() == [0.0, 1.0]
    assert fill_bilateral(filled)[1] == []
