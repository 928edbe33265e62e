"""Native education records, with the field names the school / LA systems send.

Rules:

1. Four record types: ``attendance_marks`` (register marks per session), ``cme_notice``
   (Children Missing Education notices from a school to the LA), ``ehe_notice`` (a child
   identified as electively home educated) and ``alternative_provision_placement``.
2. A UPN is validated with python-stdnum (check letter, known LA number); a temporary UPN (final
   character a letter) is a UPN too. An invalid one is reported at ``upn``.
3. Dates are ``dd/mm/yyyy`` or ISO. Blank optional values are absent. Unknown fields are errors.
4. Cross-field rules that need no configuration are checked here, at the field that fails:
   ``deletion_ground`` is required for, and only for, a deletion from the register; an EHE
   notice carries exactly one of ``upn`` and ``upn_unknown``.
5. A CME notice may carry the parent's name, address and telephone and the pupil's future
   address (the statutory notice includes them). They are accepted so that a school can post
   its notice unchanged, and never forwarded: they identify other people, and the canonical
   schema has no place for them.
6. Configurable attendance rules (thresholds) are not checked here; see ``_rules``.
7. Every record may say where the pupil lives (``resident_la``: a DfE or GSS LA code, or
   SCO/WAL/NIR/NUK); blank, it is the publishing council's own area.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from adapters._core import NativeRecord
from adapters._values import NativeDate, OptionalAreaCode, OptionalNativeDate, OptionalText
from adapters.education._codes import ATTENDANCE_CODES, CmeNoticeType, Session
from schemas import LaCode, Upn, UpnUnknown

__all__ = [
    "MAX_MARKS",
    "AlternativeProvisionPlacement",
    "AttendanceMarks",
    "CmeNotice",
    "EducationRecord",
    "EheNotice",
    "Mark",
]

MAX_MARKS = 1000
"""Most marks one record may carry: about two and a half school years of sessions."""

_VALID_CODES = ", ".join(sorted(ATTENDANCE_CODES))


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _known_code(value: str) -> str:
    if value not in ATTENDANCE_CODES:
        raise PydanticCustomError(
            "unknown_attendance_code",
            "not a 2024 attendance code; expected one of: {codes}",
            {"codes": _VALID_CODES},
        )
    return value


AttendanceCode = Annotated[str, AfterValidator(_known_code)]
PersonId = Annotated[str, Field(min_length=1, max_length=64)]
SchoolUrn = Annotated[str, Field(pattern=r"^[0-9]{6,7}$")]
OptionalSchoolUrn = Annotated[SchoolUrn | None, BeforeValidator(_blank_to_none)]
OptionalLa = Annotated[LaCode | None, BeforeValidator(_blank_to_none)]
OptionalUpn = Annotated[Upn | None, BeforeValidator(_blank_to_none)]
OptionalUpnUnknown = Annotated[UpnUnknown | None, BeforeValidator(_blank_to_none)]
Hours = Annotated[float, Field(ge=0, le=60)]
OptionalHours = Annotated[Hours | None, BeforeValidator(_blank_to_none)]


class Mark(BaseModel):
    """One register mark: a date, its session and the code recorded."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    date: NativeDate
    session: Session
    code: AttendanceCode


class _Pupil(NativeRecord):
    """Where the pupil lives, when the record says (else the publishing council's area)."""

    resident_la: OptionalAreaCode = None


class AttendanceMarks(_Pupil):
    """A pupil's register marks at one school, in any order."""

    record_type: Literal["attendance_marks"]
    upn: Upn
    person_id: PersonId
    dob: OptionalNativeDate = None
    school_urn: SchoolUrn
    la: OptionalLa = None
    marks: tuple[Mark, ...] = Field(max_length=MAX_MARKS)
    hours_per_week: OptionalHours = None

    @field_validator("marks")
    @classmethod
    def _some_marks(cls, value: tuple[Mark, ...]) -> tuple[Mark, ...]:
        # Not min_length: pydantic would also report it when a mark fails.
        if not value:
            raise PydanticCustomError("too_short", "a record needs at least one mark")
        return value


class CmeNotice(_Pupil):
    """A school's Children Missing Education notice to the LA."""

    record_type: Literal["cme_notice"]
    upn: Upn
    person_id: PersonId
    dob: NativeDate
    school_urn: SchoolUrn
    notice_type: CmeNoticeType
    # Declared after notice_type: its validator reads the validated notice_type.
    deletion_ground: OptionalText = Field(default=None, max_length=120, validate_default=True)
    date: NativeDate
    destination_school_urn: OptionalSchoolUrn = None
    parent_name: OptionalText = Field(default=None, max_length=200)
    parent_address: OptionalText = Field(default=None, max_length=500)
    parent_phone: OptionalText = Field(default=None, max_length=40)
    future_address: OptionalText = Field(default=None, max_length=500)

    @field_validator("deletion_ground")
    @classmethod
    def _ground_goes_with_deletion(cls, value: str | None, info: ValidationInfo) -> str | None:
        notice = info.data.get("notice_type")
        if notice is None:
            return value  # notice_type itself failed and is reported
        deletion = notice is CmeNoticeType.DELETION_FROM_REGISTER
        if deletion and value is None:
            raise PydanticCustomError(
                "required_for_deletion",
                "a deletion from the register needs the regulation ground it was made under",
            )
        if not deletion and value is not None:
            raise PydanticCustomError(
                "only_for_deletion", "a deletion ground belongs only to a deletion from register"
            )
        return value


class EheNotice(_Pupil):
    """A child identified as electively home educated (not in school)."""

    record_type: Literal["ehe_notice"]
    upn: OptionalUpn = None
    # Declared after upn: its validator reads the validated upn.
    upn_unknown: OptionalUpnUnknown = Field(default=None, validate_default=True)
    person_id: PersonId
    dob: NativeDate
    la: LaCode
    date: NativeDate
    estimated_hours: OptionalHours = None

    @field_validator("upn_unknown")
    @classmethod
    def _upn_or_reason(cls, value: UpnUnknown | None, info: ValidationInfo) -> UpnUnknown | None:
        if "upn" not in info.data:
            return value  # upn itself failed and is reported
        has_upn = info.data["upn"] is not None
        if has_upn and value is not None:
            raise PydanticCustomError("upn_and_reason", "give either upn or upn_unknown, not both")
        if not has_upn and value is None:
            raise PydanticCustomError(
                "upn_or_reason_required", "give upn, or upn_unknown (UN1-UN7) when there is none"
            )
        return value


class AlternativeProvisionPlacement(_Pupil):
    """A pupil placed in alternative provision, with the hours it gives a week."""

    record_type: Literal["alternative_provision_placement"]
    upn: Upn
    person_id: PersonId
    dob: OptionalNativeDate = None
    school_urn: SchoolUrn
    la: LaCode
    start_date: NativeDate
    hours_per_week: Hours


EducationRecord = AttendanceMarks | CmeNotice | EheNotice | AlternativeProvisionPlacement
