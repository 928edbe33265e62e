"""The library an agency posts with from its own edge: it seals and signs its notifications and
signs each HTTP request, holding its own private document and the hub's public one.

The hub's API then needs no key of the agency: it checks the request signature and the
envelope's header with public keys, and only the router (which holds the hub's key) opens the
envelope. docs/wire-format.md §5a says what goes on the wire.

Rules:

1. :func:`seal_and_sign` makes a source envelope of the *exact* notification bytes given (the
   agency's own signature over them, sealed to the hub's newest encryption key) and signs the
   POST of it: the answer is the body and the headers to send, with the bearer token.
2. :func:`sign_request` signs any other post (canonical JSON, native records) the same way.
3. Each call makes a fresh nonce; a retry of the same post must be signed again (the hub
   accepts each nonce once), and the same envelope bytes again are then a duplicate, not new.

Example::

    keys = KeyMaterial(Path("/etc/agency/keys"), own=("northumberland-childrens",))
    body, headers = seal_and_sign(keys, "northumberland-childrens", notification_bytes,
                                  url="https://hub.example/v1/notifications", now=utc_now())
    headers["Authorization"] = f"Bearer {token}"
    requests.post("https://hub.example/v1/notifications", data=body, headers=headers)
"""

from __future__ import annotations

import json
from datetime import datetime

from hub.crypto import KeyMaterial
from hub.messages import SOURCE_CONTENT_TYPE

__all__ = ["ENVELOPE_CONTENT_TYPE", "seal_and_sign", "sign_request"]

ENVELOPE_CONTENT_TYPE = SOURCE_CONTENT_TYPE


def sign_request(
    keys: KeyMaterial,
    agency: str,
    *,
    url: str,
    content_type: str,
    body: bytes,
    now: datetime,
    method: str = "POST",
    nonce: str | None = None,
) -> dict[str, str]:
    """The ``Content-Type``, ``Content-Digest`` and signature headers for this request (rule 2)."""
    headers = {"Content-Type": content_type}
    signed = keys.sign_request(
        agency, method=method, url=url, headers=headers, body=body, now=now, nonce=nonce
    )
    return {**headers, **signed}


def seal_and_sign(
    keys: KeyMaterial,
    agency: str,
    notification: bytes,
    *,
    url: str,
    now: datetime,
    message_id: str | None = None,
    nonce: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    """The envelope of ``notification`` and the headers that sign its POST to ``url`` (rule 1).

    ``message_id`` defaults to the notification's own ``id``, which the hub requires it to be.
    """
    if message_id is None:
        message_id = str(json.loads(notification)["id"])
    envelope = keys.seal_source(agency, notification, message_id=message_id, now=now)
    headers = sign_request(
        keys,
        agency,
        url=url,
        content_type=ENVELOPE_CONTENT_TYPE,
        body=envelope,
        now=now,
        nonce=nonce,
    )
    return envelope, headers
