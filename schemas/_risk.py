"""SE risk assessed: a vulnerability checklist, a CIN assessment's factors or an adult enquiry.

The Risk Management Group's vulnerability checklist (VCL) scores 0-4. The partnership maps the
score to a level: 0-1 low, 2 medium, 3-4 high (a local convention, recorded here so it is applied
the same way everywhere). The strategy scores "alongside professional assessments and
professional judgement": a recorded judgement may raise or lower the score's level, and then it
is the level the partnership works to.

Rules:

1. ``risk_level`` is the level the partnership works to: the professional judgement's level when
   one is recorded, else the checklist score's. A judgement states its ``rationale`` (not
   ``reason``: log and audit keys use that name, and the redactor hides personal field names
   wherever they appear).
2. ``vulnerability_checklist`` needs ``checklist_score``, which no other method carries.
3. ``cin_assessment`` carries CIN census ``assessment_factors`` (at least one) and no graded
   risk: no ``risk_level`` and no judgement. Only a CIN assessment carries factors.
4. Every other method needs ``risk_level``.
5. A person is removed from the RMG (``rmg_status`` ``removed``) only once the risk is at medium
   or low.
6. ``review_on`` is not before ``assessed_on``.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from schemas._base import CanonicalModel, personal
from schemas._codes import ExploitationMarkers, RiskLevel
from schemas._envelope import Envelope
from schemas._person import PersonRef

__all__ = [
    "CHECKLIST_LEVELS",
    "ProfessionalJudgement",
    "RmgStatus",
    "SeRiskAssessed",
    "SeRiskAssessedData",
    "level_for_checklist_score",
    "level_worked_to",
]

CHECKLIST_LEVELS: dict[int, RiskLevel] = {
    0: RiskLevel.LOW,
    1: RiskLevel.LOW,
    2: RiskLevel.MEDIUM,
    3: RiskLevel.HIGH,
    4: RiskLevel.HIGH,
}
_REDUCED = frozenset({RiskLevel.LOW, RiskLevel.MEDIUM})


def level_for_checklist_score(score: int) -> RiskLevel:
    """The partnership's mapping of a VCL score (0-4) to a risk level."""
    return CHECKLIST_LEVELS[score]


def level_worked_to(score: int | None, judgement: RiskLevel | None) -> RiskLevel | None:
    """The level the partnership works to: the judgement's if recorded, else the score's."""
    if judgement is not None:
        return judgement
    return None if score is None else level_for_checklist_score(score)


class RmgStatus(StrEnum):
    """Where the person stands with the Risk Management Group."""

    NOT_REFERRED = "not_referred"
    ADDED = "added"
    REVIEWED = "reviewed"
    REMOVED = "removed"


class ProfessionalJudgement(CanonicalModel):
    """A professional's judgement of the level, which overrides the checklist score's."""

    level: RiskLevel
    rationale: str = personal(min_length=1, max_length=1000, description="Why, in words.")


CinFactor = Annotated[str, Field(pattern=r"^[0-9]{1,2}[A-Z]?$")]


class SeRiskAssessedData(CanonicalModel):
    """An assessment of the risk of sexual exploitation."""

    person: PersonRef
    assessed_on: date
    method: Literal["vulnerability_checklist", "cin_assessment", "safeguarding_enquiry"]
    checklist_score: int | None = Field(default=None, ge=0, le=4)
    professional_judgement: ProfessionalJudgement | None = None
    risk_level: RiskLevel | None = Field(
        default=None,
        description="The level the partnership works to; none for a CIN assessment's factors.",
    )
    rmg_status: RmgStatus | None = Field(
        default=None, description="Absent when the source does not record the RMG status."
    )
    review_on: date | None = Field(default=None, description="When the risk is next reviewed.")
    plan_in_place: bool | None = Field(
        default=None, description="Whether a multi-agency plan of support is in place."
    )
    markers: ExploitationMarkers
    assessment_factors: tuple[CinFactor, ...] = Field(
        default=(), description="CIN census assessment factor codes, e.g. 11A, 10A."
    )
    risk_outcome: Literal["risk_remained", "risk_reduced", "risk_removed"] | None = Field(
        default=None, description="Safeguarding Adults Collection SG2e, for adults."
    )

    @model_validator(mode="after")
    def _consistent(self) -> SeRiskAssessedData:
        self._method_carries_its_evidence()
        judgement = self.professional_judgement
        judged = None if judgement is None else judgement.level
        expected = level_worked_to(self.checklist_score, judged)
        if expected is not None and self.risk_level is not expected:
            raise ValueError(
                "risk_level must be the professional judgement's level when one is recorded, "
                "else the checklist score's (0-1 low, 2 medium, 3-4 high)"
            )
        if self.rmg_status is RmgStatus.REMOVED and self.risk_level not in _REDUCED:
            raise ValueError("removal from the RMG needs the risk reduced to medium or low")
        if self.review_on is not None and self.review_on < self.assessed_on:
            raise ValueError("review_on is before assessed_on")
        return self

    def _method_carries_its_evidence(self) -> None:
        checklist = self.method == "vulnerability_checklist"
        if checklist and self.checklist_score is None:
            raise ValueError("a vulnerability checklist assessment needs checklist_score")
        if not checklist and self.checklist_score is not None:
            raise ValueError("checklist_score is only for a vulnerability checklist")
        if self.method == "cin_assessment":
            if not self.assessment_factors:
                raise ValueError("a CIN assessment needs its assessment_factors")
            if self.risk_level is not None or self.professional_judgement is not None:
                raise ValueError("a CIN assessment carries factors, not a graded risk_level")
        elif self.assessment_factors:
            raise ValueError("assessment_factors are only for a CIN assessment")
        elif self.risk_level is None:
            raise ValueError(f"a {self.method} assessment needs risk_level")


class SeRiskAssessed(Envelope):
    """CloudEvent: a risk of sexual exploitation was assessed."""

    type: Literal["uk.sehub.se_risk.assessed.v1"]
    data: SeRiskAssessedData
