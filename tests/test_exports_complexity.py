"""Tests of agrocluster.exports.product_space: RCA, presence, complexity, proximity, density, COI, COG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agrocluster.errors import DataContractError, EstimationError
from agrocluster.exports.product_space import (
    complexity,
    proximity,
    relatedness_density,
    revealed_comparative_advantage,
)

SHARED_DATA = Path(__file__).parents[2] / "shared" / "data"


def _hand_table() -> pd.DataFrame:
    # 2 countries x 2 products; world total 100.
    return pd.DataFrame(
        {
            "c": ["A", "A", "B", "B"],
            "p": ["1", "2", "1", "2"],
            "x": [30.0, 10.0, 20.0, 40.0],
        }
    )


def test_rca_by_hand():
    out = revealed_comparative_advantage(_hand_table(), "c", "p", "x")
    # RCA_A1 = (30/40) / (50/100) = 1.5 ; RCA_A2 = (10/40)/(50/100) = 0.5
    # RCA_B1 = (20/60) / 0.5 = 2/3 ; RCA_B2 = (40/60) / 0.5 = 4/3
    np.testing.assert_allclose(out["rca"].to_numpy(), [1.5, 0.5, 2 / 3, 4 / 3], rtol=1e-15)
    assert list(out.columns) == ["c", "p", "x", "rca"]


def test_rca_by_year_uses_year_totals_and_keeps_index():
    a = _hand_table().assign(t=2000)
    b = _hand_table().assign(t=2001, x=lambda d: d["x"] * [1.0, 3.0, 1.0, 1.0])
    df = pd.concat([a, b]).set_axis(range(10, 18))
    out = revealed_comparative_advantage(df, "c", "p", "x", year="t")
    assert list(out.index) == list(range(10, 18))
    np.testing.assert_allclose(out["rca"].to_numpy()[:4], [1.5, 0.5, 2 / 3, 4 / 3])
    # 2001: A = (30, 30), B = (20, 40); world 120; product 1 = 50, product 2 = 70.
    np.testing.assert_allclose(
        out["rca"].to_numpy()[4:],
        [0.5 / (50 / 120), 0.5 / (70 / 120), (20 / 60) / (50 / 120), (40 / 60) / (70 / 120)],
    )


def test_rca_negative_value_names_row():
    df = _hand_table()
    df.loc[2, "x"] = -1.0
    with pytest.raises(DataContractError, match=r"'x' must be >= 0.*row 2 \(c='B', p='1'\)"):
        revealed_comparative_advantage(df, "c", "p", "x")


def test_rca_zero_country_and_empty_product_raise():
    df = _hand_table()
    df.loc[[0, 1], "x"] = 0.0
    with pytest.raises(EstimationError, match="country with zero total exports.*c='A'"):
        revealed_comparative_advantage(df, "c", "p", "x")
    df = _hand_table()
    df.loc[[1, 3], "x"] = 0.0
    with pytest.raises(EstimationError, match="product that no country exports.*p='2'"):
        revealed_comparative_advantage(df, "c", "p", "x")


def test_rca_missing_column_and_duplicates():
    with pytest.raises(DataContractError, match=r"\['value'\] not found"):
        revealed_comparative_advantage(_hand_table(), "c", "p", "value")
    df = pd.concat([_hand_table(), _hand_table().iloc[[0]]], ignore_index=True)
    with pytest.raises(DataContractError, match="more than one row per.*c='A', p='1'"):
        revealed_comparative_advantage(df, "c", "p", "x")


# ---------------------------------------------------------------------------------------------------------
# complexity: Stata ground truth
# ---------------------------------------------------------------------------------------------------------

COMPLEXITY_COLUMNS = ["rca", "M", "diversity", "ubiquity", "eci", "pci", "density", "coi", "cog"]


def _stata_files():
    sample = SHARED_DATA / "ecomplexity_trade_sample_1995_1996.csv"
    truth = SHARED_DATA / "ecomplexity_stata_ground_truth_excerpt.csv"
    if not (sample.exists() and truth.exists()):
        pytest.skip(f"reference data not found in {SHARED_DATA}")
    trade = pd.read_csv(sample, dtype={"hs92": str, "origin": str})
    expected = pd.read_csv(truth, dtype={"hs92": str, "origin": str})
    return trade, expected


def test_complexity_reproduces_stata_ecomplexity_to_1e8():
    """Growth Lab Stata `ecomplexity export_val, i(origin) p(hs92) t(year)` (rca(1), discrete, symmetric):
    72 rows of its output on real Atlas/Comtrade data, 10 countries x 30 HS92 products, 1995-1996."""
    trade, expected = _stata_files()
    # Stata imported export_val into its default `float` storage type (single precision): the excerpt's
    # export_val column is the float32 rounding of the sample's (43653866.43 -> 43653868).
    trade["export_val"] = trade["export_val"].astype("float32").astype("float64")
    out = complexity(trade, "origin", "hs92", "export_val", "year")
    assert len(out) == len(trade)  # the sample is already rectangular
    merged = expected.merge(out, on=["year", "origin", "hs92"], suffixes=("_stata", ""), validate="1:1")
    assert len(merged) == 72
    for col in COMPLEXITY_COLUMNS:
        np.testing.assert_allclose(merged[col], merged[f"{col}_stata"], rtol=0, atol=1e-8, err_msg=col)
    # The example quoted in ../shared/data/README.md.
    aut = out[(out["year"] == 1995) & (out["origin"] == "aut")]["eci"].unique()
    assert aut == pytest.approx([1.073207217992253], abs=1e-12)


def test_complexity_stata_sample_invariants():
    trade, _ = _stata_files()
    out = complexity(trade, "origin", "hs92", "export_val", "year")
    for _, g in out.groupby("year"):
        # Stata's normalisation keeps ECI_c = mean PCI of the products the country is present in.
        present = g[g["M"] == 1]
        np.testing.assert_allclose(
            present.groupby("origin")["pci"].mean(), g.groupby("origin")["eci"].first(), atol=1e-12
        )
        # ECI has mean 0 and sample SD 1 over the country x product rows of the year.
        assert g["eci"].mean() == pytest.approx(0, abs=1e-12)
        assert g["eci"].std(ddof=1) == pytest.approx(1, abs=1e-12)
        assert g["coi"].std(ddof=1) == pytest.approx(1, abs=1e-12)
        assert (g.loc[g["M"] == 1, "cog"] == 0).all()
        assert g["density"].between(0, 1).all()
        assert np.corrcoef(g["diversity"], g["eci"])[0, 1] > 0


# ---------------------------------------------------------------------------------------------------------
# complexity: a 3 x 3 nested case solved by hand
# ---------------------------------------------------------------------------------------------------------


def _nested_3x3() -> pd.DataFrame:
    # M = [[1,1,1],[1,1,0],[1,0,0]] given as manual presence; values only feed the RCA column.
    m = np.array([[1, 1, 1], [1, 1, 0], [1, 0, 0]])
    return pd.DataFrame(
        {
            "c": np.repeat(["a", "b", "c"], 3),
            "p": np.tile(["1", "2", "3"], 3),
            "x": np.arange(1.0, 10.0),
            "m": m.ravel(),
        }
    )


def test_complexity_hand_case_nested():
    out = complexity(_nested_3x3(), "c", "p", "x", None, presence="manual", presence_column="m")
    # d = (3,2,1), u = (3,2,1). Mcc = D^-1 M U^-1 M' has eigenvalues 1, 1/4, 1/9 (trace 49/36,
    # det = det(M)^2 / (det D det U) = 1/36). The eigenvector of 1/4 is (-2, 1, 4); flipped to correlate
    # with diversity: kc = (2, -1, -4), and kp = U^-1 M' kc / (1/4) = (-4, 2, 8).
    # Over the 9 rows: mean kc = -1, sample variance = 3 (9 + 0 + 9) / 8 = 6.75.
    sd = np.sqrt(6.75)
    eci = out.groupby("c")["eci"].first().to_numpy()
    pci = out.groupby("p")["pci"].first().to_numpy()
    np.testing.assert_allclose(eci, np.array([3.0, 0.0, -3.0]) / sd, atol=1e-12)
    np.testing.assert_allclose(pci, np.array([-3.0, 3.0, 9.0]) / sd, atol=1e-12)
    np.testing.assert_array_equal(out["diversity"], np.repeat([3, 2, 1], 3))
    np.testing.assert_array_equal(out["ubiquity"], np.tile([3, 2, 1], 3))
    # Proximity: C = M'M = [[3,2,1],[2,2,1],[1,1,1]], phi = C / max(u, u'):
    # phi12 = 2/3, phi13 = 1/3, phi23 = 1/2; column sums (1, 7/6, 5/6).
    dens = out["density"].to_numpy().reshape(3, 3)
    np.testing.assert_allclose(dens[2, 1:], [(2 / 3) / (7 / 6), (1 / 3) / (5 / 6)], atol=1e-12)  # 4/7, 2/5
    np.testing.assert_allclose(dens[1, 2], (1 / 3 + 1 / 2) / (5 / 6), atol=1e-12)  # = 1
    # COI (raw): c1 = 0, c2 = 1 * 8, c3 = 4/7 * 2 + 2/5 * 8 = 152/35; standardised over the 9 rows.
    raw = np.array([0.0, 8.0, 152 / 35])
    coi = (raw - raw.mean()) / np.sqrt(3 * ((raw - raw.mean()) ** 2).sum() / 8)
    np.testing.assert_allclose(out.groupby("c")["coi"].first().to_numpy(), coi, atol=1e-12)
    # COG: only country c has two absent products: (c,2) = phi32 * kp3 / rowsum3 = (1/2) 8 / (5/6) = 24/5;
    # (c,3) = phi23 * kp2 / rowsum2 = (1/2) 2 / (7/6) = 6/7; (b,3) = phi33 = 0. Divided by sd(kc).
    cog = np.zeros((3, 3))
    cog[2, 1], cog[2, 2] = 24 / 5, 6 / 7
    np.testing.assert_allclose(out["cog"].to_numpy().reshape(3, 3), cog / sd, atol=1e-12)


def _direct_reference(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ECI/PCI straight from the textbook: dense non-symmetric eig of M~pp, Stata standardisation."""
    rca = x / x.sum(1, keepdims=True) / (x.sum(0) / x.sum())
    m = (rca > 1).astype(float)
    d, u = m.sum(1), m.sum(0)
    mpp = (m / d[:, None] / u[None, :]).T @ m
    vals, vecs = np.linalg.eig(mpp)
    kp = np.real(vecs[:, np.argsort(-np.real(vals))[1]])
    kc = (m / d[:, None]) @ kp
    if np.corrcoef(d, kc)[0, 1] < 0:
        kc, kp = -kc, -kp
    rows = np.repeat(kc, x.shape[1])
    return (kc - rows.mean()) / rows.std(ddof=1), (kp - rows.mean()) / rows.std(ddof=1)


