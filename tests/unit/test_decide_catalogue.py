"""Golden tests of decide() for the shipped protocol's rules over every documented notification,
and of rule conditions (``when``)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hub.sharing import decide
from protocols import Protocol, load_protocol, parse_protocol
from schemas import parse_notification

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
POLICE = "northumbria-police"
CHILDRENS = "northumberland-childrens"
ADULTS = "northumberland-adults"
EDUCATION = "northumberland-education"


@pytest.fixture(scope="module")
def shipped() -> Protocol:
    return load_protocol(ROOT / "protocols" / "northumberland.yaml")


def _examples() -> dict[str, dict[str, Any]]:
    text = (ROOT / "docs" / "notifications.md").read_text(encoding="utf-8")
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", text, flags=re.S)]
    return {block["type"]: block for block in blocks}


def _example(type_name: str, **changes: Any) -> dict[str, Any]:
    event = json.loads(json.dumps(_examples()[f"uk.sehub.{type_name}.v1"]))
    for path, value in changes.items():
        node = event
        *parents, leaf = path.split("__")
        for part in parents:
            node = node[part]
        node[leaf] = value
    return event


def _routes(event: dict[str, Any], protocol: Protocol) -> dict[str, tuple[str, tuple[str, ...]]]:
    decision = decide(parse_notification(event), protocol, NOW)
    return {v.recipient: (v.receipt.rule_id, v.receipt.lawful_basis) for v in decision.views}


GOLDEN = [
    ("return_interview.recorded", {}, {POLICE: "return-interview-to-police"}),
    ("placement.started", {}, {POLICE: "placement-to-police"}),
    ("placement.ended", {}, {POLICE: "placement-to-police"}),
    (
        "concern.raised",
        {},
        {
            CHILDRENS: "child-concern-to-childrens-services",
            EDUCATION: "child-se-concern-to-education",
        },
    ),
    (
        "concern.raised",
        {"data__markers__sexual_exploitation": False},
        {CHILDRENS: "child-concern-to-childrens-services"},
    ),
    ("concern.raised", {"data__subject": "adult"}, {ADULTS: "adult-concern-to-adult-services"}),
    (
        "concern.raised",
        {"source": "urn:sehub:agency:northumberland-adults", "data__subject": "adult"},
        {POLICE: "adult-se-concern-to-police"},
    ),
    (
        "concern.raised",
        {
            "source": "urn:sehub:agency:northumberland-adults",
            "data__subject": "adult",
            "data__markers__sexual_exploitation": False,
            "data__markers__trafficking_modern_slavery": True,
        },
        {POLICE: "adult-trafficking-concern-to-police"},
    ),
    (
        "se_risk.assessed",
        {},
        {POLICE: "se-risk-to-police", EDUCATION: "se-risk-to-education"},
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


def test_education_gets_only_the_pupil_and_the_level_of_risk(shipped: Protocol) -> None:
    """The school's view of an SE risk assessment holds the UPN, date, level and RMG status only."""
    decision = decide(parse_notification(_example("se_risk.assessed")), shipped, NOW)
    (school,) = [v for v in decision.views if v.recipient == EDUCATION]
    assert school.event["data"] == {
        "person": {"upn": "H801200001001"},
        "assessed_on": "2026-11-25",
        "risk_level": "high",
        "rmg_status": "added",
    }
    assert "data.checklist_score" in school.receipt.withheld
    assert "data.markers.sexual_exploitation" in school.receipt.withheld
    assert school.receipt.acknowledge_by == NOW + timedelta(days=1)


def test_unmet_condition_is_recorded_as_a_refusal(shipped: Protocol) -> None:
    """A rule whose condition fails does not apply, and the decision says which path failed."""
    decision = decide(parse_notification(_example("concern.raised")), shipped, NOW)
    reasons = {(r.rule_id, r.reason) for r in decision.refusals}
    assert ("adult-concern-to-adult-services", "condition not met: data.subject") in reasons


def _protocol_with_condition(when: str) -> Protocol:
    text = f"""
id: t
title: t
version: "1"
parties: [{POLICE}, {CHILDRENS}]
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
        ("{data.grading: high}", True),
        ("{data.grading: low}", False),
        ("{data.grading: [low, high]}", True),
        ("{data.markers.missing: true}", True),
        ("{data.markers.missing: 1}", False),
        ("{data.no_such_field: high}", False),
        ("{data.grading: high, data.subject: adult}", False),
    ],
)
def test_conditions_match_values_exactly(when: str, shared: bool) -> None:
    """Conditions compare by value and type; lists mean any of; a missing path never matches."""
    decision = decide(
        parse_notification(_example("concern.raised")), _protocol_with_condition(when), NOW
    )
    assert bool(decision.views) is shared
