"""LQ interval from resampling establishments (issue 12 item 1): coverage of the expected LQ when
employment comes in plants of unequal size, hand cases, and the Poisson interval's failure there."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import gammaincinv

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


def _lq_at(x, e_r, e_s, e, y):
    """LQ with the cell's employment y replaced by x, the rest of the table as observed."""
    return x * (e - y + x) / ((e_r - y + x) * (e_s - y + x))


def test_empty_cell_gets_garwood_upper_bound_from_plant_count():
    """Region a has no plant of sector x: the output still holds the cell, with LQ 0 and interval
    [0, LQ(μ_hi·m_x)], μ_hi = ln(2/α) (Garwood's bound for a zero count) and m_x = 60/3 the sector's mean
    plant size; the rest of the table as observed (e_a = 60, e_x = 60, e = 170)."""
    df = pd.DataFrame({"region": ["a"] * 4 + ["b"] * 5, "sector": ["y"] * 4 + ["x", "x", "x", "y", "y"],
                       "employment": [20.0, 30, 5, 5, 10, 20, 30, 40, 10]})
    out = location_quotient(df, year=None, interval="establishments", n_boot=199, seed=1).set_index(
        ["region", "sector"])
    assert len(out) == 4
    cell = out.loc[("a", "x")]
    assert cell["lq"] == 0.0 and cell["lq_lo"] == 0.0
    assert cell["lq_hi"] == pytest.approx(_lq_at(np.log(2 / 0.05) * 20.0, 60.0, 60.0, 170.0, 0.0), rel=1e-9)
    wider = location_quotient(df, year=None, interval="establishments", n_boot=199, seed=1, level=0.99)
    assert wider.set_index(["region", "sector"]).loc[("a", "x"), "lq_hi"] > cell["lq_hi"]


def test_one_plant_cell_with_equal_plant_sizes_is_garwood_on_the_plant_count():
    """When every plant of the sector has the same size (10), cell employment is 10·N and the compound-Poisson
    bounds reduce to Garwood's exact interval for a count of 1: μ in [−ln(1 − α/2), Γ⁻¹(2; 1 − α/2)]
    = [0.0253, 5.572] plants, times the mean size 10, put into the LQ with the rest of the table observed."""
    df = pd.DataFrame({"region": ["a", "a", "a", "b", "b", "b", "b", "c", "c", "c", "c"],
                       "sector": ["x", "y", "y", "x", "x", "x", "y", "x", "x", "y", "y"],
                       "employment": [10.0, 40, 25, 10, 10, 10, 30, 10, 10, 20, 50]})
    out = location_quotient(df, year=None, interval="establishments", n_boot=99, seed=4).set_index(
        ["region", "sector"])
    cell = out.loc[("a", "x")]  # one plant of x in a; x has 6 plants of 10 in the country
    mu_lo, mu_hi = -np.log(1 - 0.025), 5.571643
    assert gammaincinv(2, 0.975) == pytest.approx(mu_hi, rel=1e-6)
    assert cell["lq"] == pytest.approx((10 / 75) / (60 / 225))
    assert cell["lq_lo"] == pytest.approx(_lq_at(10 * mu_lo, 75.0, 60.0, 225.0, 10.0), rel=1e-6)
    assert cell["lq_hi"] == pytest.approx(_lq_at(10 * mu_hi, 75.0, 60.0, 225.0, 10.0), rel=1e-6)


def test_one_plant_cell_interval_reflects_unequal_plant_sizes():
    """The same one-plant cell in a sector whose other plants are far larger or smaller: the bounds use the
    sector's plant-size distribution, so the interval is wider than with equal sizes and still holds the LQ."""
    base = {"region": ["a", "a", "a", "b", "b", "b", "b", "c", "c", "c", "c"],
            "sector": ["x", "y", "y", "x", "x", "x", "y", "x", "x", "y", "y"]}
    equal = pd.DataFrame({**base, "employment": [10.0, 40, 25, 10, 10, 10, 30, 10, 10, 20, 50]})
    skewed = pd.DataFrame({**base, "employment": [10.0, 40, 25, 1, 2, 40, 30, 3, 4, 20, 50]})
    got = [location_quotient(d, year=None, interval="establishments", n_boot=999, seed=4).set_index(
        ["region", "sector"]).loc[("a", "x")] for d in (equal, skewed)]
    assert got[1]["lq_lo"] <= got[1]["lq"] <= got[1]["lq_hi"]
    assert got[1]["lq_hi"] / got[1]["lq"] > got[0]["lq_hi"] / got[0]["lq"]


