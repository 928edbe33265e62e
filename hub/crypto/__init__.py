"""Cryptography recipes: sign, verify, seal and open; key documents, registry, ring and rotation.

The rest of the hub calls only what this package exports. Suites, key encodings and the
``cryptography`` hazmat primitives stay private (``_primitives``). docs/wire-format.md describes
the formats for agencies implementing them in another language.

Errors (one tree, :mod:`hub._exceptions`):

- :class:`InvalidMessage` (a ``PeerError``): any failed verification or decryption of what a
  peer sent. ``str()`` is always ``"invalid message"``; ``.reason`` (a short code) and ``.kid``
  are for the audit log.
- :class:`hub.ConfigurationError`: no usable key of our own, or an unreadable key file.
- ``ValueError`` / ``TypeError``: programmer misuse (naive datetimes, ``str`` for ``bytes``,
  a ring used for another agency).

Typical use, through :class:`KeyMaterial`, which holds the keys and offers the operations::

    keys = KeyMaterial(settings.keys_dir, own=("hub",))     # every public key, our private ring
    source = keys.open_source(body, now=clock())             # verified, not yet parsed
    envelope = keys.seal_delivery("northumbria-police", view_bytes, message_id=...,
                                  rule_id=..., protocol_version=...,
                                  source_sig=source.source_sig, now=clock())

The free functions (``seal_source``, ``open_delivery``...) take a ring and a registry
explicitly; they are the recipes ``KeyMaterial`` binds, and what the known-answer tests drive.
"""

from hub._exceptions import OPAQUE_MESSAGE, REASONS, InvalidMessage, Reason
from hub.crypto._audit_macs import (
    AUDIT_MAC_FILE,
    AUDIT_MAC_VERSION,
    AuditMacKeys,
    audit_mac,
    rotate_audit_mac_key,
)
from hub.crypto._envelopes import (
    DELIVERY_FIELDS,
    DELIVERY_SIGNED_FIELDS,
    DELIVERY_VERSION,
    SOURCE_FIELDS,
    SOURCE_VERSION,
    DeliveryContents,
    SourceContents,
    SourceHeader,
    check_source_header,
    delivery_header,
    open_delivery,
    open_source,
    seal_delivery,
    seal_source,
)
from hub.crypto._keys import (
    AGENCY_ID_PATTERN,
    HUB_AGENCY,
    KeyDocument,
    KeyRecord,
    PrivateKeyDocument,
    PrivateKeyRecord,
    newest_usable,
)
from hub.crypto._material import KeyMaterial, provision_keys
from hub.crypto._primitives import ED25519, HPKE_HYBRID, HPKE_X25519, Algorithm, KeyUse
from hub.crypto._recipes import Sealed, Signature, hpke_info, open_sealed, seal, sign, verify
from hub.crypto._registry import KeyRegistry, KeyRing
from hub.crypto._request_signatures import (
    NONCE_PATTERN,
    REQUEST_SIGNATURE_LABEL,
    REQUIRED_COMPONENTS,
    HttpRequest,
    VerifiedRequest,
    is_signed,
    sign_request,
    verify_request,
)
from hub.crypto._rotation import (
    DEFAULT_LIFETIME,
    DEFAULT_OVERLAP,
    KeyRotation,
    generate_document,
    generate_key,
)
from hub.crypto._store import KeyStore

__all__ = [
    "AGENCY_ID_PATTERN",
    "AUDIT_MAC_FILE",
    "AUDIT_MAC_VERSION",
    "DEFAULT_LIFETIME",
    "DEFAULT_OVERLAP",
    "DELIVERY_FIELDS",
    "DELIVERY_SIGNED_FIELDS",
    "DELIVERY_VERSION",
    "ED25519",
    "HPKE_HYBRID",
    "HPKE_X25519",
    "HUB_AGENCY",
    "NONCE_PATTERN",
    "OPAQUE_MESSAGE",
    "REASONS",
    "REQUEST_SIGNATURE_LABEL",
    "REQUIRED_COMPONENTS",
    "SOURCE_FIELDS",
    "SOURCE_VERSION",
    "Algorithm",
    "AuditMacKeys",
    "DeliveryContents",
    "HttpRequest",
    "InvalidMessage",
    "KeyDocument",
    "KeyMaterial",
    "KeyRecord",
    "KeyRegistry",
    "KeyRing",
    "KeyRotation",
    "KeyStore",
    "KeyUse",
    "PrivateKeyDocument",
    "PrivateKeyRecord",
    "Reason",
    "Sealed",
    "Signature",
    "SourceContents",
    "SourceHeader",
    "VerifiedRequest",
    "audit_mac",
    "check_source_header",
    "delivery_header",
    "generate_document",
    "generate_key",
    "hpke_info",
    "is_signed",
    "newest_usable",
    "open_delivery",
    "open_sealed",
    "open_source",
    "provision_keys",
    "rotate_audit_mac_key",
    "seal",
    "seal_delivery",
    "seal_source",
    "sign",
    "sign_request",
    "verify",
    "verify_request",
]
