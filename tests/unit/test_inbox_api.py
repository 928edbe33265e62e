"""The inbox's HTTP edge on fakes: the listing with its links, the download's media types and
headers, the one 404 for any id not the caller's, the 409 where no key is held, a 422 naming a
bad query parameter, and the OpenAPI document describing all of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from openapi_spec_validator import validate

from hub.api import ApiDependencies, InboxListing, create_app, openapi_document
from hub.crypto import HUB_AGENCY, KeyMaterial, provision_keys
from hub.inbox import AgencyInbox
from hub.messages import (
    DELIVERY_CONTENT_TYPE,
    DELIVERY_DOCUMENT_CONTENT_TYPE,
    InboxCopy,
    OutboxCopy,
    OutgoingMessage,
    delivery_id,
)
from tests.fakes import FakeAuditLog, FakeInboxStore, FixedClock
from tests.subscriber_builders import POLICE, sealed_delivery
from tests.unit.conftest import EDUCATION_TOKEN, POLICE_TOKEN, PROBLEM

NOW = datetime.now(UTC) + timedelta(hours=1)


def _held(keys: KeyMaterial, n: int) -> InboxCopy:
    ident = delivery_id(f"api-{n}", POLICE)
    message = OutgoingMessage(
        body=sealed_delivery(keys, ident, f"api-{n}"),
        message_id=f"api-{n}",
        type="uk.gov.sehub.missing-episode.started.v1",
        correlation_id=None,
        content_type=DELIVERY_CONTENT_TYPE,
    )
    return InboxCopy(OutboxCopy(f"api-{n}", POLICE, ident, message, "x"), NOW)


@pytest.fixture
def key_dir(tmp_path: Path) -> Path:
    provision_keys(tmp_path / "k", (HUB_AGENCY, POLICE), datetime.now(UTC))
    return tmp_path / "k"


@pytest.fixture
def store(key_dir: Path) -> FakeInboxStore:
    return FakeInboxStore([_held(KeyMaterial(key_dir, (HUB_AGENCY,)), 1)])


async def _client(
    deps: ApiDependencies, store: FakeInboxStore, audit: FakeAuditLog, keys: KeyMaterial
) -> AsyncIterator[TestClient]:
    inbox = AgencyInbox(store, audit, FixedClock(NOW), keys=keys)
    async with TestClient(TestServer(create_app(deps, inbox=inbox))) as client:
        yield client


@pytest.fixture
async def edge(
    deps: ApiDependencies, store: FakeInboxStore, audit: FakeAuditLog, key_dir: Path
) -> AsyncIterator[TestClient]:
    """The police's edge: the hub holds the police's key."""
    async for client in _client(deps, store, audit, KeyMaterial(key_dir, (HUB_AGENCY, POLICE))):
        yield client


@pytest.fixture
async def central(
    deps: ApiDependencies, store: FakeInboxStore, audit: FakeAuditLog, key_dir: Path
) -> AsyncIterator[TestClient]:
    """A central hub: it holds no agency's key."""
    async for client in _client(deps, store, audit, KeyMaterial(key_dir, (HUB_AGENCY,))):
        yield client


def _as(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


async def test_the_listing_names_each_pending_copy_with_its_links(
    edge: TestClient, store: FakeInboxStore
) -> None:
    """The police's listing validates as InboxListing and links download and acknowledgement."""
    response = await edge.get("/v1/inbox", headers=_as(POLICE_TOKEN))
    assert response.status == 200
    listing = InboxListing.model_validate(await response.json())
    (entry,) = listing.deliveries
    ident = store.copies[0].copy.delivery_id
    assert entry.delivery_id == ident
    assert entry.links.download == f"/v1/inbox/{ident}"
    assert entry.links.acknowledge == f"/v1/deliveries/{ident}/acknowledgements"


async def test_a_download_is_the_sealed_envelope_unless_asked_opened(
    edge: TestClient, store: FakeInboxStore
) -> None:
    """By default the envelope bytes under the wire format's media type; with open=true or the
    document's Accept, the opened document naming the delivery."""
    held = store.copies[0].copy
    path = f"/v1/inbox/{held.delivery_id}"
    sealed = await edge.get(path, headers=_as(POLICE_TOKEN))
    assert (sealed.status, sealed.content_type) == (200, DELIVERY_CONTENT_TYPE)
    assert await sealed.read() == held.message.body
    assert sealed.headers["Sehub-Delivery-Id"] == held.delivery_id
    assert "acknowledgements" in sealed.headers["Link"]
    for query, accept in (("?open=true", "*/*"), ("", DELIVERY_DOCUMENT_CONTENT_TYPE)):
        opened = await edge.get(path + query, headers=_as(POLICE_TOKEN, Accept=accept))
        assert (opened.status, opened.content_type) == (200, DELIVERY_DOCUMENT_CONTENT_TYPE)
        assert (await opened.json(content_type=None))["delivery_id"] == held.delivery_id


async def test_another_agencys_id_is_the_same_404_as_no_delivery(
    edge: TestClient, store: FakeInboxStore, audit: FakeAuditLog
) -> None:
    """Education asking for the police's copy gets the very problem an unknown id gets, and
    both attempts are audited as access.refused."""
    theirs = await edge.get(
        f"/v1/inbox/{store.copies[0].copy.delivery_id}", headers=_as(EDUCATION_TOKEN)
    )
    unknown = await edge.get(f"/v1/inbox/{'0' * 32}", headers=_as(EDUCATION_TOKEN))
    assert theirs.status == unknown.status == 404
    assert theirs.content_type == PROBLEM
    first, second = await theirs.json(), await unknown.json()
    first.pop("correlation_id")
    second.pop("correlation_id")
    assert first == second
    assert [e.action.value for e in audit.entries] == ["access.refused"] * 2


async def test_opening_where_no_key_is_held_is_a_409_problem(
    central: TestClient, store: FakeInboxStore
) -> None:
    """A central hub asked to open the police's copy answers 409 saying it holds no key."""
    response = await central.get(
        f"/v1/inbox/{store.copies[0].copy.delivery_id}?open=true", headers=_as(POLICE_TOKEN)
    )
    assert (response.status, response.content_type) == (409, PROBLEM)
    problem = await response.json()
    assert problem["type"] == "urn:sehub:problem:agency-key-not-held"
    assert "no private key" in problem["detail"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("wait=61", "wait"), ("limit=0", "limit"), ("colour=red", "(unknown field #1)")],
)
async def test_a_bad_query_parameter_is_a_422_naming_it(
    edge: TestClient, query: str, field: str
) -> None:
    """A wait over 60 s or a zero limit is a 422 naming the parameter; an unknown one is a 422
    counting it, never echoing its name (as for unknown body fields)."""
    response = await edge.get(f"/v1/inbox?{query}", headers=_as(POLICE_TOKEN))
    assert response.status == 422
    assert [e["field"] for e in (await response.json())["errors"]] == [field]


def test_the_openapi_document_describes_the_inbox_and_links_it() -> None:
    """Both inbox operations are documented, the document stays valid OpenAPI 3.1, and the
    listing links to download and acknowledge."""
    document = openapi_document()
    validate(document)
    listing = document["paths"]["/v1/inbox"]["get"]["responses"]["200"]
    assert {link["operationId"] for link in listing["links"].values()} == {
        "downloadDelivery",
        "acknowledgeDelivery",
    }
    download = document["paths"]["/v1/inbox/{delivery_id}"]["get"]["responses"]
    assert set(download) >= {"200", "404", "409"}
    assert "InboxListing" in document["components"]["schemas"]
