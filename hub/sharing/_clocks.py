"""Statutory clocks a notification starts or stops, and the alerts a start plans.

Rules:

1. Deny by default. A clock starts (or stops) only on a notification of one of its trigger's
   types, from one of its trigger's publishers, that some rule lets that publisher publish (the
   protocol will not load a trigger no rule allows; it is checked again here), and whose trigger
   ``when`` holds. A notification from any other publisher is no concern of the clock.
2. The episode is the notification's ``source`` and the value at the trigger's ``episode`` path
   (the envelope's ``episodeid`` unless the clock says otherwise). Episode ids are the
   publisher's own, so a stop names a running clock's episode only when the publisher that
   started it sends it. A start or stop that names no episode is refused, with the reason.
3. The due time is read from the starting notification (``due.field``, or ``due.after`` past
   ``due.from``); a date stands for the start of that day in England. A due time already past
   is planned all the same (``fires_at_once``): the alert is released as soon as it is held.
4. Each recipient gets one alert, built by the function that builds a rule's views, from the
   clock's fields, basis and purpose; recipients are resolved from the decision's facts when the
   clock starts. Unlike a rule, a clock may alert its own publisher: an obligation falling due
   is news to it, not its own notification echoed back. A party resolved twice is alerted once.
   A role that cannot be resolved is refused with the reason; a clock with nobody to alert does
   not start.
5. The alert is a CloudEvent from the hub (``source`` :data:`HUB_SOURCE`, ``type``
   :data:`CLOCK_FIRED_TYPE`, ``time`` the due time) whose ``data`` is the starting notification's
   ``data``, minimised; extension attributes name the clock (``clockid``) and the starting
   notification (``startedbyid``, ``startedbysource``, ``startedbytype``, ``startedbytime``);
   ``episodeid``, ``hubepisode``, ``correlationid`` (and ``subject``, if allowed) are carried
   over. Its receipt's deadline counts from when it is released: the due time, or now if that
   has passed.
6. Pure: episodes are raw (the router pseudonymises them); nothing is held or sent here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from hub.sharing._conditions import unmet_condition, value_at
from hub.sharing._facts import ENGLAND, Facts
from hub.sharing._roles import resolve_recipient
from hub.sharing._views import Refusal, View, view_of
from protocols import Clock, ClockTrigger, Protocol

__all__ = [
    "CLOCK_FIRED_TYPE",
    "HUB_SOURCE",
    "ClockStart",
    "ClockStop",
    "EpisodeRef",
    "plan_clocks",
]

HUB_SOURCE = "urn:sehub:hub"
CLOCK_FIRED_TYPE = "uk.sehub.clock.fired.v1"
_DATE_LENGTH = len("2026-11-29")


@dataclass(frozen=True, slots=True)
class EpisodeRef:
    """An episode as its publisher names it: the publisher's ``source`` and its episode id."""

    source: str
    episode: str


@dataclass(frozen=True, slots=True)
class ClockStart:
    """A clock started for one episode: its alerts, held until ``due_at`` unless stopped."""

    clock_id: str
    episode: EpisodeRef
    due_at: datetime  # aware, UTC
    fires_at_once: bool  # due_at was not after the decision's time
    alerts: tuple[View, ...]  # one per recipient; receipt.rule_id is the clock id


@dataclass(frozen=True, slots=True)
class ClockStop:
    """A clock stopped for one episode: its held alerts are cancelled."""

    clock_id: str
    episode: EpisodeRef


Planned = tuple[tuple[ClockStart, ...], tuple[ClockStop, ...], tuple[Refusal, ...]]


def plan_clocks(
    event: Mapping[str, Any], protocol: Protocol, facts: Facts, publisher: str, now: datetime
) -> Planned:
    """The clocks ``event`` (a notification's JSON form) starts and stops, and what was refused."""
    planner = _Planner(event, protocol, facts, publisher, now)
    starts: list[ClockStart] = []
    stops: list[ClockStop] = []
    for clock in protocol.clocks:
        if planner.triggers(clock.starts_on):
            start = planner.start(clock)
            if start is not None:
                starts.append(start)
        if planner.triggers(clock.stops_on):
            episode = planner.episode(clock, clock.stops_on, "stopped")
            if episode is not None:
                stops.append(ClockStop(clock.id, episode))
    return tuple(starts), tuple(stops), tuple(planner.refusals)


