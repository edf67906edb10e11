"""The production-function runs of a workbook: which columns, which estimators, one comparison table.

Given an ``establishments`` table (the data contract) and the ``productivity`` options of a cluster,

- :func:`production_spec` decides the output measure and the inputs from the columns the data have
  (firms: value added on labour and capital; farms: gross output on labour, land and materials) and says
  why, so a report can print it;
- :func:`fit_methods` runs :func:`~agrocluster.productivity.estimate_tfp` for every requested method with
  bootstrap standard errors (ACF with the estimator's own root scan: several starting values, a stated
  rule among exact roots, so that its reported root is not an accident of the OLS start), and keeps what
  it skipped and why;
- :func:`method_table`, :func:`coefficient_frame` and :func:`diagnostics_table` lay the results side by
  side, with the synthetic truth beside them when there is one (:func:`truth_coefficients`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from agrocluster.errors import DataContractError, EstimationError
from agrocluster.productivity.roots import RootScan
from agrocluster.productivity.tfp import METHODS, TFPResult, estimate_tfp

#: Display names of the estimators.
METHOD_NAMES = {"ols": "OLS", "fe": "FE", "fd": "FD", "op": "OP", "lp": "LP", "acf": "ACF", "wrdg": "WRDG"}
#: Columns of the synthetic generator's truth for each input (``truth["production"][...]``).
TRUTH_KEYS = {"labour": "beta_l", "capital": "beta_k", "materials": "beta_m"}


def _usable(df: pd.DataFrame, col: str) -> bool:
    return col in df.columns and bool(pd.to_numeric(df[col], errors="coerce").gt(0).any())


@dataclass
class ProductionSpec:
    """Columns of one production-function analysis.

    Attributes
    ----------
    output : str
        ``"value_added"`` or ``"output"`` (gross output).
    value_added : bool
        Whether ``output`` is value added (materials then are a proxy only, not an input).
    free, state : list of str
        Free (labour) and state (capital and/or land) inputs.
    proxies : dict
        Method → proxy column (``None`` for ols/fe; ``"investment"`` for op; ``"materials"`` otherwise).
    log_columns : list of str
        Columns that must be positive for logs (output, inputs, materials when it is used).
    notes : list of str
        Why the choices were made (printable).
    """

    output: str
    value_added: bool
    free: list[str]
    state: list[str]
    proxies: dict[str, str | None]
    log_columns: list[str]
    notes: list[str] = field(default_factory=list)

    def args(self, method: str) -> dict:
        """Keyword arguments of :func:`estimate_tfp` for ``method`` (without options such as bootstrap).

        With gross output, ols and fe take materials as a free input, so that every method estimates the
        same gross-output function (the proxy methods add the proxy as an input themselves).
        """
        proxy = self.proxies.get(method)
        free = list(self.free)
        if method in ("ols", "fe", "fd") and not self.value_added and "materials" in self.log_columns:
            free = free + ["materials"]
        return {"output": self.output, "free": free, "state": list(self.state), "proxy": proxy,
                "value_added": self.value_added}

    def table(self) -> pd.DataFrame:
        """Role → column(s), for a report."""
        rows = [("output", f"{self.output} ({'value added' if self.value_added else 'gross output'})"),
                ("free input", ", ".join(self.free)), ("state input", ", ".join(self.state))]
        for method, proxy in self.proxies.items():
            if proxy:
                rows.append((f"proxy ({METHOD_NAMES.get(method, method)})", proxy))
        return pd.DataFrame(rows, columns=["role", "column"])


def production_spec(df: pd.DataFrame, methods: Sequence[str], value_added: bool = True) -> ProductionSpec:
    """Choose output, inputs and proxies from the columns ``df`` has (rules in the module docstring).

    - Output: ``value_added`` when asked for and present with positive values; otherwise gross
      ``output`` (and the reason is noted), with materials as an input when the data have them.
    - Free input: ``labour``. State inputs: ``capital`` and ``land`` where present (farms: land).
    - Proxies: ``investment`` for op, ``materials`` for lp, acf and wrdg. A method whose proxy is absent
      gets proxy ``None`` and is skipped by :func:`fit_methods` with that reason.

    Raises :class:`DataContractError` when there is no output, no labour or no state input.
    """
    notes: list[str] = []
    va = bool(value_added) and _usable(df, "value_added")
    if value_added and not va:
        notes.append("value added is not in the data: the production function is estimated on gross output, "
                     "with materials as an input")
    output = "value_added" if va else "output"
    for column in (output, "labour"):
        if not _usable(df, column):
            why = (f"has no {column!r} column" if column not in df.columns
                   else f"has a {column!r} column with no positive value (it enters in logs)")
            raise DataContractError(f"production_spec: the establishments table {why}")
    state = [c for c in ("capital", "land") if _usable(df, c)]
    if not state:
        raise DataContractError("production_spec: no state input (neither 'capital' nor 'land' has positive values)")
    if "land" in state and "capital" not in state:
        notes.append("farms: land is the state input (no capital in the data)")
    has_m, has_i = _usable(df, "materials"), _usable(df, "investment")
    proxies: dict[str, str | None] = {}
    for m in methods:
        if m not in METHODS:
            raise DataContractError(f"production_spec: unknown method {m!r}; methods are {METHODS}")
        proxies[m] = None if m in ("ols", "fe", "fd") else ("investment" if m == "op" else "materials")
        if proxies[m] == "investment" and not has_i:
            proxies[m] = None
            notes.append("OP needs investment, which the data do not have: OP is skipped")
        elif proxies[m] == "materials" and not has_m:
            proxies[m] = None
            notes.append(f"{METHOD_NAMES[m]} needs materials, which the data do not have: it is skipped")
    log_cols = [output, "labour", *state]
    uses_m = any(p == "materials" for p in proxies.values()) or (not va and has_m)
    if uses_m and has_m:
        log_cols.append("materials")
    return ProductionSpec(output=output, value_added=va, free=["labour"], state=state, proxies=proxies,
                          log_columns=log_cols, notes=notes)


@dataclass
class MethodFits:
    """Results of :func:`fit_methods`.

    Attributes
    ----------
    results : dict
        Method → :class:`TFPResult`, in the order requested (skipped methods absent).
    skipped : DataFrame
        ``method``, ``reason`` for methods not estimated.
    acf_scan : RootScan or None
        The ACF root scan when ACF was run.
    spec : ProductionSpec
    """

    results: dict[str, TFPResult]
    skipped: pd.DataFrame
    acf_scan: RootScan | None
    spec: ProductionSpec

    def preferred(self, order: Sequence[str] = ("acf", "lp", "wrdg", "op", "fe", "ols")) -> str:
        """The method whose TFP a report uses: the first of ``order`` that was estimated."""
        for m in order:
            if m in self.results:
                return m
        raise EstimationError("no production-function method was estimated")


def fit_methods(
    df: pd.DataFrame,
    spec: ProductionSpec,
    methods: Sequence[str],
    *,
    bootstrap: int = 0,
    seed: int = 0,
    poly_degree: int = 2,
    markov_degree: int = 3,
    exit: bool = False,
    logs: bool = True,
    id: str = "firm_id",
    time: str = "year",
) -> MethodFits:
    """Estimate every method of ``methods`` on ``df`` as ``spec`` says, with block-bootstrap SEs.

    ``df`` must already hold only rows with positive ``spec.log_columns`` (see
    :func:`agrocluster.data.contracts.positive_for_logs`): the ``establishments`` contract holds levels,
    so ``logs=True`` here (set False for columns already in logs). ``markov_degree`` defaults to 3, as
    :func:`estimate_tfp`. ACF: :func:`estimate_tfp`'s default root scan (OLS start, fixed starts, the rule
    of :func:`agrocluster.productivity._estimators.choose_acf_root`), read back as
    :meth:`RootScan.from_result` in ``acf_scan``; its bootstrap replications restart from the chosen root.
    ``exit`` applies to op and lp
    only (attrition correction); it is ignored for the others. A method that fails with an
    :class:`EstimationError` is skipped and its message kept.
    """
    results: dict[str, TFPResult] = {}
    skipped = []
    scan = None
    order = [m for m in methods if m != "acf"] + (["acf"] if "acf" in methods else [])
    for m in order:
        args = spec.args(m)
        if m not in ("ols", "fe", "fd") and args["proxy"] is None:
            skipped.append({"method": METHOD_NAMES[m], "reason": "its proxy is not in the data"})
            continue
        common = {"id": id, "time": time, "poly_degree": poly_degree, "markov_degree": markov_degree, "seed": seed,
                  "logs": logs}
        try:
            if m == "acf":
                results[m] = estimate_tfp(df, method="acf", n_starts=1, bootstrap=bootstrap, **args, **common)
                scan = RootScan.from_result(results[m])
            else:
                results[m] = estimate_tfp(df, method=m, bootstrap=bootstrap, exit=exit and m in ("op", "lp"),
                                          **args, **common)
        except EstimationError as exc:
            skipped.append({"method": METHOD_NAMES[m], "reason": str(exc)})
    ordered = {m: results[m] for m in methods if m in results}
    return MethodFits(results=ordered, skipped=pd.DataFrame(skipped, columns=["method", "reason"]),
                      acf_scan=scan, spec=spec)


def truth_coefficients(truth: Mapping | None, spec: ProductionSpec) -> dict[str, float]:
    """The true elasticities of the synthetic generator for the inputs of ``spec`` (empty if none).

    Value added: ``truth["value_added"]`` (b/(1 − b_m)); gross output: ``truth["gross_output"]``;
    ``truth`` is ``ClusterData.truth["production"]``. Adds ``"returns to scale"`` (their sum).
    """
    if not truth:
        return {}
    block = truth.get("value_added" if spec.value_added else "gross_output", {})
    inputs = spec.free + spec.state + ([] if spec.value_added else ["materials"])
    out = {}
    for name in inputs:
        key = TRUTH_KEYS.get(name)
        if key and key in block:
            out[name] = float(block[key])
    if out and len(out) == len(inputs):
        out["returns to scale"] = float(sum(out.values()))
    return out


def method_table(fits: MethodFits, truth: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Side-by-side formatted table: one column per method (``TFPResult.summary()``), a ``truth`` column
    when given, rows = coefficients (SE in brackets), returns to scale, its test, observations, SE type."""
    cols = [r.summary() for r in fits.results.values()]
    if not cols:
        return pd.DataFrame()
    table = pd.concat(cols, axis=1)
    if truth:
        col = pd.Series("", index=table.index, dtype=object)
        for k, v in truth.items():
            key = "returns to scale (sum)" if k == "returns to scale" else k
            if key in col.index:
                col[key] = f"{v:.3f}"
        table["true value"] = col
    table = table.fillna("")
    table.index.name = "term"
    return table.reset_index()


