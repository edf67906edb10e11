"""Structural gravity by PPML with high-dimensional fixed effects, on top of ``pyfixest.fepois``.

``pyfixest.fepois`` implements the ``ppmlhdfe`` algorithm (Correia, Guimarães & Zylkin 2020): IRLS with the
fixed effects absorbed, singleton groups dropped and a separation check. This module adds what a gravity
analysis needs around it, following Yotov, Piermartini, Monteiro & Larch (2016), *An Advanced Guide to
Trade Policy Analysis: The Structural Gravity Model* (WTO/UNCTAD), chapters 1-2:

- :func:`prepare_gravity_data`: exporter-year, importer-year, directional pair and symmetric country-pair
  identifiers, ln distance
  (intra-national flows keep their own internal distance), the international-border dummy ``intl`` and its
  year interactions, a square panel with explicit zeros, RTA lags and leads (phasing-in);
- :func:`gravity`: PPML (or ``method="ols"``, the log-linear benchmark on positive flows) with an accounting
  of every excluded observation (missing values, zero flows under OLS, all-zero fixed-effect groups such as
  a pair that never trades, separation, singletons) and SEs clustered by the symmetric country pair;
- :func:`gravity_by_sector` and :func:`coefficient_table`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from agrocluster._frames import describe_rows as _rows
from agrocluster._frames import require_columns as _require
from agrocluster.errors import DataContractError, EstimationError
from agrocluster.formulas import parse_formula
from agrocluster.results import ResultProtocol, exclusions, set_exclusions, tidy_frame

__all__ = [
    "GravityBySector",
    "GravityResult",
    "coefficient_table",
    "gravity",
    "gravity_by_sector",
    "prepare_gravity_data",
]

_ISO3 = re.compile(r"^[A-Z]{3}$")
#: Pair covariates that do not change over time (CEPII gravity / Yotov et al. 2016 data): filled along a pair
#: when the panel is squared.
TIME_INVARIANT_PAIR_COVARIATES = ("distance", "contiguity", "common_language", "colony")


# ---------------------------------------------------------------------------------------------------------
# Data preparation
# ---------------------------------------------------------------------------------------------------------


def prepare_gravity_data(
    flows: pd.DataFrame,
    exporter: str = "exporter",
    importer: str = "importer",
    year: str = "year",
    value: str = "value",
    *,
    product: str | None = None,
    square: bool = False,
    distance: str = "distance",
    rta: str = "rta",
    rta_lags: Iterable[int] = (),
    rta_leads: Iterable[int] = (),
    border_year_dummies: bool = False,
    years: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Build the variables of a structural gravity regression from a trade-flows table.

    As Yotov et al. (2016), ch. 1-2: ``exp_year`` and ``imp_year`` identify the outward and inward
    multilateral-resistance fixed effects, ``pair`` the directional exporter-importer pair
    (``"CHL_USA"`` differs from ``"USA_CHL"``), ``country_pair`` the symmetric pair (``"CHL_USA"`` for both
    directions: the default cluster of :func:`gravity`); ``ln_distance = ln(distance)`` for every flow, intra-national
    ones (exporter == importer) using the internal distance given in the data; ``intl = 1`` for
    international flows and 0 for intra-national ones; with ``border_year_dummies``, ``intl_<year>`` =
    intl x 1[year], for every year but the last (the reference), to trace globalisation over time
    (Yotov et al. ch. 1, "distance puzzle" and "regional trade agreements" exercises). ``rta_lag<k>`` is
    the RTA dummy of the same pair (and product) ``k`` years before, ``rta_lead<k>`` ``k`` years after
    (phasing-in and the strict-exogeneity test); NA when that year is not in the data. Lags and leads are
    computed on the full panel given, and only then are the rows restricted to ``years`` (e.g. every
    fourth year, Yotov et al.'s practice): a lag comes from the full data, not from the kept years only.

    Parameters
    ----------
    flows : DataFrame
        The trade_flows contract: exporter, importer (ISO3, upper case), year, value >= 0, optional product,
        distance (km, > 0), contiguity, common_language, colony, rta.
    exporter, importer, year, value : str
        Column names.
    years : iterable of int, optional
        Keep only these years, after lags and leads are computed (default: all).
    product : str, optional
        Product column: identifiers stay country-year / country-pair, and the square grid is per product.
    square : bool, default False
        Add the missing exporter x importer x year (x product) rows with an explicit zero ``value`` (flagged
        ``zero_filled``). Countries are the union of exporters and importers; own (intra-national) pairs
        are included only when ``flows`` has some. Time-invariant pair covariates
        (:data:`TIME_INVARIANT_PAIR_COVARIATES`) are filled along the pair; ``rta`` stays NA on filled rows
        (merge an agreements table first if it should be known there).
    distance, rta : str
        Names of the distance and RTA columns (used when present).
    rta_lags, rta_leads : iterable of int
        Lags / leads (in years, > 0) of ``rta`` to build, e.g. ``(4, 8, 12)``.
    border_year_dummies : bool
        Add the ``intl_<year>`` columns.

    Returns
    -------
    DataFrame
        ``flows`` (plus filled rows) with the new columns; sorted by (product,) exporter, importer, year.

    Raises
    ------
    DataContractError
        Missing columns, codes that are not three upper-case letters, negative or missing values,
        duplicated keys, non-positive distance, a time-invariant covariate that varies within a pair, or
        a lag/lead that is not a positive integer.
    """
    what = "prepare_gravity_data"
    keys = ([product] if product else []) + [exporter, importer, year]
    _require(flows, [*keys, value], what)
    df = flows.copy()
    for col in (exporter, importer):
        codes = df[col].astype("string")
        bad = codes.isna() | ~codes.str.fullmatch(_ISO3.pattern).fillna(False)
        if bad.any():
            unknown = sorted(set(df.loc[bad.to_numpy(), col].astype(str)))[:10]
            raise DataContractError(
                f"{what}: {col} codes must be ISO3 (three upper-case letters); unknown codes {unknown} in "
                f"{_rows(df, bad, keys)}"
            )
    if df[keys].isna().any(axis=None):
        raise DataContractError(f"{what}: missing key in {_rows(df, df[keys].isna().any(axis=1), keys)}")
    v = pd.to_numeric(df[value], errors="coerce")
    if v.isna().any():
        raise DataContractError(
            f"{what}: {value!r} missing or not numeric in {_rows(df, v.isna(), keys)}; "
            "a flow known to be zero must be 0"
        )
    if (v < 0).any():
        raise DataContractError(f"{what}: {value!r} must be >= 0; negative in {_rows(df, v < 0, keys)}")
    df[value] = v.astype("float64")
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        raise DataContractError(
            f"{what}: more than one row per ({', '.join(keys)}) in {_rows(df, dup, keys)}"
        )
    if distance in df.columns:
        d = pd.to_numeric(df[distance], errors="coerce")
        if (d <= 0).any():
            raise DataContractError(f"{what}: {distance!r} must be > 0 km; not in {_rows(df, d <= 0, keys)}")
    lags, leads = _positive_ints(rta_lags, "rta_lags", what), _positive_ints(rta_leads, "rta_leads", what)
    if (lags or leads) and rta not in df.columns:
        raise DataContractError(f"{what}: rta_lags/rta_leads need the {rta!r} column")

    if square:
        df = _square(df, exporter, importer, year, value, product, what)

    exp_s, imp_s, year_s = (df[c].astype("string") for c in (exporter, importer, year))
    df["exp_year"] = exp_s + "_" + year_s
    df["imp_year"] = imp_s + "_" + year_s
    df["pair"] = exp_s + "_" + imp_s
    first = exp_s.where(exp_s <= imp_s, imp_s)
    df["country_pair"] = first + "_" + exp_s.where(exp_s > imp_s, imp_s)
    df["intl"] = (df[exporter] != df[importer]).astype("int8")
    if distance in df.columns:
        df["ln_distance"] = np.log(pd.to_numeric(df[distance], errors="coerce").astype("float64"))
    if border_year_dummies:
        years = sorted(df[year].unique())
        for y in years[:-1]:
            df[f"intl_{y}"] = (df["intl"] * (df[year] == y)).astype("int8")
    pair_keys = ([product] if product else []) + [exporter, importer]
    for k, sign, name in [(k, 1, f"rta_lag{k}") for k in lags] + [(k, -1, f"rta_lead{k}") for k in leads]:
        shifted = df[[*pair_keys, year, rta]].copy()
        shifted[year] = shifted[year] + sign * k
        df = df.merge(shifted.rename(columns={rta: name}), on=[*pair_keys, year], how="left")
    if years is not None:
        keep = [int(y) for y in years]
        absent = sorted(set(keep) - set(df[year].astype(int)))
        if absent:
            raise DataContractError(f"{what}: years {absent} are not in the data")
        df = df[df[year].astype(int).isin(keep)]
    return df.sort_values([*pair_keys, year], ignore_index=True)


