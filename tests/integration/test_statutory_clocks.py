"""The 72-hour return-interview clock on the real database and RabbitMQ: it alerts when no
interview is recorded in time, at once for an episode that ended long before it was posted,
and never once the interview is recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hub.audit import AuditAction
from hub.sharing import CLOCK_FIRED_TYPE
from schemas import return_interview_due, source_for_agency
from tests.integration.obligations_rig import PROTOCOL, Rig, obligations_rig
from tests.integration.queue_support import queued
from tests.unit.builders import (
    CHILDRENS,
    DURHAM,
    DURHAM_LA,
    DURHAM_POLICE,
    NORTHUMBERLAND_LA,
    POLICE,
    documented_example,
    make_ended_event,
)

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
CLOCK = "return-interview-overdue"


@pytest.fixture
async def rig(clean_broker: None, fresh_database_url: str, tmp_path: Path) -> AsyncIterator[Rig]:
    async with obligations_rig(fresh_database_url, tmp_path / "keys", NOW) as wired:
        yield wired


def _ended(event_id: str, episode: str, ended_at: datetime) -> dict[str, Any]:
    return make_ended_event(
        id=event_id,
        episodeid=episode,
        time=NOW.isoformat(),
        data={
            "started_on": (ended_at - timedelta(days=1)).date().isoformat(),
            "ended_on": ended_at.date().isoformat(),
            "ended_at": ended_at.isoformat(),
            "return_interview_due": return_interview_due(ended_at.date(), ended_at).isoformat(),
        },
    )


def _interview(event_id: str, episode: str) -> dict[str, Any]:
    return documented_example(
        "return_interview.recorded", id=event_id, episodeid=episode, data__episode_ref=episode
    )


async def _alerts(rig: Rig, agency: str) -> list[Any]:
    return [d for d in await rig.taken(agency) if d.event["type"] == CLOCK_FIRED_TYPE]


async def test_no_interview_within_72_hours_alerts_the_childs_council_and_police(
    rig: Rig,
) -> None:
    """An episode ended an hour ago: nothing before 72 hours have passed since it ended, then
    one alert each to the council where the child lives (which reported the return; no
    responsible council is named) and the area's police, audited as fired once."""
    ended_at = NOW - timedelta(hours=1)
    decision = await rig.route(_ended("ri-1", "MIS-RI-1", ended_at))
    (start,) = decision.clocks_started
    assert start.due_at == ended_at + timedelta(hours=72)
    assert not start.fires_at_once

    rig.at(start.due_at - timedelta(seconds=1))
    await rig.relay.drain_once()  # the ended notification's own ladder steps are due by now
    assert await _alerts(rig, CHILDRENS) == await _alerts(rig, POLICE) == []
    rig.at(start.due_at + timedelta(seconds=1))
    await rig.relay.drain_once()
    await rig.relay.drain_once()
    for agency in (CHILDRENS, POLICE):
        (alert,) = await _alerts(rig, agency)
        assert alert.event["clockid"] == CLOCK
        assert alert.receipt.rule_id == CLOCK
    fired = await rig.actions(AuditAction.CLOCK_FIRED)
    assert sorted(e.recipient for e in fired) == [CHILDRENS, POLICE]
    (started,) = await rig.actions(AuditAction.CLOCK_STARTED)
    assert started.detail["fires_at_once"] is False
    assert (await rig.audit.verify()).broken is None


async def test_the_clock_for_another_councils_child_alerts_both_councils_and_both_forces(
    rig: Rig,
) -> None:
    """A Durham child in care living in Northumberland, back from missing, reported by Durham:
    with no interview in 72 hours the alert goes to Durham (responsible, and the reporter),
    Northumberland (where the child lives), Northumbria Police (the area) and Durham
    Constabulary (the responsible council's force), and to no other party."""
    event = _ended("ri-5", "MIS-RI-5", NOW - timedelta(hours=1))
    event["source"] = source_for_agency(DURHAM)
    event["data"]["person"]["responsible_la"] = DURHAM_LA
    assert event["data"]["person"]["resident_la"] == NORTHUMBERLAND_LA
    decision = await rig.route(event)
    (start,) = decision.clocks_started
    rig.at(start.due_at - timedelta(seconds=1))
    await rig.relay.drain_once()  # the ended notification's own ladder steps are due by now
    for agency, count in (await queued(PROTOCOL.party_ids)).items():
        if count:
            await rig.taken(agency)  # the notification's own copies, and their escalations

    rig.at(start.due_at + timedelta(seconds=1))
    await rig.relay.drain_once()
    await rig.relay.drain_once()
    alerted = (DURHAM, CHILDRENS, POLICE, DURHAM_POLICE)
    holding = {agency: n for agency, n in (await queued(PROTOCOL.party_ids)).items() if n}
    assert holding == dict.fromkeys(alerted, 1)
    for agency in alerted:
        (alert,) = await _alerts(rig, agency)
        assert alert.event["clockid"] == CLOCK
        assert "nhs_number" not in alert.event["data"]["person"]
    fired = await rig.actions(AuditAction.CLOCK_FIRED)
    assert sorted(e.recipient for e in fired) == sorted(alerted)


async def test_an_episode_that_ended_long_before_it_was_posted_alerts_at_once(rig: Rig) -> None:
    """Ended 80 hours before the hub heard of it: the clock is already overdue and its alerts
    go out on the relay's next pass, with no time advanced."""
    decision = await rig.route(_ended("ri-2", "MIS-RI-2", NOW - timedelta(hours=80)))
    (start,) = decision.clocks_started
    assert start.fires_at_once
    await rig.relay.drain_once()
    assert len(await _alerts(rig, POLICE)) == 1
    assert len(await _alerts(rig, CHILDRENS)) == 1
    (started,) = await rig.actions(AuditAction.CLOCK_STARTED)
    assert started.detail["fires_at_once"] is True


async def test_a_recorded_return_interview_stops_the_clock(rig: Rig) -> None:
    """The interview recorded on day two: the clock stops, and 72 hours on nobody is alerted."""
    decision = await rig.route(_ended("ri-3", "MIS-RI-3", NOW - timedelta(hours=1)))
    (start,) = decision.clocks_started
    rig.at(NOW + timedelta(days=1))
    stopped = await rig.route(_interview("ri-3-interview", "MIS-RI-3"))
    assert [stop.clock_id for stop in stopped.clocks_stopped] == [CLOCK]

    rig.at(start.due_at + timedelta(hours=1))
    await rig.relay.drain_once()
    assert await _alerts(rig, POLICE) == await _alerts(rig, CHILDRENS) == []
    assert len(await rig.actions(AuditAction.CLOCK_STOPPED)) == 1
    assert await rig.actions(AuditAction.CLOCK_FIRED) == []


async def test_an_interview_for_another_episode_does_not_stop_the_clock(rig: Rig) -> None:
    """Only the same episode stops a clock: an interview for another one leaves it running."""
    decision = await rig.route(_ended("ri-4", "MIS-RI-4", NOW - timedelta(hours=1)))
    (start,) = decision.clocks_started
    await rig.route(_interview("ri-4-other", "MIS-RI-OTHER"))

    rig.at(start.due_at + timedelta(seconds=1))
    await rig.relay.drain_once()
    assert len(await _alerts(rig, POLICE)) == 1
