"""Request signatures (RFC 9421 with RFC 9530 Content-Digest): a pinned known answer, and every
check that refuses a request, each named by its ``check``."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest

from hub import RequestNotVerified
from hub.crypto import (
    HttpRequest,
    KeyRegistry,
    KeyRing,
    PrivateKeyDocument,
    generate_document,
    sign_request,
)
from hub.crypto import verify_request as verify
from hub.crypto._primitives import load_verifying_key
from hub.crypto._request_signatures import _check_digest, _Headers
from tests.unit.crypto.conftest import Parties, load_vector

KAT_NOW = datetime.fromtimestamp(1767225600, tz=UTC)
WINDOW = timedelta(seconds=300)
URL = "https://hub.example/v1/notifications"
MEDIA = "application/vnd.sehub.source-envelope+json"
BODY = b'{"note":"synthetic request-signature vector, no personal data"}'
NONCE = "kat-nonce-0000000001"
KID = "example-childrens-sig-20260101-ad5b"
# Pinned: Ed25519 is deterministic, so an implementation in any language must produce these.
DIGEST = "sha-256=:xZKknXiB9Z6lPsN/CXUrAF68P5zn48JFjRfoeIa3XdU=:"
PARAMS = (
    '("@method" "@path" "@query" "content-type" "content-digest");created=1767225600;'
    f'keyid="{KID}";alg="ed25519";nonce="{NONCE}"'
)
SIGNATURE = (
    "SGyAFMF45ydpHZwgik2K/kqoTsJCtCsUMWBm6Qn2b1otUpeC4SmdI7c9TIxH0Req2Ara1G1zhH1ht+T3h9NwCw=="
)
SIGNATURE_BASE = "\n".join(
    (
        '"@method": POST',
        '"@path": /v1/notifications',
        '"@query": ?',
        f'"content-type": {MEDIA}',
        f'"content-digest": {DIGEST}',
        f'"@signature-params": {PARAMS}',
    )
)


@pytest.fixture(scope="module")
def childrens_ring() -> KeyRing:
    documents = load_vector("keys.json")["documents"]
    (document,) = (d for d in documents if d["agency"] == "example-childrens")
    return KeyRing(PrivateKeyDocument.model_validate_json(json.dumps(document)))


def _signed(ring: KeyRing, *, now: datetime = KAT_NOW, nonce: str = NONCE) -> HttpRequest:
    headers = {"Content-Type": MEDIA}
    added = sign_request(
        ring, method="POST", url=URL, headers=headers, body=BODY, now=now, nonce=nonce
    )
    return HttpRequest("POST", URL, tuple({**headers, **added}.items()), BODY)


def _check(
    registry: KeyRegistry,
    request: HttpRequest,
    *,
    agency: str = "example-childrens",
    now: datetime = KAT_NOW,
) -> str:
    with pytest.raises(RequestNotVerified) as refused:
        verify(registry, agency, request, now=now, window=WINDOW)
    assert str(refused.value) == "the request signature does not verify"
    assert refused.value.status_hint == 401
    return refused.value.check


def _replace(request: HttpRequest, name: str, value: str | None) -> HttpRequest:
    kept = tuple((n, v) for n, v in request.headers if n.lower() != name.lower())
    return HttpRequest(
        request.method, request.url, kept + (((name, value),) if value else ()), request.body
    )


def test_signing_gives_the_pinned_headers(childrens_ring: KeyRing) -> None:
    """The known-answer request gets exactly the pinned Content-Digest, input and signature."""
    headers = dict(_signed(childrens_ring).headers)
    assert headers["Content-Digest"] == DIGEST
    assert headers["Signature-Input"] == f"sehub={PARAMS}"
    assert headers["Signature"] == f"sehub=:{SIGNATURE}:"


def test_the_pinned_signature_is_ed25519_over_the_rfc_9421_base(kat_parties: Parties) -> None:
    """The signature verifies with the bare public key over the signature base written out by
    hand, so an implementer can check their base line by line."""
    (record,) = (k for k in kat_parties.registry.keys("example-childrens") if k.kid == KID)
    load_verifying_key(record.public_bytes).verify(
        base64.b64decode(SIGNATURE), SIGNATURE_BASE.encode()
    )


def test_the_pinned_request_verifies_with_the_public_key_only(
    childrens_ring: KeyRing, kat_parties: Parties
) -> None:
    """The registry of public documents verifies it and says who signed, when, with which nonce."""
    verified = verify(
        kat_parties.registry,
        "example-childrens",
        _signed(childrens_ring),
        now=KAT_NOW,
        window=WINDOW,
    )
    assert (verified.kid, verified.created, verified.nonce) == (KID, 1767225600, NONCE)


@pytest.mark.parametrize(
    ("change", "check"),
    [
        (lambda r: HttpRequest(r.method, r.url, r.headers, BODY + b" "), "bad_digest"),
        (lambda r: HttpRequest("PUT", r.url, r.headers, r.body), "bad_signature"),
        (
            lambda r: HttpRequest(
                r.method, URL.replace("notifications", "records"), r.headers, r.body
            ),
            "bad_signature",
        ),
        (lambda r: HttpRequest(r.method, URL + "?x=1", r.headers, r.body), "bad_signature"),
        (lambda r: _replace(r, "Content-Type", "application/json"), "bad_signature"),
        (lambda r: _replace(r, "Signature", None), "missing"),
        (lambda r: _replace(r, "Signature-Input", None), "missing"),
        (lambda r: _replace(r, "Signature", "not a dictionary ("), "malformed"),
        (lambda r: _replace(r, "Signature-Input", f"a={PARAMS}, b={PARAMS}"), "malformed"),
        (
            lambda r: _replace(
                r, "Signature-Input", "sehub=" + PARAMS.replace(' "content-digest"', "")
            ),
            "not_covered",
        ),
        (
            lambda r: _replace(r, "Signature-Input", "sehub=" + PARAMS.replace(NONCE, "short")),
            "bad_nonce",
        ),
        (
            lambda r: _replace(
                r, "Signature-Input", "sehub=" + PARAMS.replace(";alg=", ';tag="x";alg=')
            ),
            "malformed",
        ),
    ],
)
def test_each_tampering_is_refused_with_its_check(
    childrens_ring: KeyRing, kat_parties: Parties, change: object, check: str
) -> None:
    """A change to what the signature covers, or to the signature headers, is refused."""
    request = change(_signed(childrens_ring))  # type: ignore[operator]
    assert _check(kat_parties.registry, request) == check


def test_a_digest_without_sha_256_is_refused() -> None:
    """A Content-Digest that has only sha-512 is refused even when it matches the body: the
    profile needs sha-256."""
    sha512 = base64.b64encode(hashlib.sha512(BODY).digest()).decode()
    with pytest.raises(RequestNotVerified) as refused:
        _check_digest(_Headers([("Content-Digest", f"sha-512=:{sha512}:")]), BODY)
    assert refused.value.check == "bad_digest"
    _check_digest(_Headers([("Content-Digest", DIGEST)]), BODY)


@pytest.mark.parametrize("offset", [301, -301])
def test_created_outside_the_window_is_stale(
    childrens_ring: KeyRing, kat_parties: Parties, offset: int
) -> None:
    """A request created more than the window before, or after, the hub's clock is refused."""
    signed_at = KAT_NOW + timedelta(hours=1)  # well inside the key's validity either way
    request = _signed(childrens_ring, now=signed_at)
    late = signed_at + timedelta(seconds=offset)
    assert _check(kat_parties.registry, request, now=late) == "stale"
    just_in = signed_at + timedelta(seconds=offset - (1 if offset > 0 else -1))
    verify(kat_parties.registry, "example-childrens", request, now=just_in, window=WINDOW)


def test_another_agencys_kid_is_refused(childrens_ring: KeyRing, kat_parties: Parties) -> None:
    """A request the childrens' key signed does not verify as the police's."""
    assert _check(kat_parties.registry, _signed(childrens_ring), agency="example-police") == (
        "kid_agency_mismatch"
    )


def test_an_expired_or_unknown_key_is_refused() -> None:
    """A kid the registry does not hold, or one that expired since it signed, is refused by its
    key reason, even while the request is inside its window."""
    document = generate_document("example-childrens", KAT_NOW, lifetime=timedelta(days=1))
    ring, registry = KeyRing(document), KeyRegistry([document.public()])
    expiry = KAT_NOW + timedelta(days=1)
    request = _signed(ring, now=expiry - timedelta(seconds=10))
    verify(registry, "example-childrens", request, now=expiry - timedelta(seconds=1), window=WINDOW)
    assert _check(registry, request, now=expiry + timedelta(seconds=10)) == "expired_key"
    assert _check(KeyRegistry(()), request, now=expiry - timedelta(seconds=1)) == "unknown_agency"
