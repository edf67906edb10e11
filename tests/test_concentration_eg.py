"""Ellison–Glaeser agglomeration and coagglomeration (agrocluster.concentration.ellison_glaeser).

Published check: no worked example with its data was reachable (REAT's ``FK2014_EGC`` 42-firm data from
Farhauer & Kroell 2014 ships only as a binary .rda, and REAT's ``ellison.c`` example value 12.07 comes
from an aggregation that sums region shares over industries, not EG's eq. for γ^c). The checks are
therefore (a) hand arithmetic written out below and (b) EG 1997 (JPE 105(5)) Proposition 1: under their
spillover model E[γ̂] = γ, verified by simulation across many draws.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agrocluster.concentration import coagglomeration, ellison_glaeser
from agrocluster.errors import DataContractError, EstimationError, ParamsError


def _plants(rows):
    return pd.DataFrame(rows, columns=["firm_id", "region", "sector", "employment"])


@pytest.fixture
def hand():
    # s: 6, 2 in R1 and 2 in R2; t: 3 in R1, 1 in R2; u: one plant of 10 in R2. Total 24: R1 = 11, R2 = 13.
    return _plants(
        [
            ("p1", "R1", "s", 6.0),
            ("p2", "R1", "s", 2.0),
            ("p3", "R2", "s", 2.0),
            ("p4", "R1", "t", 3.0),
            ("p5", "R2", "t", 1.0),
            ("p6", "R2", "u", 10.0),
        ]
    )


def test_eg_by_hand(hand):
    out = ellison_glaeser(hand, sectors=["s", "t"])
    x = np.array([11 / 24, 13 / 24])
    one_minus = 1 - (x**2).sum()  # 286/576
    # s: shares (.8, .2); G = 2 · (.8 - 11/24)²; H = .6² + .2² + .2²
    g_s, h_s = 2 * (0.8 - 11 / 24) ** 2, 0.36 + 0.04 + 0.04
    assert out.loc["s", "G"] == pytest.approx(g_s)
    assert out.loc["s", "H"] == pytest.approx(h_s)
    assert out.loc["s", "gamma"] == pytest.approx(
        (g_s - one_minus * h_s) / (one_minus * (1 - h_s))
    )  # 0.05395
    assert out.loc["s", "gamma"] == pytest.approx(0.053946, abs=1e-6)
    assert out.loc["t", "gamma"] == pytest.approx(-0.752914, abs=1e-6)
    assert list(out.index) == ["s", "t"] and out.index.name == "sector"
    assert out.loc["s", "n_plants"] == 3


def test_coagglomeration_by_hand(hand):
    res = coagglomeration(hand, ("s", "t"))
    one_minus = 286 / 576
    g_pool = 2 * (11 / 14 - 11 / 24) ** 2  # pooled s+t: R1 = 11 of 14
    h_pool = (36 + 4 + 4 + 9 + 1) / 196
    w = np.array([10 / 14, 4 / 14])
    gam, h = np.array([0.053946, -0.752914]), np.array([0.44, 0.625])
    expected = (g_pool / one_minus - h_pool - np.sum(gam * w**2 * (1 - h))) / (1 - np.sum(w**2))
    assert res.gamma_c == pytest.approx(expected, abs=1e-5)  # 0.4014
    assert res.gamma_c == pytest.approx(0.4014, abs=1e-4)
    assert res.table().loc["s", "weight"] == pytest.approx(10 / 14)
    assert res.summary()["gamma_c"].iloc[0] == pytest.approx(res.gamma_c)


def _eg_world(rng, gamma, n_plants=60, n_regions=20):
    """EG (1997) spillover model: a sector-wide anchor region u ~ x; each plant goes to u with
    probability √γ, else to a region drawn from x. Then P(two plants share a region) = γ + (1 − γ)Σx²
    and each plant's marginal location is x, so E[γ̂] = γ (EG Prop. 1). Large 'other' plants fix x."""
    x = np.linspace(1, 3, n_regions)
    x /= x.sum()
    regions = [f"r{i:02d}" for i in range(n_regions)]
    anchor = rng.choice(n_regions, p=x)
    at_anchor = rng.random(n_plants) < np.sqrt(gamma)
    loc = np.where(at_anchor, anchor, rng.choice(n_regions, size=n_plants, p=x))
    sector = pd.DataFrame(
        {
            "firm_id": [f"w{i}" for i in range(n_plants)],
            "region": [regions[i] for i in loc],
            "sector": "wine",
            "employment": rng.integers(1, 30, n_plants).astype(float),
        }
    )
    other = pd.DataFrame(
        {
            "firm_id": [f"o{i}" for i in range(n_regions)],
            "region": regions,
            "sector": "other",
            "employment": x * 1e7,
        }
    )
    return pd.concat([sector, other], ignore_index=True)


