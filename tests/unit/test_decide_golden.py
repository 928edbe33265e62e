"""Golden decisions for every rule, and the clock, of the shipped partnership protocol.

Each row is a notification from a named party about a person of a named council, the subject's
routing state, and exactly what must happen: who is told, under which rule, lawful basis and
deadline; which data paths each recipient is given and which are withheld; every refusal, in
order; the clocks started and stopped; and whether the child's placement state changes. The
issue's cases are rows: a Durham (840) child placed in Northumberland (929), a Sunderland (394)
resident reported by the police, a school view with no UPN, a forged placement claim.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub.sharing import (
    ActivePlacement,
    Decision,
    EpisodeRef,
    PlacementChange,
    RiskTold,
    RoutingState,
    decide,
)
from protocols import PartyKind, Protocol
from schemas import parse_notification, source_for_agency
from tests.unit.builders import (
    DELETE,
    VALID_UPN,
    confidential_placement,
    documented_example,
    documented_from,
    leaf_paths,
    placed,
    shipped_protocol,
)

# Friday 27 November 2026, 16:00 GMT.
NOW = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
ONE_HOUR = NOW + timedelta(hours=1)
ONE_DAY = NOW + timedelta(days=1)
MONDAY_0830 = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)  # next school day 08:30, GMT

NORTHUMBRIA_POLICE = "northumbria-police"
DURHAM_POLICE = "durham-constabulary"
NORTHUMBERLAND = "northumberland-childrens"
NORTHUMBERLAND_ADULTS = "northumberland-adults"
NORTHUMBERLAND_EDUCATION = "northumberland-education"
DURHAM = "durham-childrens"
DURHAM_EDUCATION = "durham-education"
NEWCASTLE = "newcastle-childrens"
NEWCASTLE_ADULTS = "newcastle-adults"
NEWCASTLE_EDUCATION = "newcastle-education"
SUNDERLAND = "sunderland-childrens"
SUNDERLAND_ADULTS = "sunderland-adults"
SUNDERLAND_EDUCATION = "sunderland-education"
GATESHEAD = "gateshead-childrens"
GATESHEAD_ADULTS = "gateshead-adults"
DURHAM_HEALTH = "durham-darlington-health"
SUNDERLAND_HEALTH = "south-tyneside-sunderland-health"
SYNTHETIC_ACADEMY = "school-100001"  # URN 100001, in Northumberland
PROVIDER = "synthetic-care-homes"  # registered by Durham (840) and Newcastle (391)

EMPTY = RoutingState()
# Durham's child, placed by Durham in Northumberland and living there.
DURHAM_IN_NORTHUMBERLAND = placed("840", "929", "DUR-PL-1")
DURHAM_CHILD = {"data__person__resident_la": "929", "data__person__responsible_la": "840"}
NORTHUMBERLAND_IN_NEWCASTLE = placed("929", "391", "NOR-PL-1")

# --- lawful bases, as the protocol's anchors spell them ------------------------------------------
ART6 = "UK GDPR Art 6(1)(e) (public task)"
ART9 = "UK GDPR Art 9(2)(g) (substantial public interest)"
DPA = "DPA 2018 Sch 1 para 18 (safeguarding of children and individuals at risk)"
CA04_11 = "Children Act 2004 s11"
CDA = "Crime and Disorder Act 1998 s115"
CA89_22 = "Children Act 1989 s22 (duty to safeguard a looked-after child)"
LASSA = (
    "Local Authority Social Services Act 1970 s7 (statutory guidance on children who run away "
    "or go missing from home or care)"
)
POLICE_SAFEGUARDING = (ART6, ART9, DPA, CDA, CA04_11)
COUNCIL_MISSING = (ART6, ART9, DPA, CA89_22, CA04_11, LASSA)
POLICE_TO_COUNCIL = (
    ART6,
    ART9,
    DPA,
    "Children Act 1989 s17 or s47 (as the council's enquiries decide)",
    CA04_11,
)
EDUCATION_SAFEGUARDING = (
    ART6,
    ART9,
    DPA,
    "Children Act 2004 s10, and s11 (the duty of the agency that shares)",
    "Education Act 2002 s175 (maintained schools) or s157 (academies and independent schools)",
)
ADULT_TO_POLICE = (ART6, ART9, DPA, CDA, "Care Act 2014 s6")
LADDER = "missing-child-unacknowledged"
CLOCK = "return-interview-overdue"

# Rule id -> (lawful basis, acknowledgement deadline from NOW, escalation ladder), as shipped.
RULES: dict[str, tuple[tuple[str, ...], datetime, str | None]] = {
    "missing-child-from-council-to-police": (POLICE_SAFEGUARDING, ONE_HOUR, LADDER),
    "missing-child-between-councils": (COUNCIL_MISSING, ONE_HOUR, LADDER),
    "missing-child-from-police-to-councils": (POLICE_TO_COUNCIL, ONE_HOUR, LADDER),
    "missing-child-between-forces": (POLICE_SAFEGUARDING, ONE_HOUR, LADDER),
    "still-missing-at-18-to-adult-services": (
        (
            ART6,
            ART9,
            DPA,
            "Care Act 2014 s42",
            "Children and Social Work Act 2017 s1 (corporate parenting)",
        ),
        ONE_DAY,
        LADDER,
    ),
    "missing-pupil-to-school": (EDUCATION_SAFEGUARDING, MONDAY_0830, LADDER),
    "missing-pupil-to-school-from-council": (EDUCATION_SAFEGUARDING, MONDAY_0830, LADDER),
    "return-interview-to-police": (POLICE_SAFEGUARDING, ONE_DAY, None),
    "return-interview-between-councils": (COUNCIL_MISSING, ONE_DAY, None),
    "placement-to-host-area": (
        (
            ART6,
            ART9,
            DPA,
            "Care Planning, Placement and Case Review (England) Regulations 2010 reg 13 (notifying "
            "a placement) and reg 14 (ending one), for the host council",
            "Children Act 2004 s11 and Crime and Disorder Act 1998 s115, for the police",
        ),
        ONE_DAY,
        None,
    ),
    "conflicting-placement-claim-to-responsible-authority": (
        (ART6, ART9, DPA, CA89_22),
        ONE_DAY,
        None,
    ),
    "child-concern-from-police-to-councils": (POLICE_TO_COUNCIL, ONE_HOUR, None),
    "child-se-concern-to-school": (EDUCATION_SAFEGUARDING, MONDAY_0830, None),
    "adult-concern-from-police-to-adult-services": (
        (ART6, ART9, DPA, "Care Act 2014 s42", "Children Act 1989 s23C to s24D (care leavers)"),
        ONE_DAY,
        None,
    ),
    "adult-exploitation-concern-to-police": (ADULT_TO_POLICE, ONE_DAY, None),
    "adult-trafficking-concern-to-police": (ADULT_TO_POLICE, ONE_DAY, None),
    "se-risk-to-police": (POLICE_SAFEGUARDING, ONE_DAY, None),
    "se-risk-to-host-authority": ((ART6, ART9, DPA, CA89_22, CA04_11), ONE_DAY, None),
    "se-risk-to-school": (EDUCATION_SAFEGUARDING, MONDAY_0830, None),
    "se-risk-to-health": (
        (
            ART6,
            ART9,
            "UK GDPR Art 9(2)(h) with DPA 2018 Sch 1 para 2 (health or social care purposes)",
            DPA,
            "Children Act 2004 s11 (children)",
            "Care Act 2014 s6 (adults)",
        ),
        ONE_DAY,
        None,
    ),
    "education-concern-to-childrens-services": (
        (ART6, ART9, DPA, "Education Act 1996 s436A", CA04_11),
        ONE_DAY,
        None,
    ),
}

# Rule ids, short.
COUNCIL_TO_POLICE = "missing-child-from-council-to-police"
BETWEEN_COUNCILS = "missing-child-between-councils"
POLICE_TO_COUNCILS = "missing-child-from-police-to-councils"
BETWEEN_FORCES = "missing-child-between-forces"
AT_18 = "still-missing-at-18-to-adult-services"
PUPIL = "missing-pupil-to-school"
PUPIL_FROM_COUNCIL = "missing-pupil-to-school-from-council"
INTERVIEW_TO_POLICE = "return-interview-to-police"
INTERVIEW_BETWEEN_COUNCILS = "return-interview-between-councils"
PLACEMENT = "placement-to-host-area"
CLAIM = "conflicting-placement-claim-to-responsible-authority"
CCN = "child-concern-from-police-to-councils"
CCN_TO_SCHOOL = "child-se-concern-to-school"
ACN = "adult-concern-from-police-to-adult-services"
ADULT_SE = "adult-exploitation-concern-to-police"
ADULT_TRAFFICKING = "adult-trafficking-concern-to-police"
RISK_TO_POLICE = "se-risk-to-police"
RISK_TO_HOST = "se-risk-to-host-authority"
RISK_TO_SCHOOL = "se-risk-to-school"
RISK_TO_HEALTH = "se-risk-to-health"
EDUCATION_CONCERN = "education-concern-to-childrens-services"


@dataclass(frozen=True)
class Told:
    """One recipient's view: its rule, and either the data paths withheld (everything else in
    the event's data is shared) or the data paths shared (everything else is withheld)."""

    rule: str
    withheld: tuple[str, ...] = ()
    shares: tuple[str, ...] | None = None
    withdrawal: bool = False

    def split(self, data_leaves: set[str]) -> tuple[set[str], set[str]]:
        """(shared, withheld) data leaf paths of an event whose data has ``data_leaves``."""
        given = set(self.withheld if self.shares is None else self.shares)
        assert given <= data_leaves, f"not in the event: {sorted(given - data_leaves)}"
        if self.shares is None:
            return data_leaves - given, given
        return given, data_leaves - given


