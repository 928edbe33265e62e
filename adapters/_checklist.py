"""The vulnerability checklist (VCL), as children's and adult services both record it.

The Risk Management Group's checklist scores a person's risk of exploitation 0-4, alongside a
professional judgement that may raise or lower the score's level (strategy, RMG data). Each
adapter names the fields in its own style (``VCL_SCORE``, ``score``); the values, their rules and
the canonical assessment they give are the same, and live here.

Rules:

1. ``score`` is a whole number 0-4 (``"3"`` from CSV too). The judgement level is ``L``/``M``/
   ``H`` (or ``low``/``medium``/``high``), in any letter case; its reason is required with it and
   refused without it. The RMG status is ``not_referred``, ``added``, ``reviewed`` or
   ``removed``.
2. Markers are the canonical marker names (``sexual_exploitation``, ``criminal_exploitation``,
   ``trafficking_modern_slavery``, ``missing``, ``sexual_abuse``) in any letter case: a JSON
   array, or one CSV cell separated by ``;``. Each counts once.
3. No date is after today but the review date, which is not before the assessment. The person
   was born before they were assessed.
4. Removal from the RMG needs the level worked to (the judgement's, else the score's) to be
   medium or low.
5. The canonical assessment (method ``vulnerability_checklist``) carries the score, the
   judgement, the level worked to as ``risk_level``, the RMG status, the review date, whether a
   plan is in place, and the markers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Final

from pydantic import BaseModel, BeforeValidator, StringConstraints
from pydantic_core import PydanticCustomError

from adapters._core import RecordProblem
from adapters._values import SeparatedCodes
from schemas import ExploitationMarkers, RiskLevel, RmgStatus, level_for_checklist_score

__all__ = [
    "CHECKLIST_RECORD_TYPE",
    "Checklist",
    "ChecklistFields",
    "ChecklistScore",
    "JudgementLevel",
    "JudgementReason",
    "MarkerCodes",
    "RmgStatusCode",
    "checklist_data",
    "checklist_problems",
]

CHECKLIST_RECORD_TYPE: Final = "vulnerability_checklist"

_JUDGEMENTS: Final = {
    **{level.value[0]: level for level in RiskLevel},
    **{level.value: level for level in RiskLevel},
}
_MARKERS: Final = frozenset(ExploitationMarkers.model_fields)
_REDUCED: Final = frozenset({RiskLevel.LOW, RiskLevel.MEDIUM})


def _coded(codes: dict[str, Any], listing: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in codes:
            return codes[value.strip().lower()]
        raise PydanticCustomError("unknown_code", f"expected one of: {listing}")

    return BeforeValidator(check)


def _score(value: Any) -> Any:
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and text in {"0", "1", "2", "3", "4"}:
        return int(text)
    if isinstance(text, int) and not isinstance(text, bool) and 0 <= text <= 4:
        return text
    raise PydanticCustomError("checklist_score", "expected a whole number from 0 to 4")


ChecklistScore = Annotated[int, BeforeValidator(_score)]
JudgementLevel = Annotated[RiskLevel, _coded(_JUDGEMENTS, "L, M, H (or low, medium, high)")]
JudgementReason = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
RmgStatusCode = Annotated[
    RmgStatus,
    _coded(
        {status.value: status for status in RmgStatus}, ", ".join(status for status in RmgStatus)
    ),
]
MarkerCodes = SeparatedCodes[
    Annotated[str, _coded({name: name for name in _MARKERS}, ", ".join(sorted(_MARKERS)))]
]


@dataclass(frozen=True, slots=True)
class Checklist:
    """A well-formed checklist's values, whatever the adapter calls them."""

    born_on: date
    assessed_on: date
    score: int
    judgement: RiskLevel | None
    reason: str | None
    rmg_status: RmgStatus | None
    review_on: date | None
    plan_in_place: bool | None
    markers: tuple[str, ...]

    @property
    def level(self) -> RiskLevel:
        """The level the partnership works to: the judgement's, else the score's."""
        return level_for_checklist_score(self.score) if self.judgement is None else self.judgement


@dataclass(frozen=True, slots=True)
class ChecklistFields:
    """One adapter's native names for the checklist's fields."""

    born: str
    assessed: str
    score: str
    judgement: str
    reason: str
    rmg_status: str
    review: str
    plan: str
    markers: str

    def read(self, record: BaseModel) -> Checklist:
        """The values of a well-formed native checklist record, under the shared names."""
        return Checklist(
            born_on=getattr(record, self.born),
            assessed_on=getattr(record, self.assessed),
            score=getattr(record, self.score),
            judgement=getattr(record, self.judgement),
            reason=getattr(record, self.reason),
            rmg_status=getattr(record, self.rmg_status),
            review_on=getattr(record, self.review),
            plan_in_place=getattr(record, self.plan),
            markers=getattr(record, self.markers),
        )


def checklist_problems(
    record: BaseModel, fields: ChecklistFields, today: date
) -> list[RecordProblem]:
    """Every problem of rules 1, 3 and 4 of a well-formed record, at its own field names."""
    checklist = fields.read(record)
    problems = [
        RecordProblem(field, "date_in_future", "is after today")
        for field, day in (
            (fields.born, checklist.born_on),
            (fields.assessed, checklist.assessed_on),
        )
        if day > today
    ]
    if checklist.born_on > checklist.assessed_on:
        problems.append(RecordProblem(fields.assessed, "date_order", f"is before {fields.born}"))
    if checklist.review_on is not None and checklist.review_on < checklist.assessed_on:
        problems.append(RecordProblem(fields.review, "date_order", f"is before {fields.assessed}"))
    if checklist.judgement is not None and checklist.reason is None:
        problems.append(RecordProblem(fields.reason, "missing", "a judgement needs its reason"))
    if checklist.judgement is None and checklist.reason is not None:
        problems.append(
            RecordProblem(fields.reason, "not_applicable", f"only with {fields.judgement}")
        )
    if checklist.rmg_status is RmgStatus.REMOVED and checklist.level not in _REDUCED:
        problems.append(
            RecordProblem(
                fields.rmg_status,
                "rmg_removal_at_high_risk",
                "removal from the RMG needs the risk reduced to medium or low",
            )
        )
    return problems


def checklist_data(record: BaseModel, fields: ChecklistFields) -> dict[str, Any]:
    """The canonical assessment's ``data`` (rule 5) for a well-formed record, but the person."""
    checklist = fields.read(record)
    judgement = (
        None
        if checklist.judgement is None
        else {"level": checklist.judgement, "rationale": checklist.reason}
    )
    return {
        "assessed_on": checklist.assessed_on,
        "method": "vulnerability_checklist",
        "checklist_score": checklist.score,
        "professional_judgement": judgement,
        "risk_level": checklist.level,
        "rmg_status": checklist.rmg_status,
        "review_on": checklist.review_on,
        "plan_in_place": checklist.plan_in_place,
        "markers": dict.fromkeys(checklist.markers, True),
    }
