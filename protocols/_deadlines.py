"""Acknowledgement deadlines: a duration (``'90m'``, ``'72h'``, ``'7d'``) or a time on the next
school day (``'next school day 08:30'``).

Rules:

* A duration is elapsed time: ``now`` plus that many minutes, hours or days of real time, so
  ``'72h'`` across a clock change ends an hour earlier or later on the wall clock.
* ``'next school day HH:MM'`` is the first school day whose HH:MM on England's wall clock
  (Europe/London, GMT or BST as that day has it) is strictly after ``now``. 02:00 on a Tuesday
  gives Tuesday 08:30; 08:30 exactly, or 09:00, gives Wednesday 08:30; Friday 17:00 gives Monday
  08:30; a bank holiday Monday gives Tuesday. ``now`` may carry any offset: only the instant
  counts. The clocks change on Sundays, which are never school days, so a school day's HH:MM
  always exists exactly once.
* A school day is Monday to Friday, except the bank holidays of England and Wales. Those come
  from ``bank-holidays.json`` in this package, in the shape of the public gov.uk file
  (``https://www.gov.uk/bank-holidays.json``; only ``england-and-wales`` is read), and cover the
  years 2024 to 2028. A weekday outside the years the file covers counts as a school day, so
  the file must be renewed before it runs out (a unit test fails from January of its last year).
* Term dates are set by each council (and by academies for themselves) and are not known to the
  hub: a deadline that falls in a school holiday is early, never late.
* Every deadline is returned as an aware datetime in UTC. A naive ``now`` is a ``ValueError``.

The shipped calendar is read and checked once (:func:`school_calendar`); a malformed file is a
``ValueError`` naming the file and the entry. Tests pass their own :class:`SchoolCalendar`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "SchoolCalendar",
    "acknowledge_by",
    "check_deadline",
    "parse_duration",
    "school_calendar",
]

ENGLAND = ZoneInfo("Europe/London")
BANK_HOLIDAYS_FILE = "bank-holidays.json"
DIVISION = "england-and-wales"
_DURATION = re.compile(r"^(?P<n>\d+)(?P<unit>[mhd])$")
_SCHOOL_DAY = re.compile(r"^next school day (?P<hh>[01]\d|2[0-3]):(?P<mm>[0-5]\d)$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
SATURDAY = 5
_EVENT_FIELDS: Mapping[str, type] = {"title": str, "date": str, "notes": str, "bunting": bool}


@dataclass(frozen=True, slots=True)
class SchoolCalendar:
    """Which dates are school days: weekdays that are not bank holidays.

    The bank holidays are known for :attr:`years`; outside them every weekday is a school day.
    """

    bank_holidays: frozenset[date] = frozenset()

    @classmethod
    def from_gov_uk(cls, document: object, origin: str = "bank holidays") -> SchoolCalendar:
        """The calendar of the ``england-and-wales`` division of a gov.uk-shaped document.

        Raises ``ValueError``, prefixed with ``origin``, unless every event has a title, an ISO
        date on a weekday (a holiday at a weekend is listed on its substitute day), notes and
        bunting; no date appears twice; and every year from the first to the last has an event.
        """
        events = _events_of(document, origin)
        days: set[date] = set()
        for index, event in enumerate(events):
            day = _event_date(event, f"{origin}: {DIVISION}.events[{index}]")
            if day in days:
                raise ValueError(f"{origin}: {DIVISION}.events[{index}]: {day} is listed twice")
            days.add(day)
        calendar = cls(frozenset(days))
        missing = sorted(set(calendar.years) - {day.year for day in days})
        if missing:
            raise ValueError(f"{origin}: no {DIVISION} bank holidays for {missing}")
        return calendar

    @property
    def years(self) -> range:
        """The years whose bank holidays are known: from the first holiday's to the last's."""
        if not self.bank_holidays:
            return range(0)
        return range(min(self.bank_holidays).year, max(self.bank_holidays).year + 1)

    def is_school_day(self, day: date) -> bool:
        """Monday to Friday and not a bank holiday."""
        return day.weekday() < SATURDAY and day not in self.bank_holidays


def _events_of(document: object, origin: str) -> list[Any]:
    division = document.get(DIVISION) if isinstance(document, dict) else None
    if not isinstance(division, dict):
        # A malformed file is a ValueError whatever is wrong with it, wrong types included.
        raise ValueError(f"{origin}: expected an object with a {DIVISION!r} object")  # noqa: TRY004
    if division.get("division") != DIVISION:
        raise ValueError(f"{origin}: {DIVISION}.division must be {DIVISION!r}")
    events = division.get("events")
    if not isinstance(events, list) or not events:
        raise ValueError(f"{origin}: {DIVISION}.events must be a non-empty list")
    return events


def _event_date(event: object, where: str) -> date:
    if not isinstance(event, dict):
        raise ValueError(f"{where}: expected an object")  # noqa: TRY004 - see _events_of
    for name, kind in _EVENT_FIELDS.items():
        if not isinstance(event.get(name), kind):
            raise ValueError(f"{where}.{name}: expected a {kind.__name__}")  # noqa: TRY004
    if not event["title"]:
        raise ValueError(f"{where}.title: must not be empty")
    if not _ISO_DATE.match(event["date"]):
        raise ValueError(f"{where}.date: expected YYYY-MM-DD")
    try:
        day = date.fromisoformat(event["date"])
    except ValueError as exc:
        raise ValueError(f"{where}.date: not a real date") from exc
    if day.weekday() >= SATURDAY:
        raise ValueError(f"{where}.date: {day} is a weekend; list the substitute day instead")
    return day


@cache
def school_calendar() -> SchoolCalendar:
    """The shipped calendar (``protocols/bank-holidays.json``), read and checked once."""
    origin = f"protocols/{BANK_HOLIDAYS_FILE}"
    try:
        text = resources.files("protocols").joinpath(BANK_HOLIDAYS_FILE).read_text("utf-8")
        document = json.loads(text)
    except OSError as exc:
        raise ValueError(f"{origin}: cannot read the bank holidays ({exc.strerror})") from exc
    except ValueError as exc:  # json.JSONDecodeError and UnicodeDecodeError
        raise ValueError(f"{origin}: not valid JSON ({exc})") from exc
    return SchoolCalendar.from_gov_uk(document, origin)


@lru_cache(maxsize=256)  # a protocol has a handful of durations; decide() reads them per view
def parse_duration(text: str) -> timedelta:
    """Parse ``'90m'``, ``'72h'`` or ``'7d'``."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError("expected a duration such as '90m', '72h' or '7d'")
    return timedelta(**{_UNITS[match["unit"]]: int(match["n"])})


def check_deadline(text: str) -> str:
    """``text`` if it is a duration or ``next school day HH:MM``; ``ValueError`` otherwise."""
    if _DURATION.match(text) or _SCHOOL_DAY.match(text):
        return text
    raise ValueError("expected a duration ('90m', '72h', '7d') or 'next school day HH:MM'")


def acknowledge_by(text: str, now: datetime, calendar: SchoolCalendar | None = None) -> datetime:
    """The deadline ``text`` counted from ``now`` (aware), in UTC; see the module's rules.

    ``calendar`` defaults to the shipped one (:func:`school_calendar`).
    """
    if now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    now = now.astimezone(UTC)
    school = _SCHOOL_DAY.match(text)
    if school is None:
        return now + parse_duration(text)
    calendar = school_calendar() if calendar is None else calendar
    at = time(int(school["hh"]), int(school["mm"]))
    day = now.astimezone(ENGLAND).date()
    while True:
        if calendar.is_school_day(day):
            deadline = datetime.combine(day, at, ENGLAND).astimezone(UTC)
            if deadline > now:  # compared in UTC: same-zone comparisons ignore the offset
                return deadline
        day += timedelta(days=1)
