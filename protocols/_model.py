"""The information-sharing protocol as frozen data.

A protocol is what the partners signed off: who may publish which notification types, who is
told, which fields each recipient gets, why, and on which lawful basis. It is loaded from YAML
(:mod:`protocols._loader`) into these models, which the pure ``decide()`` reads.

Rules:

1. Unknown keys in the YAML are errors; a typo never silently widens or narrows sharing.
2. ``fields`` is an allow-list of dotted paths into the CloudEvent (``data.person.nhs_number``).
   A path allows its whole subtree. Anything not listed is withheld.
3. ``when`` narrows a rule to events whose values at the given paths equal the given value (or
   one of a list): ``when: {data.subject: child}``. A missing path never matches.
4. The version recorded on every decision is the declared version plus a hash of the file's
   exact bytes, so two different files can never be mistaken for one another.
"""

from __future__ import annotations

import re
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["Protocol", "Rule", "parse_duration"]

_DURATION = re.compile(r"^(?P<n>\d+)(?P<unit>[mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
_ID = r"^[a-z0-9][a-z0-9-]{0,62}$"


def parse_duration(text: str) -> timedelta:
    """Parse ``'90m'``, ``'72h'`` or ``'7d'``."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError("expected a duration such as '90m', '72h' or '7d'")
    return timedelta(**{_UNITS[match["unit"]]: int(match["n"])})


Scalar = str | int | bool
Condition = Scalar | tuple[Scalar, ...]


def _check_path(path: str) -> None:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*", path):
        raise ValueError(f"field path {path!r} is not a dotted lower-case path")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(_Frozen):
    """One sharing rule: these types, from these publishers, to these recipients."""

    id: str = Field(pattern=_ID)
    description: str = ""
    types: tuple[str, ...] = Field(min_length=1)
    publishers: tuple[str, ...] = Field(min_length=1)
    recipients: tuple[str, ...] = Field(min_length=1)
    fields: tuple[str, ...] = Field(min_length=1)
    purpose: str = Field(min_length=1)
    lawful_basis: tuple[str, ...] = Field(min_length=1)
    when: dict[str, Condition] = Field(
        default_factory=dict,
        description="Conditions on the event: path -> value, or a list of allowed values.",
    )
    acknowledge_within: str | None = None
    retention: str = Field(pattern=r"^P(\d+Y)?(\d+M)?(\d+D)?$", description="ISO 8601 period.")

    @field_validator("acknowledge_within")
    @classmethod
    def _valid_duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @field_validator("fields")
    @classmethod
    def _valid_paths(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for path in value:
            _check_path(path)
        return value

    @field_validator("when")
    @classmethod
    def _valid_condition_paths(cls, value: dict[str, Condition]) -> dict[str, Condition]:
        for path in value:
            _check_path(path)
        return value

    @property
    def acknowledge_delta(self) -> timedelta | None:
        """The acknowledgement deadline as a duration, if the rule sets one."""
        return None if self.acknowledge_within is None else parse_duration(self.acknowledge_within)


class Protocol(_Frozen):
    """A partnership's whole protocol."""

    id: str = Field(pattern=_ID)
    title: str
    version: str = Field(min_length=1)
    content_hash: str = Field(default="", description="SHA-256 of the file; set by the loader.")
    parties: tuple[str, ...] = Field(min_length=1)
    rules: tuple[Rule, ...]

    @property
    def version_tag(self) -> str:
        """The declared version and the file hash, as recorded on every decision."""
        return f"{self.version}+{self.content_hash[:12]}"
