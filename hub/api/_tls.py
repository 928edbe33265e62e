"""TLS for the HTTP API, and mutual TLS: which agency's certificate a request came with.

Rules:

1. Without ``HUB_TLS_CERT`` and ``HUB_TLS_KEY`` the API serves plain HTTP (the demo, on
   loopback). With them it serves TLS 1.2 or later only; one without the other is a
   :class:`~hub.ConfigurationError`, as is a client CA without them.
2. With ``HUB_TLS_CLIENT_CA`` too, every client must present a certificate issued by that CA
   (``CERT_REQUIRED``): one without, or from another CA, fails the handshake and never reaches
   a handler.
3. A client certificate names no agency by itself: the directory lists each agency's
   certificates by the SHA-256 of their DER bytes (``certificates``), and a request's bearer
   token must belong to the agency its certificate is listed for (:mod:`._context`).
4. Unreadable files are mapped to :class:`~hub.ConfigurationError` naming the setting, never
   the key's bytes.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from aiohttp import web

from hub._exceptions import ConfigurationError
from hub.agencies import certificate_fingerprint

__all__ = ["peer_certificate_fingerprint", "server_ssl_context"]


def server_ssl_context(
    cert: Path | None, key: Path | None, client_ca: Path | None
) -> ssl.SSLContext | None:
    """The server's TLS context (rules 1, 2 and 4), or None for plain HTTP."""
    if cert is None and key is None:
        if client_ca is not None:
            raise ConfigurationError("HUB_TLS_CLIENT_CA needs HUB_TLS_CERT and HUB_TLS_KEY")
        return None
    if cert is None or key is None:
        raise ConfigurationError("HUB_TLS_CERT and HUB_TLS_KEY go together")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigurationError("HUB_TLS_CERT or HUB_TLS_KEY cannot be loaded") from exc
    if client_ca is not None:
        try:
            context.load_verify_locations(cafile=client_ca)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigurationError("HUB_TLS_CLIENT_CA cannot be loaded") from exc
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def peer_certificate_fingerprint(request: web.Request) -> str | None:
    """The SHA-256 (hex) of the client certificate the request's connection presented, if any."""
    transport = request.transport
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    if not isinstance(ssl_object, ssl.SSLObject):
        return None
    der = ssl_object.getpeercert(binary_form=True)
    return certificate_fingerprint(der) if der else None
