"""Key documents: one JWKS-like JSON document per agency, public and private.

Rules:

1. A public document is ``{"agency": "<id>", "keys": [<key>, ...]}``; each key is
   ``{"kid", "use", "alg", "pub", "nbf", "exp", "retired"?}`` (docs/wire-format.md, section 2).
   A private document has the same shape and one more member per key, ``"priv"``.
2. A kid is ``<agency>-<sig|enc>-<yyyymmdd>-<4 hex>``: its agency part must be the document's
   agency and its use part the key's ``use``. Kids are unique in a document.
3. ``alg`` fixes ``use`` (``Ed25519`` is ``sig``; both HPKE algorithms are ``enc``) and the size
   of ``pub`` and ``priv`` (see :mod:`hub.crypto._primitives`). ``pub`` must be the public key of
   ``priv``. Both are base64url without padding.
4. Times are whole Unix seconds. A key is *usable* at ``now`` while ``nbf <= now < exp`` and it is
   not retired (``retired`` absent, or ``now < retired``). Usable keys verify and open; only the
   newest usable key (greatest ``nbf``, then latest in the document) signs and seals.
5. A public document never contains ``priv``: :meth:`PrivateKeyDocument.public` drops it, and
   :class:`KeyRecord` forbids unknown members, so a private key cannot be loaded as public.

Documents are our configuration, so a bad one raises pydantic's ``ValidationError`` (a
``ValueError``); the file layer maps it to ``ConfigurationError``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub._exceptions import InvalidMessage, Reason
from hub.crypto._codec import b64decode, b64encode
from hub.crypto._primitives import (
    ALG_USE,
    ED25519,
    Algorithm,
    KeyUse,
    load_encryption_key,
    load_verifying_key,
    public_bytes_of,
)

__all__ = [
    "AGENCY_ID_PATTERN",
    "HUB_AGENCY",
    "KeyDocument",
    "KeyRecord",
    "PrivateKeyDocument",
    "PrivateKeyRecord",
    "kid_agency",
    "newest_usable",
]

HUB_AGENCY: Final = "hub"
AGENCY_ID_PATTERN: Final = r"^[a-z0-9][a-z0-9-]{0,62}$"
_KID = re.compile(
    r"^(?P<agency>[a-z0-9][a-z0-9-]{0,62})-(?P<use>sig|enc)-(?P<date>[0-9]{8})-[0-9a-f]{4}$"
)


_K = TypeVar("_K", bound="KeyRecord")


def kid_agency(kid: str) -> str | None:
    """The agency part of a well-formed kid, or None."""
    match = _KID.fullmatch(kid)
    return None if match is None else match["agency"]


def _decode(text: str, what: str) -> bytes:
    try:
        return b64decode(text)
    except InvalidMessage:
        raise ValueError(f"{what} is not unpadded base64url") from None


class KeyRecord(BaseModel):
    """One public key entry of a key document."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    kid: str = Field(pattern=_KID.pattern)
    use: KeyUse
    alg: Algorithm
    pub: str
    nbf: int = Field(ge=0)
    exp: int = Field(ge=0)
    retired: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> KeyRecord:
        if ALG_USE[self.alg] != self.use:
            raise ValueError(f"{self.kid}: alg {self.alg} is for use {ALG_USE[self.alg]!r}")
        if f"-{self.use}-" not in self.kid:
            raise ValueError(f"{self.kid}: the kid's use part must be {self.use!r}")
        if self.exp <= self.nbf:
            raise ValueError(f"{self.kid}: exp must be after nbf")
        raw = _decode(self.pub, f"{self.kid}: pub")
        if self.alg == ED25519:
            load_verifying_key(raw)
        else:
            load_encryption_key(self.alg, raw)
        return self

    @property
    def agency(self) -> str:
        """The agency this key belongs to, from its kid."""
        agency = kid_agency(self.kid)
        if agency is None:  # pragma: no cover - the field pattern rules this out
            raise ValueError(f"malformed kid {self.kid!r}")
        return agency

    @property
    def public_bytes(self) -> bytes:
        return b64decode(self.pub)

    def problem(self, now: float) -> Reason | None:
        """Why the key is not usable at ``now`` (Unix seconds), or None if it is."""
        if self.retired is not None and self.retired <= now:
            return "retired_key"
        if now >= self.exp:
            return "expired_key"
        if now < self.nbf:
            return "key_not_yet_valid"
        return None

    def usable(self, now: float) -> bool:
        return self.problem(now) is None

    def status(self, now: float, newest_kids: frozenset[str]) -> str:
        """A word for listings: active, overlap, pending, expired or retired."""
        problem = self.problem(now)
        if problem is not None:
            return {"retired_key": "retired", "expired_key": "expired"}.get(problem, "pending")
        return "active" if self.kid in newest_kids else "overlap"


