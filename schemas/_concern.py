"""Concern notifications: a Child Concern Notification (CCN) or an Adult Concern Notification (ACN).

Raised by the police from a concern notice (PPN-style) or a crime record with a CSE flag, and by
adult services from a safeguarding (section 42) enquiry. ``markers.sexual_exploitation`` is the
SE marker; the related markers say whether trafficking or modern slavery, criminal exploitation
or missing were also flagged.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, Field

from schemas._base import CanonicalModel, personal
from schemas._codes import ExploitationMarkers
from schemas._envelope import Envelope
from schemas._person import PersonRef

__all__ = ["ConcernGrading", "ConcernRaised", "ConcernRaisedData", "ConcernSubject"]


class ConcernSubject(StrEnum):
    """Whether this is a child (CCN) or an adult (ACN) concern notification."""

    CHILD = "child"
    ADULT = "adult"


class ConcernGrading(StrEnum):
    """PPN grading (Merlin's high/low maps onto high and low)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class ConcernRaisedData(CanonicalModel):
    """A concern about a child or an adult, with its exploitation markers and grading."""

    person: PersonRef
    subject: ConcernSubject
    markers: ExploitationMarkers
    grading: ConcernGrading
    referral: Literal["referral", "information_only"] = Field(
        description="A formal referral, or information exchange only."
    )
    origin: Literal["concern_notice", "crime_record", "safeguarding_enquiry"]
    reference: str = Field(
        min_length=1, max_length=64, description="The source's notice, crime or enquiry ref."
    )
    raised_on: date
    incident_at: AwareDatetime | None = None
    vulnerability_types: tuple[str, ...] = Field(
        default=(), description="The source's own vulnerability labels, as recorded."
    )
    summary: str | None = personal(default=None, max_length=4000)


class ConcernRaised(Envelope):
    """CloudEvent: a concern notification (CCN or ACN) was raised."""

    type: Literal["uk.sehub.concern.raised.v1"]
    data: ConcernRaisedData