@pytest.mark.parametrize("shape", [(12, 40), (40, 12)])
def test_complexity_both_eigen_sides_match_direct_eig(shape):
    rng = np.random.default_rng(7)
    n_c, n_p = shape
    cap, req = rng.normal(size=n_c), rng.normal(size=n_p)
    x = rng.lognormal(0, 0.5, size=shape) / (1 + np.exp(-3 * (cap[:, None] - req[None, :])))
    df = pd.DataFrame(
        {
            "c": np.repeat([f"c{i:02d}" for i in range(n_c)], n_p),
            "p": np.tile([f"p{j:02d}" for j in range(n_p)], n_c),
            "v": x.ravel(),
        }
    )
    out = complexity(df, "c", "p", "v", None)
    eci, pci = _direct_reference(x)
    np.testing.assert_allclose(out.groupby("c")["eci"].first().to_numpy(), eci, atol=1e-9)
    np.testing.assert_allclose(out.groupby("p")["pci"].first().to_numpy(), pci, atol=1e-9)


# ---------------------------------------------------------------------------------------------------------
# complexity: recovery of planted capabilities (Hidalgo-Hausmann capability model)
# ---------------------------------------------------------------------------------------------------------


def test_complexity_recovers_planted_capability_ranking_across_seeds():
    from scipy.stats import spearmanr

    eci_rho, pci_rho = [], []
    for seed in range(6):
        rng = np.random.default_rng(seed)
        n_c, n_p = 40, 120
        cap, req = rng.normal(size=n_c), rng.normal(size=n_p)
        # A country exports a product more the more its capability exceeds the requirement; sizes are noise.
        x = (
            rng.lognormal(0, 0.5, size=(n_c, n_p))
            * np.exp(rng.normal(size=n_c))[:, None]
            / (1 + np.exp(-3 * (cap[:, None] - req[None, :])))
        )
        df = pd.DataFrame(
            {
                "c": np.repeat([f"c{i:02d}" for i in range(n_c)], n_p),
                "p": np.tile([f"p{j:03d}" for j in range(n_p)], n_c),
                "v": x.ravel(),
                "t": 2000,
            }
        )
        out = complexity(df, "c", "p", "v", "t")
        eci_rho.append(spearmanr(out.groupby("c")["eci"].first(), cap).statistic)
        pci_rho.append(spearmanr(out.groupby("p")["pci"].first(), req).statistic)
    # A random ranking gives rho ~ 0 +- 0.16 (40 countries); the planted order is recovered almost exactly.
    assert np.mean(eci_rho) > 0.95 and min(eci_rho) > 0.9
    assert np.mean(pci_rho) > 0.9 and min(pci_rho) > 0.85


