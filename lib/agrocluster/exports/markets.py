"""Export markets of a cluster's products: world shares, orientation, RCA, competitors, destinations, risk.

Two tables feed this module (column names as in the project's data contracts):

- ``country_product`` (FAOSTAT food-balance style, *quantities in thousand tonnes*): ``country`` (ISO3),
  ``item``, ``year``, ``production``, ``imports``, ``exports``, optional ``domestic_supply``;
- ``trade_flows``: ``exporter``, ``importer`` (ISO3), ``product``, ``year``, ``value`` (>= 0), ``quantity``.

World totals are sums over the rows passed in, so the caller passes **country rows only** (FAOSTAT's
"World", continents and groupings such as 5000 or 5100-5817, and FAOSTAT's "China" 351 = mainland + Hong
Kong + Macao + Taiwan, would double-count). Country codes are checked against the ISO3 list of
``country_converter``; pass ``known_codes`` to accept other codes (e.g. a subnational cluster id).
FAOSTAT changed its food-balance methodology in 2010 (old series to 2013, new from 2010): a share series
that crosses 2010 mixes the two.

Everything here is arithmetic on grouped sums; no library computes these cluster-level indicators with the
conventions below (HK margins relative to a reference, count margins, new/lost/continuing decomposition,
stress scenario), so they are written here with pandas.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from agrocluster._frames import describe_rows as _rows
from agrocluster._frames import require_columns as _require
from agrocluster.errors import DataContractError, EstimationError
from agrocluster.exports.product_space import revealed_comparative_advantage
from agrocluster.results import (
    NothingExcluded,
    ResultProtocol,
    indicator_tidy,
    set_exclusions,
    tidy_frame,
)

__all__ = [
    "CompetitorTable",
    "DestinationStructure",
    "ExportMargins",
    "ExportRisk",
    "GrowthDecomposition",
    "StressScenario",
    "UnitValues",
    "comparative_advantage",
    "competitor_table",
    "country_profile",
    "destination_structure",
    "export_orientation",
    "export_risk",
    "growth_decomposition",
    "hummels_klenow",
    "import_dependence",
    "rca_sample",
    "stress_scenario",
    "unit_values",
    "world_market_share",
]


# --------------------------------------------------------------------------------------------- validation


@lru_cache(maxsize=1)
def _iso3_codes() -> frozenset[str]:
    import country_converter as coco

    return frozenset(coco.CountryConverter().data["ISO3"].dropna().astype(str))


def _numeric(
    df: pd.DataFrame, col: str, keys: list[str], what: str, allow_na: bool = False, nonneg: bool = True
) -> np.ndarray:
    """Return ``df[col]`` as float64 after checking it is numeric, finite and >= 0 (NaN only if allowed;
    negative values only with ``nonneg=False``)."""
    if not pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_bool_dtype(df[col]):
        raise DataContractError(f"{what}: column {col!r} must be numeric, got dtype {df[col].dtype}")
    x = df[col].to_numpy(dtype="float64", na_value=np.nan)
    if not allow_na and np.isnan(x).any():
        raise DataContractError(f"{what}: {col!r} is missing in {_rows(df, np.isnan(x), keys)}")
    bad = np.isinf(x)
    if bad.any():
        raise DataContractError(f"{what}: {col!r} is infinite in {_rows(df, bad, keys)}")
    bad = x < 0
    if nonneg and bad.any():
        raise DataContractError(f"{what}: {col!r} must be >= 0; negative in {_rows(df, bad, keys)}")
    return x


def _check_codes(df: pd.DataFrame, cols: list[str], what: str, known_codes: Iterable[str] | None) -> None:
    known = _iso3_codes() if known_codes is None else frozenset(map(str, known_codes))
    for col in cols:
        if df[col].isna().any():
            raise DataContractError(f"{what}: {col!r} is missing in {_rows(df, df[col].isna().to_numpy(), [col])}")
        codes = pd.unique(df[col].astype(str))
        unknown = sorted(c for c in codes if c not in known)
        if unknown:
            raise DataContractError(
                f"{what}: unknown country code(s) in {col!r}: {unknown[:10]}"
                + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
                + " (expected ISO3 codes of countries, no aggregates such as World or EU; "
                "pass known_codes= to accept other codes)"
            )


def _flows(
    df: pd.DataFrame,
    what: str,
    known_codes: Iterable[str] | None,
    exporter: str = "exporter",
    importer: str | None = "importer",
    product: str = "product",
    year: str = "year",
    value: str = "value",
) -> pd.DataFrame:
    """Validated copy of a trade-flow style table with float values."""
    cols = [exporter, *([importer] if importer else []), product, year, value]
    _require(df, cols, what)
    keys = [c for c in cols if c != value]
    out = df[cols].copy()
    out[value] = _numeric(df, value, keys, what)
    _check_codes(out, [exporter, *([importer] if importer else [])], what, known_codes)
    return out


def _hhi(shares: np.ndarray) -> float:
    return float(np.sum(np.square(shares)))


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
        out[c] = _numeric(cp, c, _CP_KEYS, what, allow_na=missing == "exclude")
    _check_codes(out, ["country"], what, known_codes)
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
        given = _numeric(cp, "domestic_supply", _CP_KEYS, what, allow_na=True, nonneg=False)
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
    own = shares[shares["country"].astype(str) == str(country)]
    rows = cp[cp["country"].astype(str) == str(country)]
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
    year: str = "year",
    value: str | None = "value",
    quantity: str | None = None,
    known_codes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Balassa revealed comparative advantage, value-based when values exist, else quantity-based.

    Rows are first summed to exporter × product × year (so bilateral trade flows can be passed as they
    are), then :func:`agrocluster.exports.product_space.revealed_comparative_advantage` computes
    ``RCA_cp = (x_cp / x_c) / (x_p / x)`` within each year. With ``value=None`` the same formula runs on
    ``quantity`` (e.g. FAOSTAT export tonnes); a quantity RCA compares tonnes across products, so it is
    only meaningful within a product group of similar unit worth, and the output says ``basis="quantity"``.

    Returns
    -------
    DataFrame
        ``exporter, product, year, <value or quantity>, rca, basis``.
    """
    what = "comparative_advantage"
    measure = value if value is not None else quantity
    if measure is None:
        raise DataContractError(f"{what}: give value= (trade values) or quantity= (quantities) column name")
    basis = "value" if value is not None else "quantity"
    flows = _flows(df, what, known_codes, exporter, None, product, year, measure)
    summed = flows.groupby([exporter, product, year], as_index=False, sort=True)[measure].sum()
    out = revealed_comparative_advantage(summed, exporter, product, measure, year)
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
    flows = _flows(df, what, known_codes, exporter, None, product, year, value)
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


