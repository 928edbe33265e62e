"""``POST /v1/admin/protocol/explain``, the protocol_admin role and the demo admin credential."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer
from openapi_spec_validator import validate

from hub import ConfigurationError
from hub.agencies import Agency, AgencyDirectory
from hub.api import ApiDependencies, create_app, openapi_document
from hub.audit import AuditAction
from hub.cli import ADMIN_AGENCY_ID, AUDITOR_ID, write_demo
from hub.crypto import KeyMaterial
from hub.ports import utc_now
from hub.sharing import Explanation
from tests.credentials import token_of
from tests.fakes import FakeAuditLog, FakePublisher, FixedClock, fake_intake
from tests.fixtures import CANARIES, canary_event, example_event
from tests.unit.conftest import ADMIN_TOKEN, POLICE_TOKEN, PROBLEM, SHIPPED_PROTOCOL

EXPLAIN = "/v1/admin/protocol/explain"
POLICE = "northumbria-police"
EDUCATION = "northumberland-education"


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


async def test_admin_gets_the_explanation(client: TestClient) -> None:
    """The protocol admin gets the same recipients, rules and deadlines the router would use."""
    response = await client.post(EXPLAIN, json=example_event(), headers=_auth(ADMIN_TOKEN))
    assert response.status == 200
    document = await response.json()
    Explanation.model_validate(document)
    assert document["notification"] == {
        "id": "demo-missing-0001",
        "type": "uk.sehub.missing_episode.started.v1",
        "publisher": "northumberland-childrens",
        "time": "2026-11-28T21:40:00Z",
    }
    assert {r["agency"]: r["rule"] for r in document["recipients"]} == {
        POLICE: "missing-child-from-council-to-police",
        EDUCATION: "missing-pupil-to-school-from-council",
    }
    assert document["protocol"]["version_tag"].startswith("2026.12.2+")
    assert document["facts"]["publisher_is"] == ["resident_authority", "responsible_authority"]


async def test_placed_in_simulates_an_out_of_area_placement(client: TestClient) -> None:
    """``?placed_in=391`` adds Newcastle's children's services as host authority and its
    education service as the school's, in place of Northumberland's."""
    response = await client.post(
        EXPLAIN, params={"placed_in": "391"}, json=example_event(), headers=_auth(ADMIN_TOKEN)
    )
    document = await response.json()
    assert response.status == 200
    assert document["active_placements"] == [
        {"episode": "simulated-placement", "placing_la": "929", "host_la": "391"}
    ]
    recipients = {r["agency"]: r["rule"] for r in document["recipients"]}
    assert recipients == {
        POLICE: "missing-child-from-council-to-police",
        "newcastle-childrens": "missing-child-between-councils",
        "newcastle-education": "missing-pupil-to-school-from-council",
    }
    assert (document["facts"]["host_la"], document["facts"]["area_la"]) == ("391", "391")


async def test_placed_in_outside_england_takes_a_gss_code(client: TestClient) -> None:
    """``?placed_in=S12000026`` makes the Scottish Borders the host and Police Scotland the
    force for the area."""
    response = await client.post(
        EXPLAIN, params={"placed_in": "S12000026"}, json=example_event(), headers=_auth(ADMIN_TOKEN)
    )
    document = await response.json()
    assert response.status == 200
    recipients = {r["agency"] for r in document["recipients"]}
    assert {"scottish-borders-childrens", "police-scotland", POLICE} <= recipients


async def test_explaining_publishes_nothing_and_audits_only_the_admin_call(
    client: TestClient, publisher: FakePublisher, audit: FakeAuditLog
) -> None:
    """An explanation touches no queue; its one audit record names the caller and the route,
    and holds nothing of the posted notification."""
    response = await client.post(EXPLAIN, json=canary_event(), headers=_auth(ADMIN_TOKEN))
    assert response.status == 200
    assert publisher.ingress == []
    assert publisher.deliveries == []
    [entry] = audit.entries
    assert (entry.action, entry.actor) == (AuditAction.ADMIN_CALLED, "hub-admin")
    assert entry.detail == {"method": "POST", "route": EXPLAIN}
    assert entry.correlation_id == response.headers["X-Correlation-ID"]


async def test_the_answer_names_paths_never_values(client: TestClient) -> None:
    """Planted personal data does not come back in the explanation."""
    response = await client.post(EXPLAIN, json=canary_event(), headers=_auth(ADMIN_TOKEN))
    text = await response.text()
    assert response.status == 200
    assert "data.person.nhs_number" in text
    assert not any(canary in text for canary in CANARIES)


async def test_without_a_token_it_is_401(client: TestClient) -> None:
    """No bearer token: a 401 problem."""
    response = await client.post(EXPLAIN, json=example_event())
    assert response.status == 401
    assert response.content_type == PROBLEM


async def test_an_agency_without_the_role_is_403(client: TestClient, audit: FakeAuditLog) -> None:
    """An authenticated agency without protocol_admin gets a 403 problem."""
    response = await client.post(EXPLAIN, json=example_event(), headers=_auth(POLICE_TOKEN))
    assert response.status == 403
    [entry] = audit.entries
    assert (entry.action, entry.actor) == (AuditAction.ACCESS_REFUSED, "northumbria-police")
    assert entry.detail["route"] == EXPLAIN
    assert response.content_type == PROBLEM
    assert "protocol_admin" in (await response.json())["detail"]


async def test_an_invalid_notification_is_422_naming_fields(client: TestClient) -> None:
    """A bad NHS number is named in a 422 problem without echoing the value."""
    event = canary_event()
    event["data"]["person"]["nhs_number"] = "1234567890"
    response = await client.post(EXPLAIN, json=event, headers=_auth(ADMIN_TOKEN))
    problem = await response.json()
    assert response.status == 422
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [
        ("data.person.nhs_number", "value_error")
    ]
    assert "1234567890" not in json.dumps(problem)


async def test_a_too_long_integer_is_422_naming_its_field(client: TestClient) -> None:
    """A 5,000-digit integer is named by its dotted path in a 422 problem, never echoed."""
    big = "7" * 5000
    event = example_event()
    event["data"]["started_on"] = "BIG"
    body = json.dumps(event).replace('"BIG"', big)
    response = await client.post(EXPLAIN, data=body, headers=_auth(ADMIN_TOKEN))
    assert response.status == 422
    problem = await response.json()
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [
        ("data.started_on", "int_too_large")
    ]
    assert big[:20] not in json.dumps(problem)


async def test_a_bad_placed_in_is_400(client: TestClient) -> None:
    """``placed_in`` must be an LA code."""
    response = await client.post(
        EXPLAIN, params={"placed_in": "Newcastle"}, json=example_event(), headers=_auth(ADMIN_TOKEN)
    )
    assert response.status == 400
    assert response.content_type == PROBLEM


async def test_a_non_json_body_is_415(client: TestClient) -> None:
    """Only JSON media types are explained."""
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "text/plain"}
    response = await client.post(EXPLAIN, data="hello", headers=headers)
    assert response.status == 415


async def test_without_a_configured_protocol_it_is_500(keys: KeyMaterial) -> None:
    """An API wired without a protocol answers a configuration problem, not a crash."""
    admin = Agency(
        id="hub-admin",
        name="Admin",
        kind="hub",
        roles=("protocol_admin",),
        tokens=(token_of(ADMIN_TOKEN, "explain"),),
    )
    audit = FakeAuditLog()
    deps = ApiDependencies(
        intake=fake_intake(
            FakePublisher(),
            audit,
            FixedClock(datetime(2026, 11, 29, tzinfo=UTC)),
            keys=keys,
            max_body_bytes=8192,
        ),
        agencies=AgencyDirectory((admin,)),
        readiness={},
        max_body_bytes=8192,
    )
    async with TestClient(TestServer(create_app(deps))) as client:
        response = await client.post(EXPLAIN, json=example_event(), headers=_auth(ADMIN_TOKEN))
        assert response.status == 500
        assert response.content_type == PROBLEM


async def test_the_admin_kind_has_no_adapter_for_records(client: TestClient) -> None:
    """The ``hub`` kind is a valid directory entry; posting native records with it is 403."""
    response = await client.post(
        "/v1/records", json=[{"record_type": "x"}], headers=_auth(ADMIN_TOKEN)
    )
    assert response.status == 403


def test_openapi_documents_the_admin_route() -> None:
    """The OpenAPI document lists the route, its responses and the Explanation schema."""
    document = openapi_document()
    validate(document)
    operation = document["paths"][EXPLAIN]["post"]
    assert set(operation["responses"]) >= {"200", "401", "403", "422"}
    assert "Explanation" in document["components"]["schemas"]
    assert [p["name"] for p in operation["parameters"]] == ["placed_in"]


def test_directory_roles_load_and_unknown_roles_are_refused(tmp_path: Path) -> None:
    """A directory entry may carry the protocol_admin role; any other role name is an error."""
    path = tmp_path / "agencies.yaml"
    entry = {"id": "hub-admin", "name": "Admin", "kind": "hub", "roles": ["protocol_admin"]}
    path.write_text(yaml.safe_dump({"agencies": [entry]}))
    assert AgencyDirectory.load(path)["hub-admin"].roles == ("protocol_admin",)

    path.write_text(yaml.safe_dump({"agencies": [{**entry, "roles": ["superuser"]}]}))
    with pytest.raises(ConfigurationError):
        AgencyDirectory.load(path)


def test_demo_writes_an_admin_credential(tmp_path: Path) -> None:
    """``hub demo init`` adds hub-admin (kind hub, role protocol_admin) and HUB_ADMIN_TOKEN."""
    agencies_path = tmp_path / "agencies.yaml"
    tokens_path = tmp_path / "tokens.env"
    tokens = write_demo(agencies_path, tokens_path, SHIPPED_PROTOCOL)
    directory = AgencyDirectory.load(agencies_path)
    admin = directory.authenticate(tokens[ADMIN_AGENCY_ID], now=utc_now()).agency
    assert (admin.id, admin.kind, admin.roles) == ("hub-admin", "hub", ("protocol_admin",))
    assert f"HUB_ADMIN_TOKEN={tokens[ADMIN_AGENCY_ID]}" in tokens_path.read_text()
    hub_parties = (ADMIN_AGENCY_ID, AUDITOR_ID)
    assert all(directory[party].roles == () for party in tokens if party not in hub_parties)


def test_demo_writes_an_auditor_credential(tmp_path: Path) -> None:
    """``hub demo init`` adds hub-auditor (kind auditor, role auditor only) and its token."""
    tokens_path = tmp_path / "tokens.env"
    tokens = write_demo(tmp_path / "agencies.yaml", tokens_path, SHIPPED_PROTOCOL)
    directory = AgencyDirectory.load(tmp_path / "agencies.yaml")
    auditor = directory.authenticate(tokens[AUDITOR_ID], now=utc_now()).agency
    assert (auditor.id, auditor.kind, auditor.roles) == ("hub-auditor", "auditor", ("auditor",))
    assert auditor.is_auditor
    assert f"HUB_AUDITOR_TOKEN={tokens[AUDITOR_ID]}" in tokens_path.read_text()
