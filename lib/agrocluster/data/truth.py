"""The planted truth of a synthetic cluster, as one typed object.

:func:`agrocluster.data.synthetic.generate_cluster` records every parameter it plants and the true values
derived from them; :class:`SyntheticTruth` holds them section by section (``production``,
``agglomeration``, ``programme`` …), each a JSON-serialisable mapping documented by the generator. It is
also a read-only mapping of section name → section (``truth["production"]``, ``truth.get("links", {})``),
so code written against the former nested dict keeps working. A real-data cluster has an empty truth,
which is falsy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, eq=False)
class SyntheticTruth(Mapping):
    """What the synthetic generator planted (every attribute ``None`` for real data).

    Attributes
    ----------
    generator : str
        The module that generated the cluster.
    seed : int
        The generator's seed.
    spec : dict
        The :class:`~agrocluster.data.synthetic.SyntheticSpec` used, as a dict.
    units : dict
        Units of money, labour, distance and area.
    geography : dict
        Regions (centres, areas, expected employment shares), cluster regions and radius.
    sectors : list of dict
        Each sector with its role (cluster, related, other), planted ``eg_gamma``, ``eg_gamma_given_draw`` and
        ``eg_excess_vs_aggregate`` (its drawn location probabilities against the expected aggregate the EG
        test compares with: what a γ = 0 sector shows because the concentrated sectors tilt the aggregate).
    ellison_glaeser : dict
        The planted Ellison–Glaeser γ of the cluster sector, how it was built, and ``sizes``: plant sizes do
        not answer the agglomeration premium, so γ = 0 sectors are a true null up to that tilt.
    location_probabilities, lq_expected, lq_realised_last_year : dict
        Sector → region → planted location probability, expected LQ, realised LQ in the last year.
    lq_expected_definition : str
        The formula of the expected LQ.
    production : dict
        Production function (gross output and value added coefficients), TFP process (``markov``: omega is
        AR(1) and the only productivity the inputs answer), input rules (labour adjustment, AR(1) wages:
        ``wage_persistence``, ``sigma_wage``).
    agglomeration : dict
        Planted localisation, urbanisation and wage-density elasticities, their ``timing`` (a revenue premium
        realised with sales, anticipated by no input) and ``value_added_scale`` (mean Y/VA: the premium's
        elasticity on ln value added per unit on ln output).
    dynamics : dict
        Entry, exit and panel size.
    programme : dict
        The cluster programme's planted effects (ATT by cohort, spillovers).
    firm_exports : dict
        Export participation model; ``calibration`` when the exports were scaled to the trade flows.
    trade : dict
        Gravity coefficients of the trade flows.
    links : dict
        Planted inside-link share and link kinds.
    """

    generator: str | None = None
    seed: int | None = None
    spec: dict[str, Any] | None = None
    units: dict[str, Any] | None = None
    geography: dict[str, Any] | None = None
    sectors: list[dict[str, Any]] | None = None
    ellison_glaeser: dict[str, Any] | None = None
    location_probabilities: dict[str, Any] | None = None
    lq_expected: dict[str, Any] | None = None
    lq_expected_definition: str | None = None
    lq_realised_last_year: dict[str, Any] | None = None
    production: dict[str, Any] | None = None
    agglomeration: dict[str, Any] | None = None
    dynamics: dict[str, Any] | None = None
    programme: dict[str, Any] | None = None
    firm_exports: dict[str, Any] | None = None
    trade: dict[str, Any] | None = None
    links: dict[str, Any] | None = None

    @classmethod
    def from_dict(cls, truth: Mapping[str, Any]) -> SyntheticTruth:
        """Build from the generator's (or ``truth.json``'s) mapping; an unknown section raises ValueError."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(truth) - known)
        if unknown:
            raise ValueError(f"synthetic truth: unknown section {unknown[0]!r}; SyntheticTruth has {sorted(known)}")
        return cls(**dict(truth))

    def to_dict(self) -> dict[str, Any]:
        """The sections that are set, as a plain (JSON-serialisable) dict."""
        return dict(self.items())

    # -- read-only mapping of the sections that are set -------------------------------------------------
    def __getitem__(self, section: str) -> Any:
        value = getattr(self, section, None) if isinstance(section, str) else None
        if value is None:
            raise KeyError(section)
        return value

    def __iter__(self) -> Iterator[str]:
        return (f.name for f in dataclasses.fields(self) if getattr(self, f.name) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)
