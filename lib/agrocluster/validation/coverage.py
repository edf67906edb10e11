"""Coverage of the reports' 95% intervals and size of their 5% tests, measured in simulated worlds.

Each :class:`Check` pairs a data-generating process (DGP) whose true parameters are known with the
library's estimators, run exactly as the reports run them. One *world* is one draw of the DGP; the check
returns, per method, the share of the world's true values its intervals cover (or, for a test, 1 when the
true null is rejected at 5%). Over ``worlds`` draws the study reports coverage (or size), its Monte Carlo
standard error ``sd / sqrt(worlds)`` across worlds, and a verdict: within 93–97% (size 3–7%) or not.

Checks are registered in :data:`CHECKS` (``register``); the LQ interval methods in :data:`LQ_METHODS`, so a
new LQ interval is one entry. Every world is seeded by ``(seed, check key, world)``, so a study is
reproducible and any world can be rerun alone.

Run the full study with ``python -m agrocluster.validation.coverage`` (writes
``data/validation/coverage.csv`` with its provenance); ``--only KEY[,KEY]`` reruns some checks and merges their rows
into the file, each row keeping its own provenance (seed, code version, date); ``--readme README.md`` regenerates
the README's table from the file. :func:`run_study` is the library call; :mod:`agrocluster.validation.notes` reads
the file for the notes the reports print beside each interval.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import sys
import time
import warnings
import zlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from agrocluster.concentration.specialisation import LQ_MIN_PLANTS as _LQ_MIN_PLANTS
from agrocluster.errors import AgroclusterError, ParamsError
from agrocluster.params import AgglomerationOptions, ConcentrationOptions, ProductivityOptions, Programme

NOMINAL_COVERAGE = 0.95
NOMINAL_SIZE = 0.05
# Verdict bands: the target 93–97% for coverage, the matching 3–7% for the size of a 5% test.
COVERAGE_BAND = (0.93, 0.97)
SIZE_BAND = (0.03, 0.07)
DEFAULT_WORLDS = 200
UNDIAGNOSED = "outside the band; not yet diagnosed: read this interval with that caution"
DEFAULT_SEED = 20261201


def _report_draws(options: type, name: str) -> int:
    """The number of draws the reports make by default (the parameter's default), so each check draws as
    many as the interval it checks."""
    return int(options.model_fields[name].default)
TABLE_COLUMNS = ["check", "method", "dgp", "kind", "worlds", "nominal", "coverage", "mc_se", "verdict", "note"]
# Provenance of each row (the run that produced it): study seed, code version ("<commit>" or "<commit>+dirty")
# and UTC date. A rerun of some checks merged into the file (``--only``) brings its own.
ROW_PROVENANCE = ["seed", "code_version", "date"]

WorldFn = Callable[[np.random.Generator, int], dict[str, float]]


@dataclasses.dataclass(frozen=True)
class Check:
    """One coverage (or size) experiment.

    Attributes
    ----------
    key : str
        Registry key, e.g. ``"lq-lumpy"``.
    dgp : str
        The data-generating process in one line (what is planted).
    kind : {"coverage", "size"}
        Coverage of a 95% interval, or rejection rate of a true null at 5%.
    world : callable
        ``world(rng, seed) -> {method: value}``: per method, the share of true values covered (coverage) or
        1.0/0.0 for a rejection (size) in one simulated world.
    miss_notes : mapping
        Per method, why it misses when it does (printed beside its number when the verdict is a miss).
    size_methods : tuple of str
        Methods of a coverage check that are tests (rejection rate of a true null), e.g. a pre-trend test
        computed in the same world.
    """

    key: str
    dgp: str
    kind: str
    world: WorldFn
    miss_notes: Mapping[str, str] = dataclasses.field(default_factory=dict)
    size_methods: tuple[str, ...] = ()

    def kind_of(self, method: str) -> str:
        """``"size"`` for a test, else the check's kind."""
        return "size" if method in self.size_methods else self.kind


CHECKS: dict[str, Check] = {}


def register(check: Check) -> Check:
    """Add a check to :data:`CHECKS` (its key must be new)."""
    if check.kind not in ("coverage", "size"):
        raise ParamsError(f"check {check.key!r}: kind must be 'coverage' or 'size', got {check.kind!r}")
    if check.key in CHECKS:
        raise ParamsError(f"check {check.key!r} is already registered")
    CHECKS[check.key] = check
    return check


def _covered(lo, hi, truth) -> np.ndarray:
    lo, hi, truth = (np.asarray(a, dtype=float) for a in (lo, hi, truth))
    return (lo <= truth) & (truth <= hi)


# ---------------------------------------------------------------------------------------------------------
# Location quotients
# ---------------------------------------------------------------------------------------------------------

LQMethod = Callable[[pd.DataFrame, float, int], pd.DataFrame]


def _lq_from_cells(interval: str, **options) -> LQMethod:
    """An LQ interval computed on region × sector employment cells (plants summed into cells)."""
    from agrocluster.concentration import location_quotient

    def method(plants: pd.DataFrame, level: float, seed: int) -> pd.DataFrame:
        grid = pd.MultiIndex.from_product([pd.unique(plants["region"]), pd.unique(plants["sector"])],
                                          names=["region", "sector"])
        cells = (plants.groupby(["region", "sector"])["employment"].sum()
                 .reindex(grid, fill_value=0.0).reset_index())  # a cell without plants is a zero, not a gap
        out = location_quotient(cells, year=None, interval=interval, level=level, seed=seed, **options)
        return out[["region", "sector", "lq_lo", "lq_hi"]]

    return method


def _lq_from_plants(n_boot: int) -> LQMethod:
    """The establishments interval: one row per plant, plants resampled within their region (as 01 runs it)."""
    from agrocluster.concentration import location_quotient

    def method(plants: pd.DataFrame, level: float, seed: int) -> pd.DataFrame:
        out = location_quotient(plants, year=None, interval="establishments", level=level, n_boot=n_boot,
                                seed=seed)
        return out[["region", "sector", "lq_lo", "lq_hi"]]

    return method


# An LQ interval method takes one row per plant (region, sector, employment, plant_id), the level and a seed and
# returns region, sector, lq_lo, lq_hi. Adding a method is one entry here.
#: Draws per LQ interval: as many as the reports draw (``concentration.lq_draws``).
LQ_DRAWS = _report_draws(ConcentrationOptions, "lq_draws")
LQ_METHODS: dict[str, LQMethod] = {
    "poisson": _lq_from_cells("poisson"),
    "bootstrap": _lq_from_cells("bootstrap", n_boot=LQ_DRAWS),
    "establishments": _lq_from_plants(n_boot=LQ_DRAWS),
}


def _lq_world(rng: np.random.Generator, seed: int, *, lumpy: bool) -> dict[str, float]:
    """20 regions × 6 sectors with planted expected LQs; employment Poisson per worker or in lumpy plants.

    Expected employment ``λ_rs = N p_r q_s m_rs`` (region sizes lognormal, sector shares, planted LQ
    multipliers ``m``); the truth is the LQ of ``λ``. Independent workers: ``Poisson(λ_rs)`` workers per
    cell, each its own establishment of size 1. Lumpy: ``Poisson(λ_rs / 12)`` plants whose sizes are
    lognormal (σ = 1) with mean 12. A cell without a plant is a zero cell for the cell-based intervals and,
    for the establishments interval, a cell of the output with LQ 0 and the bounds of the plant-count process.
    With lumpy plants the establishments interval is also reported on the cells with at least / fewer than
    ``LQ_MIN_PLANTS`` plants (a world without a small cell adds nothing to the latter).
    """
    n_regions, n_sectors = 20, 6
    p = rng.lognormal(0.0, 0.8, n_regions)
    q = rng.dirichlet(np.full(n_sectors, 4.0))
    m = rng.lognormal(0.0, 0.5, (n_regions, n_sectors))
    lam = 20_000 * (p / p.sum())[:, None] * q[None, :] * m
    truth = (lam / lam.sum(1, keepdims=True)) / (lam.sum(0) / lam.sum())[None, :]
    rows = []
    for r in range(n_regions):
        for s in range(n_sectors):
            if lumpy:
                mean_size, sigma = 12.0, 1.0
                n = rng.poisson(lam[r, s] / mean_size)
                sizes = np.maximum(1, np.round(rng.lognormal(np.log(mean_size) - sigma**2 / 2, sigma, n)))
            else:
                sizes = np.ones(rng.poisson(lam[r, s]))
            rows.append((np.full(sizes.size, r), np.full(sizes.size, s), sizes))
    region, sector, employment = (np.concatenate(parts) for parts in zip(*rows, strict=True))
    plants = pd.DataFrame({"region": [f"R{r:02d}" for r in region], "sector": [f"S{s}" for s in sector],
                           "employment": employment.astype(float)})
    plants["plant_id"] = np.arange(len(plants))
    true = pd.DataFrame({"region": np.repeat([f"R{r:02d}" for r in range(n_regions)], n_sectors),
                         "sector": np.tile([f"S{s}" for s in range(n_sectors)], n_regions),
                         "lq_true": truth.ravel()})
    counts = plants.groupby(["region", "sector"]).size().rename("plants").reset_index()
    true = true.merge(counts, on=["region", "sector"], how="left").fillna({"plants": 0})
    out = {}
    for name, method in LQ_METHODS.items():
        got = method(plants, NOMINAL_COVERAGE, seed).merge(true, on=["region", "sector"], how="right")
        hit = _covered(got["lq_lo"], got["lq_hi"], got["lq_true"])
        out[name] = float(np.mean(hit))
        if lumpy and name == "establishments":
            enough = got["plants"].to_numpy() >= LQ_MIN_PLANTS
            out[ESTABLISHMENTS_ENOUGH] = float(np.mean(hit[enough]))
            if not enough.all():  # a world without a small cell says nothing about them
                out[ESTABLISHMENTS_FEW] = float(np.mean(hit[~enough]))
    return out


# Cells with fewer plants than this get the establishments interval's compound-Poisson bounds instead of the
# bootstrap-t (location_quotient); the study reports the interval on all cells and on each kind of cell.
LQ_MIN_PLANTS = _LQ_MIN_PLANTS
ESTABLISHMENTS_ENOUGH = f"establishments, cells with ≥ {LQ_MIN_PLANTS} plants"
ESTABLISHMENTS_FEW = f"establishments, cells with 0–{LQ_MIN_PLANTS - 1} plants"


_LQ_FEW_MISS = (f"cells with 0–{LQ_MIN_PLANTS - 1} plants (about one in seven here) take exact compound-Poisson "
                "bounds on their plant count with the region's and sector's totals as observed; where the region is "
                "small its total varies more than those bounds allow, so read such a cell's interval as too narrow")
_LQ_MISS = ("treats every worker as an independent draw; with plants of unequal size the cell count varies "
            "far more than Poisson, so the interval is too narrow (valid only when workers locate independently)")

register(Check("lq-independent", "LQ, 20 regions × 6 sectors, workers located independently (Poisson cells); "
               f"{LQ_DRAWS} draws per bootstrap interval, as the reports",
               "coverage", lambda rng, seed: _lq_world(rng, seed, lumpy=False),
               {"poisson": "conservative by construction: Garwood's exact Poisson interval covers at least its "
                           "nominal rate, more when cells are small"}))
register(Check("lq-lumpy", "LQ, 20 regions × 6 sectors, employment in plants of lognormal size (σ = 1, mean 12); "
               f"{LQ_DRAWS} draws per bootstrap interval, as the reports",
               "coverage", lambda rng, seed: _lq_world(rng, seed, lumpy=True),
               {"poisson": _LQ_MISS, "bootstrap": _LQ_MISS,
                "establishments": _LQ_FEW_MISS, ESTABLISHMENTS_FEW: _LQ_FEW_MISS}))


# ---------------------------------------------------------------------------------------------------------
# Ellison–Glaeser γ test
# ---------------------------------------------------------------------------------------------------------


#: Method names of the EG rows: the default null (dbmss random location) and EG's x-as-known dartboard.
EG_RANDOM_LOCATION = "random-location p-value"
EG_GIVEN_REST = "given-rest p-value"


#: Random-location draws per EG test: as many as the reports draw (``concentration.eg_simulations``).
EG_SIMULATIONS = _report_draws(ConcentrationOptions, "eg_simulations")


def _eg_rejections(plants: pd.DataFrame, seed: int, **options) -> dict[str, float]:
    """Share of the tested sectors whose γ test rejects at 5%, under each null of ``ellison_glaeser``."""
    from agrocluster.concentration import ellison_glaeser

    return {method: float(np.mean(ellison_glaeser(plants, simulate=EG_SIMULATIONS, seed=seed, null=null,
                                                  **options)["gamma_p"]
                                  <= NOMINAL_SIZE))
            for method, null in ((EG_RANDOM_LOCATION, "random_location"), (EG_GIVEN_REST, "given_rest"))}


def _eg_hand_world(rng: np.random.Generator, seed: int) -> dict[str, float]:
    """EG's dartboard under the null: 1,500 plants of 8 other sectors and 60 of the tested sector, every plant
    choosing region r with the same probability p_r (γ = 0), lognormal sizes."""
    n_regions = 25
    p = rng.dirichlet(np.full(n_regions, 2.0))
    sectors = np.concatenate([rng.integers(1, 9, 1500), np.zeros(60, dtype=int)])
    plants = pd.DataFrame({"region": rng.choice(n_regions, sectors.size, p=p).astype(str),
                           "sector": sectors.astype(str),
                           "employment": np.round(rng.lognormal(2.5, 1.0, sectors.size)) + 1})
    return _eg_rejections(plants, seed, sectors=["0"])


def _eg_generator_world(rng: np.random.Generator, seed: int) -> dict[str, float]:
    """The library's generator with γ = 0 for every sector (eg_gamma = eg_gamma_other = 0) and its default
    agglomeration premia (plant sizes do not respond to them): share of sectors whose γ test rejects at 5% in
    the last year's cross-section."""
    from agrocluster.data.synthetic import generate_cluster

    world = generate_cluster(seed=seed, n_firms=600, n_years=2, burn_in_years=2, n_regions=15, eg_gamma=0.0,
                             eg_gamma_other=0.0, n_partners=5, programme_entry_years=(2011,), links_per_firm=0.5,
                             inside_link_share=0.0)
    est = world.establishments
    last = est[est["year"] == est["year"].max()]
    return _eg_rejections(last, seed, employment="labour")


_EG_GIVEN_REST_NOTE = ("holds the other plants where they are and draws the sector against their employment shares "
                       "(EG's x taken as known), but those shares are themselves a sample (here about 550 plants in "
                       "11 other sectors; 1,500 in the hand world): the observed G carries their sampling noise and "
                       "the null does not, so it rejects more often than its nominal 5%. The default null (random "
                       "location) permutes every plant's location and holds its size")
register(Check("eg-dartboard", "EG γ = 0: 60 plants of the sector dropped with the regions' probabilities "
               "among 1,500 plants of 8 other sectors dropped the same way",
               "size", _eg_hand_world, miss_notes={EG_GIVEN_REST: _EG_GIVEN_REST_NOTE}))
register(Check("eg-generator", "EG γ = 0 in agrocluster.data.synthetic (600 plants, 15 regions, all sectors)",
               "size", _eg_generator_world, miss_notes={EG_GIVEN_REST: _EG_GIVEN_REST_NOTE}))


# ---------------------------------------------------------------------------------------------------------
# Agglomeration elasticity
# ---------------------------------------------------------------------------------------------------------

AGGLOMERATION_ELASTICITY = 0.05


def _agglomeration_panel(rng: np.random.Generator, n_regions: int) -> pd.DataFrame:
    """Firms in regions (100 km apart on a line of latitudes), 5 years; log y = β log loc_rt + firm + year
    + region-year shock + noise, loc_rt the region's sector employment (varies by region and year)."""
    firms_per_region, years = 8, 5
    n = n_regions * firms_per_region
    region = np.repeat(np.arange(n_regions), firms_per_region)
    log_loc = rng.normal(5.0, 1.0, n_regions)[:, None] + rng.normal(0, 0.3, (n_regions, years))
    shock = rng.normal(0, 0.05, (n_regions, years))
    firm_effect = rng.normal(0, 0.3, n)
    year_effect = rng.normal(0, 0.1, years)
    rows = np.arange(n * years)
    i, t = rows // years, rows % years
    r = region[i]
    log_y = (AGGLOMERATION_ELASTICITY * log_loc[r, t] + firm_effect[i] + year_effect[t] + shock[r, t]
             + rng.normal(0, 0.1, rows.size))
    return pd.DataFrame({"firm_id": i, "year": 2015 + t, "region": r.astype(str),
                         "lat": -30.0 + 0.9 * r + rng.normal(0, 0.05, n)[i], "lon": -70.0 + rng.normal(0, 0.05, n)[i],
                         "loc": np.exp(log_loc[r, t]), "y": np.exp(log_y)})


def _agglomeration_world(rng: np.random.Generator, seed: int) -> dict[str, float]:
    from agrocluster.agglomeration import estimate_agglomeration

    df = _agglomeration_panel(rng, 40)
    out = {}
    for label, options in {"CRV1 by region": {"vcov": "CRV1"},
                           "Conley 50 km": {"vcov": "conley", "conley_cutoff_km": 50.0}}.items():
        res = estimate_agglomeration(df, "y", "loc", logs=True, seed=seed, **options)
        out[label] = float(_covered(res.ci_low["loc"], res.ci_high["loc"], AGGLOMERATION_ELASTICITY))
    return out


#: Wild cluster bootstrap replications: as many as the reports draw (``agglomeration.wild_bootstrap``).
WILD_BOOTSTRAP = _report_draws(AgglomerationOptions, "wild_bootstrap")


def _wild_world(rng: np.random.Generator, seed: int) -> dict[str, float]:
    """12 regions (few clusters): the outcome is divided by loc^β, so the true elasticity is 0 and the wild
    cluster bootstrap p-value of H0: β = 0 is tested at its true value."""
    from agrocluster.agglomeration import estimate_agglomeration

    df = _agglomeration_panel(rng, 12)
    df["y"] = df["y"] / df["loc"] ** AGGLOMERATION_ELASTICITY
    res = estimate_agglomeration(df, "y", "loc", logs=True, wild_bootstrap=WILD_BOOTSTRAP, seed=seed)
    return {"wild cluster bootstrap (WCR)": float(res.wild["wild_p"].iloc[0] <= NOMINAL_SIZE),
            "CRV1 t-test, 12 clusters": float(res.pvalue["loc"] <= NOMINAL_SIZE)}


register(Check("agglomeration-40-regions", "log y = 0.05 log loc + firm + year + region-year shock; 40 regions "
               "× 8 firms × 5 years, regions 100 km apart", "coverage", _agglomeration_world))
register(Check("agglomeration-12-regions", "as above with 12 regions, true elasticity 0 (test at the truth)",
               "size", _wild_world,
               {"CRV1 t-test, 12 clusters": "few clusters: CRV1 over-rejects, which is why the reports switch "
                                            "to the wild cluster bootstrap below 30 regions"}))


# ---------------------------------------------------------------------------------------------------------
# Production functions (TFP)
# ---------------------------------------------------------------------------------------------------------

TFP_METHODS = ("ols", "fe", "op", "lp", "acf")
#: Block-bootstrap draws per world: as many as the reports draw (``productivity.bootstrap``).
TFP_BOOTSTRAP = _report_draws(ProductivityOptions, "bootstrap")


def _tfp_world(rng: np.random.Generator, seed: int) -> dict[str, float]:
    """The library's generator (200 plants a year, 6 years, value added): share of the two value-added
    elasticities (labour, capital) inside the 95% interval, per method, fitted as notebook 03 fits them:
    OP, LP and ACF with block-bootstrap SEs; OLS and FE with their analytic SEs clustered by firm (their
    misses come from bias, which a bootstrap of the same estimator does not remove, and their bootstrap
    through pyfixest would triple the study's run time)."""
    from agrocluster.data.contracts import positive_for_logs
    from agrocluster.data.synthetic import generate_cluster
    from agrocluster.productivity.workflow import fit_methods, production_spec, truth_coefficients

    # Few firm links: with 200 plants the default links cannot always be drawn, and this check does not use them.
    world = generate_cluster(seed=seed, n_firms=200, n_years=6, n_regions=10, n_partners=5, links_per_firm=0.5,
                             inside_link_share=0.0)
    spec = production_spec(world.establishments, TFP_METHODS, value_added=True)
    df = positive_for_logs(world.establishments, spec.log_columns)[0]
    linear = fit_methods(df, spec, ("ols", "fe"), bootstrap=0, seed=seed)
    proxy = fit_methods(df, spec, ("op", "lp", "acf"), bootstrap=TFP_BOOTSTRAP, seed=seed)
    truth = truth_coefficients(world.truth["production"], spec)
    out = {}
    for name, result in {**linear.results, **proxy.results}.items():
        table = result.table().set_index("term")
        terms = [t for t in truth if t in table.index]
        out[name.upper()] = float(np.mean(_covered(table.loc[terms, "ci_low"], table.loc[terms, "ci_high"],
                                                   [truth[t] for t in terms])))
    return out


register(Check("tfp-generator", "agrocluster.data.synthetic: 200 plants × 6 years, value added; productivity "
               "AR(1) (ρ = 0.7) with inputs chosen on it (labour adjusts partly within the year, wages AR(1)), "
               f"the agglomeration premium realised with sales; OP/LP/ACF block bootstrap over firms, "
               f"{TFP_BOOTSTRAP} draws, Markov polynomial of degree 3 as the reports; OLS/FE CRV1 by firm",
               "coverage", _tfp_world,
               {"OLS": "biased by simultaneity (inputs respond to productivity): the interval is centred off the "
                       "truth",
                "FE": "productivity is AR(1), not a fixed effect: within-firm input changes respond to its "
                      "shocks, so neither FE's estimate nor its CRV1 interval is built for this process",
                "OP": "investment is zero for part of the plants (those rows leave OP's sample) and adjusts with a "
                      "lag, so the inversion recovers productivity imperfectly",
                "LP": "biased here: labour is chosen with the same information as materials, so LP's first "
                      "stage cannot separate it (the functional-dependence problem of Ackerberg, Caves & Frazer "
                      "2015)",
                "ACF": "conservative: with 200 plants a few of the 199 draws land far from the others (another root "
                       "of the resampled criterion, or a draw that drifts off), and the standard error is the "
                       "standard deviation of the draws, as Stata prodest reports it, so those draws widen the "
                       "interval (measured on 12 worlds: the SD was 0.9–130 times, median 1.25 times, the draws' "
                       "interquartile range / 1.349); read the interval as wider than it needs to be, more so in "
                       "small samples"}))


# ---------------------------------------------------------------------------------------------------------
# Staggered DiD
# ---------------------------------------------------------------------------------------------------------

DID_EFFECTS = (0.05, 0.10, 0.15, 0.20)
#: Multiplier-bootstrap draws for the uniform bands: as many as the reports draw (``programme.bootstrap``).
DID_BOOTSTRAP = _report_draws(Programme, "bootstrap")


def _did_world(rng: np.random.Generator, seed: int, cohort_size: int | None = None) -> dict[str, float]:
    """600 units, 2001–2006, cohorts 2003 and 2005 and never treated (a third each; or ``cohort_size`` units
    in each cohort), parallel trends, ATT by event time 0.05, 0.10, 0.15, 0.20; unit effects correlated with
    the cohort; AR(1) errors."""
    from agrocluster.programmes.did import staggered_did

    n, years = 600, np.arange(2001, 2007)
    if cohort_size is None:
        cohort = rng.choice(np.array([0, 2003, 2005]), n)
    else:
        cohort = rng.permutation(np.repeat([2003, 2005, 0], [cohort_size, cohort_size, n - 2 * cohort_size]))
    unit_effect = rng.normal(0, 1, n) + 0.3 * (cohort > 0)
    trend = rng.normal(0, 0.1, years.size).cumsum()
    e = np.empty((n, years.size))
    e[:, 0] = rng.normal(0, 0.2, n)
    for t in range(1, years.size):
        e[:, t] = 0.5 * e[:, t - 1] + rng.normal(0, 0.2 * np.sqrt(0.75), n)
    event = years[None, :] - cohort[:, None]
    treated = (cohort[:, None] > 0) & (event >= 0)
    effect = np.where(treated, np.asarray(DID_EFFECTS)[np.clip(event, 0, len(DID_EFFECTS) - 1)], 0.0)
    y = unit_effect[:, None] + trend[None, :] + effect + e
    df = pd.DataFrame({"unit": np.repeat(np.arange(n), years.size), "year": np.tile(years, n),
                       "first_treated": np.repeat(cohort, years.size), "y": y.ravel()})
    res = staggered_did(df, "y", "unit", "year", "first_treated", seed=seed, bootstrap=DID_BOOTSTRAP)
    att = res.att_gt
    true_gt = np.where(att["time"] >= att["group"],
                       np.asarray(DID_EFFECTS)[np.clip(att["time"] - att["group"], 0, len(DID_EFFECTS) - 1)], 0.0)
    true_event = {e: DID_EFFECTS[min(e, len(DID_EFFECTS) - 1)] if e >= 0 else 0.0 for e in range(-4, 4)}
    half = 1.959964 * att["se"]
    out = {"ATT(g,t) pointwise": float(np.mean(_covered(att["att"] - half, att["att"] + half, true_gt))),
           "ATT(g,t) uniform band": float(np.all(_covered(att["ci_lower"], att["ci_upper"], true_gt)))}
    post = att["time"] >= att["group"]
    group_sizes = pd.Series(cohort[cohort > 0]).value_counts()
    simple_truth = np.average(true_gt[post], weights=group_sizes.reindex(att.loc[post, "group"]).to_numpy())
    simple = res.aggregate("simple")
    out["simple ATT"] = float(_covered(simple.ci_lower, simple.ci_upper, simple_truth))
    dynamic = res.aggregate("dynamic")
    table = dynamic.table
    out["event-study ATT(e), band"] = float(np.all(_covered(table["ci_lower"], table["ci_upper"],
                                                           [true_event[e] for e in table["event_time"]])))
    group = res.aggregate("group")
    gt = group.table
    g_truth = [np.mean([DID_EFFECTS[min(t - g, 3)] for t in years if t >= g]) for g in gt["group"]]
    out["ATT by cohort, band"] = float(np.all(_covered(gt["ci_lower"], gt["ci_upper"], g_truth)))
    out["pre-trend Wald test"] = float(res.pretest_pvalue <= NOMINAL_SIZE)
    out[PRETREND_SUP_T] = float(res.pretrend_pvalue <= NOMINAL_SIZE)  # untested (NaN) is not a rejection
    return out


# The pre-trend test the reports read (credibility); the chi-squared Wald test is R did's, shown for comparison.
PRETREND_SUP_T = "pre-trend sup-t test (reports)"
_PRETESTS = ("pre-trend Wald test", PRETREND_SUP_T)


register(Check("did-staggered", "staggered adoption, 600 units × 6 years, cohorts 2003/2005/never, parallel trends",
               "coverage", _did_world, size_methods=_PRETESTS))
register(Check("did-small-cohorts", "as above with 4 treated units in each of the two cohorts (596 never treated)",
               "coverage", lambda rng, seed: _did_world(rng, seed, cohort_size=4),
               {"pre-trend Wald test": "the chi-squared Wald pre-test (as R did) over-rejects with tiny cohorts: "
                                       "its covariance of the pre-period ATTs is estimated from 4 units a cohort; "
                                       "the reports read the sup-t test instead",
                "ATT(g,t) pointwise": "4 units a cohort: the influence-function variance is estimated from 4 "
                                      "units, so normal intervals are too narrow",
                PRETREND_SUP_T: "conservative by construction: each cell is referred to Student's t with "
                                "min(n_g, n_c) − 1 = 3 df (Hsu 1938), which keeps the size at most 5% whatever the "
                                "variance ratio; a rejection means what it says, but with 4 units a cohort the test "
                                "has little power, so not rejecting is weak evidence of parallel trends"},
               size_methods=_PRETESTS))


# ---------------------------------------------------------------------------------------------------------
# PPML gravity
# ---------------------------------------------------------------------------------------------------------

GRAVITY = {"ln_distance": -1.0, "contiguity": 0.5, "rta": 0.4}


def _gravity_world(rng: np.random.Generator, seed: int) -> dict[str, float]:
    """25 countries × 3 years, exporter-year and importer-year effects, flows exp(x'b + FE) times a gamma
    multiplicative error (variance 0.5), pair-level heterogeneity absent; zeros from small flows rounding."""
    from agrocluster.exports.gravity_model import gravity

    n, years = 25, (2018, 2019, 2020)
    xy = rng.uniform(0, 5000, (n, 2))
    dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) + 100
    contig = (dist < 900).astype(float)
    rta = (rng.random((n, n)) < 0.2).astype(float)
    rta = np.maximum(rta, rta.T)
    rows = []
    for year in years:
        exp_fe, imp_fe = rng.normal(0, 1.0, n), rng.normal(0, 1.0, n)
        for i in range(n):
            for j in range(n):
                if i != j:
                    mu = np.exp(8.0 + exp_fe[i] + imp_fe[j] + GRAVITY["ln_distance"] * np.log(dist[i, j])
                                + GRAVITY["contiguity"] * contig[i, j] + GRAVITY["rta"] * rta[i, j])
                    rows.append((i, j, year, np.log(dist[i, j]), contig[i, j], rta[i, j], mu))
    df = pd.DataFrame(rows, columns=["exporter", "importer", "year", "ln_distance", "contiguity", "rta", "mu"])
    df["value"] = np.round(df["mu"] * rng.gamma(2.0, 0.5, len(df)), 1)
    df["exp_year"] = df["exporter"].astype(str) + "_" + df["year"].astype(str)
    df["imp_year"] = df["importer"].astype(str) + "_" + df["year"].astype(str)
    res = gravity(df, "value ~ ln_distance + contiguity + rta | exp_year + imp_year")
    terms = list(GRAVITY)
    return {"PPML, heteroskedasticity-robust": float(np.mean(_covered(
        res.conf_int.loc[terms, "low"], res.conf_int.loc[terms, "high"], [GRAVITY[t] for t in terms])))}