def _positive_ints(values: Iterable[int], name: str, what: str) -> list[int]:
    out = list(values)
    for k in out:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k <= 0:
            raise DataContractError(f"{what}: {name} must be positive integers (years), got {k!r}")
    return [int(k) for k in out]


def _square(
    df: pd.DataFrame, exporter: str, importer: str, year: str, value: str, product: str | None, what: str
) -> pd.DataFrame:
    countries = pd.Index(pd.concat([df[exporter], df[importer]]).unique()).sort_values()
    levels = [countries, countries, pd.Index(sorted(df[year].unique()))]
    names = [exporter, importer, year]
    if product:
        levels.insert(0, pd.Index(sorted(df[product].unique())))
        names.insert(0, product)
    grid = pd.MultiIndex.from_product(levels, names=names).to_frame(index=False)
    if not (df[exporter] == df[importer]).any():
        grid = grid[grid[exporter] != grid[importer]]
    out = grid.merge(df, on=names, how="left", indicator=True)
    out["zero_filled"] = out.pop("_merge").eq("left_only")
    out[value] = out[value].fillna(0.0)
    pair = ([product] if product else []) + [exporter, importer]
    for cov in TIME_INVARIANT_PAIR_COVARIATES:
        if cov not in df.columns:
            continue
        varies = df.groupby(pair)[cov].nunique() > 1
        if varies.any():
            raise DataContractError(
                f"{what}: {cov!r} is treated as time-invariant when squaring but varies within pair(s) "
                f"{[tuple(i) if isinstance(i, tuple) else i for i in varies[varies].index[:5]]}"
            )
        out[cov] = out.groupby(pair)[cov].transform("first")
    return out


