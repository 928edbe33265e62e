"""Unit tests of the routing core's shell with fake ports: state, de-duplication, audit."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hub.audit import AuditAction, AuditEntry
from hub.crypto import InvalidMessage, KeyMaterial
from hub.messages import OutboxCopy, OutgoingMessage
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
        return set(await self.views(event))

    async def views(self, event: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Route ``event``; each recipient's opened delivery (its view and receipt), by agency."""
        before = len(self.publisher.deliveries)
        await self.router.route(self.seal(event), "corr")
        return {
            agency: json.loads(self.keys.open_delivery(agency, message.body, now=NOW).plaintext)
            for agency, message in self.publisher.deliveries[before:]
        }


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
    person = json.loads(contents.plaintext)["event"]["data"]["person"]
    assert person["local_id"] == "CHILD-000123"
    assert "nhs_number" not in person  # the police find a child without the NHS number
    assert contents.rule_id == "missing-child-from-council-to-police"
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
    """Durham cannot plant a placement for Northumberland's child and so receive its alerts;
    the responsible council alone is told of the claim."""
    planted = _example("placement.started", id="planted-1", episodeid="PL-X")
    planted["source"] = "urn:sehub:agency:durham-childrens"
    planted["data"]["host_la"] = "840"
    assert await hub.route(planted) == {"northumberland-childrens"}
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
    # Children's services' own id for the child is also the child's id at its council (929).
    pseudonyms = Pseudonymiser(KEY).subjects(parse_notification(event), council_la="929")
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
    # Digests are random hex and may hold a short value such as "929" by chance; they were
    # checked above, so only the other detail fields are searched for personal values.
    written = json.dumps(
        [
            {key: value for key, value in entry.detail.items() if not key.endswith("_sha256")}
            for entry in published
        ]
    )
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


# --- the partnership's routing state -----------------------------------------------------------


async def test_a_placement_from_the_responsible_council_is_remembered(hub: Harness) -> None:
    """Northumberland placing its child in Newcastle is kept, by pseudonyms, with its host."""
    await hub.route(_example("placement.started", id="p-own", episodeid="PL-OWN"))

    kept = {p for by_episode in hub.store.placements.values() for p in by_episode.values()}
    (placement,) = kept
    assert (placement.placing_la, placement.host_la) == ("929", "391")
    assert placement.episode == Pseudonymiser(KEY).episode(
        "urn:sehub:agency:northumberland-childrens", "PL-OWN"
    )


async def test_a_placement_from_another_council_is_not_remembered(hub: Harness) -> None:
    """Newcastle claiming to have placed Northumberland's child changes no state: the child's
    next missing report reaches neither Newcastle nor its education service."""
    claim = _example("placement.started", id="p-claim", episodeid="PL-CLAIM")
    claim["source"] = "urn:sehub:agency:newcastle-childrens"

    alerted = await hub.views(claim)

    assert hub.store.placements == {}
    assert {agency: view["receipt"]["rule_id"] for agency, view in alerted.items()} == {
        "northumberland-childrens": "conflicting-placement-claim-to-responsible-authority"
    }
    after = await hub.route(_example("missing_episode.started", id="m-after-claim-2"))
    assert not {"newcastle-childrens", "newcastle-education"} & after


def _police_report(type_name: str = "missing_episode.started", **data: Any) -> dict[str, Any]:
    """The police's own missing report of the documented child, linked by ``la_child_id``."""
    event = _example(type_name, id="police-m-1", episodeid="NP-MIS-0077")
    event["source"] = "urn:sehub:agency:northumbria-police"
    event["data"]["person"] = {
        "local_id": "NP-PERSON-4471",
        "la_child_id": "CHILD-000123",
        "date_of_birth": "2011-05-04",
        "sex": "F",
        "resident_la": "929",
        "responsible_la": "929",
    }
    event["data"].update(data)
    return event


async def test_an_overlapping_police_report_joins_the_councils_episode(hub: Harness) -> None:
    """The police's report of the same child missing the same night reaches the council under
    the hub episode reference the police had from the council's report."""
    council = await hub.views(_example("missing_episode.started", id="m-council"))
    police = await hub.views(_police_report())

    reference = council["northumbria-police"]["event"]["hubepisode"]
    assert re.fullmatch(r"ep-[0-9a-f]{32}", reference)
    assert police["northumberland-childrens"]["event"]["hubepisode"] == reference
    assert police["northumberland-childrens"]["event"]["episodeid"] == "NP-MIS-0077"
    assert "MIS-2026-0001" not in reference
    (episode,) = {e for by_ref in hub.store.episodes.values() for e in by_ref.values()}
    assert episode.reference == reference
    assert len(episode.sources) == 2


