"""Unit tests of the routing core's shell with fake ports: state, de-duplication, audit."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hub.audit import AuditAction, AuditEntry
from hub.crypto import InvalidMessage, KeyMaterial
from hub.pseudonyms import Pseudonymiser
from hub.relays import OutboxRelay, retry_seconds
from hub.routing import Router
from protocols import load_protocol
from schemas import agency_id_from_source, parse_notification
from tests.fakes import (
    FakeAuditLog,
    FakePublisher,
    FakeRoutingStore,
    FakeSubjectKeys,
    FixedClock,
    provisioned_keys,
)

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
KEY = b"k" * 32


def _example(type_name: str, **envelope: Any) -> dict[str, Any]:
    text = (ROOT / "docs" / "notifications.md").read_text(encoding="utf-8")
    for block in re.findall(r"```json\n(.*?)```", text, flags=re.S):
        event = json.loads(block)
        if event["type"] == f"uk.sehub.{type_name}.v1":
            event.update(envelope)
            return event
    raise LookupError(type_name)


PROTOCOL = load_protocol(ROOT / "protocols" / "northumberland.yaml")


class Harness:
    def __init__(self, keys: KeyMaterial) -> None:
        self.keys = keys
        self.publisher = FakePublisher()
        self.audit = FakeAuditLog()
        self.store = FakeRoutingStore(self.audit)
        self.subject_keys = FakeSubjectKeys()
        self.router = Router(
            PROTOCOL,
            publisher=self.publisher,
            audit=self.audit,
            state=self.store,
            subject_keys=self.subject_keys,
            pseudonyms=Pseudonymiser(KEY),
            keys=keys,
            clock=FixedClock(NOW),
        )

    def seal(self, event: dict[str, Any], *, as_agency: str | None = None) -> bytes:
        agency = as_agency or agency_id_from_source(event["source"])
        return self.keys.seal_source(
            agency, json.dumps(event).encode(), message_id=event["id"], now=NOW
        )

    async def route(self, event: dict[str, Any]) -> set[str]:
        before = len(self.publisher.deliveries)
        await self.router.route(self.seal(event), "corr")
        return {agency for agency, _ in self.publisher.deliveries[before:]}


@pytest.fixture
def hub(tmp_path: Path) -> Harness:
    return Harness(provisioned_keys(tmp_path / "keys", PROTOCOL.party_ids))


async def test_host_authority_is_told_while_the_placement_lasts(hub: Harness) -> None:
    """Once a child is placed out of area the host hears of missing episodes; after, it does not."""
    assert "newcastle-childrens" not in await hub.route(
        _example("missing_episode.started", id="m-1")
    )
    placed = await hub.route(_example("placement.started", id="p-1", episodeid="PL-9"))
    assert "newcastle-childrens" in placed
    during = await hub.route(_example("missing_episode.started", id="m-2"))
    assert "newcastle-childrens" in during
    ended = _example("placement.ended", id="p-2", episodeid="PL-9")
    ended["data"]["person"] = _example("placement.started")["data"]["person"]
    await hub.route(ended)
    after = await hub.route(_example("missing_episode.started", id="m-3"))
    assert "newcastle-childrens" not in after
    assert {"northumbria-police", "northumberland-education"} <= after


async def test_the_same_event_is_routed_once(hub: Harness) -> None:
    """A redelivered or re-posted event (same source and id) is audited as a duplicate only."""
    event = _example("missing_episode.started", id="dup-1")
    first = await hub.route(event)
    second = await hub.route(event)
    assert first
    assert second == set()
    actions = [entry.action for entry in hub.audit.entries if entry.notification_id == "dup-1"]
    assert actions.count(AuditAction.NOTIFICATION_DUPLICATE) == 1
    assert actions.count(AuditAction.NOTIFICATION_SHARED) == len(first)


async def test_state_is_keyed_by_pseudonyms_not_identifiers(hub: Harness) -> None:
    """The routing state holds HMAC pseudonyms, never the NHS number or local id."""
    await hub.route(_example("placement.started", id="p-1", episodeid="PL-9"))
    stored = json.dumps(
        {subject: list(episodes) for subject, episodes in hub.store.placements.items()}
    )
    assert "9434765919" not in stored
    assert "CHILD-000123" not in stored
    assert "PL-9" not in stored
    assert all(re.fullmatch(r"[0-9a-f]{64}", subject) for subject in hub.store.placements)


async def test_each_recipient_gets_a_sealed_view_only_it_can_open(hub: Harness) -> None:
    """Deliveries are sealed per recipient and signed by the hub; another agency cannot open one."""
    await hub.route(_example("missing_episode.started", id="sealed-1"))
    views = dict(hub.publisher.deliveries)
    police = views["northumbria-police"].body
    assert b"9434765919" not in police
    contents = hub.keys.open_delivery("northumbria-police", police, now=NOW)
    assert json.loads(contents.plaintext)["event"]["data"]["person"]["nhs_number"] == "9434765919"
    assert contents.rule_id == "missing-child-to-police"
    with pytest.raises(InvalidMessage):
        hub.keys.open_delivery("northumberland-education", police, now=NOW)


async def test_an_agency_cannot_sign_as_another(hub: Harness) -> None:
    """A notification whose source names children's services, signed by the police, is refused."""
    event = _example("missing_episode.started", id="forged-1")
    with pytest.raises(InvalidMessage):
        await hub.router.route(hub.seal(event, as_agency="northumbria-police"), "corr")
    assert hub.publisher.deliveries == []


