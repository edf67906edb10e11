"""Environmental footprint of a cluster's product and input intensity of farms.

Two questions of the FAO study of agro-based clusters (Gálvez-Nogales 2010, ch. 4: "magnified
environmental impact"): how large is the footprint of the product the cluster makes, does it grow as exports
expand, and how intensive is production where it is made; and, on farm microdata, how much fertiliser and
pesticide farms apply per hectare.

* :func:`footprint`: quantities (FAOSTAT, thousand tonnes) × Poore & Nemecek (2018) impacts per kg, year by
  year, for production and for exports, as in AgriFoodPy's ``impact`` module (``fbs × impact factor``).
  With ``Q`` in thousand tonnes (kt) and a factor ``f`` per kg: ``Q f`` kt of CO2e for greenhouse gases
  (kg CO2e/kg), ``Q f`` km² of land (m²·year/kg), ``Q f / 1000`` million m³ of freshwater (L/kg) and
  ``Q f`` tonnes of PO4e (g PO4e/kg).
* :func:`magnification`: the change of the footprint between two years, and the part of that change due to
  the change of exports (``f ΔX`` over ``f ΔQ``): export expansion magnifies the footprint when production
  grows with it.
* :func:`regional_intensity`: the impact per kg in the producer's world region over the PN18 world mean of
  the product (PN18's regional means).
* :func:`input_intensity`: inputs per hectare by group (e.g. BIMAS participation, village), with standard
  errors clustered by farm, and the difference between two groups within season.

No file is read here: factors come from :mod:`agrocluster.data.sources` (``pn18_factors``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

from agrocluster._frames import require_columns as _require
from agrocluster.errors import DataContractError, EstimationError

__all__ = ["IMPACTS", "Footprint", "InputIntensity", "footprint", "input_intensity", "magnification",
           "regional_intensity"]

#: Impact → (factor unit per kg, total unit, multiplier from kt × factor to the total unit).
IMPACTS: dict[str, tuple[str, str, float]] = {
    "ghg": ("kg CO2e per kg", "kt CO2e", 1.0),
    "land_use": ("m2·year per kg", "km2", 1.0),
    "freshwater": ("L per kg", "million m3", 1e-3),
    "eutrophying": ("g PO4e per kg", "t PO4e", 1.0),
}


@dataclass(frozen=True)
class Footprint:
    """Footprint of production and exports of one product, year by year.

    Attributes
    ----------
    table : DataFrame
        ``year, impact, unit, factor, production, exports, footprint_production, footprint_exports,
        export_share`` (quantities in kt, footprints in ``unit``).
    missing : list of str
        Impacts asked for that have no factor (not computed, never zero).
    """

    table: pd.DataFrame
    missing: tuple[str, ...]

    def summary(self) -> pd.DataFrame:
        return self.table

    def latest(self, impact: str = "ghg") -> pd.Series:
        """The row of the latest year with a production quantity, for one impact."""
        rows = self.table[(self.table["impact"] == impact) & self.table["footprint_production"].notna()]
        if rows.empty:
            raise EstimationError(f"footprint: no year with production and a factor for {impact!r}")
        return rows.loc[rows["year"].idxmax()]


def footprint(quantities: pd.DataFrame, factors: Mapping[str, float], impacts: Sequence[str] = tuple(IMPACTS)
              ) -> Footprint:
    """Environmental footprint of production and exports: quantity × impact per kg, as AgriFoodPy's
    ``fbs_impacts`` (food balance quantity times the Poore & Nemecek 2018 factor of the item).

    ``F_t = Q_t × f × m`` with ``Q_t`` in thousand tonnes, ``f`` per kg and ``m`` of :data:`IMPACTS`
    (1 kt × 1 kg CO2e/kg = 1 kt CO2e). The factor is the same every year: changes of the footprint are
    changes of quantities, not of practices.

    Parameters
    ----------
    quantities : DataFrame
        ``year, production, exports`` in thousand tonnes (FAOSTAT food balances of one country and item).
    factors : mapping impact → factor per kg
        Keys of :data:`IMPACTS`; a missing or NA factor leaves the impact out (listed in ``missing``).
    impacts : sequence of str

    Raises
    ------
    DataContractError
        Missing columns, duplicated years, negative quantities or factors, unknown impacts.
    """
    what = "footprint"
    _require(quantities, ["year", "production", "exports"], what)
    unknown = [i for i in impacts if i not in IMPACTS]
    if unknown:
        raise DataContractError(f"{what}: unknown impact(s) {unknown}; known: {list(IMPACTS)}")
    if quantities["year"].duplicated().any():
        raise DataContractError(f"{what}: several rows for year(s) "
                                f"{sorted(quantities.loc[quantities['year'].duplicated(), 'year'].unique())}")
    q = quantities[["year", "production", "exports"]].astype({"production": "float64", "exports": "float64"})
    for col in ("production", "exports"):
        bad = q[col] < 0
        if bad.any():
            raise DataContractError(f"{what}: negative {col} in year(s) {q.loc[bad, 'year'].tolist()}")
    rows, missing = [], []
    for impact in impacts:
        f = factors.get(impact)
        if f is None or not np.isfinite(f):
            missing.append(impact)
            continue
        if f < 0:
            raise DataContractError(f"{what}: factor of {impact!r} is negative ({f})")
        _, unit, mult = IMPACTS[impact]
        part = q.assign(impact=impact, unit=unit, factor=float(f))
        part["footprint_production"] = part["production"] * f * mult
        part["footprint_exports"] = part["exports"] * f * mult
        rows.append(part)
    if not rows:
        raise EstimationError(f"{what}: no factor for any of {list(impacts)}")
    table = pd.concat(rows, ignore_index=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["export_share"] = table["exports"] / table["production"]
    cols = ["year", "impact", "unit", "factor", "production", "exports", "footprint_production",
            "footprint_exports", "export_share"]
    return Footprint(table[cols].sort_values(["impact", "year"]).reset_index(drop=True), tuple(missing))


def magnification(fp: Footprint, base_year: int, year: int) -> pd.DataFrame:
    """Growth of the footprint between ``base_year`` and ``year`` and the part of it due to exports.

    Per impact: ``F`` of production in both years, its change ``ΔF = f ΔQ``, the change of the exports'
    footprint ``f ΔX`` and ``export_part = ΔX / ΔQ`` (share of the change of the production footprint that
    matches the change of exports; above 1 when exports grew more than production, NA when production did
    not change). A positive ``ΔF`` with a large ``export_part`` is the FAO study's magnification: export
    expansion that enlarges the environmental burden borne where the product is made.

    Raises
    ------
    EstimationError
        Either year has no production quantity.
    """
    out = []
    for impact, rows in fp.table.groupby("impact", sort=False):
        by_year = rows.set_index("year")
        for y in (base_year, year):
            if y not in by_year.index or pd.isna(by_year.loc[y, "production"]):
                raise EstimationError(f"magnification: no production quantity for {y}")
        a, b = by_year.loc[base_year], by_year.loc[year]
        d_q, d_x = b["production"] - a["production"], b["exports"] - a["exports"]
        out.append({"impact": impact, "unit": b["unit"], "base_year": base_year, "year": year,
                    "footprint_base": a["footprint_production"], "footprint": b["footprint_production"],
                    "change": b["footprint_production"] - a["footprint_production"],
                    "change_pct": 100 * (b["production"] / a["production"] - 1) if a["production"] > 0 else np.nan,
                    "change_exports_footprint": b["footprint_exports"] - a["footprint_exports"],
                    "export_part": d_x / d_q if d_q != 0 else np.nan,
                    "export_share_base": a["export_share"], "export_share": b["export_share"]})
    return pd.DataFrame(out)


def regional_intensity(regional: pd.DataFrame, product: str, region: str) -> pd.DataFrame:
    """Impact per kg of ``product`` in ``region`` against the PN18 world mean (region ``Global``).

    ``ratio = f_region / f_global``: above 1, the region produces the product with more impact per kg than
    the world average (Poore & Nemecek 2018, regional means of their producer sample).

    Raises
    ------
    DataContractError
        The product or region is not in the table (known names listed).
    """
    _require(regional, ["product", "region"], "regional_intensity")
    for col, value in (("product", product), ("region", region)):
        known = sorted(set(regional[col].astype(str)))
        if value not in known:
            raise DataContractError(f"regional_intensity: {col} {value!r} not in PN18 regional factors; known: {known}")
    rows = regional[regional["product"] == product].set_index("region")
    impacts = [c for c in IMPACTS if c in rows.columns]
    out = pd.DataFrame({"impact": impacts, "unit": [IMPACTS[i][0] for i in impacts],
                        "region": region, "factor_region": [rows.loc[region, i] for i in impacts],
                        "factor_world": [rows.loc["Global", i] for i in impacts]})
    out["ratio"] = out["factor_region"] / out["factor_world"]
    return out


@dataclass(frozen=True)
class InputIntensity:
    """Inputs per hectare by group, and the gap between two groups within season.

    Attributes
    ----------
    by_group : DataFrame ``input, group, mean, std_error, n_obs, n_farms`` (mean of per-hectare use).
    gap : DataFrame in the tidy protocol (``term`` = input): the difference ``treated − other`` within
        season, from OLS of per-hectare use on the group dummy and season dummies, SE clustered by farm.
    """

    by_group: pd.DataFrame
    gap: pd.DataFrame
    nobs: int
    excluded: pd.DataFrame

    def tidy(self) -> pd.DataFrame:
        return self.gap

    def summary(self) -> pd.DataFrame:
        return self.by_group


def input_intensity(farms: pd.DataFrame, inputs: Sequence[str], group: str, *, area: str = "land",
                    farm: str = "firm_id", season: str = "year", treated: str | None = None) -> InputIntensity:
    """Use of each input per hectare, by group, with SEs clustered by farm (as Stata ``mean, vce(cluster)``).

    ``u_it = input_it / area_it``. ``by_group``: mean of ``u`` over farm-seasons of each group, its SE
    clustered by farm. ``gap`` (only when ``treated`` names a value of ``group``): OLS
    ``u_it = a + d 1[group_it = treated] + season effects + e_it``, SE clustered by farm: ``d`` is the
    within-season difference (descriptive: participants choose to take part).

    Raises
    ------
    DataContractError
        Missing columns, negative inputs, ``treated`` not a value of ``group``.
    """
    what = "input_intensity"
    _require(farms, [*inputs, group, area, farm, season], what)
    a = pd.to_numeric(farms[area], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    bad_area = ~(a > 0)
    excluded = pd.DataFrame({"table": ["farms"], "reason": [f"{area} missing or not positive"],
                             "rows": [int(bad_area.sum())]})
    d = farms.loc[~bad_area].reset_index(drop=True)
    a = a[~bad_area]
    rows, gaps = [], []
    g = d[group].astype(str)
    if treated is not None and treated not in set(g):
        raise DataContractError(f"{what}: treated={treated!r} is not a value of {group!r} ({sorted(set(g))})")
    for name in inputs:
        x = pd.to_numeric(d[name], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        if np.isnan(x).any() or (x < 0).any():
            raise DataContractError(f"{what}: input {name!r} is missing or negative in {int((~(x >= 0)).sum())} rows")
        u = x / a
        for value, idx in g.groupby(g, sort=True).groups.items():
            ui, fi = u[idx], d.loc[idx, farm].to_numpy()
            rows.append({"input": name, "group": value, "mean": ui.mean(), "std_error": _clustered_mean_se(ui, fi),
                         "n_obs": len(ui), "n_farms": len(set(fi))})
        if treated is not None:
            X = pd.get_dummies(d[season].astype(str), prefix="season", drop_first=True, dtype=float)
            X.insert(0, "treated", (g == treated).astype(float).to_numpy())
            fit = sm.OLS(u, sm.add_constant(X)).fit(cov_type="cluster",
                                                    cov_kwds={"groups": pd.factorize(d[farm])[0]})
            ci = fit.conf_int().loc["treated"]
            gaps.append({"term": name, "estimate": fit.params["treated"], "std_error": fit.bse["treated"],
                         "statistic": fit.tvalues["treated"], "p_value": fit.pvalues["treated"],
                         "conf_low": ci.iloc[0], "conf_high": ci.iloc[1]})
    gap = pd.DataFrame(gaps, columns=["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"])
    return InputIntensity(pd.DataFrame(rows), gap, len(d), excluded)


def _clustered_mean_se(u: np.ndarray, cluster: np.ndarray) -> float:
    """SE of a mean with observations clustered (CR1 small-sample factor G/(G-1), as Stata)."""
    n = len(u)
    resid = pd.Series(u - u.mean()).groupby(cluster).sum().to_numpy()
    g = len(resid)
    if g < 2:
        return float("nan")
    return float(np.sqrt(g / (g - 1) * np.sum(resid**2)) / n)
