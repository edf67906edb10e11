"""Specialisation indices, LQ intervals and shift-share (agrocluster.concentration.specialisation)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agrocluster.concentration import (
    diversity,
    gini,
    hoover_curve,
    hoover_index,
    krugman_index,
    location_quotient,
    locational_gini,
    lorenz_curve,
    shift_share,
)
from agrocluster.errors import DataContractError, EstimationError


@pytest.fixture
def small() -> pd.DataFrame:
    # A: x=10, y=30 (40); B: x=20, y=20 (40); C: y=20 (20). Total 100; x = 30, y = 70.
    return pd.DataFrame(
        {
            "region": ["A", "A", "B", "B", "C"],
            "sector": ["x", "y", "x", "y", "y"],
            "employment": [10.0, 30.0, 20.0, 20.0, 20.0],
        }
    )


def _get(df: pd.DataFrame, col: str, **keys) -> float:
    mask = np.ones(len(df), dtype=bool)
    for k, v in keys.items():
        mask &= (df[k] == v).to_numpy()
    assert mask.sum() == 1
    return float(df.loc[mask, col].iloc[0])


def test_lq_by_hand(small):
    out = location_quotient(small)
    assert list(out.columns) == ["region", "sector", "lq"]
    assert _get(out, "lq", region="A", sector="x") == pytest.approx((10 / 40) / (30 / 100))  # 0.8333
    assert _get(out, "lq", region="A", sector="y") == pytest.approx((30 / 40) / (70 / 100))  # 1.0714
    assert _get(out, "lq", region="B", sector="x") == pytest.approx((20 / 40) / (30 / 100))  # 1.6667
    assert _get(out, "lq", region="C", sector="y") == pytest.approx((20 / 20) / (70 / 100))  # 1.4286


def test_lq_keeps_caller_column_names_and_years(small):
    renamed = small.rename(columns={"region": "county", "sector": "isic", "employment": "jobs"})
    two = pd.concat(
        [renamed.assign(yr=2020), renamed.assign(yr=2021, jobs=renamed["jobs"] * [2, 1, 1, 1, 1])]
    )
    out = location_quotient(two, region="county", sector="isic", value="jobs", year="yr")
    assert list(out.columns) == ["yr", "county", "isic", "lq"]
    # 2021: A has x=20, y=30 (50); total 110, x total 40.
    assert _get(out, "lq", yr=2021, county="A", isic="x") == pytest.approx((20 / 50) / (40 / 110))
    assert _get(out, "lq", yr=2020, county="A", isic="x") == pytest.approx((10 / 40) / (30 / 100))


def test_lq_traded_base_uses_traded_employment():
    df = pd.DataFrame(
        {
            "region": ["A", "A", "A", "B", "B", "B"],
            "sector": ["wine", "fruit", "retail", "wine", "fruit", "retail"],
            "employment": [30.0, 10.0, 60.0, 10.0, 30.0, 10.0],
            "is_traded": [True, True, False, True, True, False],
        }
    )
    out = location_quotient(df, base="traded", traded="is_traded")
    # traded: A = 40, B = 40, national 80; wine national 40 -> LQ(A, wine) = (30/40)/(40/80) = 1.5
    assert _get(out, "lq", region="A", sector="wine") == pytest.approx(1.5)
    # local sector against local employment only: retail is the only local sector -> LQ = 1
    assert _get(out, "lq", region="B", sector="retail") == pytest.approx(1.0)
    same = location_quotient(df, base="traded", traded={"wine", "fruit"})
    assert np.allclose(same["lq"], out["lq"])
    # with total employment as base the answer differs: (30/100)/(40/150)
    assert _get(location_quotient(df), "lq", region="A", sector="wine") == pytest.approx(0.3 / (40 / 150))


def _lq_world(rng, planted_lambda):
    regions, sectors = [f"r{i}" for i in range(12)], ["wine", "a", "b", "c"]
    size = rng.uniform(5_000, 20_000, len(regions))
    share = np.array([0.02, 0.3, 0.3, 0.38])
    lam = np.outer(size, share)
    lam[0, 0] = planted_lambda
    true_lq = (lam / lam.sum(1, keepdims=True)) / (lam.sum(0) / lam.sum())
    return regions, sectors, lam, true_lq


@pytest.mark.parametrize("interval,reps", [("poisson", 300), ("bootstrap", 150)])
def test_lq_interval_coverage(interval, reps):
    """Coverage of the true LQ of a small planted cell (about 40 jobs) over independent datasets, stacked
    as 'years' so one call computes them all (the LQ is computed per year)."""
    rng = np.random.default_rng(11)
    regions, sectors, lam, true_lq = _lq_world(rng, planted_lambda=40.0)
    e = rng.poisson(np.broadcast_to(lam, (reps, *lam.shape))).astype(float)
    df = pd.DataFrame(
        {
            "year": np.repeat(np.arange(reps), lam.size),
            "region": np.tile(np.repeat(regions, 4), reps),
            "sector": np.tile(sectors, 12 * reps),
            "employment": e.ravel(),
        }
    )
    out = location_quotient(df, interval=interval, n_boot=199, seed=5)
    cell = out[(out.region == "r0") & (out.sector == "wine")]
    assert len(cell) == reps
    coverage = np.mean((cell.lq_lo <= true_lq[0, 0]) & (true_lq[0, 0] <= cell.lq_hi))
    se = np.sqrt(0.95 * 0.05 / reps)
    assert abs(coverage - 0.95) < 3.5 * se + 0.01, coverage


def test_lq_bootstrap_is_seeded(small):
    a = location_quotient(small, interval="bootstrap", n_boot=50, seed=3)
    b = location_quotient(small, interval="bootstrap", n_boot=50, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert (a["boot_defined"] == 50).all()


def test_hoover_krugman_diversity_by_hand(small):
    h = hoover_index(small).set_index("sector")["hoover"]
    # x: shares (1/3, 2/3, 0) vs employment shares (.4, .4, .2): ½(|1/3-.4| + |2/3-.4| + |0-.2|)
    assert h["x"] == pytest.approx(0.5 * (1 / 15 + 4 / 15 + 0.2))
    k = krugman_index(small).set_index("region")["krugman"]
    # A: (.25, .75) against rest B+C (20/60, 40/60)
    assert k["A"] == pytest.approx(abs(0.25 - 1 / 3) + abs(0.75 - 2 / 3))
    d = diversity(small).set_index("region")
    assert d.loc["A", "herfindahl"] == pytest.approx(0.25**2 + 0.75**2)
    assert d.loc["A", "entropy"] == pytest.approx(-(0.25 * np.log(0.25) + 0.75 * np.log(0.75)))
    assert d.loc["C", "herfindahl"] == pytest.approx(1.0)
    assert d.loc["C", "n_sectors"] == 1


def test_gini_and_locational_gini_by_hand(small):
    g = gini(small).set_index("sector")["gini"]
    # x across regions (10, 20, 0): Σ_i Σ_j |e_i - e_j| = 80, / (2 · 3² · 10)
    assert g["x"] == pytest.approx(80 / (2 * 9 * 10))
    lg = locational_gini(small).set_index("sector")["locational_gini"]
    # order by LQ: C (0), A (.833), B (1.667); X = 0,.2,.6,1; Y = 0,0,1/3,1
    assert lg["x"] == pytest.approx(1 - (0.2 * 0 + 0.4 * (1 / 3) + 0.4 * (1 / 3 + 1)))


def test_curves_match_indices(small):
    curve = hoover_curve(small, "x")
    assert curve["region"].iloc[1:].tolist() == ["C", "A", "B"]
    gap = (curve["cum_reference"] - curve["cum_sector"]).max()
    assert gap == pytest.approx(hoover_index(small).set_index("sector").loc["x", "hoover"])
    lc = lorenz_curve(small, "y", reference="regions")
    x, y = lc["cum_reference"].to_numpy(), lc["cum_sector"].to_numpy()
    assert 1 - np.sum(np.diff(x) * (y[1:] + y[:-1])) == pytest.approx(
        gini(small).set_index("sector").loc["y", "gini"]
    )
    with pytest.raises(DataContractError, match="'nope'"):
        lorenz_curve(small, "nope")


def test_planted_cluster_has_top_lq_and_concentration():
    hits = 0
    for seed in range(10):
        rng = np.random.default_rng(seed)
        regions, sectors, lam, true_lq = _lq_world(rng, planted_lambda=1_500.0)
        e = rng.poisson(lam).astype(float)
        df = pd.DataFrame(
            {"region": np.repeat(regions, 4), "sector": np.tile(sectors, 12), "employment": e.ravel()}
        )
        wine = location_quotient(df).query("sector == 'wine'").set_index("region")["lq"]
        hits += wine.idxmax() == "r0" and abs(wine["r0"] / true_lq[0, 0] - 1) < 0.15
    assert hits == 10
    assert hoover_index(df).set_index("sector")["hoover"].idxmax() == "wine"


def test_shift_share_by_hand():
    df = pd.DataFrame(
        {
            "region": ["R1", "R1", "R2", "R2"] * 2,
            "sector": ["a", "b", "a", "b"] * 2,
            "year": [2010] * 4 + [2015] * 4,
            "employment": [100.0, 50.0, 100.0, 150.0, 120.0, 50.0, 100.0, 180.0],
        }
    )
    res = shift_share(df, "R1", 2010, 2015)
    t = res.table().set_index("sector")
    # national growth g = 450/400 - 1 = .125; g_a = .1, g_b = .15
    assert t.loc["a", "national_growth"] == pytest.approx(100 * 0.125)
    assert t.loc["a", "industry_mix"] == pytest.approx(100 * (0.1 - 0.125))
    assert t.loc["a", "competitive"] == pytest.approx(120 - 100 * 1.1)
    assert t.loc["b", "competitive"] == pytest.approx(50 - 50 * 1.15)
    assert res.change == pytest.approx(20.0)
    assert res.national_growth + res.industry_mix + res.competitive == pytest.approx(res.change)
    assert res.summary().loc["competitive", "jobs"] == pytest.approx(10 - 7.5)


def test_bad_inputs_name_the_culprit(small):
    neg = small.assign(employment=[10.0, -1.0, 20.0, 20.0, 20.0])
    with pytest.raises(DataContractError, match="'employment' is negative.*index 1"):
        location_quotient(neg)
    zero_region = pd.concat([small, pd.DataFrame({"region": ["D"], "sector": ["x"], "employment": [0.0]})])
    with pytest.raises(EstimationError, match="region with zero employment.*'D'"):
        location_quotient(zero_region)
    with pytest.raises(EstimationError, match="region with zero employment.*'D'"):
        hoover_index(zero_region)
    empty_sector = pd.concat([small, pd.DataFrame({"region": ["A"], "sector": ["z"], "employment": [0.0]})])
    with pytest.raises(EstimationError, match="empty sector.*'z'"):
        location_quotient(empty_sector)
    with pytest.raises(EstimationError, match="empty sector.*'z'"):
        gini(empty_sector)
    with pytest.raises(DataContractError, match=r"lacks column\(s\) \['employment'\]"):
        location_quotient(small.drop(columns="employment"))
    with pytest.raises(DataContractError, match="'region' is missing"):
        location_quotient(small.assign(region=["A", None, "B", "B", "C"]))
    with pytest.raises(DataContractError, match="interval must be"):
        location_quotient(small, interval="wald")
    with pytest.raises(DataContractError, match="needs traded="):
        location_quotient(small, base="traded")
    with pytest.raises(DataContractError, match="year 2030"):
        shift_share(small.assign(year=2020), "A", 2020, 2030)


def test_krugman_and_locational_gini_other_package_conventions(small):
    """Issue 11 item 8: REAT krugman.spec2 (rest of the country, default) vs EconGeo krugman_index (nation
    including the region); the Gini-scale locational Gini (default) vs EconGeo's half scale."""
    k = krugman_index(small, reference="nation").set_index("region")["krugman"]
    # A: (.25, .75) against the nation (x 30/100, y 70/100), as EconGeo's rowSums(|share - colSums/sum|)
    assert k["A"] == pytest.approx(abs(0.25 - 0.3) + abs(0.75 - 0.7))
    assert k["A"] < krugman_index(small).set_index("region")["krugman"]["A"]
    full = locational_gini(small).set_index("sector")["locational_gini"]
    half = locational_gini(small, scale="half").set_index("sector")["locational_gini"]
    np.testing.assert_allclose(half.to_numpy(), full.to_numpy() / 2)
    with pytest.raises(DataContractError, match="reference"):
        krugman_index(small, reference="world")
    with pytest.raises(DataContractError, match="scale"):
        locational_gini(small, scale="double")
