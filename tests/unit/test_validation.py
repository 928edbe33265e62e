"""Validation errors as field problems: dotted paths, no discriminator tag, no input values."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from hub import FieldProblem
from hub.validation import decode_json, field_problems, too_long_integers
from schemas import CATALOGUE, parse_notification
from tests.unit.builders import ENDED, STARTED, leaf_paths, make_ended_event, make_event

CANARY = "CANARY-d41d8cd98f"


def _problems(raw: Any) -> tuple[FieldProblem, ...]:
    with pytest.raises(ValidationError) as caught:
        parse_notification(raw)
    problems = field_problems(caught.value)
    assert problems, "a validation error must yield at least one problem"
    return problems


def _fields(raw: Any) -> list[tuple[str, str]]:
    return [(problem.field, problem.rule) for problem in _problems(raw)]


def test_nested_failure_maps_to_a_dotted_path_without_the_type_tag() -> None:
    """A bad nested value is reported at ``data.person.nhs_number``, not under the type tag."""
    problems = _problems(make_event(data={"person": {"nhs_number": "9434765918"}}))

    assert [(p.field, p.rule) for p in problems] == [("data.person.nhs_number", "value_error")]
    assert "NHS number" in problems[0].message
    assert not problems[0].message.startswith("Value error")


def test_failures_in_the_ended_model_map_the_same_way() -> None:
    """The ended model's failures are located without its type tag too."""
    event = make_ended_event(data={"person": {"upn": "A801200001001"}})

    assert _fields(event) == [("data.person.upn", "value_error")]


def test_every_failing_field_is_reported_in_order() -> None:
    """Several failures give one problem each, each at its own dotted path."""
    event = make_event(time="2026-11-28T21:40:00", data={"person": {"upn": "bad"}})
    del event["data"]["missing_type"]

    assert _fields(event) == [
        ("time", "timezone_aware"),
        ("data.person.upn", "value_error"),
        ("data.missing_type", "missing"),
    ]


def test_no_field_ever_starts_with_a_catalogue_type() -> None:
    """The discriminator tag pydantic puts first never leaks into a field path."""
    event = make_event(source="nope", data={"person": {"x": 1}, "started_on": "never"})

    for field, _rule in _fields(event):
        assert not any(field.startswith(name) for name in CATALOGUE)


def test_a_model_level_rule_maps_to_its_model_path() -> None:
    """The ended-before-started rule is reported against ``data``."""
    event = make_ended_event(data={"started_on": "2026-11-28", "ended_on": "2026-11-01"})

    problems = _problems(event)

    assert [(p.field, p.rule) for p in problems] == [("data", "value_error")]
    assert "ended_on is before started_on" in problems[0].message


@pytest.mark.parametrize("type_", ["uk.sehub.missing_episode.paused.v1", "", 5, None])
def test_unknown_type_maps_to_the_type_field(type_: Any) -> None:
    """An unknown ``type`` is one problem at field ``type`` listing the known types."""
    problems = _problems(make_event(type=type_))

    assert [p.field for p in problems] == ["type"]
    assert problems[0].rule == "union_tag_invalid"
    assert STARTED in problems[0].message
    assert ENDED in problems[0].message


def test_missing_type_maps_to_the_type_field() -> None:
    """A notification without ``type`` is one problem at field ``type``."""
    event = make_event()
    del event["type"]

    assert _fields(event) == [("type", "union_tag_not_found")]


@pytest.mark.parametrize(
    "body", [b"{not json", b"", b'{"id": "a",}', b"\xff\xfe", b'{"id": ' + CANARY.encode() + b"}"]
)
def test_invalid_json_bytes_map_to_the_body(body: bytes) -> None:
    """Bytes that are not JSON are one problem at ``(body)``."""
    problems = _problems(body)

    assert [(p.field, p.rule) for p in problems] == [("(body)", "json_invalid")]
    assert CANARY not in problems[0].message


