"""Bilateral trade flows of one exporter (exporter × importer × product × year): destinations, margins, risk.

Input is a ``trade_flows`` table: ``exporter``, ``importer`` (ISO3), ``product``, ``year``, ``value``
(>= 0), ``quantity``. Filter it to the cluster's products first: flows of all products passed are summed.

Everything here is arithmetic on grouped sums; no library computes these cluster-level indicators with the
conventions below (HK margins relative to a reference, count margins, new/lost/continuing decomposition,
stress scenario), so they are written here with pandas. World shares, RCA and competitors (grain country
× product) are in :mod:`agrocluster.exports.shares`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from agrocluster._frames import require_columns as _require
from agrocluster.errors import EstimationError
from agrocluster.exports._validation import hhi, numeric, trade_table
from agrocluster.results import NothingExcluded, ResultProtocol, indicator_tidy, set_exclusions, tidy_frame

__all__ = [
    "DestinationStructure",
    "ExportMargins",
    "ExportRisk",
    "GrowthDecomposition",
    "StressScenario",
    "UnitValues",
    "destination_structure",
    "export_risk",
    "growth_decomposition",
    "hummels_klenow",
    "stress_scenario",
    "unit_values",
]


# --------------------------------------------------------------------------------------------- destinations


def _exporter_year(
    df: pd.DataFrame, what: str, exporter_code: str, year_value: int | None, known_codes, *, by: str = "importer"
) -> tuple[pd.DataFrame, pd.Series]:
    flows = trade_table(df, what, known_codes)
    sub = flows[flows["exporter"].astype(str) == str(exporter_code)]
    if year_value is not None:
        sub = sub[sub["year"] == year_value]
    if sub.empty:
        raise EstimationError(f"{what}: no flows for exporter {exporter_code!r}" + (f" in {year_value}" if year_value is not None else ""))
    by_cat = sub.groupby(sub[by].astype(str))["value"].sum()
    if by_cat.sum() <= 0:
        raise EstimationError(
            f"{what}: all flows of exporter {exporter_code!r}"
            + (f" in {year_value}" if year_value is not None else "")
            + " are zero: shares are undefined"
        )
    return sub, by_cat


@dataclass(frozen=True)
class DestinationStructure(NothingExcluded, ResultProtocol):
    """Destination structure of one exporter's exports in one year.

    Attributes
    ----------
    exporter, year : the exporter code and year.
    total_exports : sum of the flows.
    n_markets : destinations with positive exports.
    hhi : Herfindahl–Hirschman index of destination shares, ``sum_m s_m^2`` (1/n_markets .. 1).
    top_market, top_market_share : largest destination and its share.
    """

    exporter: str
    year: int
    total_exports: float
    n_markets: int
    hhi: float
    top_market: str
    top_market_share: float
    destinations: pd.DataFrame = field(repr=False)

    def tidy(self) -> pd.DataFrame:
        """Total exports, number of markets, HHI and the top market's share (descriptive: no SEs)."""
        return indicator_tidy({"total_exports": self.total_exports, "n_markets": self.n_markets, "hhi": self.hhi,
                               "top_market_share": self.top_market_share})

    @property
    def nobs(self) -> int:
        """Destinations with positive exports."""
        return int(self.n_markets)

    def table(self) -> pd.DataFrame:
        return self.destinations.copy()

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "indicator": ["total_exports", "n_markets", "hhi", "top_market", "top_market_share"],
                "value": [self.total_exports, self.n_markets, self.hhi, self.top_market, self.top_market_share],
            }
        )


