"""Education concerns: a child missing education, off roll, part-time, in alternative provision
or electively home educated.

The strategy asks education to share children not in full-time education, which it takes as
under 25 hours a week (DfES Circular 7/90's recommended lesson time for ages 14-16). A part-time
timetable is recorded with attendance code C2 since August 2024; LA-arranged provision with K.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from schemas._areas import LaCode
from schemas._base import CanonicalModel
from schemas._envelope import Envelope
from schemas._person import PersonRef

__all__ = [
    "FULL_TIME_HOURS",
    "EducationConcernRaised",
    "EducationConcernRaisedData",
    "EducationConcernType",
]

FULL_TIME_HOURS = 25.0
SchoolUrn = Field(default=None, pattern=r"^[0-9]{6,7}$", description="The school's URN.")


class EducationConcernType(StrEnum):
    """What the concern is."""

    MISSING_EDUCATION = "missing_education"
    REMOVED_FROM_ROLL = "removed_from_roll"
    PART_TIME_TIMETABLE = "part_time_timetable"
    ALTERNATIVE_PROVISION = "alternative_provision"
    ELECTIVE_HOME_EDUCATION = "elective_home_education"
    UNAUTHORISED_ABSENCE = "unauthorised_absence"
    SUSPENSION_WITHOUT_PROVISION = "suspension_without_provision"


class EducationConcernRaisedData(CanonicalModel):
    """A concern about a pupil's education that may signal a risk of exploitation."""

    person: PersonRef
    concern_type: EducationConcernType
    identified_on: date
    school_urn: str | None = SchoolUrn
    la: LaCode | None = None
    hours_per_week: float | None = Field(default=None, ge=0, le=60)
    sessions_missed: int | None = Field(default=None, ge=0)
    attendance_codes: tuple[str, ...] = Field(
        default=(), description="The attendance codes that raised the concern, in order."
    )
    first_session_on: date | None = None
    last_session_on: date | None = None
    removal_ground: str | None = Field(
        default=None, max_length=120, description="The regulation ground for removal from roll."
    )
    destination_school_urn: str | None = SchoolUrn

    @model_validator(mode="after")
    def _type_needs_its_facts(self) -> EducationConcernRaisedData:
        kind = self.concern_type
        if kind is EducationConcernType.PART_TIME_TIMETABLE and (
            self.hours_per_week is None or self.hours_per_week >= FULL_TIME_HOURS
        ):
            raise ValueError(
                f"a part-time timetable needs hours_per_week under {FULL_TIME_HOURS:g}"
            )
        if kind is EducationConcernType.REMOVED_FROM_ROLL and not self.removal_ground:
            raise ValueError("removal from roll needs removal_ground")
        if (
            self.first_session_on is not None
            and self.last_session_on is not None
            and self.last_session_on < self.first_session_on
        ):
            raise ValueError("last_session_on is before first_session_on")
        return self


class EducationConcernRaised(Envelope):
    """CloudEvent: an education concern was raised."""

    type: Literal["uk.sehub.education.concern_raised.v1"]
    data: EducationConcernRaisedData
