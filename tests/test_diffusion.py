"""Innovation diffusion: adoption curves, peer adoption (reflection caveat), diffusion hazard with planted truth."""

import numpy as np
import pandas as pd
import pytest

from agrocluster import diffusion
from agrocluster.data import sources
from agrocluster.data.synthetic import generate_adoption, generate_cluster
from agrocluster.errors import DataContractError, EstimationError


def test_adoption_curve_hand_case_and_real_rice_counts():
    d = pd.DataFrame({"t": [1, 1, 1, 2, 2, 2], "a": [True, False, False, True, True, False]})
    c = diffusion.adoption_curve(d, "a", "t").set_index("t")
    assert c.loc[2, "share"] == pytest.approx(2 / 3)
    assert c.loc[1, "std_error"] == pytest.approx(np.sqrt(1 / 3 * 2 / 3 / 3))
    farms = sources.rice_farms()
    high = diffusion.adoption_curve(farms.assign(hyv=farms["varieties"] == "high"), "hyv", "season").set_index("season")
    assert high.loc[1, "adopters"] == 32 and high.loc[6, "adopters"] == 74   # as documented in sources.rice_farms


def test_peer_lag_is_leave_one_out_of_previous_period():
    # group g: 3 units; in t=1 units u1, u2 adopt; in t=2 all rows present
    d = pd.DataFrame({"u": ["u1", "u2", "u3"] * 3, "t": [1] * 3 + [2] * 3 + [3] * 3, "g": "g",
                      "a": [1, 1, 0, 1, 0, 0, 1, 1, 1]})
    fit = diffusion.peer_adoption(pd.concat([d, d.assign(g="h", u=d["u"] + "h", a=1 - d["a"])]), "a", "u", "t", "g")
    assert fit.nobs == 12                                          # periods 2 and 3 of 6 units
    assert fit.excluded["rows"].iloc[0] == 6
    with pytest.raises(DataContractError, match="several rows"):
        diffusion.peer_adoption(pd.concat([d, d]), "a", "u", "t", "g")


def _peer_panel(seed, beta, n_groups=60, size=15, periods=6):
    rng = np.random.default_rng(seed)
    rows, a = [], rng.random((n_groups, size)) < 0.3
    for t in range(1, periods + 1):
        if t > 1:
            loo = (a.sum(axis=1, keepdims=True) - a) / (size - 1)
            a = rng.random((n_groups, size)) < np.clip(0.1 + beta * loo + 0.3 * a, 0, 1)
        for g in range(n_groups):
            for i in range(size):
                rows.append((f"{g}-{i}", t, str(g), bool(a[g, i])))
    return pd.DataFrame(rows, columns=["unit", "t", "g", "a"])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_peer_adoption_recovers_planted_lpm(seed):
    fit = diffusion.peer_adoption(_peer_panel(seed, beta=0.4), "a", "unit", "t", "g")
    est, se = fit.estimate("peer_lag")
    assert abs(est - 0.4) < 4 * se
    own, own_se = fit.estimate("own_lag")
    assert abs(own - 0.3) < 4 * own_se


def test_exposures_hand_case():
    est = pd.DataFrame({"firm_id": ["a", "b", "c", "a", "b", "c"], "year": [1, 1, 1, 2, 2, 2],
                        "lat": [0.0, 0.0, 1.0] * 2, "lon": [0.0, 0.01, 1.0] * 2})      # a-b 1.1 km apart, c far
    ad = est[["firm_id", "year"]].assign(adopted=[False, True, True, False, True, True])
    links = pd.DataFrame({"source": ["a"], "target": ["c"], "year": [1]})
    ex = diffusion.exposures(ad, est, links, band_km=5).set_index("firm_id")
    assert ex.loc["a", "link_exposure"] == 1.0 and ex.loc["a", "near_exposure"] == 1.0   # c adopted; b near
    assert ex.loc["b", "link_exposure"] == 0.0 and ex.loc["b", "near_exposure"] == 0.0   # a near, not adopted
    assert ex.loc["c", "near_exposure"] == 0.0                                            # nobody within 5 km


