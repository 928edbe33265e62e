"""The audit hash chain, on rows in memory: it verifies as written and breaks at any tampering."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.audit import (
    CHAINED_FIELDS,
    GENESIS,
    ChainVerifier,
    canonical_detail,
    canonical_record,
    link,
    record_hash,
    stored_record_hash,
)

T0 = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def _row(n: int) -> dict[str, Any]:
    return {
        "id": 100 + n,
        "recorded_at": T0 + timedelta(seconds=n),
        "action": "notification.shared",
        "correlation_id": f"corr-{n}",
        "notification_id": f"n-{n}",
        "notification_type": "uk.sehub.missing_episode.started.v1",
        "actor": "northumberland-childrens",
        "recipient": "northumbria-police",
        "rule_id": "missing-child-to-police",
        "protocol_version": "2026.11.2+747bd130aeba",
        "detail": {"withheld": ["data.person.nhs_number"], "purpose": "Find the child é"},
    }


def _chain(count: int = 6) -> list[dict[str, Any]]:
    return link([_row(n) for n in range(count)], head_seq=0, head_hash=GENESIS)


def _first_break(rows: list[dict[str, Any]]) -> tuple[int | None, str] | None:
    verifier = ChainVerifier()
    for row in sorted(rows, key=lambda r: r["seq"]):
        if not verifier.feed(row):
            break
    broken = verifier.broken
    return None if broken is None else (broken.seq, broken.reason)


def test_the_canonical_encoding_is_pinned() -> None:
    """Known answer: the bytes a record's hash covers, and that hash, are exactly these."""
    row = {**_row(0), "detail": {"b": 1, "a": "é"}}
    expected = (
        '{"action":"notification.shared","actor":"northumberland-childrens",'
        '"correlation_id":"corr-0","detail":{"a":"é","b":1},"notification_id":"n-0",'
        '"notification_type":"uk.sehub.missing_episode.started.v1","prev":"' + GENESIS + '",'
        '"protocol_version":"2026.11.2+747bd130aeba","recipient":"northumbria-police",'
        '"recorded_at":"2026-12-01T09:30:00.000000Z","rule_id":"missing-child-to-police",'
        '"seq":1}'
    ).encode()

    assert canonical_record(row, seq=1, prev=GENESIS) == expected
    digest = record_hash(row, seq=1, prev=GENESIS)
    assert digest == hashlib.sha256(b"sehub-audit-1\n" + expected).hexdigest()
    assert digest == "b43acecea40b3eaa1542599eddc9c7135e0616c29226a9ec9edcd7f68cf71a06"


def test_a_naive_time_read_back_from_sqlite_hashes_as_utc() -> None:
    """SQLite returns times without an offset; they are UTC, so the hash is the same."""
    naive = {**_row(1), "recorded_at": _row(1)["recorded_at"].replace(tzinfo=None)}

    assert record_hash(naive, seq=2, prev=GENESIS) == record_hash(_row(1), seq=2, prev=GENESIS)


def test_an_untouched_chain_verifies_with_no_false_alarm() -> None:
    """Records chained as written verify, every one of them."""
    verifier = ChainVerifier()

    assert all(verifier.feed(row) for row in _chain())
    assert verifier.checked == 6
    assert verifier.broken is None


def test_linking_continues_from_the_head() -> None:
    """A second batch follows the first: one chain, not two."""
    first = _chain(3)
    second = link([_row(n) for n in range(3, 5)], head_seq=3, head_hash=first[-1]["record_hash"])

    assert _first_break(first + second) is None
    assert [row["seq"] for row in first + second] == [1, 2, 3, 4, 5]


def test_an_altered_record_is_named() -> None:
    """Changing any chained field of one record breaks the chain at that record."""
    rows = _chain()
    rows[2]["detail"] = {"withheld": []}

    assert _first_break(rows) == (3, "its contents do not match its hash")


def test_a_deleted_record_is_named_by_the_gap() -> None:
    """Removing a record leaves a gap the next record reports."""
    rows = _chain()
    del rows[3]

    assert _first_break(rows) == (5, "sequence 5 where 4 was due (missing)")