async def test_a_separate_episode_gets_its_own_reference(hub: Harness) -> None:
    """A police report of an episode that ended a week before the council's began is another
    episode, under another reference."""
    ended = await hub.views(_example("missing_episode.ended", id="m-ended"))
    earlier = {
        "started_on": "2026-11-20",
        "ended_on": "2026-11-21",
        "ended_at": "2026-11-21T07:30:00Z",
        "return_interview_due": "2026-11-24T07:30:00Z",
    }
    police = await hub.views(_police_report("missing_episode.ended", **earlier))

    first = ended["northumbria-police"]["event"]["hubepisode"]
    second = police["northumberland-childrens"]["event"]["hubepisode"]
    assert first != second
    assert {e.reference for by_ref in hub.store.episodes.values() for e in by_ref.values()} == {
        first,
        second,
    }


async def test_a_return_interview_carries_the_episodes_reference(hub: Harness) -> None:
    """The interview naming the council's episode reaches the police under its hub reference."""
    missing = await hub.views(_example("missing_episode.started", id="m-ri"))
    interview = await hub.views(_example("return_interview.recorded", id="ri-1"))

    assert (
        interview["northumbria-police"]["event"]["hubepisode"]
        == missing["northumbria-police"]["event"]["hubepisode"]
    )


def _risk(level: str, score: int, rmg: str, event_id: str) -> dict[str, Any]:
    event = _example("se_risk.assessed", id=event_id)
    event["data"].update(risk_level=level, checklist_score=score, rmg_status=rmg)
    return event


async def test_a_withdrawing_rules_recipients_are_remembered_and_told_when_it_falls(
    hub: Harness,
) -> None:
    """School and health told of a high risk are remembered at that level; when the risk falls
    and the child leaves the RMG each is told again, marked as a withdrawal, and audited so."""
    high = await hub.views(_risk("high", 3, "added", "risk-high"))

    told = {t for by_recipient in hub.store.told.values() for t in by_recipient.values()}
    assert {(t.recipient, t.rule_id, t.level, t.on_rmg) for t in told} == {
        ("northumberland-education", "se-risk-to-school", 3, True),
        ("northumbria-healthcare", "se-risk-to-health", 3, True),
    }
    assert not any(view["receipt"].get("withdrawal") for view in high.values())

    low = await hub.views(_risk("low", 1, "removed", "risk-low"))

    assert {agency: view["receipt"]["withdrawal"] for agency, view in low.items()} == {
        "northumbria-police": False,
        "northumberland-education": True,
        "northumbria-healthcare": True,
    }
    assert low["northumberland-education"]["event"]["data"]["risk_level"] == "low"
    withdrawn = {
        entry.recipient
        for entry in hub.audit.entries
        if entry.notification_id == "risk-low" and entry.detail.get("withdrawal") is True
    }
    assert withdrawn == {"northumberland-education", "northumbria-healthcare"}
    again = {t for by_recipient in hub.store.told.values() for t in by_recipient.values()}
    assert {(t.recipient, t.level, t.on_rmg) for t in again} == {
        ("northumberland-education", 1, False),
        ("northumbria-healthcare", 1, False),
    }


async def test_a_decisions_copies_are_confirmed_together_and_marked_in_one_commit(
    hub: Harness,
) -> None:
    """Every recipient's publish is in flight before any is confirmed, and one transaction
    marks them all sent with their records."""
    in_flight: list[str] = []
    most = 0
    publish = hub.publisher.publish_delivery

    async def slow_publish(agency_id: str, message: OutgoingMessage) -> None:
        nonlocal most
        in_flight.append(agency_id)
        most = max(most, len(in_flight))
        await asyncio.sleep(0.01)
        in_flight.remove(agency_id)
        await publish(agency_id, message)

    marked: list[int] = []
    mark_sent_all = hub.store.mark_sent_all

    async def counting(
        marks: Sequence[tuple[OutboxCopy, Sequence[AuditEntry]]], now: datetime
    ) -> int:
        marked.append(len(marks))
        return await mark_sent_all(marks, now)

    hub.publisher.publish_delivery = slow_publish  # type: ignore[method-assign]
    hub.store.mark_sent_all = counting  # type: ignore[method-assign]
    delivered = await hub.route(_example("missing_episode.started", id="together-1"))
    assert len(delivered) >= 2
    assert most == len(delivered)
    assert marked == [len(delivered)]
    assert len(_published(hub, "together-1")) == len(delivered)
