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


def test_largest_drawdown_hand_cases():
    never = pd.DataFrame({"year": [2000, 2001, 2002, 2003], "x": [10.0, 100.0, 30.0, 70.0]})
    row = collapse.largest_drawdown(never, "x", label="X ").iloc[0]
    assert (row["peak_year"], row["trough_year"], row["change"]) == (2001, 2002, pytest.approx(-0.7))
    assert pd.isna(row["recovery_year"]) and row["episode"] == "X 2001–2002 (peak to trough)"
    # a deeper fall later from the same running peak wins; a fall spread over years is one episode
    slow = pd.DataFrame({"year": range(2000, 2006), "x": [100.0, 90.0, 80.0, 60.0, 100.0, 99.0]})
    row = collapse.largest_drawdown(slow, "x").iloc[0]
    assert (row["peak_year"], row["trough_year"], row["recovery_year"]) == (2000, 2003, 2004)
    assert row["change"] == pytest.approx(-0.4)
    assert collapse.worst_falls(slow, "x", n=1)["change"].iloc[0] == pytest.approx(-0.25)   # one year sees less
    # tiny early peaks are not markets; missing years are skipped; a series that never falls has no episode
    tiny = pd.DataFrame({"year": [1990, 1991, 1992, 1993, 1994], "x": [2.0, 0.0, np.nan, 100.0, 90.0]})
    assert collapse.largest_drawdown(tiny, "x", min_share_of_peak=0.05)["change"].tolist() == pytest.approx([-0.1])
    assert collapse.largest_drawdown(tiny, "x")["change"].tolist() == pytest.approx([-1.0])
    assert collapse.largest_drawdown(pd.DataFrame({"year": [1, 2], "x": [1.0, 2.0]}), "x").empty


def test_largest_drawdown_errors_named():
    with pytest.raises(DataContractError, match="several rows for the same year"):
        collapse.largest_drawdown(pd.DataFrame({"year": [1, 1], "x": [1.0, 2.0]}), "x")
    with pytest.raises(DataContractError, match="negative x"):
        collapse.largest_drawdown(pd.DataFrame({"year": [1, 2], "x": [1.0, -2.0]}), "x")


@pytest.mark.parametrize(("iso3", "item"), [("BRA", 2620), ("CHL", 2655), ("IDN", 2807), ("KEN", 2635),
                                            ("NIC", 2948), ("VNM", 2630)])
def test_every_demo_cluster_has_a_historical_collapse_in_faostat(iso3, item):
    exports = sources.faostat_food_balances(iso3, item)[["year", "exports"]]
    row = collapse.largest_drawdown(exports, "exports", min_share_of_peak=0.05).iloc[0]
    x = exports.set_index("year")["exports"]
    assert row["before"] == x[row["peak_year"]] == x.loc[:row["trough_year"]].max()
    assert row["after"] == x[row["trough_year"]] and row["change"] < -0.2
    assert (x.loc[row["peak_year"]:] / row["before"] - 1).min() == pytest.approx(row["change"])
