"""The broker's users and permissions derived from the directory, and the provisioning plan:
pure functions, checked without a broker."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

from hub import ConfigurationError
from hub.delivery import (
    ACK_EXCHANGE,
    DEAD_AUDIT_QUEUE,
    DEAD_QUEUE,
    DELIVER_EXCHANGE,
    GUEST,
    INGRESS_EXCHANGE,
    INTAKE_USER,
    MANAGED_TAG,
    ROUTER_USER,
    SHARD_COUNT,
    SHARD_EXCHANGE,
    SHARD_QUEUE_PREFIX,
    BrokerCredentials,
    BrokerRole,
    BrokerUser,
    ExistingUser,
    Permission,
    agency_queue_name,
    agency_user,
    broker_users,
    password_matches,
    permission_pattern,
    plan_provisioning,
    shard_queue_name,
    url_with_credentials,
    vhost_of,
)

AGENCIES = ["northumbria-police", "durham-adults", "hub-auditor"]
USERS = {user.name: user for user in broker_users(AGENCIES, auditors=["hub-auditor"])}


def _matches(pattern: str, name: str) -> bool:
    """RabbitMQ's test of a name against a permission (an unanchored search of the pattern)."""
    return re.search(pattern, name) is not None


def test_every_receiving_agency_gets_a_user_and_the_auditor_none() -> None:
    """The router, the intake and one user per agency but the auditor, all of them distinct."""
    assert sorted(USERS) == sorted(
        [ROUTER_USER, INTAKE_USER, agency_user("northumbria-police"), agency_user("durham-adults")]
    )
    assert {user.role for user in USERS.values()} == set(BrokerRole)


def test_an_agency_reads_only_its_own_queue_and_writes_only_acks() -> None:
    """An agency's user: configure nothing, write exactly sehub.acks, read exactly its queue."""
    police = USERS[agency_user("northumbria-police")].permission
    assert (police.configure, police.write, police.read) == (
        "^$",
        r"^sehub\.acks$",
        r"^sehub\.agency\.northumbria\-police$",
    )
    others = [agency_queue_name("durham-adults"), INGRESS_EXCHANGE, DELIVER_EXCHANGE, DEAD_QUEUE]
    assert not any(_matches(police.read, name) for name in others)
    assert not any(_matches(police.write, name) for name in (*others, "sehub.acksx"))


def test_the_intake_writes_ingress_and_nothing_else() -> None:
    """The intake's user may publish to sehub.ingress only; it reads and declares nothing."""
    intake = USERS[INTAKE_USER].permission
    assert (intake.configure, intake.write, intake.read) == ("^$", r"^sehub\.ingress$", "^$")


def test_the_router_declares_every_queue_but_reads_no_agencys() -> None:
    """The router configures and writes the hub's objects and every directory queue (the
    auditor's too, which the topology declares); it reads ingress, acks, the dead queues and
    the exchanges it binds, and no agency's queue."""
    router = USERS[ROUTER_USER].permission
    queues = [agency_queue_name(agency) for agency in AGENCIES]
    hub_objects = [INGRESS_EXCHANGE, DELIVER_EXCHANGE, ACK_EXCHANGE, DEAD_QUEUE, DEAD_AUDIT_QUEUE]
    assert all(_matches(router.configure, name) for name in (*queues, *hub_objects))
    assert all(_matches(router.write, name) for name in (*queues, *hub_objects))
    assert all(_matches(router.read, name) for name in hub_objects)
    assert not any(_matches(router.read, name) for name in queues)
    assert not _matches(router.configure, agency_queue_name("not-in-the-directory"))


def test_only_the_router_reads_or_writes_the_ingress_shards() -> None:
    """The shard exchange and every shard queue are the router's: it declares, writes and reads
    them; the intake and the agencies may neither publish to nor read any of them."""
    shards = [SHARD_EXCHANGE, *(shard_queue_name(shard) for shard in range(SHARD_COUNT))]
    router = USERS[ROUTER_USER].permission
    assert all(
        _matches(pattern, name)
        for pattern in (router.configure, router.write, router.read)
        for name in shards
    )
    assert not _matches(router.read, SHARD_QUEUE_PREFIX + str(SHARD_COUNT))
    for user in (INTAKE_USER, agency_user("northumbria-police")):
        permission = USERS[user].permission
        assert not any(
            _matches(pattern, name)
            for pattern in (permission.configure, permission.write, permission.read)
            for name in shards
        )


def test_patterns_are_anchored_and_exact() -> None:
    """A permission matches its names exactly: no prefix, suffix or regex meaning leaks."""
    pattern = permission_pattern(["sehub.acks", "sehub.agency.a-b"])
    assert _matches(pattern, "sehub.acks")
    assert _matches(pattern, "sehub.agency.a-b")
    assert not any(
        _matches(pattern, name) for name in ("sehubXacks", "sehub.acks.x", "x.sehub.acks")
    )
    assert permission_pattern([]) == "^$"