# --------------------------------------------------------------------------------------------- destinations


def _exporter_year(
    df: pd.DataFrame, what: str, exporter_code: str, year_value: int | None, known_codes, *, by: str = "importer"
) -> tuple[pd.DataFrame, pd.Series]:
    flows = _flows(df, what, known_codes)
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
        hhi=_hhi(t["share"].to_numpy()),
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
    allf = _flows(flows, what, known_codes)
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
    f = _flows(flows, what, known_codes)
    _require(flows, [quantity], what)
    q = _numeric(flows, quantity, ["exporter", "importer", "product", "year"], what, allow_na=True)
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
    f = _flows(flows, what, known_codes)
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
    shock : the fall in one market's imports assumed for ``exposure`` (0.1 = -10 %).
    max_exposure : share of total exports lost if the top market falls by ``shock`` (= shock × top share).
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
    shock: float
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
                 "product_hhi", "shock", "max_exposure"]
        return pd.DataFrame({"indicator": names, "value": [getattr(self, n) for n in names]})


def export_risk(
    flows: pd.DataFrame, exporter_code: str, year: int, shock: float = 0.1, known_codes: Iterable[str] | None = None
) -> ExportRisk:
    """Concentration risk of one exporter's exports in one year.

    Dependence on the top market ``max_m s_m`` and on the top product ``max_p s_p``; HHIs of both; and, for
    each market ``m``, the share of total exports lost if its imports from the exporter fall by ``shock``:
    ``exposure_m = shock * s_m`` (first-order: no diversion of the lost sales to other markets).
    The table lists markets in decreasing share with ``share``, ``loss_value`` and ``exposure``.

    Examples
    --------
    >>> flows = pd.DataFrame({"exporter": ["CHL"] * 4 + ["FRA"] * 4, "importer": ["USA", "CHN", "GBR", "JPN"] * 2,
    ...                       "product": "2204", "year": 2020, "value": [40.0, 30.0, 20.0, 10.0, 80.0, 60.0, 40.0, 20.0],
    ...                       "quantity": [20.0, 10.0, 10.0, 5.0, 20.0, 20.0, 10.0, 5.0]})
    >>> res = export_risk(flows, "CHL", 2020, shock=0.1)
    >>> round(res.max_exposure, 3), res.top_market
    (0.04, 'USA')
    """
    what = "export_risk"
    if not 0 < shock <= 1:
        raise EstimationError(f"{what}: shock={shock} must be in (0, 1] (a fall of 100*shock percent)")
    sub, by_m = _exporter_year(flows, what, exporter_code, year, known_codes)
    by_p = sub.groupby(sub["product"].astype(str))["value"].sum()
    total = float(by_m.sum())
    m = (by_m[by_m > 0] / total).rename("share").rename_axis("importer").reset_index()
    m = m.sort_values(["share", "importer"], ascending=[False, True], kind="stable").reset_index(drop=True)
    m["value"] = m["share"] * total
    m["loss_value"] = shock * m["value"]
    m["exposure"] = shock * m["share"]
    p = (by_p[by_p > 0] / total).sort_values(ascending=False, kind="stable")
    return ExportRisk(
        exporter=str(exporter_code),
        year=int(year),
        total_exports=total,
        top_market=str(m["importer"].iloc[0]),
        top_market_share=float(m["share"].iloc[0]),
        market_hhi=_hhi(m["share"].to_numpy()),
        top_product=str(p.index[0]),
        top_product_share=float(p.iloc[0]),
        product_hhi=_hhi(p.to_numpy()),
        shock=float(shock),
        max_exposure=float(m["exposure"].iloc[0]),
        exposure=m,
    )