def _rare_sector_worlds(n_worlds: int, seed: int, regions: int = 30, per_region: int = 80):
    """Economies of ``regions`` regions × ``per_region`` plants where sector s0 is rare: region r draws a plant
    of s0 with probability ``p_r`` in 0.5–4 % (0.4–3.2 expected plants, so most s0 cells hold 0–2 plants);
    the other two sectors share the rest. Lognormal sizes (σ = 1, means 15, 10, 20). Truth: the expected LQ of
    s0 in every region."""
    rng = np.random.default_rng(seed)
    p_rare = np.linspace(0.005, 0.04, regions)
    p = np.column_stack([p_rare, (1 - p_rare) * 0.6, (1 - p_rare) * 0.4])
    mean_size = np.array([15.0, 10.0, 20.0])
    expected = per_region * p * mean_size
    true_lq = (expected[:, 0] / expected.sum(1)) / (expected[:, 0].sum() / expected.sum())
    n = n_worlds * regions * per_region
    region = np.tile(np.repeat(np.arange(regions), per_region), n_worlds)
    sector = (rng.random(n)[:, None] > np.cumsum(p, axis=1)[region]).sum(axis=1)
    employment = np.round(np.exp(np.log(mean_size[sector]) - 0.5 + rng.standard_normal(n))) + 1.0
    df = pd.DataFrame({"year": np.repeat(np.arange(n_worlds), regions * per_region),
                       "region": [f"r{r}" for r in region], "sector": [f"s{s}" for s in sector],
                       "employment": employment})
    truth = pd.DataFrame({"region": [f"r{r}" for r in range(regions)], "sector": "s0", "lq_true": true_lq})
    return df, truth


@pytest.mark.parametrize("seed", [1, 2])
def test_cells_with_few_plants_cover(seed):
    """A rare sector: 30 worlds × 30 regions, about 2 cells in 3 with 0–2 plants of it (a fifth with none).
    Every cell of the sector, whatever its count, is covered at least at the nominal rate (the small-cell
    bounds are exact tail inversions, conservative as Garwood's for counts below ~3), and so are the cells
    with 0–2 plants, which the bootstrap alone left at 0 % (no plant) and ≈ 55 % (1–2)."""
    df, truth = _rare_sector_worlds(30, seed)
    out = location_quotient(df, interval="establishments", n_boot=199, seed=seed)
    counts = df[df["sector"] == "s0"].groupby(["year", "region"]).size().rename("plants")
    m = out.merge(truth, on=["region", "sector"]).merge(counts, on=["year", "region"], how="left")
    plants = m["plants"].fillna(0).to_numpy()
    hit = ((m["lq_lo"] <= m["lq_true"]) & (m["lq_true"] <= m["lq_hi"])).to_numpy()
    assert len(m) == 900 and (plants < 3).mean() > 0.5 and (plants == 0).sum() > 100
    assert 0.93 <= hit.mean() <= 0.995, hit.mean()
    assert 0.93 <= hit[plants < 3].mean() <= 0.999, hit[plants < 3].mean()


def test_plant_draws_do_not_depend_on_the_block_size():
    from agrocluster.concentration.specialisation import _plant_draws, _Plants

    rng = np.random.default_rng(2)
    size = np.repeat([40, 25, 35], [40, 25, 35])
    start = np.repeat([0, 40, 65], [40, 25, 35])
    plants = _Plants(rng.integers(0, 12, 100), rng.lognormal(2.0, 1.0, 100), start, size)
    blocks = {chunk: [np.concatenate(part) for part in zip(*_plant_draws(plants, 12, 57, 9, chunk_cells=chunk))]
              for chunk in (100, 1_000, 1_000_000)}
    for chunk in (100, 1_000):
        for a, b in zip(blocks[chunk], blocks[1_000_000], strict=True):
            np.testing.assert_array_equal(a, b)
    emp, _, count = blocks[100]
    assert emp.shape == (57, 12) and (count.sum(axis=1) == 100).all()   # every draw keeps the 100 plants
