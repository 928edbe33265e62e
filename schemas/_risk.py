"""SE risk assessed: a vulnerability checklist score, a risk level and the RMG status.

The Risk Management Group's vulnerability checklist (VCL) scores 0-4. The partnership maps the
score to a level: 0-1 low, 2 medium, 3-4 high (a local convention, recorded here so it is applied
the same way everywhere). A child is removed from the RMG only once the risk has reduced to
medium or low.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from schemas._base import CanonicalModel
from schemas._codes import ExploitationMarkers, RiskLevel
from schemas._envelope import Envelope
from schemas._person import PersonRef

__all__ = [
    "CHECKLIST_LEVELS",
    "RmgStatus",
    "SeRiskAssessed",
    "SeRiskAssessedData",
    "level_for_checklist_score",
]

CHECKLIST_LEVELS: dict[int, RiskLevel] = {
    0: RiskLevel.LOW,
    1: RiskLevel.LOW,
    2: RiskLevel.MEDIUM,
    3: RiskLevel.HIGH,
    4: RiskLevel.HIGH,
}


def level_for_checklist_score(score: int) -> RiskLevel:
    """The partnership's mapping of a VCL score (0-4) to a risk level."""
    return CHECKLIST_LEVELS[score]


class RmgStatus(StrEnum):
    """Where the person stands with the Risk Management Group."""

    NOT_REFERRED = "not_referred"
    ADDED = "added"
    REVIEWED = "reviewed"
    REMOVED = "removed"


class SeRiskAssessedData(CanonicalModel):
    """An assessment of the risk of sexual exploitation."""

    person: PersonRef
    assessed_on: date
    method: Literal["vulnerability_checklist", "cin_assessment", "safeguarding_enquiry"]
    checklist_score: int | None = Field(default=None, ge=0, le=4)
    risk_level: RiskLevel
    rmg_status: RmgStatus | None = Field(
        default=None, description="Absent when the source does not record the RMG status."
    )
    markers: ExploitationMarkers
    assessment_factors: tuple[str, ...] = Field(
        default=(), description="CIN census assessment factor codes, e.g. 11A, 10A."
    )
    risk_outcome: Literal["risk_remained", "risk_reduced", "risk_removed"] | None = Field(
        default=None, description="Safeguarding Adults Collection SG2e, for adults."
    )

    @model_validator(mode="after")
    def _consistent(self) -> SeRiskAssessedData:
        if self.method == "vulnerability_checklist" and self.checklist_score is None:
            raise ValueError("a vulnerability checklist assessment needs checklist_score")
        if (
            self.checklist_score is not None
            and level_for_checklist_score(self.checklist_score) is not self.risk_level
        ):
            raise ValueError(
                "risk_level does not match checklist_score (0-1 low, 2 medium, 3-4 high)"
            )
        if self.rmg_status is RmgStatus.REMOVED and self.risk_level is RiskLevel.HIGH:
            raise ValueError("removal from the RMG needs the risk reduced to medium or low")
        return self


class SeRiskAssessed(Envelope):
    """CloudEvent: a risk of sexual exploitation was assessed."""

    type: Literal["uk.sehub.se_risk.assessed.v1"]
    data: SeRiskAssessedData
