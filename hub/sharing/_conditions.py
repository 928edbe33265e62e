"""Judging a ``when`` (of a rule, or of a clock's start or stop) against one notification.

Rules:

1. Every condition given must hold; the first that does not is named, so a refusal says why.
2. A fact that is not known (None) never meets a condition.
2a. ``publisher_is`` holds when the publisher holds any one of the authorities it names.
3. ``match`` compares values and their types: ``true`` never matches ``1`` or ``"true"``; a list
   means any of its values; a path the event does not hold never matches.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.sharing._facts import RISK_ORDER, Facts
from protocols import Condition, When

__all__ = ["ABSENT", "unmet_condition", "value_at"]

ABSENT = object()  # what value_at returns for a path the event does not hold


def value_at(event: Mapping[str, Any], path: str) -> Any:
    """The value at dotted ``path`` in ``event``, or :data:`ABSENT`."""
    node: Any = event
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return ABSENT
        node = node[part]
    return node


def _matches(value: Any, expected: Condition) -> bool:
    allowed = expected if isinstance(expected, tuple) else (expected,)
    # bool is an int in Python; compare types too, so `true` never matches `1`.
    return any(type(value) is type(option) and value == option for option in allowed)


_FACTS = (
    "child",
    "adult",
    "looked_after",
    "se_marker",
    "cross_border",
    "claim_conflicts",
    "late_notice",
)


def unmet_condition(event: Mapping[str, Any], facts: Facts, when: When) -> str | None:
    """The first condition of ``when`` that does not hold, or None if all hold."""
    for name in _FACTS:
        wanted = getattr(when, name)
        if wanted is not None and getattr(facts, name) is not wanted:
            return name
    if when.risk_at_least is not None and (
        facts.risk is None or facts.risk < RISK_ORDER[when.risk_at_least.value]
    ):
        return f"risk_at_least {when.risk_at_least.value}"
    if when.publisher_is and not facts.publisher_is.intersection(when.publisher_is):
        return "publisher_is " + " or ".join(authority.value for authority in when.publisher_is)
    for path, expected in when.match.items():
        if not _matches(value_at(event, path), expected):
            return path
    return None
