"""The result protocol holds for every public estimator result (agrocluster.results).

The walk enumerates the public names (``__all__``) of the estimator modules, so a new public result class or
a new estimator returning one fails here until it follows the protocol and has a small case below.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil

import numpy as np
import pandas as pd
import pytest

from agrocluster import agglomeration as ag
from agrocluster import concentration as conc
from agrocluster import exports
from agrocluster import linkages as lk
from agrocluster import productivity as prod
from agrocluster import programmes as prog
from agrocluster import results as R
from agrocluster import synthesis as syn
from agrocluster.concentration import mapping as cmap
from agrocluster.data.synthetic import generate_cluster
from agrocluster.exports import firms, markets

ESTIMATOR_PACKAGES = ("concentration", "productivity", "programmes", "exports")
ESTIMATOR_MODULES = ("agglomeration", "linkages", "synthesis")

# Public dataclasses that are not estimates: decisions, samples, specifications, containers of results.
NOT_RESULTS = {
    "Feasibility": "which mapping analyses the data allow (a decision, not an estimate)",
    "KdSample": "the subsample a Kd estimate is run on",
    "SpecificationSet": "three AgglomerationResults of one outcome (each follows the protocol)",
    "ProductionSpec": "the columns of a production function",
    "MethodFits": "TFPResults by method (each follows the protocol)",
    "ResultsCollection": "the results.json files read back (data, not an estimate)",
}


def _modules():
    names = [f"agrocluster.{m}" for m in ESTIMATOR_MODULES]
    for package in ESTIMATOR_PACKAGES:
        pkg = importlib.import_module(f"agrocluster.{package}")
        names.append(pkg.__name__)
        names += [f"{pkg.__name__}.{m.name}" for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_")]
    return [importlib.import_module(n) for n in names]


def _public(module):
    return {name: getattr(module, name) for name in getattr(module, "__all__", ())}


def public_result_classes() -> dict[str, type]:
    found = {}
    for module in _modules():
        for name, obj in _public(module).items():
            if inspect.isclass(obj) and dataclasses.is_dataclass(obj) and name not in NOT_RESULTS:
                found[name] = obj
    return found


def public_estimators() -> dict[str, object]:
    """Public functions whose return annotation names a public result class."""
    classes = public_result_classes()
    found = {}
    for module in _modules():
        for name, obj in _public(module).items():
            if inspect.isfunction(obj):
                returned = str(inspect.signature(obj).return_annotation)
                if any(returned == c or returned.endswith(f".{c}") for c in classes):
                    found[name] = obj
    return found


# ------------------------------------------------------------------------------------ small synthetic cases


@pytest.fixture(scope="module")
def cluster():
    return generate_cluster(seed=3, n_firms=300, n_years=6)


def _est(cluster):
    est = cluster.establishments.copy()
    est["log_va"] = np.log(est["value_added"])
    est["loc"] = np.log1p(est.groupby(["region", "sector", "year"])["labour"].transform("sum"))
    est["entry"] = est["programme_entry_year"].fillna(0).astype(int)
    return est


def _flows(cluster):
    flows = cluster.trade_flows.copy()
    flows["ln_distance"] = np.log(flows["distance"])
    return flows


def _io():
    sectors = ["agri", "food", "services"]
    z = pd.DataFrame([[10.0, 40.0, 5.0], [5.0, 10.0, 20.0], [10.0, 15.0, 30.0]], index=sectors, columns=sectors)
    return z, pd.Series([200.0, 250.0, 300.0], index=sectors)


def _food():
    rows = [(c, item, 2020, q, 1.0) for c, qs in {"CHL": (10, 30), "FRA": (40, 20), "ITA": (50, 50)}.items()
            for item, q in zip(("2655", "2620"), qs, strict=True)]
    cp = pd.DataFrame(rows, columns=["country", "item", "year", "production", "exports"])
    return cp.assign(item_name=cp["item"].map({"2655": "Wine", "2620": "Grapes"}), area_name=cp["country"])


def _headlines():
    rows = [(c, c.upper(), "03_productivity", "member_tfp_premium", "premium", "log points", v, s)
            for c, v, s in (("aa", 0.3, 0.05), ("bb", 0.1, 0.05), ("cc", 0.2, np.nan))]
    return pd.DataFrame(rows, columns=["cluster_id", "cluster_name", "notebook", "key", "label", "unit", "value", "se"])


def _collection():
    heads = _headlines()
    runs = pd.DataFrame({"cluster_id": ["aa", "bb", "cc"], "notebook": "03_productivity", "started": "2026-12-01",
                         "failed_last_run": False, "file": "x", "sha256": "0"})
    sources = pd.DataFrame({"cluster_id": ["aa", "bb", "cc"], "notebook": "03_productivity",
                            "table": "establishments", "source": "synthetic", "kind": "synthetic"})
    return syn.ResultsCollection(heads, runs, sources)


def _kd_points(cluster):
    return cluster.establishments.drop_duplicates("firm_id").head(60)


def _sector(cluster):
    return cluster.establishments["sector"].value_counts().index[0]


def _agg(est):
    return ag.estimate_agglomeration(est, "log_va", "loc", fe=("firm_id", "year"), cluster="region")


CASES = {
    "kdensity": lambda c: conc.kdensity(
        _kd_points(c), _sector(c), n_draws=19, seed=1),
    "m_function": lambda c: conc.m_function(
        _kd_points(c), _sector(c), n_draws=19, seed=1),
    "coagglomeration": lambda c: conc.coagglomeration(
        c.establishments.query("year == year.max()").assign(employment=lambda d: d["labour"]),
        list(c.establishments["sector"].value_counts().index[:2])),
    "shift_share": lambda c: conc.shift_share(
        c.regional_employment, str(c.regional_employment["region"].iloc[0]),
        int(c.regional_employment["year"].min()), int(c.regional_employment["year"].max())),
    "production_standing": lambda c: cmap
    .production_standing(_food(), "CHL", 2655),
    "estimate_agglomeration": lambda c: _agg(_est(c)),
    "sorting_check": lambda c: ag.sorting_check(
        _est(c), "log_va", "loc", fe=("year", "firm_id")),
    "core_move_gain": lambda c: ag.core_move_gain(
        _est(c).assign(m=lambda d: np.exp(d["loc"]), core=lambda d: d["cluster_member"].astype(bool)),
        "m", "core", _agg(_est(c)), term="loc"),
    "estimate_tfp": lambda c: prod.estimate_tfp(
        c.establishments, "value_added", "labour", "capital", method="ols"),
    "productivity_premium": lambda c: prod.productivity_premium(
        c.establishments.assign(tfp=np.log(c.establishments["value_added"] / c.establishments["labour"])), "tfp"),
    "staggered_did": lambda c: prog.staggered_did(
        _est(c), "log_va", "firm_id", "year", "entry", seed=1),
    "twfe_did": lambda c: prog.twfe_did(
        _est(c), "log_va", "firm_id", "year", "entry"),
    "event_study": lambda c: prog.event_study(
        _est(c), "log_va", "firm_id", "year", "entry"),
    "spillover_effects": lambda c: prog.spillover_effects(
        _est(c), "log_va", "firm_id", "year", "entry", bands=(0.0, 25.0, 100.0)),
    "gravity": lambda c: exports.gravity(
        _flows(c), "value ~ ln_distance + rta | exporter + importer^year"),
    "gravity_by_sector": lambda c: exports.gravity_by_sector(
        _flows(c), "value ~ ln_distance + rta | exporter + importer^year", on_error="record"),
    "export_participation": lambda c: firms.export_participation(
        c.establishments, fe=("year",)),
    "export_spillovers": lambda c: firms.export_spillovers(
        c.establishments, radius_km=25.0),
    "competitor_table": lambda c: markets.competitor_table(
        _flows(c), str(_flows(c)["product"].iloc[0]), int(_flows(c)["year"].max()), int(_flows(c)["year"].min())),
    "destination_structure": lambda c: markets
    .destination_structure(_flows(c), "CHL", int(_flows(c)["year"].max())),
    "hummels_klenow": lambda c: markets.hummels_klenow(
        _flows(c), "CHL", int(_flows(c)["year"].max())),
    "unit_values": lambda c: markets.unit_values(_flows(c)),
    "growth_decomposition": lambda c: markets
    .growth_decomposition(_flows(c), "CHL", int(_flows(c)["year"].min()), int(_flows(c)["year"].max())),
    "export_risk": lambda c: markets.export_risk(
        _flows(c), "CHL", int(_flows(c)["year"].max())),
    "stress_scenario": lambda c: markets.stress_scenario(
        _flows(c), "CHL", int(_flows(c)["year"].max()), establishments=c.establishments
        .assign(year=int(_flows(c)["year"].max()))),
    "link_shares": lambda c: lk.link_shares(
        c.firm_links, c.establishments),
    "network_metrics": lambda c: lk.network_metrics(
        c.firm_links, c.establishments),
    "rasmussen_hirschman": lambda c: lk.rasmussen_hirschman(*_io()),
    "link_orientation": lambda c: lk.link_orientation(c.firm_links, c.establishments, draws=49, seed=1),
    "joint_action": lambda c: lk.joint_action(
        c.firm_links, _est(c).assign(log_tfp=lambda d: d["log_va"]), ("log_tfp",)),
    "rank_clusters": lambda c: syn.rank_clusters(
        _headlines(), "member_tfp_premium", draws=200, seed=1),
    "synthesise": lambda c: syn.synthesise(_collection()),
}

# Result classes reached from another result rather than from a public function.
DERIVED = {
    "DiDAggregate": lambda c: CASES["staggered_did"](c).aggregate("dynamic"),
    "DistanceDecayResult": None,  # from distance_decay: test_derived_results_follow_the_protocol builds its bands
}


def test_every_public_result_class_adopts_the_protocol():
    classes = public_result_classes()
    assert len(classes) >= 30, sorted(classes)  # the walk found the packages' results
    lacking = sorted(n for n, cls in classes.items() if not issubclass(cls, R.ResultProtocol))
    assert lacking == [], f"public result classes without agrocluster.results.ResultProtocol: {lacking}"
    no_tidy = sorted(n for n, cls in classes.items() if cls.tidy is R.ResultProtocol.tidy)
    assert no_tidy == [], f"result classes that do not implement tidy(): {no_tidy}"


def test_every_public_estimator_has_a_small_case_here():
    estimators = set(public_estimators())
    assert {"estimate_tfp", "gravity", "staggered_did", "kdensity", "link_shares"} <= estimators
    missing = sorted(estimators - set(CASES) - {"distance_decay", "agglomeration_specifications"})
    assert missing == [], f"public estimators returning a result with no protocol case in this test: {missing}"


def check_protocol(result) -> None:
    name = type(result).__name__
    tidy = result.tidy()
    assert isinstance(tidy, pd.DataFrame) and tuple(tidy.columns) == R.TIDY_COLUMNS, (name, list(tidy.columns))
    assert pd.api.types.is_string_dtype(tidy["term"]), name
    for column in R.TIDY_COLUMNS[1:]:
        assert tidy[column].dtype == np.float64, (name, column, tidy[column].dtype)
    assert not tidy["term"].duplicated().any(), (name, tidy["term"][tidy["term"].duplicated()].tolist())
    finite = tidy[["conf_low", "estimate", "conf_high"]].notna().all(axis=1)
    f = tidy[finite]
    assert (f["conf_low"] <= f["estimate"] + 1e-12).all() and (f["estimate"] <= f["conf_high"] + 1e-12).all(), name
    has_se = tidy["std_error"].notna()
    assert (tidy.loc[has_se, "std_error"] >= 0).all(), name
    summary = result.summary()
    assert isinstance(summary, pd.DataFrame), (name, type(summary))
    excluded = result.excluded
    assert isinstance(excluded, pd.DataFrame) and tuple(excluded.columns[:3]) == R.EXCLUDED_COLUMNS, (
        name, list(excluded.columns))
    assert excluded["n"].dtype == np.int64 and (excluded["n"] >= 0).all(), name
    assert isinstance(result.nobs, int) and not isinstance(result.nobs, bool) and result.nobs >= 0, (name, result.nobs)
    # the derived accessors agree with tidy()
    assert result.estimates().to_numpy(dtype=float) == pytest.approx(tidy["estimate"].to_numpy(), nan_ok=True)
    assert list(result.confint().columns) == ["conf_low", "conf_high"]
    assert isinstance(result.fixed_effects(), tuple) and isinstance(result.fit_statistics(), dict)


@pytest.mark.parametrize("estimator", sorted(CASES))
def test_protocol_holds_on_a_small_case(cluster, estimator):
    result = CASES[estimator](cluster)
    assert isinstance(result, tuple(public_result_classes().values())), type(result)
    check_protocol(result)


def test_derived_results_follow_the_protocol(cluster):
    check_protocol(DERIVED["DiDAggregate"](cluster))
    est = _est(cluster)
    rng = np.random.default_rng(0)
    for band in ("0_10km", "10_25km", "25_50km"):
        est[f"loc_emp_{band}"] = np.log1p(rng.poisson(20, len(est)))
    decay = ag.distance_decay(est, "log_va")
    check_protocol(decay)
    assert type(decay).__name__ == "DistanceDecayResult"


def test_every_result_class_is_reached_by_a_case(cluster):
    """Each public result class is produced by one of the cases (so none escapes the runtime checks)."""
    made = {type(CASES[e](cluster)).__name__ for e in CASES if e not in ("estimate_agglomeration",)}
    made |= {"AgglomerationResult", *DERIVED}
    assert set(public_result_classes()) - made == set()


# ------------------------------------------------------------------------------------ the helpers


def test_tidy_frame_statistic_from_se_and_nan_without():
    t = R.tidy_frame(["a", "b"], [1.0, 2.0], [0.5, np.nan])
    assert t["statistic"].tolist()[0] == 2.0 and np.isnan(t["statistic"].iloc[1])
    assert np.isnan(t["p_value"]).all() and list(t.columns) == list(R.TIDY_COLUMNS)
    with pytest.raises(ValueError, match="2 terms"):
        R.tidy_frame(["a", "b"], [1.0, 2.0, 3.0])


def test_exclusions_from_every_old_shape_and_errors():
    old = pd.DataFrame({"step": ["lpm"], "reason": ["missing exports"], "n_rows": [3]})
    e = R.exclusions(old, unit="rows")
    assert list(e.columns) == ["reason", "n", "unit", "step"] and e.iloc[0].tolist() == ["missing exports", 3, "rows", "lpm"]
    assert R.exclusions({"a": 2, "b": 0}, unit="units").to_dict("records") == [{"reason": "a", "n": 2, "unit": "units"}]
    assert list(R.exclusions().columns) == list(R.EXCLUDED_COLUMNS) and len(R.exclusions()) == 0
    with pytest.raises(ValueError, match="count column"):
        R.exclusions(pd.DataFrame({"reason": ["x"], "rows": [1], "n_rows": [1]}))
    with pytest.raises(TypeError):
        R.exclusions([("x", 1)])


def test_mixin_does_not_shadow_dataclass_fields():
    """A mixin attribute with a field's name would become the field's default: none may collide."""
    mixin = {n for n in vars(R.ResultProtocol) if not n.startswith("__")}
    for name, cls in public_result_classes().items():
        fields = {f.name for f in dataclasses.fields(cls)}
        assert not (fields & mixin), (name, fields & mixin)


def test_every_public_estimator_has_a_runnable_example():
    """Numpydoc ``Examples`` on every estimator the walk finds (pytest runs them with --doctest-modules)."""
    lacking = sorted(name for name, func in public_estimators().items() if "\n    Examples\n    --------\n"
                     not in (func.__doc__ or ""))
    assert lacking == [], f"public estimators without an Examples section: {lacking}"


def test_old_names_stay_and_agree_with_the_protocol(cluster):
    """``coef``/``se``/``conf_int``/``pvalue`` and ``table()`` stay; the derived accessors give the same numbers."""
    agg = CASES["estimate_agglomeration"](cluster)
    pd.testing.assert_series_equal(agg.estimates(), agg.coef.rename("estimate").rename_axis("term"), check_index_type=False)
    assert agg.std_errors().to_numpy() == pytest.approx(agg.se.to_numpy())
    assert agg.confint()["conf_low"].to_numpy() == pytest.approx(agg.ci_low.to_numpy())
    assert agg.fixed_effects() == ("firm_id", "year") and agg.table()["coef"].tolist() == agg.coef.tolist()
    grav = CASES["gravity"](cluster)
    assert grav.confint().to_numpy() == pytest.approx(grav.conf_int[["low", "high"]].to_numpy())
    assert grav.p_values().to_numpy() == pytest.approx(grav.pvalue.to_numpy())
    assert grav.fixed_effects() == ("exporter", "importer^year")
    assert 0.0 < grav.fit_statistics()["pseudo R²"] <= 1.0
    twfe = CASES["twfe_did"](cluster)
    assert twfe.estimates()["treated"] == twfe.coef and twfe.nobs == twfe.n_obs
    tfp = CASES["estimate_tfp"](cluster)
    assert tfp.std_errors().to_numpy() == pytest.approx(tfp.se.to_numpy())
    assert set(tfp.excluded["unit"]) <= {"rows"} and "rows" not in tfp.excluded.columns
    premium = CASES["productivity_premium"](cluster)
    assert f"{premium.nobs} firm-years" in premium.reading()
    assert premium.summary().equals(premium.table())
