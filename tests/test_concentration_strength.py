"""US Cluster Mapping strong clusters and European Cluster Observatory stars (concentration.strength)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agrocluster.concentration import eco_stars, strong_clusters
from agrocluster.errors import DataContractError, EstimationError


@pytest.fixture
def hand() -> pd.DataFrame:
    # a: 40, 10, 10, 10; b: 10, 40, 40, 40 -> every region has 50; totals a = 70, b = 130, all = 200.
    return pd.DataFrame(
        {
            "region": ["R1", "R2", "R3", "R4"] * 2,
            "sector": ["a"] * 4 + ["b"] * 4,
            "employment": [40.0, 10.0, 10.0, 10.0, 10.0, 40.0, 40.0, 40.0],
            "establishments": [5, 2, 2, 2, 3, 4, 4, 1],
        }
    )


def _cell(df, region, sector, col):
    return df.loc[(df.region == region) & (df.sector == sector), col].iloc[0]


def test_strong_clusters_by_hand(hand):
    out = strong_clusters(hand, n_resamples=20, seed=0)
    # LQ(R1, a) = (40/50)/(70/200) = 2.2857; others (10/50)/.35 = .5714.
    # 75th percentile of a's LQs (.5714 ×3, 2.2857): .5714 + .25 (2.2857 − .5714) = 1.0
    assert _cell(out, "R1", "a", "lq") == pytest.approx(0.8 / 0.35)
    assert _cell(out, "R1", "a", "lq_threshold") == pytest.approx(1.0)
    # employment p25 of (10, 10, 10, 40) = 10; establishments p25 of (2, 2, 2, 5) = 2
    assert _cell(out, "R1", "a", "employment_threshold") == pytest.approx(10.0)
    # b: LQ R2..R4 = .8/.65 = 1.2308 = its 75th percentile; employment p25 = 10 + .75·30 = 32.5;
    # establishments (3, 4, 4, 1): p25 = 1 + .75·2 = 2.5, so R4 (1 establishment) fails.
    assert _cell(out, "R2", "b", "employment_threshold") == pytest.approx(32.5)
    assert _cell(out, "R2", "b", "establishments_threshold") == pytest.approx(2.5)
    strong = set(map(tuple, out.loc[out.strong, ["region", "sector"]].to_numpy()))
    assert strong == {("R1", "a"), ("R2", "b"), ("R3", "b")}
    assert out["stability"].between(0, 1).all()


def test_eco_stars_by_hand(hand):
    out = eco_stars(hand, n_resamples=20, seed=0)
    # a: size p90 of (10,10,10,40) = 10 + .7·30 = 31 -> R1; LQ 2.29 >= 2; focus p90 of (.8,.2,.2,.2) = .62 -> R1
    assert _cell(out, "R1", "a", "stars") == 3
    assert _cell(out, "R2", "a", "stars") == 0
    # b: size p90 of (10,40,40,40) = 40 -> R2..R4; LQ 1.23 < 2; focus p90 of (.2,.8,.8,.8) = .8 -> R2..R4
    assert _cell(out, "R3", "b", "stars") == 2
    assert not _cell(out, "R3", "b", "specialisation_star")
    assert _cell(out, "R1", "b", "stars") == 0
    assert _cell(out, "R1", "a", "focus_share") == pytest.approx(0.8)


def _world(rng, cluster_jobs):
    regions, sectors = [f"r{i:02d}" for i in range(30)], ["wine", "a", "b", "c", "d"]
    size = rng.uniform(2_000, 8_000, 30)
    lam = np.outer(size, [0.01, 0.25, 0.25, 0.25, 0.24])
    lam[0, 0] = cluster_jobs
    e = rng.poisson(lam).astype(float)
    est = np.maximum(1, rng.poisson(lam / 20))
    return pd.DataFrame(
        {
            "region": np.repeat(regions, 5),
            "sector": np.tile(sectors, 30),
            "employment": e.ravel(),
            "establishments": est.ravel(),
        }
    )


def test_planted_cluster_is_strong_with_three_stars_and_stable():
    for seed in range(5):
        df = _world(np.random.default_rng(seed), cluster_jobs=600.0)
        sc = strong_clusters(df, n_resamples=100, seed=seed)
        assert _cell(sc, "r00", "wine", "strong")
        assert _cell(sc, "r00", "wine", "stability") >= 0.95
        st = eco_stars(df, n_resamples=100, seed=seed)
        assert _cell(st, "r00", "wine", "stars") == 3
        assert _cell(st, "r00", "wine", "stars_stability") >= 0.95
    # Flags on cells near the thresholds are fragile: a borderline flag is less stable than the cluster's.
    assert sc.loc[sc.sector == "wine", "stability"].min() < 0.9


def test_strength_is_seeded_and_validates(hand):
    pd.testing.assert_frame_equal(
        strong_clusters(hand, seed=4, n_resamples=30), strong_clusters(hand, seed=4, n_resamples=30)
    )
    with pytest.raises(DataContractError, match=r"lacks column\(s\) \['establishments'\]"):
        strong_clusters(hand.drop(columns="establishments"))
    with pytest.raises(DataContractError, match="'establishments' is negative"):
        strong_clusters(hand.assign(establishments=[5, 2, 2, -2, 3, 4, 4, 1]))
    with pytest.raises(EstimationError, match="region with zero employment.*'R5'"):
        eco_stars(
            pd.concat(
                [
                    hand,
                    pd.DataFrame(
                        {"region": ["R5"], "sector": ["a"], "employment": [0.0], "establishments": [0]}
                    ),
                ]
            )
        )
    with pytest.raises(DataContractError, match="lq_percentile"):
        strong_clusters(hand, lq_percentile=175)
    with pytest.raises(DataContractError, match="n_resamples"):
        eco_stars(hand, n_resamples=0)


def _plants_world(seed: int, n_regions: int = 12, per_region: int = 60) -> pd.DataFrame:
    """One row per plant: region r00 is planted with wine plants; plant sizes are lognormal."""
    rng = np.random.default_rng(seed)
    sectors = np.array(["wine", "a", "b", "c"])
    rows = []
    for r in range(n_regions):
        p = np.array([0.7, 0.1, 0.1, 0.1]) if r == 0 else np.full(4, 0.25)
        sec = rng.choice(sectors, size=per_region, p=p)
        emp = np.round(np.exp(rng.normal(2.5, 1.0, size=per_region))) + 1
        rows.append(pd.DataFrame({"region": f"r{r:02d}", "sector": sec, "employment": emp}))
    return pd.concat(rows, ignore_index=True)


def test_establishment_resampling_counts_plants_and_carries_the_lq_uncertainty():
    plants = _plants_world(0)
    cells = plants.groupby(["region", "sector"], as_index=False).agg(
        employment=("employment", "sum"), establishments=("employment", "size"))
    by_plant = strong_clusters(plants, resample="establishments", n_resamples=199, seed=1)
    by_cell = strong_clusters(cells, resample="poisson", n_resamples=199, seed=1)
    # same point flags, counts and thresholds whichever the design
    cols = ["region", "sector", "employment", "establishments", "lq", "strong"]
    pd.testing.assert_frame_equal(by_plant[cols], by_cell[cols], check_dtype=False)
    wine = by_plant.set_index(["region", "sector"])
    assert wine.loc[("r00", "wine"), "strong"]
    assert wine.loc[("r00", "wine"), "strong_probability"] >= 0.9
    # resampling whole plants moves the flags more than Poisson redraws of independent workers
    unstable_plants = (by_plant["stability"] < 0.9).sum()
    unstable_workers = (by_cell["stability"] < 0.9).sum()
    assert unstable_plants > unstable_workers
    prob, stab, strong = by_plant["strong_probability"], by_plant["stability"], by_plant["strong"]
    np.testing.assert_allclose(np.where(strong, prob, 1 - prob), stab)
    stars = eco_stars(plants, resample="establishments", n_resamples=199, seed=1)
    assert {"size_star_probability", "specialisation_star_probability", "focus_star_probability"} <= set(stars)
    r00 = stars.set_index(["region", "sector"]).loc[("r00", "wine")]
    assert r00["specialisation_star"] and r00["specialisation_star_probability"] > 0.5
    pd.testing.assert_frame_equal(stars, eco_stars(plants, resample="establishments", n_resamples=199, seed=1))
    with pytest.raises(DataContractError, match="resample must be"):
        eco_stars(plants, resample="workers")


def test_draws_in_blocks_are_the_draws_one_by_one(monkeypatch):
    # the resampled flags are computed for a block of draws at once: the same numbers as draw by draw
    from agrocluster.concentration import strength

    plants = _plants_world(3)
    cells = plants.groupby(["region", "sector"], as_index=False).agg(
        employment=("employment", "sum"), establishments=("employment", "size"))
    blocked = [f(df, resample=r, n_resamples=70, seed=4) for f in (strong_clusters, eco_stars)
               for df, r in ((plants, "establishments"), (cells, "poisson"))]
    monkeypatch.setattr(strength, "_BLOCK_DRAWS", 1)
    single = [f(df, resample=r, n_resamples=70, seed=4) for f in (strong_clusters, eco_stars)
              for df, r in ((plants, "establishments"), (cells, "poisson"))]
    for a, b in zip(blocked, single, strict=True):
        pd.testing.assert_frame_equal(a, b)
    rng = np.random.default_rng(0)
    values, groups = rng.random((5, 40)), rng.integers(0, 6, 40)
    rows = np.stack([strength._group_quantile(v, groups, 0.75) for v in values])
    np.testing.assert_array_equal(strength._group_quantile(values, groups, 0.75), rows)