Refused = tuple[str | None, str | None, str]


@dataclass(frozen=True)
class Golden:
    """One notification in one routing state, and exactly what the decision must hold."""

    name: str
    event: dict[str, Any]
    state: RoutingState
    views: dict[str, Told]
    refusals: tuple[Refused, ...] = ()
    starts: dict[str, tuple[datetime, tuple[str, ...]]] = field(default_factory=dict)
    stops: tuple[EpisodeRef, ...] = ()
    placement: PlacementChange | None = None
    told: tuple[RiskTold, ...] = ()


def _publisher(recipient: str, rule: str) -> Refused:
    return (recipient, rule, "recipient is the publisher")


def _served(recipient: str, rule: str, earlier: str | None = None) -> Refused:
    return (recipient, rule, f"already served by rule {earlier or rule}")


def _unmet(rule: str, condition: str) -> Refused:
    return (None, rule, f"condition not met: {condition}")


def _no_role(rule: str, label: str, reason: str) -> Refused:
    return (None, rule, f"role {label}: {reason}")


NO_HOST = "host authority (no active out-of-area placement): not known"
NO_RESPONSIBLE = "responsible authority (not looked after, or not known): not known"
NO_RESPONSIBLE_FORCE = "police for the responsible area: the area is not known"


def _no_host(rule: str) -> Refused:
    return _no_role(rule, "host_authority", NO_HOST)


def _no_responsible(rule: str, label: str = "responsible_authority") -> Refused:
    return _no_role(rule, label, NO_RESPONSIBLE)


def _no_responsible_force(rule: str) -> Refused:
    return _no_role(rule, "police_for_responsible_area", NO_RESPONSIBLE_FORCE)


def _no_upn(recipient: str, rule: str) -> Refused:
    return (
        recipient,
        rule,
        "no identifier the recipient can match (needs one of: data.person.upn)",
    )


