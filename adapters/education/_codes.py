"""Education code lists: the 2024 attendance register codes, register sessions, notice types.

Rules:

1. The attendance codes are those of The School Attendance (Pupil Registration) (England)
   Regulations 2024 (SI 2024/208, reg. 10), in force from 19 August 2024. A code outside the set
   is an error; it is never mapped to a guess.
2. Each code has exactly one class. The classes mirror the regulation's tables: present,
   attending off-site (approved educational activity), authorised absence, unauthorised
   absence, and codes that do not count as a possible session (administrative / not required
   to attend / unable to attend).
3. Remote learning has no code: the guidance says it is absence, recorded with an absence code.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "ATTENDANCE_CODES",
    "CODE_CLASSES",
    "AttendanceClass",
    "CmeNoticeType",
    "Session",
]


class AttendanceClass(StrEnum):
    """How the regulations class an attendance code."""

    PRESENT = "present"
    OFF_SITE = "attending_off_site"
    AUTHORISED = "authorised_absence"
    UNAUTHORISED = "unauthorised_absence"
    NOT_COUNTED = "not_counted"


class Session(StrEnum):
    """A register session. AM comes before PM on the same day."""

    AM = "AM"
    PM = "PM"


class CmeNoticeType(StrEnum):
    """What a school tells the LA under the Children Missing Education duties."""

    DELETION_FROM_REGISTER = "deletion_from_register"
    CONTINUOUS_ABSENCE_10_DAYS = "continuous_absence_10_days"
    NEW_REGISTRATION = "new_registration"


_PRESENT = ("/", "\\", "L")
# K (LA-arranged provision) is new in 2024; D (dual registered) counts at the other school.
_OFF_SITE = ("K", "V", "P", "W", "B")
_AUTHORISED = ("C1", "C2", "C", "E", "I", "M", "R", "S", "T", "J1")
_UNAUTHORISED = ("N", "O", "U", "G")
_NOT_COUNTED = ("D", "Q", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6", "Y7", "X", "Z", "#")

CODE_CLASSES: Mapping[str, AttendanceClass] = MappingProxyType(
    {
        **dict.fromkeys(_PRESENT, AttendanceClass.PRESENT),
        **dict.fromkeys(_OFF_SITE, AttendanceClass.OFF_SITE),
        **dict.fromkeys(_AUTHORISED, AttendanceClass.AUTHORISED),
        **dict.fromkeys(_UNAUTHORISED, AttendanceClass.UNAUTHORISED),
        **dict.fromkeys(_NOT_COUNTED, AttendanceClass.NOT_COUNTED),
    }
)
"""Every 2024 attendance code and its class."""

ATTENDANCE_CODES: frozenset[str] = frozenset(CODE_CLASSES)
"""The 2024 attendance code set (34 codes)."""
