"""The HTTP load of a benchmark run: K concurrent clients posting a fixed list of requests.

Rules:

1. One ``aiohttp.ClientSession`` with a connection pool of K; K workers take the next request
   from the list, so at most K posts are in flight. Requests go round-robin over the base URLs.
2. Paced when ``rate`` is given: posts *start* at most ``rate`` per second, evenly spread (an
   open-loop offered load for the half-load run); otherwise each worker posts as soon as its
   previous post is answered (closed loop, the peak).
3. A post's start time (``time.monotonic()``) is kept under every notification id the answer
   names: a canonical post's ``id``, each of a native post's ``notifications``. Latency to a
   recipient is measured from it. Anything but 202 is counted by status, never retried: a
   benchmark that retried would hide the failure in its figures.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiohttp

__all__ = ["LoadResult", "Post", "post_all"]

REQUEST_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Post:
    """One request to send: path, headers and exact body."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class LoadResult:
    """When each accepted notification was posted, and what went wrong."""

    posted_at: dict[str, float] = field(default_factory=dict)
    failures: Counter[str] = field(default_factory=Counter)
    accepted_posts: int = 0
    started: float = 0.0
    finished: float = 0.0

    @property
    def seconds(self) -> float:
        return self.finished - self.started


def _ids_of(answer: object) -> list[str]:
    if not isinstance(answer, dict):
        return []
    if "id" in answer:
        return [str(answer["id"])]
    return [str(item["id"]) for item in answer.get("notifications", ())]


class _Pacing:
    """Starts at most ``rate`` per second, evenly spread (rule 2)."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._next = time.monotonic()

    async def wait(self) -> None:
        now = time.monotonic()
        self._next = max(self._next, now)
        delay, self._next = self._next - now, self._next + self._interval
        if delay > 0:
            await asyncio.sleep(delay)


async def post_all(
    base_urls: Sequence[str], posts: Sequence[Post], *, clients: int, rate: float | None = None
) -> LoadResult:
    """Send every post with ``clients`` concurrent clients (rules 1-3)."""
    result = LoadResult()
    pending = iter(enumerate(posts))
    pacing = _Pacing(rate) if rate else None
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
    connector = aiohttp.TCPConnector(limit=clients)

    async def worker(session: aiohttp.ClientSession) -> None:
        for index, post in pending:
            if pacing is not None:
                await pacing.wait()
            url = base_urls[index % len(base_urls)] + post.path
            started = time.monotonic()
            try:
                async with session.post(url, data=post.body, headers=post.headers) as response:
                    status = response.status
                    answer = await response.json(content_type=None) if status == 202 else None
            except TimeoutError:
                result.failures["timeout"] += 1
                continue
            except aiohttp.ClientError as exc:
                result.failures[type(exc).__name__] += 1
                continue
            if status != 202:
                result.failures[str(status)] += 1
                continue
            result.accepted_posts += 1
            for notification_id in _ids_of(answer):
                result.posted_at[notification_id] = started

    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        result.started = time.monotonic()
        await asyncio.gather(*(worker(session) for _ in range(clients)))
        result.finished = time.monotonic()
    return result
