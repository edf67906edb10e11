"""What to do with firm TFP: member premium, dispersion, Olley-Pakes decomposition.

All take log TFP (ω, as ``TFPResult.tfp``) as a Series aligned to the firm table's index.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from agrocluster.errors import DataContractError, EstimationError
from agrocluster.results import ResultProtocol, set_exclusions, tidy_frame


def _align_tfp(df: pd.DataFrame, tfp, what: str) -> pd.Series:
    if isinstance(tfp, str):
        if tfp not in df.columns:
            raise DataContractError(f"{what}: column '{tfp}' not in the table")
        return pd.to_numeric(df[tfp], errors="coerce").astype(float)
    if not isinstance(tfp, pd.Series):
        raise DataContractError(f"{what}: tfp must be a column name or a pandas Series, got {type(tfp).__name__}")
    unknown = tfp.index.difference(df.index)
    if len(unknown):
        raise DataContractError(
            f"{what}: {len(unknown)} tfp index labels are not rows of the table (e.g. {unknown[0]!r})"
        )
    return tfp.reindex(df.index).astype(float)


@dataclass
class PremiumResult(ResultProtocol):
    """Productivity premium of cluster members over comparable non-members.

    Attributes
    ----------
    premium, se, pvalue : float
        Coefficient on membership in ω = premium·member + FE(sector × year) + u, SE clustered by firm.
        In log points: exp(premium) − 1 is the proportional TFP gap.
    by_year : DataFrame
        ``year, premium, se, ci_low, ci_high, n_members, n_others``: the premium estimated year by
        year in one regression (membership interacted with year dummies, same fixed effects).
    trend, trend_se, trend_pvalue : float
        Slope of the premium per period (member × (year − first year), same fixed effects): > 0 means
        the gap is growing.
    nobs : int
    excluded : DataFrame
        ``reason, n, unit`` (unit ``rows``): no TFP estimate, missing membership or fixed-effect cells.
    """

    premium: float
    se: float
    pvalue: float
    by_year: pd.DataFrame
    trend: float
    trend_se: float
    trend_pvalue: float
    nobs: int
    excluded: pd.DataFrame

    def __post_init__(self) -> None:
        set_exclusions(self, unit="rows")

    def tidy(self) -> pd.DataFrame:
        """The member premium and its trend per period (firm-clustered SEs; t statistics and p-values of
        pyfixest; no interval is computed)."""
        return tidy_frame(["member premium", "premium trend per period"], [self.premium, self.trend],
                          [self.se, self.trend_se], None, [self.pvalue, self.trend_pvalue])

    def table(self) -> pd.DataFrame:
        """The overall premium and trend as a tidy table."""
        return pd.DataFrame({
            "term": ["member premium", "premium trend per period"],
            "estimate": [self.premium, self.trend],
            "se": [self.se, self.trend_se],
            "pvalue": [self.pvalue, self.trend_pvalue],
        })

    def summary(self) -> pd.DataFrame:
        """The premium and its trend (as :meth:`table`)."""
        return self.table()

    def reading(self) -> str:
        """One sentence for a notebook."""
        return (f"Members' TFP is {100 * (np.exp(self.premium) - 1):.1f}% higher than comparable "
                f"non-members' (log points {self.premium:.3f}, SE {self.se:.3f}, p = {self.pvalue:.3f}; "
                f"{self.nobs} firm-years); the gap changes by {self.trend:.3f} log points per period "
                f"(SE {self.trend_se:.3f}, p = {self.trend_pvalue:.3f}).")


def productivity_premium(
    df: pd.DataFrame,
    tfp,
    member: str = "cluster_member",
    fe=("sector", "year"),
    id: str = "firm_id",
    time: str = "year",
) -> PremiumResult:
    """Premium of members' log TFP over non-members' with interacted fixed effects, via pyfixest.

    ω_it = δ·member_it + μ_{fe cell} + u_it, the fixed effects being the interaction of the ``fe``
    columns (default sector × year, so members are compared with non-members of the same sector in
    the same year); SE clustered by firm (CRV1). The premium by year interacts membership with year
    dummies; the trend replaces them by member × (t − t₀).

    Parameters
    ----------
    df : DataFrame
        Firm panel with ``member``, the ``fe`` columns, ``id`` and ``time``.
    tfp : Series or str
        Log TFP aligned to ``df``'s index (e.g. ``estimate_tfp(...).tfp``) or a column name. Rows
        without TFP are excluded and counted.
    member : str
        Boolean (or 0/1) membership column.
    fe : tuple of str
        Columns whose interaction defines the comparison cells; ``()`` for none.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"firm_id": np.repeat(np.arange(80), 3), "year": np.tile([2018, 2019, 2020], 80),
    ...                    "sector": np.repeat(np.arange(80) % 2, 3), "cluster_member": np.repeat(np.arange(80) < 40, 3)})
    >>> df["tfp"] = 0.2 * df["cluster_member"] + rng.normal(scale=0.05, size=len(df))
    >>> res = productivity_premium(df, "tfp")
    >>> round(res.premium, 2), res.nobs
    (0.21, 240)
    """
    import pyfixest as pf

    fe = list(fe) if not isinstance(fe, str) else [fe]
    need = [member, id, time, *fe]
    missing = [c for c in dict.fromkeys(need) if c not in df.columns]
    if missing:
        raise DataContractError(f"productivity_premium: column(s) {missing} not in the table")
    omega = _align_tfp(df, tfp, "productivity_premium")
    mem = df[member]
    valid_mem = mem.isna() | mem.isin([True, False, 0, 1])
    if not valid_mem.all():
        bad = mem[~valid_mem].iloc[0]
        raise DataContractError(f"column '{member}' must be boolean or 0/1; found {bad!r}")
    excluded = {}
    keep = pd.Series(True, index=df.index)
    for label, mask in (("no TFP estimate", omega.isna()), (f"missing '{member}'", mem.isna()),
                        *[(f"missing '{c}'", df[c].isna()) for c in fe]):
        hit = mask & keep
        if hit.any():
            excluded[label] = int(hit.sum())
            keep &= ~hit
    data = pd.DataFrame({
        "w": omega[keep].to_numpy(),
        "m": mem[keep].astype(float).to_numpy(),
        "firm": df.loc[keep, id].astype(str).to_numpy(),
        "t": pd.to_numeric(df.loc[keep, time]).to_numpy(),
    })
    if data["m"].nunique() < 2:
        raise EstimationError(
            f"productivity_premium needs both members and non-members; '{member}' is "
            f"{'all members' if data['m'].iloc[0] == 1 else 'never true'} in the {len(data)} usable rows"
        )
    if fe:
        data["cell"] = df.loc[keep, fe].astype(str).agg("|".join, axis=1).to_numpy()
        mixed = data.groupby("cell")["m"].nunique()
        if (mixed < 2).all():
            raise EstimationError(
                f"no {' x '.join(fe)} cell has both members and non-members: the premium is not identified"
            )
    rhs_fe = " | cell" if fe else ""
    years = np.sort(data["t"].unique())
    for y in years:
        data[f"m_{int(y)}"] = data["m"] * (data["t"] == y)
    data["m_trend"] = data["m"] * (data["t"] - years[0])
    vc = {"CRV1": "firm"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        overall = pf.feols(f"w ~ m{rhs_fe}", data=data, vcov=vc)
        yr_terms = [f"m_{int(y)}" for y in years if data.loc[data["t"] == y, "m"].nunique() == 2]
        by = pf.feols(f"w ~ {' + '.join(yr_terms)}{rhs_fe}", data=data, vcov=vc) if yr_terms else None
        trend = (pf.feols(f"w ~ m + m_trend{rhs_fe}", data=data, vcov=vc) if len(years) > 1 else None)
    t0 = overall.tidy().loc["m"]
    rows = []
    if by is not None:
        tb = by.tidy()
        for term in yr_terms:
            if term not in tb.index:
                continue
            y = int(term[2:])
            sub = data[data["t"] == y]
            rows.append({"year": y, "premium": tb.loc[term, "Estimate"], "se": tb.loc[term, "Std. Error"],
                         "ci_low": tb.loc[term, "2.5%"], "ci_high": tb.loc[term, "97.5%"],
                         "n_members": int((sub["m"] == 1).sum()), "n_others": int((sub["m"] == 0).sum())})
    if trend is not None and "m_trend" in trend.tidy().index:
        tt = trend.tidy().loc["m_trend"]
        tr, tr_se, tr_p = float(tt["Estimate"]), float(tt["Std. Error"]), float(tt["Pr(>|t|)"])
    else:
        tr = tr_se = tr_p = np.nan
    return PremiumResult(
        premium=float(t0["Estimate"]), se=float(t0["Std. Error"]), pvalue=float(t0["Pr(>|t|)"]),
        by_year=pd.DataFrame(rows, columns=["year", "premium", "se", "ci_low", "ci_high", "n_members",
                                            "n_others"]),
        trend=tr, trend_se=tr_se, trend_pvalue=tr_p, nobs=int(overall._N),
        excluded=pd.DataFrame({"reason": list(excluded), "rows": list(excluded.values())}),
    )


def dispersion(tfp: pd.Series, by=None) -> pd.DataFrame:
    """Within-group dispersion of log TFP (Syverson 2004 style).

    ``p90_p10`` and ``p75_p25`` are differences of quantiles of ω (log points); ``ratio_90_10`` and
    ``ratio_75_25`` are the ratios of quantiles of TFP in levels, exp(ω). Because exp is monotone the
    ratio equals exp of the log difference (quantiles by linear interpolation on ω). Also ``sd`` of
    ω and the count ``n``.

    Parameters
    ----------
    tfp : Series
        Log TFP. Missing values are left out and counted in the ``n_missing`` column.
    by : Series, DataFrame or None
        Grouping aligned with ``tfp``'s index (e.g. ``df["sector"]`` or ``df[["sector","year"]]``).

    Examples
    --------
    >>> tfp = pd.Series(np.log([1.0, 1.2, 1.5, 2.0, 2.5, 3.0]))
    >>> dispersion(tfp)[["p90_p10", "ratio_90_10", "n"]].round(3)
         p90_p10  ratio_90_10    n
    all    0.916          2.5  6.0
    """
    if not isinstance(tfp, pd.Series):
        raise DataContractError(f"dispersion: tfp must be a pandas Series, got {type(tfp).__name__}")
    w = tfp.astype(float)

    def stats_of(s: pd.Series) -> pd.Series:
        v = s.dropna()
        q = v.quantile([0.10, 0.25, 0.75, 0.90]) if len(v) else pd.Series(np.nan, index=[0.1, 0.25, 0.75, 0.9])
        return pd.Series({
            "n": len(v), "n_missing": int(s.isna().sum()), "sd": v.std(ddof=1) if len(v) > 1 else np.nan,
            "p90_p10": q[0.90] - q[0.10], "p75_p25": q[0.75] - q[0.25],
            "ratio_90_10": np.exp(q[0.90] - q[0.10]), "ratio_75_25": np.exp(q[0.75] - q[0.25]),
        })

    if by is None:
        return stats_of(w).to_frame("all").T
    keys = by.reindex(w.index) if isinstance(by, (pd.Series, pd.DataFrame)) else None
    if keys is None:
        raise DataContractError("dispersion: by must be a Series or DataFrame aligned with tfp")
    if keys.isna().to_numpy().any():
        raise DataContractError("dispersion: the grouping has missing values for some tfp rows")
    group_cols = [keys] if isinstance(keys, pd.Series) else [keys[c] for c in keys.columns]
    out = w.groupby(group_cols).apply(stats_of).unstack()
    out[["n", "n_missing"]] = out[["n", "n_missing"]].astype(int)
    return out


def mean_within_dispersion(tfp: pd.Series, by, column: str = "p90_p10") -> tuple[float, int]:
    """Firm-weighted mean of a within-group dispersion measure, and the number of groups.

    ``Σ_g n_g · D_g / Σ_g n_g`` with ``D_g`` the :func:`dispersion` column ``column`` of group ``g`` (e.g.
    the 90–10 log-TFP difference within sector-year cells, as Syverson 2004 averages within industries).
    Groups with no observed TFP (measure undefined) are left out of both sums.

    Examples
    --------
    >>> tfp = pd.Series(np.log([1.0, 1.2, 1.5, 2.0, 2.5, 3.0]))
    >>> sector = pd.Series(["a", "a", "a", "b", "b", "b"])
    >>> spread, groups = mean_within_dispersion(tfp, sector)
    >>> round(spread, 3), groups
    (0.324, 2)
    """
    cells = dispersion(tfp, by=by)
    if column not in cells:
        raise DataContractError(f"mean_within_dispersion: unknown column {column!r}; columns: {list(cells.columns)}")
    usable = cells[cells[column].notna() & (cells["n"] > 0)]
    if usable.empty:
        raise EstimationError(f"mean_within_dispersion: no group has a defined {column}")
    return float(np.average(usable[column], weights=usable["n"])), len(usable)


def olley_pakes_decomposition(df: pd.DataFrame, tfp, weight: str, time: str = "year") -> pd.DataFrame:
    """Static Olley & Pakes (1996) decomposition of aggregate productivity, period by period.

    Φ_t = Σ_i s_it ω_it = ω̄_t + Σ_i (s_it − s̄_t)(ω_it − ω̄_t), with s the share of ``weight`` (e.g.
    output or employment) in period t and ω log TFP: aggregate = unweighted mean + covariance term
    (allocative efficiency: do more productive firms have larger shares?), as in Olley & Pakes
    (1996, Table XI) and the static part of Melitz & Polanec (2015).

    Returns a DataFrame indexed by ``time`` with ``n``, ``aggregate``, ``unweighted_mean``,
    ``covariance`` and their changes since the first period (``d_aggregate``, ``d_mean``, ``d_cov``),
    plus ``excluded`` rows per period (no TFP or no weight).

    Examples
    --------
    >>> df = pd.DataFrame({"year": [2020] * 3, "omega": [0.0, 0.5, 1.0], "output": [10.0, 30.0, 60.0]})
    >>> olley_pakes_decomposition(df, "omega", "output")[["aggregate", "unweighted_mean", "covariance"]].round(3)
          aggregate  unweighted_mean  covariance
    year
    2020       0.75              0.5        0.25
    """
    for c in (weight, time):
        if c not in df.columns:
            raise DataContractError(f"olley_pakes_decomposition: column '{c}' not in the table")
    omega = _align_tfp(df, tfp, "olley_pakes_decomposition")
    wgt = pd.to_numeric(df[weight], errors="coerce").astype(float)
    if (wgt < 0).any():
        raise DataContractError(f"column '{weight}' has {int((wgt < 0).sum())} negative weights")
    ok = omega.notna() & wgt.notna()
    data = pd.DataFrame({"w": omega[ok], "s": wgt[ok], "t": df.loc[ok, time]})
    rows = []
    skipped = (~ok).groupby(df[time]).sum()
    for t, g in data.groupby("t", sort=True):
        total = g["s"].sum()
        if total <= 0:
            raise EstimationError(f"olley_pakes_decomposition: total '{weight}' is zero in {time} = {t}")
        share = g["s"] / total
        mean = g["w"].mean()
        agg = float((share * g["w"]).sum())
        rows.append({time: t, "n": len(g), "aggregate": agg, "unweighted_mean": mean,
                     "covariance": agg - mean, "excluded": int(skipped.get(t, 0))})
    out = pd.DataFrame(rows).set_index(time)
    out["d_aggregate"] = out["aggregate"] - out["aggregate"].iloc[0]
    out["d_mean"] = out["unweighted_mean"] - out["unweighted_mean"].iloc[0]
    out["d_cov"] = out["covariance"] - out["covariance"].iloc[0]
    return out
