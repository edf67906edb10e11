"""Published numbers reproduced by the library on public data.

Each function runs one estimator on a public data set exactly as its source did and returns one row per
published number: ``estimator, quantity, published, ours, difference, tolerance, agrees, source``. The
tolerance is half a unit of the last printed decimal (or the source's stated precision); ``agrees`` is
``|ours − published| <= tolerance``. Pure functions of DataFrames: the data come from
:mod:`agrocluster.data.reference`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ["estimator", "quantity", "published", "ours", "difference", "tolerance", "agrees", "source"]

BALTAGI_SOURCE = "Baltagi, Econometric Analysis of Panel Data (3rd ed. 2005), Table 2.1"
# Grunfeld I = a + b F + c C, 10 firms (American Steel excluded, as Baltagi), 1935–54; coefficient (iid SE).
BALTAGI_TABLE_2_1 = {
    ("fe", "value"): (0.1101, 0.0119), ("fe", "capital"): (0.3101, 0.0174),
    ("ols", "value"): (0.1155, 0.0058), ("ols", "capital"): (0.2307, 0.0255),
}
DID_SOURCE = "R did README, 'A short example' (Callaway & Sant'Anna 2021), att_gt(est_method = 'reg')"
R_DID_ATT_GT = {  # (group, time): ATT(g,t) printed by R did
    (2004, 2004): -0.0105, (2004, 2005): -0.0704, (2004, 2006): -0.1373, (2004, 2007): -0.1008,
    (2006, 2004): 0.0065, (2006, 2005): -0.0028, (2006, 2006): -0.0046, (2006, 2007): -0.0412,
    (2007, 2004): 0.0305, (2007, 2005): -0.0027, (2007, 2006): -0.0311, (2007, 2007): -0.0261,
}
R_DID_AGGREGATES = {"simple": -0.0400, "group": -0.0310, "dynamic": -0.0772}
R_DID_PRETEST_P = 0.16812
ECOMPLEXITY_SOURCE = "Growth Lab Stata ecomplexity (py-ecomplexity test fixture, MIT), 1995–96 trade sample"
ECOMPLEXITY_COLUMNS = ("rca", "M", "diversity", "ubiquity", "eci", "pci", "density", "coi", "cog")


def _row(estimator: str, quantity: str, published: float, ours: float, tolerance: float, source: str) -> dict:
    diff = float(ours) - float(published)
    return {"estimator": estimator, "quantity": quantity, "published": float(published), "ours": float(ours),
            "difference": diff, "tolerance": tolerance, "agrees": bool(abs(diff) <= tolerance), "source": source}


def grunfeld_baltagi(grunfeld: pd.DataFrame) -> pd.DataFrame:
    """Within (FE) and pooled OLS on Grunfeld against Baltagi Table 2.1: coefficients and iid SEs.

    ``I = a + b F + c C`` in levels on the 10 firms Baltagi uses (American Steel dropped), estimated with
    :func:`agrocluster.productivity.estimate_tfp` (``logs=False, vcov="iid"``). The book prints 4 decimals and
    truncates, so the tolerance is 1e-4.
    """
    from agrocluster.productivity import estimate_tfp

    data = grunfeld[grunfeld["firm"] != "American Steel"]
    rows = []
    for method, label in (("fe", "within (FE)"), ("ols", "pooled OLS")):
        fit = estimate_tfp(data, "invest", "value", "capital", None, "firm", "year", method, logs=False,
                           vcov="iid")
        for term in ("value", "capital"):
            coef, se = BALTAGI_TABLE_2_1[(method, term)]
            rows.append(_row(f"Grunfeld investment, {label}", f"coefficient on {term}", coef, fit.coef[term],
                             1e-4, BALTAGI_SOURCE))
            rows.append(_row(f"Grunfeld investment, {label}", f"SE of {term} (iid)", se, fit.se[term], 1e-4,
                             BALTAGI_SOURCE))
    return pd.DataFrame(rows, columns=COLUMNS)


def mpdta_callaway_santanna(mpdta: pd.DataFrame) -> pd.DataFrame:
    """ATT(g,t), aggregates and the pre-test p-value on ``mpdta`` against R did's printed output.

    :func:`agrocluster.programmes.staggered_did` with ``est_method="reg"``, never-treated controls, analytic
    SEs (the point estimates and the Wald pre-test do not depend on the bootstrap). R prints 4 decimals
    (tolerance 5e-5); the pre-test p-value 5 (tolerance 5e-6).
    """
    from agrocluster.programmes import staggered_did

    fit = staggered_did(mpdta, "lemp", "countyreal", "year", "first.treat", est_method="reg", bootstrap=0)
    att = fit.att_gt.set_index(["group", "time"])["att"]
    rows = [_row("Callaway–Sant'Anna ATT(g,t)", f"ATT(g={g}, t={t})", value, att.loc[(g, t)], 5.01e-5, DID_SOURCE)
            for (g, t), value in R_DID_ATT_GT.items()]
    rows += [_row("Callaway–Sant'Anna aggregate", f"overall ATT, aggte type '{kind}'", value,
                  fit.aggregate(kind).overall, 5.01e-5, DID_SOURCE) for kind, value in R_DID_AGGREGATES.items()]
    rows.append(_row("Callaway–Sant'Anna pre-test", "Wald pre-test p-value", R_DID_PRETEST_P, fit.pretest_pvalue,
                     5e-6, DID_SOURCE))
    return pd.DataFrame(rows, columns=COLUMNS)


def ecomplexity_stata(trade: pd.DataFrame, stata: pd.DataFrame) -> pd.DataFrame:
    """Economic complexity against Stata ``ecomplexity`` (rca(1), discrete, symmetric) on its test sample.

    One row per output column: the largest absolute difference over the fixture's rows (published value
    0: the difference itself), tolerance 1e-8. Stata stored ``export_val`` as single precision, so the
    sample's values are rounded to float32 first, as Stata did.
    """
    from agrocluster.exports import complexity

    trade = trade.assign(export_val=trade["export_val"].astype("float32").astype("float64"))
    ours = complexity(trade, "origin", "hs92", "export_val", "year")
    merged = stata.merge(ours, on=["year", "origin", "hs92"], suffixes=("_stata", ""), validate="1:1")
    rows = []
    for col in ECOMPLEXITY_COLUMNS:
        gap = float(np.max(np.abs(merged[col].to_numpy(float) - merged[f"{col}_stata"].to_numpy(float))))
        rows.append({"estimator": "economic complexity (Hidalgo–Hausmann)",
                     "quantity": f"{col}: largest |ours − Stata| over {len(merged)} rows", "published": 0.0,
                     "ours": gap, "difference": gap, "tolerance": 1e-8, "agrees": gap <= 1e-8,
                     "source": ECOMPLEXITY_SOURCE})
    return pd.DataFrame(rows, columns=COLUMNS)
