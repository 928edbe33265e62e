"""Known-answer vectors: the JSON fixtures in ``vectors/`` open, verify and re-sign exactly."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from hub.crypto import (
    KeyRing,
    Sealed,
    Signature,
    hpke_info,
    open_delivery,
    open_sealed,
    open_source,
    sign,
    verify,
)
from hub.crypto._codec import b64decode, b64encode
from hub.crypto._envelopes import delivery_signing_input
from hub.crypto._keys import PrivateKeyRecord
from hub.crypto._primitives import hpke_open, load_decryption_key, public_bytes_of
from tests.unit.crypto.conftest import Parties, load_vector

ED25519 = load_vector("ed25519.json")["cases"]
HPKE = load_vector("hpke.json")["cases"]
SOURCE = load_vector("source-envelope.json")
DELIVERY = load_vector("delivery-envelope.json")
KAT_NOW = datetime.fromtimestamp(DELIVERY["now"], tz=UTC)


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [case["name"] for case in cases]


@pytest.mark.parametrize("case", ED25519, ids=_ids(ED25519))
def test_ed25519_signature_is_the_stored_one(case: dict[str, Any]) -> None:
    """Signing the stored message with the stored seed gives exactly the stored signature."""
    key = ed25519.Ed25519PrivateKey.from_private_bytes(b64decode(case["priv"]))
    message = b64decode(case["message"])

    assert b64encode(key.public_key().public_bytes_raw()) == case["pub"]
    assert b64encode(key.sign(message)) == case["signature"]
    key.public_key().verify(b64decode(case["signature"]), message)


@pytest.mark.parametrize("case", ED25519, ids=_ids(ED25519))
def test_ed25519_vector_verifies_through_the_registry(
    case: dict[str, Any], kat_parties: Parties
) -> None:
    """The recipe ``verify`` accepts each stored signature under its kid."""
    signature = Signature(case["kid"], b64decode(case["signature"]))

    verify(
        kat_parties.registry, "example-childrens", signature, b64decode(case["message"]), KAT_NOW
    )


@pytest.mark.parametrize("case", HPKE, ids=_ids(HPKE))
def test_hpke_stored_ciphertext_opens_to_stored_plaintext(case: dict[str, Any]) -> None:
    """The stored HPKE ciphertext opens with the stored private key and info (a KAT for open)."""
    private = b64decode(case["priv"])
    info = bytes.fromhex(case["info_hex"])

    assert info == hpke_info(case["recipient"], case["message_id"])
    assert b64encode(public_bytes_of(case["alg"], private)) == case["pub"]
    key = load_decryption_key(case["alg"], private)
    assert hpke_open(case["alg"], key, b64decode(case["ciphertext"]), info) == b64decode(
        case["plaintext"]
    )


@pytest.mark.parametrize("case", HPKE, ids=_ids(HPKE))
def test_hpke_vector_opens_through_the_recipe(case: dict[str, Any], kat_parties: Parties) -> None:
    """``open_sealed`` opens the stored ciphertext for its recipient and message id."""
    sealed = Sealed(case["kid"], case["alg"], b64decode(case["ciphertext"]))
    ring = kat_parties.ring(case["recipient"])

    opened = open_sealed(
        ring, case["recipient"], sealed, message_id=case["message_id"], now=KAT_NOW
    )

    assert opened == b64decode(case["plaintext"])


def test_source_envelope_opens_to_the_stored_notification(kat_parties: Parties) -> None:
    """The stored source envelope opens at the hub to the exact notification bytes and signature."""
    contents = open_source(
        kat_parties.ring("hub"), kat_parties.registry, SOURCE["envelope"].encode(), now=KAT_NOW
    )

    assert contents.agency == SOURCE["source"]
    assert contents.message_id == SOURCE["message_id"]
    assert contents.notification == SOURCE["notification"].encode()
    assert b64encode(contents.source_sig) == SOURCE["sig"]


def test_source_signature_is_deterministic(kat_parties: Parties) -> None:
    """Signing the stored notification again gives the envelope's ``sig_kid`` and ``sig``."""
    envelope = json.loads(SOURCE["envelope"])

    signature = sign(kat_parties.ring(SOURCE["source"]), SOURCE["notification"].encode(), KAT_NOW)

    assert (signature.kid, b64encode(signature.value)) == (envelope["sig_kid"], envelope["sig"])


@pytest.mark.parametrize("case", DELIVERY["cases"], ids=_ids(DELIVERY["cases"]))
def test_delivery_envelope_opens_to_the_stored_plaintext(
    case: dict[str, Any], kat_parties: Parties
) -> None:
    """Each stored delivery envelope verifies and opens for its recipient to the stored view."""
    recipient = case["recipient"]

    contents = open_delivery(
        kat_parties.ring(recipient),
        kat_parties.registry,
        recipient,
        case["envelope"].encode(),
        now=KAT_NOW,
    )

    assert contents.plaintext == case["plaintext"].encode()
    assert contents.message_id == DELIVERY["message_id"]
    assert contents.rule_id == DELIVERY["rule_id"]
    assert contents.protocol_version == DELIVERY["protocol_version"]
    assert contents.source_sig_sha256 == case["source_sig_sha256"]
    assert case["source_sig_sha256"] == hashlib.sha256(b64decode(SOURCE["sig"])).hexdigest()


@pytest.mark.parametrize("case", DELIVERY["cases"], ids=_ids(DELIVERY["cases"]))
def test_delivery_signing_input_and_hub_sig_are_the_stored_ones(
    case: dict[str, Any], kat_parties: Parties
) -> None:
    """The signed header is the documented ``\\n``-join, and re-signing it gives ``hub_sig``."""
    fields = json.loads(case["envelope"])
    hub: KeyRing = kat_parties.ring("hub")

    assert delivery_signing_input(fields) == case["signing_input"].encode()
    signature = sign(hub, case["signing_input"].encode(), KAT_NOW)
    assert (signature.kid, b64encode(signature.value)) == (fields["hub_kid"], fields["hub_sig"])


def test_key_vectors_are_self_consistent(kat_parties: Parties) -> None:
    """Each stored key's ``pub`` derives from its ``priv``, and its kid names its agency."""
    for agency, document in kat_parties.documents.items():
        for key in document.keys:
            assert isinstance(key, PrivateKeyRecord)
            assert key.agency == agency
            assert public_bytes_of(key.alg, key.private_bytes) == key.public_bytes