def coefficient_frame(fits: MethodFits) -> pd.DataFrame:
    """Long table for plots: method, term, coef, se, ci_low, ci_high (inputs only, no controls)."""
    parts = []
    for m, r in fits.results.items():
        t = r.table()
        t = t[t["term"].isin(r.elasticities.columns)]
        parts.append(t.assign(method=METHOD_NAMES[m])[["method", "term", "coef", "se", "ci_low", "ci_high"]])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["method", "term", "coef", "se", "ci_low", "ci_high"])


def diagnostics_table(fits: MethodFits) -> pd.DataFrame:
    """One row per method: observations, shares lost, returns to scale and its test, convergence, caveat."""
    rows = []
    for m, r in fits.results.items():
        d = r.diagnostics
        rts = d["returns_to_scale"]
        conv = d.get("converged")
        caveat = d.get("caveat", "")
        if m == "acf" and fits.acf_scan is not None and fits.acf_scan.several:
            n_roots = int(fits.acf_scan.roots["candidate"].sum())
            caveat = (caveat + ". " if caveat else "") + (f"{n_roots} exact roots; chosen: {fits.acf_scan.reason} "
                                                          "(see the ACF roots table)")
        rows.append({
            "method": METHOD_NAMES[m], "observations": int(r.nobs),
            "share lost (missing)": float(d["share_lost_missing"]),
            "share lost (no lag)": float(d["share_lost_lags"]),
            "returns to scale": float(rts["sum"]), "se": float(rts["se"]),
            "p-value (constant returns)": float(rts["pvalue"]) if np.isfinite(rts["pvalue"]) else np.nan,
            "converged": "" if conv is None else ("yes" if conv else "no"),
            "bootstrap failures": int(d.get("bootstrap_failed", 0)),
            "caveat": caveat,
        })
    return pd.DataFrame(rows)
