"""``hub provision [--keep-guest] [--rotate] [--dry-run]``: the broker's users, one per agency and
one per hub role, with the permissions the directory implies (``hub.delivery.broker_users``).

Through RabbitMQ's management API as an administrator (``HUB_RABBITMQ_ADMIN_URL``), on the
vhost ``HUB_AMQP_URL`` names. It declares the topology as that administrator, creates or
updates ``sehub-router``, ``sehub-intake`` and ``sehub-agency-<id>``, revokes the users it made
that the directory no longer has, and deletes ``guest`` unless ``--keep-guest`` (the demo keeps
it: the test suite's broker and ``make run``'s other commands use it). Idempotent: a second
run changes nothing.

Passwords are generated, never printed; each user's AMQP URL is written to
``<directory of HUB_AGENCIES_PATH>/amqp/<user>.url`` (``var/demo/amqp/`` in the demo, mode 0600)
and reused on the next run; ``--rotate`` makes new ones. ``--dry-run`` prints the plan only.

Exit codes: 0 done (or planned), 1 the broker or its management API failed, or the
configuration is unusable (e.g. deleting ``guest`` while logged in as ``guest``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from hub._exceptions import ConfigurationError
from hub.agencies import AgencyDirectory
from hub.delivery import (
    Broker,
    BrokerCredentials,
    ManagementApi,
    apply_provisioning,
    broker_urls,
    broker_users,
    plan_provisioning,
    url_with_credentials,
    vhost_of,
)
from hub.settings import Settings

__all__ = ["credentials_dir", "register"]


def credentials_dir(settings: Settings) -> Path:
    """Where each broker user's URL file is: ``amqp/`` beside the agency directory."""
    return settings.agencies_path.parent / "amqp"


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "provision", help="create the broker's users and permissions from the agency directory"
    )
    parser.add_argument(
        "--keep-guest", action="store_true", help="do not delete RabbitMQ's guest (demo, tests)"
    )
    parser.add_argument("--rotate", action="store_true", help="give every user a new password")
    parser.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    parser.set_defaults(handler=provision)


def _admin_amqp_url(settings: Settings) -> str:
    """The AMQP URL of the broker, logging in as the management API's administrator."""
    admin = urlsplit(settings.rabbitmq_admin_url)
    return url_with_credentials(
        settings.amqp_url, unquote(admin.username or ""), unquote(admin.password or "")
    )


async def _check_same_broker(api: ManagementApi, settings: Settings) -> None:
    """Users go through the management API, the topology through AMQP: one broker, or neither."""
    parts = urlsplit(broker_urls(settings.amqp_url)[0])
    port = parts.port or (5671 if parts.scheme == "amqps" else 5672)
    if port not in await api.amqp_ports():
        raise ConfigurationError(
            f"the management API (HUB_RABBITMQ_ADMIN_URL) has no AMQP listener on port {port}, "
            "which HUB_AMQP_URL names: they are not the same broker"
        )


async def provision(args: argparse.Namespace, settings: Settings) -> int:
    agencies = AgencyDirectory.load(settings.agencies_path)
    auditors = [agency_id for agency_id in agencies if agencies[agency_id].is_auditor]
    wanted = broker_users(agencies, auditors=auditors)
    credentials = BrokerCredentials(credentials_dir(settings))
    passwords = {
        user.name: (None if args.rotate else credentials.password(user.name))
        or credentials.new_password()
        for user in wanted
    }
    vhost = vhost_of(settings.amqp_url)
    async with ManagementApi(settings.rabbitmq_admin_url) as api:
        await _check_same_broker(api, settings)
        exists = await api.vhost_exists(vhost)
        planned = plan_provisioning(
            wanted,
            passwords,
            await api.users(),
            await api.permissions(vhost) if exists else {},
            vhost=vhost,
            vhost_exists=exists,
            admin_user=api.admin_user,
            keep_guest=args.keep_guest,
        )
        print(f"declare the topology in vhost {vhost} ({len(agencies)} agency queues)")
        for change in planned.changes:
            print(change)
        if not planned.changes:
            print("users and permissions already as the directory says")
        if args.dry_run:
            print("dry run: nothing changed")
            return 0
        for user in wanted:
            url = url_with_credentials(settings.amqp_url, user.name, passwords[user.name])
            if credentials.url(user.name) != url:
                credentials.write(user.name, url)

        async def declare() -> None:
            broker = Broker(_admin_amqp_url(settings))
            try:
                await broker.connect()
                await broker.declare_topology(agencies)
            finally:
                await broker.close()

        await apply_provisioning(
            api, planned, wanted, passwords, declare=declare, forget=credentials.remove
        )
    print(f"credentials in {credentials.directory}/ (<user>.url, mode 0600)")
    return 0
