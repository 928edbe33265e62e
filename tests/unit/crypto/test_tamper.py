"""Tampering: every altered, replayed, misaddressed or malformed message is one opaque error."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.crypto import (
    OPAQUE_MESSAGE,
    InvalidMessage,
    KeyRegistry,
    KeyRotation,
    open_delivery,
    open_sealed,
    open_source,
    seal,
    seal_delivery,
    seal_source,
    sign,
)
from hub.crypto._codec import b64decode, b64encode
from hub.crypto._envelopes import delivery_signing_input
from tests.unit.crypto.conftest import CLASSIC, NOW, PQ, SOURCE, Parties

NOTIFICATION = b'{"id":"t-1","note":"synthetic"}'
VIEW = b'{"note":"synthetic view"}'


def rejected(action: Callable[[], object]) -> InvalidMessage:
    """Run ``action``; it must raise InvalidMessage with the opaque text. Return the error."""
    with pytest.raises(InvalidMessage) as caught:
        action()
    assert str(caught.value) == OPAQUE_MESSAGE
    return caught.value


def flip_text(value: str) -> str:
    """Flip the lowest bit of the last character."""
    return value[:-1] + chr(ord(value[-1]) ^ 1)


def flip_b64(value: str) -> str:
    """Flip one bit in the middle of the decoded bytes, re-encoded canonically."""
    data = bytearray(b64decode(value))
    data[len(data) // 2] ^= 0x01
    return b64encode(bytes(data))


def flip_hex(value: str) -> str:
    """Flip one bit of a hex digest, keeping it hex."""
    return f"{int(value[:2], 16) ^ 1:02x}{value[2:]}"


def shorten(value: str) -> str:
    """Drop the last eight bytes of a base64url value."""
    return b64encode(b64decode(value)[:-8])


def signature_member(envelope: bytes) -> str:
    """The member holding the signature, which is decoded before anything is verified."""
    return "sig" if "sig" in json.loads(envelope) else "hub_sig"


def altered(envelope: bytes, **changes: str) -> bytes:
    fields = json.loads(envelope)
    fields.update(changes)
    return json.dumps(fields).encode()


@pytest.fixture(scope="module")
def registry(parties: Parties) -> KeyRegistry:
    return parties.registry


@pytest.fixture(scope="module")
def source_envelope(parties: Parties, registry: KeyRegistry) -> bytes:
    ring = parties.ring(SOURCE)
    return seal_source(ring, registry, SOURCE, NOTIFICATION, message_id="t-1", now=NOW)


@pytest.fixture(scope="module")
def delivery_envelope(parties: Parties, registry: KeyRegistry) -> bytes:
    return seal_delivery(
        parties.ring("hub"),
        registry,
        CLASSIC,
        VIEW,
        message_id="t-1",
        rule_id="rule-1",
        protocol_version="p-1",
        source_sig=b"\x01" * 64,
        now=NOW,
    )


@dataclass(frozen=True)
class World:
    """The parties, their registry, and one genuine envelope of each kind."""

    parties: Parties
    registry: KeyRegistry
    source: bytes
    delivery: bytes


@pytest.fixture(scope="module")
def world(
    parties: Parties, registry: KeyRegistry, source_envelope: bytes, delivery_envelope: bytes
) -> World:
    return World(parties, registry, source_envelope, delivery_envelope)


def resigned(parties: Parties, envelope: bytes, **changes: str) -> bytes:
    """The envelope with ``changes``, signed again by the genuine hub (to test the other checks)."""
    fields = json.loads(envelope)
    fields.update(changes)
    signature = sign(parties.ring("hub"), delivery_signing_input(fields), NOW)
    fields.update(hub_kid=signature.kid, hub_sig=b64encode(signature.value))
    return json.dumps(fields).encode()


DELIVERY_FIELD_TAMPERS: list[tuple[str, Callable[[str], str], str]] = [
    ("v", flip_text, "unsupported_version"),
    ("recipient", flip_text, "bad_signature"),
    ("message_id", flip_text, "bad_signature"),
    ("rule_id", flip_text, "bad_signature"),
    ("protocol_version", flip_text, "bad_signature"),
    ("source_sig_sha256", flip_hex, "bad_signature"),
    ("enc_kid", flip_text, "bad_signature"),
    ("suite", flip_text, "bad_signature"),
    ("ct", flip_b64, "bad_signature"),
    ("hub_sig", flip_b64, "bad_signature"),
    ("hub_kid", flip_text, "unknown_kid"),
]


@pytest.mark.parametrize(
    ("field", "flip", "reason"), DELIVERY_FIELD_TAMPERS, ids=[t[0] for t in DELIVERY_FIELD_TAMPERS]
)
def test_a_flipped_bit_in_any_delivery_field_is_rejected(
    field: str, flip: Callable[[str], str], reason: str, world: World
) -> None:
    """A one-bit change in any member of a delivery envelope fails, before decryption."""
    fields = json.loads(world.delivery)
    tampered = altered(world.delivery, **{field: flip(fields[field])})
    ring = world.parties.ring(CLASSIC)

    error = rejected(lambda: open_delivery(ring, world.registry, CLASSIC, tampered, now=NOW))

    assert error.reason == reason


SOURCE_FIELD_TAMPERS: list[tuple[str, Callable[[str], str], str]] = [
    ("v", flip_text, "unsupported_version"),
    ("source", flip_text, "unknown_agency"),
    ("message_id", flip_text, "decrypt_failed"),
    ("sig_kid", flip_text, "unknown_kid"),
    ("sig", flip_b64, "bad_signature"),
    ("enc_kid", flip_text, "unknown_kid"),
    ("suite", flip_text, "suite_mismatch"),
    ("ct", flip_b64, "decrypt_failed"),
]


@pytest.mark.parametrize(
    ("field", "flip", "reason"), SOURCE_FIELD_TAMPERS, ids=[t[0] for t in SOURCE_FIELD_TAMPERS]
)
def test_a_flipped_bit_in_any_source_field_is_rejected(
    field: str, flip: Callable[[str], str], reason: str, world: World
) -> None:
    """A one-bit change in any member of a source envelope fails at the hub."""
    fields = json.loads(world.source)
    tampered = altered(world.source, **{field: flip(fields[field])})
    hub = world.parties.ring("hub")

    error = rejected(lambda: open_source(hub, world.registry, tampered, now=NOW))

    assert error.reason == reason


def test_truncated_envelopes_are_rejected(
    parties: Parties, registry: KeyRegistry, source_envelope: bytes, delivery_envelope: bytes
) -> None:
    """A cut-short envelope, or one whose ciphertext is cut short, fails."""
    hub, police = parties.ring("hub"), parties.ring(CLASSIC)
    short_source_ct = altered(source_envelope, ct=shorten(json.loads(source_envelope)["ct"]))
    short_delivery_ct = altered(delivery_envelope, ct=shorten(json.loads(delivery_envelope)["ct"]))
    cases = [
        (lambda: open_source(hub, registry, source_envelope[:-20], now=NOW), "malformed"),
        (
            lambda: open_delivery(police, registry, CLASSIC, delivery_envelope[:40], now=NOW),
            "malformed",
        ),
        (lambda: open_source(hub, registry, short_source_ct, now=NOW), "decrypt_failed"),
        (
            lambda: open_delivery(police, registry, CLASSIC, short_delivery_ct, now=NOW),
            "bad_signature",
        ),
    ]
    assert [rejected(action).reason for action, _ in cases] == [reason for _, reason in cases]


def test_a_delivery_for_another_agency_is_refused(
    parties: Parties, registry: KeyRegistry, delivery_envelope: bytes
) -> None:
    """A genuine delivery to the police, opened as health, fails with wrong_recipient."""
    error = rejected(
        lambda: open_delivery(parties.ring(PQ), registry, PQ, delivery_envelope, now=NOW)
    )

    assert error.reason == "wrong_recipient"


def test_readdressing_a_sealed_view_to_another_agency_fails(
    parties: Parties, registry: KeyRegistry, delivery_envelope: bytes
) -> None:
    """Even signed by the hub, a view sealed to the police cannot be opened as health's."""
    readdressed = resigned(parties, delivery_envelope, recipient=PQ)

    error = rejected(lambda: open_delivery(parties.ring(PQ), registry, PQ, readdressed, now=NOW))

    assert error.reason == "kid_agency_mismatch"


