"""amqps: the broker's TLS listener (scripts/services/rabbitmq.sh), reached by
:class:`hub.delivery.Broker` with an ``amqps://...?cafile=`` URL; a wrong CA is refused."""

from __future__ import annotations

import datetime
import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hub import BrokerUnavailable
from hub.delivery import Broker
from tests.integration.conftest import AMQP_URL, REPO

AMQP_PORT = urlsplit(AMQP_URL).port or 5672
# The script's default: the port below the AMQP port (5671 beside 5672).
TLS_PORT = int(os.environ.get("HUB_AMQP_TLS_PORT", str(AMQP_PORT - 1)))


def _amqps_url(cafile: Path) -> str:
    return f"amqps://guest:guest@127.0.0.1:{TLS_PORT}/?cafile={cafile}"


def _broker_ca() -> Path:
    """The throwaway CA the script made for this broker."""
    printed = subprocess.run(  # noqa: S603  # our own script, fixed arguments
        [str(REPO / "scripts/services/rabbitmq.sh"), "tls-ca"],
        env={**os.environ, "HUB_AMQP_PORT": str(AMQP_PORT)},
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return Path(printed.stdout.strip())


def _other_ca(path: Path) -> Path:
    """A self-signed CA that signed nothing the broker holds."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not the broker's CA")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


async def test_the_broker_connects_over_amqps_with_the_brokers_ca() -> None:
    """With the CA that signed the broker's certificate, Broker connects over TLS."""
    broker = Broker(_amqps_url(_broker_ca()))
    try:
        await broker.connect()
        version = broker.server_version
        connected = broker.connected
    finally:
        await broker.close()
    assert connected
    assert version.startswith(("3.", "4."))


async def test_amqps_with_another_ca_is_refused(tmp_path: Path) -> None:
    """With a CA that did not sign the broker's certificate, the TLS handshake fails and the
    connection is refused as BrokerUnavailable, caused by a certificate verification error."""
    broker = Broker(_amqps_url(_other_ca(tmp_path / "other-ca.pem")))
    with pytest.raises(BrokerUnavailable) as refused:
        await broker.connect()
    await broker.close()
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value.__cause__)
