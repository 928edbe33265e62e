"""The whole partnership through the running hub and the real RabbitMQ (issue 11's "done when").

A Durham child in care is placed in Northumberland. Each agency posts what it would: Durham's
children's services (responsible), Northumbria Police (the host area's force), Gateshead (a
council with no claim on the child). Every other council's queue is watched to prove it hears
nothing about a child that is not its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hub.subscriber import Delivery
from schemas import return_interview_due
from tests.integration.conftest import HubProcess
from tests.integration.partnership_support import drain

DURHAM = "durham-childrens"
HOST = "northumberland-childrens"
HOST_EDUCATION = "northumberland-education"
HOST_POLICE = "northumbria-police"
HOME_POLICE = "durham-constabulary"
DURHAM_EDUCATION = "durham-education"
SUNDERLAND = "sunderland-childrens"
GATESHEAD = "gateshead-childrens"
HEALTH = "durham-darlington-health"
WATCHED = (
    DURHAM,
    HOST,
    HOST_EDUCATION,
    HOST_POLICE,
    HOME_POLICE,
    DURHAM_EDUCATION,
    SUNDERLAND,
    GATESHEAD,
    HEALTH,
)

NHS = "9434765919"  # synthetic, valid check digit
UPN = "H801200001001"


def _day(offset: int) -> str:
    """A date ``offset`` days from today, so the hub's real clock never finds a deadline past."""
    return (datetime.now(UTC).date() + timedelta(days=offset)).isoformat()


def _person(local_id: str, *, resident: str, responsible: str | None = "840") -> dict[str, Any]:
    person: dict[str, Any] = {
        "local_id": local_id,
        "nhs_number": NHS,
        "upn": UPN,
        "date_of_birth": "2011-05-04",
        "sex": "F",
        "resident_la": resident,
    }
    if responsible is not None:
        person["responsible_la"] = responsible
    return person


def _event(
    agency: str, event_id: str, kind: str, data: dict[str, Any], episode: str | None = None
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": event_id,
        "source": f"urn:sehub:agency:{agency}",
        "type": f"uk.sehub.{kind}.v1",
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "datacontenttype": "application/json",
        "data": data,
    }
    if episode is not None:
        event["episodeid"] = episode
    return event


def _placement(
    agency: str, event_id: str, *, placing: str, host: str, ended: bool = False
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "person": _person(
            "CHILD-0001" if agency == DURHAM else "GH-77", resident=host, responsible=placing
        ),
        "placing_la": placing,
        "confidential": False,
        "host_la": host,
        "out_of_area": host != placing,
        "placement_type": "K2",
        "started_on": _day(-10),
    }
    if ended:
        data["ended_on"] = _day(0)
        kind = "placement.ended"
    else:
        data.update(se_risk=True, risk_assessment_available=True, care_plan_available=True)
        kind = "placement.started"
    return _event(agency, event_id, kind, data, episode=f"{agency}-PL-1")


def _ended(event_id: str, episode: str, *, start: int, end: int) -> dict[str, Any]:
    """Durham's report that the child placed in Northumberland has come back."""
    ended = _missing(DURHAM, event_id, episode, resident="929", day=_day(start))
    ended["type"] = "uk.sehub.missing_episode.ended.v1"
    due = return_interview_due(date.fromisoformat(_day(end)), None)
    ended["data"].update(
        ended_on=_day(end), end_reason="returned", return_interview_due=due.isoformat()
    )
    return ended


def _missing(
    agency: str, event_id: str, episode: str, *, resident: str, day: str
) -> dict[str, Any]:
    data = {
        "person": _person("CHILD-0001" if agency == DURHAM else "NOM-5551", resident=resident),
        "missing_type": "missing",
        "looked_after": True,
        "started_on": day,
    }
    return _event(agency, event_id, "missing_episode.started", data, episode=episode)


async def _post(hub: HubProcess, event: dict[str, Any], agency: str) -> None:
    status, body = await hub.post(event, as_agency=agency)
    assert status == 202, body


async def _drain(hub: HubProcess, agencies: Iterable[str] = WATCHED) -> dict[str, list[Delivery]]:
    return await drain(hub, agencies)


def _ids(received: dict[str, list[Delivery]]) -> dict[str, list[str]]:
    return {agency: sorted(d.notification_id for d in got) for agency, got in received.items()}


