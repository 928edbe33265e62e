"""An explanation is the decision rendered: it can never disagree with what ``decide`` did.

Each test compares an explanation (from the function, the CLI or the HTTP endpoint) with a
decision computed separately by :func:`hub.sharing.decide` on the same inputs.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from hub.audit import AuditAction
from hub.cli import main
from hub.pseudonyms import Pseudonymiser
from hub.routing import Router
from hub.sharing import (
    Decision,
    RiskTold,
    RoutingState,
    View,
    decide,
    explain,
    simulate,
    simulated_placement,
)
from protocols import Protocol, load_protocol
from schemas import Notification, parse_notification
from tests.fakes import (
    FakeAuditLog,
    FakePublisher,
    FakeRoutingStore,
    FakeSubjectKeys,
    FixedClock,
    provisioned_keys,
)
from tests.unit.builders import (
    POLICE,
    PROTOCOL_PATH,
    REPO_ROOT,
    documented_example,
    documented_examples,
    generated_notifications,
)
from tests.unit.conftest import ADMIN_TOKEN

_RISK_NAMES = {0: "no_apparent_risk", 1: "low", 2: "medium", 3: "high"}
# The regions a child of the partnership may be placed in, and outside England.
_PLACED_IN = (None, "929", "391", "840", "942", "S12000026", "SCO")
_SHIPPED = load_protocol(PROTOCOL_PATH)


@pytest.fixture(scope="module")
def shipped() -> Protocol:
    return _SHIPPED


def _state(placed_in: str | None, event: dict[str, Any]) -> RoutingState:
    if placed_in is None:
        return RoutingState()
    return simulated_placement(parse_notification(event), placed_in, _SHIPPED)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _view(view: View) -> dict[str, Any]:
    """What an explanation must say of one view (a recipient's copy, or a clock's alert)."""
    return {
        "agency": view.recipient,
        "rule": view.receipt.rule_id,
        "lawful_basis": list(view.receipt.lawful_basis),
        "fields_shared": list(view.shared),
        "fields_withheld": list(view.receipt.withheld),
        "acknowledge_by": _iso(view.receipt.acknowledge_by),
        "withdrawal": view.receipt.withdrawal,
        "escalations": [
            {
                "step": step.step,
                "agency": step.recipient,
                "addressed_to": step.addressed_to,
                "due_at": _iso(step.due_at),
                "notify_sender": step.notify_sender,
            }
            for step in view.escalations
        ],
    }


def _expected(decision: Decision) -> dict[str, Any]:
    """What an explanation must say, read straight off the decision."""
    facts = decision.facts
    return {
        "remembered_risks": [
            {
                "agency": told.recipient,
                "rule": told.rule_id,
                "risk": None if told.level is None else _RISK_NAMES[told.level],
                "on_rmg": told.on_rmg,
            }
            for told in decision.state.told
        ],
        "facts": {
            "child": facts.child,
            "adult": facts.adult,
            "looked_after": facts.looked_after,
            "se_marker": facts.se_marker,
            "cross_border": facts.cross_border,
            "risk": None if facts.risk is None else _RISK_NAMES[facts.risk],
            "responsible_la": facts.responsible_la,
            "host_la": facts.host_la,
            "resident_la": facts.resident_la,
            "area_la": facts.area_la,
            "school_known": facts.school_urn is not None,
            "on_rmg": facts.on_rmg,
            "publisher_is": sorted(authority.value for authority in facts.publisher_is),
            "claim_conflicts": facts.claim_conflicts,
            "late_notice": facts.late_notice,
        },
        "recipients": [_view(view) for view in decision.views],
        "clocks_started": [
            {
                "clock": start.clock_id,
                "due_at": _iso(start.due_at),
                "fires_at_once": start.fires_at_once,
                "alerts": [_view(alert) for alert in start.alerts],
            }
            for start in decision.clocks_started
        ],
        "clocks_stopped": [stop.clock_id for stop in decision.clocks_stopped],
        "not_shared": [
            {"agency": r.recipient, "rule": r.rule_id, "reason": r.reason}
            for r in decision.refusals
        ],
    }


_VIEW_KEYS = (
    "agency",
    "rule",
    "lawful_basis",
    "fields_shared",
    "fields_withheld",
    "acknowledge_by",
    "withdrawal",
    "escalations",
)
_STEP_KEYS = ("step", "agency", "addressed_to", "due_at", "notify_sender")


def _said_of_view(explained: dict[str, Any]) -> dict[str, Any]:
    said = {key: explained[key] for key in _VIEW_KEYS}
    said["escalations"] = [{key: s[key] for key in _STEP_KEYS} for s in explained["escalations"]]
    return said


def _said(document: dict[str, Any]) -> dict[str, Any]:
    """The parts of an explanation document that restate the decision."""
    return {
        "remembered_risks": document["remembered_risks"],
        "facts": document["facts"],
        "recipients": [_said_of_view(r) for r in document["recipients"]],
        "clocks_started": [
            {
                "clock": start["clock"],
                "due_at": start["due_at"],
                "fires_at_once": start["fires_at_once"],
                "alerts": [_said_of_view(alert) for alert in start["alerts"]],
            }
            for start in document["clocks_started"]
        ],
        "clocks_stopped": [stop["clock"] for stop in document["clocks_stopped"]],
        "not_shared": document["not_shared"],
    }


@pytest.mark.parametrize("placed_in", _PLACED_IN)
@pytest.mark.parametrize("event", documented_examples(), ids=lambda e: e["type"])
def test_explaining_a_documented_example_restates_its_decision(
    shipped: Protocol, event: dict[str, Any], placed_in: str | None
) -> None:
    """For every catalogue example, placed anywhere or nowhere, explain says what decide did."""
    notification = parse_notification(event)
    state = _state(placed_in, event)

    document = explain(decide(notification, shipped, notification.time, state), shipped)
    separately = decide(notification, shipped, notification.time, state)

    assert _said(document) == _expected(separately)


@settings(max_examples=200, deadline=None)
@given(
    event=generated_notifications(),
    placed_in=st.sampled_from(_PLACED_IN),
    now=st.datetimes(
        # Hypothesis takes naive bounds; ``timezones`` makes every drawn time aware.
        min_value=datetime(2026, 1, 1),  # noqa: DTZ001
        max_value=datetime(2030, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
)
def test_explaining_any_notification_restates_its_decision(
    event: dict[str, Any], placed_in: str | None, now: datetime
) -> None:
    """For generated notifications, states and clocks, explain says exactly what decide did."""
    shipped = _SHIPPED
    try:
        notification = parse_notification(event)
    except ValidationError:
        assume(False)  # dropping a field a cross-field rule needs makes an invalid event
        raise
    state = _state(placed_in, event)

    document = explain(decide(notification, shipped, now, state), shipped)

    assert _said(document) == _expected(decide(notification, shipped, now, state))
    assert document["active_placements"] == [
        {"episode": p.episode, "placing_la": p.placing_la, "host_la": p.host_la}
        for p in state.placements
    ]


@pytest.mark.parametrize(
    "type_name", ["return_interview.recorded", "se_risk.assessed", "education.concern_raised"]
)
def test_a_record_naming_no_responsible_la_is_explained_with_none(
    shipped: Protocol, type_name: str
) -> None:
    """A council's record naming no responsible LA has none: the publisher's own LA is never
    assumed, and the publisher holds only the resident authority (where the person lives)."""
    notification = parse_notification(documented_example(type_name))
    decision = decide(notification, shipped, notification.time)

    document = explain(decision, shipped)

    assert decision.facts.responsible_la is None
    assert document["facts"]["responsible_la"] is None
    assert document["facts"]["publisher_is"] == ["resident_authority"]
    assert (document["facts"]["resident_la"], document["facts"]["area_la"]) == ("929", "929")


def test_a_placement_is_explained_with_the_claim_it_makes(shipped: Protocol) -> None:
    """The responsible council's placement makes no conflicting claim; another council's does,
    and the explanation says so beside the alert to the responsible council."""
    own = parse_notification(documented_example("placement.started"))
    claimed = parse_notification(
        documented_example("placement.started", source="urn:sehub:agency:durham-childrens")
    )

    mine = explain(decide(own, shipped, own.time), shipped)
    theirs = explain(decide(claimed, shipped, claimed.time), shipped)

    assert (mine["facts"]["claim_conflicts"], mine["facts"]["publisher_is"]) == (
        False,
        ["responsible_authority"],
    )
    assert (theirs["facts"]["claim_conflicts"], theirs["facts"]["publisher_is"]) == (True, [])
    assert [(r["agency"], r["rule"]) for r in theirs["recipients"]] == [
        ("northumberland-childrens", "conflicting-placement-claim-to-responsible-authority")
    ]


def _lowered_risk() -> tuple[Notification, RoutingState]:
    """The documented risk assessment lowered to low and off the RMG, after school and health
    were told it was high on the RMG."""
    event = documented_example("se_risk.assessed", data__risk_level="low", data__checklist_score=1)
    event["data"]["rmg_status"] = "removed"
    told = tuple(
        RiskTold(recipient, rule, 3, on_rmg=True)
        for recipient, rule in (
            ("northumberland-education", "se-risk-to-school"),
            ("northumbria-healthcare", "se-risk-to-health"),
        )
    )
    return parse_notification(event), RoutingState(told=told)


def test_a_withdrawal_is_explained_as_one(shipped: Protocol) -> None:
    """Everyone told of the higher risk is shown told again, marked as a withdrawal, and the
    explanation restates the decision."""
    notification, state = _lowered_risk()
    decision = decide(notification, shipped, notification.time, state)

    document = explain(decision, shipped)

    assert _said(document) == _expected(decision)
    assert {r["agency"]: (r["rule"], r["withdrawal"]) for r in document["recipients"]} == {
        "northumbria-police": ("se-risk-to-police", False),
        "northumberland-education": ("se-risk-to-school", True),
        "northumbria-healthcare": ("se-risk-to-health", True),
    }


def test_the_hub_episode_reference_travels_but_is_never_echoed(shipped: Protocol) -> None:
    """Decided with the hub's episode reference, every view shares ``hubepisode``; the
    explanation names that path and never the reference."""
    notification = parse_notification(documented_example("missing_episode.started"))
    reference = "ep-0123456789abcdef0123456789abcdef"
    decision = decide(notification, shipped, notification.time, episode=reference)

    document = explain(decision, shipped)

    assert decision.views
    assert all(view.event["hubepisode"] == reference for view in decision.views)
    assert all("hubepisode" in r["fields_shared"] for r in document["recipients"])
    assert reference not in json.dumps(document)
    assert _said(document) == _expected(decision)


def test_explaining_with_another_protocol_is_refused(shipped: Protocol) -> None:
    """A decision is rendered only with the protocol that made it, never a different version."""
    notification = parse_notification(documented_example("missing_episode.started"))
    decision = decide(notification, shipped, notification.time)
    other = shipped.model_copy(update={"content_hash": "0" * 64})

    with pytest.raises(ValueError, match="protocol that made it"):
        explain(decision, other)


@pytest.mark.parametrize("event", documented_examples(), ids=lambda e: e["type"])
def test_the_cli_prints_the_decision(
    shipped: Protocol, event: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``hub protocol explain`` prints, for each documented example, what decide decided."""
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    notification = parse_notification(event)

    status = main(["protocol", "explain", str(path), "--protocol", str(PROTOCOL_PATH)])

    assert status == 0
    printed = json.loads(capsys.readouterr().out)
    assert _said(printed) == _expected(decide(notification, shipped, notification.time))


