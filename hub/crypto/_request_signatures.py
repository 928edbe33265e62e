"""HTTP Message Signatures (RFC 9421) on an agency's posts, with Content-Digest (RFC 9530).

An agency signs each post with its Ed25519 signing key (the ``sig`` key of its key document;
``keyid`` is its kid), so the hub refuses a tampered post at once, holding only the public key.
The library ``http-message-signatures`` builds and checks the signature base; this module fixes
the profile and maps every failure to one opaque :class:`~hub.RequestNotVerified`.

Rules:

1. The request carries exactly one signature. It covers at least :data:`REQUIRED_COMPONENTS`
   (method, path, query, ``content-type`` and ``content-digest``) and has the parameters
   ``created`` (integer Unix seconds), ``nonce`` (:data:`NONCE_PATTERN`) and ``keyid``; ``alg``,
   if present, is ``ed25519``. No other parameter (no ``expires``, no ``tag``) is read.
2. ``Content-Digest`` has a ``sha-256`` member, and every member it has matches the body.
3. Checks run in this order, and the first that fails names the failure in ``check``:
   ``missing`` (no ``Signature`` or ``Signature-Input``), ``malformed`` (not structured fields,
   or more than one signature), ``not_covered``, ``stale`` (``created`` more than ``window``
   from the hub's ``now``, either way), ``bad_nonce``, a key reason as for envelopes
   (``unknown_kid``, ``kid_agency_mismatch``, ``expired_key``... the kid must be a usable
   signing key of the *calling* agency), ``bad_signature``, then ``bad_digest``.
4. Whether the nonce was seen before is not this module's business: the intake keeps each
   ``(agency, nonce)`` for the window (``replayed``), and only for a request that verified.
5. Time comes in as ``now``; the library's own clock is never consulted.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import http_sf
from http_message_signatures import (
    ContentDigest,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
)
from http_message_signatures.algorithms import ED25519
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from hub._exceptions import InvalidMessage, RequestNotVerified
from hub.crypto._codec import timestamp
from hub.crypto._registry import KeyRegistry, KeyRing

__all__ = [
    "NONCE_PATTERN",
    "REQUEST_SIGNATURE_LABEL",
    "REQUIRED_COMPONENTS",
    "HttpRequest",
    "VerifiedRequest",
    "is_signed",
    "sign_request",
    "verify_request",
]

REQUEST_SIGNATURE_LABEL: Final = "sehub"
REQUIRED_COMPONENTS: Final = ("@method", "@path", "@query", "content-type", "content-digest")
NONCE_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{16,128}")
_SIGNED_PARAMETERS: Final = frozenset({"alg", "created", "keyid", "nonce"})


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """The parts of a request a signature covers: ``url`` absolute, ``headers`` as sent."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class VerifiedRequest:
    """What a verified signature vouches for: who signed, when, and its single-use nonce."""

    kid: str
    created: int
    nonce: str


class _Headers:
    """Header lines in order, writable (the library's message interface)."""

    def __init__(self, lines: Iterable[tuple[str, str]]) -> None:
        self.lines = list(lines)

    def items(self) -> list[tuple[str, str]]:
        return list(self.lines)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(name for name, _ in self.lines))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(n.lower() == name.lower() for n, _ in self.lines)

    def __setitem__(self, name: str, value: str) -> None:
        del self[name]
        self.lines.append((name, value))

    def __delitem__(self, name: str) -> None:
        self.lines = [(n, v) for n, v in self.lines if n.lower() != name.lower()]

    def get(self, name: str) -> str | None:
        values = [v for n, v in self.lines if n.lower() == name.lower()]
        return ", ".join(values) if values else None


@dataclass
class _Message:
    method: str
    url: str
    headers: _Headers


class _Verifier(HTTPMessageVerifier):
    """The library's verifier with its own clock switched off (rule 5)."""

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        return None


class _OneKey(HTTPSignatureKeyResolver):
    """Resolves the one key already checked for the kid the signature names."""

    def __init__(self, kid: str, public: Any = None, private: Any = None) -> None:
        self._kid, self._public, self._private = kid, public, private

    def resolve_public_key(self, key_id: str) -> Any:
        return self._public if key_id == self._kid else None

    def resolve_private_key(self, key_id: str) -> Any:
        if key_id != self._kid or self._private is None:
            raise KeyError(key_id)
        return self._private


def is_signed(headers: Iterable[tuple[str, str]]) -> bool:
    """Whether a request carries a signature at all (either signature header)."""
    return any(name.lower() in ("signature", "signature-input") for name, _ in headers)


