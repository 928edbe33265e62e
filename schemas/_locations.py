"""Where a problem is, said without ever saying what was posted.

A problem names its field by a dotted path (``data.person.nhs_number``). The parts of that path
come from what was posted, so they are checked before they are shown.

Rules:

1. A list index is shown as it is; a key is shown only when it is a field name.
2. A key that is not a field of the record or notification is named ``(unknown field #n)``,
   never by its name: a CSV posted without its header row turns the first row's values (a
   surname, a date of birth) into keys. ``n`` counts the distinct unknown keys of one
   document (a notification, or one native record), from 1, in the order they are reported.
3. After validation against a model, a key is a field name unless the error is
   ``extra_forbidden`` (the key the model does not define). Before any model has been applied
   (a raw document), a key is a field name only if some model in ``known`` defines it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from pydantic import BaseModel

from schemas._catalogue import CATALOGUE

__all__ = ["UNKNOWN_FIELD", "Locations", "canonical_field_names", "field_names_of"]

UNKNOWN_FIELD = "(unknown field #{n})"


def field_names_of(models: Iterable[type[BaseModel]]) -> frozenset[str]:
    """Every field name and alias the models (and the models nested in them) define."""
    names: set[str] = set()
    for model in models:
        for by_alias in (True, False):
            schema = model.model_json_schema(by_alias=by_alias)
            for definition in (schema, *schema.get("$defs", {}).values()):
                names.update(definition.get("properties", {}))
    return frozenset(names)


@cache
def canonical_field_names() -> frozenset[str]:
    """Every field name of every canonical notification type."""
    return field_names_of(CATALOGUE.values())


class Locations:
    """Names the locations of one document's problems (rule 2's count is per instance)."""

    def __init__(self, known: frozenset[str] | None = None) -> None:
        self._known = known  # None: the parts come from a model's own error locations
        self._unknown: dict[str, int] = {}

    def _unknown_field(self, key: str) -> str:
        number = self._unknown.setdefault(key, len(self._unknown) + 1)
        return UNKNOWN_FIELD.format(n=number)

    def part(self, part: Any, *, unknown: bool = False) -> str:
        """One part of a location, as it may be shown."""
        if isinstance(part, int) and not isinstance(part, bool):
            return str(part)
        key = str(part)
        if unknown or (self._known is not None and key not in self._known):
            return self._unknown_field(key)
        return key

    def path(self, location: Sequence[Any], *, rule: str | None = None) -> str:
        """A dotted path for ``location``; its last key is unknown if ``rule`` says so."""
        last = len(location) - 1
        return ".".join(
            self.part(part, unknown=rule == "extra_forbidden" and index == last)
            for index, part in enumerate(location)
        )