# Diagnosed on this DGP (80 worlds): the estimates are centred (mean bias below 0.01 on every term) but scatter
# 1.3–1.6 times the robust SE (pyfixest's HC1 matches a hand sandwich with dummies, so the SE is computed as
# fixest/ppmlhdfe compute it); with Poisson-distributed flows on the same design the SE matches the scatter.
_PPML_MISS = ("centred (mean bias < 0.01) but the heteroskedasticity-robust SE is biased downward: the estimates "
              "scatter 1.3–1.6 times the SE here. Weidner & Zylkin (2021, J. Int. Econ.) show that the sandwich "
              "variance of two-way (exporter-year, importer-year) PPML is biased downward, of order 1/N with N "
              "countries (their Stata ppml_fe_bias corrects it; fixest and ppmlhdfe do not); with gamma errors the "
              "variance grows with the squared mean, so the few largest flows carry the estimate and the bias is "
              "large (with Poisson-distributed flows on the same design the SE matches the scatter). Read the "
              "interval as too narrow, by about a third, with few countries")
register(Check("ppml-gravity", "PPML gravity, 25 countries × 3 years, exporter-year + importer-year effects, "
               "gamma errors", "coverage", _gravity_world, {"PPML, heteroskedasticity-robust": _PPML_MISS}))


