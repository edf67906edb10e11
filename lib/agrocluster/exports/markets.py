"""Export markets of a cluster's products: the names of :mod:`~agrocluster.exports.shares` (country × product:
world shares, orientation, RCA, competitors) and :mod:`~agrocluster.exports.bilateral` (bilateral flows:
destinations, margins, unit values, growth, risk), kept under one module for code written before the split.
"""

from agrocluster.exports.bilateral import (
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
from agrocluster.exports.shares import (
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
