"""The HTTP inbox: an agency without an AMQP client lists, downloads and acknowledges its copies,
in the mailbox style of NHS MESH (list, download, acknowledge).

Rules:

1. An agency sees only its own copies, and only once they are released to it
   (:mod:`hub.stores._inbox_store`). Any id that is not one of its copies (another agency's,
   a held or cancelled one, none at all) is the same :class:`~hub.NotFound`, and the attempt is
   audited as ``access.refused`` with the route and the reason, never the id's owner. A cursor
   that names such a copy is refused alike.
2. *Pending* is released and not yet acknowledged by the agency, oldest release first, a page
   at a time (at most :data:`MAX_PAGE`); acknowledging (``hub.acknowledgements``) is what takes
   a copy off the list. A listing is metadata only (ids, type, kind, rule, when, size): it is not
   audited, as no content is disclosed by it.
3. ``wait`` (at most :data:`MAX_WAIT_SECONDS`) long-polls: an empty first page is asked again,
   with a pause growing from :data:`FIRST_PAUSE_SECONDS` to :data:`MAX_PAUSE_SECONDS`, until a
   copy is pending or the deadline passes (then the page is empty). ``gone`` (the client
   disconnected) ends the wait early; cancelling the task (shutdown) stops it at the next pause.
4. A download is the sealed delivery envelope exactly as it is (or would be) on the agency's
   queue. Opened, it is the agency's delivery document, only if this process holds the agency's
   private key (an agency edge); otherwise :class:`~hub.AgencyKeyNotHeld`, and nothing is opened.
   Both that refusal and a copy that fails verification when opened (the hub sealed it, so a
   changed row or key) are audited as ``access.refused`` before the error is raised.
5. Every download is audited (``delivery.downloaded``) before it is answered: the agency, the
   delivery id, the notification's id and type, the rule, sealed or opened, the envelope's hash;
   never its contents.
6. At most :data:`MAX_WAITING_POLLS` polls of one agency wait at once in this process; a poll
   beyond them answers at once, as with ``wait=0``, so that many idle long-polls cannot hold the
   database's connections from everyone else.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from hub._exceptions import AgencyKeyNotHeld, NotFound
from hub.audit import AuditAction, AuditEntry, access_refused
from hub.crypto import InvalidMessage, KeyMaterial
from hub.logs import get_logger
from hub.messages import DELIVERY_CONTENT_TYPE, DeliveredNotification, InboxCopy
from hub.ports import AuditLog, Clock, InboxStore
from hub.replay import page_cursor, parse_cursor
from hub.subscriber import open_message

__all__ = [
    "FIRST_PAUSE_SECONDS",
    "MAX_PAGE",
    "MAX_PAUSE_SECONDS",
    "MAX_WAITING_POLLS",
    "MAX_WAIT_SECONDS",
    "AgencyInbox",
    "Download",
    "InboxItem",
    "InboxPage",
]

log = get_logger(__name__)

MAX_PAGE: Final = 500
MAX_WAITING_POLLS: Final = 4
MAX_WAIT_SECONDS: Final = 60.0
FIRST_PAUSE_SECONDS: Final = 0.25
MAX_PAUSE_SECONDS: Final = 2.0
_NOT_FOUND: Final = "no such delivery for this agency"
_ID: Final = re.compile(r"^[0-9a-f]{32}$")

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One pending copy, described by metadata only."""

    delivery_id: str
    type: str
    kind: str
    rule_id: str | None
    released_at: datetime
    size: int
    acknowledge_by: datetime | None

    @classmethod
    def of(cls, held: InboxCopy) -> InboxItem:
        copy = held.copy
        return cls(
            delivery_id=copy.delivery_id,
            type=copy.notification[1],
            kind=copy.kind,
            rule_id=copy.message.headers.get("sehub-rule"),
            released_at=held.released_at,
            size=len(copy.message.body),
            acknowledge_by=copy.acknowledge_by,
        )


@dataclass(frozen=True, slots=True)
class InboxPage:
    """A page of pending copies, and the cursor of the next page (None: there is none)."""

    items: tuple[InboxItem, ...]
    next: str | None


@dataclass(frozen=True, slots=True)
class Download:
    """A downloaded copy: the sealed envelope, and the opened document if asked for."""

    delivery_id: str
    envelope: bytes
    content_type: str
    opened: DeliveredNotification | None
    acknowledged: bool