# ---------------------------------------------------------------------------------------------------------
# Estimation
# ---------------------------------------------------------------------------------------------------------


@dataclass
class GravityResult(ResultProtocol):
    """A PPML gravity estimate.

    Attributes
    ----------
    coef, se, pvalue : Series
        Coefficients, standard errors and p-values by term.
    conf_int : DataFrame
        95% confidence bounds (``low``, ``high``) by term.
    nobs : int
        Observations used in the estimate.
    excluded : DataFrame
        ``reason, n, unit`` (unit ``rows``) and ``n_groups``: every observation of the input not used, and why.
    formula, vcov : str
        The pyfixest formula and the variance estimator used (e.g. ``CRV1 by pair``).
    model : pyfixest Fepois
        The fitted pyfixest object (for ``pyfixest.etable`` / ``coefplot``).
    """

    coef: pd.Series
    se: pd.Series
    pvalue: pd.Series
    conf_int: pd.DataFrame
    nobs: int
    excluded: pd.DataFrame
    formula: str
    vcov: str
    model: object = field(repr=False)

    def __post_init__(self) -> None:
        set_exclusions(self, unit="rows")

    def tidy(self) -> pd.DataFrame:
        """Coefficients with pyfixest's SEs, z statistics, p-values and 95 % intervals."""
        t = self.table()
        return tidy_frame(t["term"], t["estimate"], t["std_error"], t["statistic"], t["p_value"], t["conf_low"],
                          t["conf_high"])

    def fixed_effects(self) -> tuple[str, ...]:
        """The fixed effects of the formula (after ``|``)."""
        parts = self.formula.split("|")
        return tuple(f.strip() for f in parts[1].split("+")) if len(parts) > 1 else ()

    def fit_statistics(self) -> dict[str, float]:
        """pyfixest's pseudo R² of the PPML fit (as its ``etable``), when the model carries it."""
        r2 = getattr(self.model, "_pseudo_r2", None)
        return {} if r2 is None else {"pseudo R²": float(r2)}

    def table(self) -> pd.DataFrame:
        """Tidy coefficient table: term, estimate, std_error, statistic, p_value, conf_low, conf_high,
        effect_pct = 100 (exp(b) - 1), the percentage change in trade for a unit change (e.g. an RTA)."""
        out = pd.DataFrame(
            {
                "term": self.coef.index,
                "estimate": self.coef.to_numpy(),
                "std_error": self.se.to_numpy(),
                "statistic": (self.coef / self.se).to_numpy(),
                "p_value": self.pvalue.to_numpy(),
                "conf_low": self.conf_int["low"].to_numpy(),
                "conf_high": self.conf_int["high"].to_numpy(),
                "effect_pct": 100.0 * np.expm1(self.coef.to_numpy()),
            }
        )
        return out

    def summary(self) -> pd.DataFrame:
        """Short table for a notebook: estimate, SE, p-value and % effect by term; nobs, excluded rows and
        the variance estimator in ``.attrs``."""
        out = self.table().set_index("term")[["estimate", "std_error", "p_value", "effect_pct"]]
        out.attrs = {"nobs": self.nobs, "n_excluded": int(self.excluded["n"].sum()), "vcov": self.vcov}
        return out


