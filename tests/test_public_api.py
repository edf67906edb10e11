"""The public API named in the issues, called exactly as external checks call it."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest


def test_location_quotient_and_ellison_glaeser_contract():
    from agrocluster.concentration import ellison_glaeser, location_quotient

    df = pd.DataFrame({"region": ["a", "a", "b", "b"], "sector": ["x", "y", "x", "y"], "employment": [30, 10, 10, 50]})
    lq = location_quotient(df, region="region", sector="sector", value="employment")
    assert list(lq.columns[:3]) == ["region", "sector", "lq"]
    # a/x: (30/40) / (40/100) = 1.875
    assert lq.set_index(["region", "sector"]).loc[("a", "x"), "lq"] == pytest.approx(1.875)
    plants = pd.DataFrame({"region": list("aabbcc"), "sector": list("xxxyyy"), "employment": [5, 5, 2, 3, 3, 4]})
    eg = ellison_glaeser(plants, region="region", sector="sector", employment="employment")
    assert {"G", "H", "gamma"} <= set(eg.columns) and set(eg.index) == {"x", "y"}


def test_estimate_agglomeration_signature():
    from agrocluster.agglomeration import estimate_agglomeration

    params = list(inspect.signature(estimate_agglomeration).parameters)
    assert params[:8] == ["df", "outcome", "localisation", "urbanisation", "diversity", "controls", "fe", "cluster"]
    sig = inspect.signature(estimate_agglomeration)
    assert sig.parameters["fe"].default == ("firm_id", "year") and sig.parameters["cluster"].default == "region"


def test_estimate_tfp_and_staggered_did_signatures():
    from agrocluster.productivity import estimate_tfp
    from agrocluster.programmes import staggered_did

    tfp = inspect.signature(estimate_tfp).parameters
    expected = ["df", "output", "free", "state", "proxy", "id", "time", "method", "value_added", "poly_degree",
                "markov_degree", "start", "exit", "bootstrap", "seed"]
    assert list(tfp)[: len(expected)] == expected
    assert tfp["value_added"].default is True and tfp["poly_degree"].default == 2 and tfp["markov_degree"].default == 3
    did = inspect.signature(staggered_did).parameters
    assert list(did)[:8] == ["df", "outcome", "unit", "time", "first_treated", "control", "covariates", "seed"]
    assert did["control"].default == "never_treated"


def test_staggered_did_result_shape():
    from agrocluster.programmes import staggered_did

    rng = np.random.default_rng(3)
    units, years = 120, range(2001, 2007)
    first = rng.choice([0, 2003, 2005], size=units)
    rows = [(i, t, first[i], rng.normal() + (0.5 if first[i] and t >= first[i] else 0.0)) for i in range(units) for t in years]
    df = pd.DataFrame(rows, columns=["unit", "year", "g", "y"])
    result = staggered_did(df, "y", "unit", "year", "g", seed=1)
    assert list(result.att_gt.columns[:4]) == ["group", "time", "att", "se"]
    for kind in ("simple", "group", "dynamic", "calendar"):
        agg = result.aggregate(kind)
        assert isinstance(agg.overall, float) and isinstance(agg.table, pd.DataFrame)
    assert result.aggregate("simple").overall == pytest.approx(0.5, abs=0.25)


def test_exports_complexity_and_gravity_importable_from_package():
    from agrocluster.exports import complexity, gravity

    assert list(inspect.signature(complexity).parameters)[:5] == ["df", "country", "product", "value", "year"]
    assert list(inspect.signature(gravity).parameters)[:3] == ["df", "formula", "vcov"]


def test_every_export_market_name_imports_from_the_package():
    """markets.py was split by data grain (shares: country × product; bilateral: flows); names stay importable."""
    import agrocluster.exports as package
    from agrocluster.exports import bilateral, markets, shares

    assert set(markets.__all__) == set(shares.__all__) | set(bilateral.__all__)
    assert not set(shares.__all__) & set(bilateral.__all__)
    for name in markets.__all__:
        assert getattr(package, name) is getattr(markets, name), name
        assert name in package.__all__, name