# ---------------------------------------------------------------------------------------------------------
# proximity, relatedness density, options
# ---------------------------------------------------------------------------------------------------------


def test_proximity_hand_case_and_shape():
    phi = proximity(_nested_3x3(), "c", "p", "x", presence="manual", presence_column="m")
    expected = np.array([[0, 2 / 3, 1 / 3], [2 / 3, 0, 1 / 2], [1 / 3, 1 / 2, 0]])
    np.testing.assert_allclose(phi.to_numpy(), expected, atol=1e-15)
    assert list(phi.index) == ["1", "2", "3"] and phi.index.name == "p"


def test_proximity_needs_a_year_when_several():
    trade = _nested_3x3().assign(t=2000)
    both = pd.concat([trade, trade.assign(t=2001)], ignore_index=True)
    with pytest.raises(DataContractError, match=r"2 values of 't'.*at="):
        proximity(both, "c", "p", "x", "t", presence="manual", presence_column="m")
    with pytest.raises(DataContractError, match="at=1999 not found"):
        proximity(both, "c", "p", "x", "t", at=1999, presence="manual", presence_column="m")
    phi = proximity(both, "c", "p", "x", "t", at=2001, presence="manual", presence_column="m")
    assert phi.shape == (3, 3)


def test_relatedness_density_hand_case_and_filter():
    out = relatedness_density(
        _nested_3x3(), "c", "p", "x", presence="manual", presence_column="m", countries=["c"]
    )
    assert list(out["c"]) == ["c", "c", "c"]
    # Country c holds only product 1: densities (phi11=0 -> 0/1 = 0... numerator M.phi: p1 -> 0),
    # p2 -> 4/7, p3 -> 2/5; in percent, with percentiles among its 3 products.
    np.testing.assert_allclose(out["relatedness_density"], [0.0, 400 / 7, 40.0], atol=1e-12)
    np.testing.assert_allclose(out["density_percentile"], [100 / 3, 100.0, 200 / 3], atol=1e-12)
    with pytest.raises(DataContractError, match=r"c \['zz'\] not found"):
        relatedness_density(_nested_3x3(), "c", "p", "x", countries=["zz"])