@pytest.mark.parametrize("event", documented_examples(), ids=lambda e: e["type"])
async def test_the_endpoint_returns_the_decision(
    client: TestClient, shipped: Protocol, event: dict[str, Any]
) -> None:
    """``POST /v1/admin/protocol/explain?placed_in=840`` returns what decide decided there."""
    notification = parse_notification(event)
    state = simulated_placement(notification, "840", shipped)

    response = await client.post(
        "/v1/admin/protocol/explain?placed_in=840",
        data=json.dumps(event),
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"},
    )

    assert response.status == 200
    returned = await response.json()
    assert _said(returned) == _expected(decide(notification, shipped, notification.time, state))


@pytest.mark.parametrize("event", documented_examples(), ids=lambda e: e["type"])
async def test_the_router_delivers_and_audits_what_is_explained(
    shipped: Protocol, event: dict[str, Any], tmp_path: Path
) -> None:
    """Routed for real (fake ports), each recipient's receipt and the refusals are as explained."""
    notification = parse_notification(event)
    keys = provisioned_keys(tmp_path / "keys", shipped.party_ids)
    publisher, audit = FakePublisher(), FakeAuditLog()
    router = Router(
        shipped,
        publisher=publisher,
        audit=audit,
        state=FakeRoutingStore(audit),
        subject_keys=FakeSubjectKeys(),
        pseudonyms=Pseudonymiser(b"k" * 32),
        keys=keys,
        clock=FixedClock(notification.time),
    )
    body = json.dumps(event).encode()
    source = notification.source.rsplit(":", 1)[1]
    envelope = keys.seal_source(source, body, message_id=event["id"], now=notification.time)
    await router.route(envelope, None)

    document = simulate(notification, shipped)

    delivered = {}
    for recipient, message in publisher.deliveries:
        opened = json.loads(
            keys.open_delivery(recipient, message.body, now=notification.time).plaintext
        )
        delivered[recipient] = (opened["receipt"]["rule_id"], opened["receipt"]["withheld"])
    explained = {r["agency"]: (r["rule"], r["fields_withheld"]) for r in document["recipients"]}
    assert delivered == explained
    refused = [
        {"agency": e.recipient, "rule": e.rule_id, "reason": e.detail["reason"]}
        for e in audit.entries
        if e.action is AuditAction.SHARING_REFUSED
    ]
    assert refused == document["not_shared"]


