"""The headline numbers: declared once, read by the recorder, the site index and the synthesis.

Each headline key is declared here with the notebook that records it, its label in the reader's words,
its unit (which fixes how the number is printed), its direction (is a higher value better, worse, or
neither) and the input tables it is computed from. Whether a recorded number is *real* or *synthetic* is
decided per cluster at run time: a number is synthetic when any of its input tables is synthetic for that
cluster (:meth:`Headline.origin`).

A notebook records ``rec.headline("cluster_lq", value, se=..., note=...)``; an unknown key is refused
with the closest declared keys (:func:`get`). The site and :data:`agrocluster.synthesis.SCORECARD` take
labels, units and directions from :data:`REGISTRY`; there is no second list of labels.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .errors import HeadlineError

Direction = Literal["higher is better", "lower is better", "neutral"]
Origin = Literal["real", "synthetic"]
DIRECTIONS: tuple[str, ...] = ("higher is better", "lower is better", "neutral")

#: The input "table" of collection headlines computed from the clusters' results files.
RESULTS_INPUT = "results"


@dataclass(frozen=True)
class Unit:
    """How a unit is written after a number and how many decimals the number gets.

    Attributes
    ----------
    symbol : str
        What results.json stores and the pages print after the number (``""`` for a pure number).
    decimals : int
        Decimals shown.
    signed : bool
        Print a ``+`` before positive numbers (changes, differences).
    flag : bool
        A 0/1 indicator, printed as "yes"/"no".
    """

    symbol: str
    decimals: int = 3
    signed: bool = False
    flag: bool = False

    def format(self, value: Any) -> str:
        """``value`` printed in this unit; ``"–"`` when there is no number."""
        if value is None:
            return "–"
        number = float(value)
        if math.isnan(number):
            return "–"
        if self.flag:
            return "yes" if number else "no"
        if math.isinf(number):
            return "∞" if number > 0 else "−∞"
        text = f"{number:{'+' if self.signed else ''},.{self.decimals}f}"
        return f"{text} {self.symbol}".rstrip() if self.symbol not in ("", "%") else text + self.symbol


UNITS: dict[str, Unit] = {
    "kt": Unit("kt", decimals=0),
    "count": Unit("", decimals=0),
    "ratio": Unit("", decimals=2),
    "index": Unit("", decimals=3),
    "probability": Unit("", decimals=3),
    "share": Unit("", decimals=3),
    "percent": Unit("%", decimals=1),
    "pp": Unit("pp", decimals=2, signed=True),
    "km": Unit("km", decimals=1),
    "flag": Unit("", flag=True),
    "elasticity": Unit("", decimals=3, signed=True),
    "log points": Unit("log points", decimals=3, signed=True),
    "coefficient": Unit("", decimals=3, signed=True),
    "kt CO2e": Unit("kt CO2e", decimals=0),
    "kg per ha": Unit("kg/ha", decimals=1, signed=True),
}


@dataclass(frozen=True)
class Headline:
    """One declared headline number.

    Attributes
    ----------
    key : str
        The name under which notebooks record it and results.json stores it.
    notebook : str
        The notebook stem that records it.
    label : str
        What it is, in the reader's words (shown on the site and in the synthesis).
    unit : str
        A key of :data:`UNITS`.
    direction : {"higher is better", "lower is better", "neutral"}
        How a reader compares clusters on it ("neutral": a description, not a score).
    inputs : tuple of str
        The cluster's data tables it is computed from (``"results"`` for the synthesis).
    qualifies : str or None
        The key this one qualifies (a bound or p-value of another headline); such keys are not listed on
        their own in the site index.
    """

    key: str
    notebook: str
    label: str
    unit: str
    direction: Direction
    inputs: tuple[str, ...]
    qualifies: str | None = None

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"headline {self.key!r}: unit {self.unit!r} is not one of {sorted(UNITS)}")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"headline {self.key!r}: direction {self.direction!r} is not one of {DIRECTIONS}")

    @property
    def symbol(self) -> str:
        """The unit as written after the number (stored in results.json)."""
        return UNITS[self.unit].symbol

    @property
    def higher_is_better(self) -> bool | None:
        """True / False for a score, None for a neutral description."""
        return None if self.direction == "neutral" else self.direction == "higher is better"

    def format(self, value: Any) -> str:
        """``value`` as the site prints it (decimals and unit of :attr:`unit`)."""
        return UNITS[self.unit].format(value)

    def origin(self, synthetic_tables: Iterable[str]) -> Origin:
        """``"synthetic"`` when any input table is among ``synthetic_tables``, else ``"real"``."""
        return "synthetic" if set(self.inputs) & set(synthetic_tables) else "real"


def _declare(*headlines: Headline) -> dict[str, Headline]:
    registry: dict[str, Headline] = {}
    for headline in headlines:
        if headline.key in registry:
            raise ValueError(f"headline {headline.key!r} is declared twice")
        registry[headline.key] = headline
    return registry


_FAO = ("country_product",)
_FIRMS = ("establishments",)
_REGIONS = ("regional_employment",)
_AGGLOMERATION = ("establishments",)

#: Every headline key the workbooks record.
REGISTRY: dict[str, Headline] = _declare(
    # 00 cluster overview
    Headline("production_kt", "00_cluster_overview", "Production of the cluster's product, latest year",
             "kt", "neutral", _FAO),
    Headline("exports_kt", "00_cluster_overview", "Exports of the cluster's product, latest year",
             "kt", "neutral", _FAO),
    Headline("establishments", "00_cluster_overview", "Firms or farms in the microdata", "count", "neutral", _FIRMS),
    # 01 cluster mapping
    Headline("cluster_lq", "01_cluster_mapping",
             "Location quotient of the cluster sector in its strongest core region (1 = national average)",
             "ratio", "higher is better", _REGIONS),
    Headline("cluster_lq_lo", "01_cluster_mapping", "Location quotient: lower bound of its interval",
             "ratio", "higher is better", _REGIONS, qualifies="cluster_lq"),
    Headline("cluster_lq_hi", "01_cluster_mapping", "Location quotient: upper bound of its interval",
             "ratio", "higher is better", _REGIONS, qualifies="cluster_lq"),
    Headline("eg_gamma", "01_cluster_mapping", "Ellison–Glaeser concentration of the cluster sector (γ)",
             "index", "higher is better", _FIRMS),
    Headline("eg_gamma_pvalue", "01_cluster_mapping", "p-value of γ under random location",
             "probability", "lower is better", _FIRMS, qualifies="eg_gamma"),
    Headline("localised_from_km", "01_cluster_mapping", "Cluster sector localised from (first distance range)",
             "km", "neutral", _FIRMS),
    Headline("localised_to_km", "01_cluster_mapping", "Cluster sector localised up to (first distance range)",
             "km", "neutral", _FIRMS),
    Headline("strong_cluster", "01_cluster_mapping", "A core region is a strong cluster (US Cluster Mapping rule)",
             "flag", "higher is better", _REGIONS),
    Headline("world_production_share", "01_cluster_mapping", "Country's share of world production of the product",
             "percent", "higher is better", _FAO),
    # 02 agglomeration
    Headline("localisation_elasticity", "02_agglomeration",
             "Elasticity of productivity to own-sector employment nearby (firm fixed effects)",
             "elasticity", "higher is better", _AGGLOMERATION),
    Headline("urbanisation_elasticity", "02_agglomeration",
             "Elasticity of productivity to the density of all employment nearby (firm fixed effects)",
             "elasticity", "higher is better", _AGGLOMERATION),
    Headline("sorting_share", "02_agglomeration",
             "Share of the pooled localisation elasticity explained by sorting of firms",
             "share", "neutral", _AGGLOMERATION),
    Headline("wage_localisation_elasticity", "02_agglomeration",
             "Elasticity of wages to own-sector employment nearby (firm fixed effects)",
             "elasticity", "higher is better", _AGGLOMERATION),
    Headline("core_move_gain_pct", "02_agglomeration", "Productivity gain of moving into the cluster core",
             "percent", "higher is better", _AGGLOMERATION),
    # 03 productivity
    Headline("member_tfp_premium", "03_productivity",
             "TFP premium of cluster members over other firms of the same sector and year",
             "log points", "higher is better", _FIRMS),
    Headline("programme_att", "03_productivity",
             "Average effect of the cluster programme on participants (staggered difference-in-differences)",
             "log points", "higher is better", _FIRMS),
    Headline("acf_beta_l", "03_productivity", "Output elasticity of labour (Ackerberg–Caves–Frazer)",
             "elasticity", "neutral", _FIRMS),
    Headline("acf_beta_k", "03_productivity",
             "Output elasticity of the state input: capital, or land for farms (Ackerberg–Caves–Frazer)",
             "elasticity", "neutral", _FIRMS),
    Headline("returns_to_scale", "03_productivity", "Returns to scale: sum of the output elasticities (ACF)",
             "elasticity", "neutral", _FIRMS),
    Headline("tfp_dispersion_9010", "03_productivity",
             "Gap in log TFP between the 90th and 10th percentile firm of a sector and year",
             "log points", "lower is better", _FIRMS),
    Headline("programme_pretrend_pvalue", "03_productivity",
             "p-value of the test of no pre-programme trends (sup-t, small-sample reference)",
             "probability", "higher is better", _FIRMS, qualifies="programme_att"),
    Headline("programme_credible", "03_productivity",
             "Programme effect credible as a causal effect (pre-programme trends not rejected)",
             "flag", "higher is better", _FIRMS, qualifies="programme_att"),
    Headline("programme_mde", "03_productivity",
             "Smallest programme effect these cohorts can detect (80% power, 5% size)",
             "log points", "lower is better", _FIRMS, qualifies="programme_att"),
    # 90 validation (cluster-independent)
    Headline("published_reproduced", "90_validation", "Published numbers reproduced within their printed precision",
             "count", "higher is better", ()),
    Headline("coverage_within", "90_validation", "Intervals and tests whose coverage (size) is within 93–97% (3–7%)",
             "count", "higher is better", ()),
    # 06 links and risks
    Headline("vertical_inside_share", "06_cluster_links_risks",
             "Share of members' vertical links (input supply, sales) that stay inside the cluster",
             "share", "neutral", ("firm_links",)),
    Headline("horizontal_inside_share", "06_cluster_links_risks",
             "Share of members' horizontal links (cooperation, knowledge) that stay inside the cluster",
             "share", "neutral", ("firm_links",)),
    Headline("horizontal_inward_excess", "06_cluster_links_risks",
             "Horizontal links kept inside beyond what random mixing would give",
             "share", "lower is better", ("firm_links",)),
    Headline("joint_action_tfp", "06_cluster_links_risks",
             "Log TFP per cooperation link of a member, within firm (joint action)",
             "log points", "higher is better", ("establishments", "firm_links")),
    Headline("hyv_adoption_change", "06_cluster_links_risks",
             "Change in the share of farms growing high-yielding varieties",
             "share", "higher is better", _FIRMS),
    Headline("peer_adoption_coef", "06_cluster_links_risks",
             "Adoption on the village's lagged adoption (an association, not a peer effect)",
             "coefficient", "neutral", _FIRMS),
    Headline("urea_per_ha_bimas_gap", "06_cluster_links_risks",
             "Urea per hectare: programme participants minus other farms",
             "kg per ha", "lower is better", _FIRMS),
    Headline("ghg_production_kt", "06_cluster_links_risks",
             "Greenhouse gases of the country's production of the product (FAOSTAT × Poore & Nemecek 2018)",
             "kt CO2e", "lower is better", _FAO),
    Headline("ghg_exports_kt", "06_cluster_links_risks", "Greenhouse gases embodied in the country's exports",
             "kt CO2e", "lower is better", _FAO),
    Headline("ghg_growth_pct", "06_cluster_links_risks", "Growth of the production footprint over the window",
             "percent", "lower is better", _FAO),
    Headline("ghg_intensity_ratio", "06_cluster_links_risks",
             "Greenhouse gases per kg in the region against the world mean of the product",
             "ratio", "lower is better", _FAO),
    Headline("worst_collapse_output_share", "06_cluster_links_risks",
             "Largest share of output at risk among replayed market collapses",
             "share", "lower is better", ("country_product", "trade_flows")),
    Headline("largest_export_fall", "06_cluster_links_risks",
             "Largest peak-to-trough fall of the country's exports of the product (FAOSTAT 1961–2020)",
             "share", "lower is better", _FAO),
    # 04 export links
    Headline("world_export_share", "04_export_links", "Country's share of world exports of the product",
             "percent", "higher is better", _FAO),
    Headline("world_export_share_change", "04_export_links",
             "Change in the country's share of world exports of the product", "pp", "higher is better", _FAO),
    Headline("export_orientation", "04_export_links", "Exports over production of the product",
             "ratio", "neutral", _FAO),
    Headline("rca", "04_export_links", "Revealed comparative advantage in the product (Balassa; 1 = neutral)",
             "index", "higher is better", _FAO),
    Headline("top_market_share", "04_export_links", "Share of exports going to the largest market",
             "share", "lower is better", ("trade_flows",)),
    Headline("rta_effect", "04_export_links",
             "Effect of a regional trade agreement on the product's trade flows (PPML coefficient)",
             "coefficient", "neutral", ("trade_flows",)),
    Headline("member_export_premium", "04_export_links",
             "Difference in the probability of exporting, cluster members vs other firms",
             "probability", "higher is better", _FIRMS),
    Headline("inside_link_share", "04_export_links", "Share of the members' business links that stay inside the cluster",
             "share", "lower is better", ("firm_links",)),
    Headline("member_firm_share", "04_export_links",
             "Cluster members' share of all firms, p (random mixing keeps p / (2 − p) of their links inside)",
             "share", "neutral", ("establishments", "firm_links")),
    # 05 synthesis
    Headline("n_clusters", "05_synthesis", "Clusters compared", "count", "neutral", ()),
    Headline("n_danger_flags", "05_synthesis", "Danger flags raised across clusters", "count", "lower is better",
             (RESULTS_INPUT,)),
    Headline("synthetic_share", "05_synthesis", "Share of the data tables in use that are synthetic",
             "share", "lower is better", ()),
)


def get(key: str) -> Headline:
    """The declaration of ``key``; an unknown key raises :class:`~agrocluster.errors.HeadlineError` naming it
    and the closest declared keys."""
    try:
        return REGISTRY[key]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(key), list(REGISTRY), n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise HeadlineError(
            f"headline key {key!r} is not declared in agrocluster.headlines.REGISTRY{hint} "
            "(declare a new headline there with its notebook, label, unit, direction and input tables)"
        ) from None


def for_notebook(notebook: str) -> list[Headline]:
    """The headlines a notebook records, in declaration order."""
    return [h for h in REGISTRY.values() if h.notebook == notebook]


def synthetic_tables(data: Mapping[str, Any]) -> set[str]:
    """The tables whose source is ``synthetic`` in a cluster's ``data`` parameters (models or dicts)."""
    found = set()
    for table, spec in (data or {}).items():
        source = spec.get("source") if isinstance(spec, Mapping) else getattr(spec, "source", None)
        if source == "synthetic":
            found.add(table)
    return found
