"""The exported JSON Schemas and the documented examples agree with the models."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from schemas import CATALOGUE, JSON_SCHEMA_DIR, parse_notification, rendered_json_schemas

DOCS = Path(__file__).resolve().parents[2] / "docs" / "notifications.md"


def _documented_examples() -> list[dict[str, Any]]:
    blocks = re.findall(r"```json\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.S)
    return [json.loads(block) for block in blocks]


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
    examples = _documented_examples()
    assert sorted(example["type"] for example in examples) == sorted(CATALOGUE)
    for example in examples:
        assert parse_notification(example).type == example["type"]


@pytest.mark.parametrize("type_name", sorted(CATALOGUE))
def test_documented_example_validates_against_its_exported_schema(type_name: str) -> None:
    """Each documented example is valid under its own exported JSON Schema."""
    (example,) = [e for e in _documented_examples() if e["type"] == type_name]
    schema = json.loads((JSON_SCHEMA_DIR / f"{type_name}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    errors = list(Draft202012Validator(schema).iter_errors(example))
    assert errors == []


def _drop_optional(model: Any, value: Any, draw: st.DrawFn) -> Any:
    """Recursively drop optional fields of ``value`` (a dict for ``model``) at random."""
    if not isinstance(value, dict) or not hasattr(model, "model_fields"):
        return value
    result = {}
    for name, item in value.items():
        info = model.model_fields.get(name)
        if info is None:
            result[name] = item
            continue
        if not info.is_required() and draw(st.booleans()):
            continue
        nested = info.annotation
        nested_model = (
            nested if isinstance(nested, type) and hasattr(nested, "model_fields") else None
        )
        result[name] = _drop_optional(nested_model, item, draw) if nested_model else item
    return result


@st.composite
def _notifications(draw: st.DrawFn) -> dict[str, Any]:
    example = draw(st.sampled_from(_documented_examples()))
    model = CATALOGUE[example["type"]]
    event = _drop_optional(model, json.loads(json.dumps(example)), draw)
    event["id"] = draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,40}", fullmatch=True))
    return event


@settings(max_examples=200, deadline=None)
@given(raw=_notifications())
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
