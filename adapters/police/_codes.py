"""Police code lists, the spellings force systems use for them, and the canonical value of each.

There is no national field-level schema for police missing-person reports or concern notices
(reference §6.2, §6.3), so the accepted spellings are the ones force extracts use in practice.

Rules:

1. A coded field is compared after folding: case, surrounding spaces and the separators
   ``space``, ``-``, ``_`` and ``/`` are ignored, so ``No apparent risk``, ``no_apparent_risk``
   and ``NO-APPARENT-RISK`` are the same code. Anything else is an unknown code and an error.
2. APP missing-person risk: no apparent risk, low, medium, high. The old ACPO "absent" category
   was withdrawn from APP and is refused, not guessed.
3. Concern grading: PPN high/medium/low, their red/amber/green colours, Merlin high/low.
4. Vulnerability labels are a force's local vocabulary. A label in :data:`LABEL_MARKERS` sets the
   canonical markers (reference §7.5); any other label is kept as recorded and sets none. An
   unrecognised label is never an error, so a force can use its own vocabulary.
5. A crime record's grading follows its flags: exploitation (CSE, CCE, modern slavery or
   trafficking) is ``high`` because the exploiter usually still has access to the victim; a CSA
   flag alone is ``medium``. Partners re-grade after their own checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

from schemas import ConcernGrading, ConcernSubject, ExploitationMarkers, PoliceRiskLevel, Sex

__all__ = [
    "CRIME_FLAG_MARKERS",
    "EXPLOITATION_FLAGS",
    "GRADINGS",
    "LABEL_MARKERS",
    "RISK_LEVELS",
    "SEXES",
    "SUBJECTS",
    "crime_grading",
    "fold",
    "markers_for_labels",
]

_SEPARATORS = re.compile(r"[\s_/\-]+")


def fold(text: str) -> str:
    """The comparison form of a code or label: lower case, separators collapsed to one space."""
    return _SEPARATORS.sub(" ", text).strip().casefold()


RISK_LEVELS: Final[Mapping[str, PoliceRiskLevel]] = {
    "no apparent risk": PoliceRiskLevel.NO_APPARENT_RISK,
    "low": PoliceRiskLevel.LOW,
    "medium": PoliceRiskLevel.MEDIUM,
    "high": PoliceRiskLevel.HIGH,
}

GRADINGS: Final[Mapping[str, ConcernGrading]] = {
    "high": ConcernGrading.HIGH,
    "red": ConcernGrading.HIGH,
    "medium": ConcernGrading.MEDIUM,
    "amber": ConcernGrading.MEDIUM,
    "low": ConcernGrading.LOW,
    "green": ConcernGrading.LOW,
}

SUBJECTS: Final[Mapping[str, ConcernSubject]] = {
    "child": ConcernSubject.CHILD,
    "ccn": ConcernSubject.CHILD,
    "adult": ConcernSubject.ADULT,
    "acn": ConcernSubject.ADULT,
}

SEXES: Final[Mapping[str, Sex]] = {"m": Sex.MALE, "f": Sex.FEMALE, "u": Sex.UNKNOWN}

_SE = "sexual_exploitation"
_CE = "criminal_exploitation"
_TMS = "trafficking_modern_slavery"
_MISSING = "missing"
_SA = "sexual_abuse"

# Folded local labels -> canonical marker names (reference §6.3 iVPD and Merlin categories, §7.5).
LABEL_MARKERS: Final[Mapping[str, frozenset[str]]] = {
    "cse": frozenset({_SE}),
    "child sexual exploitation": frozenset({_SE}),
    "sexual exploitation": frozenset({_SE}),
    "ocsae": frozenset({_SE, _SA}),
    "online child sexual abuse and exploitation": frozenset({_SE, _SA}),
    "cce": frozenset({_CE}),
    "child criminal exploitation": frozenset({_CE}),
    "criminal exploitation": frozenset({_CE}),
    "county lines": frozenset({_CE}),
    "trafficking": frozenset({_TMS}),
    "human trafficking": frozenset({_TMS}),
    "modern slavery": frozenset({_TMS}),
    "modern slavery and human trafficking": frozenset({_TMS}),
    "missing": frozenset({_MISSING}),
    "missing person": frozenset({_MISSING}),
    "missing from home": frozenset({_MISSING}),
    "missing from care": frozenset({_MISSING}),
    "csa": frozenset({_SA}),
    "sexual abuse": frozenset({_SA}),
    "child sexual abuse": frozenset({_SA}),
}

# Crime-record flag field -> canonical marker (reference §6.1, §7.5).
CRIME_FLAG_MARKERS: Final[Mapping[str, str]] = {
    "cse_flag": _SE,
    "csa_flag": _SA,
    "cce_flag": _CE,
    "modern_slavery_flag": _TMS,
}
EXPLOITATION_FLAGS: Final[frozenset[str]] = frozenset(
    {"cse_flag", "cce_flag", "modern_slavery_flag"}
)


def markers_for_labels(labels: Iterable[str]) -> dict[str, bool]:
    """The canonical markers the labels set (every marker present, False unless a label sets it)."""
    found: set[str] = set()
    for label in labels:
        found |= LABEL_MARKERS.get(fold(label), frozenset())
    return {marker: marker in found for marker in ExploitationMarkers.model_fields}


def crime_grading(flags_set: Iterable[str]) -> ConcernGrading:
    """High if any exploitation flag is set, otherwise (CSA alone) medium."""
    if EXPLOITATION_FLAGS.intersection(flags_set):
        return ConcernGrading.HIGH
    return ConcernGrading.MEDIUM
