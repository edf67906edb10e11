"""Total factor productivity of cluster firms and farms.

- :func:`estimate_tfp` — OLS, FE, Olley-Pakes, Levinsohn-Petrin, Ackerberg-Caves-Frazer (Cobb-Douglas or
  translog, value added or gross output), Wooldridge GMM; block bootstrap over firms. Conventions of
  Stata ``prodest`` (Rovigatti & Mollisi 2018).
- :func:`productivity_premium` — members' premium over comparable non-members, by year and its trend.
- :func:`dispersion` — 90/10 and 75/25 spreads of TFP.
- :func:`olley_pakes_decomposition` — aggregate TFP = unweighted mean + size-productivity covariance.

Farms: pass land as a state input (``state=["capital", "land"]``).
"""

from agrocluster.productivity._estimators import AmbiguousRootWarning
from agrocluster.productivity.tfp import METHODS, TFPResult, estimate_tfp
from agrocluster.productivity.uses import (
    PremiumResult,
    dispersion,
    mean_within_dispersion,
    olley_pakes_decomposition,
    productivity_premium,
)

__all__ = [
    "METHODS",
    "AmbiguousRootWarning",
    "PremiumResult",
    "TFPResult",
    "dispersion",
    "estimate_tfp",
    "mean_within_dispersion",
    "olley_pakes_decomposition",
    "productivity_premium",
]
