"""``hub db upgrade``: bring the audit database to the newest migration."""

from __future__ import annotations

import argparse
from typing import Any

from hub.settings import Settings
from hub.stores import SqlAuditLog

__all__ = ["register"]


def register(commands: Any) -> None:
    db = commands.add_parser("db", help="database administration")
    actions = db.add_subparsers(dest="db_command", required=True)
    upgrade = actions.add_parser("upgrade", help="apply the Alembic migrations")
    upgrade.set_defaults(handler=upgrade_db)


async def upgrade_db(_args: argparse.Namespace, settings: Settings) -> int:
    audit = SqlAuditLog.from_url(settings.database_url)
    try:
        await audit.migrate()
    finally:
        await audit.close()
    print("audit database is at the newest migration")
    return 0
