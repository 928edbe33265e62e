"""Synthetic native education records shared by the education adapter tests (no tests here).

Every value is synthetic. Builders return plain dicts, as an agency would post them, so a test
can break any field before mapping.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from adapters import AdapterContext, MappingFailed
from adapters.education import ADAPTER, EducationAdapter
from schemas import EducationConcernRaised, Notification
from tests.unit.builders import ADAPTER_ID_KEY, EDUCATION, upn_from

CONCERN_RAISED = "uk.sehub.education.concern_raised.v1"
CONTEXT = AdapterContext(
    id_key=ADAPTER_ID_KEY,
    agency_id=EDUCATION,
    now=datetime(2026, 11, 29, 9, 0, tzinfo=UTC),
    la_code="929",
)

UPN = "H801200001001"
NORTHUMBERLAND_UPN = upn_from(929, "123426001")
TEMPORARY_UPN = upn_from(929, "12342601A")
PUPIL_ID = "NCC-PUPIL-0042718"
DOB = "14/03/2012"
SCHOOL_URN = "122334"
OTHER_SCHOOL_URN = "137951"
TERM_STARTS = date(2026, 11, 2)  # a Monday


def school_days(start: date, count: int) -> list[date]:
    """``count`` weekdays from ``start`` on (weekends have no register)."""
    days: list[date] = []
    day = start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def sessions(codes: Sequence[str], start: date = TERM_STARTS) -> list[dict[str, Any]]:
    """Marks for consecutive sessions (AM, PM, next school day AM...) with these codes."""
    days = school_days(start, (len(codes) + 1) // 2)
    return [
        {"date": days[i // 2].isoformat(), "session": "AM" if i % 2 == 0 else "PM", "code": code}
        for i, code in enumerate(codes)
    ]


def session_date(index: int, start: date = TERM_STARTS) -> str:
    """The ISO date of the ``index``-th session (0-based) laid out by :func:`sessions`."""
    return school_days(start, index // 2 + 1)[-1].isoformat()


def attendance(codes: Sequence[str] = ("/", "\\"), **fields: Any) -> dict[str, Any]:
    """An ``attendance_marks`` record with marks for ``codes``; fields override."""
    record: dict[str, Any] = {
        "record_type": "attendance_marks",
        "upn": UPN,
        "person_id": PUPIL_ID,
        "dob": DOB,
        "school_urn": SCHOOL_URN,
        "marks": sessions(codes),
    }
    record.update(fields)
    return record


def cme(notice_type: str = "deletion_from_register", **fields: Any) -> dict[str, Any]:
    """A ``cme_notice`` record (a deletion with its ground unless told otherwise)."""
    record: dict[str, Any] = {
        "record_type": "cme_notice",
        "upn": UPN,
        "person_id": PUPIL_ID,
        "dob": DOB,
        "school_urn": SCHOOL_URN,
        "notice_type": notice_type,
        "date": "20/11/2026",
    }
    if notice_type == "deletion_from_register":
        record["deletion_ground"] = "reg. 9(1)(d): ceased to attend and no longer resides nearby"
    record.update(fields)
    return record


def ehe(**fields: Any) -> dict[str, Any]:
    """An ``ehe_notice`` record."""
    record: dict[str, Any] = {
        "record_type": "ehe_notice",
        "upn": UPN,
        "person_id": PUPIL_ID,
        "dob": DOB,
        "la": "929",
        "date": "2026-11-16",
        "estimated_hours": 12.5,
    }
    record.update(fields)
    return record


def placement(**fields: Any) -> dict[str, Any]:
    """An ``alternative_provision_placement`` record."""
    record: dict[str, Any] = {
        "record_type": "alternative_provision_placement",
        "upn": UPN,
        "person_id": PUPIL_ID,
        "school_urn": SCHOOL_URN,
        "la": "929",
        "start_date": "09/11/2026",
        "hours_per_week": 15,
    }
    record.update(fields)
    return record


def mapped(
    record: dict[str, Any], adapter: EducationAdapter = ADAPTER, context: AdapterContext = CONTEXT
) -> list[EducationConcernRaised]:
    """The record's notifications, checked to be education concerns."""
    notifications: list[Notification] = adapter.map_record(record, context)
    concerns = [n for n in notifications if isinstance(n, EducationConcernRaised)]
    assert len(concerns) == len(notifications)
    return concerns


def failures(record: dict[str, Any], adapter: EducationAdapter = ADAPTER) -> set[tuple[str, str]]:
    """The (field, rule) pairs mapping the record fails with (it must fail)."""
    try:
        adapter.map_record(record, CONTEXT)
    except MappingFailed as failed:
        return {(problem.field, problem.rule) for problem in failed.problems}
    raise AssertionError("the record mapped without problems")


def data_of(concern: EducationConcernRaised, *names: str) -> dict[str, Any]:
    """The named data fields of a concern, as JSON values."""
    dumped = concern.data.model_dump(mode="json")
    return {name: dumped[name] for name in names}
