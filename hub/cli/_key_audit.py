"""Audit records of key changes: ``keys.generated``, ``keys.rotated`` and ``keys.retired``.

Rules:

1. A record describes keys by public metadata only: agency, kid, use, algorithm, validity
   (``not_before``, ``not_after``, ``retired_at`` in UTC, ``YYYY-MM-DDTHH:MM:SSZ``) and, for a
   rotation, the overlap and the keys it shortened. The builders take public records
   (:class:`hub.crypto.KeyRecord`), so no private member can reach a record.
2. The key change is made and saved first, then recorded in the audit log at
   ``HUB_DATABASE_URL`` (migrated first, as the hub does). A change is never held back for
   its record: retiring a stolen key must work while the database is down. If the record
   cannot be written, the command says that the change was made and its record is missing,
   and exits 1.
3. ``--no-audit`` is for hosts with no hub database (an agency's own edge): nothing is
   recorded, and the command says so.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from hub._exceptions import StoreUnavailable
from hub.audit import AuditAction, AuditEntry
from hub.bootstrap import writing_audit_log
from hub.crypto import KeyDocument, KeyRecord
from hub.settings import Settings

__all__ = [
    "AUDIT_MISSING",
    "NO_AUDIT_HELP",
    "generated_entry",
    "record_key_change",
    "retired_entry",
    "rotated_entry",
]

AUDIT_MISSING = 1  # a service error (hub.cli): the change was made, its record was not
NO_AUDIT_HELP = "do not record the change in the audit log (a host with no hub database)"


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _key(key: KeyRecord) -> dict[str, Any]:
    return {
        "kid": key.kid,
        "use": key.use,
        "alg": key.alg,
        "not_before": _iso(key.nbf),
        "not_after": _iso(key.exp),
    }


def generated_entry(document: KeyDocument, now: datetime) -> AuditEntry:
    """``keys.generated``: an agency's first keys."""
    return AuditEntry(
        action=AuditAction.KEYS_GENERATED,
        recorded_at=now,
        actor=document.agency,
        detail={"agency": document.agency, "keys": [_key(key) for key in document.keys]},
    )


def rotated_entry(
    before: KeyDocument, after: KeyDocument, new: KeyRecord, overlap: timedelta, now: datetime
) -> AuditEntry:
    """``keys.rotated``: one new key, and the older keys of its use that now expire sooner."""
    old_exp = {key.kid: key.exp for key in before.keys}
    shortened = [
        {"kid": key.kid, "not_after": _iso(key.exp)}
        for key in after.keys
        if key.kid in old_exp and key.exp != old_exp[key.kid]
    ]
    return AuditEntry(
        action=AuditAction.KEYS_ROTATED,
        recorded_at=now,
        actor=before.agency,
        detail={
            "agency": before.agency,
            **_key(new),
            "overlap_seconds": int(overlap.total_seconds()),
            "shortened": shortened,
        },
    )


def retired_entry(agency: str, key: KeyRecord, now: datetime) -> AuditEntry:
    """``keys.retired``: a key that no longer verifies or opens."""
    return AuditEntry(
        action=AuditAction.KEYS_RETIRED,
        recorded_at=now,
        actor=agency,
        detail={
            "agency": agency,
            **_key(key),
            "retired_at": None if key.retired is None else _iso(key.retired),
        },
    )


async def record_key_change(
    settings: Settings, entries: Sequence[AuditEntry], *, enabled: bool, command: str
) -> int:
    """Append ``entries`` to the audit log (rule 2), or say why not; the exit code."""
    if not entries:
        return 0
    actions = ", ".join(sorted({entry.action.value for entry in entries}))
    if not enabled:
        print(f"{command}: not audited ({actions}): --no-audit", file=sys.stderr)
        return 0
    try:
        await _append(settings, entries)
    except (StoreUnavailable, OSError) as exc:
        # Never the URL: it may hold the database password.
        print(
            f"{command}: the key change is made and saved, but its audit record ({actions}) "
            f"is MISSING: {exc}. Tell whoever keeps the audit log, and keep this output; "
            "on a host with no hub database (an agency's edge) pass --no-audit.",
            file=sys.stderr,
        )
        return AUDIT_MISSING
    print(f"audited: {actions}")
    return 0


async def _append(settings: Settings, entries: Iterable[AuditEntry]) -> None:
    audit = writing_audit_log(settings)
    try:
        await audit.migrate()
        await audit.record(*entries)
    finally:
        await audit.close()
