"""Children's services: SSDA903 Missing rows as missing episodes started and ended."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from adapters import AdapterContext
from adapters.children_services import missing_episode_id
from tests.unit.adapters.test_children_services import (
    BAD_NHS_NUMBER,
    BAD_UPN,
    CONTEXT,
    CONTEXT_2023,
    DROP,
    ENDED,
    NHS_NUMBER,
    STARTED,
    UPN,
    as_json,
    failure,
    mapped,
    missing,
    problems,
)
from tests.unit.builders import ADAPTER_ID_KEY

# --- missing episodes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "event_type", "expected"),
    [
        pytest.param(
            missing(),
            STARTED,
            {"missing_type": "missing", "started_on": "2026-11-21"},
            id="open-missing-episode-started",
        ),
        pytest.param(
            missing(MISSING="A"),
            STARTED,
            {"missing_type": "away_without_authorisation", "looked_after": True},
            id="open-away-episode-started",
        ),
        pytest.param(
            missing(MIS_END="23/11/2026"),
            ENDED,
            {
                "missing_type": "missing",
                "ended_on": "2026-11-23",
                "end_reason": "found",
                "return_interview_due": "2026-11-26T00:00:00Z",
            },
            id="missing-ends-found",
        ),
        pytest.param(
            missing(MISSING="a", MIS_END="23/11/2026"),
            ENDED,
            {"missing_type": "away_without_authorisation", "end_reason": "returned"},
            id="away-ends-returned",
        ),
        pytest.param(
            missing(MIS_START="01/07/2026", MIS_END="02/07/2026"),
            ENDED,
            {"return_interview_due": "2026-07-04T23:00:00Z"},
            id="summer-due-runs-from-midnight-in-england",
        ),
        pytest.param(
            missing(MIS_END="21/11/2026"),
            ENDED,
            {"started_on": "2026-11-21", "ended_on": "2026-11-21"},
            id="same-day-episode",
        ),
        pytest.param(
            missing(DOB="2011-03-14", MIS_START="2026-11-21"),
            STARTED,
            {"started_on": "2026-11-21"},
            id="iso-dates",
        ),
        pytest.param(
            missing(LOOKED_AFTER="N"),
            STARTED,
            {"looked_after": False},
            id="not-looked-after-has-no-responsible-la",
        ),
    ],
)
def test_missing_row_maps_to_its_episode_event(
    record: dict[str, Any], event_type: str, expected: dict[str, Any]
) -> None:
    """An open 903 Missing row starts an episode; a closed one ends it (M found, A returned)."""
    (event,) = mapped(record)
    data = as_json(event)["data"]

    assert event.type == event_type
    assert {key: data.get(key) for key in expected} == expected
    assert event.episodeid == missing_episode_id(
        CONTEXT, "NCC100234", date.fromisoformat(data["started_on"])
    )
    assert data["person"]["resident_la"] == "929"
    if data["looked_after"]:
        assert data["person"]["responsible_la"] == "929"
    else:
        assert "responsible_la" not in data["person"]


def test_missing_row_carries_the_held_identifiers_as_the_person() -> None:
    """CHILD, UPN, NHS_NUMBER, DOB and SEX become the canonical person."""
    (event,) = mapped(missing())

    assert as_json(event)["data"]["person"] == {
        "local_id": "NCC100234",
        "nhs_number": NHS_NUMBER,
        "upn": UPN,
        "date_of_birth": "2011-03-14",
        "sex": "F",
        "resident_la": "929",
        "responsible_la": "929",
    }


@pytest.mark.parametrize(
    ("record", "context", "person"),
    [
        pytest.param(
            missing(UPN="UN2", NHS_NUMBER=DROP),
            CONTEXT,
            {"local_id": "NCC100234", "upn_unknown": "UN2", "date_of_birth": "2011-03-14"},
            id="upn-unknown-code",
        ),
        pytest.param(
            missing(NHS_NUMBER="943 476 5919", UPN=DROP, SEX="2", MIS_START="01/05/2023"),
            CONTEXT_2023,
            {"local_id": "NCC100234", "nhs_number": NHS_NUMBER, "sex": "F"},
            id="2023-24-sex-and-spaced-nhs-number",
        ),
    ],
)
def test_identifiers_are_normalised(
    record: dict[str, Any], context: AdapterContext, person: dict[str, Any]
) -> None:
    """UN codes become upn_unknown, 1/2 sex becomes M/F, NHS numbers lose their spaces."""
    (event,) = mapped(record, context)

    got = as_json(event)["data"]["person"]
    assert {key: got.get(key) for key in person} == person
    assert "upn" not in got


@pytest.mark.parametrize(
    ("dob", "mis_start", "mis_end", "event_type", "expected"),
    [
        pytest.param(
            "10/11/2008",
            "01/10/2026",
            "",
            ENDED,
            {"ended_on": "2026-11-10", "end_reason": "turned_18_still_missing"},
            id="child-turned-18-while-missing",
        ),
        pytest.param(
            "29/11/2008",
            "01/11/2026",
            "",
            ENDED,
            {"ended_on": "2026-11-29", "end_reason": "turned_18_still_missing"},
            id="turns-18-today",
        ),
        pytest.param(
            "29/02/2008",
            "01/01/2026",
            "",
            ENDED,
            {"ended_on": "2026-03-01", "end_reason": "turned_18_still_missing"},
            id="leap-day-birthday-is-1-march",
        ),
        pytest.param(
            "30/11/2008",
            "01/11/2026",
            "",
            STARTED,
            {"started_on": "2026-11-01"},
            id="turns-18-tomorrow-still-open",
        ),
        pytest.param(
            "10/11/2008",
            "01/10/2026",
            "05/10/2026",
            ENDED,
            {"ended_on": "2026-10-05", "end_reason": "found"},
            id="found-before-18th-birthday",
        ),
    ],
)
def test_open_episode_closes_on_the_18th_birthday(
    dob: str, mis_start: str, mis_end: str, event_type: str, expected: dict[str, Any]
) -> None:
    """An episode still open on the 18th birthday ended then, with no return interview due."""
    (event,) = mapped(missing(DOB=dob, MIS_START=mis_start, MIS_END=mis_end))
    data = as_json(event)["data"]

    assert event.type == event_type
    assert {key: data.get(key) for key in expected} == expected
    day, month, year = (int(part) for part in mis_start.split("/"))
    assert data["started_on"] == date(year, month, day).isoformat()
    if expected.get("end_reason") == "turned_18_still_missing":
        assert "return_interview_due" not in data


def test_turned_18_event_is_in_the_same_episode_as_its_start() -> None:
    """The turned-18 end and the earlier start share the episode id but not the event id."""
    record = missing(DOB="10/11/2008", MIS_START="01/10/2026")
    before = AdapterContext(
        id_key=ADAPTER_ID_KEY,
        agency_id=CONTEXT.agency_id,
        now=CONTEXT.now.replace(month=10, day=20),
        la_code="929",
    )

    (started,), (ended,) = mapped(record, before), mapped(record)

    assert (started.type, ended.type) == (STARTED, ENDED)
    assert started.episodeid == ended.episodeid
    assert started.id != ended.id


def test_dd_mm_yyyy_and_iso_dates_give_the_same_event() -> None:
    """The same episode written with 903 CSV dates or ISO dates gives the same event and id."""
    assert mapped(missing(MIS_END="23/11/2026")) == mapped(
        missing(DOB="2011-03-14", MIS_START="2026-11-21", MIS_END="2026-11-23")
    )


@pytest.mark.parametrize(
    ("record", "context", "expected"),
    [
        pytest.param(missing(MISSING="X"), CONTEXT, {("MISSING", "unknown_code")}, id="type-X"),
        pytest.param(
            missing(MIS_START=DROP), CONTEXT, {("MIS_START", "ssda903_564")}, id="type-no-start"
        ),
        pytest.param(
            missing(MISSING=""), CONTEXT, {("MISSING", "ssda903_565")}, id="start-without-type"
        ),
        pytest.param(
            missing(MISSING=DROP, MIS_END="23/11/2026"),
            CONTEXT,
            {("MISSING", "ssda903_565"), ("MISSING", "ssda903_566")},
            id="dates-without-type",
        ),
        pytest.param(
            missing(MISSING=DROP, MIS_START=DROP),
            CONTEXT,
            {("MISSING", "missing"), ("MIS_START", "missing")},
            id="no-episode-at-all",
        ),
        pytest.param(
            missing(MIS_END="20/11/2026"), CONTEXT, {("MIS_END", "ssda903_567")}, id="end-first"
        ),
        pytest.param(
            missing(MIS_START="01/01/2011"),
            CONTEXT,
            {("MIS_START", "ssda903_586")},
            id="start-before-birth",
        ),
        pytest.param(
            missing(DOB="10/11/2008", MIS_START="11/11/2026"),
            CONTEXT,
            {("MIS_START", "after_18th_birthday")},
            id="start-after-18th-birthday",
        ),
        pytest.param(
            missing(MIS_END="30/11/2026"),
            CONTEXT,
            {("MIS_END", "date_in_future")},
            id="end-tomorrow",
        ),
        pytest.param(
            missing(MIS_START="31/02/2026"), CONTEXT, {("MIS_START", "value_error")}, id="31-feb"
        ),
        pytest.param(
            missing(MIS_END="next week"),
            CONTEXT,
            {("MIS_END", "date_from_datetime_parsing")},
            id="not-a-date",
        ),
        pytest.param(
            missing(NHS_NUMBER=BAD_NHS_NUMBER),
            CONTEXT,
            {("NHS_NUMBER", "invalid_nhs_number")},
            id="invalid-nhs-number",
        ),
        pytest.param(missing(UPN=BAD_UPN), CONTEXT, {("UPN", "invalid_upn")}, id="invalid-upn"),
        pytest.param(
            missing(SEX="1"), CONTEXT, {("SEX", "code_not_in_collection_year")}, id="sex-1-2026"
        ),
        pytest.param(
            missing(MIS_START="01/05/2023"),
            CONTEXT_2023,
            {("SEX", "code_not_in_collection_year")},
            id="sex-F-2023",
        ),
        pytest.param(missing(DOB=""), CONTEXT, {("DOB", "missing")}, id="no-dob"),
        pytest.param(
            missing(LOOKED_AFTER="maybe"), CONTEXT, {("LOOKED_AFTER", "value_error")}, id="la-flag"
        ),
        pytest.param(
            missing(MISSING="X", NHS_NUMBER=BAD_NHS_NUMBER, UPN=BAD_UPN),
            CONTEXT,
            {
                ("MISSING", "unknown_code"),
                ("NHS_NUMBER", "invalid_nhs_number"),
                ("UPN", "invalid_upn"),
            },
            id="every-problem-at-once",
        ),
    ],
)
def test_invalid_missing_row_reports_every_problem(
    record: dict[str, Any], context: AdapterContext, expected: set[tuple[str, str]]
) -> None:
    """A refused Missing row names each 903 field at fault and the rule (564-567, 586...)."""
    assert problems(record, context) == expected


def test_unknown_missing_type_lists_the_valid_codes() -> None:
    """The unknown-code message lists the valid codes (codes are not personal data)."""
    (problem,) = failure(missing(MISSING="X")).problems

    assert problem.message == "expected one of: A, M"
