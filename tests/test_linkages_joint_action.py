"""Joint action: outcomes of members with horizontal links to other members."""

import numpy as np
import pandas as pd
import pytest

from agrocluster import linkages
from agrocluster.data.synthetic import generate_cluster
from agrocluster.errors import EstimationError


def _planted(seed, effect=0.2, n=300, years=6, selection=0.5):
    """Members with a permanent quality that raises both the outcome and the chance of cooperating; each
    joint-action link adds ``effect`` to log TFP."""
    rng = np.random.default_rng(seed)
    quality = rng.normal(0, 1, n)
    rows, links = [], []
    for t in range(2011, 2011 + years):
        coop = rng.random(n) < 1 / (1 + np.exp(-(selection * quality)))
        partners = rng.integers(0, n, n)
        for i in np.flatnonzero(coop):
            j = partners[i] if partners[i] != i else (i + 1) % n
            links.append((f"f{i}", f"f{j}", t, "cooperation", 1.0))
        rows += [(f"f{i}", t, "1102", True, i) for i in range(n)]
    est = pd.DataFrame(rows, columns=["firm_id", "year", "sector", "cluster_member", "i"])
    lk = pd.DataFrame(links, columns=["source", "target", "year", "kind", "value"])
    joint = (pd.concat([lk[["source", "year"]].set_axis(["firm_id", "year"], axis=1),
                        lk[["target", "year"]].set_axis(["firm_id", "year"], axis=1)])
             .groupby(["firm_id", "year"]).size().rename("j").reset_index())
    est = est.merge(joint, on=["firm_id", "year"], how="left").fillna({"j": 0})
    est["log_tfp"] = quality[est["i"]] + effect * est["j"] + rng.normal(0, 0.3, len(est))
    return est.drop(columns=["i", "j"]), lk


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_within_firm_recovers_planted_effect_and_pooled_is_selected(seed):
    est, lk = _planted(seed)
    res = linkages.joint_action(lk, est, ("log_tfp",)).summary().set_index("specification")
    within, pooled = res.loc["within firm"], res.loc["pooled"]
    assert abs(within["estimate"] - 0.2) < 4 * within["std_error"]
    assert pooled["estimate"] > 0.2 + 2 * pooled["std_error"]        # selection on quality inflates the gap


def test_generator_has_no_joint_action_effect_across_seeds():
    hits = 0
    for seed in (31, 32, 33, 34, 35):
        c = generate_cluster(seed=seed, n_firms=600)
        est = c.establishments.assign(exporter=(c.establishments["exports"] > 0).astype(float))
        res = linkages.joint_action(c.firm_links, est, ("exporter",)).summary()
        pooled = res[res["specification"] == "pooled"].iloc[0]
        hits += abs(pooled["estimate"]) < 2.6 * pooled["std_error"]   # links are drawn at random: truth 0
    assert hits >= 4


def test_joint_flag_hand_case_and_errors():
    est = pd.DataFrame({"firm_id": ["a", "b", "c", "d"], "year": 2020, "sector": "s",
                        "cluster_member": [True, True, True, False], "y": [2.0, 2.0, 1.0, 9.0]})
    lk = pd.DataFrame({"source": ["a", "c"], "target": ["b", "d"], "year": 2020, "kind": ["cooperation", "cooperation"],
                       "value": 1.0})
    res = linkages.joint_action(lk, pd.concat([est, est.assign(year=2021, y=est["y"] + 0.5)]), ("y",))
    assert res.share_cooperating == pytest.approx(2 / 3 * 0.5)        # a, b in 2020 only; c's link is with a non-member
    assert res.mean_links == pytest.approx(2 / 6)
    pooled = res.summary().set_index("specification").loc["pooled"]
    assert pooled["estimate"] == pytest.approx(1.0)                   # 2 − 1 within 2020 (2021: nobody cooperates)
    with pytest.raises(EstimationError, match="same number of joint-action links"):
        linkages.joint_action(lk.assign(kind="sales"), est, ("y",))
