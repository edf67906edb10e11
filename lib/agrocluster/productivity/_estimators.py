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


def poly_slope(X: np.ndarray, degree: int) -> np.ndarray:
    """Column-wise derivative of :func:`poly` (with its constant) with respect to the first column of ``X``.

    The monomial x₁^a·Π x_j^{c_j} has derivative a·x₁^{a−1}·Π x_j^{c_j}; monomials without x₁ give 0.
    """
    n, k = X.shape
    cols = [np.zeros(n)]
    for d in range(1, degree + 1):
        for combo in itertools.combinations_with_replacement(range(k), d):
            a = combo.count(0)  # combos are sorted: the x₁ factors come first
            cols.append(a * np.prod(X[:, combo[1:]], axis=1) if a else np.zeros(n))
    return np.column_stack(cols)


def _ols(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(X, y, rcond=None)[0]


class MarkovInnovation:
    """The innovation ξ(θ) of the Markov process in the second stage of OP/LP/ACF, and its Jacobian.

    On the rows with a true lag, for a coefficient vector θ:
    ω(θ) = φ − Xθ, ω₋₁(θ) = φ₋₁ − X₋₁θ, G(θ) = poly(ω₋₁ [, P], d) (constant included; P the exit
    propensity of OP's attrition correction, which does not depend on θ), b = (G'G)⁻¹G'ω and
    ξ(θ) = M_G ω = ω − G b, the residual of the least-squares Markov polynomial g.

    Jacobian (differentiating b = (G'G)⁻¹G'ω): with ∂ω/∂θ_j = −X_j, ∂G/∂θ_j = −X₋₁,j ⊙ D where
    D = ∂G/∂ω₋₁ column-wise (:func:`poly_slope`: d·ω₋₁^{d−1}, and a·ω₋₁^{a−1}P^c for the cross terms),
    ∂ξ/∂θ_j = (I − P_G)(∂ω/∂θ_j − ∂G/∂θ_j b) − G(G'G)⁻¹(∂G/∂θ_j)'ξ, P_G = G(G'G)⁻¹G'.
    With ĝ' = D b (the slope of g at ω₋₁) and A = X − ĝ'⊙X₋₁ this is, for all j at once,
    ∂ξ/∂θ = −A + G(G'G)⁻¹(G'A + D'(ξ⊙X₋₁)).

    With row ``weights`` (a bootstrap draw: each distinct row once, weighted by how often its firm was
    drawn) every cross-product is weighted: b = (G'WG)⁻¹G'Wω and, in the Jacobian, G'WA and D'W(ξ⊙X₋₁)
    — the same ξ as on the rows repeated.

    G'G is solved by its normal equations (the polynomial has a few columns); when it is singular, by
    least squares. One evaluation's G, G'G and b are kept for the Jacobian at the same θ (the
    Levenberg–Marquardt loop asks for both at each accepted point).
    """

    def __init__(self, phi_now: np.ndarray, phi_lag: np.ndarray, X_now: np.ndarray, X_lag: np.ndarray,
                 degree: int, propensity: np.ndarray | None = None, weights: np.ndarray | None = None):
        self.phi_now, self.phi_lag, self.X_now, self.X_lag = phi_now, phi_lag, X_now, X_lag
        self.degree, self.propensity, self.weights = degree, propensity, weights
        self._at = None

    def _markov_terms(self, w_lag: np.ndarray) -> np.ndarray:
        return w_lag[:, None] if self.propensity is None else np.column_stack([w_lag, self.propensity])

    def __call__(self, theta: np.ndarray) -> np.ndarray:
        """ξ(θ); also sets ``omega`` (ω(θ))."""
        w_lag = self.phi_lag - self.X_lag @ theta
        G = poly(self._markov_terms(w_lag), self.degree)
        omega = self.phi_now - self.X_now @ theta
        Gw = G if self.weights is None else G * self.weights[:, None]
        GtG = Gw.T @ G
        try:
            b = np.linalg.solve(GtG, Gw.T @ omega)
        except np.linalg.LinAlgError:
            root = 1.0 if self.weights is None else np.sqrt(self.weights)
            b, GtG = np.linalg.lstsq(G * np.reshape(root, (-1, 1)), omega * root, rcond=None)[0], None
        xi = omega - G @ b
        self.omega = omega
        self._at = (np.array(theta, float), w_lag, G, Gw, GtG, b, xi)
        return xi

    def jacobian(self, theta: np.ndarray) -> np.ndarray:
        """∂ξ/∂θ (rows × coefficients), by the formula of the class docstring."""
        if self._at is None or not np.array_equal(self._at[0], theta):
            self(theta)
        _, w_lag, G, Gw, GtG, b, xi = self._at
        xi_x = (xi if self.weights is None else xi * self.weights)[:, None] * self.X_lag
        if self.propensity is None:  # G = [1, w, …, w^d]: D = [0, 1, 2w, …, d·w^{d−1}] from G's own columns
            d = np.arange(1.0, self.degree + 1)
            slope = G[:, :-1] @ (d * b[1:])
            Dt_xi_x = np.vstack([np.zeros((1, xi_x.shape[1])), d[:, None] * (G[:, :-1].T @ xi_x)])
        else:
            D = poly_slope(self._markov_terms(w_lag), self.degree)
            slope, Dt_xi_x = D @ b, D.T @ xi_x
        A = self.X_now - slope[:, None] * self.X_lag
        rhs = Gw.T @ A + Dt_xi_x
        coef = np.linalg.solve(GtG, rhs) if GtG is not None else np.linalg.pinv(Gw.T @ G) @ rhs
        return G @ coef - A


class SecondStage:
    """A second-stage criterion of OP/LP/ACF written as a least-squares problem in θ.

    ``residual(θ)`` is the per-row residual r (ACF: ξ; OP/LP: ξ + ε = ỹ − Sθ − ĝ(ω₋₁)) and
    ``residual_jacobian(θ)`` its Jacobian ∂r/∂θ. With instruments Z the criterion is GMM,
    N·m'Wm with m = Z'r/N and W = (Z'Z/N)⁻¹; without, it is the mean squared residual r'r/N (NLS).
    ``vector(θ)`` has the criterion as squared norm (√N·C'm with W = CC' Cholesky, or r/√N) and
    ``jacobian(θ)`` is its Jacobian (√N·C'Z'(∂r/∂θ)/N, or (∂r/∂θ)/√N). With row ``weights`` (see
    :class:`MarkovInnovation`) N = Σ w, m = Z'Wr/N, W = (Z'WZ/N)⁻¹, and the NLS vector is √w·r/√N.
    """

    def __init__(self, residual, residual_jacobian, Z: np.ndarray | None = None, *, n_rows: int,
                 weights: np.ndarray | None = None):
        self.residual, self.residual_jacobian, self.Z, self.weights = residual, residual_jacobian, Z, weights
        self.n = n_rows if weights is None else float(weights.sum())
        self.root_weights = None if weights is None else np.sqrt(weights)[:, None]
        if Z is not None:
            self.Zw = Z if weights is None else Z * weights[:, None]
            self.W = np.linalg.inv(self.Zw.T @ Z / self.n)
            self.root_w = np.linalg.cholesky(self.W)
        self.size = n_rows if Z is None else Z.shape[1]  # length of ``vector``

    def crit(self, theta: np.ndarray) -> float:
        e = self.residual(theta)
        if self.Z is None:
            return float(e @ e / self.n) if self.weights is None else float(e @ (self.weights * e) / self.n)
        m = self.Zw.T @ e / self.n
        return float(self.n * m @ self.W @ m)

    def vector(self, theta: np.ndarray) -> np.ndarray:
        e = self.residual(theta)
        if self.Z is None:
            return (e if self.weights is None else self.root_weights[:, 0] * e) / np.sqrt(self.n)
        return np.sqrt(self.n) * self.root_w.T @ (self.Zw.T @ e / self.n)

    def jacobian(self, theta: np.ndarray) -> np.ndarray:
        J = self.residual_jacobian(theta)
        if self.Z is None:
            return (J if self.weights is None else self.root_weights * J) / np.sqrt(self.n)
        return np.sqrt(self.n) * self.root_w.T @ (self.Zw.T @ J / self.n)


# ---------------------------------------------------------------------------------------- OLS / FE
def fit_linear(panel: Panel, spec: Spec, kind: str) -> Fit:
    """Cobb-Douglas by pooled OLS (``"ols"``), the within estimator (``"fe"``) or first differences
    (``"fd"``), via pyfixest.

    ``"fd"``: Δy_it = Δx_it·β + Δu_it on rows whose previous row is the same firm one period earlier (a
    difference across a gap is not a first difference), without a constant, as linearmodels
    ``FirstDifferenceOLS`` (a constant in differences is a linear trend: add it as a control). Info:
    ``r2`` (OLS: R²; FE: within R² in ``r2_within`` and overall R² in ``r2``; FD: R² of the differenced
    equation, uncentred as no constant is fitted), and for OLS the intercept with its standard error.
    Bootstrap draws of OLS and FE go through :class:`BootstrapDraws` (the same least squares in numpy).
    """
    import pyfixest as pf

    X = np.column_stack([panel.free, panel.state, panel.controls])
    terms = panel.free_names + panel.state_names + panel.control_names
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
    S = _oplp_state(panel, go)
    propensity, n_exits = (None, 0)
    if spec.exit:
        propensity, n_exits = _exit_propensity(panel, spec)
    stage = _oplp_stage(ytil, phi[L], _lagged(phi, L), S[L], _lagged(S, L), propensity,
                        _oplp_instruments(panel, go), spec.markov_degree)
    start = spec.start if spec.start is not None else _ols(np.column_stack([np.ones(stage.n), S[L]]), ytil)[1:]
    if len(start) != S.shape[1]:
        raise ParamsError(f"start has {len(start)} values; {spec.method} estimates {S.shape[1]} in stage two")
    theta, criterion, converged = _minimise_one(stage.crit, np.asarray(start, float), spec)
    if not np.isfinite(criterion):
        raise EstimationError("the second-stage criterion is not finite at the starting value")
    terms_inputs = panel.free_names + panel.state_names + ([panel.proxy_name] if go else [])
    coef = np.r_[b_free, theta, b_ctrl]
    info = {"criterion": criterion, "converged": converged, "nobs_first_stage": panel.n,
            "first_stage_resid": fs_resid}
    if spec.exit:
        info["exits_in_probit"] = n_exits
    return Fit(coef, terms_inputs + panel.control_names, len(terms_inputs), None, stage.n, info)


def _oplp_state(panel: Panel, go: bool) -> np.ndarray:
    """The inputs of OP/LP's second stage: state inputs, and the proxy under gross-output LP."""
    return panel.state if not go else np.column_stack([panel.state, panel.proxy])


def _oplp_instruments(panel: Panel, go: bool) -> np.ndarray | None:
    """Gross-output LP's instruments (state_t, proxy_{t−1}) on rows with a lag; None for NLS."""
    L = panel.has_lag
    return np.column_stack([panel.state[L], _lagged(panel.proxy, L)]) if go else None


def _oplp_stage(ytil, phi_now, phi_lag, S_now, S_lag, propensity, Z, degree: int, weights=None) -> SecondStage:
    """OP/LP's second stage: r(θ) = ỹ − S θ − ĝ(ω₋₁(θ) [, P]) = ỹ − Sθ − (ω − ξ), ω = φ − Sθ.

    As ω = φ − Sθ, r = ỹ − φ + ξ and ∂r/∂θ = ∂ξ/∂θ (:class:`MarkovInnovation`).
    """
    xi = MarkovInnovation(phi_now, phi_lag, S_now, S_lag, degree, propensity, weights)

    def resid(theta):
        innovation = xi(theta)
        return ytil - S_now @ theta - (xi.omega - innovation)

    return SecondStage(resid, xi.jacobian, Z, n_rows=len(ytil), weights=weights)


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
    (4) ties: the earlier start. ``info['roots']`` lists every root. With ``spec.start`` given only that
    start and its perturbations are run. Bootstrap draws restart at the chosen root through
    :class:`BootstrapDraws` (the same criterion, :func:`_acf_stage`).

    Gross output with a materials proxy under Cobb-Douglas is not identified (Gandhi, Navarro &
    Rivers 2020): the moment on m_{t−1} has no power beyond the flexible-input first-order condition.
    We estimate it as prodest does and flag it in ``info['caveat']``.
    """
    go = not spec.value_added
    Xfs = _acf_first_stage_design(panel, spec)
    bfs = _ols(Xfs, panel.y)
    fitted = Xfs @ bfs
    phi = fitted  # includes the controls' part: controls enter x below with their own coefficient
    L = panel.has_lag
    input_names = panel.free_names + panel.state_names + ([panel.proxy_name] if go else [])
    X, Zfull, terms = _acf_design(panel, spec, input_names)
    X_now, Z = X[L], Zfull[L]
    stage, xi = _acf_stage(phi[L], _lagged(phi, L), X_now, _lagged(X, L), Z, spec.markov_degree)
    n = stage.n

    extra = [_lagged(panel.state, L)] + ([] if go else [_lagged(panel.proxy, L)[:, None]])
    Z_over = np.column_stack([Z, *extra])
    firm = panel.firm[L]

    def hansen(theta) -> tuple[float, int]:
        return _clustered_j(Z_over, xi(theta), firm, Z_over.shape[1] - Z.shape[1])

    ols_start = _ols(np.column_stack([np.ones(n), X_now]), panel.y[L])[1:]
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
    runs = [(label, s, *_minimise_one(stage.crit, np.asarray(s, float), spec)) for label, s in plan]
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


def _acf_first_stage_design(panel: Panel, spec: Spec) -> np.ndarray:
    """ACF's first-stage regressors: poly(free, state, proxy) of ``poly_degree`` (with constant), controls."""
    phi_all = poly(np.column_stack([panel.free, panel.state, panel.proxy]), spec.poly_degree)
    return np.column_stack([phi_all, panel.controls])


def _acf_design(panel: Panel, spec: Spec, input_names: list[str]):
    """ACF's second-stage x (production terms, then controls) and instruments Z (free inputs, and the
    gross-output proxy, lagged) on every row (lags by position: valid on rows with a lag), and the term names."""
    go = not spec.value_added
    X, terms = production_terms(panel.free, panel.state, panel.proxy if go else None, input_names, spec.translog)
    lag_free = np.roll(panel.free, 1, axis=0)
    lag_proxy = np.roll(panel.proxy, 1) if go else None
    Zfull, _ = production_terms(lag_free, panel.state, lag_proxy, input_names, spec.translog)
    return np.column_stack([X, panel.controls]), np.column_stack([Zfull, panel.controls]), terms


def _acf_stage(phi_now, phi_lag, X_now, X_lag, Z, degree: int, weights=None) -> tuple[SecondStage, MarkovInnovation]:
    """ACF's second stage: GMM on m = Z'ξ(θ)/N; raises when the instruments are collinear."""
    n = len(phi_now) if weights is None else weights.sum()
    Zw = Z if weights is None else Z * weights[:, None]
    if np.linalg.matrix_rank(Zw.T @ Z / n) < Z.shape[1]:
        raise EstimationError("ACF instruments are collinear (an input or its lag does not vary)")
    xi = MarkovInnovation(phi_now, phi_lag, X_now, X_lag, degree, weights=weights)
    return SecondStage(xi, xi.jacobian, Z, n_rows=len(phi_now), weights=weights), xi


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


# ---------------------------------------------------------------------------------- bootstrap draws
def block_rows(bounds: np.ndarray, firms: np.ndarray) -> np.ndarray:
    """Row positions of the blocks ``bounds[f]:bounds[f + 1]`` of ``firms``, concatenated in that order."""
    sizes = bounds[firms + 1] - bounds[firms]
    first = np.r_[0, np.cumsum(sizes)[:-1]]
    return np.repeat(bounds[firms] - first, sizes) + np.arange(int(sizes.sum()))


class ResampledLeastSquares:
    """Least squares of y on X refitted on block resamples of firms, at O(firms·p²) per resample.

    With the full-sample QR decomposition X = QR, a resample that takes firm f c_f times has
    X'CX = R'(Σ_f c_f Q_f'Q_f)R and X'Cy = R'(Σ_f c_f Q_f'y_f) (Q_f, y_f: the rows of firm f), so its
    coefficients are β = R⁻¹γ with (Σ_f c_f Q_f'Q_f)γ = Σ_f c_f Q_f'y_f, and its fitted values on the full
    sample's rows are Qγ. These normal equations are solved in the orthonormal basis Q, where their
    condition number is that of the resample relative to the full sample (near 1), not that of X: badly
    scaled polynomial columns lose nothing. The result is the least squares on the resampled rows, to
    rounding. :meth:`solve` returns None when X or the resample is (nearly) rank-deficient
    (condition number above :attr:`MAX_COND`); the caller then runs least squares on the resampled rows.
    """

    MAX_COND = 1e6

    def __init__(self, X: np.ndarray, y: np.ndarray, bounds: np.ndarray):
        from scipy.linalg import qr

        self.Q, self.R = qr(X, mode="economic")
        d = np.abs(np.diag(self.R))
        self.p = X.shape[1]
        self.full_rank = X.shape[0] >= self.p and d.min() > d.max() / self.MAX_COND
        starts = bounds[:-1]
        QQ = np.empty((len(starts), self.p, self.p))
        for i in range(self.p):  # per-firm Q_f'Q_f, one product column at a time (memory: one column of rows)
            for j in range(i, self.p):
                QQ[:, i, j] = QQ[:, j, i] = np.add.reduceat(self.Q[:, i] * self.Q[:, j], starts)
        self.QQ = QQ.reshape(len(starts), -1)
        self.Qy = np.add.reduceat(self.Q * y[:, None], starts, axis=0)

    def solve(self, counts: np.ndarray) -> np.ndarray | None:
        """γ for firm counts ``counts`` (β = R⁻¹γ, fitted values Qγ), or None (see the class docstring)."""
        if not self.full_rank:
            return None
        A = (counts @ self.QQ).reshape(self.p, self.p)
        if np.linalg.cond(A) > self.MAX_COND:
            return None
        return np.linalg.solve(A, counts @ self.Qy)

    def coef(self, gamma: np.ndarray) -> np.ndarray:
        from scipy.linalg import solve_triangular

        return solve_triangular(self.R, gamma)


class BootstrapDraws:
    """OLS, FE, OP, LP and ACF coefficients on block resamples of the firms of ``panel``.

    ``draws(firms)`` (the drawn firm codes, with repetition) returns the coefficients ``spec`` gives on
    ``panel.resample(firms)``, the two-step methods restarting their second stage at ``spec.start`` (the
    full-sample solution: the chosen root for ACF) — not a new search from the default starts:

    - least squares (OLS with a constant, the within estimator, the first stages of OP/LP/ACF) from
      the full sample's per-firm cross-products in an orthonormal basis (:class:`ResampledLeastSquares`);
      nearly singular resamples fall back to least squares on the resampled rows;
    - the second stage (:class:`SecondStage`, the same criterion as the point estimate) on the resampled
      rows with a lag — each distinct row once, weighted by the number of draws of its firm (with the
      exit probit, which is refitted on the resample, the rows repeated) — minimised from ``spec.start``
      by Levenberg–Marquardt (MINPACK through ``scipy.optimize.least_squares``) with the analytic
      Jacobian of :class:`MarkovInnovation`, and for the NLS criterion of OP/LP a Newton finish (:func:`_polish`).

    Raises what the estimator raises on a bad resample (EstimationError, LinAlgError, ValueError).
    """

    METHODS = ("ols", "fe", "op", "lp", "acf")

    def __init__(self, panel: Panel, spec: Spec):
        if spec.method not in self.METHODS:
            raise ParamsError(f"BootstrapDraws handles {self.METHODS}, not {spec.method!r}")
        if spec.method in ("op", "lp", "acf") and spec.start is None:
            raise ParamsError(f"bootstrap draws of {spec.method} restart at spec.start, which is missing")
        self.panel, self.spec = panel, spec
        self.bounds = panel.firm_starts()
        m = spec.method
        X = np.column_stack([panel.free, panel.state, panel.controls])
        y = panel.y
        if m == "fe":
            counts = np.bincount(panel.firm).astype(float)
            X = X - (np.stack([np.bincount(panel.firm, weights=col) for col in X.T], axis=1) / counts[:, None])[panel.firm]
            y = y - (np.bincount(panel.firm, weights=y) / counts)[panel.firm]
        elif m == "ols":
            X = np.column_stack([np.ones(len(y)), X])
        else:
            self.go = not spec.value_added if m == "acf" else (m == "lp" and not spec.value_added)
            if m == "acf":
                X = _acf_first_stage_design(panel, spec)
                input_names = panel.free_names + panel.state_names + ([panel.proxy_name] if self.go else [])
                self.x2, Z, _ = _acf_design(panel, spec, input_names)
            else:
                X = np.column_stack([panel.free, panel.controls,
                                     poly(np.column_stack([panel.state, panel.proxy[:, None]]), spec.poly_degree)])
                self.x2 = _oplp_state(panel, self.go)
                Z = np.column_stack([panel.state, np.roll(panel.proxy, 1)]) if self.go else None
            self.Z = Z
            L = panel.has_lag
            self.lag_rows = np.flatnonzero(L)
            self.lag_bounds = np.r_[0, np.cumsum(np.bincount(panel.firm[L], minlength=panel.n_firms))]
        self.X, self.y = X, y
        self.ls = ResampledLeastSquares(X, y, self.bounds)

    def __call__(self, firms: np.ndarray) -> np.ndarray:
        counts = np.bincount(firms, minlength=self.panel.n_firms)
        gamma = self.ls.solve(counts.astype(float))
        if gamma is None:
            rows = block_rows(self.bounds, firms)
            b = _ols(self.X[rows], self.y[rows])
            fitted = self.X @ b
        else:
            b = self.ls.coef(gamma)
            fitted = self.ls.Q @ gamma
        m = self.spec.method
        if m in ("ols", "fe"):
            return b[1:] if m == "ols" else b
        if self.spec.exit:  # the resampled rows with a lag, repeated, in block order (as the exit probit's)
            rows, weights = self.lag_rows[block_rows(self.lag_bounds, firms)], None
        else:  # each distinct row with a lag once, weighted by the number of draws of its firm
            reps = counts[self.panel.firm[self.lag_rows]]
            drawn = reps > 0
            rows, weights = self.lag_rows[drawn], reps[drawn]
        x_now, x_lag = self.x2[rows], self.x2[rows - 1]
        Z = None if self.Z is None else self.Z[rows]
        start = np.asarray(self.spec.start, float)
        if m == "acf":
            stage, _ = _acf_stage(fitted[rows], fitted[rows - 1], x_now, x_lag, Z, self.spec.markov_degree, weights)
            return _polish(stage, start)
        panel = self.panel
        nf, nc = panel.free.shape[1], panel.controls.shape[1]
        b_free, b_ctrl = b[:nf], b[nf:nf + nc]
        partial = panel.free @ b_free + panel.controls @ b_ctrl
        phi = fitted - partial
        propensity = None
        if self.spec.exit:  # the probit on the resampled panel: its rows with a lag are ``rows``, in order
            propensity, _ = _exit_propensity(panel.resample(firms), self.spec)
        stage = _oplp_stage((self.y - partial)[rows], phi[rows], phi[rows - 1], x_now, x_lag, propensity, Z,
                            self.spec.markov_degree, weights)
        return np.r_[b_free, _polish(stage, start), b_ctrl]


def _polish(stage: SecondStage, start: np.ndarray) -> np.ndarray:
    """Local minimum of ``stage.crit = |stage.vector|²`` from ``start`` by Levenberg–Marquardt with the
    analytic Jacobian: a few evaluations per step instead of a simplex's hundreds. Used for bootstrap
    draws, which start at the full-sample solution and only need the nearby solution of the resample.

    LM stops on relative changes of the criterion. The NLS criterion of OP/LP is flat (its minimum is
    far from zero), so those changes fall to rounding level while θ can still be ~1e-5 from the
    minimum; one Newton step on the analytic gradient 2J'v (Hessian by forward differences of it)
    finishes the job when that Hessian is positive definite and the step small (≤ 1e-4·(1 + |θ|)).
    The criterion itself cannot check that step: its rounding noise (the Markov polynomial's normal
    equations) is larger than the gain. GMM criteria are exact roots (zero at the solution), which LM
    reaches to ~1e-10.
    """
    # the moment vector is never shorter than θ (ACF and gross-output LP have as many instruments as coefficients)
    res = optimize.least_squares(stage.vector, start, jac=stage.jacobian, method="lm",
                                 xtol=1e-10, ftol=1e-12, gtol=1e-12)
    if not np.all(np.isfinite(res.fun)):
        raise EstimationError("the second-stage criterion is not finite at the bootstrap solution")
    x = res.x
    if stage.Z is None:
        def gradient(theta):
            v = stage.vector(theta)  # first: the Jacobian reuses this evaluation's Markov fit
            return 2 * stage.jacobian(theta).T @ v

        g = gradient(x)
        h = 1e-6 * (1 + np.abs(x))
        H = np.column_stack([(gradient(x + h[j] * e) - g) / h[j] for j, e in enumerate(np.eye(len(x)))])
        H = (H + H.T) / 2
        if np.all(np.isfinite(H)) and np.all(np.linalg.eigvalsh(H) > 0):
            step = np.linalg.solve(H, g)
            if np.max(np.abs(step)) <= 1e-4 * (1 + np.max(np.abs(x))):
                x = x - step
    return x