def test_an_inserted_record_breaks_the_chain_after_it() -> None:
    """A record slipped in (later ones renumbered) does not link to the one after it."""
    rows = _chain()
    for row in rows[3:]:
        row["seq"] += 1
    forged = link([_row(99)], head_seq=3, head_hash=rows[2]["record_hash"])[0]

    assert _first_break([*rows, forged]) == (5, "does not follow the record before it")


def test_reordered_records_are_named() -> None:
    """Two records that swap places break the chain where the first one now stands."""
    rows = _chain()
    rows[1]["seq"], rows[2]["seq"] = rows[2]["seq"], rows[1]["seq"]

    assert _first_break(rows) == (2, "does not follow the record before it")


@pytest.mark.parametrize("field", ["action", "recipient", "rule_id", "recorded_at", "actor"])
def test_every_chained_field_is_covered(field: str) -> None:
    """Each field an auditor relies on is inside the hash."""
    rows = copy.deepcopy(_chain())
    rows[0][field] = T0 + timedelta(days=1) if field == "recorded_at" else "forged"

    assert _first_break(rows) == (1, "its contents do not match its hash")


@pytest.mark.parametrize("value", [1.5, {1: "int key"}, datetime(2026, 1, 1, tzinfo=UTC)])
def test_a_value_other_encoders_could_write_differently_is_refused(value: object) -> None:
    """Floats, non-text keys and objects are refused before they can make a verifier disagree."""
    row = {**_row(0), "detail": {"x": value}}

    with pytest.raises(TypeError, match="detail"):
        record_hash(row, seq=1, prev=GENESIS)


@pytest.mark.parametrize("value", [1.5, {"k": [1, {"j": 2.5}]}, {"k": {3: "int key"}}])
def test_a_float_or_number_key_deep_inside_detail_is_refused(value: object) -> None:
    """The quick path over plain members still looks inside every nested list and object."""
    row = {**_row(0), "detail": {"plain": "text", "x": value}}

    with pytest.raises(TypeError, match="detail"):
        record_hash(row, seq=1, prev=GENESIS)


@given(
    st.datetimes(
        # Hypothesis bounds are naive; the 12 hours leave room for the offset to move it.
        min_value=datetime(1, 1, 1, 12),  # noqa: DTZ001
        max_value=datetime(9999, 12, 30),  # noqa: DTZ001
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), None]),
    )
)
def test_times_are_written_as_the_chain_always_wrote_them(value: datetime) -> None:
    """Any time, naive or aware, of any year, is the text the strftime form gave."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    expected = aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    encoded = canonical_record({**_row(0), "recorded_at": value}, seq=1, prev=GENESIS)

    assert f'"recorded_at":"{expected}"'.encode() in encoded


_PLAIN = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def _reference_encoding(fields: dict[str, Any], seq: int, prev: str) -> bytes:
    """Rule 2 as first written: the whole document through json.dumps."""
    document = {name: fields[name] for name in CHAINED_FIELDS}
    document["recorded_at"] = document["recorded_at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    document.update(seq=seq, prev=prev)
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


@given(
    st.fixed_dictionaries({name: st.none() | st.text() | _PLAIN for name in CHAINED_FIELDS[1:]}),
    st.integers(min_value=1, max_value=2**62),
)
def test_the_fast_encoding_is_byte_for_byte_the_documented_one(
    fields: dict[str, Any], seq: int
) -> None:
    """Any plain values, text with any characters included, encode exactly as json.dumps of
    the whole document with rule 2's settings does."""
    row = {**fields, "recorded_at": T0}
    try:
        expected = _reference_encoding(row, seq, GENESIS)
    except UnicodeEncodeError:  # a lone surrogate: neither encoding can write it
        with pytest.raises(UnicodeEncodeError):
            canonical_record(row, seq=seq, prev=GENESIS)
        return

    assert canonical_record(row, seq=seq, prev=GENESIS) == expected


def test_a_stored_canonical_detail_hashes_as_the_record_does() -> None:
    """The detail text the store keeps, spliced in unparsed, gives the record's own hash."""
    row = _chain(1)[0]
    stored = {**row, "detail": canonical_detail(row["detail"])}

    assert stored_record_hash(stored, seq=1, prev=GENESIS) == row["record_hash"]
    assert (
        stored_record_hash({**stored, "detail": stored["detail"] + " "}, seq=1, prev=GENESIS)
        != row["record_hash"]
    )
