"""Unit tests of the HTTP edge (aiohttp test server, fake ports)."""

from __future__ import annotations

import json
import uuid

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from openapi_spec_validator import validate

from hub.api import ApiDependencies, create_app
from tests.fakes import FakeAuditLog, FakePublisher
from tests.fixtures import CANARIES, CANARY_NHS_NUMBER, canary_event, example_event
from tests.unit.conftest import CHILDRENS_TOKEN, POLICE_TOKEN, PROBLEM, Outage

CALLERS_ID = "0b7e9f2c-4a1d-4e8b-9c3f-5d6a7b8c9d0e"


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/cloudevents+json"}


async def test_post_returns_202_with_correlation_id(
    client: TestClient, publisher: FakePublisher
) -> None:
    """An authenticated valid post is answered 202 and echoes the caller's correlation id, a
    UUID, lower-cased."""
    headers = {**_auth(CHILDRENS_TOKEN), "X-Correlation-ID": CALLERS_ID.upper()}
    response = await client.post("/v1/notifications", json=example_event(), headers=headers)
    assert response.status == 202
    assert await response.json() == {
        "id": "demo-missing-0001",
        "status": "accepted",
        "correlation_id": CALLERS_ID,
    }
    assert response.headers["X-Correlation-ID"] == CALLERS_ID
    assert len(publisher.ingress) == 1


@pytest.mark.parametrize(
    "offered", ["bad id\twith spaces", "case-42", f"nhs-{CANARY_NHS_NUMBER}"], ids=repr
)
async def test_a_correlation_id_that_is_not_a_uuid_is_replaced(
    client: TestClient, offered: str
) -> None:
    """Anything but a UUID (unsafe characters, a case reference, an NHS number) is replaced by
    a fresh UUID, so none of it reaches the logs or the audit log."""
    headers = {**_auth(CHILDRENS_TOKEN), "X-Correlation-ID": offered}
    response = await client.post("/v1/notifications", json=example_event(), headers=headers)
    assert response.status == 202
    fresh = response.headers["X-Correlation-ID"]
    assert str(uuid.UUID(fresh)) == fresh
    assert offered not in fresh


async def test_missing_token_is_401_problem(client: TestClient, publisher: FakePublisher) -> None:
    """No bearer token gives a 401 problem+json with a WWW-Authenticate challenge."""
    response = await client.post("/v1/notifications", json=example_event())
    assert response.status == 401
    assert response.content_type == PROBLEM
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await response.json())["status"] == 401
    assert publisher.ingress == []


async def test_invalid_post_is_422_problem_naming_fields_without_values(
    client: TestClient, audit: FakeAuditLog
) -> None:
    """A bad NHS number and an unknown field are both named in one RFC 9457 problem."""
    event = canary_event()
    event["data"]["person"]["nhs_number"] = "1234567890"
    event["data"]["person"]["nickname"] = "Canary Nick"
    response = await client.post("/v1/notifications", json=event, headers=_auth(CHILDRENS_TOKEN))
    assert response.status == 422
    assert response.content_type == PROBLEM
    problem = await response.json()
    assert problem["type"] == "urn:sehub:problem:invalid-notification"
    assert problem["correlation_id"] == response.headers["X-Correlation-ID"]
    assert {(e["field"], e["rule"]) for e in problem["errors"]} == {
        ("data.person.nhs_number", "value_error"),
        ("data.person.(unknown field #1)", "extra_forbidden"),
    }
    text = await response.text()
    assert not any(canary in text for canary in (*CANARIES, "1234567890", "Canary Nick"))
    assert audit.entries[-1].detail["status"] == 422


UNKNOWN = "(unknown field #1)"


@pytest.mark.parametrize(
    ("key", "field"),
    [("shoe_size", f"data.person.{UNKNOWN}"), ("not a name", f"data.person.{UNKNOWN}")],
)
async def test_a_too_long_integer_in_a_notification_is_422_naming_its_field(
    client: TestClient, audit: FakeAuditLog, key: str, field: str
) -> None:
    """A 5,000-digit integer is named by its dotted path (unknown keys by number), audited."""
    big = "7" * 5000
    event = example_event()
    event["data"]["person"][key] = "BIG"
    body = json.dumps(event).replace('"BIG"', big)
    response = await client.post("/v1/notifications", data=body, headers=_auth(CHILDRENS_TOKEN))
    assert response.status == 422
    assert response.content_type == PROBLEM
    problem = await response.json()
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [(field, "int_too_large")]
    text = await response.text()
    assert big[:20] not in text
    assert "not a name" not in text
    assert audit.entries[-1].detail["problems"] == [{"field": field, "rule": "int_too_large"}]


async def test_posting_as_another_agency_is_403(client: TestClient) -> None:
    """The police token cannot post an event sourced from children's services."""
    response = await client.post(
        "/v1/notifications", json=example_event(), headers=_auth(POLICE_TOKEN)
    )
    assert response.status == 403
    assert (await response.json())["title"] == "Forbidden"


async def test_oversized_post_is_413_and_audited(client: TestClient, audit: FakeAuditLog) -> None:
    """A body over the configured limit is refused with 413, audited."""
    response = await client.post(
        "/v1/notifications", data=b"x" * 9000, headers=_auth(CHILDRENS_TOKEN)
    )
    assert response.status == 413
    assert response.content_type == PROBLEM
    assert audit.entries[-1].detail["status"] == 413


async def test_not_json_is_422_naming_the_body(client: TestClient) -> None:
    """Bytes that are not JSON give a 422 located at the body."""
    response = await client.post(
        "/v1/notifications", data=b"{not json", headers=_auth(CHILDRENS_TOKEN)
    )
    assert response.status == 422
    assert [e["field"] for e in (await response.json())["errors"]] == ["(body)"]