class PrivateKeyRecord(KeyRecord):
    """A key entry with its private half, ``priv``; lives only under the keys directory."""

    priv: str = Field(repr=False)

    @model_validator(mode="after")
    def _pub_matches_priv(self) -> PrivateKeyRecord:
        private = _decode(self.priv, f"{self.kid}: priv")
        if public_bytes_of(self.alg, private) != self.public_bytes:
            raise ValueError(f"{self.kid}: pub is not the public key of priv")
        return self

    @property
    def private_bytes(self) -> bytes:
        return b64decode(self.priv)

    @classmethod
    def create(
        cls, *, kid: str, alg: Algorithm, private: bytes, nbf: int, exp: int
    ) -> PrivateKeyRecord:
        """A record from raw private bytes; ``pub`` is derived."""
        return cls(
            kid=kid,
            use=ALG_USE[alg],
            alg=alg,
            pub=b64encode(public_bytes_of(alg, private)),
            nbf=nbf,
            exp=exp,
            priv=b64encode(private),
        )

    def public(self) -> KeyRecord:
        """The same entry without ``priv``."""
        return KeyRecord.model_validate(self.model_dump(exclude={"priv"}))


def _check_kids(agency: str, keys: Sequence[KeyRecord]) -> None:
    kids = [key.kid for key in keys]
    if len(set(kids)) != len(kids):
        raise ValueError(f"{agency}: duplicate kid")
    foreign = [key.kid for key in keys if key.agency != agency]
    if foreign:
        raise ValueError(f"{agency}: kids of another agency: {', '.join(foreign)}")


class KeyDocument(BaseModel):
    """An agency's public keys, as published in ``public/<agency>.jwks.json``."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    agency: str = Field(pattern=AGENCY_ID_PATTERN)
    keys: tuple[KeyRecord, ...]

    @model_validator(mode="after")
    def _kids(self) -> KeyDocument:
        _check_kids(self.agency, self.keys)
        return self

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, exclude_none=True) + "\n"


class PrivateKeyDocument(BaseModel):
    """An agency's private keys, kept in ``private/<agency>.jwks.json`` with mode 0600."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    agency: str = Field(pattern=AGENCY_ID_PATTERN)
    keys: tuple[PrivateKeyRecord, ...]

    @model_validator(mode="after")
    def _kids(self) -> PrivateKeyDocument:
        _check_kids(self.agency, self.keys)
        return self

    def public(self) -> KeyDocument:
        """The public document: the same keys without ``priv``."""
        return KeyDocument(agency=self.agency, keys=tuple(key.public() for key in self.keys))

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, exclude_none=True) + "\n"

    def __repr__(self) -> str:
        return f"PrivateKeyDocument(agency={self.agency!r}, kids={[k.kid for k in self.keys]!r})"


def newest_usable(keys: Sequence[_K], use: KeyUse, now: float) -> _K | None:
    """The key that signs or seals at ``now``: greatest ``nbf``, then latest in the document."""
    candidates = [
        (key.nbf, index, key)
        for index, key in enumerate(keys)
        if key.use == use and key.usable(now)
    ]
    return max(candidates, key=lambda item: (item[0], item[1]))[2] if candidates else None