def _parse_formula(formula: str, df: pd.DataFrame, what: str) -> tuple[str, list[str], list[list[str]]]:
    """Dependent variable, the columns the regressors use, and the fixed-effect terms (lists of columns).

    The formula is first parsed by :func:`agrocluster.formulas.parse_formula` (column names and whitelisted
    transforms only, nothing evaluated); then every column it names must be in ``df``.
    """
    parsed = parse_formula(formula, where=what)
    if parsed.response not in df.columns:
        raise DataContractError(
            f"{what}: dependent variable {parsed.response!r} of {formula!r} is not a column of the data"
        )
    absent = [c for c in parsed.regressor_columns if c not in df.columns]
    if absent:
        needs = [("distance (km)" if c == "ln_distance" else c) for c in absent]
        raise DataContractError(
            f"{what}: regressor {', '.join(map(repr, absent))} of {formula!r} not among the columns of the data; "
            f"the trade_flows table needs the column(s) {', '.join(needs)} (bilateral covariates, see "
            "`agrocluster data contract trade_flows`), or a formula without them in exports.gravity_formula"
        )
    for term in parsed.fixed_effects:
        for column in term:
            if column not in df.columns:
                hint = (" (build exp_year, imp_year, pair with prepare_gravity_data)"
                        if column in ("exp_year", "imp_year", "pair") else "")
                raise DataContractError(
                    f"{what}: fixed effect {column!r} of {formula!r} is not a column of the data{hint}"
                )
    return parsed.response, parsed.regressor_columns, parsed.fixed_effects


