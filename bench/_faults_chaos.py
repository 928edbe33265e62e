"""The chaos of a fault run: when the broker, a hub process or the database is crashed.

Rules:

1. The plan is drawn from the seed alone: the kinds (broker kills, hub kills, database
   outages) in a shuffled order, each at a point of the posting given as a fraction of the
   notifications accepted so far, between 3% and 92%. So a run can be repeated, and every
   crash happens while notifications flow, whatever the posting rate turns out to be.
2. Events happen one at a time, each after a short random delay once its point is reached; an
   event starts no sooner than the previous one has recovered (service back, process ready).
3. A hub kill alternates between the roles (the first role drawn from the seed), then picks
   one of that role's processes, so a run with two hub kills kills an API and a router.
4. Broker: kill -9 the node, wait 0.5-2 s, restart it with the project's script. Hub process:
   kill -9, wait 0-1 s, start it again (retried until the hub accepts to start). Database:
   ``pg_ctl stop -m immediate``, wait the outage, start it with the project's script.
5. Each event records when it began and when it had recovered, in seconds into the run, and
   how many notifications had been accepted when it began.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from bench._faults_hub import HubFleet
from bench._faults_services import Services

__all__ = ["BROKER", "DATABASE", "HUB", "Chaos", "ChaosEvent", "plan_chaos"]

BROKER: Final = "broker_kill"
HUB: Final = "hub_kill"
DATABASE: Final = "db_outage"
FIRST_POINT: Final = 0.03
LAST_POINT: Final = 0.92


@dataclass
class ChaosEvent:
    """One crash: what, at which point of the posting, and what happened."""

    kind: str
    at_fraction: float
    target: str | None = None
    began_s: float | None = None
    recovered_s: float | None = None
    accepted_before: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target": self.target,
            "at_fraction": round(self.at_fraction, 4),
            "accepted_before": self.accepted_before,
            "began_s": self.began_s,
            "recovered_s": self.recovered_s,
            **self.detail,
        }


def plan_chaos(
    *, broker_kills: int, hub_kills: int, db_outages: int, seed: int
) -> list[ChaosEvent]:
    """The events of a run, in order (rule 1)."""
    rng = random.Random(f"chaos-{seed}")  # noqa: S311  # a test schedule, not a secret
    kinds = [BROKER] * broker_kills + [HUB] * hub_kills + [DATABASE] * db_outages
    rng.shuffle(kinds)
    points = sorted(rng.uniform(FIRST_POINT, LAST_POINT) for _ in kinds)
    return [ChaosEvent(kind, point) for kind, point in zip(kinds, points, strict=True)]


@dataclass
class Chaos:
    """Performs the planned events against the run's services and hub processes."""

    events: list[ChaosEvent]
    services: Services
    fleet: HubFleet
    seed: int
    elapsed: Callable[[], float]
    accepted: Callable[[], int]
    planned: int
    db_outage_seconds: float = 5.0
    say: Callable[[str], None] = print

    async def run(self, posting_done: asyncio.Event) -> None:
        """Each event once its point is reached (or posting has ended), one at a time."""
        rng = random.Random(f"chaos-run-{self.seed}")  # noqa: S311  # see rule 1
        roles = ["api", "router"]
        rng.shuffle(roles)
        hub_kills = 0
        for number, event in enumerate(self.events, start=1):
            # A counter the poster moves, polled: there is no event to wait for.
            while self.accepted() < event.at_fraction * self.planned:
                if posting_done.is_set():
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(rng.uniform(0.0, 0.5))
            if event.kind == HUB:
                role = roles[hub_kills % 2]
                hub_kills += 1
                event.target = rng.choice([s.name for s in self.fleet.slots if s.role == role])
            event.accepted_before = self.accepted()
            event.began_s = round(self.elapsed(), 2)
            await self._perform(event, rng)
            event.recovered_s = round(self.elapsed(), 2)
            self.say(
                f"  chaos {number}/{len(self.events)}: {event.kind}"
                f"{' ' + event.target if event.target else ''} at {event.accepted_before} accepted,"
                f" back after {event.recovered_s - event.began_s:.1f}s"
            )

    async def _perform(self, event: ChaosEvent, rng: random.Random) -> None:
        if event.kind == BROKER:
            event.detail["pid"] = await self.services.kill_broker()
            await asyncio.sleep(rng.uniform(0.5, 2.0))
            await self.services.start_broker()
        elif event.kind == HUB:
            assert event.target is not None
            event.detail["pid"] = await self.fleet.kill(event.target)
            await asyncio.sleep(rng.uniform(0.0, 1.0))
            await self.fleet.restart(event.target)
        else:
            await self.services.crash_database()
            await asyncio.sleep(self.db_outage_seconds)
            await self.services.start_database()
