"""Maintenance commands that bring derived artefacts up to date.

* ``hub db upgrade``: apply the Alembic migrations to the database (``HUB_DATABASE_URL``).
* ``hub db grant --writer ROLE --auditor ROLE``: on PostgreSQL, as the tables' owner, let the
  hub's role only append to the audit log and the auditors' role only read it.
* ``hub schemas export [--dir DIR]``: write one JSON Schema per notification type, by default to
  ``schemas/json/`` (a test fails while the checked-in copies are stale).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hub.db import create_engine_for, grant_roles, migrate
from hub.settings import Settings
from schemas import JSON_SCHEMA_DIR, export_json_schemas

__all__ = ["register"]


def register(commands: Any) -> None:
    db = commands.add_parser("db", help="database administration")
    db_actions = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_actions.add_parser("upgrade", help="apply the Alembic migrations")
    upgrade.set_defaults(handler=upgrade_db)
    grant = db_actions.add_parser(
        "grant", help="PostgreSQL: let WRITER only append to the audit log, AUDITOR only read it"
    )
    grant.add_argument("--writer", required=True, help="the role the hub connects as")
    grant.add_argument("--auditor", required=True, help="the role auditors connect as")
    grant.set_defaults(handler=grant_db)

    schemas = commands.add_parser("schemas", help="canonical notification schemas")
    schema_actions = schemas.add_subparsers(dest="schemas_command", required=True)
    export = schema_actions.add_parser("export", help="write the JSON Schemas")
    export.add_argument("--dir", type=Path, default=JSON_SCHEMA_DIR, help="output directory")
    export.set_defaults(handler=export_schemas)


async def upgrade_db(_args: argparse.Namespace, settings: Settings) -> int:
    engine = create_engine_for(settings.database_url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()
    print("the database (audit log, routing state, outbox) is at the newest migration")
    return 0


async def grant_db(args: argparse.Namespace, settings: Settings) -> int:
    engine = create_engine_for(settings.database_url)
    try:
        await grant_roles(engine, writer=args.writer, auditor=args.auditor)
    finally:
        await engine.dispose()
    print(f"{args.writer} may append to the audit log; {args.auditor} may read it")
    return 0


async def export_schemas(args: argparse.Namespace, _settings: Settings) -> int:
    for path in export_json_schemas(args.dir):
        print(path)
    return 0
