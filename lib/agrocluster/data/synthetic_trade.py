"""Synthetic bilateral trade for a cluster's HS products: PPML-consistent gravity with known coefficients.

Part of :mod:`agrocluster.data.synthetic` (the data layer); see :func:`generate_trade_flows`.

The country list is real (ISO 3166-1 alpha-3 codes, capital-city coordinates rounded to 0.01 degree, land
borders among the listed countries as on a political map); the regional trade agreements are **synthetic**
(drawn here, not the real agreements), and so are the trade values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from agrocluster.errors import ParamsError
from agrocluster.geo import haversine_km

#: Earth radius (km) for great-circle distances (the IUGG mean radius).

#: ISO3 code → (capital latitude, capital longitude), degrees. Order matters: partners are taken in this
#: order after the cluster's own country.
COUNTRIES: dict[str, tuple[float, float]] = {
    "CHL": (-33.45, -70.67), "ARG": (-34.60, -58.38), "BRA": (-15.79, -47.88), "PER": (-12.05, -77.04),
    "USA": (38.91, -77.04), "CHN": (39.90, 116.40), "DEU": (52.52, 13.40), "GBR": (51.51, -0.13),
    "FRA": (48.86, 2.35), "ESP": (40.42, -3.70), "ITA": (41.90, 12.50), "NLD": (52.37, 4.90),
    "JPN": (35.68, 139.69), "CAN": (45.42, -75.70), "MEX": (19.43, -99.13), "COL": (4.71, -74.07),
    "ECU": (-0.18, -78.47), "BOL": (-16.50, -68.15), "URY": (-34.90, -56.16), "PRY": (-25.26, -57.58),
    "BEL": (50.85, 4.35), "PRT": (38.72, -9.14), "CHE": (46.95, 7.45), "AUT": (48.21, 16.37),
    "POL": (52.23, 21.01), "SWE": (59.33, 18.07), "KOR": (37.57, 126.98), "VNM": (21.03, 105.85),
    "IDN": (-6.21, 106.85), "IND": (28.61, 77.21), "THA": (13.76, 100.50), "KEN": (-1.29, 36.82),
    "ZAF": (-25.75, 28.19), "EGY": (30.04, 31.24), "TZA": (-6.16, 35.75), "UGA": (0.35, 32.58),
    "AUS": (-35.28, 149.13), "NZL": (-41.29, 174.78), "NIC": (12.11, -86.24), "CRI": (9.93, -84.08),
    "GTM": (14.63, -90.51), "HND": (14.07, -87.19), "PAK": (33.69, 73.06), "ARE": (24.45, 54.38),
    "SLV": (13.69, -89.22),
}

#: Land borders among the listed countries (unordered pairs).
_BORDER_PAIRS = (
    "ARG-BOL", "ARG-BRA", "ARG-CHL", "ARG-PRY", "ARG-URY", "BOL-BRA", "BOL-CHL", "BOL-PER", "BOL-PRY",
    "BRA-COL", "BRA-PER", "BRA-PRY", "BRA-URY", "CHL-PER", "COL-ECU", "COL-PER", "ECU-PER", "MEX-USA",
    "CAN-USA", "GTM-MEX", "GTM-HND", "HND-NIC", "NIC-CRI", "FRA-DEU", "FRA-ESP", "FRA-ITA", "FRA-BEL",
    "FRA-CHE", "DEU-BEL", "DEU-NLD", "BEL-NLD", "ESP-PRT", "DEU-POL", "DEU-AUT", "DEU-CHE", "ITA-CHE",
    "AUT-CHE", "AUT-ITA", "CHN-VNM", "CHN-IND", "KEN-TZA", "KEN-UGA", "UGA-TZA", "CHN-PAK", "IND-PAK",
    "GTM-SLV", "HND-SLV",
)
BORDERS: frozenset[frozenset[str]] = frozenset(frozenset(p.split("-")) for p in _BORDER_PAIRS)


@dataclass(frozen=True)
class GravityOptions:
    """The gravity options of :class:`~agrocluster.data.synthetic.SyntheticSpec`, gathered for this module."""

    country_iso3: str
    n_partners: int
    hs_codes: tuple[str, ...]
    years: tuple[int, ...]
    beta_distance: float
    beta_contiguity: float
    beta_rta: float
    rta_phase_in_years: int
    rta_share: float
    exporter_sd: float
    importer_sd: float
    own_export_premium: float
    log_scale: float
    dispersion: float
    lot_value: float
    unit_value: float


def countries_for(country_iso3: str, n_partners: int) -> list[str]:
    """The cluster's country followed by the first ``n_partners`` other countries of :data:`COUNTRIES`."""
    if country_iso3 not in COUNTRIES:
        raise ParamsError(
            f"synthetic.country_iso3={country_iso3!r}: not in the generator's country list "
            f"({', '.join(sorted(COUNTRIES))})")
    others = [c for c in COUNTRIES if c != country_iso3]
    if not 1 <= n_partners <= len(others):
        raise ParamsError(f"synthetic.n_partners={n_partners}: must be between 1 and {len(others)}")
    return [country_iso3, *others[:n_partners]]


