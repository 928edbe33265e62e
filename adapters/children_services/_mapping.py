"""Well-formed children's-services records to canonical CloudEvents, as plain dicts.

The dicts are validated as canonical by the caller (``build_notification``).

Rules:

1. Person: ``CHILD``/``LAchildID`` is the local id; a 903 ``UPN`` of UN1-UN5 is ``upn_unknown``;
   903 ``SEX`` 1/2 and CIN ``GenderCurrent`` 1/2/0/9 become M/F/U/U. Absent values are left out.
   ``resident_la`` is where the child lives (``_rules.resident_la``). A looked-after child (a
   903 missing row with ``LOOKED_AFTER``, any placement) has the adapter's LA as
   ``responsible_la``; a return interview or CIN assessment does not say, so names none.
2. Event id: ``derive_id(prefix, agency, natural key, event kind, the mapped data)``. The same
   record always gives the same id; a corrected record (an away episode re-coded as missing, an
   interview completed) gives a new event in the same episode instead of being taken for a
   re-post.
3. ``episodeid``: a missing episode is (agency, ``CHILD``, ``MIS_START``), which is also the
   return interview's ``episode_ref``; a placement is (agency, ``CHILD``, the ``DECOM`` of the
   row it began in).
4. Missing: an open episode has started; a closed one has ended, M (whereabouts unknown) as
   ``found`` and A (away, whereabouts known) as ``returned``, with the return interview due 72
   hours after the end day began. An episode still open on the 18th birthday ended then, as
   ``turned_18_still_missing``, with no interview due.
5. Return interview: its outcome and content are read as :mod:`._return_records` says; not
   offered (N or NA) is sent as ``not_offered`` with its reason. A record stating no outcome
   yet gives nothing.
6. Placement: an open episode with RNE S/P/T/B/U started a placement; a ceased one ended it,
   and so does a ceased RNE L episode the placement ran on into (see
   :attr:`Ssda903Episode.ends_placement`): its ``started_on`` and ``episodeid`` are those of
   the row the placement began in (``PL_START``). The child lives where placed (rule 1); the
   adapter's LA is both ``placing_la`` and ``person.responsible_la``. A confidential placement
   (PL_LA = CON) carries no location: no host LA, out-of-area flag, postcode, distance, nor
   URN (the setting's URN locates it). ``HOME_POST`` is never passed on.
7. CIN assessment: only an authorised assessment with an exploitation factor is shared (an
   assessment without one is not SE information). Its factors travel as factors, with the
   markers they set (11A sexual exploitation, 12A trafficking, 24A criminal exploitation, 10A
   missing, 19A/B/C sexual abuse), and never as a graded risk: no ``risk_level``. Only the
   exploitation factors (and 13A, gangs) are passed on.
8. Vulnerability checklist: one ``se_risk.assessed`` (method ``vulnerability_checklist``) per
   child and ``VCL_DATE``, working to the judgement's level when one is recorded, else the
   score's; no ``episodeid``.
9. SSDA903 Header: identity only, nothing to send.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from adapters._checklist import checklist_data
from adapters._core import AdapterContext
from adapters.children_services import _codes
from adapters.children_services._checklist import CHECKLIST_FIELDS, VulnerabilityChecklist
from adapters.children_services._records import (
    CinAssessment,
    Ssda903Episode,
    Ssda903Header,
    Ssda903Missing,
)
from adapters.children_services._return_records import (
    ReturnInterview,
    interview_content,
    interview_outcome,
)
from adapters.children_services._rules import NativeModel, resident_la, today
from schemas import (
    MissingEndReason,
    MissingType,
    is_out_of_area,
    return_interview_due,
)

__all__ = ["events_for", "missing_episode_id", "placement_episode_id"]

MISSING_STARTED = "uk.sehub.missing_episode.started.v1"
MISSING_ENDED = "uk.sehub.missing_episode.ended.v1"
RETURN_INTERVIEW = "uk.sehub.return_interview.recorded.v1"
PLACEMENT_STARTED = "uk.sehub.placement.started.v1"
PLACEMENT_ENDED = "uk.sehub.placement.ended.v1"
SE_RISK_ASSESSED = "uk.sehub.se_risk.assessed.v1"


def events_for(record: NativeModel, context: AdapterContext) -> list[dict[str, Any]]:
    """The canonical events (unvalidated dicts) one well-formed native record gives."""
    match record:
        case Ssda903Header():
            return []
        case Ssda903Missing():
            return _missing(record, context)
        case ReturnInterview():
            return _return_interview(record, context)
        case Ssda903Episode():
            return _placement(record, context)
        case CinAssessment():
            return _assessment(record, context)
        case VulnerabilityChecklist():
            return _checklist(record, context)


def missing_episode_id(context: AdapterContext, child: str, started_on: date) -> str:
    """The ``episodeid`` of a missing episode (and ``episode_ref`` of its return interview)."""
    return context.derive_id("mis", context.agency_id, child, started_on.isoformat())


def placement_episode_id(context: AdapterContext, child: str, started_on: date) -> str:
    """The ``episodeid`` of the placement begun by the 903 episode starting on ``started_on``."""
    return context.derive_id("plc", context.agency_id, child, started_on.isoformat())


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _event(
    context: AdapterContext,
    *,
    event_type: str,
    prefix: str,
    key: tuple[str, ...],
    kind: str,
    data: dict[str, Any],
    episodeid: str | None = None,
) -> dict[str, Any]:
    data = _compact(data)
    content = json.dumps(data, sort_keys=True, default=str)
    return _compact(
        {
            "specversion": "1.0",
            "id": context.derive_id(prefix, context.agency_id, *key, kind, content),
            "source": context.source,
            "type": event_type,
            "time": context.time().isoformat(),
            "datacontenttype": "application/json",
            "episodeid": episodeid,
            "data": data,
        }
    )


def _person(
    local_id: str,
    *,
    resident_la: str | None,
    responsible_la: str | None = None,
    upn: str | None = None,
    upn_unknown: str | None = None,
    nhs_number: str | None = None,
    date_of_birth: date | None = None,
    sex: str | None = None,
) -> dict[str, Any]:
    if upn is not None and upn in _codes.UPN_UNKNOWN_903:
        upn, upn_unknown = None, upn
    return _compact(
        {
            "local_id": local_id,
            "nhs_number": nhs_number,
            "upn": upn,
            "upn_unknown": upn_unknown,
            "date_of_birth": date_of_birth,
            "sex": _codes.SEX_FROM_CODE[sex] if sex is not None else None,
            "resident_la": resident_la,
            "responsible_la": responsible_la,
        }
    )


def _held_person(
    record: Ssda903Missing | ReturnInterview | Ssda903Episode | VulnerabilityChecklist,
    context: AdapterContext,
    *,
    looked_after: bool,
) -> dict[str, Any]:
    return _person(
        record.CHILD,
        resident_la=resident_la(record, context),
        responsible_la=context.la_code if looked_after else None,
        upn=record.UPN,
        nhs_number=record.NHS_NUMBER,
        date_of_birth=record.DOB,
        sex=record.SEX,
    )


def _missing(record: Ssda903Missing, context: AdapterContext) -> list[dict[str, Any]]:
    started_on, code = record.MIS_START, record.MISSING
    if started_on is None or code is None:
        return []  # refused by rules 564/565 before mapping
    common: dict[str, Any] = {
        "person": _held_person(record, context, looked_after=record.LOOKED_AFTER),
        "missing_type": MissingType.MISSING
        if code == "M"
        else MissingType.AWAY_WITHOUT_AUTHORISATION,
        "looked_after": record.LOOKED_AFTER,
        "started_on": started_on,
    }
    if record.MIS_END is not None:
        data = {
            **common,
            "ended_on": record.MIS_END,
            "end_reason": MissingEndReason.FOUND if code == "M" else MissingEndReason.RETURNED,
            "return_interview_due": return_interview_due(record.MIS_END, None),
        }
        kind, event_type = "ended", MISSING_ENDED
    elif record.turns_18_on <= today(context):
        data = {
            **common,
            "ended_on": record.turns_18_on,
            "end_reason": MissingEndReason.TURNED_18_STILL_MISSING,
        }
        kind, event_type = "ended", MISSING_ENDED
    else:
        data, kind, event_type = common, "started", MISSING_STARTED
    return [
        _event(
            context,
            event_type=event_type,
            prefix="cs-mis",
            key=(record.CHILD, started_on.isoformat()),
            kind=kind,
            data=data,
            episodeid=missing_episode_id(context, record.CHILD, started_on),
        )
    ]


def _return_interview(record: ReturnInterview, context: AdapterContext) -> list[dict[str, Any]]:
    outcome = interview_outcome(record)
    if outcome is None:
        return []
    episode = missing_episode_id(context, record.CHILD, record.MIS_START)
    data = {
        "person": _held_person(record, context, looked_after=False),
        "episode_ref": episode,
        "outcome": outcome,
        **interview_content(record),
    }
    return [
        _event(
            context,
            event_type=RETURN_INTERVIEW,
            prefix="cs-rhi",
            key=(record.CHILD, record.MIS_START.isoformat()),
            kind=outcome.value,
            data=data,
            episodeid=episode,
        )
    ]


def _location(record: Ssda903Episode, placing_la: str) -> dict[str, Any]:
    if record.confidential:
        return {}
    if record.PL_LA is not None:
        out_of_area: bool | None = is_out_of_area(placing_la, record.PL_LA)
    elif record.PL_LOCATION is not None:
        out_of_area = record.PL_LOCATION == "OUT"
    else:
        out_of_area = None
    return {
        "host_la": record.PL_LA,
        "out_of_area": out_of_area,
        "urn": record.URN,
        "placement_postcode": record.PL_POST,
        "distance_miles": record.PL_DISTANCE,
    }


def _placement(record: Ssda903Episode, context: AdapterContext) -> list[dict[str, Any]]:
    placing_la = context.la_code
    if placing_la is None:
        return []  # refused by the rules before mapping
    facts = {
        "person": _held_person(record, context, looked_after=True),
        "placing_la": placing_la,
        "confidential": record.confidential,
        "placement_type": record.PLACE,
        "provider": record.PLACE_PROVIDER,
        "legal_status": record.LS,
        "started_on": record.placement_started_on,
        **_location(record, placing_la),
    }
    happened: list[tuple[str, str, dict[str, Any]]] = []
    if record.starts_placement:
        started = {
            "se_risk": record.SE_RISK,
            "risk_assessment_available": record.RISK_ASSESSMENT_AVAILABLE,
            "care_plan_available": record.CARE_PLAN_AVAILABLE,
            "risk_assessment_ref": record.RISK_ASSESSMENT_REF,
            "care_plan_ref": record.CARE_PLAN_REF,
            "emergency": record.EMERGENCY_PLACEMENT,
        }
        happened.append(("started", PLACEMENT_STARTED, {**facts, **started}))
    if record.ends_placement:
        ended = {
            "ended_on": record.DEC,
            "reason_ceased": record.REC,
            "reason_place_change": record.REASON_PLACE_CHANGE,
        }
        happened.append(("ended", PLACEMENT_ENDED, {**facts, **ended}))
    episode = placement_episode_id(context, record.CHILD, record.placement_started_on)
    return [
        _event(
            context,
            event_type=event_type,
            prefix="cs-plc",
            key=(record.CHILD, record.DECOM.isoformat()),
            kind=kind,
            data=data,
            episodeid=episode,
        )
        for kind, event_type, data in happened
    ]


def _factor_order(code: str) -> tuple[int, str]:
    match = re.match(r"^(\d+)(\D*)$", code)
    return (int(match[1]), match[2]) if match else (0, code)


def _assessment(record: CinAssessment, context: AdapterContext) -> list[dict[str, Any]]:
    assessed_on = record.AssessmentAuthorisationDate
    factors = set(record.AssessmentFactors)
    markers = {_codes.FACTOR_MARKERS[code]: True for code in factors & set(_codes.FACTOR_MARKERS)}
    if assessed_on is None or not markers:
        return []
    data = {
        "person": _person(
            record.LAchildID,
            resident_la=resident_la(record, context),
            upn=record.UPN,
            upn_unknown=record.UPNunknown,
            date_of_birth=record.PersonBirthDate,
            sex=record.Sex or record.GenderCurrent,
        ),
        "assessed_on": assessed_on,
        "method": "cin_assessment",
        "markers": markers,
        "assessment_factors": sorted(factors & _codes.SHARED_FACTORS, key=_factor_order),
    }
    return [
        _event(
            context,
            event_type=SE_RISK_ASSESSED,
            prefix="cs-cin",
            key=(record.LAchildID, record.AssessmentActualStartDate.isoformat()),
            kind="assessed",
            data=data,
        )
    ]


def _checklist(record: VulnerabilityChecklist, context: AdapterContext) -> list[dict[str, Any]]:
    return [
        _event(
            context,
            event_type=SE_RISK_ASSESSED,
            prefix="cs-vcl",
            key=(record.CHILD, record.VCL_DATE.isoformat()),
            kind="assessed",
            data={
                "person": _held_person(record, context, looked_after=False),
                **checklist_data(record, CHECKLIST_FIELDS),
            },
        )
    ]
