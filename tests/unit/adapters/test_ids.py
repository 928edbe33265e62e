"""Event ids bind a record's natural key and its content, keyed per agency, for every adapter."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters import ADAPTER_KINDS, AdapterContext, adapter_for, map_records
from hub.pseudonyms import Pseudonymiser
from tests.unit.builders import ADAPTER_ID_KEY

NATIVE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "native"
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
AGENCIES = {
    "police": "northumbria-police",
    "children_services": "northumberland-childrens",
    "adult_services": "northumberland-adults",
    "education": "northumberland-education",
}
OTHER_KEY = b"another-agency-id-key-of-32bytes"


def _context(kind: str, key: bytes = ADAPTER_ID_KEY) -> AdapterContext:
    return AdapterContext(id_key=key, agency_id=AGENCIES[kind], now=NOW, la_code="929")


def _examples(kind: str) -> list[Any]:
    records: list[Any] = json.loads((NATIVE / f"{kind}.json").read_text(encoding="utf-8"))
    return records


def _ids(kind: str, key: bytes = ADAPTER_ID_KEY) -> set[str]:
    notifications = map_records(adapter_for(kind), _examples(kind), _context(kind, key))
    found = set()
    for notification in notifications:
        found.add(notification.id)
        found |= {notification.episodeid, notification.correlationid} - {None}  # type: ignore[arg-type]
    return found


def _old_unkeyed(prefix: str, *parts: object) -> str:
    """The id as adapters derived it before ids were keyed: plain SHA-256 of the parts."""
    return f"{prefix}-{hashlib.sha256(chr(0x1F).join(map(str, parts)).encode()).hexdigest()[:32]}"


def test_a_corrected_record_gets_a_new_id_and_the_same_record_the_same_id() -> None:
    """Adding a CCE flag to a crime record makes a new event; re-posting it unchanged does not."""
    context = _context("police")
    crime = next(r for r in _examples("police") if r["record_type"] == "crime_record")
    police = adapter_for("police")
    first = [n.id for n in police.map_record(crime, context)]
    again = [n.id for n in police.map_record(dict(crime), context)]
    changed = dict(crime, cce_flag="N" if crime.get("cce_flag") in ("Y", True) else "Y")
    corrected = [n.id for n in police.map_record(changed, context)]
    assert first
    assert first == again
    assert corrected
    assert corrected != first


@pytest.mark.parametrize("kind", ADAPTER_KINDS)
def test_the_same_records_under_the_same_key_give_the_same_ids(kind: str) -> None:
    """Mapping an agency's file twice under its key gives the same ids: re-posts stay idempotent."""
    assert _ids(kind)
    assert _ids(kind) == _ids(kind)


@pytest.mark.parametrize("kind", ADAPTER_KINDS)
def test_another_key_gives_other_event_episode_and_correlation_ids(kind: str) -> None:
    """Under another agency key no event id, ``episodeid`` or ``correlationid`` is the same."""
    assert _ids(kind).isdisjoint(_ids(kind, OTHER_KEY))


def test_a_guessed_police_reference_hashed_the_old_way_is_not_the_episode() -> None:
    """A recipient who guesses the misper id and hashes it as before cannot confirm the guess."""
    report = _examples("police")[0]
    (event,) = adapter_for("police").map_record(report, _context("police"))
    guess = _old_unkeyed("pol-mis-ep", AGENCIES["police"], report["misper_id"])

    assert event.episodeid is not None
    assert event.episodeid.startswith("pol-mis-ep-")
    assert event.episodeid != guess
    assert report["misper_id"] not in event.id + event.episodeid


def test_a_guessed_child_and_date_hashed_the_old_way_is_not_the_missing_episode() -> None:
    """A child id and a start date, hashed without the key, do not give the episode id."""
    row = next(r for r in _examples("children_services") if r["record_type"] == "ssda903_missing")
    (event,) = adapter_for("children_services").map_record(row, _context("children_services"))
    day, month, year = row["MIS_START"].split("/")
    started = f"{year}-{month}-{day}"

    assert event.episodeid != _old_unkeyed(
        "mis", AGENCIES["children_services"], row["CHILD"], started
    )


def test_an_id_key_is_long_and_never_shown() -> None:
    """A key shorter than 32 bytes is refused, and the context's repr does not contain it."""
    with pytest.raises(ValueError, match="32 bytes"):
        _context("police", b"short")
    assert repr(ADAPTER_ID_KEY) not in repr(_context("police"))
    assert "id_key" not in repr(dataclasses.replace(_context("police")))


def test_each_agency_has_its_own_id_key_from_the_hubs_pseudonym_key() -> None:
    """The key is per agency, stable, 32 bytes, tied to the hub key and no other pseudonym."""
    pseudonyms = Pseudonymiser(b"h" * 32)
    police = pseudonyms.adapter_id_key("northumbria-police")

    assert len(police) == 32
    assert police == Pseudonymiser(b"h" * 32).adapter_id_key("northumbria-police")
    assert police != pseudonyms.adapter_id_key("northumberland-childrens")
    assert police != Pseudonymiser(b"i" * 32).adapter_id_key("northumbria-police")
    assert police.hex() not in {
        pseudonyms.local("northumbria-police", "northumbria-police"),
        pseudonyms.episode("adapter-id-key", "northumbria-police"),
        pseudonyms.event("adapter-id-key", "northumbria-police"),
    }
