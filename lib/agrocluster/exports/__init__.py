"""Export links of a cluster: market shares, comparative advantage, complexity, gravity, firm exports.

Submodules: :mod:`~agrocluster.exports.markets` (shares, orientation, destinations, margins, risk),
:mod:`~agrocluster.exports.product_space` (RCA and complexity, Stata ``ecomplexity`` conventions),
:mod:`~agrocluster.exports.gravity_model` (PPML gravity on pyfixest), :mod:`~agrocluster.exports.firms`
(participation, intensity, spillovers). The public API of the issue is importable from here:
``from agrocluster.exports import complexity, gravity``.
"""

from .gravity_model import (
    GravityBySector,
    GravityResult,
    coefficient_table,
    gravity,
    gravity_by_sector,
    prepare_gravity_data,
)
from .product_space import complexity, proximity, relatedness_density, revealed_comparative_advantage

__all__ = [
    "GravityBySector", "GravityResult", "coefficient_table", "complexity", "gravity", "gravity_by_sector",
    "prepare_gravity_data", "proximity", "relatedness_density", "revealed_comparative_advantage",
]
