"""Replay: an agency asks for its deliveries again, since a time or after a cursor.

After a subscriber outage that lost data, or to rebuild a system, a recipient asks the hub to
send again what it was sent. Rules:

1. Only the agency's own copies, only those the broker confirmed once (published), never a
   held copy still waiting or one cancelled, oldest first; a page at a time
   (:data:`MAX_PAGE`), with a cursor for the next.
2. Within retention only: a copy is replayed only while its rule's (or clock's) retention from
   the protocol lasts; an older one is as if it were not there.
3. The copies are the very sealed envelopes first published, with the same delivery ids, sent
   again to the agency's own queue marked ``sehub-replay: true``: the subscriber library hands a
   replayed copy even if it already handled it. A copy sealed to a key the agency has since
   destroyed cannot be opened again; the hub keeps no readable copy to seal anew.
4. Each page is audited (``delivery.replayed``) with the agency, the window, the number of
   copies and their delivery ids, never contents, in the same transaction that puts its copies
   in the replay outbox: nothing is sent before the record is committed. A page that cannot be
   committed is a 503 with nothing queued, and its retry is audited again.
5. The answer comes once the page is committed, not once it is sent: the router's replay relay
   (:class:`hub.relays.ReplayRelay`) publishes each copy within seconds, retrying what fails,
   so that an API process whose broker user may publish only to ingress serves a replay too.
   Nothing is published for an agency that receives over its HTTP inbox only.
6. One agency may have at most :data:`MAX_WAITING` replayed copies queued and not yet sent: a
   page that would pass it is a 429 with ``Retry-After`` and nothing is queued, so that asking
   in a loop cannot fill the database or the broker for everyone. The refusal is audited as
   ``rate.limited`` (the agency, how many wait, how many were asked; the request rate limit
   bounds how many such records one agency can cause), and a refusal the audit log cannot take
   is a 503 rather than an unrecorded 429.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from hub._exceptions import FieldProblem, InvalidInput, TooManyRequests
from hub.audit import AuditAction, AuditEntry, RetentionPolicy
from hub.logs import get_logger
from hub.messages import REPLAY_HEADER, ReplayCopy
from hub.ports import AuditLog, Clock, ReplayStore, RoutingStore

__all__ = ["MAX_PAGE", "Replay", "Replayed", "page_cursor", "parse_cursor"]

log = get_logger(__name__)

MAX_PAGE: Final = 500
# Unsent replayed copies one agency may have queued at once (rule 6): ten full pages.
MAX_WAITING: Final = 10 * MAX_PAGE
WAITING_RETRY_SECONDS: Final = 30


@dataclass(frozen=True, slots=True)
class Replayed:
    """One page of a replay: how many copies go again, their ids, and the cursor for the next."""

    replayed: int
    delivery_ids: tuple[str, ...]
    next: str | None


def page_cursor(at: datetime, delivery_id: str) -> str:
    """The opaque cursor of a page's last position: a time and a delivery id (also the HTTP
    inbox's, :mod:`hub.inbox`); :func:`parse_cursor` reads it back."""
    document = json.dumps([at.isoformat(), delivery_id]).encode()
    return base64.urlsafe_b64encode(document).decode().rstrip("=")


_BAD_CURSOR: Final = FieldProblem("after", "invalid_cursor", "not a cursor the hub gave")
_DELIVERY_ID: Final = re.compile(r"^[0-9a-f]{32}$")


def parse_cursor(cursor: str) -> tuple[datetime, str]:
    """A cursor back into its position; :class:`InvalidInput` naming ``after`` if it is not one."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment, delivery = json.loads(base64.urlsafe_b64decode(padded))
        at = datetime.fromisoformat(moment)
    except (ValueError, TypeError) as exc:
        raise InvalidInput("the cursor is not valid", (_BAD_CURSOR,)) from exc
    if at.tzinfo is None or not isinstance(delivery, str) or not _DELIVERY_ID.match(delivery):
        raise InvalidInput("the cursor is not valid", (_BAD_CURSOR,))
    return at, delivery


class Replay:
    """Queues an agency's copies to be sent again (rules 1-5)."""

    def __init__(
        self,
        state: RoutingStore,
        replays: ReplayStore,
        clock: Clock,
        *,
        audit: AuditLog,
        retention: RetentionPolicy,
        max_waiting: int = MAX_WAITING,
    ) -> None:
        self._state = state
        self._replays = replays
        self._audit = audit
        self._clock = clock
        self._retention = retention
        self._max_waiting = max_waiting

    async def replay(
        self,
        agency: str,
        *,
        since: datetime | None = None,
        after: str | None = None,
        limit: int = MAX_PAGE,
        correlation_id: str | None = None,
    ) -> Replayed:
        """Queue one page of ``agency``'s copies to be sent again: those created at or after
        ``since``, or after the position ``after`` names; the cursor says where the next page
        starts."""
        position = None if after is None else parse_cursor(after)
        now = self._clock()
        page = await self._state.sent_to(
            agency, since=since, after=position, limit=min(limit, MAX_PAGE)
        )
        kept = [
            copy
            for copy, created in page
            if not self._retention.past(created, copy.message.headers.get("sehub-rule"), now)
        ]
        waiting = await self._replays.waiting(agency) if kept else 0
        if waiting + len(kept) > self._max_waiting:
            log.warning("replay.refused_waiting", agency=agency, waiting=waiting)
            await self._audit.record(
                AuditEntry(
                    action=AuditAction.RATE_LIMITED,
                    recorded_at=now,
                    correlation_id=correlation_id,
                    actor=agency,
                    detail={
                        "limit": "replay_waiting",
                        "waiting": waiting,
                        "asked": len(kept),
                        "max_waiting": self._max_waiting,
                    },
                )
            )
            raise TooManyRequests(
                "the copies asked for before are still being sent; ask again once they came",
                WAITING_RETRY_SECONDS,
                correlation_id=correlation_id,
            )
        ids = tuple(copy.delivery_id for copy in kept)
        next_cursor = None
        if len(page) == min(limit, MAX_PAGE):
            last, made = page[-1]
            next_cursor = page_cursor(made, last.delivery_id)
        entry = AuditEntry(
            action=AuditAction.DELIVERY_REPLAYED,
            recorded_at=now,
            correlation_id=correlation_id,
            actor=agency,
            recipient=agency,
            detail={
                "since": None if since is None else since.isoformat(),
                "after": None
                if position is None
                else {"created_at": position[0].isoformat(), "delivery_id": position[1]},
                "replayed": len(ids),
                "delivery_ids": list(ids),
                "past_retention": len(page) - len(kept),
            },
        )
        copies = [
            ReplayCopy(
                replay_id=uuid.uuid4().hex,
                recipient=agency,
                delivery_id=copy.delivery_id,
                message=replace(
                    copy.message, headers={**copy.message.headers, REPLAY_HEADER: "true"}
                ),
            )
            for copy in kept
        ]
        # One commit (rule 4): the record and the copies it names, or neither.
        await self._replays.request(copies, entry)
        log.info("delivery.replay_queued", agency=agency, replayed=len(ids))
        return Replayed(replayed=len(ids), delivery_ids=ids, next=next_cursor)
