"""The notifications of a fault run, who should receive each, and the poster that sends them.

Rules:

1. Synthetic and seeded: ``missing_episode.started`` events posted by Northumberland children's
   services or by Northumbria Police, about children with valid synthetic NHS numbers and
   UPNs, responsible LA varied (Northumberland, Newcastle, Durham) so that the police's reports
   also reach a second council. No placement is ever posted, so the routing state stays empty.
2. The expected recipients of each are what the pure :func:`hub.sharing.decide` says for the
   same protocol with an empty routing state: ``delivered`` is measured against who should
   have been told, not against who happened to be.
3. Each notification is posted until it gets 202, always with the same body, round-robin over
   the API processes: a 503, a connection error or a timeout is retried after a short
   back-off (the idempotent retry the hub must absorb). Any other status is final, and is
   counted as a refusal by status. A notification is accepted when it gets its 202.
4. New notifications start at most at ``rate`` per second (retries are not held back), with at
   most ``concurrency`` posts in flight.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import aiohttp
from stdnum.gb import nhs, upn

from hub.sharing import decide
from protocols import Protocol
from schemas import parse_notification, source_for_agency

__all__ = ["PlannedNotification", "Poster", "plan_notifications"]

CHILDRENS = "northumberland-childrens"
POLICE = "northumbria-police"
_RESPONSIBLE_LAS = ("929", "929", "391", "840")
_RISKS = ("low", "medium", "high")
_RETRYABLE_STATUSES = frozenset({502, 503, 504})
_EPOCH = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class PlannedNotification:
    """One notification to post: its id, publisher, exact body and expected recipients."""

    id: str
    publisher: str
    body: bytes
    recipients: frozenset[str]


def _nhs_numbers(rng: random.Random) -> Iterator[str]:
    """Distinct valid synthetic NHS numbers (the check digit computed, the rest counted)."""
    counter = rng.randrange(400_000_000, 500_000_000)
    while True:
        counter += 1
        for digit in "0123456789":
            if nhs.is_valid(f"{counter}{digit}"):
                yield f"{counter}{digit}"
                break


def _upn(la_code: str, serial: int) -> str:
    body = f"{la_code}{200_000_000 + serial:09d}"
    return str(upn.calc_check_digit(body)) + body


def _event(index: int, run_tag: str, rng: random.Random, nhs_number: str) -> dict[str, object]:
    publisher = rng.choice((CHILDRENS, POLICE))
    started = _EPOCH + timedelta(minutes=index * 7 + rng.randrange(7))
    born = date(2009 + rng.randrange(6), 1 + rng.randrange(12), 1 + rng.randrange(28))
    return {
        "specversion": "1.0",
        "id": f"faults-{run_tag}-{index:06d}",
        "source": source_for_agency(publisher),
        "type": "uk.sehub.missing_episode.started.v1",
        "time": (started + timedelta(minutes=20)).isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "episodeid": f"MIS-{run_tag}-{index:06d}",
        "data": {
            "person": {
                "local_id": f"FAULT-{index:06d}",
                "nhs_number": nhs_number,
                "upn": _upn("929", index),
                "date_of_birth": born.isoformat(),
                "sex": rng.choice(("F", "M")),
                "resident_la": "929",
                "responsible_la": rng.choice(_RESPONSIBLE_LAS),
            },
            "missing_type": rng.choice(("missing", "missing", "away_without_authorisation")),
            "looked_after": rng.random() < 0.6,
            "started_on": started.date().isoformat(),
            "started_at": started.isoformat().replace("+00:00", "Z"),
            "risk_level": rng.choice(_RISKS),
        },
    }


def plan_notifications(
    count: int, *, seed: int, run_tag: str, protocol: Protocol, now: datetime
) -> list[PlannedNotification]:
    """``count`` notifications and their expected recipients (rules 1 and 2)."""
    rng = random.Random(seed)  # noqa: S311  # synthetic data, not a secret
    numbers = _nhs_numbers(rng)
    planned = []
    for index in range(count):
        event = _event(index, run_tag, rng, next(numbers))
        body = json.dumps(event, separators=(",", ":")).encode()
        decision = decide(parse_notification(body), protocol, now)
        planned.append(
            PlannedNotification(
                id=str(event["id"]),
                publisher=decision.publisher,
                body=body,
                recipients=frozenset(view.recipient for view in decision.views),
            )
        )
    return planned


@dataclass
class Poster:
    """Posts every planned notification until it is accepted (rules 3 and 4)."""

    api_urls: Sequence[str]
    tokens: dict[str, str]
    elapsed: Callable[[], float]
    rate: float = 25.0
    concurrency: int = 8
    request_timeout: float = 15.0
    accepted: dict[str, float] = field(default_factory=dict)  # id -> seconds into the run
    refused: Counter[int] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    attempts: int = 0
    _turn: int = 0

    async def run(self, planned: Sequence[PlannedNotification], stop: asyncio.Event) -> None:
        """Post ``planned`` in order; returns when each is accepted or refused, or on ``stop``."""
        queue: asyncio.Queue[PlannedNotification] = asyncio.Queue()
        for notification in planned:
            queue.put_nowait(notification)
        pacing = _Pacing(self.rate)
        timeout = aiohttp.ClientTimeout(total=self.request_timeout)
        connector = aiohttp.TCPConnector(limit=self.concurrency * 2)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:

            async def worker() -> None:
                while not stop.is_set() and not queue.empty():
                    notification = queue.get_nowait()
                    await pacing.wait()
                    await self._post_until_final(session, notification, stop)

            await asyncio.gather(*(worker() for _ in range(self.concurrency)))

    def _next_url(self) -> str:
        self._turn += 1
        return self.api_urls[self._turn % len(self.api_urls)]

    async def _post_until_final(
        self, session: aiohttp.ClientSession, notification: PlannedNotification, stop: asyncio.Event
    ) -> None:
        headers = {
            "Authorization": f"Bearer {self.tokens[notification.publisher]}",
            "Content-Type": "application/cloudevents+json",
        }
        pause = 0.2
        while not stop.is_set():
            self.attempts += 1
            cause = await self._post_once(session, notification, headers)
            if cause is None:
                return
            self.retries[cause] += 1
            await asyncio.sleep(pause)
            pause = min(pause * 2, 2.0)

    async def _post_once(
        self,
        session: aiohttp.ClientSession,
        notification: PlannedNotification,
        headers: dict[str, str],
    ) -> str | None:
        """One POST: None when final (accepted or refused), else why it is to be retried."""
        try:
            async with session.post(
                f"{self._next_url()}/v1/notifications", data=notification.body, headers=headers
            ) as response:
                await response.read()
                status = response.status
        except TimeoutError:
            return "timeout"
        except aiohttp.ClientError:
            return "connection_error"
        if status == 202:
            self.accepted.setdefault(notification.id, self.elapsed())
            return None
        if status in _RETRYABLE_STATUSES:
            return str(status)
        self.refused[status] += 1
        return None


class _Pacing:
    """At most ``rate`` starts per second, spread evenly."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._next = time.monotonic()
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = time.monotonic()
            self._next = max(self._next, now)
            delay = self._next - now
            self._next += self._interval
        if delay > 0:
            await asyncio.sleep(delay)
