"""Retention: when an audit record may go, and how far the log may be cut from its start.

Rules:

1. A retention is an ISO 8601 period ``PnYnMnD`` (a protocol rule's ``retention``), with at
   least one part. It is added to a time by the calendar: years and months first, a day past
   the end of the month landing on its last day (29 February plus ``P1Y`` is 28 February),
   then days.
2. A record is past retention when ``recorded_at + retention < now``.
3. By protocol (:class:`ByRule`), a record's retention is its rule's. A record with no rule, or
   with a rule the protocol does not know, keeps the longest retention of all: it is past only
   when it is past every retention the protocol has. A protocol with no rules keeps everything.
4. By date (:class:`RecordedBefore`), every record recorded before the cut-off is past.
5. Pruning takes a prefix (:class:`PruneScan`): the largest K such that every record with
   ``seq`` <= K is past retention. The first record still within retention stops the cut,
   however old the records after it are.
6. Pure: no database, no clock. The caller passes ``now`` and feeds the records.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Protocol

__all__ = ["ByRule", "Period", "PruneScan", "RecordedBefore", "RetentionPolicy"]

_PERIOD: Final = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?")


@dataclass(frozen=True, slots=True)
class Period:
    """A calendar period of years, months and days (rule 1)."""

    years: int = 0
    months: int = 0
    days: int = 0

    @classmethod
    def parse(cls, text: str) -> Period:
        """``P6Y``, ``P18M``, ``P1Y6M``, ``P30D``...; ``ValueError`` for anything else."""
        match = _PERIOD.fullmatch(text)
        if match is None or text == "P":
            raise ValueError(f"not an ISO 8601 period of years, months and days: {text!r}")
        years, months, days = (int(part) if part else 0 for part in match.groups())
        return cls(years, months, days)

    def after(self, when: datetime) -> datetime:
        """``when`` plus this period, by the calendar (rule 1)."""
        month_index = when.month - 1 + self.months + 12 * self.years
        year, month = when.year + month_index // 12, month_index % 12 + 1
        day = min(when.day, calendar.monthrange(year, month)[1])
        return when.replace(year=year, month=month, day=day) + timedelta(days=self.days)


class RetentionPolicy(Protocol):
    """Says whether a record is past retention at ``now``."""

    def past(self, recorded_at: datetime, rule_id: str | None, now: datetime) -> bool: ...


@dataclass(frozen=True, slots=True)
class ByRule:
    """Each record kept for its rule's retention; unknown or no rule, the longest (rule 3)."""

    retentions: Mapping[str, Period]

    def past(self, recorded_at: datetime, rule_id: str | None, now: datetime) -> bool:
        own = self.retentions.get(rule_id) if rule_id is not None else None
        periods = [own] if own is not None else list(self.retentions.values())
        return bool(periods) and all(period.after(recorded_at) < now for period in periods)


@dataclass(frozen=True, slots=True)
class RecordedBefore:
    """Every record recorded before ``cutoff`` (rule 4)."""

    cutoff: datetime

    def past(self, recorded_at: datetime, rule_id: str | None, now: datetime) -> bool:
        return recorded_at < self.cutoff


class PruneScan:
    """Finds how far the log may be cut (rule 5), from records fed in ``seq`` order.

    ``through`` is K (``after`` until a record is past), ``records`` how many are up to it.
    """

    def __init__(self, policy: RetentionPolicy, now: datetime, *, after: int = 0) -> None:
        self.through = after
        self.records = 0
        self.stopped = False
        self._policy = policy
        self._now = now

    def feed(self, seq: int, recorded_at: datetime, rule_id: str | None) -> bool:
        """Take the next record; False once a record within retention has stopped the cut."""
        if self.stopped:
            return False
        if seq != self.through + 1 or not self._policy.past(recorded_at, rule_id, self._now):
            self.stopped = True
            return False
        self.through, self.records = seq, self.records + 1
        return True
