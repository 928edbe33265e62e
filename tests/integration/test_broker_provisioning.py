"""``hub provision`` against the real RabbitMQ: idempotent, rotating, revoking, removing guest;
and the hub's processes running as the users it made."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aio_pika
import pytest
import yaml
from aio_pika.exceptions import ProbableAuthenticationError

from hub.delivery import (
    GUEST,
    INTAKE_USER,
    MANAGED_TAG,
    ROUTER_USER,
    ManagementApi,
    Permission,
    agency_user,
)
from hub.subscriber import Subscriber
from tests.fixtures import example_event
from tests.integration.broker_support import (
    ADMIN_URL,
    VHOST,
    Provisioned,
    connect,
    provisioning,
    run_hub,
    run_provision,
)
from tests.integration.conftest import running_hub

POLICE = "northumbria-police"


@pytest.fixture
async def provisioned(tmp_path: Path) -> AsyncIterator[Provisioned]:
    async with provisioning(tmp_path) as done:
        yield done


async def _hashes(admin_url: str = ADMIN_URL) -> dict[str, str]:
    async with ManagementApi(admin_url) as api:
        return {user.name: user.password_hash for user in await api.users()}


def _files(provisioned: Provisioned) -> dict[str, str]:
    return {
        path.name: path.read_text()
        for path in sorted(provisioned.credentials.directory.glob("*.url"))
    }


async def test_a_second_run_changes_nothing(provisioned: Provisioned) -> None:
    """Run again on the same directory, provisioning plans no change, and every password hash on
    the broker and every credentials file stays as the first run left it."""
    hashes, files = await _hashes(), _files(provisioned)
    stdout = await provisioned.provision("--keep-guest")
    assert "users and permissions already as the directory says" in stdout
    assert await _hashes() == hashes
    assert _files(provisioned) == files
    assert len(files) == len(provisioned.receiving) + 2


async def test_credentials_files_are_private_and_log_in(provisioned: Provisioned) -> None:
    """Each user's credentials file is mode 0600 in a 0700 directory, and its URL logs in."""
    directory = provisioned.credentials.directory
    modes = {path.stat().st_mode & 0o777 for path in directory.glob("*.url")}
    connection = await connect(provisioned.url(agency_user(POLICE)))
    await connection.close()
    assert modes == {0o600}
    assert directory.stat().st_mode & 0o777 == 0o700


async def test_a_dry_run_rotation_only_prints_the_plan(provisioned: Provisioned) -> None:
    """``--dry-run --rotate`` lists a password change for every user and changes nothing."""
    hashes, files = await _hashes(), _files(provisioned)
    stdout = await provisioned.provision("--keep-guest", "--rotate", "--dry-run")
    assert stdout.count("password differ") == len(provisioned.receiving) + 2
    assert "dry run: nothing changed" in stdout
    assert await _hashes() == hashes
    assert _files(provisioned) == files


async def test_rotation_gives_new_passwords_and_the_old_ones_stop_working(
    provisioned: Provisioned,
) -> None:
    """``--rotate`` writes new URLs; the old password is refused, the new one logs in."""
    old = provisioned.url(agency_user(POLICE))
    await provisioned.provision("--keep-guest", "--rotate")
    new = provisioned.url(agency_user(POLICE))
    with pytest.raises(ProbableAuthenticationError):
        await aio_pika.connect(old, timeout=10)
    connection = await connect(new)
    await connection.close()
    assert new != old


async def test_users_no_longer_configured_are_revoked(provisioned: Provisioned) -> None:
    """An agency dropped from the directory loses its user and credentials file, and the router
    its queue; a user provisioning did not make (untagged) is left alone."""
    agencies_path = provisioned.directory / "agencies.yaml"
    directory = yaml.safe_load(agencies_path.read_text())
    directory["agencies"] = [a for a in directory["agencies"] if a["id"] != "durham-licensing"]
    agencies_path.write_text(yaml.safe_dump(directory, sort_keys=False))
    async with ManagementApi(ADMIN_URL) as api:
        await api.put_user("an-operators-own", password="synthetic-pw", tags=frozenset())
        try:
            stdout = await provisioned.provision("--keep-guest")
            users = {user.name for user in await api.users()}
            router = (await api.permissions(VHOST))[ROUTER_USER]
        finally:
            await api.delete_user("an-operators-own")
    assert f"delete {agency_user('durham-licensing')}: no longer in the directory" in stdout
    assert agency_user("durham-licensing") not in users
    assert "an-operators-own" in users
    assert provisioned.credentials.url(agency_user("durham-licensing")) is None
    assert "durham-licensing" not in router.configure + router.write