def test_info_binds_the_recipient(parties: Parties, registry: KeyRegistry) -> None:
    """HPKE info names the recipient: the right key with another recipient's info fails."""
    from hub.crypto._primitives import hpke_open, load_decryption_key  # noqa: PLC0415

    sealed = seal(registry, CLASSIC, VIEW, message_id="t-1", now=NOW)
    key = parties.documents[CLASSIC].keys[1]
    private = load_decryption_key(key.alg, key.private_bytes)
    from hub.crypto import hpke_info  # noqa: PLC0415

    assert hpke_open(key.alg, private, sealed.ciphertext, hpke_info(CLASSIC, "t-1")) == VIEW
    rejected(lambda: hpke_open(key.alg, private, sealed.ciphertext, hpke_info(PQ, "t-1")))


def test_replay_under_another_message_id_fails(
    parties: Parties, registry: KeyRegistry, source_envelope: bytes, delivery_envelope: bytes
) -> None:
    """A sealed payload replayed under a new message id never opens, even re-signed by the hub."""
    hub, police = parties.ring("hub"), parties.ring(CLASSIC)
    sealed = seal(registry, CLASSIC, VIEW, message_id="t-1", now=NOW)
    replayed = resigned(parties, delivery_envelope, message_id="t-2")
    actions: list[Callable[[], object]] = [
        lambda: open_sealed(police, CLASSIC, sealed, message_id="t-2", now=NOW),
        lambda: open_source(hub, registry, altered(source_envelope, message_id="t-2"), now=NOW),
        lambda: open_delivery(police, registry, CLASSIC, replayed, now=NOW),
    ]
    assert {rejected(action).reason for action in actions} == {"decrypt_failed"}