NHS = "data.person.nhs_number"
UPN = "data.person.upn"
SCHOOL_STARTED = (UPN, "data.missing_type", "data.started_on")
SCHOOL_ENDED = (*SCHOOL_STARTED, "data.ended_on")
# Of a placement, the host and the forces get neither the child's NHS number, UPN or home, nor
# the distance from the placing council.
PLACEMENT_WITHHELD = (NHS, UPN, "data.person.resident_la", "data.distance_miles")
ENDED_WITHHELD = (
    NHS,
    UPN,
    "data.person.resident_la",
    "data.reason_ceased",
    "data.reason_place_change",
)
CLAIM_SHARES = (
    "data.person.local_id",
    NHS,
    UPN,
    "data.person.date_of_birth",
    "data.placing_la",
    "data.host_la",
    "data.placement_type",
    "data.started_on",
)
INTERVIEW_WITHHELD = (NHS, "data.person.sex")
RISK_WITHHELD_FROM_POLICE = (NHS, UPN, "data.person.sex")
SCHOOL_RISK = (
    UPN,
    "data.assessed_on",
    "data.risk_level",
    "data.rmg_status",
    "data.review_on",
    "data.plan_in_place",
)
HEALTH_RISK = (
    NHS,
    "data.person.date_of_birth",
    "data.assessed_on",
    "data.risk_level",
    "data.rmg_status",
)
CCN_TO_SCHOOL_SHARES = (
    UPN,
    "data.subject",
    "data.markers.sexual_exploitation",
    "data.grading",
    "data.raised_on",
)
MEDIUM = {"data__risk_level": "medium", "data__checklist_score": 2}
LOW_OFF_RMG = {"data__risk_level": "low", "data__checklist_score": 1, "data__rmg_status": "removed"}
AT_HOME_IN_DURHAM = {"data__person__resident_la": "840", "data__person__responsible_la": "840"}
ADULT = {
    "data__subject": "adult",
    "data__person__date_of_birth": "1998-02-14",
    "data__person__la_child_id": DELETE,
    "data__person__school_urn": DELETE,
}
DURHAM_PLACES_IN_NORTHUMBERLAND = {
    **DURHAM_CHILD,
    "data__placing_la": "840",
    "data__host_la": "929",
    "data__out_of_area": True,
    "data__placement_postcode": "NE61 1XX",
}
# The clock the Durham council's report of the child's return starts: due when the return
# interview is, alerting the responsible council (the publisher: news to it), the host area's
# force and Durham's own.
RETURN_INTERVIEW_DUE = datetime(2026, 12, 2, 7, 30, tzinfo=UTC)


def _placement_ended_in_northumberland(publisher: str) -> dict[str, Any]:
    return documented_from(
        publisher,
        "placement.ended",
        **DURHAM_CHILD,
        data__placing_la="840",
        data__confidential=False,
        data__host_la="929",
        data__out_of_area=True,
    )


def _confidential_placement() -> dict[str, Any]:
    return confidential_placement(data__person__resident_la="929")


