"""The catalogue of canonical notification types, and the one way to parse a posted event.

An event's ``type`` selects its model (a discriminated union), so a validation error is located
at the field that failed, e.g. ``data.person.nhs_number``, never at a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, get_args

from pydantic import BaseModel, Field, TypeAdapter

from schemas._base import personal_field_names
from schemas._concern import ConcernRaised
from schemas._education import EducationConcernRaised
from schemas._envelope import Envelope
from schemas._missing import MissingEpisodeEnded, MissingEpisodeStarted
from schemas._placement import PlacementEnded, PlacementStarted
from schemas._return_interview import ReturnInterviewRecorded
from schemas._risk import SeRiskAssessed

__all__ = [
    "CATALOGUE",
    "PERSONAL_FIELD_NAMES",
    "Notification",
    "notification_adapter",
    "parse_notification",
]

Notification = Annotated[
    MissingEpisodeStarted
    | MissingEpisodeEnded
    | ReturnInterviewRecorded
    | PlacementStarted
    | PlacementEnded
    | ConcernRaised
    | SeRiskAssessed
    | EducationConcernRaised,
    Field(discriminator="type"),
]

_MODELS: tuple[type[Envelope], ...] = (
    MissingEpisodeStarted,
    MissingEpisodeEnded,
    ReturnInterviewRecorded,
    PlacementStarted,
    PlacementEnded,
    ConcernRaised,
    SeRiskAssessed,
    EducationConcernRaised,
)


def _type_of(model: type[Envelope]) -> str:
    values: tuple[object, ...] = get_args(model.model_fields["type"].annotation)
    if len(values) != 1:
        raise TypeError(f"{model.__name__}.type must be a Literal of exactly one type name")
    return str(values[0])


CATALOGUE: Mapping[str, type[Envelope]] = {_type_of(model): model for model in _MODELS}

# mypy reads an Annotated union passed as a value differently depending on import order;
# going through Any keeps the declared TypeAdapter[Notification] type stable.
_NOTIFICATION: Any = Notification
notification_adapter: TypeAdapter[Notification] = TypeAdapter(_NOTIFICATION)


def _all_personal_names(models: tuple[type[BaseModel], ...]) -> frozenset[str]:
    names: set[str] = set()
    for model in models:
        names |= personal_field_names(model)
    return frozenset(names)


PERSONAL_FIELD_NAMES: frozenset[str] = _all_personal_names(_MODELS)


def parse_notification(raw: bytes | str | Mapping[str, Any]) -> Notification:
    """Validate a CloudEvent (JSON text or an already-decoded mapping) into its canonical model.

    JSON text is validated strictly: a value of the wrong JSON type (``"yes"`` for a boolean, a
    number for a date or a time) is refused, never coerced. A mapping (what an adapter builds
    from CSV-style native values) is validated as pydantic does by default.

    Raises :class:`pydantic.ValidationError`; callers must not put its ``str()`` in a log or a
    response, because pydantic echoes input values there.
    """
    if isinstance(raw, bytes | str):
        return notification_adapter.validate_json(raw, strict=True)
    return notification_adapter.validate_python(raw)