async def test_a_child_placed_out_of_area_is_shared_with_its_own_councils_and_no_other(
    hub_process: HubProcess,
) -> None:
    """Placement, missing, return interview and a police CCN reach the responsible and host
    councils and the host area's police; after the placement ends the former host hears
    nothing; no other council ever hears anything."""
    await _post(hub_process, _placement(DURHAM, "pl-start", placing="840", host="929"), DURHAM)
    await _post(
        hub_process,
        _missing(DURHAM, "dur-mis-1", "DUR-MIS-1", resident="929", day=_day(-2)),
        DURHAM,
    )
    await _post(hub_process, _ended("dur-mis-1-end", "DUR-MIS-1", start=-2, end=-1), DURHAM)
    interview = _event(
        DURHAM,
        "dur-rhi-1",
        "return_interview.recorded",
        {
            "person": _person("CHILD-0001", resident="929"),
            "episode_ref": "DUR-MIS-1",
            "outcome": "completed",
            "offered_on": _day(0),
            "completed_on": _day(0),
            "conducted_by": "independent_worker",
        },
        episode="DUR-MIS-1",
    )
    await _post(hub_process, interview, DURHAM)
    concern = _event(
        HOST_POLICE,
        "ccn-1",
        "concern.raised",
        {
            "person": _person("NOM-5551", resident="929"),
            "subject": "child",
            "markers": {"sexual_exploitation": True},
            "grading": "high",
            "referral": "referral",
            "origin": "concern_notice",
            "reference": "PPN-1",
            "raised_on": _day(0),
        },
    )
    await _post(hub_process, concern, HOST_POLICE)

    during = _ids(await _drain(hub_process))
    assert during[HOST] == ["ccn-1", "dur-mis-1", "dur-mis-1-end", "dur-rhi-1", "pl-start"]
    assert during[HOST_POLICE] == ["dur-mis-1", "dur-mis-1-end", "dur-rhi-1", "pl-start"]
    assert during[DURHAM] == ["ccn-1"]
    assert during[HOST_EDUCATION] == ["ccn-1", "dur-mis-1", "dur-mis-1-end"]
    assert during[SUNDERLAND] == during[GATESHEAD] == during[DURHAM_EDUCATION] == []

    await _post(
        hub_process, _placement(DURHAM, "pl-end", placing="840", host="929", ended=True), DURHAM
    )
    await _post(
        hub_process,
        _missing(DURHAM, "dur-mis-2", "DUR-MIS-2", resident="840", day=_day(0)),
        DURHAM,
    )
    after = _ids(await _drain(hub_process))
    assert after[HOST] == ["pl-end"]
    assert after[HOST_EDUCATION] == []
    assert after[DURHAM_EDUCATION] == ["dur-mis-2"]
    assert after[HOME_POLICE] == ["dur-mis-2", "pl-end"]
    assert after[SUNDERLAND] == after[GATESHEAD] == []


async def test_a_police_report_reaches_only_the_council_where_the_child_lives(
    hub_process: HubProcess,
) -> None:
    """A Sunderland child reported missing by Northumbria Police reaches Sunderland, never
    Northumberland or any other council."""
    report = _missing(HOST_POLICE, "pol-mis-sun", "POL-9", resident="394", day=_day(0))
    report["data"]["person"].pop("responsible_la")
    report["data"]["looked_after"] = False
    await _post(hub_process, report, HOST_POLICE)
    received = _ids(await _drain(hub_process))
    assert received[SUNDERLAND] == ["pol-mis-sun"]
    assert [agency for agency, ids in received.items() if ids] == [SUNDERLAND]


