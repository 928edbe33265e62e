"""Adult safeguarding enquiry -> canonical concern and SE-risk notifications (reference §7.3).

Rules:

1. The hub is about exploitation: an enquiry whose ``type_of_risk`` has none of ``Sexual
   Exploitation``, ``Modern Slavery`` or ``Sexual Abuse`` maps to no notification at all (it is
   still validated in full). Those three set the markers ``sexual_exploitation``,
   ``trafficking_modern_slavery`` and ``sexual_abuse`` (reference §7.5).
2. Every such enquiry gives one ``uk.sehub.concern.raised.v1`` (subject ``adult``, origin
   ``safeguarding_enquiry``, ``reference`` = ``enquiry_ref``, ``raised_on`` = ``concern_date``).
   - ``referral`` is ``referral`` for a Section 42 enquiry (a statutory duty to enquire) and
     ``information_only`` for an Other enquiry.
   - ``grading`` is the LA's own if recorded; otherwise ``high`` with Sexual Exploitation or
     Modern Slavery (an exploiter usually keeps access to the adult) and ``medium`` with Sexual
     Abuse alone.
   - ``vulnerability_types`` carries every SAC type of risk recorded, in SAC table order;
     ``summary`` is forwarded (personal; the protocol decides who sees it).
3. A Section 42 enquiry also gives ``uk.sehub.se_risk.assessed.v1`` (method
   ``safeguarding_enquiry``) once ``enquiry_start`` is set (assessed on that date) and again once
   ``enquiry_concluded`` is set (assessed on that date). An Other enquiry gives no assessment
   (reference §7.3 asks for them on Section 42 enquiries only).
   - At the start: ``high`` with Sexual Exploitation or Modern Slavery, else ``medium``.
   - At conclusion: ``risk_outcome`` Risk removed / reduced / remained gives ``low`` / ``medium``
     / ``high`` and is carried as ``risk_removed`` / ``risk_reduced`` / ``risk_remained``; "No
     risk identified ..." gives ``low``; an inconclusive or ceased enquiry keeps the start level.
4. Ids come from the agency and ``enquiry_ref`` plus the event kind (``concern``,
   ``assessment-started``, ``assessment-concluded``): re-posting an updated record re-derives
   the same ids, so the hub takes each event once. Every event of one enquiry shares a
   ``correlationid``; an enquiry is not a missing episode or placement, so ``episodeid`` is unset.
5. The adult lives in ``resident_la`` if the record gives it, else in the publishing council's
   area (``AdapterContext.la_code``); with neither the record is refused. An adult has no
   responsible authority.
6. A ``vulnerability_checklist`` record gives one SE-risk assessment, as
   :mod:`._checklist` says.
6. Not forwarded, for want of a canonical field (validated all the same): ``ethnicity``,
   ``primary_support_reason``, ``location_of_risk``, ``source_of_risk``, ``action_and_result``,
   ``lacked_capacity``, ``msp_asked`` and ``msp_outcomes_achieved``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, ClassVar, Final
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from adapters._checklist import CHECKLIST_RECORD_TYPE
from adapters._core import (
    AdapterContext,
    MappingFailed,
    RecordProblem,
    build_notification,
    problems_from,
    unknown_residence,
)
from adapters.adult_services._checklist import checklist_notifications
from adapters.adult_services._codes import (
    EXPLOITATION_MARKERS,
    SEX_FOR_GENDER,
    ActionAndResult,
    EnquiryType,
    RiskOutcome,
    TypeOfRisk,
)
from adapters.adult_services._records import RECORD_TYPE, SafeguardingEnquiry, record_problems
from schemas import ConcernGrading, ConcernSubject, Notification, RiskLevel

__all__ = ["ID_PREFIX", "AdultServicesAdapter", "events_for"]

ID_PREFIX: Final = "asc"
CONCERN_TYPE: Final = "uk.sehub.concern.raised.v1"
ASSESSED_TYPE: Final = "uk.sehub.se_risk.assessed.v1"
ENGLAND: Final = ZoneInfo("Europe/London")

# Exploitation proper, as against sexual abuse alone: these raise the grading and level.
_HIGH_RISK_TYPES: Final = frozenset({TypeOfRisk.SEXUAL_EXPLOITATION, TypeOfRisk.MODERN_SLAVERY})
_NO_RISK_IDENTIFIED: Final = frozenset(
    {ActionAndResult.NO_RISK_ACTION, ActionAndResult.NO_RISK_NO_ACTION}
)
_OUTCOMES: Final[Mapping[RiskOutcome, tuple[str, RiskLevel]]] = {
    RiskOutcome.REMAINED: ("risk_remained", RiskLevel.HIGH),
    RiskOutcome.REDUCED: ("risk_reduced", RiskLevel.MEDIUM),
    RiskOutcome.REMOVED: ("risk_removed", RiskLevel.LOW),
}


class AdultServicesAdapter:
    """Maps an LA's adult safeguarding enquiries (SAC vocabularies) and checklists."""

    kind: ClassVar[str] = "adult_services"
    record_types: ClassVar[frozenset[str]] = frozenset({RECORD_TYPE, CHECKLIST_RECORD_TYPE})

    def map_record(self, record: Mapping[str, Any], context: AdapterContext) -> list[Notification]:
        """The notifications one record gives (none for an enquiry not about exploitation)."""
        if record.get("record_type") == CHECKLIST_RECORD_TYPE:
            return checklist_notifications(record, context)
        try:
            enquiry = SafeguardingEnquiry.model_validate(record)
        except ValidationError as exc:
            raise MappingFailed(problems_from(exc)) from exc
        today = context.time().astimezone(ENGLAND).date()
        problems: list[RecordProblem] = record_problems(enquiry, today)
        if enquiry.resident_la is None and context.la_code is None:
            problems.append(unknown_residence("resident_la"))
        if problems:
            raise MappingFailed(problems)
        notifications: list[Notification] = []
        for event in events_for(enquiry, context):
            try:
                notifications.append(build_notification(event, context))
            except MappingFailed as failed:
                problems.extend(failed.problems)
        if problems:
            raise MappingFailed(problems)
        return notifications


