"""Acknowledgement deadlines: durations, and 'next school day HH:MM' on England's wall clock,
skipping weekends and the bank holidays of England and Wales."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from fnmatch import fnmatch
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.sharing import decide
from protocols import SchoolCalendar, acknowledge_by, check_deadline, school_calendar
from schemas import parse_notification
from tests.unit.builders import make_event, make_protocol, make_rule

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
SCHOOL_DAY = "next school day 08:30"
ROOT = Path(__file__).resolve().parents[2]
DATA_FILE = "bank-holidays.json"


def _london(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def _shipped_document() -> dict[str, Any]:
    text = resources.files("protocols").joinpath(DATA_FILE).read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


# (now, in England's local time; the deadline, in England's local time; why)
SCHOOL_DAY_CASES = [
    # GMT (UTC+0), late November 2026: Monday 30 November to Friday 4 December.
    (_london(2026, 11, 30, 0, 0), _london(2026, 11, 30, 8, 30), "Monday midnight -> Monday"),
    (_london(2026, 11, 30, 0, 1), _london(2026, 11, 30, 8, 30), "Monday 00:01 -> Monday"),
    (_london(2026, 12, 1, 2, 0), _london(2026, 12, 1, 8, 30), "Tuesday 02:00 -> Tuesday"),
    (_london(2026, 12, 1, 8, 29), _london(2026, 12, 1, 8, 30), "Tuesday 08:29 -> Tuesday"),
    (
        datetime(2026, 12, 1, 8, 29, 59, 999999, tzinfo=LONDON),
        _london(2026, 12, 1, 8, 30),
        "a microsecond before 08:30 -> the same day",
    ),
    (_london(2026, 12, 1, 8, 30), _london(2026, 12, 2, 8, 30), "Tuesday 08:30 -> Wednesday"),
    (_london(2026, 12, 1, 9, 0), _london(2026, 12, 2, 8, 30), "Tuesday 09:00 -> Wednesday"),
    (_london(2026, 12, 1, 18, 0), _london(2026, 12, 2, 8, 30), "Tuesday evening -> Wednesday"),
    (_london(2026, 12, 3, 23, 0), _london(2026, 12, 4, 8, 30), "Thursday night -> Friday"),
    (_london(2026, 11, 27, 8, 0), _london(2026, 11, 27, 8, 30), "Friday morning -> Friday"),
    (_london(2026, 11, 27, 17, 0), _london(2026, 11, 30, 8, 30), "Friday evening -> Monday"),
    (_london(2026, 11, 28, 10, 0), _london(2026, 11, 30, 8, 30), "Saturday -> Monday"),
    (_london(2026, 11, 29, 9, 0), _london(2026, 11, 30, 8, 30), "Sunday -> Monday"),
    (_london(2026, 11, 29, 23, 59), _london(2026, 11, 30, 8, 30), "Sunday night -> Monday"),
    # BST (UTC+1), July 2026.
    (_london(2026, 7, 3, 16, 0), _london(2026, 7, 6, 8, 30), "BST Friday afternoon -> Monday"),
    (_london(2026, 7, 5, 12, 0), _london(2026, 7, 6, 8, 30), "BST Sunday -> Monday"),
    (_london(2026, 7, 6, 7, 0), _london(2026, 7, 6, 8, 30), "BST Monday 07:00 -> Monday"),
    # Bank holiday Mondays: summer 31 August, early May 4 May, spring 25 May 2026.
    (_london(2026, 8, 28, 17, 0), _london(2026, 9, 1, 8, 30), "Friday -> Tuesday after summer"),
    (_london(2026, 8, 31, 2, 0), _london(2026, 9, 1, 8, 30), "summer bank holiday -> Tuesday"),
    (_london(2026, 5, 4, 7, 0), _london(2026, 5, 5, 8, 30), "early May bank holiday -> Tuesday"),
    (_london(2026, 5, 22, 17, 0), _london(2026, 5, 26, 8, 30), "Friday -> Tuesday after spring"),
    # Christmas and New Year. Christmas Eve and New Year's Eve are school days in law.
    (_london(2024, 12, 24, 12, 0), _london(2024, 12, 27, 8, 30), "2024 Christmas Eve -> 27th"),
    (_london(2025, 12, 24, 17, 0), _london(2025, 12, 29, 8, 30), "2025 Christmas Eve -> 29th"),
    (_london(2026, 12, 24, 8, 0), _london(2026, 12, 24, 8, 30), "2026 Christmas Eve 08:00"),
    # Friday 25th, the weekend, then Boxing Day's substitute on Monday 28th.
    (_london(2026, 12, 24, 17, 0), _london(2026, 12, 29, 8, 30), "2026 Christmas Eve -> 29th"),
    (_london(2026, 12, 31, 17, 0), _london(2027, 1, 4, 8, 30), "2026 New Year's Eve -> 4 Jan"),
    # Christmas 2027 is a Saturday: both days are substituted, Monday 27th and Tuesday 28th.
    (_london(2027, 12, 24, 17, 0), _london(2027, 12, 29, 8, 30), "2027 Christmas Eve -> 29th"),
    # 1 January 2028 is a Saturday: its substitute is Monday 3 January.
    (_london(2027, 12, 31, 17, 0), _london(2028, 1, 4, 8, 30), "2027 New Year's Eve -> 4 Jan"),
    # Easter 2026: Good Friday 3 April, Easter Monday 6 April.
    (_london(2026, 4, 2, 17, 0), _london(2026, 4, 7, 8, 30), "Maundy Thursday 2026 -> Tuesday"),
    # Easter 2027: Good Friday 26 March, Easter Monday 29 March; BST starts Sunday 28 March.
    (_london(2027, 3, 25, 17, 0), _london(2027, 3, 30, 8, 30), "Maundy Thursday 2027 -> Tue"),
    (_london(2027, 3, 26, 2, 0), _london(2027, 3, 30, 8, 30), "Good Friday 2027 -> Tuesday"),
    (_london(2027, 3, 29, 9, 0), _london(2027, 3, 30, 8, 30), "Easter Monday 2027 -> Tuesday"),
    # Across the clock changes: BST ends Sunday 25 October, begins Sunday 29 March 2026.
    (_london(2026, 10, 23, 16, 0), _london(2026, 10, 26, 8, 30), "Friday BST -> Monday GMT"),
    (_london(2026, 3, 27, 16, 0), _london(2026, 3, 30, 8, 30), "Friday GMT -> Monday BST"),
]


@pytest.mark.parametrize(
    ("now", "expected", "why"), SCHOOL_DAY_CASES, ids=[case[2] for case in SCHOOL_DAY_CASES]
)
def test_next_school_day_is_the_first_school_day_at_that_time_after_now(
    now: datetime, expected: datetime, why: str
) -> None:
    """'next school day 08:30' is the first 08:30 England time on a school day after ``now``."""
    deadline = acknowledge_by(SCHOOL_DAY, now)

    assert deadline == expected, why
    assert deadline.tzinfo is UTC
    assert deadline.astimezone(LONDON).time() == time(8, 30)


@pytest.mark.parametrize(
    ("now", "expected_utc"),
    [
        # Friday 16:00 GMT -> Monday 08:30 GMT, which is 08:30 UTC.
        (datetime(2026, 11, 27, 16, 0, tzinfo=UTC), datetime(2026, 11, 30, 8, 30, tzinfo=UTC)),
        # Friday 16:00 BST (15:00 UTC) -> Monday 08:30 BST, which is 07:30 UTC.
        (datetime(2026, 7, 3, 15, 0, tzinfo=UTC), datetime(2026, 7, 6, 7, 30, tzinfo=UTC)),
        # Tuesday 02:00 BST (01:00 UTC) -> the same Tuesday, 08:30 BST, 07:30 UTC.
        (datetime(2026, 7, 7, 1, 0, tzinfo=UTC), datetime(2026, 7, 7, 7, 30, tzinfo=UTC)),
        # Friday BST -> Monday after the clocks went back: 08:30 GMT, 08:30 UTC.
        (datetime(2026, 10, 23, 15, 0, tzinfo=UTC), datetime(2026, 10, 26, 8, 30, tzinfo=UTC)),
        # 01:30 BST and, an hour later, 01:30 GMT on the night the clocks go back: both Monday.
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 26, 8, 30, tzinfo=UTC)),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), datetime(2026, 10, 26, 8, 30, tzinfo=UTC)),
        # Friday GMT -> Monday after the clocks went forward: 08:30 BST, 07:30 UTC.
        (datetime(2026, 3, 27, 16, 0, tzinfo=UTC), datetime(2026, 3, 30, 7, 30, tzinfo=UTC)),
        # Maundy Thursday GMT -> Tuesday after Easter Monday, BST since Sunday: 07:30 UTC.
        (datetime(2027, 3, 25, 17, 0, tzinfo=UTC), datetime(2027, 3, 30, 7, 30, tzinfo=UTC)),
        # Friday BST -> Monday after BST ends on Sunday 31 October 2027: 08:30 UTC.
        (datetime(2027, 10, 29, 16, 0, tzinfo=UTC), datetime(2027, 11, 1, 8, 30, tzinfo=UTC)),
    ],
)
def test_school_day_deadlines_in_utc_follow_british_summer_time(
    now: datetime, expected_utc: datetime
) -> None:
    """The deadline is 08:30 on England's wall clock: 08:30 UTC in winter, 07:30 UTC in summer."""
    assert acknowledge_by(SCHOOL_DAY, now) == expected_utc


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Monday 07:45 UTC is 08:45 in summer in England, already past 08:30: Tuesday.
        (datetime(2026, 7, 6, 7, 45, tzinfo=UTC), _london(2026, 7, 7, 8, 30)),
        # Monday 07:45 UTC in winter is 07:45 in England: the same Monday.
        (datetime(2026, 11, 30, 7, 45, tzinfo=UTC), _london(2026, 11, 30, 8, 30)),
        # Sunday 23:30 UTC in summer is already Monday 00:30 in England: Monday.
        (datetime(2026, 7, 5, 23, 30, tzinfo=UTC), _london(2026, 7, 6, 8, 30)),
        # Monday 17:00 at UTC+10 is Monday 08:00 BST: still before 08:30 in England.
        (
            datetime(2026, 7, 6, 17, 0, tzinfo=timezone(timedelta(hours=10))),
            _london(2026, 7, 6, 8, 30),
        ),
        # Sunday 22:00 in New York (EST) is Monday 03:00 GMT: Monday.
        (datetime(2026, 11, 29, 22, 0, tzinfo=NEW_YORK), _london(2026, 11, 30, 8, 30)),
        # Christmas Eve 12:00 in New York is 17:00 in England: after school, so the 29th.
        (datetime(2026, 12, 24, 12, 0, tzinfo=NEW_YORK), _london(2026, 12, 29, 8, 30)),
    ],
)
def test_the_day_and_time_are_judged_in_england_whatever_the_offset(
    now: datetime, expected: datetime
) -> None:
    """'Today' and 'before HH:MM' are judged on England's clock, not on the offset of ``now``."""
    assert acknowledge_by(SCHOOL_DAY, now) == expected