def destination_structure(
    flows: pd.DataFrame, exporter_code: str, year: int, known_codes: Iterable[str] | None = None
) -> DestinationStructure:
    """Number of markets, HHI of destination shares and top-market share of one exporter in one year.

    ``s_m = X_m / sum_m' X_m'`` over importers ``m`` (all products passed summed: filter ``flows`` to the
    cluster's products first), ``HHI = sum_m s_m^2`` (as EconGeo ``herfindahl`` on shares).

    Raises
    ------
    DataContractError
        Negative values (rows named), unknown country codes.
    EstimationError
        No flows, or all-zero flows, for the exporter in that year.

    Examples
    --------
    >>> flows = pd.DataFrame({"exporter": ["CHL"] * 4 + ["FRA"] * 4, "importer": ["USA", "CHN", "GBR", "JPN"] * 2,
    ...                       "product": "2204", "year": 2020, "value": [40.0, 30.0, 20.0, 10.0, 80.0, 60.0, 40.0, 20.0],
    ...                       "quantity": [20.0, 10.0, 10.0, 5.0, 20.0, 20.0, 10.0, 5.0]})
    >>> res = destination_structure(flows, "CHL", 2020)
    >>> round(res.hhi, 3), res.top_market, res.nobs
    (0.3, 'USA', 4)
    """
    _, by_m = _exporter_year(flows, "destination_structure", exporter_code, year, known_codes)
    total = float(by_m.sum())
    t = by_m[by_m > 0].sort_values(ascending=False, kind="stable")
    t = t.rename_axis("importer").reset_index(name="value")
    t = t.sort_values(["value", "importer"], ascending=[False, True], kind="stable").reset_index(drop=True)
    t["share"] = t["value"] / total
    t["cumulative_share"] = t["share"].cumsum()
    t.insert(0, "rank", np.arange(1, len(t) + 1))
    return DestinationStructure(
        exporter=str(exporter_code),
        year=int(year),
        total_exports=total,
        n_markets=len(t),
        hhi=hhi(t["share"].to_numpy()),
        top_market=str(t["importer"].iloc[0]),
        top_market_share=float(t["share"].iloc[0]),
        destinations=t,
    )


@dataclass(frozen=True)
class ExportMargins(NothingExcluded, ResultProtocol):
    """Hummels–Klenow (2005) and count-based extensive and intensive margins of one exporter.

    Attributes
    ----------
    exporter, reference, year, categories : who is compared with whom, when, over which categories.
    extensive, intensive : HK margins, ``extensive * intensive == relative_exports``.
    relative_exports : ``X_j / X_k`` (exporter over reference).
    count_extensive, count_intensive : ``n_j / n_k`` and ``(X_j / n_j) / (X_k / n_k)``; their product is
        also ``X_j / X_k``.
    n_categories_exporter, n_categories_reference : categories with positive exports.
    """

    exporter: str
    reference: str
    year: int
    categories: tuple[str, ...]
    extensive: float
    intensive: float
    relative_exports: float
    count_extensive: float
    count_intensive: float
    n_categories_exporter: int
    n_categories_reference: int

    def tidy(self) -> pd.DataFrame:
        """The margins and relative exports (descriptive: no SEs)."""
        return indicator_tidy({"extensive": self.extensive, "intensive": self.intensive,
                               "relative_exports": self.relative_exports, "count_extensive": self.count_extensive,
                               "count_intensive": self.count_intensive})

    @property
    def nobs(self) -> int:
        """Categories with positive exports of the exporter."""
        return int(self.n_categories_exporter)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "method": ["hummels_klenow", "hummels_klenow", "count", "count", "both"],
                "margin": ["extensive", "intensive", "extensive", "intensive", "relative_exports"],
                "value": [
                    self.extensive,
                    self.intensive,
                    self.count_extensive,
                    self.count_intensive,
                    self.relative_exports,
                ],
            }
        )

    def summary(self) -> pd.DataFrame:
        return self.table()


