"""``hub audit prune``: delete the audit records past retention, keeping the rest verifiable.

``prune (--before DATE | --by-protocol) [--dry-run] [--export FILE]``, run as the owner of the
audit tables (the hub's own database role may not delete). It verifies the whole remaining
log, finds the longest run of records from its start that are past retention, signs the last
of them (a checkpoint, and a prune anchor), and in one transaction deletes them and appends an
``audit.pruned`` record. Verification then starts after the anchor.

* ``--by-protocol``: each record is kept for its rule's ``retention`` in ``HUB_PROTOCOL_PATH``;
  a record with no rule, or a rule no longer there, for the longest retention of all.
* ``--before DATE``: every record recorded before DATE (ISO 8601, UTC if no offset; not in the
  future) goes, whatever the protocol says.
* ``--dry-run`` says what would go and changes nothing; ``--export FILE`` writes the checkpoint
  of the anchor record, to be kept outside the database like any other.

Exit 0 with a one-line summary (also when nothing is past retention); 1 when the log does not
verify (nothing is deleted); 2 for bad usage, an unreadable protocol, or a database that does not
answer or refuses the deletes.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hub import AuditLogTampered, StoreUnavailable
from hub.audit import ByRule, Period, RecordedBefore, RetentionPolicy
from hub.bootstrap import audit_macs
from hub.checkpoints import PruneReport, prune_log
from hub.crypto import HUB_AGENCY, KeyMaterial
from hub.ports import utc_now
from hub.settings import Settings
from hub.stores import SqlAuditLog
from protocols import ProtocolError, load_protocol

__all__ = ["register_prune"]

BROKEN = 1
USAGE_ERROR = 2
_Chosen = tuple[RetentionPolicy, str | None]  # the retention, and the protocol's version


def register_prune(actions: Any) -> None:
    prune = actions.add_parser(
        "prune", help="delete records past retention, behind a signed anchor"
    )
    basis = prune.add_mutually_exclusive_group(required=True)
    basis.add_argument("--before", metavar="ISO-DATE", help="every record recorded before this")
    basis.add_argument(
        "--by-protocol", action="store_true", help="each record for its rule's retention"
    )
    prune.add_argument("--dry-run", action="store_true", help="say what would go; change nothing")
    prune.add_argument("--export", type=Path, default=None, metavar="FILE")
    prune.set_defaults(handler=prune_command)


def _fail(message: str, code: int = USAGE_ERROR) -> int:
    print(f"hub audit prune: {message}", file=sys.stderr)
    return code


def _cutoff(text: str, now: datetime) -> datetime | str:
    """The ``--before`` time, or why it is refused."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return "--before takes an ISO 8601 date or time, such as 2020-04-01"
    when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    if when > now:
        return "--before is in the future; records are pruned only once past"
    return when


def _by_protocol(settings: Settings) -> _Chosen | str:
    """Retention by the protocol's rules, and the protocol's version; or why not."""
    try:
        protocol = load_protocol(settings.protocol_path)
        retentions = {rule: Period.parse(text) for rule, text in protocol.retentions.items()}
    except (ProtocolError, ValueError) as exc:
        return f"cannot read the protocol's retention: {exc}"
    return ByRule(retentions), protocol.version_tag


def _policy(args: argparse.Namespace, settings: Settings, now: datetime) -> _Chosen | str:
    """The retention to prune by, and the protocol's version if it is the protocol's."""
    if args.by_protocol:
        return _by_protocol(settings)
    cutoff = _cutoff(args.before, now)
    return cutoff if isinstance(cutoff, str) else (RecordedBefore(cutoff), None)


def _finish(report: PruneReport, export: Path | None) -> str:
    """Write the anchor's checkpoint to ``export``, if asked; the one-line summary."""
    if report.records == 0:
        return (
            f"nothing to prune: the oldest record left (seq {report.through + 1}) is within"
            " retention, or there is none"
        )
    span = f"{report.records} records, through seq {report.through}"
    if report.checkpoint is None:
        return f"dry run: would prune {span}; nothing changed"
    if export is not None:
        export.write_text(report.checkpoint.to_json(), encoding="utf-8")
    exported = f"; anchor checkpoint written to {export}" if export is not None else ""
    return f"pruned {span}; the log now starts after {report.checkpoint.record_hash}{exported}"


async def prune_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.dry_run and args.export is not None:
        return _fail("--export writes the anchor a prune signs; a dry run signs nothing")
    now = utc_now()
    chosen = _policy(args, settings, now)
    if isinstance(chosen, str):
        return _fail(chosen)
    policy, version = chosen
    keys = KeyMaterial(settings.keys_dir, () if args.dry_run else (HUB_AGENCY,))
    macs = audit_macs(settings)
    audit = SqlAuditLog.from_url(settings.database_url, macs=macs)
    try:
        report = await prune_log(
            audit,
            keys,
            lambda: now,
            policy,
            macs=macs,
            dry_run=args.dry_run,
            protocol_version=version,
        )
    except AuditLogTampered as exc:
        return _fail(f"nothing pruned: the audit log {exc.detail}", BROKEN)
    except StoreUnavailable as exc:
        return _fail(f"nothing pruned: {exc.detail}")
    finally:
        await audit.close()
    print(_finish(report, args.export))
    return 0
