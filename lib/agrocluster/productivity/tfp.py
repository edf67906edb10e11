"""Firm total factor productivity: :func:`estimate_tfp` and its :class:`TFPResult`.

Conventions follow Stata ``prodest`` (Rovigatti & Mollisi 2018, Stata Journal 18(3)) unless said
otherwise; see each estimator's docstring in :mod:`agrocluster.productivity._estimators`. Python has
no maintained package for OP/LP/ACF/Wooldridge estimation, hence the hand-written second stages;
OLS and FE go through pyfixest, the exit probit through statsmodels, optimisation through scipy.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from agrocluster.errors import EstimationError, ParamsError
from agrocluster.productivity import _estimators as est
from agrocluster.productivity._panel import (
    REASON_NO_LAG_FIRST,
    REASON_NO_LAG_GAP,
    Panel,
    as_list,
    build_panel,
    check_variation,
)
from agrocluster.results import ResultProtocol, set_exclusions, tidy_frame

METHODS = ("ols", "fe", "fd", "op", "lp", "acf", "wrdg")
PROXY_METHODS = ("op", "lp", "acf", "wrdg")


@dataclass
class TFPResult(ResultProtocol):
    """A production-function estimate and the log TFP it implies.

    Attributes
    ----------
    method : str
        ``"ols" | "fe" | "fd" | "op" | "lp" | "acf" | "wrdg"``.
    coef : pandas.Series
        Coefficients indexed by input name (translog: also ``"a^2"`` and ``"a*b"`` terms), then
        controls. No intercept: it stays inside ``tfp``.
    se : pandas.Series
        Standard errors: block bootstrap over firms when ``bootstrap > 0``; otherwise analytical for
        ``ols``/``fe`` (firm-clustered CRV1 by default) and ``wrdg`` (two-step GMM), NaN for the
        two-step control-function methods (as prodest, whose SEs for them are bootstrap only).
    se_kind : str
        How ``se`` was obtained.
    tfp : pandas.Series
        log TFP = y − Σ β·x (− controls), on every row of the first-stage sample, indexed by the
        caller's row labels (prodest's ``predict, residuals``). It includes the intercept, ε and,
        for FE, the firm effect.
    nobs : int
        Observations in the estimating equation (second stage for op/lp/acf/wrdg).
    elasticities : pandas.DataFrame
        Output elasticity of each input per row of ``tfp`` (constant columns under Cobb-Douglas).
    diagnostics : dict
        ``n_rows_input``, ``nobs_first_stage``, ``share_lost_missing``, ``share_lost_lags``,
        ``firms_with_gaps``, ``returns_to_scale`` (dict: sum, se, stat, pvalue for H0 sum = 1),
        and per method: ``criterion``, ``converged``, ``starts`` (DataFrame of every start),
        ``starts_agree`` (ACF), ``roots`` and ``root_choice`` (ACF), ``caveat``, ``exits_in_probit``,
        ``hansen_j``, ``intercept`` and ``intercept_se`` (OLS; FE: ``intercept_note``, the constant is
        absorbed by the firm effects), ``r2`` (OLS/FE/FD), ``r2_within`` (FE),
        ``bootstrap_failed``.
    excluded : pandas.DataFrame
        ``reason, n, unit`` (unit ``rows``): rows left out of the first stage or of the second stage.
    vcov : pandas.DataFrame or None
        Covariance of ``coef`` (analytical or bootstrap) when available.
    bootstrap_draws : pandas.DataFrame or None
        One row per bootstrap replication (NaN rows for failed replications).
    options : dict
        The options used (for the record).
    """

    method: str
    coef: pd.Series
    se: pd.Series
    se_kind: str
    tfp: pd.Series
    nobs: int
    elasticities: pd.DataFrame
    diagnostics: dict
    excluded: pd.DataFrame
    vcov: pd.DataFrame | None
    bootstrap_draws: pd.DataFrame | None
    options: dict

    def __post_init__(self) -> None:
        set_exclusions(self, unit="rows")

    def tidy(self) -> pd.DataFrame:
        """Coefficients with ``se``, z, normal p-values and 95 % normal intervals (as :meth:`table`)."""
        t = self.table()
        return tidy_frame(t["term"], t["coef"], t["se"], t["z"], t["pvalue"], t["ci_low"], t["ci_high"])

    def table(self) -> pd.DataFrame:
        """Tidy coefficient table: term, coef, se, z, pvalue, ci_low, ci_high (normal 95 %)."""
        z = self.coef / self.se
        return pd.DataFrame({
            "term": self.coef.index,
            "coef": self.coef.to_numpy(),
            "se": self.se.to_numpy(),
            "z": z.to_numpy(),
            "pvalue": 2 * stats.norm.sf(np.abs(z.to_numpy())),
            "ci_low": (self.coef - 1.959964 * self.se).to_numpy(),
            "ci_high": (self.coef + 1.959964 * self.se).to_numpy(),
        })

    def summary(self) -> pd.DataFrame:
        """One column (named after the method) of formatted cells, for side-by-side method tables."""
        cells = {t: _fmt(c, s) for t, c, s in zip(self.coef.index, self.coef, self.se)}
        if self.options["translog"]:
            for name, val in self.elasticities.mean().items():
                cells[f"elasticity {name} (mean)"] = f"{val:.3f}"
        d = self.diagnostics
        if self.method == "ols":
            cells["intercept"] = _fmt(d["intercept"], d["intercept_se"])
        elif self.method == "fe":
            cells["intercept"] = "absorbed (firm fixed effects)"
        rts = d["returns_to_scale"]
        cells["returns to scale (sum)"] = _fmt(rts["sum"], rts["se"])
        cells["p-value, H0: constant returns"] = "" if np.isnan(rts["pvalue"]) else f"{rts['pvalue']:.3f}"
        cells["observations"] = str(self.nobs)
        cells.update({k: f"{v:.3f}" for k, v in self.fit_statistics().items()})
        cells["standard errors"] = self.se_kind
        return pd.DataFrame({self.method.upper(): pd.Series(cells)})

    def fixed_effects(self) -> tuple[str, ...]:
        """The firm identifier for ``fe`` (its intercept is absorbed in the firm effects), else empty."""
        return (self.options["id"],) if self.method == "fe" else ()

    def fit_statistics(self) -> dict[str, float]:
        """R² of OLS, FE and FD and, for FE, the within R², as fixest reports them (``r2``, ``wr2``).

        FE: ``R²`` counts the firm effects as fitted (fixest's ``r2``), ``R² within`` is that of the
        demeaned regression. FD: uncentred R² of the differenced equation (no constant is fitted).
        """
        d = self.diagnostics
        out = {"R²": float(d["r2"])} if "r2" in d else {}
        if "r2_within" in d:
            out["R² within"] = float(d["r2_within"])
        return out


def _fmt(c: float, s: float) -> str:
    return f"{c:.3f}" if np.isnan(s) else f"{c:.3f} ({s:.3f})"


def estimate_tfp(
    df: pd.DataFrame,
    output: str,
    free,
    state,
    proxy: str | None = None,
    id: str = "firm_id",
    time: str = "year",
    method: str = "acf",
    value_added: bool = True,
    poly_degree: int = 2,
    markov_degree: int = 3,
    start=None,
    exit: bool = False,
    bootstrap: int = 0,
    seed: int = 0,
    *,
    logs: bool = False,
    controls=None,
    translog: bool = False,
    optimizer: str = "nelder-mead",
    n_starts: int = 5,
    n_jobs: int = 1,
    vcov: str = "CRV1",
) -> TFPResult:
    """Estimate a production function and firm log TFP.

    Model (logs): y_it = Σ β_j x_jit + ω_it + ε_it, ω Markov, as Stata prodest. Methods:

    - ``"ols"``: pooled Cobb-Douglas OLS (pyfixest).
    - ``"fe"``: within estimator with firm fixed effects (pyfixest).
    - ``"fd"``: first differences on consecutive periods, no constant (as linearmodels
      ``FirstDifferenceOLS``; pyfixest).
    - ``"op"``: Olley & Pakes (1996), investment proxy; ``exit=True`` adds the survival-probit
      propensity score to the Markov polynomial (prodest's ``attrition``).
    - ``"lp"``: Levinsohn & Petrin (2003), intermediate-input proxy.
    - ``"acf"``: Ackerberg, Caves & Frazer (2015), Cobb-Douglas or ``translog=True``; value added or
      gross output (``value_added=False`` puts the proxy among the inputs — see the caveat below).
      Departs from prodest, which reports the root reached from the OLS start: without ``start`` the
      optimiser also starts from every elasticity at 0.1, 0.3 and 0.6, keeps every distinct root in
      ``diagnostics['roots']`` and chooses by a stated rule — exact roots only, then every input
      elasticity in (0, 1), then the smallest Hansen J of over-identified moments (lagged state inputs
      and, for value added, the lagged proxy as extra instruments) — and says why in
      ``diagnostics['root_choice']``; an :class:`~agrocluster.productivity.AmbiguousRootWarning` is raised when more than one
      admissible root remains.
    - ``"wrdg"``: Wooldridge (2009) one-step system GMM.

    Parameters
    ----------
    df : DataFrame
        A firm × period panel (the ``establishments`` contract), one row per (``id``, ``time``).
    output : str
        Output column: value added when ``value_added=True``, else gross output.
    free, state : str or list of str
        Free (variable: labour, …) and state (capital, land, …) input columns.
    proxy : str
        Investment (``op``) or intermediate inputs (``lp``, ``acf``, ``wrdg``). Unused by ols/fe.
    id, time : str
        Firm identifier and integer period columns.
    method : str
        One of ``"ols" | "fe" | "fd" | "op" | "lp" | "acf" | "wrdg"``.
    value_added : bool
        If False (gross output), ``lp``/``acf``/``wrdg`` estimate the proxy's coefficient as an
        input. Gross-output ACF under Cobb-Douglas is not identified (Gandhi, Navarro & Rivers
        2020); it is estimated as prodest does and ``diagnostics['caveat']`` says so.
    poly_degree : int
        Degree of the first-stage polynomial in (state, proxy) (ACF: also free); default 2.
    markov_degree : int
        Degree of the polynomial g in ω_{t−1} (default 3, as R prodest's ``G = 3``), for every method
        and every caller (:func:`~agrocluster.productivity.workflow.fit_methods`, the parameters).
    start : sequence of float, optional
        Second-stage starting values (op/lp: state [and proxy] coefficients; acf: all coefficients
        in ``coef`` order). Default: the OLS estimates on the second-stage sample, as prodest.
    exit : bool
        Olley-Pakes attrition correction (op and lp only).
    bootstrap : int
        Block-bootstrap replications over firms (0: none). Replication r draws firms with
        ``numpy.random.default_rng(SeedSequence(seed).spawn(bootstrap)[r])`` and restarts the
        optimiser from the point estimate, so results are identical for a seed whatever ``n_jobs``.
    seed : int
        Seeds the bootstrap and ACF's extra starting values.
    logs : bool, keyword
        False (default): the columns are used as given — already in logs, as Stata/R prodest, pyfixest
        and statsmodels formulas take them (the user logs). True: output, free, state and proxy are
        levels and are logged here; non-positive values raise :class:`EstimationError` naming the
        column and the count — except a non-positive investment proxy for ``op``, whose rows are
        excluded and counted (OP's inversion needs i > 0).
    controls : str or list of str, keyword
        Extra regressors entering linearly, never logged (e.g. year dummies you built).
    translog : bool, keyword
        Translog technology (ACF only); per-row output elasticities in ``.elasticities``.
    optimizer : str, keyword
        ``"nelder-mead"`` (default, as prodest's ``nm``), ``"bfgs"``, ``"powell"``, ``"l-bfgs-b"``.
    n_starts : int, keyword
        ACF: ``n_starts − 1`` starts that add N(0, 0.2²) noise to the first (``start``, else OLS).
        Without ``start`` the fixed starts of the root scan are run as well (see below).
    n_jobs : int, keyword
        Worker processes for the bootstrap.
    vcov : str, keyword
        ols/fe/fd analytical covariance: ``"CRV1"`` (clustered by firm, default), ``"iid"``, ``"hetero"``.

    Returns
    -------
    TFPResult

    Raises
    ------
    DataContractError
        Missing columns, duplicate (id, time) keys, non-numeric values, fractional periods.
    EstimationError
        Non-positive logged values, an input or proxy without variation, one period only, no
        consecutive periods, collinear inputs.
    ParamsError
        An unknown method or optimiser, or an option that does not apply to the method.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"firm_id": np.repeat(np.arange(50), 5), "year": np.tile(np.arange(2016, 2021), 50)})
    >>> df["labour"] = np.exp(rng.normal(3, 0.5, len(df)))
    >>> df["capital"] = np.exp(rng.normal(4, 0.5, len(df)))
    >>> df["value_added"] = df["labour"] ** 0.6 * df["capital"] ** 0.3 * np.exp(rng.normal(0, 0.1, len(df)))
    >>> res = estimate_tfp(df, "value_added", "labour", "capital", method="ols", logs=True)  # levels: log inside
    >>> res.estimates().round(2)
    term
    labour     0.60
    capital    0.28
    Name: estimate, dtype: float64
    """
    method = str(method).lower()
    if method not in METHODS:
        raise ParamsError(f"method={method!r} is not one of {METHODS}")
    if optimizer not in est.OPTIMIZERS:
        raise ParamsError(f"optimizer={optimizer!r} is not one of {tuple(est.OPTIMIZERS)}")
    for name, val, lo in (("poly_degree", poly_degree, 1), ("markov_degree", markov_degree, 1),
                          ("n_starts", n_starts, 1), ("n_jobs", n_jobs, 1), ("bootstrap", bootstrap, 0)):
        if int(val) != val or val < lo:
            raise ParamsError(f"{name}={val!r} must be an integer >= {lo}")
    if translog and method != "acf":
        raise ParamsError(f"translog=True is available for method='acf' only (as prodest), not {method!r}")
    if exit and method not in ("op", "lp"):
        raise ParamsError(f"exit=True (attrition correction) applies to 'op' and 'lp', not {method!r}")
    if method in PROXY_METHODS and not proxy:
        raise ParamsError(f"method={method!r} needs a proxy column (investment for op, materials otherwise)")
    if method in ("ols", "fe", "fd") and vcov not in ("CRV1", "iid", "hetero"):
        raise ParamsError(f"vcov={vcov!r} must be 'CRV1', 'iid' or 'hetero'")
    free_l, state_l = as_list(free, "free"), as_list(state, "state")
    ctrl_l = as_list(controls, "controls")
    if method in ("op", "lp", "wrdg") and not state_l:
        raise ParamsError(f"method={method!r} needs at least one state input (capital)")

    use_proxy = proxy if method in PROXY_METHODS else None
    panel = build_panel(df, output, free_l, state_l, use_proxy, id, time, ctrl_l, logs,
                        proxy_must_be_positive=method != "op")
    check_variation(free_l, panel.free, "free input")
    check_variation(state_l, panel.state, "state input")
    check_variation(ctrl_l, panel.controls, "control")
    if use_proxy:
        check_variation([use_proxy], panel.proxy[:, None], "proxy")
    dynamic = method in PROXY_METHODS or method == "fd"
    if method in PROXY_METHODS:
        _check_lags(panel, time)
    n_reg = len(free_l) + len(state_l) + len(ctrl_l)
    if method == "fd" and int(panel.has_lag.sum()) <= n_reg:
        raise EstimationError(
            f"first differences need more than {n_reg} firm-periods with the previous period observed "
            f"(consecutive '{time}'); found {int(panel.has_lag.sum())}"
        )

    spec = est.Spec(method=method, value_added=value_added, poly_degree=int(poly_degree),
                    markov_degree=int(markov_degree), exit=exit, translog=translog, optimizer=optimizer,
                    n_starts=int(n_starts), vcov=vcov,
                    start=None if start is None else np.asarray(list(start), float))
    fit = _fit(panel, spec, np.random.default_rng(seed))

    coef = pd.Series(fit.coef, index=fit.terms, name="coef")
    draws = None
    failed = 0
    if bootstrap > 0:
        draws, failed = _bootstrap(panel, spec, fit, int(bootstrap), seed, int(n_jobs))
        draws = pd.DataFrame(draws, columns=fit.terms)
        V = draws.cov().to_numpy()
        se = draws.std(ddof=1)
        se_kind = f"block bootstrap over firms ({bootstrap} reps)"
    elif fit.vcov is not None:
        V = fit.vcov
        se = pd.Series(np.sqrt(np.diag(V)), index=fit.terms)
        se_kind = {"ols": f"analytical ({vcov}{', by firm' if vcov == 'CRV1' else ''})",
                   "fe": f"analytical ({vcov}{', by firm' if vcov == 'CRV1' else ''})",
                   "fd": f"analytical ({vcov}{', by firm' if vcov == 'CRV1' else ''})",
                   "wrdg": "analytical (two-step GMM, firm-clustered)"}[method]
    else:
        V = None
        se = pd.Series(np.nan, index=fit.terms)
        se_kind = "none (set bootstrap > 0)"
    se.name = "se"

    Xall, input_names = _design(panel, spec)
    back = np.argsort(panel.position, kind="stable")  # the caller's row order
    tfp = pd.Series((panel.y - Xall @ fit.coef)[back], index=panel.index[back], name="tfp")
    elast = _elasticities(panel, spec, fit, input_names).iloc[back]
    go = not value_added and method in ("lp", "acf", "wrdg")
    x_means = np.column_stack([panel.free, panel.state] + ([panel.proxy[:, None]] if go else [])).mean(axis=0)
    rts = _returns_to_scale(fit, elast, V, draws, spec, x_means)

    excluded = dict(panel.excluded)
    if not dynamic:
        excluded.pop(REASON_NO_LAG_FIRST, None)
        excluded.pop(REASON_NO_LAG_GAP, None)
    n_input = len(df)
    n_missing = n_input - panel.n
    diagnostics = {
        "n_rows_input": n_input,
        "nobs_first_stage": panel.n,
        "share_lost_missing": n_missing / n_input,
        "share_lost_lags": (panel.n - fit.nobs) / n_input if dynamic else 0.0,
        "firms_with_gaps": panel.n_gap_firms,
        "returns_to_scale": rts,
    }
    diagnostics.update({k: v for k, v in fit.info.items() if k not in ("first_stage_resid", "ols_start",
                                                                        "nobs_first_stage", "vcov_kind")})
    if bootstrap > 0:
        diagnostics["bootstrap_failed"] = failed
    excluded_df = pd.DataFrame({"reason": list(excluded), "rows": list(excluded.values())})
    return TFPResult(
        method=method, coef=coef, se=se, se_kind=se_kind, tfp=tfp, nobs=fit.nobs, elasticities=elast,
        diagnostics=diagnostics, excluded=excluded_df,
        vcov=None if V is None else pd.DataFrame(V, index=fit.terms, columns=fit.terms),
        bootstrap_draws=draws,
        options={"output": output, "free": free_l, "state": state_l, "proxy": use_proxy, "id": id,
                 "time": time, "value_added": value_added, "poly_degree": poly_degree,
                 "markov_degree": markov_degree, "start": None if start is None else list(start),
                 "exit": exit, "bootstrap": bootstrap, "seed": seed, "logs": logs, "controls": ctrl_l,
                 "translog": translog, "optimizer": optimizer, "n_starts": n_starts, "vcov": vcov},
    )


def _check_lags(panel: Panel, time: str) -> None:
    if len(np.unique(panel.time)) < 2:
        raise EstimationError(
            f"proxy methods use lags (t-1), so they need at least two {'years' if time == 'year' else repr(time) + ' periods'}; "
            f"the data hold only {time} {panel.time[0]}"
        )
    n_lag = int(panel.has_lag.sum())
    if n_lag == 0:
        raise EstimationError(
            f"no firm is observed in two consecutive periods of '{time}' (gaps everywhere): "
            "a lag across a gap is not a lag, so the second stage has no observations"
        )
    if n_lag < 10:
        raise EstimationError(f"only {n_lag} observations have a one-period lag: too few for a second stage")


def _fit(panel: Panel, spec: est.Spec, rng: np.random.Generator) -> est.Fit:
    if spec.method in ("ols", "fe", "fd"):
        return est.fit_linear(panel, spec, spec.method)
    if spec.method in ("op", "lp"):
        return est.fit_oplp(panel, spec)
    if spec.method == "acf":
        return est.fit_acf(panel, spec, rng)
    return est.fit_wrdg(panel, spec)


def _design(panel: Panel, spec: est.Spec):
    """Columns matching ``fit.terms`` on every first-stage row, and the plain input names."""
    go = not spec.value_added and spec.method in ("lp", "acf", "wrdg")
    input_names = panel.free_names + panel.state_names + ([panel.proxy_name] if go else [])
    X, _ = est.production_terms(panel.free, panel.state, panel.proxy if go else None, input_names,
                                spec.translog)
    return np.column_stack([X, panel.controls]), input_names


def _elasticities(panel: Panel, spec: est.Spec, fit: est.Fit, input_names: list[str]) -> pd.DataFrame:
    """∂y/∂x_j per row: β_j under Cobb-Douglas; β_j + 2β_jj x_j + Σ_k β_jk x_k under translog."""
    b = dict(zip(fit.terms, fit.coef))
    if not spec.translog:
        return pd.DataFrame({n: np.full(panel.n, b[n]) for n in input_names}, index=panel.index)
    go = not spec.value_added
    X = np.column_stack([panel.free, panel.state] + ([panel.proxy[:, None]] if go else []))
    out = {}
    for j, nj in enumerate(input_names):
        e = np.full(panel.n, b[nj]) + 2 * b[f"{nj}^2"] * X[:, j]
        for k, nk in enumerate(input_names):
            if k != j:
                key = f"{nj}*{nk}" if f"{nj}*{nk}" in b else f"{nk}*{nj}"
                e = e + b[key] * X[:, k]
        out[nj] = e
    return pd.DataFrame(out, index=panel.index)


def _translog_sum(b: dict, names: list[str], x_means: np.ndarray) -> float:
    """Mean over rows of Σ_j ∂y/∂x_j: elasticities are linear in x, so evaluate at the means of x."""
    total = 0.0
    for j, nj in enumerate(names):
        total += b[nj] + 2 * b[f"{nj}^2"] * x_means[j]
        for k, nk in enumerate(names):
            if k != j:
                total += b[f"{nj}*{nk}" if f"{nj}*{nk}" in b else f"{nk}*{nj}"] * x_means[k]
    return float(total)


def _returns_to_scale(fit, elast, V, draws, spec, x_means) -> dict:
    """H0: Σ output elasticities = 1 (translog: at the sample mean of the per-row elasticities).

    The SE comes from the bootstrap draws when there are any, else from the analytical covariance
    (a'Va with a the indicator of the inputs), else it is NaN.
    """
    total = float(elast.sum(axis=1).mean())
    names = list(elast.columns)
    if draws is not None and len(draws) > 1:
        if spec.translog:
            sums = [np.nan if any(np.isnan(v) for v in row.values()) else _translog_sum(row, names, x_means)
                    for row in draws.to_dict("records")]
            se = float(np.nanstd(sums, ddof=1))
        else:
            se = float(draws.iloc[:, : fit.n_inputs].sum(axis=1, skipna=False).std(ddof=1))
    elif V is not None and not spec.translog:
        a = np.r_[np.ones(fit.n_inputs), np.zeros(len(fit.coef) - fit.n_inputs)]
        se = float(np.sqrt(a @ V @ a))
    else:
        se = np.nan
    stat = (total - 1.0) / se if np.isfinite(se) and se > 0 else np.nan
    return {"sum": total, "se": se, "stat": stat,
            "pvalue": float(2 * stats.norm.sf(abs(stat))) if np.isfinite(stat) else np.nan}


def _bootstrap_chunk(panel: Panel, spec: est.Spec, seeds: list) -> list[np.ndarray]:
    out = []
    # the draws' matrices are thin (rows × a few columns): one BLAS thread each is faster than a pool of
    # threads fighting for the cores, and several times faster on a shared machine
    with threadpool_limits(limits=1, user_api="blas"):
        fast = est.BootstrapDraws(panel, spec) if spec.method in est.BootstrapDraws.METHODS else None
        for ss in seeds:
            rng = np.random.default_rng(ss)
            firms = rng.integers(0, panel.n_firms, panel.n_firms)
            try:
                coef = fast(firms) if fast is not None else _fit(panel.resample(firms), spec, rng).coef
                out.append(np.asarray(coef, float))
            except (EstimationError, np.linalg.LinAlgError, ValueError):
                out.append(None)
    return out


def _bootstrap(panel: Panel, spec: est.Spec, fit: est.Fit, reps: int, seed: int, n_jobs: int):
    """Block bootstrap over firms; replication r uses child seed r of SeedSequence(seed).

    OLS, FE, OP, LP and ACF draws go through :class:`~agrocluster.productivity._estimators.BootstrapDraws`
    (the second stage restarts at the full-sample solution); FD and Wooldridge refit on the resampled panel.
    """
    if spec.method in ("op", "lp"):
        start = fit.coef[len(panel.free_names): fit.n_inputs]
    elif spec.method == "acf":
        start = fit.coef
    else:
        start = None
    bspec = replace(spec, start=start, n_starts=1)
    children = np.random.SeedSequence(seed).spawn(reps)
    if n_jobs == 1:
        results = _bootstrap_chunk(panel, bspec, children)
    else:
        chunks = [list(c) for c in np.array_split(np.arange(reps), n_jobs) if len(c)]
        with ProcessPoolExecutor(max_workers=n_jobs) as pool:
            futures = [pool.submit(_bootstrap_chunk, panel, bspec, [children[i] for i in c]) for c in chunks]
            results = [r for fut in futures for r in fut.result()]
    k = len(fit.coef)
    failed = sum(r is None for r in results)
    draws = np.vstack([np.full(k, np.nan) if r is None else r for r in results])
    return draws, failed
