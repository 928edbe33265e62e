"""Police adapter: its interface, the shipped native examples, and batch error locations."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

import adapters.police
from adapters import AdapterContext, MappingFailed, RecordAdapter, map_records
from adapters.police import ADAPTER, PoliceAdapter
from schemas import parse_notification
from tests.unit.builders import ADAPTER_ID_KEY, CHILDRENS, ENDED, POLICE, REPO_ROOT, STARTED

EXAMPLES = REPO_ROOT / "docs" / "examples" / "native" / "police.json"
CONCERN = "uk.sehub.concern.raised.v1"
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
CONTEXT = AdapterContext(id_key=ADAPTER_ID_KEY, agency_id=POLICE, now=NOW, la_code="929")


def _examples() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(EXAMPLES.read_text(encoding="utf-8"))
    return records


def test_adapter_declares_its_kind_and_record_types() -> None:
    """ADAPTER is a police RecordAdapter for the three police record types."""
    adapter: RecordAdapter = ADAPTER

    assert isinstance(ADAPTER, PoliceAdapter)
    assert adapter.kind == "police"
    assert adapter.record_types == {"missing_person_report", "crime_record", "concern_notice"}
    assert "ADAPTER" in adapters.police.__all__


def test_unknown_record_type_is_refused_at_record_type() -> None:
    """A record of a type the police adapter does not know fails at record_type."""
    with pytest.raises(MappingFailed) as caught:
        ADAPTER.map_record({"record_type": "operation_encompass"}, CONTEXT)

    assert [(p.field, p.rule) for p in caught.value.problems] == [
        ("record_type", "unknown_record_type")
    ]


def test_shipped_native_examples_all_map() -> None:
    """docs/examples/native/police.json maps whole to started, ended and three concerns."""
    notifications = map_records(ADAPTER, _examples(), CONTEXT)

    assert [n.type for n in notifications] == [STARTED, ENDED, CONCERN, CONCERN, CONCERN]
    for notification in notifications:
        assert notification.source == "urn:sehub:agency:northumbria-police"
        assert parse_notification(notification.model_dump_json()) == notification


def test_shipped_examples_twice_give_the_same_event_ids() -> None:
    """Re-mapping every example record gives the same event ids, all distinct."""
    first = [n.id for n in map_records(ADAPTER, _examples(), CONTEXT)]
    again = [n.id for n in map_records(ADAPTER, _examples(), CONTEXT)]

    assert first == again
    assert len(set(first)) == len(first)


def test_event_ids_depend_on_the_publishing_agency() -> None:
    """The same record mapped for another agency gets a different event id."""
    ours = map_records(ADAPTER, _examples(), CONTEXT)
    theirs = map_records(
        ADAPTER, _examples(), AdapterContext(id_key=ADAPTER_ID_KEY, agency_id=CHILDRENS, now=NOW)
    )

    assert {n.id for n in ours}.isdisjoint({n.id for n in theirs})


def test_batch_problems_are_located_by_record_index_and_native_field() -> None:
    """In a batch every failing record's problems are named records[i].FIELD."""
    records = _examples()
    records[0] = {**records[0], "current_risk_level": "Absent"}
    records[3] = {**records[3], "grading": "urgent", "nhs_number": "9434765918"}

    with pytest.raises(MappingFailed) as caught:
        map_records(ADAPTER, records, CONTEXT)

    assert {(p.field, p.rule) for p in caught.value.problems} == {
        ("records[0].current_risk_level", "unknown_code"),
        ("records[3].grading", "unknown_code"),
        ("records[3].nhs_number", "value_error"),
    }
