"""agrocluster: measure agro-based clusters in reproducible, parameterised workbooks.

Modules, from the bottom of the house up:

- :mod:`agrocluster.paths` — every project path, resolved from the project root.
- :mod:`agrocluster.params` — the typed parameter schema and the defaults < cluster < overrides merge.
- :mod:`agrocluster.data` — data contracts, loaders, real sources, importers, synthetic clusters.
- estimators (pure functions of DataFrames): :mod:`~agrocluster.concentration`,
  :mod:`~agrocluster.agglomeration`, :mod:`~agrocluster.productivity`, :mod:`~agrocluster.programmes`,
  :mod:`~agrocluster.exports`, :mod:`~agrocluster.linkages`.
- presentation: :mod:`~agrocluster.figures`, :mod:`~agrocluster.tables`, :mod:`~agrocluster.record`.
- :mod:`agrocluster.runner` — notebook × cluster execution, HTML rendering, the site index.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("agrocluster")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