async def test_council_and_police_reports_of_one_episode_share_one_hub_reference(
    hub_process: HubProcess,
) -> None:
    """The council's and the police's reports of the same episode reach the host council under
    one hub episode reference; each keeps its own episode id."""
    await _post(hub_process, _placement(DURHAM, "pl-start", placing="840", host="929"), DURHAM)
    await _post(
        hub_process,
        _missing(DURHAM, "dur-mis-1", "DUR-MIS-1", resident="929", day=_day(-2)),
        DURHAM,
    )
    await _post(
        hub_process,
        _missing(HOST_POLICE, "pol-mis-1", "POL-MIS-1", resident="929", day=_day(-2)),
        HOST_POLICE,
    )
    await _post(hub_process, _ended("dur-mis-1-end", "DUR-MIS-1", start=-2, end=-2), DURHAM)
    later = _missing(HOST_POLICE, "pol-mis-2", "POL-MIS-2", resident="929", day=_day(0))
    await _post(hub_process, later, HOST_POLICE)
    host = {d.notification_id: d.event for d in (await _drain(hub_process, [HOST]))[HOST]}
    assert host["dur-mis-1"]["hubepisode"] == host["pol-mis-1"]["hubepisode"]
    assert host["dur-mis-1-end"]["hubepisode"] == host["pol-mis-1"]["hubepisode"]
    assert host["dur-mis-1"]["episodeid"] != host["pol-mis-1"]["episodeid"]
    assert host["pol-mis-2"]["hubepisode"] != host["pol-mis-1"]["hubepisode"]
    assert host["dur-mis-1"]["hubepisode"].startswith("ep-")


async def test_a_forged_placement_claim_changes_nothing_and_alerts_the_responsible_council(
    hub_process: HubProcess,
) -> None:
    """Gateshead claiming Durham's child is placed in Gateshead changes nothing: Durham is
    alerted, Gateshead is never made host, and the child's next report still goes to the real
    host."""
    await _post(hub_process, _placement(DURHAM, "pl-start", placing="840", host="929"), DURHAM)
    await _drain(hub_process)
    await _post(hub_process, _placement(GATESHEAD, "forged", placing="390", host="390"), GATESHEAD)
    police = _missing(HOST_POLICE, "pol-mis-1", "POL-MIS-1", resident="929", day=_day(0))
    await _post(hub_process, police, HOST_POLICE)
    received = await _drain(hub_process)
    alert = [d for d in received[DURHAM] if d.notification_id == "forged"]
    assert len(alert) == 1
    assert alert[0].receipt.rule_id == "conflicting-placement-claim-to-responsible-authority"
    assert _ids(received)[DURHAM] == ["forged", "pol-mis-1"]
    assert _ids(received)[HOST] == ["pol-mis-1"]
    assert _ids(received)[GATESHEAD] == []
    assert _ids(received)[HOST_POLICE] == []


def _risk(event_id: str, *, score: int, rmg: str) -> dict[str, Any]:
    level = {0: "low", 1: "low", 2: "medium", 3: "high", 4: "high"}[score]
    return _event(
        DURHAM,
        event_id,
        "se_risk.assessed",
        {
            "person": _person("CHILD-0001", resident="840"),
            "assessed_on": _day(0),
            "method": "vulnerability_checklist",
            "checklist_score": score,
            "risk_level": level,
            "rmg_status": rmg,
            "markers": {"sexual_exploitation": True},
        },
    )


async def test_a_reduced_risk_is_withdrawn_from_the_school_and_health(
    hub_process: HubProcess,
) -> None:
    """The school and health told of a high risk are told when it falls and the child leaves
    the RMG, marked as a withdrawal; the police get every assessment as usual."""
    await _post(hub_process, _risk("risk-high", score=4, rmg="added"), DURHAM)
    first = await _drain(hub_process, [DURHAM_EDUCATION, HEALTH, HOME_POLICE])
    assert _ids(first) == {
        DURHAM_EDUCATION: ["risk-high"],
        HEALTH: ["risk-high"],
        HOME_POLICE: ["risk-high"],
    }
    await _post(hub_process, _risk("risk-low", score=1, rmg="removed"), DURHAM)
    second = await _drain(hub_process, [DURHAM_EDUCATION, HEALTH, HOME_POLICE])
    assert _ids(second) == {
        DURHAM_EDUCATION: ["risk-low"],
        HEALTH: ["risk-low"],
        HOME_POLICE: ["risk-low"],
    }
    for agency in (DURHAM_EDUCATION, HEALTH):
        (withdrawal,) = second[agency]
        assert withdrawal.receipt.withdrawal is True
        assert withdrawal.event["data"]["risk_level"] == "low"
    assert second[HOME_POLICE][0].receipt.withdrawal is False
    await _post(hub_process, _risk("risk-low-again", score=0, rmg="not_referred"), DURHAM)
    third = await _drain(hub_process, [DURHAM_EDUCATION, HEALTH])
    assert _ids(third) == {DURHAM_EDUCATION: [], HEALTH: []}