def sign_request(
    ring: KeyRing,
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    nonce: str | None = None,
) -> dict[str, str]:
    """The headers to add to a post so that it verifies: Content-Digest and the signature.

    ``headers`` must hold the ``Content-Type`` that is sent; ``nonce`` defaults to a fresh one.
    """
    nonce = secrets.token_urlsafe(24) if nonce is None else nonce
    if not NONCE_PATTERN.fullmatch(nonce):
        raise ValueError("a nonce is 16-128 characters of base64url")
    key = ring.signing_key(now)
    message = _Message(method.upper(), url, _Headers(headers.items()))
    message.headers["Content-Digest"] = ContentDigest.create(body)
    signer = HTTPMessageSigner(
        signature_algorithm=ED25519, key_resolver=_OneKey(key.kid, None, key.key)
    )
    signer.sign(
        message,
        key_id=key.kid,
        created=datetime.fromtimestamp(int(timestamp(now)), tz=UTC),
        nonce=nonce,
        label=REQUEST_SIGNATURE_LABEL,
        covered_component_ids=REQUIRED_COMPONENTS,
        body=body,
        use_existing_digest=True,
    )
    added = ("content-digest", "signature-input", "signature")
    return {name: value for name, value in message.headers.lines if name.lower() in added}


def _signature_input(headers: _Headers) -> tuple[list[str], dict[str, object]]:
    """The covered component names and the parameters of the one signature (rule 1)."""
    signature_input, signature = headers.get("signature-input"), headers.get("signature")
    if signature_input is None or signature is None:
        raise RequestNotVerified("missing")
    try:
        inputs: Any = http_sf.parse(signature_input.encode(), tltype="dictionary")
        values: Any = http_sf.parse(signature.encode(), tltype="dictionary")
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise RequestNotVerified("malformed") from exc
    if not isinstance(inputs, dict) or not isinstance(values, dict) or len(inputs) != 1:
        raise RequestNotVerified("malformed")
    if inputs.keys() != values.keys():
        raise RequestNotVerified("malformed")
    ((covered, parameters),) = inputs.values()
    if not isinstance(covered, list) or not isinstance(parameters, dict):
        raise RequestNotVerified("malformed")
    names = [item[0] for item in covered if isinstance(item, tuple) and not item[1]]
    return [str(name) for name in names], dict(parameters)


def _checked_parameters(
    parameters: Mapping[str, object], now: datetime, window: timedelta
) -> tuple[str, int, str]:
    """The kid, ``created`` and nonce, each checked as rules 1 and 3 say."""
    if not set(parameters) <= _SIGNED_PARAMETERS or parameters.get("alg", "ed25519") != "ed25519":
        raise RequestNotVerified("malformed")
    kid, created, nonce = (parameters.get(name) for name in ("keyid", "created", "nonce"))
    if not isinstance(kid, str) or type(created) is not int:
        raise RequestNotVerified("malformed")
    if abs(timestamp(now) - created) > window.total_seconds():
        raise RequestNotVerified("stale")
    if not isinstance(nonce, str) or not NONCE_PATTERN.fullmatch(nonce):
        raise RequestNotVerified("bad_nonce")
    return kid, created, nonce


def _check_digest(headers: _Headers, body: bytes) -> None:
    digest = headers.get("content-digest") or ""
    try:
        members = http_sf.parse(digest.encode(), tltype="dictionary")
        ContentDigest.verify(digest, body)
    except (ValueError, TypeError, UnicodeEncodeError, HTTPMessageSignaturesException) as exc:
        raise RequestNotVerified("bad_digest") from exc
    if not isinstance(members, dict) or "sha-256" not in members:
        raise RequestNotVerified("bad_digest")


def verify_request(
    registry: KeyRegistry,
    agency: str,
    request: HttpRequest,
    *,
    now: datetime,
    window: timedelta,
) -> VerifiedRequest:
    """Check ``request``'s signature as ``agency``'s with its public key (rules 1-3)."""
    headers = _Headers(request.headers)
    covered, parameters = _signature_input(headers)
    if not set(REQUIRED_COMPONENTS) <= set(covered):
        raise RequestNotVerified("not_covered")
    kid, created, nonce = _checked_parameters(parameters, now, window)
    try:
        public = registry.signing_key(agency, kid, now)
    except InvalidMessage as exc:
        raise RequestNotVerified(exc.reason) from exc
    verifier = _Verifier(signature_algorithm=ED25519, key_resolver=_OneKey(kid, public))
    message = _Message(request.method, request.url, headers)
    try:
        verifier.verify(message, max_age=None, require_components=REQUIRED_COMPONENTS)
    except HTTPMessageSignaturesException as exc:
        raise RequestNotVerified("bad_signature") from exc
    _check_digest(headers, request.body)
    return VerifiedRequest(kid=kid, created=created, nonce=nonce)