def hummels_klenow(
    flows: pd.DataFrame,
    exporter_code: str,
    year: int,
    reference: str | None = None,
    categories: tuple[str, ...] = ("importer", "product"),
    known_codes: Iterable[str] | None = None,
) -> ExportMargins:
    """Extensive and intensive margins of an exporter relative to a reference (Hummels & Klenow 2005).

    As Hummels & Klenow (2005, AER 95(3), eq. 1-3), with categories ``i`` (default importer × product
    cells; pass ``("importer",)`` for markets or ``("product",)`` for products), ``I`` the categories the
    reference exports, ``I_j`` those the exporter ``j`` exports (positive value):

    - extensive ``EM_j = sum_{i in I_j} X_ki / sum_{i in I} X_ki`` (the reference's exports in the categories
      ``j`` is present in, as a share of all its exports);
    - intensive ``IM_j = sum_{i in I_j} X_ji / sum_{i in I_j} X_ki``;
    - ``EM_j * IM_j = X_j / X_k``.

    The reference ``k`` is, by default, the rest of the world (all other exporters summed, as in HK who
    compare with the rest of the world's exports); or one named exporter. The count-based version uses
    numbers of categories: ``n_j / n_k`` and the average value per category relative to the reference's.

    Raises
    ------
    EstimationError
        All-zero flows for the exporter or the reference, or a reference with no exports in any category the
        exporter serves (the intensive margin is x/0).

    Examples
    --------
    >>> flows = pd.DataFrame({"exporter": ["CHL"] * 4 + ["FRA"] * 4, "importer": ["USA", "CHN", "GBR", "JPN"] * 2,
    ...                       "product": "2204", "year": 2020, "value": [40.0, 30.0, 20.0, 10.0, 80.0, 60.0, 40.0, 20.0],
    ...                       "quantity": [20.0, 10.0, 10.0, 5.0, 20.0, 20.0, 10.0, 5.0]})
    >>> res = hummels_klenow(flows, "CHL", 2020, reference="FRA")
    >>> res.table().round(3)
               method            margin  value
    0  hummels_klenow         extensive    1.0
    1  hummels_klenow         intensive    0.5
    2           count         extensive    1.0
    3           count         intensive    0.5
    4            both  relative_exports    0.5
    """
    what = "hummels_klenow"
    cats = list(categories)
    _require(flows, cats, what)
    _exporter_year(flows, what, exporter_code, year, known_codes)  # validates; all-zero exporter -> error
    allf = trade_table(flows, what, known_codes)
    allf[cats] = flows[cats]
    allf = allf[allf["year"] == year]
    is_j = allf["exporter"].astype(str) == str(exporter_code)
    if reference is None:
        ref_rows = allf[~is_j]
        ref_name = "rest_of_world"
    else:
        ref_rows = allf[allf["exporter"].astype(str) == str(reference)]
        ref_name = str(reference)
    key = [allf[c].astype(str) for c in cats]
    xj = allf[is_j].groupby([k[is_j] for k in key])["value"].sum()
    ref_mask = allf.index.isin(ref_rows.index)
    xk = allf[ref_mask].groupby([k[ref_mask] for k in key])["value"].sum()
    xj = xj[xj > 0]
    xk = xk[xk > 0]
    total_k = float(xk.sum())
    if total_k <= 0:
        raise EstimationError(f"{what}: reference {ref_name!r} has all-zero (or no) exports in {year}")
    xk_in_j = float(xk.reindex(xj.index, fill_value=0.0).sum())
    if xk_in_j <= 0:
        raise EstimationError(
            f"{what}: reference {ref_name!r} exports nothing in the categories {tuple(cats)} that "
            f"{exporter_code!r} serves in {year}: the intensive margin is undefined"
        )
    total_j = float(xj.sum())
    n_j, n_k = len(xj), len(xk)
    return ExportMargins(
        exporter=str(exporter_code),
        reference=ref_name,
        year=int(year),
        categories=tuple(cats),
        extensive=xk_in_j / total_k,
        intensive=total_j / xk_in_j,
        relative_exports=total_j / total_k,
        count_extensive=n_j / n_k,
        count_intensive=(total_j / n_j) / (total_k / n_k),
        n_categories_exporter=n_j,
        n_categories_reference=n_k,
    )


# ---------------------------------------------------------------------------------------------- unit values


@dataclass(frozen=True)
class UnitValues(ResultProtocol):
    """Unit values by exporter × product × year and their ratio to the world median.

    Attributes
    ----------
    excluded : DataFrame ``reason, n, unit`` of flows left out (missing or zero quantity).
    n_rows_used : flows that entered the unit values.
    """

    unit_values: pd.DataFrame = field(repr=False)
    excluded: pd.DataFrame
    n_rows_used: int

    def __post_init__(self) -> None:
        set_exclusions(self, unit="rows")

    def tidy(self) -> pd.DataFrame:
        """Median relative unit value of each exporter (term = exporter)."""
        s = self.summary()
        return tidy_frame(s["exporter"], s["relative_unit_value"])

    @property
    def nobs(self) -> int:
        """Flows that entered the unit values."""
        return int(self.n_rows_used)

    def table(self) -> pd.DataFrame:
        return self.unit_values.copy()

    def summary(self) -> pd.DataFrame:
        return self.unit_values.groupby("exporter", as_index=False)["relative_unit_value"].median()