@dataclass(frozen=True)
class StressScenario(ResultProtocol):
    """What a collapse of one market does to cluster exports and employment.

    Attributes
    ----------
    market, market_share, collapse : the market hit, its share of exports, the fall (0.5 = -50 %).
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
    collapse: float
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
        names = ["market", "market_share", "collapse", "exports_before", "export_loss", "exports_after",
                 "export_loss_share", "jobs_at_risk", "employment_before"]
        return pd.DataFrame({"indicator": names, "value": [getattr(self, n) for n in names]})

    def summary(self) -> pd.DataFrame:
        return self.table()


def stress_scenario(
    flows: pd.DataFrame,
    exporter_code: str,
    year: int,
    collapse: float = 0.5,
    market: str | None = None,
    employment_per_export: float | None = None,
    establishments: pd.DataFrame | None = None,
    members_only: bool = True,
    known_codes: Iterable[str] | None = None,
) -> StressScenario:
    """Stress scenario: the largest market (or ``market``) cuts its imports from the cluster by ``collapse``.

    Exports: ``loss = collapse * X_m``; ``X_after = X - loss``. Employment, when information is given:

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
    >>> res = stress_scenario(flows, "CHL", 2020, collapse=0.5, employment_per_export=0.2)
    >>> res.tidy()[["term", "estimate"]].round(3)
                    term  estimate
    0       market_share       0.4
    1        export_loss      20.0
    2  export_loss_share       0.2
    3       jobs_at_risk       4.0
    """
    what = "stress_scenario"
    if not 0 < collapse <= 1:
        raise EstimationError(f"{what}: collapse={collapse} must be in (0, 1] (a fall of 100*collapse percent)")
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
    loss = collapse * x_m
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
        lab = _numeric(est, "labour", keys, what, allow_na=True)
        out = _numeric(est, "output", keys, what, allow_na=True)
        exp = _numeric(est, "exports", keys, what, allow_na=True)
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
        collapse=float(collapse),
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
