"""Power of a programme evaluation: the minimum detectable effect of its estimates.

The minimum detectable effect (MDE) of an estimator with standard error SE, for a two-sided test of size
α and power 1 − β, is

    MDE = (z_{1−α/2} + z_{1−β}) · SE

(Bloom 1995, "Minimum detectable effects: a simple way to report the statistical power of experimental
designs", Evaluation Review 19(5), eq. 1; Duflo, Glennerster & Kremer 2007, eq. 6, as Stata ``power`` with
a known variance): with α = 0.05 and power 0.8 the multiplier is 1.960 + 0.842 = 2.802. A true effect
smaller than the MDE is more likely than not to be reported as "not significant" — which then says
nothing about whether the programme worked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from agrocluster.errors import ParamsError


def mde_multiplier(alpha: float = 0.05, power: float = 0.8) -> float:
    """``z_{1−α/2} + z_{power}``: the MDE in standard errors (2.802 at the defaults)."""
    if not 0 < alpha < 1:
        raise ParamsError(f"alpha={alpha!r} must lie strictly between 0 and 1")
    if not 0 < power < 1:
        raise ParamsError(f"power={power!r} must lie strictly between 0 and 1")
    return float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))


def minimum_detectable_effect(se, alpha: float = 0.05, power: float = 0.8):
    """Minimum detectable effect ``(z_{1−α/2} + z_{power})·SE`` of estimates with standard error ``se``.

    Parameters
    ----------
    se : float or array-like
        Standard error(s); NaN stays NaN (no SE, no MDE). Negative values raise.
    alpha : float
        Size of the two-sided test (0.05).
    power : float
        Power (0.8).

    Returns
    -------
    float or numpy.ndarray
        Same shape as ``se``.
    """
    arr = np.asarray(se, dtype="float64")
    if (arr < 0).any():
        raise ParamsError(f"standard error must be non-negative, got {arr[arr < 0][:3].tolist()}")
    out = mde_multiplier(alpha, power) * arr
    return float(out) if out.ndim == 0 else out


def cohort_power(result, alpha: float = 0.05, power: float = 0.8) -> pd.DataFrame:
    """MDE of every cohort's effect and of the overall effect of a staggered DiD.

    ``result`` is a :class:`~agrocluster.programmes.StaggeredDiDResult`. Rows: one per cohort (its
    ``aggregate("group")`` effect: mean of its post-entry ATT(g,t)) and one ``"all cohorts"`` row (the
    simple ATT). Columns ``cohort, n_units, att, se, mde, detectable`` where ``detectable`` says whether
    ``|att| ≥ mde``.
    """
    group = result.aggregate("group").table
    simple = result.aggregate("simple")
    units = result.att_gt.groupby("group")["n_treated"].max()
    table = pd.DataFrame({
        "cohort": group["group"].astype(str).tolist() + ["all cohorts"],
        "n_units": [int(units.loc[g]) for g in group["group"]] + [int(units.sum())],
        "att": group["att"].tolist() + [simple.overall],
        "se": group["se"].tolist() + [simple.se],
    })
    table["mde"] = minimum_detectable_effect(table["se"].to_numpy(), alpha, power)
    table["detectable"] = pd.array(np.where(table["mde"].isna(), None, table["att"].abs() >= table["mde"]),
                                   dtype="boolean")
    return table


def credibility_reading(result, alpha: float = 0.05, power: float = 0.8) -> str:
    """Sentences for a report: the pre-trend verdict and what the evaluation could detect.

    ``result`` is a :class:`~agrocluster.programmes.StaggeredDiDResult`. When the pre-trend test rejects,
    the sentence says the estimate is not credible as a causal effect (and is not ranked in the
    synthesis); the minimum detectable effect of the simple ATT follows, with a warning when the
    estimate is below it.
    """
    simple = result.aggregate("simple")
    mde = minimum_detectable_effect(simple.se, alpha, power)
    untested = (f" {result.pretrend_untested} pre-entry cell(s) of single-unit cohorts cannot be tested."
                if result.pretrend_untested else "")
    if result.credible is None:
        verdict = ("No pre-entry period can be tested, so parallel trends are assumed, not checked." + untested)
    else:
        verdict = (f"Pre-trend test (sup-t over {result.pretrend_cells} pre-entry cells, small-sample t "
                   f"reference): p = {result.pretrend_pvalue:.3g}. " + (
                       "Parallel trends are not rejected." if result.credible else
                       "Parallel trends are rejected: the estimate is not credible as a causal effect of the "
                       "programme, and the synthesis neither ranks it nor raises flags from it.") + untested)
    if not np.isfinite(mde):
        return verdict + " No standard error, so no minimum detectable effect."
    power_txt = (f" With these cohorts the evaluation detects ({power:.0%} power, {alpha:.0%} size) effects of "
                 f"at least {mde:.3f}; the estimate is {simple.overall:.3f}")
    if abs(simple.overall) < mde:
        power_txt += (", below that, so a result that is not significant does not show the programme had no "
                      "effect.")
    else:
        power_txt += "."
    return verdict + power_txt


__all__ = ["cohort_power", "credibility_reading", "mde_multiplier", "minimum_detectable_effect"]