def test_a_kid_of_another_agency_is_refused(
    parties: Parties, registry: KeyRegistry, source_envelope: bytes, delivery_envelope: bytes
) -> None:
    """A real key of agency A named where agency B's key belongs fails with kid_agency_mismatch."""
    police_sig = parties.documents[CLASSIC].keys[0].kid
    police_enc = parties.documents[CLASSIC].keys[1].kid
    hub, police = parties.ring("hub"), parties.ring(CLASSIC)
    actions: list[Callable[[], object]] = [
        lambda: open_source(hub, registry, altered(source_envelope, sig_kid=police_sig), now=NOW),
        lambda: open_source(hub, registry, altered(source_envelope, enc_kid=police_enc), now=NOW),
        lambda: open_delivery(
            police, registry, CLASSIC, altered(delivery_envelope, hub_kid=police_sig), now=NOW
        ),
    ]
    assert {rejected(action).reason for action in actions} == {"kid_agency_mismatch"}


def test_a_key_of_the_wrong_use_is_refused(
    parties: Parties, registry: KeyRegistry, source_envelope: bytes
) -> None:
    """The source's encryption kid named as its signing kid fails with wrong_key_use."""
    source_enc = parties.documents[SOURCE].keys[1].kid
    tampered = altered(source_envelope, sig_kid=source_enc)

    error = rejected(lambda: open_source(parties.ring("hub"), registry, tampered, now=NOW))

    assert (error.reason, error.kid) == ("wrong_key_use", source_enc)


def test_expired_keys_are_refused(
    parties: Parties, registry: KeyRegistry, source_envelope: bytes, delivery_envelope: bytes
) -> None:
    """After the keys' exp, genuine envelopes no longer open: expired_key."""
    later = NOW + timedelta(days=366)
    hub, police = parties.ring("hub"), parties.ring(CLASSIC)
    actions: list[Callable[[], object]] = [
        lambda: open_source(hub, registry, source_envelope, now=later),
        lambda: open_delivery(police, registry, CLASSIC, delivery_envelope, now=later),
    ]
    assert {rejected(action).reason for action in actions} == {"expired_key"}


def test_not_yet_valid_keys_are_refused(
    parties: Parties, registry: KeyRegistry, delivery_envelope: bytes
) -> None:
    """Before a key's nbf it verifies nothing: key_not_yet_valid."""
    earlier = NOW - timedelta(seconds=1)
    police = parties.ring(CLASSIC)

    error = rejected(
        lambda: open_delivery(police, registry, CLASSIC, delivery_envelope, now=earlier)
    )

    assert error.reason == "key_not_yet_valid"


