"""The native return-interview record, and what it says once mapped.

``CHILD`` + ``MIS_START`` name the missing episode the interview follows.
``miss_missing_rhi_offered`` / ``_accepted`` are the SSD fields (Annex A List 8, Y/N/NA); every
``RHI_*`` field is a local extension for what the strategy and the statutory guidance ask to be
recorded and shared.

Rules:

1. The outcome: a completed date makes the interview completed; accepted N declined; an offer
   (flag Y, an acceptance or an offer date) offered; offered N or NA (not applicable) not
   offered, for ``RHI_NOT_OFFERED_REASON``. A record with none of these records nothing yet
   and sends nothing.
2. Codes are the canonical ones, in any letter case: ``RHI_NOT_OFFERED_REASON``,
   ``RHI_PUSH_FACTORS`` and ``RHI_PULL_FACTORS``, and inside the lists of objects ``kind``
   (places), ``relationship`` (associates), ``action`` and ``owner`` (actions).
3. ``RHI_PUSH_FACTORS`` and ``RHI_PULL_FACTORS`` are a JSON array of codes or, in CSV, one cell
   of codes separated by ``;``. A code given twice counts once.
4. ``RHI_ATTEMPTS``, ``RHI_PLACES``, ``RHI_ASSOCIATES`` and ``RHI_ACTIONS`` are JSON arrays of
   objects; a CSV cell cannot carry them, so a non-blank one is ``json_only`` (post the record
   as JSON). A CSV row carries the outcome, the dates, the flags, the factors and the analysis.
5. Free text (``RHI_ANALYSIS``, ``RHI_NOT_OFFERED_DETAIL``, ``description``) is forwarded as
   personal data; the protocol decides who sees it.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from adapters._core import RecordProblem
from adapters._values import (
    NativeDate,
    OptionalNativeDate,
    OptionalYesNo,
    SeparatedCodes,
    YesNo,
    without_blanks,
)
from adapters.children_services import _codes
from adapters.children_services._fields import ChildId, _as_text, one_of
from adapters.children_services._records import _HeldIdentifiers
from schemas import (
    MAX_INTERVIEW_ITEMS,
    ActionOwner,
    AssociateRelationship,
    InterviewActionKind,
    LaCode,
    NotOfferedReason,
    PlaceKind,
    PullFactor,
    PushFactor,
    ReturnInterviewOutcome,
)

__all__ = [
    "ReturnInterview",
    "RhiAction",
    "RhiAssociate",
    "RhiAttempt",
    "RhiPlace",
    "declined_problems",
    "interview_content",
    "interview_outcome",
    "not_offered_problems",
]


def _codes_of(codes: type[StrEnum]) -> BeforeValidator:
    return one_of((code.value for code in codes), case=str.lower)


def _json_only(value: Any) -> Any:
    if isinstance(value, str):
        raise PydanticCustomError(
            "json_only", "a list of objects, which CSV cannot carry: post this record as JSON"
        )
    return value


class _RhiItem(BaseModel):
    """One object inside a return-interview list: unknown keys refused, blanks absent."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: Any) -> Any:
        return without_blanks(data)


_Text200 = Annotated[str, Field(max_length=200)]


class RhiAttempt(_RhiItem):
    """One attempt to reach the child for a return interview."""

    attempted_on: NativeDate = Field(alias="date")
    method: Annotated[str, one_of(_codes.RHI_ATTEMPT_METHODS, case=str.lower)]
    reached: YesNo


class RhiPlace(_RhiItem):
    """A place the child was while missing."""

    kind: Annotated[str, _codes_of(PlaceKind)]
    area: Annotated[LaCode, BeforeValidator(_as_text)] | None = None
    description: _Text200 | None = None


class RhiAssociate(_RhiItem):
    """Someone the child was with while missing; ``adult`` and ``believed_to_exploit`` Y/N."""

    relationship: Annotated[str, _codes_of(AssociateRelationship)]
    adult: OptionalYesNo = None
    believed_to_exploit: OptionalYesNo = None
    description: _Text200 | None = None


class RhiAction(_RhiItem):
    """An action agreed after the interview, owned by a kind of agency."""

    action: Annotated[str, _codes_of(InterviewActionKind)]
    owner: Annotated[str, _codes_of(ActionOwner)]
    due_date: OptionalNativeDate = None


_Item = TypeVar("_Item", bound=_RhiItem)
_Objects = Annotated[
    tuple[_Item, ...], Field(max_length=MAX_INTERVIEW_ITEMS), BeforeValidator(_json_only)
]


_RhiFlag = Annotated[str, one_of(_codes.RHI_FLAGS)]


