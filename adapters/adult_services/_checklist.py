"""Adult services' native vulnerability checklist record, and the assessment it gives.

The RMG scores vulnerable adults with the same checklist as children. The record is the LA's
own, named in this adapter's style: ``person_id``, ``nhs_number``, ``dob``, ``gender`` (SAC
SG1b label, optional), ``assessed_date``, ``score`` (0-4), ``judgement_level`` (L/M/H, optional)
with ``judgement_reason``, ``rmg_status``, ``review_date``, ``plan_in_place`` (Y/N) and
``markers``. Values and rules are the shared checklist's (:mod:`adapters._checklist`); every field
fits a CSV cell.

Rules:

1. A blank field is absent; unknown fields are refused.
2. The person is an adult: 18 or over on ``assessed_date`` (a child's checklist belongs to
   children's services), reported at ``dob``.
3. One ``se_risk.assessed`` per person and ``assessed_date``: its id comes from the agency, the
   person and the date (and, as for every adapter, its content); no ``episodeid``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, Field, ValidationError, model_validator

from adapters._checklist import (
    CHECKLIST_RECORD_TYPE,
    ChecklistFields,
    ChecklistScore,
    JudgementLevel,
    JudgementReason,
    MarkerCodes,
    RmgStatusCode,
    checklist_data,
    checklist_problems,
)
from adapters._core import (
    AdapterContext,
    MappingFailed,
    NativeRecord,
    RecordProblem,
    build_notification,
    problems_from,
    unknown_residence,
)
from adapters._values import (
    NativeDate,
    OptionalAreaCode,
    OptionalNativeDate,
    OptionalYesNo,
    without_blanks,
)
from adapters.adult_services._codes import SEX_FOR_GENDER, Gender, label_check
from adapters.adult_services._records import ADULT_AGE, age_on
from schemas import NhsNumber, Notification

__all__ = ["CHECKLIST_FIELDS", "AdultVulnerabilityChecklist", "checklist_notifications"]

ASSESSED_TYPE: Final = "uk.sehub.se_risk.assessed.v1"
ENGLAND: Final = ZoneInfo("Europe/London")
CHECKLIST_FIELDS: Final = ChecklistFields(
    born="dob",
    assessed="assessed_date",
    score="score",
    judgement="judgement_level",
    reason="judgement_reason",
    rmg_status="rmg_status",
    review="review_date",
    plan="plan_in_place",
    markers="markers",
)


class AdultVulnerabilityChecklist(NativeRecord):
    """An adult's vulnerability checklist, as the RMG scores and reviews it."""

    record_type: Literal["vulnerability_checklist"]
    person_id: str = Field(min_length=1, max_length=64)
    nhs_number: NhsNumber | None = None
    dob: NativeDate
    gender: Annotated[Gender, BeforeValidator(label_check(Gender, "SG1b gender"))] | None = None
    assessed_date: NativeDate
    score: ChecklistScore
    judgement_level: JudgementLevel | None = None
    judgement_reason: JudgementReason | None = None
    rmg_status: RmgStatusCode | None = None
    review_date: OptionalNativeDate = None
    plan_in_place: OptionalYesNo = None
    markers: MarkerCodes = ()
    resident_la: OptionalAreaCode = Field(
        default=None, description="Where the adult lives, if not in the publishing council's area."
    )

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: Any) -> Any:
        return without_blanks(data)


def _problems(record: AdultVulnerabilityChecklist, context: AdapterContext) -> list[RecordProblem]:
    today = context.time().astimezone(ENGLAND).date()
    problems = checklist_problems(record, CHECKLIST_FIELDS, today)
    if record.resident_la is None and context.la_code is None:
        problems.append(unknown_residence("resident_la"))
    if age_on(record.dob, record.assessed_date) < ADULT_AGE:
        problems.append(
            RecordProblem(
                "dob",
                "adult_age",
                "the person must be 18 or over on assessed_date; a child's checklist belongs "
                "to children's services",
            )
        )
    return problems


def _event(record: AdultVulnerabilityChecklist, context: AdapterContext) -> dict[str, Any]:
    person = {
        "local_id": record.person_id,
        "nhs_number": record.nhs_number,
        "date_of_birth": record.dob,
        "sex": None if record.gender is None else SEX_FOR_GENDER[record.gender],
        "resident_la": record.resident_la or context.la_code,
    }
    key = (record.person_id, record.assessed_date.isoformat(), CHECKLIST_RECORD_TYPE)
    return {
        "specversion": "1.0",
        "id": context.derive_id("asc-vcl", context.agency_id, *key),
        "source": context.source,
        "type": ASSESSED_TYPE,
        "time": context.time().isoformat(),
        "datacontenttype": "application/json",
        "data": {
            "person": {name: value for name, value in person.items() if value is not None},
            **checklist_data(record, CHECKLIST_FIELDS),
        },
    }


def checklist_notifications(
    record: Mapping[str, Any], context: AdapterContext
) -> list[Notification]:
    """The one SE risk assessment a checklist record gives; or :class:`MappingFailed`."""
    try:
        checklist = AdultVulnerabilityChecklist.model_validate(record)
    except ValidationError as exc:
        raise MappingFailed(problems_from(exc)) from exc
    problems = _problems(checklist, context)
    if problems:
        raise MappingFailed(problems)
    return [build_notification(_event(checklist, context), context)]