def test_a_started_clock_is_explained_with_its_alerts_and_no_episode_id(shipped: Protocol) -> None:
    """The documented ended episode's clock: due time, alerts as recipients, never the episode."""
    event = documented_example("missing_episode.ended")
    notification = parse_notification(event)

    document = explain(decide(notification, shipped, notification.time), shipped)

    (started,) = document["clocks_started"]
    assert started["clock"] == "return-interview-overdue"
    assert (started["episode_of"], started["episode_path"]) == (
        "northumberland-childrens",
        "episodeid",
    )
    assert (started["due_at"], started["fires_at_once"]) == ("2026-12-02T07:30:00Z", False)
    assert [a["agency"] for a in started["alerts"]] == ["northumberland-childrens", POLICE]
    assert {a["rule"] for a in started["alerts"]} == {"return-interview-overdue"}
    assert all(
        a["retention"] == "P6Y" and a["acknowledge_within"] == "1d" for a in started["alerts"]
    )
    assert event["episodeid"] not in json.dumps(document)


def test_a_stopped_clock_is_explained_by_whose_episode_it_was(shipped: Protocol) -> None:
    """The documented return interview stops the clock of children's services' episode."""
    notification = parse_notification(documented_example("return_interview.recorded"))

    document = explain(decide(notification, shipped, notification.time), shipped)

    assert document["clocks_stopped"] == [
        {
            "clock": "return-interview-overdue",
            "clock_description": shipped.clocks[0].description,
            "episode_of": "northumberland-childrens",
            "episode_path": "data.episode_ref",
        }
    ]
    assert document["clocks_started"] == []


