"""``hub demo init``: write a demo agency directory and tokens for the four demo agencies.

Tokens are secrets: they are generated here, written only under ``var/`` (ignored by git) with
mode 0600, and the directory holds only their SHA-256. Re-running keeps what exists unless
``--force`` is given.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import yaml

from hub.agencies import hash_token, new_token
from hub.settings import Settings

__all__ = ["DEMO_AGENCIES", "register", "token_variable", "write_demo"]

NORTHUMBERLAND_LA = "929"
DEMO_AGENCIES: tuple[tuple[str, str, str], ...] = (
    ("northumbria-police", "Northumbria Police", "police"),
    (
        "northumberland-childrens",
        "Northumberland County Council children's services",
        "children_services",
    ),
    ("northumberland-adults", "Northumberland County Council adult social care", "adult_services"),
    ("northumberland-education", "Northumberland County Council education", "education"),
)


def token_variable(agency_id: str) -> str:
    """The shell variable a demo token is written under, e.g. NORTHUMBRIA_POLICE_TOKEN."""
    return agency_id.upper().replace("-", "_") + "_TOKEN"


def register(commands: Any) -> None:
    demo = commands.add_parser("demo", help="demo configuration")
    actions = demo.add_subparsers(dest="demo_command", required=True)
    init = actions.add_parser("init", help="write var/demo/agencies.yaml and tokens.env")
    init.add_argument("--force", action="store_true", help="replace existing demo files")
    init.set_defaults(handler=init_demo)


def write_demo(agencies_path: Path, tokens_path: Path) -> dict[str, str]:
    """Write a fresh directory and token file; returns the tokens by agency id."""
    tokens = {agency_id: new_token() for agency_id, _, _ in DEMO_AGENCIES}
    directory = {
        "agencies": [
            {
                "id": agency_id,
                "name": name,
                "kind": kind,
                **({} if kind == "police" else {"la_code": NORTHUMBERLAND_LA}),
                "token_sha256": [hash_token(tokens[agency_id])],
            }
            for agency_id, name, kind in DEMO_AGENCIES
        ]
    }
    agencies_path.parent.mkdir(parents=True, exist_ok=True)
    agencies_path.write_text(yaml.safe_dump(directory, sort_keys=False), encoding="utf-8")
    descriptor = os.open(tokens_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(
            "# Demo bearer tokens. Secrets: never commit. Regenerate: hub demo init --force\n"
        )
        for agency_id, token in tokens.items():
            handle.write(f"{token_variable(agency_id)}={token}\n")
    return tokens


async def init_demo(args: argparse.Namespace, settings: Settings) -> int:
    agencies_path = settings.agencies_path
    tokens_path = agencies_path.with_name("tokens.env")
    if agencies_path.exists() and tokens_path.exists() and not args.force:
        print(f"demo configuration already in {agencies_path.parent} (use --force to replace)")
        return 0
    write_demo(agencies_path, tokens_path)
    print(f"wrote {agencies_path} and {tokens_path} (tokens, mode 0600)")
    return 0
