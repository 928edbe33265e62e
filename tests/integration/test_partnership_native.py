"""The partnership through the running hub with each agency's own native records.

Durham's children's services post SSDA903 rows (the placement's ``PL_LA`` as the ONS code the
903 validator derives), a missing row and a return interview; Northumbria Police post a
missing-person report and a concern notice that know the child only by Durham's child id
(``la_child_id``), with no NHS number. The hub links the two, tells the host council and the
host area's police, gives both missing reports one hub episode, and, once the placement has
ended, tells the former host nothing more.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from hub.subscriber import Delivery
from tests.integration.conftest import HubProcess
from tests.integration.partnership_support import drain

DURHAM = "durham-childrens"
HOST = "northumberland-childrens"
HOST_EDUCATION = "northumberland-education"
HOST_POLICE = "northumbria-police"
HOME_POLICE = "durham-constabulary"
DURHAM_EDUCATION = "durham-education"
OTHERS = ("sunderland-childrens", "gateshead-childrens", "newcastle-childrens")
WATCHED = (DURHAM, HOST, HOST_EDUCATION, HOST_POLICE, HOME_POLICE, DURHAM_EDUCATION, *OTHERS)

CHILD = "DUR-CHILD-0042"  # Durham's own id for the child
NHS = "9434765919"
UPN = "H801200001001"


def _day(offset: int) -> str:
    """dd/mm/yyyy, ``offset`` days from today: how a 903 extract writes dates."""
    return (datetime.now(UTC).date() + timedelta(days=offset)).strftime("%d/%m/%Y")


def _stamp(offset_days: int, hour: int) -> str:
    day = datetime.now(UTC).date() + timedelta(days=offset_days)
    return f"{day.isoformat()} {hour:02d}:00"


def _placement(*, ended: bool) -> dict[str, Any]:
    return {
        "record_type": "ssda903_episode",
        "CHILD": CHILD,
        "DOB": "04/05/2011",
        "SEX": "F",
        "UPN": UPN,
        "NHS_NUMBER": NHS,
        "DECOM": _day(-10),
        "RNE": "P",
        "LS": "C2",
        "CIN": "N1",
        "PLACE": "K2",
        "PLACE_PROVIDER": "PR4",
        "DEC": _day(0) if ended else "",
        "REC": "E4A" if ended else "",
        "REASON_PLACE_CHANGE": "",
        "HOME_POST": "DH1 1ZZ",
        "PL_POST": "NE61 1ZZ",
        "URN": "SC123456",
        "PL_LA": "E06000057",  # Northumberland, as the ONS code
        "PL_LOCATION": "OUT",
        "PL_DISTANCE": "41.0",
        "SE_RISK": "Y",
        "RISK_ASSESSMENT_AVAILABLE": "Y",
        "CARE_PLAN_AVAILABLE": "Y",
    }


def _missing(start: int, *, resident: str, end: int | None = None) -> dict[str, Any]:
    return {
        "record_type": "ssda903_missing",
        "CHILD": CHILD,
        "DOB": "04/05/2011",
        "SEX": "F",
        "UPN": UPN,
        "NHS_NUMBER": NHS,
        "MISSING": "M",
        "MIS_START": _day(start),
        "MIS_END": "" if end is None else _day(end),
        "LOOKED_AFTER": "Y",
        "RESIDENT_LA": resident,
    }


def _interview(start: int) -> dict[str, Any]:
    return {
        "record_type": "return_interview",
        "CHILD": CHILD,
        "MIS_START": _day(start),
        "miss_missing_rhi_offered": "Y",
        "miss_missing_rhi_accepted": "Y",
        "RHI_OFFERED_DATE": _day(0),
        "RHI_COMPLETED_DATE": _day(0),
        "RHI_CONDUCTED_BY": "independent_worker",
        "RHI_PUSH_FACTORS": ["placement_unhappy"],
        "RHI_PULL_FACTORS": ["adult_not_known_to_carers"],
        "RESIDENT_LA": "929",
    }


def _police_person() -> dict[str, Any]:
    """How the police know the child: their own nominal id and Durham's child id, no NHS no."""
    return {
        "person_id": "NP-5550042",
        "la_child_id": CHILD,
        "responsible_la": "840",
        "resident_la": "929",
        "dob": "04/05/2011",
        "sex": "F",
    }


