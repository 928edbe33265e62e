"""Retention periods, which records are past them, and how far the audit log may be cut."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.audit import (
    ByRule,
    Checkpoint,
    Period,
    PruneAnchor,
    PruneScan,
    RecordedBefore,
    checkpoint_signing_input,
    prune_signing_input,
)

T0 = datetime(2020, 3, 1, 9, 0, tzinfo=UTC)
SIX_YEARS = Period.parse("P6Y")
ONE_YEAR = Period.parse("P1Y")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P6Y", Period(6, 0, 0)),
        ("P18M", Period(0, 18, 0)),
        ("P1Y6M", Period(1, 6, 0)),
        ("P30D", Period(0, 0, 30)),
        ("P1Y2M3D", Period(1, 2, 3)),
    ],
)
def test_a_period_is_read_from_its_iso_text(text: str, expected: Period) -> None:
    """Each part of an ISO 8601 period of years, months and days is read."""
    assert Period.parse(text) == expected


@pytest.mark.parametrize("text", ["P", "6Y", "P1W", "PT1H", "P-1Y", "", "P1Y ", "P1Y\n"])
def test_anything_else_is_not_a_period(text: str) -> None:
    """An empty period, weeks, times or stray characters are refused."""
    with pytest.raises(ValueError, match="ISO 8601 period"):
        Period.parse(text)


@pytest.mark.parametrize(
    ("start", "period", "expected"),
    [
        (datetime(2020, 2, 29, tzinfo=UTC), "P1Y", datetime(2021, 2, 28, tzinfo=UTC)),
        (datetime(2020, 1, 31, tzinfo=UTC), "P1M", datetime(2020, 2, 29, tzinfo=UTC)),
        (datetime(2020, 11, 15, tzinfo=UTC), "P3M", datetime(2021, 2, 15, tzinfo=UTC)),
        (datetime(2020, 12, 31, tzinfo=UTC), "P1D", datetime(2021, 1, 1, tzinfo=UTC)),
        (datetime(2020, 1, 31, tzinfo=UTC), "P1M1D", datetime(2020, 3, 1, tzinfo=UTC)),
        (datetime(2019, 6, 1, 8, 30, tzinfo=UTC), "P6Y", datetime(2025, 6, 1, 8, 30, tzinfo=UTC)),
    ],
)
def test_a_period_is_added_by_the_calendar(
    start: datetime, period: str, expected: datetime
) -> None:
    """Years and months move the calendar date (clamped to the month's end), then days."""
    assert Period.parse(period).after(start) == expected


def test_a_record_is_past_its_rules_retention_only_once_it_has_run_out() -> None:
    """Past means recorded_at + retention is before now; at that instant it is still kept."""
    policy = ByRule({"r-short": ONE_YEAR, "r-long": SIX_YEARS})
    expiry = ONE_YEAR.after(T0)

    assert not policy.past(T0, "r-short", expiry)
    assert policy.past(T0, "r-short", expiry + timedelta(microseconds=1))
    assert not policy.past(T0, "r-long", expiry + timedelta(days=1))


@pytest.mark.parametrize("rule_id", [None, "a-rule-no-longer-in-the-protocol"])
def test_a_record_without_a_known_rule_keeps_the_longest_retention(rule_id: str | None) -> None:
    """A record with no rule, or an unknown one, is past only when past every retention."""
    policy = ByRule({"r-short": ONE_YEAR, "r-long": SIX_YEARS})

    assert not policy.past(T0, rule_id, T0 + timedelta(days=5 * 366))
    assert policy.past(T0, rule_id, SIX_YEARS.after(T0) + timedelta(seconds=1))


def test_a_protocol_without_rules_keeps_everything() -> None:
    """With no retention to go by, no record is ever past it."""
    assert not ByRule({}).past(T0, None, T0 + timedelta(days=365 * 100))


def test_by_date_every_record_before_the_cutoff_is_past() -> None:
    """The cut-off alone decides, whatever the rule."""
    policy = RecordedBefore(T0)

    assert policy.past(T0 - timedelta(microseconds=1), "r-long", T0)
    assert not policy.past(T0, None, T0 + timedelta(days=1))


def _scan(ages_in_days: list[int], *, after: int = 0) -> PruneScan:
    """Scan records (one a day, given how many days ago each was) under a one-year policy."""
    now = T0 + timedelta(days=3000)
    scan = PruneScan(ByRule({"r": ONE_YEAR}), now, after=after)
    for offset, age in enumerate(ages_in_days, start=after + 1):
        if not scan.feed(offset, now - timedelta(days=age), "r"):
            break
    return scan


def test_the_cut_is_the_longest_prefix_past_retention() -> None:
    """Records are pruned up to the first one still within retention, and not beyond."""
    scan = _scan([800, 700, 400, 100, 900, 900])

    assert (scan.through, scan.records, scan.stopped) == (3, 3, True)


def test_an_old_record_after_a_recent_one_is_not_pruned() -> None:
    """A record past retention that follows a newer one is kept: the cut is a prefix only."""
    scan = _scan([10, 900, 900])

    assert (scan.through, scan.records) == (0, 0)


def test_the_scan_starts_after_an_earlier_prune() -> None:
    """After a previous cut at seq 5, the next cut counts from seq 6."""
    scan = _scan([900, 900, 5], after=5)

    assert (scan.through, scan.records) == (7, 2)


def test_a_gap_in_the_sequence_stops_the_cut() -> None:
    """A record that is not the next seq is never pruned, nor anything after it."""
    scan = PruneScan(RecordedBefore(T0), T0)
    old = T0 - timedelta(days=1)

    assert scan.feed(1, old, None)
    assert not scan.feed(3, old, None)
    assert not scan.feed(4, old, None)
    assert (scan.through, scan.records) == (1, 1)


def test_a_prune_anchor_signature_can_never_pass_for_a_checkpoint() -> None:
    """The same head signs to different bytes as an anchor and as a checkpoint."""
    anchor = PruneAnchor(7, "ab" * 32, T0, "hub-sig-1", b"s", T0, 7)
    checkpoint = Checkpoint(7, "ab" * 32, T0, "hub-sig-1", b"s")

    assert anchor.signing_input() == prune_signing_input(7, "ab" * 32, T0, "hub-sig-1")
    assert anchor.signing_input() != checkpoint.signing_input()
    assert anchor.signing_input().startswith(b"sehub-audit-prune-1\n")
    assert checkpoint.signing_input() == checkpoint_signing_input(7, "ab" * 32, T0, "hub-sig-1")
    assert anchor.head == (7, "ab" * 32)
