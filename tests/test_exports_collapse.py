"""Market-collapse replay: worst observed falls and cited episodes on the destination structure."""

import numpy as np
import pandas as pd
import pytest

from agrocluster.data import sources
from agrocluster.errors import DataContractError, EstimationError
from agrocluster.exports import collapse


def test_worst_falls_hand_case():
    s = pd.DataFrame({"year": [2000, 2001, 2002, 2003, 2005], "x": [100.0, 50.0, 60.0, 24.0, 1.0]})
    w = collapse.worst_falls(s, "x", n=5)
    assert w["year"].tolist() == [2003, 2001]                      # 2005 follows a gap: no change defined
    assert w["change"].tolist() == pytest.approx([-0.6, -0.5])
    assert w["episode"].iloc[1] == "2000–2001"


def test_worst_falls_on_faostat_world_coffee_exports():
    world = collapse.worst_falls(sources.world_totals(2630), "exports", n=3)
    assert len(world) == 3 and (world["change"] < 0).all()
    w = sources.world_totals(2630).set_index("year")["exports"]
    first = world.iloc[0]
    assert first["change"] == pytest.approx(w[first["year"]] / w[first["year"] - 1] - 1)


def test_replay_hand_case():
    dest = pd.DataFrame({"importer": ["CHN", "USA", "GBR"], "value": [50.0, 30.0, 20.0]})
    eps = [{"name": "duties", "change": -0.97, "markets": ["CHN"], "source": "Wine Australia 2022"},
           {"name": "world fall", "change": -0.1, "markets": [], "source": "FAOSTAT"},
           {"name": "elsewhere", "change": -0.5, "markets": ["JPN"], "source": "x"}]
    r = collapse.replay(dest, eps, export_orientation=0.6).set_index("episode")
    assert r.loc["duties", "loss"] == pytest.approx(48.5)
    assert r.loc["duties", "loss_share"] == pytest.approx(0.485)
    assert r.loc["duties", "output_share_at_risk"] == pytest.approx(0.485 * 0.6)
    assert r.loc["world fall", "share_hit"] == 1.0 and r.loc["world fall", "loss_share"] == pytest.approx(0.1)
    assert r.loc["elsewhere", "loss"] == 0 and "no exports to JPN" in r.loc["elsewhere", "markets"]


def test_replay_errors_named():
    dest = pd.DataFrame({"importer": ["CHN"], "value": [1.0]})
    with pytest.raises(DataContractError, match="needs a name and a source"):
        collapse.replay(dest, [{"name": "x", "change": -0.5}])
    with pytest.raises(DataContractError, match="must be a fall"):
        collapse.replay(dest, [{"name": "x", "change": 0.5, "source": "s"}])
    with pytest.raises(EstimationError, match="no exports"):
        collapse.replay(dest.assign(value=0.0), [{"name": "x", "change": -0.5, "source": "s"}])
    assert np.isnan(collapse.replay(dest, [{"name": "x", "change": -0.5, "source": "s"}])["output_share_at_risk"][0])


def test_worst_falls_skip_falls_from_tiny_levels():
    s = pd.DataFrame({"year": [2000, 2001, 2002, 2003], "x": [1.0, 0.0, 100.0, 80.0]})
    assert collapse.worst_falls(s, "x")["year"].tolist() == [2001, 2003]
    assert collapse.worst_falls(s, "x", min_share_of_peak=0.05)["year"].tolist() == [2003]   # 1 < 5% of 100