@pytest.mark.parametrize(
    ("at", "day"),
    [
        ("00:00", "2026-07-06"),
        ("07:45", "2026-07-06"),
        ("08:30", "2026-07-06"),
        ("16:00", "2026-07-06"),  # exactly now is not after now
        ("16:01", "2026-07-03"),
        ("23:59", "2026-07-03"),
    ],
)
def test_the_time_of_day_is_the_one_written(at: str, day: str) -> None:
    """Any HH:MM is honoured as England's wall-clock time, today if it is still to come."""
    deadline = acknowledge_by(f"next school day {at}", _london(2026, 7, 3, 16, 0))  # a Friday

    assert deadline.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") == f"{day} {at}"


def test_an_injected_calendar_replaces_the_shipped_bank_holidays() -> None:
    """The calendar passed in decides the school days: a holiday of its own is skipped."""
    tuesday_night = _london(2026, 12, 1, 2, 0)
    tuesday_off = SchoolCalendar(frozenset({date(2026, 12, 1)}))

    assert acknowledge_by(SCHOOL_DAY, tuesday_night, tuesday_off) == _london(2026, 12, 2, 8, 30)
    # With no bank holidays at all, Christmas Day 2026 (a Friday) is a school day.
    christmas_eve = _london(2026, 12, 24, 17, 0)
    expected = _london(2026, 12, 25, 8, 30)
    assert acknowledge_by(SCHOOL_DAY, christmas_eve, SchoolCalendar()) == expected


