"""Tests of agrocluster.agglomeration: estimation (recovery, hand cases, pyfixest parity, inference).

Published example: no replication data of Ciccone & Hall (1996) or Combes, Duranton & Gobillon (2008) is
reachable from this machine, so instead of a published table these tests check the published formulas:
the elasticity specification of Combes & Gobillon (2015, eq. 5.1) by hand, the Conley (1999) spatial HAC
by a double loop over pairs, and the WCR bootstrap of Cameron, Gelbach & Miller (2008) by brute force.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from agrocluster.agglomeration import (
    conley_vcov,
    estimate_agglomeration,
    haversine_km,
    sorting_check,
    wild_cluster_bootstrap,
)
from agrocluster.errors import DataContractError, EstimationError

BETA_L, BETA_U = 0.05, 0.03  # planted elasticities (the size of CDG 2008 / Ciccone-Hall density effects)


def panel(seed: int, n_regions: int = 40, firms_per_region: int = 8, years: int = 4, sorting: float = 0.0):
    """Firms in regions; region-year log localisation and urbanisation vary over time; the firm effect is
    correlated with the region's log localisation level (``sorting``), so only firm FE recover β."""
    rng = np.random.default_rng(seed)
    reg = np.repeat(np.arange(n_regions), firms_per_region)
    nf = len(reg)
    base_l = rng.normal(6.0, 1.0, n_regions)
    base_u = rng.normal(9.0, 1.0, n_regions)
    rows = []
    alpha = sorting * (base_l[reg] - 6.0) + rng.normal(0, 0.3, nf)
    region_shock = rng.normal(0, 0.05, (n_regions, years))  # common shock within region-year
    for t in range(years):
        log_l = base_l + rng.normal(0, 0.4, n_regions)
        log_u = base_u + 0.5 * (log_l - base_l) + rng.normal(0, 0.4, n_regions)
        eps = rng.normal(0, 0.1, nf) + region_shock[reg, t]
        log_y = BETA_L * log_l[reg] + BETA_U * log_u[reg] + alpha + 0.02 * t + eps
        rows.append(
            pd.DataFrame(
                {
                    "firm_id": [f"F{i:04d}" for i in range(nf)],
                    "year": 2015 + t,
                    "region": [f"R{r:02d}" for r in reg],
                    "va_per_worker": np.exp(log_y),
                    "loc": np.exp(log_l[reg]),
                    "urb": np.exp(log_u[reg]),
                    "size": rng.normal(0, 1, nf),
                }
            )
        )
    return pd.DataFrame(pd.concat(rows, ignore_index=True))


# ---------------------------------------------------------------------------------------------------------
# recovery across seeds
# ---------------------------------------------------------------------------------------------------------
def test_recovery_bias_and_coverage_over_seeds():
    reps = 50
    est_l, est_u, cover_l, cover_u = [], [], 0, 0
    for seed in range(reps):
        r = estimate_agglomeration(panel(seed, sorting=1.0), "va_per_worker", "loc", urbanisation="urb", logs=True)
        est_l.append(r.coef["loc"])
        est_u.append(r.coef["urb"])
        cover_l += r.ci_low["loc"] <= BETA_L <= r.ci_high["loc"]
        cover_u += r.ci_low["urb"] <= BETA_U <= r.ci_high["urb"]
    # bias ≈ 0: the mean over seeds is within 3 Monte Carlo standard errors of the truth
    for est, truth in ((est_l, BETA_L), (est_u, BETA_U)):
        est = np.asarray(est)
        assert abs(est.mean() - truth) < 3 * est.std(ddof=1) / np.sqrt(reps), (est.mean(), truth)
    # 95% coverage: with 50 reps, a binomial(50, .95) lies in [43, 50] with probability > 0.99
    assert cover_l >= 43 and cover_u >= 43, (cover_l, cover_u)


