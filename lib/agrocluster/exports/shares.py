"""World markets of a product at the grain country × product × year: shares, orientation, RCA, competitors.

Input is a ``country_product`` table (FAOSTAT food-balance style, *quantities in thousand tonnes*):
``country`` (ISO3), ``item``, ``year``, ``production``, ``imports``, ``exports``, optional
``domestic_supply``; or any long export table ``exporter, product, year, value`` for RCA and competitors.

World totals are sums over the rows passed in, so the caller passes **country rows only** (FAOSTAT's
"World", continents and groupings such as 5000 or 5100-5817, and FAOSTAT's "China" 351 = mainland + Hong
Kong + Macao + Taiwan, would double-count). Country codes are checked against the ISO3 list of
``country_converter``; pass ``known_codes`` to accept other codes (e.g. a subnational cluster id).
FAOSTAT changed its food-balance methodology in 2010 (old series to 2013, new from 2010): a share series
that crosses 2010 mixes the two. Bilateral flows (destinations, margins, risk) are in
:mod:`agrocluster.exports.bilateral`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from agrocluster._frames import code_equals
from agrocluster._frames import describe_rows as _rows
from agrocluster._frames import require_columns as _require
from agrocluster.errors import DataContractError, EstimationError
from agrocluster.exports._validation import check_codes, numeric, trade_table
from agrocluster.exports.product_space import revealed_comparative_advantage
from agrocluster.results import NothingExcluded, ResultProtocol, indicator_tidy

__all__ = [
    "CompetitorTable",
    "comparative_advantage",
    "competitor_table",
    "country_profile",
    "export_orientation",
    "import_dependence",
    "rca_sample",
    "world_market_share",
]


# ------------------------------------------------------------------------------ country-product indicators


_CP_KEYS = ["country", "item", "year"]


_MISSING = ("raise", "exclude")


def _country_product(cp: pd.DataFrame, cols: list[str], what: str, known_codes, missing: str = "raise") -> pd.DataFrame:
    if missing not in _MISSING:
        raise DataContractError(f"{what}: missing={missing!r} must be one of {_MISSING}")
    _require(cp, [*_CP_KEYS, *cols], what)
    dup = cp.duplicated(subset=_CP_KEYS, keep=False).to_numpy()
    if dup.any():
        raise DataContractError(f"{what}: more than one row per (country, item, year) in {_rows(cp, dup, _CP_KEYS)}")
    out = cp[_CP_KEYS].copy()
    for c in cols:
        out[c] = numeric(cp, c, _CP_KEYS, what, allow_na=missing == "exclude")
    check_codes(out, ["country"], what, known_codes)
    return out


def world_market_share(
    cp: pd.DataFrame, known_codes: Iterable[str] | None = None, missing: str = "raise"
) -> pd.DataFrame:
    """World market share of each country in each item and year, in exports and in production.

    ``export_share = exports_c / sum_c' exports_c'`` and ``production_share`` alike, the sums running over
    the country rows passed in (countries only: see the module docstring). Changes are in share points
    (0.01 = one percentage point): ``d_export_share`` against the previous year present for that country and
    item, ``export_share_change_since_start`` against its first year (same for production).

    Parameters
    ----------
    cp : DataFrame
        country_product table (``country, item, year, production, exports``; quantities, thousand tonnes).
    known_codes : iterable of str, optional
        Accepted country codes (default: ISO3 codes of ``country_converter``).
    missing : {"raise", "exclude"}, default "raise"
        What a missing (NA) quantity means. ``"raise"``: an error naming the rows. ``"exclude"``: the
        quantity is not reported; it is left out of that column's world total and the country's share is
        NaN (its other column still counts). FAOSTAT food balances leave production missing for many
        countries that re-export without producing (e.g. wine in Singapore): dropping those rows would
        understate world exports, so count how many quantities are missing and use ``"exclude"``.

    Returns
    -------
    DataFrame
        ``country, item, year, exports, production, world_exports, world_production, export_share,
        production_share, d_export_share, d_production_share, export_share_change_since_start,
        production_share_change_since_start``, sorted by item, country, year.

    Raises
    ------
    DataContractError
        Missing columns, duplicated keys, negative or missing quantities, unknown country codes.
    EstimationError
        An item with zero world exports (no exporter) or zero world production in a year.

    Examples
    --------
    >>> cp = pd.DataFrame({"country": ["CHL", "FRA", "ITA"], "item": "2655", "year": 2020,
    ...                    "production": [10.0, 40.0, 50.0], "exports": [8.0, 15.0, 20.0], "imports": [0.5, 6.0, 3.0]})
    >>> world_market_share(cp)[["country", "export_share", "production_share"]].round(3)
      country  export_share  production_share
    0     CHL         0.186               0.1
    1     FRA         0.349               0.4
    2     ITA         0.465               0.5
    """
    what = "world_market_share"
    out = _country_product(cp, ["exports", "production"], what, known_codes, missing)
    for col, label in (("exports", "world_exports"), ("production", "world_production")):
        out[label] = out.groupby(["item", "year"])[col].transform("sum")
        zero = out[label].to_numpy() <= 0
        if zero.any():
            cells = out.loc[zero, ["item", "year"]].drop_duplicates().head(5).to_dict("records")
            raise EstimationError(
                f"{what}: item-year(s) {cells} have zero world {col} over the countries passed "
                f"(a product with no {'exporters' if col == 'exports' else 'producers'}): share undefined"
            )
    out["export_share"] = out["exports"] / out["world_exports"]
    out["production_share"] = out["production"] / out["world_production"]
    out = out.sort_values(["item", "country", "year"], kind="stable").reset_index(drop=True)
    g = out.groupby(["item", "country"], sort=False)
    for kind in ("export", "production"):
        share = f"{kind}_share"
        out[f"d_{share}"] = g[share].diff()
        out[f"{share}_change_since_start"] = out[share] - g[share].transform("first")
    return out


def export_orientation(
    cp: pd.DataFrame, known_codes: Iterable[str] | None = None, missing: str = "raise"
) -> pd.DataFrame:
    """Export orientation ``exports / production`` of each country, item and year.

    Quantities from the same food balance (thousand tonnes). The ratio can exceed 1 (re-exports, stock
    draw-downs); it is NaN where production is zero (a pure re-exporter), and such rows are kept. With
    ``missing="exclude"`` a missing export or production quantity gives NaN instead of an error.

    Returns
    -------
    DataFrame
        ``country, item, year, exports, production, export_orientation``.

    Examples
    --------
    >>> cp = pd.DataFrame({"country": ["CHL", "FRA", "ITA"], "item": "2655", "year": 2020,
    ...                    "production": [10.0, 40.0, 50.0], "exports": [8.0, 15.0, 20.0], "imports": [0.5, 6.0, 3.0]})
    >>> export_orientation(cp).round(3)
      country  item  year  exports  production  export_orientation
    0     CHL  2655  2020      8.0        10.0               0.800
    1     FRA  2655  2020     15.0        40.0               0.375
    2     ITA  2655  2020     20.0        50.0               0.400
    """
    what = "export_orientation"
    out = _country_product(cp, ["exports", "production"], what, known_codes, missing)
    prod = out["production"].to_numpy()
    exp = out["exports"].to_numpy()
    out["export_orientation"] = np.divide(
        exp, prod, out=np.full(len(out), np.nan), where=(prod > 0) & ~np.isnan(exp)
    )
    return out


def import_dependence(
    cp: pd.DataFrame, known_codes: Iterable[str] | None = None, missing: str = "raise"
) -> pd.DataFrame:
    """Import dependence ``imports / domestic supply`` of each country, item and year.

    Domestic supply is taken from ``domestic_supply`` when the column exists and is not missing; otherwise
    it is computed as ``production + imports - exports`` (the FAOSTAT identity without stock variation),
    and ``domestic_supply_basis`` says which ("given" / "computed"). The ratio is NaN where domestic supply
    is not positive (rows kept: a given domestic supply can be negative when stocks are drawn down), and,
    with ``missing="exclude"``, where a quantity it needs is missing.

    Returns
    -------
    DataFrame
        ``country, item, year, production, imports, exports, domestic_supply, domestic_supply_basis,
        import_dependence``.


    Examples
    --------
    >>> cp = pd.DataFrame({"country": ["CHL", "FRA", "ITA"], "item": "2655", "year": 2020,
    ...                    "production": [10.0, 40.0, 50.0], "exports": [8.0, 15.0, 20.0], "imports": [0.5, 6.0, 3.0]})
    >>> import_dependence(cp)[["country", "domestic_supply", "import_dependence"]].round(3)
      country  domestic_supply  import_dependence
    0     CHL              2.5              0.200
    1     FRA             31.0              0.194
    2     ITA             33.0              0.091
    """
    what = "import_dependence"
    out = _country_product(cp, ["production", "imports", "exports"], what, known_codes, missing)
    computed = (out["production"] + out["imports"] - out["exports"]).to_numpy()
    if "domestic_supply" in cp.columns:
        # FAOSTAT's domestic supply is negative when stocks are drawn down (e.g. coffee in Viet Nam, 2010-2017)
        given = numeric(cp, "domestic_supply", _CP_KEYS, what, allow_na=True, nonneg=False)
    else:
        given = np.full(len(out), np.nan)
    has = ~np.isnan(given)
    out["domestic_supply"] = np.where(has, given, computed)
    out["domestic_supply_basis"] = pd.Series(np.where(has, "given", "computed"), index=out.index, dtype="string")
    ds = out["domestic_supply"].to_numpy()
    imp = out["imports"].to_numpy()
    out["import_dependence"] = np.divide(imp, ds, out=np.full(len(out), np.nan), where=(ds > 0) & ~np.isnan(imp))
    return out


def country_profile(
    cp: pd.DataFrame,
    country: str,
    years: Iterable[int] | None = None,
    known_codes: Iterable[str] | None = None,
    missing: str = "raise",
) -> pd.DataFrame:
    """One country's food-balance indicators of each item and year: quantities, world shares, orientation and
    import dependence side by side.

    ``cp`` must hold **all** countries of the items (the world totals of the shares are sums over its rows);
    the result keeps ``country`` only, in ``years`` when given. Shares as :func:`world_market_share`,
    orientation as :func:`export_orientation`, import dependence as :func:`import_dependence`; ``missing``
    as in those functions.

    Returns
    -------
    DataFrame
        ``item, year, production, exports, imports, export_share, production_share, export_orientation,
        import_dependence``, sorted by item and year (empty when the country has no row).
    """
    shares = world_market_share(cp, known_codes, missing)
    keys = ["country", "item", "year"]
    own = shares[code_equals(shares["country"], country)]
    rows = cp[code_equals(cp["country"], country)]
    orient = export_orientation(rows, known_codes, missing)
    dep = import_dependence(rows, known_codes, missing)
    out = (
        own[[*keys, "production", "exports", "export_share", "production_share"]]
        .merge(orient[[*keys, "export_orientation"]], on=keys, how="left")
        .merge(dep[[*keys, "imports", "import_dependence"]], on=keys, how="left")
    )
    if years is not None:
        out = out[out["year"].isin(list(years))]
    cols = ["item", "year", "production", "exports", "imports", "export_share", "production_share",
            "export_orientation", "import_dependence"]
    return out[cols].sort_values(["item", "year"]).reset_index(drop=True)


def comparative_advantage(
    df: pd.DataFrame,
    exporter: str = "exporter",
    product: str = "product",
    value: str = "value",
    year: str | None = "year",
    *,
    basis: str = "value",
    known_codes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Balassa RCA of a long export table with repeated keys: a thin alias of the public RCA function.

    Arguments in the order of :func:`agrocluster.exports.revealed_comparative_advantage` (``df, country,
    product, value, year``), which computes ``RCA_cp = (x_cp / x_c) / (x_p / x)`` within each year as
    Balassa (1965) and Stata ``ecomplexity``. Before calling it this alias checks the country codes
    (ISO3, or ``known_codes``) and sums rows to exporter × product (× year), so bilateral trade flows can
    be passed as they are. ``basis`` labels the measure: ``"value"`` (trade values) or ``"quantity"``
    (e.g. FAOSTAT export tonnes, only meaningful within a product group of similar unit worth).

    Returns
    -------
    DataFrame
        ``exporter, product, [year,] value, rca, basis``.
    """
    what = "comparative_advantage"
    if basis not in ("value", "quantity"):
        raise DataContractError(f"{what}: basis={basis!r} must be 'value' or 'quantity'")
    flows = trade_table(df, what, known_codes, exporter, None, product, year, value)
    keys = [exporter, product] + ([year] if year is not None else [])
    summed = flows.groupby(keys, as_index=False, sort=True)[value].sum()
    out = revealed_comparative_advantage(summed, exporter, product, value, year)
    out["basis"] = pd.Series(basis, index=out.index, dtype="string")
    return out


