"""The two signed-and-sealed envelopes: source (agency -> hub) and delivery (hub -> recipient).

Both are UTF-8 JSON objects whose members are all strings; binary members are base64url without
padding. docs/wire-format.md is the normative description, with worked examples.

Rules:

1. Source envelope ``sehub-source-1``: ``sig`` is Ed25519 by the source over the *exact bytes*
   of the notification as posted (not a re-serialisation, not JCS); ``ct`` is those same bytes
   HPKE-sealed to agency ``"hub"`` with ``info`` binding ``"hub"`` and ``message_id``.
   ``open_source`` checks, in order: JSON shape and version, the source's ``sig_kid`` (usable
   and the source's own), decryption with the hub's key, then the signature over the decrypted
   bytes. It never parses the notification; the caller does, after it returns.
2. Delivery envelope ``sehub-delivery-1``: ``hub_sig`` is Ed25519 by the hub over
   :data:`DELIVERY_SIGNED_FIELDS` joined with ``"\\n"`` and encoded UTF-8 (``ct`` as its
   base64url text). ``open_delivery`` checks, in order: JSON shape and version, the hub's
   signature, ``recipient`` equals the agency opening it (``wrong_recipient``), then decryption
   with ``info`` binding recipient and ``message_id``. Verify before decrypting.
1a. ``check_source_header`` is what a process without the hub's private key can check of a
   source envelope: rule 1's shape, version and ``sig_kid``, then that ``enc_kid`` is a usable
   encryption key of the hub whose ``alg`` is ``suite``, and that ``sig`` is 64 bytes. Nothing
   is opened or verified; the router does both.
3. Header members are header text (:mod:`hub.crypto._codec` rule 2), so neither the
   ``"\\n"``-joined signing input nor the HPKE ``info`` is ambiguous. ``source_sig_sha256`` is 64
   lower-case hex digits.
4. Anything wrong raises ``InvalidMessage`` with a reason; ``str()`` is always the same.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from hub._exceptions import InvalidMessage
from hub.crypto._codec import (
    b64decode,
    b64encode,
    is_header_text,
    parse_envelope,
    require_header_text,
)
from hub.crypto._keys import HUB_AGENCY
from hub.crypto._recipes import Sealed, Signature, open_sealed, seal, sign, verify
from hub.crypto._registry import KeyRegistry, KeyRing

__all__ = [
    "DELIVERY_FIELDS",
    "DELIVERY_SIGNED_FIELDS",
    "DELIVERY_VERSION",
    "SOURCE_FIELDS",
    "SOURCE_VERSION",
    "DeliveryContents",
    "SourceContents",
    "SourceHeader",
    "check_source_header",
    "delivery_header",
    "delivery_signing_input",
    "open_delivery",
    "open_source",
    "seal_delivery",
    "seal_source",
]

SOURCE_VERSION: Final = "sehub-source-1"
DELIVERY_VERSION: Final = "sehub-delivery-1"
SOURCE_FIELDS: Final = ("v", "source", "message_id", "sig_kid", "sig", "enc_kid", "suite", "ct")
DELIVERY_SIGNED_FIELDS: Final = (
    "v",
    "recipient",
    "message_id",
    "rule_id",
    "protocol_version",
    "source_sig_sha256",
    "enc_kid",
    "suite",
    "ct",
)
DELIVERY_FIELDS: Final = (*DELIVERY_SIGNED_FIELDS, "hub_kid", "hub_sig")
_SOURCE_HEADERS: Final = ("source", "message_id", "sig_kid", "enc_kid", "suite")
_DELIVERY_HEADERS: Final = (
    "recipient",
    "message_id",
    "rule_id",
    "protocol_version",
    "enc_kid",
    "suite",
    "hub_kid",
)
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class SourceContents:
    """What an opened source envelope holds: verified, not yet parsed."""

    agency: str
    message_id: str
    notification: bytes
    source_sig: bytes


@dataclass(frozen=True, slots=True)
class SourceHeader:
    """The clear members of a source envelope that checked out: who, which id, which keys."""

    agency: str
    message_id: str
    sig_kid: str
    enc_kid: str


@dataclass(frozen=True, slots=True)
class DeliveryContents:
    """What an opened delivery envelope holds: the hub's signature verified."""

    plaintext: bytes
    rule_id: str
    protocol_version: str
    source_sig_sha256: str
    message_id: str