GOLDEN = [
    # --- missing episodes ----------------------------------------------------------------------
    Golden(
        "northumberland-childrens: a Northumberland child at home goes missing",
        documented_example("missing_episode.started"),
        EMPTY,
        {
            NORTHUMBRIA_POLICE: Told(COUNCIL_TO_POLICE, (NHS,)),
            NORTHUMBERLAND_EDUCATION: Told(PUPIL_FROM_COUNCIL, shares=SCHOOL_STARTED),
        },
        (
            _served(NORTHUMBRIA_POLICE, COUNCIL_TO_POLICE),
            _no_host(BETWEEN_COUNCILS),
            _publisher(NORTHUMBERLAND, BETWEEN_COUNCILS),
            _publisher(NORTHUMBERLAND, BETWEEN_COUNCILS),
        ),
    ),
    Golden(
        "northumberland-childrens: a pupil of Synthetic Academy (URN 100001) goes missing",
        documented_example("missing_episode.started", data__person__school_urn="100001"),
        EMPTY,
        {
            NORTHUMBRIA_POLICE: Told(COUNCIL_TO_POLICE, (NHS, "data.person.school_urn")),
            SYNTHETIC_ACADEMY: Told(PUPIL_FROM_COUNCIL, shares=SCHOOL_STARTED),
        },
        (
            _served(NORTHUMBRIA_POLICE, COUNCIL_TO_POLICE),
            _no_host(BETWEEN_COUNCILS),
            _publisher(NORTHUMBERLAND, BETWEEN_COUNCILS),
            _publisher(NORTHUMBERLAND, BETWEEN_COUNCILS),
        ),
    ),
    # The case: the placing council's missing report reaches the host council and the
    # host area's police (and its own force, and the school through the host's education).
    Golden(
        "durham-childrens: its child placed in Northumberland goes missing",
        documented_from(DURHAM, "missing_episode.started", **DURHAM_CHILD),
        DURHAM_IN_NORTHUMBERLAND,
        {
            NORTHUMBRIA_POLICE: Told(COUNCIL_TO_POLICE, (NHS,)),
            DURHAM_POLICE: Told(COUNCIL_TO_POLICE, (NHS,)),
            NORTHUMBERLAND: Told(BETWEEN_COUNCILS),
            NORTHUMBERLAND_EDUCATION: Told(PUPIL_FROM_COUNCIL, shares=SCHOOL_STARTED),
        },
        (
            _publisher(DURHAM, BETWEEN_COUNCILS),
            _served(NORTHUMBERLAND, BETWEEN_COUNCILS),
        ),
    ),
    Golden(
        "durham-childrens: its child placed in Northumberland comes back",
        documented_from(DURHAM, "missing_episode.ended", **DURHAM_CHILD),
        DURHAM_IN_NORTHUMBERLAND,
        {
            NORTHUMBRIA_POLICE: Told(COUNCIL_TO_POLICE, (NHS,)),
            DURHAM_POLICE: Told(COUNCIL_TO_POLICE, (NHS,)),
            NORTHUMBERLAND: Told(BETWEEN_COUNCILS),
            NORTHUMBERLAND_EDUCATION: Told(PUPIL_FROM_COUNCIL, shares=SCHOOL_ENDED),
        },
        (
            _publisher(DURHAM, BETWEEN_COUNCILS),
            _served(NORTHUMBERLAND, BETWEEN_COUNCILS),
            _unmet(AT_18, "data.end_reason"),
        ),
        starts={
            CLOCK: (
                RETURN_INTERVIEW_DUE,
                (DURHAM, NORTHUMBERLAND, NORTHUMBRIA_POLICE, DURHAM_POLICE),
            )
        },
    ),
    # The host council reports: the responsible council and both forces hear of it.
    Golden(
        "northumberland-childrens (host): Durham's child placed with it goes missing",
        documented_from(NORTHUMBERLAND, "missing_episode.started", **DURHAM_CHILD),
        DURHAM_IN_NORTHUMBERLAND,
        {
            NORTHUMBRIA_POLICE: Told(COUNCIL_TO_POLICE, (NHS,)),
            DURHAM_POLICE: Told(COUNCIL_TO_POLICE, (NHS,)),
            DURHAM: Told(BETWEEN_COUNCILS),
            NORTHUMBERLAND_EDUCATION: Told(PUPIL_FROM_COUNCIL, shares=SCHOOL_STARTED),
        },
        (
            _publisher(NORTHUMBERLAND, BETWEEN_COUNCILS),
            _publisher(NORTHUMBERLAND, BETWEEN_COUNCILS),
        ),
    ),
    # The case: after the placement ended (no state), the next episode reaches Durham's
    # own force and education, and neither Northumberland's children's nor education services.
    Golden(
        "durham-childrens: after the placement ended, its child goes missing at home",
        documented_from(DURHAM, "missing_episode.started", **AT_HOME_IN_DURHAM),
        EMPTY,
        {
            DURHAM_POLICE: Told(COUNCIL_TO_POLICE, (NHS,)),
            DURHAM_EDUCATION: Told(PUPIL_FROM_COUNCIL, shares=SCHOOL_STARTED),
        },
        (
            _served(DURHAM_POLICE, COUNCIL_TO_POLICE),
            _no_host(BETWEEN_COUNCILS),
            _publisher(DURHAM, BETWEEN_COUNCILS),
            _publisher(DURHAM, BETWEEN_COUNCILS),
        ),
    ),
    # The case: a police report about a Sunderland child reaches Sunderland only.
    Golden(
        "northumbria-police: a Sunderland child goes missing from home",
        documented_from(
            NORTHUMBRIA_POLICE,
            "missing_episode.started",
            data__person__resident_la="394",
            data__person__responsible_la=DELETE,
            data__looked_after=False,
        ),
        EMPTY,
        {
            SUNDERLAND: Told(POLICE_TO_COUNCILS),
            SUNDERLAND_EDUCATION: Told(PUPIL, shares=SCHOOL_STARTED),
        },
        (
            _no_responsible(POLICE_TO_COUNCILS),
            _no_host(POLICE_TO_COUNCILS),
            _publisher(NORTHUMBRIA_POLICE, BETWEEN_FORCES),
            _no_responsible_force(BETWEEN_FORCES),
        ),
    ),
    Golden(
        "northumbria-police: Durham's child placed in Northumberland goes missing",
        documented_from(NORTHUMBRIA_POLICE, "missing_episode.started", **DURHAM_CHILD),
        DURHAM_IN_NORTHUMBERLAND,
        {
            NORTHUMBERLAND: Told(POLICE_TO_COUNCILS),
            DURHAM: Told(POLICE_TO_COUNCILS),
            DURHAM_POLICE: Told(BETWEEN_FORCES, (NHS,)),
            NORTHUMBERLAND_EDUCATION: Told(PUPIL, shares=SCHOOL_STARTED),
        },
        (
            _served(NORTHUMBERLAND, POLICE_TO_COUNCILS),
            _publisher(NORTHUMBRIA_POLICE, BETWEEN_FORCES),
        ),
    ),
    # Closed because she turned 18 still missing: adult social care is told, with its fields,
    # and no return interview is due, so the clock does not start.
    Golden(
        "northumberland-childrens: its child turns 18 still missing",
        documented_example(
            "missing_episode.ended",
            data__person__date_of_birth="2008-11-29",
            data__end_reason="turned_18_still_missing",
            data__ended_at="2026-11-29T00:00:00Z",
            data__return_interview_due=DELETE,
            data__found_location=DELETE,
        ),
        EMPTY,
        {
            NORTHUMBRIA_POLICE: Told(COUNCIL_TO_POLICE, (NHS,)),
            NORTHUMBERLAND_ADULTS: Told(AT_18, (UPN, "data.person.sex", "data.ended_at")),
            NORTHUMBERLAND_EDUCATION: Told(PUPIL_FROM_COUNCIL, shares=SCHOOL_ENDED),
        },
        (
            _served(NORTHUMBRIA_POLICE, COUNCIL_TO_POLICE),
            _no_host(BETWEEN_COUNCILS),
            _publisher(NORTHUMBERLAND, BETWEEN_COUNCILS),
            _publisher(NORTHUMBERLAND, BETWEEN_COUNCILS),
            _served(NORTHUMBERLAND_ADULTS, AT_18),
            (None, CLOCK, "clock not started: condition not met: data.end_reason"),
        ),
    ),
    # --- return interviews ---------------------------------------------------------------------
    # The case: the placing council's return interview reaches the host council and the
    # host area's police; it stops the clock Durham's report of the return started.
    Golden(
        "durham-childrens: return interview of its child placed in Northumberland",
        documented_from(DURHAM, "return_interview.recorded", data__person__responsible_la="840"),
        DURHAM_IN_NORTHUMBERLAND,
        {
            NORTHUMBRIA_POLICE: Told(INTERVIEW_TO_POLICE, INTERVIEW_WITHHELD),
            DURHAM_POLICE: Told(INTERVIEW_TO_POLICE, INTERVIEW_WITHHELD),
            NORTHUMBERLAND: Told(INTERVIEW_BETWEEN_COUNCILS, INTERVIEW_WITHHELD),
        },
        (_publisher(DURHAM, INTERVIEW_BETWEEN_COUNCILS),),
        stops=(EpisodeRef(source_for_agency(DURHAM), "MIS-2026-0001"),),
    ),
    # Another council carried it out: the responsible council gets it.
    Golden(
        "newcastle-childrens (host): return interview of Northumberland's child placed there",
        documented_from(
            NEWCASTLE,
            "return_interview.recorded",
            data__person__resident_la="391",
            data__person__responsible_la="929",
        ),
        NORTHUMBERLAND_IN_NEWCASTLE,
        {
            NORTHUMBRIA_POLICE: Told(INTERVIEW_TO_POLICE, INTERVIEW_WITHHELD),
            NORTHUMBERLAND: Told(INTERVIEW_BETWEEN_COUNCILS, INTERVIEW_WITHHELD),
        },
        (
            _served(NORTHUMBRIA_POLICE, INTERVIEW_TO_POLICE),
            _publisher(NEWCASTLE, INTERVIEW_BETWEEN_COUNCILS),
        ),
        stops=(EpisodeRef(source_for_agency(NEWCASTLE), "MIS-2026-0001"),),
    ),
    # --- placements ----------------------------------------------------------------------------
    Golden(
        "durham-childrens: places its child in Northumberland",
        documented_from(DURHAM, "placement.started", **DURHAM_PLACES_IN_NORTHUMBERLAND),
        EMPTY,
        {
            NORTHUMBERLAND: Told(PLACEMENT, PLACEMENT_WITHHELD),
            NORTHUMBRIA_POLICE: Told(PLACEMENT, PLACEMENT_WITHHELD),
            DURHAM_POLICE: Told(PLACEMENT, PLACEMENT_WITHHELD),
        },
        (_unmet(CLAIM, "claim_conflicts"),),
        placement=PlacementChange("PL-2026-0007", ActivePlacement("PL-2026-0007", "840", "929")),
    ),
    Golden(
        "synthetic-care-homes (registered by Durham): places Durham's child in Northumberland",
        documented_from(PROVIDER, "placement.started", **DURHAM_PLACES_IN_NORTHUMBERLAND),
        EMPTY,
        {
            NORTHUMBERLAND: Told(PLACEMENT, PLACEMENT_WITHHELD),
            NORTHUMBRIA_POLICE: Told(PLACEMENT, PLACEMENT_WITHHELD),
            DURHAM_POLICE: Told(PLACEMENT, PLACEMENT_WITHHELD),
        },
        (_unmet(CLAIM, "claim_conflicts"),),
        placement=PlacementChange("PL-2026-0007", ActivePlacement("PL-2026-0007", "840", "929")),
    ),
    Golden(
        "durham-childrens: ends its child's placement in Northumberland",
        _placement_ended_in_northumberland(DURHAM),
        DURHAM_IN_NORTHUMBERLAND,
        {
            NORTHUMBERLAND: Told(PLACEMENT, ENDED_WITHHELD),
            NORTHUMBRIA_POLICE: Told(PLACEMENT, ENDED_WITHHELD),
            DURHAM_POLICE: Told(PLACEMENT, ENDED_WITHHELD),
        },
        (_unmet(CLAIM, "claim_conflicts"),),
        placement=PlacementChange("PL-2026-0006", None),
    ),
    # A confidential placement names no host: no host council is told, and none is remembered.
    Golden(
        "northumberland-childrens: a confidential placement",
        _confidential_placement(),
        EMPTY,
        {NORTHUMBRIA_POLICE: Told(PLACEMENT, (NHS, UPN, "data.person.resident_la"))},
        (
            _no_host(PLACEMENT),
            _served(NORTHUMBRIA_POLICE, PLACEMENT),
            _unmet(CLAIM, "claim_conflicts"),
        ),
        placement=PlacementChange("PL-2026-0007", ActivePlacement("PL-2026-0007", "929", None)),
    ),
    # The case: Gateshead claims to have placed Durham's child: nothing changes, and
    # only the responsible council (Durham) is alerted.
    Golden(
        "gateshead-childrens: a forged placement of Durham's child in Gateshead",
        documented_from(
            GATESHEAD,
            "placement.started",
            data__placing_la="390",
            data__person__responsible_la="390",
            data__person__resident_la="390",
            data__host_la="390",
            data__out_of_area=False,
            data__placement_postcode="NE8 1XX",
        ),
        DURHAM_IN_NORTHUMBERLAND,
        {DURHAM: Told(CLAIM, shares=CLAIM_SHARES)},
        (_unmet(PLACEMENT, "claim_conflicts"),),
    ),
    # A provider registered by Durham and Newcastle cannot place Northumberland's child.
    Golden(
        "synthetic-care-homes: a placement for a council that did not register it",
        documented_from(PROVIDER, "placement.started"),
        EMPTY,
        {NORTHUMBERLAND: Told(CLAIM, shares=CLAIM_SHARES)},
        (_unmet(PLACEMENT, "claim_conflicts"),),
    ),
    # --- concerns ------------------------------------------------------------------------------
    # The cases: a police CCN about the placed child reaches the responsible and host
    # councils; the school's view has no UPN to match, so it is refused, not sent.
    Golden(
        "northumbria-police: a CCN about Durham's child placed in Northumberland",
        documented_example("concern.raised", data__person__responsible_la="840"),
        DURHAM_IN_NORTHUMBERLAND,
        {NORTHUMBERLAND: Told(CCN), DURHAM: Told(CCN)},
        (
            _served(NORTHUMBERLAND, CCN),
            _no_upn(NORTHUMBERLAND_EDUCATION, CCN_TO_SCHOOL),
            _unmet(ACN, "adult"),
        ),
    ),
    Golden(
        "northumbria-police: a CCN with a UPN about a pupil of Synthetic Academy",
        documented_example(
            "concern.raised", data__person__upn=VALID_UPN, data__person__school_urn="100001"
        ),
        EMPTY,
        {
            NORTHUMBERLAND: Told(CCN),
            SYNTHETIC_ACADEMY: Told(CCN_TO_SCHOOL, shares=CCN_TO_SCHOOL_SHARES),
        },
        (_no_responsible(CCN), _no_host(CCN), _unmet(ACN, "adult")),
    ),
    Golden(
        "northumbria-police: an ACN about a Gateshead adult",
        documented_example("concern.raised", **ADULT, data__person__resident_la="390"),
        EMPTY,
        {GATESHEAD_ADULTS: Told(ACN)},
        (
            _unmet(CCN, "child"),
            _unmet(CCN_TO_SCHOOL, "child"),
            _no_responsible(ACN, "responsible_authority:children_services"),
        ),
    ),
    Golden(
        "northumbria-police: an ACN about a Durham care leaver living in Newcastle",
        documented_example(
            "concern.raised",
            **ADULT,
            data__person__resident_la="391",
            data__person__responsible_la="840",
        ),
        EMPTY,
        {NEWCASTLE_ADULTS: Told(ACN), DURHAM: Told(ACN)},
        (_unmet(CCN, "child"), _unmet(CCN_TO_SCHOOL, "child")),
    ),
    Golden(
        "northumberland-adults: an SE concern about a Northumberland adult",
        documented_from(NORTHUMBERLAND_ADULTS, "concern.raised", **ADULT),
        EMPTY,
        {NORTHUMBRIA_POLICE: Told(ADULT_SE)},
        (_unmet(ADULT_TRAFFICKING, "data.markers.trafficking_modern_slavery"),),
    ),
    Golden(
        "sunderland-adults: a trafficking concern about a Sunderland adult",
        documented_from(
            SUNDERLAND_ADULTS,
            "concern.raised",
            **ADULT,
            data__person__resident_la="394",
            data__markers__sexual_exploitation=False,
            data__markers__trafficking_modern_slavery=True,
        ),
        EMPTY,
        {NORTHUMBRIA_POLICE: Told(ADULT_TRAFFICKING)},
        (_unmet(ADULT_SE, "data.markers.sexual_exploitation"),),
    ),
    Golden(
        "northumberland-adults: an SE and trafficking concern is told to the police once",
        documented_from(
            NORTHUMBERLAND_ADULTS,
            "concern.raised",
            **ADULT,
            data__markers__trafficking_modern_slavery=True,
        ),
        EMPTY,
        {NORTHUMBRIA_POLICE: Told(ADULT_SE)},
        (_served(NORTHUMBRIA_POLICE, ADULT_TRAFFICKING, ADULT_SE),),
    ),
    # A council publishes about its own people only.
    Golden(
        "northumberland-adults: an SE concern about a Sunderland adult reaches nobody",
        documented_from(
            NORTHUMBERLAND_ADULTS, "concern.raised", **ADULT, data__person__resident_la="394"
        ),
        EMPTY,
        {},
        (
            _unmet(ADULT_SE, "publisher_is resident_authority or responsible_authority"),
            _unmet(ADULT_TRAFFICKING, "publisher_is resident_authority or responsible_authority"),
            (
                None,
                None,
                "no rule allows uk.sehub.concern.raised.v1 from northumberland-adults",
            ),
        ),
    ),
    # --- SE risk -------------------------------------------------------------------------------
    Golden(
        "durham-childrens: a high SE risk to its child at home",
        documented_from(DURHAM, "se_risk.assessed", **AT_HOME_IN_DURHAM),
        EMPTY,
        {
            DURHAM_POLICE: Told(RISK_TO_POLICE, RISK_WITHHELD_FROM_POLICE),
            DURHAM_EDUCATION: Told(RISK_TO_SCHOOL, shares=SCHOOL_RISK),
            DURHAM_HEALTH: Told(RISK_TO_HEALTH, shares=HEALTH_RISK),
        },
        (_served(DURHAM_POLICE, RISK_TO_POLICE), _unmet(RISK_TO_HOST, "cross_border")),
        told=(
            RiskTold(DURHAM_EDUCATION, RISK_TO_SCHOOL, 3, on_rmg=True),
            RiskTold(DURHAM_HEALTH, RISK_TO_HEALTH, 3, on_rmg=True),
        ),
    ),
    Golden(
        "northumberland-childrens: a medium SE risk to its child placed in Newcastle",
        documented_example(
            "se_risk.assessed",
            **MEDIUM,
            data__person__resident_la="391",
            data__person__responsible_la="929",
        ),
        NORTHUMBERLAND_IN_NEWCASTLE,
        {
            NORTHUMBRIA_POLICE: Told(RISK_TO_POLICE, RISK_WITHHELD_FROM_POLICE),
            NEWCASTLE: Told(RISK_TO_HOST, RISK_WITHHELD_FROM_POLICE),
            NEWCASTLE_EDUCATION: Told(RISK_TO_SCHOOL, shares=SCHOOL_RISK),
        },
        (
            _served(NORTHUMBRIA_POLICE, RISK_TO_POLICE),
            _unmet(RISK_TO_HEALTH, "risk_at_least high"),
        ),
        told=(RiskTold(NEWCASTLE_EDUCATION, RISK_TO_SCHOOL, 2, on_rmg=True),),
    ),
    Golden(
        "sunderland-adults: a high SE risk to a Sunderland adult",
        documented_from(
            SUNDERLAND_ADULTS,
            "se_risk.assessed",
            data__person__date_of_birth="1998-02-14",
            data__person__resident_la="394",
        ),
        EMPTY,
        {
            NORTHUMBRIA_POLICE: Told(RISK_TO_POLICE, RISK_WITHHELD_FROM_POLICE),
            SUNDERLAND_HEALTH: Told(RISK_TO_HEALTH, shares=HEALTH_RISK),
        },
        (_no_responsible_force(RISK_TO_POLICE),),
        told=(RiskTold(SUNDERLAND_HEALTH, RISK_TO_HEALTH, 3, on_rmg=True),),
    ),
    # Nobody was told of more: a low risk reaches the police only.
    Golden(
        "durham-childrens: a low SE risk, off the RMG, nobody told of more",
        documented_from(DURHAM, "se_risk.assessed", **AT_HOME_IN_DURHAM, **LOW_OFF_RMG),
        EMPTY,
        {DURHAM_POLICE: Told(RISK_TO_POLICE, RISK_WITHHELD_FROM_POLICE)},
        (
            _served(DURHAM_POLICE, RISK_TO_POLICE),
            _unmet(RISK_TO_HOST, "cross_border"),
            _unmet(RISK_TO_SCHOOL, "risk_at_least medium"),
            _unmet(RISK_TO_HEALTH, "risk_at_least high"),
        ),
    ),
    # The school and health told of a high risk hear that it fell, under the rules that told them.
    Golden(
        "durham-childrens: a low SE risk, off the RMG, after school and health heard high",
        documented_from(DURHAM, "se_risk.assessed", **AT_HOME_IN_DURHAM, **LOW_OFF_RMG),
        RoutingState(
            told=(
                RiskTold(DURHAM_EDUCATION, RISK_TO_SCHOOL, 3, on_rmg=True),
                RiskTold(DURHAM_HEALTH, RISK_TO_HEALTH, 3, on_rmg=True),
            )
        ),
        {
            DURHAM_POLICE: Told(RISK_TO_POLICE, RISK_WITHHELD_FROM_POLICE),
            DURHAM_EDUCATION: Told(RISK_TO_SCHOOL, shares=SCHOOL_RISK, withdrawal=True),
            DURHAM_HEALTH: Told(RISK_TO_HEALTH, shares=HEALTH_RISK, withdrawal=True),
        },
        (
            _served(DURHAM_POLICE, RISK_TO_POLICE),
            _unmet(RISK_TO_HOST, "cross_border"),
            _unmet(RISK_TO_SCHOOL, "risk_at_least medium"),
            _unmet(RISK_TO_HEALTH, "risk_at_least high"),
        ),
        told=(
            RiskTold(DURHAM_EDUCATION, RISK_TO_SCHOOL, 1, on_rmg=False),
            RiskTold(DURHAM_HEALTH, RISK_TO_HEALTH, 1, on_rmg=False),
        ),
    ),
    # --- education concerns --------------------------------------------------------------------
    Golden(
        "northumberland-education: a Northumberland pupil on a part-time timetable",
        documented_example("education.concern_raised"),
        EMPTY,
        {NORTHUMBERLAND: Told(EDUCATION_CONCERN)},
        (_no_responsible(EDUCATION_CONCERN, "responsible_authority:children_services"),),
    ),
    Golden(
        "northumberland-education (host): Durham's child placed in Northumberland",
        documented_example("education.concern_raised", data__person__responsible_la="840"),
        DURHAM_IN_NORTHUMBERLAND,
        {NORTHUMBERLAND: Told(EDUCATION_CONCERN), DURHAM: Told(EDUCATION_CONCERN)},
    ),
]
BY_NAME = {golden.name: golden for golden in GOLDEN}


