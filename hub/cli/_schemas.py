"""``hub schemas export``: write one JSON Schema per notification type to ``schemas/json/``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hub.settings import Settings
from schemas import JSON_SCHEMA_DIR, export_json_schemas

__all__ = ["register"]


def register(commands: Any) -> None:
    parser = commands.add_parser("schemas", help="canonical notification schemas")
    actions = parser.add_subparsers(dest="schemas_command", required=True)
    export = actions.add_parser("export", help="write the JSON Schemas")
    export.add_argument("--dir", type=Path, default=JSON_SCHEMA_DIR, help="output directory")
    export.set_defaults(handler=export_schemas)


async def export_schemas(args: argparse.Namespace, _settings: Settings) -> int:
    for path in export_json_schemas(args.dir):
        print(path)
    return 0