def _dump(fields: Mapping[str, str]) -> bytes:
    return json.dumps(dict(fields), separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _require_headers(fields: Mapping[str, str], names: tuple[str, ...]) -> None:
    if not all(is_header_text(fields[name]) for name in names):
        raise InvalidMessage("malformed")


def delivery_signing_input(fields: Mapping[str, str]) -> bytes:
    """The bytes ``hub_sig`` covers: the signed fields, in order, joined with ``"\\n"``."""
    return "\n".join(fields[name] for name in DELIVERY_SIGNED_FIELDS).encode("utf-8")


def seal_source(
    ring: KeyRing,
    registry: KeyRegistry,
    agency: str,
    notification: bytes,
    *,
    message_id: str,
    now: datetime,
) -> bytes:
    """Sign ``notification`` as ``agency`` and seal it to the hub: a source envelope."""
    if ring.agency != agency:
        raise ValueError(f"a ring of {ring.agency!r} cannot sign as {agency!r}")
    require_header_text("message_id", message_id)
    signature = sign(ring, notification, now)
    sealed = seal(registry, HUB_AGENCY, notification, message_id=message_id, now=now)
    fields = {
        "v": SOURCE_VERSION,
        "source": agency,
        "message_id": message_id,
        "sig_kid": signature.kid,
        "sig": b64encode(signature.value),
        "enc_kid": sealed.kid,
        "suite": sealed.suite,
        "ct": b64encode(sealed.ciphertext),
    }
    return _dump(fields)


def check_source_header(registry: KeyRegistry, envelope: bytes, *, now: datetime) -> SourceHeader:
    """Check a source envelope's header with public keys only (rule 1a); nothing is opened."""
    fields = parse_envelope(envelope, SOURCE_VERSION, SOURCE_FIELDS)
    _require_headers(fields, _SOURCE_HEADERS)
    source, sig_kid, enc_kid = fields["source"], fields["sig_kid"], fields["enc_kid"]
    registry.signing_key(source, sig_kid, now)
    if registry.encryption_key(HUB_AGENCY, enc_kid, now).alg != fields["suite"]:
        raise InvalidMessage("suite_mismatch", kid=enc_kid)
    if len(b64decode(fields["sig"])) != 64 or not b64decode(fields["ct"]):
        raise InvalidMessage("malformed")
    return SourceHeader(source, fields["message_id"], sig_kid, enc_kid)


def open_source(
    hub_ring: KeyRing, registry: KeyRegistry, envelope: bytes, *, now: datetime
) -> SourceContents:
    """Open a source envelope at the hub: decrypt, then verify the source's signature."""
    if hub_ring.agency != HUB_AGENCY:
        raise ValueError(f"open_source needs the hub's ring, not {hub_ring.agency!r}'s")
    fields = parse_envelope(envelope, SOURCE_VERSION, SOURCE_FIELDS)
    _require_headers(fields, _SOURCE_HEADERS)
    source, message_id, sig_kid = fields["source"], fields["message_id"], fields["sig_kid"]
    registry.signing_key(source, sig_kid, now)  # the kid is the source's and usable, or raise
    sig, ct = b64decode(fields["sig"]), b64decode(fields["ct"])
    sealed = Sealed(fields["enc_kid"], fields["suite"], ct)
    notification = open_sealed(hub_ring, HUB_AGENCY, sealed, message_id=message_id, now=now)
    verify(registry, source, Signature(sig_kid, sig), notification, now)
    return SourceContents(source, message_id, notification, sig)


def seal_delivery(
    hub_ring: KeyRing,
    registry: KeyRegistry,
    recipient: str,
    plaintext: bytes,
    *,
    message_id: str,
    rule_id: str,
    protocol_version: str,
    source_sig: bytes,
    now: datetime,
) -> bytes:
    """Seal ``plaintext`` to ``recipient`` and sign the envelope as the hub."""
    if hub_ring.agency != HUB_AGENCY:
        raise ValueError(f"seal_delivery needs the hub's ring, not {hub_ring.agency!r}'s")
    for name, value in (("rule_id", rule_id), ("protocol_version", protocol_version)):
        require_header_text(name, value)
    if not isinstance(source_sig, bytes):
        raise TypeError("source_sig must be the source signature's bytes")
    sealed = seal(registry, recipient, plaintext, message_id=message_id, now=now)
    fields = {
        "v": DELIVERY_VERSION,
        "recipient": recipient,
        "message_id": message_id,
        "rule_id": rule_id,
        "protocol_version": protocol_version,
        "source_sig_sha256": hashlib.sha256(source_sig).hexdigest(),
        "enc_kid": sealed.kid,
        "suite": sealed.suite,
        "ct": b64encode(sealed.ciphertext),
    }
    signature = sign(hub_ring, delivery_signing_input(fields), now)
    return _dump({**fields, "hub_kid": signature.kid, "hub_sig": b64encode(signature.value)})


def delivery_header(envelope: bytes) -> dict[str, str]:
    """The clear members of a delivery envelope (every one but ``ct`` and ``hub_sig``), *not
    verified*: for describing a copy the hub sealed itself, never for trusting a peer's."""
    fields = parse_envelope(envelope, DELIVERY_VERSION, DELIVERY_FIELDS)
    return {name: value for name, value in fields.items() if name not in ("ct", "hub_sig")}


def open_delivery(
    ring: KeyRing, registry: KeyRegistry, agency: str, envelope: bytes, *, now: datetime
) -> DeliveryContents:
    """Open a delivery as ``agency``: verify the hub's signature, then the recipient, decrypt."""
    if ring.agency != agency:
        raise ValueError(f"a ring of {ring.agency!r} cannot open deliveries for {agency!r}")
    fields = parse_envelope(envelope, DELIVERY_VERSION, DELIVERY_FIELDS)
    _require_headers(fields, _DELIVERY_HEADERS)
    if not _SHA256_HEX.fullmatch(fields["source_sig_sha256"]):
        raise InvalidMessage("malformed")
    hub_signature = Signature(fields["hub_kid"], b64decode(fields["hub_sig"]))
    verify(registry, HUB_AGENCY, hub_signature, delivery_signing_input(fields), now)
    if fields["recipient"] != agency:
        raise InvalidMessage("wrong_recipient", kid=fields["enc_kid"])
    sealed = Sealed(fields["enc_kid"], fields["suite"], b64decode(fields["ct"]))
    plaintext = open_sealed(ring, agency, sealed, message_id=fields["message_id"], now=now)
    return DeliveryContents(
        plaintext=plaintext,
        rule_id=fields["rule_id"],
        protocol_version=fields["protocol_version"],
        source_sig_sha256=fields["source_sig_sha256"],
        message_id=fields["message_id"],
    )
