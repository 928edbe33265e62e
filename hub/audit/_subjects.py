"""How the audit log names a subject: by a token under that subject's own random key.

Rules:

1. A subject is known to the hub by pseudonyms (:mod:`hub.pseudonyms`: HMACs of its local id,
   NHS number and UPN under the deployment's key). Each pseudonym gets one random key of
   :data:`SUBJECT_KEY_BYTES` bytes the first time it is audited, kept in ``subject_keys``.
2. Audit records name the subject by :func:`subject_token`, an HMAC under that key; never by the
   pseudonym itself, which anyone holding the deployment key and an identifier can recompute.
3. Erasure deletes the keys (crypto-shredding). The tokens already in the records, and so the
   hash chain over them, stay exactly as they were, and verification still passes; but nobody
   can compute them from an identifier again, so the records no longer point to the person.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

__all__ = ["SUBJECT_KEY_BYTES", "subject_token"]

SUBJECT_KEY_BYTES: Final = 32
_LABEL: Final = b"sehub-audit-subject-1"


def subject_token(key: bytes) -> str:
    """The token that names, in the audit log, the subject whose key this is (hex)."""
    if len(key) != SUBJECT_KEY_BYTES:
        raise ValueError(f"a subject key is {SUBJECT_KEY_BYTES} bytes")
    return hmac.new(key, _LABEL, hashlib.sha256).hexdigest()
