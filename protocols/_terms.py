"""The vocabulary rules and clocks share: ids, paths, roles, conditions and what a disclosure says.

A rule (:mod:`protocols._model`) and a statutory clock's alert (:mod:`protocols._obligations`)
are both disclosures: to recipients, of allow-listed fields, for a purpose, on a lawful basis,
kept for a retention period. They are written, and validated, with the same terms.

Rules:

1. Every model forbids unknown keys and is frozen.
2. A field path is a dotted lower-case path into the CloudEvent (``data.person.upn``).
3. A recipient is a party id or ``{role: ...}`` (optionally with the ``service`` of the council
   meant: ``{role: responsible_authority, service: adult_services}``); roles are resolved per
   notification by :mod:`hub.sharing`. A publisher is a party id or ``{kind: ...}``: every
   party of that kind (:class:`~protocols.Protocol` expands it when the file is loaded).
5. ``publisher_is`` asks that the publisher hold one of the named authorities for the person
   (its council is where they live, is responsible for them or hosts their placement), so a
   council publishes about its own people only.
4. A deadline is a duration or ``next school day HH:MM`` (:mod:`protocols._deadlines`); a
   retention an ISO 8601 period.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from protocols._deadlines import check_deadline, parse_duration

__all__ = [
    "COUNCIL_ROLES",
    "COUNCIL_SERVICES",
    "ID_PATTERN",
    "Authority",
    "Condition",
    "Deadline",
    "Duration",
    "FieldPath",
    "FieldPaths",
    "Frozen",
    "LawfulBasis",
    "PartyKind",
    "Publishers",
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


class PartyKind(StrEnum):
    """What sort of agency a party is."""

    POLICE = "police"
    CHILDREN_SERVICES = "children_services"
    ADULT_SERVICES = "adult_services"
    EDUCATION = "education"
    HEALTH = "health"
    LICENSING = "licensing"
    SCHOOL = "school"
    PROVIDER = "provider"


COUNCIL_SERVICES = frozenset(
    {
        PartyKind.CHILDREN_SERVICES,
        PartyKind.ADULT_SERVICES,
        PartyKind.EDUCATION,
        PartyKind.LICENSING,
    }
)


class Role(StrEnum):
    """Recipients resolved from the notification and the routing state."""

    RESIDENT_AUTHORITY = "resident_authority"
    RESPONSIBLE_AUTHORITY = "responsible_authority"
    HOST_AUTHORITY = "host_authority"
    POLICE_FOR_AREA = "police_for_area"
    POLICE_FOR_HOST_AREA = "police_for_host_area"
    POLICE_FOR_RESPONSIBLE_AREA = "police_for_responsible_area"
    HEALTH_FOR_AREA = "health_for_area"
    SCHOOL = "school"


class Authority(StrEnum):
    """The councils a person has: where they live, who is responsible, who hosts a placement."""

    RESIDENT_AUTHORITY = "resident_authority"
    RESPONSIBLE_AUTHORITY = "responsible_authority"
    HOST_AUTHORITY = "host_authority"


COUNCIL_ROLES = frozenset(
    {Role.RESIDENT_AUTHORITY, Role.RESPONSIBLE_AUTHORITY, Role.HOST_AUTHORITY}
)


class RoleRecipient(Frozen):
    """``{role: host_authority}`` in the YAML; a council role may name the service meant."""

    role: Role
    service: PartyKind | None = Field(
        default=None,
        description=(
            "For a council role: which of the council's services (default: children's services "
            "for a child, adult social care for an adult)."
        ),
    )

    @model_validator(mode="after")
    def _service_of_a_council(self) -> RoleRecipient:
        if self.service is not None and (
            self.role not in COUNCIL_ROLES or self.service not in COUNCIL_SERVICES
        ):
            raise ValueError(
                f"service is for a council role ({', '.join(sorted(COUNCIL_ROLES))}), and is one "
                f"of {', '.join(sorted(COUNCIL_SERVICES))}"
            )
        return self

    @property
    def label(self) -> str:
        """How the recipient is written: ``responsible_authority`` or ``...:adult_services``."""
        return self.role.value if self.service is None else f"{self.role.value}:{self.service}"


Recipients = Annotated[tuple[str | RoleRecipient, ...], Field(min_length=1)]


def party_ids(recipients: tuple[str | RoleRecipient, ...]) -> tuple[str, ...]:
    """The recipients named as party ids (not roles)."""
    return tuple(r for r in recipients if isinstance(r, str))


def _a_party_id(value: Any) -> Any:
    """A ``{kind: ...}`` the protocol could not expand names no party: say so, not "not a str"."""
    if isinstance(value, dict):
        # ValueError, not TypeError: pydantic reports only the former as the field's error.
        raise ValueError(  # noqa: TRY004
            "not a party id, nor {kind: K} with K the kind of some party "
            f"({', '.join(kind.value for kind in PartyKind)})"
        )
    return value


Publishers = Annotated[
    tuple[Annotated[str, BeforeValidator(_a_party_id)], ...], Field(min_length=1)
]


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
    publisher_is: tuple[Authority, ...] = Field(
        default=(), description="The publisher holds one of these authorities for the person."
    )
    claim_conflicts: bool | None = Field(
        default=None,
        description=(
            "A placement from a council (or provider) that is not the responsible authority the "
            "hub knows for the child."
        ),
    )
    late_notice: bool | None = Field(
        default=None,
        description=(
            "A placement start published after it began (an emergency one: more than five "
            "working days after)."
        ),
    )
    match: dict[str, Condition] = Field(
        default_factory=dict, description="Event path -> value, or a list of allowed values."
    )

    @field_validator("match")
    @classmethod
    def _paths(cls, value: dict[str, Condition]) -> dict[str, Condition]:
        for path in value:
            check_path(path)
        return value