def test_sorting_check_pooled_biased_firm_fe_unbiased():
    shares, within, pooled = [], [], []
    for seed in range(8):
        s = sorting_check(panel(seed, sorting=1.0), "va_per_worker", "loc", urbanisation="urb", logs=True)
        shares.append(s.sorting_share["loc"])
        within.append(s.within.coef["loc"])
        pooled.append(s.pooled.coef["loc"])
    # firm effects load 1.0 on the log localisation level: pooled elasticity ≈ 1 + β, firm FE ≈ β
    assert abs(np.mean(within) - BETA_L) < 0.01
    assert np.mean(pooled) > 0.5
    assert all(0.8 < x < 1.0 for x in shares)
    tab = s.table()
    assert list(tab.columns) == [
        "term",
        "coef_pooled",
        "se_pooled",
        "coef_firm_fe",
        "se_firm_fe",
        "sorting_share",
    ]
    assert s.pooled.fe == ("year",) and s.within.fe == ("firm_id", "year")


def test_no_sorting_means_no_sorting_share():
    s = sorting_check(panel(3, sorting=0.0), "va_per_worker", "loc", urbanisation="urb", logs=True)
    assert abs(s.pooled.coef["loc"] - s.within.coef["loc"]) < 4 * s.within.se["loc"]


# ---------------------------------------------------------------------------------------------------------
# hand cases and parity with pyfixest
# ---------------------------------------------------------------------------------------------------------
def test_hand_case_no_fixed_effects():
    # log y = 1 + 0.5 log x exactly except one point: OLS slope by hand = cov(lx, ly) / var(lx)
    x = np.array([1.0, np.e, np.e**2, np.e**3])
    ly = np.array([1.0, 1.5, 2.0, 2.7])  # last point off the line
    d = pd.DataFrame({"firm_id": list("abcd"), "year": 2020, "region": list("ppqq"), "y": np.exp(ly), "x": x})
    r = estimate_agglomeration(d, "y", "x", fe=(), vcov="hetero", cluster=None, logs=True)
    lx = np.log(x)
    slope = ((lx - lx.mean()) * (ly - ly.mean())).sum() / ((lx - lx.mean()) ** 2).sum()
    assert slope == pytest.approx(0.56)  # (0*… ) computed by hand: Sxy = 2.8, Sxx = 5
    assert r.coef["x"] == pytest.approx(slope, abs=1e-12)
    assert r.coef["Intercept"] == pytest.approx(ly.mean() - slope * lx.mean(), abs=1e-12)
    assert r.nobs == 4


def test_hand_case_firm_fixed_effect_within_slope():
    # two firms, three years: within each firm, log y moves 0.1 per unit of log loc for firm a and 0.3 for b;
    # the within estimator pools the demeaned data: β = Σ x̃ỹ / Σ x̃² = (0.1·2 + 0.3·8) / (2 + 8) = 0.26
    d = pd.DataFrame(
        {
            "firm_id": ["a"] * 3 + ["b"] * 3,
            "year": [1, 2, 3] * 2,
            "region": ["r1"] * 3 + ["r2"] * 3,
            "loc": np.exp([1.0, 2.0, 3.0, 1.0, 3.0, 5.0]),
            "y": np.exp([0.0, 0.1, 0.2, 1.0, 1.6, 2.2]),
        }
    )
    r = estimate_agglomeration(d, "y", "loc", fe=("firm_id",), vcov="hetero", cluster=None, logs=True)
    assert r.coef["loc"] == pytest.approx(0.26, abs=1e-12)


