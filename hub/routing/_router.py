"""The routing use case: open, decide, seal, commit, publish. No broker client here.

:class:`Router` takes the bytes of one ingress message and either routes the notification or
raises; what then happens to the message on the broker is :mod:`._consumer`'s business.

Rules:

1. Verify before parsing: the source envelope is opened and its signature checked before the
   notification is read, and the notification's ``source`` and ``id`` must be the envelope's.
2. The same ``source`` + ``id`` is decided once: by the one router whose commit takes it; any
   other (a redelivery, a second router that raced it) only audits a duplicate and leaves
   whatever is unsent to the relay, never publishing beside the router that is.
3. The decision, its audit rows, the placement change and every sealed copy (the outbox) are
   committed in one transaction before anything is published; the copies are then published
   with their confirms awaited together and marked sent in one transaction (:mod:`hub.relays`).
   A copy whose publish fails is left to the relay, which every hub process runs, so the
   ingress message is done once its decision is committed: nothing
   downstream of the commit can hold it, dead-letter it or lose a copy. A copy confirmed twice
   (a crash between a publish and its mark-sent) carries the same delivery id both times.
3a. A recipient whose key cannot be used (retired, expired, not yet distributed) is refused and
   audited for that recipient only; the others are delivered.
4. A decision may depend on state an earlier notification changed (a placement starting), so
   notifications about one subject are decided in the order they were accepted: the resolver
   sends them down one ingress shard, which one router reads one message at a time
   (:mod:`._resolver`, :mod:`._shards`). Routes of different shards run side by side, at most
   ``concurrency`` at once in one process.
5. Placement state is remembered only from a publisher the protocol lets share it, and only for
   a placement that publisher is responsible for (the decision says which); subjects and
   episodes are pseudonyms.
6. A missing report or return interview is correlated with the subject's known episodes before
   it is decided (:func:`hub.sharing.correlate_episode`): the hub's reference for the episode is
   keyed, and travels on every view. What each withdrawing rule's recipient was told is kept
   with the decision.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable
from dataclasses import replace

from pydantic import ValidationError

from hub._exceptions import InvalidNotification, ServiceError
from hub.audit import AuditAction, AuditEntry
from hub.crypto import InvalidMessage, KeyMaterial
from hub.logs import get_logger
from hub.messages import delivery_id
from hub.ports import AuditLog, Clock, Publisher, RoutingStore, SubjectKeys
from hub.pseudonyms import Pseudonymiser
from hub.relays import OutboxRelay
from hub.routing._copies import Copies, Sealed, Unusable
from hub.sharing import (
    ActivePlacement,
    Decision,
    EpisodeChange,
    PlacementChange,
    RoutingState,
    View,
    about_an_episode,
    correlate_episode,
    decide,
)
from hub.validation import field_problems
from protocols import PartyKind, Protocol
from schemas import (
    Notification,
    ReturnInterviewRecorded,
    agency_id_from_source,
    parse_notification,
    source_for_agency,
)

__all__ = ["Router"]

log = get_logger(__name__)


class Router:
    """Applies the protocol to each notification on ingress."""

    def __init__(
        self,
        protocol: Protocol,
        *,
        publisher: Publisher,
        audit: AuditLog,
        state: RoutingStore,
        subject_keys: SubjectKeys,
        pseudonyms: Pseudonymiser,
        keys: KeyMaterial,
        clock: Clock,
        concurrency: int = 8,
    ) -> None:
        self._protocol = protocol
        self._publisher = publisher
        self._audit = audit
        self._state = state
        self._subject_keys = subject_keys
        self._pseudonyms = pseudonyms
        self._keys = keys
        self._clock = clock
        self._relay = OutboxRelay(state, publisher, clock)
        self._copies = Copies(keys, pseudonyms, clock)
        # Shards are consumed side by side, each in order (rule 4); this bounds how many at once.
        self._routing = asyncio.Semaphore(concurrency)

    @property
    def protocol_version(self) -> str:
        """The version tag of the protocol this router decides by."""
        return self._protocol.version_tag

    async def route(self, body: bytes, correlation_id: str | None) -> Decision | None:
        """Open and verify, decide, seal every view, commit, then publish (rules 1-3).

        Returns None for a notification already routed (same ``source`` + ``id``). Raises
        :class:`InvalidMessage` for an envelope that fails verification or decryption,
        :class:`InvalidNotification` for verified contents that are not a notification, and a
        :class:`ServiceError` when the broker or the database fails (nothing is lost: what was
        committed is published on the next delivery).
        """
        notification, source_sig = self._open(body)
        async with self._routing:
            return await self._route(notification, source_sig, correlation_id)

    def subjects(self, notification: Notification) -> frozenset[str]:
        """Every pseudonym the subject of ``notification`` is known by, as routing keys it."""
        return self._pseudonyms.subjects(notification, council_la=self._council_la(notification))

    def subjects_of_envelope(self, body: bytes) -> frozenset[str]:
        """The pseudonyms of the notification in a source envelope, verified (rule 1)."""
        notification, _ = self._open(body)
        return self.subjects(notification)

    def _open(self, body: bytes) -> tuple[Notification, bytes]:
        """The verified notification in ``body`` and its source signature (rule 1)."""
        source = self._keys.open_source(body, now=self._clock())
        try:
            notification = parse_notification(source.notification)
        except ValidationError as exc:
            raise InvalidNotification(
                "ingress message is not a canonical notification", field_problems(exc)
            ) from exc
        if (notification.source, notification.id) != (
            source_for_agency(source.agency),
            source.message_id,
        ):
            # The signature covers the notification, not the envelope; a relabelled one fails.
            raise InvalidMessage("bad_signature")
        return notification, source.source_sig

    async def _route(
        self, notification: Notification, source_sig: bytes, correlation_id: str | None
    ) -> Decision | None:
        event_key = self._pseudonyms.event(notification.source, notification.id)
        if await self._state.seen(event_key):
            # Decided and audited before. What a crash or outage left unsent is the relay's:
            # publishing it here as well would race the router that is publishing it now.
            await self._audit.record(self._duplicate_entry(notification, correlation_id))
            return None
        subjects = self.subjects(notification)
        state = await self._state.load(subjects)
        now = self._clock()
        episode = self._episode(notification, state)
        decision = decide(
            notification,
            self._protocol,
            now,
            state,
            episode=None if episode is None else episode.episode.reference,
        )
        tokens = await self._subject_keys.tokens(subjects, now)
        sealed = self._copies.of_decision(
            event_key, decision, source_sig, correlation_id, subjects=tokens
        )
        for unusable in sealed.unusable:
            log.warning(
                "routing.recipient_key_unusable",
                recipient=unusable.recipient,
                kind=unusable.kind,
                check=unusable.check,
            )
        refused = {u.recipient for u in sealed.unusable if u.kind == "notification"}
        committed = await self._state.commit(
            event_key,
            subjects=subjects,
            change=self._placement_change(notification, decision),
            episode=episode if decision.authorised else None,
            told=decision.told,
            entries=[
                *self._audit_entries(
                    event_key,
                    decision,
                    correlation_id,
                    source_sig=source_sig,
                    tokens=tokens,
                    refused=refused,
                ),
                *self._unusable_entries(decision, correlation_id, sealed.unusable, tokens),
                *self._clock_entries(decision, correlation_id, sealed, tokens),
            ],
            copies=sealed.copies,
            cancel_held=sealed.cancel_clocks,
            now=now,
        )
        if not committed:
            # Another router decided it first, and publishes its copies.
            await self._audit.record(self._duplicate_entry(notification, correlation_id))
            return None
        await self._publish_pending(event_key)
        return decision

    async def _publish_pending(self, event_key: str) -> None:
        """Publish the copies due, together (rule 3); one that fails is left to the relay."""
        try:
            await self._relay.publish_all(
                await self._state.pending(event_key, self._clock()), retry=False
            )
        except ServiceError as exc:
            # Published but not marked sent: the relay sends it again, under the same id.
            log.warning("routing.mark_sent_failed", error=type(exc).__name__)

    def _council_la(self, notification: Notification) -> str | None:
        """The LA of a children's services publisher, whose own ids are its child ids."""
        party = self._protocol.find_party(agency_id_from_source(notification.source))
        if party is None or party.kind is not PartyKind.CHILDREN_SERVICES:
            return None
        return party.la_code

    def _episode(self, notification: Notification, state: RoutingState) -> EpisodeChange | None:
        """The missing episode the notification belongs to (rule 6), if it is about one."""
        if not about_an_episode(notification):
            return None  # no pseudonyms to derive for a placement, concern or assessment
        if isinstance(notification, ReturnInterviewRecorded):
            own = notification.data.episode_ref
        else:
            own = notification.episodeid or notification.id
        source_episode = self._pseudonyms.episode(notification.source, own)
        return correlate_episode(
            notification, state, source_episode, self._pseudonyms.hub_episode(source_episode)
        )

    def _placement_change(
        self, notification: Notification, decision: Decision
    ) -> PlacementChange | None:
        """The placement change to remember (rule 5), keyed by the episode's pseudonym."""
        change = decision.placement
        if change is None:
            return None
        started = change.started
        episode = self._pseudonyms.episode(notification.source, change.episode)
        if started is None:
            return PlacementChange(episode=episode, started=None)
        return PlacementChange(
            episode=episode, started=ActivePlacement(episode, started.placing_la, started.host_la)
        )

    def _duplicate_entry(
        self, notification: Notification, correlation_id: str | None
    ) -> AuditEntry:
        return AuditEntry(
            action=AuditAction.NOTIFICATION_DUPLICATE,
            recorded_at=self._clock(),
            correlation_id=correlation_id,
            notification_id=notification.id,
            notification_type=notification.type,
            actor=agency_id_from_source(notification.source),
            detail={"reason": "already routed: same source and id"},
        )

    def _decided(
        self, action: AuditAction, decision: Decision, correlation_id: str | None
    ) -> AuditEntry:
        """A record about ``decision``: its notification, publisher and protocol, now."""
        return AuditEntry(
            action=action,
            recorded_at=self._clock(),
            correlation_id=correlation_id,
            notification_id=decision.notification_id,
            notification_type=decision.notification_type,
            actor=decision.publisher,
            protocol_version=decision.protocol_version,
        )

    def _unusable_entries(
        self,
        decision: Decision,
        correlation_id: str | None,
        unusable: Iterable[Unusable],
        tokens: Iterable[str],
    ) -> list[AuditEntry]:
        """``sharing.refused`` for each copy the protocol allows but whose recipient's key
        cannot be used: which copy, the key check that failed, never the contents."""
        about = sorted(tokens)
        base = self._decided(AuditAction.SHARING_REFUSED, decision, correlation_id)
        return [
            replace(
                base,
                recipient=copy.recipient,
                rule_id=copy.rule_id,
                detail={
                    "reason": "the recipient's encryption key cannot be used",
                    "check": copy.check,
                    "copy": copy.kind,
                    "subjects": about,
                },
            )
            for copy in unusable
        ]

    def _clock_entries(
        self,
        decision: Decision,
        correlation_id: str | None,
        sealed: Sealed,
        tokens: Iterable[str],
    ) -> list[AuditEntry]:
        """``clock.started`` (when it is due, who its alerts are for) and ``clock.stopped``."""
        about = sorted(tokens)
        base = self._decided(AuditAction.CLOCK_STARTED, decision, correlation_id)
        entries = [
            replace(
                base,
                rule_id=start.clock_id,
                detail={
                    "clock_id": start.clock_id,
                    "due_at": start.due_at.isoformat(),
                    "fires_at_once": start.fires_at_once,
                    "recipients": sorted(alert.recipient for alert in start.alerts),
                    "delivery_ids": sorted(deliveries),
                    "subjects": about,
                },
            )
            for start, deliveries in sealed.started
        ]
        entries.extend(
            replace(
                base,
                action=AuditAction.CLOCK_STOPPED,
                rule_id=stop.clock_id,
                detail={"clock_id": stop.clock_id, "subjects": about},
            )
            for stop in decision.clocks_stopped
        )
        return entries

    def _audit_entries(
        self,
        event_key: str,
        decision: Decision,
        correlation_id: str | None,
        *,
        source_sig: bytes,
        tokens: Iterable[str],
        refused: set[str],
    ) -> list[AuditEntry]:
        # The subject by its audit tokens only (hub.audit._subjects), so that an auditor can
        # ask "who was told about this child?" and erasure can make the answer unlinkable.
        about = sorted(tokens)
        base = self._decided(AuditAction.NOTIFICATION_SHARED, decision, correlation_id)
        entries = [
            replace(
                base,
                recipient=view.recipient,
                rule_id=view.receipt.rule_id,
                detail={
                    "delivery_id": delivery_id(event_key, view.recipient),
                    "lawful_basis": list(view.receipt.lawful_basis),
                    "purpose": view.receipt.purpose,
                    "shared": list(view.shared),
                    "withheld": list(view.receipt.withheld),
                    "acknowledge_by": _iso(view),
                    "source_sig_sha256": hashlib.sha256(source_sig).hexdigest(),
                    "subjects": about,
                    **({"withdrawal": True} if view.receipt.withdrawal else {}),
                    **({"late_notice": True} if decision.facts.late_notice else {}),
                },
            )
            for view in decision.views
            if view.recipient not in refused
        ]
        entries.extend(
            replace(
                base,
                action=AuditAction.SHARING_REFUSED,
                recipient=refusal.recipient,
                rule_id=refusal.rule_id,
                detail={"reason": refusal.reason, "subjects": about},
            )
            for refusal in decision.refusals
        )
        return entries


def _iso(view: View) -> str | None:
    deadline = view.receipt.acknowledge_by
    return None if deadline is None else deadline.isoformat()
