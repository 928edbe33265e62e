"""``hub tokens issue|revoke|list --agency ID``: an agency's bearer tokens in the directory file.

Rules:

1. The command edits ``HUB_AGENCIES_PATH`` in place: the edited document must load as a
   directory (:class:`hub.agencies.AgencyDirectory`) and pass the checks a running hub's reload
   makes against the protocol (:func:`hub.bootstrap.check_directory`) before it is written, so
   that a revocation is never written into a file the hub would refuse; it is written
   atomically (a temporary file in the same folder, flushed, then renamed over the old one), so
   a running hub never reads half a file. The YAML is rewritten: comments are not kept.
2. ``issue`` prints the new token once, on standard output, and stores only its SHA-256 under a
   new public id. The token is never logged and never written anywhere else.
3. ``revoke`` stamps the token's ``revoked`` with the time now; the entry is kept, so ``list``
   still shows it and an auditor can tell which id it was. Revoking twice changes nothing.
4. ``list`` shows ids, scopes, expiry and state: never a hash.
5. A running hub reloads the file within a second of the rename (or on SIGHUP), audits the
   reload as ``directory.loaded``, and from then on refuses a revoked token.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from hub._exceptions import ConfigurationError
from hub.agencies import (
    AUDITOR_KIND,
    PROTOCOL_ADMIN,
    SCOPES,
    AgencyDirectory,
    Scope,
    Token,
    hash_token,
    new_token,
    new_token_id,
)
from hub.bootstrap import check_directory
from hub.ports import utc_now
from hub.settings import Settings
from protocols import ProtocolError, load_protocol

__all__ = ["default_scopes", "register", "token_entry", "write_atomically"]

DEFAULT_DAYS = 90


def default_scopes(entry: dict[str, Any]) -> tuple[Scope, ...]:
    """The scopes a new token of this directory entry gets unless others are asked for."""
    if entry.get("kind") == AUDITOR_KIND:
        return ("audit",)
    if PROTOCOL_ADMIN in entry.get("roles", ()):
        return ("explain",)
    return ("post", "inbox")


def token_entry(
    token: str, scopes: tuple[Scope, ...], expires: datetime, types: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The directory's entry for a new token: a fresh id and the token's hash, never the token;
    with ``types``, the only notification types it may post."""
    return {
        "id": new_token_id(),
        "sha256": hash_token(token),
        "scopes": list(scopes),
        "expires": expires.isoformat(),
        **({"types": list(types)} if types else {}),
    }


def write_atomically(path: Path, text: str, mode: int = 0o644) -> None:
    """Replace ``path`` with ``text`` so that a reader sees the old file or the new, whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def register(commands: Any) -> None:
    tokens = commands.add_parser("tokens", help="issue, revoke and list an agency's API tokens")
    actions = tokens.add_subparsers(dest="tokens_command", required=True)
    issue = actions.add_parser("issue", help="issue a token; it is printed once")
    issue.add_argument("--agency", required=True)
    issue.add_argument(
        "--scopes",
        help=f"comma-separated, of {', '.join(SCOPES)} (default: by the agency's kind and roles)",
    )
    issue.add_argument(
        "--days", type=int, default=DEFAULT_DAYS, help=f"valid for (default {DEFAULT_DAYS})"
    )
    issue.add_argument(
        "--types",
        help="comma-separated notification types: the only ones the token may post (default any)",
    )
    issue.set_defaults(handler=issue_token)
    revoke = actions.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("--agency", required=True)
    revoke.add_argument("--id", required=True, dest="token_id")
    revoke.set_defaults(handler=revoke_token)
    listing = actions.add_parser("list", help="list an agency's tokens (never a hash)")
    listing.add_argument("--agency", required=True)
    listing.set_defaults(handler=list_tokens)


def _read(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"cannot read the agency directory {path}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("agencies"), list):
        raise ConfigurationError(f"{path} holds no list of agencies")
    return document


def _entry(document: dict[str, Any], agency_id: str) -> dict[str, Any]:
    for entry in document["agencies"]:
        if isinstance(entry, dict) and entry.get("id") == agency_id:
            return entry
    raise ConfigurationError(f"no agency {agency_id} in the directory")


def _write(path: Path, document: dict[str, Any], settings: Settings) -> None:
    # Rule 1: check as a running hub's reload will (the protocol's parties, LA codes, limits),
    # then write; a file the hub would refuse would leave a revoked token in use there.
    edited = AgencyDirectory.from_document(document, origin="as edited")
    try:
        protocol = load_protocol(settings.protocol_path)
    except ProtocolError as exc:
        raise ConfigurationError(str(exc)) from exc
    check_directory(edited, protocol, settings)
    write_atomically(path, yaml.safe_dump(document, sort_keys=False))


def _scopes(asked: str | None, entry: dict[str, Any]) -> tuple[Scope, ...]:
    if asked is None:
        return default_scopes(entry)
    chosen = tuple(scope.strip() for scope in asked.split(",") if scope.strip())
    unknown = sorted(set(chosen) - set(SCOPES))
    if unknown or not chosen:
        raise ConfigurationError(f"scopes are some of {', '.join(SCOPES)}; not {unknown}")
    return tuple(scope for scope in SCOPES if scope in chosen)


async def issue_token(args: argparse.Namespace, settings: Settings) -> int:
    path = settings.agencies_path
    document = _read(path)
    entry = _entry(document, args.agency)
    if args.days <= 0:
        raise ConfigurationError("--days must be positive")
    token = new_token()
    expires = utc_now().replace(microsecond=0) + timedelta(days=args.days)
    types = tuple(t for t in (args.types or "").split(",") if t)
    added = token_entry(token, _scopes(args.scopes, entry), expires, types)
    entry["tokens"] = [*entry.get("tokens", []), added]
    _write(path, document, settings)
    print(f"issued {added['id']} for {args.agency}: {', '.join(added['scopes'])}, until {expires}")
    print("the token (shown once; store it as a secret):")
    print(token, flush=True)
    return 0


async def revoke_token(args: argparse.Namespace, settings: Settings) -> int:
    path = settings.agencies_path
    document = _read(path)
    entry = _entry(document, args.agency)
    for token in entry.get("tokens", []):
        if isinstance(token, dict) and token.get("id") == args.token_id:
            if token.get("revoked") is not None:
                print(f"{args.token_id} was already revoked at {token['revoked']}")
                return 0
            token["revoked"] = utc_now().replace(microsecond=0).isoformat()
            _write(path, document, settings)
            print(f"revoked {args.token_id} of {args.agency}; a running hub refuses it at reload")
            return 0
    raise ConfigurationError(f"{args.agency} has no token {args.token_id}")


async def list_tokens(args: argparse.Namespace, settings: Settings) -> int:
    agency = AgencyDirectory.load(settings.agencies_path).get(args.agency)
    if agency is None:
        raise ConfigurationError(f"no agency {args.agency} in the directory")
    now = utc_now()
    for token in agency.tokens:
        scopes = ",".join(token.scopes)
        print(f"{token.id}\t{scopes}\t{token.expires.isoformat()}\t{_state(token, now)}")
    return 0


def _state(token: Token, now: datetime) -> str:
    if token.revoked is not None and token.revoked <= now:
        return f"revoked {token.revoked.isoformat()}"
    return "live" if token.live_at(now) else "expired"