@pytest.fixture(scope="module")
def shipped() -> Protocol:
    """The partnership protocol as shipped."""
    return shipped_protocol()


def _decide(golden: Golden, protocol: Protocol) -> Decision:
    return decide(parse_notification(golden.event), protocol, NOW, golden.state)


def _dumped(event: dict[str, Any]) -> dict[str, Any]:
    dumped: dict[str, Any] = parse_notification(event).model_dump(mode="json", exclude_none=True)
    return dumped


def _value_at(node: Any, path: str) -> Any:
    for part in path.split("."):
        node = node[part]
    return node


def test_the_golden_table_covers_every_shipped_rule_and_clock(shipped: Protocol) -> None:
    """Every rule serves someone in some golden row, and every clock is started and stopped."""
    serving = {told.rule for golden in GOLDEN for told in golden.views.values()}
    started = {clock for golden in GOLDEN for clock in golden.starts}

    assert serving == {rule.id for rule in shipped.rules}
    assert set(RULES) == {rule.id for rule in shipped.rules}
    assert started == {clock.id for clock in shipped.clocks}
    assert any(golden.stops for golden in GOLDEN)


@pytest.mark.parametrize("golden", GOLDEN, ids=[golden.name for golden in GOLDEN])
def test_shipped_protocol_golden_decisions(shipped: Protocol, golden: Golden) -> None:
    """Exactly the expected recipients are told, under the expected rule, basis and deadline,
    with exactly the expected data shared and withheld; every refusal is the expected one."""
    decision = _decide(golden, shipped)
    views = {view.recipient: view for view in decision.views}
    event = _dumped(golden.event)
    leaves = leaf_paths(event)
    envelope = {leaf for leaf in leaves if "." not in leaf and leaf != "subject"}
    data_leaves = {leaf for leaf in leaves if leaf.startswith("data.")}
    rules = {rule.id: rule for rule in shipped.rules}

    assert len(views) == len(decision.views)
    assert {r: v.receipt.rule_id for r, v in views.items()} == {
        recipient: told.rule for recipient, told in golden.views.items()
    }, decision.refusals
    for recipient, told in golden.views.items():
        view = views[recipient]
        basis, deadline, ladder = RULES[told.rule]
        shared, withheld = told.split(data_leaves)
        assert view.receipt.lawful_basis == basis, recipient
        assert view.receipt.acknowledge_by == deadline, recipient
        assert view.receipt.protocol_version == shipped.version_tag
        assert view.receipt.purpose == rules[told.rule].purpose
        assert view.receipt.withdrawal is told.withdrawal, recipient
        assert view.shared == tuple(sorted(envelope | shared)), recipient
        assert view.receipt.withheld == tuple(sorted(withheld)), recipient
        assert all(_value_at(view.event, p) == _value_at(event, p) for p in view.shared)
        assert {step.ladder for step in view.escalations} == ({ladder} if ladder else set())

    assert [(r.recipient, r.rule_id, r.reason) for r in decision.refusals] == list(golden.refusals)
    assert {
        start.clock_id: (start.due_at, tuple(alert.recipient for alert in start.alerts))
        for start in decision.clocks_started
    } == golden.starts
    assert tuple(stop.episode for stop in decision.clocks_stopped) == golden.stops
    assert {stop.clock_id for stop in decision.clocks_stopped} <= {CLOCK}
    assert decision.placement == golden.placement
    assert decision.told == golden.told


