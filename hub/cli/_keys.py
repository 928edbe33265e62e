"""``hub keys``: generate, list, rotate and retire signing and encryption keys.

Keys live under ``--dir`` (default ``Settings.keys_dir``, ``HUB_KEYS_DIR``): private documents in
``DIR/private/<agency>.jwks.json`` (mode 0600) and public ones in ``DIR/public/``. Publish the
public document to the hub and the other agencies; the private one never leaves its host, and
never enters the repository. ``list`` reads only public documents, so it never prints private
material. ``generate``, ``rotate`` and ``retire`` then append ``keys.generated``,
``keys.rotated`` or ``keys.retired`` to the audit log (:mod:`hub.cli._key_audit`), unless
``--no-audit`` is given. Exit codes: 0 done, 2 bad usage (unknown kid, keys already exist), 1
unreadable files, or the change made but its audit record missing.

    hub keys generate --agency northumbria-police [--pq]
    hub keys rotate --agency northumbria-police --use enc --overlap 7d
    hub keys retire --agency northumbria-police --kid northumbria-police-enc-20261129-6cb7
    hub keys list
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hub.cli._key_audit import (
    NO_AUDIT_HELP,
    generated_entry,
    record_key_change,
    retired_entry,
    rotated_entry,
)
from hub.crypto import (
    AGENCY_ID_PATTERN,
    DEFAULT_LIFETIME,
    DEFAULT_OVERLAP,
    HPKE_HYBRID,
    HPKE_X25519,
    Algorithm,
    KeyRotation,
    KeyStore,
    KeyUse,
    generate_document,
    newest_usable,
)
from hub.ports import utc_now
from hub.settings import Settings

__all__ = ["register"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_USES: tuple[KeyUse, ...] = ("sig", "enc")


def _duration(text: str) -> timedelta:
    match = re.fullmatch(r"([0-9]+)([smhd]?)", text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 7d, 12h, 3600s)")
    return timedelta(seconds=int(match[1]) * _UNITS[match[2] or "s"])


def _agency(text: str) -> str:
    if not re.fullmatch(AGENCY_ID_PATTERN, text):
        raise argparse.ArgumentTypeError(f"not an agency id: {text!r}")
    return text


def register(commands: Any) -> None:
    parser = commands.add_parser("keys", help="generate, list, rotate and retire keys")
    actions = parser.add_subparsers(dest="keys_command", required=True)

    def action(
        name: str, help_text: str, handler: Any, *, audited: bool = True
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = actions.add_parser(name, help=help_text)
        sub.add_argument("--dir", type=Path, help="keys directory (default: HUB_KEYS_DIR)")
        if audited:
            sub.add_argument("--no-audit", action="store_true", help=NO_AUDIT_HELP)
        sub.set_defaults(handler=handler)
        return sub

    generate = action("generate", "create an agency's first signing and encryption keys", _gen)
    generate.add_argument("--agency", required=True, type=_agency, help="agency id, or 'hub'")
    generate.add_argument("--pq", action="store_true", help="ML-KEM-768+X25519 encryption key")
    generate.add_argument("--lifetime", type=_duration, default=DEFAULT_LIFETIME)

    action("list", "list every public key and its status", _list, audited=False)

    rotate = action("rotate", "add new keys; old ones keep working for the overlap", _rotate)
    rotate.add_argument("--agency", required=True, type=_agency)
    rotate.add_argument("--use", choices=("sig", "enc", "both"), default="both")
    rotate.add_argument("--overlap", type=_duration, default=DEFAULT_OVERLAP)
    rotate.add_argument("--lifetime", type=_duration, default=DEFAULT_LIFETIME)
    rotate.add_argument("--activate-after", type=_duration, default=timedelta(0))
    suite = rotate.add_mutually_exclusive_group()
    suite.add_argument("--pq", action="store_true", help="new encryption key is ML-KEM hybrid")
    suite.add_argument("--classic", action="store_true", help="new encryption key is X25519")

    retire = action("retire", "stop a key verifying and opening, now", _retire)
    retire.add_argument("--agency", required=True, type=_agency)
    retire.add_argument("--kid", required=True)


def _store(args: argparse.Namespace, settings: Settings) -> KeyStore:
    return KeyStore(args.dir if args.dir is not None else settings.keys_dir)


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def _gen(args: argparse.Namespace, settings: Settings) -> int:
    store = _store(args, settings)
    if store.has_private(args.agency):
        print(f"hub keys: {args.agency} already has keys; use 'hub keys rotate'", file=sys.stderr)
        return 2
    now = utc_now()
    document = generate_document(args.agency, now, pq=args.pq, lifetime=args.lifetime)
    store.save(document)
    for key in document.keys:
        print(f"{key.kid}  {key.use}  {key.alg}")
    print(f"private: {store.private_path(args.agency)} (0600)")
    print(f"public:  {store.public_path(args.agency)} (publish this one)")
    entry = generated_entry(document.public(), now)
    return await record_key_change(
        settings, [entry], enabled=not args.no_audit, command="hub keys generate"
    )


async def _list(args: argparse.Namespace, settings: Settings) -> int:
    now = utc_now().timestamp()
    rows = [("AGENCY", "KID", "USE", "ALG", "NBF", "EXP", "STATUS")]
    for document in _store(args, settings).public_documents():
        newest = {
            key.kid for use in _USES if (key := newest_usable(document.keys, use, now)) is not None
        }
        rows.extend(
            (
                document.agency,
                key.kid,
                key.use,
                key.alg,
                _iso(key.nbf),
                _iso(key.exp),
                key.status(now, frozenset(newest)),
            )
            for key in document.keys
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())
    return 0


async def _rotate(args: argparse.Namespace, settings: Settings) -> int:
    store = _store(args, settings)
    if not store.has_private(args.agency):
        print(f"hub keys: {args.agency} has no keys; use 'hub keys generate'", file=sys.stderr)
        return 2
    document = store.read_private(args.agency)
    rotation = KeyRotation(overlap=args.overlap, lifetime=args.lifetime)
    now = utc_now()
    uses: tuple[KeyUse, ...] = _USES if args.use == "both" else (args.use,)
    steps = []
    for use in uses:
        alg: Algorithm | None = None
        if use == "enc" and (args.pq or args.classic):
            alg = HPKE_HYBRID if args.pq else HPKE_X25519
        before = document
        document, new = rotation.rotate(
            document, use, now, alg=alg, activate_after=args.activate_after
        )
        steps.append((before.public(), document.public(), new.public()))
        print(f"new {use} key {new.kid} ({new.alg}) from {_iso(new.nbf)}")
    store.save(document)
    for key in document.keys:
        print(f"  {key.kid}  expires {_iso(key.exp)}")
    print(f"publish {store.public_path(args.agency)} to the hub and the other agencies")
    entries = [rotated_entry(b, a, new, args.overlap, now) for b, a, new in steps]
    return await record_key_change(
        settings, entries, enabled=not args.no_audit, command="hub keys rotate"
    )


async def _retire(args: argparse.Namespace, settings: Settings) -> int:
    store = _store(args, settings)
    if not store.has_private(args.agency):
        print(f"hub keys: {args.agency} has no keys", file=sys.stderr)
        return 2
    document = store.read_private(args.agency)
    now = utc_now()
    try:
        document = KeyRotation().retire(document, args.kid, now)
    except ValueError as exc:
        print(f"hub keys: {exc}", file=sys.stderr)
        return 2
    store.save(document)
    print(f"retired {args.kid}")
    retired = next(key for key in document.keys if key.kid == args.kid).public()
    if newest_usable(document.keys, retired.use, now.timestamp()) is None:
        print(
            f"hub keys: warning: {args.agency} has no usable {retired.use} key left",
            file=sys.stderr,
        )
    entry = retired_entry(args.agency, retired, now)
    return await record_key_change(
        settings, [entry], enabled=not args.no_audit, command="hub keys retire"
    )
