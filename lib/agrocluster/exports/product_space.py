"""Revealed comparative advantage and the product space: presence, complexity, proximity, density, COI, COG.

Conventions follow the Growth Lab's Stata command ``ecomplexity`` (Hausmann, Hidalgo et al., *The Atlas
of Economic Complexity*, 2011/2014), checked against its output to 1e-8 in the tests. Everything is computed
per year on a dense country × product matrix with numpy, so the work is a few matrix products per year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from agrocluster._frames import describe_rows as _row_labels
from agrocluster._frames import require_columns as _require_columns
from agrocluster.errors import DataContractError, EstimationError

__all__ = [
    "complexity",
    "proximity",
    "relatedness_density",
    "revealed_comparative_advantage",
]


def _validated_values(df: pd.DataFrame, keys: list[str], value: str, what: str) -> np.ndarray:
    """Check the key columns and the value column; return the values as float64."""
    _require_columns(df, [*keys, value], what)
    if len(set(keys)) != len(keys) or value in keys:
        raise DataContractError(f"{what}: the key columns {keys} and value column {value!r} must be distinct")
    key_na = df[keys].isna().any(axis=1)
    if key_na.any():
        raise DataContractError(f"{what}: missing key ({', '.join(keys)}) in {_row_labels(df, key_na, keys)}")
    if not pd.api.types.is_numeric_dtype(df[value]) or pd.api.types.is_bool_dtype(df[value]):
        raise DataContractError(f"{what}: column {value!r} must be numeric, got dtype {df[value].dtype}")
    x = df[value].to_numpy(dtype="float64", na_value=np.nan)
    bad = np.isnan(x)
    if bad.any():
        raise DataContractError(f"{what}: {value!r} is missing (NaN) in {_row_labels(df, bad, keys)}")
    bad = ~np.isfinite(x)
    if bad.any():
        raise DataContractError(f"{what}: {value!r} is infinite in {_row_labels(df, bad, keys)}")
    bad = x < 0
    if bad.any():
        raise DataContractError(
            f"{what}: {value!r} must be >= 0 (trade values cannot be negative); "
            f"negative in {_row_labels(df, bad, keys)}"
        )
    dup = df.duplicated(subset=keys, keep=False)
    if dup.any():
        raise DataContractError(
            f"{what}: more than one row per ({', '.join(keys)}) in {_row_labels(df, dup, keys)}; "
            f"aggregate first, e.g. df.groupby({keys})[{value!r}].sum().reset_index()"
        )
    return x


def revealed_comparative_advantage(
    df: pd.DataFrame, country: str, product: str, value: str, year: str | None = None
) -> pd.DataFrame:
    """Balassa revealed comparative advantage of each country in each product (and year).

    As Balassa (1965) and Stata ``ecomplexity`` (``rca``):

    .. math:: RCA_{cp} = \\frac{x_{cp} / \\sum_{p'} x_{cp'}}{\\sum_{c'} x_{c'p} / \\sum_{c'p'} x_{c'p'}}

    with all sums taken within the year when ``year`` is given. Country × product pairs absent from ``df``
    count as zero exports. Pass a quantity column as ``value`` to get a quantity-based RCA (label it so).

    Parameters
    ----------
    df : DataFrame
        One row per country × product (× year); extra columns are ignored.
    country, product, value : str
        Column names of the exporter, the product code and the non-negative export value.
    year : str, optional
        Column name of the year; without it ``df`` is one cross-section.

    Returns
    -------
    DataFrame
        The key columns and ``value`` of ``df`` (same index and row order) plus ``rca`` (float).

    Raises
    ------
    DataContractError
        Missing columns, missing keys, duplicated keys, or a negative, missing or infinite value (the message
        lists the offending rows).
    EstimationError
        A country with zero total exports, or a product that no country exports, in a year: its RCA is 0/0.

    Examples
    --------
    >>> df = pd.DataFrame({"country": ["CHL", "CHL", "FRA", "FRA", "ITA", "ITA"], "product": ["wine", "copper"] * 3,
    ...                    "exports": [5.0, 45.0, 30.0, 10.0, 20.0, 20.0]})
    >>> revealed_comparative_advantage(df, "country", "product", "exports").round(3)
      country product  exports    rca
    0     CHL    wine      5.0  0.236
    1     CHL  copper     45.0  1.560
    2     FRA    wine     30.0  1.773
    3     FRA  copper     10.0  0.433
    4     ITA    wine     20.0  1.182
    5     ITA  copper     20.0  0.867
    """
    keys = [country, product] + ([year] if year is not None else [])
    what = "revealed_comparative_advantage"
    x = _validated_values(df, keys, value, what)
    out = df[keys].copy()
    out[value] = x
    if len(out) == 0:
        raise EstimationError(f"{what}: the table is empty")
    by_year = [year] if year is not None else []
    grand = out.groupby(by_year)[value].transform("sum") if by_year else pd.Series(x.sum(), index=out.index)
    c_total = out.groupby([*by_year, country])[value].transform("sum")
    p_total = out.groupby([*by_year, product])[value].transform("sum")
    for total, label in ((c_total, country), (p_total, product)):
        zero = total.to_numpy() <= 0
        if zero.any():
            groups = out.loc[zero, [*by_year, label]].drop_duplicates().head(5)
            names = "; ".join(
                ", ".join(f"{k}={r[k]!r}" for k in [*by_year, label]) for _, r in groups.iterrows()
            )
            kind = (
                "country with zero total exports" if label == country else "product that no country exports"
            )
            raise EstimationError(
                f"{what}: {kind} ({names}): its RCA is 0/0; drop it or give it positive {value!r}"
            )
    out["rca"] = (x * grand.to_numpy()) / (c_total.to_numpy() * p_total.to_numpy())
    return out


# ---------------------------------------------------------------------------------------------------------
# Complexity: one dense country x product matrix per year
# ---------------------------------------------------------------------------------------------------------

_PRESENCE_TESTS = ("rca", "manual")


def _check_presence_options(
    presence: str, rca_threshold: float, presence_column: str | None, what: str
) -> None:
    if presence not in _PRESENCE_TESTS:
        raise DataContractError(f"{what}: presence={presence!r} is not one of {_PRESENCE_TESTS}")
    if presence == "manual" and presence_column is None:
        raise DataContractError(f"{what}: presence='manual' needs presence_column= (a 0/1 column of df)")
    if presence == "rca" and presence_column is not None:
        raise DataContractError(
            f"{what}: presence_column={presence_column!r} is only used with presence='manual'"
        )
    if not np.isfinite(rca_threshold) or rca_threshold < 0:
        raise DataContractError(f"{what}: rca_threshold must be a finite number >= 0, got {rca_threshold!r}")


class _Encoded:
    """Integer codes of the keys of a validated long table, grouped by year."""

    def __init__(
        self,
        df: pd.DataFrame,
        country: str,
        product: str,
        value: str,
        year: str | None,
        presence_column: str | None,
        what: str,
    ) -> None:
        keys = [k for k in (year, country, product) if k is not None]
        _require_columns(df, [*keys, value] + ([presence_column] if presence_column else []), what)
        if len(df) == 0:
            raise EstimationError(f"{what}: the table is empty")
        if len(set(keys)) != len(keys) or value in keys:
            raise DataContractError(
                f"{what}: the key columns {keys} and value column {value!r} must be distinct"
            )
        key_na = df[keys].isna().any(axis=1).to_numpy()
        if key_na.any():
            raise DataContractError(
                f"{what}: missing key ({', '.join(keys)}) in {_row_labels(df, key_na, keys)}"
            )
        if not pd.api.types.is_numeric_dtype(df[value]) or pd.api.types.is_bool_dtype(df[value]):
            raise DataContractError(f"{what}: column {value!r} must be numeric, got dtype {df[value].dtype}")
        x = df[value].to_numpy(dtype="float64", na_value=np.nan)
        for bad, rule in (
            (np.isnan(x), "is missing (NaN)"),
            (np.isinf(x), "is infinite"),
            (x < 0, "must be >= 0 (trade values cannot be negative); negative"),
        ):
            if bad.any():
                raise DataContractError(f"{what}: {value!r} {rule} in {_row_labels(df, bad, keys)}")
        self.df, self.keys, self.value, self.what = df, keys, value, what
        self.x = x
        self.presence = None
        if presence_column is not None:
            col = df[presence_column]
            if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
                m = col.to_numpy(dtype="float64", na_value=np.nan)
            else:
                raise DataContractError(
                    f"{what}: presence column {presence_column!r} must be 0/1 or bool, got dtype {col.dtype}"
                )
            bad = ~np.isin(m, (0.0, 1.0))
            if bad.any():
                raise DataContractError(
                    f"{what}: presence column {presence_column!r} must hold only 0/1 (missing counts as bad) "
                    f"in {_row_labels(df, bad, keys)}"
                )
            self.presence = m
        self.c_codes, self.c_labels = pd.factorize(df[country], sort=True)
        self.p_codes, self.p_labels = pd.factorize(df[product], sort=True)
        if year is not None:
            self.y_codes, self.y_labels = pd.factorize(df[year], sort=True)
        else:
            self.y_codes, self.y_labels = np.zeros(len(df), dtype=np.intp), None
        n_y = 1 if self.y_labels is None else len(self.y_labels)
        n_c, n_p = len(self.c_labels), len(self.p_labels)
        cell = (self.y_codes.astype(np.int64) * n_c + self.c_codes) * n_p + self.p_codes
        if n_y * n_c * n_p <= 200_000_000:
            duplicated = np.bincount(cell, minlength=n_y * n_c * n_p)[cell] > 1
        else:
            duplicated = pd.Series(cell).duplicated(keep=False).to_numpy()
        if duplicated.any():
            raise DataContractError(
                f"{what}: more than one row per ({', '.join(keys)}) in {_row_labels(df, duplicated, keys)}; "
                f"aggregate first, e.g. df.groupby({keys})[{value!r}].sum().reset_index()"
            )
        order = np.argsort(self.y_codes, kind="stable")
        bounds = np.searchsorted(self.y_codes[order], np.arange(n_y + 1))
        self.year_rows = [order[bounds[i] : bounds[i + 1]] for i in range(n_y)]

    def year_label(self, i: int):
        return None if self.y_labels is None else self.y_labels[i]

    def dense(self, i: int):
        """Country codes, product codes, X (and manual M) of year ``i`` as dense arrays, zeros filled in."""
        rows = self.year_rows[i]
        c_all, p_all = self.c_codes[rows], self.p_codes[rows]
        cs, ci = np.unique(c_all, return_inverse=True)
        ps, pi = np.unique(p_all, return_inverse=True)
        x = np.zeros((len(cs), len(ps)))
        x[ci, pi] = self.x[rows]
        m = None
        if self.presence is not None:
            m = np.zeros((len(cs), len(ps)), dtype=bool)
            m[ci, pi] = self.presence[rows] == 1.0
        return cs, ps, x, m

    def where(self, i: int) -> str:
        label = self.year_label(i)
        if label is None:
            return ""
        return f" in {self.keys[0]}={label.item() if isinstance(label, np.generic) else label!r}"


def _presence_matrix(enc: _Encoded, i: int, rca_threshold: float):
    """RCA and presence of year ``i``, with the zero-total checks of Stata ``ecomplexity``."""
    cs, ps, x, m_manual = enc.dense(i)
    c_total, p_total = x.sum(axis=1), x.sum(axis=0)
    country, product = enc.keys[-2], enc.keys[-1]
    if (c_total <= 0).any():
        names = [enc.c_labels[c] for c in cs[c_total <= 0][:5]]
        raise EstimationError(
            f"{enc.what}: {country} {names} export nothing{enc.where(i)} (zero total {enc.value!r}): "
            "RCA is 0/0; drop these countries for that year"
        )
    if (p_total <= 0).any():
        names = [enc.p_labels[p] for p in ps[p_total <= 0][:5]]
        raise EstimationError(
            f"{enc.what}: {product} {names} has no exporters{enc.where(i)} (all values zero): "
            "RCA is 0/0; drop these products for that year"
        )
    rca = x * (c_total.sum() / c_total)[:, None] / p_total[None, :]
    presence = m_manual if m_manual is not None else rca > rca_threshold
    return cs, ps, rca, presence


def _check_diversity_ubiquity(enc: _Encoded, i: int, cs, ps, diversity, ubiquity) -> None:
    country, product = enc.keys[-2], enc.keys[-1]
    if diversity is not None and (diversity == 0).any():
        names = [enc.c_labels[c] for c in cs[diversity == 0][:5]]
        raise EstimationError(
            f"{enc.what}: {country} {names} have no product with presence (M = 1){enc.where(i)}; "
            "their complexity is undefined (diversity 0): drop them or lower the presence threshold"
        )
    if (ubiquity == 0).any():
        names = [enc.p_labels[p] for p in ps[ubiquity == 0][:5]]
        raise EstimationError(
            f"{enc.what}: {product} {names} are present (M = 1) in no country{enc.where(i)}; "
            "their proximity and complexity are undefined (ubiquity 0): drop them or change the presence test"
        )


def _proximity_matrix(m: np.ndarray, ubiquity: np.ndarray) -> np.ndarray:
    """phi_pp' = min(P(p|p'), P(p'|p)) with a zero diagonal (Stata ``proxdiscrete``, symmetric)."""
    m32 = m.astype(np.float32)  # co-occurrence counts are integers < 2**24: exact in float32
    co = (m32.T @ m32).astype(np.float64)
    phi = co / np.maximum.outer(ubiquity, ubiquity).astype(np.float64)
    np.fill_diagonal(phi, 0.0)
    return phi


def _second_eigenvectors(m: np.ndarray, diversity: np.ndarray, ubiquity: np.ndarray, where: str, what: str):
    """kc, kp: the eigenvectors of the second largest eigenvalue of M~cc and M~pp (Hidalgo & Hausmann 2009).

    M~pp = U^-1 M' D^-1 M is similar to the symmetric S = U^-1/2 M' D^-1 M U^-1/2, and shares its non-zero
    eigenvalues with M~cc = D^-1 M U^-1 M'; we solve the smaller of the two symmetric problems with
    ``numpy.linalg.eigh`` and map across (kc = D^-1 M kp; kp = U^-1 M' kc / lambda). Only the direction
    matters downstream (every output is standardised or a ratio), so the scale is that of the eigenvector.
    """
    mf = m.astype(np.float64)
    d, u = diversity.astype(np.float64), ubiquity.astype(np.float64)
    if m.shape[0] < 2 or m.shape[1] < 2:
        raise EstimationError(
            f"{what}: complexity needs at least 2 countries and 2 products{where}, got {m.shape[0]} x {m.shape[1]}"
        )
    if m.shape[0] <= m.shape[1]:
        a = mf / np.sqrt(d)[:, None] / np.sqrt(u)[None, :]
        vals, vecs = np.linalg.eigh(a @ a.T)
        lam = vals[-2]
        kc = vecs[:, -2] / np.sqrt(d)
        kp = (mf.T @ kc) / u / lam if lam > 0 else None
    else:
        a = mf / np.sqrt(d)[:, None] / np.sqrt(u)[None, :]
        vals, vecs = np.linalg.eigh(a.T @ a)
        lam = vals[-2]
        kp = vecs[:, -2] / np.sqrt(u)
        kc = (mf @ kp) / d
    if not lam > 1e-12 * vals[-1]:
        raise EstimationError(
            f"{what}: the second eigenvalue of the country-product matrix is zero{where} (every country holds "
            "the same products, or one country/product only): ECI and PCI are undefined"
        )
    kp = kp / np.linalg.norm(kp)
    kc = (mf @ kp) / d
    return kc, kp


def _density_year(enc: _Encoded, i: int, rca_threshold: float, need_diversity: bool):
    """Presence, proximity and density of year ``i`` (no eigenvectors needed)."""
    cs, ps, rca, m = _presence_matrix(enc, i, rca_threshold)
    diversity, ubiquity = m.sum(axis=1), m.sum(axis=0)
    _check_diversity_ubiquity(enc, i, cs, ps, diversity if need_diversity else None, ubiquity)
    phi = _proximity_matrix(m, ubiquity)
    phi_sum = phi.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        density = (m.astype(np.float64) @ phi) / phi_sum[None, :]
    return cs, ps, rca, m, diversity, ubiquity, phi, phi_sum, density


def _complexity_year(enc: _Encoded, i: int, rca_threshold: float) -> dict[str, np.ndarray]:
    cs, ps, rca, m, diversity, ubiquity, phi, phi_sum, density = _density_year(enc, i, rca_threshold, True)
    n_c, n_p = m.shape
    kc, kp = _second_eigenvectors(m, diversity, ubiquity, enc.where(i), enc.what)
    with np.errstate(invalid="ignore"):
        r = np.corrcoef(diversity.astype(np.float64), kc)[0, 1]
    sign = 1.0 if r > 0 else -1.0
    kc, kp = sign * kc, sign * kp

    absent = 1.0 - m.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        coi = (density * absent * kp[None, :]).sum(axis=1)
        weighted = phi * (kp / phi_sum)[:, None]
    cog = absent * (absent @ weighted)

    n_rows = n_c * n_p
    kc_mean = kc.mean()
    kc_sd = np.sqrt(n_p * ((kc - kc_mean) ** 2).sum() / (n_rows - 1))
    coi_mean = coi.mean()
    coi_sd = np.sqrt(n_p * ((coi - coi_mean) ** 2).sum() / (n_rows - 1))
    return {
        "c": np.repeat(cs, n_p),
        "p": np.tile(ps, n_c),
        "rca": rca.ravel(),
        "M": m.ravel().astype(np.int8),
        "diversity": np.repeat(diversity, n_p).astype(np.int64),
        "ubiquity": np.tile(ubiquity, n_c).astype(np.int64),
        "eci": np.repeat((kc - kc_mean) / kc_sd, n_p),
        "pci": np.tile((kp - kc_mean) / kc_sd, n_c),
        "density": density.ravel(),
        "coi": np.repeat((coi - coi_mean) / coi_sd, n_p),
        "cog": (cog / kc_sd).ravel(),
    }


def complexity(
    df: pd.DataFrame,
    country: str,
    product: str,
    value: str,
    year: str | None,
    *,
    rca_threshold: float = 1.0,
    presence: str = "rca",
    presence_column: str | None = None,
) -> pd.DataFrame:
    """Economic complexity of countries and products, year by year, as Stata ``ecomplexity`` (discrete, symmetric).

    For each year the long table is made rectangular (absent country x product pairs count as zero exports,
    as Stata ``fillin``) and, with M the presence matrix, d = M 1 (diversity), u = M' 1 (ubiquity):

    - ``rca``: Balassa RCA (see :func:`revealed_comparative_advantage`).
    - ``M``: presence, ``rca > rca_threshold`` (strict, as Stata; the PyPI port uses >=), or a given 0/1
      column with ``presence="manual"``.
    - ``eci``/``pci``: kp is the eigenvector of the second largest eigenvalue of
      M~pp = U^-1 M' D^-1 M and kc = D^-1 M kp (Hidalgo & Hausmann 2009, PNAS); the sign makes kc correlate
      positively with diversity. ECI = (kc - mean)/sd and PCI = (kp - mean)/sd, the mean and the sample sd
      (ddof=1) being those of kc over all country x product rows of the year (Stata's ``sum eci``).
    - ``density``: omega_cp = sum_k M_ck phi_kp / sum_k phi_kp, with the proximity
      phi_pp' = min(C_pp'/u_p, C_pp'/u_p'), C = M'M and a zero diagonal (see :func:`proximity`).
    - ``coi``: sum_p omega_cp (1 - M_cp) kp_p, standardised over rows (mean, sd ddof=1).
    - ``cog``: (1 - M_cp) sum_k (1 - M_ck) phi_kp kp_k / sum_k' phi_kk', divided by the sd of kc.

    COI and COG use the raw unit-norm eigenvector kp, as the Stata ``coicog`` step. Hand-written because
    the PyPI ``ecomplexity`` 0.5.3 departs from the Stata command (it standardises over countries with the
    population sd, uses RCA >= 1 and keeps a non-zero proximity diagonal) and solves a dense non-symmetric
    P x P eigenproblem; here the smaller symmetric problem is solved (see the tests for the 1e-8 match).
    If the second eigenvalue is repeated, the eigenvector (and so ECI) is not unique, in Stata as here.
    Density and COG are NaN for a product whose proximity to every other product is zero.

    Parameters
    ----------
    df : DataFrame
        Long table, one row per country x product (x year); extra columns are ignored.
    country, product, value, year : str
        Column names; ``year`` may be None for one cross-section.
    rca_threshold : float, default 1.0
        Presence is RCA strictly above this (Stata ``rca(1)``).
    presence : {"rca", "manual"}
        "manual" takes M from ``presence_column`` (0/1 or bool; filled-in pairs count as 0).
    presence_column : str, optional
        The manual presence column.

    Returns
    -------
    DataFrame
        One row per year x country x product present in that year (sorted so), with the key columns under
        their names in ``df``, ``value`` (0 for filled-in pairs), and ``rca, M, diversity, ubiquity, eci, pci,
        density, coi, cog``.

    Raises
    ------
    DataContractError
        Missing columns or keys, duplicated keys, negative/missing/infinite values (rows named), bad options.
    EstimationError
        In a year: a country exporting nothing, a product that no country exports, a country or product with
        no presence, fewer than 2 countries or products, or a zero second eigenvalue.

    Examples
    --------
    >>> df = pd.DataFrame({"country": np.repeat(["CHL", "FRA", "ITA", "PER"], 3), "product": ["wine", "grapes", "copper"] * 4,
    ...                    "exports": [30.0, 20.0, 50.0, 60.0, 30.0, 10.0, 10.0, 5.0, 85.0, 5.0, 40.0, 55.0]})
    >>> complexity(df, "country", "product", "exports", None).columns.tolist()
    ['country', 'product', 'exports', 'rca', 'M', 'diversity', 'ubiquity', 'eci', 'pci', 'density', 'coi', 'cog']
    """
    what = "complexity"
    _check_presence_options(presence, rca_threshold, presence_column, what)
    enc = _Encoded(df, country, product, value, year, presence_column, what)
    parts = []
    for i in range(len(enc.year_rows)):
        res = _complexity_year(enc, i, rca_threshold)
        res["y"] = np.full(len(res["c"]), i, dtype=np.intp)
        parts.append(res)
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    out = {}
    if year is not None:
        out[year] = enc.y_labels.take(cols["y"])
    out[country] = enc.c_labels.take(cols["c"])
    out[product] = enc.p_labels.take(cols["p"])
    frame = pd.DataFrame(out)
    frame[value] = _values_in_rectangle(enc, cols)
    for k in ("rca", "M", "diversity", "ubiquity", "eci", "pci", "density", "coi", "cog"):
        frame[k] = cols[k]
    return frame


def _values_in_rectangle(enc: _Encoded, cols: dict[str, np.ndarray]) -> np.ndarray:
    """The input values placed on the rectangular output rows (0 where the pair was filled in)."""
    n_c, n_p = len(enc.c_labels), len(enc.p_labels)
    key_in = (enc.y_codes.astype(np.int64) * n_c + enc.c_codes) * n_p + enc.p_codes
    key_out = (cols["y"].astype(np.int64) * n_c + cols["c"]) * n_p + cols["p"]
    order = np.argsort(key_in)
    pos = np.searchsorted(key_in[order], key_out)
    pos = np.minimum(pos, len(order) - 1)
    found = key_in[order][pos] == key_out
    return np.where(found, enc.x[order][pos], 0.0)


def _single_year_index(enc: _Encoded, at, what: str) -> int:
    if enc.y_labels is None:
        if at is not None:
            raise DataContractError(f"{what}: at={at!r} needs the year= column")
        return 0
    if at is None:
        if len(enc.y_labels) > 1:
            raise DataContractError(
                f"{what}: the table holds {len(enc.y_labels)} values of {enc.keys[0]!r} "
                f"({list(enc.y_labels[:5])}...); choose one with at=<{enc.keys[0]}>"
            )
        return 0
    hits = np.flatnonzero(enc.y_labels == at)
    if len(hits) == 0:
        raise DataContractError(
            f"{what}: at={at!r} not found in column {enc.keys[0]!r} (values {list(enc.y_labels[:10])})"
        )
    return int(hits[0])


def proximity(
    df: pd.DataFrame,
    country: str,
    product: str,
    value: str,
    year: str | None = None,
    *,
    at=None,
    rca_threshold: float = 1.0,
    presence: str = "rca",
    presence_column: str | None = None,
) -> pd.DataFrame:
    """Product x product proximity (the product space), as Stata ``ecomplexity``/``proxdiscrete`` (symmetric).

    phi_pp' = min(P(M_p = 1 | M_p' = 1), P(M_p' = 1 | M_p = 1)) = C_pp' / max(u_p, u_p'), with C = M'M the
    number of countries present in both products and u the ubiquities (Hidalgo et al. 2007, Science);
    the diagonal is set to zero as in Stata. Presence as in :func:`complexity`.

    Parameters
    ----------
    df, country, product, value, year, rca_threshold, presence, presence_column
        As :func:`complexity`.
    at : optional
        The year to use when ``df`` holds several (required then).

    Returns
    -------
    DataFrame
        Square, symmetric, index and columns the products present in that year (named ``product``).

    Raises
    ------
    DataContractError, EstimationError
        As :func:`complexity`; also a product present in no country (ubiquity 0), whose proximity is 0/0.

    Examples
    --------
    >>> df = pd.DataFrame({"country": np.repeat(["CHL", "FRA", "ITA", "PER"], 3),
    ...                    "product": ["wine", "grapes", "copper"] * 4,
    ...                    "exports": [30.0, 20.0, 50.0, 60.0, 30.0, 10.0, 10.0, 5.0, 85.0, 5.0, 40.0, 55.0]})
    >>> proximity(df, "country", "product", "exports").round(3)
    product_2  copper  grapes  wine
    product
    copper        0.0     0.5   0.0
    grapes        0.5     0.0   0.5
    wine          0.0     0.5   0.0
    """
    what = "proximity"
    _check_presence_options(presence, rca_threshold, presence_column, what)
    enc = _Encoded(df, country, product, value, year, presence_column, what)
    i = _single_year_index(enc, at, what)
    _, ps, _, _, _, _, phi, _, _ = _density_year(enc, i, rca_threshold, False)
    labels = pd.Index(enc.p_labels.take(ps), name=product)
    return pd.DataFrame(phi, index=labels, columns=labels.rename(f"{product}_2"))


def relatedness_density(
    df: pd.DataFrame,
    country: str,
    product: str,
    value: str,
    year: str | None = None,
    *,
    countries=None,
    products=None,
    rca_threshold: float = 1.0,
    presence: str = "rca",
    presence_column: str | None = None,
) -> pd.DataFrame:
    """Relatedness density of products to each country's basket of products with presence.

    RD_cp = 100 * sum_k M_ck phi_kp / sum_k phi_kp, as R ``EconGeo::relatedness_density`` (in percent) and
    100 x the Stata ``ecomplexity`` ``density``, with the proximity of :func:`proximity`. The percentile
    places the product among all products of the country in that year (the share of products with a
    relatedness density at or below it), to say whether a cluster's product sits close to what the country
    already exports. ECI/PCI are not needed, so this also works where they are undefined.

    Parameters
    ----------
    df, country, product, value, year, rca_threshold, presence, presence_column
        As :func:`complexity`.
    countries, products : list-like, optional
        Keep only these countries / products in the output (all are used in the computation); an unknown
        label raises.

    Returns
    -------
    DataFrame
        year (if given), country, product, ``rca``, ``M``, ``relatedness_density`` (0-100) and
        ``density_percentile`` (0-100, within country and year).

    Examples
    --------
    >>> df = pd.DataFrame({"country": np.repeat(["CHL", "FRA", "ITA", "PER"], 3),
    ...                    "product": ["wine", "grapes", "copper"] * 4,
    ...                    "exports": [30.0, 20.0, 50.0, 60.0, 30.0, 10.0, 10.0, 5.0, 85.0, 5.0, 40.0, 55.0]})
    >>> density = relatedness_density(df, "country", "product", "exports")
    >>> density[["country", "product", "M", "relatedness_density"]].round(3)
       country product  M  relatedness_density
    0      CHL  copper  0                  0.0
    1      CHL  grapes  0                 50.0
    2      CHL    wine  1                  0.0
    3      FRA  copper  0                100.0
    4      FRA  grapes  1                 50.0
    5      FRA    wine  1                100.0
    6      ITA  copper  1                  0.0
    7      ITA  grapes  0                 50.0
    8      ITA    wine  0                  0.0
    9      PER  copper  1                100.0
    10     PER  grapes  1                 50.0
    11     PER    wine  0                100.0
    """
    what = "relatedness_density"
    _check_presence_options(presence, rca_threshold, presence_column, what)
    enc = _Encoded(df, country, product, value, year, presence_column, what)
    keep = {}
    for name, wanted, labels in ((country, countries, enc.c_labels), (product, products, enc.p_labels)):
        if wanted is None:
            continue
        wanted = list(pd.Index(wanted).unique())
        unknown = [w for w in wanted if w not in set(labels)]
        if unknown:
            raise DataContractError(f"{what}: {name} {unknown[:5]} not found in column {name!r}")
        keep[name] = np.flatnonzero(labels.isin(wanted))
    frames = []
    for i in range(len(enc.year_rows)):
        cs, ps, rca, m, _, _, _, _, density = _density_year(enc, i, rca_threshold, False)
        rd = 100.0 * density
        ranks = rankdata(rd, method="max", axis=1, nan_policy="omit")
        with np.errstate(invalid="ignore", divide="ignore"):
            pct = 100.0 * ranks / (~np.isnan(rd)).sum(axis=1, keepdims=True)
        c_sel = np.isin(cs, keep[country]) if country in keep else np.ones(len(cs), bool)
        p_sel = np.isin(ps, keep[product]) if product in keep else np.ones(len(ps), bool)
        sub = np.ix_(c_sel, p_sel)
        n_c, n_p = int(c_sel.sum()), int(p_sel.sum())
        part = {}
        if year is not None:
            part[year] = enc.y_labels.take(np.full(n_c * n_p, i))
        part[country] = enc.c_labels.take(np.repeat(cs[c_sel], n_p))
        part[product] = enc.p_labels.take(np.tile(ps[p_sel], n_c))
        part["rca"] = rca[sub].ravel()
        part["M"] = m[sub].ravel().astype(np.int8)
        part["relatedness_density"] = rd[sub].ravel()
        part["density_percentile"] = pct[sub].ravel()
        frames.append(pd.DataFrame(part))
    return pd.concat(frames, ignore_index=True)
