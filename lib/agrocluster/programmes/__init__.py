"""Impact of cluster programmes: staggered DiD (Callaway–Sant'Anna), TWFE and event studies, spillovers.

Public API
----------
- :func:`staggered_did` — ATT(g,t) as R ``did::att_gt``; ``.aggregate(kind)`` as ``did::aggte``.
- :func:`twfe_did` — static two-way fixed effects DiD (pyfixest), to show where TWFE misleads.
- :func:`event_study` — dynamic TWFE or Sun–Abraham interaction-weighted event study (pyfixest).
- :func:`spillover_effects` — effects on non-participants by distance band or network exposure.
- :func:`minimum_detectable_effect`, :func:`cohort_power` — what effect the evaluation could detect
  (80 % power, 5 % size); :func:`credibility_reading` — the pre-trend verdict and the MDE in words.
"""

from agrocluster.programmes.did import DiDAggregate, StaggeredDiDResult, staggered_did
from agrocluster.programmes.power import cohort_power, credibility_reading, minimum_detectable_effect
from agrocluster.programmes.spillovers import SpilloverResult, spillover_effects
from agrocluster.programmes.twfe import EventStudyResult, TWFEResult, event_study, twfe_did

__all__ = [
    "DiDAggregate",
    "EventStudyResult",
    "SpilloverResult",
    "StaggeredDiDResult",
    "TWFEResult",
    "cohort_power",
    "credibility_reading",
    "event_study",
    "minimum_detectable_effect",
    "spillover_effects",
    "staggered_did",
    "twfe_did",
]
