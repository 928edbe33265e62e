"""Turn a pydantic ValidationError into field problems that are safe to show and to log.

Locations become dotted field paths (``data.person.nhs_number``); the discriminator tag pydantic
puts first is dropped. Input values are never copied: ``include_input=False``.

JSON integers longer than Python converts (``sys.get_int_max_str_digits()``, 4,300 digits by
default) would make ``json.loads`` raise, and pydantic refuses them as invalid JSON without
saying where: :func:`decode_json` and :func:`too_long_integers` locate them so that the field
can be named (rule ``int_too_large``).
"""

from __future__ import annotations

import json
import sys
from typing import Any, Final

from pydantic import ConfigDict, ValidationError

from hub._exceptions import FieldProblem, InvalidInput
from schemas import CATALOGUE, Envelope, Locations, canonical_field_names

__all__ = [
    "decode_json",
    "field_problems",
    "int_too_large",
    "invalid_input",
    "notification_problems",
    "too_long_integers",
]


class _AnyTypeEnvelope(Envelope):
    """The envelope alone, for reporting its own fields when ``type`` cannot pick a model."""

    model_config = ConfigDict(extra="ignore", frozen=True)


_TYPE_RULES = {"union_tag_invalid", "union_tag_not_found"}


class _TooLongInteger:
    """Stands in, in a decoded document, for an integer with more digits than Python converts."""

    __slots__ = ()


_TOO_LONG_INTEGER: Final = _TooLongInteger()

Location = tuple[int | str, ...]


def _parse_int(digits: str) -> int | _TooLongInteger:
    limit = sys.get_int_max_str_digits()
    if limit and len(digits.lstrip("-")) > limit:
        return _TOO_LONG_INTEGER
    return int(digits)


def decode_json(body: bytes | str) -> Any:
    """``json.loads``, except that an integer too long to convert is decoded as a marker, found by
    :func:`too_long_integers`, instead of raising ``ValueError``."""
    return json.loads(body, parse_int=_parse_int)


def too_long_integers(document: Any) -> list[Location]:
    """Where :func:`decode_json` left a too-long integer in ``document`` (keys and indexes), in
    document order; walked without recursion, since JSON may nest as deep as the decoder allows."""
    found: list[Location] = []
    pending: list[tuple[Location, Any]] = [((), document)]
    while pending:
        location, value = pending.pop()
        if value is _TOO_LONG_INTEGER:
            found.append(location)
        elif isinstance(value, dict):
            pending.extend(((*location, key), item) for key, item in reversed(value.items()))
        elif isinstance(value, list):
            pending.extend(
                ((*location, index), value[index]) for index in reversed(range(len(value)))
            )
    return found


def int_too_large(field: str) -> FieldProblem:
    """The problem for a too-long integer at ``field``; the value is never shown."""
    limit = sys.get_int_max_str_digits()
    return FieldProblem(field, "int_too_large", f"an integer may have at most {limit} digits")


def _too_long_integer_problems(body: bytes) -> tuple[FieldProblem, ...]:
    """Pydantic refuses a body with a too-long integer as invalid JSON at ``(body)``: name the
    fields instead, if that is why (nothing if the body is not JSON for another reason)."""
    try:
        document = decode_json(body)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError included
        return ()
    # No model has been applied: a key is shown only if some notification type defines it.
    locations = Locations(known=canonical_field_names())
    return tuple(
        int_too_large(locations.path(location) or "(body)")
        for location in too_long_integers(document)
    )


def _path(location: tuple[int | str, ...], rule: str, locations: Locations) -> str:
    parts = list(location)
    if parts and parts[0] in CATALOGUE:
        parts = parts[1:]
    if rule in _TYPE_RULES:
        return "type"
    if not parts:
        return "(body)"
    return locations.path(parts, rule=rule)


def _message(rule: str, message: str) -> str:
    if rule == "union_tag_invalid":
        return f"unknown notification type; known types: {', '.join(sorted(CATALOGUE))}"
    return message.removeprefix("Value error, ")


def invalid_input(
    error: ValidationError, *, what: str = "field(s)", correlation_id: str | None = None
) -> InvalidInput:
    """The 422 for ``error``: how many ``what`` failed, each named by :func:`field_problems`."""
    problems = field_problems(error)
    return InvalidInput(
        f"{len(problems)} {what} failed validation", problems, correlation_id=correlation_id
    )


def field_problems(error: ValidationError) -> tuple[FieldProblem, ...]:
    """One :class:`FieldProblem` per failing field, in pydantic's order; a key the model does
    not define is ``(unknown field #n)``, never its name (:class:`schemas.Locations`)."""
    locations = Locations()
    return tuple(
        FieldProblem(
            field=_path(item["loc"], item["type"], locations),
            rule=item["type"],
            message=_message(item["type"], item["msg"]),
        )
        for item in error.errors(include_url=False, include_input=False, include_context=False)
    )


def notification_problems(error: ValidationError, body: bytes) -> tuple[FieldProblem, ...]:
    """Every failing field of a posted notification.

    When ``type`` is missing or unknown pydantic cannot choose a model and reports only ``type``;
    the envelope's other attributes are then checked on their own so that they are named too.
    Integers too long to read are named by their paths rather than as invalid JSON.
    """
    problems = field_problems(error)
    if [problem.rule for problem in problems] == ["json_invalid"]:
        return _too_long_integer_problems(body) or problems
    if not any(problem.field == "type" for problem in problems):
        return problems
    try:
        _AnyTypeEnvelope.model_validate_json(body)
    except ValidationError as envelope_error:
        extra = [p for p in field_problems(envelope_error) if p.field != "(body)"]
        return (*problems, *extra)
    return problems
