"""Native police records: missing-person report, crime record with HOCR flags, concern notice.

No national field-level schema exists for any of these (reference §6.1-§6.3); the field names are
the ones proposed in reference §7.2, modelled on a real force missing-person extract.

Rules:

1. Fields are validated where the force names them; cross-field rules are reported at the later
   field, so every failing field is named in one pass.
2. Timestamps must not be later than the mapping time (passed as validation context ``now``),
   and no event may predate the person's birth.
3. Missing-person report: ``date_reported_missing`` and ``when_traced`` cannot precede
   ``missing_since``; ``traced_location`` and ``return_method`` need ``when_traced``.
4. Crime record: the victim is a child if under 18 on ``recorded_date`` (birthdays counted as the
   law counts them, so a 29 February birthday falls on 1 March in other years).
   ``victim_is_child`` may be given, derived from ``victim_dob``, or both if they agree; after
   validation it is always set. A blank flag means not flagged.
5. Concern notice: ``subject`` (child/CCN, adult/ACN) must agree with the person's age on
   ``notice_date``, so a child's notice cannot be routed to adult services by mistake.
6. Every record says where its person lives: ``resident_la`` (``victim_resident_la``) is
   required, as a DfE LA code, a council's GSS code (an English one is normalised to its DfE
   code) or SCO/WAL/NIR/NUK. ``responsible_la`` names the council looking after a looked-after
   child, ``la_child_id`` that council's own id for the child, and ``school_urn`` the school the
   pupil attends, where the force knows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from adapters._core import NativeRecord
from adapters._values import NativeAreaCode, NativeDate, OptionalNativeDate, OptionalYesNo, YesNo
from adapters.police._values import (
    GradingCode,
    Identifier,
    Labels,
    LongText,
    OffenceCode,
    OptionalIdentifier,
    OptionalLaCode,
    OptionalNhsNumber,
    OptionalSchoolUrn,
    OptionalUkDateTime,
    OptionalUpn,
    RiskLevelCode,
    SexCode,
    ShortText,
    SubjectCode,
    UkDateTime,
    uk_today,
)
from schemas import ConcernSubject

__all__ = [
    "ADULT_AGE",
    "NOW",
    "ConcernNotice",
    "CrimeRecord",
    "MissingPersonReport",
    "age_on",
]

NOW = "now"
ADULT_AGE = 18


def age_on(born: date, day: date) -> int:
    """Age in whole years on ``day`` (a 29 February birthday is reached on 1 March)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _now(info: ValidationInfo) -> datetime | None:
    context = info.context
    if isinstance(context, Mapping):
        now = context.get(NOW)
        if isinstance(now, datetime):
            return now
    return None


def _not_in_future(moment: datetime | date, info: ValidationInfo) -> None:
    now = _now(info)
    if now is None:
        return
    late = moment > now if isinstance(moment, datetime) else moment > uk_today(now)
    if late:
        raise PydanticCustomError("in_future", "is later than the time of mapping")


def _not_before_birth(day: date, info: ValidationInfo, dob_field: str) -> None:
    born = info.data.get(dob_field)
    if isinstance(born, date) and day < born:
        raise PydanticCustomError("before_dob", f"is before {dob_field}")


def _validated(info: ValidationInfo, *names: str) -> bool:
    """True if every named earlier field passed validation (a failed one is already reported)."""
    return all(name in info.data for name in names)


class _Person(NativeRecord):
    """The person fields a missing-person report and a concern notice share."""

    person_id: Identifier = Field(description="The force's own id for the person (nominal id).")
    dob: NativeDate
    sex: SexCode
    nhs_number: OptionalNhsNumber = None
    upn: OptionalUpn = None
    resident_la: NativeAreaCode = Field(description="The council area where the person lives.")
    responsible_la: OptionalLaCode = Field(
        default=None, description="The council responsible for a looked-after child."
    )
    la_child_id: OptionalIdentifier = Field(
        default=None, description="The council's own id for the child, as the force holds it."
    )
    school_urn: OptionalSchoolUrn = None