@pytest.mark.parametrize("body", [b"[]", b'"a string"', b"42", b"null"])
def test_json_that_is_not_an_object_maps_to_the_body(body: bytes) -> None:
    """Valid JSON that is not an object is reported against ``(body)``."""
    assert [field for field, _rule in _fields(body)] == ["(body)"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"data": {"person": {"nhs_number": CANARY}}}, "data.person.nhs_number"),
        ({"data": {"person": {"upn": CANARY}}}, "data.person.upn"),
        ({"data": {"person": {"x": CANARY}}}, "data.person.(unknown field #1)"),
        ({"colour": CANARY}, "(unknown field #1)"),
        ({"data": {"started_on": CANARY}}, "data.started_on"),
        ({"data": {"person": {"date_of_birth": CANARY}}}, "data.person.date_of_birth"),
        ({"time": CANARY}, "time"),
        ({"type": CANARY}, "type"),
        ({"source": CANARY}, "source"),
        ({"id": CANARY + "!"}, "id"),
        ({"data": {"missing_type": CANARY}}, "data.missing_type"),
        ({"data": {"person": {"responsible_la": CANARY}}}, "data.person.responsible_la"),
        ({"data": {"person": {"resident_la": CANARY}}}, "data.person.resident_la"),
        ({"data": {"looked_after": CANARY}}, "data.looked_after"),
        ({"data": {"person": {"sex": CANARY}}}, "data.person.sex"),
        ({"data": {"person": CANARY}}, "data.person"),
    ],
)
def test_no_problem_repeats_a_planted_canary(overrides: dict[str, Any], field: str) -> None:
    """A rejected value is named by its field and rule, never echoed in the problem."""
    problems = _problems(make_event(**overrides))

    assert field in [p.field for p in problems]
    for problem in problems:
        assert CANARY not in problem.message
        assert CANARY not in problem.field
        assert CANARY not in problem.rule


def test_problems_from_json_text_do_not_repeat_a_canary() -> None:
    """The JSON path reports the same safe problems as the mapping path."""
    body = json.dumps(make_event(data={"person": {"nhs_number": CANARY}})).encode()

    problems = _problems(body)

    assert [p.field for p in problems] == ["data.person.nhs_number"]
    assert all(CANARY not in p.message for p in problems)


_EVENTS = {False: make_event(), True: make_ended_event()}
_PATHS = {ended: sorted(leaf_paths(event)) for ended, event in _EVENTS.items()}
_canaries = st.from_regex(r"CANARY-[0-9a-f]{8}", fullmatch=True) | st.sampled_from(
    [CANARY, f"{CANARY}\n", f"2026-13-45{CANARY}", f"<{CANARY}>", f"99{CANARY}"]
)
_shapes = st.sampled_from(["value", "in-list", "in-object", "unknown-sibling"])


def _plant(event: dict[str, Any], path: str, canary: str, shape: str) -> dict[str, Any]:
    planted = copy.deepcopy(event)
    *parents, last = path.split(".")
    node = planted
    for part in parents:
        node = node[part]
    if shape == "value":
        node[last] = canary
    elif shape == "in-list":
        node[last] = [canary]
    elif shape == "in-object":
        node[last] = {"value": canary}
    else:
        node[f"{last}_extra"] = canary
    return planted


@settings(max_examples=150, deadline=None)
@given(data=st.data(), canary=_canaries, shape=_shapes, as_json=st.booleans())
def test_planted_canaries_never_reach_a_problem(
    data: st.DataObject, canary: str, shape: str, as_json: bool
) -> None:
    """Wherever a canary is planted, no field problem repeats it."""
    ended = data.draw(st.booleans())
    path = data.draw(st.sampled_from(_PATHS[ended]))
    planted = _plant(_EVENTS[ended], path, canary, shape)
    raw: Any = json.dumps(planted).encode() if as_json else planted
    try:
        parse_notification(raw)
    except ValidationError as exc:
        problems = field_problems(exc)
        assert problems
        for problem in problems:
            assert canary not in problem.message
            assert canary not in problem.field


def test_too_long_integers_are_found_at_any_depth_in_document_order() -> None:
    """Each integer over the digit limit is located by keys and indexes, however deep it sits."""
    big = "7" * 4301
    deep = "[" * 900 + big + "]" * 900
    body = f'{{"a": {{"b c": [1, {big}]}}, "d": {deep}, "e": -{big}, "f": {"7" * 4300}}}'
    assert too_long_integers(decode_json(body)) == [
        ("a", "b c", 1),
        ("d", *([0] * 900)),
        ("e",),
    ]
    assert too_long_integers(decode_json(big)) == [()]