async def test_a_tampered_envelope_is_refused_before_anything_is_parsed(hub: Harness) -> None:
    """Flipping one byte of the sealed ciphertext makes routing fail with the opaque error."""
    envelope = json.loads(hub.seal(_example("missing_episode.started", id="tamper-1")))
    ct = envelope["ct"]
    envelope["ct"] = ct[:-5] + ("A" if ct[-5] != "A" else "B") + ct[-4:]
    with pytest.raises(InvalidMessage) as raised:
        await hub.router.route(json.dumps(envelope).encode(), "corr")
    assert str(raised.value) == "invalid message"
    assert hub.publisher.deliveries == []


async def test_a_placement_from_a_publisher_not_allowed_to_share_it_changes_no_state(
    hub: Harness,
) -> None:
    """Durham cannot plant a placement for Northumberland's child and so receive its alerts."""
    planted = _example("placement.started", id="planted-1", episodeid="PL-X")
    planted["source"] = "urn:sehub:agency:durham-childrens"
    planted["data"]["host_la"] = "840"
    await hub.route(planted)
    assert hub.store.placements == {}
    missing = await hub.route(_example("missing_episode.started", id="m-after-plant"))
    assert not {"durham-childrens", "durham-constabulary"} & missing


async def test_a_placement_for_another_councils_child_changes_no_state(hub: Harness) -> None:
    """A council may share placements, but only its own: naming another placing LA stores none."""
    claimed = _example("placement.started", id="claimed-1", episodeid="PL-Y")
    claimed["data"]["placing_la"] = "840"  # Durham's child, posted by Northumberland
    claimed["data"]["person"]["responsible_la"] = "840"
    await hub.route(claimed)
    assert hub.store.placements == {}
    missing = await hub.route(_example("missing_episode.started", id="m-after-claim"))
    assert "newcastle-childrens" not in missing


async def test_one_recipient_whose_publish_fails_holds_back_no_other(hub: Harness) -> None:
    """A failed publish to the first recipient leaves the next delivered at once; the relay sends
    the failed copy later, and each recipient is shared and published exactly once."""
    event = _example("missing_episode.started", id="partial-1")
    hub.publisher.fail_for = {"northumberland-education"}  # sorted first
    assert await hub.route(event) == {"northumbria-police"}
    hub.publisher.fail_for = set()
    relay = OutboxRelay(hub.store, hub.publisher, FixedClock(NOW + timedelta(minutes=5)))
    assert await relay.drain_once() == 1
    assert await relay.drain_once() == 0
    sent = [agency for agency, _ in hub.publisher.deliveries]
    assert sorted(sent) == ["northumberland-education", "northumbria-police"]
    for action in (AuditAction.NOTIFICATION_SHARED, AuditAction.DELIVERY_PUBLISHED):
        recipients = [
            e.recipient
            for e in hub.audit.entries
            if e.notification_id == "partial-1" and e.action is action
        ]
        assert sorted(recipients) == ["northumberland-education", "northumbria-police"]


async def test_a_failed_copy_waits_for_its_back_off_before_the_relay_retries(hub: Harness) -> None:
    """The relay leaves a copy whose publish failed until its back-off has passed."""
    hub.publisher.fail_for = {"northumberland-education"}
    await hub.route(_example("missing_episode.started", id="backoff-1"))
    hub.publisher.fail_for = set()
    assert await OutboxRelay(hub.store, hub.publisher, FixedClock(NOW)).drain_once() == 0
    later = FixedClock(NOW + timedelta(seconds=retry_seconds(1) + 1))
    assert await OutboxRelay(hub.store, hub.publisher, later).drain_once() == 1


