"""Workbook 06 steps (agrocluster.workbooks.links_risks) on the demo clusters: real parts checked against the
data by hand, synthetic parts against planted truth, and "not computed" where the data do not allow a step."""

from __future__ import annotations

import pytest

from agrocluster import params as params_module
from agrocluster.data import sources
from agrocluster.data.cluster import load_cluster
from agrocluster.workbooks import common
from agrocluster.workbooks import links_risks as wb

SMALL = {"synthetic.n_firms": 600, "links_risks.link_draws": 49}


@pytest.fixture(scope="module")
def wine():
    p = params_module.load("chile_wine", SMALL)
    return p, load_cluster(p)


@pytest.fixture(scope="module")
def rice():
    p = params_module.load("indonesia_rice", SMALL)
    return p, load_cluster(p)


def test_wine_links_recover_planted_share_and_label_synthetic(wine):
    p, data = wine
    net = wb.network(data, p)
    assert net.computed and net.result.synthetic and "SYNTHETIC" in net.reading
    links = wb.link_mixing(net, 49, p.seed)
    assert links.reading.startswith("SYNTHETIC")
    planted = wb._planted_inside_share(net.result)
    est = links.result.value.summary().set_index("orientation").loc["all"]
    assert abs(est["inside_share"] - planted) < 4 * est["std_error"]
    keys = {h.key for h in links.result.headlines}
    assert keys == {"vertical_inside_share", "horizontal_inside_share", "horizontal_inward_excess"}


def test_wine_footprint_is_faostat_times_pn18(wine):
    p, data = wine
    fp = wb.footprint(data, p)
    heads = {h.key: h.value for h in fp.result.headlines}
    cp = data["country_product"]
    row = cp[(cp["country"] == "CHL") & (cp["item"] == "2655")].dropna(subset=["production"]).sort_values("year").iloc[-1]
    assert heads["ghg_production_kt"] == pytest.approx(row["production"] * 1.79, rel=1e-6)
    assert heads["ghg_exports_kt"] == pytest.approx(row["exports"] * 1.79, rel=1e-6)
    growth = wb.magnification(fp, None)
    assert growth.computed and "ghg_growth_pct" in {h.key for h in growth.result.headlines}
    assert wb.regional_intensity(p).computed


def test_wine_collapse_replays_faostat_falls_and_cited_episode(wine):
    p, data = wine
    step = wb.collapse_exposure(data, p)
    table = step.table
    assert set(table["kind"]) >= {"FAOSTAT world exports", "FAOSTAT country exports", "cited trade episode",
                                  "FAOSTAT country exports, peak to trough"}
    assert table["source"].str.len().gt(0).all()
    assert any("SYNTHETIC" in n for n in step.notes)
    history = table[table["kind"] == "FAOSTAT country exports, peak to trough"].iloc[0]
    x = sources.faostat_food_balances("CHL", 2655).set_index("year")["exports"]
    assert history["episode"] == "CHL exports 2001–2002 (peak to trough)"     # 492 kt to 344 kt
    assert "CHL exports 2001–2002" not in set(table["episode"])    # the same one-year fall is listed once
    assert history["change"] == pytest.approx(x[2002] / x[2001] - 1, abs=1e-4)
    assert history["loss_share"] == pytest.approx(-history["change"], abs=1e-4)   # all markets
    assert f"{x[2001]:,.0f} kt in 2001" in history["source"] and history["episode"] in step.reading
    heads = {h.key: h.value for h in step.result.headlines}
    assert heads["largest_export_fall"] == pytest.approx(1 - x[2002] / x[2001])
    assert heads["worst_collapse_output_share"] == pytest.approx(step.result.value["output_share_at_risk"].max())


def test_wine_real_farm_steps_are_not_computed_with_reasons(wine):
    _p, data = wine
    for step in (wb.adoption_real(data), wb.peer_adoption_real(data), wb.input_use(data)):
        assert not step.computed and step.reason.startswith("needs farm-level records")


def test_wine_diffusion_and_joint_action_against_truth(wine):
    p, data = wine
    net = wb.network(data, p)
    spread = wb.diffusion_synthetic(net, p.links_risks.diffusion_band_km, p.seed)
    t = spread.table.set_index("term")
    assert ((t["estimate"] - t["truth"]).abs() < 4 * t["std_error"]).all()
    joint = wb.joint_action(net)
    w = joint.table.set_index(["outcome", "specification"]).loc[("log_tfp", "within firm")]
    assert abs(w["estimate"]) < 4 * w["std_error"]                 # generator: random links, no effect
    assert w["std_error"] < 0.05            # log TFP from logged inputs (levels gave SEs of 2-3 log points)


def test_rice_real_adoption_peer_and_inputs(rice):
    p, data = rice
    net = wb.network(data, p)
    assert net.computed and "demonstration" in net.result.origin
    adoption = wb.adoption_real(data)
    first = adoption.table[(adoption.table["village"] == "all villages") & (adoption.table["season"] == 1)].iloc[0]
    farms = sources.rice_farms()
    assert first["adopters"] == int(farms.loc[farms["season"] == 1, "varieties"].isin(["high", "mixed"]).sum())
    peers = wb.peer_adoption_real(data)
    assert "reflection" in peers.reading and peers.notes
    inputs = wb.input_use(data)
    assert inputs.computed and {"pesticide", "urea", "phosphate"} <= set(inputs.table["input"])
    keys = {h.key for h in common.collect_headlines(adoption, peers, inputs)}
    assert keys == {"hyv_adoption_change", "peer_adoption_coef", "urea_per_ha_bimas_gap"}


def test_tea_footprint_says_pn18_has_no_item_factor():
    p = params_module.load("kenya_tea", SMALL)
    data = load_cluster(p, tables=["country_product"])
    fp = wb.footprint(data, p)
    assert fp.computed and any("no factor for FAOSTAT item 2635" in n for n in fp.notes)
    assert "re-exports" in fp.reading                              # Kenya exports more tea than it grows (Mombasa)
    bare = params_module.load("kenya_tea", {**SMALL, "links_risks.pn18_product": None})
    step = wb.footprint(load_cluster(bare, tables=["country_product"]), bare)
    assert not step.computed and "2635" in step.reason
    assert not wb.regional_intensity(p).computed


def test_figure_steps_draw_or_pass_not_computed_through(wine, rice):
    import matplotlib

    matplotlib.use("Agg")
    p, data = wine
    fig = wb.footprint_figure(wb.footprint(data, p), p)
    assert fig.computed and len(fig.result.axes[0].lines) == 3 and "kt CO2e" in fig.reading  # two series, the 2010 mark
    absent = wb.adoption_real(data)
    assert wb.adoption_figure(absent) is absent
    _rp, rdata = rice
    curves = wb.adoption_figure(wb.adoption_real(rdata))
    assert len(curves.result.axes[0].lines) == 7                   # six villages and all villages


def test_rice_collapse_gives_the_stated_reason_for_no_trade_flows(rice):
    p, data = rice
    step = wb.collapse_exposure(data, p)
    why = data.absent_reason("trade_flows", "unused")
    assert why.startswith("no trade flows are generated for this cluster")
    assert f"on the cluster's destinations is not computed: {why}." in step.reading
    # the real FAOSTAT history stands without destinations: Indonesia's exports fell to nothing in 1985-88
    (fall,) = step.result.headlines
    assert fall.key == "largest_export_fall" and fall.value == pytest.approx(-step.table["change"].iloc[0])
    assert 0 < fall.value <= 1 and step.table["peak_year"].iloc[0] < step.table["trough_year"].iloc[0]
