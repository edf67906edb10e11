"""Export links of a cluster: market shares, comparative advantage, complexity, gravity, firm exports.

Submodules by data grain: :mod:`~agrocluster.exports.shares` (country × product: world shares,
orientation, RCA, competitors) and :mod:`~agrocluster.exports.bilateral` (bilateral flows: destinations,
margins, unit values, growth, risk; :mod:`~agrocluster.exports.markets` holds the names of both),
:mod:`~agrocluster.exports.product_space` (RCA and complexity, Stata ``ecomplexity`` conventions),
:mod:`~agrocluster.exports.gravity_model` (PPML gravity on pyfixest), :mod:`~agrocluster.exports.firms`
(participation, intensity, spillovers). The public API of the issue is importable from here:
``from agrocluster.exports import complexity, gravity``.
"""

from .bilateral import (
    DestinationStructure,
    ExportMargins,
    ExportRisk,
    GrowthDecomposition,
    StressScenario,
    UnitValues,
    destination_structure,
    export_risk,
    growth_decomposition,
    hummels_klenow,
    stress_scenario,
    unit_values,
)
from .gravity_model import (
    GravityBySector,
    GravityResult,
    coefficient_table,
    gravity,
    gravity_by_sector,
    prepare_gravity_data,
)
from .product_space import complexity, proximity, relatedness_density, revealed_comparative_advantage
from .shares import (
    CompetitorTable,
    comparative_advantage,
    competitor_table,
    country_profile,
    export_orientation,
    import_dependence,
    rca_sample,
    world_market_share,
)

__all__ = [
    "CompetitorTable", "DestinationStructure", "ExportMargins", "ExportRisk", "GravityBySector", "GravityResult",
    "GrowthDecomposition", "StressScenario", "UnitValues", "coefficient_table", "comparative_advantage",
    "competitor_table", "complexity", "country_profile", "destination_structure", "export_orientation",
    "export_risk", "gravity", "gravity_by_sector", "growth_decomposition", "hummels_klenow", "import_dependence",
    "prepare_gravity_data", "proximity", "rca_sample", "relatedness_density", "revealed_comparative_advantage",
    "stress_scenario", "unit_values", "world_market_share",
]
