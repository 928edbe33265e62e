"""Who a notification is about: the agency-local id plus whichever national identifiers exist.

Check digits are validated with python-stdnum (NHS number modulus 11, UPN check letter); we
never compute them by hand. Error messages name the rule and never echo the value.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator
from stdnum.exceptions import InvalidComponent as StdnumInvalidComponent
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.gb import nhs, upn

from schemas._base import CanonicalModel, personal

__all__ = ["NhsNumber", "PersonRef", "Sex", "Upn", "UpnUnknown"]


def _check_nhs_number(value: str) -> str:
    try:
        return str(nhs.validate(value))
    except StdnumValidationError as exc:
        raise ValueError("not a valid NHS number (10 digits, modulus 11 check digit)") from exc


# python-stdnum's list of LA numbers predates the 2019 and 2023 reorganisations (Dorset 838,
# Bournemouth, Christchurch and Poole 839, North and West Northamptonshire 940/941, Cumberland
# 942, Westmorland and Furness 943), so a real UPN from those councils fails its LA check. We
# keep its compaction, format and check-letter calculation, and accept these LA numbers too.
_NEWER_LA_NUMBERS = frozenset({838, 839, 940, 941, 942, 943})


def _check_upn(value: str) -> str:
    try:
        return str(upn.validate(value))
    except StdnumInvalidComponent:
        number = upn.compact(value)
        if int(number[1:4]) in _NEWER_LA_NUMBERS and upn.calc_check_digit(number[1:]) == number[0]:
            return str(number)
        raise ValueError("not a valid UPN (13 characters, check letter first)") from None
    except StdnumValidationError as exc:
        raise ValueError("not a valid UPN (13 characters, check letter first)") from exc


NhsNumber = Annotated[str, AfterValidator(_check_nhs_number)]
Upn = Annotated[str, AfterValidator(_check_upn)]


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
    nhs_number: NhsNumber | None = personal(default=None, description="NHS number, 10 digits.")
    upn: Upn | None = personal(default=None, description="Unique Pupil Number, 13 characters.")
    upn_unknown: UpnUnknown | None = Field(
        default=None, description="Why there is no UPN (SSDA903 UN1-UN5, CIN census UN1-UN7)."
    )
    date_of_birth: date | None = personal(default=None)
    sex: Sex | None = Field(default=None)

    @model_validator(mode="after")
    def _upn_or_reason(self) -> PersonRef:
        if self.upn is not None and self.upn_unknown is not None:
            raise ValueError("give either upn or upn_unknown, not both")
        return self