def test_identical_to_direct_pyfixest_call():
    d = panel(11)
    r = estimate_agglomeration(d, "va_per_worker", "loc", urbanisation="urb", controls=["size"], logs=True)
    dd = d.assign(ly=np.log(d["va_per_worker"]), ll=np.log(d["loc"]), lu=np.log(d["urb"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = pf.feols("ly ~ ll + lu + size | firm_id + year", data=dd, vcov={"CRV1": "region"})
    np.testing.assert_allclose(
        r.coef[["loc", "urb", "size"]].to_numpy(), direct.coef().to_numpy(), rtol=1e-12
    )
    np.testing.assert_allclose(r.se[["loc", "urb", "size"]].to_numpy(), direct.se().to_numpy(), rtol=1e-10)
    assert r.nobs == direct._N
    tab = r.table()
    assert {"term", "coef", "se", "t", "p", "ci_low", "ci_high"} <= set(tab.columns)
    assert r.summary().shape[1] == 1


def test_iv_matches_pyfixest_and_recovers_beta():
    ests = []
    for seed in range(6):
        rng = np.random.default_rng(100 + seed)
        d = panel(seed)
        z = rng.normal(0, 1, len(d))
        v = rng.normal(0, 0.3, len(d))
        log_l = np.log(d["loc"]) + 0.5 * z + v  # endogenous: shares v with the outcome
        d = d.assign(
            loc=np.exp(log_l),
            hist=np.exp(z + 3),
            va_per_worker=d["va_per_worker"] * np.exp(BETA_L * (log_l - np.log(d["loc"])) + 0.5 * v),
        )
        r = estimate_agglomeration(d, "va_per_worker", "loc", urbanisation="urb", iv="hist", logs=True)
        ests.append(r.coef["loc"])
        assert r.first_stage_f > 10 and r.first_stage is not None
        assert "log(hist)" in r.first_stage.index
    dd = d.assign(
        ly=np.log(d["va_per_worker"]), ll=np.log(d["loc"]), lu=np.log(d["urb"]), lz=np.log(d["hist"])
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = pf.feols("ly ~ lu | firm_id + year | ll ~ lz", data=dd, vcov={"CRV1": "region"})
    np.testing.assert_allclose(r.coef[["urb", "loc"]].to_numpy(), direct.coef().to_numpy(), rtol=1e-10)
    assert abs(np.mean(ests) - BETA_L) < 0.02  # OLS bias ≈ cov(log loc, 0.5 v) / var ≈ 0.045 / 0.5 ≈ 0.09


# ---------------------------------------------------------------------------------------------------------
# Conley and wild bootstrap
# ---------------------------------------------------------------------------------------------------------
def geo_panel(seed: int, n: int = 300):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame(
        {
            "firm_id": [f"f{i}" for i in range(n)],
            "year": rng.integers(2018, 2021, n),
            "region": rng.choice(["A", "B", "C", "D"], n),
            "lat": rng.uniform(-35, -33, n),
            "lon": rng.uniform(-72, -70, n),
            "loc": np.exp(rng.normal(5, 1, n)),
        }
    )
    d["y"] = np.exp(0.05 * np.log(d["loc"]) + rng.normal(0, 0.2, n))
    return d


def test_conley_tiny_cutoff_equals_hetero():
    d = geo_panel(1)
    het = estimate_agglomeration(d, "y", "loc", fe=("year",), vcov="hetero", cluster=None, logs=True)
    con = estimate_agglomeration(
        d, "y", "loc", fe=("year",), vcov="conley", conley_cutoff_km=1e-6, cluster=None, logs=True
    )
    np.testing.assert_allclose(con.se.to_numpy(), het.se.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(con.coef.to_numpy(), het.coef.to_numpy(), rtol=1e-14)
    big = estimate_agglomeration(
        d, "y", "loc", fe=("year",), vcov="conley", conley_cutoff_km=100.0, cluster=None, logs=True
    )
    assert big.se["loc"] != pytest.approx(het.se["loc"], rel=1e-3)
    assert big.vcov_type.startswith("conley(100 km")


@pytest.mark.parametrize("kernel", ["uniform", "bartlett"])
@pytest.mark.parametrize("by_time", ["year", None])
def test_conley_equals_double_loop_by_hand(kernel, by_time):
    rng = np.random.default_rng(5)
    n = 12
    d = pd.DataFrame(
        {
            "firm_id": [f"f{i // 2}" for i in range(n)],
            "year": [2019, 2020] * 6,
            "region": "A",
            "lat": rng.uniform(-34, -33.5, n),
            "lon": rng.uniform(-71, -70.5, n),
            "loc": np.exp(rng.normal(0, 1, n)),
            "y": np.exp(rng.normal(0, 1, n)),
        }
    )
    cutoff = 30.0
    r = estimate_agglomeration(
        d,
        "y",
        "loc",
        fe=(),
        vcov="conley",
        conley_cutoff_km=cutoff,
        conley_kernel=kernel,
        conley_by_time=by_time,
        cluster=None, logs=True
    )
    X = np.column_stack([np.ones(n), np.log(d["loc"])])
    ly = np.log(d["y"]).to_numpy()
    b = np.linalg.solve(X.T @ X, X.T @ ly)
    u = ly - X @ b
    meat = np.zeros((2, 2))
    for i in range(n):
        for j in range(n):
            if by_time and d["year"][i] != d["year"][j]:
                # panel form (conley_unit="firm_id" by default): the same firm in other years, weight 1
                if d["firm_id"][i] == d["firm_id"][j]:
                    meat += u[i] * u[j] * np.outer(X[i], X[j])
                continue
            dij = haversine_km(d["lat"][i], d["lon"][i], d["lat"][j], d["lon"][j])
            if dij <= cutoff:
                w = 1.0 if kernel == "uniform" else 1 - dij / cutoff
                meat += w * u[i] * u[j] * np.outer(X[i], X[j])
    A = np.linalg.inv(X.T @ X)
    V = n / (n - 2) * A @ meat @ A  # the HC1 factor N/(N-k) that pyfixest applies to vcov="hetero"
    # compare the whole matrix: the uniform kernel need not give a positive definite V (Conley 1999, §3)
    np.testing.assert_allclose(
        r.vcov.loc[["Intercept", "loc"], ["Intercept", "loc"]].to_numpy(), V, rtol=1e-10
    )


def _conley_size(reps: int, n: int, T: int, rho: float, seed: int, batch: int = 20) -> dict:
    """Rejection rates at 5 % of H0: β = 0.5 (true) with Conley SEs, in ``reps`` small worlds.

    Each world: n firms at fixed random places, T years, regressor and error both AR(1) within firm with
    coefficient rho (persistent errors, as a firm panel has), independent across firms. Worlds are fitted
    at once (OLS of y on 1, x per world) and ``batch`` of them share one conley_vcov call through a
    block-diagonal design with world-specific columns: each world's covariance is a diagonal block
    (pairs across worlds only feed off-diagonal blocks).
    """
    rng = np.random.default_rng(seed)
    shocks = rng.normal(size=(2, reps, n, T))
    xe = np.empty_like(shocks)
    xe[..., 0] = shocks[..., 0]
    for t in range(1, T):
        xe[..., t] = rho * xe[..., t - 1] + np.sqrt(1 - rho**2) * shocks[..., t]
    x, y = xe[0].reshape(reps, -1), (0.5 * xe[0] + xe[1]).reshape(reps, -1)
    xc = x - x.mean(axis=1, keepdims=True)
    b1 = (xc * y).sum(axis=1) / (xc**2).sum(axis=1)
    u = y - y.mean(axis=1, keepdims=True) - b1[:, None] * xc
    lat = np.repeat(rng.uniform(-36, -30, (reps, n)), T, axis=1)
    lon = np.repeat(rng.uniform(-73, -67, (reps, n)), T, axis=1)
    m = batch * n * T
    rows, world = np.arange(m), np.repeat(np.arange(batch), n * T)
    year = np.tile(np.arange(T), batch * n)
    firm = np.repeat(np.arange(batch * n), T)
    reject = {"panel": [], "by year only": []}
    for start in range(0, reps, batch):
        w = slice(start, start + batch)
        X = np.zeros((m, 2 * batch))
        X[rows, 2 * world] = 1.0
        X[rows, 2 * world + 1] = x[w].ravel()
        for label, unit in (("panel", firm), ("by year only", None)):
            V = conley_vcov(X, u[w].ravel(), lat[w].ravel(), lon[w].ravel(), 10.0, time=year, unit=unit)
            reject[label].append(np.abs(b1[w] - 0.5) / np.sqrt(np.diag(V)[1::2]) > 1.959964)
    return {k: float(np.mean(np.concatenate(v))) for k, v in reject.items()}


def test_conley_panel_form_has_size_near_5_percent_where_by_year_over_rejects():
    """Issue 11 item 6: with errors persistent within firms, the by-year Conley HAC (no correlation across
    years) over-rejects; the panel form (acreg's id/time: same firm across years kept) is near 5 %.
    300 worlds: Monte Carlo SE of a 5 % rate = 1.3 points; the band allows three of them plus the
    small-sample excess of a sandwich with 60 firms (normal critical value, no ssc). About 4 s with one
    BLAS/numba thread (the runner's setting); contended threads on a loaded machine make it slower."""
    rates = _conley_size(reps=300, n=60, T=4, rho=0.9, seed=11, batch=30)
    mcse = np.sqrt(0.05 * 0.95 / 300)
    assert abs(rates["panel"] - 0.05) < 3 * mcse + 0.01
    assert rates["by year only"] > 0.15


def test_wild_bootstrap_equals_brute_force_loop():
    rng = np.random.default_rng(3)
    G, n = 7, 140
    g = rng.integers(0, G, n)
    X = np.column_stack([rng.normal(size=n), rng.normal(size=n) + 0.3 * g])
    y = 0.2 * X[:, 0] + rng.normal(size=G)[g] + rng.normal(size=n)
    out = wild_cluster_bootstrap(X, y, g, reps=199, weights="webb", seed=42)
    # brute force: same draws, explicit re-estimation per replication
    V = np.random.default_rng(42).choice(
        np.array([-np.sqrt(1.5), -1, -np.sqrt(0.5), np.sqrt(0.5), 1, np.sqrt(1.5)]), size=(G, 199)
    )

    def crv_t(Xm, ym, k):
        A = np.linalg.inv(Xm.T @ Xm)
        b = A @ Xm.T @ ym
        e = ym - Xm @ b
        S = np.vstack([Xm[g == c].T @ e[g == c] for c in range(G)])
        return b[k] / np.sqrt((A @ S.T @ S @ A)[k, k])

    for k in range(2):
        keep = [c for c in range(2) if c != k]
        br = np.linalg.lstsq(X[:, keep], y, rcond=None)[0]
        ur = y - X[:, keep] @ br
        tstars = np.array([crv_t(X, X[:, keep] @ br + ur * V[g, b], k) for b in range(199)])
        t0 = crv_t(X, y, k)
        assert out.loc[k, "t"] == pytest.approx(t0, rel=1e-10)
        assert out.loc[k, "wild_p"] == pytest.approx(np.mean(np.abs(tstars) >= abs(t0)), abs=1e-12)


def test_wild_bootstrap_size_with_few_clusters():
    # under H0 with 8 unequal clusters and cluster-correlated errors, WCR rejects near 5% at the 5% level
    rejections = 0
    sims = 200
    for s in range(sims):
        rng = np.random.default_rng(1000 + s)
        sizes = np.array([5, 10, 15, 20, 30, 40, 60, 80])
        g = np.repeat(np.arange(8), sizes)
        x = rng.normal(size=8)[g] + rng.normal(size=len(g))
        y = rng.normal(size=8)[g] + rng.normal(size=len(g))
        X = np.column_stack([np.ones(len(g)), x])
        p = wild_cluster_bootstrap(X, y, g, reps=199, weights="webb", seed=s, terms=[1]).loc[1, "wild_p"]
        rejections += p <= 0.05
    # binomial(200, .05): mean 10, sd 3.1; nominal size far from the 20-30% of CRV1 with 8 clusters
    assert 2 <= rejections <= 22, rejections


def test_wild_bootstrap_through_estimate_is_seeded():
    d = panel(2, n_regions=8)
    a = estimate_agglomeration(d, "va_per_worker", "loc", urbanisation="urb", wild_bootstrap=199, seed=7, logs=True)
    b = estimate_agglomeration(d, "va_per_worker", "loc", urbanisation="urb", wild_bootstrap=199, seed=7, logs=True)
    pd.testing.assert_frame_equal(a.wild, b.wild)
    assert a.wild.loc["loc", "weights"] == "webb" and a.wild.loc["loc", "n_clusters"] == 8
    assert "wild_p" in a.table().columns
    c = estimate_agglomeration(d, "va_per_worker", "loc", urbanisation="urb", logs=True)
    assert any("8 clusters" in n for n in c.notes)


# ---------------------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------------------
def test_nonpositive_outcome_raises_or_is_counted():
    d = panel(4)
    d.loc[[0, 5, 9], "va_per_worker"] = [0.0, -1.0, 0.0]
    with pytest.raises(DataContractError, match=r"'va_per_worker' has 3 row\(s\) <= 0"):
        estimate_agglomeration(d, "va_per_worker", "loc", logs=True)
    r = estimate_agglomeration(d, "va_per_worker", "loc", drop_nonpositive=True, logs=True)
    ex = r.excluded.set_index("reason")["n"]
    assert ex["non-positive 'va_per_worker' (log undefined)"] == 3
    # the three dropped rows leave three firms with three years: no singletons, so nobs = N - 3
    assert r.nobs == len(d) - 3


def test_missing_values_are_counted():
    d = panel(4)
    d.loc[[1, 2], "urb"] = np.nan
    r = estimate_agglomeration(d, "va_per_worker", "loc", urbanisation="urb", logs=True)
    assert r.excluded.set_index("reason")["n"]["missing or non-finite value in 'urb'"] == 2


def test_singletons_are_counted():
    d = panel(4)
    extra = d.iloc[:3].assign(firm_id=["S1", "S2", "S3"])  # three firms seen once
    d = pd.concat([d, extra], ignore_index=True)
    r = estimate_agglomeration(d, "va_per_worker", "loc", urbanisation="urb", logs=True)
    ex = r.excluded.set_index("reason")["n"]
    assert ex.filter(like="singleton").iloc[0] == 3
    assert r.nobs == len(d) - 3


def test_collinear_measures_named():
    d = panel(4)
    d["loc2"] = d["loc"] ** 2  # log(loc2) = 2 log(loc)
    with pytest.raises(EstimationError, match="loc2"):
        estimate_agglomeration(d, "va_per_worker", "loc", urbanisation="loc2", logs=True)


def test_measure_absorbed_by_firm_fe_named():
    d = panel(4)
    d["fixed"] = np.exp(d["firm_id"].str[1:].astype(int) / 100 + 1)  # constant within firm
    with pytest.raises(EstimationError, match=r"'fixed'.*absorbed"):
        estimate_agglomeration(d, "va_per_worker", "loc", diversity="fixed", logs=True)


def test_one_region_only():
    d = panel(4).assign(region="ONLY")
    with pytest.raises(EstimationError, match=r"cluster 'region' has a single value.*vcov='hetero'"):
        estimate_agglomeration(d, "va_per_worker", "loc", logs=True)
    r = estimate_agglomeration(d, "va_per_worker", "loc", vcov="hetero", logs=True)
    assert r.vcov_type == "hetero" and np.isfinite(r.se["loc"])


def test_missing_column_and_bad_options():
    d = panel(4)
    with pytest.raises(DataContractError, match="nope"):
        estimate_agglomeration(d, "va_per_worker", "nope", logs=True)
    with pytest.raises(DataContractError, match=r"\['loc'\] used in more than one role"):
        estimate_agglomeration(d, "va_per_worker", "loc", urbanisation="loc", logs=True)
    with pytest.raises(EstimationError, match="conley_cutoff_km"):
        estimate_agglomeration(d, "va_per_worker", "loc", vcov="conley", logs=True)
    with pytest.raises(EstimationError, match="vcov must be one of"):
        estimate_agglomeration(d, "va_per_worker", "loc", vcov="HC7", logs=True)
    with pytest.raises(DataContractError, match="'region'.*numeric|must be numeric"):
        estimate_agglomeration(d, "va_per_worker", "loc", controls=["region"], logs=True)


def test_all_rows_singletons_raise_instead_of_crashing():
    # each firm seen once with firm fixed effects: pyfixest 0.60's Rust demeaner aborts the process on the
    # empty sample, so the function must stop first with a clear message
    d = panel(4)
    d = d[d["year"] == 2015]
    with pytest.raises(EstimationError, match=r"every one of the \d+ rows is alone in a group.*firm_id"):
        estimate_agglomeration(d, "va_per_worker", "loc", logs=True)


def test_infinite_control_is_counted_not_passed_on():
    d = panel(4)
    d.loc[3, "size"] = np.inf
    r = estimate_agglomeration(d, "va_per_worker", "loc", controls=["size"], logs=True)
    assert r.excluded.set_index("reason")["n"]["missing or non-finite value in 'size'"] == 1


def test_interacted_fixed_effects_match_pyfixest():
    d = panel(6).assign(sector=lambda x: np.where(x["firm_id"].str[-1].isin(list("01234")), "0111", "1101"))
    r = estimate_agglomeration(d, "va_per_worker", "loc", urbanisation="urb", fe=("firm_id", "sector^year"), logs=True)
    dd = d.assign(ly=np.log(d["va_per_worker"]), ll=np.log(d["loc"]), lu=np.log(d["urb"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = pf.feols("ly ~ ll + lu | firm_id + sector^year", data=dd, vcov={"CRV1": "region"})
    np.testing.assert_allclose(r.coef.to_numpy(), direct.coef().to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(r.se.to_numpy(), direct.se().to_numpy(), rtol=1e-8)
    assert r.formula == "log(va_per_worker) ~ log(loc) + log(urb) | firm_id + sector^year"


def test_logs_default_takes_columns_as_given_and_iid_vcov_is_pyfixest_iid():
    """Issue 11 items 3 and 7: columns enter as given unless logs=True (as pyfixest formulas); vcov="iid"
    equals pyfixest's classical covariance on the same formula."""
    d = geo_panel(2)
    lev = estimate_agglomeration(d, "y", "loc", fe=("year",), vcov="iid", cluster=None, logs=True)
    logged = d.assign(y=np.log(d["y"]), loc=np.log(d["loc"]))
    given = estimate_agglomeration(logged, "y", "loc", fe=("year",), vcov="iid", cluster=None)
    np.testing.assert_allclose(given.coef.to_numpy(), lev.coef.to_numpy(), rtol=1e-12)
    assert not given.logged and lev.vcov_type == "iid"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = pf.feols("y ~ loc | year", data=logged, vcov="iid")
    assert given.se["loc"] == pytest.approx(float(direct.se()["loc"]), rel=1e-10)
    # logs=True on columns already in logs would log them again: negative logs are refused, not used
    with pytest.raises(DataContractError, match="<= 0"):
        estimate_agglomeration(logged, "y", "loc", fe=("year",), vcov="iid", cluster=None, logs=True)


def test_intercept_se_and_r2_match_statsmodels_and_fixed_effects_say_so():
    """Issue 11 item 7: without fixed effects the table has the intercept with its SE and R² (statsmodels
    OLS, classical and HC1 covariance); with region effects the intercept is absorbed (said in the summary)
    and both R² (effects as dummies, statsmodels) and the within R² (demeaned regression) are reported."""
    sm = pytest.importorskip("statsmodels.api")
    d = geo_panel(3)
    ly, lx = np.log(d["y"].to_numpy()), np.log(d["loc"].to_numpy())
    ols = sm.OLS(ly, sm.add_constant(lx)).fit()
    for vcov, cov_type in (("iid", "nonrobust"), ("hetero", "HC1")):
        r = estimate_agglomeration(d, "y", "loc", fe=(), vcov=vcov, cluster=None, logs=True)
        ref = ols if cov_type == "nonrobust" else ols.get_robustcov_results(cov_type)
        np.testing.assert_allclose(r.coef[["Intercept", "loc"]].to_numpy(), ref.params, rtol=1e-10)
        np.testing.assert_allclose(r.se[["Intercept", "loc"]].to_numpy(), ref.bse, rtol=1e-8)
        assert r.fit_statistics() == {"R²": pytest.approx(ols.rsquared, rel=1e-10)}
        assert r.r2_within is None and "intercept" not in r.summary().index
    fe = estimate_agglomeration(d, "y", "loc", fe=("region",), vcov="iid", cluster=None, logs=True)
    firm = pd.get_dummies(d["region"], dtype=float).to_numpy()
    dummies = sm.OLS(ly, np.column_stack([lx, firm])).fit()
    assert fe.coef["loc"] == pytest.approx(dummies.params[0], rel=1e-10)
    assert fe.se["loc"] == pytest.approx(dummies.bse[0], rel=1e-8)
    demeaned = pd.DataFrame({"y": ly, "x": lx}).groupby(d["region"].to_numpy()).transform(lambda s: s - s.mean())
    within = sm.OLS(demeaned["y"].to_numpy(), demeaned["x"].to_numpy()).fit()  # uncentred = centred: means are 0
    assert fe.fit_statistics() == {"R²": pytest.approx(dummies.rsquared, rel=1e-10),
                                   "R² within": pytest.approx(within.rsquared, rel=1e-10)}
    assert "Intercept" not in fe.coef.index and fe.summary().loc["intercept"].iloc[0] == "absorbed by the fixed effects"