def _default_vcov(df: pd.DataFrame, fe_terms: list[list[str]]):
    if "country_pair" in df.columns:
        return {"CRV1": "country_pair"}
    if "pair" in df.columns or any(t == ["pair"] for t in fe_terms):
        return {"CRV1": "pair"}
    return "hetero"


def _vcov_label(vcov) -> str:
    if isinstance(vcov, dict):
        return ", ".join(f"{k} by {v}" for k, v in vcov.items())
    return str(vcov)


def gravity(
    df: pd.DataFrame,
    formula: str,
    vcov=None,
    *,
    method: str = "ppml",
    ssc: dict | None = None,
    separation_check: bool = True,
    iwls_maxiter: int = 25,
) -> GravityResult:
    """PPML gravity regression with high-dimensional fixed effects, as Stata ``ppmlhdfe`` via ``pyfixest.fepois``.

    Estimates E[X | x, FE] = exp(x'b + FE) by Poisson pseudo-maximum likelihood (Santos Silva & Tenreyro
    2006), e.g. ``"trade ~ rta | exp_year + imp_year + pair"`` (Yotov et al. 2016, ch. 1), zeros included.
    Before fitting, rows are excluded and counted on ``result.excluded``: rows with a missing value in a
    formula variable; rows of fixed-effect groups whose flows are all zero (e.g. a pair that never trades:
    its pair effect would be minus infinity, so the pair FE absorbs it and it carries no information - the
    ``fe`` separation check of ppmlhdfe); then pyfixest drops singleton groups and, with
    ``separation_check``, observations separated by the regressors (iterative-rectifier check of Correia,
    Guimarães & Zylkin 2021), both counted as well.

    Parameters
    ----------
    df : DataFrame
        Estimation data (see :func:`prepare_gravity_data`); the dependent variable must be >= 0.
    formula : str
        pyfixest formula ``y ~ x1 + x2 | fe1 + fe2`` (``a^b`` interacts fixed effects).
    vcov : str or dict, optional
        pyfixest variance (``"hetero"``, ``{"CRV1": "pair"}``...). Default: clustered by the symmetric
        country pair (``{"CRV1": "country_pair"}``, CHL-USA = USA-CHL, as Yotov et al. 2016) when the data
        have that column (:func:`prepare_gravity_data` makes it); else by the directional ``pair`` when
        present; otherwise heteroskedasticity-robust (``"hetero"``).
    method : {"ppml", "ols"}
        ``"ppml"`` (default): Poisson PML, zeros included. ``"ols"``: the log-linear gravity
        ``ln y = x'b + FE + e`` by OLS (``pyfixest.feols``) with the same formula on the positive flows
        only (zero flows are excluded and counted) — the benchmark column of the OLS-versus-PPML table
        (Santos Silva & Tenreyro 2006; Yotov et al. 2016, ch. 1).
    ssc : dict, optional
        Small-sample correction passed to pyfixest (``pyfixest.ssc(...)``); default pyfixest's, which is
        fixest's: ``ssc(k_adj=True, k_fixef="nonnested", G_adj=True)``. That setting — fixed effects
        nested in the cluster variable not counted in K, (N−1)/(N−K)·G/(G−1) — is the one that reproduces
        Stata ``reghdfe``/``ppmlhdfe`` clustered SEs; pass ``pyfixest.ssc(k_adj=False, G_adj=False)``
        for the uncorrected sandwich.
    separation_check : bool, default True
        Run the all-zero-group and iterative-rectifier separation checks.
    iwls_maxiter : int, default 25
        Maximum IRLS iterations (pyfixest's default); non-convergence raises.

    Returns
    -------
    GravityResult

    Raises
    ------
    DataContractError
        Unknown columns in the formula, or a negative dependent variable (rows named).
    EstimationError
        Nothing left to estimate on (e.g. all flows zero), or IRLS did not converge.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> pairs = [(e, i) for e in "ABCDE" for i in "ABCDE" if e != i]
    >>> flows = pd.DataFrame([(e, i, t) for e, i in pairs for t in (2019, 2020)], columns=["exporter", "importer", "year"])
    >>> flows["ln_distance"] = rng.uniform(5, 9, len(flows))
    >>> flows["value"] = np.exp(10 - 1.0 * flows["ln_distance"] + rng.normal(scale=0.1, size=len(flows)))
    >>> res = gravity(flows, "value ~ ln_distance | exporter^year + importer^year")
    >>> res.tidy()[["term", "estimate"]].round(1)
              term  estimate
    0  ln_distance      -1.0
    """
    import pyfixest as pf

    what = "gravity"
    if not isinstance(df, pd.DataFrame):
        raise DataContractError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    y, reg_cols, fe_terms = _parse_formula(formula, df, what)
    formula = parse_formula(formula, where=what).text
    if method not in ("ppml", "ols"):
        raise DataContractError(f"{what}: method must be 'ppml' or 'ols', got {method!r}")
    vcov = _default_vcov(df, fe_terms) if vcov is None else vcov
    cluster_cols = []
    if isinstance(vcov, dict):
        for spec in vcov.values():
            cluster_cols += [c.strip() for c in str(spec).split("+")]
    _require(df, cluster_cols, what)
    used = list(dict.fromkeys([y, *reg_cols, *[c for t in fe_terms for c in t], *cluster_cols]))

    data = df[used].reset_index(drop=True)
    yv = pd.to_numeric(data[y], errors="coerce")
    if (yv < 0).any():
        raise DataContractError(
            f"{what}: dependent variable {y!r} must be >= 0 (trade values); negative in "
            f"{_rows(df, (yv < 0).to_numpy(), used[:4])}"
        )
    excluded = []
    missing = data.isna().any(axis=1).to_numpy()
    for c in reg_cols + [y]:
        if pd.api.types.is_numeric_dtype(data[c]):
            missing |= ~np.isfinite(data[c].to_numpy(dtype="float64", na_value=np.nan))
    excluded.append(("missing or non-finite value in a formula variable", int(missing.sum()), np.nan))
    data = data.loc[~missing]
    if method == "ols":
        zero = data[y].to_numpy(dtype="float64") <= 0
        excluded.append((f"zero {y!r}: its log is undefined (OLS on positive flows)", int(zero.sum()), np.nan))
        data = data.loc[~zero].assign(**{y: np.log(data.loc[~zero, y].astype("float64"))})
    if separation_check and method == "ppml":
        # Dropping all-zero rows leaves every other group's total unchanged, so one pass over the terms
        # finds them all; a row is attributed to the first term whose group is all zero.
        drop = np.zeros(len(data), dtype=bool)
        yv = data[y].to_numpy(dtype="float64")
        for term in fe_terms:
            key = data[term[0]] if len(term) == 1 else data[term].astype("string").agg("|".join, axis=1)
            codes, _ = pd.factorize(key)
            total = np.bincount(codes, weights=yv)[codes]
            zero = (total <= 0) & ~drop
            excluded.append(
                (
                    f"all-zero flows in a {'^'.join(term)} group (absorbed by its FE)",
                    int(zero.sum()),
                    len(np.unique(codes[zero])),
                )
            )
            drop |= zero
        if drop.any():
            data = data.loc[~drop]
    if len(data) == 0 or (method == "ppml" and not (data[y] > 0).any()):
        raise EstimationError(
            f"{what}: no observation with a positive {y!r} is left after exclusions "
            f"({', '.join(f'{r}: {n}' for r, n, _ in excluded if n)}); nothing to estimate"
        )
    sides = df[[c for c in ("exporter", "importer") if c in df.columns]].reset_index(drop=True).loc[data.index]
    for side in sides.columns:
        if sides[side].nunique() < 2:
            raise EstimationError(
                f"{what}: the flows left have a single {side} ({sides[side].iloc[0]}); a gravity model "
                f"with fixed effects needs flows from at least two exporters to at least two importers (with one "
                f"{side} its fixed effects are collinear with the others). Refused before the estimation"
            )
    n_in = len(data)
    extra = {} if ssc is None else {"ssc": ssc}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*singleton fixed effect.*")
        warnings.filterwarnings("ignore", message=r".*removed because of separation.*")
        if method == "ols":
            fit = pf.feols(formula, data=data.reset_index(drop=True), vcov=vcov, fixef_rm="singleton", **extra)
        else:
            fit = pf.fepois(
                formula,
                data=data.reset_index(drop=True),
                vcov=vcov,
                separation_check=["ir"] if separation_check and fe_terms else [],
                iwls_maxiter=iwls_maxiter,
                **extra,
            )
    if method == "ppml" and not fit.convergence:
        raise EstimationError(
            f"{what}: IRLS did not converge in {iwls_maxiter} iterations; raise iwls_maxiter"
        )
    n_sep = int(getattr(fit, "n_separation_na", 0) or 0)
    nobs = int(fit._N)  # pyfixest exposes the estimation sample size only as _N
    excluded.append(("separated by the regressors (iterative rectifier)", n_sep, np.nan))
    excluded.append(("singleton fixed-effect group (dropped as ppmlhdfe)", n_in - n_sep - nobs, np.nan))
    ci = fit.confint()
    return GravityResult(
        coef=fit.coef().rename("estimate"),
        se=fit.se().rename("std_error"),
        pvalue=fit.pvalue().rename("p_value"),
        conf_int=pd.DataFrame({"low": ci.iloc[:, 0], "high": ci.iloc[:, 1]}),
        nobs=nobs,
        excluded=pd.DataFrame(excluded, columns=["reason", "n_rows", "n_groups"]).astype(
            {"n_groups": "Int64"}
        ),
        formula=formula,
        vcov=_vcov_label(vcov),
        model=fit,
    )


