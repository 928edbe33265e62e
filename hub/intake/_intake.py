"""Intake: accept a notification from an authenticated agency, durably, or refuse it.

The order matters:

1. Media type, size, then shape: the body must be a valid canonical notification (422 otherwise).
2. The ``source`` must be the posting agency's own (403 otherwise): no agency posts as another.
3. With the broker known to be down, nothing is accepted (503): the caller retries.
4. The notification, signed as the agency and sealed to the hub, is committed to the intake
   outbox with its ``notification.accepted`` record, in one transaction. That commit is the
   acceptance: from it on, nothing is lost (a database that cannot commit is a 503).
5. The same ``source`` + ``id`` again: with the same content (a keyed hash of the canonical
   bytes) it gets the same answer and is audited as a duplicate; with other content it is a
   409, audited as ``notification.conflicted``, and nothing changes.
6. It is then published to ingress at once; if the broker does not confirm, the intake relay
   (:mod:`hub.relays`) publishes it later. The router routes each ``source`` + ``id`` once.
   The message carries the subject's pseudonyms (``sehub-subjects``), by which the resolver
   keeps one subject's notifications in order (:mod:`hub.routing`); never an identifier.

An agency may instead post a source envelope it sealed and signed itself
(:data:`ENVELOPE_CONTENT_TYPE`, docs/wire-format.md): :meth:`Intake.accept_post`.

0. Who may post what: an agency that ``signs_at_edge`` may post only envelopes (403 otherwise:
   the hub holds no key to sign as it). An envelope post, any post of such an agency, and any
   request that carries a signature must carry a request signature that verifies, with a fresh
   nonce (:mod:`._signed_requests`; 401 otherwise).
7. An envelope's header is checked with public keys only (well-formed, ``source`` the caller's
   (403), ``sig_kid`` a usable signing key of it, ``enc_kid`` a usable key of the hub; 400
   otherwise, the check audited) and the envelope is committed as it came: its keyed content
   hash is of its bytes, so the same bytes again are a duplicate and other bytes under the same
   id a 409. The router opens it and verifies the inner signature, as for every envelope.
8. A token limited to notification types (``types`` in the directory) may post only those: a
   notification of another type, or a records post that maps to one, is a 403 and nothing of
   it is accepted; such a token cannot post an envelope, whose type the API cannot see (403).

Every refusal is audited with the failing fields and rules, never with the values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from pydantic import ValidationError

from hub._exceptions import (
    BrokerUnavailable,
    ConfigurationError,
    Conflict,
    Forbidden,
    InvalidNotification,
    PayloadTooLarge,
    PeerError,
    ServiceError,
    UnsupportedMediaType,
)
from hub.agencies import Agency
from hub.audit import AuditAction, AuditEntry
from hub.crypto import HttpRequest, InvalidMessage, KeyMaterial, is_signed
from hub.intake._native import adapt, parse_records
from hub.intake._signed_requests import DEFAULT_WINDOW, SignedRequests
from hub.logs import get_logger
from hub.messages import (
    SOURCE_CONTENT_TYPE,
    SUBJECTS_HEADER,
    Acceptance,
    AcceptedCopy,
    OutgoingMessage,
)
from hub.ports import AuditLog, Clock, IntakeStore, NonceStore, Publisher
from hub.pseudonyms import Pseudonymiser
from hub.validation import notification_problems
from schemas import Notification, notification_adapter, parse_notification

__all__ = ["ACCEPTED_CONTENT_TYPES", "ENVELOPE_CONTENT_TYPE", "Intake"]

log = get_logger(__name__)

ACCEPTED_CONTENT_TYPES = frozenset({"application/json", "application/cloudevents+json"})
ENVELOPE_CONTENT_TYPE = SOURCE_CONTENT_TYPE
_ENVELOPE_TYPE = "sehub.source-envelope"  # the AMQP type: the notification's is sealed inside


class Intake:
    """The accept-a-notification use case, independent of HTTP."""

    def __init__(
        self,
        publisher: Publisher,
        audit: AuditLog,
        clock: Clock,
        *,
        store: IntakeStore,
        pseudonyms: Pseudonymiser,
        keys: KeyMaterial,
        max_body_bytes: int,
        nonces: NonceStore | None = None,
        signature_window: timedelta = DEFAULT_WINDOW,
        subjects: Callable[[Notification], frozenset[str]] | None = None,
    ) -> None:
        self._publisher = publisher
        self._subjects = subjects
        self._audit = audit
        self._clock = clock
        self._store = store
        self._pseudonyms = pseudonyms
        self._keys = keys
        self._max_body_bytes = max_body_bytes
        self._signed = SignedRequests(keys, nonces, audit, clock, window=signature_window)

    async def accept_post(
        self,
        agency: Agency,
        request: HttpRequest,
        correlation_id: str,
        *,
        content_type: str,
        types: frozenset[str] | None = None,
    ) -> str:
        """A post to ``/v1/notifications``: a notification or an envelope; the id accepted.
        With ``types``, the caller's token may post only those notification types (rule 8)."""
        envelope = content_type == ENVELOPE_CONTENT_TYPE
        await self.admit(agency, request, correlation_id, envelope=envelope)
        if envelope:
            if types is not None:
                await self._refuse_types(
                    agency,
                    correlation_id,
                    "a token limited to notification types may not post a sealed envelope, "
                    "whose type the hub's API cannot see",
                )
            return await self._accept_envelope(agency, request.body, correlation_id)
        notification = await self.accept(
            agency, request.body, correlation_id, content_type=content_type, types=types
        )
        return notification.id

    async def _refuse_types(self, agency: Agency, correlation_id: str, reason: str) -> None:
        forbidden = Forbidden(reason, correlation_id=correlation_id)
        await self.refuse(agency, forbidden, correlation_id)
        raise forbidden

    async def _check_types(
        self,
        agency: Agency,
        notifications: list[Notification],
        types: frozenset[str] | None,
        correlation_id: str,
    ) -> None:
        """Rule 8: every notification is of a type the token may post, or none is accepted."""
        if types is not None and any(n.type not in types for n in notifications):
            await self._refuse_types(
                agency, correlation_id, "the token may not post this type of notification"
            )

    async def admit(
        self, agency: Agency, request: HttpRequest, correlation_id: str, *, envelope: bool
    ) -> None:
        """Rule 0: refuse (audited) what this agency may not post, or a signature that fails."""
        if agency.signs_at_edge and not envelope:
            forbidden = Forbidden(
                "this agency signs at its own edge: post source envelopes only",
                correlation_id=correlation_id,
            )
            await self.refuse(agency, forbidden, correlation_id)
            raise forbidden
        if envelope or agency.signs_at_edge or is_signed(request.headers):
            await self._signed.check(agency, request, correlation_id)

    async def accept(
        self,
        agency: Agency,
        body: bytes,
        correlation_id: str,
        *,
        content_type: str,
        types: frozenset[str] | None = None,
    ) -> Notification:
        """Validate, publish with confirmation, audit; raise a :class:`HubError` otherwise."""
        try:
            notification = self._validate(body, correlation_id, content_type)
        except PeerError as refusal:
            await self.refuse(agency, refusal, correlation_id)
            raise
        await self._check_types(agency, [notification], types, correlation_id)
        await self.accept_notification(agency, notification, correlation_id)
        return notification

    async def accept_records(
        self,
        agency: Agency,
        body: bytes,
        correlation_id: str,
        *,
        content_type: str,
        record_type: str | None = None,
        types: frozenset[str] | None = None,
    ) -> list[Notification]:
        """Map native records with the agency's adapter, then accept each notification.

        Nothing is accepted unless every record maps. Each notification is then accepted in
        turn; if the database fails part-way (503), or one conflicts with an earlier acceptance
        (409), those before it stay accepted. Adapters derive ids from the records, so the
        caller's retry of the whole file gets the same answer for them.
        """
        try:
            if len(body) > self._max_body_bytes:
                raise PayloadTooLarge(f"the body is over {self._max_body_bytes} bytes")
            records = parse_records(body, content_type, record_type)
            notifications = adapt(agency, records, self._clock(), self._pseudonyms)
        except PeerError as refusal:
            refusal.correlation_id = correlation_id
            await self.refuse(agency, refusal, correlation_id)
            raise
        await self._check_types(agency, notifications, types, correlation_id)
        for notification in notifications:
            await self.accept_notification(agency, notification, correlation_id)
        return notifications

    async def accept_notification(
        self, agency: Agency, notification: Notification, correlation_id: str
    ) -> None:
        """Check the source, commit the acceptance and its record, then publish (rules 2-6)."""
        if notification.source != agency.source:
            forbidden = Forbidden(
                "source does not match the authenticated agency", correlation_id=correlation_id
            )
            await self.refuse(agency, forbidden, correlation_id)
            raise forbidden
        if not self._publisher.connected:
            raise BrokerUnavailable("the message broker is not connected")
        canonical = notification_adapter.dump_json(notification, exclude_none=True)
        # The time the hub took the post: before it is queued, so before any routing of it.
        taken_at = self._clock()
        await self._commit(
            agency,
            notification.id,
            content=canonical,
            envelope=self._seal(agency, notification.id, canonical),
            notification_type=notification.type,
            correlation_id=correlation_id,
            taken_at=taken_at,
            subjects=frozenset() if self._subjects is None else self._subjects(notification),
        )

    async def _accept_envelope(self, agency: Agency, body: bytes, correlation_id: str) -> str:
        """Rule 7: check the header with public keys, then commit the envelope as it came."""
        try:
            if len(body) > self._max_body_bytes:
                raise PayloadTooLarge(f"the body is over {self._max_body_bytes} bytes")
            header = self._keys.check_source_header(body, now=self._clock())
            if header.agency != agency.id:
                raise Forbidden("the envelope's source is not the authenticated agency")
        except PeerError as refusal:
            refusal.correlation_id = correlation_id
            await self.refuse(agency, refusal, correlation_id)
            raise
        if not self._publisher.connected:
            raise BrokerUnavailable("the message broker is not connected")
        await self._commit(
            agency,
            header.message_id,
            content=body,
            envelope=body,
            notification_type=None,
            correlation_id=correlation_id,
            taken_at=self._clock(),
            detail={"sealed_by": "agency", "sig_kid": header.sig_kid},
        )
        return header.message_id

    async def _commit(
        self,
        agency: Agency,
        message_id: str,
        *,
        content: bytes,
        envelope: bytes,
        notification_type: str | None,
        correlation_id: str,
        taken_at: datetime,
        detail: dict[str, object] | None = None,
        subjects: frozenset[str] = frozenset(),
    ) -> None:
        """Commit the acceptance, or answer a repeat or a conflict; then publish (rules 4-6).

        ``content`` is what the keyed content hash is of: the canonical bytes of a notification
        the hub sealed, or the envelope an agency sealed itself (rule 7).
        """
        copy = AcceptedCopy(
            event_key=self._pseudonyms.event(agency.source, message_id),
            content=self._pseudonyms.content(content),
            publisher=agency.id,
            message=OutgoingMessage(
                body=envelope,
                message_id=message_id,
                type=notification_type or _ENVELOPE_TYPE,
                correlation_id=correlation_id,
                content_type=SOURCE_CONTENT_TYPE,
                headers={
                    "sehub-publisher": agency.id,
                    **({SUBJECTS_HEADER: ",".join(sorted(subjects))} if subjects else {}),
                },
            ),
            accepted_at=taken_at,
        )
        about = AuditEntry(
            action=AuditAction.NOTIFICATION_ACCEPTED,
            recorded_at=taken_at,
            correlation_id=correlation_id,
            notification_id=message_id,
            notification_type=notification_type,
            actor=agency.id,
            detail=detail or {},
        )
        outcome, published = await self._store.accept(copy, about)
        if outcome is Acceptance.CONFLICTING:
            await self._audit.record(
                replace(
                    about,
                    action=AuditAction.NOTIFICATION_CONFLICTED,
                    recorded_at=self._clock(),
                    detail={"reason": "the same source and id were accepted with other content"},
                )
            )
            raise Conflict(
                "a notification with this source and id was accepted with other content;"
                " send a new id for a new notification",
                correlation_id=correlation_id,
            )
        if outcome is Acceptance.REPEATED:
            await self._audit.record(
                replace(
                    about,
                    action=AuditAction.NOTIFICATION_DUPLICATE,
                    recorded_at=self._clock(),
                    detail={"reason": "already accepted: same source, id and content"},
                )
            )
        if not published:
            await self._publish(copy)

    async def _publish(self, copy: AcceptedCopy) -> None:
        """Publish an acceptance to ingress now; if that fails, the relay does it (rule 6)."""
        try:
            await self._publisher.publish_ingress(copy.message)
            await self._store.mark_published(copy.event_key, self._clock())
        except ServiceError as exc:
            log.warning("intake.publish_deferred", error=type(exc).__name__)

    def _seal(self, agency: Agency, notification_id: str, canonical: bytes) -> bytes:
        """Sign the exact canonical bytes as the agency and seal them to the hub."""
        try:
            return self._keys.seal_source(
                agency.id, canonical, message_id=notification_id, now=self._clock()
            )
        except InvalidMessage as exc:
            raise ConfigurationError(
                "no usable key to sign as the agency or seal to the hub"
            ) from exc

    def _validate(self, body: bytes, correlation_id: str, content_type: str) -> Notification:
        if content_type not in ACCEPTED_CONTENT_TYPES:
            raise UnsupportedMediaType(
                "send application/json or application/cloudevents+json",
                correlation_id=correlation_id,
            )
        if len(body) > self._max_body_bytes:
            raise PayloadTooLarge(
                f"the body is over {self._max_body_bytes} bytes", correlation_id=correlation_id
            )
        try:
            notification = parse_notification(body)
        except ValidationError as exc:
            problems = notification_problems(exc, body)
            raise InvalidNotification(
                f"{len(problems)} field(s) failed validation",
                problems,
                correlation_id=correlation_id,
            ) from exc
        return notification

    async def refuse(self, agency: Agency, refusal: PeerError, correlation_id: str) -> None:
        """Audit a refused post: the fields and rules that failed, never the values."""
        detail: dict[str, object] = {"status": refusal.status_hint, "reason": refusal.detail}
        if isinstance(refusal, InvalidMessage):
            detail["check"], detail["kid"] = refusal.reason, refusal.kid
        if isinstance(refusal, InvalidNotification):
            detail["problems"] = [
                {"field": problem.field, "rule": problem.rule} for problem in refusal.problems
            ]
        log.info("notification.rejected", **detail)
        await self._audit.record(
            AuditEntry(
                action=AuditAction.NOTIFICATION_REJECTED,
                recorded_at=self._clock(),
                correlation_id=correlation_id,
                actor=agency.id,
                detail=detail,
            )
        )
