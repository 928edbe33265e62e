"""Return interview notifications: offered, completed or declined after a missing episode.

The strategy asks that every return interview be shared with the police, and that a declined
interview carry an analysis of why, with the attempts made. The interview belongs to a missing
episode: the envelope's ``episodeid`` and ``data.episode_ref`` name it.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from schemas._base import CanonicalModel, personal
from schemas._envelope import ID_PATTERN, Envelope
from schemas._person import PersonRef

__all__ = [
    "ContactAttempt",
    "ReturnInterviewOutcome",
    "ReturnInterviewRecorded",
    "ReturnInterviewRecordedData",
]


class ReturnInterviewOutcome(StrEnum):
    """Where the return interview stands (Annex A: offered / accepted)."""

    OFFERED = "offered"
    COMPLETED = "completed"
    DECLINED = "declined"


class ContactAttempt(CanonicalModel):
    """One attempt to engage the child in a return interview."""

    attempted_on: date
    method: Literal["visit", "phone", "letter", "text", "email", "other"]
    reached: bool


class ReturnInterviewRecordedData(CanonicalModel):
    """The state of the return interview for one missing episode."""

    person: PersonRef
    episode_ref: str = Field(pattern=ID_PATTERN, description="The missing episode it follows.")
    outcome: ReturnInterviewOutcome
    offered_on: date | None = None
    completed_on: date | None = None
    conducted_by: Literal["independent_worker", "social_worker", "other"] | None = None
    se_risk_identified: bool | None = Field(
        default=None, description="Whether the interview identified a risk of exploitation."
    )
    attempts: tuple[ContactAttempt, ...] = ()
    declined_analysis: str | None = personal(
        default=None, max_length=4000, description="Why the child declined, and what follows."
    )

    @model_validator(mode="after")
    def _outcome_has_its_evidence(self) -> ReturnInterviewRecordedData:
        if self.outcome is ReturnInterviewOutcome.COMPLETED and self.completed_on is None:
            raise ValueError("a completed interview needs completed_on")
        if self.outcome is ReturnInterviewOutcome.DECLINED:
            if not self.declined_analysis:
                raise ValueError("a declined interview needs declined_analysis")
            if not self.attempts:
                raise ValueError("a declined interview needs the attempts made")
        if self.outcome is not ReturnInterviewOutcome.COMPLETED and self.completed_on is not None:
            raise ValueError("completed_on is only for a completed interview")
        return self


class ReturnInterviewRecorded(Envelope):
    """CloudEvent: a return interview was offered, completed or declined."""

    type: Literal["uk.sehub.return_interview.recorded.v1"]
    data: ReturnInterviewRecordedData
