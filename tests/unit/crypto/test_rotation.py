"""Rotation without downtime: new kids seal and sign at once, old kids open until they expire."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from hub.crypto import (
    HPKE_HYBRID,
    InvalidMessage,
    KeyRegistry,
    KeyRing,
    KeyRotation,
    PrivateKeyDocument,
    open_sealed,
    seal,
    sign,
    verify,
)
from tests.unit.crypto.conftest import CLASSIC, NOW, Parties, make_parties, seed

ROTATED_AT = NOW + timedelta(days=30)
OVERLAP = timedelta(days=7)


def registry_with(parties: Parties, document: PrivateKeyDocument) -> KeyRegistry:
    """The registry after ``document``'s agency republished its public keys."""
    documents = {**parties.documents, document.agency: document}
    return KeyRegistry(doc.public() for doc in documents.values())


@pytest.fixture
def parties_() -> Parties:
    return make_parties()


def test_new_seals_use_the_new_kid_and_old_ones_open_until_exp(parties_: Parties) -> None:
    """After rotating, seals use the new kid; an old seal opens until the old key's exp only."""
    old_sealed = seal(parties_.registry, CLASSIC, b"before", message_id="m-1", now=NOW)
    rotated, new_key = KeyRotation(overlap=OVERLAP).rotate(
        parties_.documents[CLASSIC], "enc", ROTATED_AT
    )
    registry, ring = registry_with(parties_, rotated), KeyRing(rotated)

    new_sealed = seal(registry, CLASSIC, b"after", message_id="m-2", now=ROTATED_AT)
    assert new_sealed.kid == new_key.kid != old_sealed.kid
    just_before_exp = ROTATED_AT + OVERLAP - timedelta(seconds=1)
    assert (
        open_sealed(ring, CLASSIC, old_sealed, message_id="m-1", now=just_before_exp) == b"before"
    )
    assert open_sealed(ring, CLASSIC, new_sealed, message_id="m-2", now=just_before_exp) == b"after"

    with pytest.raises(InvalidMessage) as caught:
        open_sealed(ring, CLASSIC, old_sealed, message_id="m-1", now=ROTATED_AT + OVERLAP)
    assert (caught.value.reason, caught.value.kid) == ("expired_key", old_sealed.kid)


def test_new_signatures_use_the_new_kid_and_old_ones_verify_until_exp(parties_: Parties) -> None:
    """After rotating, signatures use the new kid; an old one verifies until the old key's exp."""
    old_signature = sign(parties_.ring(CLASSIC), b"data", NOW)
    rotated, new_key = KeyRotation(overlap=OVERLAP).rotate(
        parties_.documents[CLASSIC], "sig", ROTATED_AT
    )
    registry = registry_with(parties_, rotated)

    new_signature = sign(KeyRing(rotated), b"data", ROTATED_AT)
    assert new_signature.kid == new_key.kid != old_signature.kid
    verify(registry, CLASSIC, old_signature, b"data", ROTATED_AT + OVERLAP - timedelta(seconds=1))
    verify(registry, CLASSIC, new_signature, b"data", ROTATED_AT + OVERLAP)
    with pytest.raises(InvalidMessage) as caught:
        verify(registry, CLASSIC, old_signature, b"data", ROTATED_AT + OVERLAP)
    assert caught.value.reason == "expired_key"


def test_rotation_shortens_only_later_expiries(parties_: Parties) -> None:
    """The old key's exp becomes now + overlap, unless it already expires sooner."""
    document = parties_.documents[CLASSIC]
    first, _ = KeyRotation(overlap=timedelta(days=30)).rotate(document, "enc", ROTATED_AT)
    second, _ = KeyRotation(overlap=timedelta(days=60)).rotate(first, "enc", ROTATED_AT)
    original_enc = document.keys[1]

    shortened = {key.kid: key.exp for key in second.keys}
    assert shortened[original_enc.kid] == int((ROTATED_AT + timedelta(days=30)).timestamp())
    assert shortened[document.keys[0].kid] == document.keys[0].exp  # the sig key is untouched


def test_activation_delay_keeps_the_old_key_in_use(parties_: Parties) -> None:
    """A key rotated in with a delay is pending; the old key seals until the delay passes."""
    document = parties_.documents[CLASSIC]
    rotated, new_key = KeyRotation(overlap=OVERLAP).rotate(
        document, "enc", ROTATED_AT, activate_after=timedelta(hours=1)
    )
    registry = registry_with(parties_, rotated)

    assert seal(registry, CLASSIC, b"x", message_id="m", now=ROTATED_AT).kid == document.keys[1].kid
    later = ROTATED_AT + timedelta(hours=1)
    assert seal(registry, CLASSIC, b"x", message_id="m", now=later).kid == new_key.kid
    assert {k.kid: k.exp for k in rotated.keys}[document.keys[1].kid] == int(
        (later + OVERLAP).timestamp()
    )


def test_rotation_can_move_an_agency_to_the_post_quantum_suite(parties_: Parties) -> None:
    """Rotating with the hybrid algorithm makes new seals use ML-KEM-768+X25519."""
    rotated, new_key = KeyRotation().rotate(
        parties_.documents[CLASSIC], "enc", ROTATED_AT, alg=HPKE_HYBRID
    )
    sealed = seal(registry_with(parties_, rotated), CLASSIC, b"pq", message_id="m", now=ROTATED_AT)

    assert (sealed.kid, sealed.suite) == (new_key.kid, HPKE_HYBRID)
    assert open_sealed(KeyRing(rotated), CLASSIC, sealed, message_id="m", now=ROTATED_AT) == b"pq"


def test_retire_stops_a_key_at_once(parties_: Parties) -> None:
    """A retired key records when, and no longer opens what was sealed to it."""
    sealed = seal(parties_.registry, CLASSIC, b"x", message_id="m", now=NOW)
    retired = KeyRotation().retire(parties_.documents[CLASSIC], sealed.kid, ROTATED_AT)

    assert {k.kid: k.retired for k in retired.keys}[sealed.kid] == int(ROTATED_AT.timestamp())
    assert open_sealed(KeyRing(retired), CLASSIC, sealed, message_id="m", now=NOW) == b"x"
    with pytest.raises(InvalidMessage) as caught:
        open_sealed(KeyRing(retired), CLASSIC, sealed, message_id="m", now=ROTATED_AT)
    assert caught.value.reason == "retired_key"


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda d: KeyRotation().retire(d, "example-police-enc-20260101-0000", NOW), ValueError),
        (lambda d: KeyRotation().rotate(d, "sig", NOW, alg=HPKE_HYBRID), ValueError),
        (lambda d: KeyRotation(overlap=timedelta(days=-1)), ValueError),
        (lambda d: KeyRotation(overlap=timedelta(days=400)), ValueError),
        (
            lambda d: KeyRotation().rotate(d, "enc", NOW, seed=seed(f"{CLASSIC}/enc", 32)),
            ValueError,
        ),
        (lambda d: KeyRotation().rotate(d, "enc", NOW.replace(tzinfo=None)), ValueError),
    ],
    ids=[
        "unknown kid",
        "wrong alg",
        "negative overlap",
        "overlap past lifetime",
        "same seed",
        "naive",
    ],
)
def test_rotation_misuse_is_a_value_error(
    call: Callable[[PrivateKeyDocument], object], error: type[Exception], parties_: Parties
) -> None:
    """Unknown kids, wrong algorithms, bad durations, reused seeds and naive times raise."""
    with pytest.raises(error):
        call(parties_.documents[CLASSIC])
