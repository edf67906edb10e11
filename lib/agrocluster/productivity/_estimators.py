"""Point estimators on a :class:`~agrocluster.productivity._panel.Panel` (logs already taken).

Each ``fit_*`` returns a :class:`Fit`: the coefficient vector over ``terms`` (production-function
inputs first, then controls), an analytical covariance where the method has one, and diagnostics.
No constant is reported: it is absorbed in log TFP (OLS, OP/LP/ACF) or in the firm effects (FE).
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from agrocluster.errors import EstimationError, ParamsError
from agrocluster.productivity._panel import Panel

OPTIMIZERS = {"nelder-mead": "Nelder-Mead", "bfgs": "BFGS", "powell": "Powell", "l-bfgs-b": "L-BFGS-B"}
#: ACF root scan: fixed starts (every input elasticity set to the value, higher terms and controls 0).
ACF_FIXED_STARTS = (0.1, 0.3, 0.6)
#: ACF solutions whose coefficients differ by less than this (max abs) are one root.
SAME_ROOT_TOL = 1e-3
#: An ACF root is a candidate when its criterion N·m'Wm (chi-square scale) is within this of the smallest.
ROOT_CRIT_TOL = 1e-3


class AmbiguousRootWarning(UserWarning):
    """More than one economically admissible exact root of the ACF criterion remains."""


@dataclass
class Fit:
    coef: np.ndarray
    terms: list[str]
    n_inputs: int  # the first n_inputs terms are production inputs (enter returns to scale)
    vcov: np.ndarray | None
    nobs: int
    info: dict = field(default_factory=dict)


@dataclass
class Spec:
    method: str
    value_added: bool
    poly_degree: int
    markov_degree: int
    exit: bool
    translog: bool
    optimizer: str
    n_starts: int
    vcov: str
    start: np.ndarray | None = None
    local: bool = False  # bootstrap draws: polish from ``start`` by least squares on the moment vector


def poly(X: np.ndarray, degree: int, const: bool = True) -> np.ndarray:
    """All monomials of the columns of ``X`` of total degree 1..degree (and a constant)."""
    n, k = X.shape
    if k == 1:  # the Markov polynomial in ω_{t-1}, evaluated at every step of the second stage
        x = X[:, 0]
        V = np.empty((n, degree + 1))
        V[:, 0] = 1.0
        for d in range(1, degree + 1):
            np.multiply(V[:, d - 1], x, out=V[:, d])
        return V if const else V[:, 1:]
    cols = [np.ones(n)] if const else []
    for d in range(1, degree + 1):
        for combo in itertools.combinations_with_replacement(range(k), d):
            cols.append(np.prod(X[:, combo], axis=1))
    return np.column_stack(cols)


def _ols(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(X, y, rcond=None)[0]


def _concentrate(G: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Residual of r on G (normal equations; G is small and well conditioned after centring)."""
    GtG = G.T @ G
    try:
        b = np.linalg.solve(GtG, G.T @ r)
    except np.linalg.LinAlgError:
        b = np.linalg.lstsq(G, r, rcond=None)[0]
    return r - G @ b