@pytest.mark.parametrize("gamma", [0.0, 0.05, 0.2])
def test_eg_recovers_planted_gamma(gamma):
    rng = np.random.default_rng(2024)
    est = np.array(
        [ellison_glaeser(_eg_world(rng, gamma), sectors=["wine"]).loc["wine", "gamma"] for _ in range(80)]
    )
    se = est.std(ddof=1) / np.sqrt(len(est))
    assert abs(est.mean() - gamma) < 3 * se, (est.mean(), se)


def test_eg_simulated_null_calibrated_and_powerful():
    rng = np.random.default_rng(7)
    p_null = [
        ellison_glaeser(_eg_world(rng, 0.0), sectors=["wine"], simulate=99, seed=i, null="given_rest").loc["wine", "gamma_p"]
        for i in range(60)
    ]
    # Under random location the p-value is (nearly) uniform: about 10% below 0.10.
    assert 0.0 <= np.mean(np.array(p_null) <= 0.10) <= 0.25
    assert 0.35 <= np.mean(p_null) <= 0.65
    p_alt = [
        ellison_glaeser(_eg_world(rng, 0.3), sectors=["wine"], simulate=99, seed=i, null="given_rest").loc["wine", "gamma_p"]
        for i in range(20)
    ]
    assert np.mean(np.array(p_alt) <= 0.05) >= 0.8
    world = _eg_world(rng, 0.0)
    out = ellison_glaeser(world, sectors=["wine"], simulate=199, seed=5, null="given_rest")
    pd.testing.assert_frame_equal(out, ellison_glaeser(world, sectors=["wine"], simulate=199, seed=5, null="given_rest"))
    with pytest.raises(ParamsError, match="null must be one of"):
        ellison_glaeser(world, simulate=9, null="dartboard")
    assert out.loc["wine", "gamma_null_lo"] < 0 < out.loc["wine", "gamma_null_hi"]


def test_eg_bad_inputs_name_the_culprit(hand):
    with pytest.raises(EstimationError, match="'u' has a single establishment"):
        ellison_glaeser(hand)
    with pytest.raises(DataContractError, match="empty sector: no plant has sector='wine'"):
        ellison_glaeser(hand, sectors=["wine"])
    zero = hand.assign(employment=[0.0, 0.0, 0.0, 3.0, 1.0, 10.0])
    with pytest.raises(EstimationError, match="empty sector.*'s' has zero total employment"):
        ellison_glaeser(zero, sectors=["s"])
    neg = hand.assign(employment=[6.0, -2.0, 2.0, 3.0, 1.0, 10.0])
    with pytest.raises(DataContractError, match="'employment' is negative.*firm_id p2"):
        ellison_glaeser(neg, sectors=["s"])
    with pytest.raises(DataContractError, match="'region' is missing.*firm_id p3"):
        ellison_glaeser(hand.assign(region=["R1", "R1", None, "R1", "R2", "R2"]), sectors=["s"])
    with pytest.raises(EstimationError, match="at least two regions"):
        ellison_glaeser(hand.assign(region="R1"), sectors=["s"])
    with pytest.raises(DataContractError, match="two or more distinct sectors"):
        coagglomeration(hand, ("s",))


def _null_economy(rng, n_regions=15, n_other=700, n_large=300, n_small=40):
    """A true null of random location: every plant, of 'other', 'large' (30 % of the plants, a cluster's own
    sector) and 'small' (40 plants), lands in region r with the same probability p_r, whatever its size, so
    the aggregate x is itself a finite sample (700 other plants), as in data."""
    n = n_other + n_large + n_small
    p = rng.dirichlet(np.full(n_regions, 2.0))
    return pd.DataFrame(
        {
            "firm_id": [f"p{i}" for i in range(n)],
            "region": rng.choice(n_regions, size=n, p=p).astype(str),
            "sector": ["other"] * n_other + ["large"] * n_large + ["small"] * n_small,
            "employment": np.round(rng.lognormal(2.0, 1.0, n)) + 1.0,
        }
    )


def test_eg_test_size_near_5_percent_for_small_and_large_sectors():
    """Issue 11 item 5: under a true null the simulated test rejects about 5 % of the time at the 5 % level
    for a small sector and for one with 30 % of the plants (holding x fixed, which contains the sector,
    rejected almost never for the large one; holding the other plants fixed and drawing the sector against
    their shares ignored the sampling noise of x and rejected 7–8 % in the generator's worlds). 300
    economies; tolerance three Monte Carlo SEs (1.3 points)."""
    rng = np.random.default_rng(97)
    reps = 300
    p = np.array([
        ellison_glaeser(_null_economy(rng), sectors=["large", "small"], simulate=99, seed=i)["gamma_p"].to_numpy()
        for i in range(reps)
    ])
    rates = (p <= 0.05).mean(axis=0)
    mcse = np.sqrt(0.05 * 0.95 / reps)
    assert np.all(np.abs(rates - 0.05) < 3 * mcse), rates
    clustered = _null_economy(rng)
    small = clustered["sector"] == "small"
    clustered.loc[small, "region"] = np.where(np.arange(small.sum()) % 2 == 0, "0", "1")
    assert ellison_glaeser(clustered, sectors=["small"], simulate=99, seed=1).loc["small", "gamma_p"] <= 0.05
