"""Missing episode notifications (SSDA903 Missing module, APP missing persons).

SSDA903 distinguishes ``M`` (missing: whereabouts unknown) from ``A`` (away from placement
without authorisation: whereabouts known but not where expected). The police grade risk with the
College of Policing levels. A return interview falls due 72 hours after an episode ends; where
only the date is known, the 72 hours run from the start of that day in England.

An SSDA903 missing episode stays open until the child's 18th birthday; an episode that closes
because the child turned 18 while still missing ends with ``end_reason = turned_18_still_missing``
(903 ``REC`` E8) and no return interview falls due.

The council responsible for a looked-after child is the person's ``responsible_la``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, Field, model_validator

from schemas._base import CanonicalModel, personal
from schemas._envelope import Envelope
from schemas._person import PersonRef

__all__ = [
    "RETURN_INTERVIEW_DUE_AFTER",
    "MissingEndReason",
    "MissingEpisodeEnded",
    "MissingEpisodeEndedData",
    "MissingEpisodeStarted",
    "MissingEpisodeStartedData",
    "MissingType",
    "PoliceRiskLevel",
    "return_interview_due",
]

RETURN_INTERVIEW_DUE_AFTER = timedelta(hours=72)
ENGLAND = ZoneInfo("Europe/London")


def return_interview_due(ended_on: date, ended_at: datetime | None) -> datetime:
    """72 elapsed hours after the episode ended (from the start of the day in England if no time
    is recorded), in UTC, so a clock change in between neither adds nor removes an hour."""
    ended = ended_at if ended_at is not None else datetime.combine(ended_on, time(), ENGLAND)
    return ended.astimezone(UTC) + RETURN_INTERVIEW_DUE_AFTER


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


class MissingEndReason(StrEnum):
    """Why the episode ended."""

    FOUND = "found"
    RETURNED = "returned"
    TURNED_18_STILL_MISSING = "turned_18_still_missing"


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
    police_reference: str | None = Field(default=None, max_length=64)
    last_seen_location: str | None = personal(default=None, max_length=200)


class MissingEpisodeEndedData(CanonicalModel):
    """A missing or away episode has ended."""

    person: PersonRef
    missing_type: MissingType
    looked_after: bool
    started_on: date
    ended_on: date = Field(description="SSDA903 MIS_END: date found or returned.")
    ended_at: AwareDatetime | None = None
    end_reason: MissingEndReason = MissingEndReason.RETURNED
    police_reference: str | None = Field(default=None, max_length=64)
    return_interview_due: AwareDatetime | None = Field(
        default=None,
        description="72 hours after the end; absent only when the child turned 18 still missing.",
    )
    found_location: str | None = personal(default=None, max_length=200)

    @model_validator(mode="after")
    def _consistent(self) -> MissingEpisodeEndedData:
        if self.ended_on < self.started_on:
            raise ValueError("ended_on is before started_on (SSDA903 rule 567)")
        if self.end_reason is MissingEndReason.TURNED_18_STILL_MISSING:
            if self.return_interview_due is not None:
                raise ValueError("no return interview is due when the child turned 18 missing")
        elif self.return_interview_due != return_interview_due(self.ended_on, self.ended_at):
            raise ValueError("return_interview_due must be 72 hours after the episode ended")
        return self


class MissingEpisodeStarted(Envelope):
    """CloudEvent: missing episode started."""

    type: Literal["uk.sehub.missing_episode.started.v1"]
    data: MissingEpisodeStartedData


class MissingEpisodeEnded(Envelope):
    """CloudEvent: missing episode ended."""

    type: Literal["uk.sehub.missing_episode.ended.v1"]
    data: MissingEpisodeEndedData