async def test_broker_outage_makes_post_503_never_202(
    client: TestClient, publisher: FakePublisher
) -> None:
    """When the broker does not confirm, the post is answered 503 with Retry-After."""
    publisher.fail = True
    response = await client.post(
        "/v1/notifications", json=example_event(), headers=_auth(CHILDRENS_TOKEN)
    )
    assert response.status == 503
    assert response.headers["Retry-After"] == "5"
    assert (await response.json())["title"] == "Message broker unavailable"


async def test_readyz_reports_each_dependency(client: TestClient, broker_check: Outage) -> None:
    """Readiness is 200 when all checks pass and 503 naming the failing one otherwise."""
    ready = await client.get("/readyz")
    assert ready.status == 200
    assert (await ready.json())["checks"] == {"broker": "ok", "database": "ok"}
    broker_check.down = True
    not_ready = await client.get("/readyz")
    assert not_ready.status == 503
    assert (await not_ready.json())["checks"] == {"broker": "unavailable", "database": "ok"}


async def test_healthz_is_alive_even_when_not_ready(
    client: TestClient, broker_check: Outage
) -> None:
    """Liveness does not depend on the broker."""
    broker_check.down = True
    response = await client.get("/healthz")
    assert response.status == 200


async def test_openapi_document_is_valid_openapi_31(client: TestClient) -> None:
    """The served document validates as OpenAPI 3.1 and references the notification schema."""
    response = await client.get("/openapi.json")
    document = await response.json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    body_schema = document["paths"]["/v1/notifications"]["post"]["requestBody"]
    assert "Notification" in json.dumps(body_schema)
    assert "MissingEpisodeStarted" in document["components"]["schemas"]


async def test_unknown_path_is_404_problem_not_echoing_the_path(client: TestClient) -> None:
    """A path with no route gives a 404 problem+json that does not repeat the path."""
    response = await client.get("/v1/canary-path-9402?q=canary-query")
    assert response.status == 404
    assert response.content_type == PROBLEM
    problem = await response.json()
    assert problem["type"] == "urn:sehub:problem:not-found"
    assert problem["status"] == 404
    assert problem["correlation_id"] == response.headers["X-Correlation-ID"]
    text = await response.text()
    assert "canary" not in text


async def test_wrong_method_is_405_problem_keeping_allow(client: TestClient) -> None:
    """A method a route does not take gives a 405 problem+json with the route's Allow header."""
    response = await client.get("/v1/notifications")
    assert response.status == 405
    assert response.content_type == PROBLEM
    assert response.headers["Allow"] == "POST"
    problem = await response.json()
    assert (problem["type"], problem["status"]) == ("urn:sehub:problem:method-not-allowed", 405)
    assert "/v1/notifications" not in await response.text()
    on_get_route = await client.delete("/healthz")
    assert on_get_route.status == 405
    assert on_get_route.headers["Allow"] == "GET, HEAD"


async def _read_body(request: web.Request) -> web.Response:
    await request.read()
    return web.json_response({})


async def _too_many(_request: web.Request) -> web.Response:
    raise web.HTTPTooManyRequests(text="canary-text", reason="canary-reason")


async def _redirect(_request: web.Request) -> web.Response:
    raise web.HTTPFound("/healthz")


async def test_http_exceptions_escaping_a_handler_are_problems(deps: ApiDependencies) -> None:
    """aiohttp's own 413, or any HTTPException of 400 or more, is a problem without its text."""
    app = create_app(deps)
    app.router.add_post("/test/read", _read_body)
    app.router.add_get("/test/too-many", _too_many)
    async with TestClient(TestServer(app)) as test_client:
        too_large = await test_client.post("/test/read", data=b"x" * 9000)
        assert too_large.status == 413
        assert too_large.content_type == PROBLEM
        assert (await too_large.json())["type"] == "urn:sehub:problem:payload-too-large"
        assert "9000" not in await too_large.text()
        too_many = await test_client.get("/test/too-many")
        assert too_many.status == 429
        assert too_many.content_type == PROBLEM
        assert (await too_many.json())["title"] == "Too Many Requests"
        assert "canary" not in await too_many.text()
        assert too_many.headers["X-Correlation-ID"]


async def test_a_raised_redirect_is_still_a_redirect(deps: ApiDependencies) -> None:
    """An HTTPException under 400 escaping a handler is sent as it is, with the correlation id."""
    app = create_app(deps)
    app.router.add_get("/test/redirect", _redirect)
    async with TestClient(TestServer(app)) as test_client:
        response = await test_client.get("/test/redirect", allow_redirects=False)
        assert response.status == 302
        assert response.headers["Location"] == "/healthz"
        assert response.headers["X-Correlation-ID"]


@pytest.mark.parametrize(
    "case",
    [
        (("data", "looked_after"), "yes", "data.looked_after"),
        (("data", "started_on"), 0, "data.started_on"),
        (("time",), 1764583200, "time"),
        (("data", "person", "local_id"), 123456, "data.person.local_id"),
    ],
    ids=["string-for-a-boolean", "number-for-a-date", "number-for-a-time", "number-for-text"],
)
async def test_json_values_of_the_wrong_type_are_refused_not_coerced(
    client: TestClient,
    publisher: FakePublisher,
    audit: FakeAuditLog,
    case: tuple[tuple[str, ...], object, str],
) -> None:
    """A value of the wrong JSON type is a 422 naming its field, audited, never shared coerced."""
    path, value, field = case
    event = canary_event()
    node = event
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value

    response = await client.post("/v1/notifications", json=event, headers=_auth(CHILDRENS_TOKEN))

    assert response.status == 422
    assert field in {e["field"] for e in (await response.json())["errors"]}
    assert publisher.ingress == []
    assert audit.entries[-1].detail["status"] == 422
