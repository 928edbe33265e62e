"""``HUB_TLS_*`` become the API's SSL context: TLS 1.2 or later, client certificates required
with a client CA, and a configuration error for any half-set or unreadable setting."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from hub import ConfigurationError
from hub.api import server_ssl_context
from tests.tls_support import TestCA


@pytest.fixture
def ca(tmp_path: Path) -> TestCA:
    """A throwaway CA."""
    return TestCA(tmp_path / "pki", "hub-test")


def test_no_settings_is_plain_http() -> None:
    """Without a certificate and key the API serves plain HTTP (the demo)."""
    assert server_ssl_context(None, None, None) is None


def test_a_server_certificate_gives_tls_12_or_later_without_client_certificates(
    ca: TestCA,
) -> None:
    """With a certificate and key only, TLS 1.2+ and no client certificate asked for."""
    server = ca.issue("hub-server", server=True)

    context = server_ssl_context(server.cert, server.key, None)

    assert context is not None
    assert context.minimum_version is ssl.TLSVersion.TLSv1_2
    assert context.verify_mode is ssl.CERT_NONE


def test_a_client_ca_requires_client_certificates(ca: TestCA) -> None:
    """With a client CA too, every client must present a certificate (CERT_REQUIRED)."""
    server = ca.issue("hub-server", server=True)

    context = server_ssl_context(server.cert, server.key, ca.cert)

    assert context is not None
    assert context.verify_mode is ssl.CERT_REQUIRED


def test_half_settings_and_unreadable_files_are_configuration_errors(
    ca: TestCA, tmp_path: Path
) -> None:
    """A certificate without its key, a client CA without a server certificate, and missing
    files all stop the start with a ConfigurationError."""
    server = ca.issue("hub-server", server=True)
    absent = tmp_path / "absent.pem"

    for cert, key, client_ca in (
        (server.cert, None, None),
        (None, server.key, None),
        (None, None, ca.cert),
        (absent, server.key, None),
        (server.cert, server.key, absent),
    ):
        with pytest.raises(ConfigurationError):
            server_ssl_context(cert, key, client_ca)