def unit_values(
    flows: pd.DataFrame, quantity: str = "quantity", known_codes: Iterable[str] | None = None
) -> UnitValues:
    """Unit values ``value / quantity`` as a quality signal, relative to the world median per product-year.

    For each exporter × product × year, ``uv = sum value / sum quantity`` over its flows with a positive
    quantity; ``relative_unit_value = uv / median_e(uv_e)``, the median taken across exporters of the same
    product and year (unweighted, as in the export-quality literature's "relative unit value"; e.g.
    Hallak 2006). Above 1 suggests higher quality or mark-up, also composition within the product code.
    Flows without a quantity, or with quantity 0, are excluded and counted in ``excluded``.

    Examples
    --------
    >>> flows = pd.DataFrame({"exporter": ["CHL"] * 4 + ["FRA"] * 4, "importer": ["USA", "CHN", "GBR", "JPN"] * 2,
    ...                       "product": "2204", "year": 2020, "value": [40.0, 30.0, 20.0, 10.0, 80.0, 60.0, 40.0, 20.0],
    ...                       "quantity": [20.0, 10.0, 10.0, 5.0, 20.0, 20.0, 10.0, 5.0]})
    >>> unit_values(flows).summary().round(3)
      exporter  relative_unit_value
    0      CHL                0.759
    1      FRA                1.241
    """
    what = "unit_values"
    f = trade_table(flows, what, known_codes)
    _require(flows, [quantity], what)
    q = numeric(flows, quantity, ["exporter", "importer", "product", "year"], what, allow_na=True)
    missing = np.isnan(q)
    zero = ~missing & (q == 0)
    use = ~missing & ~zero
    f["quantity"] = q
    excluded = pd.DataFrame(
        {"reason": ["quantity missing", "quantity zero"], "n_rows": [int(missing.sum()), int(zero.sum())]}
    )
    if not use.any():
        raise EstimationError(f"{what}: no flow has a positive {quantity!r}; unit values are undefined")
    g = f[use].groupby(["exporter", "product", "year"], as_index=False)[["value", "quantity"]].sum()
    g["unit_value"] = g["value"] / g["quantity"]
    g["world_median_unit_value"] = g.groupby(["product", "year"])["unit_value"].transform("median")
    g["relative_unit_value"] = np.divide(
        g["unit_value"].to_numpy(),
        g["world_median_unit_value"].to_numpy(),
        out=np.full(len(g), np.nan),
        where=g["world_median_unit_value"].to_numpy() > 0,
    )
    return UnitValues(unit_values=g, excluded=excluded, n_rows_used=int(use.sum()))


# -------------------------------------------------------------------------------------- growth decomposition


@dataclass(frozen=True)
class GrowthDecomposition(NothingExcluded, ResultProtocol):
    """Export growth between two years split into new, lost and continuing markets.

    Attributes
    ----------
    exports_start, exports_end, change : ``X0``, ``X1`` and ``X1 - X0``.
    new_markets : ``sum X1`` over markets with ``X0 = 0 < X1`` (extensive, entry).
    lost_markets : ``-sum X0`` over markets with ``X0 > 0 = X1`` (extensive, exit; <= 0).
    continuing : ``sum (X1 - X0)`` over markets served in both years (intensive).
    growth_rate : ``change / X0`` (NaN when ``X0 = 0``).
    n_new, n_lost, n_continuing : numbers of markets.
    """

    exporter: str
    start_year: int
    end_year: int
    exports_start: float
    exports_end: float
    change: float
    new_markets: float
    lost_markets: float
    continuing: float
    growth_rate: float
    n_new: int
    n_lost: int
    n_continuing: int
    markets: pd.DataFrame = field(repr=False)

    def tidy(self) -> pd.DataFrame:
        """The change and its margins (an accounting identity: no SEs)."""
        return indicator_tidy({"change": self.change, "new_markets": self.new_markets,
                               "lost_markets": self.lost_markets, "continuing": self.continuing,
                               "growth_rate": self.growth_rate})

    @property
    def nobs(self) -> int:
        """Markets served in either year."""
        return int(self.n_new + self.n_lost + self.n_continuing)

    def table(self) -> pd.DataFrame:
        comp = pd.DataFrame(
            {
                "component": ["new_markets", "lost_markets", "continuing", "total"],
                "change": [self.new_markets, self.lost_markets, self.continuing, self.change],
                "n_markets": [self.n_new, self.n_lost, self.n_continuing, self.n_new + self.n_lost + self.n_continuing],
            }
        )
        comp["share_of_change"] = comp["change"] / self.change if self.change != 0 else np.nan
        comp["contribution_to_growth"] = comp["change"] / self.exports_start if self.exports_start > 0 else np.nan
        return comp

    def summary(self) -> pd.DataFrame:
        return self.table()


