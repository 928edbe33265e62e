"""Stored rows fed by position: the same verdict, reason and head as fed by name."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hub.audit import GENESIS, STORED_COLUMNS, ChainVerifier, canonical_detail, link
from hub.crypto import AuditMacKeys

T0 = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
MACS = AuditMacKeys(Path("/nonexistent/m.json"), [("audit-mac-20261201-0001", bytes(range(32)))])


def _stored(count: int = 5) -> list[dict[str, Any]]:
    rows = [
        {"recorded_at": T0 + timedelta(seconds=n), "action": "notification.shared",
         "correlation_id": f"corr-{n}", "notification_id": f"n-{n}",
         "notification_type": "uk.sehub.missing_episode.started.v1", "actor": "north",
         "recipient": None, "rule_id": "r-1", "protocol_version": "2026.11.2",
         "detail": {"purpose": "Find the child é", "n": n}}
        for n in range(count)
    ]  # fmt: skip
    stored = []
    for n, row in enumerate(link(rows, head_seq=0, head_hash=GENESIS)):
        kid, mac = MACS.vouch(row["record_hash"])
        detail = canonical_detail(row["detail"])
        stored.append({**row, "id": 100 + n, "detail": detail, "mac_kid": kid, "mac": mac})
    return stored


def _outcome(
    rows: list[dict[str, Any]], feed: Callable[[ChainVerifier, dict[str, Any]], bool], **kw: Any
) -> tuple[object, ...]:
    verifier = ChainVerifier(frozenset({2, 4}), **kw)
    accepted = [feed(verifier, row) for row in rows]
    return accepted, verifier.broken, verifier.checked, verifier.head_hash, verifier.hashes_at


def _by_position(verifier: ChainVerifier, row: dict[str, Any]) -> bool:
    return verifier.feed_columns(tuple(row[name] for name in STORED_COLUMNS))


def _relink(row: dict[str, Any]) -> None:
    """Make the record a well-hashed one with a good MAC, but after another record."""
    fields = {**row, "detail": {"moved": True}}
    (moved,) = link([fields], head_seq=row["seq"] - 1, head_hash="ab" * 32)
    kid, mac = MACS.vouch(moved["record_hash"])
    row.update(moved, detail=canonical_detail(moved["detail"]), mac_kid=kid, mac=mac)


def _set(field: str, value: object) -> Callable[[dict[str, Any]], None]:
    return lambda row: row.update({field: value})


TAMPERING = {
    "untouched": lambda row: None,
    "edited": _set("action", "notification.withheld"),
    "detail spaced": lambda row: row.update(detail=row["detail"].replace(",", ", ")),
    "detail not JSON": _set("detail", "{"),
    "MAC altered": _set("mac", "00" * 32),
    "MAC missing": _set("mac", None),
    "kid unknown": _set("mac_kid", "audit-mac-20261201-ffff"),
    "seq skipped": _set("seq", 4),
    "prev altered": _set("prev_hash", "ab" * 32),
    "from another chain": _relink,
    "seq not a number": _set("seq", "3"),
}


@pytest.mark.parametrize("tamper", TAMPERING.values(), ids=TAMPERING.keys())
@pytest.mark.parametrize("macs", [MACS, None], ids=["with keys", "without keys"])
def test_a_row_by_position_verifies_as_by_name(
    tamper: Callable[[dict[str, Any]], None], macs: AuditMacKeys | None
) -> None:
    """Whatever is wrong with the third record, both feeds agree on every verdict and reason."""
    rows = _stored()
    tamper(rows[2])

    by_name = _outcome(rows, ChainVerifier.feed_stored, macs=macs, unvouched_through=1)
    by_position = _outcome(rows, _by_position, macs=macs, unvouched_through=1)

    assert by_position == by_name
    if tamper is TAMPERING["untouched"]:
        assert by_position[2] == 5


def test_a_row_by_position_is_checked_for_hash_and_mac() -> None:
    """An edited record, or one with a wrong MAC, is the first bad record by position too."""
    for field, value in (("actor", "south"), ("mac", "11" * 32)):
        rows = _stored()
        rows[3][field] = value
        verifier = ChainVerifier(macs=MACS)

        assert not all(_by_position(verifier, row) for row in rows)
        assert verifier.broken is not None
        assert verifier.broken.seq == 4
        assert verifier.checked == 3


def test_a_well_formed_row_by_position_needs_no_named_feed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Records the writer hashed and vouched for are accepted by position, with no fallback."""
    verifier = ChainVerifier(macs=MACS)

    def named_feed(row: object) -> bool:
        raise AssertionError("fell back to feed_stored")

    monkeypatch.setattr(verifier, "feed_stored", named_feed)

    assert all(_by_position(verifier, row) for row in _stored())
    assert verifier.checked == 5