# ---------------------------------------------------------------------------------------------------------
# Member premium
# ---------------------------------------------------------------------------------------------------------

MEMBER_PREMIUM = 0.08


def _premium_world(rng: np.random.Generator, seed: int) -> dict[str, float]:
    """300 firms × 6 years in 5 sectors; ω = 0.08 member + sector-year effect + firm effect (sd 0.2) + AR(1)
    noise; membership fixed per firm (40%)."""
    from agrocluster.productivity.uses import productivity_premium

    n, years = 300, 6
    member = rng.random(n) < 0.4
    sector = rng.integers(0, 5, n)
    cell = rng.normal(0, 0.2, (5, years))
    e = np.empty((n, years))
    e[:, 0] = rng.normal(0, 0.15, n)
    for t in range(1, years):
        e[:, t] = 0.6 * e[:, t - 1] + rng.normal(0, 0.12, n)
    omega = MEMBER_PREMIUM * member[:, None] + cell[sector] + rng.normal(0, 0.2, n)[:, None] + e
    df = pd.DataFrame({"firm_id": np.repeat(np.arange(n), years), "year": np.tile(2015 + np.arange(years), n),
                       "sector": np.repeat(sector, years).astype(str), "cluster_member": np.repeat(member, years),
                       "omega": omega.ravel()})
    res = productivity_premium(df, "omega")
    half = 1.959964 * res.se
    return {"premium, CRV1 by firm": float(_covered(res.premium - half, res.premium + half, MEMBER_PREMIUM))}


