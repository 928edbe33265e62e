"""Shared fixtures for unit tests of the HTTP edge: an aiohttp test server over fake ports.

The directory holds three agencies and ``hub-admin`` (role protocol_admin); the shipped
protocol is configured for the admin explain endpoint.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub import BrokerUnavailable
from hub.agencies import Agency, AgencyDirectory
from hub.api import ApiDependencies, create_app
from hub.crypto import KeyMaterial
from protocols import load_protocol
from tests.credentials import token_of
from tests.fakes import FakeAuditLog, FakePublisher, FixedClock, fake_intake, provisioned_keys

CHILDRENS_TOKEN = "test-token-childrens"
POLICE_TOKEN = "test-token-police"
EDUCATION_TOKEN = "test-token-education"
ADMIN_TOKEN = "test-token-hub-admin"
SHIPPED_PROTOCOL = Path(__file__).resolve().parents[2] / "protocols" / "northumberland.yaml"
PROBLEM = "application/problem+json"


class Outage:
    """A readiness check that fails while ``down`` is set."""

    def __init__(self) -> None:
        self.down = False

    async def __call__(self) -> None:
        if self.down:
            raise BrokerUnavailable("down")


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
def audit() -> FakeAuditLog:
    return FakeAuditLog()


@pytest.fixture
def broker_check() -> Outage:
    return Outage()


@pytest.fixture
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyMaterial:
    """Keys for the hub and the test agencies (valid from 2026-01-01)."""
    return provisioned_keys(
        tmp_path_factory.mktemp("keys"),
        ("northumberland-childrens", "northumberland-education", "northumbria-police"),
    )


@pytest.fixture
def deps(
    publisher: FakePublisher,
    audit: FakeAuditLog,
    broker_check: Outage,
    keys: KeyMaterial,
) -> ApiDependencies:
    """What the test app is wired with: the four agencies, fake ports, an 8 KiB body limit."""
    agencies = AgencyDirectory(
        (
            Agency(
                id="northumberland-childrens",
                name="CS",
                kind="children_services",
                la_code="929",
                tokens=(token_of(CHILDRENS_TOKEN),),
            ),
            Agency(
                id="northumberland-education",
                name="Education",
                kind="education",
                la_code="929",
                tokens=(token_of(EDUCATION_TOKEN),),
            ),
            Agency(
                id="northumbria-police",
                name="Police",
                kind="police",
                tokens=(token_of(POLICE_TOKEN),),
            ),
            Agency(
                id="hub-admin",
                name="Hub protocol administrators",
                kind="hub",
                roles=("protocol_admin",),
                tokens=(token_of(ADMIN_TOKEN, "explain"),),
            ),
        )
    )
    intake = fake_intake(
        publisher,
        audit,
        FixedClock(datetime(2026, 11, 29, tzinfo=UTC)),
        keys=keys,
        max_body_bytes=8192,
    )
    return ApiDependencies(
        intake=intake,
        agencies=agencies,
        readiness={"broker": broker_check, "database": audit.ping},
        max_body_bytes=8192,
        protocol=load_protocol(SHIPPED_PROTOCOL),
        audit=audit,
    )


@pytest.fixture
async def client(deps: ApiDependencies) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(deps))) as test_client:
        yield test_client