def test_near_exposure_is_the_mean_adoption_of_the_other_firms_within_the_band():
    # brute force over every pair on a small random world (firms entering and leaving between the years)
    rng = np.random.default_rng(4)
    est = pd.DataFrame({"firm_id": [f"f{i}" for i in range(60)] * 2, "year": [1] * 60 + [2] * 60,
                        "lat": np.tile(rng.uniform(-35.2, -35.0, 60), 2), "lon": np.tile(rng.uniform(-71.2, -71.0, 60), 2)})
    est = est.drop(index=[3, 70]).reset_index(drop=True)
    ad = est[["firm_id", "year"]].assign(adopted=rng.random(len(est)) < 0.4)
    links = pd.DataFrame({"source": ["f1"], "target": ["f2"], "year": [1]})
    ex = diffusion.exposures(ad, est, links, band_km=4.0).set_index("firm_id")["near_exposure"]
    before = est[est["year"] == 1].assign(adopted=ad.loc[ad["year"] == 1, "adopted"].to_numpy())
    u = diffusion.unit_vectors(before["lat"].to_numpy(), before["lon"].to_numpy())
    km = 2 * diffusion.EARTH_RADIUS_KM * np.arcsin(np.clip(np.linalg.norm(u[:, None] - u[None], axis=2) / 2, 0, 1))
    for firm in est.loc[est["year"] == 2, "firm_id"]:
        if firm not in set(before["firm_id"]):
            assert ex[firm] == 0.0
            continue
        i = int(np.flatnonzero(before["firm_id"].to_numpy() == firm)[0])
        near = (km[i] <= 4.0) & (np.arange(len(before)) != i)
        assert ex[firm] == (before["adopted"].to_numpy()[near].mean() if near.any() else 0.0), firm


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_diffusion_hazard_recovers_planted_truth(seed):
    c = generate_cluster(seed=seed, n_firms=800)
    ad, truth = generate_adoption(c.establishments, c.firm_links, seed=seed)
    fit = diffusion.diffusion_hazard(ad, c.establishments, c.firm_links, truth["band_km"])
    for term, key in (("link_exposure", "link_effect"), ("near_exposure", "near_effect")):
        est, se = fit.estimate(term)
        assert abs(est - truth[key]) < 4 * se, term


def test_diffusion_hazard_without_planted_effects_finds_none():
    c = generate_cluster(seed=5, n_firms=800)
    ad, truth = generate_adoption(c.establishments, c.firm_links, seed=5, link_effect=0.0, near_effect=0.0, base=-2.0)
    fit = diffusion.diffusion_hazard(ad, c.establishments, c.firm_links, truth["band_km"])
    for term in ("link_exposure", "near_exposure"):
        est, se = fit.estimate(term)
        assert abs(est) < 4 * se


def test_bad_adoption_values_named():
    d = pd.DataFrame({"t": [1, 2], "a": [0, 2]})
    with pytest.raises(DataContractError, match="boolean or 0/1"):
        diffusion.adoption_curve(d, "a", "t")
    with pytest.raises(EstimationError, match="fewer than two periods"):
        diffusion.peer_adoption(pd.DataFrame({"u": ["x", "y"], "t": [1, 1], "g": "g", "a": [0, 1]}), "a", "u", "t", "g")


def test_generate_adoption_is_seeded_absorbing_and_checks_options():
    from agrocluster.errors import ParamsError

    c = generate_cluster(seed=3, n_firms=400)
    a1, t1 = generate_adoption(c.establishments, c.firm_links, seed=3)
    a2, _ = generate_adoption(c.establishments, c.firm_links, seed=3)
    pd.testing.assert_frame_equal(a1, a2)
    wide = a1.pivot(index="firm_id", columns="year", values="adopted").astype("float")
    steps = wide.diff(axis=1).iloc[:, 1:]
    assert not (steps < 0).any().any()                            # once adopted, always adopted
    assert t1["adopters_by_year"][max(t1["adopters_by_year"])] == int(a1.loc[a1["year"] == a1["year"].max(), "adopted"].sum())
    with pytest.raises(ParamsError, match="band_km"):
        generate_adoption(c.establishments, c.firm_links, band_km=0)