def test_a_weekday_beyond_the_data_counts_as_a_school_day() -> None:
    """After the last year the file covers every weekday is a school day, Christmas Day too."""
    year = school_calendar().years[-1] + 1
    christmas = next(
        date(y, 12, 25) for y in range(year, year + 7) if date(y, 12, 25).weekday() < 5
    )
    the_night_before = datetime.combine(christmas, time(2, 0), LONDON)

    deadline = acknowledge_by(SCHOOL_DAY, the_night_before)

    assert deadline == datetime.combine(christmas, time(8, 30), LONDON)


def test_a_naive_now_is_refused() -> None:
    """Without an offset the instant is unknown, so no deadline is counted from it."""
    naive = datetime(2026, 12, 1, 2, 0)  # noqa: DTZ001 - the point of the test

    for text in (SCHOOL_DAY, "72h"):
        with pytest.raises(ValueError, match="aware"):
            acknowledge_by(text, naive)


_HOLIDAY_SETS = st.frozensets(
    st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)), max_size=60
).map(SchoolCalendar)


@settings(max_examples=300, deadline=None)
@given(
    now=st.datetimes(
        min_value=datetime(2023, 12, 20),  # noqa: DTZ001 - hypothesis bounds are naive by contract
        max_value=datetime(2029, 1, 10),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    at=st.times().map(lambda t: time(t.hour, t.minute)),
    calendar=st.one_of(st.none(), _HOLIDAY_SETS),
)
def test_the_deadline_is_the_earliest_school_day_time_after_now(
    now: datetime, at: time, calendar: SchoolCalendar | None
) -> None:
    """The result is after now, a school day at HH:MM in London, with none such in between."""
    if calendar is None:
        events = _shipped_document()["england-and-wales"]["events"]
        holidays = {date.fromisoformat(event["date"]) for event in events}
    else:
        holidays = set(calendar.bank_holidays)

    def school_day(day: date) -> bool:
        return day.weekday() < 5 and day not in holidays

    deadline = acknowledge_by(f"next school day {at:%H:%M}", now, calendar)
    local = deadline.astimezone(LONDON)

    assert deadline > now
    assert deadline.tzinfo is UTC
    assert (local.hour, local.minute) == (at.hour, at.minute)
    assert school_day(local.date())
    day = now.astimezone(LONDON).date()
    while day < local.date():
        assert not school_day(day) or datetime.combine(day, at, LONDON) <= now, day
        day += timedelta(days=1)


def test_the_shipped_bank_holidays_load_and_hold_every_year() -> None:
    """The gov.uk-shaped file loads, covers 2024-2028, and has at least 8 holidays each year."""
    document = _shipped_document()
    events = document["england-and-wales"]["events"]
    calendar = school_calendar()

    assert document["england-and-wales"]["division"] == "england-and-wales"
    assert calendar.years[0] <= 2024
    assert calendar.years[-1] >= 2028
    for year in calendar.years:
        assert sum(event["date"].startswith(f"{year}-") for event in events) >= 8, year
    assert {date(2026, 12, 28), date(2027, 12, 27), date(2027, 12, 28)} <= calendar.bank_holidays
    assert {date(2027, 3, 26), date(2027, 3, 29), date(2028, 1, 3)} <= calendar.bank_holidays
    assert school_calendar() is calendar


def test_the_bank_holidays_cover_next_year() -> None:
    """Fails in the last year the file covers: renew protocols/bank-holidays.json from gov.uk."""
    assert datetime.now(UTC).year + 1 in school_calendar().years


def test_the_bank_holidays_file_is_in_the_wheel() -> None:
    """pyproject's package data for ``protocols`` names the file, so it ships in the wheel."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["protocols"]

    assert (ROOT / "protocols" / DATA_FILE).is_file()
    assert any(fnmatch(DATA_FILE, pattern) for pattern in patterns)


def _event(day: str, **changes: object) -> dict[str, object]:
    return {"title": "A bank holiday", "date": day, "notes": "", "bunting": True, **changes}


def _document(*events: object, division: object = "england-and-wales") -> dict[str, object]:
    return {"england-and-wales": {"division": division, "events": list(events)}}


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ([], "expected an object with a 'england-and-wales' object"),
        ({"scotland": {}}, "expected an object with a 'england-and-wales' object"),
        (_document(_event("2026-12-25"), division="scotland"), "division must be"),
        (_document(), "events must be a non-empty list"),
        (_document("2026-12-25"), r"events\[0\]: expected an object"),
        (_document(_event("2026-12-25", title=None)), r"events\[0\]\.title: expected a str"),
        (_document(_event("2026-12-25", title="")), r"events\[0\]\.title: must not be empty"),
        (_document(_event("2026-12-25", bunting="yes")), r"\.bunting: expected a bool"),
        (_document({"title": "Christmas Day", "date": "2026-12-25"}), r"\.notes: expected a str"),
        (_document(_event("25/12/2026")), r"\.date: expected YYYY-MM-DD"),
        (_document(_event("2026-02-30")), r"\.date: not a real date"),
        (_document(_event("2026-12-26")), "2026-12-26 is a weekend; list the substitute day"),
        (_document(_event("2026-12-25"), _event("2026-12-25")), r"events\[1\]: .* listed twice"),
        (_document(_event("2024-12-25"), _event("2026-12-25")), r"holidays for \[2025\]"),
    ],
)
def test_a_malformed_bank_holidays_document_is_refused_with_where(
    document: object, problem: str
) -> None:
    """Every malformed document is a ValueError naming the origin and the entry that is wrong."""
    with pytest.raises(ValueError, match=f"^test.json: .*{problem}"):
        SchoolCalendar.from_gov_uk(document, "test.json")


@pytest.fixture
def shipped_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Makes ``protocols`` resources resolve to ``tmp_path``; the cached calendar is reread."""
    monkeypatch.setattr(resources, "files", lambda package: tmp_path)
    school_calendar.cache_clear()
    yield tmp_path / DATA_FILE
    school_calendar.cache_clear()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (None, "cannot read the bank holidays"),
        ("{not json", "not valid JSON"),
        (json.dumps(_document(_event("2027-12-25"))), "is a weekend"),
    ],
)
def test_a_broken_shipped_file_fails_when_it_is_loaded(
    shipped_file: Path, text: str | None, problem: str
) -> None:
    """A missing, unparsable or malformed shipped file is a ValueError naming that file."""
    if text is not None:
        shipped_file.write_text(text, "utf-8")

    with pytest.raises(ValueError, match=f"^protocols/bank-holidays.json: .*{problem}"):
        school_calendar()


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("90m", timedelta(minutes=90)),
        ("1h", timedelta(hours=1)),
        ("72h", timedelta(hours=72)),
        ("7d", timedelta(days=7)),
        ("0m", timedelta(0)),
    ],
)
def test_a_duration_is_elapsed_time_from_now_in_utc(text: str, delta: timedelta) -> None:
    """A duration deadline is ``now`` plus that much elapsed time, returned in UTC."""
    now = datetime(2026, 10, 24, 12, 0, tzinfo=LONDON)  # the day before the clocks go back

    deadline = acknowledge_by(text, now)

    assert deadline == now.astimezone(UTC) + delta
    assert deadline.tzinfo is UTC