class _Planner:
    """Plans the clocks of one notification, collecting what it refuses."""

    def __init__(
        self,
        event: Mapping[str, Any],
        protocol: Protocol,
        facts: Facts,
        publisher: str,
        now: datetime,
    ) -> None:
        self.event = event
        self.protocol = protocol
        self.facts = facts
        self.publisher = publisher
        self.now = now
        self.refusals: list[Refusal] = []

    def refuse(self, clock: Clock, reason: str, recipient: str | None = None) -> None:
        self.refusals.append(Refusal(recipient, clock.id, reason))

    def triggers(self, trigger: ClockTrigger) -> bool:
        """Whether the notification is of the trigger's types, from one of its publishers."""
        type_name = str(self.event["type"])
        return (
            type_name in trigger.types
            and self.publisher in trigger.publishers
            and self.protocol.may_publish(self.publisher, type_name)
        )

    def episode(self, clock: Clock, trigger: ClockTrigger, verb: str) -> EpisodeRef | None:
        """The episode the notification names for ``trigger``, or None (refused)."""
        unmet = unmet_condition(self.event, self.facts, trigger.when)
        if unmet is not None:
            self.refuse(clock, f"clock not {verb}: condition not met: {unmet}")
            return None
        episode = value_at(self.event, trigger.episode)
        if not isinstance(episode, str) or not episode:
            self.refuse(clock, f"clock not {verb}: no episode at {trigger.episode}")
            return None
        return EpisodeRef(source=str(self.event["source"]), episode=episode)

    def start(self, clock: Clock) -> ClockStart | None:
        """The clock started, with one alert per recipient; or None (refused)."""
        episode = self.episode(clock, clock.starts_on, "started")
        if episode is None:
            return None
        when = _time_at(self.event, clock.due.path)
        if when is None:
            self.refuse(clock, f"clock not started: no time at {clock.due.path}")
            return None
        due_at = when + clock.due.delay
        released = max(due_at, self.now.astimezone(UTC))
        alerts: dict[str, View] = {}
        for named in clock.recipients:
            recipient, reason = resolve_recipient(named, self.protocol, self.facts)
            if recipient is None:
                self.refuse(clock, reason)
            elif recipient in alerts:
                self.refuse(clock, "already alerted by this clock", recipient)
            else:
                alerts[recipient] = view_of(
                    recipient,
                    self.event,
                    clock,
                    self.protocol,
                    deadline_from=released,
                    shape=lambda kept: _alert(clock, self.publisher, kept, due_at),
                )
        if not alerts:
            self.refuse(clock, "clock not started: nobody to alert")
            return None
        return ClockStart(clock.id, episode, due_at, due_at <= self.now, tuple(alerts.values()))


def _time_at(event: Mapping[str, Any], path: str) -> datetime | None:
    """The aware time at ``path`` (a date: the start of that day in England), in UTC."""
    value = value_at(event, path)
    if not isinstance(value, str):
        return None
    try:
        if len(value) == _DATE_LENGTH:
            return datetime.combine(date.fromisoformat(value), time(), ENGLAND).astimezone(UTC)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return None if parsed.tzinfo is None else parsed.astimezone(UTC)


def _alert(
    clock: Clock, publisher: str, kept: Mapping[str, Any], due_at: datetime
) -> dict[str, Any]:
    """The alert document: a CloudEvent from the hub around the minimised starting event."""
    alert: dict[str, Any] = {
        "specversion": "1.0",
        "id": f"{clock.id}:{publisher}:{kept['id']}",
        "source": HUB_SOURCE,
        "type": CLOCK_FIRED_TYPE,
        "time": due_at.isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "clockid": clock.id,
        "startedbyid": kept["id"],
        "startedbysource": kept["source"],
        "startedbytype": kept["type"],
        "startedbytime": kept["time"],
    }
    alert.update(
        {
            key: kept[key]
            for key in ("correlationid", "episodeid", "hubepisode", "subject")
            if key in kept
        }
    )
    if "data" in kept:
        alert["data"] = kept["data"]
    return alert