def test_rca_threshold_is_strict_and_configurable():
    # RCAs: A (1.5, 0.5), B (0.5, 1.5), C (1, 1) exactly.
    df = pd.DataFrame({"c": list("AABBCC"), "p": list("121212"), "x": [30.0, 10, 10, 30, 20, 20]})
    rd = relatedness_density(df, "c", "p", "x")
    np.testing.assert_allclose(rd["rca"], [1.5, 0.5, 0.5, 1.5, 1, 1], rtol=1e-15)
    # RCA exactly equal to the threshold is not presence (Stata: RCA :> rca).
    assert list(rd["M"]) == [1, 0, 0, 1, 0, 0]
    rd = relatedness_density(df, "c", "p", "x", rca_threshold=0.99)
    assert list(rd["M"]) == [1, 0, 0, 1, 1, 1]


def test_complexity_fills_in_absent_pairs_with_zero():
    trade, _ = _stata_files()
    absent = trade.index.isin(np.random.default_rng(3).choice(len(trade), size=40, replace=False))
    full = complexity(
        trade.assign(export_val=trade["export_val"].where(~absent, 0.0)),
        "origin",
        "hs92",
        "export_val",
        "year",
    )
    sparse = complexity(trade[~absent], "origin", "hs92", "export_val", "year")
    assert len(sparse) == len(full)
    pd.testing.assert_frame_equal(sparse, full)


