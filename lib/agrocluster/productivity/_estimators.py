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
def fit_linear(panel: Panel, spec: Spec, within: bool) -> Fit:
    """Cobb-Douglas by OLS (``within=False``) or the within (firm fixed effects) estimator, via pyfixest.

    Bootstrap draws (``spec.local``) need only the coefficients: the same least squares in numpy (firm
    means swept out for the within estimator), without pyfixest's formula and covariance machinery.
    """
    import pyfixest as pf

    X = np.column_stack([panel.free, panel.state, panel.controls])
    terms = panel.free_names + panel.state_names + panel.control_names
    if spec.local:
        return _linear_coefficients(panel, X, terms, within)
    names = [f"x{j}" for j in range(X.shape[1])]
    data = pd.DataFrame(X, columns=names)
    data["y"] = panel.y
    data["firm"] = panel.firm
    rhs = " + ".join(names)
    if within:
        counts = np.bincount(panel.firm)
        if counts.max() < 2:
            raise EstimationError(
                "fixed effects (within) need firms observed in at least two periods; every firm has one"
            )
        fml = f"y ~ {rhs} | firm"
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
    info = {"vcov_kind": spec.vcov}
    if not within:
        info["intercept"] = float(coefs.get("Intercept", np.nan))
    else:
        info["singleton_firms"] = int((np.bincount(panel.firm) == 1).sum())
    return Fit(b, terms, panel.free.shape[1] + panel.state.shape[1], V, panel.n, info)


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
    ``poly_degree``. Second stage on rows with a true lag: with ω(θ) = φ̂ − state·θ_s (− proxy·θ_m for
    gross-output LP),
    y − free·β_f − controls·β_c = state·θ_s [+ proxy·θ_m] + g(ω_{t−1}(θ) [, P_t]) + ξ + ε,
    g a polynomial of ``markov_degree`` concentrated out by least squares. Value added / OP: θ minimises
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
    phi_lag = _lagged(phi, L)
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
        return _concentrate(G, ytil - S_now @ theta)

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
    best = _minimise(crit, np.asarray(start, float), spec, seed_starts=None, vector=vector)
    theta = best["theta"]
    terms_inputs = panel.free_names + panel.state_names + ([panel.proxy_name] if go else [])
    coef = np.r_[b_free, theta, b_ctrl]
    info = {"criterion": best["criterion"], "converged": best["converged"], "nobs_first_stage": panel.n,
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
    """Ackerberg, Caves & Frazer (2015) two-step GMM, with prodest's conventions.

    First stage: y = φ(free, state, proxy) + controls·γ + ε, φ a polynomial of ``poly_degree``
    (nothing is identified here; it only purges ε). Second stage on rows with a true lag: for θ,
    ω(θ) = φ̂ − x·θ, ω_{t−1}(θ) = φ̂_{t−1} − x_{t−1}·θ, ξ(θ) = ω − g(ω_{t−1}) with g a polynomial of
    ``markov_degree`` (constant included, which absorbs the intercept) fitted by least squares; θ
    minimises N·m'Wm, m = Z'ξ/N, W = (Z'Z/N)^{-1}, Z = x with free inputs replaced by their lags
    (state inputs current; gross output: the proxy lagged; translog: products of those). Controls
    enter x and are their own instruments.

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

    def moments(theta):
        omega = phi_now - X_now @ theta
        w_lag = phi_lag - X_lag @ theta
        xi = _concentrate(poly(w_lag[:, None], spec.markov_degree), omega)
        return Z.T @ xi / n

    def crit(theta):
        m = moments(theta)
        return float(n * m @ W @ m)

    root_w = np.linalg.cholesky(W)

    def vector(theta):  # crit = |vector|²
        return np.sqrt(n) * root_w.T @ moments(theta)

    ols_start = _ols(np.column_stack([np.ones(n), X_now]), panel.y[L])[1:]
    start = spec.start if spec.start is not None else ols_start
    if len(start) != X.shape[1]:
        raise ParamsError(f"start has {len(start)} values; ACF estimates {X.shape[1]} ({terms + panel.control_names})")
    best = _minimise(crit, np.asarray(start, float), spec, seed_starts=rng, vector=vector)
    info = {"criterion": best["criterion"], "converged": best["converged"], "starts": best["starts"],
            "starts_agree": best["agree"], "nobs_first_stage": panel.n, "first_stage_resid": panel.y - fitted,
            "ols_start": ols_start}
    if go and not spec.translog:
        info["caveat"] = (
            "gross-output ACF with a materials proxy under Cobb-Douglas is not identified "
            "(Gandhi, Navarro & Rivers 2020, JPE): the materials coefficient comes only from the "
            "m_{t-1} moment; estimated as Stata prodest does - prefer value added or a GNR-type estimator"
        )
    return Fit(best["theta"], terms + panel.control_names, len(terms), None, n, info)


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


def _minimise(crit, start: np.ndarray, spec: Spec, seed_starts: np.random.Generator | None,
              vector=None) -> dict:
    """Minimise ``crit`` from ``start`` and, for ACF, from ``n_starts - 1`` perturbed starts.

    With ``spec.local`` (bootstrap draws) and a moment vector, the minimum is instead polished from
    ``start`` alone by :func:`_polish`.

    Perturbed starts are start + N(0, 0.2²) per coefficient, drawn from the seeded generator. The
    reported solution is the first start's (``start`` or OLS, as prodest) unless another start reaches
    a criterion lower by more than 1e-6·(1 + min): an exactly identified ACF criterion can have several
    exact roots (criterion ≈ 0), and then no criterion value can rank them. ``agree`` says whether every
    converged run landed within 1e-3 (max abs difference) of the reported solution.
    """
    if spec.local and vector is not None:
        return _polish(crit, vector, start)
    method = OPTIMIZERS[spec.optimizer]
    starts = [start]
    if seed_starts is not None:
        for _ in range(max(spec.n_starts, 1) - 1):
            starts.append(start + seed_starts.normal(0.0, 0.2, size=start.shape))
    rows = []
    for s in starts:
        opts = {"maxiter": 5000 * len(s)}
        if method == "Nelder-Mead":
            opts.update(xatol=1e-8, fatol=1e-12, adaptive=len(s) > 3)
        res = optimize.minimize(crit, s, method=method, options=opts)
        rows.append((s, res.x, float(res.fun), bool(res.success)))
    crits = np.array([r[2] for r in rows])
    if not np.isfinite(crits).any():
        raise EstimationError("the second-stage criterion is not finite at any starting value")
    low = float(np.nanmin(crits))
    k = 0 if np.isfinite(crits[0]) and crits[0] - low <= 1e-6 * (1 + low) else int(np.nanargmin(crits))
    theta = rows[k][1]
    conv = [r for r in rows if r[3]]
    agree = bool(conv) and all(np.max(np.abs(r[1] - theta)) < 1e-3 for r in conv)
    starts_df = pd.DataFrame({
        "start": [np.round(r[0], 6).tolist() for r in rows],
        "estimate": [r[1].tolist() for r in rows],
        "criterion": crits,
        "converged": [r[3] for r in rows],
    })
    return {"theta": theta, "criterion": float(crits[k]), "converged": rows[k][3],
            "starts": starts_df, "agree": agree}


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
