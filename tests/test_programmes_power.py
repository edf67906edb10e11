"""Power and credibility of programme evaluations (issue 12 item 4): minimum detectable effects, and a
pre-trend test whose size holds with tiny cohorts, by hand and by simulation."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from agrocluster.errors import ParamsError
from agrocluster.programmes import cohort_power, minimum_detectable_effect, staggered_did
from agrocluster.programmes.power import mde_multiplier

YEARS = list(range(2001, 2009))


def _world(rng, sizes, n_never=150, trend_gap=0.0, effect=0.3):
    """Balanced panel: unit effects, common year effects, iid N(0,1) noise; cohorts entering 2004–2007
    with ``sizes`` units; ``trend_gap`` adds a cohort-specific linear pre-trend (parallel trends fail)."""
    g = np.array([0] * n_never + [e for e, m in zip([2004, 2005, 2006, 2007], sizes, strict=False) for _ in range(m)])
    t = np.arange(len(YEARS))
    y = rng.normal(size=(len(g), 1)) + 0.1 * t + rng.normal(size=(len(g), len(YEARS)))
    y += trend_gap * t * (g[:, None] > 0) + effect * ((np.array(YEARS) >= g[:, None]) & (g[:, None] > 0))
    return pd.DataFrame({"unit": np.repeat(np.arange(len(g)), len(YEARS)), "year": np.tile(YEARS, len(g)),
                         "g": np.repeat(g, len(YEARS)), "y": y.ravel()})


def test_mde_matches_the_textbook_formula_by_hand():
    # (z_.975 + z_.80) = 1.959964 + 0.841621 = 2.801585 (Bloom 1995, eq. 1)
    assert mde_multiplier() == pytest.approx(1.959964 + 0.841621, abs=1e-6)
    assert minimum_detectable_effect(0.06) == pytest.approx(2.801585 * 0.06, abs=1e-6)
    # issue 12: an SE of 0.0607 gives an MDE of about 0.17 against a planted 0.056
    assert minimum_detectable_effect(0.0607) == pytest.approx(0.17, abs=0.001)
    # 10 % size, 90 % power: 1.644854 + 1.281552
    assert minimum_detectable_effect(1.0, alpha=0.10, power=0.9) == pytest.approx(2.926405, abs=1e-6)
    np.testing.assert_allclose(minimum_detectable_effect(np.array([0.1, np.nan])), [0.2801585, np.nan], atol=1e-7)
    with pytest.raises(ParamsError, match="power"):
        minimum_detectable_effect(0.1, power=1.2)
    with pytest.raises(ParamsError, match="non-negative"):
        minimum_detectable_effect(-0.1)


def test_mde_is_the_effect_detected_with_80_percent_power():
    """Simulated: with a true effect equal to the MDE of its SE, a 5 % two-sided z-test rejects in 80 %
    of samples (difference of two means, n = 50 per arm, σ = 1)."""
    rng = np.random.default_rng(0)
    se = np.sqrt(2 / 50)
    effect = minimum_detectable_effect(se)
    est = effect + se * rng.standard_normal(20_000)
    assert np.mean(np.abs(est / se) > stats.norm.ppf(0.975)) == pytest.approx(0.80, abs=0.01)


def test_cohort_power_table():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = staggered_did(_world(np.random.default_rng(1), [30, 3, 40, 25]), "y", "unit", "year", "g",
                            bootstrap=0)
    table = res.power()
    assert table["cohort"].tolist() == ["2004", "2005", "2006", "2007", "all cohorts"]
    assert table["n_units"].tolist() == [30, 3, 40, 25, 98]
    np.testing.assert_allclose(table["mde"], 2.801585 * table["se"], rtol=1e-6)
    assert table.set_index("cohort").loc["2005", "mde"] > table.set_index("cohort").loc["2006", "mde"]
    pd.testing.assert_frame_equal(table, cohort_power(res))
    summary = res.summary()
    assert summary.loc[0, "mde"] == pytest.approx(table["mde"].iloc[-1])
    assert {"pretrend_pvalue", "credible"} <= set(summary.columns)


def _rejections(sizes_of, reps: int, seed: int, trend_gap: float = 0.0) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    wald = sup_t = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for r in range(reps):
            res = staggered_did(_world(rng, sizes_of(rng), trend_gap=trend_gap), "y", "unit", "year", "g",
                                bootstrap=0, seed=r, pretrend_draws=999)
            wald += res.pretest_pvalue < 0.05
            sup_t += res.pretrend_pvalue < 0.05
    return wald / reps, sup_t / reps


def test_pretrend_size_with_cohorts_of_two_to_four_units():
    """Parallel trends hold; four cohorts of 2–4 units. did's Wald test rejects in about a third of
    samples; the sup-t test with small-sample marginals stays at or below 5 % (binomial 3-SE margin)."""
    reps = 60
    wald, sup_t = _rejections(lambda rng: rng.integers(2, 5, size=4), reps, seed=5)
    assert wald > 0.15
    assert sup_t <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / reps)


def test_pretrend_size_and_power_with_cohorts_of_45_units():
    reps = 60
    _, sup_t = _rejections(lambda rng: np.full(4, 45), reps, seed=6)
    assert sup_t <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / reps)
    # a pre-trend of 0.6 (noise SD 1) a year in the treated cohorts is caught in almost every sample
    _, power = _rejections(lambda rng: np.full(4, 45), 20, seed=7, trend_gap=0.6)
    assert power >= 0.9


def test_credible_flag_and_untestable_cohorts():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bent = staggered_did(_world(np.random.default_rng(2), [45] * 4, trend_gap=1.0), "y", "unit", "year", "g",
                             bootstrap=0)
        flat = staggered_did(_world(np.random.default_rng(3), [45] * 4), "y", "unit", "year", "g", bootstrap=0)
        single = staggered_did(_world(np.random.default_rng(4), [1, 0, 0, 0]), "y", "unit", "year", "g",
                               bootstrap=0)
    assert bent.credible is False and bent.pretrend_pvalue < 0.001
    assert flat.credible is (flat.pretrend_pvalue >= 0.05)
    assert flat.pretrend_cells == 2 + 3 + 4 + 5 and flat.pretrend_untested == 0
    # a one-unit cohort has no variance to studentize with: untested, credibility unknown
    assert single.credible is None and np.isnan(single.pretrend_pvalue) and single.pretrend_untested == 2
    again = staggered_did(_world(np.random.default_rng(3), [45] * 4), "y", "unit", "year", "g", bootstrap=0)
    assert again.pretrend_pvalue == flat.pretrend_pvalue  # seeded
    with pytest.raises(ParamsError, match="pretrend_draws"):
        staggered_did(_world(np.random.default_rng(3), [5] * 4), "y", "unit", "year", "g", pretrend_draws=10)
