"""Golden decisions for every rule of the shipped protocol, with routing state.

Each row is a notification (a documented example, varied), the subject's routing state, and
exactly what must happen: who is told, under which rule and lawful basis, by when, which fields
they get and which are withheld, and which refusals are recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub.sharing import Decision, RoutingState, decide
from protocols import Protocol, load_protocol
from schemas import parse_notification, source_for_agency
from tests.unit.builders import (
    DELETE,
    PROTOCOL_PATH,
    VALID_UPN,
    documented_example,
    placed_in,
)

# Friday 27 November 2026, 16:00 GMT.
NOW = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
ONE_HOUR = NOW + timedelta(hours=1)
ONE_DAY = NOW + timedelta(days=1)
MONDAY_0830 = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)  # next school day 08:30, GMT

POLICE = "northumbria-police"
CHILDRENS = "northumberland-childrens"
ADULTS = "northumberland-adults"
EDUCATION = "northumberland-education"
HEALTH = "northumbria-healthcare"
NEWCASTLE = "newcastle-childrens"
DURHAM = "durham-childrens"
DURHAM_POLICE = "durham-constabulary"
CUMBERLAND = "cumberland-childrens"
CUMBRIA_POLICE = "cumbria-constabulary"

EMPTY = RoutingState()
IN_NEWCASTLE = placed_in("391")
IN_DURHAM = placed_in("840")
IN_CUMBERLAND = placed_in("942")

DPA = "DPA 2018 Sch 1 para 18 (safeguarding of children and individuals at risk)"
CDA = "Crime and Disorder Act 1998 s115"
CA04_11 = "Children Act 2004 s11"
CA04_10 = "Children Act 2004 s10"
REG_13 = "Care Planning, Placement and Case Review (England) Regulations 2010 reg 13"

# Rule id -> (lawful basis, acknowledgement deadline counted from NOW), as the protocol says.
RULES: dict[str, tuple[tuple[str, ...], datetime]] = {
    "missing-child-to-police": ((CDA, DPA), ONE_HOUR),
    "missing-child-to-childrens-services": (("Children Act 1989 s47", CA04_11, DPA), ONE_HOUR),
    "missing-child-to-host-authority": ((CA04_11, REG_13, DPA), ONE_HOUR),
    "still-missing-at-18-to-adult-services": (
        ("Care Act 2014 s42", "Children and Social Work Act 2017 s1 (corporate parenting)", DPA),
        ONE_DAY,
    ),
    "missing-pupil-to-education": ((CA04_10, DPA), MONDAY_0830),
    "return-interview-to-police": ((CDA, DPA), ONE_DAY),
    "placement-to-police": ((CA04_11, DPA), ONE_DAY),
    "placement-to-host-authority": ((REG_13, CA04_11), ONE_DAY),
    "inbound-placement-to-host-and-police": ((REG_13, CA04_11, DPA), ONE_DAY),
    "child-concern-to-childrens-services": (("Children Act 1989 s47", CA04_11, DPA), ONE_HOUR),
    "child-se-concern-to-education": ((CA04_10, DPA), MONDAY_0830),
    "adult-concern-to-adult-services": (("Care Act 2014 s42", DPA), ONE_DAY),
    "adult-se-concern-to-police": ((CDA, "Care Act 2014 s6", DPA), ONE_DAY),
    "adult-trafficking-concern-to-police": ((CDA, "Care Act 2014 s6", DPA), ONE_DAY),
    "se-risk-to-police": ((CDA, DPA), ONE_DAY),
    "se-risk-to-education": ((CA04_10, DPA), MONDAY_0830),
    "se-risk-to-health": (
        ("Children Act 2004 s11 (children)", "Care Act 2014 s6 (adults)", DPA),
        ONE_DAY,
    ),
    "education-concern-to-childrens-services": (
        ("Education Act 1996 s436A", CA04_11, DPA),
        ONE_DAY,
    ),
}

ALL = None  # the view holds the whole of ``data``, nothing withheld
PERSON_BUT_UPN = (
    "data.person.date_of_birth",
    "data.person.local_id",
    "data.person.nhs_number",
    "data.person.resident_la",
    "data.person.sex",
)
MARKERS = tuple(
    f"data.markers.{name}"
    for name in (
        "criminal_exploitation",
        "missing",
        "sexual_abuse",
        "sexual_exploitation",
        "trafficking_modern_slavery",
    )
)


@dataclass(frozen=True)
class Without:
    """The view holds the whole of ``data`` except these top-level keys."""

    keys: tuple[str, ...]


@dataclass(frozen=True)
class Unresolved:
    """An expected refusal reason for a role that could not be resolved: it contains ``part``."""

    part: str


@dataclass(frozen=True)
class Golden:
    """One notification in one routing state, and exactly what the decision must hold."""

    name: str
    event: dict[str, Any]
    state: RoutingState
    # recipient -> (rule id, kept data: literal, ALL or Without(...), withheld paths)
    views: dict[str, tuple[str, dict[str, Any] | Without | None, tuple[str, ...]]]
    # (recipient, rule id, exact reason or Unresolved)
    refusals: tuple[tuple[str | None, str | None, str | Unresolved], ...] = field(default=())


def _missing(type_name: str = "missing_episode.started", **changes: Any) -> dict[str, Any]:
    return documented_example(type_name, **changes)


def _from(publisher: str, type_name: str, **changes: Any) -> dict[str, Any]:
    return documented_example(type_name, source=source_for_agency(publisher), **changes)


def _placement(host_la: str | None, type_name: str = "placement.started") -> dict[str, Any]:
    """The documented placement started (or an ended one), in ``host_la`` or confidential."""
    if type_name == "placement.ended":
        event = documented_example(type_name)
        event["data"].update(confidential=False)
    else:
        event = documented_example(type_name)
    data = event["data"]
    if host_la is None:
        for key in ("host_la", "out_of_area", "placement_postcode", "distance_miles", "urn"):
            data.pop(key, None)
        data["confidential"] = True
    else:
        data.update(host_la=host_la, out_of_area=host_la != data["placing_la"])
    return event


SCHOOL_STARTED = {
    "person": {"upn": VALID_UPN},
    "missing_type": "missing",
    "started_on": "2026-11-28",
}
SCHOOL_STARTED_WITHHELD = (
    "data.last_seen_location",
    "data.looked_after",
    *PERSON_BUT_UPN,
    "data.person.responsible_la",
    "data.risk_level",
    "data.started_at",
)
NOT_CROSS_BORDER = (None, "missing-child-to-host-authority", "condition not met: cross_border")
# The police's report names Northumberland (929) as responsible: that role is Northumberland
# children's services again, told once, under the same rule.
CHILDRENS_TOLD_ONCE = (
    CHILDRENS,
    "missing-child-to-childrens-services",
    "already served by rule missing-child-to-childrens-services",
)
NOT_TURNED_18 = (
    None,
    "still-missing-at-18-to-adult-services",
    "condition not met: data.end_reason",
)
# Children's services' ended report starts the return-interview clock; with no placement, there
# is no host area whose police it could alert.
NO_HOST_POLICE_TO_ALERT = (
    None,
    "return-interview-overdue",
    "role police_for_host_area: police for the host area: not known",
)
# No return interview is due for a child who turned 18 still missing: no clock starts.
NO_RETURN_INTERVIEW_DUE = (
    None,
    "return-interview-overdue",
    "clock not started: condition not met: data.end_reason",
)
# The documented child: living in Northumberland, which is responsible for her.
PERSON = {
    "local_id": "CHILD-000123",
    "nhs_number": "9434765919",
    "upn": VALID_UPN,
    "date_of_birth": "2011-05-04",
    "sex": "F",
    "resident_la": "929",
    "responsible_la": "929",
}
# The same child in the documented placement started, living in Newcastle where she is placed.
PLACEMENT_PERSON = PERSON | {"resident_la": "391"}


def _placement_to_police(host_la: str) -> dict[str, Any]:
    return {
        "person": PLACEMENT_PERSON,
        "placing_la": "929",
        "confidential": False,
        "host_la": host_la,
        "out_of_area": True,
        "placement_type": "K2",
        "provider": "PR4",
        "urn": "SC123456",
        "started_on": "2026-11-20",
        "placement_postcode": "NE1 4XX",
        "se_risk": True,
        "risk_assessment_available": True,
        "care_plan_available": True,
    }


def _placement_to_host(host_la: str) -> dict[str, Any]:
    return {
        "person": PLACEMENT_PERSON,
        "placing_la": "929",
        "host_la": host_la,
        "out_of_area": True,
        "placement_type": "K2",
        "provider": "PR4",
        "urn": "SC123456",
        "started_on": "2026-11-20",
        "se_risk": True,
        "risk_assessment_available": True,
        "care_plan_available": True,
    }


# Not (yet) granted by any placement rule: the plans' references and the emergency flag.
PLACEMENT_PLANS = ("data.care_plan_ref", "data.emergency", "data.risk_assessment_ref")
PLACEMENT_POLICE_WITHHELD = ("data.distance_miles", "data.legal_status", *PLACEMENT_PLANS)
# What Northumberland's children's services and police get of Newcastle's placement there.
INBOUND_PLACEMENT = {
    "person": PLACEMENT_PERSON | {"resident_la": "929", "responsible_la": "391"},
    "placing_la": "391",
    "host_la": "929",
    "out_of_area": True,
    "placement_type": "K2",
    "provider": "PR4",
    "urn": "SC123456",
    "started_on": "2026-11-20",
    "se_risk": True,
    "risk_assessment_available": True,
    "care_plan_available": True,
}
# As for outbound placements, the host and its police are not given the postcode.
INBOUND_PLACEMENT_WITHHELD = (
    *PLACEMENT_PLANS,
    "data.confidential",
    "data.distance_miles",
    "data.legal_status",
    "data.placement_postcode",
)
PLACEMENT_HOST_WITHHELD = (
    *PLACEMENT_PLANS,
    "data.confidential",
    "data.distance_miles",
    "data.legal_status",
    "data.placement_postcode",
)
# Police get a placement's ending, but not why it ceased or changed.
ENDED_TO_POLICE = Without(("reason_ceased", "reason_place_change"))
ENDED_WITHHELD_FROM_POLICE = ("data.reason_ceased", "data.reason_place_change")
CONCERN_WITH_UPN = {"data__person__upn": VALID_UPN}
SCHOOL_CONCERN = {
    "person": {"upn": VALID_UPN},
    "subject": "child",
    "markers": {"sexual_exploitation": True},
    "grading": "high",
    "raised_on": "2026-11-28",
}
SCHOOL_CONCERN_WITHHELD = (
    "data.incident_at",
    "data.markers.criminal_exploitation",
    "data.markers.missing",
    "data.markers.sexual_abuse",
    "data.markers.trafficking_modern_slavery",
    "data.origin",
    "data.person.date_of_birth",
    "data.person.la_child_id",
    "data.person.local_id",
    "data.person.resident_la",
    "data.person.school_urn",
    "data.person.sex",
    "data.reference",
    "data.referral",
    "data.summary",
    "data.vulnerability_types",
)
ADULT = {"data__subject": "adult", "data__person__date_of_birth": "1998-02-14"}
RISK_TO_SCHOOL = {
    "person": {"upn": VALID_UPN},
    "assessed_on": "2026-11-25",
    "risk_level": "high",
    "rmg_status": "added",
}
RISK_TO_SCHOOL_WITHHELD = (
    "data.assessment_factors",
    "data.checklist_score",
    *MARKERS,
    "data.method",
    *PERSON_BUT_UPN,
    "data.plan_in_place",
    "data.review_on",
)
RISK_TO_HEALTH = {
    "person": {"nhs_number": "9434765919", "date_of_birth": "2011-05-04"},
    "assessed_on": "2026-11-25",
    "risk_level": "high",
}
RISK_TO_HEALTH_WITHHELD = (
    "data.assessment_factors",
    "data.checklist_score",
    *MARKERS,
    "data.method",
    "data.person.local_id",
    "data.person.resident_la",
    "data.person.sex",
    "data.person.upn",
    "data.plan_in_place",
    "data.review_on",
    "data.rmg_status",
)
MEDIUM_RISK = {"data__risk_level": "medium", "data__checklist_score": 2}
LOW_RISK = {"data__risk_level": "low", "data__checklist_score": 1, "data__rmg_status": "removed"}

GOLDEN = [
    # --- missing episodes ------------------------------------------------------------------
    Golden(
        "missing-started-from-childrens",
        _missing(),
        EMPTY,
        {
            POLICE: ("missing-child-to-police", ALL, ()),
            EDUCATION: ("missing-pupil-to-education", SCHOOL_STARTED, SCHOOL_STARTED_WITHHELD),
        },
        (NOT_CROSS_BORDER,),
    ),
    Golden(
        "missing-started-from-police",
        _from(POLICE, "missing_episode.started"),
        EMPTY,
        {
            CHILDRENS: (
                "missing-child-to-childrens-services",
                {
                    "person": PERSON,
                    "missing_type": "missing",
                    "looked_after": True,
                    "started_on": "2026-11-28",
                    "started_at": "2026-11-28T21:15:00Z",
                    "risk_level": "high",
                },
                ("data.last_seen_location",),
            ),
            EDUCATION: ("missing-pupil-to-education", SCHOOL_STARTED, SCHOOL_STARTED_WITHHELD),
        },
        (CHILDRENS_TOLD_ONCE, NOT_CROSS_BORDER),
    ),
    # A child Durham (840) is responsible for: Durham's children's services are told as well.
    Golden(
        "missing-started-from-police-responsible-durham",
        _from(POLICE, "missing_episode.started", data__person__responsible_la="840"),
        EMPTY,
        {
            CHILDRENS: (
                "missing-child-to-childrens-services",
                {
                    "person": PERSON | {"responsible_la": "840"},
                    "missing_type": "missing",
                    "looked_after": True,
                    "started_on": "2026-11-28",
                    "started_at": "2026-11-28T21:15:00Z",
                    "risk_level": "high",
                },
                ("data.last_seen_location",),
            ),
            DURHAM: (
                "missing-child-to-childrens-services",
                {
                    "person": PERSON | {"responsible_la": "840"},
                    "missing_type": "missing",
                    "looked_after": True,
                    "started_on": "2026-11-28",
                    "started_at": "2026-11-28T21:15:00Z",
                    "risk_level": "high",
                },
                ("data.last_seen_location",),
            ),
            EDUCATION: ("missing-pupil-to-education", SCHOOL_STARTED, SCHOOL_STARTED_WITHHELD),
        },
        (NOT_CROSS_BORDER,),
    ),
    Golden(
        "missing-ended-from-childrens",
        _missing("missing_episode.ended"),
        EMPTY,
        {
            POLICE: ("missing-child-to-police", ALL, ()),
            EDUCATION: (
                "missing-pupil-to-education",
                {
                    "person": {"upn": VALID_UPN},
                    "missing_type": "missing",
                    "started_on": "2026-11-28",
                    "ended_on": "2026-11-29",
                },
                (
                    "data.end_reason",
                    "data.ended_at",
                    "data.found_location",
                    "data.looked_after",
                    *PERSON_BUT_UPN,
                    "data.person.responsible_la",
                    "data.return_interview_due",
                ),
            ),
        },
        (NOT_CROSS_BORDER, NOT_TURNED_18, NO_HOST_POLICE_TO_ALERT),
    ),
    # Closed because she turned 18 still missing: adult social care is told, with only its fields.
    Golden(
        "missing-ended-turned-18-still-missing",
        _missing(
            "missing_episode.ended",
            data__person__date_of_birth="2008-11-29",
            data__end_reason="turned_18_still_missing",
            data__ended_at="2026-11-29T00:00:00Z",
            data__return_interview_due=DELETE,
            data__found_location=DELETE,
        ),
        EMPTY,
        {
            POLICE: ("missing-child-to-police", ALL, ()),
            ADULTS: (
                "still-missing-at-18-to-adult-services",
                {
                    "person": PERSON | {"date_of_birth": "2008-11-29"},
                    "missing_type": "missing",
                    "looked_after": True,
                    "started_on": "2026-11-28",
                    "ended_on": "2026-11-29",
                    "end_reason": "turned_18_still_missing",
                },
                ("data.ended_at",),
            ),
            EDUCATION: (
                "missing-pupil-to-education",
                {
                    "person": {"upn": VALID_UPN},
                    "missing_type": "missing",
                    "started_on": "2026-11-28",
                    "ended_on": "2026-11-29",
                },
                (
                    "data.end_reason",
                    "data.ended_at",
                    "data.looked_after",
                    *PERSON_BUT_UPN,
                    "data.person.responsible_la",
                ),
            ),
        },
        (NOT_CROSS_BORDER, NO_RETURN_INTERVIEW_DUE),
    ),
    Golden(
        "missing-started-placed-in-newcastle",
        _missing(),
        IN_NEWCASTLE,
        {
            POLICE: ("missing-child-to-police", ALL, ()),
            NEWCASTLE: ("missing-child-to-host-authority", ALL, ()),
            EDUCATION: ("missing-pupil-to-education", SCHOOL_STARTED, SCHOOL_STARTED_WITHHELD),
        },
        (
            (
                POLICE,
                "missing-child-to-host-authority",
                "already served by rule missing-child-to-police",
            ),
        ),
    ),
    Golden(
        "missing-started-from-police-placed-in-newcastle",
        _from(POLICE, "missing_episode.started"),
        IN_NEWCASTLE,
        {
            CHILDRENS: (
                "missing-child-to-childrens-services",
                {
                    "person": PERSON,
                    "missing_type": "missing",
                    "looked_after": True,
                    "started_on": "2026-11-28",
                    "started_at": "2026-11-28T21:15:00Z",
                    "risk_level": "high",
                },
                ("data.last_seen_location",),
            ),
            NEWCASTLE: ("missing-child-to-host-authority", ALL, ()),
            EDUCATION: ("missing-pupil-to-education", SCHOOL_STARTED, SCHOOL_STARTED_WITHHELD),
        },
        (
            CHILDRENS_TOLD_ONCE,
            (POLICE, "missing-child-to-host-authority", "recipient is the publisher"),
        ),
    ),
    Golden(
        "missing-ended-placed-in-durham",
        _missing("missing_episode.ended"),
        IN_DURHAM,
        {
            POLICE: ("missing-child-to-police", ALL, ()),
            DURHAM: ("missing-child-to-host-authority", ALL, ()),
            DURHAM_POLICE: ("missing-child-to-host-authority", ALL, ()),
            EDUCATION: (
                "missing-pupil-to-education",
                {
                    "person": {"upn": VALID_UPN},
                    "missing_type": "missing",
                    "started_on": "2026-11-28",
                    "ended_on": "2026-11-29",
                },
                (
                    "data.end_reason",
                    "data.ended_at",
                    "data.found_location",
                    "data.looked_after",
                    *PERSON_BUT_UPN,
                    "data.person.responsible_la",
                    "data.return_interview_due",
                ),
            ),
        },
        (NOT_TURNED_18,),
    ),
    Golden(
        "missing-started-placed-in-cumberland",
        _missing(),
        IN_CUMBERLAND,
        {
            POLICE: ("missing-child-to-police", ALL, ()),
            CUMBERLAND: ("missing-child-to-host-authority", ALL, ()),
            CUMBRIA_POLICE: ("missing-child-to-host-authority", ALL, ()),
            EDUCATION: ("missing-pupil-to-education", SCHOOL_STARTED, SCHOOL_STARTED_WITHHELD),
        },
    ),
    Golden(
        "missing-adult-from-police",
        _from(POLICE, "missing_episode.started", data__person__date_of_birth="1990-01-01"),
        IN_NEWCASTLE,
        {},
        (
            (None, "missing-child-to-childrens-services", "condition not met: child"),
            (None, "missing-child-to-host-authority", "condition not met: child"),
            (None, "missing-pupil-to-education", "condition not met: child"),
            (
                None,
                None,
                "no rule allows uk.sehub.missing_episode.started.v1 from northumbria-police",
            ),
        ),
    ),
    # --- return interviews -----------------------------------------------------------------
    Golden(
        "return-interview",
        documented_example("return_interview.recorded"),
        EMPTY,
        {POLICE: ("return-interview-to-police", ALL, ())},
        ((None, "return-interview-to-police", Unresolved("not known")),),
    ),
    Golden(
        "return-interview-placed-in-durham",
        documented_example("return_interview.recorded"),
        IN_DURHAM,
        {
            POLICE: ("return-interview-to-police", ALL, ()),
            DURHAM_POLICE: ("return-interview-to-police", ALL, ()),
        },
    ),
    # --- placements ------------------------------------------------------------------------
    Golden(
        "placement-started-in-newcastle",
        documented_example("placement.started"),
        EMPTY,
        {
            POLICE: ("placement-to-police", _placement_to_police("391"), PLACEMENT_POLICE_WITHHELD),
            NEWCASTLE: (
                "placement-to-host-authority",
                _placement_to_host("391"),
                PLACEMENT_HOST_WITHHELD,
            ),
        },
        ((POLICE, "placement-to-police", "already served by rule placement-to-police"),),
    ),
    Golden(
        "placement-started-in-durham",
        _placement("840"),
        EMPTY,
        {
            POLICE: ("placement-to-police", _placement_to_police("840"), PLACEMENT_POLICE_WITHHELD),
            DURHAM_POLICE: (
                "placement-to-police",
                _placement_to_police("840"),
                PLACEMENT_POLICE_WITHHELD,
            ),
            DURHAM: (
                "placement-to-host-authority",
                _placement_to_host("840"),
                PLACEMENT_HOST_WITHHELD,
            ),
        },
    ),
    Golden(
        "placement-started-in-cumberland",
        _placement("942"),
        EMPTY,
        {
            POLICE: ("placement-to-police", _placement_to_police("942"), PLACEMENT_POLICE_WITHHELD),
            CUMBRIA_POLICE: (
                "placement-to-police",
                _placement_to_police("942"),
                PLACEMENT_POLICE_WITHHELD,
            ),
            CUMBERLAND: (
                "placement-to-host-authority",
                _placement_to_host("942"),
                PLACEMENT_HOST_WITHHELD,
            ),
        },
    ),
    Golden(
        "placement-started-in-scotland",
        _placement("SCO"),
        EMPTY,
        {POLICE: ("placement-to-police", _placement_to_police("SCO"), PLACEMENT_POLICE_WITHHELD)},
        (
            (None, "placement-to-police", Unresolved("no police party covers LA SCO")),
            (
                None,
                "placement-to-host-authority",
                Unresolved("no children_services party for LA SCO"),
            ),
        ),
    ),
    Golden(
        "placement-started-confidential",
        _placement(None),
        EMPTY,
        {
            POLICE: (
                "placement-to-police",
                {
                    key: value
                    for key, value in _placement_to_police("391").items()
                    if key not in {"host_la", "out_of_area", "urn", "placement_postcode"}
                }
                | {"confidential": True},
                ("data.legal_status", *PLACEMENT_PLANS),
            )
        },
        (
            (None, "placement-to-police", Unresolved("not known")),
            (None, "placement-to-host-authority", "condition not met: cross_border"),
        ),
    ),
    Golden(
        "placement-ended-confidential",
        documented_example("placement.ended"),
        EMPTY,
        {POLICE: ("placement-to-police", ENDED_TO_POLICE, ENDED_WITHHELD_FROM_POLICE)},
        (
            (None, "placement-to-police", Unresolved("not known")),
            (None, "placement-to-host-authority", "condition not met: cross_border"),
        ),
    ),
    Golden(
        "placement-ended-in-durham",
        _placement("840", "placement.ended"),
        IN_DURHAM,
        {
            POLICE: (
                "placement-to-police",
                ENDED_TO_POLICE,
                ENDED_WITHHELD_FROM_POLICE,
            ),
            DURHAM_POLICE: (
                "placement-to-police",
                ENDED_TO_POLICE,
                ENDED_WITHHELD_FROM_POLICE,
            ),
            DURHAM: (
                "placement-to-host-authority",
                {
                    "person": PERSON,
                    "placing_la": "929",
                    "host_la": "840",
                    "out_of_area": True,
                    "placement_type": "U4",
                    "provider": "PR1",
                    "started_on": "2026-09-01",
                    "ended_on": "2026-11-19",
                },
                ("data.confidential", "data.reason_ceased", "data.reason_place_change"),
            ),
        },
    ),
    # Newcastle (391) places a child in Northumberland (929): the host and its police are told.
    Golden(
        "inbound-placement-started-from-newcastle",
        _from(
            NEWCASTLE,
            "placement.started",
            data__placing_la="391",
            data__person__responsible_la="391",
            data__person__resident_la="929",
            data__host_la="929",
            data__out_of_area=True,
            data__placement_postcode="NE61 1XX",
        ),
        EMPTY,
        {
            CHILDRENS: (
                "inbound-placement-to-host-and-police",
                INBOUND_PLACEMENT,
                INBOUND_PLACEMENT_WITHHELD,
            ),
            POLICE: (
                "inbound-placement-to-host-and-police",
                INBOUND_PLACEMENT,
                INBOUND_PLACEMENT_WITHHELD,
            ),
        },
    ),
    # --- concerns --------------------------------------------------------------------------
    Golden(
        "child-se-concern-from-police",
        documented_example("concern.raised", **CONCERN_WITH_UPN),
        EMPTY,
        {
            CHILDRENS: ("child-concern-to-childrens-services", ALL, ()),
            EDUCATION: ("child-se-concern-to-education", SCHOOL_CONCERN, SCHOOL_CONCERN_WITHHELD),
        },
        ((None, "adult-concern-to-adult-services", "condition not met: adult"),),
    ),
    Golden(
        "child-concern-without-se-marker",
        documented_example("concern.raised", data__markers__sexual_exploitation=False),
        EMPTY,
        {CHILDRENS: ("child-concern-to-childrens-services", ALL, ())},
        (
            (None, "child-se-concern-to-education", "condition not met: se_marker"),
            (None, "adult-concern-to-adult-services", "condition not met: adult"),
        ),
    ),
    Golden(
        "adult-concern-from-police",
        documented_example("concern.raised", **ADULT),
        EMPTY,
        {ADULTS: ("adult-concern-to-adult-services", ALL, ())},
        (
            (None, "child-concern-to-childrens-services", "condition not met: child"),
            (None, "child-se-concern-to-education", "condition not met: child"),
        ),
    ),
    Golden(
        "adult-se-concern-from-adult-services",
        _from(ADULTS, "concern.raised", **ADULT),
        EMPTY,
        {POLICE: ("adult-se-concern-to-police", ALL, ())},
        (
            (
                None,
                "adult-trafficking-concern-to-police",
                "condition not met: data.markers.trafficking_modern_slavery",
            ),
        ),
    ),
    Golden(
        "adult-trafficking-concern-from-adult-services",
        _from(
            ADULTS,
            "concern.raised",
            **ADULT,
            data__markers__sexual_exploitation=False,
            data__markers__trafficking_modern_slavery=True,
        ),
        EMPTY,
        {POLICE: ("adult-trafficking-concern-to-police", ALL, ())},
        ((None, "adult-se-concern-to-police", "condition not met: se_marker"),),
    ),
    Golden(
        "adult-se-and-trafficking-concern",
        _from(ADULTS, "concern.raised", **ADULT, data__markers__trafficking_modern_slavery=True),
        EMPTY,
        {POLICE: ("adult-se-concern-to-police", ALL, ())},
        (
            (
                POLICE,
                "adult-trafficking-concern-to-police",
                "already served by rule adult-se-concern-to-police",
            ),
        ),
    ),
    # --- SE risk ---------------------------------------------------------------------------
    Golden(
        "se-risk-high-child",
        documented_example("se_risk.assessed"),
        EMPTY,
        {
            POLICE: ("se-risk-to-police", ALL, ()),
            EDUCATION: ("se-risk-to-education", RISK_TO_SCHOOL, RISK_TO_SCHOOL_WITHHELD),
            HEALTH: ("se-risk-to-health", RISK_TO_HEALTH, RISK_TO_HEALTH_WITHHELD),
        },
    ),
    Golden(
        "se-risk-medium-child",
        documented_example("se_risk.assessed", **MEDIUM_RISK),
        EMPTY,
        {
            POLICE: ("se-risk-to-police", ALL, ()),
            EDUCATION: (
                "se-risk-to-education",
                RISK_TO_SCHOOL | {"risk_level": "medium"},
                RISK_TO_SCHOOL_WITHHELD,
            ),
        },
        ((None, "se-risk-to-health", "condition not met: risk_at_least high"),),
    ),
    Golden(
        "se-risk-low-child",
        documented_example("se_risk.assessed", **LOW_RISK),
        EMPTY,
        {POLICE: ("se-risk-to-police", ALL, ())},
        (
            (None, "se-risk-to-education", "condition not met: risk_at_least medium"),
            (None, "se-risk-to-health", "condition not met: risk_at_least high"),
        ),
    ),
    # A high risk of exploitation that is not sexual: the school and health are not told.
    Golden(
        "se-risk-high-child-without-se-marker",
        documented_example("se_risk.assessed", data__markers__sexual_exploitation=False),
        EMPTY,
        {POLICE: ("se-risk-to-police", ALL, ())},
        (
            (None, "se-risk-to-education", "condition not met: se_marker"),
            (None, "se-risk-to-health", "condition not met: se_marker"),
        ),
    ),
    # Placed in Newcastle the child's school is there, and Newcastle's education is no party:
    # the medium risk passes the condition, then the role cannot be resolved.
    Golden(
        "se-risk-medium-child-placed-in-newcastle",
        documented_example("se_risk.assessed", **MEDIUM_RISK),
        IN_NEWCASTLE,
        {POLICE: ("se-risk-to-police", ALL, ())},
        (
            (None, "se-risk-to-education", Unresolved("no education party for LA 391")),
            (None, "se-risk-to-health", "condition not met: risk_at_least high"),
        ),
    ),
    Golden(
        "se-risk-high-adult-from-adult-services",
        _from(ADULTS, "se_risk.assessed", data__person__date_of_birth="1998-02-14"),
        EMPTY,
        {
            POLICE: ("se-risk-to-police", ALL, ()),
            HEALTH: (
                "se-risk-to-health",
                RISK_TO_HEALTH
                | {"person": {"nhs_number": "9434765919", "date_of_birth": "1998-02-14"}},
                RISK_TO_HEALTH_WITHHELD,
            ),
        },
    ),
    # --- education concerns ----------------------------------------------------------------
    Golden(
        "education-concern",
        documented_example("education.concern_raised"),
        EMPTY,
        {CHILDRENS: ("education-concern-to-childrens-services", ALL, ())},
    ),
]


@pytest.fixture(scope="module")
def shipped() -> Protocol:
    """The Northumberland protocol as shipped."""
    return load_protocol(PROTOCOL_PATH)


def _decide(golden: Golden, protocol: Protocol) -> Decision:
    return decide(parse_notification(golden.event), protocol, NOW, golden.state)


def _dumped(event: dict[str, Any]) -> dict[str, Any]:
    dumped: dict[str, Any] = parse_notification(event).model_dump(mode="json", exclude_none=True)
    return dumped


def test_the_golden_table_covers_every_shipped_rule(shipped: Protocol) -> None:
    """Every rule of the shipped protocol serves someone in at least one golden row."""
    serving = {rule for golden in GOLDEN for rule, _, _ in golden.views.values()}

    assert serving == {rule.id for rule in shipped.rules}
    assert set(RULES) == {rule.id for rule in shipped.rules}


@pytest.mark.parametrize("golden", GOLDEN, ids=[golden.name for golden in GOLDEN])
def test_shipped_protocol_golden_decisions(shipped: Protocol, golden: Golden) -> None:
    """Exactly the expected recipients are told, under the expected rule, basis and deadline."""
    decision = _decide(golden, shipped)
    views = {view.recipient: view for view in decision.views}
    event = _dumped(golden.event)
    envelope = {key: value for key, value in event.items() if key not in {"data", "subject"}}

    assert len(views) == len(decision.views)
    assert {r: v.receipt.rule_id for r, v in views.items()} == {
        recipient: rule for recipient, (rule, _, _) in golden.views.items()
    }, decision.refusals
    for recipient, (rule_id, kept, withheld) in golden.views.items():
        view = views[recipient]
        basis, deadline = RULES[rule_id]
        assert view.receipt.lawful_basis == basis, recipient
        assert view.receipt.acknowledge_by == deadline, recipient
        assert view.receipt.protocol_version == shipped.version_tag
        assert view.receipt.purpose == shipped.rules[_index(shipped, rule_id)].purpose
        assert view.event == {**envelope, "data": _kept(event["data"], kept)}, recipient
        assert view.receipt.withheld == tuple(sorted(withheld)), recipient

    assert len(decision.refusals) == len(golden.refusals), decision.refusals
    for refusal, (recipient, rule_id, reason) in zip(
        decision.refusals, golden.refusals, strict=True
    ):
        assert (refusal.recipient, refusal.rule_id) == (recipient, rule_id), refusal
        if isinstance(reason, Unresolved):
            assert reason.part in refusal.reason, refusal
        else:
            assert refusal.reason == reason


def _kept(data: dict[str, Any], kept: dict[str, Any] | Without | None) -> dict[str, Any]:
    if kept is ALL:
        return data
    if isinstance(kept, Without):
        assert set(kept.keys) <= set(data)
        return {key: value for key, value in data.items() if key not in kept.keys}
    return kept


def _index(protocol: Protocol, rule_id: str) -> int:
    return [rule.id for rule in protocol.rules].index(rule_id)


# --- roles and routing state ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "told"),
    [(EMPTY, False), (IN_NEWCASTLE, True)],
    ids=["no-placement", "placed-in-newcastle"],
)
@pytest.mark.parametrize("type_name", ["missing_episode.started", "missing_episode.ended"])
def test_the_host_authority_hears_of_missing_episodes_only_while_placed(
    shipped: Protocol, state: RoutingState, told: bool, type_name: str
) -> None:
    """Newcastle hears a child placed there went missing or returned; without the placement, not."""
    decision = decide(parse_notification(_missing(type_name)), shipped, NOW, state)
    recipients = {view.recipient: view.receipt.rule_id for view in decision.views}

    assert (NEWCASTLE in recipients) is told
    if told:
        assert recipients[NEWCASTLE] == "missing-child-to-host-authority"
    assert not any(party in recipients for party in (DURHAM, CUMBERLAND))


def test_an_out_of_area_placement_in_durham_reaches_durham_and_its_police(
    shipped: Protocol,
) -> None:
    """A placement starting in Durham (840) goes to Durham children's services and constabulary."""
    event = _placement("840")
    assert event["data"]["out_of_area"] is True

    decision = decide(parse_notification(event), shipped, NOW)
    recipients = {view.recipient: view.receipt.rule_id for view in decision.views}

    assert recipients == {
        POLICE: "placement-to-police",
        DURHAM_POLICE: "placement-to-police",
        DURHAM: "placement-to-host-authority",
    }


@pytest.mark.parametrize("state", [EMPTY, IN_NEWCASTLE], ids=["no-placement", "placed-elsewhere"])
@pytest.mark.parametrize("host_la", [None, "929"], ids=["confidential", "in-area"])
def test_a_placement_that_is_not_out_of_area_reaches_no_host(
    shipped: Protocol, state: RoutingState, host_la: str | None
) -> None:
    """A confidential or in-area placement is told to no host authority, whatever came before."""
    decision = decide(parse_notification(_placement(host_la)), shipped, NOW, state)

    hosts = [
        v.recipient for v in decision.views if v.receipt.rule_id == "placement-to-host-authority"
    ]
    assert hosts == []
    assert {view.recipient for view in decision.views} == {POLICE}
