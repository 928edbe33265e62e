"""Acknowledgement deadlines: a duration (``'90m'``, ``'72h'``, ``'7d'``) or a time on the next
school day (``'next school day 08:30'``).

A school day is Monday to Friday in England (Europe/London); term dates and bank holidays are not
known to the hub, so a deadline that falls in a holiday is early, never late.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["acknowledge_by", "check_deadline", "parse_duration"]

ENGLAND = ZoneInfo("Europe/London")
_DURATION = re.compile(r"^(?P<n>\d+)(?P<unit>[mhd])$")
_SCHOOL_DAY = re.compile(r"^next school day (?P<hh>[01]\d|2[0-3]):(?P<mm>[0-5]\d)$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
SATURDAY = 5


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


def acknowledge_by(text: str, now: datetime) -> datetime:
    """The deadline ``text`` counted from ``now`` (aware), in UTC."""
    school = _SCHOOL_DAY.match(text)
    if school is None:
        return now.astimezone(UTC) + parse_duration(text)
    at = time(int(school["hh"]), int(school["mm"]))
    day = now.astimezone(ENGLAND).date() + timedelta(days=1)
    while day.weekday() >= SATURDAY:
        day += timedelta(days=1)
    return datetime.combine(day, at, ENGLAND).astimezone(UTC)