# ---------------------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------------------


def test_complexity_negative_value_names_rows():
    df = _nested_3x3()
    df.loc[4, "x"] = -3.0
    with pytest.raises(DataContractError, match=r"'x' must be >= 0.*row 4 \(c='b', p='2'\)"):
        complexity(df, "c", "p", "x", None)


def test_complexity_product_without_exporters_names_product_and_year():
    df = pd.concat([_nested_3x3().assign(t=2000), _nested_3x3().assign(t=2001)], ignore_index=True)
    df.loc[(df["t"] == 2001) & (df["p"] == "2"), "x"] = 0.0
    with pytest.raises(EstimationError, match=r"p \['2'\] has no exporters in t=2001"):
        complexity(df, "c", "p", "x", "t", presence="manual", presence_column="m")


def test_complexity_country_with_zero_exports():
    df = _nested_3x3()
    df.loc[df["c"] == "b", "x"] = 0.0
    with pytest.raises(EstimationError, match=r"c \['b'\] export nothing"):
        complexity(df, "c", "p", "x", None)


def test_complexity_duplicates_missing_columns_and_options():
    df = _nested_3x3()
    with pytest.raises(DataContractError, match="more than one row per.*c='a', p='1'"):
        complexity(pd.concat([df, df.iloc[[0]]], ignore_index=True), "c", "p", "x", None)
    with pytest.raises(DataContractError, match=r"\['year'\] not found"):
        complexity(df, "c", "p", "x", "year")
    with pytest.raises(DataContractError, match="presence='manual' needs presence_column"):
        complexity(df, "c", "p", "x", None, presence="manual")
    bad = df.assign(m=df["m"] * 2)
    with pytest.raises(DataContractError, match="presence column 'm' must hold only 0/1.*row 0"):
        complexity(bad, "c", "p", "x", None, presence="manual", presence_column="m")
    with pytest.raises(DataContractError, match="rca_threshold"):
        complexity(df, "c", "p", "x", None, rca_threshold=-1)


def test_complexity_undefined_cases_raise():
    df = _nested_3x3()
    # A product nobody is present in: ubiquity 0.
    no_presence = df.assign(m=np.where(df["p"] == "3", 0, df["m"]))
    with pytest.raises(EstimationError, match=r"p \['3'\] are present \(M = 1\) in no country"):
        complexity(no_presence, "c", "p", "x", None, presence="manual", presence_column="m")
    # Every country holds the same products: the second eigenvalue is zero.
    same = df.assign(m=1)
    with pytest.raises(EstimationError, match="second eigenvalue .* zero"):
        complexity(same, "c", "p", "x", None, presence="manual", presence_column="m")