def test_a_duration_across_the_clock_change_is_elapsed_not_wall_clock_time() -> None:
    """72h from Saturday 12:00 BST ends Tuesday 11:00 GMT: 72 real hours, one fewer on the clock."""
    deadline = acknowledge_by("72h", datetime(2026, 10, 24, 12, 0, tzinfo=LONDON))

    assert deadline == datetime(2026, 10, 27, 11, 0, tzinfo=UTC)
    assert deadline.astimezone(LONDON).hour == 11


@pytest.mark.parametrize("text", ["90m", "72h", "7d", "next school day 08:30", SCHOOL_DAY])
def test_check_deadline_returns_valid_text_unchanged(text: str) -> None:
    """A valid deadline is accepted as written."""
    assert check_deadline(text) == text


@pytest.mark.parametrize(
    "text", ["", "next school day", "next school day 8:30", "next school day 24:00", "1 day"]
)
def test_check_deadline_rejects_anything_else(text: str) -> None:
    """Anything but a duration or 'next school day HH:MM' is a ValueError naming both forms."""
    with pytest.raises(ValueError, match="next school day HH:MM"):
        check_deadline(text)


def test_a_receipt_carries_the_school_day_deadline_counted_from_now() -> None:
    """decide() puts the next-school-day deadline, counted from its ``now``, on the receipt."""
    protocol = make_protocol(make_rule(acknowledge_within=SCHOOL_DAY))
    friday_afternoon = datetime(2026, 7, 3, 15, 0, tzinfo=UTC)  # 16:00 BST

    (view,) = decide(parse_notification(make_event()), protocol, friday_afternoon).views

    assert view.receipt.acknowledge_by == datetime(2026, 7, 6, 7, 30, tzinfo=UTC)
