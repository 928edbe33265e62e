"""Maintenance commands that bring derived artefacts up to date.

* ``hub db upgrade``: apply the Alembic migrations to the database (``HUB_DATABASE_URL``).
* ``hub schemas export [--dir DIR]``: write one JSON Schema per notification type, by default to
  ``schemas/json/`` (a test fails while the checked-in copies are stale).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hub.db import create_engine_for, migrate
from hub.settings import Settings
from schemas import JSON_SCHEMA_DIR, export_json_schemas

__all__ = ["register"]


def register(commands: Any) -> None:
    db = commands.add_parser("db", help="database administration")
    db_actions = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_actions.add_parser("upgrade", help="apply the Alembic migrations")
    upgrade.set_defaults(handler=upgrade_db)

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


async def export_schemas(args: argparse.Namespace, _settings: Settings) -> int:
    for path in export_json_schemas(args.dir):
        print(path)
    return 0