def _existing(
    user: str, password: str, *, tags: frozenset[str] = frozenset({MANAGED_TAG})
) -> ExistingUser:
    """A user as the broker lists it, with the hash RabbitMQ would store for ``password``."""
    salt = b"\x01\x02\x03\x04"
    digest = hashlib.sha256(salt + password.encode()).digest()
    hashed = base64.b64encode(salt + digest).decode()
    return ExistingUser(user, tags, hashed, "rabbit_password_hashing_sha256")


def _plan(
    existing: list[ExistingUser],
    permissions: dict[str, Permission],
    *,
    admin_user: str = "admin",
    keep_guest: bool = True,
) -> list[str]:
    """The plan's changes as printed, for the users of ``AGENCIES``."""
    passwords = {name: f"pw-{name}" for name in USERS}
    planned = plan_provisioning(
        list(USERS.values()),
        passwords,
        existing,
        permissions,
        vhost="/",
        admin_user=admin_user,
        keep_guest=keep_guest,
    )
    return [str(change) for change in planned.changes]


def test_password_matches_reads_rabbitmqs_salted_hash() -> None:
    """The broker's salted SHA-256 hash is checked against a password, right and wrong."""
    user = _existing("u", "right")
    assert password_matches(user, "right")
    assert not password_matches(user, "wrong")


def test_a_broker_as_wanted_plans_no_change() -> None:
    """When every user, password, tag and permission is already there, the plan is empty."""
    existing = [_existing(name, f"pw-{name}") for name in USERS]
    permissions = {name: user.permission for name, user in USERS.items()}
    assert _plan(existing, permissions) == []


def test_the_plan_creates_updates_and_revokes() -> None:
    """A missing user is created and permitted, a wrong password updated, a tagged stranger
    deleted, an untagged one and the administrator left, guest deleted unless kept."""
    permissions = {name: user.permission for name, user in USERS.items()}
    police, intake = agency_user("northumbria-police"), INTAKE_USER
    existing = [_existing(name, f"pw-{name}") for name in USERS if name not in (police, intake)] + [
        _existing(intake, "stale"),
        _existing("sehub-agency-gone", "x"),
        _existing("someone-else", "x", tags=frozenset()),
        _existing("admin", "x", tags=frozenset({"administrator"})),
        _existing(GUEST, "guest", tags=frozenset({"administrator"})),
    ]
    changes = _plan(existing, permissions, keep_guest=False)
    assert changes == [
        f"update {intake}: password differ",
        f"create {police}: new agency user",
        f"set permissions of {police}: configure ^$ write ^sehub\\.acks$ read "
        "^sehub\\.agency\\.northumbria\\-police$",
        "delete guest: the default account (--keep-guest keeps it)",
        "delete sehub-agency-gone: no longer in the directory",
    ]


def test_deleting_guest_while_logged_in_as_guest_is_refused() -> None:
    """Provisioning as guest without --keep-guest would lock itself out: refused up front."""
    with pytest.raises(ConfigurationError, match="cannot delete guest"):
        _plan([], {}, admin_user=GUEST, keep_guest=False)


def test_a_credentials_url_keeps_the_brokers_location() -> None:
    """The URL written for a user keeps scheme, host, port, vhost and query, with the user's
    name and password (quoted) in place of the administrator's."""
    url = url_with_credentials("amqps://guest:guest@broker:5671/hub?cafile=/ca.pem", "u", "p/w")
    assert url == "amqps://u:p%2Fw@broker:5671/hub?cafile=/ca.pem"
    assert (vhost_of(url), vhost_of("amqp://h/"), vhost_of("amqp://h/%2F")) == ("hub", "/", "/")


def test_credentials_files_are_private_and_read_back(tmp_path: Path) -> None:
    """A written credentials file is 0600 in a 0700 directory and gives back its password."""
    credentials = BrokerCredentials(tmp_path / "amqp")
    path = credentials.write("u", url_with_credentials("amqp://h:1/", "u", "s3cret+/"))
    assert (path.stat().st_mode & 0o777, path.parent.stat().st_mode & 0o777) == (0o600, 0o700)
    assert credentials.password("u") == "s3cret+/"
    credentials.remove("u")
    assert credentials.url("u") is None


def test_a_user_is_plain_data() -> None:
    """BrokerUser carries its agency only for an agency's user."""
    assert isinstance(USERS[ROUTER_USER], BrokerUser)
    assert USERS[ROUTER_USER].agency is None
    assert USERS[agency_user("durham-adults")].agency == "durham-adults"
