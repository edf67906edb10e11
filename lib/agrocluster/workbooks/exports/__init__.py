"""Workbook 04 (export links): what the data allow, which specification, and the reading of each step.

Every public function returns an :class:`agrocluster.sections.Section` whose ``result`` is always a small
dataclass of this package (its fields are ``None`` when the step was not computed), so a notebook cell
reads one value without testing whether the step ran. The ``*_figure`` functions draw a step with the
helpers of :mod:`agrocluster.figures.exports` and return ``None`` for a step that was not computed
(:meth:`agrocluster.record.Recorder.figure` then shows nothing).

Data: the cluster's ``country_product`` (FAOSTAT food balances, thousand tonnes), ``trade_flows``,
``establishments`` and ``firm_links`` (see :mod:`agrocluster.data.cluster`). Estimators:
:mod:`agrocluster.exports` and :mod:`agrocluster.linkages`.

Parameters shared by the functions below
----------------------------------------
data : agrocluster.data.cluster.ClusterData
    The cluster's validated tables, with provenance and, for synthetic tables, the generator's truth.
params : agrocluster.params.ClusterParams
    The cluster's parameters; the options used are ``country_iso3``, ``product``, ``faostat_item_code``,
    ``hs_codes``, ``seed`` and ``exports.*`` (base year, trend years, competitors, gravity formula, pivots).
market, rca, flows, grav, premium, network, … : Section
    Earlier steps of the workbook whose results a later step builds on; when such a step was not
    computed, the later one is not computed either and says what it needs.

Examples
--------
>>> market = world_market(data, params)                                  # doctest: +SKIP
>>> rec.section("country-profile", market, "Quantities and shares")      # doctest: +SKIP
"""

from agrocluster.workbooks.exports.country import (
    METHODOLOGY_OVERLAP_END,
    PROFILE_LABELS,
    ProductSpacePosition,
    QuantityRCA,
    WorldMarket,
    competitors,
    data_used,
    load_exclusions,
    market_trends_figure,
    product_space_figure,
    product_space_position,
    quantity_rca,
    rca_figure,
    world_check,
    world_market,
)
from agrocluster.workbooks.exports.firm_level import (
    FIRM_COLUMNS,
    ExportPremiumStep,
    FirmNetwork,
    effect_reading,
    export_premium,
    export_rates,
    firm_network,
    inside_share_check,
    network_brokers,
    network_figure,
    network_summary,
)
from agrocluster.workbooks.exports.flows import (
    EMPLOYMENT_BASIS,
    STRESS_COLUMNS,
    ClusterFlows,
    GravityStep,
    RiskStep,
    destinations,
    destinations_figure,
    export_risk,
    firm_exports_vs_flows,
    gravity,
    gravity_by_product,
    gravity_by_product_figure,
    gravity_exclusions,
    gravity_figure,
    growth,
    regressors_available,
    stress_figure,
    trade_flows,
    true_gravity,
    unit_values_vs_cited,
    value_rca,
)
from agrocluster.workbooks.exports.summary import (
    headline_table,
)

__all__ = [
    "EMPLOYMENT_BASIS",
    "FIRM_COLUMNS",
    "METHODOLOGY_OVERLAP_END",
    "PROFILE_LABELS",
    "STRESS_COLUMNS",
    "ClusterFlows",
    "ExportPremiumStep",
    "FirmNetwork",
    "GravityStep",
    "ProductSpacePosition",
    "QuantityRCA",
    "RiskStep",
    "WorldMarket",
    "competitors",
    "data_used",
    "destinations",
    "destinations_figure",
    "effect_reading",
    "export_premium",
    "export_rates",
    "export_risk",
    "firm_exports_vs_flows",
    "firm_network",
    "gravity",
    "gravity_by_product",
    "gravity_by_product_figure",
    "gravity_exclusions",
    "gravity_figure",
    "growth",
    "headline_table",
    "inside_share_check",
    "load_exclusions",
    "market_trends_figure",
    "network_brokers",
    "network_figure",
    "network_summary",
    "product_space_figure",
    "product_space_position",
    "quantity_rca",
    "rca_figure",
    "regressors_available",
    "stress_figure",
    "trade_flows",
    "true_gravity",
    "unit_values_vs_cited",
    "value_rca",
    "world_check",
    "world_market",
]
