"""``hub audit verify|checkpoint|prune``: check the audit log, sign its head for safe keeping,
and prune it (:mod:`hub.cli._prune`).

* ``verify [--checkpoint FILE]...`` recomputes the hash chain and holds every checkpoint (kept
  in the database, and each FILE exported earlier) against it. Exit 0 when intact; 1 naming the
  first bad record (its sequence number and row id), a truncation or a rewritten tail. On a
  terminal, progress is shown on stderr. Exit 2 when it could not verify at all (the database
  does not answer, a checkpoint file is unreadable). After a prune, the walk starts after the
  newest prune anchor, whose signature must be the hub's. With the audit writer's MAC keys
  (``HUB_AUDIT_MAC_KEY_PATH``), every record's MAC is checked too; without them (an auditor's
  machine) it says so, and checks the chain and the checkpoints only.
* ``checkpoint [--export FILE]`` verifies the whole chain, then signs its head now, keeps the
  checkpoint in the database and writes it to FILE (or stdout), to be kept where the
  database's owner cannot reach it. A chain that does not verify, or a record without the
  writer's MAC, is not signed (exit 1). It needs the MAC keys (exit 2 without them).
  ``--adopt-unvouched``, once after upgrading a log from before MACs (migration ``0013``), also
  signs the records without a MAC that precede the first record with one.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hub import AuditLogTampered, StoreUnavailable
from hub.audit import Checkpoint, CheckpointUnreadable
from hub.checkpoints import sign_head, verify_log
from hub.cli._prune import register_prune
from hub.crypto import HUB_AGENCY, AuditMacKeys, KeyMaterial
from hub.ports import utc_now
from hub.settings import Settings
from hub.stores import SqlAuditLog

__all__ = ["register"]

BROKEN = 1
USAGE_ERROR = 2


def register(commands: Any) -> None:
    audit = commands.add_parser("audit", help="the tamper-evident audit log")
    actions = audit.add_subparsers(dest="audit_command", required=True)
    verify = actions.add_parser("verify", help="recompute the hash chain; exit 1 if broken")
    verify.add_argument(
        "--checkpoint",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="also hold this exported checkpoint against the log (repeatable)",
    )
    verify.set_defaults(handler=verify_command)
    checkpoint = actions.add_parser("checkpoint", help="sign the chain's head now")
    checkpoint.add_argument("--export", type=Path, default=None, metavar="FILE")
    checkpoint.add_argument(
        "--adopt-unvouched",
        action="store_true",
        help="once, after upgrading a log from before MACs: also sign the records without a"
        " MAC that come before the first record with one",
    )
    checkpoint.set_defaults(handler=checkpoint_command)
    register_prune(actions)


def _progress_bar(total: int) -> Callable[[int], None]:
    def show(checked: int) -> None:
        share = checked / total if total else 1.0
        filled = int(share * 30)
        bar = "#" * filled + "-" * (30 - filled)
        print(f"\r[{bar}] {checked}/{total}", end="", file=sys.stderr, flush=True)

    return show


def _read_checkpoints(paths: list[Path]) -> list[Checkpoint] | None:
    checkpoints = []
    for path in paths:
        try:
            checkpoints.append(Checkpoint.from_json(path.read_bytes()))
        except OSError as exc:
            print(f"hub audit verify: cannot read {path}: {exc.strerror}", file=sys.stderr)
            return None
        except CheckpointUnreadable as exc:
            print(f"hub audit verify: {path}: {exc}", file=sys.stderr)
            return None
    return checkpoints


async def verify_command(args: argparse.Namespace, settings: Settings) -> int:
    outside = _read_checkpoints(args.checkpoint)
    if outside is None:
        return USAGE_ERROR
    keys = KeyMaterial(settings.keys_dir, ())  # public keys are enough to verify
    path = settings.audit_mac_key_file
    macs = AuditMacKeys.load(path) if path.exists() else None  # an auditor has none
    audit = SqlAuditLog.from_url(settings.database_url)
    try:
        progress = _progress_bar(await audit.count()) if sys.stderr.isatty() else None
        report = await verify_log(audit, keys, outside=outside, progress=progress, macs=macs)
    except StoreUnavailable as exc:
        print(f"hub audit verify: could not verify: {exc.detail}", file=sys.stderr)
        return USAGE_ERROR
    finally:
        await audit.close()
    if progress is not None:
        print(file=sys.stderr)
    if not report.macs_checked:
        print(
            f"hub audit verify: no audit MAC keys at {path}: the writer's MACs are not checked,"
            " only the chain and the checkpoints",
            file=sys.stderr,
        )
    if report.intact:
        pruned = f", pruned through seq {report.pruned_through}" if report.pruned_through else ""
        macs_note = "writer's MACs checked" if report.macs_checked else "MACs not checked"
        print(
            f"audit log intact: {report.checked} records, {report.checkpoints} checkpoints,"
            f" {macs_note}, chain head {report.head_hash}{pruned}"
        )
        return 0
    print(
        f"audit log {report.problem}; {report.checked} records before it verify",
        file=sys.stderr,
    )
    return BROKEN


async def checkpoint_command(args: argparse.Namespace, settings: Settings) -> int:
    keys = KeyMaterial(settings.keys_dir, (HUB_AGENCY,))
    path = settings.audit_mac_key_file
    if not path.exists():
        print(f"hub audit checkpoint: no audit MAC keys at {path}", file=sys.stderr)
        return USAGE_ERROR
    macs = AuditMacKeys.load(path)
    audit = SqlAuditLog.from_url(settings.database_url)
    try:
        checkpoint = await sign_head(
            audit, keys, utc_now, macs=macs, adopt_unvouched=args.adopt_unvouched
        )
    except AuditLogTampered as exc:
        print(f"hub audit checkpoint: not signed: the audit log {exc.detail}", file=sys.stderr)
        return BROKEN
    finally:
        await audit.close()
    if checkpoint is None:
        print("hub audit checkpoint: the audit log is empty", file=sys.stderr)
        return BROKEN
    if args.export is None:
        print(checkpoint.to_json(), end="")
    else:
        args.export.write_text(checkpoint.to_json(), encoding="utf-8")
        print(f"checkpoint of seq {checkpoint.seq} written to {args.export}")
    return 0
