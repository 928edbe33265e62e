"""Base model and the personal-data marker shared by every canonical schema.

Rules:

1. Canonical models are frozen and forbid unknown fields: a field we do not know is an error,
   never silently dropped (mass-assignment safe).
2. A field that can identify a person is declared with :data:`PERSONAL` in its metadata. The
   marker appears in the JSON Schema as ``"x-personal-data": true`` so that the protocol, the
   log redactor and reviewers reading the schema all see the same thing.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PERSONAL", "CanonicalModel", "personal", "personal_field_names"]

PERSONAL_KEY = "x-personal-data"
PERSONAL: dict[str, Any] = {PERSONAL_KEY: True}


def personal(**kwargs: Any) -> Any:
    """Declare a personal-data field: ``name: str = personal(description=...)``."""
    return Field(json_schema_extra=PERSONAL, **kwargs)


class CanonicalModel(BaseModel):
    """Frozen, strict base for every canonical model."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _is_personal(extra: Any) -> bool:
    return isinstance(extra, dict) and extra.get(PERSONAL_KEY) is True


def personal_field_names(model: type[BaseModel]) -> frozenset[str]:
    """Every field name, at any depth, that is marked as personal data in ``model``.

    Nested models contribute their own marked names; a field holding a nested model that is
    itself marked counts too. Names rather than paths are returned because the log redactor
    works on flat event dictionaries.
    """
    found: set[str] = set()
    seen: set[type[BaseModel]] = set()

    def walk(current: type[BaseModel]) -> None:
        if current in seen:
            return
        seen.add(current)
        for name, info in current.model_fields.items():
            if _is_personal(info.json_schema_extra):
                found.add(name)
            for candidate in _nested_models(info.annotation):
                walk(candidate)

    walk(model)
    return frozenset(found)


def _nested_models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    models: list[type[BaseModel]] = []
    for arg in getattr(annotation, "__args__", ()):
        models.extend(_nested_models(arg))
    return models
