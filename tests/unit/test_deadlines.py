"""Acknowledgement deadlines: durations, and 'next school day HH:MM' in England's local time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from hub.sharing import decide
from protocols import acknowledge_by, check_deadline
from schemas import parse_notification
from tests.unit.builders import make_event, make_protocol, make_rule

LONDON = ZoneInfo("Europe/London")
SCHOOL_DAY = "next school day 08:30"


def _london(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LONDON)  # type: ignore[misc]


# (now, in England's local time; the deadline, in England's local time; why)
SCHOOL_DAY_CASES = [
    # GMT (UTC+0), late November 2026.
    (_london(2026, 11, 27, 16, 0), _london(2026, 11, 30, 8, 30), "Friday afternoon -> Monday"),
    (_london(2026, 11, 28, 10, 0), _london(2026, 11, 30, 8, 30), "Saturday -> Monday"),
    (_london(2026, 11, 29, 9, 0), _london(2026, 11, 30, 8, 30), "Sunday -> Monday"),
    (_london(2026, 11, 29, 23, 59), _london(2026, 11, 30, 8, 30), "Sunday night -> Monday"),
    (_london(2026, 11, 30, 0, 1), _london(2026, 12, 1, 8, 30), "Monday 00:01 -> Tuesday"),
    (_london(2026, 11, 30, 7, 0), _london(2026, 12, 1, 8, 30), "Monday before school -> Tuesday"),
    (_london(2026, 11, 30, 8, 30), _london(2026, 12, 1, 8, 30), "Monday 08:30 -> Tuesday"),
    (_london(2026, 11, 30, 15, 0), _london(2026, 12, 1, 8, 30), "Monday -> Tuesday"),
    (_london(2026, 12, 3, 23, 0), _london(2026, 12, 4, 8, 30), "Thursday night -> Friday"),
    # Christmas Day 2026 is a Friday; holidays are not known, so it still counts (early, not late).
    (_london(2026, 12, 24, 12, 0), _london(2026, 12, 25, 8, 30), "Christmas Eve -> Christmas"),
    # BST (UTC+1), July 2026.
    (_london(2026, 7, 3, 16, 0), _london(2026, 7, 6, 8, 30), "BST Friday afternoon -> Monday"),
    (_london(2026, 7, 5, 12, 0), _london(2026, 7, 6, 8, 30), "BST Sunday -> Monday"),
    (_london(2026, 7, 6, 7, 0), _london(2026, 7, 7, 8, 30), "BST Monday before school -> Tue"),
    # Across the clock changes: BST ends Sunday 25 October, begins Sunday 29 March 2026.
    (_london(2026, 10, 23, 16, 0), _london(2026, 10, 26, 8, 30), "Friday BST -> Monday GMT"),
    (_london(2026, 3, 27, 16, 0), _london(2026, 3, 30, 8, 30), "Friday GMT -> Monday BST"),
]


@pytest.mark.parametrize(
    ("now", "expected", "why"), SCHOOL_DAY_CASES, ids=[case[2] for case in SCHOOL_DAY_CASES]
)
def test_next_school_day_is_the_following_weekday_at_that_local_time(
    now: datetime, expected: datetime, why: str
) -> None:
    """'next school day 08:30' is 08:30 England time on the first weekday after today's date."""
    deadline = acknowledge_by(SCHOOL_DAY, now)

    assert deadline == expected, why
    assert deadline.tzinfo is UTC
    assert deadline.astimezone(LONDON).hour == 8
    assert deadline.astimezone(LONDON).minute == 30
    assert deadline.astimezone(LONDON).weekday() < 5


@pytest.mark.parametrize(
    ("now", "expected_utc"),
    [
        # Friday 16:00 GMT -> Monday 08:30 GMT, which is 08:30 UTC.
        (datetime(2026, 11, 27, 16, 0, tzinfo=UTC), datetime(2026, 11, 30, 8, 30, tzinfo=UTC)),
        # Friday 16:00 BST (15:00 UTC) -> Monday 08:30 BST, which is 07:30 UTC.
        (datetime(2026, 7, 3, 15, 0, tzinfo=UTC), datetime(2026, 7, 6, 7, 30, tzinfo=UTC)),
        # Friday BST -> Monday after the clocks went back: 08:30 GMT, 08:30 UTC.
        (datetime(2026, 10, 23, 15, 0, tzinfo=UTC), datetime(2026, 10, 26, 8, 30, tzinfo=UTC)),
        # Friday GMT -> Monday after the clocks went forward: 08:30 BST, 07:30 UTC.
        (datetime(2026, 3, 27, 16, 0, tzinfo=UTC), datetime(2026, 3, 30, 7, 30, tzinfo=UTC)),
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
        # Sunday 23:30 UTC in summer is already Monday 00:30 in England: the next day is Tuesday.
        (datetime(2026, 7, 5, 23, 30, tzinfo=UTC), _london(2026, 7, 7, 8, 30)),
        # Sunday 23:30 UTC in winter is still Sunday in England: the next day is Monday.
        (datetime(2026, 11, 29, 23, 30, tzinfo=UTC), _london(2026, 11, 30, 8, 30)),
        # The same instant written with another offset gives the same deadline.
        (
            datetime(2026, 7, 6, 9, 30, tzinfo=timezone(timedelta(hours=10))),
            _london(2026, 7, 7, 8, 30),
        ),
    ],
)
def test_today_is_the_date_in_england_whatever_the_offset(
    now: datetime, expected: datetime
) -> None:
    """'Today' is judged on England's calendar, not on the offset the time was written in."""
    assert acknowledge_by(SCHOOL_DAY, now) == expected


@pytest.mark.parametrize("at", ["00:00", "07:45", "08:30", "16:15", "23:59"])
def test_the_time_of_day_is_the_one_written(at: str) -> None:
    """Any HH:MM is honoured as England's wall-clock time on the next school day."""
    deadline = acknowledge_by(f"next school day {at}", _london(2026, 7, 3, 16, 0))

    assert deadline.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") == f"2026-07-06 {at}"


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
