"""Value types for police native records: UK local date-times, coded fields, labels, identifiers.

Rules:

1. A date-time is ISO 8601 (``2026-07-14T23:10``, with or without an offset) or the extract form
   ``dd/mm/yyyy hh:mm[:ss]``. A date alone is refused: a police time is part of the record.
2. A date-time without an offset is UK local time (Europe/London): GMT in winter, BST in summer.
   A local time that never happened (the hour skipped when the clocks go forward) is an error;
   one that happened twice (the hour repeated when they go back) is taken as the first, BST.
   Every date-time is returned with the fixed UTC offset UK clocks showed at that instant, so
   its ``.date()`` is the UK date and adding hours to it is exact (a ``ZoneInfo`` datetime adds
   wall-clock hours, which is 71 or 73 real hours across a clock change).
3. Coded fields are looked up in :mod:`adapters.police._codes`; an unknown code is an error of
   rule ``unknown_code`` that lists the accepted codes (codes are not personal data).
4. Blanks are absent. Messages never echo the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from adapters._values import split_list
from adapters.police._codes import GRADINGS, RISK_LEVELS, SEXES, SUBJECTS, fold
from schemas import (
    ConcernGrading,
    ConcernSubject,
    LaCode,
    NhsNumber,
    PoliceRiskLevel,
    Sex,
    Upn,
)

__all__ = [
    "UK",
    "GradingCode",
    "Identifier",
    "Labels",
    "LongText",
    "OffenceCode",
    "OptionalIdentifier",
    "OptionalLaCode",
    "OptionalNhsNumber",
    "OptionalSchoolUrn",
    "OptionalUkDateTime",
    "OptionalUpn",
    "RiskLevelCode",
    "SexCode",
    "ShortText",
    "SubjectCode",
    "UkDateTime",
    "uk_today",
]

UK = ZoneInfo("Europe/London")
MAX_LABELS = 20

_EXTRACT_FORM = re.compile(
    r"^(\d{2})/(\d{2})/(\d{4})[ T](\d{2}):(\d{2})(?::(\d{2}))?$",
)


def uk_today(moment: datetime) -> date:
    """The date in England at an aware moment."""
    return moment.astimezone(UK).date()


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _as_uk(moment: datetime) -> datetime:
    """The same instant, with the fixed offset UK clocks showed then."""
    local = moment.astimezone(UK)
    return local.astimezone(timezone(local.utcoffset() or timedelta()))


def _in_uk(local: datetime) -> datetime:
    """Attach UK time to a wall-clock time, refusing one skipped when the clocks went forward."""
    aware = local.replace(tzinfo=UK)
    if aware.astimezone(UTC).astimezone(UK).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise PydanticCustomError(
            "nonexistent_local_time", "this UK local time did not exist (clocks went forward)"
        )
    return _as_uk(aware)


def _parse_text(text: str) -> datetime:
    extract = _EXTRACT_FORM.match(text)
    try:
        if extract:
            day, month, year, hour, minute, second = extract.groups()
            wall = datetime(
                int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=UK
            )
            return _in_uk(wall)
        if len(text) <= 10:
            raise PydanticCustomError("datetime_parsing", "expected a date and a time")
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise PydanticCustomError(
            "datetime_parsing", "expected an ISO 8601 date-time or dd/mm/yyyy hh:mm"
        ) from exc
    if parsed.tzinfo is None:
        return _in_uk(parsed)
    return _as_uk(parsed)


def _uk_datetime(value: Any) -> Any:
    value = _blank_to_none(value)
    if value is None:
        return None
    if isinstance(value, datetime):
        return _in_uk(value) if value.tzinfo is None else _as_uk(value)
    if isinstance(value, str):
        return _parse_text(value.strip())
    raise PydanticCustomError("datetime_type", "expected a date-time as text")


def _coded(codes: Mapping[str, Any]) -> Callable[[Any], Any]:
    accepted = ", ".join(codes)

    def lookup(value: Any) -> Any:
        value = _blank_to_none(value)
        if not isinstance(value, str):
            return value
        try:
            return codes[fold(value)]
        except KeyError:
            raise PydanticCustomError(
                "unknown_code", "unknown code; expected one of: {accepted}", {"accepted": accepted}
            ) from None

    return lookup


def _labels(value: Any) -> Any:
    value = split_list(value)
    if isinstance(value, tuple):
        kept: list[Any] = []
        for label in value:
            if label not in kept:
                kept.append(label)
        return tuple(kept)
    return value


UkDateTime = Annotated[datetime, BeforeValidator(_uk_datetime)]
OptionalUkDateTime = Annotated[datetime | None, BeforeValidator(_uk_datetime)]

RiskLevelCode = Annotated[PoliceRiskLevel, BeforeValidator(_coded(RISK_LEVELS))]
GradingCode = Annotated[ConcernGrading, BeforeValidator(_coded(GRADINGS))]
SubjectCode = Annotated[ConcernSubject, BeforeValidator(_coded(SUBJECTS))]
SexCode = Annotated[Sex, BeforeValidator(_coded(SEXES))]

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=64)]
OptionalIdentifier = Annotated[Identifier | None, BeforeValidator(_blank_to_none)]
ShortText = Annotated[
    Annotated[str, StringConstraints(max_length=200)] | None, BeforeValidator(_blank_to_none)
]
LongText = Annotated[
    Annotated[str, StringConstraints(max_length=4000)] | None, BeforeValidator(_blank_to_none)
]
# Home Office offence classification: class, optional letter, optional "/subclass" (17/1, 071, 8P).
OffenceCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,3}[A-Z]?(/[0-9]{1,2}[A-Z]?)?$")]

OptionalNhsNumber = Annotated[NhsNumber | None, BeforeValidator(_blank_to_none)]
OptionalUpn = Annotated[Upn | None, BeforeValidator(_blank_to_none)]
OptionalLaCode = Annotated[LaCode | None, BeforeValidator(_blank_to_none)]
OptionalSchoolUrn = Annotated[
    Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")] | None,
    BeforeValidator(_blank_to_none),
]

Labels = Annotated[
    tuple[Annotated[str, StringConstraints(min_length=1, max_length=64)], ...],
    Field(max_length=MAX_LABELS),
    BeforeValidator(_labels),
]
