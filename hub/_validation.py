"""Turn a pydantic ValidationError into field problems that are safe to show and to log.

Locations become dotted field paths (``data.person.nhs_number``); the discriminator tag pydantic
puts first is dropped. Input values are never copied: ``include_input=False``.
"""

from __future__ import annotations

import re

from pydantic import ConfigDict, ValidationError

from hub._exceptions import FieldProblem
from schemas import CATALOGUE, Envelope

__all__ = ["field_problems", "notification_problems", "safe_part"]


class _AnyTypeEnvelope(Envelope):
    """The envelope alone, for reporting its own fields when ``type`` cannot pick a model."""

    model_config = ConfigDict(extra="ignore", frozen=True)


_TYPE_RULES = {"union_tag_invalid", "union_tag_not_found"}


_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def safe_part(part: int | str) -> str:
    """A location part as shown to callers: a key that is not shaped like a field name (it may
    be a value, e.g. a CSV posted without its header row) is never echoed."""
    if isinstance(part, int) or _FIELD_NAME.match(part):
        return str(part)
    return "(unnamed field)"


def _path(location: tuple[int | str, ...], rule: str) -> str:
    parts = list(location)
    if parts and parts[0] in CATALOGUE:
        parts = parts[1:]
    if rule in _TYPE_RULES:
        return "type"
    if not parts:
        return "(body)"
    return ".".join(safe_part(part) for part in parts)


def _message(rule: str, message: str) -> str:
    if rule == "union_tag_invalid":
        return f"unknown notification type; known types: {', '.join(sorted(CATALOGUE))}"
    return message.removeprefix("Value error, ")


def field_problems(error: ValidationError) -> tuple[FieldProblem, ...]:
    """One :class:`FieldProblem` per failing field, in pydantic's order."""
    return tuple(
        FieldProblem(
            field=_path(item["loc"], item["type"]),
            rule=item["type"],
            message=_message(item["type"], item["msg"]),
        )
        for item in error.errors(include_url=False, include_input=False, include_context=False)
    )


def notification_problems(error: ValidationError, body: bytes) -> tuple[FieldProblem, ...]:
    """Every failing field of a posted notification.

    When ``type`` is missing or unknown pydantic cannot choose a model and reports only ``type``;
    the envelope's other attributes are then checked on their own so that they are named too.
    """
    problems = field_problems(error)
    if not any(problem.field == "type" for problem in problems):
        return problems
    try:
        _AnyTypeEnvelope.model_validate_json(body)
    except ValidationError as envelope_error:
        extra = [p for p in field_problems(envelope_error) if p.field != "(body)"]
        return (*problems, *extra)
    return problems
