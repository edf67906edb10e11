"""Schema of the cluster profile and of workbook 06's options (cited episodes)."""

import pytest

from agrocluster import params
from agrocluster.errors import ParamsError


def test_every_demo_cluster_has_a_cited_profile_with_isic_names():
    for cid in params.list_clusters():
        p = params.load(cid)
        assert p.profile.actors and p.profile.sources, cid
        assert p.cluster_sector in p.profile.isic, cid


def test_profile_without_sources_is_refused():
    with pytest.raises(ParamsError, match="sources"):
        params.load("chile_wine", {"profile.sources": []})


def test_bad_isic_code_and_bad_episode_are_refused():
    with pytest.raises(ParamsError, match="ISIC"):
        params.load("chile_wine", {"profile.isic": {"11": "wine"}})
    with pytest.raises(ParamsError):
        params.load("chile_wine", {"links_risks.episodes": [{"name": "x", "change": 0.5, "source": "s"}]})
    with pytest.raises(ParamsError, match="alpha-3"):
        params.load("chile_wine", {"links_risks.episodes": [{"name": "x", "change": -0.5, "source": "s",
                                                             "markets": ["China"]}]})


def test_cited_episodes_carry_sources():
    eps = params.load("chile_wine").links_risks.episodes
    assert eps and all(e.source for e in eps) and eps[0].markets == ["CHN"]
