"""``hub audit verify``: recompute the audit log's hash chain and say whether it is intact.

Exit 0 when every record is where the chain says and matches its hash; 1 naming the first bad
record (its sequence number and row id) otherwise. On a terminal, progress is shown on stderr.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from hub.settings import Settings
from hub.stores import SqlAuditLog

__all__ = ["register"]

BROKEN = 1


def register(commands: Any) -> None:
    audit = commands.add_parser("audit", help="the tamper-evident audit log")
    actions = audit.add_subparsers(dest="audit_command", required=True)
    verify = actions.add_parser("verify", help="recompute the hash chain; exit 1 if broken")
    verify.set_defaults(handler=verify_log)


def _progress_bar(total: int) -> Any:
    def show(checked: int) -> None:
        share = checked / total if total else 1.0
        filled = int(share * 30)
        bar = "#" * filled + "-" * (30 - filled)
        print(f"\r[{bar}] {checked}/{total}", end="", file=sys.stderr, flush=True)

    return show


async def verify_log(_args: argparse.Namespace, settings: Settings) -> int:
    log = SqlAuditLog.from_url(settings.database_url)
    try:
        progress = _progress_bar(await log.count()) if sys.stderr.isatty() else None
        verifier = await log.verify(progress=progress)
    finally:
        await log.close()
    if progress is not None:
        print(file=sys.stderr)
    broken = verifier.broken
    if broken is None:
        print(f"audit log intact: {verifier.checked} records, chain head {verifier.head_hash}")
        return 0
    print(
        f"audit log broken at seq {broken.seq} (record id {broken.record_id}): {broken.reason}; "
        f"{verifier.checked} records before it verify",
        file=sys.stderr,
    )
    return BROKEN