def test_the_return_interview_clock_alerts_carry_only_its_fields(shipped: Protocol) -> None:
    """The clock's alerts withhold what its field list does not name, under its own basis."""
    golden = BY_NAME["durham-childrens: its child placed in Northumberland comes back"]
    (start,) = _decide(golden, shipped).clocks_started
    clock = shipped.clocks[0]

    assert start.fires_at_once is False
    for alert in start.alerts:
        assert alert.receipt.rule_id == CLOCK
        assert alert.receipt.lawful_basis == clock.lawful_basis
        assert alert.receipt.acknowledge_by == RETURN_INTERVIEW_DUE + timedelta(days=1)
        assert alert.receipt.withheld == (
            "data.found_location",
            "data.person.date_of_birth",
            NHS,
            "data.person.sex",
            UPN,
        )


# --- nobody else is told -------------------------------------------------------------------------


def _persons_councils(golden: Golden) -> set[str]:
    """The LAs the person has, read off the event and state: where they live, who is
    responsible for them, who hosts their placement."""
    data = _dumped(golden.event)["data"]
    person = data["person"]
    placements = golden.state.placements
    las = {person["resident_la"], person.get("responsible_la"), data.get("placing_la")}
    if data.get("out_of_area") is True:
        las.add(data.get("host_la"))
    las |= {p.placing_la for p in placements} | {p.host_la for p in placements}
    return {la for la in las if la is not None}


