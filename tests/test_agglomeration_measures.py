"""Tests of the agglomeration measures: hand cases and brute-force O(n²) haversine loops."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agrocluster.agglomeration import (
    DEFAULT_BANDS,
    agglomeration_measures,
    band_column,
    distance_decay,
    diversity_measures,
    exporters_nearby,
    haversine_km,
    localisation_measures,
    market_access,
    urbanisation_measures,
)
from agrocluster.errors import DataContractError


def points(seed: int, n: int = 400, years=(2019, 2020)):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "firm_id": [f"f{i:04d}" for i in range(n)],
            "year": rng.choice(years, n),
            "region": rng.choice(["R1", "R2", "R3"], n),
            "sector": rng.choice(["0111", "0121", "1104"], n),
            "lat": rng.uniform(-35.0, -33.5, n),
            "lon": rng.uniform(-71.5, -70.0, n),
            "labour": rng.integers(0, 60, n).astype(float),
            "exports": rng.choice([0.0, 0.0, 5.0], n),
        }
    )


def brute(est, same_sector: bool, lo: float, hi: float, weight: np.ndarray, src=None):
    d = haversine_km(
        est["lat"].to_numpy()[:, None],
        est["lon"].to_numpy()[:, None],
        est["lat"].to_numpy()[None, :],
        est["lon"].to_numpy()[None, :],
    )
    same = est["year"].to_numpy()[:, None] == est["year"].to_numpy()[None, :]
    if same_sector:
        same &= est["sector"].to_numpy()[:, None] == est["sector"].to_numpy()[None, :]
    inb = (d <= hi) & ((d > lo) | (lo == 0))
    m = same & inb & ~np.eye(len(est), dtype=bool)
    if src is not None:
        m &= src[None, :]
    return (m * weight[None, :]).sum(axis=1)


def test_bands_equal_brute_force_haversine():
    est = points(1)
    out = localisation_measures(est)
    w = est["labour"].to_numpy()
    for lo, hi in DEFAULT_BANDS:
        np.testing.assert_allclose(out[band_column(lo, hi)], brute(est, True, lo, hi, w), rtol=1e-12)
        np.testing.assert_array_equal(
            out[band_column(lo, hi, "loc_est")], brute(est, True, lo, hi, np.ones(len(est)))
        )
    assert out[band_column(0, 10)].sum() > 0  # the test data has close own-sector neighbours


def test_co_located_establishments_count_in_first_band_but_not_self():
    est = pd.DataFrame(
        {
            "firm_id": ["a", "b", "c"],
            "year": 2020,
            "region": "R",
            "sector": "0111",
            "lat": [-33.0, -33.0, -33.0],
            "lon": [-70.0, -70.0, -70.2],
            "labour": [10.0, 20.0, 40.0],
        }
    )
    out = localisation_measures(est, bands=((0, 5), (5, 30)))
    # a and b share coordinates (d = 0); c is 0.2° of longitude away (≈ 18.6 km at 33°S)
    assert haversine_km(-33, -70, -33, -70.2) == pytest.approx(18.65, abs=0.05)
    assert out["loc_emp_0_5km"].tolist() == [20.0, 10.0, 0.0]
    assert out["loc_emp_5_30km"].tolist() == [40.0, 40.0, 30.0]
    assert out["loc_emp_region"].tolist() == [60.0, 50.0, 30.0]
    assert out["loc_est_region"].tolist() == [2, 2, 2]


def test_region_localisation_and_urbanisation_by_hand():
    est = pd.DataFrame(
        {
            "firm_id": list("abcde"),
            "year": [2020] * 4 + [2021],
            "region": ["N", "N", "N", "S", "N"],
            "sector": ["01", "01", "02", "01", "01"],
            "labour": [10.0, 5.0, 7.0, 3.0, 100.0],
        }
    )
    loc = localisation_measures(est)
    assert loc["loc_emp_region"].tolist() == [5.0, 10.0, 0.0, 0.0, 0.0]
    urb = urbanisation_measures(est, region_area_km2={"N": 10.0, "S": 2.0})
    assert urb["urb_emp_region"].tolist() == [12.0, 17.0, 15.0, 0.0, 0.0]
    np.testing.assert_allclose(urb["urb_density"], [1.2, 1.7, 1.5, 0.0, 0.0])
    assert "urb_emp_25km" not in urb.columns  # no coordinates
    with pytest.raises(DataContractError, match="no area for region"):
        urbanisation_measures(est, region_area_km2={"N": 10.0})


def test_urbanisation_radius_and_exporters_equal_brute_force():
    est = points(2)
    w = est["labour"].to_numpy()
    urb = urbanisation_measures(est, radius_km=20.0)
    np.testing.assert_allclose(urb["urb_emp_20km"], brute(est, False, 0, 20.0, w), rtol=1e-12)
    ex = exporters_nearby(est, radius_km=15.0)
    src = est["exports"].to_numpy() > 0
    np.testing.assert_array_equal(ex["n_exporters_15km"], brute(est, False, 0, 15.0, np.ones(len(est)), src))


def test_jacobs_diversity_by_hand():
    # region N: sectors A 10, B 30, C 10. For an A plant: other sectors B 30, C 10 → shares .75, .25 →
    # HHI .625 → 1.6. For B: A 10, C 10 → 2.0. Region S has one sector only → undefined (NaN).
    est = pd.DataFrame(
        {
            "firm_id": list("abcdef"),
            "year": 2020,
            "region": ["N", "N", "N", "N", "S", "S"],
            "sector": ["A", "A", "B", "C", "A", "A"],
            "labour": [4.0, 6.0, 30.0, 10.0, 1.0, 2.0],
        }
    )
    div = diversity_measures(est)["div_jacobs"].to_numpy()
    np.testing.assert_allclose(div[:4], [1.6, 1.6, 2.0, 1.6])
    assert np.isnan(div[4:]).all()


def test_market_access_equals_brute_force():
    est = points(3, n=120)
    out = market_access(est)
    xyz = np.column_stack(
        [
            np.cos(np.radians(est["lat"])) * np.cos(np.radians(est["lon"])),
            np.cos(np.radians(est["lat"])) * np.sin(np.radians(est["lon"])),
            np.sin(np.radians(est["lat"])),
        ]
    )
    expected = np.zeros(len(est))
    for i in range(len(est)):
        for r in est["region"].unique():
            m = (est["region"] == r).to_numpy() & (est["year"] == est["year"].iloc[i]).to_numpy()
            if r == est["region"].iloc[i] or not m.any():
                continue
            c = (xyz[m] * est["labour"].to_numpy()[m, None]).sum(axis=0)
            c /= np.linalg.norm(c)
            clat, clon = np.degrees(np.arcsin(c[2])), np.degrees(np.arctan2(c[1], c[0]))
            dist = max(haversine_km(est["lat"].iloc[i], est["lon"].iloc[i], clat, clon), 1.0)
            expected[i] += est["labour"].to_numpy()[m].sum() / dist
    np.testing.assert_allclose(out["ma_harris"], expected, rtol=1e-9)


def test_agglomeration_measures_appends_all_and_refuses_overwrite():
    est = points(4, n=150)
    full = agglomeration_measures(est)
    for c in [
        "loc_emp_region",
        "loc_emp_0_10km",
        "urb_emp_region",
        "urb_emp_25km",
        "div_jacobs",
        "ma_harris",
        "n_exporters_25km",
    ]:
        assert c in full.columns
    assert len(full) == len(est) and (full.index == est.index).all()
    with pytest.raises(DataContractError, match="already exist"):
        agglomeration_measures(full)


def test_measure_input_errors_name_the_culprit():
    est = points(5, n=20)
    with pytest.raises(DataContractError, match="'labour' must be >= 0"):
        localisation_measures(est.assign(labour=-1.0))
    with pytest.raises(DataContractError, match="duplicate firm_id × year"):
        localisation_measures(pd.concat([est, est.iloc[:1]]))
    with pytest.raises(DataContractError, match=r"column\(s\) \[.*sector.*\] not found"):
        localisation_measures(est.drop(columns="sector"))
    with pytest.raises(DataContractError, match="'lat'/'lon'"):
        localisation_measures(est.assign(lat=95.0))
    with pytest.raises(DataContractError, match="lower < upper"):
        localisation_measures(est, bands=((10, 5),))


def test_distance_decay_recovers_band_elasticities():
    # planted elasticities on log(1 + E_band): 0.08 (0-10 km), 0.04 (10-25), 0.0 (25-50)
    truth = np.array([0.08, 0.04, 0.0])
    cols = [band_column(lo, hi) for lo, hi in DEFAULT_BANDS]
    ests = []
    for seed in range(6):
        rng = np.random.default_rng(seed)
        nf, years = 300, 3
        rows = []
        for t in range(years):
            e = rng.lognormal(4, 1, (nf, 3))
            alpha = np.arange(nf) % 7 / 10
            ly = np.log1p(e) @ truth + alpha + rng.normal(0, 0.1, nf)
            rows.append(
                pd.DataFrame(
                    {
                        "firm_id": np.arange(nf).astype(str),
                        "year": t,
                        "region": np.arange(nf) % 30,
                        "y": np.exp(ly),
                        **{c: e[:, k] for k, c in enumerate(cols)},
                    }
                )
            )
        d = pd.concat(rows, ignore_index=True).assign(region=lambda x: x["region"].astype(str))
        res = distance_decay(d, "y", logs=True)
        ests.append(res.table()["coef"].to_numpy())
        tab = res.table()
        assert tab["band"].tolist() == ["0-10 km", "10-25 km", "25-50 km"]
        assert (tab["ci_low"] < tab["coef"]).all() and (tab["coef"] < tab["ci_high"]).all()
    np.testing.assert_allclose(np.mean(ests, axis=0), truth, atol=0.01)
    with pytest.raises(DataContractError, match="loc_emp_0_10km"):
        distance_decay(d.drop(columns=cols[0]), "y", logs=True)



def test_exporters_nearby_is_the_lagged_count_of_exports_firms():
    """One implementation: the measure column equals exports.firms.nearby_exporters at the same lag."""
    from agrocluster.exports.firms import nearby_exporters

    est = points(2).assign(year=2019)
    two_years = pd.concat([est, est.assign(year=2020)], ignore_index=True)
    same_year = exporters_nearby(two_years, radius_km=15.0)
    count = nearby_exporters(two_years, 15.0, lag=0)
    np.testing.assert_array_equal(same_year["n_exporters_15km"], count["n_nearby_exporters"].astype(int))
    lagged = exporters_nearby(two_years, radius_km=15.0, lag=1)["n_exporters_15km_lag1"]
    first = two_years["year"] == two_years["year"].min()
    assert lagged[first].isna().all()
    # the second year's firms see the first year's exporters, which sit at the same places
    np.testing.assert_array_equal(lagged[~first].to_numpy(), same_year.loc[first, "n_exporters_15km"].to_numpy())
