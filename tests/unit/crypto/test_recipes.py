"""The recipes and envelopes round-trip, for both suites, and misuse is a programmer's error."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

import pytest

from hub import PeerError
from hub.crypto import (
    HPKE_HYBRID,
    HPKE_X25519,
    OPAQUE_MESSAGE,
    InvalidMessage,
    KeyRegistry,
    Sealed,
    Signature,
    generate_document,
    open_delivery,
    open_sealed,
    open_source,
    seal,
    seal_delivery,
    seal_source,
    sign,
    verify,
)
from tests.unit.crypto.conftest import CLASSIC, NOW, PQ, SOURCE, Parties

NOTIFICATION = b'{"id":"r-1","note":"synthetic"}'


@pytest.mark.parametrize(("recipient", "suite"), [(CLASSIC, HPKE_X25519), (PQ, HPKE_HYBRID)])
def test_source_then_delivery_round_trips(recipient: str, suite: str, parties: Parties) -> None:
    """A source's notification opens at the hub; the hub's sealed view opens for the recipient."""
    registry, hub = parties.registry, parties.ring("hub")
    envelope = seal_source(
        parties.ring(SOURCE), registry, SOURCE, NOTIFICATION, message_id="r-1", now=NOW
    )
    source = open_source(hub, registry, envelope, now=NOW)

    delivery = seal_delivery(
        hub,
        registry,
        recipient,
        b"view",
        message_id="r-1",
        rule_id="rule-7",
        protocol_version="p-2",
        source_sig=source.source_sig,
        now=NOW,
    )
    contents = open_delivery(parties.ring(recipient), registry, recipient, delivery, now=NOW)

    assert (source.agency, source.notification) == (SOURCE, NOTIFICATION)
    assert json.loads(delivery)["suite"] == suite
    assert (contents.plaintext, contents.rule_id, contents.protocol_version) == (
        b"view",
        "rule-7",
        "p-2",
    )


def test_a_post_quantum_hub_receives_source_envelopes(parties: Parties) -> None:
    """Sources seal to a hub whose encryption key is ML-KEM-768+X25519 with the hybrid suite."""
    from hub.crypto import KeyRing  # noqa: PLC0415

    pq_hub = generate_document("hub", NOW, pq=True)
    documents = {**parties.documents, "hub": pq_hub}
    registry = KeyRegistry(d.public() for d in documents.values())

    envelope = seal_source(
        parties.ring(SOURCE), registry, SOURCE, NOTIFICATION, message_id="r-2", now=NOW
    )

    assert json.loads(envelope)["suite"] == HPKE_HYBRID
    assert open_source(KeyRing(pq_hub), registry, envelope, now=NOW).notification == NOTIFICATION


@pytest.mark.parametrize(("recipient", "overhead"), [(CLASSIC, 32 + 16), (PQ, 1120 + 16)])
def test_sealed_size_overhead(recipient: str, overhead: int, parties: Parties) -> None:
    """A seal adds the KEM's enc (32 or 1,120 bytes) and a 16-byte tag."""
    sealed = seal(parties.registry, recipient, b"x" * 100, message_id="m", now=NOW)

    assert len(sealed.ciphertext) == 100 + overhead


def test_sign_and_verify(parties: Parties) -> None:
    """A signature verifies for its data and agency only."""
    registry = parties.registry
    signature = sign(parties.ring(SOURCE), b"data", NOW)
    verify(registry, SOURCE, signature, b"data", NOW)

    for data, value in [(b"other", signature.value), (b"data", signature.value[:-1])]:
        with pytest.raises(InvalidMessage) as caught:
            verify(registry, SOURCE, Signature(signature.kid, value), data, NOW)
        assert caught.value.reason == "bad_signature"


def test_invalid_message_is_opaque_and_in_the_tree() -> None:
    """Every InvalidMessage reads the same, is a PeerError, and accepts only known reasons."""
    errors = [InvalidMessage("bad_signature", kid="k"), InvalidMessage("decrypt_failed")]

    assert {str(error) for error in errors} == {OPAQUE_MESSAGE}
    assert all(isinstance(error, PeerError) for error in errors)
    assert "bad_signature" in repr(errors[0])
    with pytest.raises(ValueError, match="unknown InvalidMessage reason"):
        InvalidMessage("because")  # type: ignore[arg-type]


def _misuse(parties: Parties) -> dict[str, tuple[Callable[[], object], type[Exception]]]:
    registry, hub, police = parties.registry, parties.ring("hub"), parties.ring(CLASSIC)
    naive = datetime(2026, 1, 1)  # noqa: DTZ001 - the point of the test
    sealed = seal(registry, CLASSIC, b"x", message_id="m", now=NOW)
    text_sealed = Sealed(sealed.kid, sealed.suite, "x")  # type: ignore[arg-type]
    return {
        "naive now": (lambda: sign(police, b"x", naive), ValueError),
        "str data": (lambda: sign(police, "x", NOW), TypeError),  # type: ignore[arg-type]
        "str plaintext": (
            lambda: seal(registry, CLASSIC, "x", message_id="m", now=NOW),  # type: ignore[arg-type]
            TypeError,
        ),
        "newline in id": (
            lambda: seal(registry, CLASSIC, b"x", message_id="a\nb", now=NOW),
            ValueError,
        ),
        "another's ring": (
            lambda: open_sealed(hub, CLASSIC, sealed, message_id="m", now=NOW),
            ValueError,
        ),
        "sign as another": (
            lambda: seal_source(police, registry, SOURCE, b"x", message_id="m", now=NOW),
            ValueError,
        ),
        "agency ring as hub": (lambda: open_source(police, registry, b"{}", now=NOW), ValueError),
        "str envelope": (
            lambda: open_delivery(police, registry, CLASSIC, "{}", now=NOW),  # type: ignore[arg-type]
            TypeError,
        ),
        "str ciphertext": (
            lambda: open_sealed(police, CLASSIC, text_sealed, message_id="m", now=NOW),
            TypeError,
        ),
    }


MISUSES = (
    "naive now",
    "str data",
    "str plaintext",
    "newline in id",
    "another's ring",
    "sign as another",
    "agency ring as hub",
    "str envelope",
    "str ciphertext",
)


@pytest.mark.parametrize("name", MISUSES)
def test_misuse_raises_value_or_type_errors(name: str, parties: Parties) -> None:
    """Naive times, str for bytes, bad ids and rings of the wrong agency are programmer errors."""
    action, error = _misuse(parties)[name]

    with pytest.raises(error):
        action()
