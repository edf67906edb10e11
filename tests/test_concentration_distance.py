"""Duranton–Overman Kd and Marcon–Puech M (agrocluster.concentration.distance)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from agrocluster.concentration import EARTH_RADIUS_KM, kdensity, m_function, silverman_bandwidth
from agrocluster.errors import DataContractError, EstimationError


def _haversine(lat, lon):
    """Textbook haversine formula, written independently of the library's chord formula."""
    p, lam = np.radians(lat)[:, None], np.radians(lon)[:, None]
    a = np.sin((p - p.T) / 2) ** 2 + np.cos(p) * np.cos(p.T) * np.sin((lam - lam.T) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def _sites(rng, n_sites=150, n_sector=20, clustered=False):
    """Sites spread uniformly on a ~110 x 90 km box; the sector's points are a random subset, or a tight
    planted cluster (sd about 2 km) when ``clustered``."""
    lat = rng.uniform(-34.0, -33.0, n_sites)
    lon = rng.uniform(-71.0, -70.0, n_sites)
    sector = np.array(["other"] * n_sites, dtype=object)
    pick = rng.choice(n_sites, n_sector, replace=False)
    sector[pick] = "wine"
    if clustered:
        lat[pick] = -33.5 + rng.normal(0, 0.02, n_sector)
        lon[pick] = -70.5 + rng.normal(0, 0.02, n_sector)
    return pd.DataFrame(
        {"firm_id": [f"f{i}" for i in range(n_sites)], "lat": lat, "lon": lon, "sector": sector}
    )


def test_kd_one_pair_by_hand():
    # Two wine plants 5.05 apart (a bin centre with h = 1: bins are 0.1 wide), two other sites.
    d = np.array([[0, 5.05, 9, 9], [5.05, 0, 9, 9], [9, 9, 0, 4], [9, 9, 4, 0]], dtype=float)
    pts = pd.DataFrame({"firm_id": list("abcd"), "sector": ["wine", "wine", "x", "x"]})
    res = kdensity(pts, "wine", distances=d, bandwidth=1.0, max_distance=10.0, n_grid=11, n_draws=19, seed=0)
    grid = np.arange(11.0)
    # one pair: Kd(d) = [φ((d − 5.05)/h) + φ((d + 5.05)/h)] / h (reflection at 0)
    expected = norm.pdf(grid - 5.05) + norm.pdf(grid + 5.05)
    np.testing.assert_allclose(res.table()["kd"], expected, rtol=1e-9, atol=1e-12)
    assert res.n_points == 2 and res.n_sites == 4


def test_kd_great_circle_matches_haversine_matrix():
    pts = _sites(np.random.default_rng(1), n_sites=60, n_sector=12)
    a = kdensity(pts, "wine", n_draws=49, seed=3)
    b = kdensity(
        pts, "wine", distances=_haversine(pts["lat"].to_numpy(), pts["lon"].to_numpy()), n_draws=49, seed=3
    )
    np.testing.assert_allclose(a.table().to_numpy(), b.table().to_numpy(), rtol=1e-6, atol=1e-9)
    # one degree of latitude is R·π/180 km
    one = _haversine(np.array([0.0, 1.0]), np.array([0.0, 0.0]))[0, 1]
    assert one == pytest.approx(EARTH_RADIUS_KM * np.pi / 180)


def test_silverman_rule_matches_bw_nrd0():
    d = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    sd, iqr = np.std(d, ddof=1), 8.0 - 2.0
    assert silverman_bandwidth(d) == pytest.approx(0.9 * min(sd, iqr / 1.34) * 5 ** (-0.2))


def test_kd_global_band_rate_under_random_location():
    """Under random location the observed curve leaves each DO global band in about 1 − level of
    datasets (5% per band at level 0.95); pointwise bands would be left far more often."""
    up = lo = 0
    reps = 40
    for rep in range(reps):
        res = kdensity(
            _sites(np.random.default_rng(100 + rep), n_sites=100, n_sector=15), "wine", n_draws=99, seed=rep
        )
        up += res.localised
        lo += bool(res.dispersed_ranges)
    assert up / reps <= 0.175 and lo / reps <= 0.175, (up, lo)
    assert (up + lo) / reps <= 0.25


def test_kd_detects_planted_cluster():
    for rep in range(5):
        res = kdensity(_sites(np.random.default_rng(rep), clustered=True), "wine", n_draws=99, seed=rep)
        assert res.localised
        start, end = res.localised_ranges[0]
        assert start == 0.0 and 3.0 < end < 20.0  # pairs within a ~2 km-sd cluster: a few km
        assert res.localisation_index > 0 and res.dispersion_index == 0
    assert list(res.table().columns) == ["distance", "kd", "lo", "hi"]
    assert res.summary()["localised"].iloc[0]


def test_kd_weights_and_seed():
    pts = _sites(np.random.default_rng(5), n_sites=80, n_sector=15).assign(labour=3.0)
    a = kdensity(pts, "wine", n_draws=29, seed=9)
    b = kdensity(pts, "wine", weights="labour", n_draws=29, seed=9)
    np.testing.assert_allclose(a.table()["kd"], b.table()["kd"])  # equal weights = count Kd
    np.testing.assert_allclose(a.table()["hi"], b.table()["hi"])
    pts.loc[pts.sector == "wine", "labour"] = np.arange(15.0) + 1
    c = kdensity(pts, "wine", weights="labour", n_draws=29, seed=9)
    assert c.weighted and not np.allclose(c.table()["kd"], a.table()["kd"])
    pd.testing.assert_frame_equal(
        c.table(), kdensity(pts, "wine", weights="labour", n_draws=29, seed=9).table()
    )


def test_m_by_hand():
    # S = {0, 1}; d01 = 1, d02 = 2, d03 = 3, d12 = 3, d13 = 2, d23 = 1.
    d = np.array([[0, 1, 2, 3], [1, 0, 3, 2], [2, 3, 0, 1], [3, 2, 1, 0]], dtype=float)
    pts = pd.DataFrame({"firm_id": list("abcd"), "sector": ["wine", "wine", "x", "x"]})
    res = m_function(pts, "wine", distances=d, radii=[1.5, 2.5, 3.5], n_draws=19, seed=0)
    # reference ratio (W_S − 1)/(W − 1) = 1/3 for each point
    # r = 1.5: each wine point sees only the other -> (1 + 1) / (2/3) = 3
    # r = 2.5: each sees one wine, one other -> (1/2 + 1/2) / (2/3) = 1.5; r = 3.5: everything -> 1
    np.testing.assert_allclose(res.table()["m"], [3.0, 1.5, 1.0])
    assert res.undefined_draws == 0


def test_m_detects_planted_cluster_and_not_random():
    clustered = m_function(_sites(np.random.default_rng(2), clustered=True), "wine", n_draws=49, seed=1)
    assert (
        clustered.localised_ranges
        and clustered.localised_ranges[0][0] == clustered.table()["distance"].iloc[0]
    )
    assert clustered.summary()["max_m"].iloc[0] > 2
    left = 0
    for rep in range(10):
        res = m_function(_sites(np.random.default_rng(300 + rep)), "wine", n_draws=49, seed=rep)
        left += bool(res.localised_ranges)
    assert left <= 3


def test_distance_bad_inputs_name_the_culprit():
    pts = _sites(np.random.default_rng(0), n_sites=30, n_sector=5)
    holes = pts.copy()
    holes.loc[[3, 7], "lat"] = np.nan
    with pytest.raises(DataContractError, match="missing coordinates.*firm_id f3, f7"):
        kdensity(holes, "wine", n_draws=19)
    with pytest.raises(DataContractError, match="outside"):
        kdensity(pts.assign(lat=pts["lat"] * 10), "wine", n_draws=19)
    single = pts.assign(sector="other")
    single.loc[0, "sector"] = "wine"
    with pytest.raises(EstimationError, match="single establishment"):
        kdensity(single, "wine", n_draws=19)
    with pytest.raises(EstimationError, match="single establishment"):
        m_function(single, "wine", n_draws=19)
    with pytest.raises(DataContractError, match="empty sector.*'coffee'"):
        kdensity(pts, "coffee", n_draws=19)
    with pytest.raises(EstimationError, match="every site belongs"):
        kdensity(pts.assign(sector="wine"), "wine", n_draws=19)
    with pytest.raises(DataContractError, match="filter one year"):
        kdensity(pd.concat([pts.assign(year=2020), pts.assign(year=2021)]), "wine", n_draws=19)
    asym = np.ones((30, 30)) - np.eye(30)
    asym[0, 1] = 5.0
    with pytest.raises(DataContractError, match="not symmetric"):
        kdensity(pts, "wine", distances=asym, n_draws=19)
    with pytest.raises(DataContractError, match="30 x 30"):
        kdensity(pts, "wine", distances=np.ones((3, 3)), n_draws=19)
    with pytest.raises(DataContractError, match="'labour' is negative"):
        kdensity(pts.assign(labour=-1.0), "wine", weights="labour", n_draws=19)


def test_kd_pair_weights_product_as_dbmss_and_sum_as_duranton_overman():
    """Issue 11 item 8: three plants, weights 1, 2, 4; pair weights w_i·w_j (dbmss Kemp, default) or
    w_i + w_j (Duranton & Overman 2005, K_emp). Kd is the weighted mix of the three pair kernels."""
    d = np.array([[0, 2.05, 6.05, 9], [2.05, 0, 4.05, 9], [6.05, 4.05, 0, 9], [9, 9, 9, 0]], dtype=float)
    pts = pd.DataFrame({"firm_id": list("abcd"), "sector": ["wine"] * 3 + ["x"], "emp": [1.0, 2.0, 4.0, 1.0]})
    grid = np.arange(11.0)
    kern = [norm.pdf(grid - dij) + norm.pdf(grid + dij) for dij in (2.05, 6.05, 4.05)]  # pairs ab, ac, bc
    for how, omega in (("product", [2.0, 4.0, 8.0]), ("sum", [3.0, 5.0, 6.0])):
        res = kdensity(pts, "wine", distances=d, weights="emp", pair_weight=how, bandwidth=1.0,
                       max_distance=10.0, n_grid=11, n_draws=19, seed=0)
        expected = sum(o * k for o, k in zip(omega, kern)) / sum(omega)
        np.testing.assert_allclose(res.table()["kd"], expected, rtol=1e-9, atol=1e-12)
    with pytest.raises(DataContractError, match="pair_weight"):
        kdensity(pts, "wine", distances=d, weights="emp", pair_weight="max", n_draws=19)
