"""The native safeguarding enquiry record, and the rules a record must satisfy to be mapped.

The SAC has no record layout (reference §3), so the record is the LA's own enquiry record with
the field names of reference §7.3 and SAC labels for its coded fields (see ``_codes``), plus
four local fields: ``enquiry_ref`` (the LA's enquiry id), ``grading``, ``summary`` and
``resident_la`` (where the adult lives: a DfE or GSS LA code, or SCO/WAL/NIR/NUK; when blank,
the publishing council's own area).

Field rules (each failing field is reported at its own name):

1. Unknown fields are refused. Dates are ``dd/mm/yyyy`` or ISO; a blank optional field is absent.
2. ``nhs_number`` is optional and, when given, must pass the modulus 11 check.
3. Coded fields take exact SAC labels. ``type_of_risk`` holds at least one label and
   ``type_of_risk`` and ``source_of_risk`` hold each label at most once (the SAC counts one per
   distinct category).

Record rules, checked once every field is valid because they compare valid values:

4. The person is an adult: 18 or over on ``concern_date`` (a 29 February birthday falls on
   1 March in other years). A 17-year-old in transition to adult services is still a child in
   law: their concern belongs to children's services (Children Act 1989 s.47), so the record is
   refused, at ``dob``.
5. No date is after today (the Europe/London date at ``context.now``).
6. ``concern_date`` <= ``enquiry_start`` <= ``enquiry_concluded``; a concluded enquiry has a start.
7. ``action_and_result``, ``risk_outcome`` and ``msp_outcomes_achieved`` describe a concluded
   enquiry and are refused before ``enquiry_concluded``. At conclusion ``action_and_result`` is
   required; ``risk_outcome`` is required after a "Risk identified ..." result and refused after
   any other. ``msp_outcomes_achieved`` needs ``msp_asked`` = outcomes expressed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Final, Literal, TypeVar

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from adapters._core import NativeRecord, RecordProblem
from adapters._values import NativeDate, OptionalAreaCode, OptionalNativeDate
from adapters.adult_services._codes import (
    RISK_IDENTIFIED,
    ActionAndResult,
    EnquiryType,
    Ethnicity,
    Gender,
    LackedCapacity,
    LocationOfRisk,
    MspAsked,
    MspOutcomesAchieved,
    PrimarySupportReason,
    RiskOutcome,
    SourceOfRisk,
    TypeOfRisk,
    label_check,
)
from schemas import ConcernGrading, NhsNumber

__all__ = ["ADULT_AGE", "RECORD_TYPE", "SafeguardingEnquiry", "age_on", "record_problems"]

RECORD_TYPE: Final = "safeguarding_enquiry"
ADULT_AGE: Final = 18

_Labels = TypeVar("_Labels", bound=StrEnum)


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _optional(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def optional_check(value: Any) -> Any:
        value = _blank_to_none(value)
        return None if value is None else check(value)

    return optional_check


def _once_each(labels: tuple[_Labels, ...]) -> tuple[_Labels, ...]:
    if len(set(labels)) != len(labels):
        raise PydanticCustomError("duplicate_label", "each label may appear only once")
    return labels


def _at_least_one(labels: tuple[_Labels, ...]) -> tuple[_Labels, ...]:
    # Checked after the items, so one bad label is not also reported as "too short".
    if not labels:
        raise PydanticCustomError("too_short", "needs at least one label")
    return labels


def _none_to_empty(value: Any) -> Any:
    return () if _blank_to_none(value) is None else value


GenderLabel = Annotated[Gender, BeforeValidator(label_check(Gender, "SG1b gender"))]
EthnicityLabel = Annotated[Ethnicity, BeforeValidator(label_check(Ethnicity, "SG1c ethnicity"))]
SupportReasonLabel = Annotated[
    PrimarySupportReason,
    BeforeValidator(label_check(PrimarySupportReason, "SG1d primary support reason")),
]
EnquiryTypeLabel = Annotated[
    EnquiryType, BeforeValidator(label_check(EnquiryType, "SG1f enquiry type"))
]
TypeOfRiskLabel = Annotated[
    TypeOfRisk, BeforeValidator(label_check(TypeOfRisk, "SG2a type of risk"))
]
SourceOfRiskLabel = Annotated[
    SourceOfRisk, BeforeValidator(label_check(SourceOfRisk, "SG2a/SG2b source of risk"))
]
LocationOfRiskLabel = Annotated[
    LocationOfRisk | None,
    BeforeValidator(_optional(label_check(LocationOfRisk, "SG2b location of risk"))),
]
ActionAndResultLabel = Annotated[
    ActionAndResult | None,
    BeforeValidator(_optional(label_check(ActionAndResult, "SG2c action and result"))),
]
RiskOutcomeLabel = Annotated[
    RiskOutcome | None,
    BeforeValidator(_optional(label_check(RiskOutcome, "SG2e risk outcome"))),
]
LackedCapacityLabel = Annotated[
    LackedCapacity | None,
    BeforeValidator(_optional(label_check(LackedCapacity, "SG3a mental capacity"))),
]
MspAskedLabel = Annotated[
    MspAsked | None,
    BeforeValidator(_optional(label_check(MspAsked, "SG4a Making Safeguarding Personal"))),
]
MspAchievedLabel = Annotated[
    MspOutcomesAchieved | None,
    BeforeValidator(_optional(label_check(MspOutcomesAchieved, "SG4a outcomes achieved"))),
]


class SafeguardingEnquiry(NativeRecord):
    """An LA adult safeguarding enquiry record, coded with the SAC vocabularies."""

    record_type: Literal["safeguarding_enquiry"]
    person_id: str = Field(min_length=1, max_length=64)
    nhs_number: Annotated[NhsNumber | None, BeforeValidator(_blank_to_none)] = None
    dob: NativeDate
    gender: GenderLabel
    ethnicity: EthnicityLabel
    primary_support_reason: SupportReasonLabel
    concern_date: NativeDate
    enquiry_type: EnquiryTypeLabel
    enquiry_start: OptionalNativeDate = None
    enquiry_concluded: OptionalNativeDate = None
    type_of_risk: Annotated[
        tuple[TypeOfRiskLabel, ...], AfterValidator(_at_least_one), AfterValidator(_once_each)
    ]
    location_of_risk: LocationOfRiskLabel = None
    source_of_risk: Annotated[
        tuple[SourceOfRiskLabel, ...],
        BeforeValidator(_none_to_empty),
        AfterValidator(_once_each),
    ] = ()
    action_and_result: ActionAndResultLabel = None
    risk_outcome: RiskOutcomeLabel = None
    lacked_capacity: LackedCapacityLabel = None
    msp_asked: MspAskedLabel = None
    msp_outcomes_achieved: MspAchievedLabel = None
    enquiry_ref: str = Field(min_length=1, max_length=64)
    grading: Annotated[ConcernGrading | None, BeforeValidator(_blank_to_none)] = None
    summary: Annotated[
        Annotated[str, StringConstraints(max_length=4000)] | None, BeforeValidator(_blank_to_none)
    ] = None
    resident_la: OptionalAreaCode = Field(
        default=None, description="Where the adult lives, if not in the publishing council's area."
    )


def age_on(dob: date, day: date) -> int:
    """Whole years of age on ``day`` (negative if ``day`` is before ``dob``)."""
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def record_problems(enquiry: SafeguardingEnquiry, today: date) -> list[RecordProblem]:
    """Every record rule (4-7 above) the field-valid ``enquiry`` breaks, in a fixed order."""
    problems: list[RecordProblem] = []

    def fail(field: str, rule: str, message: str) -> None:
        problems.append(RecordProblem(field, rule, message))

    if age_on(enquiry.dob, enquiry.concern_date) < ADULT_AGE:
        fail(
            "dob",
            "adult_age",
            "the person must be 18 or over on concern_date; a child's concern belongs to "
            "children's services, not an adult safeguarding enquiry",
        )
    for name in ("dob", "concern_date", "enquiry_start", "enquiry_concluded"):
        value = getattr(enquiry, name)
        if value is not None and value > today:
            fail(name, "in_future", "must not be after today")

    start, concluded = enquiry.enquiry_start, enquiry.enquiry_concluded
    if start is not None and start < enquiry.concern_date:
        fail("enquiry_start", "before_concern_date", "must not be before concern_date")
    if concluded is None:
        for name in ("action_and_result", "risk_outcome", "msp_outcomes_achieved"):
            if getattr(enquiry, name) is not None:
                fail(name, "only_when_concluded", "is recorded only once enquiry_concluded is set")
    else:
        if start is None:
            fail("enquiry_start", "required_when_concluded", "a concluded enquiry needs its start")
        elif concluded < start:
            fail("enquiry_concluded", "before_enquiry_start", "must not be before enquiry_start")
        problems.extend(_conclusion_problems(enquiry))
    return problems


def _conclusion_problems(enquiry: SafeguardingEnquiry) -> list[RecordProblem]:
    return _result_problems(enquiry) + _msp_problems(enquiry)


def _result_problems(enquiry: SafeguardingEnquiry) -> list[RecordProblem]:
    result = enquiry.action_and_result
    if result is None:
        return [
            RecordProblem(
                "action_and_result",
                "required_when_concluded",
                "a concluded enquiry needs its SG2c action and result",
            )
        ]
    if result in RISK_IDENTIFIED and enquiry.risk_outcome is None:
        return [
            RecordProblem(
                "risk_outcome",
                "required_when_risk_identified",
                "an enquiry concluded with a risk identified needs its SG2e risk outcome",
            )
        ]
    if result not in RISK_IDENTIFIED and enquiry.risk_outcome is not None:
        return [
            RecordProblem(
                "risk_outcome",
                "only_when_risk_identified",
                "is recorded only after a 'Risk identified ...' action and result",
            )
        ]
    return []


def _msp_problems(enquiry: SafeguardingEnquiry) -> list[RecordProblem]:
    if (
        enquiry.msp_outcomes_achieved is not None
        and enquiry.msp_asked is not MspAsked.ASKED_EXPRESSED
    ):
        return [
            RecordProblem(
                "msp_outcomes_achieved",
                "only_when_outcomes_expressed",
                f"is recorded only when msp_asked is '{MspAsked.ASKED_EXPRESSED.value}'",
            )
        ]
    return []