def rca_sample(
    df: pd.DataFrame,
    exporter: str = "exporter",
    product: str = "product",
    year: str | None = "year",
    value: str = "value",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of a long export table on which a Balassa RCA (or complexity) is defined, and those left out.

    :func:`comparative_advantage` and :func:`agrocluster.exports.product_space.complexity` refuse missing
    values and 0/0 shares, as they should; real tables (e.g. FAOSTAT food balances) have both. This keeps
    the rows with a known ``value`` of exporters with positive total exports in the year and of products
    that some exporter exports in the year. Rows dropped for the last two reasons carry zero exports, so
    the RCA of every remaining row is the same as on the full table. Negative values are not dropped: the
    estimators reject them, naming the rows.

    Returns
    -------
    (kept, excluded)
        ``kept``: the usable rows (original columns and index); ``excluded``: DataFrame ``reason, n_rows``
        (one row per reason, zero counts included).
    """
    what = "rca_sample"
    keys = [exporter, product] + ([year] if year is not None else [])
    _require(df, [*keys, value], what)
    if not pd.api.types.is_numeric_dtype(df[value]) or pd.api.types.is_bool_dtype(df[value]):
        raise DataContractError(f"{what}: column {value!r} must be numeric, got dtype {df[value].dtype}")
    x = df[value].to_numpy(dtype="float64", na_value=np.nan)
    known = ~np.isnan(x)
    by = [year] if year is not None else []
    sub = df.loc[known]
    xs = pd.Series(x[known], index=sub.index)
    c_total = xs.groupby([sub[k] for k in [*by, exporter]]).transform("sum").to_numpy()
    p_total = xs.groupby([sub[k] for k in [*by, product]]).transform("sum").to_numpy()
    zero_c = c_total <= 0
    zero_p = ~zero_c & (p_total <= 0)
    keep = ~(zero_c | zero_p)
    excluded = pd.DataFrame(
        {
            "reason": pd.Series(
                [
                    f"{value} missing",
                    f"{exporter} with zero total {value} in the year",
                    f"{product} that no {exporter} exports in the year",
                ],
                dtype="string",
            ),
            "n_rows": [int((~known).sum()), int(zero_c.sum()), int(zero_p.sum())],
        }
    )
    return sub.loc[keep], excluded


# ---------------------------------------------------------------------------------------------- competitors


@dataclass(frozen=True)
class CompetitorTable(NothingExcluded, ResultProtocol):
    """Top exporters of one product: shares in the end year, growth over the window.

    Attributes
    ----------
    product, start_year, end_year : the product code and the window.
    world_exports, world_exports_start : world totals (all exporters passed) in the end and start years.
    world_cagr : compound annual growth of world exports over the window.
    n_exporters : exporters with positive exports in the end year.
    """

    product: str
    start_year: int
    end_year: int
    world_exports: float
    world_exports_start: float
    world_cagr: float
    n_exporters: int
    competitors: pd.DataFrame = field(repr=False)

    def tidy(self) -> pd.DataFrame:
        """World exports in the end year and their compound annual growth (descriptive: no SEs)."""
        return indicator_tidy({"world_exports": self.world_exports, "world_cagr": self.world_cagr})

    @property
    def nobs(self) -> int:
        """Exporters with positive exports in the end year."""
        return int(self.n_exporters)

    def table(self) -> pd.DataFrame:
        return self.competitors.copy()

    def summary(self) -> pd.DataFrame:
        cols = ["rank", "exporter", "share", "share_change", "cagr"]
        return self.competitors[cols].copy()


def _cagr(x1: np.ndarray | float, x0: np.ndarray | float, years: int) -> np.ndarray:
    x1 = np.asarray(x1, dtype=float)
    x0 = np.asarray(x0, dtype=float)
    ok = (x0 > 0) & (x1 >= 0)
    return np.where(ok, np.power(np.divide(x1, x0, out=np.ones_like(x1), where=ok), 1.0 / years) - 1.0, np.nan)


def competitor_table(
    df: pd.DataFrame,
    product_code: str,
    end_year: int,
    start_year: int,
    top: int = 10,
    exporter: str = "exporter",
    product: str = "product",
    year: str = "year",
    value: str = "value",
    known_codes: Iterable[str] | None = None,
) -> CompetitorTable:
    """Top ``top`` exporters of ``product_code`` in ``end_year`` with world shares and growth.

    Shares are of world exports of the product (sum over all exporters passed). Growth over the window:
    ``cagr = (x_end / x_start) ** (1 / (end_year - start_year)) - 1`` (NaN for an exporter absent or at zero
    in the start year, flagged ``new_exporter``), ``share_change`` in share points. Works on trade_flows
    (values) or on country_product with ``exporter="country", product="item", value="exports"``.

    Raises
    ------
    EstimationError
        The product has no exporter (zero world exports) in ``start_year`` or ``end_year``, or the window is
        empty (``end_year <= start_year``).

    Examples
    --------
    >>> flows = pd.DataFrame({"exporter": ["CHL", "FRA", "ITA"] * 2, "product": "2204", "year": [2015] * 3 + [2020] * 3,
    ...                       "value": [10.0, 50.0, 40.0, 20.0, 50.0, 30.0]})
    >>> competitor_table(flows, "2204", 2020, 2015).table()[["rank", "exporter", "share", "share_change"]].round(3)
       rank exporter  share  share_change
    0     1      FRA    0.5           0.0
    1     2      ITA    0.3          -0.1
    2     3      CHL    0.2           0.1
    """
    what = "competitor_table"
    if end_year <= start_year:
        raise EstimationError(f"{what}: end_year={end_year} must be after start_year={start_year}")
    if top < 1:
        raise EstimationError(f"{what}: top={top} must be >= 1")
    flows = trade_table(df, what, known_codes, exporter, None, product, year, value)
    sub = flows[flows[product].astype(str) == str(product_code)]
    totals = sub.groupby([year, exporter])[value].sum()
    world = {}
    for y in (start_year, end_year):
        w = float(totals.loc[y].sum()) if y in totals.index.get_level_values(0) else 0.0
        if w <= 0:
            raise EstimationError(
                f"{what}: product {product_code!r} has no exporters in {y} (world {value} = 0 or no rows)"
            )
        world[y] = w
    x1 = totals.loc[end_year]
    x0 = totals.loc[start_year].reindex(x1.index, fill_value=0.0) if start_year in totals.index else x1 * 0.0
    t = pd.DataFrame({exporter: x1.index.astype(str), "exports": x1.to_numpy(), "exports_start": x0.to_numpy()})
    t = t[t["exports"] > 0].sort_values(["exports", exporter], ascending=[False, True], kind="stable")
    n_exporters = len(t)
    t = t.head(top).reset_index(drop=True)
    t.insert(0, "rank", np.arange(1, len(t) + 1))
    t["share"] = t["exports"] / world[end_year]
    t["share_start"] = t["exports_start"] / world[start_year]
    t["share_change"] = t["share"] - t["share_start"]
    t["cagr"] = _cagr(t["exports"].to_numpy(), t["exports_start"].to_numpy(), end_year - start_year)
    t["new_exporter"] = t["exports_start"].to_numpy() <= 0
    t = t.rename(columns={exporter: "exporter"})
    return CompetitorTable(
        product=str(product_code),
        start_year=int(start_year),
        end_year=int(end_year),
        world_exports=world[end_year],
        world_exports_start=world[start_year],
        world_cagr=float(_cagr(world[end_year], world[start_year], end_year - start_year)),
        n_exporters=n_exporters,
        competitors=t,
    )
