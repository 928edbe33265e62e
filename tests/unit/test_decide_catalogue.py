"""Golden tests of decide() for the shipped protocol's rules over every documented notification,
and of rule conditions (``when``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hub.sharing import Refusal, decide
from protocols import Protocol, load_protocol, parse_protocol
from schemas import parse_notification
from tests.unit.builders import DELETE, documented_example

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)  # a Sunday, GMT
NEXT_SCHOOL_DAY_0830 = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)  # Monday 08:30 GMT
POLICE = "northumbria-police"
CHILDRENS = "northumberland-childrens"
ADULTS = "northumberland-adults"
EDUCATION = "northumberland-education"
HEALTH = "northumbria-healthcare"
NEWCASTLE = "newcastle-childrens"
ADULT_DATE_OF_BIRTH = "1998-02-14"


@pytest.fixture(scope="module")
def shipped() -> Protocol:
    return load_protocol(ROOT / "protocols" / "northumberland.yaml")


_example = documented_example


def _routes(event: dict[str, Any], protocol: Protocol) -> dict[str, tuple[str, tuple[str, ...]]]:
    decision = decide(parse_notification(event), protocol, NOW)
    return {v.recipient: (v.receipt.rule_id, v.receipt.lawful_basis) for v in decision.views}


TO_POLICE = "missing-child-from-council-to-police"
TO_SCHOOL = "missing-pupil-to-school-from-council"
PLACEMENT = "placement-to-host-area"
CCN = "child-concern-from-police-to-councils"
ACN = "adult-concern-from-police-to-adult-services"
ADULTS_AS_PUBLISHER = "urn:sehub:agency:northumberland-adults"

GOLDEN = [
    # The documented child lives in Northumberland, which looks after her.
    ("missing_episode.started", {}, {POLICE: TO_POLICE, EDUCATION: TO_SCHOOL}),
    ("missing_episode.ended", {}, {POLICE: TO_POLICE, EDUCATION: TO_SCHOOL}),
    ("return_interview.recorded", {}, {POLICE: "return-interview-to-police"}),
    # The documented placement is out of area in Newcastle (391): its host authority is told.
    ("placement.started", {}, {POLICE: PLACEMENT, NEWCASTLE: PLACEMENT}),
    # The documented placement ending is confidential: no host authority.
    ("placement.ended", {}, {POLICE: PLACEMENT}),
    # The documented CCN carries no UPN: its school view is refused (the golden tests say why).
    ("concern.raised", {}, {CHILDRENS: CCN}),
    (
        "concern.raised",
        {"data__person__upn": "H801200001001"},
        {CHILDRENS: CCN, EDUCATION: "child-se-concern-to-school"},
    ),
    ("concern.raised", {"data__markers__sexual_exploitation": False}, {CHILDRENS: CCN}),
    # Child or adult comes from the date of birth first, so an ACN carries an adult's.
    (
        "concern.raised",
        {"data__subject": "adult", "data__person__date_of_birth": ADULT_DATE_OF_BIRTH},
        {ADULTS: ACN},
    ),
    (
        "concern.raised",
        {"data__subject": "adult", "data__person__date_of_birth": DELETE},
        {ADULTS: ACN},
    ),
    (
        "concern.raised",
        {
            "source": ADULTS_AS_PUBLISHER,
            "data__subject": "adult",
            "data__person__date_of_birth": ADULT_DATE_OF_BIRTH,
        },
        {POLICE: "adult-exploitation-concern-to-police"},
    ),
    # Adult services' concern about someone who is a child by their date of birth: no one.
    ("concern.raised", {"source": ADULTS_AS_PUBLISHER, "data__subject": "adult"}, {}),
    (
        "concern.raised",
        {
            "source": ADULTS_AS_PUBLISHER,
            "data__subject": "adult",
            "data__person__date_of_birth": ADULT_DATE_OF_BIRTH,
            "data__markers__sexual_exploitation": False,
            "data__markers__trafficking_modern_slavery": True,
        },
        {POLICE: "adult-trafficking-concern-to-police"},
    ),
    # A high risk to a Northumberland child: police, the child's school and health are told.
    (
        "se_risk.assessed",
        {},
        {
            POLICE: "se-risk-to-police",
            EDUCATION: "se-risk-to-school",
            HEALTH: "se-risk-to-health",
        },
    ),
    (
        "se_risk.assessed",
        {"data__checklist_score": 1, "data__risk_level": "low", "data__rmg_status": "removed"},
        {POLICE: "se-risk-to-police"},
    ),
    ("education.concern_raised", {}, {CHILDRENS: "education-concern-to-childrens-services"}),
]


@pytest.mark.parametrize(("type_name", "changes", "expected"), GOLDEN)
def test_shipped_rules_route_each_documented_notification(
    shipped: Protocol, type_name: str, changes: dict[str, Any], expected: dict[str, str]
) -> None:
    """Each documented notification (and its variants) reaches exactly the expected recipients."""
    routes = _routes(_example(type_name, **changes), shipped)
    assert {recipient: rule for recipient, (rule, _) in routes.items()} == expected
    assert all(basis for _, basis in routes.values())


def test_a_date_of_birth_outranks_the_stated_subject(shipped: Protocol) -> None:
    """A concern marked ``adult`` about someone aged 16 at the time routes as a child's."""
    routes = _routes(_example("concern.raised", data__subject="adult"), shipped)
    assert {recipient: rule for recipient, (rule, _) in routes.items()} == {CHILDRENS: CCN}


