"""Tests of agrocluster.exports.firms: member export premium (LPM, probit AME, intensity) and spillovers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from agrocluster.errors import DataContractError, EstimationError
from agrocluster.exports.firms import export_participation, export_spillovers, nearby_exporters
from agrocluster.geo import EARTH_RADIUS_KM


def _premium_dgp(seed: int, n: int = 1000, b: float = 0.5, d_int: float = 0.1):
    """Probit participation with sector-year effects and a member shift b; intensity 0.3 + d_int * member."""
    rng = np.random.default_rng(seed)
    sector = rng.integers(0, 4, n).astype(str)
    year = rng.integers(2018, 2021, n)
    cell = pd.factorize(pd.Series(sector) + "|" + pd.Series(year).astype(str))[0]
    alpha = rng.normal(-0.4, 0.4, cell.max() + 1)[cell]
    member = rng.random(n) < 0.4
    exporter = alpha + b * member + rng.normal(size=n) > 0
    exports = np.where(exporter, rng.uniform(10, 100, n), 0.0)
    intensity = np.clip(0.3 + d_int * member + rng.normal(0, 0.05, n), 0.05, 1.0)
    output = np.where(exporter, exports / intensity, rng.uniform(10, 100, n))
    est = pd.DataFrame(
        {
            "firm_id": [f"f{i}" for i in range(n)],
            "year": year,
            "sector": sector,
            "cluster_member": member,
            "exports": exports,
            "output": output,
        }
    )
    true_ame = float(np.mean(norm.cdf(alpha + b) - norm.cdf(alpha)))
    return est, true_ame


def test_recovers_planted_member_premium_over_seeds():
    ames, lpms, ints, cover = [], [], [], 0
    truths = []
    for seed in range(4):
        est, true_ame = _premium_dgp(seed)
        r = export_participation(est)
        ames.append(r.probit_ame)
        lpms.append(r.lpm_effect)
        ints.append(r.intensity_effect)
        truths.append(true_ame)
        cover += abs(r.probit_ame - true_ame) < 1.96 * r.probit_ame_se
        assert r.n_probit == r.n_lpm == 1000
        assert r.excluded["n"].sum() == (est["exports"] == 0).sum()  # only non-exporters, for intensity
    assert np.mean(ames) == pytest.approx(np.mean(truths), abs=0.02)
    assert np.mean(lpms) == pytest.approx(np.mean(truths), abs=0.025)
    assert np.mean(ints) == pytest.approx(0.1, abs=0.005)
    assert cover >= 3
    # discriminates: with no true premium the estimates are near zero, far from the planted one
    est0, truth0 = _premium_dgp(9, b=0.0, d_int=0.0)
    r0 = export_participation(est0)
    assert truth0 == 0.0 and abs(r0.probit_ame) < 0.06 and abs(r0.intensity_effect) < 0.01


def test_participation_rates_and_perfect_prediction_cells_by_hand():
    # cell s1-2020: all export (dropped from the probit, kept in the LPM); cell s2-2020: mixed.
    est = pd.DataFrame(
        {
            "firm_id": list("abcdefgh"),
            "year": 2020,
            "sector": ["s1", "s1", "s1", "s2", "s2", "s2", "s2", "s3"],
            "cluster_member": [True, False, True, True, True, False, False, True],
            "exports": [5.0, 5.0, 5.0, 10.0, 0.0, 0.0, 4.0, 1.0],
            "output": [10.0, 10.0, 20.0, 20.0, 10.0, 10.0, 8.0, 2.0],
        }
    )
    r = export_participation(est)
    ex = r.excluded.set_index(["step", "reason"])["n"]
    assert ex[("lpm", "singleton sector-year cell")] == 1  # h alone in s3-2020
    assert ex[("probit", "sector-year cell without variation in export status")] == 3
    assert r.n_lpm == 7 and r.n_probit == 4
    # LPM within s2: members d, e export 1/2, others f, g 1/2; within s1 members 1, other 1 -> effect 0
    assert r.lpm_effect == pytest.approx(0.0, abs=1e-10)
    # raw participation over the 8 firms (members a c d e h: 4/5; others b f g: 2/3)
    assert r.participation_members == pytest.approx(4 / 5)
    assert r.participation_others == pytest.approx(2 / 3)
    # intensity among exporters: members a .5, c .25, d .5, h .5; others b .5, g .5
    assert r.intensity_members == pytest.approx((0.5 + 0.25 + 0.5 + 0.5) / 4)


def test_participation_bad_input():
    est, _ = _premium_dgp(0, n=200)
    dup = pd.concat([est, est.iloc[[3]]])
    with pytest.raises(DataContractError, match=r"more than one row per \(firm_id, year\) .*'f3'"):
        export_participation(dup)
    with pytest.raises(DataContractError, match="'cluster_member' must be boolean"):
        export_participation(est.assign(cluster_member=est["cluster_member"].map({True: "yes", False: "no"})))
    with pytest.raises(DataContractError, match=r"'exports' must be >= 0; negative in row 5"):
        export_participation(est.assign(exports=np.where(np.arange(200) == 5, -1.0, est["exports"])))
    constant = est.assign(cluster_member=est["sector"] == "1")
    with pytest.raises(EstimationError, match="'member' does not vary within any sector-year cell"):
        export_participation(constant)


def test_nearby_exporters_by_hand_and_against_haversine():
    # on the equator 0.05 deg of longitude = 5.56 km, 0.2 deg = 22.2 km
    est = pd.DataFrame(
        {
            "firm_id": ["a", "b", "c", "a", "b", "c"],
            "year": [2019, 2019, 2019, 2020, 2020, 2020],
            "lat": 0.0,
            "lon": [0.0, 0.05, 0.2, 0.0, 0.05, 0.2],
            "exports": [1.0, 2.0, 3.0, 0.0, 0.0, 5.0],
        }
    )
    t = nearby_exporters(est, radius_km=10, lag=1).set_index(["firm_id", "year"])
    assert not t.loc[("a", 2019), "has_neighbour_year"] and np.isnan(t.loc[("a", 2019), "n_nearby_firms"])
    assert t.loc[("a", 2020), "n_nearby_firms"] == 1 and t.loc[("a", 2020), "n_nearby_exporters"] == 1  # b, self out
    assert t.loc[("c", 2020), "n_nearby_firms"] == 0
    t0 = nearby_exporters(est, radius_km=10, lag=0).set_index(["firm_id", "year"])
    assert t0.loc[("a", 2020), "n_nearby_exporters"] == 0 and t0.loc[("b", 2020), "n_nearby_firms"] == 1
    # random points: the chord-based radius query equals a brute-force haversine count
    rng = np.random.default_rng(5)
    n = 300
    pts = pd.DataFrame({"firm_id": [f"f{i}" for i in range(n)], "year": 2020, "lat": rng.uniform(-34, -33, n),
                        "lon": rng.uniform(-71, -70, n), "exports": rng.uniform(0, 1, n) * (rng.random(n) < 0.5)})
    got = nearby_exporters(pts, radius_km=15, lag=0)
    la, lo = np.radians(pts["lat"].to_numpy()), np.radians(pts["lon"].to_numpy())
    h = (np.sin((la[:, None] - la[None, :]) / 2) ** 2
         + np.cos(la[:, None]) * np.cos(la[None, :]) * np.sin((lo[:, None] - lo[None, :]) / 2) ** 2)
    dist = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h))
    near = (dist <= 15) & ~np.eye(n, dtype=bool)
    np.testing.assert_array_equal(got["n_nearby_firms"], near.sum(axis=1))
    np.testing.assert_array_equal(got["n_nearby_exporters"], (near & (pts["exports"].to_numpy() > 0)[None, :]).sum(axis=1))


def _spillover_dgp(seed: int, beta: float, n: int = 1200):
    """Firms in a 0.4 x 0.4 degree box; 2019 exporters at random; 2020 export probability
    0.1 + beta * (exporters within 3 km in 2019, self excluded) + 0.05 * productivity."""
    rng = np.random.default_rng(seed)
    lat = rng.uniform(-35.2, -34.8, n)
    lon = rng.uniform(-71.2, -70.8, n)
    tfp = rng.normal(0, 1, n)
    ids = [f"f{i}" for i in range(n)]
    exp19 = np.where(rng.random(n) < 0.3, rng.uniform(1, 10, n), 0.0)
    y19 = pd.DataFrame({"firm_id": ids, "year": 2019, "lat": lat, "lon": lon, "exports": exp19, "tfp": tfp,
                        "sector": rng.choice(["a", "b"], n)})
    counts = nearby_exporters(pd.concat([y19, y19.assign(year=2020)]), radius_km=3, lag=1)
    k = counts.loc[counts["year"] == 2020, "n_nearby_exporters"].to_numpy()
    p = np.clip(0.1 + beta * k + 0.05 * tfp, 0, 1)
    exp20 = np.where(rng.random(n) < p, rng.uniform(1, 10, n), 0.0)
    return pd.concat([y19, y19.assign(year=2020, exports=exp20)], ignore_index=True), k


def test_recovers_planted_export_spillover_over_seeds():
    beta = 0.03
    effects, cover = [], 0
    for seed in range(4):
        est, k = _spillover_dgp(seed, beta)
        assert 0.1 + beta * k.max() + 0.15 < 1  # the linear probability stays inside [0, 1] mostly
        r = export_spillovers(est, radius_km=3, lag=1, productivity="tfp")
        effects.append(r.effect)
        cover += abs(r.effect - beta) < 1.96 * r.se
        assert r.nobs == 1200
        assert r.excluded.set_index("reason")["n"]["no year t-1 in the panel"] == 1200
        tfp = r.table().set_index("term").loc["tfp", "estimate"]
        assert tfp == pytest.approx(0.05, abs=0.03)
    assert np.mean(effects) == pytest.approx(beta, abs=0.006)
    assert cover >= 3
    est0, _ = _spillover_dgp(11, 0.0)
    assert abs(export_spillovers(est0, radius_km=3, productivity="tfp").effect) < 0.012


def test_spillovers_bad_input():
    est, _ = _spillover_dgp(0, 0.02, n=100)
    with pytest.raises(DataContractError, match=r"lat/lon out of range .*'f2'"):
        export_spillovers(est.assign(lat=np.where(np.arange(200) == 2, 95.0, est["lat"])), radius_km=5)
    with pytest.raises(EstimationError, match="radius_km=0 must be > 0"):
        export_spillovers(est, radius_km=0)
    with pytest.raises(DataContractError, match=r"column\(s\) \['tfp_missing'\] not found"):
        export_spillovers(est, productivity="tfp_missing")
