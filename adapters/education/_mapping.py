"""Native education records -> canonical ``uk.sehub.education.concern_raised.v1`` events.

Rules:

1. Every record type maps to the one canonical type, ``education.concern_raised``:
   - ``attendance_marks``: one event per concern its marks raise (see ``_rules``); none is fine.
   - ``cme_notice``: ``deletion_from_register`` -> ``removed_from_roll`` (``removal_ground`` is
     the deletion ground); ``continuous_absence_10_days`` -> ``missing_education``;
     ``new_registration`` -> no event (joining a roll is not a concern; the LA's CME team
     matches it against its open cases locally).
   - ``ehe_notice`` -> ``elective_home_education``, ``hours_per_week`` = ``estimated_hours``.
   - ``alternative_provision_placement`` -> ``alternative_provision`` with its hours a week
     (under 25 is the strategy's "not in receipt of full time education"; recipients read the
     hours, nothing more is added).
2. The person is ``local_id`` = ``person_id``, ``upn`` or ``upn_unknown``, ``date_of_birth`` =
   ``dob``, ``resident_la`` = the record's ``resident_la``, else the publishing council's LA.
   ``school_urn`` is the school whose roll the pupil is on, where the record names one by its
   six-digit URN (a seven-digit LAESTAB is not a URN and is not copied): the school of
   attendance marks, of a continuous-absence CME notice and of an alternative provision
   placement; a pupil deleted from the register no longer attends it. Parent and
   future-address fields of a CME notice are never read here.
3. ``la`` is the record's own ``la``; a record without one (attendance marks, CME notices) is
   the publishing agency's LA (``AdapterContext.la_code``), since a school reports to it.
4. Event ids: ``derive_id("edu", agency, record_type, person key, school_urn, concern type,
   first date)``; the person key is the UPN, or ``local:<person_id>`` when there is none. The
   same record always gives the same ids, and each concern of a record its own id. A later
   extract whose concern starts on the same date is the same event (the hub keeps the first).
5. No episode: education concerns are one-off events, so ``episodeid`` is not set.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from adapters._core import AdapterContext
from adapters.education._codes import CmeNoticeType
from adapters.education._records import (
    AlternativeProvisionPlacement,
    AttendanceMarks,
    CmeNotice,
    EducationRecord,
    EheNotice,
)
from adapters.education._rules import AttendanceRules, attendance_concerns
from schemas import EducationConcernType

__all__ = ["CONCERN_RAISED", "ID_PREFIX", "events_for"]

CONCERN_RAISED = "uk.sehub.education.concern_raised.v1"
ID_PREFIX = "edu"


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _person(
    record: EducationRecord,
    context: AdapterContext,
    *,
    upn_unknown: str | None = None,
    school_urn: str | None = None,
) -> dict[str, Any]:
    return _present(
        {
            "local_id": record.person_id,
            "upn": record.upn,
            "upn_unknown": upn_unknown,
            "date_of_birth": record.dob,
            "resident_la": record.resident_la or context.la_code,
            "school_urn": school_urn if school_urn is not None and len(school_urn) == 6 else None,
        }
    )


def _event(
    context: AdapterContext,
    record: EducationRecord,
    school_urn: str | None,
    data: dict[str, Any],
) -> dict[str, Any]:
    person_key = record.upn if record.upn is not None else f"local:{record.person_id}"
    concern_type: EducationConcernType = data["concern_type"]
    first_on: date = data.get("first_session_on", data["identified_on"])
    event_id = context.derive_id(
        ID_PREFIX,
        context.agency_id,
        record.record_type,
        person_key,
        school_urn or "",
        concern_type.value,
        first_on.isoformat(),
    )
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": context.source,
        "type": CONCERN_RAISED,
        "time": context.time().isoformat(),
        "datacontenttype": "application/json",
        "data": _present(data),
    }


def _attendance(
    record: AttendanceMarks, context: AdapterContext, rules: AttendanceRules
) -> list[dict[str, Any]]:
    person = _person(record, context, school_urn=record.school_urn)
    return [
        _event(
            context,
            record,
            record.school_urn,
            {
                "person": person,
                "concern_type": concern.concern_type,
                "identified_on": concern.identified_on,
                "school_urn": record.school_urn,
                "la": record.la or context.la_code,
                "hours_per_week": concern.hours_per_week,
                "sessions_missed": concern.sessions_missed,
                "attendance_codes": concern.codes,
                "first_session_on": concern.first_session_on,
                "last_session_on": concern.last_session_on,
            },
        )
        for concern in attendance_concerns(record.marks, record.hours_per_week, rules)
    ]


_CME_CONCERNS = {
    CmeNoticeType.DELETION_FROM_REGISTER: EducationConcernType.REMOVED_FROM_ROLL,
    CmeNoticeType.CONTINUOUS_ABSENCE_10_DAYS: EducationConcernType.MISSING_EDUCATION,
}


def _cme(record: CmeNotice, context: AdapterContext) -> list[dict[str, Any]]:
    concern_type = _CME_CONCERNS.get(record.notice_type)
    if concern_type is None:  # new_registration
        return []
    data = {
        "person": _person(
            record,
            context,
            school_urn=record.school_urn
            if concern_type is EducationConcernType.MISSING_EDUCATION
            else None,
        ),
        "concern_type": concern_type,
        "identified_on": record.date,
        "school_urn": record.school_urn,
        "la": context.la_code,
        "removal_ground": record.deletion_ground,
        "destination_school_urn": record.destination_school_urn,
    }
    return [_event(context, record, record.school_urn, data)]


def _ehe(record: EheNotice, context: AdapterContext) -> list[dict[str, Any]]:
    upn_unknown = record.upn_unknown.value if record.upn_unknown is not None else None
    data = {
        "person": _person(record, context, upn_unknown=upn_unknown),
        "concern_type": EducationConcernType.ELECTIVE_HOME_EDUCATION,
        "identified_on": record.date,
        "la": record.la,
        "hours_per_week": record.estimated_hours,
    }
    return [_event(context, record, None, data)]


def _alternative_provision(
    record: AlternativeProvisionPlacement, context: AdapterContext
) -> list[dict[str, Any]]:
    data = {
        "person": _person(record, context, school_urn=record.school_urn),
        "concern_type": EducationConcernType.ALTERNATIVE_PROVISION,
        "identified_on": record.start_date,
        "school_urn": record.school_urn,
        "la": record.la,
        "hours_per_week": record.hours_per_week,
    }
    return [_event(context, record, record.school_urn, data)]


def events_for(
    record: EducationRecord, context: AdapterContext, rules: AttendanceRules
) -> list[dict[str, Any]]:
    """The canonical event dicts (not yet validated) for one validated native record."""
    if isinstance(record, AttendanceMarks):
        return _attendance(record, context, rules)
    if isinstance(record, CmeNotice):
        return _cme(record, context)
    if isinstance(record, EheNotice):
        return _ehe(record, context)
    return _alternative_provision(record, context)
