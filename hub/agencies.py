"""The agencies the hub serves, and how an agency's system proves who it is.

The directory is loaded from YAML (``HUB_AGENCIES_PATH``; ``hub demo init`` writes one). It
holds SHA-256 hashes of each agency's bearer token, never the tokens: a token is 32 random
bytes, so a fast hash is enough and a leaked directory reveals nothing usable.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hub._exceptions import ConfigurationError, NotAuthenticated
from schemas import LA_CODE_PATTERN, source_for_agency

__all__ = [
    "AUDITOR",
    "PROTOCOL_ADMIN",
    "Agency",
    "AgencyDirectory",
    "AgencyRole",
    "hash_token",
    "new_token",
]

ADAPTER_KINDS = ("police", "children_services", "adult_services", "education")

AgencyRole = Literal["protocol_admin", "auditor"]
PROTOCOL_ADMIN: AgencyRole = "protocol_admin"
AUDITOR: AgencyRole = "auditor"
AUDITOR_KIND = "auditor"


def new_token() -> str:
    """A fresh bearer token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The hex SHA-256 of a token, as stored in the directory."""
    return hashlib.sha256(token.encode()).hexdigest()


class Agency(BaseModel):
    """One partner agency."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    name: str
    kind: str = Field(
        description=(
            f"Which adapter speaks for it: one of {ADAPTER_KINDS}. Other kinds (such as 'hub' "
            "for the hub's own administrators) have no adapter and post canonical JSON only."
        )
    )
    la_code: str | None = Field(
        default=None, pattern=LA_CODE_PATTERN, description="Its local authority code, if a council."
    )
    token_sha256: tuple[str, ...] = Field(
        default=(), description="Hashes of the tokens it may post with (several, to rotate)."
    )
    signs_at_edge: bool = Field(
        default=False,
        description=(
            "It seals and signs its own source envelopes (docs/wire-format.md): the hub holds no"
            " private key of it, and refuses its plain or native posts."
        ),
    )
    roles: tuple[AgencyRole, ...] = Field(
        default=(),
        description=(
            "Administrative roles: protocol_admin may call /v1/admin/protocol/explain; auditor "
            "may call /v1/audit/* and nothing else (its kind must be 'auditor')."
        ),
    )

    delivery: Literal["amqp", "http"] = Field(
        default="amqp",
        description=(
            "How it receives: amqp, from its queue (and its HTTP inbox); http, from its HTTP "
            "inbox only, so the hub publishes nothing to its queue (docs/inbox.md)."
        ),
    )

    @model_validator(mode="after")
    def _auditors_are_only_auditors(self) -> Agency:
        # An auditor reads the audit log and nothing else: it never posts or receives.
        is_auditor = AUDITOR in self.roles
        if is_auditor != (self.kind == AUDITOR_KIND):
            raise ValueError("the auditor role and the kind 'auditor' go together")
        if is_auditor and (self.la_code is not None or len(self.roles) != 1):
            raise ValueError("an auditor has no LA code and no other role")
        return self

    @property
    def is_auditor(self) -> bool:
        """Whether this is an auditor's credential (which may only query the audit log)."""
        return AUDITOR in self.roles

    @property
    def source(self) -> str:
        """The CloudEvents ``source`` this agency publishes under."""
        return source_for_agency(self.id)


class _DirectoryFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agencies: tuple[Agency, ...]


class AgencyDirectory(Mapping[str, Agency]):
    """Agencies by id, and authentication of bearer tokens."""

    def __init__(self, agencies: tuple[Agency, ...], *, content_sha256: str | None = None) -> None:
        #: SHA-256 (hex) of the file's bytes this directory was loaded from, if it was.
        self.content_sha256 = content_sha256
        self._by_id = {agency.id: agency for agency in agencies}
        if len(self._by_id) != len(agencies):
            raise ConfigurationError("agency ids must be unique")
        self._by_hash = {digest: agency for agency in agencies for digest in agency.token_sha256}
        if len(self._by_hash) != sum(len(agency.token_sha256) for agency in agencies):
            raise ConfigurationError("a token hash may belong to one agency only, once")

    @classmethod
    def load(cls, path: Path) -> AgencyDirectory:
        try:
            content = path.read_bytes()
            document = yaml.safe_load(content.decode("utf-8"))
            parsed = _DirectoryFile.model_validate(document)
        except (OSError, UnicodeDecodeError, yaml.YAMLError, ValidationError) as exc:
            raise ConfigurationError(f"cannot load the agency directory {path}") from exc
        return cls(parsed.agencies, content_sha256=hashlib.sha256(content).hexdigest())

    def __getitem__(self, agency_id: str) -> Agency:
        return self._by_id[agency_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def authenticate(self, token: str | None) -> Agency:
        """The agency a bearer token belongs to, or :class:`NotAuthenticated`."""
        if not token:
            raise NotAuthenticated("a bearer token is required")
        # Keyed by the hash of a 256-bit random token: a lookup's timing reveals nothing usable.
        agency = self._by_hash.get(hash_token(token))
        if agency is None:
            raise NotAuthenticated("the bearer token is not recognised")
        return agency
