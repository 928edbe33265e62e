"""The agencies the hub serves, and how an agency's system proves who it is.

The directory is loaded from YAML (``HUB_AGENCIES_PATH``; ``hub demo init`` writes one,
``hub tokens`` edits it). Rules:

1. A token is stored only as the SHA-256 of its text, under a public ``id`` (to list and revoke
   it by): a token is 32 random bytes, so a fast hash is enough and a leaked directory reveals
   nothing usable. A hash belongs to one token of one agency.
2. A token carries scopes (:data:`SCOPES`): ``post`` (post notifications and native records),
   ``inbox`` (read, acknowledge and replay its own deliveries), ``explain`` (the protocol
   administrators' explain endpoint; only an agency with the ``protocol_admin`` role) and
   ``audit`` (the auditor endpoints; only an auditor's token, and an auditor's tokens hold
   nothing else).
3. A token has an expiry and may carry the time it was revoked. At ``now`` past either it is
   refused exactly as an unknown token is: the caller cannot tell the three apart.
4. ``certificates`` lists the SHA-256 fingerprints (hex, of the DER bytes) of the client
   certificates an agency's systems present over mutual TLS; a fingerprint belongs to one agency.
5. ``limits`` overrides the hub's default request rate and body size for one agency.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Final, Literal, get_args

import yaml
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from hub._exceptions import ConfigurationError, NotAuthenticated
from schemas import CATALOGUE, LA_CODE_PATTERN, source_for_agency

__all__ = [
    "AUDITOR",
    "PROTOCOL_ADMIN",
    "SCOPES",
    "Agency",
    "AgencyDirectory",
    "AgencyRole",
    "Credential",
    "Limits",
    "Scope",
    "Token",
    "certificate_fingerprint",
    "hash_token",
    "new_token",
    "new_token_id",
]

ADAPTER_KINDS = ("police", "children_services", "adult_services", "education")

AgencyRole = Literal["protocol_admin", "auditor"]
PROTOCOL_ADMIN: AgencyRole = "protocol_admin"
AUDITOR: AgencyRole = "auditor"
AUDITOR_KIND = "auditor"

Scope = Literal["post", "inbox", "explain", "audit"]
SCOPES: Final[tuple[Scope, ...]] = get_args(Scope)
_HEX_SHA256 = r"^[0-9a-f]{64}$"
_UNKNOWN: Final = "the bearer token is not recognised"


def new_token() -> str:
    """A fresh bearer token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def new_token_id() -> str:
    """A fresh public token id, e.g. ``tok-3f9a0c1d2e4b``: it names a token, it opens nothing."""
    return "tok-" + secrets.token_hex(6)


def hash_token(token: str) -> str:
    """The hex SHA-256 of a token, as stored in the directory."""
    return hashlib.sha256(token.encode()).hexdigest()


def certificate_fingerprint(der: bytes) -> str:
    """The hex SHA-256 of a certificate's DER bytes, as listed in ``certificates`` (rule 4)."""
    return hashlib.sha256(der).hexdigest()


