"""Two-way fixed effects DiD and event studies (pyfixest), shown beside Callaway–Sant'Anna.

With staggered entry and effects that change with time since entry, the static TWFE coefficient is a
weighted average of cell effects with weights that can be negative (de Chaisemartin & D'Haultfœuille
2020; Goodman-Bacon 2021), and dynamic TWFE leads/lags are contaminated by other periods' effects
(Sun & Abraham 2021). These functions fit the regressions with ``pyfixest.feols`` (unit and period fixed
effects, CRV1 standard errors clustered by unit unless told otherwise) and report the diagnostics that
show where TWFE misleads. The Sun–Abraham interaction-weighted estimator is assembled here from one
pyfixest regression with cohort × relative-period dummies, because pyfixest's saturated event study is
still marked beta and does not return the IW aggregation with its delta-method standard errors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyfixest as pf
from scipy import stats

from agrocluster.errors import EstimationError, ParamsError
from agrocluster.programmes._panel import require_columns, require_numeric
from agrocluster.results import ResultProtocol, set_exclusions, tidy_frame


@dataclass
class TWFEResult(ResultProtocol):
    """Static TWFE DiD: ``y_it = a_i + l_t + beta·D_it (+ x_it'γ) + e_it`` with D_it = 1{t ≥ G_i > 0}.

    Attributes: ``coef``, ``se``, ``ci_lower``, ``ci_upper``, ``pvalue`` (of beta), ``n_obs``,
    ``n_units``, ``negative_weight_share`` (share of treated unit-periods whose implicit TWFE weight is
    negative, de Chaisemartin & D'Haultfœuille 2020), ``weights`` (DataFrame: group, time, weight, n_obs),
    ``excluded`` (``reason, n, unit``; unit ``rows``), ``vcov`` (label of the variance estimator).
    """

    coef: float
    se: float
    ci_lower: float
    ci_upper: float
    pvalue: float
    n_obs: int
    n_units: int
    negative_weight_share: float
    weights: pd.DataFrame
    excluded: pd.DataFrame
    vcov: str

    def __post_init__(self) -> None:
        set_exclusions(self, unit="rows")

    def tidy(self) -> pd.DataFrame:
        """The TWFE coefficient on treatment (term ``treated``)."""
        return tidy_frame(["treated"], [self.coef], [self.se], None, [self.pvalue], [self.ci_lower], [self.ci_upper])

    @property
    def nobs(self) -> int:
        return int(self.n_obs)

    def fixed_effects(self) -> tuple[str, ...]:
        return ("unit", "time")

    def table(self) -> pd.DataFrame:
        """One-row tidy frame (term, estimate, se, ci, p-value, n)."""
        return pd.DataFrame(
            {
                "term": ["treated"],
                "estimate": [self.coef],
                "se": [self.se],
                "ci_lower": [self.ci_lower],
                "ci_upper": [self.ci_upper],
                "pvalue": [self.pvalue],
                "n_obs": [self.n_obs],
            }
        )

    def summary(self) -> pd.DataFrame:
        """The table plus the negative-weight share."""
        t = self.table()
        t["negative_weight_share"] = self.negative_weight_share
        return t


@dataclass
class EventStudyResult(ResultProtocol):
    """Event-study coefficients by event time (``t − first_treated``), reference period set to 0.

    Attributes: ``method`` ("twfe" | "sun_abraham"), ``ref`` (omitted event time), ``coefficients``
    (DataFrame: event_time, estimate, se, ci_lower, ci_upper, reference), ``cohort_effects`` (Sun–Abraham
    only: group, event_time, estimate, se, weight), ``n_obs``, ``excluded`` (``reason, n, unit``; unit ``rows``), ``vcov``.
    """

    method: str
    ref: int
    coefficients: pd.DataFrame
    cohort_effects: pd.DataFrame
    n_obs: int
    excluded: pd.DataFrame
    vcov: str

    def __post_init__(self) -> None:
        set_exclusions(self, unit="rows")

    def tidy(self) -> pd.DataFrame:
        """One row per event time (term ``"event_time=<e>"``); the reference period has estimate 0 and no SE."""
        c = self.coefficients
        return tidy_frame([f"event_time={e}" for e in c["event_time"]], c["estimate"], c["se"], None, None,
                          c["ci_lower"], c["ci_upper"])

    @property
    def nobs(self) -> int:
        return int(self.n_obs)

    def fixed_effects(self) -> tuple[str, ...]:
        return ("unit", "time")

    def table(self) -> pd.DataFrame:
        """Tidy frame for an event-study plot (copy of ``coefficients``)."""
        return self.coefficients.copy()

    def summary(self) -> pd.DataFrame:
        """Average of post-entry coefficients (e ≥ 0) and of pre-entry ones, for a quick read."""
        c = self.coefficients[~self.coefficients["reference"]]
        return pd.DataFrame(
            {
                "method": [self.method],
                "mean_post": [c.loc[c["event_time"] >= 0, "estimate"].mean()],
                "mean_pre": [c.loc[c["event_time"] < 0, "estimate"].mean()],
                "n_obs": [self.n_obs],
            }
        )


def _prepare(df, outcome, unit, time, first_treated, covariates, cluster):
    cols = [outcome, unit, time, first_treated, *covariates] + ([cluster] if cluster else [])
    require_columns(df, cols)
    require_numeric(df, outcome, "outcome")
    require_numeric(df, time, "time")
    for c in covariates:
        require_numeric(df, c, "covariate")
    d = df[list(dict.fromkeys(cols))].copy()
    d[first_treated] = pd.to_numeric(d[first_treated], errors="coerce").fillna(0.0).astype("float64")
    if (d[first_treated] < 0).any():
        raise EstimationError(f"first_treated column {first_treated!r} has negative values")
    need = [outcome, time, *covariates] + ([cluster] if cluster else [])
    bad = d[need].isna().any(axis=1)
    excluded = pd.DataFrame(
        {"reason": ["missing outcome, time, covariate or cluster"], "n_rows": [int(bad.sum())]}
    )
    excluded = excluded[excluded["n_rows"] > 0].reset_index(drop=True)
    d = d.loc[~bad].reset_index(drop=True)
    if d[first_treated].eq(0).all() or not (d[first_treated] > 0).any():
        raise EstimationError(f"no treated unit: {first_treated!r} is 0 or missing for every row")
    d["_unit"] = pd.factorize(d[unit])[0]
    d["_time"] = d[time].astype("float64")
    d["_y"] = d[outcome].astype("float64")
    return d, excluded


def twfe_did(
    df: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    first_treated: str,
    covariates: list[str] | None = None,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> TWFEResult:
    """Static TWFE difference in differences via ``pyfixest.feols`` (as Stata ``reghdfe y D, a(i t)``).

    ``first_treated`` is 0 (or NA) for never treated. Standard errors are CRV1 clustered by ``cluster``
    (default: the unit). The implicit weights are those of de Chaisemartin & D'Haultfœuille (2020): the
    residual of D_it on unit and period effects, normalised over treated cells; negative ones flag that
    TWFE subtracts some treated cells' effects.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"unit": np.repeat(np.arange(40), 4), "year": np.tile(np.arange(2017, 2021), 40)})
    >>> df["first_treated"] = np.where(df["unit"] < 20, 2019, 0)
    >>> df["y"] = rng.normal(size=len(df)) + 0.5 * ((df["first_treated"] > 0) & (df["year"] >= df["first_treated"]))
    >>> res = twfe_did(df, "y", "unit", "year", "first_treated")
    >>> res.tidy().round(3)
          term  estimate  std_error  statistic  p_value  conf_low  conf_high
    0  treated     1.119      0.321      3.489    0.001      0.47      1.767
    """
    covariates = list(covariates or [])
    d, excluded = _prepare(df, outcome, unit, time, first_treated, covariates, cluster)
    g = d[first_treated].to_numpy()
    d["_treated"] = ((g > 0) & (d["_time"].to_numpy() >= g)).astype(float)
    if d["_treated"].nunique() < 2:
        raise EstimationError("the treatment indicator does not vary (no treated unit-period, or all treated)")
    rhs = " + ".join(["_treated", *covariates])
    cl = cluster or "_unit"
    fit = pf.feols(f"_y ~ {rhs} | _unit + _time", data=d, vcov={"CRV1": cl})
    coef, se = float(fit.coef()["_treated"]), float(fit.se()["_treated"])
    ci = fit.confint(alpha=alpha).loc["_treated"]
    aux = pf.feols("_treated ~ 1 | _unit + _time", data=d)
    # pyfixest drops singleton fixed-effect cells (as reghdfe): its residuals cover the kept rows only
    kept = np.ones(len(d), dtype=bool)
    kept[sorted(aux._na_index)] = False
    n_single = int((~kept).sum())
    if n_single:
        reason = "singleton unit or period (one observation): no within variation, dropped as reghdfe"
        excluded = pd.concat([excluded, pd.DataFrame({"reason": [reason], "n_rows": [n_single]})],
                             ignore_index=True)
    resid = np.asarray(aux.resid())
    tr = d["_treated"].to_numpy()[kept] == 1
    w = resid[tr] / resid[tr].sum()
    wt = pd.DataFrame({"group": g[kept][tr], "time": d["_time"].to_numpy()[kept][tr], "weight": w})
    weights = wt.groupby(["group", "time"], as_index=False).agg(weight=("weight", "sum"), n_obs=("weight", "size"))
    return TWFEResult(
        coef=coef, se=se, ci_lower=float(ci.iloc[0]), ci_upper=float(ci.iloc[1]),
        pvalue=float(fit.pvalue()["_treated"]), n_obs=int(fit._N), n_units=int(d.loc[kept, "_unit"].nunique()),
        negative_weight_share=float(np.mean(w < 0)), weights=weights, excluded=excluded,
        vcov=f"CRV1 by {cluster or unit}",
    )


def _dummy_name(e: int) -> str:
    return f"_e_m{-e}" if e < 0 else f"_e_p{e}"


def event_study(
    df: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    first_treated: str,
    method: str = "twfe",
    ref: int = -1,
    min_e: int | None = None,
    max_e: int | None = None,
    covariates: list[str] | None = None,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> EventStudyResult:
    """Dynamic event study by event time e = t − first_treated.

    ``method="twfe"``: one regression ``y ~ Σ_{e≠ref} 1{E_it = e} | unit + period`` (the usual dynamic
    TWFE, pyfixest ``i(rel_time, ref=-1)`` design); never-treated units carry no event dummy.
    ``method="sun_abraham"``: Sun & Abraham (2021) interaction-weighted estimator — cohort × event-time
    dummies, never-treated units as controls (or, if none, the last cohort, with periods from its entry on
    dropped), each e's effect the average of the cohort effects weighted by the cohorts' shares of
    treated units observed at e; standard errors by the delta method from the clustered covariance.
    Event times beyond ``min_e``/``max_e`` are binned into the end points (as is common; say so in a
    report). Standard errors are CRV1 by ``cluster`` (default the unit).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"unit": np.repeat(np.arange(40), 4), "year": np.tile(np.arange(2017, 2021), 40)})
    >>> df["first_treated"] = np.where(df["unit"] < 20, 2019, 0)
    >>> df["y"] = rng.normal(size=len(df)) + 0.5 * ((df["first_treated"] > 0) & (df["year"] >= df["first_treated"]))
    >>> res = event_study(df, "y", "unit", "year", "first_treated")
    >>> res.tidy()[["term", "estimate", "std_error"]].round(3)
                term  estimate  std_error
    0  event_time=-2     0.024      0.402
    1  event_time=-1     0.000      0.000
    2   event_time=0     1.312      0.422
    3   event_time=1     0.949      0.409
    """
    if method not in ("twfe", "sun_abraham"):
        raise ParamsError(f"method={method!r} is not 'twfe' or 'sun_abraham'")
    covariates = list(covariates or [])
    d, excluded = _prepare(df, outcome, unit, time, first_treated, covariates, cluster)
    g = d[first_treated].to_numpy()
    treated = g > 0
    if method == "sun_abraham" and not (g == 0).any():
        last = g.max()
        drop = d["_time"].to_numpy() >= last
        n_drop = int(drop.sum())
        d = d.loc[~drop].reset_index(drop=True)
        d.loc[d[first_treated] == last, first_treated] = 0.0
        excluded = pd.concat(
            [excluded, pd.DataFrame({"reason": [(f"periods from the last cohort's entry ({last:g}) on: "
                                                 "that cohort is the control (no never-treated units)")],
                                     "n_rows": [n_drop]})],
            ignore_index=True,
        )
        g = d[first_treated].to_numpy()
        treated = g > 0
    e = np.where(treated, d["_time"].to_numpy() - g, np.nan)
    if min_e is not None:
        e = np.where(treated & (e < min_e), min_e, e)
    if max_e is not None:
        e = np.where(treated & (e > max_e), max_e, e)
    d["_e"] = e
    events = sorted(int(v) for v in np.unique(e[treated]) if v != ref)
    if not events:
        raise EstimationError("no event time other than the reference period is observed")
    if ref not in set(np.unique(e[treated]).astype(int)):
        raise EstimationError(f"reference event time ref={ref} is not observed for any treated unit")
    cl = cluster or "_unit"
    z = stats.norm.ppf(1 - alpha / 2)
    cohort_effects = pd.DataFrame(columns=["group", "event_time", "estimate", "se", "weight"])
    if method == "twfe":
        names = []
        for ev in events:
            name = _dummy_name(ev)
            d[name] = (d["_e"] == ev).astype(float)
            names.append(name)
        fit = pf.feols(f"_y ~ {' + '.join(names + covariates)} | _unit + _time", data=d, vcov={"CRV1": cl})
        coefs, ses = fit.coef(), fit.se()
        est = np.array([coefs.get(nm, np.nan) for nm in names])
        se = np.array([ses.get(nm, np.nan) for nm in names])
    else:
        names, cells = [], []
        for gv in np.sort(np.unique(g[treated])):
            for ev in events:
                mask = (g == gv) & (d["_e"].to_numpy() == ev)
                if mask.any():
                    name = f"_c{len(cells)}"
                    d[name] = mask.astype(float)
                    names.append(name)
                    cells.append((gv, ev, int(d.loc[mask, "_unit"].nunique())))
        fit = pf.feols(f"_y ~ {' + '.join(names + covariates)} | _unit + _time", data=d, vcov={"CRV1": cl})
        coef_names = list(fit.coef().index)
        b = fit.coef().to_numpy()
        vc = np.asarray(fit._vcov)
        idx = {nm: coef_names.index(nm) for nm in names if nm in coef_names}
        est, se, rows = [], [], []
        for ev in events:
            sel = [(nm, c) for nm, c in zip(names, cells) if c[1] == ev and nm in idx]
            if not sel:
                est.append(np.nan)
                se.append(np.nan)
                continue
            sizes = np.array([c[2] for _, c in sel], dtype=float)
            wv = sizes / sizes.sum()
            ix = [idx[nm] for nm, _ in sel]
            est.append(float(wv @ b[ix]))
            se.append(float(np.sqrt(wv @ vc[np.ix_(ix, ix)] @ wv)))
            for (nm, c), wi in zip(sel, wv):
                rows.append((c[0], ev, float(b[idx[nm]]), float(np.sqrt(vc[idx[nm], idx[nm]])), float(wi)))
        est, se = np.array(est), np.array(se)
        cohort_effects = pd.DataFrame(rows, columns=["group", "event_time", "estimate", "se", "weight"])
    coefficients = pd.DataFrame(
        {"event_time": events, "estimate": est, "se": se, "ci_lower": est - z * se, "ci_upper": est + z * se,
         "reference": False}
    )
    ref_row = pd.DataFrame({"event_time": [ref], "estimate": [0.0], "se": [0.0], "ci_lower": [0.0],
                            "ci_upper": [0.0], "reference": [True]})
    coefficients = (
        pd.concat([coefficients, ref_row], ignore_index=True).sort_values("event_time").reset_index(drop=True)
    )
    return EventStudyResult(
        method=method, ref=int(ref), coefficients=coefficients, cohort_effects=cohort_effects,
        n_obs=int(fit._N), excluded=excluded, vcov=f"CRV1 by {cluster or unit}",
    )