def test_retired_keys_are_refused(parties: Parties, delivery_envelope: bytes) -> None:
    """A retired hub signing key, or a retired recipient key, stops a genuine delivery opening."""
    rotation = KeyRotation()
    hub_doc, police_doc = parties.documents["hub"], parties.documents[CLASSIC]
    hub_retired = rotation.retire(hub_doc, hub_doc.keys[0].kid, NOW)
    police_retired = rotation.retire(police_doc, police_doc.keys[1].kid, NOW)
    others = [d.public() for a, d in parties.documents.items() if a != "hub"]
    registry_without_hub_key = KeyRegistry([hub_retired.public(), *others])
    from hub.crypto import KeyRing  # noqa: PLC0415

    actions: list[Callable[[], object]] = [
        lambda: open_delivery(
            parties.ring(CLASSIC), registry_without_hub_key, CLASSIC, delivery_envelope, now=NOW
        ),
        lambda: open_delivery(
            KeyRing(police_retired), parties.registry, CLASSIC, delivery_envelope, now=NOW
        ),
    ]
    assert {rejected(action).reason for action in actions} == {"retired_key"}


def _resignature(envelope: bytes, change: Callable[[str], str]) -> bytes:
    member = signature_member(envelope)
    return altered(envelope, **{member: change(json.loads(envelope)[member])})


MALFORMED: list[tuple[str, Callable[[bytes], bytes]]] = [
    ("not json", lambda _: b"not json at all"),
    ("not utf-8", lambda _: b"\xff\xfe{}"),
    ("json array", lambda _: b"[]"),
    (
        "missing v",
        lambda e: json.dumps({k: v for k, v in json.loads(e).items() if k != "v"}).encode(),
    ),
    (
        "missing member",
        lambda e: json.dumps({k: v for k, v in json.loads(e).items() if k != "ct"}).encode(),
    ),
    ("extra member", lambda e: altered(e, extra="x")),
    ("number member", lambda e: json.dumps({**json.loads(e), "message_id": 7}).encode()),
    ("duplicate member", lambda e: e[:-1] + b',"message_id":"t-9"}'),
    ("padded base64", lambda e: _resignature(e, lambda sig: sig + "==")),
    ("standard base64", lambda e: _resignature(e, lambda sig: "+/" + sig[2:])),
    ("non-canonical base64", lambda e: _resignature(e, lambda sig: sig[:-1] + "_")),
    ("base64 of bad length", lambda e: _resignature(e, lambda sig: sig + "AAA")),
    ("control character", lambda e: altered(e, message_id="t-1\n")),
    ("lone surrogate", lambda e: altered(e, message_id="t-\ud800")),
    ("huge number", lambda _: b'{"v": 1' + b"0" * 5000 + b"}"),
]


@pytest.mark.parametrize(("name", "mangle"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_envelopes_are_rejected(
    name: str, mangle: Callable[[bytes], bytes], world: World
) -> None:
    """Bad JSON, wrong members, bad base64url or bad header text fail with reason malformed."""
    hub, police = world.parties.ring("hub"), world.parties.ring(CLASSIC)
    source, delivery = mangle(world.source), mangle(world.delivery)

    reasons: set[Any] = {
        rejected(lambda: open_source(hub, world.registry, source, now=NOW)).reason,
        rejected(lambda: open_delivery(police, world.registry, CLASSIC, delivery, now=NOW)).reason,
    }

    assert reasons == {"malformed"}, name


@settings(max_examples=300, deadline=None)
@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_any_single_bit_flip_anywhere_is_one_opaque_error(
    position: int, bit: int, world: World
) -> None:
    """Flipping any one bit of either envelope's bytes raises InvalidMessage and nothing else."""
    hub, police = world.parties.ring("hub"), world.parties.ring(CLASSIC)
    for envelope, action in [
        (world.source, lambda body: open_source(hub, world.registry, body, now=NOW)),
        (
            world.delivery,
            lambda body: open_delivery(police, world.registry, CLASSIC, body, now=NOW),
        ),
    ]:
        body = bytearray(envelope)
        body[position % len(body)] ^= 1 << bit
        rejected(partial(action, bytes(body)))
