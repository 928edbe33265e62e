"""Event ids bind a record's natural key and its content, for every adapter."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from adapters import AdapterContext, adapter_for

NATIVE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "native"


def test_a_corrected_record_gets_a_new_id_and_the_same_record_the_same_id() -> None:
    """Adding a CCE flag to a crime record makes a new event; re-posting it unchanged does not."""
    context = AdapterContext(agency_id="northumbria-police", now=datetime(2026, 11, 29, tzinfo=UTC))
    records = json.loads((NATIVE / "police.json").read_text())
    crime = next(r for r in records if r["record_type"] == "crime_record")
    police = adapter_for("police")
    first = [n.id for n in police.map_record(crime, context)]
    again = [n.id for n in police.map_record(dict(crime), context)]
    changed = dict(crime, cce_flag="N" if crime.get("cce_flag") in ("Y", True) else "Y")
    corrected = [n.id for n in police.map_record(changed, context)]
    assert first
    assert first == again
    assert corrected
    assert corrected != first