class Token(BaseModel):
    """One bearer token of an agency, by its hash (rules 1-3)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", description="Public; not secret.")
    sha256: str = Field(pattern=_HEX_SHA256)
    scopes: tuple[Scope, ...] = Field(min_length=1)
    expires: AwareDatetime
    revoked: AwareDatetime | None = None
    types: tuple[str, ...] = Field(
        default=(),
        description=(
            "With the post scope: the only notification types this token may post (a type "
            "of the catalogue); empty, any type its agency may post."
        ),
    )

    @model_validator(mode="after")
    def _types_go_with_post(self) -> Token:
        if self.types and "post" not in self.scopes:
            raise ValueError("notification types limit a token's post scope: it has none")
        unknown = sorted(set(self.types) - set(CATALOGUE))
        if unknown:
            raise ValueError(f"not notification types of the catalogue: {unknown}")
        return self

    def live_at(self, now: datetime) -> bool:
        """Whether the token is neither expired nor revoked at ``now``."""
        return now < self.expires and (self.revoked is None or now < self.revoked)


class Limits(BaseModel):
    """One agency's overrides of the hub's defaults (``HUB_RATE_*``, ``HUB_MAX_BODY_BYTES``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    requests_per_minute: int | None = Field(default=None, gt=0)
    burst: int | None = Field(default=None, gt=0)
    max_body_bytes: int | None = Field(default=None, gt=0)


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
    tokens: tuple[Token, ...] = Field(
        default=(), description="Its bearer tokens by hash (several, to rotate)."
    )
    certificates: tuple[Annotated[str, Field(pattern=_HEX_SHA256)], ...] = Field(
        default=(), description="SHA-256 fingerprints of its client certificates (mutual TLS)."
    )
    limits: Limits = Limits()
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

    @model_validator(mode="after")
    def _scopes_fit_roles(self) -> Agency:
        scopes = {scope for token in self.tokens for scope in token.scopes}
        if self.is_auditor and scopes - {"audit"}:
            raise ValueError("an auditor's tokens hold the audit scope only")
        if not self.is_auditor and "audit" in scopes:
            raise ValueError("only an auditor's token may hold the audit scope")
        if "explain" in scopes and PROTOCOL_ADMIN not in self.roles:
            raise ValueError("only a protocol_admin's token may hold the explain scope")
        if len({token.id for token in self.tokens}) != len(self.tokens):
            raise ValueError("token ids must be unique within an agency")
        return self

    @property
    def is_auditor(self) -> bool:
        """Whether this is an auditor's credential (which may only query the audit log)."""
        return AUDITOR in self.roles

    @property
    def source(self) -> str:
        """The CloudEvents ``source`` this agency publishes under."""
        return source_for_agency(self.id)


@dataclass(frozen=True, slots=True)
class Credential:
    """An accepted bearer token: whose it is, and the token (its id and scopes)."""

    agency: Agency
    token: Token

    def allows(self, scope: Scope) -> bool:
        return scope in self.token.scopes

    @property
    def post_types(self) -> frozenset[str] | None:
        """The notification types this token may post, or None for any."""
        return frozenset(self.token.types) if self.token.types else None


class _DirectoryFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agencies: tuple[Agency, ...]


class AgencyDirectory(Mapping[str, Agency]):
    """Agencies by id, and authentication of bearer tokens and client certificates."""

    def __init__(self, agencies: tuple[Agency, ...], *, content_sha256: str | None = None) -> None:
        #: SHA-256 (hex) of the file's bytes this directory was loaded from, if it was.
        self.content_sha256 = content_sha256
        self._by_id = {agency.id: agency for agency in agencies}
        if len(self._by_id) != len(agencies):
            raise ConfigurationError("agency ids must be unique")
        self._by_hash = {
            token.sha256: Credential(agency, token)
            for agency in agencies
            for token in agency.tokens
        }
        if len(self._by_hash) != sum(len(agency.tokens) for agency in agencies):
            raise ConfigurationError("a token hash may belong to one agency only, once")
        self._by_certificate = {
            fingerprint: agency for agency in agencies for fingerprint in agency.certificates
        }
        if len(self._by_certificate) != sum(len(agency.certificates) for agency in agencies):
            raise ConfigurationError("a certificate may belong to one agency only, once")

    @classmethod
    def load(cls, path: Path) -> AgencyDirectory:
        try:
            content = path.read_bytes()
            document = yaml.safe_load(content.decode("utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ConfigurationError(f"cannot load the agency directory {path}") from exc
        return cls.from_document(
            document, content_sha256=hashlib.sha256(content).hexdigest(), origin=str(path)
        )

    @classmethod
    def from_document(
        cls, document: Any, *, content_sha256: str | None = None, origin: str = "document"
    ) -> AgencyDirectory:
        """The directory a parsed YAML document describes; :class:`ConfigurationError` if not."""
        try:
            parsed = _DirectoryFile.model_validate(document)
        except ValidationError as exc:
            raise ConfigurationError(f"cannot load the agency directory {origin}") from exc
        return cls(parsed.agencies, content_sha256=content_sha256)

    def __getitem__(self, agency_id: str) -> Agency:
        return self._by_id[agency_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def authenticate(self, token: str | None, *, now: datetime) -> Credential:
        """The live credential a bearer token is, or :class:`NotAuthenticated` (rule 3)."""
        if not token:
            raise NotAuthenticated("a bearer token is required")
        # Keyed by the hash of a 256-bit random token: a lookup's timing reveals nothing usable.
        credential = self._by_hash.get(hash_token(token))
        if credential is None or not credential.token.live_at(now):
            raise NotAuthenticated(_UNKNOWN)
        return credential

    def by_certificate(self, fingerprint: str) -> Agency | None:
        """The agency a client certificate's fingerprint is listed for, if any (rule 4)."""
        return self._by_certificate.get(fingerprint)
