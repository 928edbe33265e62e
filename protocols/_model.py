"""The information-sharing protocol as frozen data.

A protocol is what the partners signed off: who may publish which notification types, who is
told, which fields each recipient gets, why, and on which lawful basis. It is loaded from YAML
(:mod:`protocols._loader`) into these models, which the pure ``decide()`` reads.

Rules:

1. Unknown keys in the YAML are errors; a typo never silently widens or narrows sharing.
2. Parties are the agencies that signed; a council party has its LA code and a police force or
   health body the LA areas it covers, so roles can be resolved without any other lookup.
3. A recipient is a party id, or a role resolved from the notification and routing state:
   ``responsible_authority``, ``host_authority`` (of an active out-of-area placement),
   ``police_for_host_area``, ``police_for_responsible_area`` and ``subjects_education``.
4. ``fields`` is an allow-list of dotted paths into the CloudEvent (``data.person.nhs_number``).
   A path allows its whole subtree. Anything not listed is withheld.
5. ``when`` narrows a rule: facts (``child``, ``adult``, ``looked_after``, ``se_marker``,
   ``cross_border``, ``risk_at_least``) and exact matches on event paths (``match``). A fact
   that cannot be established never satisfies a condition.
6. The version recorded on every decision is the declared version plus a hash of the file's
   exact bytes, so two different files can never be mistaken for one another.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from protocols._deadlines import check_deadline
from schemas import LA_CODE_PATTERN

__all__ = [
    "Condition",
    "Party",
    "PartyKind",
    "Protocol",
    "RiskThreshold",
    "Role",
    "RoleRecipient",
    "Rule",
    "When",
]

_ID = r"^[a-z0-9][a-z0-9-]{0,62}$"
_PATH = re.compile(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*")

Scalar = str | int | bool
Condition = Scalar | tuple[Scalar, ...]


def _check_path(path: str) -> str:
    if not _PATH.fullmatch(path):
        raise ValueError(f"field path {path!r} is not a dotted lower-case path")
    return path


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PartyKind(StrEnum):
    """What sort of agency a party is."""

    POLICE = "police"
    CHILDREN_SERVICES = "children_services"
    ADULT_SERVICES = "adult_services"
    EDUCATION = "education"
    HEALTH = "health"
    LICENSING = "licensing"


class Party(_Frozen):
    """An agency that is party to the protocol."""

    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1)
    kind: PartyKind
    la_code: str | None = Field(default=None, pattern=LA_CODE_PATTERN)
    areas: tuple[str, ...] = Field(
        default=(), description="LA codes a police force or health body covers."
    )

    @field_validator("areas")
    @classmethod
    def _la_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for code in value:
            if not re.match(LA_CODE_PATTERN, code):
                raise ValueError(f"area {code!r} is not a three-digit LA code")
        return value


class Role(StrEnum):
    """Recipients resolved from the notification and the routing state."""

    RESPONSIBLE_AUTHORITY = "responsible_authority"
    HOST_AUTHORITY = "host_authority"
    POLICE_FOR_HOST_AREA = "police_for_host_area"
    POLICE_FOR_RESPONSIBLE_AREA = "police_for_responsible_area"
    SUBJECTS_EDUCATION = "subjects_education"


class RoleRecipient(_Frozen):
    """``{role: host_authority}`` in the YAML."""

    role: Role


class RiskThreshold(StrEnum):
    """Ordered risk levels for ``risk_at_least`` (police, RMG and concern gradings)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class When(_Frozen):
    """Conditions under which a rule applies. Every condition given must hold."""

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
            _check_path(path)
        return value


class Rule(_Frozen):
    """One sharing rule: these types, from these publishers, to these recipients."""

    id: str = Field(pattern=_ID)
    description: str = ""
    types: tuple[str, ...] = Field(min_length=1)
    publishers: tuple[str, ...] = Field(min_length=1)
    recipients: tuple[str | RoleRecipient, ...] = Field(min_length=1)
    when: When = Field(default_factory=When)
    fields: tuple[str, ...] = Field(min_length=1)
    purpose: str = Field(min_length=1)
    lawful_basis: tuple[str, ...] = Field(min_length=1)
    acknowledge_within: str | None = None
    retention: str = Field(pattern=r"^P(\d+Y)?(\d+M)?(\d+D)?$", description="ISO 8601 period.")

    @field_validator("acknowledge_within")
    @classmethod
    def _valid_deadline(cls, value: str | None) -> str | None:
        return None if value is None else check_deadline(value)

    @field_validator("fields")
    @classmethod
    def _valid_paths(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_path(path) for path in value)

    @property
    def named_recipients(self) -> tuple[str, ...]:
        """The recipients named as party ids (not roles)."""
        return tuple(r for r in self.recipients if isinstance(r, str))


class Protocol(_Frozen):
    """A partnership's whole protocol."""

    id: str = Field(pattern=_ID)
    title: str
    version: str = Field(min_length=1)
    content_hash: str = Field(default="", description="SHA-256 of the file; set by the loader.")
    parties: tuple[Party, ...] = Field(min_length=1)
    rules: tuple[Rule, ...]

    @model_validator(mode="after")
    def _references(self) -> Protocol:
        ids = [party.id for party in self.parties]
        if len(set(ids)) != len(ids):
            raise ValueError("party ids must be unique")
        if "hub" in ids:
            raise ValueError("party id 'hub' is reserved for the hub's own keys")
        rule_ids = [rule.id for rule in self.rules]
        duplicates = sorted({r for r in rule_ids if rule_ids.count(r) > 1})
        if duplicates:
            raise ValueError(f"duplicate rule id(s): {duplicates}")
        known = set(ids)
        for rule in self.rules:
            unknown = (set(rule.publishers) | set(rule.named_recipients)) - known
            if unknown:
                raise ValueError(f"rule {rule.id}: not a party to the protocol: {sorted(unknown)}")
        return self

    @property
    def version_tag(self) -> str:
        """The declared version and the file hash, as recorded on every decision."""
        return f"{self.version}+{self.content_hash[:12]}"

    @property
    def party_ids(self) -> tuple[str, ...]:
        return tuple(party.id for party in self.parties)

    def party(self, party_id: str) -> Party:
        """The party with this id (``KeyError`` if none)."""
        for candidate in self.parties:
            if candidate.id == party_id:
                return candidate
        raise KeyError(party_id)

    def la_of(self, party_id: str) -> str | None:
        """The LA code of a council party; None for a party with none, or not in the protocol."""
        for candidate in self.parties:
            if candidate.id == party_id:
                return candidate.la_code
        return None