@dataclass
class GravityBySector(ResultProtocol):
    """Gravity estimated sector by sector.

    Attributes
    ----------
    results : dict
        Sector label -> :class:`GravityResult` for the sectors that could be estimated.
    failed : DataFrame
        ``sector`` and ``reason`` for the sectors that could not (only with ``on_error="record"``).
    by : str
        The sector column.
    """

    results: dict
    failed: pd.DataFrame
    by: str

    def tidy(self) -> pd.DataFrame:
        """Every sector's coefficients, term ``"<sector>: <term>"``."""
        parts = []
        for sector, result in self.results.items():
            part = result.tidy()
            part["term"] = f"{sector}: " + part["term"]
            parts.append(part)
        return pd.concat(parts, ignore_index=True) if parts else tidy_frame([], [])

    @property
    def nobs(self) -> int:
        """Observations used, summed over the sectors estimated."""
        return int(sum(r.nobs for r in self.results.values()))

    @property
    def excluded(self) -> pd.DataFrame:
        """Rows left out in each sector (column ``sector``), then the sectors that could not be estimated."""
        parts = [r.excluded.assign(sector=s) for s, r in self.results.items()]
        failed = [exclusions(pd.DataFrame({"reason": [f"not estimated: {reason}"], "n": [1]}), unit="sectors")
                  .assign(sector=s) for s, reason in zip(self.failed.get("sector", []), self.failed.get("reason", []))]
        frames = [f for f in parts + failed if len(f)]
        return pd.concat(frames, ignore_index=True) if frames else exclusions().assign(sector=pd.Series(dtype="string"))

    def table(self) -> pd.DataFrame:
        """Long table: sector, nobs and the columns of :meth:`GravityResult.table`."""
        parts = [r.table().assign(**{self.by: s, "nobs": r.nobs}) for s, r in self.results.items()]
        if not parts:
            return pd.DataFrame(columns=[self.by, "nobs", "term", "estimate", "std_error"])
        out = pd.concat(parts, ignore_index=True)
        return out[[self.by, "nobs", *[c for c in out.columns if c not in (self.by, "nobs")]]]

    def summary(self) -> pd.DataFrame:
        """Sectors x terms matrix of estimates."""
        t = self.table()
        return t.pivot(index=self.by, columns="term", values="estimate") if len(t) else t


