"""docker-compose.yml, checked by reading it (no Docker engine here): least privilege on
PostgreSQL, as docs/audit.md promises a deployment."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]


def _database_role(service: str) -> str:
    url = SERVICES[service]["environment"]["HUB_DATABASE_URL"]
    match = re.match(r"postgresql\+asyncpg://([a-z_]+):", url)
    assert match is not None, url
    return match.group(1)


def test_the_hub_connects_as_the_writer_role_not_the_owner() -> None:
    """The hub's database user is hub_writer, never the image's owner POSTGRES_USER."""
    owner = SERVICES["postgres"]["environment"]["POSTGRES_USER"]
    assert _database_role("hub") == "hub_writer"
    assert _database_role("hub") != owner


def test_the_owner_migrates_and_grants_before_the_hub_starts() -> None:
    """A one-shot service, as the owner, runs db upgrade then db grant; the hub waits for it."""
    migrate = SERVICES["migrate"]
    command = " ".join(migrate["entrypoint"])
    assert _database_role("migrate") == SERVICES["postgres"]["environment"]["POSTGRES_USER"]
    assert command.index("hub db upgrade") < command.index(
        "hub db grant --writer hub_writer --auditor hub_auditor"
    )
    assert migrate["restart"] == "no"
    assert SERVICES["hub"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }


def test_the_roles_the_grant_names_are_created_on_first_start() -> None:
    """The postgres image's init script creates exactly the roles that db grant is given."""
    mounts = SERVICES["postgres"]["volumes"]
    script = next(m for m in mounts if "docker-entrypoint-initdb.d" in m).split(":")[0]
    text = (ROOT / script).read_text()
    assert re.findall(r"CREATE ROLE (\w+) LOGIN", text) == ["hub_writer", "hub_auditor"]
    assert "PASSWORD :'" in text  # passwords from the environment, none in the repo
    assert {"HUB_DB_WRITER_PASSWORD", "HUB_DB_AUDITOR_PASSWORD"} <= set(
        SERVICES["postgres"]["environment"]
    )