def events_for(enquiry: SafeguardingEnquiry, context: AdapterContext) -> list[dict[str, Any]]:
    """The canonical event dicts (not yet validated) for a valid enquiry, per rules 1-4."""
    types = frozenset(enquiry.type_of_risk)
    markers = {marker: kind in types for kind, marker in EXPLOITATION_MARKERS.items()}
    if not any(markers.values()):
        return []
    opening = RiskLevel.HIGH if types & _HIGH_RISK_TYPES else RiskLevel.MEDIUM
    person = _person(enquiry, context)
    events = [_concern(enquiry, context, person, markers, opening)]
    if enquiry.enquiry_type is not EnquiryType.SECTION_42:
        return events
    if enquiry.enquiry_start is not None:
        events.append(
            _envelope(enquiry, context, "assessment-started", ASSESSED_TYPE)
            | {"data": _assessment(person, markers, enquiry.enquiry_start, opening, None)}
        )
    if enquiry.enquiry_concluded is not None:
        level, outcome = _concluded(enquiry, opening)
        events.append(
            _envelope(enquiry, context, "assessment-concluded", ASSESSED_TYPE)
            | {"data": _assessment(person, markers, enquiry.enquiry_concluded, level, outcome)}
        )
    return events


def _envelope(
    enquiry: SafeguardingEnquiry, context: AdapterContext, event_kind: str, event_type: str
) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": context.derive_id(ID_PREFIX, context.agency_id, enquiry.enquiry_ref, event_kind),
        "source": context.source,
        "type": event_type,
        "time": context.time().isoformat(),
        "datacontenttype": "application/json",
        "correlationid": context.derive_id(ID_PREFIX, context.agency_id, enquiry.enquiry_ref),
    }


def _person(enquiry: SafeguardingEnquiry, context: AdapterContext) -> dict[str, Any]:
    return {
        "local_id": enquiry.person_id,
        "nhs_number": enquiry.nhs_number,
        "date_of_birth": enquiry.dob.isoformat(),
        "sex": SEX_FOR_GENDER[enquiry.gender].value,
        "resident_la": enquiry.resident_la or context.la_code,
    }


def _concern(
    enquiry: SafeguardingEnquiry,
    context: AdapterContext,
    person: dict[str, Any],
    markers: dict[str, bool],
    opening: RiskLevel,
) -> dict[str, Any]:
    # The derived grading follows the opening risk level (high for SE or modern slavery).
    grading = enquiry.grading or ConcernGrading(opening.value)
    section_42 = enquiry.enquiry_type is EnquiryType.SECTION_42
    return _envelope(enquiry, context, "concern", CONCERN_TYPE) | {
        "data": {
            "person": person,
            "subject": ConcernSubject.ADULT.value,
            "markers": markers,
            "grading": grading.value,
            "referral": "referral" if section_42 else "information_only",
            "origin": "safeguarding_enquiry",
            "reference": enquiry.enquiry_ref,
            "raised_on": enquiry.concern_date.isoformat(),
            "vulnerability_types": [
                kind.value for kind in TypeOfRisk if kind in enquiry.type_of_risk
            ],
            "summary": enquiry.summary,
        }
    }


def _assessment(
    person: dict[str, Any],
    markers: dict[str, bool],
    assessed_on: date,
    level: RiskLevel,
    outcome: str | None,
) -> dict[str, Any]:
    return {
        "person": person,
        "assessed_on": assessed_on.isoformat(),
        "method": "safeguarding_enquiry",
        "risk_level": level.value,
        "markers": markers,
        "risk_outcome": outcome,
    }


def _concluded(enquiry: SafeguardingEnquiry, opening: RiskLevel) -> tuple[RiskLevel, str | None]:
    if enquiry.risk_outcome is not None:
        outcome, level = _OUTCOMES[enquiry.risk_outcome]
        return level, outcome
    if enquiry.action_and_result in _NO_RISK_IDENTIFIED:
        return RiskLevel.LOW, None
    # Inconclusive, or ceased at the adult's request: nothing has lowered the risk.
    return opening, None
