"""Missing episode notifications (SSDA903 Missing module, APP missing persons).

SSDA903 distinguishes ``M`` (missing: whereabouts unknown) from ``A`` (away from placement
without authorisation: whereabouts known but not where expected). The police grade risk with the
College of Policing levels. A return interview falls due 72 hours after an episode ends.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from schemas._base import CanonicalModel, personal
from schemas._envelope import Envelope
from schemas._person import PersonRef

__all__ = [
    "RETURN_INTERVIEW_DUE_AFTER",
    "MissingEpisodeEnded",
    "MissingEpisodeEndedData",
    "MissingEpisodeStarted",
    "MissingEpisodeStartedData",
    "MissingType",
    "PoliceRiskLevel",
]

RETURN_INTERVIEW_DUE_AFTER = timedelta(hours=72)


class MissingType(StrEnum):
    """SSDA903 ``MISSING``: M is missing, A is away without authorisation."""

    MISSING = "missing"
    AWAY_WITHOUT_AUTHORISATION = "away_without_authorisation"


class PoliceRiskLevel(StrEnum):
    """College of Policing APP missing-person risk levels."""

    NO_APPARENT_RISK = "no_apparent_risk"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class MissingEpisodeStartedData(CanonicalModel):
    """A child or adult has gone missing, or is away without authorisation."""

    person: PersonRef
    missing_type: MissingType
    looked_after: bool = Field(description="True if the child is looked after (in care).")
    started_on: date = Field(description="SSDA903 MIS_START: the date left or last seen.")
    started_at: AwareDatetime | None = Field(
        default=None, description="Time of day, where the source records it (police do)."
    )
    risk_level: PoliceRiskLevel | None = None
    responsible_la: str | None = Field(
        default=None, pattern=r"^[0-9]{3}$", description="Responsible local authority (LA code)."
    )
    last_seen_location: str | None = personal(default=None, max_length=200)


class MissingEpisodeEndedData(CanonicalModel):
    """A missing or away episode has ended: the person was found or returned."""

    person: PersonRef
    missing_type: MissingType
    looked_after: bool
    started_on: date
    ended_on: date = Field(description="SSDA903 MIS_END: date found or returned.")
    ended_at: AwareDatetime | None = None
    found_location: str | None = personal(default=None, max_length=200)

    @model_validator(mode="after")
    def _ends_after_start(self) -> MissingEpisodeEndedData:
        if self.ended_on < self.started_on:
            raise ValueError("ended_on is before started_on (SSDA903 rule 567)")
        return self

    def return_interview_due(self) -> date | datetime:
        """When the return interview falls due: 72 hours after the episode ends."""
        if self.ended_at is not None:
            return self.ended_at + RETURN_INTERVIEW_DUE_AFTER
        return self.ended_on + RETURN_INTERVIEW_DUE_AFTER


class MissingEpisodeStarted(Envelope):
    """CloudEvent: missing episode started."""

    type: Literal["uk.sehub.missing_episode.started.v1"]
    data: MissingEpisodeStartedData


class MissingEpisodeEnded(Envelope):
    """CloudEvent: missing episode ended."""

    type: Literal["uk.sehub.missing_episode.ended.v1"]
    data: MissingEpisodeEndedData