register(Check("member-premium", "ω = 0.08·member + sector×year + firm effect + AR(1) noise; 300 firms × 6 years",
               "coverage", _premium_world))


# ---------------------------------------------------------------------------------------------------------
# The study
# ---------------------------------------------------------------------------------------------------------


def world_seed(seed: int, key: str, world: int) -> np.random.SeedSequence:
    """The seed of one world: the study seed, the check's key and the world's number."""
    return np.random.SeedSequence([int(seed), zlib.crc32(key.encode()), int(world)])


def run_world(key: str, world: int, seed: int = DEFAULT_SEED) -> dict[str, float]:
    """Run one world of a registered check (seeded by :func:`world_seed`)."""
    sequence = world_seed(seed, key, world)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CHECKS[key].world(np.random.default_rng(sequence), int(sequence.generate_state(1)[0]))


def _run_task(task: tuple[str, int, int]) -> tuple[str, int, dict[str, float] | str]:
    key, world, seed = task
    try:
        return key, world, run_world(key, world, seed)
    except (AgroclusterError, ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        # a world whose estimator fails is counted and listed in the study's failures, never hidden
        return key, world, f"{type(exc).__name__}: {exc}"


def _verdict(kind: str, value: float) -> str:
    lo, hi = COVERAGE_BAND if kind == "coverage" else SIZE_BAND
    if not np.isfinite(value):
        return "not measured"
    if value < lo:
        return "too narrow" if kind == "coverage" else "under-rejects"
    if value > hi:
        return "too wide" if kind == "coverage" else "over-rejects"
    return "within"


def summarise(check: Check, values: Mapping[str, Sequence[float]], failed: int = 0) -> pd.DataFrame:
    """The table rows of one check from its per-world values (method → one value per world)."""
    rows = []
    for method, vals in values.items():
        v = np.asarray(vals, dtype=float)
        kind = check.kind_of(method)
        mean = float(v.mean()) if v.size else float("nan")
        se = float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else float("nan")
        verdict = _verdict(kind, mean)
        note = check.miss_notes.get(method, UNDIAGNOSED) if verdict != "within" else ""
        if failed:
            note = f"{note}; {failed} world(s) failed" if note else f"{failed} world(s) failed"
        rows.append({"check": check.key, "method": method, "dgp": check.dgp, "kind": kind, "worlds": int(v.size),
                     "nominal": NOMINAL_COVERAGE if kind == "coverage" else NOMINAL_SIZE, "coverage": mean,
                     "mc_se": se, "verdict": verdict, "note": note})
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


@dataclasses.dataclass
class CoverageStudy:
    """Result of :func:`run_study`.

    Attributes
    ----------
    table : DataFrame
        One row per check × method: ``check, method, dgp, kind, worlds, nominal, coverage, mc_se, verdict,
        note`` (``coverage`` is the rejection rate for ``kind == "size"``) and the row's provenance ``seed,
        code_version, date``.
    failures : DataFrame
        ``check, world, error`` of worlds whose estimator raised (they are left out of ``worlds``).
    params : dict
        ``worlds, seed, checks, jobs``.
    seconds : dict
        Wall time per check.
    started : dict
        Code version and UTC date when the study started (the code that produced it).
    """

    table: pd.DataFrame
    failures: pd.DataFrame
    params: dict
    seconds: dict
    started: dict

    def display(self) -> pd.DataFrame:
        """The table as a report shows it: coverage and MC SE in per cent."""
        out = self.table[["method", "dgp", "worlds", "nominal", "coverage", "mc_se", "verdict", "note"]].copy()
        for col in ("nominal", "coverage", "mc_se"):
            out[col] = (100 * out[col]).map("{:.1f}".format)
        return out.rename(columns={"nominal": "nominal %", "coverage": "coverage or size %", "mc_se": "MC SE %"})


def study_code_version() -> dict:
    """:func:`agrocluster.record.code_version`, with ``dirty`` counting changes to code only: a study written into
    ``data/`` (as ``--only`` does after each check) does not make the code that produced the next check dirty."""
    import subprocess

    from agrocluster import paths
    from agrocluster.record import code_version

    info = code_version()
    if info.get("dirty"):
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)data"],
                                cwd=paths.project_root(), capture_output=True, text=True, timeout=10, check=False)
        if status.returncode == 0:
            info["dirty"] = bool(status.stdout.strip())
    return info