@pytest.mark.parametrize("golden", GOLDEN, ids=[golden.name for golden in GOLDEN])
def test_nothing_goes_to_a_council_or_force_that_is_not_the_persons(
    shipped: Protocol, golden: Golden
) -> None:
    """Every council, force or health body told is one of the person's own (where they live,
    who is responsible, who hosts them), or serves one of those areas; never any other."""
    councils = _persons_councils(golden)
    strangers = []
    for view in _decide(golden, shipped).views:
        party = shipped.party(view.recipient)
        if party.kind is PartyKind.SCHOOL:
            continue  # reached by the pupil's own URN
        if not any(party.covers(la) for la in councils):
            strangers.append(view.recipient)

    assert strangers == []


def test_after_the_placement_ends_the_former_host_hears_of_nothing() -> None:
    """With the placement ended, neither the host's children's nor its education services
    hear of Durham's, or the police's, next report about the child."""
    councils = documented_from(DURHAM, "missing_episode.started", **AT_HOME_IN_DURHAM)
    police = documented_from(NORTHUMBRIA_POLICE, "missing_episode.started", **AT_HOME_IN_DURHAM)
    northumberland = {NORTHUMBERLAND, NORTHUMBERLAND_EDUCATION, NORTHUMBERLAND_ADULTS}

    for event in (councils, police):
        told = {
            view.recipient
            for view in decide(parse_notification(event), shipped_protocol(), NOW).views
        }
        assert told, event["source"]
        assert not told & northumberland, event["source"]