class AgencyInbox:
    """The list / download use case of an agency's HTTP inbox (rules 1-5)."""

    def __init__(
        self,
        store: InboxStore,
        audit: AuditLog,
        clock: Clock,
        *,
        keys: KeyMaterial,
        sleep: Sleep = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        max_waiting: int = MAX_WAITING_POLLS,
    ) -> None:
        self._store = store
        self._audit = audit
        self._clock = clock
        self._keys = keys
        self._sleep = sleep
        self._monotonic = monotonic
        self._max_waiting = max_waiting
        self._waiting: dict[str, int] = {}

    def can_open(self, agency: str) -> bool:
        """Whether this process holds ``agency``'s private key (rule 4)."""
        self._keys.refresh()
        return agency in self._keys.private_agencies

    async def pending(
        self,
        agency: str,
        *,
        after: str | None = None,
        limit: int = 100,
        wait: float = 0.0,
        gone: Callable[[], bool] = lambda: False,
        route: str = "",
        correlation_id: str | None = None,
    ) -> InboxPage:
        """One page of ``agency``'s pending copies after the cursor ``after`` (rules 1-3)."""
        if not 0 <= wait <= MAX_WAIT_SECONDS:
            raise ValueError("wait is out of range")  # the edge validates it first
        position = None if after is None else parse_cursor(after)
        if position is not None and await self._store.copy(agency, position[1]) is None:
            await self.refused(
                agency, route, correlation_id, "a cursor not of its own copies", position[1]
            )
            raise NotFound(_NOT_FOUND, correlation_id=correlation_id)
        size = max(1, min(limit, MAX_PAGE))
        if self._waiting.get(agency, 0) >= self._max_waiting:
            wait = 0.0  # rule 6: this agency's other polls are waiting already
        self._waiting[agency] = self._waiting.get(agency, 0) + 1
        try:
            page = await self._poll(agency, position, size, wait, gone)
        finally:
            self._waiting[agency] -= 1
        last = page[-1] if len(page) == size else None
        return InboxPage(
            items=tuple(InboxItem.of(held) for held in page),
            next=None if last is None else page_cursor(last.released_at, last.copy.delivery_id),
        )

    async def _poll(
        self,
        agency: str,
        position: tuple[datetime, str] | None,
        size: int,
        wait: float,
        gone: Callable[[], bool],
    ) -> list[InboxCopy]:
        deadline = self._monotonic() + wait
        pause = FIRST_PAUSE_SECONDS
        while True:
            page = await self._store.pending(agency, after=position, limit=size)
            remaining = deadline - self._monotonic()
            if page or remaining <= 0 or gone():
                return page
            await self._sleep(min(pause, remaining))
            pause = min(pause * 2, MAX_PAUSE_SECONDS)

    async def download(
        self,
        agency: str,
        delivery_id: str,
        *,
        opened: bool = False,
        route: str = "",
        correlation_id: str | None = None,
    ) -> Download:
        """``agency``'s copy ``delivery_id``, sealed or opened, audited first (rules 1, 4, 5)."""
        held = await self._store.copy(agency, delivery_id) if _ID.match(delivery_id) else None
        if held is None:
            await self.refused(
                agency, route, correlation_id, "downloaded a delivery not its own", delivery_id
            )
            raise NotFound(_NOT_FOUND, correlation_id=correlation_id)
        if opened and not self.can_open(agency):
            await self.refused(
                agency, route, correlation_id, "asked to open without its key here", delivery_id
            )
            raise AgencyKeyNotHeld(
                "this hub holds no private key of your agency, so it cannot open the delivery: "
                "download it sealed and open it with your own key",
                correlation_id=correlation_id,
            )
        copy = held.copy
        now = self._clock()
        document = None
        if opened:
            # The subscriber's own checks (rule 4); its replay mark means nothing here.
            try:
                delivery = open_message(
                    self._keys, agency, copy.message.body, replayed=False, now=now
                )
            except InvalidMessage as exc:
                # The hub sealed this copy itself: a failure here means a changed row or key.
                await self.refused(
                    agency,
                    route,
                    correlation_id,
                    f"the copy failed verification when opened: {exc.reason}",
                    delivery_id,
                )
                raise
            document = DeliveredNotification.model_validate(
                delivery.model_dump(exclude={"replayed"})
            )
        notification_id, notification_type = copy.notification
        await self._audit.record(
            AuditEntry(
                action=AuditAction.DELIVERY_DOWNLOADED,
                recorded_at=now,
                correlation_id=correlation_id,
                notification_id=notification_id,
                notification_type=notification_type,
                actor=agency,
                recipient=agency,
                rule_id=copy.message.headers.get("sehub-rule"),
                detail={
                    "delivery_id": delivery_id,
                    "kind": copy.kind,
                    "form": "opened" if opened else "sealed",
                    "envelope_sha256": hashlib.sha256(copy.message.body).hexdigest(),
                    "channel": "http",
                    "subjects": list(copy.subjects),
                },
            )
        )
        log.info("inbox.downloaded", delivery_id=delivery_id, opened=opened)
        return Download(
            delivery_id=delivery_id,
            envelope=copy.message.body,
            content_type=copy.message.content_type or DELIVERY_CONTENT_TYPE,
            opened=document,
            acknowledged=held.acknowledged,
        )

    async def refused(
        self,
        agency: str,
        route: str,
        correlation_id: str | None,
        reason: str,
        delivery_id: str | None = None,
    ) -> None:
        """Audit a refused inbox call (rule 1): who, the route, why, and the id asked for if it
        is well-formed (never free text); never whose id it was."""
        detail = {"reason": reason, "route": route, "channel": "http"}
        if delivery_id is not None and _ID.match(delivery_id):
            detail["delivery_id"] = delivery_id
        await self._audit.record(access_refused(agency, self._clock(), correlation_id, detail))