def run_study(worlds: int = DEFAULT_WORLDS, seed: int = DEFAULT_SEED, checks: Sequence[str] | None = None,
              jobs: int = 1) -> CoverageStudy:
    """Run every check (or ``checks``) over ``worlds`` simulated worlds.

    Parameters
    ----------
    worlds : int
        Simulated worlds per check (the full study uses 200: MC SE about 1.5 points at 95%).
    seed : int
        Study seed; world w of check c is seeded by ``(seed, c, w)`` (:func:`world_seed`).
    checks : sequence of str, optional
        Keys of :data:`CHECKS` (default: all).
    jobs : int
        Worker processes (``multiprocessing``, one BLAS thread each); 1 runs in this process.
    """
    started_at = {"code_version": study_code_version(),
                  "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    keys = list(checks) if checks is not None else list(CHECKS)
    unknown = [k for k in keys if k not in CHECKS]
    if unknown:
        raise ParamsError(f"unknown coverage check(s) {unknown}; known: {', '.join(CHECKS)}")
    if int(worlds) < 2:
        raise ParamsError(f"worlds={worlds!r}: at least 2 worlds are needed for a Monte Carlo SE")
    tasks = [(k, w, int(seed)) for k in keys for w in range(int(worlds))]
    results: dict[str, dict[int, dict[str, float] | str]] = {k: {} for k in keys}
    started = {k: time.perf_counter() for k in keys}
    seconds: dict[str, float] = {}
    if jobs > 1:
        import multiprocessing

        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
            os.environ.setdefault(name, "1")
        with multiprocessing.get_context("fork").Pool(int(jobs)) as pool:
            for key, world, value in pool.imap_unordered(_run_task, tasks, chunksize=1):
                results[key][world] = value
                if len(results[key]) == int(worlds):
                    seconds[key] = time.perf_counter() - started[key]
    else:
        for task in tasks:
            key, world, value = _run_task(task)
            results[key][world] = value
            if len(results[key]) == int(worlds):
                seconds[key] = time.perf_counter() - started[key]
                started.update({k: time.perf_counter() for k in keys if k not in seconds})
    tables, failures = [], []
    for key in keys:
        per_method: dict[str, list[float]] = {}
        failed = 0
        for world in sorted(results[key]):
            value = results[key][world]
            if isinstance(value, str):
                failures.append({"check": key, "world": world, "error": value})
                failed += 1
                continue
            for method, v in value.items():
                per_method.setdefault(method, []).append(v)
        tables.append(summarise(CHECKS[key], per_method, failed))
    table = pd.concat(tables, ignore_index=True).assign(seed=int(seed),
                                                          code_version=_version_label(started_at["code_version"]),
                                                          date=started_at["date"])
    params = {"worlds": int(worlds), "seed": int(seed), "checks": keys, "jobs": int(jobs)}
    return CoverageStudy(table, pd.DataFrame(failures, columns=["check", "world", "error"]), params, seconds,
                         started_at)


# ---------------------------------------------------------------------------------------------------------
# The study's file: CSV with its provenance in '#' lines
# ---------------------------------------------------------------------------------------------------------


def provenance(study: CoverageStudy) -> dict:
    """Parameters, code version, package versions, date and run time of a study."""
    from agrocluster.record import package_versions

    return {"params": study.params, "code_version": study.started["code_version"], "packages": package_versions(),
            "python": sys.version.split()[0], "date": study.started["date"],
            "seconds": {k: round(v, 1) for k, v in study.seconds.items()},
            "failed_worlds": len(study.failures)}


def to_csv_text(study: CoverageStudy) -> str:
    """The study as CSV text preceded by ``# provenance: {json}`` (read back by :func:`read_study`)."""
    header = "# provenance: " + json.dumps(provenance(study), sort_keys=True) + "\n"
    return header + study.table.to_csv(index=False, float_format="%.4f")


def _version_label(code: Mapping | None) -> str:
    """``"<commit>"``, ``"<commit>+dirty"`` or ``"unknown"`` from :func:`agrocluster.record.code_version`."""
    commit = (code or {}).get("commit")
    if not commit:
        return "unknown"
    return f"{commit}+dirty" if (code or {}).get("dirty") else str(commit)


def read_study(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """Read a study file written by this module: the table and its provenance.

    A file written before rows carried their provenance gets ``seed, code_version, date`` from its first line
    (the run recorded in ``updated_checks`` for a check rerun since, else the study's own).
    """
    path = Path(path)
    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    if not first.startswith("# provenance: "):
        raise ParamsError(f"{path}: not a coverage study file (its first line must be '# provenance: {{...}}')")
    meta = json.loads(first[len("# provenance: "):])
    table = pd.read_csv(path, comment="#", keep_default_na=False, na_values=[""])
    missing = [c for c in TABLE_COLUMNS if c not in table.columns]
    if missing:
        raise ParamsError(f"{path}: column(s) {missing} missing from the coverage table")
    table["note"] = table["note"].fillna("")
    if not set(ROW_PROVENANCE) <= set(table.columns):
        runs = meta.get("updated_checks", {})
        run = table["check"].map(lambda key: runs.get(key, meta))
        table["seed"] = run.map(lambda m: m.get("params", {}).get("seed"))
        table["code_version"] = run.map(lambda m: _version_label(m.get("code_version")))
        table["date"] = run.map(lambda m: m.get("date"))
    return table[TABLE_COLUMNS + ROW_PROVENANCE], meta


def merge_text(base: tuple[pd.DataFrame, dict], update: tuple[pd.DataFrame, dict]) -> str:
    """A study file whose rows of ``update``'s checks replace ``base``'s (both as read by :func:`read_study`).

    Rows keep their own provenance (``seed, code_version, date``). The first line stays ``base``'s, with
    ``updated_checks`` recording, per replaced check, the provenance of the run that produced its rows
    (parameters, code version, package versions, date, seconds, failed worlds).
    """
    (old, old_meta), (new, new_meta) = base, update
    checks = list(dict.fromkeys(new["check"]))
    order = {key: i for i, key in enumerate([*CHECKS, *old["check"]])}
    table = pd.concat([old[~old["check"].isin(checks)], new], ignore_index=True)
    table = table.sort_values("check", key=lambda col: col.map(order), kind="stable", ignore_index=True)
    run = {k: v for k, v in new_meta.items() if k != "updated_checks"}
    meta = {**old_meta, "updated_checks": {**old_meta.get("updated_checks", {}), **dict.fromkeys(checks, run)}}
    return "# provenance: " + json.dumps(meta, sort_keys=True) + "\n" + table.to_csv(index=False, float_format="%.4f")


def merge_into(path: str | Path, study: CoverageStudy) -> str:
    """The text of ``path`` (an existing study file) with ``study``'s checks replaced, or ``study`` alone when
    ``path`` does not exist yet."""
    path = Path(path)
    update = (study.table, provenance(study))
    return merge_text(read_study(path), update) if path.is_file() else to_csv_text(study)


def markdown_table(table: pd.DataFrame) -> str:
    """The coverage table as Markdown (for README.md): per cent with MC SE, misses explained."""
    lines = ["| Method | DGP | Worlds | Nominal | Coverage / size (MC SE) | Verdict | Note |",
             "|---|---|---|---|---|---|---|"]
    for row in table.itertuples():
        lines.append(f"| {row.method} | {row.dgp} | {row.worlds} | {100 * row.nominal:.0f}% | "
                     f"{100 * row.coverage:.1f}% ({100 * row.mc_se:.1f}) | {row.verdict} | {row.note} |")
    return "\n".join(lines)


def combine(studies: Sequence[CoverageStudy]) -> CoverageStudy:
    """One study from studies of disjoint checks run with the same worlds and seed (provenance of the first)."""
    first = studies[0]
    for other in studies[1:]:
        if (other.params["worlds"], other.params["seed"]) != (first.params["worlds"], first.params["seed"]):
            raise ParamsError("combine: the studies differ in worlds or seed")
    params = {**first.params, "checks": [k for s in studies for k in s.params["checks"]]}
    return CoverageStudy(pd.concat([s.table for s in studies], ignore_index=True),
                         pd.concat([s.failures for s in studies], ignore_index=True), params,
                         {k: v for s in studies for k, v in s.seconds.items()}, first.started)


README_BEGIN = "<!-- coverage table: generated by python -m agrocluster.validation.coverage --readme README.md -->"
README_END = "<!-- end of coverage table -->"


def runs_sentence(table: pd.DataFrame) -> str:
    """Which run produced which rows, from the rows' provenance: "<checks>: run from <first date> (commit …, seed
    …); …", one part per code version and seed (each row's own date is in the file)."""
    runs = (table.assign(date=table["date"].astype(str)).groupby(["code_version", "seed"], sort=False)
            .agg(checks=("check", "unique"), date=("date", "min")).sort_values("date"))
    return "; ".join(f"{', '.join(row.checks)}: run from {row.date} (commit {str(version)[:10]}, seed {seed})"
                     for (version, seed), row in runs.iterrows())


def readme_block(table: pd.DataFrame, meta: Mapping) -> str:
    """The README's coverage block: the provenance of the file's runs in one sentence, then the table."""
    worlds = sorted(set(table["worlds"].astype(int)))
    return (f"{README_BEGIN}\nRows of `data/validation/coverage.csv` ({', '.join(map(str, worlds))} worlds per "
            f"check). {runs_sentence(table)}.\n\n{markdown_table(table)}\n{README_END}")


def write_readme(readme: str | Path, study_file: str | Path) -> str:
    """The text of ``readme`` with the block between :data:`README_BEGIN` and :data:`README_END` regenerated
    from ``study_file``."""
    text = Path(readme).read_text(encoding="utf-8")
    if README_BEGIN not in text or README_END not in text:
        raise ParamsError(f"{readme}: no coverage block (lines {README_BEGIN!r} … {README_END!r})")
    head, rest = text.split(README_BEGIN, 1)
    tail = rest.split(README_END, 1)[1]
    return head + readme_block(*read_study(study_file)) + tail


def _only(values: Sequence[str] | None) -> list[str]:
    keys = [k.strip() for v in values or () for k in v.split(",") if k.strip()]
    unknown = [k for k in keys if k not in CHECKS]
    if unknown:
        raise ParamsError(f"--only: unknown check(s) {unknown}; known: {', '.join(CHECKS)}")
    return keys


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m agrocluster.validation.coverage [--worlds N] [--seed S] [--jobs J] [--only KEY[,KEY]]
    [--output CSV] [--readme README.md]``.

    Without ``--only`` every check runs and the file is rewritten (after each check, so a long run keeps its
    progress). With ``--only`` the named checks run and their rows replace theirs in the existing file, each
    row keeping its own provenance. ``--readme`` regenerates the README's coverage block from the file
    (``--worlds 0 --readme README.md`` only does that).
    """
    from agrocluster import paths
    from agrocluster.record import atomic_write_text

    parser = argparse.ArgumentParser(prog="python -m agrocluster.validation.coverage",
                                     description="Coverage of the reports' intervals in simulated worlds.")
    parser.add_argument("--worlds", type=int, default=DEFAULT_WORLDS, help="worlds per check (0: run nothing)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--only", action="append", metavar="KEY[,KEY]",
                        help="rerun only these checks and merge their rows into the existing file (repeatable); "
                             f"keys: {', '.join(CHECKS)}")
    parser.add_argument("--output", default=None, help="CSV path (default data/validation/coverage.csv)")
    parser.add_argument("--readme", default=None, help="regenerate this README's coverage block from the file")
    args = parser.parse_args(argv)
    target = Path(args.output) if args.output else paths.project_root() / "data" / "validation" / "coverage.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    keys = _only(args.only)
    failures = []
    if args.worlds:
        studies = []
        for key in keys or list(CHECKS):
            study = run_study(args.worlds, args.seed, [key], args.jobs)
            studies.append(study)
            failures.append(study.failures)
            text = merge_into(target, study) if keys else to_csv_text(combine(studies))
            atomic_write_text(target, text)
            print(f"{key}: {study.seconds[key]:.0f} s", file=sys.stderr, flush=True)
        print(markdown_table(read_study(target)[0]))
        print(f"\nwritten: {target}")
    if args.readme:
        atomic_write_text(Path(args.readme), write_readme(args.readme, target))
        print(f"coverage table regenerated in {args.readme}", file=sys.stderr)
    for table in failures:
        for row in table.itertuples():
            print(f"failed world {row.check}#{row.world}: {row.error}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
