"""Figures of the productivity workbook (no statistics: they draw what :mod:`agrocluster.productivity` and
:mod:`agrocluster.programmes` return).

- :func:`coefficients_by_method` — production-function coefficients across estimators, with intervals and,
  for synthetic data, the true values;
- :func:`tfp_distributions` — the distribution of log TFP in groups (members vs others, villages);
- :func:`premium_by_year` — the members' TFP premium year by year, with intervals;
- :func:`op_decomposition` — Olley–Pakes decomposition of aggregate TFP over time;
- :func:`event_study` — Callaway–Sant'Anna effects by event time with uniform bands, dynamic TWFE beside
  them, and the true effects when the data are synthetic.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import seaborn as sns

__all__ = ["coefficients_by_method", "event_study", "op_decomposition", "premium_by_year", "tfp_distributions"]

_TRUTH_STYLE = {"color": "black", "linestyle": "--", "linewidth": 1.2}


def _empty(ax: Any, text: str) -> Any:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return ax


def coefficients_by_method(ax: Any, table: pd.DataFrame, truth: dict[str, float] | None = None,
                           title: str | None = None) -> Any:
    """Coefficients of each input (rows) by estimator (colours), with 95 % intervals where there is an SE.

    ``table`` is long: ``method``, ``term``, ``coef``, ``ci_low``, ``ci_high`` (e.g. the ``.table()`` of each
    :class:`~agrocluster.productivity.TFPResult` with a ``method`` column). ``truth`` maps a term to its true
    value (synthetic data), drawn as a dashed tick across that term's rows.
    """
    if table.empty:
        return _empty(ax, "no coefficient estimated")
    terms = list(dict.fromkeys(table["term"]))
    methods = list(dict.fromkeys(table["method"]))
    width = 0.7 / max(len(methods), 1)
    for j, method in enumerate(methods):
        rows = table[table["method"] == method].set_index("term").reindex(terms)
        y = np.arange(len(terms))[::-1] + 0.35 - width * (j + 0.5)
        est = rows["coef"].to_numpy(float)
        lo, hi = rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float)
        err = np.vstack([est - lo, hi - est])
        err = np.where(np.isfinite(err), err, 0.0)
        ax.errorbar(est, y, xerr=err, fmt="o", color=f"C{j}", capsize=3, label=method, markersize=5)
    if truth:
        first = True
        for i, term in enumerate(terms):
            if term in truth and np.isfinite(truth[term]):
                yc = len(terms) - 1 - i
                ax.vlines(truth[term], yc - 0.4, yc + 0.4, label="true value" if first else None, **_TRUTH_STYLE)
                first = False
    ax.axvline(0.0, color="grey", linewidth=0.8)
    ax.set_yticks(np.arange(len(terms))[::-1], labels=terms)
    # a method with a huge interval (weakly identified) must not squash the others: frame the points
    ref = np.r_[table["coef"].to_numpy(float), list((truth or {}).values()), 0.0, 1.0]
    ref = ref[np.isfinite(ref)]
    pad = max(0.25, 0.3 * float(ref.max() - ref.min()))
    left, right = float(ref.min()) - pad, float(ref.max()) + pad
    ends = table[["ci_low", "ci_high"]].to_numpy(float)
    cut = bool(np.any(ends[np.isfinite(ends)] < left) or np.any(ends[np.isfinite(ends)] > right))
    if cut:
        ax.set_xlim(left, right)
    ax.set_xlabel("output elasticity (95% interval" + ("; intervals beyond the frame are cut)" if cut else ")"))
    ax.set_title(title or "Production-function coefficients by estimator")
    ax.legend(frameon=False, fontsize=8, loc="best")
    return ax


def tfp_distributions(ax: Any, tfp: pd.Series, groups: pd.Series, title: str | None = None,
                      order: list | None = None) -> Any:
    """Density of log TFP in each group (one line per group, labelled with its count) and group medians.

    ``tfp`` and ``groups`` are aligned Series (e.g. ``result.tfp`` and a membership column); rows with a
    missing value in either are not drawn. Groups with fewer than two values are drawn as medians only.
    """
    data = pd.DataFrame({"tfp": tfp.astype(float), "group": groups.reindex(tfp.index)}).dropna()
    if data.empty:
        return _empty(ax, "no TFP estimate to draw")
    levels = order or sorted(data["group"].unique(), key=str)
    for i, level in enumerate(levels):
        vals = data.loc[data["group"] == level, "tfp"]
        if len(vals) == 0:
            continue
        colour = f"C{i % 10}"
        label = f"{level} (n = {len(vals):,})"
        if len(vals) > 1 and vals.std() > 0:
            sns.kdeplot(x=vals.to_numpy(), ax=ax, color=colour, label=label, linewidth=1.8)
        else:
            label += ", too few for a density"
        ax.axvline(float(vals.median()), color=colour, linestyle=":", linewidth=1.2,
                   label=None if len(vals) > 1 and vals.std() > 0 else label)
    ax.set_xlabel("log TFP (dotted lines: medians)")
    ax.set_ylabel("density")
    ax.set_title(title or "Distribution of log TFP")
    ax.legend(frameon=False, fontsize=8)
    return ax


def premium_by_year(ax: Any, by_year: pd.DataFrame, overall: float | None = None,
                    title: str | None = None) -> Any:
    """The premium by year (``year, premium, ci_low, ci_high`` as :class:`PremiumResult.by_year`) as points
    with intervals, a zero line and, when given, the overall premium as a dashed line."""
    if by_year.empty:
        return _empty(ax, "no year has both members and non-members")
    x = by_year["year"].to_numpy()
    est = by_year["premium"].to_numpy(float)
    err = np.vstack([est - by_year["ci_low"].to_numpy(float), by_year["ci_high"].to_numpy(float) - est])
    ax.errorbar(x, est, yerr=err, fmt="o-", color="C0", capsize=3, label="premium in the year (95% interval)")
    if overall is not None and np.isfinite(overall):
        ax.axhline(overall, color="C1", linestyle="--", linewidth=1.2, label=f"all years: {overall:.3f}")
    ax.axhline(0.0, color="grey", linewidth=0.8)
    _period_ticks(ax, x)
    ax.set_xlabel("year")
    ax.set_ylabel("log points")
    ax.set_title(title or "Members' TFP premium over comparable non-members")
    ax.legend(frameon=False, fontsize=8)
    return ax


def _period_ticks(ax: Any, x: np.ndarray) -> None:
    """Every period as a tick when there are few, else every second one (labels must not overlap)."""
    step = 1 if len(x) <= 8 else 2
    ax.set_xticks(x[::step])


def op_decomposition(ax: Any, table: pd.DataFrame, time: str = "year", changes: bool = True,
                     title: str | None = None) -> Any:
    """The Olley–Pakes decomposition by period from :func:`~agrocluster.productivity.olley_pakes_decomposition`
    (indexed by ``time``): with ``changes`` (default) the changes since the first period (``d_aggregate``,
    ``d_mean``, ``d_cov``, which add up), else the levels (``aggregate``, ``unweighted_mean``, ``covariance``)."""
    if table.empty:
        return _empty(ax, "no period to decompose")
    x = table.index.to_numpy() if table.index.name == time else table[time].to_numpy()
    cols = ("d_aggregate", "d_mean", "d_cov") if changes else ("aggregate", "unweighted_mean", "covariance")
    labels = ("aggregate (share-weighted)", "unweighted mean", "covariance (allocative efficiency)")
    for col, label, marker, colour in zip(cols, labels, ("o-", "s-", "^-"), ("C0", "C1", "C2")):
        ax.plot(x, table[col], marker, color=colour, label=label, linewidth=1.8)
    ax.axhline(0.0, color="grey", linewidth=0.8)
    _period_ticks(ax, x)
    ax.set_xlabel(time)
    ax.set_ylabel("change in log TFP since the first period" if changes else "log TFP")
    ax.set_title(title or "Olley–Pakes decomposition of aggregate productivity")
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(0.0, -0.16), ncol=1)
    return ax


def event_study(ax: Any, dynamic: pd.DataFrame, twfe: pd.DataFrame | None = None,
                truth: pd.DataFrame | None = None, band: str = "uniform 95% band",
                title: str | None = None) -> Any:
    """Effects by event time: Callaway–Sant'Anna (``event_time, att, ci_lower, ci_upper`` as the table of
    ``aggregate("dynamic")``) as points with a shaded band; dynamic TWFE (``event_time, estimate, ci_lower,
    ci_upper``, as :class:`EventStudyResult.coefficients`) shifted right; the true effect (``event_time,
    att``) as a black step line."""
    if dynamic.empty:
        return _empty(ax, "no event time estimated")
    e = dynamic["event_time"].to_numpy(float)
    att = dynamic["att"].to_numpy(float)
    lo, hi = dynamic["ci_lower"].to_numpy(float), dynamic["ci_upper"].to_numpy(float)
    ax.fill_between(e, lo, hi, color="C0", alpha=0.2, step=None, label=f"Callaway–Sant'Anna, {band}")
    ax.plot(e, att, "o-", color="C0", label="Callaway–Sant'Anna ATT(e)", linewidth=1.6)
    if twfe is not None and not twfe.empty:
        te = twfe["event_time"].to_numpy(float) + 0.15
        est = twfe["estimate"].to_numpy(float)
        err = np.vstack([est - twfe["ci_lower"].to_numpy(float), twfe["ci_upper"].to_numpy(float) - est])
        ax.errorbar(te, est, yerr=err, fmt="s", color="C3", capsize=2, markersize=4,
                    label="dynamic TWFE (pointwise 95%)")
    if truth is not None and not truth.empty:
        tr = truth[(truth["event_time"] >= e.min()) & (truth["event_time"] <= e.max())]
        ax.plot(tr["event_time"], tr["att"], color="black", linestyle="--", linewidth=1.2, marker="x",
                label="true effect (synthetic)")
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.axvline(-0.5, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("periods since entry into the programme")
    ax.set_ylabel("effect on the outcome (log points)")
    ax.set_title(title or "Programme effect by time since entry")
    ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    return ax
