"""Every route of the app requires the scope its row in ROUTE_SCOPES names, and no other.

A route added to the app without a row here fails ``test_every_route_is_in_the_table``: whoever
adds one decides, in this table, which scope its token must hold.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub.agencies import Agency, AgencyDirectory, Scope
from hub.api import ApiDependencies, create_app, openapi_document
from hub.audit import AuditAction
from tests.credentials import token_of
from tests.fakes import FakeAuditLog

#: (method, route) -> the scope a token needs, or None for the public operational routes.
ROUTE_SCOPES: dict[tuple[str, str], Scope | None] = {
    ("POST", "/v1/notifications"): "post",
    ("POST", "/v1/records"): "post",
    ("POST", "/v1/admin/protocol/explain"): "explain",
    ("POST", "/v1/audit/records"): "audit",
    ("POST", "/v1/audit/export"): "audit",
    ("POST", "/v1/audit/disclosures"): "audit",
    ("POST", "/v1/deliveries/{delivery_id}/acknowledgements"): "inbox",
    ("POST", "/v1/deliveries/replay"): "inbox",
    ("GET", "/v1/inbox"): "inbox",
    ("GET", "/v1/inbox/{delivery_id}"): "inbox",
    ("GET", "/healthz"): None,
    ("GET", "/readyz"): None,
    ("GET", "/openapi.json"): None,
}
PATH_VALUES = {"{delivery_id}": "dlv-0000000000000000"}

#: A token per scope set: what an admin agency may hold without one scope, and an auditor's.
ALL_BUT = {
    "post": ("inbox", "explain"),
    "inbox": ("post", "explain"),
    "explain": ("post", "inbox"),
}


def _path(route: str) -> str:
    for name, value in PATH_VALUES.items():
        route = route.replace(name, value)
    return route


def _token(scopes: tuple[Scope, ...]) -> str:
    return "synthetic-scope-token-" + "-".join(scopes)


@pytest.fixture
def scoped(deps: ApiDependencies, audit: FakeAuditLog) -> ApiDependencies:
    """The app's dependencies with an admin agency holding one token per scope set, and an
    auditor."""
    admin_tokens = [token_of(_token(scopes), *scopes) for scopes in ALL_BUT.values()]
    admin_tokens.append(token_of(_token(("post", "inbox", "explain")), "post", "inbox", "explain"))
    agencies = AgencyDirectory(
        (
            Agency(
                id="hub-admin",
                name="Admins",
                kind="hub",
                roles=("protocol_admin",),
                tokens=tuple(admin_tokens),
            ),
            Agency(
                id="hub-auditor",
                name="Auditor",
                kind="auditor",
                roles=("auditor",),
                tokens=(token_of(_token(("audit",)), "audit"),),
            ),
        )
    )
    return replace(deps, agencies=agencies, audit=audit)


@pytest.fixture
async def scoped_client(scoped: ApiDependencies) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(scoped))) as test_client:
        yield test_client


def test_every_route_is_in_the_table(deps: ApiDependencies) -> None:
    """The app's routes (HEAD aside) are exactly the table's rows."""
    served = {
        (route.method, route.resource.canonical)
        for route in create_app(deps).router.routes()
        if route.method != "HEAD" and route.resource is not None
    }

    assert served == set(ROUTE_SCOPES)


def _without(scope: Scope) -> str:
    """A token that lacks ``scope`` but holds what else its holder may."""
    if scope == "audit":  # an auditor's tokens hold audit only: the refusal is of an agency
        return _token(("post", "inbox", "explain"))
    return _token(ALL_BUT[scope])


def _with(scope: Scope) -> str:
    return _token(("audit",)) if scope == "audit" else _token(("post", "inbox", "explain"))


SCOPED = [(key, scope) for key, scope in ROUTE_SCOPES.items() if scope is not None]
each_scoped_route = pytest.mark.parametrize(
    ("key", "scope"), SCOPED, ids=[f"{m} {r}" for (m, r), _ in SCOPED]
)


async def _status(client: TestClient, key: tuple[str, str], token: str) -> int:
    method, route = key
    headers = {"Authorization": f"Bearer {token}"}
    async with client.request(method, _path(route), json={}, headers=headers) as response:
        return response.status


@each_scoped_route
async def test_a_token_without_the_scope_is_refused_and_audited(
    scoped_client: TestClient, audit: FakeAuditLog, key: tuple[str, str], scope: Scope
) -> None:
    """A known token lacking the route's scope gets a 403, audited with the route and the scope."""
    _, route = key

    assert await _status(scoped_client, key, _without(scope)) == 403
    refused = [e for e in audit.entries if e.action is AuditAction.ACCESS_REFUSED]
    assert [e.detail["route"] for e in refused] == [route]
    if scope != "audit":
        assert f"the {scope} scope" in refused[0].detail["reason"]


@each_scoped_route
async def test_a_token_with_the_scope_passes_authorisation(
    scoped_client: TestClient, audit: FakeAuditLog, key: tuple[str, str], scope: Scope
) -> None:
    """A token holding the route's scope is not a 401 and no access is refused (a 403 from the
    use case itself, such as a hub agency having no adapter for native records, may follow)."""
    assert await _status(scoped_client, key, _with(scope)) != 401
    assert not [e for e in audit.entries if e.action is AuditAction.ACCESS_REFUSED]


@pytest.mark.parametrize(
    "key", [key for key, scope in ROUTE_SCOPES.items() if scope is None], ids=str
)
async def test_the_operational_routes_need_no_token(
    scoped_client: TestClient, key: tuple[str, str]
) -> None:
    """Health, readiness and the OpenAPI document answer without a credential."""
    method, route = key
    response = await scoped_client.request(method, route)

    assert response.status in (200, 503)


def test_the_openapi_document_names_each_operations_scope_and_its_refusals() -> None:
    """Every authenticated operation in /openapi.json says the scope this table requires, and
    documents the 403 and the 429 (with Retry-After) it can answer; public ones name none."""
    paths = openapi_document()["paths"]
    for (method, route), scope in ROUTE_SCOPES.items():
        if route not in paths:  # the document does not describe itself
            assert scope is None, route
            continue
        operation = paths[route][method.lower()]
        assert operation.get("x-sehub-scope") == scope, route
        if scope is not None:
            assert {"401", "403", "429"} <= set(operation["responses"]), route
            assert "Retry-After" in operation["responses"]["429"]["headers"], route
