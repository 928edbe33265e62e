"""Agency-signed posts over the HTTP edge, on fake ports: envelopes committed as they came, the
request signature checked with public keys, each nonce spent once, and ``signs_at_edge``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub.agencies import Agency, AgencyDirectory
from hub.api import ApiDependencies, create_app
from hub.audit import AuditAction, AuditEntry
from hub.bootstrap import private_key_owners
from hub.crypto import KeyMaterial
from hub.edge import ENVELOPE_CONTENT_TYPE, seal_and_sign, sign_request
from tests.credentials import token_of
from tests.fakes import FakeAuditLog, FakeNonceStore, FakePublisher, FixedClock, fake_intake
from tests.fixtures import example_event

EDGE = "northumberland-childrens"  # signs at its own edge
POLICE = "northumbria-police"  # the hub signs for it
TOKENS = {EDGE: "test-token-edge", POLICE: "test-token-police"}
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
OPAQUE = "the request signature does not verify"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def nonces() -> FakeNonceStore:
    return FakeNonceStore()


@pytest.fixture
def directory() -> AgencyDirectory:
    return AgencyDirectory(
        (
            Agency(
                id=EDGE,
                name="CS",
                kind="children_services",
                la_code="929",
                signs_at_edge=True,
                tokens=(token_of(TOKENS[EDGE]),),
            ),
            Agency(id=POLICE, name="Police", kind="police", tokens=(token_of(TOKENS[POLICE]),)),
        )
    )


@pytest.fixture
async def client(
    publisher: FakePublisher,
    audit: FakeAuditLog,
    *,
    keys: KeyMaterial,
    clock: FixedClock,
    nonces: FakeNonceStore,
    directory: AgencyDirectory,
) -> AsyncIterator[TestClient]:
    intake = fake_intake(publisher, audit, clock, keys=keys, max_body_bytes=8192, nonces=nonces)
    deps = ApiDependencies(
        intake=intake, agencies=directory, readiness={}, max_body_bytes=8192, audit=audit
    )
    async with TestClient(TestServer(create_app(deps))) as test_client:
        yield test_client


def _event(event_id: str = "edge-0001", agency: str = EDGE) -> bytes:
    event = example_event()
    event["id"] = event_id
    event["source"] = f"urn:sehub:agency:{agency}"
    return json.dumps(event).encode()


async def _post(
    client: TestClient,
    body: bytes,
    headers: dict[str, str],
    agency: str = EDGE,
    path: str = "/v1/notifications",
) -> tuple[int, dict[str, object]]:
    response = await client.post(
        path, data=body, headers={**headers, "Authorization": f"Bearer {TOKENS[agency]}"}
    )
    return response.status, await response.json(content_type=None)


def _signed(
    client: TestClient, keys: KeyMaterial, notification: bytes, **kwargs: object
) -> tuple[bytes, dict[str, str]]:
    url = str(client.make_url("/v1/notifications"))
    return seal_and_sign(keys, EDGE, notification, url=url, now=NOW, **kwargs)  # type: ignore[arg-type]


def _rejections(audit: FakeAuditLog) -> list[AuditEntry]:
    return [e for e in audit.entries if e.action is AuditAction.NOTIFICATION_REJECTED]


async def test_an_agency_sealed_envelope_is_committed_and_published_as_it_came(
    client: TestClient, keys: KeyMaterial, publisher: FakePublisher, audit: FakeAuditLog
) -> None:
    """A signed envelope post is 202, and ingress gets exactly the agency's bytes, which the
    hub's key opens to the agency's signed notification."""
    notification = _event()
    body, headers = _signed(client, keys, notification)
    status, answer = await _post(client, body, headers)
    assert (status, answer["id"], answer["status"]) == (202, "edge-0001", "accepted")
    (published,) = publisher.ingress
    assert published.body == body
    assert published.headers == {"sehub-publisher": EDGE}
    assert keys.open_source(published.body, now=NOW).notification == notification
    (accepted,) = [e for e in audit.entries if e.action is AuditAction.NOTIFICATION_ACCEPTED]
    assert (accepted.actor, accepted.notification_id) == (EDGE, "edge-0001")
    assert accepted.detail["sealed_by"] == "agency"


async def test_the_same_envelope_again_is_a_duplicate_and_other_bytes_a_conflict(
    client: TestClient, keys: KeyMaterial, publisher: FakePublisher, audit: FakeAuditLog
) -> None:
    """The same envelope bytes (signed afresh) are a duplicate; a new seal of the same id, other
    bytes, is a 409 and changes nothing."""
    body, headers = _signed(client, keys, _event())
    assert (await _post(client, body, headers))[0] == 202
    url = str(client.make_url("/v1/notifications"))
    again = sign_request(
        keys, EDGE, url=url, content_type=ENVELOPE_CONTENT_TYPE, body=body, now=NOW
    )
    assert (await _post(client, body, again))[0] == 202
    resealed, headers = _signed(client, keys, _event())  # HPKE is randomised: other bytes
    assert resealed != body
    assert (await _post(client, resealed, headers))[0] == 409
    actions = [e.action for e in audit.entries]
    assert AuditAction.NOTIFICATION_DUPLICATE in actions
    assert AuditAction.NOTIFICATION_CONFLICTED in actions
    assert [m.body for m in publisher.ingress] == [body]


async def test_a_tampered_body_is_refused_at_once_and_audited(
    client: TestClient, keys: KeyMaterial, publisher: FakePublisher, audit: FakeAuditLog
) -> None:
    """A body changed after signing is one opaque 401; the audit names the digest check."""
    body, headers = _signed(client, keys, _event())
    tampered = body.replace(b'"ct":"', b'"ct":"A', 1)
    status, answer = await _post(client, tampered, headers)
    assert (status, answer["detail"]) == (401, OPAQUE)
    assert publisher.ingress == []
    (refused,) = _rejections(audit)
    assert (refused.actor, refused.detail["check"], refused.detail["status"]) == (
        EDGE,
        "bad_digest",
        401,
    )


async def test_a_replayed_request_is_refused_and_its_nonce_forgotten_after_the_window(
    client: TestClient,
    keys: KeyMaterial,
    clock: FixedClock,
    nonces: FakeNonceStore,
    audit: FakeAuditLog,
) -> None:
    """The same signed request twice: the second is 401 ``replayed``; past the window it is
    ``stale``; its nonce is pruned a window later still (so a slower API clock cannot accept
    it again)."""
    body, headers = _signed(client, keys, _event())
    assert (await _post(client, body, headers))[0] == 202
    status, answer = await _post(client, body, headers)
    assert (status, answer["detail"]) == (401, OPAQUE)
    assert [e.detail["check"] for e in _rejections(audit)] == ["replayed"]
    clock.now = NOW + timedelta(seconds=301)
    assert (await _post(client, body, headers))[0] == 401
    assert [e.detail["check"] for e in _rejections(audit)] == ["replayed", "stale"]
    (first,) = nonces.held
    for n, kept in ((2, True), (3, False)):  # kept one window past its expiry, then pruned
        fresh, _ = _signed(client, keys, _event(f"edge-000{n}"))
        headers_now = sign_request(
            keys,
            EDGE,
            url=str(client.make_url("/v1/notifications")),
            content_type=ENVELOPE_CONTENT_TYPE,
            body=fresh,
            now=clock.now,
        )
        assert (await _post(client, fresh, headers_now))[0] == 202
        assert (first in nonces.held) is kept
        clock.now = NOW + timedelta(seconds=1000)


async def test_an_unsigned_envelope_is_refused(
    client: TestClient, keys: KeyMaterial, audit: FakeAuditLog
) -> None:
    """An envelope posted without a request signature is a 401, audited as ``missing``."""
    body, _headers = _signed(client, keys, _event())
    status, _answer = await _post(client, body, {"Content-Type": ENVELOPE_CONTENT_TYPE})
    assert status == 401
    assert [e.detail["check"] for e in _rejections(audit)] == ["missing"]


async def test_an_edge_agency_may_post_envelopes_only(
    client: TestClient, publisher: FakePublisher, audit: FakeAuditLog
) -> None:
    """Plain JSON or native records from an agency that signs at its edge are 403, audited:
    the hub holds no key to sign as it."""
    plain = {"Content-Type": "application/cloudevents+json"}
    assert (await _post(client, _event(), plain))[0] == 403
    records = {"Content-Type": "application/json"}
    assert (await _post(client, b"[]", records, path="/v1/records"))[0] == 403
    assert publisher.ingress == []
    assert [e.detail["status"] for e in _rejections(audit)] == [403, 403]


async def test_an_envelope_naming_another_source_is_forbidden(
    client: TestClient, keys: KeyMaterial, publisher: FakePublisher, audit: FakeAuditLog
) -> None:
    """An envelope sealed as the police but posted with the edge agency's credentials and
    request signature is 403, audited, and not published."""
    police = keys.seal_source(POLICE, _event(agency=POLICE), message_id="edge-0001", now=NOW)
    url = str(client.make_url("/v1/notifications"))
    headers = sign_request(
        keys, EDGE, url=url, content_type=ENVELOPE_CONTENT_TYPE, body=police, now=NOW
    )
    assert (await _post(client, police, headers))[0] == 403
    assert publisher.ingress == []
    assert [e.detail["status"] for e in _rejections(audit)] == [403]


async def test_an_envelope_sealed_to_the_wrong_key_is_refused_with_its_check(
    client: TestClient, keys: KeyMaterial, audit: FakeAuditLog
) -> None:
    """An envelope whose ``enc_kid`` is not a hub key is a 400, audited with the reason."""
    body, _headers = _signed(client, keys, _event())
    fields = json.loads(body)
    fields["enc_kid"] = fields["sig_kid"]
    wrong = json.dumps(fields).encode()
    url = str(client.make_url("/v1/notifications"))
    headers = sign_request(
        keys, EDGE, url=url, content_type=ENVELOPE_CONTENT_TYPE, body=wrong, now=NOW
    )
    assert (await _post(client, wrong, headers))[0] == 400
    (refused,) = _rejections(audit)
    assert refused.detail["check"] == "kid_agency_mismatch"


async def test_a_signature_on_a_plain_post_is_checked_too(
    client: TestClient, keys: KeyMaterial, publisher: FakePublisher
) -> None:
    """An agency the hub signs for may sign its plain posts; a signature that fails is a 401."""
    url = str(client.make_url("/v1/notifications"))
    body = _event(agency=POLICE)
    headers = sign_request(
        keys, POLICE, url=url, content_type="application/cloudevents+json", body=body, now=NOW
    )
    assert (await _post(client, body, headers, agency=POLICE))[0] == 202
    headers = sign_request(
        keys, POLICE, url=url, content_type="application/cloudevents+json", body=body, now=NOW
    )
    assert (await _post(client, body + b" ", headers, agency=POLICE))[0] == 401
    assert len(publisher.ingress) == 1


def test_no_role_loads_the_private_key_of_an_agency_that_signs_at_its_edge(
    directory: AgencyDirectory,
) -> None:
    """The API loads the agencies it signs for, the router the hub's; nobody the edge agency's."""
    assert private_key_owners(directory, "api") == (POLICE,)
    assert private_key_owners(directory, "router") == ("hub",)
    assert private_key_owners(directory, "all") == ("hub", POLICE)