def test_explain_renders_the_plan_it_is_given_and_computes_none(shipped: Protocol) -> None:
    """Change a decision's step and clock times by hand: the explanation shows exactly those."""
    notification = parse_notification(documented_example("missing_episode.ended"))
    decision = decide(notification, shipped, notification.time)
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    view = decision.views[0]
    (start,) = decision.clocks_started
    altered = replace(
        decision,
        views=(replace(view, escalations=(replace(view.escalations[0], due_at=moment),)),),
        clocks_started=(replace(start, due_at=moment, fires_at_once=True),),
    )

    document = explain(altered, shipped)

    assert [s["due_at"] for s in document["recipients"][0]["escalations"]] == [
        "2030-01-01T00:00:00Z"
    ]
    assert document["clocks_started"][0]["due_at"] == "2030-01-01T00:00:00Z"
    assert document["clocks_started"][0]["fires_at_once"] is True


def test_a_report_of_a_known_episode_is_explained_as_carrying_the_hub_reference() -> None:
    """``in_known_episode`` explains a report joining an episode another agency reported: every
    view carries ``hubepisode`` (named among the shared fields, its value never echoed)."""
    notification = parse_notification(
        json.loads((REPO_ROOT / "docs" / "examples" / "missing-episode-started.json").read_text())
    )

    joined = simulate(notification, _SHIPPED, in_known_episode=True)
    alone = simulate(notification, _SHIPPED)

    assert joined["hub_episode"] is True
    assert alone["hub_episode"] is False
    assert joined["recipients"]
    assert all("hubepisode" in r["fields_shared"] for r in joined["recipients"])
    assert not any("hubepisode" in r["fields_shared"] for r in alone["recipients"])
    assert "simulated-hub-episode" not in json.dumps(joined)
