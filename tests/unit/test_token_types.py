"""A token limited to notification types posts only those: canonical posts, native records and
envelopes, over the HTTP edge on fake ports; and the directory refuses a limit it cannot mean."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import ValidationError

from hub.agencies import Agency, AgencyDirectory, Token
from hub.api import ApiDependencies, create_app
from hub.audit import AuditAction
from hub.crypto import KeyMaterial
from hub.edge import seal_and_sign
from tests.credentials import token_of
from tests.fakes import FakeAuditLog, FakePublisher, FixedClock, fake_intake
from tests.fixtures import EXAMPLES, example_event

CHILDRENS = "northumberland-childrens"
POLICE = "northumbria-police"
MISSING = "uk.sehub.missing_episode.started.v1"
CONCERN = "uk.sehub.concern.raised.v1"
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def _limited(token: str, *types: str) -> Token:
    return token_of(token).model_copy(update={"types": types})


@pytest.fixture
async def client(
    publisher: FakePublisher, audit: FakeAuditLog, keys: KeyMaterial
) -> AsyncIterator[TestClient]:
    directory = AgencyDirectory(
        (
            Agency(
                id=CHILDRENS,
                name="CS",
                kind="children_services",
                la_code="929",
                tokens=(_limited("t-missing-only", MISSING), _limited("t-concern-only", CONCERN)),
            ),
            Agency(
                id=POLICE,
                name="Police",
                kind="police",
                tokens=(_limited("t-police-concern", CONCERN), token_of("t-police-any")),
            ),
        )
    )
    clock = FixedClock(NOW)
    intake = fake_intake(publisher, audit, clock, keys=keys, max_body_bytes=65536)
    deps = ApiDependencies(
        intake=intake, agencies=directory, readiness={}, max_body_bytes=65536, audit=audit
    )
    async with TestClient(TestServer(create_app(deps))) as test_client:
        yield test_client


async def _post(client: TestClient, path: str, body: bytes, token: str, media: str) -> int:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": media}
    response = await client.post(path, data=body, headers=headers)
    await response.read()
    return response.status


def _refusals(audit: FakeAuditLog) -> list[str]:
    return [
        str(e.detail["reason"])
        for e in audit.entries
        if e.action is AuditAction.NOTIFICATION_REJECTED and e.detail["status"] == 403
    ]


async def test_a_token_posts_the_types_it_lists_and_no_other(
    client: TestClient, publisher: FakePublisher, audit: FakeAuditLog
) -> None:
    """The missing-episode example is 202 with a token listing its type, and 403 (audited,
    nothing published) with a token listing only concerns."""
    body = json.dumps(example_event()).encode()
    media = "application/cloudevents+json"

    refused = await _post(client, "/v1/notifications", body, "t-concern-only", media)
    assert refused == 403
    assert publisher.ingress == []
    assert _refusals(audit) == ["the token may not post this type of notification"]

    assert await _post(client, "/v1/notifications", body, "t-missing-only", media) == 202
    assert len(publisher.ingress) == 1


async def test_records_that_map_to_an_unlisted_type_are_refused_whole(
    client: TestClient, publisher: FakePublisher, audit: FakeAuditLog
) -> None:
    """The police's native example maps to a missing-person notification, so a token limited
    to concerns gets 403 and none of the file is accepted; an unlimited token gets 202."""
    body = (EXAMPLES / "native" / "police.json").read_bytes()
    media = "application/json"

    assert await _post(client, "/v1/records", body, "t-police-concern", media) == 403
    assert publisher.ingress == []
    assert _refusals(audit) == ["the token may not post this type of notification"]

    assert await _post(client, "/v1/records", body, "t-police-any", media) == 202
    assert publisher.ingress


async def test_a_type_limited_token_may_not_post_an_envelope(
    client: TestClient, publisher: FakePublisher, audit: FakeAuditLog, keys: KeyMaterial
) -> None:
    """An envelope's type is sealed from the API, so a type-limited token posting one is 403,
    audited, even for the type it lists."""
    url = str(client.make_url("/v1/notifications"))
    body, headers = seal_and_sign(
        keys, CHILDRENS, json.dumps(example_event()).encode(), url=url, now=NOW
    )
    response = await client.post(
        "/v1/notifications",
        data=body,
        headers={**headers, "Authorization": "Bearer t-missing-only"},
    )
    assert response.status == 403
    assert publisher.ingress == []
    assert "sealed envelope" in _refusals(audit)[0]


def test_the_directory_refuses_types_without_post_or_outside_the_catalogue() -> None:
    """Types limit the post scope, so a token of types without post is refused, and so is a
    type the catalogue does not have."""
    base = token_of("t-x")
    with pytest.raises(ValidationError, match="post scope"):
        Token.model_validate({**base.model_dump(), "scopes": ["inbox"], "types": [MISSING]})
    with pytest.raises(ValidationError, match="catalogue"):
        Token.model_validate({**base.model_dump(), "types": ["uk.sehub.made_up.v1"]})
    assert Token.model_validate({**base.model_dump(), "types": [MISSING]}).types == (MISSING,)
