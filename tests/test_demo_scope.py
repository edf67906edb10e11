"""Scope statements of the demo clusters and the named ISIC classes."""

import pytest

from agrocluster.data.isic import isic_names, sector_label
from agrocluster.data.synthetic import OTHER_SECTORS
from agrocluster.params import resolve

DEMO = ["brazil_grapes", "chile_wine", "indonesia_rice", "kenya_tea", "nicaragua_dairy", "vietnam_coffee"]


def test_every_code_the_demo_uses_is_named():
    codes = set(OTHER_SECTORS)
    for cluster in DEMO:
        params = resolve(cluster).params
        codes |= {params.cluster_sector, *params.related_sectors}
    missing = sorted(codes - set(isic_names()))
    assert not missing, f"ISIC classes without a name: {missing}"


def test_sector_label():
    assert sector_label("1102") == "1102 (manufacture of wines)"
    assert sector_label("0112") == "0112 (growing of rice)"
    assert sector_label("9999") == "9999"


@pytest.mark.parametrize("cluster", DEMO)
def test_scope_names_the_faostat_item_and_says_national(cluster):
    params = resolve(cluster).params
    assert str(params.faostat_item_code) in params.scope
    assert "national" in params.scope


def test_the_known_scope_problems_are_said():
    assert "wine and juice grapes" in resolve("brazil_grapes").params.scope
    assert "paddy equivalent" in resolve("indonesia_rice").params.scope
    assert "seasons, not the calendar years" in resolve("indonesia_rice").params.scope
    assert "milk equivalent" in resolve("nicaragua_dairy").params.scope


def test_overview_shows_the_scope_on_the_country_series():
    from agrocluster.data.cluster import load_cluster
    from agrocluster.workbooks import overview

    params = resolve("brazil_grapes").params
    data = load_cluster(params, tables=["country_product"])
    series = overview.country_series(data, params)
    figure = overview.country_figure(series, params)
    assert series.notes == [f"Scope: {params.scope}"] == figure.notes
    assert figure.reading.endswith(params.scope)
