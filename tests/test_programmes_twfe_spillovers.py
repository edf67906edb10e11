"""Tests of agrocluster.programmes TWFE DiD, event studies and spillover effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agrocluster.errors import DataContractError, EstimationError, ParamsError
from agrocluster.geo import haversine_km
from agrocluster.programmes import event_study, spillover_effects, twfe_did


def _panel(seed: int, n: int = 300, T: int = 6, dynamic: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.choice([0, 3, 4, 5], size=n)
    t = np.arange(1, T + 1)
    e = t[None, :] - g[:, None]
    post = (g[:, None] > 0) & (e >= 0)
    tau = np.where(post, (1.0 + e) * np.where(g[:, None] == 3, 1.0, 0.5), 0.0) if dynamic else 1.0 * post
    y = rng.normal(size=(n, 1)) + 0.2 * t[None, :] + tau + rng.normal(size=(n, T))
    return pd.DataFrame({"id": np.repeat(np.arange(n), T), "t": np.tile(t, n), "y": y.ravel(),
                         "g": np.repeat(g, T)})


def test_twfe_recovers_constant_effect_and_weights_sum_to_one():
    est = [twfe_did(_panel(s, dynamic=False), "y", "id", "t", "g").coef for s in range(8)]
    assert np.mean(est) == pytest.approx(1.0, abs=0.06)
    res = twfe_did(_panel(0), "y", "id", "t", "g")
    assert res.weights["weight"].sum() == pytest.approx(1.0)
    # long-exposed cells of the earliest cohort get negative weight (de Chaisemartin-D'Haultfoeuille)
    w = res.weights.set_index(["group", "time"])["weight"]
    assert w.loc[(3, 6)] < 0 and res.negative_weight_share > 0
    assert res.table().loc[0, "n_obs"] == 1800


def test_twfe_two_by_two_equals_did_of_means():
    df = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4], "t": [1, 2] * 4, "y": [1.0, 4.0, 2.0, 6.0, 0.0, 1.0, 3.0, 5.0],
                       "g": [2, 2, 2, 2, 0, 0, 0, 0]})
    assert twfe_did(df, "y", "id", "t", "g").coef == pytest.approx(3.5 - 1.5)


def test_twfe_with_singleton_units_drops_them_as_reghdfe_and_says_so():
    """Units seen once (entrants/exits in a firm panel) are singletons pyfixest drops; weights stay aligned."""
    df = _panel(3)
    single = pd.DataFrame({"id": [1000, 1001], "t": [2, 5], "y": [0.3, 4.0], "g": [0, 3]})
    res = twfe_did(pd.concat([df, single], ignore_index=True), "y", "id", "t", "g")
    base = twfe_did(df, "y", "id", "t", "g")
    assert res.coef == pytest.approx(base.coef, abs=1e-10)
    assert res.weights["weight"].sum() == pytest.approx(1.0)
    pd.testing.assert_frame_equal(res.weights, base.weights, atol=1e-10)
    assert res.n_obs == base.n_obs and res.n_units == base.n_units
    row = res.excluded[res.excluded["reason"].str.contains("singleton")]
    assert row["n"].tolist() == [2]


def test_event_study_sun_abraham_unbiased_where_twfe_is_not():
    sa_pre, sa_e0, tw_e0 = [], [], []
    for s in range(10):
        df = _panel(10 + s, n=400)
        sa = event_study(df, "y", "id", "t", "g", method="sun_abraham").coefficients.set_index("event_time")
        tw = event_study(df, "y", "id", "t", "g", method="twfe").coefficients.set_index("event_time")
        sa_pre.append(sa.loc[[-3, -2], "estimate"].mean())
        sa_e0.append(sa.loc[0, "estimate"])
        tw_e0.append(tw.loc[0, "estimate"])
    assert abs(np.mean(sa_pre)) < 0.08
    assert np.mean(sa_e0) == pytest.approx(2 / 3, abs=0.08)  # cohorts 3 (1.0), 4 and 5 (0.5) equally likely
    # dynamic TWFE mixes in other event times' effects through already-treated controls
    assert abs(np.mean(tw_e0) - 2 / 3) > abs(np.mean(sa_e0) - 2 / 3)
    res = event_study(_panel(1), "y", "id", "t", "g", method="sun_abraham")
    assert res.coefficients.set_index("event_time").loc[-1, "reference"]
    w = res.cohort_effects.groupby("event_time")["weight"].sum()
    np.testing.assert_allclose(w.to_numpy(), 1.0)


def test_event_study_binning_and_errors():
    df = _panel(2)
    res = event_study(df, "y", "id", "t", "g", min_e=-2, max_e=1)
    assert list(res.coefficients["event_time"]) == [-2, -1, 0, 1]
    with pytest.raises(ParamsError, match="method"):
        event_study(df, "y", "id", "t", "g", method="bjs")
    with pytest.raises(EstimationError, match="ref=-9"):
        event_study(df, "y", "id", "t", "g", ref=-9)
    with pytest.raises(DataContractError, match="outcome column 'y'"):
        event_study(df.assign(y="a"), "y", "id", "t", "g")


# --------------------------------------------------------------------------------------------------
# Spillovers
# --------------------------------------------------------------------------------------------------


def test_haversine_known_distance():
    # one degree of latitude on the mean-radius sphere = 2*pi*R/360 km
    assert haversine_km(0.0, 0.0, 1.0, 0.0) == pytest.approx(2 * np.pi * 6371.0088 / 360)
    # Paris (48.8566 N, 2.3522 E) to London (51.5074 N, 0.1278 W): about 344 km
    assert haversine_km(48.8566, 2.3522, 51.5074, -0.1278) == pytest.approx(343.5, abs=1.0)


def _spatial(seed: int, n: int = 900, T: int = 6):
    rng = np.random.default_rng(seed)
    # participants clustered near (0, 0); other firms: 40% within +-0.2 degree (~22 km), the rest
    # spread over +-1 degree (~110 km)
    part = np.arange(n) < 60
    near = rng.random(n) < 0.4
    spread = np.where(near, 0.2, 1.0)
    lat = np.where(part, rng.normal(0, 0.02, n), rng.uniform(-1, 1, n) * spread)
    lon = np.where(part, rng.normal(0, 0.02, n), rng.uniform(-1, 1, n) * spread)
    entry = np.where(part, 3.0, np.nan)
    d = haversine_km(lat[:, None], lon[:, None], lat[part][None, :], lon[part][None, :]).min(axis=1)
    effect = np.where(~part & (d < 10), 1.0, np.where(~part & (d < 25), 0.4, 0.0))
    t = np.arange(1, T + 1)
    y = rng.normal(size=(n, 1)) + 0.3 * t[None, :] + effect[:, None] * (t[None, :] >= 3) + rng.normal(size=(n, T))
    df = pd.DataFrame({"firm_id": np.repeat([f"f{i:04d}" for i in range(n)], T), "year": np.tile(t, n),
                       "output": y.ravel(), "programme_entry_year": pd.array(np.repeat(entry, T)).astype("Int64"),
                       "lat": np.repeat(lat, T), "lon": np.repeat(lon, T)})
    return df


def test_distance_spillovers_recovered_by_band():
    reps = 10
    att = []
    for s in range(reps):
        res = spillover_effects(_spatial(s), "output", "firm_id", "year", "programme_entry_year",
                                bands=(0, 10, 25, 50))
        att.append(res.effects.set_index("band")["att"])
    m = pd.concat(att, axis=1)
    mean, se = m.mean(axis=1), m.std(axis=1, ddof=1) / np.sqrt(reps)
    for band, truth in (("[0, 10) km", 1.0), ("[10, 25) km", 0.4), ("[25, 50) km", 0.0)):
        assert abs(mean.loc[band] - truth) < 3.5 * se.loc[band], band
    # and the bands are told apart: the near band's effect is clearly larger than the middle one's
    assert mean.loc["[0, 10) km"] - mean.loc["[10, 25) km"] > 0.4
    res = spillover_effects(_spatial(0), "output", "firm_id", "year", "programme_entry_year", bands=(0, 10, 25, 50))
    assert res.excluded.set_index("reason").loc["participants (direct effect: use staggered_did)", "n"] == 60
    assert (res.exposure["band"] == "unexposed").sum() == res.effects["n_unexposed"].iloc[0]
    assert set(res.by_band) == set(res.effects["band"])
    assert np.isfinite(res.effects["twfe_coef"]).all()
    # each band reports what it could detect and whether its pre-trend test lets it stand
    np.testing.assert_allclose(res.effects["mde"], 2.801585 * res.effects["se"], rtol=1e-6)
    for band, did in res.by_band.items():
        row = res.effects.set_index("band").loc[band]
        assert row["pretrend_pvalue"] == did.pretrend_pvalue
        assert (pd.isna(row["credible"]) and did.credible is None) or row["credible"] == did.credible


def test_network_spillovers_by_share_of_links_to_participants():
    rng = np.random.default_rng(4)
    n, T = 600, 5
    ids = [f"f{i:03d}" for i in range(n)]
    part = np.arange(n) < 100
    entry = np.where(part, 3.0, np.nan)
    src, tgt = [], []
    exposed = rng.random(n) < 0.5
    for i in range(100, n):
        partners = rng.choice(100, 3) if exposed[i] else rng.choice(np.arange(100, n), 3)
        src += [ids[i]] * 3
        tgt += [ids[j] for j in partners]
    links = pd.DataFrame({"source": src, "target": tgt, "year": 2000, "kind": "sales", "value": 1.0})
    t = np.arange(1, T + 1)
    eff = np.where(~part & exposed, 0.8, 0.0)
    y = rng.normal(size=(n, 1)) + eff[:, None] * (t[None, :] >= 3) + rng.normal(scale=0.5, size=(n, T))
    df = pd.DataFrame({"firm_id": np.repeat(ids, T), "year": np.tile(t, n), "output": y.ravel(),
                       "programme_entry_year": np.repeat(entry, T)})
    # a firm that appears in no link is left out and counted
    df = pd.concat([df, pd.DataFrame({"firm_id": "lonely", "year": t, "output": 0.0, "programme_entry_year": np.nan})])
    res = spillover_effects(df, "output", "firm_id", "year", "programme_entry_year", exposure="network",
                            links=links)
    top = res.effects.set_index("band").loc["(0.5, 1] share"]
    assert top["att"] == pytest.approx(0.8, abs=4 * top["se"])
    assert abs(top["att"] - 0.8) < 0.15
    excl = res.excluded.set_index("reason")["n"]
    assert excl.loc["no link to a firm in the panel (exposure share undefined)"] >= 1


def test_spillover_bad_inputs():
    df = _spatial(1)
    with pytest.raises(ParamsError, match="bands"):
        spillover_effects(df, "output", "firm_id", "year", "programme_entry_year", bands=(10, 5))
    with pytest.raises(ParamsError, match="links"):
        spillover_effects(df, "output", "firm_id", "year", "programme_entry_year", exposure="network")
    with pytest.raises(EstimationError, match="no unexposed non-participant"):
        spillover_effects(df, "output", "firm_id", "year", "programme_entry_year", bands=(0, 10, 500))
    with pytest.raises(DataContractError, match="'lat'"):
        spillover_effects(df.drop(columns="lat"), "output", "firm_id", "year", "programme_entry_year")
    bad = df.copy()
    bad.loc[bad.index[0], "lat"] = 123.0
    with pytest.raises(DataContractError, match="outside lat"):
        spillover_effects(bad, "output", "firm_id", "year", "programme_entry_year")