async def test_guest_is_deleted_unless_kept(provisioned: Provisioned) -> None:
    """Without ``--keep-guest``, provisioning as another administrator deletes guest; logged in
    as guest it refuses before changing anything. Guest is restored afterwards."""
    admin = "sehub-test-admin"
    async with ManagementApi(ADMIN_URL) as api:
        await api.put_user(admin, password="synthetic-admin-pw", tags=frozenset({"administrator"}))
        await api.put_permission(VHOST, admin, Permission(".*", ".*", ".*"))
    as_guest = await run_provision(provisioned.directory)
    still_there = GUEST in await _hashes()
    other_admin = ADMIN_URL.replace("guest:guest@", f"{admin}:synthetic-admin-pw@")
    try:
        stdout = await provisioned.provision(admin_url=other_admin)
        gone = GUEST not in await _hashes(other_admin)
    finally:
        async with ManagementApi(other_admin) as api:
            await api.put_user(GUEST, password="guest", tags=frozenset({"administrator"}))
            for vhost in ("/", VHOST):
                await api.put_permission(vhost, GUEST, Permission(".*", ".*", ".*"))
        async with ManagementApi(ADMIN_URL) as api:
            await api.delete_user(admin)
    assert as_guest[0] == 1
    assert "cannot delete guest" in as_guest[2]
    assert still_there
    assert f"delete {GUEST}: the default account" in stdout
    assert gone


async def test_the_hub_runs_as_the_router_and_an_agency_reads_as_itself(
    provisioned: Provisioned, tmp_path: Path
) -> None:
    """``hub run`` as ``sehub-router`` routes a post, and the police read it from their queue
    logging in as their own user."""
    async with running_hub(
        tmp_path / "hub", role="all", amqp_url=provisioned.url(ROUTER_USER)
    ) as hub:
        status, _ = await hub.post(example_event())
        subscriber = Subscriber(provisioned.url(agency_user(POLICE)), POLICE, keys_dir=hub.keys_dir)
        async with subscriber, subscriber.receive(timeout=20) as delivery:
            received = delivery
    assert status == 202
    assert received.recipient == POLICE


async def test_an_intake_starts_as_its_user_and_accepts_a_post(
    provisioned: Provisioned, tmp_path: Path
) -> None:
    """``hub run --role api`` logging in as ``sehub-intake`` (no configure right) becomes ready
    and publishes an accepted post to ingress."""
    url = provisioned.url(INTAKE_USER)
    async with running_hub(tmp_path / "hub", role="api", amqp_url=url) as hub:
        status, answer = await hub.post(example_event())
        logs = hub.logs()
    assert (status, answer["status"]) == (202, "accepted")
    assert "ACCESS_REFUSED" not in logs
    async with ManagementApi(ADMIN_URL) as api:
        assert MANAGED_TAG in {
            t for u in await api.users() if u.name == INTAKE_USER for t in u.tags
        }


async def test_tail_logs_in_as_the_agency_when_its_credentials_are_there(
    provisioned: Provisioned,
) -> None:
    """``hub tail`` uses the agency's own credentials file: it reaches the queue although
    ``HUB_AMQP_URL`` names a port where no broker listens, and waits out its timeout."""
    env = {
        "HUB_AMQP_URL": "amqp://guest:guest@127.0.0.1:9/",
        "HUB_AGENCIES_PATH": str(provisioned.directory / "agencies.yaml"),
        "HUB_KEYS_DIR": str(provisioned.directory / "keys"),
    }
    returncode, _, stderr = await run_hub(
        "tail", "--agency", POLICE, "--count", "1", "--timeout", "1", env=env
    )
    assert returncode == 1
    assert "no notification for 1 s; 0 of 1 received" in stderr