def test_education_gets_only_the_pupil_and_the_level_of_risk(shipped: Protocol) -> None:
    """The school's view of an SE risk assessment holds the UPN, date, level, RMG status, review
    date and whether there is a plan: never why (score, markers, judgement)."""
    decision = decide(parse_notification(_example("se_risk.assessed")), shipped, NOW)
    schools = [v for v in decision.views if v.recipient == EDUCATION]
    assert len(schools) == 1, f"the school was not told; refusals: {decision.refusals}"
    (school,) = schools
    assert school.event["data"] == {
        "person": {"upn": "H801200001001"},
        "assessed_on": "2026-11-25",
        "risk_level": "high",
        "rmg_status": "added",
        "review_on": "2027-01-06",
        "plan_in_place": True,
    }
    assert "data.checklist_score" in school.receipt.withheld
    assert "data.markers.sexual_exploitation" in school.receipt.withheld
    assert school.receipt.acknowledge_by == NEXT_SCHOOL_DAY_0830


def test_unmet_condition_is_recorded_as_a_refusal(shipped: Protocol) -> None:
    """A rule whose condition fails does not apply, and the decision says which condition failed."""
    decision = decide(parse_notification(_example("concern.raised")), shipped, NOW)

    unmet = [r for r in decision.refusals if r.reason.startswith("condition not met")]
    assert unmet == [Refusal(None, ACN, "condition not met: adult")]
    assert not [view for view in decision.views if view.receipt.rule_id == ACN]


def _protocol_with_condition(when: str) -> Protocol:
    text = f"""
id: t
title: t
version: "1"
parties:
  - {{id: {POLICE}, name: Police, kind: police, areas: ["929"]}}
  - {{id: {CHILDRENS}, name: Children, kind: children_services, la_code: "929"}}
rules:
  - id: r
    types: [uk.sehub.concern.raised.v1]
    publishers: [{POLICE}]
    recipients: [{CHILDRENS}]
    when: {when}
    fields: [data.grading]
    purpose: p
    lawful_basis: [b]
    retention: P1Y
"""
    return parse_protocol(text.encode())


@pytest.mark.parametrize(
    ("when", "shared"),
    [
        ("{match: {data.grading: high}}", True),
        ("{match: {data.grading: low}}", False),
        ("{match: {data.grading: [low, high]}}", True),
        ("{match: {data.markers.missing: true}}", True),
        ("{match: {data.markers.missing: 1}}", False),
        ("{match: {data.no_such_field: high}}", False),
        ("{match: {data.grading: high, data.subject: adult}}", False),
        ("{child: true, match: {data.grading: high}}", True),
        ("{adult: true, match: {data.grading: high}}", False),
    ],
)
def test_conditions_match_values_exactly(when: str, shared: bool) -> None:
    """Conditions compare by value and type; lists mean any of; a missing path never matches."""
    decision = decide(
        parse_notification(_example("concern.raised")), _protocol_with_condition(when), NOW
    )
    assert bool(decision.views) is shared


def test_a_neighbours_placement_in_another_neighbour_reaches_both_and_their_forces(
    shipped: Protocol,
) -> None:
    """Durham placing its child in Cumberland is the partnership's business: Cumberland and
    its force, and Durham's force, are told; no council of the Northumbria area is."""
    event = _example(
        "placement.started",
        source="urn:sehub:agency:durham-childrens",
        data__placing_la="840",
        data__person__responsible_la="840",
        data__person__resident_la="942",
        data__host_la="942",
    )
    decision = decide(parse_notification(event), shipped, NOW)

    assert {view.recipient: view.receipt.rule_id for view in decision.views} == {
        "cumberland-childrens": PLACEMENT,
        "cumbria-constabulary": PLACEMENT,
        "durham-constabulary": PLACEMENT,
    }
