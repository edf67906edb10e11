"""Spillovers of a cluster programme to non-participants, as in the IDB cluster-programme evaluations.

Design (Maffioli, Pietrobelli & Stucchi, eds., 2016, *The Impact Evaluation of Cluster Development
Programs*, IDB; e.g. Figal Garone et al. 2015 on Brazil's APL programme): the indirect effect is
estimated on firms that never join, comparing **exposed non-participants** with **unexposed
non-participants** by difference in differences. Participants are left out of this comparison (their
direct effect is :func:`~agrocluster.programmes.staggered_did`'s job).

Exposure of a non-participant i, and when it starts:

- ``exposure="distance"``: great-circle (haversine, R = 6371.0088 km, the IUGG mean radius) distance
  d_i to the nearest participant. Bands are half-open [lo, hi) km from ``bands``; firms at or beyond the
  last edge are unexposed. Exposure starts in the first year in which some participant within the band's
  outer edge has entered: onset_i = min{entry_j : d_ij < hi}.
- ``exposure="network"``: with a links table (``source``, ``target``; the firm_links contract), the share
  of i's distinct partners (either direction) that are participants, binned (lo, hi] by ``share_bins``;
  a share of 0 is unexposed; firms with no link at all are left out (share undefined) and counted.
  onset_i = min entry year among i's participant partners.

Each band is then one staggered DiD (Callaway–Sant'Anna, :func:`staggered_did`, first_treated = onset,
never-treated = unexposed non-participants), reported as its simple ATT; a pooled TWFE regression with
one exposure dummy per band is reported beside it for comparison. Caveats for a report: exposure is
assumed to be fixed by geography or pre-programme links (links formed because of the programme would
make exposure endogenous), and unexposed firms must follow the same trends as exposed ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import pandas as pd
import pyfixest as pf

from agrocluster.errors import DataContractError, EstimationError, ParamsError
from agrocluster.geo import haversine_km
from agrocluster.programmes._panel import require_columns, require_numeric
from agrocluster.programmes.did import StaggeredDiDResult, staggered_did
from agrocluster.programmes.power import minimum_detectable_effect
from agrocluster.results import ResultProtocol, set_exclusions, tidy_frame


@dataclass
class SpilloverResult(ResultProtocol):
    """Effects on non-participants by exposure band.

    Attributes
    ----------
    effects : DataFrame
        band, lower, upper, att (Callaway–Sant'Anna simple ATT), se, ci_lower, ci_upper, mde (80 % power,
        5 % size), pretest_pvalue (did's Wald), pretrend_pvalue (sup-t with small-sample marginals, correct
        size in the tiny late cohorts that exposure onset creates), credible (pre-trend not rejected;
        missing when untested), n_exposed, n_unexposed, twfe_coef, twfe_se (pooled TWFE, CRV1 by unit).
    exposure : DataFrame
        One row per non-participant kept: unit, band ("unexposed" or a band label), measure (km to the
        nearest participant, or participant share of links), onset (first exposed period, 0 if never).
    excluded : DataFrame
        ``reason, n, unit`` (unit ``units``) left out (participants, missing coordinates, no links, ...).
    by_band : dict
        band label → :class:`StaggeredDiDResult` (for dynamic plots of one band).
    design : str
        One-line description of the comparison.
    """

    effects: pd.DataFrame
    exposure: pd.DataFrame
    excluded: pd.DataFrame
    by_band: dict[str, StaggeredDiDResult] = field(repr=False)
    design: str = ""

    def __post_init__(self) -> None:
        set_exclusions(self, unit="units")

    def tidy(self) -> pd.DataFrame:
        """The simple ATT on non-participants of each exposure band (term = band label)."""
        e = self.effects
        return tidy_frame(e["band"], e["att"], e["se"], None, None, e["ci_lower"], e["ci_upper"])

    @property
    def nobs(self) -> int:
        """Non-participants kept (exposed and unexposed)."""
        return len(self.exposure)

    def table(self) -> pd.DataFrame:
        """Tidy effects by band (copy of ``effects``)."""
        return self.effects.copy()

    def summary(self) -> pd.DataFrame:
        """Band, ATT, SE and counts only."""
        return self.effects[["band", "att", "se", "n_exposed", "n_unexposed"]].copy()


def _units(df, unit, entry, extra):
    first = df.groupby(unit, sort=True).head(1).set_index(unit)
    entry_num = pd.to_numeric(df[entry], errors="coerce")
    if df[entry].notna().sum() != entry_num.notna().sum():
        bad = df.loc[entry_num.isna() & df[entry].notna(), entry].iloc[0]
        raise DataContractError(f"entry column {entry!r} must be numeric (NA or 0 = never enters); found {bad!r}")
    varying = entry_num.fillna(0).groupby(df[unit]).nunique()
    if (varying > 1).any():
        raise DataContractError(f"entry column {entry!r} varies within unit {varying.index[varying > 1][0]!r}")
    e = entry_num.fillna(0).groupby(df[unit]).first()
    out = first[extra].copy()
    out["_entry"] = e.reindex(out.index).to_numpy()
    return out


def _label(lo, hi, unit_txt, closed_left=True):
    return f"[{lo:g}, {hi:g}) {unit_txt}" if closed_left else f"({lo:g}, {hi:g}] {unit_txt}"


def _distance_exposure(units, lat, lon, bands, excluded):
    require_ok = units[[lat, lon]].notna().all(axis=1)
    excluded["missing lat/lon"] = int((~require_ok).sum())
    u = units.loc[require_ok]
    if ((u[lat].abs() > 90) | (u[lon].abs() > 180)).any():
        bad = u.index[((u[lat].abs() > 90) | (u[lon].abs() > 180))][0]
        raise DataContractError(f"unit {bad!r} has coordinates outside lat [-90, 90] / lon [-180, 180]")
    part = u[u["_entry"] > 0]
    non = u[u["_entry"] <= 0]
    if len(part) == 0:
        raise EstimationError("no participant (entry > 0) with coordinates: exposure cannot be measured")
    plat, plon, pent = (part[lat].to_numpy(float), part[lon].to_numpy(float), part["_entry"].to_numpy(float))
    edges = np.asarray(bands, dtype=float)
    nearest = np.empty(len(non))
    onset = np.zeros(len(non))
    band = np.full(len(non), "unexposed", dtype=object)
    nlat, nlon = non[lat].to_numpy(float), non[lon].to_numpy(float)
    chunk = max(1, int(2e6 // max(len(part), 1)))
    for s in range(0, len(non), chunk):
        dist = haversine_km(nlat[s : s + chunk, None], nlon[s : s + chunk, None], plat[None, :], plon[None, :])
        dmin = dist.min(axis=1)
        nearest[s : s + chunk] = dmin
        for lo, hi in pairwise(edges):
            inb = (dmin >= lo) & (dmin < hi)
            if inb.any():
                within = np.where(dist[inb] < hi, pent[None, :], np.inf)
                onset[s : s + chunk][inb] = within.min(axis=1)
                band[s : s + chunk][inb] = _label(lo, hi, "km")
    return pd.DataFrame({"unit": non.index, "band": band, "measure": nearest, "onset": onset})


def _network_exposure(units, links, share_bins, excluded):
    require_columns(links, ["source", "target"], "links")
    lk = links[["source", "target"]].dropna()
    lk = lk[lk["source"] != lk["target"]]
    pairs = pd.concat(
        [lk.rename(columns={"source": "a", "target": "b"}), lk.rename(columns={"source": "b", "target": "a"})],
        ignore_index=True,
    ).drop_duplicates()
    entry = units["_entry"]
    non_ids = units.index[entry <= 0]
    pairs = pairs[pairs["a"].isin(non_ids)].copy()
    pairs["b_entry"] = pairs["b"].map(entry)
    pairs = pairs[pairs["b_entry"].notna()]  # partners outside the panel carry no status
    n_links = pairs.groupby("a").size()
    part = pairs[pairs["b_entry"] > 0]
    n_part = part.groupby("a").size()
    first_part = part.groupby("a")["b_entry"].min()
    has_links = non_ids.isin(n_links.index)
    excluded["no link to a firm in the panel (exposure share undefined)"] = int((~has_links).sum())
    ids = non_ids[has_links]
    share = (n_part.reindex(ids).fillna(0) / n_links.reindex(ids)).to_numpy(float)
    onset = first_part.reindex(ids).fillna(0).to_numpy(float)
    edges = np.asarray(share_bins, dtype=float)
    band = np.full(len(ids), "unexposed", dtype=object)
    for lo, hi in pairwise(edges):
        inb = (share > lo) & (share <= hi)
        band[inb] = _label(lo, hi, "share", closed_left=False)
    onset[band == "unexposed"] = 0.0
    return pd.DataFrame({"unit": ids, "band": band, "measure": share, "onset": onset})


def spillover_effects(
    df: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    entry: str,
    exposure: str = "distance",
    bands: tuple[float, ...] = (0.0, 10.0, 25.0, 50.0),
    links: pd.DataFrame | None = None,
    share_bins: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0),
    lat: str = "lat",
    lon: str = "lon",
    covariates: list[str] | None = None,
    est_method: str = "dr",
    bootstrap: int = 0,
    seed: int = 0,
) -> SpilloverResult:
    """Effects of a programme on non-participants by exposure band (see the module docstring).

    Parameters
    ----------
    df : DataFrame
        Establishments panel (unit × period) with ``entry`` = programme entry period (NA or 0 = never).
    outcome, unit, time, entry : str
        Columns.
    exposure : {"distance", "network"}
        Exposure measure.
    bands : tuple of float
        Distance band edges in km (default 0, 10, 25, 50: beyond 50 km is unexposed; no published
        standard exists, pick bands that match the cluster's geography).
    links : DataFrame, optional
        firm_links table (source, target) for ``exposure="network"``.
    share_bins : tuple of float
        Edges of the participant-share bins for network exposure.
    lat, lon : str
        Coordinate columns (degrees) for distance exposure.
    covariates, est_method, bootstrap, seed
        Passed to :func:`staggered_did` for each band (analytic SEs by default: ``bootstrap=0``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> units = np.arange(120)
    >>> df = pd.DataFrame({"unit": np.repeat(units, 4), "year": np.tile(np.arange(2017, 2021), 120)})
    >>> df["entry"] = np.where(df["unit"] < 30, 2019, 0)
    >>> df["lat"] = np.repeat(np.where(units < 60, -35.0, -36.0) + rng.normal(0, 0.02, 120), 4)
    >>> df["lon"] = np.repeat(-71.0 + rng.normal(0, 0.02, 120), 4)
    >>> df["y"] = rng.normal(size=len(df))
    >>> res = spillover_effects(df, "y", "unit", "year", "entry", bands=(0.0, 25.0, 50.0))
    >>> res.summary()[["band", "n_exposed", "n_unexposed"]]
              band  n_exposed  n_unexposed
    0   [0, 25) km         30           60
    1  [25, 50) km          0           60
    """
    if exposure not in ("distance", "network"):
        raise ParamsError(f"exposure={exposure!r} is not 'distance' or 'network'")
    edges = np.asarray(bands if exposure == "distance" else share_bins, dtype=float)
    if len(edges) < 2 or np.any(np.diff(edges) <= 0) or edges[0] < 0:
        name = "bands" if exposure == "distance" else "share_bins"
        raise ParamsError(f"{name}={[float(v) for v in edges]} must be at least two increasing non-negative edges")
    if exposure == "network" and links is None:
        raise ParamsError("exposure='network' needs a links table (source, target)")
    extra = [lat, lon] if exposure == "distance" else []
    require_columns(df, [outcome, unit, time, entry, *extra])
    require_numeric(df, outcome, "outcome")
    units = _units(df, unit, entry, extra)
    excluded: dict[str, int] = {"participants (direct effect: use staggered_did)": int((units["_entry"] > 0).sum())}
    if exposure == "distance":
        expo = _distance_exposure(units, lat, lon, edges, excluded)
        design = (f"non-participants within distance bands {[float(v) for v in edges]} km of a participant vs "
                  f"non-participants at {edges[-1]:g} km or more")
    else:
        expo = _network_exposure(units, links, edges, excluded)
        design = "non-participants by participant share of their links vs non-participants with none"
    n_unexposed = int((expo["band"] == "unexposed").sum())
    if n_unexposed == 0:
        raise EstimationError(
            f"no unexposed non-participant ({design}): there is no comparison group; widen the bands"
        )
    onset = expo.set_index("unit")["onset"]
    band_of = expo.set_index("unit")["band"]
    d = df[df[unit].isin(expo["unit"])].copy()
    d["_onset"] = d[unit].map(onset).astype(float)
    d["_band"] = d[unit].map(band_of)
    rows, by_band = [], {}
    labels = [
        _label(lo, hi, "km") if exposure == "distance" else _label(lo, hi, "share", closed_left=False)
        for lo, hi in pairwise(edges)
    ]
    twfe = _pooled_twfe(d, outcome, unit, time, labels)
    for (lo, hi), lab in zip(pairwise(edges), labels):
        n_exp = int((expo["band"] == lab).sum())
        row = {"band": lab, "lower": lo, "upper": hi, "att": np.nan, "se": np.nan, "ci_lower": np.nan,
               "ci_upper": np.nan, "mde": np.nan, "pretest_pvalue": np.nan, "pretrend_pvalue": np.nan,
               "credible": None, "n_exposed": n_exp, "n_unexposed": n_unexposed,
               "twfe_coef": twfe.get(lab, (np.nan, np.nan))[0], "twfe_se": twfe.get(lab, (np.nan, np.nan))[1]}
        if n_exp > 0:
            sub = d[d["_band"].isin([lab, "unexposed"])]
            res = staggered_did(sub, outcome, unit, time, "_onset", control="never_treated",
                                covariates=covariates, seed=seed, est_method=est_method, bootstrap=bootstrap)
            agg = res.aggregate("simple")
            row.update(att=agg.overall, se=agg.se, ci_lower=agg.ci_lower, ci_upper=agg.ci_upper,
                       mde=minimum_detectable_effect(agg.se), pretest_pvalue=res.pretest_pvalue,
                       pretrend_pvalue=res.pretrend_pvalue, credible=res.credible)
            by_band[lab] = res
        rows.append(row)
    excl = pd.DataFrame({"reason": list(excluded), "n_units": list(excluded.values())})
    excl = excl[excl["n_units"] > 0].reset_index(drop=True)
    effects = pd.DataFrame(rows).astype({"credible": "boolean"})
    return SpilloverResult(effects=effects, exposure=expo, excluded=excl, by_band=by_band,
                           design=design)


def _pooled_twfe(d, outcome, unit, time, labels):
    """Pooled TWFE on non-participants: one post-onset dummy per band, unit and period effects."""
    names = {}
    post = (d["_onset"] > 0) & (d[time].astype(float) >= d["_onset"])
    for i, lab in enumerate(labels):
        col = f"_x{i}"
        d[col] = ((d["_band"] == lab) & post).astype(float)
        if d[col].nunique() > 1:
            names[col] = lab
    if not names:
        return {}
    d["_u"] = pd.factorize(d[unit])[0]
    d["_t"] = d[time].astype(float)
    d["_y"] = d[outcome].astype(float)
    fit = pf.feols(f"_y ~ {' + '.join(names)} | _u + _t", data=d, vcov={"CRV1": "_u"})
    coef, se = fit.coef(), fit.se()
    return {lab: (float(coef.get(col, np.nan)), float(se.get(col, np.nan))) for col, lab in names.items()}
