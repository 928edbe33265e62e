"""The public-key-only check of a source envelope's header, as an API process without the hub's
private key makes it before committing an agency-sealed envelope."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub.crypto import InvalidMessage, KeyRegistry, check_source_header, seal_source
from tests.unit.crypto.conftest import NOW, Parties, load_vector

VECTOR = load_vector("source-envelope.json")
KAT_NOW = datetime.fromtimestamp(VECTOR["now"], tz=UTC)


def _public_only(parties: Parties) -> KeyRegistry:
    return parties.registry  # public documents only: no ring is consulted


def _envelope(parties: Parties, **changes: Any) -> bytes:
    body = seal_source(
        parties.ring("example-childrens"),
        parties.registry,
        "example-childrens",
        b'{"synthetic":true}',
        message_id="hdr-0001",
        now=NOW,
    )
    fields = {**json.loads(body), **changes}
    return json.dumps({k: v for k, v in fields.items() if v is not None}).encode()


def _reason(registry: KeyRegistry, envelope: bytes, now: datetime = NOW) -> str:
    with pytest.raises(InvalidMessage) as refused:
        check_source_header(registry, envelope, now=now)
    return refused.value.reason


def test_the_known_answer_envelope_passes_with_public_keys(kat_parties: Parties) -> None:
    """The wire-format vector's envelope checks out and names its source, id and kids."""
    header = check_source_header(kat_parties.registry, VECTOR["envelope"].encode(), now=KAT_NOW)
    assert (header.agency, header.message_id) == ("example-childrens", "kat-0001")
    assert header.sig_kid == "example-childrens-sig-20260101-ad5b"
    assert header.enc_kid == "hub-enc-20260101-c4f7"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"v": "sehub-source-2"}, "unsupported_version"),
        ({"extra": "x"}, "malformed"),
        ({"ct": None}, "malformed"),
        ({"sig": "AAAA"}, "malformed"),
        ({"ct": "not base64url!"}, "malformed"),
        ({"source": "example-police"}, "kid_agency_mismatch"),
        ({"source": "nobody"}, "unknown_agency"),
        ({"sig_kid": "example-childrens-sig-20260101-0000"}, "unknown_kid"),
        ({"enc_kid": "example-childrens-enc-20260101-0000"}, "kid_agency_mismatch"),
        ({"suite": "HPKE-MLKEM768X25519-SHA256-A256GCM"}, "suite_mismatch"),
    ],
)
def test_a_bad_header_is_refused_with_its_reason(
    parties: Parties, changes: dict[str, Any], reason: str
) -> None:
    """Each member that is wrong, missing or extra is refused before anything is opened."""
    assert _reason(_public_only(parties), _envelope(parties, **changes)) == reason


def test_the_agencys_own_encryption_kid_is_not_the_hubs(parties: Parties) -> None:
    """An envelope sealed to the agency's own key instead of the hub's is refused."""
    (own_enc,) = (k for k in parties.registry.keys("example-childrens") if k.use == "enc")
    envelope = _envelope(parties, enc_kid=own_enc.kid)
    assert _reason(parties.registry, envelope) == "kid_agency_mismatch"


def test_an_expired_signing_key_is_refused(parties: Parties) -> None:
    """A header naming keys that are no longer valid is refused by their state."""
    assert _reason(parties.registry, _envelope(parties), NOW + timedelta(days=3660)) == (
        "expired_key"
    )
