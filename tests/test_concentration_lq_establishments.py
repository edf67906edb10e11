"""LQ interval from resampling establishments (issue 12 item 1): coverage of the expected LQ when
employment comes in plants of unequal size, hand cases, and the Poisson interval's failure there."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agrocluster.concentration import location_quotient
from agrocluster.errors import DataContractError

REGIONS, SECTORS = 6, 4


def _plant_worlds(n_worlds: int, seed: int, per_region: int = 120, sigma: float = 1.0):
    """``n_worlds`` independent economies stacked as 'years' (the LQ is computed per year).

    Region r has ``per_region`` plants; a plant's sector is drawn with region-specific probabilities
    ``p_rs`` and its employment is lognormal(μ_s, σ) (mean ``m_s``). The expected LQ is that of the
    expected cells ``n_r p_rs m_s``.
    """
    rng = np.random.default_rng(seed)
    p = np.full((REGIONS, SECTORS), 1.0)
    p[0, 0], p[1, 0], p[2, 1] = 4.0, 2.5, 3.0  # planted specialisations
    p /= p.sum(axis=1, keepdims=True)
    mean_size = np.array([25.0, 8.0, 40.0, 12.0])
    mu = np.log(mean_size) - sigma**2 / 2
    expected = per_region * p * mean_size
    true_lq = (expected / expected.sum(1, keepdims=True)) / (expected.sum(0) / expected.sum())
    n = n_worlds * REGIONS * per_region
    region = np.tile(np.repeat(np.arange(REGIONS), per_region), n_worlds)
    u = rng.random(n)
    sector = (u[:, None] > np.cumsum(p, axis=1)[region]).sum(axis=1)
    employment = np.round(np.exp(mu[sector] + sigma * rng.standard_normal(n))) + 1.0
    df = pd.DataFrame({
        "year": np.repeat(np.arange(n_worlds), REGIONS * per_region),
        "region": pd.array([f"r{r}" for r in region], dtype="string"),
        "sector": pd.array([f"s{s}" for s in sector], dtype="string"),
        "employment": employment,
    })
    truth = pd.DataFrame({"region": np.repeat([f"r{r}" for r in range(REGIONS)], SECTORS),
                          "sector": np.tile([f"s{s}" for s in range(SECTORS)], REGIONS),
                          "lq_true": true_lq.ravel()})
    return df, truth


def _coverage(out: pd.DataFrame, truth: pd.DataFrame) -> tuple[float, float]:
    """Coverage over all cells and worlds, and its Monte Carlo SE from the spread across worlds
    (cells of one world are not independent)."""
    m = out.merge(truth, on=["region", "sector"], validate="many_to_one")
    hit = (m["lq_lo"] <= m["lq_true"]) & (m["lq_true"] <= m["lq_hi"])
    per_world = hit.groupby(m["year"]).mean()
    return float(per_world.mean()), float(per_world.std(ddof=1) / np.sqrt(len(per_world)))


def test_establishments_interval_covers_expected_lq_with_lumpy_plants():
    """200 worlds × 24 cells: coverage in the 93–97 % target band (widened by 2 Monte Carlo SEs); the
    Poisson interval on the same worlds misses far more often (it treats workers as independent)."""
    df, truth = _plant_worlds(200, seed=12)
    out = location_quotient(df, interval="establishments", n_boot=199, seed=3)
    coverage, se = _coverage(out, truth)
    assert 0.93 - 2 * se <= coverage <= 0.97 + 2 * se, (coverage, se)
    poisson, _ = _coverage(location_quotient(df, interval="poisson"), truth)
    assert poisson < 0.75, poisson


@pytest.mark.parametrize("seed", [1, 2])
def test_establishments_interval_coverage_across_seeds(seed):
    df, truth = _plant_worlds(120, seed=100 + seed, per_region=80, sigma=1.2)
    coverage, se = _coverage(location_quotient(df, interval="establishments", n_boot=199, seed=seed), truth)
    assert 0.93 - 2 * se <= coverage <= 0.97 + 2 * se, (coverage, se)


def test_standard_error_by_hand():
    """Region a has plants x:10 and y:30, region b one plant x:60. The influence of a plant on
    LQ_ax = (A/B)/(C/D) = (10/40)/(70/100) is LQ·v·(1[a,x]/A − 1[a]/B − 1[x]/C + 1/D); centred within
    its region, b's single plant contributes nothing, so SE² = (U_ax − U_ay)² / 2."""
    df = pd.DataFrame({"region": ["a", "a", "b"], "sector": ["x", "y", "x"], "employment": [10.0, 30.0, 60.0]})
    out = location_quotient(df, year=None, interval="establishments", n_boot=999, seed=1).set_index(
        ["region", "sector"])
    lq = (10 / 40) / (70 / 100)
    u_ax = lq * 10 * (1 / 10 - 1 / 40 - 1 / 70 + 1 / 100)
    u_ay = lq * 30 * (-1 / 40 + 1 / 100)
    assert out.loc[("a", "x"), "lq"] == pytest.approx(lq)
    assert out.loc[("a", "x"), "lq_se"] == pytest.approx(np.sqrt((u_ax - u_ay) ** 2 / 2))
    assert out.loc[("a", "x"), "lq_lo"] <= lq <= out.loc[("a", "x"), "lq_hi"]
    assert (out["lq_lo"] >= 0).all() and (out["boot_defined"] > 0).all()


def test_establishments_interval_is_seeded_and_sums_duplicates():
    df, _ = _plant_worlds(2, seed=5, per_region=30)
    a = location_quotient(df, interval="establishments", n_boot=99, seed=8)
    b = location_quotient(df, interval="establishments", n_boot=99, seed=8)
    pd.testing.assert_frame_equal(a, b)
    cells = df.groupby(["year", "region", "sector"], as_index=False)["employment"].sum()
    pd.testing.assert_series_equal(a["lq"], location_quotient(cells)["lq"])
    with pytest.raises(DataContractError, match="n_boot"):
        location_quotient(df, interval="establishments", n_boot=1)
