"""Staggered difference-in-differences as Callaway & Sant'Anna (2021), following R ``did::att_gt``/``aggte``.

Why written here: no maintained Python library does this the way R ``did`` does (pyfixest has TWFE, did2s,
lpdid and a beta saturated event study but no Callaway–Sant'Anna; the Python ports pull in polars/numba
and differ in defaults). The conventions below are R did 2.x's, checked against its ``mpdta`` output.

Group-time effects. For cohort ``g`` (first treated period) and period ``t``,

    ATT(g,t) = E[Y_t − Y_b | G=g] − E[Y_t − Y_b | C],

where ``b`` is the base period: for post periods (t ≥ g − anticipation) the last period before
``g − anticipation``; for pre periods the previous period ("varying", did's default) or the same
``g − 1 − anticipation`` ("universal"). ``C`` is the never-treated (G = 0) or, with
``control="not_yet_treated"``, units with G = 0 or G > max(t, b) + anticipation (other than g).
Covariates enter through the DRDID panel estimators of Sant'Anna & Zhao (2020), evaluated at the base
period's covariate values: outcome regression (``reg_did_panel``), standardized IPW
(``std_ipw_did_panel``) and doubly robust (``drdid_panel``, the default as in did).

Inference. Each ATT(g,t) carries its influence function (IF) over all n units (scaled by n/n_gt, as did).
Analytic V = IF'IF/n, se = sqrt(diag V / n). The multiplier bootstrap (did's ``mboot``) draws unit- or
cluster-level weights (Rademacher as BMisc, or Mammen), forms sqrt(n)·mean(v·IF), takes
se = IQR/(q.75 − q.25 of N(0,1)) / sqrt(n) and the uniform-band critical value as the (1 − alpha)
empirical quantile (type 1) of max_k |b_k/σ_k|. The pre-trend Wald test is
W = n · ATT_pre' V_pre⁻¹ ATT_pre ~ χ²(#pre) with the analytic V (as did); it treats V as known, so it
rejects far too often when cohorts are small (p ≈ 1e-28 with 2–4 units per cohort under exactly parallel
trends) and somewhat too often with many pre-period cells (≈ 11 % at 5 % with ≈ 45 units per cohort).

Pre-trend test used for credibility (``pretrend_pvalue``, ``credible``): a sup-t test whose cell
statistics have small-sample reference distributions. Each pre-period ATT(g,t) is studentized with the
unbiased two-sample (Welch) variance ``s²_g/n_g + s²_c/n_c`` built from the influence function's treated
and comparison parts, referred to Student's t with ``min(n_g, n_c) − 1`` degrees of freedom (Hsu 1938,
Banerjee 1960: size at most α whatever the variance ratio; the Welch–Satterthwaite df is itself badly
estimated from 2–4 units and rejects 8 % of cells at 5 %) and mapped to the normal scale,
``z_k = Φ⁻¹(1 − p_k/2)``; the statistic ``max_k |z_k|`` is referred to the maximum of |N(0, R)| with R
the correlation of the pre-period ATTs (analytic V), simulated (seeded) — the sup-t band of Montiel
Olea & Plagborg-Møller (2019) with small-sample marginals. Cohorts of a single unit have no variance to
studentize with and are left out of the test (counted in ``pretrend_untested``).

Aggregations (did's ``aggte``): weights are cohort shares P(G = g) among all units. simple: share-weighted
mean of post ATT(g,t); group: per-cohort mean of its post ATT(g,t), then share-weighted; dynamic: by
event time e = t − g share-weighted within e, overall = mean over e ≥ 0; calendar: by t share-weighted over
treated cohorts, overall = mean over t. Their IFs add did's ``wif`` term for estimated weights.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from agrocluster.errors import DataContractError, EstimationError, ParamsError
from agrocluster.programmes._panel import Exclusions, balanced_wide_panel
from agrocluster.programmes.power import cohort_power, minimum_detectable_effect
from agrocluster.results import ResultProtocol, exclusions, set_exclusions, tidy_frame

_TINY = np.sqrt(np.finfo(float).eps) * 10  # did's threshold for a zero standard error
_CONTROLS = ("never_treated", "not_yet_treated")
_METHODS = ("dr", "ipw", "reg")
_KINDS = ("simple", "group", "dynamic", "calendar")


# --------------------------------------------------------------------------------------------------
# 2×2 panel estimators (Sant'Anna & Zhao 2020, as R DRDID::reg_did_panel / std_ipw_did_panel /
# drdid_panel). Inputs: dy = Y_post − Y_pre, d = 1 treated / 0 control, x = n×k with intercept.
# Each returns (att, influence function over the n units of the 2×2 sample).
# --------------------------------------------------------------------------------------------------


def _ols_control(dy: np.ndarray, d: np.ndarray, x: np.ndarray, where: str):
    """OLS of dy on x among controls; returns fitted values for all and the asymptotic linear rep."""
    n = len(dy)
    w = 1.0 - d
    xpx = (x * w[:, None]).T @ x / n
    if np.linalg.matrix_rank(xpx) < x.shape[1]:
        raise EstimationError(
            f"{where}: the outcome regression on the control units is singular (a covariate does not "
            f"vary among the {int(w.sum())} control units); drop that covariate or use est_method='ipw'"
        )
    xpx_inv = np.linalg.inv(xpx)
    beta = xpx_inv @ ((x * w[:, None]).T @ dy / n)
    fitted = x @ beta
    lin_rep = (w * (dy - fitted))[:, None] * x @ xpx_inv
    return fitted, lin_rep


def _logit(d: np.ndarray, x: np.ndarray, where: str):
    """Propensity score by logit MLE (statsmodels GLM Binomial); returns p and n·vcov (did's Hessian)."""
    n = len(d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = sm.GLM(d, x, family=sm.families.Binomial()).fit()
        except (np.linalg.LinAlgError, ValueError) as exc:
            raise EstimationError(f"{where}: the propensity score cannot be estimated ({exc})") from exc
    p = np.asarray(fit.fittedvalues, dtype=float)
    cov = np.asarray(fit.cov_params(), dtype=float)
    if not np.all(np.isfinite(cov)) or not np.all(np.isfinite(p)):
        raise EstimationError(
            f"{where}: the propensity score fit failed (perfect separation or too few treated units: "
            f"{int(d.sum())} treated, {int(n - d.sum())} controls)"
        )
    if np.max(p[d == 0], initial=0.0) >= 1 - 1e-6:
        raise EstimationError(
            f"{where}: propensity scores of control units reach 1 (no overlap); drop covariates or units"
        )
    return np.minimum(p, 1 - 1e-6), cov * n


def _did_reg(dy, d, x, where):
    fitted, lin_ols = _ols_control(dy, d, x, where)
    w_t = d
    mw = w_t.mean()
    eta_t = np.mean(w_t * dy) / mw
    eta_c = np.mean(w_t * fitted) / mw
    inf_t = (w_t * dy - w_t * eta_t) / mw
    inf_c1 = w_t * fitted - w_t * eta_c
    m1 = (w_t[:, None] * x).mean(axis=0)
    inf_c = (inf_c1 + lin_ols @ m1) / mw
    return eta_t - eta_c, inf_t - inf_c


def _did_ipw(dy, d, x, where):
    p, hess = _logit(d, x, where)
    w_t = d
    w_c = p * (1 - d) / (1 - p)
    eta_t = np.mean(w_t * dy) / w_t.mean()
    eta_c = np.mean(w_c * dy) / w_c.mean()
    lin_ps = ((d - p)[:, None] * x) @ hess
    inf_t = (w_t * dy - w_t * eta_t) / w_t.mean()
    m2 = ((w_c * (dy - eta_c))[:, None] * x).mean(axis=0)
    inf_c = (w_c * dy - w_c * eta_c + lin_ps @ m2) / w_c.mean()
    return eta_t - eta_c, inf_t - inf_c


def _did_dr(dy, d, x, where):
    p, hess = _logit(d, x, where)
    fitted, lin_ols = _ols_control(dy, d, x, where)
    w_t = d
    w_c = p * (1 - d) / (1 - p)
    r = dy - fitted
    eta_t = np.mean(w_t * r) / w_t.mean()
    eta_c = np.mean(w_c * r) / w_c.mean()
    lin_ps = ((d - p)[:, None] * x) @ hess
    inf_t = (w_t * r - w_t * eta_t - lin_ols @ (w_t[:, None] * x).mean(axis=0)) / w_t.mean()
    m2 = ((w_c * (r - eta_c))[:, None] * x).mean(axis=0)
    m3 = (w_c[:, None] * x).mean(axis=0)
    inf_c = (w_c * r - w_c * eta_c + lin_ps @ m2 - lin_ols @ m3) / w_c.mean()
    return eta_t - eta_c, inf_t - inf_c


def _did_means(dy, d):
    """No covariates: every method reduces to the difference of mean changes (closed form, fast)."""
    t, c = d == 1, d == 0
    mt, mc = dy[t].mean(), dy[c].mean()
    n = len(dy)
    inf = np.where(t, (dy - mt) * n / t.sum(), -(dy - mc) * n / c.sum())
    return mt - mc, inf


_ESTIMATORS = {"reg": _did_reg, "ipw": _did_ipw, "dr": _did_dr}


# --------------------------------------------------------------------------------------------------
# Multiplier bootstrap (did::mboot)
# --------------------------------------------------------------------------------------------------


@dataclass
class _Bootstrap:
    reps: int
    weights: str
    rng: np.random.Generator
    cluster_codes: np.ndarray | None  # per unit, or None for unit-level
    alpha: float

    def run(self, inf: np.ndarray) -> tuple[np.ndarray, float]:
        """Return (se per column, uniform critical value) from the multiplier bootstrap of ``inf``."""
        if self.cluster_codes is not None:
            sizes = np.bincount(self.cluster_codes)
            sums = np.zeros((len(sizes), inf.shape[1]))
            np.add.at(sums, self.cluster_codes, inf)
            base = sums / sizes[:, None]
        else:
            base = inf
        m = base.shape[0]
        bres = np.empty((self.reps, inf.shape[1]))
        chunk = max(1, int(4e6 // max(m, 1)))
        for start in range(0, self.reps, chunk):
            b = min(chunk, self.reps - start)
            v = self._draw((b, m))
            bres[start : start + b] = v @ base / np.sqrt(m)
        ok = np.isfinite(bres.sum(axis=0)) & ((bres**2).sum(axis=0) > _TINY)
        q75 = np.quantile(bres[:, ok], 0.75, axis=0, method="inverted_cdf")
        q25 = np.quantile(bres[:, ok], 0.25, axis=0, method="inverted_cdf")
        sigma = (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
        sigma[sigma <= _TINY] = np.nan
        se = np.full(inf.shape[1], np.nan)
        se[ok] = sigma / np.sqrt(m)
        if ok.any():
            with np.errstate(invalid="ignore", divide="ignore"):
                bt = np.nanmax(np.abs(bres[:, ok] / sigma), axis=1)
            crit = float(np.quantile(bt, 1 - self.alpha, method="inverted_cdf"))
        else:
            crit = np.nan
        return se, crit

    def _draw(self, shape):
        if self.weights == "rademacher":
            return self.rng.choice(np.array([-1.0, 1.0]), size=shape)
        s5 = np.sqrt(5.0)
        a, b = (1 - s5) / 2, (1 + s5) / 2
        return np.where(self.rng.random(shape) < (s5 + 1) / (2 * s5), a, b)


# --------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------


@dataclass
class DiDAggregate(ResultProtocol):
    """An aggregation of ATT(g,t) as R ``did::aggte``.

    Attributes: ``kind``, ``overall`` (float), ``se`` (of overall), ``ci_lower``/``ci_upper`` (pointwise
    for overall), ``table`` (DataFrame: the key column — ``group``, ``event_time`` or ``time`` — then
    att, se, ci_lower, ci_upper with uniform bands when the bootstrap and ``cband`` are on),
    ``critical_value`` used for the bands, ``uniform`` (whether bands are simultaneous), ``n_units`` and
    ``excluded`` (those of the :class:`StaggeredDiDResult` aggregated).
    """

    kind: str
    overall: float
    se: float
    ci_lower: float
    ci_upper: float
    table: pd.DataFrame
    critical_value: float
    uniform: bool
    alpha: float
    n_units: int = 0
    excluded: pd.DataFrame = field(default_factory=exclusions)

    def tidy(self) -> pd.DataFrame:
        """The overall effect (term ``overall``, pointwise interval), then one row per key of ``table``
        (term ``"<key>=<value>"``, uniform interval when the bands are uniform); did reports no p-values."""
        key = self.table.columns[0]
        rows = tidy_frame([f"{key}={v}" for v in self.table[key]], self.table["att"], self.table["se"], None, None,
                          self.table["ci_lower"], self.table["ci_upper"])
        overall = tidy_frame(["overall"], [self.overall], [self.se], None, None, [self.ci_lower], [self.ci_upper])
        return pd.concat([overall, rows], ignore_index=True)

    @property
    def nobs(self) -> int:
        """Units in the balanced panel."""
        return int(self.n_units)

    def summary(self) -> pd.DataFrame:
        """One-row frame with the overall effect, its SE and confidence interval."""
        return pd.DataFrame(
            {
                "aggregation": [self.kind],
                "att": [self.overall],
                "se": [self.se],
                "ci_lower": [self.ci_lower],
                "ci_upper": [self.ci_upper],
            }
        )


@dataclass
class StaggeredDiDResult(ResultProtocol):
    """Callaway–Sant'Anna group-time effects (see :func:`staggered_did`).

    Attributes
    ----------
    att_gt : DataFrame
        group, time, att, se, ci_lower, ci_upper (uniform band when bootstrapped with ``cband``),
        base_period, post (bool), n_treated, n_control.
    n_units : int
        Units in the balanced panel used.
    excluded : DataFrame
        ``reason, n, unit`` (unit ``units``) left out (unbalanced units, cohorts treated in the first period, ...).
    pretest_stat, pretest_df, pretest_pvalue : float, int, float
        Wald pre-test of ATT(g,t) = 0 for all pre-treatment cells, as R did (NaN when there is none).
        It over-rejects in small cohorts: read ``pretrend_pvalue`` instead.
    pretrend_stat, pretrend_pvalue : float
        Sup-t pre-trend test with small-sample marginals (module docstring): ``max |z_k|`` and its p-value
        (NaN when no pre-period cell can be tested).
    pretrend_cells, pretrend_untested : int
        Pre-period cells in the test, and pre-period cells left out (single-unit cohorts, no variance).
    credible : bool or None
        ``pretrend_pvalue ≥ alpha``: the pre-test does not reject parallel trends, so the estimate can be
        read as a causal effect. ``False``: not credible as a causal effect. ``None``: untested (no
        pre-period cell), which is not evidence either way.
    critical_value : float
        Critical value of the ATT(g,t) bands (uniform if bootstrapped with ``cband``).
    small_groups : DataFrame
        Cohorts with fewer units than did's warning threshold (#covariates + 5).
    notes : list of str
        Recodings that drop no unit (late cohorts counted as never treated, a last cohort used only as
        control, ATT(g,t) without comparison units).
    """

    att_gt: pd.DataFrame
    n_units: int
    excluded: pd.DataFrame
    pretest_stat: float
    pretest_df: int
    pretest_pvalue: float
    pretrend_stat: float
    pretrend_pvalue: float
    pretrend_cells: int
    pretrend_untested: int
    credible: bool | None
    critical_value: float
    small_groups: pd.DataFrame
    control: str
    est_method: str
    base_period: str
    anticipation: int
    bootstrap: int
    alpha: float
    cband: bool
    notes: list[str]
    _inf: np.ndarray = field(repr=False)
    _unit_group: np.ndarray = field(repr=False)
    _boot: _Bootstrap | None = field(repr=False)

    def __post_init__(self) -> None:
        set_exclusions(self, unit="units")

    def tidy(self) -> pd.DataFrame:
        """One row per ATT(g,t) (term ``"ATT(g=<group>, t=<time>)"``), as broom's ``tidy`` of R ``did``'s
        MP object; intervals as ``att_gt`` (uniform when bootstrapped with ``cband``); no p-values."""
        t = self.att_gt
        terms = [f"ATT(g={g}, t={s})" for g, s in zip(t["group"], t["time"], strict=True)]
        return tidy_frame(terms, t["att"], t["se"], None, None, t["ci_lower"], t["ci_upper"])

    @property
    def nobs(self) -> int:
        """Units in the balanced panel."""
        return int(self.n_units)

    def table(self) -> pd.DataFrame:
        """Tidy ATT(g,t) frame for plots (copy of ``att_gt`` with an event_time column)."""
        t = self.att_gt.copy()
        t["event_time"] = t["time"] - t["group"]
        return t

    def summary(self) -> pd.DataFrame:
        """Short frame: simple ATT with SE and minimum detectable effect (80 % power, 5 % size), both
        pre-test p-values and the credibility flag, units, control group and method."""
        simple = self.aggregate("simple")
        return pd.DataFrame(
            {
                "att_simple": [simple.overall],
                "se": [simple.se],
                "mde": [minimum_detectable_effect(simple.se)],
                "pretest_pvalue": [self.pretest_pvalue],
                "pretrend_pvalue": [self.pretrend_pvalue],
                "credible": pd.array([self.credible], dtype="boolean"),
                "n_units": [self.n_units],
                "n_excluded": [int(self.excluded["n"].sum())],
                "control": [self.control],
                "est_method": [self.est_method],
            }
        )

    def power(self, alpha: float = 0.05, power: float = 0.8) -> pd.DataFrame:
        """Minimum detectable effect of every cohort's effect and of the simple ATT
        (:func:`~agrocluster.programmes.power.cohort_power`)."""
        return cohort_power(self, alpha, power)

    # ---------------------------------------------------------------------------------------------
    def aggregate(
        self,
        kind: str = "group",
        min_e: float = -np.inf,
        max_e: float = np.inf,
        balance_e: int | None = None,
    ) -> DiDAggregate:
        """Aggregate ATT(g,t) as R ``did::aggte(type=kind, min_e, max_e, balance_e)``.

        ``kind``: "simple" | "group" | "dynamic" | "calendar". ``min_e``/``max_e`` bound event time for
        "dynamic" (``max_e`` also caps the post periods used by "simple" and "group", as did);
        ``balance_e`` keeps only cohorts observed for at least ``balance_e`` periods after entry.
        """
        if kind not in _KINDS:
            raise ParamsError(f"aggregate kind {kind!r} is not one of {_KINDS}")
        a = self.att_gt
        valid = a["att"].notna().to_numpy()
        group = a["group"].to_numpy(dtype=float)
        time = a["time"].to_numpy(dtype=float)
        att = a["att"].to_numpy(dtype=float)
        inf = self._inf
        n = inf.shape[0]
        glist = np.sort(np.unique(group))
        ug = self._unit_group
        pg_g = np.array([np.mean(ug == g) for g in glist])
        pg = pg_g[np.searchsorted(glist, group)]

        def wif(keep: np.ndarray) -> np.ndarray:
            ind = (ug[:, None] == group[keep][None, :]).astype(float) - pg[keep][None, :]
            s = pg[keep].sum()
            return ind / s - ind.sum(axis=1, keepdims=True) * (pg[keep] / s**2)[None, :]

        def agg_inf(keep: np.ndarray, weights: np.ndarray, with_wif: bool) -> np.ndarray:
            out = inf[:, keep] @ weights
            if with_wif:
                out = out + wif(keep) @ att[keep]
            return out

        post = (group <= time) & (time <= group + max_e) & valid
        rows: list[tuple[float, float, np.ndarray]] = []
        if kind == "simple":
            keep = np.flatnonzero(post)
            if len(keep) == 0:
                raise EstimationError("no post-treatment ATT(g,t) to aggregate")
            w = pg[keep] / pg[keep].sum()
            overall_inf = agg_inf(keep, w, True)
            overall = float(att[keep] @ w)
            key = None
        elif kind == "group":
            key = "group"
            cols, atts, gs, pgs = [], [], [], []
            for gi, g in enumerate(glist):
                keep = np.flatnonzero(post & (group == g))
                if len(keep) == 0:
                    continue
                w = np.full(len(keep), 1.0 / len(keep))
                cols.append(agg_inf(keep, w, False))
                atts.append(float(att[keep].mean()))
                gs.append(g)
                pgs.append(pg_g[gi])
            if not gs:
                raise EstimationError("no post-treatment ATT(g,t) to aggregate by group")
            inf_k = np.column_stack(cols)
            atts_a, pgs_a = np.array(atts), np.array(pgs)
            overall = float(atts_a @ pgs_a / pgs_a.sum())
            ind = (ug[:, None] == np.array(gs)[None, :]).astype(float) - pgs_a[None, :]
            s = pgs_a.sum()
            wif_g = ind / s - ind.sum(axis=1, keepdims=True) * (pgs_a / s**2)[None, :]
            overall_inf = inf_k @ (pgs_a / s) + wif_g @ atts_a
            rows = [(g, atts_a[i], inf_k[:, i]) for i, g in enumerate(gs)]
        elif kind == "dynamic":
            key = "event_time"
            e_all = time - group
            include = valid.copy()
            eseq = np.unique(e_all[include])
            if balance_e is not None:
                include &= (time.max() - group) >= balance_e
                eseq = np.unique(e_all[include])
                eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - time.max() + time.min())]
            eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
            for e in eseq:
                keep = np.flatnonzero((e_all == e) & include)
                w = pg[keep] / pg[keep].sum()
                rows.append((e, float(att[keep] @ w), agg_inf(keep, w, True)))
            pos = [r for r in rows if r[0] >= 0]
            if not pos:
                raise EstimationError("no event time e >= 0 to aggregate (check min_e, max_e, balance_e)")
            overall = float(np.mean([r[1] for r in pos]))
            overall_inf = np.column_stack([r[2] for r in pos]).mean(axis=1)
        else:
            key = "time"
            for t1 in np.unique(time[time >= group.min()]):
                keep = np.flatnonzero((time == t1) & (group <= time) & valid)
                if len(keep) == 0:
                    continue
                w = pg[keep] / pg[keep].sum()
                rows.append((t1, float(att[keep] @ w), agg_inf(keep, w, True)))
            if not rows:
                raise EstimationError("no post-treatment period to aggregate by calendar time")
            overall = float(np.mean([r[1] for r in rows]))
            overall_inf = np.column_stack([r[2] for r in rows]).mean(axis=1)

        z = float(stats.norm.ppf(1 - self.alpha / 2))
        if self._boot is not None:
            se_overall = float(self._boot.run(overall_inf[:, None])[0][0])
        else:
            se_overall = float(np.sqrt(np.mean(overall_inf**2) / n))
        if se_overall <= _TINY:
            se_overall = np.nan
        crit, uniform = z, False
        if key is None:
            table = pd.DataFrame(
                {"att": [overall], "se": [se_overall], "ci_lower": [overall - z * se_overall],
                 "ci_upper": [overall + z * se_overall]}
            )
        else:
            mat = np.column_stack([r[2] for r in rows])
            if self._boot is not None:
                ses, c = self._boot.run(mat)
                if self.cband and np.isfinite(c) and c >= z:
                    crit, uniform = c, True
            else:
                ses = np.sqrt(np.mean(mat**2, axis=0) / n)
            ses = np.where(ses <= _TINY, np.nan, ses)
            vals = np.array([r[1] for r in rows])
            keys = np.array([r[0] for r in rows])
            table = pd.DataFrame(
                {key: keys.astype(int) if np.all(keys == np.round(keys)) else keys, "att": vals, "se": ses,
                 "ci_lower": vals - crit * ses, "ci_upper": vals + crit * ses}
            )
        return DiDAggregate(
            kind=kind, overall=overall, se=se_overall, ci_lower=overall - z * se_overall,
            ci_upper=overall + z * se_overall, table=table, critical_value=crit, uniform=uniform,
            alpha=self.alpha, n_units=self.n_units, excluded=self.excluded,
        )


# --------------------------------------------------------------------------------------------------
# Pre-trend test with small-sample reference distributions
# --------------------------------------------------------------------------------------------------


def _pretrend_sup_t(att_gt: pd.DataFrame, parts: np.ndarray, V: np.ndarray, alpha: float, draws: int,
                    seed: int) -> dict:
    """Sup-t pre-trend test with small-sample t marginals (see the module docstring); returns result fields."""
    group, time = att_gt["group"].to_numpy(float), att_gt["time"].to_numpy(float)
    n_t, n_c = att_gt["n_treated"].to_numpy(float), att_gt["n_control"].to_numpy(float)
    att = att_gt["att"].to_numpy(float)
    pre = (group > time) & np.isfinite(att)
    testable = pre & (n_t >= 2) & (n_c >= 2)
    out = {"pretrend_stat": np.nan, "pretrend_pvalue": np.nan, "pretrend_cells": 0,
           "pretrend_untested": int(pre.sum()), "credible": None}
    with np.errstate(divide="ignore", invalid="ignore"):
        var = parts[:, 0] * n_t / (n_t - 1) + parts[:, 1] * n_c / (n_c - 1)
    df = np.minimum(n_t, n_c) - 1  # Hsu (1938) / Banerjee (1960): size ≤ α whatever the variance ratio
    testable &= var > _TINY**2
    out["pretrend_cells"] = int(testable.sum())
    out["pretrend_untested"] = int(pre.sum() - testable.sum())
    k = np.flatnonzero(testable)
    if len(k) == 0:
        return out
    t_stat = att[k] / np.sqrt(var[k])
    p_cell = 2 * stats.t.sf(np.abs(t_stat), df[k])
    z_obs = float(stats.norm.isf(np.min(p_cell) / 2))
    sd = np.sqrt(np.diag(V)[k])
    corr = V[np.ix_(k, k)] / np.outer(sd, sd)
    vals, vecs = np.linalg.eigh(np.nan_to_num(corr))
    root = vecs * np.sqrt(np.clip(vals, 0.0, None))
    sims = np.random.default_rng([int(seed), 12]).standard_normal((int(draws), len(k))) @ root.T
    p = float((1 + np.sum(np.max(np.abs(sims), axis=1) >= z_obs)) / (int(draws) + 1))
    out.update(pretrend_stat=z_obs, pretrend_pvalue=p, credible=bool(p >= alpha))
    return out


# --------------------------------------------------------------------------------------------------
# Main entry point
# --------------------------------------------------------------------------------------------------


def staggered_did(
    df: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    first_treated: str,
    control: str = "never_treated",
    covariates: list[str] | None = None,
    seed: int = 0,
    *,
    est_method: str = "dr",
    anticipation: int = 0,
    base_period: str = "varying",
    bootstrap: int = 999,
    weights: str = "rademacher",
    cband: bool = True,
    alpha: float = 0.05,
    cluster: str | None = None,
    pretrend_draws: int = 9_999,
) -> StaggeredDiDResult:
    """Group-time average treatment effects, as R ``did::att_gt`` (Callaway & Sant'Anna 2021).

    Parameters
    ----------
    df : DataFrame
        Long panel, one row per unit × period (the establishments contract).
    outcome, unit, time, first_treated : str
        Columns. ``first_treated`` is the first period of treatment, 0 for never treated (as did's
        ``gname``); e.g. ``programme_entry_year`` with NA filled by 0.
    control : {"never_treated", "not_yet_treated"}
        Comparison group (did's ``control_group``).
    covariates : list of str, optional
        Time-varying covariates taken at the base period (did's ``xformla``); ``None`` = ``~1``.
    seed : int
        Seed of the multiplier bootstrap (``numpy.random.default_rng(seed)``).
    est_method : {"dr", "ipw", "reg"}
        Doubly robust (default, as did), standardized IPW, or outcome regression.
    anticipation : int
        Periods before ``first_treated`` in which units may already react (did's ``anticipation``).
    base_period : {"varying", "universal"}
        Base period of pre-treatment ATT(g,t), as did.
    bootstrap : int
        Multiplier-bootstrap draws (did's ``biters``; 0 = analytic standard errors, no uniform bands).
    weights : {"rademacher", "mammen"}
        Multiplier weights.
    cband : bool
        Simultaneous (uniform) bands over ATT(g,t) and over aggregated tables (needs ``bootstrap > 0``).
    alpha : float
        Significance level.
    cluster : str, optional
        Time-invariant column to cluster the bootstrap on (units are always the base level).
    pretrend_draws : int
        Normal draws (seeded by ``seed``) for the p-value of the sup-t pre-trend test; 9,999 keeps its
        Monte Carlo SE near p = 0.05 at 0.002.

    Returns
    -------
    StaggeredDiDResult

    Notes
    -----
    Data rules, as did with ``panel=TRUE``: rows with missing values are removed and units not observed in
    every period are dropped (did's balancing); units first treated at or before the first period
    + anticipation are dropped (did drops them with a warning); units first treated after the last period
    are treated as never treated (as did); with ``control="not_yet_treated"`` and no never-treated unit
    the last cohort serves only as a control and periods from its entry − anticipation on are not
    estimated (as did). All of these are counted in ``result.excluded``. Cohorts with fewer than
    ``len(covariates) + 5`` units trigger a warning and are listed in ``result.small_groups``; if a
    propensity score or regression cannot be fitted the error names the cohort and period.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"unit": np.repeat(np.arange(40), 4), "year": np.tile(np.arange(2017, 2021), 40)})
    >>> df["first_treated"] = np.where(df["unit"] < 20, 2019, 0)
    >>> df["y"] = rng.normal(size=len(df)) + 0.5 * ((df["first_treated"] > 0) & (df["year"] >= df["first_treated"]))
    >>> res = staggered_did(df, "y", "unit", "year", "first_treated", seed=1)
    >>> res.aggregate("simple").summary().round(3)
      aggregation    att     se  ci_lower  ci_upper
    0      simple  1.131  0.319     0.506     1.755
    >>> res.nobs
    40
    """
    covariates = list(covariates or [])
    if control not in _CONTROLS:
        raise ParamsError(f"control={control!r} is not one of {_CONTROLS}")
    if est_method not in _METHODS:
        raise ParamsError(f"est_method={est_method!r} is not one of {_METHODS}")
    if base_period not in ("varying", "universal"):
        raise ParamsError(f"base_period={base_period!r} is not 'varying' or 'universal'")
    if weights not in ("rademacher", "mammen"):
        raise ParamsError(f"weights={weights!r} is not 'rademacher' or 'mammen'")
    if int(anticipation) != anticipation or anticipation < 0:
        raise ParamsError(f"anticipation={anticipation!r} must be a non-negative integer")
    if int(bootstrap) != bootstrap or bootstrap < 0:
        raise ParamsError(f"bootstrap={bootstrap!r} must be a non-negative integer")
    if not 0 < alpha < 1:
        raise ParamsError(f"alpha={alpha!r} must lie in (0, 1)")
    if int(pretrend_draws) != pretrend_draws or pretrend_draws < 99:
        raise ParamsError(f"pretrend_draws={pretrend_draws!r} must be an integer of at least 99")
    if cluster is not None and bootstrap == 0:
        raise ParamsError(f"cluster={cluster!r} needs the multiplier bootstrap (bootstrap > 0), as did")

    excluded = Exclusions()
    keep = [cluster] if cluster is not None and cluster != unit else []
    panel = balanced_wide_panel(df, outcome, unit, time, first_treated, covariates, keep, excluded)
    periods = panel.periods.astype(float)
    g = panel.group.copy()
    y = panel.y
    t_first, t_last = periods[0], periods[-1]

    notes: list[str] = []
    late = g > t_last
    if late.any():
        notes.append(f"{int(late.sum())} units first treated after the last period are counted as never "
                     f"treated (as did)")
        g[late] = 0.0
    early = (g > 0) & (g <= t_first + anticipation)
    excluded.add("treated in the first period (or within anticipation of it): dropped as did", int(early.sum()))
    keep_units = ~early
    y, g = y[keep_units], g[keep_units]
    xs = {p: m[keep_units] for p, m in panel.x.items()}
    unit_frame = panel.unit_frame.loc[keep_units].reset_index(drop=True)
    n = len(g)
    if n == 0:
        raise EstimationError("every unit was treated in the first period: no pre-treatment period exists")

    has_never = bool((g == 0).any())
    glist = np.sort(np.unique(g[g > 0]))
    if len(glist) == 0:
        raise EstimationError(f"no treated unit: {first_treated!r} is 0 (never treated) for every unit kept")
    tlist = periods
    if control == "never_treated" and not has_never:
        raise EstimationError(
            f"control='never_treated' but no unit has {first_treated!r} = 0 (never treated); use "
            f"control='not_yet_treated' or add never-treated units"
        )
    if control == "not_yet_treated" and not has_never:
        last = glist[-1]
        if len(glist) < 2:
            raise EstimationError(
                "control='not_yet_treated' with a single cohort and no never-treated unit: no comparison "
                "group exists"
            )
        glist = glist[:-1]
        tlist = tlist[tlist < last - anticipation]
        notes.append(f"no never-treated units: cohort {int(last)} serves only as a control and periods from "
                     f"{last - anticipation:g} on are not estimated (as did)")

    sizes = pd.Series(g[g > 0]).value_counts().sort_index()
    threshold = len(covariates) + 5
    small = sizes[sizes < threshold]
    small_groups = pd.DataFrame({"group": small.index.astype(float), "n_units": small.to_numpy(dtype=int)})
    if len(small):
        warnings.warn(
            "small cohorts (fewer than #covariates + 5 units), estimates for them are imprecise: "
            + ", ".join(f"{int(k)} ({v} units)" for k, v in small.items()),
            UserWarning,
            stacklevel=2,
        )

    col = {p: j for j, p in enumerate(periods)}
    records, infs, parts = [], [], []
    estimator = _ESTIMATORS[est_method]
    for gv in glist:
        is_g = g == gv
        pre_idx = np.flatnonzero(tlist + anticipation < gv)
        if len(pre_idx) == 0:
            excluded.add(f"cohort {int(gv)}: no period before first_treated − anticipation", int(is_g.sum()))
            continue
        universal_base = tlist[pre_idx[-1]]
        t_range = tlist if base_period == "universal" else tlist[1:]
        for k, tc in enumerate(t_range):
            is_post = gv <= tc
            if base_period == "universal" or is_post:
                tb = universal_base
            else:
                tb = tlist[k]
            if control == "never_treated":
                ctrl = g == 0
            else:
                later = max(tc, tb)
                ctrl = (g == 0) | ((g > later + anticipation) & ~is_g)
            if base_period == "universal" and tb == tc:
                records.append((gv, tc, 0.0, tb, is_post, int(is_g.sum()), int(ctrl.sum())))
                infs.append(np.zeros(n))
                parts.append((0.0, 0.0))
                continue
            sub = is_g | ctrl
            n_t, n_c = int(is_g.sum()), int(ctrl.sum())
            where = f"ATT(g={int(gv)}, t={tc:g})"
            if n_c == 0:
                notes.append(f"{where}: no comparison units, not estimated")
                records.append((gv, tc, np.nan, tb, is_post, n_t, 0))
                infs.append(np.zeros(n))
                parts.append((0.0, 0.0))
                continue
            dy = y[sub, col[tc]] - y[sub, col[tb]]
            d = is_g[sub].astype(float)
            if covariates:
                xmat = np.column_stack([np.ones(int(sub.sum())), xs[tb][sub]])
                att_v, inf_s = estimator(dy, d, xmat, where)
            else:
                att_v, inf_s = _did_means(dy, d)
            full = np.zeros(n)
            full[sub] = inf_s * (n / sub.sum())
            records.append((gv, tc, att_v, tb, is_post, n_t, n_c))
            infs.append(full)
            parts.append((float(full[is_g] @ full[is_g]) / n**2, float(full[ctrl] @ full[ctrl]) / n**2))
    if not records:
        raise EstimationError("no ATT(g,t) could be estimated (no cohort has a pre-treatment period)")
    inf = np.column_stack(infs)
    att_gt = pd.DataFrame(
        records, columns=["group", "time", "att", "base_period", "post", "n_treated", "n_control"]
    )
    V = inf.T @ inf / n
    se = np.sqrt(np.diag(V) / n)
    se[se <= _TINY] = np.nan
    z = float(stats.norm.ppf(1 - alpha / 2))
    crit = z
    boot = None
    if bootstrap > 0:
        codes = None
        if cluster is not None and cluster != unit:
            cl = unit_frame[cluster]
            if cl.isna().any():
                raise DataContractError(f"cluster column {cluster!r} has missing values")
            codes = pd.factorize(cl)[0]
        boot = _Bootstrap(int(bootstrap), weights, np.random.default_rng(seed), codes, alpha)
        bse, bcrit = boot.run(inf)
        keep_se = np.isfinite(se)
        se = np.where(keep_se, bse, np.nan)
        if cband and np.isfinite(bcrit):
            crit = max(bcrit, z)
    att_gt["se"] = se
    att_gt["ci_lower"] = att_gt["att"] - crit * att_gt["se"]
    att_gt["ci_upper"] = att_gt["att"] + crit * att_gt["se"]
    att_gt = att_gt[
        ["group", "time", "att", "se", "ci_lower", "ci_upper", "base_period", "post", "n_treated", "n_control"]
    ]
    for c in ("group", "time", "base_period"):
        vals = att_gt[c].to_numpy(dtype=float)
        if np.all(vals == np.round(vals)):
            att_gt[c] = vals.astype("int64")

    pre = np.flatnonzero((att_gt["group"].to_numpy() > att_gt["time"].to_numpy()) & np.isfinite(se))
    w_stat, w_p = np.nan, np.nan
    if len(pre):
        pv = V[np.ix_(pre, pre)]
        if np.linalg.cond(pv) < 1 / np.finfo(float).eps:
            pa = att_gt["att"].to_numpy()[pre]
            w_stat = float(n * pa @ np.linalg.solve(pv, pa))
            w_p = float(stats.chi2.sf(w_stat, len(pre)))
    trend = _pretrend_sup_t(att_gt, np.array(parts).reshape(-1, 2), V, alpha, pretrend_draws, seed)
    return StaggeredDiDResult(
        att_gt=att_gt, n_units=n, excluded=excluded.frame(), pretest_stat=w_stat, pretest_df=len(pre),
        pretest_pvalue=w_p, **trend, critical_value=crit, small_groups=small_groups, control=control,
        est_method=est_method, base_period=base_period, anticipation=int(anticipation),
        bootstrap=int(bootstrap), alpha=alpha, cband=cband, notes=notes, _inf=inf, _unit_group=g, _boot=boot,
    )