@pytest.mark.parametrize(
    ("state", "told"),
    [(EMPTY, False), (DURHAM_IN_NORTHUMBERLAND, True)],
    ids=["no-placement", "placed-in-northumberland"],
)
@pytest.mark.parametrize("type_name", ["missing_episode.started", "missing_episode.ended"])
def test_the_host_council_hears_of_missing_episodes_only_while_placed(
    shipped: Protocol, state: RoutingState, told: bool, type_name: str
) -> None:
    """Northumberland hears that Durham's child went missing or came back only while the
    child is placed there; no other council ever hears of it."""
    event = documented_from(
        DURHAM, type_name, data__person__resident_la="840", data__person__responsible_la="840"
    )
    decision = decide(parse_notification(event), shipped, NOW, state)
    councils = {
        view.recipient: view.receipt.rule_id
        for view in decision.views
        if shipped.party(view.recipient).kind is PartyKind.CHILDREN_SERVICES
    }

    assert councils == ({NORTHUMBERLAND: BETWEEN_COUNCILS} if told else {})


@pytest.mark.parametrize(
    "state", [EMPTY, NORTHUMBERLAND_IN_NEWCASTLE], ids=["no-placement", "placed-elsewhere"]
)
@pytest.mark.parametrize(
    "event",
    [
        _confidential_placement(),
        documented_example("placement.started", data__host_la="929", data__out_of_area=False),
    ],
    ids=["confidential", "in-area"],
)
def test_a_placement_that_is_not_out_of_area_reaches_no_host(
    shipped: Protocol, state: RoutingState, event: dict[str, Any]
) -> None:
    """A confidential or in-area placement is told to the police only, whatever came before."""
    decision = decide(parse_notification(event), shipped, NOW, state)

    assert {view.recipient for view in decision.views} == {NORTHUMBRIA_POLICE}