async def test_audit_rows_name_the_subject_by_audit_tokens_only(hub: Harness) -> None:
    """Who was told about whom: every shared or refused row carries the subject's audit tokens,
    one per pseudonym, and neither the identifiers nor the pseudonyms themselves."""
    event = _example("missing_episode.started", id="about-1")
    await hub.route(event)
    pseudonyms = Pseudonymiser(KEY).subjects(parse_notification(event))
    expected = sorted([await hub.subject_keys.token(p) or "" for p in pseudonyms])
    assert len(set(expected)) == len(pseudonyms)
    assert "" not in expected

    about = (AuditAction.NOTIFICATION_SHARED, AuditAction.SHARING_REFUSED)
    rows = [entry for entry in hub.audit.entries if entry.action in about]
    assert rows
    assert all(row.detail["subjects"] == expected for row in rows)
    written = json.dumps([row.detail for row in rows])
    person = event["data"]["person"]
    identifiers = [person[key] for key in ("local_id", "nhs_number", "upn", "date_of_birth")]
    assert [value for value in identifiers if value in written] == []
    assert [p for p in pseudonyms if p in written] == []


def _published(hub: Harness, notification_id: str) -> list[AuditEntry]:
    return [
        entry
        for entry in hub.audit.entries
        if entry.notification_id == notification_id
        and entry.action is AuditAction.DELIVERY_PUBLISHED
    ]


async def test_each_delivered_copy_is_audited_as_published_and_no_refused_one(
    hub: Harness,
) -> None:
    """One delivery.published per recipient the broker took, naming its rule; none for refusals."""
    event = _example("missing_episode.started", id="published-1")
    delivered = await hub.route(event)
    published = _published(hub, "published-1")
    refused = {
        entry.recipient
        for entry in hub.audit.entries
        if entry.notification_id == "published-1" and entry.action is AuditAction.SHARING_REFUSED
    }
    assert refused
    assert sorted(entry.recipient or "" for entry in published) == sorted(delivered)
    rules = {
        entry.recipient: entry.rule_id
        for entry in hub.audit.entries
        if entry.notification_id == "published-1"
        and entry.action is AuditAction.NOTIFICATION_SHARED
    }
    assert {entry.recipient: entry.rule_id for entry in published} == rules
    bodies = dict(hub.publisher.deliveries)
    for entry in published:
        assert entry.actor == "northumberland-childrens"
        assert entry.correlation_id == "corr"
        assert entry.protocol_version == PROTOCOL.version_tag
        assert entry.detail["retry"] is False
        body = bodies[entry.recipient or ""].body
        assert entry.detail["envelope_sha256"] == hashlib.sha256(body).hexdigest()
    written = json.dumps([entry.detail for entry in published])
    person = event["data"]["person"]
    assert [value for value in person.values() if str(value) in written] == []


async def test_a_copy_the_broker_did_not_take_is_not_audited_as_published(hub: Harness) -> None:
    """A failed publish writes no published record; the relay's later publish writes one."""
    event = _example("missing_episode.started", id="published-2")
    hub.publisher.fail_for = {"northumbria-police"}
    await hub.route(event)
    assert [entry.recipient for entry in _published(hub, "published-2")] == [
        "northumberland-education"
    ]
    hub.publisher.fail_for = set()
    await OutboxRelay(hub.store, hub.publisher, FixedClock(NOW + timedelta(minutes=5))).drain_once()
    published = _published(hub, "published-2")
    assert [(entry.recipient, entry.detail["retry"]) for entry in published] == [
        ("northumberland-education", False),
        ("northumbria-police", True),
    ]


async def test_a_recipient_whose_key_cannot_be_used_is_refused_and_the_others_delivered(
    tmp_path: Path,
) -> None:
    """With no usable key for education, education alone is refused (audited with the key
    check), the police still get their copy, and nothing is shared with education."""
    parties = [party for party in PROTOCOL.party_ids if party != "northumberland-education"]
    hub = Harness(provisioned_keys(tmp_path / "keys", parties))
    assert await hub.route(_example("missing_episode.started", id="nokey-1")) == {
        "northumbria-police"
    }
    about = [e for e in hub.audit.entries if e.notification_id == "nokey-1"]
    refused = [
        e for e in about if e.action is AuditAction.SHARING_REFUSED and e.rule_id is not None
    ]
    keyless = [e for e in refused if e.recipient == "northumberland-education"]
    assert len(keyless) == 1
    assert keyless[0].detail["reason"] == "the recipient's encryption key cannot be used"
    assert keyless[0].detail["check"] == "no_usable_key"
    shared = {e.recipient for e in about if e.action is AuditAction.NOTIFICATION_SHARED}
    assert shared == {"northumbria-police"}
