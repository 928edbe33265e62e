"""``hub protocol explain|lint|diff``: tools for the people who sign the protocol off.

* ``explain NOTIFICATION.json [--protocol FILE] [--placed-in LA]`` prints, as JSON, what the
  protocol decides for one notification: per recipient the rule, lawful basis, purpose and the
  paths shared and withheld; every rule or recipient not used, with the reason. ``--placed-in``
  assumes an active out-of-area placement hosted by that LA. Deadlines are counted from the
  notification's time. Exit 0; 2 for an invalid notification (problems printed) or protocol.
* ``lint [FILE] [--agencies DIRECTORY.yaml] [--format table|jsonl] [--strict]`` prints findings.
  Exit 0 when there is no error (warnings are printed; ``--strict`` counts them too), 1 when
  there is, 2 when the protocol or the directory cannot be read.
* ``diff OLD NEW`` prints, as JSON, what changes and for whom. Exit 0; 2 for an invalid file.

Nothing here connects to the broker or the database.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from adapters import PRODUCES
from hub._exceptions import ConfigurationError
from hub.agencies import AgencyDirectory
from hub.settings import Settings
from hub.sharing import RISK_ORDER, RiskTold, simulate
from hub.validation import notification_problems
from protocols import (
    Finding,
    Protocol,
    ProtocolError,
    Severity,
    diff_protocols,
    lint_protocol,
    parse_protocol,
)
from schemas import AREA_CODE_PATTERN, parse_notification

__all__ = ["register"]

USAGE_ERROR = 2


def _la_code(text: str) -> str:
    if not re.match(AREA_CODE_PATTERN, text):
        raise argparse.ArgumentTypeError(
            "expected an LA code (DfE, or GSS outside England), or SCO, WAL, NIR, NUK"
        )
    return text


def register(commands: Any) -> None:
    parser = commands.add_parser("protocol", help="explain, lint and diff sharing protocols")
    actions = parser.add_subparsers(dest="protocol_command", required=True)

    explain_parser = actions.add_parser(
        "explain", help="show who a notification would be shared with, what, and why"
    )
    explain_parser.add_argument("notification", type=Path, help="a canonical notification (JSON)")
    explain_parser.add_argument(
        "--protocol", type=Path, default=None, help="protocol file (default: HUB_PROTOCOL_PATH)"
    )
    explain_parser.add_argument(
        "--placed-in",
        type=_la_code,
        default=None,
        metavar="LA_CODE",
        help="assume the subject is placed out of area, hosted by this LA",
    )
    explain_parser.add_argument(
        "--placed-by",
        type=_la_code,
        default=None,
        metavar="LA_CODE",
        help="with --placed-in: the LA the hub remembers placed the child (default: responsible)",
    )
    explain_parser.add_argument(
        "--told",
        type=_told,
        action="append",
        default=[],
        metavar="RULE:AGENCY:LEVEL[:rmg]",
        help="assume AGENCY was told of LEVEL (low/medium/high) under RULE earlier (repeatable)",
    )
    explain_parser.add_argument(
        "--in-known-episode",
        action="store_true",
        help="assume another agency already reported this missing episode (one hub reference)",
    )
    explain_parser.set_defaults(handler=explain_file)

    lint = actions.add_parser("lint", help="check a protocol for mistakes")
    lint.add_argument("file", type=Path, nargs="?", default=None, help="default: HUB_PROTOCOL_PATH")
    lint.add_argument(
        "--agencies", type=Path, default=None, help="agency directory to check parties against"
    )
    lint.add_argument("--format", choices=("table", "jsonl"), default="table")
    lint.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    lint.set_defaults(handler=lint_file)

    diff = actions.add_parser("diff", help="show what changes between two protocol versions")
    diff.add_argument("old", type=Path)
    diff.add_argument("new", type=Path)
    diff.set_defaults(handler=diff_files)


def _load(path: Path, command: str) -> tuple[Protocol, bytes] | None:
    """The protocol and its bytes, or None after printing why it cannot be used."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        print(f"hub protocol {command}: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return None
    try:
        return parse_protocol(text, origin=str(path)), text
    except ProtocolError as exc:
        print(f"hub protocol {command}: invalid protocol:\n{exc}", file=sys.stderr)
        return None


async def explain_file(args: argparse.Namespace, settings: Settings) -> int:
    loaded = _load(args.protocol or settings.protocol_path, "explain")
    if loaded is None:
        return USAGE_ERROR
    protocol, _ = loaded
    try:
        body = args.notification.read_bytes()
    except OSError as exc:
        print(
            f"hub protocol explain: cannot read {args.notification}: {exc.strerror}",
            file=sys.stderr,
        )
        return USAGE_ERROR
    try:
        notification = parse_notification(body)
    except ValidationError as exc:
        problems = [
            {"field": p.field, "rule": p.rule, "message": p.message}
            for p in notification_problems(exc, body)
        ]
        print(json.dumps({"problems": problems}, indent=2))
        return USAGE_ERROR
    explained = simulate(
        notification,
        protocol,
        placed_in=args.placed_in,
        placed_by=args.placed_by,
        told=tuple(args.told),
        in_known_episode=args.in_known_episode,
    )
    print(json.dumps(explained, indent=2))
    return 0


def _told(text: str) -> RiskTold:
    parts = text.split(":")
    if len(parts) not in (3, 4) or parts[2] not in RISK_ORDER or parts[3:] not in ([], ["rmg"]):
        raise argparse.ArgumentTypeError("expected RULE:AGENCY:LEVEL or RULE:AGENCY:LEVEL:rmg")
    return RiskTold(parts[1], parts[0], RISK_ORDER[parts[2]], on_rmg=parts[3:] == ["rmg"])


def _table(findings: Sequence[Finding]) -> str:
    if not findings:
        return "no findings"
    rows = [
        (f.severity.value, "" if f.line is None else str(f.line), f.rule or "-", f.code, f.message)
        for f in findings
    ]
    header = ("SEVERITY", "LINE", "RULE", "CHECK", "MESSAGE")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(4)]
    lines = [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[4]])
        for row in (header, *rows)
    ]
    return "\n".join(line.rstrip() for line in lines)


async def lint_file(args: argparse.Namespace, settings: Settings) -> int:
    loaded = _load(args.file or settings.protocol_path, "lint")
    if loaded is None:
        return USAGE_ERROR
    protocol, text = loaded
    agency_ids = None
    if args.agencies is not None:
        try:
            agency_ids = set(AgencyDirectory.load(args.agencies))
        except ConfigurationError as exc:
            print(f"hub protocol lint: {exc.detail}", file=sys.stderr)
            return USAGE_ERROR
    findings = lint_protocol(protocol, source=text, agency_ids=agency_ids, produced=PRODUCES)
    if args.format == "jsonl":
        for finding in findings:
            print(json.dumps(finding.as_dict()))
    else:
        print(_table(findings))
    failing = [f for f in findings if args.strict or f.severity is Severity.ERROR]
    return 1 if failing else 0


async def diff_files(args: argparse.Namespace, _settings: Settings) -> int:
    old = _load(args.old, "diff")
    new = _load(args.new, "diff")
    if old is None or new is None:
        return USAGE_ERROR
    print(json.dumps(diff_protocols(old[0], new[0]), indent=2))
    return 0
