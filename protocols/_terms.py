"""The vocabulary rules and clocks share: ids, paths, roles, conditions and what a disclosure says.

A rule (:mod:`protocols._model`) and a statutory clock's alert (:mod:`protocols._obligations`)
are both disclosures: to recipients, of allow-listed fields, for a purpose, on a lawful basis,
kept for a retention period. They are written, and validated, with the same terms.

Rules:

1. Every model forbids unknown keys and is frozen.
2. A field path is a dotted lower-case path into the CloudEvent (``data.person.upn``).
3. A recipient is a party id or ``{role: ...}``; roles are resolved per notification by
   :mod:`hub.sharing`.
4. A deadline is a duration or ``next school day HH:MM`` (:mod:`protocols._deadlines`); a
   retention an ISO 8601 period.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from protocols._deadlines import check_deadline, parse_duration

__all__ = [
    "ID_PATTERN",
    "Condition",
    "Deadline",
    "Duration",
    "FieldPath",
    "FieldPaths",
    "Frozen",
    "LawfulBasis",
    "Recipients",
    "Retention",
    "RiskThreshold",
    "Role",
    "RoleRecipient",
    "When",
    "check_path",
    "party_ids",
]

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
_PATH = re.compile(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*")

Scalar = str | int | bool
Condition = Scalar | tuple[Scalar, ...]


def check_path(path: str) -> str:
    """``path`` if it is a dotted lower-case path; ``ValueError`` otherwise."""
    if not _PATH.fullmatch(path):
        raise ValueError(f"field path {path!r} is not a dotted lower-case path")
    return path


def _check_paths(paths: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(check_path(path) for path in paths)


def _check_duration(text: str) -> str:
    parse_duration(text)
    return text


FieldPath = Annotated[str, AfterValidator(check_path)]
FieldPaths = Annotated[tuple[str, ...], Field(min_length=1), AfterValidator(_check_paths)]
LawfulBasis = Annotated[tuple[str, ...], Field(min_length=1)]
Deadline = Annotated[str, AfterValidator(check_deadline)]
Duration = Annotated[str, AfterValidator(_check_duration)]
Retention = Annotated[
    str, Field(pattern=r"^P(\d+Y)?(\d+M)?(\d+D)?$", description="ISO 8601 period.")
]


class Frozen(BaseModel):
    """Base of every protocol model: unknown keys are errors, values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Role(StrEnum):
    """Recipients resolved from the notification and the routing state."""

    RESPONSIBLE_AUTHORITY = "responsible_authority"
    HOST_AUTHORITY = "host_authority"
    POLICE_FOR_HOST_AREA = "police_for_host_area"
    POLICE_FOR_RESPONSIBLE_AREA = "police_for_responsible_area"
    SUBJECTS_EDUCATION = "subjects_education"


class RoleRecipient(Frozen):
    """``{role: host_authority}`` in the YAML."""

    role: Role


Recipients = Annotated[tuple[str | RoleRecipient, ...], Field(min_length=1)]


def party_ids(recipients: tuple[str | RoleRecipient, ...]) -> tuple[str, ...]:
    """The recipients named as party ids (not roles)."""
    return tuple(r for r in recipients if isinstance(r, str))


class RiskThreshold(StrEnum):
    """Ordered risk levels for ``risk_at_least`` (police, RMG and concern gradings)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class When(Frozen):
    """Conditions under which a rule (or a clock's start or stop) applies. All given must hold."""

    child: bool | None = None
    adult: bool | None = None
    looked_after: bool | None = None
    se_marker: bool | None = None
    cross_border: bool | None = None
    risk_at_least: RiskThreshold | None = None
    match: dict[str, Condition] = Field(
        default_factory=dict, description="Event path -> value, or a list of allowed values."
    )

    @field_validator("match")
    @classmethod
    def _paths(cls, value: dict[str, Condition]) -> dict[str, Condition]:
        for path in value:
            check_path(path)
        return value