def gravity_by_sector(
    df: pd.DataFrame,
    formula: str,
    by: str = "product",
    vcov=None,
    *,
    on_error: str = "raise",
    separation_check: bool = True,
) -> GravityBySector:
    """Run :func:`gravity` separately for each value of ``by`` (sector-by-sector gravity, as USITC ``gme``).

    Fixed effects are re-estimated within each sector (exporter-year x sector etc.). A sector in which no
    flow is positive (a product with no exporters) cannot be estimated: with ``on_error="raise"`` (default)
    it raises, naming the sector; with ``on_error="record"`` it is listed on ``result.failed`` with the
    reason, as is any other sector whose estimate fails with an agrocluster error.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> pairs = [(e, i) for e in "ABCDE" for i in "ABCDE" if e != i]
    >>> flows = pd.DataFrame([(e, i, t, p) for e, i in pairs for t in (2019, 2020) for p in ("wine", "fruit")],
    ...                      columns=["exporter", "importer", "year", "product"])
    >>> flows["ln_distance"] = rng.uniform(5, 9, len(flows))
    >>> flows["value"] = np.exp(10 - np.where(flows["product"] == "wine", 0.5, 1.5) * flows["ln_distance"])
    >>> res = gravity_by_sector(flows, "value ~ ln_distance | exporter^year + importer^year")
    >>> res.summary().round(2)
    term     ln_distance
    product
    fruit           -1.5
    wine            -0.5
    """
    what = "gravity_by_sector"
    if on_error not in ("raise", "record"):
        raise DataContractError(f"{what}: on_error must be 'raise' or 'record', got {on_error!r}")
    _require(df, [by], what)
    if df[by].isna().any():
        raise DataContractError(f"{what}: missing {by!r} in {_rows(df, df[by].isna(), [by])}")
    y, _, _ = _parse_formula(formula, df, what)
    results, failed = {}, []
    for sector, part in df.groupby(by, sort=True):
        try:
            if not (pd.to_numeric(part[y], errors="coerce") > 0).any():
                raise EstimationError(
                    f"{what}: {by}={sector!r} has no exporters (every {y!r} is zero or missing)"
                )
            results[sector] = gravity(part, formula, vcov, separation_check=separation_check)
        except (DataContractError, EstimationError) as err:
            if on_error == "raise":
                raise type(err)(f"{by}={sector!r}: {err}") from err
            failed.append((sector, str(err)))
    return GravityBySector(results, pd.DataFrame(failed, columns=["sector", "reason"]), by)


def coefficient_table(
    results: Mapping[str, GravityResult] | GravityBySector, terms: Iterable[str] | None = None
) -> pd.DataFrame:
    """Side-by-side coefficient table of several gravity results.

    Rows are terms (those of ``terms``, or all), columns a MultiIndex (model, statistic) with
    ``estimate``, ``std_error`` and ``p_value``; ``.attrs["nobs"]`` maps each model to its observations.
    """
    if isinstance(results, GravityBySector):
        results = results.results
    if not results:
        raise EstimationError("coefficient_table: no results given")
    blocks = {
        str(name): pd.DataFrame({"estimate": r.coef, "std_error": r.se, "p_value": r.pvalue})
        for name, r in results.items()
    }
    out = pd.concat(blocks, axis=1)
    if terms is not None:
        terms = list(terms)
        unknown = [t for t in terms if t not in out.index]
        if unknown:
            raise DataContractError(f"coefficient_table: terms {unknown} are in none of the models")
        out = out.loc[terms]
    out.attrs["nobs"] = {str(name): r.nobs for name, r in results.items()}
    return out