def _misper(start: int) -> dict[str, Any]:
    return {
        "record_type": "missing_person_report",
        "misper_id": "MP-2026-900042",
        **_police_person(),
        "missing_since": _stamp(start, 19),
        "date_reported_missing": _stamp(start, 21),
        "initial_risk_level": "Medium",
        "current_risk_level": "High",
        "looked_after": "Y",
    }


def _concern() -> dict[str, Any]:
    return {
        "record_type": "concern_notice",
        "notice_id": "PPN-2026-900042",
        **_police_person(),
        "notice_date": _day(0),
        "subject": "CCN",
        "grading": "Red",
        "vulnerability_types": ["CSE"],
        "information_only": "N",
    }


async def _post_records(hub: HubProcess, agency: str, records: list[dict[str, Any]]) -> None:
    headers = {**hub.headers(agency), "Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{hub.base_url}/v1/records", data=json.dumps(records), headers=headers
        ) as response,
    ):
        assert response.status == 202, await response.text()


async def _drain(hub: HubProcess, agencies: Iterable[str] = WATCHED) -> dict[str, list[Delivery]]:
    return await drain(hub, agencies)


def _types(deliveries: list[Delivery]) -> list[str]:
    return sorted(d.notification_type.removeprefix("uk.sehub.") for d in deliveries)


async def test_native_records_of_a_placed_child_reach_its_own_councils_and_the_host_police(
    hub_process: HubProcess,
) -> None:
    """Durham's 903 rows and Northumbria's police records about a Durham child placed in
    Northumberland reach the host council and force, and Durham; never another council."""
    await _post_records(
        hub_process, DURHAM, [_placement(ended=False), _missing(-2, resident="929")]
    )
    await _post_records(hub_process, HOST_POLICE, [_misper(-2), _concern()])
    await _post_records(hub_process, DURHAM, [_missing(-2, resident="929", end=-1)])
    await _post_records(hub_process, DURHAM, [_interview(-2)])
    during = await _drain(hub_process)

    assert _types(during[HOST]) == [
        "concern.raised.v1",
        "missing_episode.ended.v1",
        "missing_episode.started.v1",
        "missing_episode.started.v1",
        "placement.started.v1",
        "return_interview.recorded.v1",
    ]
    assert _types(during[HOST_POLICE]) == [
        "missing_episode.ended.v1",
        "missing_episode.started.v1",
        "placement.started.v1",
        "return_interview.recorded.v1",
    ]
    # Durham hears of the police's missing report and concern (linked by its own child id).
    assert _types(during[DURHAM]) == ["concern.raised.v1", "missing_episode.started.v1"]
    placement = next(
        d for d in during[HOST] if d.notification_type.endswith("placement.started.v1")
    )
    assert placement.event["data"]["host_la"] == "929"
    interview = next(d for d in during[HOST_POLICE] if "return_interview" in d.notification_type)
    assert interview.event["data"]["pull_factors"] == ["adult_not_known_to_carers"]
    assert "nhs_number" not in interview.event["data"]["person"]
    # The council's and the police's reports of one episode share one hub reference.
    started = [
        d for d in during[HOST] if d.notification_type.endswith("missing_episode.started.v1")
    ]
    assert len({d.event["hubepisode"] for d in started}) == 1
    assert len({d.event["episodeid"] for d in started}) == 2
    for agency in (*OTHERS, DURHAM_EDUCATION):
        assert during[agency] == [], agency

    await _post_records(hub_process, DURHAM, [_placement(ended=True)])
    await _post_records(hub_process, DURHAM, [_missing(0, resident="840")])
    after = await _drain(hub_process)
    assert _types(after[HOST]) == ["placement.ended.v1"]
    assert after[HOST_EDUCATION] == []
    assert _types(after[DURHAM_EDUCATION]) == ["missing_episode.started.v1"]
    for agency in OTHERS:
        assert after[agency] == [], agency
