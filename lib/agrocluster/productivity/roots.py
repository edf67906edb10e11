"""Several roots of the ACF criterion: run Ackerberg-Caves-Frazer from named starting values and choose.

:func:`~agrocluster.productivity.estimate_tfp` (``method="acf"``) now runs a root scan itself by default
and records it; :meth:`RootScan.from_result` reads that record. :func:`acf_root_scan` remains for scans
from starts of the user's choice (e.g. other estimators' answers), with the rule below.

The Cobb-Douglas ACF second stage is exactly identified (one moment per coefficient), so its GMM criterion
is zero at every root of the moment equations, and there can be more than one. Stata ``prodest`` and
:func:`~agrocluster.productivity.estimate_tfp` start from the OLS estimates and report the root the
optimiser reaches from there; the extra starts of ``estimate_tfp(n_starts=...)`` are small perturbations
of that start, so they seldom leave its basin. Kim, Luo & Su (2019, *Journal of Applied Econometrics*
34(4), "A robust approach to estimating production functions: replication of the ACF procedure") show
how much ACF estimates depend on starting values. :func:`acf_root_scan` starts the optimiser from
distant, named points (OLS, fixed values, other estimators' answers), groups the solutions into
distinct roots, and chooses one by a rule stated in advance (:func:`choose_root`):

1. candidates are the converged solutions whose criterion N·m'Wm (a chi-square-scale statistic) is
   within ``crit_tol`` (default 0.001, numerically zero for inference) of the smallest; for an
   exactly identified model these are the exact roots, criterion ≈ 0;
2. prefer *economically admissible* candidates: every input elasticity strictly between 0 and 1
   (a prior, not a test: say so in a report);
3. then the candidate reached from the most starting values; ties go to the earlier start in the
   order given (the OLS start, prodest's convention, comes first).

No statistic in the data can rank two exact roots: when the scan finds several, a report should show
them all. Bootstrap standard errors for the chosen root come from
``estimate_tfp(..., start=scan.chosen_start, n_starts=1, bootstrap=B)``, whose replications restart
from the point estimate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from agrocluster.errors import EstimationError, ParamsError
from agrocluster.productivity.tfp import TFPResult, estimate_tfp

#: Fixed starting values tried by default (every input elasticity set to the value, controls to 0).
DEFAULT_FIXED_STARTS = (0.1, 0.3, 0.6)


@dataclass
class RootScan:
    """Solutions of the ACF criterion from several starting values, grouped into roots.

    Attributes
    ----------
    starts : DataFrame
        One row per start: ``start`` (label), ``start_values`` (list, empty for the OLS default), one
        column per coefficient with the solution, ``criterion``, ``converged``, ``root`` (root number,
        NaN for solutions that did not converge).
    roots : DataFrame
        One row per distinct converged solution: ``root``, one column per coefficient,
        ``returns_to_scale`` (sum of the input elasticities), ``criterion``, ``n_starts`` (starts that
        reached it), ``reached_from`` (their labels), ``candidate`` (criterion within tolerance of the
        minimum), ``admissible`` (every input elasticity in (0, 1)), ``chosen``.
    chosen : pandas.Series
        Coefficients of the chosen root.
    chosen_start : list of float
        Its coefficients as a list, to pass as ``start=`` to :func:`estimate_tfp`.
    several : bool
        More than one candidate root (the criterion cannot tell them apart).
    reason : str
        Why the chosen root was chosen (which step of the rule decided).
    inputs : list of str
        The input names (the coefficients whose elasticities the admissibility rule checks).
    """

    starts: pd.DataFrame
    roots: pd.DataFrame
    chosen: pd.Series
    chosen_start: list
    several: bool
    reason: str
    inputs: list

    @classmethod
    def from_result(cls, result: TFPResult) -> RootScan:
        """The root scan that :func:`estimate_tfp` (``method="acf"``, no ``start``) ran and recorded.

        Its rule (exact roots, then elasticities in (0, 1), then the smallest Hansen J of the
        over-identified moments) is :func:`agrocluster.productivity._estimators.choose_acf_root`.
        """
        if result.method != "acf" or "roots" not in result.diagnostics:
            raise ParamsError("RootScan.from_result needs an ACF result (estimate_tfp(method='acf'))")
        inputs = list(result.elasticities.columns)
        roots = result.diagnostics["roots"].drop(columns=["first_start"])
        roots.insert(1 + len(result.coef), "returns_to_scale", roots[inputs].sum(axis=1))
        chosen = result.coef.copy()
        return cls(starts=result.diagnostics["starts"], roots=roots, chosen=chosen, chosen_start=chosen.tolist(),
                   several=int(roots["candidate"].sum()) > 1, reason=result.diagnostics["root_choice"],
                   inputs=inputs)

    def table(self) -> pd.DataFrame:
        """The roots table (copy)."""
        return self.roots.copy()

    def summary(self) -> pd.DataFrame:
        """One row per root: its coefficients, returns to scale, criterion, and whether it was chosen."""
        keep = ["root", *self.chosen.index, "returns_to_scale", "criterion", "n_starts", "candidate", "chosen"]
        return self.roots[[c for c in keep if c in self.roots.columns]].copy()

    def reading(self) -> str:
        """One sentence for a notebook."""
        coefs = ", ".join(f"{k} {v:.3f}" for k, v in self.chosen.items())
        n_cand = int(self.roots["candidate"].sum())
        if not self.several:
            return (f"All {int(self.starts['converged'].sum())} converged starts that reach the minimum agree: "
                    f"one root ({coefs}).")
        return (f"The ACF criterion has {n_cand} roots that fit the moments equally well; chosen: {coefs} "
                f"({self.reason}).")


def choose_root(roots: pd.DataFrame, inputs: Sequence[str], crit_tol: float = 1e-3) -> tuple[int, str, pd.DataFrame]:
    """Apply the rule of the module docstring to a roots table; return (root number, reason, flagged table).

    ``roots`` needs ``root``, the ``inputs`` columns, ``criterion``, ``n_starts`` and ``first_start``
    (position of the first start that reached the root). Adds ``candidate``, ``admissible``, ``chosen``.
    """
    if len(roots) == 0:
        raise EstimationError("no starting value of the ACF criterion converged: no root to choose")
    out = roots.copy()
    low = float(out["criterion"].min())
    out["candidate"] = out["criterion"] <= low + crit_tol
    el = out[list(inputs)].to_numpy(dtype=float)
    out["admissible"] = np.all((el > 0) & (el < 1), axis=1)
    cand = out[out["candidate"]]
    if len(cand) == 1:
        pick, reason = cand.index[0], "the only root at the minimum of the criterion"
    else:
        pool = cand[cand["admissible"]]
        if len(pool) == 0:
            pool, why = cand, "no root has every elasticity in (0, 1); "
        elif len(pool) == 1:
            pick = pool.index[0]
            out["chosen"] = out.index == pick
            return int(out.loc[pick, "root"]), "the only root with every input elasticity in (0, 1)", out
        else:
            why = "several roots have every elasticity in (0, 1); "
        best = pool.sort_values(["n_starts", "first_start"], ascending=[False, True])
        pick = best.index[0]
        reason = why + ("reached from the most starting values" if (pool["n_starts"] == best["n_starts"].iloc[0]).sum() == 1
                        else "tie on starting values: the earliest start in the order given")
    out["chosen"] = out.index == pick
    return int(out.loc[pick, "root"]), reason, out


def acf_root_scan(
    df: pd.DataFrame,
    output: str,
    free,
    state,
    proxy: str,
    starts: Mapping[str, Sequence[float]] | None = None,
    *,
    fixed_starts: Sequence[float] = DEFAULT_FIXED_STARTS,
    include_ols: bool = True,
    same_root_tol: float = 1e-3,
    crit_tol: float = 1e-3,
    **kwargs,
) -> RootScan:
    """Run Cobb-Douglas ACF from several starting values and choose a root (see the module docstring).

    Parameters
    ----------
    df, output, free, state, proxy
        As :func:`estimate_tfp` (method ``"acf"``).
    starts : mapping of label → coefficient values, optional
        Extra named starts (e.g. ``{"FE estimates": fe.coef}``), in ``coef`` order (inputs, then
        controls). Tried after the OLS start and the fixed starts.
    fixed_starts : sequence of float
        Each value v adds the start "every input elasticity = v" (controls at 0). Default 0.1, 0.3, 0.6.
    include_ols : bool
        Try the OLS start first (prodest's default, and :func:`estimate_tfp`'s).
    same_root_tol : float
        Solutions whose coefficients differ by less than this (max abs) are the same root.
    crit_tol : float
        A root is a candidate when its criterion N·m'Wm is within ``crit_tol`` of the smallest.
    **kwargs
        Passed to :func:`estimate_tfp` (``id``, ``time``, ``value_added``, ``poly_degree``,
        ``markov_degree``, ``controls``, ``optimizer``, ``logs``). ``bootstrap``, ``start``,
        ``n_starts``, ``method`` and ``translog`` are set here and refused.

    Returns
    -------
    RootScan
    """
    for key in ("bootstrap", "start", "n_starts", "method", "translog"):
        if key in kwargs:
            raise ParamsError(f"acf_root_scan sets {key!r} itself; do not pass it")
    plan: list[tuple[str, list[float] | None]] = []
    if include_ols:
        plan.append(("OLS (prodest default)", None))
    if fixed_starts or starts:
        n_inputs, n_coef = _n_coefs(free, state, kwargs)
        for v in fixed_starts:
            plan.append((f"every elasticity {v:g}", [float(v)] * n_inputs + [0.0] * (n_coef - n_inputs)))
        for label, values in (starts or {}).items():
            vals = [float(x) for x in np.asarray(values, dtype=float).ravel()]
            if len(vals) != n_coef:
                raise ParamsError(f"start {label!r} has {len(vals)} values; ACF estimates {n_coef} coefficients")
            plan.append((str(label), vals))
    if not plan:
        raise ParamsError("acf_root_scan needs at least one start (include_ols, fixed_starts or starts)")

    rows, names = [], None
    for label, values in plan:
        r = estimate_tfp(df, output, free, state, proxy, method="acf", start=values, n_starts=1, bootstrap=0,
                         **kwargs)
        names = list(r.coef.index)
        run = r.diagnostics["starts"].iloc[0]  # without start= this is the OLS start's run of the default scan
        rows.append({"start": label, "start_values": [] if values is None else values,
                     **dict(zip(names, run["estimate"])), "criterion": float(run["criterion"]),
                     "converged": bool(run["converged"])})
    starts_df = pd.DataFrame(rows)
    inputs = names[: _n_coefs(free, state, kwargs)[0]]

    root_ids = np.full(len(starts_df), np.nan)
    reps: list[np.ndarray] = []
    for i, row in starts_df.iterrows():
        if not row["converged"] or not np.isfinite(row["criterion"]):
            continue
        x = row[names].to_numpy(dtype=float)
        for j, rep in enumerate(reps):
            if np.max(np.abs(x - rep)) < same_root_tol:
                root_ids[i] = j
                break
        else:
            reps.append(x)
            root_ids[i] = len(reps) - 1
    starts_df["root"] = root_ids
    if not reps:
        raise EstimationError("no starting value of the ACF criterion converged: no root to choose")
    roots = []
    for j in range(len(reps)):
        hit = starts_df[starts_df["root"] == j]
        first = hit.iloc[0]
        roots.append({"root": j + 1, **{n: float(first[n]) for n in names},
                      "returns_to_scale": float(sum(first[n] for n in inputs)),
                      "criterion": float(hit["criterion"].min()), "n_starts": len(hit),
                      "reached_from": "; ".join(hit["start"]), "first_start": int(hit.index[0])})
    starts_df["root"] = starts_df["root"] + 1
    roots_df = pd.DataFrame(roots)
    pick, reason, flagged = choose_root(roots_df, inputs, crit_tol)
    chosen_row = flagged[flagged["root"] == pick].iloc[0]
    chosen = pd.Series({n: float(chosen_row[n]) for n in names}, name="coef")
    flagged = flagged.drop(columns=["first_start"])
    return RootScan(starts=starts_df, roots=flagged, chosen=chosen, chosen_start=chosen.tolist(),
                    several=int(flagged["candidate"].sum()) > 1, reason=reason, inputs=inputs)


def _as_list(cols) -> list:
    if cols is None:
        return []
    return [cols] if isinstance(cols, str) else list(cols)


def _n_coefs(free, state, kwargs) -> tuple[int, int]:
    """(number of input coefficients, number of all coefficients) of a Cobb-Douglas ACF fit."""
    n_inputs = len(_as_list(free)) + len(_as_list(state)) + (0 if kwargs.get("value_added", True) else 1)
    return n_inputs, n_inputs + len(_as_list(kwargs.get("controls")))
