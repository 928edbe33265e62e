"""An explanation is the decision rendered: it can never disagree with what ``decide`` did.

Each test compares an explanation (from the function, the CLI or the HTTP endpoint) with a
decision computed separately by :func:`hub.sharing.decide` on the same inputs.
"""

from __future__ import annotations

import json
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
    RoutingState,
    decide,
    explain,
    simulate,
    simulated_placement,
)
from protocols import Protocol, load_protocol
from schemas import parse_notification
from tests.fakes import (
    FakeAuditLog,
    FakePublisher,
    FakeRoutingStore,
    FakeSubjectKeys,
    FixedClock,
    provisioned_keys,
)
from tests.unit.builders import (
    PROTOCOL_PATH,
    documented_example,
    documented_examples,
    generated_notifications,
)
from tests.unit.conftest import ADMIN_TOKEN

_RISK_NAMES = {0: "no_apparent_risk", 1: "low", 2: "medium", 3: "high"}
# The regions a child of the partnership may be placed in, and outside England.
_PLACED_IN = (None, "929", "391", "840", "942", "SCO")
_SHIPPED = load_protocol(PROTOCOL_PATH)


@pytest.fixture(scope="module")
def shipped() -> Protocol:
    return _SHIPPED


def _state(placed_in: str | None, event: dict[str, Any]) -> RoutingState:
    if placed_in is None:
        return RoutingState()
    return simulated_placement(parse_notification(event), placed_in, _SHIPPED)


def _expected(decision: Decision) -> dict[str, Any]:
    """What an explanation must say, read straight off the decision."""
    facts = decision.facts
    return {
        "facts": {
            "child": facts.child,
            "adult": facts.adult,
            "looked_after": facts.looked_after,
            "se_marker": facts.se_marker,
            "cross_border": facts.cross_border,
            "risk": None if facts.risk is None else _RISK_NAMES[facts.risk],
            "responsible_la": facts.responsible_la,
            "host_la": facts.host_la,
        },
        "recipients": [
            {
                "agency": view.recipient,
                "rule": view.receipt.rule_id,
                "lawful_basis": list(view.receipt.lawful_basis),
                "fields_shared": list(view.shared),
                "fields_withheld": list(view.receipt.withheld),
                "acknowledge_by": (
                    None
                    if view.receipt.acknowledge_by is None
                    else view.receipt.acknowledge_by.isoformat().replace("+00:00", "Z")
                ),
            }
            for view in decision.views
        ],
        "not_shared": [
            {"agency": r.recipient, "rule": r.rule_id, "reason": r.reason}
            for r in decision.refusals
        ],
    }


def _said(document: dict[str, Any]) -> dict[str, Any]:
    """The parts of an explanation document that restate the decision."""
    keys = ("agency", "rule", "lawful_basis", "fields_shared", "fields_withheld", "acknowledge_by")
    return {
        "facts": document["facts"],
        "recipients": [{key: r[key] for key in keys} for r in document["recipients"]],
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
def test_the_publishers_la_is_the_responsible_la_explained(
    shipped: Protocol, type_name: str
) -> None:
    """A council's record naming no responsible LA is explained with the council's own (929)."""
    notification = parse_notification(documented_example(type_name))
    decision = decide(notification, shipped, notification.time)

    document = explain(decision, shipped)

    assert decision.facts.responsible_la == "929"
    assert document["facts"]["responsible_la"] == "929"


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
