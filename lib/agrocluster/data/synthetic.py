r"""Synthetic agro-clusters with known truth: all five contract tables plus the parameters that made them.

:func:`generate_cluster` draws, from a :class:`SyntheticSpec` and a seed, an economy of regions, sectors and
establishments with a planted cluster, and returns a :class:`SyntheticCluster` whose ``truth`` (JSON) holds
every planted parameter and the true values estimators should recover. Every estimator of agrocluster is
tested on it. The whole process is seeded: the same spec and seed give identical frames. The parts draw
from independent streams (``numpy.random.SeedSequence(seed).spawn``), so changing, say, the trade options
leaves the establishments unchanged.

Geography and location (Ellison & Glaeser 1997, JPE 105(5), natural-advantage model)
    Regions r = 1..R have expected shares ``x_r`` of aggregate employment (lognormal sizes), areas
    (lognormal around ``mean_region_area_km2``) and centres spread uniformly in a disc of radius
    ``spread_km`` around the spec's centre. Sector s draws region probabilities
    ``p_s ~ Dirichlet(x (1 - gamma_s) / gamma_s)`` (``p_s = x`` when gamma_s = 0) and its plants choose
    regions independently with probabilities ``p_s`` (Dirichlet-multinomial). Then
    ``E[p_r] = x_r`` and ``Var(p_r) = gamma_s x_r (1 - x_r)``, so with plant shares ``z_j`` and
    ``H = sum z_j^2``, ``E[G] = (1 - sum x^2) (gamma + (1 - gamma) H)`` where ``G = sum_r (s_r - x_r)^2``:
    EG's Proposition 1 with gamma = gamma_s, and the EG index is unbiased for it. The cluster's names
    (``cluster_regions``) label the k regions with the largest excess ``p_r - x_r`` of the cluster sector
    (region labels are exchangeable, so this relabelling leaves every distribution, and gamma, unchanged).
    Plant sizes (labour) answer omega, capital and the wage, never the agglomeration premium (below), so a
    plant's size does not depend on how many plants of its sector share its region: a sector with gamma_s = 0
    is a true null for EG's test (the region's density moves wages by ``wage_density_elasticity``, and so
    sizes, alike for every sector of the region). A caution, recorded in ``truth``: EG's derivation takes
    ``x`` as given, so a sector that is a large part of aggregate employment (share w) attenuates the index
    by about (1 - w)^2; and x is aggregate employment, which the concentrated sectors tilt towards their
    regions, while a gamma_s = 0 sector locates like the regions' sizes: ``eg_excess_vs_aggregate`` of each
    sector in ``truth["sectors"]`` is that gap (about cluster_sector_firm_share^2 eg_gamma; no closed economy
    can have every other sector locate like an aggregate that contains a concentrated one). EG's convention
    is kept on both sides: :func:`agrocluster.concentration.ellison_glaeser` measures against aggregate
    employment with the sector included, and gamma_s = 0 sectors locate by the regions' sizes, so with a
    concentrated cluster sector they are *not* a null for the test (it rejects about 8% of them at 5% at the
    defaults, against 5.8% when every gamma is 0): their truth relative to the aggregate is
    ``eg_excess_vs_aggregate``, not 0. ``eg_gamma_given_draw`` =
    ``sum (p_r - x_r)^2 / (1 - sum x_r^2)`` is the concentration of the drawn probabilities themselves.
    Coordinates: cluster-sector plants lie uniformly in a disc of radius ``cluster_radius_km`` around
    their region's centre (Duranton–Overman Kd shows localisation below about twice that radius); other
    plants scatter N(0, ``region_scatter_km``^2) per axis around their region's centre. Positions are drawn
    in km on a local plane and converted to degrees (equirectangular at the centre latitude); every
    distance the truth uses is recomputed as great-circle on the published lat/lon.

Production (gross-output Cobb–Douglas, flexible materials; value added derived; ACF timing)
    ``y*_it = b0 + bl l + bk k + bm m + TL(l, k) + omega_it``, ``y_it = y*_it + A_it + eps_it + alpha_i +
    tau_it + spill_it`` (logs; ``TL = (bll l^2 + bkk k^2)/2 + blk l k`` only when ``translog``), with
    ``A_it = a_loc LOC_it + a_urb URB_it`` the agglomeration premium and log TFP ``tfp_it = omega_it +
    A_it``. ``omega_it = rho omega_i,t-1 + xi_it``, xi ~ N(0, sigma_xi^2): first-order Markov, and the only
    productivity the inputs answer. The premium A is realised with the year's sales (a Hicks-neutral
    revenue shifter like eps, which no input decision anticipates). Were A known when inputs are chosen,
    the proxies would invert omega + A, and no Markov process in omega + A alone lets a premium known a year
    ahead (LOC and URB use last year's employment) move TFP: ACF/OP/LP would need A among their controls.
    Materials are chosen at t knowing omega_it (first-order condition, output price 1, material price 1):
    ``m = ln(bm E[e^eps]) + y*`` i.e. ``m = [ln(bm c) + b0 + bl l + bk k + TL + omega] / (1 - bm) +
    ln(bm c)`` with ``c = E[e^eps]``: strictly increasing in omega given (k, l) — the proxy of LP/ACF.
    Value added = output - materials, so ``ln VA = const + (bl l + bk k + TL + omega)/(1 - bm) +
    ln(e^(A + eps + ...) - bm c)``: the value-added elasticities are ``b/(1 - bm)`` and omega's scale is
    1/(1 - bm), while the premium's is ``Y/VA`` row by row (its mean is recorded as the agglomeration
    ``value_added_scale``). GNR 2020 show that with a flexible material input the *gross-output*
    elasticities are not identified by proxy methods without price variation, so proxy estimators should
    target the value-added ones (recorded); bm is the materials share of output before the revenue
    shifters, ``M/Y = bm c e^-(A + eps + alpha + tau + spill)``.
    Labour is chosen at t - b, after omega_{t-1} is known but before omega_t: the static Cobb–Douglas
    optimum ``l*`` given ``E[omega_t | omega_{t-1}]``, k_t and the firm's wage, partially adjusted:
    ``l_t = phi l_{t-1} + (1 - phi) l*_t + nu_t`` (nu ~ N(0, sigma_labour^2); entrants ``l* + nu``);
    under ``translog`` the same rule is kept as a behavioural rule. Wages: ``ln w_it = ln_wage_0 +
    e_w URB_it + zeta_it``, ``zeta_it = rho_w zeta_i,t-1 + N(0, sigma_wage^2 (1 - rho_w^2))`` (entrants
    draw zeta from its stationary law N(0, sigma_wage^2)); wage_bill = labour × w. With e_w > 0 (default 0)
    labour answers density through the wage while A rises with density, so A is no longer mean-independent
    of the inputs and proxy estimators' first stage is biased. Capital: ``K_t+1 = (1 - delta) K_t + I_t`` with
    ``I_t = K_t max(0, delta + lambda (k_target(omega_t) - k_t))``, ``k_target = kappa0 + kappa_omega
    omega_t``: investment strictly increasing in omega where positive (the OP proxy); zeros happen and
    their share is recorded. Measurement error eps ~ N(0, sigma_eps^2) truncated at ±3 sd; alpha_i ~ N(0,
    sigma_firm_effect^2) truncated at ±3 sd is a time-invariant firm revenue effect (it does not move
    inputs). Exit at the end of t when ``omega_it < exit_omega_threshold - exit_capital_slope (k_it -
    kappa0)`` (selection: large firms survive worse shocks); each exit is replaced by an entrant the next
    year (constant population) with pre-entry omega from the stationary law and capital around target.
    A burn-in of ``burn_in_years`` years precedes the published panel.

Agglomeration (the regressors an estimator can rebuild from the published panel, for year t > first_year)
    ``LOC_it = ln(1 + sum of labour_{j,t-1} over other plants j of i's sector and region)`` and
    ``URB_it = ln((1 + sum of labour_{j,t-1} over other plants j of i's region) / area_r)`` (area in
    km², in ``truth["geography"]``). Both use the previous year's panel; self excluded.

Programme (staggered DiD truth, outcome = log output)
    Eligible = cluster members (``cluster_member``: plants of the cluster or related sectors located in a
    cluster region) present in ``first_year``. Participants = the share ``programme_share_treated`` of
    eligible plants with the highest ``selection_on_firm_effect * alpha_i / sigma_firm_effect + N(0, 1)``
    (selection on a time-invariant effect: DiD with firm effects removes it); cohorts g drawn uniformly
    from ``programme_entry_years``. ``tau_it = att_by_event_time[min(e, len - 1)]`` for e = t - g >= 0,
    ``anticipation_effect`` at e = -1, 0 otherwise; it is a revenue shifter realised after inputs are
    chosen (e.g. a price premium from joint marketing), so inputs, TFP and locations are untouched and
    ATT(g, t) on log output is exactly tau(t - g); parallel trends hold for the never-treated by
    construction, except for spillovers: a non-participant within ``spillover_band_km`` (great-circle) of a
    participant whose entry year is <= t gets ``spill_it = spillover_effect`` (never-treated controls near
    participants are therefore contaminated; the spillover truth says how many).
    ``att_simple`` = sum over cohorts g and years t >= g in the panel of n_g ATT(g,t) / sum of n_g over
    the same cells, with n_g the participants of cohort g present in the panel (R did::aggte "simple").

Firm exports
    Exporter indicator ``E_it = 1[ c0 + c_tfp tfp_it + c_nb ln(1 + NB_it) + c_lag E_i,t-1 + u_it > 0 ]``,
    u ~ N(0, 1), with ``NB_it`` = exporters of i's region and sector in t - 1 other than i. Exporters ship
    the share ``expit(s0 + s_tfp tfp + N(0, 0.5^2))`` of output and reach ``1 + Poisson(exp(d0 + d_tfp
    tfp))`` destinations; non-exporters have exports = 0 and 0 destinations.

Trade flows and firm links
    See :func:`agrocluster.data.synthetic_trade.generate_trade_flows` (gravity) and :func:`_links`:
    each year ``round(links_per_firm × plants)`` links; a share ``inside_link_share`` (binomial) joins two
    distinct cluster members, the rest join pairs of distinct plants not both members; kinds drawn with
    ``link_kind_shares``; values lognormal. Links are distinct by (source, target, year, kind); the
    realised inside share is recorded.

Innovation diffusion (:func:`generate_adoption`, on a generated cluster's establishments and links)
    A share ``initial_share`` of the first year's plants (and of each year's entrants) has adopted an
    innovation. Each later year a plant present the year before that had not adopted adopts with probability
    ``expit(base + link_effect L_it + near_effect D_it)``: ``L_it`` the share of the distinct plants it was
    linked to in t - 1 (any kind, either direction) that had adopted by t - 1 (0 without links), ``D_it`` the
    share of the other plants of t - 1 within ``band_km`` (great-circle) that had adopted (0 when none).
    Adoption is absorbing.

Units: output, materials, value added, capital, investment, wage bill, exports and link values in thousand
USD; labour in full-time workers (a float); trade values in thousand USD, quantities in tonnes.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import special, stats
from scipy.spatial import cKDTree

from agrocluster.errors import ParamsError

from ..geo import EARTH_RADIUS_KM, chord_of_km, neighbour_share, unit_vectors
from .synthetic_trade import COUNTRIES, GravityOptions, generate_trade_flows
from .truth import SyntheticTruth

__all__ = ["LINK_KINDS", "OTHER_SECTORS", "SyntheticCluster", "SyntheticSpec", "generate_adoption", "generate_cluster"]

#: Kinds of firm links, in the order of ``SyntheticSpec.link_kind_shares``.
LINK_KINDS = ("input_supply", "sales", "cooperation", "knowledge")

#: ISIC rev.4 classes used for the non-cluster sectors, in this order (agro-food chains and their suppliers).
OTHER_SECTORS = (
    "0111", "0113", "0121", "0122", "0124", "0127", "0141", "0161", "0163", "1010", "1030", "1050",
    "1061", "1071", "1079", "1101", "1102", "1104", "1702", "2220", "2821", "4620", "4630", "5210",
)

_KM_PER_DEG = np.pi * EARTH_RADIUS_KM / 180.0


@dataclass(frozen=True)
class SyntheticSpec:
    """Every true parameter of a synthetic cluster; defaults documented (see the module docstring for the model).

    Geography and location
        n_regions (30), region_names (() → R01..Rnn, skipping cluster names), cluster_regions (names of the
        planted cluster's regions; R01, R02, R03), n_sectors (12, including cluster and related sectors),
        cluster_sector ("1102", ISIC rev.4 manufacture of wines), related_sectors (() — also cluster
        members when in a cluster region), cluster_sector_firm_share (0.10), related_sector_firm_share
        (0.08 each), eg_gamma (0.08: EG 1997 report gamma of 0.05–0.1 for moderately localised
        industries), eg_gamma_other (0.0), centre_lat / centre_lon (None → capital of ``country_iso3``),
        spread_km (150), region_scatter_km (20), cluster_radius_km (8), region_size_sigma (0.8),
        mean_region_area_km2 (2000), cluster_region_lat / cluster_region_lon (() → the cluster regions' centres
        are drawn like the others; else their real coordinates, one per cluster region, e.g. from the bundled
        gazetteer :func:`agrocluster.data.geography.locate`), keep_in_country (True: region centres and plants
        are redrawn until they fall on land inside ``country_iso3``, by the bundled mask of
        :func:`agrocluster.data.geography.country_mask`, when that country has one).
    Panel and production (gross output; value-added elasticities are b/(1 - beta_m))
        n_firms (1500 plants alive each year), first_year (2010), n_years (10), burn_in_years (10),
        beta_0 (2.0), beta_l (0.25), beta_k (0.10), beta_m (0.50) — round values of the order of gross-output
        estimates for food processing (Levinsohn & Petrin 2003, Table 1: materials about 0.5–0.6, labour
        0.2–0.3, capital about 0.1); translog (False) with beta_ll (-0.02), beta_kk (-0.01), beta_lk (0.01);
        rho (0.7) and sigma_xi (0.1) as the Monte Carlo of Ackerberg, Caves & Frazer (2015);
        sigma_eps (0.1), sigma_firm_effect (0.1), delta (0.08), investment_adjustment (0.15),
        capital_target_0 (6.0), capital_target_omega (2.0), labour_adjustment (0.8: labour is slow to adjust, so
        it carries its own history, which is what identifies ACF's labour coefficient; with fast adjustment
        labour is close to its static optimum and VA per worker tracks the wage, a second exact root of ACF's
        moments near labour 1, capital 0), sigma_labour (0.1), ln_wage_0 (2.0, i.e. about 7.4 thousand USD a
        year), sigma_wage (0.1, stationary sd of the firm's wage shock), wage_persistence (0.7, its AR(1)
        coefficient: a labour-demand shifter other than omega that persists), exit_omega_threshold
        (-0.18), exit_capital_slope (0.05), entrant_capital_sd (0.8).
    Agglomeration
        localisation_elasticity (0.04), urbanisation_elasticity (0.02) — of the order of the elasticities
        surveyed by Rosenthal & Strange (2004) and Combes & Gobillon (2015); wage_density_elasticity (0.0; e.g.
        0.03 for a density wage premium of that order: labour then answers density through the wage, so the
        premium A, which also rises with density, is no longer mean-independent of the inputs, and proxy
        estimators' first stage, which needs E[A + eps | l, k, m] constant, is biased — about -0.06 on
        ACF's value-added labour coefficient at 800 plants × 6 years).
    Programme
        programme_entry_years (() → first_year + 3, + 5, + 7 inside the panel), programme_share_treated
        (0.5 of eligible), att_by_event_time ((0.02, 0.04, 0.06, 0.08); later event times keep the last),
        anticipation_effect (0.0), selection_on_firm_effect (1.0), spillover_effect (0.02),
        spillover_band_km (5.0).
    Firm exports (latent index; coefficients on tfp, ln(1 + nearby exporters), lagged status)
        export_intercept (-2.0), export_tfp (2.0), export_neighbours (0.3), export_persistence (1.5),
        export_share_intercept (-1.0), export_share_tfp (1.0), destinations_intercept (0.5),
        destinations_tfp (1.0).
    Trade (gravity; round values of the order of the meta-analysis of Head & Mayer 2014)
        country_iso3 ("CHL"), n_partners (39), hs_codes (("2204",): wine of fresh grapes),
        gravity_distance (-1.0), gravity_contiguity (0.5), gravity_rta (0.4), rta_phase_in_years (1),
        rta_share (0.15), gravity_exporter_sd (1.5), gravity_importer_sd (1.5), own_export_premium (2.0),
        gravity_log_scale (15.0), gravity_dispersion (0.5), trade_lot_value (100.0), trade_unit_value (3.0:
        USD per kg, the mean unit value of every flow; a cluster file gives its cited figure),
        trade_destinations / trade_destination_shares (() / (): the cluster country's main markets and their
        cited shares of its export quantity), trade_unit_value_source / trade_destinations_source ("": the
        citation of each figure, shown beside the synthetic unit values and markets), trade_calibrate (True: when the tables are loaded for a cluster,
        the country's synthetic exports are set to FAOSTAT's export quantities year by year, see
        :func:`agrocluster.data.synthetic_trade.calibrate_to_series`).
    Production
        production_calibrate (True: when the tables are loaded for a cluster, the money of every establishment
        is scaled by one factor so that the cluster sector's output at ``trade_unit_value`` sums, over the
        panel's years, to ``production_share`` of FAOSTAT's production; see
        :func:`agrocluster.data.synthetic_output.calibrate_output`), production_share (1.0: the synthetic
        establishments stand for all of the country's producers of the item), production_share_source
        ("": the citation of a share below 1, or the word "assumption"); export_share (None: when set, and the
        cluster's trade flows are synthetic, the firms' exports are scaled year by year so that the cluster
        sector's exports make this share of the country's export value in the flows, see
        :func:`agrocluster.data.synthetic_output.calibrate_exports`), export_share_source ("": its citation,
        or the word "assumption").
    Firm links
        links_per_firm (2.0), inside_link_share (0.3), link_kind_shares ((0.4, 0.3, 0.2, 0.1) for
        input_supply, sales, cooperation, knowledge), link_value_log_mean (3.0), link_value_sigma (1.0).
    """

    n_regions: int = 30
    region_names: tuple[str, ...] = ()
    cluster_regions: tuple[str, ...] = ("R01", "R02", "R03")
    n_sectors: int = 12
    cluster_sector: str = "1102"
    related_sectors: tuple[str, ...] = ()
    cluster_sector_firm_share: float = 0.10
    related_sector_firm_share: float = 0.08
    eg_gamma: float = 0.08
    eg_gamma_other: float = 0.0
    centre_lat: float | None = None
    centre_lon: float | None = None
    spread_km: float = 150.0
    region_scatter_km: float = 20.0
    cluster_radius_km: float = 8.0
    region_size_sigma: float = 0.8
    mean_region_area_km2: float = 2000.0
    cluster_region_lat: tuple[float, ...] = ()
    cluster_region_lon: tuple[float, ...] = ()
    keep_in_country: bool = True

    n_firms: int = 1500
    first_year: int = 2010
    n_years: int = 10
    burn_in_years: int = 10
    beta_0: float = 2.0
    beta_l: float = 0.25
    beta_k: float = 0.10
    beta_m: float = 0.50
    translog: bool = False
    beta_ll: float = -0.02
    beta_kk: float = -0.01
    beta_lk: float = 0.01
    rho: float = 0.7
    sigma_xi: float = 0.1
    sigma_eps: float = 0.1
    sigma_firm_effect: float = 0.1
    delta: float = 0.08
    investment_adjustment: float = 0.15
    capital_target_0: float = 6.0
    capital_target_omega: float = 2.0
    labour_adjustment: float = 0.8
    sigma_labour: float = 0.1
    ln_wage_0: float = 2.0
    sigma_wage: float = 0.1
    wage_persistence: float = 0.7
    exit_omega_threshold: float = -0.18
    exit_capital_slope: float = 0.05
    entrant_capital_sd: float = 0.8

    localisation_elasticity: float = 0.04
    urbanisation_elasticity: float = 0.02
    wage_density_elasticity: float = 0.0

    programme_entry_years: tuple[int, ...] = ()
    programme_share_treated: float = 0.5
    att_by_event_time: tuple[float, ...] = (0.02, 0.04, 0.06, 0.08)
    anticipation_effect: float = 0.0
    selection_on_firm_effect: float = 1.0
    spillover_effect: float = 0.02
    spillover_band_km: float = 5.0

    export_intercept: float = -2.0
    export_tfp: float = 2.0
    export_neighbours: float = 0.3
    export_persistence: float = 1.5
    export_share_intercept: float = -1.0
    export_share_tfp: float = 1.0
    destinations_intercept: float = 0.5
    destinations_tfp: float = 1.0

    country_iso3: str = "CHL"
    n_partners: int = 39
    hs_codes: tuple[str, ...] = ("2204",)
    gravity_distance: float = -1.0
    gravity_contiguity: float = 0.5
    gravity_rta: float = 0.4
    rta_phase_in_years: int = 1
    rta_share: float = 0.15
    gravity_exporter_sd: float = 1.5
    gravity_importer_sd: float = 1.5
    own_export_premium: float = 2.0
    gravity_log_scale: float = 15.0
    gravity_dispersion: float = 0.5
    trade_lot_value: float = 100.0
    trade_unit_value: float = 3.0
    trade_destinations: tuple[str, ...] = ()
    trade_destination_shares: tuple[float, ...] = ()
    trade_unit_value_source: str = ""
    trade_destinations_source: str = ""
    trade_calibrate: bool = True
    production_calibrate: bool = True
    production_share: float = 1.0
    production_share_source: str = ""
    export_share: float | None = None
    export_share_source: str = ""

    links_per_firm: float = 2.0
    inside_link_share: float = 0.3
    link_kind_shares: tuple[float, ...] = (0.4, 0.3, 0.2, 0.1)
    link_value_log_mean: float = 3.0
    link_value_sigma: float = 1.0

    def __post_init__(self) -> None:
        self._validate()

    # ---------------------------------------------------------------------------------------------
    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> SyntheticSpec:
        """Build a spec from a dict of options (lists become tuples); unknown keys are refused by name."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            hints = []
            for key in unknown:
                close = difflib.get_close_matches(key, sorted(known), n=1)
                hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise ParamsError(f"synthetic: unknown option(s) {', '.join(hints)}; valid options: {', '.join(sorted(known))}")
        return cls(**_coerce_tuples(cls, dict(options)))

    def replace(self, **overrides: Any) -> SyntheticSpec:
        """A copy with some fields changed; unknown names are refused like :meth:`from_mapping`."""
        return type(self).from_mapping({**dataclasses.asdict(self), **overrides})

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(range(self.first_year, self.first_year + self.n_years))

    @property
    def entry_years(self) -> tuple[int, ...]:
        """The programme cohorts: ``programme_entry_years`` or, when empty, first_year + 3, 5, 7 in the panel."""
        if self.programme_entry_years:
            return tuple(sorted(set(self.programme_entry_years)))
        last = self.first_year + self.n_years - 1
        return tuple(self.first_year + d for d in (3, 5, 7) if self.first_year + d <= last)

    @property
    def region_labels(self) -> tuple[str, ...]:
        if self.region_names:
            return tuple(self.region_names)
        width = max(2, len(str(self.n_regions + len(self.cluster_regions))))
        names, i = [], 1
        while len(names) < self.n_regions - len(self.cluster_regions):
            name = f"R{i:0{width}d}"
            if name not in self.cluster_regions:
                names.append(name)
            i += 1
        return (*self.cluster_regions, *names)

    @property
    def sectors(self) -> tuple[str, ...]:
        chosen = [self.cluster_sector, *self.related_sectors]
        chosen += [s for s in OTHER_SECTORS if s not in chosen][: self.n_sectors - len(chosen)]
        return tuple(chosen)

    @property
    def centre(self) -> tuple[float, float]:
        lat = COUNTRIES.get(self.country_iso3, (0.0, 0.0))[0] if self.centre_lat is None else self.centre_lat
        lon = COUNTRIES.get(self.country_iso3, (0.0, 0.0))[1] if self.centre_lon is None else self.centre_lon
        return float(lat), float(lon)

    def _validate(self) -> None:
        def bad(name: str, rule: str) -> ParamsError:
            return ParamsError(f"synthetic.{name}={getattr(self, name)!r}: {rule}")

        for name in ("n_regions", "n_sectors", "n_firms", "n_years", "n_partners"):
            if int(getattr(self, name)) < 1:
                raise bad(name, "must be a positive integer")
        if self.n_firms < 10:
            raise bad("n_firms", "must be at least 10")
        if self.burn_in_years < 1:
            raise bad("burn_in_years", "must be at least 1 (the first published year needs a lagged year)")
        if not self.cluster_regions:
            raise bad("cluster_regions", "must name at least one region")
        if len(set(self.cluster_regions)) != len(self.cluster_regions):
            raise bad("cluster_regions", "names must be distinct")
        if len(self.cluster_regions) >= self.n_regions:
            raise bad("cluster_regions", f"must be fewer than n_regions={self.n_regions}")
        if self.region_names:
            if len(self.region_names) != self.n_regions or len(set(self.region_names)) != self.n_regions:
                raise bad("region_names", f"must hold n_regions={self.n_regions} distinct names")
            missing = [r for r in self.cluster_regions if r not in self.region_names]
            if missing:
                raise bad("cluster_regions", f"names {missing} are not in region_names")
        if len(self.cluster_region_lat) != len(self.cluster_region_lon) or (
                self.cluster_region_lat and len(self.cluster_region_lat) != len(self.cluster_regions)):
            raise bad("cluster_region_lat", "cluster_region_lat and cluster_region_lon must be empty or hold one "
                                            f"value per cluster region ({len(self.cluster_regions)})")
        if any(not -90 <= v <= 90 for v in self.cluster_region_lat) or \
                any(not -180 <= v <= 180 for v in self.cluster_region_lon):
            raise bad("cluster_region_lat", "latitudes must be in [-90, 90] and longitudes in [-180, 180]")
        if len(self.trade_destinations) != len(self.trade_destination_shares):
            raise bad("trade_destinations", "trade_destinations and trade_destination_shares must have the same "
                                            "length (one cited share per market)")
        if self.cluster_sector in self.related_sectors:
            raise bad("related_sectors", f"must not contain the cluster sector {self.cluster_sector!r}")
        if len(set(self.related_sectors)) != len(self.related_sectors):
            raise bad("related_sectors", "codes must be distinct")
        available = len({self.cluster_sector, *self.related_sectors, *OTHER_SECTORS})
        if not 1 + len(self.related_sectors) < self.n_sectors <= available:
            raise bad("n_sectors", f"must exceed 1 + len(related_sectors) and be at most {available}")
        shares = self.cluster_sector_firm_share + len(self.related_sectors) * self.related_sector_firm_share
        if not (0 < self.cluster_sector_firm_share and 0 <= self.related_sector_firm_share and shares < 1):
            raise bad("cluster_sector_firm_share", "cluster and related firm shares must be positive and sum below 1")
        for name in ("eg_gamma", "eg_gamma_other"):
            if not 0 <= getattr(self, name) < 1:
                raise bad(name, "must be in [0, 1)")
        for name in ("spread_km", "region_scatter_km", "cluster_radius_km", "mean_region_area_km2",
                     "sigma_xi", "delta", "spillover_band_km", "gravity_dispersion", "trade_lot_value",
                     "trade_unit_value", "links_per_firm"):
            if not getattr(self, name) > 0:
                raise bad(name, "must be > 0")
        for name in ("region_size_sigma", "sigma_eps", "sigma_firm_effect", "sigma_labour", "sigma_wage",
                     "entrant_capital_sd", "link_value_sigma", "gravity_exporter_sd", "gravity_importer_sd"):
            if not getattr(self, name) >= 0:
                raise bad(name, "must be >= 0")
        for name in ("beta_l", "beta_k", "beta_m"):
            if not 0 < getattr(self, name) < 1:
                raise bad(name, "must be in (0, 1)")
        theta_l, theta_k = self.beta_l / (1 - self.beta_m), self.beta_k / (1 - self.beta_m)
        if theta_l + theta_k >= 1:
            raise bad("beta_l", "beta_l + beta_k must be below 1 - beta_m (decreasing returns in value added)")
        for name in ("rho", "wage_persistence"):
            if not -1 < getattr(self, name) < 1:
                raise bad(name, "must be in (-1, 1) (stationary AR(1))")
        for name in ("labour_adjustment", "investment_adjustment", "programme_share_treated", "inside_link_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise bad(name, "must be in [0, 1]")
        if not 0 < self.rta_share <= 1:
            raise bad("rta_share", "must be in (0, 1]")
        if self.rta_phase_in_years < 1:
            raise bad("rta_phase_in_years", "must be at least 1 (1 = full effect from the start year)")
        if not self.att_by_event_time:
            raise bad("att_by_event_time", "must hold at least one effect (event time 0)")
        last = self.first_year + self.n_years - 1
        outside = [g for g in self.entry_years if not self.first_year < g <= last]
        if outside:
            raise bad("programme_entry_years", f"cohorts {outside} are not in ({self.first_year}, {last}]")
        if not self.entry_years:
            raise bad("n_years", "leaves no programme cohort inside the panel: give programme_entry_years")
        if len(self.link_kind_shares) != len(LINK_KINDS) or min(self.link_kind_shares) < 0 \
                or not np.isclose(sum(self.link_kind_shares), 1.0):
            raise bad("link_kind_shares", f"must be {len(LINK_KINDS)} non-negative shares summing to 1")
        if not self.hs_codes or any(not str(c).strip() for c in self.hs_codes):
            raise bad("hs_codes", "must hold at least one non-empty HS code")
        if self.country_iso3 not in COUNTRIES:
            raise bad("country_iso3", f"not in the generator's country list ({', '.join(sorted(COUNTRIES))})")
        # value added = output - materials must stay positive: bm E[e^eps] < exp(lowest log-output shifter)
        low = -3 * self.sigma_eps - 3 * self.sigma_firm_effect + min(
            0.0, *self.att_by_event_time, self.anticipation_effect, self.spillover_effect)
        if np.log(self.beta_m * _truncated_lognormal_mean(self.sigma_eps)) >= low:
            raise bad("beta_m", "too large for sigma_eps, sigma_firm_effect and negative effects: value added "
                                "could turn negative (need ln(beta_m E[e^eps]) < lowest log-output shifter)")


def _coerce_tuples(cls: type, options: dict[str, Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    for key, value in options.items():
        if typing.get_origin(hints.get(key)) is tuple and isinstance(value, (list, tuple)):
            options[key] = tuple(value)
    return options


def _truncated_lognormal_mean(sigma: float) -> float:
    """E[exp(X)] for X ~ N(0, sigma^2) truncated to [-3 sigma, 3 sigma]."""
    if sigma == 0:
        return 1.0
    mass = stats.norm.cdf(3) - stats.norm.cdf(-3)
    return float(np.exp(sigma**2 / 2) * (stats.norm.cdf(3 - sigma) - stats.norm.cdf(-3 - sigma)) / mass)


def _truncated_normal(rng: np.random.Generator, sigma: float, size: int) -> np.ndarray:
    """N(0, sigma^2) draws truncated to ±3 sigma (rejection, vectorised)."""
    draws = rng.normal(0.0, 1.0, size)
    out = np.abs(draws) > 3
    while out.any():
        draws[out] = rng.normal(0.0, 1.0, int(out.sum()))
        out = np.abs(draws) > 3
    return sigma * draws


@dataclass
class SyntheticCluster:
    """The five contract tables of a synthetic cluster (``country_product`` comes from real FAOSTAT) and its truth.

    Attributes
    ----------
    establishments, regional_employment, trade_flows, firm_links : pandas.DataFrame
        The contract tables.
    truth : SyntheticTruth
        The spec, the seed, every planted parameter and the derived true values, section by section
        (also readable as a mapping: ``truth["production"]``).
    latent : pandas.DataFrame
        Per firm-year planted values no survey observes (omega, log TFP, LOC, URB, wage, programme
        effect, spillover effect, exposure): for checking estimates observation by observation.
    """

    establishments: pd.DataFrame
    regional_employment: pd.DataFrame
    trade_flows: pd.DataFrame
    firm_links: pd.DataFrame
    truth: SyntheticTruth
    latent: pd.DataFrame = field(default_factory=pd.DataFrame)

    def write(self, folder: str | Path) -> dict[str, Path]:
        """Write each table as ``<name>.parquet``, the latent values as ``latent.parquet`` and ``truth.json``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written: dict[str, Path] = {}
        for name in ("establishments", "regional_employment", "trade_flows", "firm_links", "latent"):
            path = folder / f"{name}.parquet"
            getattr(self, name).to_parquet(path, index=False)
            written[name] = path
        path = folder / "truth.json"
        path.write_text(json.dumps(self.truth.to_dict(), indent=1, sort_keys=True), encoding="utf-8")
        written["truth"] = path
        return written


# --------------------------------------------------------------------------------------------------
# geography


@dataclass
class _Geography:
    names: np.ndarray          # region name by position
    size: np.ndarray           # x_r
    area: np.ndarray
    cx: np.ndarray             # centres, km on the local plane
    cy: np.ndarray
    sectors: tuple[str, ...]
    firm_share: np.ndarray     # pi_s
    gamma: np.ndarray
    prob: np.ndarray           # sector × region location probabilities p_s
    cluster_mask: np.ndarray   # region is a cluster region
    member_sector: np.ndarray  # sector is cluster or related
    land: _Land | None = None  # where plants may stand (None: anywhere)


class _Land:
    """The country's land as seen on the local km plane: a point test and a snap to the nearest land cell."""

    def __init__(self, spec: SyntheticSpec, mask: Any):
        self.spec, self.mask = spec, mask
        grid = mask.interior(1)
        i, j = np.nonzero(grid)
        lat = mask.south + (i + 0.5) * mask.step
        lon = mask.west + (j + 0.5) * mask.step
        self.cells = np.column_stack(_to_km(spec, lat, lon))
        self.tree = cKDTree(self.cells)

    def inside(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        lat, lon = _to_degrees(self.spec, x, y)
        return self.mask.contains(lat, lon)

    def keep(self, x: np.ndarray, y: np.ndarray, redraw: Any, tries: int = 30) -> tuple[np.ndarray, np.ndarray]:
        """Redraw (``redraw(idx) -> (x, y)``) the points outside the land up to ``tries`` times, then snap the
        rest to the centre of the nearest land cell."""
        x, y = x.copy(), y.copy()
        out = np.flatnonzero(~self.inside(x, y))
        for _ in range(tries):
            if not out.size:
                return x, y
            x[out], y[out] = redraw(out)
            out = out[~self.inside(x[out], y[out])]
        if out.size:
            _, nearest = self.tree.query(np.column_stack([x[out], y[out]]))
            x[out], y[out] = self.cells[nearest, 0], self.cells[nearest, 1]
        return x, y


def _land(spec: SyntheticSpec) -> _Land | None:
    if not spec.keep_in_country:
        return None
    from .geography import country_mask

    mask = country_mask(spec.country_iso3)
    return None if mask is None else _Land(spec, mask)


def _geography(spec: SyntheticSpec, rng: np.random.Generator) -> _Geography:
    n_r = spec.n_regions
    size = rng.lognormal(0.0, spec.region_size_sigma, n_r)
    size /= size.sum()
    area = spec.mean_region_area_km2 * rng.lognormal(-0.125, 0.5, n_r)
    radius = spec.spread_km * np.sqrt(rng.uniform(size=n_r))
    angle = rng.uniform(0.0, 2 * np.pi, n_r)
    sectors = spec.sectors
    n_s = len(sectors)
    n_rel = len(spec.related_sectors)
    firm_share = np.empty(n_s)
    firm_share[0] = spec.cluster_sector_firm_share
    firm_share[1:1 + n_rel] = spec.related_sector_firm_share
    firm_share[1 + n_rel:] = (1 - firm_share[: 1 + n_rel].sum()) / (n_s - 1 - n_rel)
    gamma = np.full(n_s, spec.eg_gamma_other)
    gamma[0] = spec.eg_gamma
    prob = np.empty((n_s, n_r))
    for s in range(n_s):
        prob[s] = size if gamma[s] == 0 else rng.dirichlet(size * (1 - gamma[s]) / gamma[s])
    # label: the k positions with the largest excess share of the cluster sector get the cluster names
    order = np.argsort(-(prob[0] - size), kind="stable")
    labels = spec.region_labels
    k = len(spec.cluster_regions)
    others = [r for r in labels if r not in spec.cluster_regions]
    names = np.empty(n_r, dtype=object)
    names[order[:k]] = list(spec.cluster_regions)
    names[np.sort(order[k:])] = others
    cluster_mask = np.zeros(n_r, dtype=bool)
    cluster_mask[order[:k]] = True
    member_sector = np.zeros(n_s, dtype=bool)
    member_sector[: 1 + n_rel] = True
    cx, cy = radius * np.cos(angle), radius * np.sin(angle)
    land = _land(spec)
    if land is not None:
        def redraw(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            r = spec.spread_km * np.sqrt(rng.uniform(size=idx.size))
            a = rng.uniform(0.0, 2 * np.pi, idx.size)
            return r * np.cos(a), r * np.sin(a)

        cx, cy = land.keep(cx, cy, redraw)
    if spec.cluster_region_lat:
        positions = [int(np.flatnonzero(names == r)[0]) for r in spec.cluster_regions]
        cx[positions], cy[positions] = _to_km(spec, np.asarray(spec.cluster_region_lat),
                                              np.asarray(spec.cluster_region_lon))
    return _Geography(names, size, area, cx, cy, sectors, firm_share, gamma, prob, cluster_mask, member_sector,
                      land)


def _place(spec: SyntheticSpec, geo: _Geography, rng: np.random.Generator, n: int):
    """Sector, region and km coordinates of ``n`` new plants (EG Dirichlet-multinomial location)."""
    sector = rng.choice(len(geo.sectors), size=n, p=geo.firm_share)
    u = rng.uniform(size=n)
    cdf = np.cumsum(geo.prob, axis=1)
    cdf[:, -1] = 1.0
    region = np.empty(n, dtype=np.int64)
    for s in range(len(geo.sectors)):
        idx = sector == s
        region[idx] = np.searchsorted(cdf[s], u[idx], side="right")
    region = np.minimum(region, spec.n_regions - 1)
    in_disc = sector == 0
    rad = spec.cluster_radius_km * np.sqrt(rng.uniform(size=n))
    ang = rng.uniform(0.0, 2 * np.pi, n)
    gx, gy = rng.normal(0.0, spec.region_scatter_km, (2, n))
    x = geo.cx[region] + np.where(in_disc, rad * np.cos(ang), gx)
    y = geo.cy[region] + np.where(in_disc, rad * np.sin(ang), gy)
    if geo.land is not None:
        def redraw(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            disc = in_disc[idx]
            r = spec.cluster_radius_km * np.sqrt(rng.uniform(size=idx.size))
            a = rng.uniform(0.0, 2 * np.pi, idx.size)
            nx, ny = rng.normal(0.0, spec.region_scatter_km, (2, idx.size))
            return (geo.cx[region[idx]] + np.where(disc, r * np.cos(a), nx),
                    geo.cy[region[idx]] + np.where(disc, r * np.sin(a), ny))

        x, y = geo.land.keep(x, y, redraw)
    return sector, region, x, y


def _to_km(spec: SyntheticSpec, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`_to_degrees`: degrees to km on the local equirectangular plane."""
    lat0, lon0 = spec.centre
    dlon = (np.asarray(lon, dtype=float) - lon0 + 180.0) % 360.0 - 180.0
    return dlon * _KM_PER_DEG * np.cos(np.radians(lat0)), (np.asarray(lat, dtype=float) - lat0) * _KM_PER_DEG


def _to_degrees(spec: SyntheticSpec, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat0, lon0 = spec.centre
    lat = lat0 + y / _KM_PER_DEG
    lon = lon0 + x / (_KM_PER_DEG * np.cos(np.radians(lat0)))
    return np.clip(lat, -89.9, 89.9), (lon + 180.0) % 360.0 - 180.0


# --------------------------------------------------------------------------------------------------
# the establishments panel


class _Production:
    """Closed-form pieces of the production model (see the module docstring)."""

    def __init__(self, spec: SyntheticSpec):
        s = spec
        self.s = s
        self.c_eps = _truncated_lognormal_mean(s.sigma_eps)
        self.theta_l = s.beta_l / (1 - s.beta_m)
        self.theta_k = s.beta_k / (1 - s.beta_m)
        self.b_red = s.beta_0 + s.beta_m * np.log(s.beta_m * self.c_eps)   # B in the docstring
        self.l_const = (np.log(self.theta_l) + np.log((1 - s.beta_m) * self.c_eps)
                        + self.b_red / (1 - s.beta_m) + s.sigma_xi**2 / (2 * (1 - s.beta_m) ** 2))

    def translog_terms(self, l, k):
        s = self.s
        if not s.translog:
            return 0.0
        return 0.5 * s.beta_ll * l**2 + 0.5 * s.beta_kk * k**2 + s.beta_lk * l * k

    def labour_target(self, k, expected_tfp, log_wage):
        return (self.l_const + (self.s.beta_k * k + expected_tfp) / (1 - self.s.beta_m) - log_wage) / (1 - self.theta_l)

    def log_output_planned(self, l, k, tfp):
        s = self.s
        return (self.b_red + s.beta_l * l + s.beta_k * k + self.translog_terms(l, k) + tfp) / (1 - s.beta_m)

    def log_materials(self, y_planned):
        return np.log(self.s.beta_m * self.c_eps) + y_planned


def _panel(spec: SyntheticSpec, geo: _Geography, rng: np.random.Generator) -> dict[str, Any]:
    """Simulate the plants year by year (vectorised over plants); returns the stacked panel and counts."""
    prod = _Production(spec)
    n, n_s, n_r = spec.n_firms, len(geo.sectors), spec.n_regions
    sd_omega = spec.sigma_xi / np.sqrt(1 - spec.rho**2)
    first_sim = spec.first_year - spec.burn_in_years
    last = spec.first_year + spec.n_years - 1

    firms = {"sector": [], "region": [], "x": [], "y": [], "birth": []}
    next_id = 0

    def new_plants(m: int, year: int):
        nonlocal next_id
        sector, region, x, y = _place(spec, geo, rng, m)
        for key, val in zip(("sector", "region", "x", "y"), (sector, region, x, y)):
            firms[key].append(val)
        firms["birth"].append(np.full(m, year))
        ids = np.arange(next_id, next_id + m)
        next_id += m
        omega_pre = rng.normal(0.0, sd_omega, m)
        k = spec.capital_target_0 + spec.capital_target_omega * omega_pre + rng.normal(0.0, spec.entrant_capital_sd, m)
        return ids, sector, region, omega_pre, k

    fid, sec, reg, omega, k = (a.copy() for a in new_plants(n, first_sim))   # slots: not views of `firms`
    l_prev = np.zeros(n)
    zeta = np.zeros(n)
    sd_wage_innovation = spec.sigma_wage * np.sqrt(1 - spec.wage_persistence**2)
    present_before = np.zeros(n, dtype=bool)
    exp_prev = np.zeros(n, dtype=bool)
    # initial lagged employment: the labour target with no agglomeration and the base wage
    l_init = prod.labour_target(k, spec.rho * omega, spec.ln_wage_0)
    cell = reg * n_s + sec
    emp_prev = np.bincount(cell, weights=np.exp(l_init), minlength=n_r * n_s)
    expo_prev = np.zeros(n_r * n_s)
    exit_next = np.zeros(n, dtype=bool)
    out: dict[str, list] = {key: [] for key in (
        "fid", "year", "l", "k", "m", "y_obs", "inv", "log_wage", "exporter", "tfp", "omega", "loc", "urb")}
    entrants_by_year, exits_by_year = {}, {}

    for year in range(first_sim, last + 1):
        if year > first_sim:
            idx = np.flatnonzero(exit_next)
            if idx.size:
                ids, s_new, r_new, om_pre, k_new = new_plants(idx.size, year)
                fid[idx], sec[idx], reg[idx], omega[idx], k[idx] = ids, s_new, r_new, om_pre, k_new
                present_before[idx] = False
                exp_prev[idx] = False
                l_prev[idx] = 0.0
            if year >= spec.first_year:
                entrants_by_year[year] = int(idx.size)
        cell = reg * n_s + sec
        own_l = np.where(present_before, np.exp(l_prev), 0.0)
        emp_region = emp_prev.reshape(n_r, n_s).sum(axis=1)
        loc = np.log1p(np.maximum(emp_prev[cell] - own_l, 0.0))
        urb = np.log((1.0 + np.maximum(emp_region[reg] - own_l, 0.0)) / geo.area[reg])
        agg = spec.localisation_elasticity * loc + spec.urbanisation_elasticity * urb
        zeta = np.where(present_before, spec.wage_persistence * zeta + rng.normal(0.0, sd_wage_innovation, n),
                        rng.normal(0.0, spec.sigma_wage, n))
        log_wage = spec.ln_wage_0 + spec.wage_density_elasticity * urb + zeta
        l_star = prod.labour_target(k, spec.rho * omega, log_wage)
        l = np.where(present_before, spec.labour_adjustment * l_prev + (1 - spec.labour_adjustment) * l_star,
                     l_star) + rng.normal(0.0, spec.sigma_labour, n)
        omega = spec.rho * omega + rng.normal(0.0, spec.sigma_xi, n)
        tfp = omega + agg
        # inputs (labour above, materials here) answer omega only: the agglomeration premium is realised with
        # the year's sales, like eps, so the proxies invert omega, a first-order Markov process
        y_planned = prod.log_output_planned(l, k, omega)
        m = prod.log_materials(y_planned)
        y_obs = y_planned + agg + _truncated_normal(rng, spec.sigma_eps, n)
        gap = spec.capital_target_0 + spec.capital_target_omega * omega - k
        inv = np.exp(k) * np.maximum(0.0, spec.delta + spec.investment_adjustment * gap)
        own_exp = exp_prev.astype(float)
        nb = np.maximum(expo_prev[cell] - own_exp, 0.0)
        latent = (spec.export_intercept + spec.export_tfp * tfp + spec.export_neighbours * np.log1p(nb)
                  + spec.export_persistence * own_exp + rng.normal(0.0, 1.0, n))
        exporter = latent > 0
        exit_next = omega < spec.exit_omega_threshold - spec.exit_capital_slope * (k - spec.capital_target_0)
        if year >= spec.first_year:
            for key, val in zip(out, (fid, np.full(n, year), l, k, m, y_obs, inv, log_wage, exporter, tfp,
                                      omega, loc, urb)):
                out[key].append(np.array(val, copy=True))
            exits_by_year[year] = int(exit_next.sum()) if year < last else 0
        emp_prev = np.bincount(cell, weights=np.exp(l), minlength=n_r * n_s)
        expo_prev = np.bincount(cell, weights=exporter.astype(float), minlength=n_r * n_s)
        k = np.log((1 - spec.delta) * np.exp(k) + inv)
        l_prev = l
        present_before[:] = True
        exp_prev = exporter

    panel = {key: np.concatenate(val) for key, val in out.items()}
    firm_table = {key: np.concatenate(val) for key, val in firms.items()}
    return {"panel": panel, "firms": firm_table, "entrants": entrants_by_year, "exits": exits_by_year,
            "production": prod}


# --------------------------------------------------------------------------------------------------
# programme, spillovers


def _programme(spec: SyntheticSpec, panel: dict, member: np.ndarray, alpha: np.ndarray,
               firm_vec: np.ndarray, rng: np.random.Generator) -> dict[str, Any]:
    """Participants, cohorts, tau_it, exposure years and spill_it (see the module docstring)."""
    n_firms_total = alpha.size
    fid, year = panel["fid"], panel["year"]
    in_first = fid[year == spec.first_year]                     # one row per plant and year
    appears = np.bincount(fid, minlength=n_firms_total) > 0
    eligible = in_first[member[in_first]]
    n_treat = round(spec.programme_share_treated * eligible.size)
    sd_alpha = spec.sigma_firm_effect if spec.sigma_firm_effect > 0 else 1.0
    score = spec.selection_on_firm_effect * alpha[eligible] / sd_alpha + rng.normal(0.0, 1.0, eligible.size)
    treated = eligible[np.argsort(-score, kind="stable")[:n_treat]]
    cohorts = np.asarray(spec.entry_years)
    entry = np.full(n_firms_total, -1, dtype=np.int64)
    entry[treated] = cohorts[rng.integers(0, cohorts.size, treated.size)]

    att = np.asarray(spec.att_by_event_time, dtype=float)
    g = entry[fid]
    e = year - g
    tau = np.where(g < 0, 0.0,
                   np.where(e >= 0, att[np.minimum(np.maximum(e, 0), att.size - 1)],
                            np.where(e == -1, spec.anticipation_effect, 0.0)))

    # exposure: earliest entry year of a participant within the band (great-circle), non-participants only
    exposure = np.full(n_firms_total, np.iinfo(np.int64).max)
    others = np.flatnonzero(entry < 0)
    chord = chord_of_km(spec.spillover_band_km)
    for cohort in cohorts:
        members_g = np.flatnonzero(entry == cohort)
        if members_g.size == 0 or others.size == 0:
            continue
        dist, _ = cKDTree(firm_vec[members_g]).query(firm_vec[others], k=1, distance_upper_bound=chord)
        hit = others[np.isfinite(dist) & (dist <= chord)]
        exposure[hit] = np.minimum(exposure[hit], cohort)
    exposed_obs = year >= exposure[fid]
    spill = np.where(exposed_obs, spec.spillover_effect, 0.0)

    # true ATT(g, t) cells and the did::aggte "simple" aggregate
    cells = []
    treated_obs = (g >= 0) & (e >= 0)
    for cohort in cohorts:
        n_g = int(np.sum(appears & (entry == cohort)))
        for t in spec.years:
            ev = t - cohort
            value = float(att[min(ev, att.size - 1)]) if ev >= 0 else (spec.anticipation_effect if ev == -1 else 0.0)
            cells.append({"g": int(cohort), "t": int(t), "event_time": int(ev), "att": value, "n_g": n_g})
    post = [c for c in cells if c["event_time"] >= 0 and c["n_g"] > 0]
    weight = sum(c["n_g"] for c in post)
    att_simple = sum(c["n_g"] * c["att"] for c in post) / weight if weight else float("nan")
    max_e = spec.n_years - 1
    att_event = [{"event_time": ev, "att": float(att[min(ev, att.size - 1)]) if ev >= 0 else
                  (spec.anticipation_effect if ev == -1 else 0.0)} for ev in range(-max_e, max_e + 1)]
    truth = {
        "outcome": "log output (ln of the output column)",
        "mechanism": "revenue shifter realised after inputs are chosen: inputs, TFP, exports decisions unchanged",
        "eligible": "cluster members present in first_year",
        "entry_years": [int(c) for c in cohorts],
        "share_treated_of_eligible": spec.programme_share_treated,
        "n_eligible": int(eligible.size),
        "n_participants": int(treated.size),
        "participants_by_cohort": {str(int(c)): int(np.sum(entry == c)) for c in cohorts},
        "att_by_event_time": [float(a) for a in att],
        "att_by_event_time_note": "event times beyond the list keep the last value; 0 before entry except "
                                  "anticipation_effect at e = -1",
        "anticipation_effect": spec.anticipation_effect,
        "att_event_study": att_event,
        "att_gt": cells,
        "att_simple": float(att_simple),
        "att_simple_definition": "sum_{g, t >= g} n_g ATT(g,t) / sum_{g, t >= g} n_g over panel years; n_g = "
                                 "participants of cohort g present in the panel (R did::aggte type='simple')",
        "att_treated_observations": float(tau[treated_obs].mean()) if treated_obs.any() else float("nan"),
        "selection_on_firm_effect": spec.selection_on_firm_effect,
        "spillover_effect": spec.spillover_effect,
        "spillover_band_km": spec.spillover_band_km,
        "spillover_definition": "non-participant i in year t gets the effect when a participant with entry "
                                "year <= t lies within band_km (great-circle on the published lat/lon)",
        "n_exposed_firms": int(np.sum(exposure < np.iinfo(np.int64).max)),
        "n_exposed_firm_years": int(exposed_obs.sum()),
        "n_never_treated_firms": int(np.sum(appears & (entry < 0))),
        "n_never_treated_exposed_firm_years": int(exposed_obs[g < 0].sum()),
    }
    return {"entry": entry, "tau": tau, "spill": spill, "exposure": exposure, "exposed_obs": exposed_obs,
            "truth": truth}


# --------------------------------------------------------------------------------------------------
# firm links


def _distinct(draw, n: int) -> np.ndarray:
    """``n`` distinct keys from repeated calls of ``draw(m)``, keeping first draws in draw order (unbiased)."""
    keys = np.empty(0, dtype=np.int64)
    while keys.size < n:
        pool = np.concatenate([keys, draw(n - keys.size)])
        _, first = np.unique(pool, return_index=True)
        keys = pool[np.sort(first)]
    return keys[:n]


def _links(spec: SyntheticSpec, fid: np.ndarray, year: np.ndarray, member_obs: np.ndarray,
           rng: np.random.Generator) -> tuple[dict[str, np.ndarray], dict]:
    """Distinct (source, target, year, kind) links: a binomial share inside the cluster, the rest outside."""
    n_f, n_k = int(fid.max()) + 1, len(LINK_KINDS)
    kind_p = np.asarray(spec.link_kind_shares)
    is_member = np.zeros(n_f, dtype=bool)
    keys_by_year, n_inside_total = [], 0
    for t in spec.years:
        this_year = year == t
        alive, members = fid[this_year], fid[this_year & member_obs]
        is_member[:] = False
        is_member[members] = True
        n_links = round(spec.links_per_firm * alive.size)
        n_inside = int(rng.binomial(n_links, spec.inside_link_share))
        cap_in = members.size * (members.size - 1) * n_k
        cap_out = (alive.size * (alive.size - 1) - members.size * (members.size - 1)) * n_k
        if n_inside > cap_in or n_links - n_inside > cap_out:
            raise ParamsError(
                f"synthetic.links_per_firm={spec.links_per_firm}, inside_link_share={spec.inside_link_share}: year "
                f"{t} has {members.size} cluster member(s) among {alive.size} plants, too few for "
                f"{n_inside} distinct inside and {n_links - n_inside} outside links; raise n_firms or lower them")

        def inside(m: int, members: np.ndarray = members) -> np.ndarray:
            src = members[rng.integers(0, members.size, m)]
            tgt = members[rng.integers(0, members.size, m)]
            ok = src != tgt
            return (src[ok] * n_f + tgt[ok]) * n_k + rng.choice(n_k, size=int(ok.sum()), p=kind_p)

        def outside(m: int, alive: np.ndarray = alive) -> np.ndarray:
            src = alive[rng.integers(0, alive.size, m)]
            tgt = alive[rng.integers(0, alive.size, m)]
            ok = (src != tgt) & ~(is_member[src] & is_member[tgt])
            return (src[ok] * n_f + tgt[ok]) * n_k + rng.choice(n_k, size=int(ok.sum()), p=kind_p)

        keys = np.concatenate([_distinct(inside, n_inside), _distinct(outside, n_links - n_inside)])
        keys_by_year.append((t, keys))
        n_inside_total += n_inside
    keys = np.concatenate([k for _, k in keys_by_year])
    yr = np.concatenate([np.full(k.size, t) for t, k in keys_by_year])
    kind = keys % n_k
    pair = keys // n_k
    value = np.exp(rng.normal(spec.link_value_log_mean, spec.link_value_sigma, keys.size))
    return ({"source": pair // n_f, "target": pair % n_f, "year": yr, "kind": kind, "value": value},
            {"n_links": int(keys.size), "n_inside": int(n_inside_total)})


# --------------------------------------------------------------------------------------------------
# assembly


def _strings(labels, index: np.ndarray) -> pd.arrays.ArrowStringArray:
    """``labels[index]`` as a pyarrow-backed string array (taken in Arrow: fast for millions of rows)."""
    dictionary = labels if isinstance(labels, pa.Array) else pa.array([str(v) for v in labels], type=pa.string())
    return pd.arrays.ArrowStringArray(pc.take(dictionary, pa.array(np.asarray(index, dtype=np.int64))))


def _firm_labels(n: int) -> pa.Array:
    """Firm ids ``F000001``… (at least six digits) for firm indices 0..n-1."""
    width = max(6, len(str(n)))
    return pa.array(np.char.add("F", np.char.zfill(np.arange(1, n + 1).astype(str), width)).tolist(),
                    type=pa.string())


def _json(value: Any) -> Any:
    """Plain JSON types (numpy scalars and arrays, tuples) for ``truth``."""
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_json(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def generate_cluster(spec: SyntheticSpec | None = None, seed: int = 0, **overrides: Any) -> SyntheticCluster:
    """Generate a synthetic cluster with known truth (model and conventions in the module docstring).

    Parameters
    ----------
    spec : SyntheticSpec, optional
        The true parameters (defaults: :class:`SyntheticSpec`).
    seed : int
        Seed of ``numpy.random.SeedSequence``; the same spec and seed give identical tables.
    **overrides
        Fields of the spec to change (``generate_cluster(seed=1, n_firms=100_000)``); unknown names raise
        :class:`~agrocluster.errors.ParamsError`.

    Returns
    -------
    SyntheticCluster
        ``establishments``, ``regional_employment``, ``trade_flows``, ``firm_links``, ``truth``, ``latent``.
    """
    spec = spec or SyntheticSpec()
    if overrides:
        spec = spec.replace(**overrides)
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParamsError(f"seed={seed!r}: must be a non-negative integer")
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(6)]
    rng_geo, rng_panel, rng_prog, rng_exp, rng_trade, rng_links = streams

    geo = _geography(spec, rng_geo)
    sim = _panel(spec, geo, rng_panel)
    p, firms = sim["panel"], sim["firms"]
    n_total = firms["sector"].size
    lat_f, lon_f = _to_degrees(spec, firms["x"], firms["y"])
    firm_vec = unit_vectors(lat_f, lon_f)
    member_firm = geo.member_sector[firms["sector"]] & geo.cluster_mask[firms["region"]]
    alpha = _truncated_normal(rng_prog, spec.sigma_firm_effect, n_total)
    prog = _programme(spec, p, member_firm, alpha, firm_vec, rng_prog)

    order = np.lexsort((p["year"], p["fid"]))               # published order: firm, then year
    p = {key: val[order] for key, val in p.items()}
    tau, spill, exposed = prog["tau"][order], prog["spill"][order], prog["exposed_obs"][order]
    fid = p["fid"]
    n_obs = fid.size
    output = np.exp(p["y_obs"] + alpha[fid] + tau + spill)
    materials = np.exp(p["m"])
    labour = np.exp(p["l"])
    tfp = p["tfp"]
    exporter = p["exporter"]
    share = special.expit(spec.export_share_intercept + spec.export_share_tfp * tfp + rng_exp.normal(0.0, 0.5, n_obs))
    dest = 1 + rng_exp.poisson(np.exp(spec.destinations_intercept + spec.destinations_tfp * tfp))
    entry_year = prog["entry"][fid]
    firm_labels = _firm_labels(n_total)
    firm_ids = _strings(firm_labels, fid)
    region_obs = firms["region"][fid]
    sector_obs = firms["sector"][fid]
    member_obs = member_firm[fid]

    establishments = pd.DataFrame({
        "firm_id": firm_ids,
        "year": p["year"].astype("int64"),
        "region": _strings(geo.names, region_obs),
        "sector": _strings(geo.sectors, sector_obs),
        "lat": lat_f[fid],
        "lon": lon_f[fid],
        "output": output,
        "value_added": output - materials,
        "capital": np.exp(p["k"]),
        "labour": labour,
        "materials": materials,
        "investment": p["inv"],
        "wage_bill": labour * np.exp(p["log_wage"]),
        "exports": np.where(exporter, share * output, 0.0),
        "export_destinations": np.where(exporter, dest, 0).astype("int64"),
        "cluster_member": member_obs.astype(bool),
        "programme_entry_year": pd.arrays.IntegerArray(np.maximum(entry_year, 0), entry_year < 0),
    })
    if not (establishments["value_added"] > 0).all():
        raise ParamsError(
            f"synthetic.beta_m={spec.beta_m!r}: value added (output - materials) is not positive on "
            f"{int((establishments['value_added'] <= 0).sum())} row(s): the agglomeration premium (localisation_"
            "elasticity, urbanisation_elasticity) or other negative revenue shifters push output below the "
            "materials bought before they are realised; lower beta_m or those elasticities")
    latent = pd.DataFrame({
        "firm_id": firm_ids, "year": p["year"].astype("int64"), "omega": p["omega"], "log_tfp": tfp,
        "loc": p["loc"], "urb": p["urb"], "log_wage": p["log_wage"], "firm_effect": alpha[fid],
        "programme_effect": tau, "spillover_effect": spill, "spillover_exposed": exposed,
    })

    # regional employment: every region × sector × year cell
    n_r, n_s, years = spec.n_regions, len(geo.sectors), np.asarray(spec.years)
    cell = (region_obs * n_s + sector_obs) * spec.n_years + (p["year"] - spec.first_year)
    size = n_r * n_s * spec.n_years
    emp = np.bincount(cell, weights=labour, minlength=size)
    est = np.bincount(cell, minlength=size)
    r_idx, s_idx, t_idx = np.unravel_index(np.arange(size), (n_r, n_s, spec.n_years))
    regional = pd.DataFrame({
        "region": _strings(geo.names, r_idx),
        "sector": _strings(geo.sectors, s_idx),
        "year": years[t_idx].astype("int64"),
        "employment": emp,
        "establishments": est.astype("int64"),
    })

    trade, trade_truth = generate_trade_flows(GravityOptions(
        country_iso3=spec.country_iso3, n_partners=spec.n_partners, hs_codes=tuple(str(c) for c in spec.hs_codes),
        years=spec.years, beta_distance=spec.gravity_distance, beta_contiguity=spec.gravity_contiguity,
        beta_rta=spec.gravity_rta, rta_phase_in_years=spec.rta_phase_in_years, rta_share=spec.rta_share,
        exporter_sd=spec.gravity_exporter_sd, importer_sd=spec.gravity_importer_sd,
        own_export_premium=spec.own_export_premium, log_scale=spec.gravity_log_scale,
        dispersion=spec.gravity_dispersion, lot_value=spec.trade_lot_value, unit_value=spec.trade_unit_value,
    ), rng_trade)

    links, links_counts = _links(spec, fid, p["year"], member_obs, rng_links)
    inside = member_firm[links["source"]] & member_firm[links["target"]]
    firm_links = pd.DataFrame({
        "source": _strings(firm_labels, links["source"]),
        "target": _strings(firm_labels, links["target"]),
        "year": links["year"].astype("int64"),
        "kind": _strings(LINK_KINDS, links["kind"]),
        "value": links["value"],
    })

    truth = _truth(spec, seed, geo, sim, prog, p, establishments, regional, trade_truth, inside, links_counts)
    return SyntheticCluster(establishments, regional, trade, firm_links, SyntheticTruth.from_dict(_json(truth)), latent)


def _truth(spec, seed, geo, sim, prog, p, est, regional, trade_truth, inside, links_counts) -> dict:
    prod: _Production = sim["production"]
    s = spec
    sectors = list(geo.sectors)
    sector_weight = geo.firm_share
    expected_share = sector_weight[:, None] * geo.prob                   # sector × region, sums to 1
    region_share = expected_share.sum(axis=0)
    lq = (geo.prob / region_share[None, :])
    x = geo.size
    eg_given = ((geo.prob - x[None, :]) ** 2).sum(axis=1) / (1 - np.sum(x**2))
    # against the expected aggregate the EG test compares with (it contains the concentrated sectors)
    x_all = region_share
    eg_aggregate = ((geo.prob - x_all[None, :]) ** 2).sum(axis=1) / (1 - np.sum(x_all**2))
    last_year = s.first_year + s.n_years - 1
    reg_last = regional[regional["year"] == last_year]
    emp_tab = reg_last.pivot_table(index="region", columns="sector", values="employment", aggfunc="sum")
    lq_real = emp_tab.div(emp_tab.sum(axis=1), axis=0).div(emp_tab.sum(axis=0) / emp_tab.to_numpy().sum(), axis=1)
    l, k = p["l"], p["k"]
    if s.translog:
        el_l = s.beta_l + s.beta_ll * l + s.beta_lk * k
        el_k = s.beta_k + s.beta_kk * k + s.beta_lk * l
    else:
        el_l, el_k = np.full(l.size, s.beta_l), np.full(l.size, s.beta_k)
    lat_c, lon_c = _to_degrees(s, geo.cx, geo.cy)
    regions = [{"region": geo.names[r], "lat": lat_c[r], "lon": lon_c[r], "area_km2": geo.area[r],
                "expected_employment_share": x[r], "cluster_region": bool(geo.cluster_mask[r])}
               for r in range(s.n_regions)]
    return {
        "generator": "agrocluster.data.synthetic",
        "seed": int(seed),
        "spec": dataclasses.asdict(s),
        "units": {"money": "thousand USD", "labour": "full-time workers", "distance": "km", "area": "km2"},
        "geography": {
            "centre_lat": s.centre[0], "centre_lon": s.centre[1],
            "projection": "local equirectangular plane at the centre latitude, km per degree "
                          f"{_KM_PER_DEG:.4f}; distances in truth are great-circle on the published lat/lon",
            "regions": regions,
            "cluster_regions": list(s.cluster_regions),
            "cluster_radius_km": s.cluster_radius_km,
            "cluster_radius_note": "every cluster-sector plant lies within cluster_radius_km (plane km) of its "
                                   "region centre; other plants scatter N(0, region_scatter_km^2) per axis",
            "region_scatter_km": s.region_scatter_km,
        },
        "sectors": [{"sector": sectors[j], "role": "cluster" if j == 0 else "related" if geo.member_sector[j]
                     else "other", "firm_share": sector_weight[j], "eg_gamma": geo.gamma[j],
                     "eg_gamma_given_draw": eg_given[j], "eg_excess_vs_aggregate": eg_aggregate[j]}
                    for j in range(len(sectors))],
        "ellison_glaeser": {
            "cluster_sector": s.cluster_sector,
            "gamma": s.eg_gamma,
            "gamma_given_draw": eg_given[0],
            "construction": "p_s ~ Dirichlet(x (1 - gamma)/gamma); plants choose regions i.i.d. with p_s "
                            "(Ellison & Glaeser 1997, Proposition 1: E[G] = (1 - sum x^2)(gamma + (1 - gamma) H))",
            "x": "expected_employment_share of geography.regions",
            "cluster_sector_expected_employment_share": sector_weight[0],
            "cautions": "the index attenuates by about (1 - w)^2 when the sector is a share w of aggregate "
                        "employment; and a gamma = 0 sector locates like the regions' sizes x while the test "
                        "compares it with aggregate employment, which the concentrated sectors tilt towards "
                        "their regions: sectors[].eg_excess_vs_aggregate = sum (p - xbar)^2 / (1 - sum xbar^2), "
                        "xbar = sum_s firm_share_s p_s, is that gap (about firm_share_cluster^2 gamma). EG's "
                        "convention is kept (x = aggregate employment, the tested sector included; "
                        "concentration is measured relative to the whole economy): the gap is a true excess "
                        "over the aggregate, not a failure of the test, and no generator can remove it (a "
                        "closed economy in which every other sector locates like an aggregate that contains a "
                        "concentrated sector has them all locate like that sector). At the defaults (1,500 "
                        "plants, 30 regions, 40 worlds) the 5% test (random-location null) rejects 8.0% of the "
                        "gamma = 0 sectors with the cluster sector at gamma 0.08 (11.8% under the given-rest "
                        "null), and 5.8% with every gamma 0 (120 worlds)",
            "sizes": "plant sizes answer omega, capital and the wage, not the agglomeration premium: a sector "
                     "with gamma = 0 is a true null of the EG test (region density moves wages, and so sizes, "
                     "alike for every sector of a region)",
        },
        "location_probabilities": {sectors[j]: {geo.names[r]: geo.prob[j, r] for r in range(s.n_regions)}
                                   for j in range(len(sectors))},
        "lq_expected": {sectors[j]: {geo.names[r]: lq[j, r] for r in range(s.n_regions)}
                        for j in range(len(sectors))},
        "lq_expected_definition": "LQ_rs = p_rs / sum_s' pi_s' p_rs' (expected employment shares of the "
                                  "location model, equal plant sizes)",
        "lq_realised_last_year": {str(c): {str(r): float(v) for r, v in lq_real[c].items() if np.isfinite(v)}
                                  for c in lq_real.columns},
        "production": {
            "form": "translog in (l, k), Cobb-Douglas in m" if s.translog else "Cobb-Douglas",
            "gross_output": {"beta_0": s.beta_0, "beta_l": s.beta_l, "beta_k": s.beta_k, "beta_m": s.beta_m,
                             **({"beta_ll": s.beta_ll, "beta_kk": s.beta_kk, "beta_lk": s.beta_lk}
                                if s.translog else {})},
            "value_added": {"beta_l": s.beta_l / (1 - s.beta_m), "beta_k": s.beta_k / (1 - s.beta_m),
                            **({"beta_ll": s.beta_ll / (1 - s.beta_m), "beta_kk": s.beta_kk / (1 - s.beta_m),
                                "beta_lk": s.beta_lk / (1 - s.beta_m)} if s.translog else {}),
                            "tfp_scale": 1 / (1 - s.beta_m),
                            "note": "ln VA = const + (b_l l + b_k k + TL + tfp)/(1 - b_m) + iid noise; VA "
                                    "productivity = tfp/(1 - b_m), its Markov part omega/(1 - b_m)"},
            "mean_output_elasticity_labour": float(el_l.mean()),
            "mean_output_elasticity_capital": float(el_k.mean()),
            "identification_note": "materials are flexible (FOC), so gross-output elasticities are not "
                                   "identified by proxy methods without price variation (Gandhi, Navarro & "
                                   "Rivers 2020); target the value-added elasticities with ACF/OP/LP",
            "rho": s.rho, "sigma_xi": s.sigma_xi, "sigma_eps": s.sigma_eps, "eps_truncation_sd": 3,
            "expected_exp_eps": prod.c_eps, "sigma_firm_effect": s.sigma_firm_effect,
            "materials_rule": "m = ln(beta_m E[e^eps]) + planned log output (FOC, prices 1)",
            "labour_rule": "l = phi l_{t-1} + (1 - phi) l* + nu; l* = static CD optimum given "
                           "E[omega_t | omega_{t-1}], k_t and the firm's wage",
            "markov": "omega is first-order Markov (AR(1)) and the only productivity inputs answer; the "
                      "agglomeration premium is realised with sales (see agglomeration.timing)",
            "wage_persistence": s.wage_persistence, "sigma_wage": s.sigma_wage,
            "labour_adjustment_phi": s.labour_adjustment, "sigma_labour": s.sigma_labour,
            "capital_rule": "K_{t+1} = (1 - delta) K_t + I_t; I_t = K_t max(0, delta + lambda (kappa0 + "
                            "kappa_omega omega_t - k_t))",
            "delta": s.delta, "investment_adjustment_lambda": s.investment_adjustment,
            "capital_target_0": s.capital_target_0, "capital_target_omega": s.capital_target_omega,
            "investment_zero_share": float(np.mean(p["inv"] == 0)),
            "exit_rule": "exit after year t when omega_t < exit_omega_threshold - exit_capital_slope (k_t - "
                         "capital_target_0); replaced by an entrant in t + 1",
            "exit_omega_threshold": s.exit_omega_threshold, "exit_capital_slope": s.exit_capital_slope,
        },
        "agglomeration": {
            "localisation_elasticity": s.localisation_elasticity,
            "urbanisation_elasticity": s.urbanisation_elasticity,
            "wage_density_elasticity": s.wage_density_elasticity,
            "applies_to": "log TFP of the gross-output function (ln output); on ln value added the premium's "
                          "elasticity is Y/VA row by row, whose mean is value_added_scale",
            "timing": "a Hicks-neutral revenue premium realised with the year's sales: no input (labour, "
                      "materials, capital) anticipates it, so proxy estimators see it as part of eps and omega "
                      "stays first-order Markov; plant sizes do not answer it",
            "value_added_scale": float(np.mean(est["output"] / est["value_added"])),
            "loc_definition": "ln(1 + sum over other plants of the same sector and region of labour in t-1)",
            "urb_definition": "ln((1 + sum over other plants of the same region of labour in t-1) / area_km2)",
            "wage_definition": "ln wage = ln_wage_0 + wage_density_elasticity * urb + zeta, zeta AR(1) with "
                               "coefficient wage_persistence and stationary sd sigma_wage; "
                               "wage = wage_bill / labour",
            "rebuildable_years": f"{s.first_year + 1}-{last_year} (first_year uses the unpublished burn-in year)",
        },
        "dynamics": {
            "plants_per_year": s.n_firms,
            "n_firms_in_panel": int(np.count_nonzero(np.bincount(p["fid"]))),
            "entrants_by_year": sim["entrants"],
            "exits_by_year": sim["exits"],
            "burn_in_years": s.burn_in_years,
        },
        "programme": prog["truth"],
        "firm_exports": {
            "participation": "exporter = 1[c0 + c_tfp tfp + c_nb ln(1 + NB) + c_lag exporter_{t-1} + N(0,1) > 0]",
            "nb_definition": "exporters of the same region and sector in t-1, other than the plant",
            "c0": s.export_intercept, "c_tfp": s.export_tfp, "c_nb": s.export_neighbours,
            "c_lag": s.export_persistence,
            "export_share": "expit(s0 + s_tfp tfp + N(0, 0.25))", "s0": s.export_share_intercept,
            "s_tfp": s.export_share_tfp,
            "destinations": "1 + Poisson(exp(d0 + d_tfp tfp)) for exporters", "d0": s.destinations_intercept,
            "d_tfp": s.destinations_tfp,
            "exporter_share": float(np.mean(p["exporter"])),
        },
        "trade": trade_truth,
        "links": {
            "inside_link_share": s.inside_link_share,
            "inside_definition": "both source and target are cluster_member",
            "realised_inside_share": float(inside.mean()) if inside.size else None,
            "links_per_firm": s.links_per_firm, "kind_shares": dict(zip(LINK_KINDS, s.link_kind_shares)),
            **links_counts,
        },
    }


# --------------------------------------------------------------------------------------------------
# innovation diffusion (additive: built on a generated cluster, drawn from its own seed)


def generate_adoption(establishments: pd.DataFrame, firm_links: pd.DataFrame, seed: int = 0, *,
                      base: float = -3.0, link_effect: float = 2.5, near_effect: float = 2.0,
                      band_km: float = 5.0, initial_share: float = 0.05) -> tuple[pd.DataFrame, dict]:
    """Plant an adoption process on a cluster's plants and links (model in the module docstring).

    Returns
    -------
    (DataFrame, dict)
        ``firm_id, year, adopted`` (bool, absorbing) for every row of ``establishments``, and the truth:
        the planted parameters and the adopters by year.
    """
    for name, value in (("initial_share", initial_share),):
        if not 0 <= value < 1:
            raise ParamsError(f"generate_adoption: {name}={value} must be in [0, 1)")
    if band_km <= 0:
        raise ParamsError(f"generate_adoption: band_km={band_km} must be positive")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0xAD0]))
    est = establishments[["firm_id", "year", "lat", "lon"]].astype({"firm_id": str}).reset_index(drop=True)
    years = sorted(est["year"].unique())
    adopted = np.zeros(len(est), dtype=bool)
    status: dict[str, bool] = {}
    chord = chord_of_km(band_km)
    counts = {}
    for i, year in enumerate(years):
        rows = np.flatnonzero(est["year"].to_numpy() == year)
        firms = est["firm_id"].to_numpy()[rows]
        had = np.array([status.get(f) for f in firms], dtype=object)
        new = np.array([h is None for h in had])
        now = np.zeros(rows.size, dtype=bool)
        now[new] = rng.random(int(new.sum())) < initial_share
        old = ~new
        if i > 0 and old.any():
            prev = est[est["year"] == years[i - 1]]
            prev_ids = prev["firm_id"].to_numpy()
            prev_adopted = np.array([status[f] for f in prev_ids])
            by_id = dict(zip(prev_ids, prev_adopted))
            lk = firm_links[firm_links["year"] == years[i - 1]]
            src, tgt = lk["source"].astype(str).to_numpy(), lk["target"].astype(str).to_numpy()
            ends = pd.DataFrame({"i": np.concatenate([src, tgt]), "j": np.concatenate([tgt, src])}).drop_duplicates()
            ends["a"] = ends["j"].map(by_id).astype(float)
            link_share = ends.groupby("i")["a"].mean()
            tree = cKDTree(unit_vectors(prev["lat"].to_numpy(), prev["lon"].to_numpy()))
            pos = {f: k for k, f in enumerate(prev_ids)}
            k_old = np.array([pos[f] for f in firms[old]])
            hits = tree.query_ball_point(unit_vectors(prev["lat"].to_numpy()[k_old], prev["lon"].to_numpy()[k_old]),
                                         r=chord)
            near = neighbour_share(hits, k_old, prev_adopted)  # each plant's own position is among its hits
            link = pd.Series(firms[old]).map(link_share).fillna(0.0).to_numpy()
            p = special.expit(base + link_effect * link + near_effect * near)
            was = np.array([bool(h) for h in had[old]])
            now[old] = was | (rng.random(int(old.sum())) < p)
        adopted[rows] = now
        status.update(zip(firms, now))
        counts[int(year)] = int(now.sum())
    frame = pd.DataFrame({"firm_id": establishments["firm_id"].to_numpy(), "year": est["year"].to_numpy(),
                          "adopted": adopted})
    truth = {"model": "P(adopt_t | not adopted by t-1) = expit(base + link_effect L + near_effect D), exposures in t-1",
             "base": base, "link_effect": link_effect, "near_effect": near_effect, "band_km": band_km,
             "initial_share": initial_share, "adopters_by_year": counts}
    return frame, truth