class ReturnInterview(_HeldIdentifiers):
    """The return interview after a missing episode, with what it found and what follows."""

    record_type: Literal["return_interview"]
    CHILD: ChildId
    MIS_START: NativeDate
    miss_missing_rhi_offered: _RhiFlag | None = None
    miss_missing_rhi_accepted: _RhiFlag | None = None
    RHI_NOT_OFFERED_REASON: Annotated[str, _codes_of(NotOfferedReason)] | None = None
    RHI_NOT_OFFERED_DETAIL: Annotated[str, Field(max_length=500)] | None = None
    RHI_OFFERED_DATE: OptionalNativeDate = None
    RHI_COMPLETED_DATE: OptionalNativeDate = None
    RHI_ATTEMPTS: _Objects[RhiAttempt] = ()
    RHI_SE_RISK_IDENTIFIED: OptionalYesNo = None
    RHI_CONDUCTED_BY: Annotated[str, one_of(_codes.RHI_CONDUCTED_BY, case=str.lower)] | None = None
    RHI_PUSH_FACTORS: SeparatedCodes[Annotated[str, _codes_of(PushFactor)]] = ()
    RHI_PULL_FACTORS: SeparatedCodes[Annotated[str, _codes_of(PullFactor)]] = ()
    RHI_PLACES: _Objects[RhiPlace] = ()
    RHI_ASSOCIATES: _Objects[RhiAssociate] = ()
    RHI_ANALYSIS: Annotated[str, Field(max_length=4000)] | None = None
    RHI_ACTIONS: _Objects[RhiAction] = ()


def interview_outcome(record: ReturnInterview) -> ReturnInterviewOutcome | None:
    """The canonical outcome the record states (rule 1), or None if it states none yet."""
    if record.RHI_COMPLETED_DATE is not None:
        return ReturnInterviewOutcome.COMPLETED
    if record.miss_missing_rhi_accepted == "N":
        return ReturnInterviewOutcome.DECLINED
    if (
        record.miss_missing_rhi_offered == "Y"
        or record.miss_missing_rhi_accepted == "Y"
        or record.RHI_OFFERED_DATE is not None
    ):
        return ReturnInterviewOutcome.OFFERED
    if record.miss_missing_rhi_offered in {"N", "NA"}:
        return ReturnInterviewOutcome.NOT_OFFERED
    return None


def _listed(items: Iterable[Any]) -> list[Any]:
    return [
        item.model_dump(exclude_none=True) if isinstance(item, BaseModel) else item
        for item in items
    ]


def interview_content(record: ReturnInterview) -> dict[str, Any]:
    """The canonical ``data`` fields of the interview, but for the person and the episode."""
    return {
        "not_offered_reason": record.RHI_NOT_OFFERED_REASON,
        "not_offered_detail": record.RHI_NOT_OFFERED_DETAIL,
        "offered_on": record.RHI_OFFERED_DATE,
        "completed_on": record.RHI_COMPLETED_DATE,
        "conducted_by": record.RHI_CONDUCTED_BY,
        "se_risk_identified": record.RHI_SE_RISK_IDENTIFIED,
        "attempts": _listed(record.RHI_ATTEMPTS),
        "push_factors": _listed(record.RHI_PUSH_FACTORS),
        "pull_factors": _listed(record.RHI_PULL_FACTORS),
        "places": _listed(record.RHI_PLACES),
        "associates": _listed(record.RHI_ASSOCIATES),
        "analysis": record.RHI_ANALYSIS,
        "actions": _listed(
            {"action": item.action, "owner": item.owner, "due_on": item.due_date}
            for item in record.RHI_ACTIONS
        ),
    }


_FINDINGS = ("RHI_PUSH_FACTORS", "RHI_PULL_FACTORS", "RHI_PLACES", "RHI_ASSOCIATES")


def not_offered_problems(record: ReturnInterview) -> list[RecordProblem]:
    """A reason only for an interview not offered; and then it is needed, and nothing found."""
    if record.miss_missing_rhi_offered not in {"N", "NA"}:
        return [
            RecordProblem(field, "not_applicable", "only when miss_missing_rhi_offered is N or NA")
            for field in ("RHI_NOT_OFFERED_REASON", "RHI_NOT_OFFERED_DETAIL")
            if getattr(record, field) is not None
        ]
    problems = []
    if (
        record.miss_missing_rhi_accepted in {"Y", "N"}
        or record.RHI_OFFERED_DATE is not None
        or record.RHI_COMPLETED_DATE is not None
        or record.RHI_ATTEMPTS
    ):
        problems.append(
            RecordProblem(
                "miss_missing_rhi_offered",
                "conflict",
                "says not offered, but an offer, an answer, an attempt or an interview is recorded",
            )
        )
    if record.RHI_NOT_OFFERED_REASON is None:
        problems.append(
            RecordProblem("RHI_NOT_OFFERED_REASON", "missing", "an interview not offered needs it")
        )
    problems += [
        RecordProblem(field, "not_applicable", "an interview not offered found nothing")
        for field in _FINDINGS
        if getattr(record, field)
    ]
    return problems


def declined_problems(record: ReturnInterview) -> list[RecordProblem]:
    """A declined interview needs its attempts and its analysis, and has no completion date."""
    if record.miss_missing_rhi_accepted != "N":
        return []
    if record.RHI_COMPLETED_DATE is not None:
        return [
            RecordProblem(
                "miss_missing_rhi_accepted",
                "conflict",
                "says declined, but RHI_COMPLETED_DATE is recorded",
            )
        ]
    return [
        RecordProblem(field, "missing", f"a declined interview needs {what}")
        for field, what in (("RHI_ANALYSIS", "the analysis"), ("RHI_ATTEMPTS", "the attempts"))
        if not getattr(record, field)
    ]