class MissingPersonReport(_Person):
    """An APP missing-person report: open while ``when_traced`` is blank."""

    record_type: Literal["missing_person_report"]
    misper_id: Identifier
    missing_since: UkDateTime
    date_reported_missing: UkDateTime
    missing_from: ShortText = None
    reported_missing_by: ShortText = None
    initial_risk_level: RiskLevelCode
    current_risk_level: RiskLevelCode
    when_traced: OptionalUkDateTime = None
    traced_location: ShortText = None
    return_method: ShortText = None
    circumstances: LongText = None
    looked_after: OptionalYesNo = None
    philomena_form_ref: OptionalIdentifier = None

    @field_validator("missing_since")
    @classmethod
    def _missing_since(cls, value: datetime, info: ValidationInfo) -> datetime:
        _not_in_future(value, info)
        _not_before_birth(value.date(), info, "dob")
        return value

    @field_validator("date_reported_missing", "when_traced")
    @classmethod
    def _after_missing_since(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if value is None:
            return None
        _not_in_future(value, info)
        since = info.data.get("missing_since")
        if since is not None and value < since:
            raise PydanticCustomError("before_missing_since", "is before missing_since")
        return value

    @field_validator("traced_location", "return_method")
    @classmethod
    def _only_when_traced(cls, value: str | None, info: ValidationInfo) -> str | None:
        if (
            value is not None
            and _validated(info, "when_traced")
            and info.data["when_traced"] is None
        ):
            raise PydanticCustomError("requires_when_traced", "is only allowed with when_traced")
        return value


class CrimeRecord(NativeRecord):
    """A recorded crime with its HOCR flags, for one victim."""

    record_type: Literal["crime_record"]
    crime_ref: Identifier
    offence_code: OffenceCode
    recorded_date: NativeDate
    victim_person_id: Identifier
    victim_dob: OptionalNativeDate = None
    victim_sex: SexCode
    victim_nhs_number: OptionalNhsNumber = None
    victim_upn: OptionalUpn = None
    victim_resident_la: NativeAreaCode
    victim_responsible_la: OptionalLaCode = None
    victim_la_child_id: OptionalIdentifier = None
    victim_school_urn: OptionalSchoolUrn = None
    cse_flag: OptionalYesNo = None
    csa_flag: OptionalYesNo = None
    cce_flag: OptionalYesNo = None
    modern_slavery_flag: OptionalYesNo = None
    victim_is_child: OptionalYesNo = Field(default=None, validate_default=True)

    @field_validator("recorded_date")
    @classmethod
    def _recorded_date(cls, value: date, info: ValidationInfo) -> date:
        _not_in_future(value, info)
        return value

    @field_validator("victim_dob")
    @classmethod
    def _victim_dob(cls, value: date | None, info: ValidationInfo) -> date | None:
        recorded = info.data.get("recorded_date")
        if value is not None and recorded is not None and value > recorded:
            raise PydanticCustomError("after_recorded_date", "is after recorded_date")
        return value

    @field_validator("victim_is_child")
    @classmethod
    def _victim_is_child(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        if not _validated(info, "victim_dob", "recorded_date"):
            return value
        born: date | None = info.data["victim_dob"]
        if born is None:
            if value is None:
                raise PydanticCustomError("missing", "required when victim_dob is not given")
            return value
        derived = age_on(born, info.data["recorded_date"]) < ADULT_AGE
        if value is not None and value != derived:
            raise PydanticCustomError(
                "inconsistent_with_dob", "disagrees with victim_dob on recorded_date"
            )
        return derived


class ConcernNotice(_Person):
    """A police concern notice to partners (PPN, or Merlin Coming to Notice)."""

    record_type: Literal["concern_notice"]
    notice_id: Identifier
    notice_date: NativeDate
    subject: SubjectCode
    grading: GradingCode
    vulnerability_types: Labels = ()
    information_only: YesNo
    officer_in_case: ShortText = None
    incident_datetime: OptionalUkDateTime = None
    incident_location: ShortText = None
    summary: LongText = None

    @field_validator("notice_date")
    @classmethod
    def _notice_date(cls, value: date, info: ValidationInfo) -> date:
        _not_in_future(value, info)
        _not_before_birth(value, info, "dob")
        return value

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: ConcernSubject, info: ValidationInfo) -> ConcernSubject:
        if not _validated(info, "dob", "notice_date"):
            return value
        is_child = age_on(info.data["dob"], info.data["notice_date"]) < ADULT_AGE
        if is_child != (value is ConcernSubject.CHILD):
            raise PydanticCustomError(
                "inconsistent_with_dob", "disagrees with the age from dob on notice_date"
            )
        return value

    @field_validator("incident_datetime")
    @classmethod
    def _incident(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if value is None:
            return None
        _not_in_future(value, info)
        _not_before_birth(value.date(), info, "dob")
        notice_date = info.data.get("notice_date")
        if notice_date is not None and value.date() > notice_date:
            raise PydanticCustomError("after_notice_date", "is after notice_date")
        return value