# ---------------------------------------------------------------------------------------- OLS / FE
def fit_linear(panel: Panel, spec: Spec, kind: str) -> Fit:
    """Cobb-Douglas by pooled OLS (``"ols"``), the within estimator (``"fe"``) or first differences
    (``"fd"``), via pyfixest.

    ``"fd"``: Δy_it = Δx_it·β + Δu_it on rows whose previous row is the same firm one period earlier (a
    difference across a gap is not a first difference), without a constant, as linearmodels
    ``FirstDifferenceOLS`` (a constant in differences is a linear trend: add it as a control). Info:
    ``r2`` (OLS: R²; FE: within R² in ``r2_within`` and overall R² in ``r2``; FD: R² of the differenced
    equation, uncentred as no constant is fitted), and for OLS the intercept with its standard error.

    Bootstrap draws (``spec.local``, OLS and FE) need only the coefficients: the same least squares in numpy
    (firm means swept out for the within estimator), without pyfixest's formula and covariance machinery.
    """
    import pyfixest as pf

    X = np.column_stack([panel.free, panel.state, panel.controls])
    terms = panel.free_names + panel.state_names + panel.control_names
    if spec.local and kind != "fd":
        return _linear_coefficients(panel, X, terms, kind == "fe")
    names = [f"x{j}" for j in range(X.shape[1])]
    y, firm = panel.y, panel.firm
    if kind == "fd":
        L = panel.has_lag
        X, y, firm = X[L] - _lagged(X, L), panel.y[L] - _lagged(panel.y, L), panel.firm[L]
    data = pd.DataFrame(X, columns=names)
    data["y"] = y
    data["firm"] = firm
    rhs = " + ".join(names)
    if kind == "fe":
        counts = np.bincount(panel.firm)
        if counts.max() < 2:
            raise EstimationError(
                "fixed effects (within) need firms observed in at least two periods; every firm has one"
            )
        fml = f"y ~ {rhs} | firm"
    elif kind == "fd":
        fml = f"y ~ {rhs} - 1"
    else:
        fml = f"y ~ {rhs}"
    vcov = {"CRV1": "firm"} if spec.vcov == "CRV1" else spec.vcov
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols(fml, data=data, vcov=vcov, fixef_rm="none")
    coefs = fit.coef()
    dropped = [terms[names.index(c)] for c in names if c not in coefs.index]
    if dropped:
        raise EstimationError(f"input(s) {dropped} are collinear with the others (or with the firm effects)")
    pos = [list(coefs.index).index(c) for c in names]
    b = coefs.iloc[pos].to_numpy()
    # pyfixest exposes the covariance matrix only as the attribute _vcov (no public accessor in 0.60)
    V = np.asarray(fit._vcov)[np.ix_(pos, pos)]
    # and the R² only as _r2 / _r2_within
    info = {"vcov_kind": spec.vcov, "r2": float(fit._r2)}
    if kind == "ols":
        info["intercept"] = float(coefs.get("Intercept", np.nan))
        info["intercept_se"] = float(fit.se().get("Intercept", np.nan))
    elif kind == "fe":
        info["intercept_note"] = "absorbed by the firm fixed effects (no intercept is estimated, as fixest)"
        info["r2_within"] = float(fit._r2_within)
        info["singleton_firms"] = int((np.bincount(panel.firm) == 1).sum())
    return Fit(b, terms, panel.free.shape[1] + panel.state.shape[1], V, len(y), info)


def _linear_coefficients(panel: Panel, X: np.ndarray, terms: list[str], within: bool) -> Fit:
    """OLS (with a constant) or within-firm least squares coefficients only."""
    y = panel.y
    if within:
        counts = np.bincount(panel.firm).astype(float)
        X = X - (np.stack([np.bincount(panel.firm, weights=col) for col in X.T], axis=1) / counts[:, None])[panel.firm]
        y = y - (np.bincount(panel.firm, weights=y) / counts)[panel.firm]
        b = _ols(X, y)
    else:
        b = _ols(np.column_stack([np.ones(len(y)), X]), y)[1:]
    return Fit(b, terms, panel.free.shape[1] + panel.state.shape[1], None, panel.n, {})


# ------------------------------------------------------------------------------------ OP / LP
def _first_stage(panel: Panel, spec: Spec):
    """y on [free, controls, poly(state, proxy)]: phi (poly part with constant), β_free, β_controls."""
    P = poly(np.column_stack([panel.state, panel.proxy[:, None]]), spec.poly_degree)
    nf, nc = panel.free.shape[1], panel.controls.shape[1]
    X = np.column_stack([panel.free, panel.controls, P])
    b = _ols(X, panel.y)
    phi = P @ b[nf + nc:]
    return phi, b[:nf], b[nf:nf + nc], panel.y - X @ b


def _lagged(a: np.ndarray, has_lag: np.ndarray) -> np.ndarray:
    """Row r's value at r-1 on the rows with a lag (caller selects those rows)."""
    prev = np.roll(a, 1, axis=0)
    return prev[has_lag]


