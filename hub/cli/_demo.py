"""``hub demo init``: write a demo agency directory and tokens for every party to the protocol.

It also writes one entry that is not a party: ``hub-admin`` (kind ``hub``, role
``protocol_admin``), the credential for ``POST /v1/admin/protocol/explain`` (``HUB_ADMIN_TOKEN``).

Tokens are secrets: they are generated here, written only under ``var/`` (ignored by git) with
mode 0600, and the directory holds only their SHA-256, under a public id, with the scopes of
``hub tokens issue``'s defaults (parties ``post`` and ``inbox``; ``hub-admin`` ``explain``; the
auditor ``audit``) and an expiry :data:`DEMO_TOKEN_DAYS` days away. Re-running keeps what exists
unless ``--force`` is given. Keys it generates are recorded as ``keys.generated`` in the audit
log, as ``hub keys generate`` records them (``--no-audit`` to skip; :mod:`hub.cli._key_audit`).
"""

from __future__ import annotations

import argparse
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from hub._exceptions import ConfigurationError
from hub.agencies import (
    AUDITOR,
    AUDITOR_KIND,
    PROTOCOL_ADMIN,
    AgencyDirectory,
    new_token,
)
from hub.cli._key_audit import NO_AUDIT_HELP, generated_entry, record_key_change
from hub.cli._tokens import default_scopes, token_entry, write_atomically
from hub.crypto import HUB_AGENCY, KeyStore, provision_keys
from hub.ports import utc_now
from hub.settings import PROTOCOLS_DIR, Settings
from protocols import load_protocol

__all__ = [
    "ADMIN_AGENCY_ID",
    "AUDITOR_ID",
    "DEMO_TOKEN_DAYS",
    "register",
    "token_variable",
    "write_demo",
]

SHIPPED_PROTOCOL = PROTOCOLS_DIR / "northumberland.yaml"
ADMIN_AGENCY_ID = "hub-admin"
AUDITOR_ID = "hub-auditor"
DEMO_TOKEN_DAYS = 365


def token_variable(agency_id: str) -> str:
    """The shell variable a demo token is written under, e.g. NORTHUMBRIA_POLICE_TOKEN."""
    return agency_id.upper().replace("-", "_") + "_TOKEN"


def register(commands: Any) -> None:
    demo = commands.add_parser("demo", help="demo configuration")
    actions = demo.add_subparsers(dest="demo_command", required=True)
    init = actions.add_parser("init", help="write var/demo/agencies.yaml and tokens.env")
    init.add_argument("--force", action="store_true", help="replace existing demo files")
    init.add_argument("--no-audit", action="store_true", help=NO_AUDIT_HELP)
    init.set_defaults(handler=init_demo)


def write_demo(
    agencies_path: Path,
    tokens_path: Path,
    protocol_path: Path = SHIPPED_PROTOCOL,
    keys_dir: Path | None = None,
) -> dict[str, str]:
    """Write a fresh directory and token file for the protocol's parties and the hub's protocol
    administrators (``hub-admin``); returns the tokens by agency id."""
    parties = load_protocol(protocol_path).parties
    if keys_dir is not None:
        # Demo only: every party's keys on one machine. A deployment gives each its own.
        provision_keys(keys_dir, [HUB_AGENCY, *(p.id for p in parties)], utc_now())
    if any(party.id in (ADMIN_AGENCY_ID, AUDITOR_ID) for party in parties):
        raise ConfigurationError(f"{ADMIN_AGENCY_ID} and {AUDITOR_ID} are reserved for the hub")
    tokens = {party.id: new_token() for party in parties}
    tokens[ADMIN_AGENCY_ID] = new_token()
    tokens[AUDITOR_ID] = new_token()
    agencies: list[dict[str, Any]] = [
        {
            "id": party.id,
            "name": party.name,
            "kind": party.kind.value,
            **({"la_code": party.la_code} if party.la_code else {}),
        }
        for party in parties
    ]
    agencies.append(
        {
            "id": ADMIN_AGENCY_ID,
            "name": "Hub protocol administrators",
            "kind": "hub",
            "roles": [PROTOCOL_ADMIN],
        }
    )
    agencies.append(
        {
            "id": AUDITOR_ID,
            "name": "Partnership audit and inspection",
            "kind": AUDITOR_KIND,
            "roles": [AUDITOR],
        }
    )
    expires = utc_now().replace(microsecond=0) + timedelta(days=DEMO_TOKEN_DAYS)
    for entry in agencies:
        entry["tokens"] = [token_entry(tokens[entry["id"]], default_scopes(entry), expires)]
    directory = {"agencies": agencies}
    write_atomically(agencies_path, yaml.safe_dump(directory, sort_keys=False))
    descriptor = os.open(tokens_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(
            "# Demo bearer tokens. Secrets: never commit. Regenerate: hub demo init --force\n"
        )
        for agency_id, token in tokens.items():
            handle.write(f"{token_variable(agency_id)}={token}\n")
    return tokens


def _covers(agencies_path: Path, parties: tuple[str, ...]) -> bool:
    try:
        return set(parties) <= set(AgencyDirectory.load(agencies_path))
    except ConfigurationError:
        return False


async def init_demo(args: argparse.Namespace, settings: Settings) -> int:
    agencies_path = settings.agencies_path
    tokens_path = agencies_path.with_name("tokens.env")
    parties = load_protocol(settings.protocol_path).party_ids
    now = utc_now()
    # Keys first, as write_demo would: only the agencies that have none get new ones.
    created = provision_keys(settings.keys_dir, [HUB_AGENCY, *parties], now)
    if agencies_path.exists() and tokens_path.exists() and not args.force:
        if _covers(agencies_path, parties):
            print(f"demo configuration already in {agencies_path.parent} (use --force to replace)")
            return await _audit_keys(settings, created, now, enabled=not args.no_audit)
        print(
            "the demo directory lacks parties of the protocol or is in an older format "
            "(token_sha256); writing a new one (new tokens)"
        )
    write_demo(agencies_path, tokens_path, settings.protocol_path)
    print(f"wrote {agencies_path} and {tokens_path} (tokens, mode 0600)")
    return await _audit_keys(settings, created, now, enabled=not args.no_audit)


async def _audit_keys(
    settings: Settings, created: list[str], now: datetime, *, enabled: bool
) -> int:
    """``keys.generated`` for each agency whose keys were just made, from its public keys."""
    store = KeyStore(settings.keys_dir)
    documents = {document.agency: document for document in store.public_documents()}
    entries = [generated_entry(documents[agency], now) for agency in created]
    return await record_key_change(settings, entries, enabled=enabled, command="hub demo init")
