"""Police adapter: APP missing-person reports -> missing episode started / ended."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from adapters import AdapterContext, MappingFailed
from adapters.police import ADAPTER
from schemas import MissingEpisodeEnded, MissingEpisodeStarted, notification_adapter
from schemas import parse_notification as parse
from tests.unit.builders import ADAPTER_ID_KEY, ENDED, POLICE, STARTED, VALID_NHS_NUMBER, VALID_UPN

CONTEXT = AdapterContext(
    id_key=ADAPTER_ID_KEY,
    agency_id=POLICE,
    now=datetime(2026, 11, 29, 9, 0, tzinfo=UTC),
    la_code="929",
)
BST = timedelta(hours=1)
GMT = timedelta(0)


def misper(**overrides: Any) -> dict[str, Any]:
    """An open missing-person report for a looked-after 15-year-old; overrides replace fields."""
    record: dict[str, Any] = {
        "record_type": "missing_person_report",
        "misper_id": "MP-2026-004417",
        "person_id": "NP-7730142",
        "la_child_id": "CHILD-000123",
        "dob": "04/05/2011",
        "sex": "F",
        "nhs_number": "943 476 5919",
        "upn": VALID_UPN,
        "missing_since": "2026-11-27 21:40",
        "date_reported_missing": "27/11/2026 23:05",
        "missing_from": "Synthetic Retail Park",
        "reported_missing_by": "Residential care staff",
        "initial_risk_level": "Medium",
        "current_risk_level": "High",
        "circumstances": "Synthetic circumstances text",
        "looked_after": "Y",
        "resident_la": "391",
        "responsible_la": "929",
        "school_urn": "123456",
        "philomena_form_ref": "PHIL-929-0042",
    }
    record.update(overrides)
    return record


def traced(**overrides: Any) -> dict[str, Any]:
    """The same report, traced the next morning."""
    fields: dict[str, Any] = {
        "when_traced": "2026-11-28T07:30",
        "traced_location": "Synthetic Street bus station",
        "return_method": "Found by police",
    }
    return misper(**{**fields, **overrides})


def _map(record: dict[str, Any]) -> list[Any]:
    return list(ADAPTER.map_record(record, CONTEXT))


def _problems(record: dict[str, Any]) -> set[tuple[str, str]]:
    with pytest.raises(MappingFailed) as caught:
        ADAPTER.map_record(record, CONTEXT)
    return {(problem.field, problem.rule) for problem in caught.value.problems}


# --- open vs traced ---------------------------------------------------------------------------


def test_open_report_gives_missing_episode_started() -> None:
    """An open report (no when_traced) gives one 'started' event carrying the current risk."""
    (event,) = _map(misper())

    assert isinstance(event, MissingEpisodeStarted)
    assert event.type == STARTED
    assert event.source == "urn:sehub:agency:northumbria-police"
    assert event.time == datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    assert event.subject is None
    data = event.data
    assert data.person.local_id == "NP-7730142"
    assert data.person.nhs_number == VALID_NHS_NUMBER
    assert data.person.upn == VALID_UPN
    assert data.person.date_of_birth == date(2011, 5, 4)
    assert data.person.sex == "F"
    assert data.missing_type == "missing"
    assert data.looked_after is True
    assert data.person.resident_la == "391"
    assert data.person.responsible_la == "929"
    assert data.person.la_child_id == "CHILD-000123"
    assert data.person.school_urn == "123456"
    assert data.risk_level == "high"
    assert data.police_reference == "MP-2026-004417"
    assert data.started_on == date(2026, 11, 27)
    assert data.started_at == datetime(2026, 11, 27, 21, 40, tzinfo=UTC)
    assert data.last_seen_location == "Synthetic Retail Park"


def test_traced_report_gives_missing_episode_ended_found_with_interview_due() -> None:
    """A traced report gives one 'ended' event: found, return interview due 72 hours later."""
    (event,) = _map(traced())

    assert isinstance(event, MissingEpisodeEnded)
    assert event.type == ENDED
    data = event.data
    assert data.end_reason == "found"
    assert data.missing_type == "missing"
    assert data.started_on == date(2026, 11, 27)
    assert data.ended_on == date(2026, 11, 28)
    assert data.ended_at == datetime(2026, 11, 28, 7, 30, tzinfo=UTC)
    assert data.return_interview_due == datetime(2026, 12, 1, 7, 30, tzinfo=UTC)
    assert data.found_location == "Synthetic Street bus station"
    assert data.police_reference == "MP-2026-004417"
    assert data.person.local_id == "NP-7730142"


def test_started_and_ended_share_the_episode_id_but_not_the_event_id() -> None:
    """The open and the traced report belong to one episode and are two distinct events."""
    (started,) = _map(misper())
    (ended,) = _map(traced())

    assert started.episodeid == ended.episodeid
    assert started.episodeid is not None
    assert started.id != ended.id


@pytest.mark.parametrize("builder", [misper, traced], ids=["open", "traced"])
def test_same_report_twice_gives_the_same_event(builder: Any) -> None:
    """Mapping the same report twice gives an equal notification with the same event id."""
    assert _map(builder()) == _map(builder())


def test_regraded_open_report_is_a_new_event_in_the_same_episode() -> None:
    """An escalated risk on an open report is a new event id, but the same episode."""
    (medium,) = _map(misper(current_risk_level="medium"))
    (high,) = _map(misper(current_risk_level="high"))

    assert medium.id != high.id
    assert medium.episodeid == high.episodeid


def test_looked_after_defaults_to_false_and_blanks_are_absent() -> None:
    """Without looked_after the person is not looked after; blank optional fields are absent."""
    (event,) = _map(
        misper(
            looked_after="",
            responsible_la="",
            la_child_id="",
            school_urn="",
            nhs_number="",
            upn="",
            missing_from="",
        )
    )

    assert event.data.looked_after is False
    assert event.data.person.responsible_la is None
    assert event.data.person.la_child_id is None
    assert event.data.person.school_urn is None
    assert event.data.person.nhs_number is None
    assert event.data.person.upn is None
    assert event.data.last_seen_location is None


def test_circumstances_and_other_unshared_fields_are_not_forwarded() -> None:
    """circumstances, reporter and Philomena reference never reach the event."""
    (event,) = _map(traced())
    wire = notification_adapter.dump_json(event).decode()

    for planted in ("Synthetic circumstances", "Residential care", "PHIL-929"):
        assert planted not in wire


# --- risk levels ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "level"),
    [
        pytest.param("no_apparent_risk", "no_apparent_risk", id="code"),
        pytest.param("No apparent risk", "no_apparent_risk", id="app-label"),
        pytest.param("NO-APPARENT-RISK", "no_apparent_risk", id="shouted-hyphens"),
        pytest.param("Low", "low", id="Low"),
        pytest.param("Medium", "medium", id="Medium"),
        pytest.param(" high ", "high", id="padded-high"),
    ],
)
def test_risk_level_spellings_map_to_the_app_level(spelling: str, level: str) -> None:
    """Force spellings of the APP risk levels all map to the canonical level."""
    (event,) = _map(misper(current_risk_level=spelling))

    assert event.data.risk_level == level


# --- UK local time ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("missing_since", "offset", "instant"),
    [
        pytest.param("2026-07-14 23:10", BST, datetime(2026, 7, 14, 22, 10, tzinfo=UTC), id="july"),
        pytest.param("14/01/2026 23:10", GMT, datetime(2026, 1, 14, 23, 10, tzinfo=UTC), id="jan"),
        pytest.param("14/07/2026 23:10", BST, datetime(2026, 7, 14, 22, 10, tzinfo=UTC), id="dmy"),
        pytest.param(
            "2026-07-14T22:10:00Z", BST, datetime(2026, 7, 14, 22, 10, tzinfo=UTC), id="aware-utc"
        ),
        pytest.param(
            "2026-10-25 01:30", BST, datetime(2026, 10, 25, 0, 30, tzinfo=UTC), id="repeated-hour"
        ),
    ],
)
def test_naive_datetimes_are_uk_local_time(
    missing_since: str, offset: timedelta, instant: datetime
) -> None:
    """A time without an offset is read as UK local time: BST in July, GMT in January."""
    (event,) = _map(misper(missing_since=missing_since, date_reported_missing=missing_since))

    assert event.data.started_at == instant
    assert event.data.started_at.utcoffset() == offset


def test_started_on_is_the_uk_date_not_the_utc_date() -> None:
    """Half past midnight BST is the previous day in UTC, but started_on is the UK date."""
    (event,) = _map(
        misper(missing_since="2026-07-15 00:30", date_reported_missing="2026-07-15 01:00")
    )

    assert event.data.started_on == date(2026, 7, 15)
    assert event.data.started_at == datetime(2026, 7, 14, 23, 30, tzinfo=UTC)


def test_return_interview_due_across_the_clock_change_is_exactly_72_hours() -> None:
    """Traced before the clocks go back: due 72 real hours later, and the event re-parses."""
    (event,) = _map(
        misper(
            missing_since="2026-10-23 23:10",
            date_reported_missing="2026-10-24 00:20",
            when_traced="2026-10-24 10:00",
        )
    )

    assert event.data.return_interview_due - event.data.ended_at == timedelta(hours=72)
    assert event.data.return_interview_due == datetime(2026, 10, 27, 9, 0, tzinfo=UTC)
    assert parse(notification_adapter.dump_json(event, exclude_none=True)) == event


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        pytest.param(
            traced(when_traced="2026-11-27 21:39"),
            {("when_traced", "before_missing_since")},
            id="traced-before-missing-since",
        ),
        pytest.param(
            misper(date_reported_missing="2026-11-27 20:00"),
            {("date_reported_missing", "before_missing_since")},
            id="reported-before-missing-since",
        ),
        pytest.param(
            misper(current_risk_level="Absent"),
            {("current_risk_level", "unknown_code")},
            id="withdrawn-absent-category",
        ),
        pytest.param(
            misper(initial_risk_level="critical"),
            {("initial_risk_level", "unknown_code")},
            id="unknown-initial-risk",
        ),
        pytest.param(misper(nhs_number="9434765918"), {("nhs_number", "value_error")}, id="nhs"),
        pytest.param(misper(upn="X428558133462"), {("upn", "value_error")}, id="upn"),
        pytest.param(misper(sex="X"), {("sex", "unknown_code")}, id="sex"),
        pytest.param(
            misper(responsible_la="92"),
            {("responsible_la", "string_pattern_mismatch")},
            id="la-code",
        ),
        pytest.param(
            misper(responsible_la="SCO"),
            {("responsible_la", "string_pattern_mismatch")},
            id="country-is-no-responsible-council",
        ),
        pytest.param(
            {k: v for k, v in misper().items() if k != "resident_la"},
            {("resident_la", "missing")},
            id="no-resident-la",
        ),
        pytest.param(misper(resident_la=" "), {("resident_la", "missing")}, id="blank-resident"),
        pytest.param(
            misper(resident_la="E09000033"),
            {("resident_la", "value_error")},
            id="unknown-english-gss",
        ),
        pytest.param(
            misper(school_urn="12345"),
            {("school_urn", "string_pattern_mismatch")},
            id="school-urn",
        ),
        pytest.param(
            misper(missing_since="2026-11-29 10:00", date_reported_missing="2026-11-29 10:00"),
            {("missing_since", "in_future"), ("date_reported_missing", "in_future")},
            id="in-future",
        ),
        pytest.param(
            misper(missing_since="2026-03-29 01:30"),
            {("missing_since", "nonexistent_local_time")},
            id="skipped-hour",
        ),
        pytest.param(
            misper(missing_since="27/11/2026"), {("missing_since", "datetime_parsing")}, id="date"
        ),
        pytest.param(
            misper(missing_since="2011-05-03 12:00", date_reported_missing="2011-05-03 13:00"),
            {("missing_since", "before_dob")},
            id="before-birth",
        ),
        pytest.param(
            misper(traced_location="Synthetic park", return_method="Returned"),
            {
                ("traced_location", "requires_when_traced"),
                ("return_method", "requires_when_traced"),
            },
            id="trace-details-without-trace",
        ),
        pytest.param(
            {k: v for k, v in misper().items() if k != "misper_id"},
            {("misper_id", "missing")},
            id="no-misper-id",
        ),
        pytest.param(
            misper(colour="red"), {("(unknown field #1)", "extra_forbidden")}, id="unknown-field"
        ),
        pytest.param(
            traced(when_traced="2026-11-01 00:00", current_risk_level="x", nhs_number="1"),
            {
                ("when_traced", "before_missing_since"),
                ("current_risk_level", "unknown_code"),
                ("nhs_number", "value_error"),
            },
            id="all-at-once",
        ),
    ],
)
def test_invalid_reports_name_every_failing_native_field(
    record: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    """An invalid report fails with exactly these (native field, rule) problems."""
    assert _problems(record) == expected


def test_problem_messages_never_echo_personal_values() -> None:
    """No planted identifier or free text appears in any problem message."""
    planted = {
        "person_id": "NP-" + "9" * 70,
        "nhs_number": "9434765918",
        "upn": "X428558133462",
        "missing_from": "Synthetic secret place " * 20,
        "current_risk_level": "Synthetic risk label",
    }
    with pytest.raises(MappingFailed) as caught:
        ADAPTER.map_record(misper(**planted), CONTEXT)

    messages = " ".join(problem.message for problem in caught.value.problems)
    assert len(caught.value.problems) == len(planted)
    for value in planted.values():
        assert value.strip() not in messages
