"""Who a notification is about: the agency-local id, the national identifiers that exist, and
where the person lives and who is responsible for them.

Rules:

1. Check digits are validated with python-stdnum (NHS number modulus 11, UPN check letter); we
   never compute them by hand. Error messages name the rule and never echo the value.
2. Every person has a ``resident_la``: the council area where they live now (an area code,
   :mod:`schemas._areas`; a country code when only the country is known). The hub routes by it.
3. ``responsible_la`` is set for a looked-after child or a care leaver: the council that looks
   after them, wherever they live.
4. ``la_child_id`` is the council's own id for the child (CIN ``LAchildID``, SSDA903 ``CHILD``)
   as another agency (the police) records it, so the council can match its child; the council's
   own notifications carry it as ``local_id`` instead.
5. ``school_urn`` is the six-digit URN of the school the pupil attends.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, WithJsonSchema, model_validator
from stdnum.exceptions import InvalidComponent as StdnumInvalidComponent
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.gb import nhs, upn

from schemas._areas import AreaCode, LaCode
from schemas._base import CanonicalModel, personal

__all__ = [
    "NHS_NUMBER_PATTERN",
    "UPN_PATTERN",
    "NhsNumber",
    "PersonRef",
    "Sex",
    "Upn",
    "UpnUnknown",
]


# The patterns are what the JSON Schema can say, checked first; the check digit (NHS number,
# modulus 11), the check letter and the LA number (UPN) only the description can say.
NHS_NUMBER_PATTERN = r"^[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}$"
UPN_PATTERN = r"^[A-HJ-NP-RT-Za-hj-np-rt-z][0-9]{11}[0-9A-HJ-NP-RT-Za-hj-np-rt-z]$"
_NHS_NUMBER = re.compile(NHS_NUMBER_PATTERN)
_UPN = re.compile(UPN_PATTERN)
_NHS_RULE = (
    "NHS number: 10 digits, optionally grouped 3-3-4 by spaces or hyphens (kept as the 10 "
    "digits). The last digit must be the modulus 11 check digit of the first nine, which the "
    "pattern cannot express: a number that matches it may still be refused (422, value_error)."
)
_UPN_RULE = (
    "Unique Pupil Number: 13 characters, a check letter, a 3-digit LA number, 9 digits (the last "
    "may be a letter in a temporary UPN); letters in either case, kept upper-case. The check "
    "letter must match the other 12 characters and the LA number must be a real one, which the "
    "pattern cannot express: a UPN that matches it may still be refused (422, value_error)."
)
_NHS_MESSAGE = "not a valid NHS number (10 digits, modulus 11 check digit)"
_UPN_MESSAGE = "not a valid UPN (13 characters, check letter first)"


def _check_nhs_number(value: str) -> str:
    if not _NHS_NUMBER.match(value):
        raise ValueError(_NHS_MESSAGE)
    try:
        return str(nhs.validate(value))
    except StdnumValidationError as exc:
        raise ValueError(_NHS_MESSAGE) from exc


# python-stdnum's list of LA numbers predates the 2019 and 2023 reorganisations (Dorset 838,
# Bournemouth, Christchurch and Poole 839, North and West Northamptonshire 940/941, Cumberland
# 942, Westmorland and Furness 943), so a real UPN from those councils fails its LA check. We
# keep its compaction, format and check-letter calculation, and accept these LA numbers too.
_NEWER_LA_NUMBERS = frozenset({838, 839, 940, 941, 942, 943})


def _check_upn(value: str) -> str:
    if not _UPN.match(value):
        raise ValueError(_UPN_MESSAGE)
    try:
        return str(upn.validate(value))
    except StdnumInvalidComponent:
        number = upn.compact(value)
        if int(number[1:4]) in _NEWER_LA_NUMBERS and upn.calc_check_digit(number[1:]) == number[0]:
            return str(number)
        raise ValueError(_UPN_MESSAGE) from None
    except StdnumValidationError as exc:
        raise ValueError(_UPN_MESSAGE) from exc


def _described(pattern: str, rule: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "pattern": pattern, "description": rule})


NhsNumber = Annotated[
    str, AfterValidator(_check_nhs_number), _described(NHS_NUMBER_PATTERN, _NHS_RULE)
]
Upn = Annotated[str, AfterValidator(_check_upn), _described(UPN_PATTERN, _UPN_RULE)]


class UpnUnknown(StrEnum):
    """Reasons a child has no UPN, as coded in SSDA903 and the CIN census."""

    UN1 = "UN1"
    UN2 = "UN2"
    UN3 = "UN3"
    UN4 = "UN4"
    UN5 = "UN5"
    UN6 = "UN6"
    UN7 = "UN7"


class Sex(StrEnum):
    """Sex as coded from 2024/25 in SSDA903 and the CIN census (M/F/U)."""

    MALE = "M"
    FEMALE = "F"
    UNKNOWN = "U"


class PersonRef(CanonicalModel):
    """The person a notification is about, as the publishing agency knows them."""

    local_id: str = personal(
        min_length=1, max_length=64, description="The publishing agency's own id for the person."
    )
    nhs_number: NhsNumber | None = personal(default=None)
    upn: Upn | None = personal(default=None)
    upn_unknown: UpnUnknown | None = Field(
        default=None, description="Why there is no UPN (SSDA903 UN1-UN5, CIN census UN1-UN7)."
    )
    date_of_birth: date | None = personal(default=None)
    sex: Sex | None = Field(default=None)
    resident_la: AreaCode = Field(description="The council area where the person lives now.")
    responsible_la: LaCode | None = Field(
        default=None,
        description="For a looked-after child or care leaver: the council responsible for them.",
    )
    la_child_id: str | None = personal(
        default=None,
        min_length=1,
        max_length=64,
        description="The council's own id for the child (CIN LAchildID, SSDA903 CHILD), "
        "as another agency records it.",
    )
    school_urn: str | None = Field(
        default=None, pattern=r"^[0-9]{6}$", description="URN of the school the pupil attends."
    )

    @model_validator(mode="after")
    def _upn_or_reason(self) -> PersonRef:
        if self.upn is not None and self.upn_unknown is not None:
            raise ValueError("give either upn or upn_unknown, not both")
        return self