def generate_trade_flows(opts: GravityOptions, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    r"""Square bilateral flows (every ordered pair of distinct countries × product × year) and their truth.

    Model (PPML-consistent structural gravity, as Santos Silva & Tenreyro 2006 and ``ppmlhdfe``)::

        mu_ijpt = exp(c + eta_ipt + psi_jpt + b_dist ln dist_ij + b_contig contig_ij + b_rta rta_eff_ijt)
        g_ijpt ~ Gamma(shape 1/phi, scale phi)          (mean 1, variance phi)
        N_ijpt ~ Poisson(mu_ijpt g_ijpt / s)            value_ijpt = s N_ijpt

    so ``E[value | x] = mu`` exactly (PPML with exporter×product×year and importer×product×year fixed
    effects is consistent), ``Var = s mu + phi mu^2``, and zeros are real: they happen when a small
    expected flow meets the lot size ``s`` (thousand USD). ``eta`` = a country's export capacity
    (N(0, exporter_sd), plus ``own_export_premium`` for the cluster's country, plus a country trend of
    N(0, 0.03) a year); ``psi`` likewise for import demand. ``rta_eff = min(1, (t - start + 1) /
    phase_in)`` once the agreement is in force (``rta`` column = 1 from its start year). RTAs are drawn
    for a share ``rta_share`` of pairs, more often between close countries (probability ∝ 1/ln distance),
    with start years spread from ten years before the panel to five years after it.
    ``quantity`` (tonnes) = value / unit value, with a pair-year unit value lognormal around
    ``unit_value`` (thousand USD per tonne), 0 when the value is 0.
    """
    iso = countries_for(opts.country_iso3, opts.n_partners)
    n = len(iso)
    lat = np.array([COUNTRIES[c][0] for c in iso])
    lon = np.array([COUNTRIES[c][1] for c in iso])
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    off = ii != jj
    ii, jj = ii[off], jj[off]
    dist = haversine_km(lat[ii], lon[ii], lat[jj], lon[jj])
    contig = np.array([frozenset((iso[a], iso[b])) in BORDERS for a, b in zip(ii, jj)], dtype=float)

    # synthetic RTAs on unordered pairs: draw on a < b, mirror to (b, a)
    lo, hi = np.minimum(ii, jj), np.maximum(ii, jj)
    pair_key = lo * n + hi
    upairs, inverse = np.unique(pair_key, return_inverse=True)
    pdist = haversine_km(lat[upairs // n], lon[upairs // n], lat[upairs % n], lon[upairs % n])
    weight = 1.0 / np.log(pdist)
    prob = np.clip(opts.rta_share * weight / weight.mean(), 0.0, 1.0)
    has_rta = rng.uniform(size=upairs.size) < prob
    first, last = opts.years[0], opts.years[-1]
    start = rng.integers(first - 10, last + 6, size=upairs.size)
    start_pair = np.where(has_rta, start, np.iinfo(np.int64).max)[inverse]

    n_years, n_prod, n_pairs = len(opts.years), len(opts.hs_codes), ii.size
    years = np.asarray(opts.years)
    trend_e = rng.normal(0.0, 0.03, size=(n_prod, n))
    trend_i = rng.normal(0.0, 0.03, size=(n_prod, n))
    eta0 = rng.normal(0.0, opts.exporter_sd, size=(n_prod, n))
    eta0[:, 0] += opts.own_export_premium
    psi0 = rng.normal(0.0, opts.importer_sd, size=(n_prod, n))
    t_index = np.arange(n_years)
    eta = eta0[:, None, :] + trend_e[:, None, :] * t_index[None, :, None]   # product × year × country
    psi = psi0[:, None, :] + trend_i[:, None, :] * t_index[None, :, None]

    # long layout: product × year × pair
    p_idx = np.repeat(np.arange(n_prod), n_years * n_pairs)
    y_idx = np.tile(np.repeat(np.arange(n_years), n_pairs), n_prod)
    pr_idx = np.tile(np.arange(n_pairs), n_prod * n_years)
    yr = years[y_idx]
    in_force = yr >= start_pair[pr_idx]
    phase = np.where(in_force,
                     np.minimum(1.0, (yr - start_pair[pr_idx] + 1) / max(opts.rta_phase_in_years, 1)), 0.0)
    log_mu = (opts.log_scale + eta[p_idx, y_idx, ii[pr_idx]] + psi[p_idx, y_idx, jj[pr_idx]]
              + opts.beta_distance * np.log(dist[pr_idx]) + opts.beta_contiguity * contig[pr_idx]
              + opts.beta_rta * phase)
    mu = np.exp(log_mu)
    g = rng.gamma(1.0 / opts.dispersion, opts.dispersion, size=mu.size)
    value = opts.lot_value * rng.poisson(mu * g / opts.lot_value)
    unit = opts.unit_value * np.exp(rng.normal(-0.045, 0.3, size=mu.size))
    quantity = np.where(value > 0, value / unit, 0.0)

    iso_arr = np.array(iso, dtype=object)
    string = pd.StringDtype("pyarrow")
    flows = pd.DataFrame({
        "exporter": pd.array(iso_arr[ii[pr_idx]], dtype=string),
        "importer": pd.array(iso_arr[jj[pr_idx]], dtype=string),
        "product": pd.array(np.array(opts.hs_codes, dtype=object)[p_idx], dtype=string),
        "year": yr.astype("int64"),
        "value": value.astype("float64"),
        "quantity": quantity,
        "distance": dist[pr_idx],
        "contiguity": contig[pr_idx],
        "rta": in_force.astype("float64"),
    })
    fe = []
    for p, code in enumerate(opts.hs_codes):
        for t, year in enumerate(opts.years):
            for c, country in enumerate(iso):
                fe.append({"product": code, "year": int(year), "country": country,
                           "log_exporter_effect": float(eta[p, t, c]), "log_importer_effect": float(psi[p, t, c])})
    truth = {
        "model": "value = s * Poisson(mu * Gamma(1/phi, phi) / s); "
                 "mu = exp(c + eta_exporter_product_year + psi_importer_product_year + b_distance * ln(distance)"
                 " + b_contiguity * contiguity + b_rta * rta_phase)",
        "estimator_target": "PPML with exporter-product-year and importer-product-year fixed effects",
        "beta_ln_distance": opts.beta_distance,
        "beta_contiguity": opts.beta_contiguity,
        "beta_rta": opts.beta_rta,
        "rta_phase_in_years": opts.rta_phase_in_years,
        "rta_note": "rta is synthetic (drawn by the generator), not the real agreements; "
                    "rta = 1 from the start year, effect phases in linearly over rta_phase_in_years",
        "contiguity_note": "contiguity = real land borders among the listed countries",
        "distance_note": "great-circle km between capital cities (haversine, radius 6371.0088 km)",
        "constant": opts.log_scale,
        "dispersion_phi": opts.dispersion,
        "lot_value_thousand_usd": opts.lot_value,
        "countries": iso,
        "n_rows": len(flows),
        "zero_share": float(np.mean(value == 0)),
        "n_rta_pairs": int(has_rta.sum()),
        "n_contiguous_pairs": int(contig.sum() // 2),
        "fixed_effects": fe,
        "units": {"value": "thousand USD", "quantity": "tonnes", "distance": "km"},
    }
    return flows, truth


def calibrate_to_series(
    flows: pd.DataFrame,
    country_iso3: str,
    exports_t: pd.Series,
    *,
    world_exports_t: pd.Series | None = None,
    destinations: dict[str, float] | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Scale synthetic flows so the cluster country's exports match a real series year by year.

    For each year t, the country's export quantities (all its products, split among them by their synthetic
    shares of that year) are set to sum to ``exports_t[t]`` (tonnes, e.g. FAOSTAT food-balance exports × 1000).
    With ``destinations`` (ISO3 → share of the country's export quantity, from cited trade statistics), those
    importers get exactly their share and the other importers share the rest in proportion to their
    synthetic flows; without it, every flow of the country is scaled by one factor. Values follow as
    quantity × the flow's own synthetic unit value (lognormal around ``trade_unit_value``, the cited figure).
    With ``world_exports_t``, every other exporter's flows of year t are scaled by one common factor so the
    listed countries' total equals the real world exports: a common exporter-year factor is absorbed by the
    exporter-year fixed effects, so the gravity coefficients of those flows keep their planted values.
    The cluster country's own flows, with destination shares imposed, no longer follow the gravity model:
    the truth says so.

    Returns the calibrated flows and a truth entry (targets, factors, note).
    """
    out = flows.copy()
    value = out["value"].to_numpy(dtype=float).copy()
    qty = out["quantity"].to_numpy(dtype=float).copy()
    exporter = out["exporter"].astype(str).to_numpy()
    importer = out["importer"].astype(str).to_numpy()
    product = out["product"].astype(str).to_numpy()
    year = out["year"].to_numpy()
    own = exporter == country_iso3
    if not own.any():
        raise ParamsError(f"trade calibration: {country_iso3!r} exports nothing in the synthetic flows")
    destinations = dict(destinations or {})
    unknown = sorted(set(destinations) - set(importer[own]))
    if unknown:
        raise ParamsError(f"synthetic.trade_destinations: {unknown} are not among the generator's partners "
                          f"of {country_iso3} (raise synthetic.n_partners or pick from {sorted(set(importer[own]))})")
    listed_total = sum(destinations.values())
    if destinations and (min(destinations.values()) < 0 or listed_total >= 1):
        raise ParamsError("synthetic.trade_destination_shares: shares must be non-negative and sum below 1 "
                          f"(they sum to {listed_total:.3f})")
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = np.where(qty > 0, value / qty, np.nan)
    fallback = float(np.nanmedian(unit[own])) if np.isfinite(unit[own]).any() else 1.0
    unit = np.where(np.isfinite(unit), unit, fallback)
    factors = []
    for t in np.unique(year):
        if int(t) not in exports_t.index or not np.isfinite(exports_t.loc[int(t)]):
            raise ParamsError(f"trade calibration: no real export quantity for {country_iso3} in {int(t)}")
        target = float(exports_t.loc[int(t)])
        own_t = own & (year == t)
        products = np.unique(product[own_t])
        totals = np.array([qty[own_t & (product == p)].sum() for p in products])
        shares = totals / totals.sum() if totals.sum() > 0 else np.full(products.size, 1.0 / products.size)
        for p, share in zip(products, shares):
            rows = np.flatnonzero(own_t & (product == p))
            base = qty[rows]
            listed = np.array([destinations.get(j, np.nan) for j in importer[rows]])
            rest = np.isnan(listed)
            new = np.where(rest, 0.0, target * share * np.nan_to_num(listed))
            rest_base = base[rest].sum()
            rest_weight = base[rest] / rest_base if rest_base > 0 else np.full(rest.sum(), 1.0 / max(rest.sum(), 1))
            new[rest] = target * share * (1.0 - listed_total) * rest_weight
            qty[rows] = new
            value[rows] = new * unit[rows]
        factor = 1.0
        if world_exports_t is not None and int(t) in world_exports_t.index:
            others = ~own & (year == t)
            current = qty[others].sum()
            wanted = float(world_exports_t.loc[int(t)]) - target
            if current > 0 and wanted > 0:
                factor = wanted / current
                qty[others] *= factor
                value[others] *= factor
        factors.append({"year": int(t), "target_tonnes": target, "other_exporters_factor": factor})
    out["quantity"] = qty
    out["value"] = value
    truth = {
        "calibrated_to": "real export quantities of the cluster country, year by year",
        "destination_shares": destinations,
        "years": factors,
        "note": ("the cluster country's flows are set to the real yearly export quantity"
                 + (" with the cited destination shares, so they no longer follow the gravity model"
                    if destinations else ", scaled by one factor a year (absorbed by the exporter-year effect)")
                 + "; other exporters are scaled by one factor a year to the real world total (absorbed by "
                   "their exporter-year effects: the planted gravity coefficients hold for their flows)"),
    }
    return out, truth
