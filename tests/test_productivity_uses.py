"""Tests of productivity_premium, dispersion and olley_pakes_decomposition."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agrocluster.errors import DataContractError, EstimationError
from agrocluster.productivity import dispersion, olley_pakes_decomposition, productivity_premium


def premium_panel(seed: int, premium: float, growth: float = 0.0, n_firms: int = 300, n_years: int = 6):
    """Log TFP = sector-year effect + firm effect + (premium + growth·(t - t0))·member + noise.

    Membership is more likely in sector 'A', whose mean TFP is higher: without sector-year effects
    the premium would be over-stated.
    """
    rng = np.random.default_rng(seed)
    sector = rng.choice(["A", "B", "C"], n_firms)
    member = rng.random(n_firms) < np.where(sector == "A", 0.6, 0.2)
    firm_fe = rng.normal(0, 0.2, n_firms)
    sector_level = {"A": 0.5, "B": 0.0, "C": -0.2}
    rows = []
    for t in range(n_years):
        shock = {s: rng.normal(0, 0.1) for s in "ABC"}
        for i in range(n_firms):
            w = (sector_level[sector[i]] + shock[sector[i]] + firm_fe[i]
                 + member[i] * (premium + growth * t) + rng.normal(0, 0.15))
            rows.append((f"f{i}", 2010 + t, sector[i], bool(member[i]), w, np.exp(rng.normal(3, 1))))
    return pd.DataFrame(rows, columns=["firm_id", "year", "sector", "cluster_member", "tfp", "output"])


def test_premium_recovers_known_gap_across_seeds_with_coverage():
    hits, est = 0, []
    for seed in range(8):
        d = premium_panel(seed, premium=0.1)
        r = productivity_premium(d, d["tfp"])
        est.append(r.premium)
        hits += abs(r.premium - 0.1) < 1.96 * r.se
    assert abs(np.mean(est) - 0.1) < 0.02
    assert hits >= 6  # 95 % intervals: P(fewer than 6 of 8 cover) < 0.01


def test_premium_by_year_and_growing_gap():
    d = premium_panel(3, premium=0.05, growth=0.04)
    r = productivity_premium(d, "tfp")
    assert list(r.by_year.year) == list(range(2010, 2016))
    assert r.by_year.premium.iloc[-1] > r.by_year.premium.iloc[0]
    assert abs(r.trend - 0.04) < 3 * r.trend_se
    assert r.trend_pvalue < 0.05
    assert r.nobs == len(d) and r.excluded.empty
    assert "higher" in r.reading() and list(r.table().term) == ["member premium", "premium trend per period"]


def test_premium_counts_rows_without_tfp():
    d = premium_panel(1, premium=0.1)
    tfp = d["tfp"].iloc[10:]
    r = productivity_premium(d, tfp)
    assert dict(zip(r.excluded.reason, r.excluded.n)) == {"no TFP estimate": 10}
    assert r.nobs == len(d) - 10


def test_premium_bad_input():
    d = premium_panel(1, premium=0.1)
    with pytest.raises(DataContractError, match="cluster_member"):
        productivity_premium(d.assign(cluster_member="yes"), "tfp")
    with pytest.raises(EstimationError, match="all members"):
        productivity_premium(d.assign(cluster_member=True), "tfp")
    with pytest.raises(DataContractError, match="region"):
        productivity_premium(d, "tfp", fe=("region", "year"))


def test_dispersion_by_hand():
    w = pd.Series(np.log(np.arange(1.0, 11.0)))
    out = dispersion(w)
    q = np.quantile(w, [0.1, 0.25, 0.75, 0.9])
    assert out.loc["all", "p90_p10"] == pytest.approx(q[3] - q[0])
    assert out.loc["all", "ratio_75_25"] == pytest.approx(np.exp(q[2] - q[1]))
    assert out.loc["all", "n"] == 10
    g = pd.Series(["a"] * 5 + ["b"] * 5)
    by = dispersion(w, by=g)
    assert by.loc["b", "p75_p25"] == pytest.approx(np.subtract(*np.quantile(w[5:], [0.75, 0.25])))


def test_olley_pakes_decomposition_by_hand():
    d = pd.DataFrame({"year": [1, 1, 2, 2, 2], "output": [1.0, 3.0, 1.0, 1.0, 2.0],
                      "w": [0.0, 1.0, 0.0, 1.0, 2.0]})
    out = olley_pakes_decomposition(d, d["w"], weight="output", time="year")
    assert out.loc[1, "aggregate"] == pytest.approx(0.75)
    assert out.loc[1, "unweighted_mean"] == pytest.approx(0.5)
    assert out.loc[1, "covariance"] == pytest.approx(0.25)
    assert out.loc[2, "aggregate"] == pytest.approx((0 + 1 + 4) / 4)
    assert out.loc[2, "d_cov"] == pytest.approx((1.25 - 1.0) - 0.25)
    # covariance term equals Σ (s - s̄)(ω - ω̄), Olley & Pakes (1996) eq. (16)
    s = np.array([0.25, 0.25, 0.5])
    assert out.loc[2, "covariance"] == pytest.approx(np.sum((s - s.mean()) * (np.array([0, 1, 2]) - 1)))


def test_olley_pakes_bad_weights():
    d = pd.DataFrame({"year": [1, 1], "output": [1.0, -3.0], "w": [0.0, 1.0]})
    with pytest.raises(DataContractError, match="negative"):
        olley_pakes_decomposition(d, "w", weight="output")


def test_mean_within_dispersion_weights_groups_by_firms():
    import numpy as np
    import pandas as pd

    from agrocluster.productivity import mean_within_dispersion

    # group a: 0..10 (11 firms), 90-10 = 9 - 1 = 8; group b: 0, 2 (2 firms), 90-10 = 1.8 - 0.2 = 1.6
    tfp = pd.Series(np.r_[np.arange(11.0), 0.0, 2.0])
    by = pd.Series(["a"] * 11 + ["b"] * 2)
    value, groups = mean_within_dispersion(tfp, by)
    assert groups == 2
    assert value == pytest.approx((11 * 8 + 2 * 1.6) / 13)
