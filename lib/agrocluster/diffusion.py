"""Innovation diffusion: adoption curves, peer effects in adoption (with the reflection problem), and
diffusion hazards through firm links and distance.

* :func:`adoption_curve`: share of adopters by period (and group) with binomial standard errors.
* :func:`peer_adoption`: does a unit's adoption follow its group's lagged adoption? Linear probability model
  ``a_it = b0 + beta abar_{g(i),t-1}^{(-i)} + gamma a_{i,t-1} + period (and group) effects + e_it`` with the
  leave-one-out mean of the other members of the group in the previous period, SEs clustered by unit
  (as Stata ``reg ..., vce(cluster id)``). Manski (1993): a unit's outcome moving with its group's mean
  outcome cannot by itself be told apart from contextual effects (the group's characteristics) or
  correlated effects (shared shocks, e.g. an extension campaign or irrigation reaching the whole village):
  the "reflection problem". Lagging the mean and leaving the unit out remove the mechanical part of the
  correlation, not these; group effects remove permanent group differences, not shocks shared within a
  period. The coefficient is an association, not a peer effect, unless correlated shocks are ruled out.
* :func:`diffusion_hazard`: discrete-time adoption hazard (logit, as Stata ``logit`` on the risk set with
  period dummies, SEs clustered by firm) on two exposures measured in ``t - 1``: the share of the firm's
  link partners that had adopted, and the share of other firms within ``band_km`` that had adopted
  (Griliches 1957; the network-and-distance reading of Conley & Udry 2010). :func:`exposures` builds them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.spatial import cKDTree

from agrocluster._frames import require_columns as _require
from agrocluster.errors import DataContractError, EstimationError
from agrocluster.geo import EARTH_RADIUS_KM, neighbour_share, unit_vectors

__all__ = ["REFLECTION_CAVEAT", "DiffusionFit", "adoption_curve", "diffusion_hazard", "exposures", "peer_adoption"]

#: The caveat every peer-adoption reading carries (Manski 1993, Review of Economic Studies 60(3), 531-542).
REFLECTION_CAVEAT = (
    "Manski's (1993) reflection problem: adoption moving with the group's lagged adoption may reflect shared "
    "circumstances (contextual effects) or shocks common to the group (correlated effects: an extension "
    "campaign, credit, irrigation) rather than learning from peers; lagging and leaving the farm out remove "
    "only the mechanical correlation, so the coefficient is an association, not a causal peer effect.")

_TIDY = ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]


@dataclass(frozen=True)
class DiffusionFit:
    """A fitted adoption regression in the tidy protocol.

    Attributes
    ----------
    coefficients : DataFrame, the tidy rows of the terms of interest.
    nobs : int, observations in the estimating sample.
    model : str, what was fitted.
    excluded : DataFrame ``table, reason, rows``.
    """

    coefficients: pd.DataFrame
    nobs: int
    model: str
    excluded: pd.DataFrame

    def tidy(self) -> pd.DataFrame:
        return self.coefficients.copy()

    def summary(self) -> pd.DataFrame:
        return self.coefficients.assign(nobs=self.nobs, model=self.model)

    def estimate(self, term: str) -> tuple[float, float]:
        row = self.coefficients.set_index("term").loc[term]
        return float(row["estimate"]), float(row["std_error"])


def _tidy(fit, terms: Sequence[str]) -> pd.DataFrame:
    ci = fit.conf_int()
    return pd.DataFrame({"term": list(terms), "estimate": [fit.params[t] for t in terms],
                         "std_error": [fit.bse[t] for t in terms], "statistic": [fit.tvalues[t] for t in terms],
                         "p_value": [fit.pvalues[t] for t in terms], "conf_low": [ci.loc[t].iloc[0] for t in terms],
                         "conf_high": [ci.loc[t].iloc[1] for t in terms]}, columns=_TIDY)


def _adopted(panel: pd.DataFrame, adopted: str, what: str) -> np.ndarray:
    a = panel[adopted]
    if a.isna().any():
        raise DataContractError(f"{what}: {adopted!r} is missing in {int(a.isna().sum())} rows")
    if pd.api.types.is_bool_dtype(a):
        return a.to_numpy(dtype=bool).astype(float)
    values = pd.to_numeric(a, errors="coerce")
    if values.isna().any() or not values.isin([0, 1]).all():
        raise DataContractError(f"{what}: {adopted!r} must be boolean or 0/1")
    return values.to_numpy(dtype=float)


def adoption_curve(panel: pd.DataFrame, adopted: str, time: str = "year", group: str | None = None) -> pd.DataFrame:
    """Share of units that adopt, by period (and group): ``p = adopters / n``, SE ``sqrt(p (1 - p) / n)``.

    Returns ``[group,] time, n, adopters, share, std_error``.
    """
    _require(panel, [adopted, time] + ([group] if group else []), "adoption_curve")
    d = panel.assign(_a=_adopted(panel, adopted, "adoption_curve"))
    keys = ([group] if group else []) + [time]
    out = d.groupby(keys, observed=True)["_a"].agg(n="size", adopters="sum").reset_index()
    out["adopters"] = out["adopters"].astype(int)
    out["share"] = out["adopters"] / out["n"]
    out["std_error"] = np.sqrt(out["share"] * (1 - out["share"]) / out["n"])
    return out


def peer_adoption(panel: pd.DataFrame, adopted: str, unit: str, time: str, group: str,
                  group_effects: bool = False) -> DiffusionFit:
    """Does a unit adopt when its group adopted the period before? (linear probability model; see module).

    ``peer_lag`` = share of the other units of the group that adopted in ``t - 1`` (leave-one-out);
    ``own_lag`` = the unit's own adoption in ``t - 1``. Period effects always; group effects when
    ``group_effects``. Periods are consecutive values of the integer ``time``; a unit's first period (no lag)
    leaves the sample and is counted in ``excluded``. Read it with :data:`REFLECTION_CAVEAT`.

    Raises
    ------
    DataContractError
        Missing columns, duplicate unit-periods, non-binary adoption.
    EstimationError
        Fewer than two periods with a lag.
    """
    what = "peer_adoption"
    _require(panel, [adopted, unit, time, group], what)
    if panel.duplicated([unit, time]).any():
        raise DataContractError(f"{what}: several rows for the same ({unit}, {time})")
    d = pd.DataFrame({"unit": panel[unit].astype(str).to_numpy(), "t": panel[time].astype(int).to_numpy(),
                      "g": panel[group].astype(str).to_numpy(), "a": _adopted(panel, adopted, what)})
    sums = d.groupby(["g", "t"])["a"].agg(["sum", "size"])
    prev = d.assign(t=d["t"] + 1).merge(sums.rename(columns={"sum": "g_sum", "size": "g_n"}).reset_index()
                                        .assign(t=lambda x: x["t"] + 1), on=["g", "t"])
    prev["peer_lag"] = (prev["g_sum"] - prev["a"]) / (prev["g_n"] - 1)
    lagged = prev[["unit", "t", "a", "peer_lag"]].rename(columns={"a": "own_lag"})
    est = d.merge(lagged, on=["unit", "t"], how="inner")
    est = est[np.isfinite(est["peer_lag"])]
    if est["t"].nunique() < 2:
        raise EstimationError(f"{what}: fewer than two periods with a previous period to lag from")
    X = pd.get_dummies(est["t"].astype(str), prefix="t", drop_first=True, dtype=float)
    if group_effects:
        X = X.join(pd.get_dummies(est["g"], prefix="g", drop_first=True, dtype=float))
    X.insert(0, "own_lag", est["own_lag"].to_numpy())
    X.insert(0, "peer_lag", est["peer_lag"].to_numpy())
    fit = sm.OLS(est["a"].to_numpy(), sm.add_constant(X)).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(est["unit"])[0]})
    excluded = pd.DataFrame({"table": [what], "reason": ["first period of the unit (no lag)"],
                             "rows": [len(d) - len(est)]})
    model = ("LPM: adoption on the group's lagged leave-one-out adoption and own lag, period"
             + (" and group" if group_effects else "") + " effects, SE clustered by unit")
    return DiffusionFit(_tidy(fit, ["peer_lag", "own_lag"]), len(est), model, excluded)


def exposures(adoption: pd.DataFrame, establishments: pd.DataFrame, links: pd.DataFrame, band_km: float
              ) -> pd.DataFrame:
    """Exposure of each firm-year to earlier adopters, through links and through distance.

    For firm ``i`` in year ``t`` (with a previous year in the table): ``link_exposure`` = share of the
    distinct firms ``i`` was linked to in ``t - 1`` (either direction, any kind) that had adopted by
    ``t - 1`` (0 when it had no link); ``near_exposure`` = share of the other firms present in ``t - 1``
    within ``band_km`` (great-circle) that had adopted by ``t - 1`` (0 when none is that close).

    Parameters
    ----------
    adoption : DataFrame ``firm_id, year, adopted`` (adopted by the end of the year: absorbing).
    establishments : DataFrame ``firm_id, year, lat, lon``.
    links : DataFrame ``source, target, year``.
    """
    what = "exposures"
    _require(adoption, ["firm_id", "year", "adopted"], what)
    _require(establishments, ["firm_id", "year", "lat", "lon"], what)
    _require(links, ["source", "target", "year"], what)
    if band_km <= 0:
        raise DataContractError(f"{what}: band_km={band_km} must be positive")
    ad = adoption[["firm_id", "year"]].astype({"firm_id": str}).assign(adopted=_adopted(adoption, "adopted", what))
    est = establishments[["firm_id", "year", "lat", "lon"]].astype({"firm_id": str}).merge(ad, on=["firm_id", "year"])
    lk = links[["source", "target", "year"]].astype({"source": str, "target": str})
    out = []
    chord = 2 * np.sin(band_km / (2 * EARTH_RADIUS_KM))
    years = sorted(est["year"].unique())
    for prev_year, year in itertools.pairwise(years):
        before = est[est["year"] == prev_year].reset_index(drop=True)
        now = est[est["year"] == year][["firm_id", "year"]].reset_index(drop=True)
        status = before.set_index("firm_id")["adopted"]
        e = lk[lk["year"] == prev_year]
        pairs = pd.concat([e.rename(columns={"source": "i", "target": "j"}),
                           e.rename(columns={"target": "i", "source": "j"})])[["i", "j"]].drop_duplicates()
        pairs["adopted"] = pairs["j"].map(status)
        link_share = pairs.groupby("i")["adopted"].mean()
        tree = cKDTree(unit_vectors(before["lat"].to_numpy(), before["lon"].to_numpy()))
        now_pos = now.merge(before[["firm_id", "lat", "lon"]], on="firm_id", how="left")
        located = now_pos["lat"].notna().to_numpy()
        near = np.zeros(len(now))
        if located.any():
            hits = tree.query_ball_point(unit_vectors(now_pos.loc[located, "lat"].to_numpy(),
                                                       now_pos.loc[located, "lon"].to_numpy()), r=chord)
            a_prev = before["adopted"].to_numpy()
            self_pos = before.reset_index().set_index("firm_id")["index"]
            idx_self = now_pos.loc[located, "firm_id"].map(self_pos).to_numpy()
            near[located] = neighbour_share(hits, idx_self, a_prev)
        now["link_exposure"] = now["firm_id"].map(link_share).fillna(0.0).to_numpy(dtype=float)
        now["near_exposure"] = near
        now["adopted_before"] = now["firm_id"].map(status).fillna(0.0).to_numpy(dtype=float)
        out.append(now)
    if not out:
        raise EstimationError(f"{what}: fewer than two years in the tables")
    return pd.concat(out, ignore_index=True)


def diffusion_hazard(adoption: pd.DataFrame, establishments: pd.DataFrame, links: pd.DataFrame,
                     band_km: float) -> DiffusionFit:
    """Discrete-time adoption hazard: logit of adopting in ``t`` among firms that had not adopted by ``t - 1``.

    ``P(adopt_it | not adopted) = Lambda(a_t + b_link link_exposure_it + b_near near_exposure_it)`` with
    year effects ``a_t``, exposures from :func:`exposures`, SEs clustered by firm (as Stata
    ``logit adopt link near i.year, vce(cluster firm)``). Firms already adopters leave the risk set; firms
    new in ``t`` (no ``t - 1``) are left out and counted.

    Raises
    ------
    EstimationError
        No adoption event, or no firm at risk.
    """
    ex = exposures(adoption, establishments, links, band_km)
    now = adoption[["firm_id", "year"]].astype({"firm_id": str}).assign(adopted=_adopted(adoption, "adopted",
                                                                                         "diffusion_hazard"))
    ex = ex.merge(now, on=["firm_id", "year"])
    firm_years = len(adoption) - int((adoption["year"] == adoption["year"].min()).sum())
    entrants = firm_years - len(ex)
    risk = ex[ex["adopted_before"] == 0]
    if risk.empty or risk["adopted"].sum() == 0:
        raise EstimationError("diffusion_hazard: no firm at risk adopts")
    X = pd.get_dummies(risk["year"].astype(str), prefix="year", drop_first=True, dtype=float)
    X.insert(0, "near_exposure", risk["near_exposure"].to_numpy())
    X.insert(0, "link_exposure", risk["link_exposure"].to_numpy())
    fit = sm.Logit(risk["adopted"].to_numpy(), sm.add_constant(X)).fit(
        disp=0, cov_type="cluster", cov_kwds={"groups": pd.factorize(risk["firm_id"])[0]})
    excluded = pd.DataFrame({"table": ["diffusion_hazard"], "reason": ["firm new in the year (no exposure in t - 1)"],
                             "rows": [entrants]})
    return DiffusionFit(_tidy(fit, ["link_exposure", "near_exposure"]), len(risk),
                        f"logit hazard on the risk set, year effects, SE clustered by firm; band {band_km:g} km",
                        excluded)