def _exit_propensity(panel: Panel, spec: Spec) -> np.ndarray:
    """Olley-Pakes attrition correction: probit of survival to t+1 on poly(state, proxy) at t.

    Returns the predicted survival probability P_t attached to each row with a lag (from row t-1).
    """
    import statsmodels.api as sm

    surv = panel.survival()
    P = poly(np.column_stack([panel.state, panel.proxy]), spec.poly_degree)
    ok = ~np.isnan(surv)
    if ok.sum() == 0 or np.all(surv[ok] == 1):
        raise EstimationError(
            "exit=True but no firm leaves the panel before its last period: the survival probit has "
            "no exits to explain"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.Probit(surv[ok], P[ok]).fit(disp=0, maxiter=200)
    phat = res.predict(P)
    return _lagged(phat, panel.has_lag), int((surv[ok] == 0).sum())


def fit_oplp(panel: Panel, spec: Spec) -> Fit:
    """Olley-Pakes (1996) and Levinsohn-Petrin (2003) two-step estimators, as Stata prodest op/lp.

    First stage: y = free·β_f + controls·β_c + φ(state, proxy) + ε with φ a polynomial of
    ``poly_degree``. Second stage on rows with a true lag, as prodest (Stata ``prodest``'s ``op``/``lp``;
    R ``prodest``'s ``finalOPLP``/``gOPLP``): with ω(θ) = φ̂ − state·θ_s (− proxy·θ_m for gross-output
    LP), the Markov polynomial ĝ of ``markov_degree`` (constant included; default 3, R prodest's
    ``G = 3``) is fitted by least squares of ω_t(θ) on ω_{t−1}(θ) [and P_t], and the residual is
    ξ + ε = y − free·β_f − controls·β_c − state·θ_s [− proxy·θ_m] − ĝ(ω_{t−1}(θ) [, P_t]).
    Fitting g on y − free·β_f − state·θ_s instead (which still carries ε) is not prodest's form. Value added / OP: θ minimises
    the sum of squared residuals (NLS, as OP 1996). Gross-output LP: θ solves the GMM moments
    E[(ξ+ε)·(state_t, proxy_{t−1})] = 0 (LP 2003 §4), identity-scaled weight (Z'Z)^{-1}.
    """
    go = spec.method == "lp" and not spec.value_added
    phi, b_free, b_ctrl, fs_resid = _first_stage(panel, spec)
    L = panel.has_lag
    ytil = (panel.y - panel.free @ b_free - panel.controls @ b_ctrl)[L]
    S = panel.state if not go else np.column_stack([panel.state, panel.proxy])
    S_now = S[L]
    S_lag = _lagged(S, L)
    phi_now, phi_lag = phi[L], _lagged(phi, L)
    propensity, n_exits = (None, 0)
    if spec.exit:
        propensity, n_exits = _exit_propensity(panel, spec)
    n = int(L.sum())
    if go:
        Z = np.column_stack([panel.state[L], _lagged(panel.proxy, L)])
        W = np.linalg.inv(Z.T @ Z / n)

    def resid(theta):
        w_lag = phi_lag - S_lag @ theta
        G = poly(w_lag[:, None] if propensity is None else np.column_stack([w_lag, propensity]),
                 spec.markov_degree)
        omega = phi_now - S_now @ theta
        return ytil - S_now @ theta - (omega - _concentrate(G, omega))

    def crit(theta):
        e = resid(theta)
        if go:
            m = Z.T @ e / n
            return float(n * m @ W @ m)
        return float(e @ e / n)

    root_w = np.linalg.cholesky(W) if go else None

    def vector(theta):  # crit = |vector|²
        e = resid(theta)
        return np.sqrt(n) * root_w.T @ (Z.T @ e / n) if go else e / np.sqrt(n)

    start = spec.start if spec.start is not None else _ols(np.column_stack([np.ones(n), S_now]), ytil)[1:]
    if len(start) != S.shape[1]:
        raise ParamsError(f"start has {len(start)} values; {spec.method} estimates {S.shape[1]} in stage two")
    if spec.local:  # a bootstrap draw: polish the full-sample solution locally
        best = _polish(crit, vector, np.asarray(start, float))
        theta, criterion, converged = best["theta"], best["criterion"], best["converged"]
    else:
        theta, criterion, converged = _minimise_one(crit, np.asarray(start, float), spec)
    if not np.isfinite(criterion):
        raise EstimationError("the second-stage criterion is not finite at the starting value")
    terms_inputs = panel.free_names + panel.state_names + ([panel.proxy_name] if go else [])
    coef = np.r_[b_free, theta, b_ctrl]
    info = {"criterion": criterion, "converged": converged, "nobs_first_stage": panel.n,
            "first_stage_resid": fs_resid}
    if spec.exit:
        info["exits_in_probit"] = n_exits
    return Fit(coef, terms_inputs + panel.control_names, len(terms_inputs), None, n, info)


# ------------------------------------------------------------------------------------------- ACF
def production_terms(free: np.ndarray, state: np.ndarray, proxy: np.ndarray | None,
                     names: list[str], translog: bool):
    """Cobb-Douglas columns (the inputs) or translog columns (inputs, squares, cross products)."""
    X = np.column_stack([free, state] + ([proxy[:, None]] if proxy is not None else []))
    if not translog:
        return X, list(names)
    cols, terms = [X], list(names)
    for i, j in itertools.combinations_with_replacement(range(X.shape[1]), 2):
        cols.append((X[:, i] * X[:, j])[:, None])
        terms.append(f"{names[i]}^2" if i == j else f"{names[i]}*{names[j]}")
    return np.column_stack(cols), terms


def fit_acf(panel: Panel, spec: Spec, rng: np.random.Generator) -> Fit:
    """Ackerberg, Caves & Frazer (2015) two-step GMM, with prodest's conventions and a root scan.

    First stage: y = φ(free, state, proxy) + controls·γ + ε, φ a polynomial of ``poly_degree``
    (nothing is identified here; it only purges ε). Second stage on rows with a true lag: for θ,
    ω(θ) = φ̂ − x·θ, ω_{t−1}(θ) = φ̂_{t−1} − x_{t−1}·θ, ξ(θ) = ω − g(ω_{t−1}) with g a polynomial of
    ``markov_degree`` (constant included, which absorbs the intercept) fitted by least squares; θ
    minimises N·m'Wm, m = Z'ξ/N, W = (Z'Z/N)^{-1}, Z = x with free inputs replaced by their lags
    (state inputs current; gross output: the proxy lagged; translog: products of those). Controls
    enter x and are their own instruments.

    Roots. The Cobb-Douglas criterion is exactly identified and can have several exact roots (Kim,
    Luo & Su 2019, JAE 34(4)). Without ``spec.start`` the optimiser runs from the OLS estimates
    (prodest's start), from every input elasticity at each of :data:`ACF_FIXED_STARTS` and from
    ``n_starts − 1`` perturbations of OLS (N(0, 0.2²)); solutions within :data:`SAME_ROOT_TOL` are one
    root. The rule (:func:`choose_acf_root`): (1) candidates are converged roots whose criterion is
    within :data:`ROOT_CRIT_TOL` of the smallest; (2) prefer those with every input elasticity in (0, 1)
    (at the sample means under translog); (3) among them, the smallest Hansen J of the
    over-identified moments that add lagged state inputs (and, for value added, the lagged proxy) to Z —
    valid instruments under ACF's timing, E[ξ_t | I_{t−1}] = 0 — with the firm-clustered weight;
    (4) ties: the earlier start. ``info['roots']`` lists every root. With ``spec.start`` given (e.g. the
    bootstrap, restarting at the point estimate) only that start and its perturbations are run.

    Gross output with a materials proxy under Cobb-Douglas is not identified (Gandhi, Navarro &
    Rivers 2020): the moment on m_{t−1} has no power beyond the flexible-input first-order condition.
    We estimate it as prodest does and flag it in ``info['caveat']``.
    """
    go = not spec.value_added
    phi_all = poly(np.column_stack([panel.free, panel.state, panel.proxy]), spec.poly_degree)
    Xfs = np.column_stack([phi_all, panel.controls])
    bfs = _ols(Xfs, panel.y)
    fitted = Xfs @ bfs
    phi = fitted  # includes the controls' part: controls enter x below with their own coefficient
    L = panel.has_lag
    n = int(L.sum())
    input_names = panel.free_names + panel.state_names + ([panel.proxy_name] if go else [])
    proxy_in = panel.proxy if go else None
    X, terms = production_terms(panel.free, panel.state, proxy_in, input_names, spec.translog)
    lag_free = np.roll(panel.free, 1, axis=0)
    lag_proxy = np.roll(panel.proxy, 1) if go else None
    Zfull, _ = production_terms(lag_free, panel.state, lag_proxy, input_names, spec.translog)
    X = np.column_stack([X, panel.controls])
    Zfull = np.column_stack([Zfull, panel.controls])
    X_now, X_lag = X[L], _lagged(X, L)
    Z = Zfull[L]
    phi_now, phi_lag = phi[L], _lagged(phi, L)
    ZtZ = Z.T @ Z / n
    if np.linalg.matrix_rank(ZtZ) < Z.shape[1]:
        raise EstimationError("ACF instruments are collinear (an input or its lag does not vary)")
    W = np.linalg.inv(ZtZ)

    def xi(theta):
        omega = phi_now - X_now @ theta
        w_lag = phi_lag - X_lag @ theta
        return _concentrate(poly(w_lag[:, None], spec.markov_degree), omega)

    def crit(theta):
        m = Z.T @ xi(theta) / n
        return float(n * m @ W @ m)

    root_w = np.linalg.cholesky(W)

    def vector(theta):  # crit = |vector|²
        return np.sqrt(n) * root_w.T @ (Z.T @ xi(theta) / n)

    extra = [_lagged(panel.state, L)] + ([] if go else [_lagged(panel.proxy, L)[:, None]])
    Z_over = np.column_stack([Z, *extra])
    firm = panel.firm[L]

    def hansen(theta) -> tuple[float, int]:
        return _clustered_j(Z_over, xi(theta), firm, Z_over.shape[1] - Z.shape[1])

    ols_start = _ols(np.column_stack([np.ones(n), X_now]), panel.y[L])[1:]
    if spec.local and spec.start is not None:  # a bootstrap draw: polish the chosen root locally
        best = _polish(crit, vector, np.asarray(spec.start, float))
        theta = best["theta"]
        info = {"criterion": best["criterion"], "converged": best["converged"], "starts": best["starts"],
                "starts_agree": True, "nobs_first_stage": panel.n, "first_stage_resid": panel.y - fitted,
                "ols_start": ols_start}
    else:
        if spec.start is not None and len(spec.start) != X.shape[1]:
            raise ParamsError(f"start has {len(spec.start)} values; ACF estimates {X.shape[1]} ({terms + panel.control_names})")
        plan = [("OLS (prodest default)", ols_start)] if spec.start is None else [("given start", spec.start)]
        if spec.start is None:
            for v in ACF_FIXED_STARTS:
                plan.append((f"every elasticity {v:g}",
                             np.r_[np.full(len(input_names), v), np.zeros(X.shape[1] - len(input_names))]))
        centre = plan[0][1]
        for j in range(max(spec.n_starts, 1) - 1):
            plan.append((f"{plan[0][0]} + noise {j + 1}", centre + rng.normal(0.0, 0.2, size=centre.shape)))
        runs = [(label, s, *_minimise_one(crit, np.asarray(s, float), spec)) for label, s in plan]
        x_means = np.column_stack([panel.free, panel.state] + ([panel.proxy[:, None]] if go else [])).mean(axis=0)
        roots, starts_df = _group_roots(runs, terms + panel.control_names)
        roots["admissible"] = [_admissible(r, terms, input_names, x_means, spec.translog)
                               for r in roots["estimate"]]
        js = [hansen(np.asarray(r, float)) for r in roots["estimate"]]
        roots["hansen_j"] = [j for j, _ in js]
        roots["hansen_df"] = [d for _, d in js]
        roots["hansen_pvalue"] = [float(stats.chi2.sf(j, d)) if d > 0 and np.isfinite(j) else np.nan for j, d in js]
        pick, reason, roots = choose_acf_root(roots)
        chosen = roots.loc[pick]
        theta = np.asarray(chosen["estimate"], float)
        conv = starts_df[starts_df["converged"]]
        agree = bool(len(conv)) and all(np.max(np.abs(np.asarray(e) - theta)) < SAME_ROOT_TOL for e in conv["estimate"])
        info = {"criterion": float(chosen["criterion"]), "converged": bool(chosen["converged"]), "starts": starts_df,
                "starts_agree": agree, "roots": roots.drop(columns=["estimate"]), "root_choice": reason,
                "hansen_j": {"J": float(chosen["hansen_j"]), "df": int(chosen["hansen_df"]),
                             "pvalue": float(chosen["hansen_pvalue"])},
                "nobs_first_stage": panel.n, "first_stage_resid": panel.y - fitted, "ols_start": ols_start}
        n_adm = int((roots["candidate"] & roots["admissible"]).sum())
        if n_adm > 1:
            warnings.warn(
                f"ACF: {n_adm} exact roots of the criterion have every input elasticity in (0, 1); chosen by "
                f"{reason}. Report them all (diagnostics['roots'])", AmbiguousRootWarning, stacklevel=4)
    if go and not spec.translog:
        info["caveat"] = (
            "gross-output ACF with a materials proxy under Cobb-Douglas is not identified "
            "(Gandhi, Navarro & Rivers 2020, JPE): the materials coefficient comes only from the "
            "m_{t-1} moment; estimated as Stata prodest does - prefer value added or a GNR-type estimator"
        )
    return Fit(theta, terms + panel.control_names, len(terms), None, n, info)


def _clustered_j(Z: np.ndarray, e: np.ndarray, firm: np.ndarray, df: int) -> tuple[float, int]:
    """Hansen J = N·ḡ'S⁻¹ḡ at a fixed θ, ḡ = Z'e/N, S the firm-clustered covariance of the moments."""
    n = len(e)
    g = Z * e[:, None]
    gf = pd.DataFrame(g).groupby(firm).sum().to_numpy()
    S = gf.T @ gf / n
    gbar = g.sum(axis=0) / n
    return float(n * gbar @ np.linalg.pinv(S) @ gbar), int(df)


def _admissible(est: list, terms: list[str], inputs: list[str], x_means: np.ndarray, translog: bool) -> bool:
    """Every input elasticity in (0, 1): the coefficients, or under translog at the sample means."""
    b = dict(zip(terms, est))
    if not translog:
        el = np.array([b[nm] for nm in inputs])
    else:
        el = np.array([b[nj] + 2 * b[f"{nj}^2"] * x_means[j]
                       + sum(b[f"{nj}*{nk}" if f"{nj}*{nk}" in b else f"{nk}*{nj}"] * x_means[k]
                             for k, nk in enumerate(inputs) if k != j)
                       for j, nj in enumerate(inputs)])
    return bool(np.all((el > 0) & (el < 1)))


def _group_roots(runs: list, names: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Starts table and one row per distinct converged solution (within SAME_ROOT_TOL), in start order."""
    reps, root_of = [], []
    for _, _, x, f, ok in runs:
        rid = np.nan
        if ok and np.isfinite(f):
            rid = next((j + 1 for j, r in enumerate(reps) if np.max(np.abs(x - r)) < SAME_ROOT_TOL), np.nan)
            if np.isnan(rid):
                reps.append(x)
                rid = len(reps)
        root_of.append(rid)
    starts_df = pd.DataFrame({
        "start": [r[0] for r in runs],
        "start_values": [np.round(np.asarray(r[1], float), 6).tolist() for r in runs],
        "estimate": [r[2].tolist() for r in runs],
        "criterion": [r[3] for r in runs],
        "converged": [r[4] for r in runs],
        "root": root_of,
    })
    if not np.isfinite(starts_df["criterion"]).any():
        raise EstimationError("the second-stage criterion is not finite at any starting value")
    if not reps:  # nothing converged: keep the best run, flagged as not converged
        k = int(np.nanargmin(starts_df["criterion"]))
        starts_df.loc[k, "root"] = 1
        reps.append(np.asarray(runs[k][2]))
    rows = []
    for j, rep in enumerate(reps, start=1):
        hit = starts_df[starts_df["root"] == j]
        rows.append({"root": j, **dict(zip(names, rep.tolist())), "estimate": rep.tolist(),
                     "criterion": float(hit["criterion"].min()), "converged": bool(hit["converged"].any()),
                     "n_starts": len(hit), "reached_from": "; ".join(hit["start"]),
                     "first_start": int(hit.index[0])})
    return pd.DataFrame(rows), starts_df


def _polish(crit, vector, start: np.ndarray) -> dict:
    """Local minimum of ``crit = |vector|²`` from ``start`` by Levenberg–Marquardt (MINPACK through
    ``scipy.optimize.least_squares``): a few evaluations per step instead of a simplex's hundreds.

    Used for bootstrap draws, which start at the full-sample solution (the chosen root) and only need
    the nearby solution of the resampled criterion.
    """
    k = len(start)
    method = "lm" if len(vector(start)) >= k else "trf"
    res = optimize.least_squares(vector, start, method=method, xtol=1e-10, ftol=1e-12, gtol=1e-12)
    value = float(crit(res.x))
    starts = pd.DataFrame({"start": [np.round(start, 6).tolist()], "estimate": [res.x.tolist()],
                           "criterion": [value], "converged": [bool(res.success)]})
    return {"theta": res.x, "criterion": value, "converged": bool(res.success), "starts": starts, "agree": True}


def choose_acf_root(roots: pd.DataFrame) -> tuple[int, str, pd.DataFrame]:
    """The root rule of :func:`fit_acf`: (row label of the chosen root, why, table with flags added).

    ``roots`` needs ``criterion``, ``converged``, ``admissible``, ``hansen_j`` and ``first_start``;
    ``candidate`` and ``chosen`` are added.
    """
    out = roots.copy()
    ok = out["converged"] if out["converged"].any() else pd.Series(True, index=out.index)
    low = float(out.loc[ok, "criterion"].min())
    out["candidate"] = ok & (out["criterion"] <= low + ROOT_CRIT_TOL)
    cand = out[out["candidate"]]
    pool = cand[cand["admissible"]]
    if len(cand) == 1:
        pick, reason = cand.index[0], "the only root at the minimum of the criterion"
    elif len(pool) == 1:
        pick, reason = pool.index[0], "the only exact root with every input elasticity in (0, 1)"
    else:
        why = ("several exact roots have every input elasticity in (0, 1)" if len(pool) else
               "no exact root has every input elasticity in (0, 1)")
        pool = pool if len(pool) else cand
        ranked = pool.sort_values(["hansen_j", "first_start"], na_position="last")
        pick = ranked.index[0]
        reason = (f"{why}; the smallest Hansen J of the over-identified moments (lagged inputs as extra "
                  f"instruments)" if np.isfinite(ranked["hansen_j"].iloc[0]) else f"{why}; the earliest start")
    out["chosen"] = out.index == pick
    return pick, reason, out


def _minimise_one(crit, start: np.ndarray, spec: Spec) -> tuple[np.ndarray, float, bool]:
    """One run of the optimiser from ``start``: (solution, criterion, converged)."""
    method = OPTIMIZERS[spec.optimizer]
    opts = {"maxiter": 5000 * len(start)}
    if method == "Nelder-Mead":
        opts.update(xatol=1e-8, fatol=1e-12, adaptive=len(start) > 3)
    res = optimize.minimize(crit, start, method=method, options=opts)
    return np.asarray(res.x, float), float(res.fun), bool(res.success)


# ------------------------------------------------------------------------------------------ WRDG
def fit_wrdg(panel: Panel, spec: Spec) -> Fit:
    """Wooldridge (2009) one-step system GMM, as Stata prodest ``wrdg`` / R ``prodestWRDG_GMM``.

    Two equations on rows with a true lag, sharing the input coefficients β:
    (1) y_t = β_f·f_t + β_c·c_t + h(s_t, m_t) + e_t, instruments f_t, c_t, poly(s_t, m_t);
    (2) y_t = β_f·f_t + β_s·s_t [+ β_m·m_t] + β_c·c_t + g∘h(s_{t−1}, m_{t−1}) + u_t, instruments
    f_{t−1}, s_t, c_t, poly(s_{t−1}, m_{t−1}).
    h and g∘h are separate polynomials of ``poly_degree`` (each with its own constant), the linear
    approximation of Wooldridge (2009, §3). Two-step efficient GMM: W₁ = (Z'Z)^{-1}, then W₂ the
    inverse of the firm-clustered moment covariance; the reported covariance is (G'W₂G)^{-1}.
    """
    go = not spec.value_added
    L = panel.has_lag
    n = int(L.sum())
    f, s, c = panel.free[L], panel.state[L], panel.controls[L]
    m = panel.proxy[L]
    f_lag = _lagged(panel.free, L)
    sm_lag = _lagged(np.column_stack([panel.state, panel.proxy]), L)
    P1 = poly(np.column_stack([s, m]), spec.poly_degree)
    P2 = poly(sm_lag, spec.poly_degree)
    ns = s.shape[1]
    R2 = np.column_stack([f, s] + ([m[:, None]] if go else []) + [c])
    R1 = np.column_stack([f, np.zeros((n, ns + (1 if go else 0))), c])
    k_r = R2.shape[1]
    X = np.block([[R1, P1, np.zeros((n, P2.shape[1]))], [R2, np.zeros((n, P1.shape[1])), P2]])
    Z1 = np.column_stack([f, c, P1])
    Z2 = np.column_stack([f_lag, s, c, P2])
    Z = np.block([[Z1, np.zeros((n, Z2.shape[1]))], [np.zeros((n, Z1.shape[1])), Z2]])
    Y = np.r_[panel.y[L], panel.y[L]]
    ZX, ZY = Z.T @ X, Z.T @ Y
    if np.linalg.matrix_rank(ZX) < X.shape[1]:
        raise EstimationError(
            "Wooldridge GMM is not identified here (instrument matrix rank-deficient): "
            + ("gross output with the proxy as an input needs more excluded instruments" if go else
               "an input or its lag does not vary enough")
        )
    W = np.linalg.pinv(Z.T @ Z)
    b1 = np.linalg.solve(ZX.T @ W @ ZX, ZX.T @ W @ ZY)
    firm = np.r_[panel.firm[L], panel.firm[L]]

    def clustered_S(b):
        g = Z * (Y - X @ b)[:, None]
        gf = pd.DataFrame(g).groupby(firm).sum().to_numpy()
        return gf.T @ gf

    W2 = np.linalg.pinv(clustered_S(b1))
    b2 = np.linalg.solve(ZX.T @ W2 @ ZX, ZX.T @ W2 @ ZY)
    V = np.linalg.pinv(ZX.T @ W2 @ ZX)
    input_names = panel.free_names + panel.state_names + ([panel.proxy_name] if go else [])
    return Fit(b2[:k_r], input_names + panel.control_names, len(input_names), V[:k_r, :k_r], n,
               {"nobs_first_stage": panel.n, "hansen_j": _hansen_j(Z, X, Y, b2, W2, firm)})


def _hansen_j(Z, X, Y, b, W, firm) -> dict:
    g = Z * (Y - X @ b)[:, None]
    gbar = pd.DataFrame(g).groupby(firm).sum().to_numpy().sum(axis=0)
    J = float(gbar @ W @ gbar)
    df = Z.shape[1] - X.shape[1]
    return {"J": J, "df": df, "pvalue": float(stats.chi2.sf(J, df)) if df > 0 else np.nan}
