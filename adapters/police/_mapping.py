"""Police native records -> canonical notifications, and the police adapter itself.

Rules:

1. Missing-person report (APP): open (no ``when_traced``) -> ``missing_episode.started``; traced
   -> ``missing_episode.ended`` only (the episode's ``started_on`` travels in it; a "started" alert
   about someone already found is noise). ``missing_type`` is always ``missing``: a police report
   is a missing person, never "away without authorisation". ``episodeid`` is derived from
   ``misper_id``, so the started and ended events share it. The started event's id also covers
   ``current_risk_level``: a re-graded open report is a new event in the same episode (recipients
   must hear of an escalation), while the same report posted twice is the same event.
2. A traced episode ends with ``end_reason = found`` and a return interview due 72 hours after
   ``when_traced``.
3. Crime record: only a record with a CSE, CSA, CCE or modern-slavery flag gives a concern
   (``origin = crime_record``, ``referral``, ``raised_on = recorded_date``); without a flag it
   gives nothing. Its id is keyed by crime and victim: one crime can have several victims.
4. Concern notice: ``concern.raised`` with ``origin = concern_notice``; its markers come from
   the vulnerability labels, which also travel as recorded.
5. The person's ``local_id`` is always the force's own person id; ``misper_id``, ``crime_ref``
   and ``notice_id`` travel as the police reference. ``resident_la``, ``responsible_la``,
   ``la_child_id`` and ``school_urn`` (``victim_...`` on a crime record) travel on the person,
   so the council can match its own child and the hub can route by where the person lives.
6. Not forwarded, because no canonical field exists or the purpose does not need them:
   ``reported_missing_by``, ``initial_risk_level``, ``return_method``,
   ``circumstances`` (free text about the person and others; too broad to share routinely),
   ``philomena_form_ref``, ``date_reported_missing``, ``offence_code``, ``officer_in_case``
   (the officer's personal data; partners reach the case through the reference) and
   ``incident_location``. All are still validated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from pydantic import ValidationError

from adapters._core import (
    AdapterContext,
    MappingFailed,
    NativeRecord,
    build_notification,
    model_for,
    problems_from,
)
from adapters.police._codes import CRIME_FLAG_MARKERS, crime_grading, markers_for_labels
from adapters.police._records import NOW, ConcernNotice, CrimeRecord, MissingPersonReport
from schemas import (
    ConcernSubject,
    ExploitationMarkers,
    MissingEndReason,
    MissingType,
    Notification,
    return_interview_due,
)

__all__ = ["PoliceAdapter"]

STARTED = "uk.sehub.missing_episode.started.v1"
ENDED = "uk.sehub.missing_episode.ended.v1"
CONCERN = "uk.sehub.concern.raised.v1"


def _envelope(context: AdapterContext, event_id: str, event_type: str) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": context.source,
        "type": event_type,
        "time": context.time().isoformat(),
        "datacontenttype": "application/json",
    }


def _person(record: MissingPersonReport | ConcernNotice) -> dict[str, Any]:
    return {
        "local_id": record.person_id,
        "nhs_number": record.nhs_number,
        "upn": record.upn,
        "date_of_birth": record.dob,
        "sex": record.sex,
        "resident_la": record.resident_la,
        "responsible_la": record.responsible_la,
        "la_child_id": record.la_child_id,
        "school_urn": record.school_urn,
    }


def _missing(record: MissingPersonReport, context: AdapterContext) -> list[dict[str, Any]]:
    common = {
        "person": _person(record),
        "missing_type": MissingType.MISSING,
        "looked_after": bool(record.looked_after),
        "started_on": record.missing_since.date(),
        "police_reference": record.misper_id,
    }
    episode = context.derive_id("pol-mis-ep", context.agency_id, record.misper_id)
    if record.when_traced is None:
        risk = record.current_risk_level
        event_id = context.derive_id(
            "pol-mis", context.agency_id, record.misper_id, "started", risk
        )
        data = {
            **common,
            "started_at": record.missing_since,
            "risk_level": risk,
            "last_seen_location": record.missing_from,
        }
        return [{**_envelope(context, event_id, STARTED), "episodeid": episode, "data": data}]
    ended_on = record.when_traced.date()
    event_id = context.derive_id("pol-mis", context.agency_id, record.misper_id, "ended")
    data = {
        **common,
        "ended_on": ended_on,
        "ended_at": record.when_traced,
        "end_reason": MissingEndReason.FOUND,
        "return_interview_due": return_interview_due(ended_on, record.when_traced),
        "found_location": record.traced_location,
    }
    return [{**_envelope(context, event_id, ENDED), "episodeid": episode, "data": data}]


def _crime(record: CrimeRecord, context: AdapterContext) -> list[dict[str, Any]]:
    flags_set = [flag for flag in CRIME_FLAG_MARKERS if getattr(record, flag)]
    if not flags_set:
        return []
    markers = dict.fromkeys(ExploitationMarkers.model_fields, False)
    markers.update({CRIME_FLAG_MARKERS[flag]: True for flag in flags_set})
    event_id = context.derive_id(
        "pol-crime", context.agency_id, record.crime_ref, record.victim_person_id, "concern"
    )
    data = {
        "person": {
            "local_id": record.victim_person_id,
            "nhs_number": record.victim_nhs_number,
            "upn": record.victim_upn,
            "date_of_birth": record.victim_dob,
            "sex": record.victim_sex,
            "resident_la": record.victim_resident_la,
            "responsible_la": record.victim_responsible_la,
            "la_child_id": record.victim_la_child_id,
            "school_urn": record.victim_school_urn,
        },
        "subject": ConcernSubject.CHILD if record.victim_is_child else ConcernSubject.ADULT,
        "markers": markers,
        "grading": crime_grading(flags_set),
        "referral": "referral",
        "origin": "crime_record",
        "reference": record.crime_ref,
        "raised_on": record.recorded_date,
    }
    return [{**_envelope(context, event_id, CONCERN), "data": data}]


def _concern(record: ConcernNotice, context: AdapterContext) -> list[dict[str, Any]]:
    event_id = context.derive_id("pol-ppn", context.agency_id, record.notice_id, "concern")
    data = {
        "person": _person(record),
        "subject": record.subject,
        "markers": markers_for_labels(record.vulnerability_types),
        "grading": record.grading,
        "referral": "information_only" if record.information_only else "referral",
        "origin": "concern_notice",
        "reference": record.notice_id,
        "raised_on": record.notice_date,
        "incident_at": record.incident_datetime,
        "vulnerability_types": record.vulnerability_types,
        "summary": record.summary,
    }
    return [{**_envelope(context, event_id, CONCERN), "data": data}]


_Mapper = Callable[[Any, AdapterContext], list[dict[str, Any]]]
_RECORDS: Mapping[str, tuple[type[NativeRecord], _Mapper]] = {
    "missing_person_report": (MissingPersonReport, _missing),
    "crime_record": (CrimeRecord, _crime),
    "concern_notice": (ConcernNotice, _concern),
}


class PoliceAdapter:
    """Northumbria-style police records: missing-person reports, crime records, concern notices."""

    kind: ClassVar[str] = "police"
    record_types: ClassVar[frozenset[str]] = frozenset(_RECORDS)

    def map_record(self, record: Mapping[str, Any], context: AdapterContext) -> list[Notification]:
        """The notifications one native record gives (possibly none); or :class:`MappingFailed`."""
        entry = model_for(record, _RECORDS)
        model, mapper = entry
        try:
            native = model.model_validate(dict(record), context={NOW: context.now})
        except ValidationError as exc:
            raise MappingFailed(problems_from(exc)) from exc
        return [build_notification(event, context) for event in mapper(native, context)]
