"""The exported JSON Schemas and the documented examples agree with the models."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import assume, given, settings
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from schemas import CATALOGUE, JSON_SCHEMA_DIR, parse_notification, rendered_json_schemas
from tests.unit.builders import documented_examples, generated_notifications


def test_checked_in_schemas_match_the_models() -> None:
    """schemas/json holds exactly what `hub schemas export` would write now."""
    expected = rendered_json_schemas()
    on_disk = {
        path.name: path.read_text(encoding="utf-8") for path in JSON_SCHEMA_DIR.glob("*.json")
    }
    assert sorted(on_disk) == sorted(expected), "run: .venv/bin/hub schemas export"
    for name, text in expected.items():
        assert on_disk[name] == text, f"{name} is stale; run: .venv/bin/hub schemas export"


def test_one_schema_per_catalogue_type_marking_personal_fields() -> None:
    """Every type has a schema, and personal fields carry the x-personal-data marker."""
    assert {name.removesuffix(".json") for name in rendered_json_schemas()} == set(CATALOGUE)
    started = json.loads(rendered_json_schemas()["uk.sehub.missing_episode.started.v1.json"])
    person = started["$defs"]["PersonRef"]["properties"]
    assert person["nhs_number"]["x-personal-data"] is True
    assert "x-personal-data" not in person["sex"]


def test_docs_give_one_valid_example_per_type() -> None:
    """docs/notifications.md shows exactly one example of each type, each valid."""
    examples = documented_examples()
    assert sorted(example["type"] for example in examples) == sorted(CATALOGUE)
    for example in examples:
        assert parse_notification(example).type == example["type"]


@pytest.mark.parametrize("type_name", sorted(CATALOGUE))
def test_documented_example_validates_against_its_exported_schema(type_name: str) -> None:
    """Each documented example is valid under its own exported JSON Schema."""
    (example,) = [e for e in documented_examples() if e["type"] == type_name]
    schema = json.loads((JSON_SCHEMA_DIR / f"{type_name}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    errors = list(Draft202012Validator(schema).iter_errors(example))
    assert errors == []


@settings(max_examples=200, deadline=None)
@given(raw=generated_notifications())
def test_every_valid_notification_round_trips_and_matches_its_schema(raw: dict[str, Any]) -> None:
    """Any valid notification of any type survives JSON and validates against its JSON Schema."""
    try:
        notification = parse_notification(raw)
    except ValidationError:
        assume(False)  # dropping a field a cross-field rule needs makes an invalid event
        raise
    text = notification.model_dump_json(exclude_none=True)
    assert parse_notification(text) == notification
    schema = json.loads((JSON_SCHEMA_DIR / f"{notification.type}.json").read_text(encoding="utf-8"))
    assert list(Draft202012Validator(schema).iter_errors(json.loads(text))) == []