def growth_decomposition(
    flows: pd.DataFrame,
    exporter_code: str,
    start_year: int,
    end_year: int,
    by: str = "importer",
    known_codes: Iterable[str] | None = None,
) -> GrowthDecomposition:
    """Decompose an exporter's export growth between two years into new, lost and continuing markets.

    ``X1 - X0 = sum_{new} X1_m - sum_{lost} X0_m + sum_{continuing} (X1_m - X0_m)`` with markets ``m`` the
    levels of ``by`` (importer by default; ``"product"`` for products). This is the additive
    extensive/intensive split of e.g. Amurgo-Pacheco & Pierola (2008) and Besedeš & Prusa (2011); a market
    counts as served when its summed value is positive.

    Raises
    ------
    EstimationError
        ``end_year <= start_year``; all-zero flows for the exporter in both years.

    Examples
    --------
    >>> flows = pd.DataFrame({"exporter": "CHL", "importer": ["USA", "CHN", "GBR", "USA", "CHN", "JPN"], "product": "2204",
    ...                       "year": [2015, 2015, 2015, 2020, 2020, 2020], "value": [40.0, 10.0, 5.0, 50.0, 30.0, 8.0]})
    >>> growth_decomposition(flows, "CHL", 2015, 2020).table().round(3)
          component  change  n_markets  share_of_change  contribution_to_growth
    0   new_markets     8.0          1            0.242                   0.145
    1  lost_markets    -5.0          1           -0.152                  -0.091
    2    continuing    30.0          2            0.909                   0.545
    3         total    33.0          4            1.000                   0.600
    """
    what = "growth_decomposition"
    if end_year <= start_year:
        raise EstimationError(f"{what}: end_year={end_year} must be after start_year={start_year}")
    f = trade_table(flows, what, known_codes)
    _require(flows, [by], what)
    f[by] = flows[by].astype(str)
    sub = f[(f["exporter"].astype(str) == str(exporter_code)) & f["year"].isin([start_year, end_year])]
    wide = sub.pivot_table(index=by, columns="year", values="value", aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(columns=[start_year, end_year], fill_value=0.0)
    x0, x1 = wide[start_year].to_numpy(), wide[end_year].to_numpy()
    if x0.sum() <= 0 and x1.sum() <= 0:
        raise EstimationError(
            f"{what}: exporter {exporter_code!r} has no positive flows in {start_year} or {end_year}"
        )
    new = (x0 <= 0) & (x1 > 0)
    lost = (x0 > 0) & (x1 <= 0)
    cont = (x0 > 0) & (x1 > 0)
    status = np.select([new, lost, cont], ["new", "lost", "continuing"], default="never")
    markets = pd.DataFrame(
        {by: wide.index.astype(str), "value_start": x0, "value_end": x1, "status": status}
    )
    markets = markets[markets["status"] != "never"].reset_index(drop=True)
    markets["change"] = markets["value_end"] - markets["value_start"]
    X0, X1 = float(x0.sum()), float(x1.sum())
    return GrowthDecomposition(
        exporter=str(exporter_code),
        start_year=int(start_year),
        end_year=int(end_year),
        exports_start=X0,
        exports_end=X1,
        change=X1 - X0,
        new_markets=float(x1[new].sum()),
        lost_markets=0.0 - float(x0[lost].sum()),  # 0.0 - x, not -x: no "-0.0" when no market is lost
        continuing=float((x1[cont] - x0[cont]).sum()),
        growth_rate=(X1 - X0) / X0 if X0 > 0 else float("nan"),
        n_new=int(new.sum()),
        n_lost=int(lost.sum()),
        n_continuing=int(cont.sum()),
        markets=markets,
    )


# ------------------------------------------------------------------------------------------------------ risk


@dataclass(frozen=True)
class ExportRisk(NothingExcluded, ResultProtocol):
    """Dependence of one exporter on its top market and top product, and exposure to one market's fall.

    Attributes
    ----------
    top_market, top_market_share, market_hhi : largest destination, its share, HHI over destinations.
    top_product, top_product_share, product_hhi : the same over products.
    drop : the fall in one market's imports assumed for ``exposure`` (0.1 = -10 %).
    max_exposure : share of total exports lost if the top market falls by ``drop`` (= drop × top share).
    """

    exporter: str
    year: int
    total_exports: float
    top_market: str
    top_market_share: float
    market_hhi: float
    top_product: str
    top_product_share: float
    product_hhi: float
    drop: float
    max_exposure: float
    exposure: pd.DataFrame = field(repr=False)

    def tidy(self) -> pd.DataFrame:
        """Concentration of destinations and products and the exposure to the top market (no SEs)."""
        return indicator_tidy({"top_market_share": self.top_market_share, "market_hhi": self.market_hhi,
                               "top_product_share": self.top_product_share, "product_hhi": self.product_hhi,
                               "max_exposure": self.max_exposure})

    @property
    def nobs(self) -> int:
        """Rows of the exposure table (destination markets)."""
        return len(self.exposure)

    def table(self) -> pd.DataFrame:
        return self.exposure.copy()

    def summary(self) -> pd.DataFrame:
        names = ["top_market", "top_market_share", "market_hhi", "top_product", "top_product_share",
                 "product_hhi", "drop", "max_exposure"]
        return pd.DataFrame({"indicator": names, "value": [getattr(self, n) for n in names]})


def export_risk(
    flows: pd.DataFrame, exporter_code: str, year: int, drop: float = 0.1, known_codes: Iterable[str] | None = None
) -> ExportRisk:
    """Concentration risk of one exporter's exports in one year.

    Dependence on the top market ``max_m s_m`` and on the top product ``max_p s_p``; HHIs of both; and, for
    each market ``m``, the share of total exports lost if its imports from the exporter fall by ``drop``:
    ``exposure_m = drop * s_m`` (first-order: no diversion of the lost sales to other markets).
    The table lists markets in decreasing share with ``share``, ``loss_value`` and ``exposure``.

    Examples
    --------
    >>> flows = pd.DataFrame({"exporter": ["CHL"] * 4 + ["FRA"] * 4, "importer": ["USA", "CHN", "GBR", "JPN"] * 2,
    ...                       "product": "2204", "year": 2020, "value": [40.0, 30.0, 20.0, 10.0, 80.0, 60.0, 40.0, 20.0],
    ...                       "quantity": [20.0, 10.0, 10.0, 5.0, 20.0, 20.0, 10.0, 5.0]})
    >>> res = export_risk(flows, "CHL", 2020, drop=0.1)
    >>> round(res.max_exposure, 3), res.top_market
    (0.04, 'USA')
    """
    what = "export_risk"
    if not 0 < drop <= 1:
        raise EstimationError(f"{what}: drop={drop} must be in (0, 1] (a fall of 100*drop percent)")
    sub, by_m = _exporter_year(flows, what, exporter_code, year, known_codes)
    by_p = sub.groupby(sub["product"].astype(str))["value"].sum()
    total = float(by_m.sum())
    m = (by_m[by_m > 0] / total).rename("share").rename_axis("importer").reset_index()
    m = m.sort_values(["share", "importer"], ascending=[False, True], kind="stable").reset_index(drop=True)
    m["value"] = m["share"] * total
    m["loss_value"] = drop * m["value"]
    m["exposure"] = drop * m["share"]
    p = (by_p[by_p > 0] / total).sort_values(ascending=False, kind="stable")
    return ExportRisk(
        exporter=str(exporter_code),
        year=int(year),
        total_exports=total,
        top_market=str(m["importer"].iloc[0]),
        top_market_share=float(m["share"].iloc[0]),
        market_hhi=hhi(m["share"].to_numpy()),
        top_product=str(p.index[0]),
        top_product_share=float(p.iloc[0]),
        product_hhi=hhi(p.to_numpy()),
        drop=float(drop),
        max_exposure=float(m["exposure"].iloc[0]),
        exposure=m,
    )


@dataclass(frozen=True)
class StressScenario(ResultProtocol):
    """What a collapse of one market does to cluster exports and employment.

    Attributes
    ----------
    market, market_share, drop : the market hit, its share of exports, the fall (0.5 = -50 %).
    exports_before, export_loss, exports_after, export_loss_share : export values.
    jobs_at_risk : employment lost under the assumptions (NaN when no employment information is given).
    employment_basis : "coefficient", "establishments" or "none".
    employment_before : cluster employment in the establishments used (NaN unless basis is establishments).
    excluded : DataFrame ``reason, n, unit`` of establishments left out of the employment calculation.
    assumptions : the assumptions, in words.
    n_establishments : establishments whose employment entered ``jobs_at_risk`` (0 unless basis is establishments).
    """

    exporter: str
    year: int
    market: str
    market_share: float
    drop: float
    exports_before: float
    export_loss: float
    exports_after: float
    export_loss_share: float
    jobs_at_risk: float
    employment_basis: str
    employment_before: float
    excluded: pd.DataFrame
    assumptions: tuple[str, ...]
    n_establishments: int = 0

    def __post_init__(self) -> None:
        set_exclusions(self, unit="establishments")

    def tidy(self) -> pd.DataFrame:
        """Export loss and jobs at risk under the scenario's assumptions (a projection: no SEs)."""
        return indicator_tidy({"market_share": self.market_share, "export_loss": self.export_loss,
                               "export_loss_share": self.export_loss_share, "jobs_at_risk": self.jobs_at_risk})

    @property
    def nobs(self) -> int:
        """Establishments whose employment entered ``jobs_at_risk``."""
        return int(self.n_establishments)

    def table(self) -> pd.DataFrame:
        names = ["market", "market_share", "drop", "exports_before", "export_loss", "exports_after",
                 "export_loss_share", "jobs_at_risk", "employment_before"]
        return pd.DataFrame({"indicator": names, "value": [getattr(self, n) for n in names]})

    def summary(self) -> pd.DataFrame:
        return self.table()


def stress_scenario(
    flows: pd.DataFrame,
    exporter_code: str,
    year: int,
    drop: float = 0.5,
    market: str | None = None,
    employment_per_export: float | None = None,
    establishments: pd.DataFrame | None = None,
    members_only: bool = True,
    known_codes: Iterable[str] | None = None,
) -> StressScenario:
    """Stress scenario: the largest market (or ``market``) cuts its imports from the cluster by ``drop``.

    Exports: ``loss = drop * X_m``; ``X_after = X - loss``. Employment, when information is given:

    - ``employment_per_export`` (jobs per unit of export value, e.g. from a regional I-O table):
      ``jobs_at_risk = loss * employment_per_export``;
    - ``establishments`` (rows of ``year``; members only when ``members_only`` and ``cluster_member``
      exists): every firm loses the same share ``loss / X`` of its exports and cuts employment in
      proportion to output, ``jobs_at_risk = sum_f labour_f * (exports_f / output_f) * loss / X``.
      Establishments with missing or zero output, or missing exports or labour, are excluded and counted.

    Assumptions (also on the result): no diversion of the lost sales to other markets or to the domestic
    market; a proportional cut in every firm's exports (firm-level destinations unknown); fixed labour per
    unit of output (no labour hoarding); direct effects only (no input-output multiplier).

    Examples
    --------
    >>> flows = pd.DataFrame({"exporter": ["CHL"] * 4 + ["FRA"] * 4, "importer": ["USA", "CHN", "GBR", "JPN"] * 2,
    ...                       "product": "2204", "year": 2020, "value": [40.0, 30.0, 20.0, 10.0, 80.0, 60.0, 40.0, 20.0],
    ...                       "quantity": [20.0, 10.0, 10.0, 5.0, 20.0, 20.0, 10.0, 5.0]})
    >>> res = stress_scenario(flows, "CHL", 2020, drop=0.5, employment_per_export=0.2)
    >>> res.tidy()[["term", "estimate"]].round(3)
                    term  estimate
    0       market_share       0.4
    1        export_loss      20.0
    2  export_loss_share       0.2
    3       jobs_at_risk       4.0
    """
    what = "stress_scenario"
    if not 0 < drop <= 1:
        raise EstimationError(f"{what}: drop={drop} must be in (0, 1] (a fall of 100*drop percent)")
    if employment_per_export is not None and establishments is not None:
        raise EstimationError(f"{what}: give employment_per_export= or establishments=, not both")
    _, by_m = _exporter_year(flows, what, exporter_code, year, known_codes)
    total = float(by_m.sum())
    if market is None:
        ordered = by_m.sort_values(ascending=False, kind="stable")
        market_name = str(ordered.index[0])
    else:
        market_name = str(market)
        if market_name not in by_m.index:
            raise EstimationError(f"{what}: exporter {exporter_code!r} has no flows to market {market_name!r} in {year}")
    x_m = float(by_m.loc[market_name])
    loss = drop * x_m
    assumptions = [
        "no diversion of the lost sales to other markets or to the domestic market",
        "direct effect only (no input-output multiplier)",
    ]
    excluded = pd.DataFrame({"reason": pd.Series([], dtype="string"), "n_rows": pd.Series([], dtype="int64")})
    jobs, basis, emp_before, n_establishments = float("nan"), "none", float("nan"), 0
    if employment_per_export is not None:
        if not np.isfinite(employment_per_export) or employment_per_export < 0:
            raise EstimationError(f"{what}: employment_per_export={employment_per_export} must be finite and >= 0")
        jobs, basis = loss * float(employment_per_export), "coefficient"
        assumptions.append("constant jobs per unit of exports (employment_per_export)")
    elif establishments is not None:
        est = establishments
        _require(est, ["year", "labour", "output", "exports"], what)
        est = est[est["year"] == year]
        if members_only and "cluster_member" in est.columns:
            est = est[est["cluster_member"].fillna(False).astype(bool)]
        keys = ["year"] + (["firm_id"] if "firm_id" in est.columns else [])
        lab = numeric(est, "labour", keys, what, allow_na=True)
        out = numeric(est, "output", keys, what, allow_na=True)
        exp = numeric(est, "exports", keys, what, allow_na=True)
        miss = np.isnan(lab) | np.isnan(out) | np.isnan(exp)
        zero_out = ~miss & (out <= 0)
        use = ~miss & ~zero_out
        excluded = pd.DataFrame(
            {
                "reason": pd.Series(["labour, output or exports missing", "output zero"], dtype="string"),
                "n_rows": [int(miss.sum()), int(zero_out.sum())],
            }
        )
        if not use.any():
            raise EstimationError(f"{what}: no establishment in {year} has labour, positive output and exports")
        export_share = np.minimum(exp[use] / out[use], 1.0)
        jobs = float(np.sum(lab[use] * export_share) * loss / total)
        emp_before = float(lab[use].sum())
        n_establishments = int(use.sum())
        basis = "establishments"
        assumptions += [
            "every firm loses the same share of its exports (firm destinations unknown)",
            (
                "employment falls in proportion to output (fixed labour per unit of output, export share of "
                "output capped at 1)"
            ),
        ]
    return StressScenario(
        exporter=str(exporter_code),
        year=int(year),
        market=market_name,
        market_share=x_m / total,
        drop=float(drop),
        exports_before=total,
        export_loss=loss,
        exports_after=total - loss,
        export_loss_share=loss / total,
        jobs_at_risk=jobs,
        employment_basis=basis,
        employment_before=emp_before,
        excluded=excluded,
        assumptions=tuple(assumptions),
        n_establishments=n_establishments,
    )
