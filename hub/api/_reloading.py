"""The agency directory a running API authenticates by, reloaded without a restart.

Rules:

1. The directory file is looked at (its inode, size and mtime) at most once a second, on the
   request path; when that changed it is reloaded. ``hub run`` also reloads it on SIGHUP.
2. A reload goes through the same loader and checks as the start (``bootstrap`` passes them:
   the protocol's parties must be in the new directory, and so on). One that fails (a file
   half-written, invalid, or one the protocol disagrees with) changes nothing: the directory
   loaded before stays in use, until the file changes again. It is logged, and audited as
   ``directory.refused`` with its cause and the error's type only (a parser's message can
   quote the file), since a token revoked in that file is still accepted meanwhile.
3. A file whose bytes hash as before changes nothing and is not audited.
4. A successful reload is used by the next request (so a revoked token stops working at once)
   and audited as ``directory.loaded`` with its cause. If the audit log cannot take a record
   (of either kind), the directory in use is as above and the record is written with a later
   check.
5. The monotonic clock that paces the checks is injectable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from hub._exceptions import ConfigurationError, ServiceError
from hub.agencies import AgencyDirectory
from hub.audit import AuditEntry
from hub.logs import get_logger
from hub.ports import AuditLog

__all__ = ["CHECK_INTERVAL_SECONDS", "ReloadingDirectory"]

log = get_logger(__name__)

CHECK_INTERVAL_SECONDS: Final = 1.0

Signature = tuple[int, int, int] | None


def _signature(path: Path) -> Signature:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


class ReloadingDirectory:
    """The current :class:`AgencyDirectory`, reloaded from ``path`` when it changes (1-5)."""

    def __init__(
        self,
        directory: AgencyDirectory,
        path: Path,
        *,
        load: Callable[[Path], AgencyDirectory],
        loaded_entry: Callable[[AgencyDirectory, str], AuditEntry],
        refused_entry: Callable[[AgencyDirectory, str, str], AuditEntry],
        audit: AuditLog | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._directory = directory
        self._path = path
        self._load = load
        self._loaded_entry = loaded_entry
        self._refused_entry = refused_entry
        self._audit = audit
        self._monotonic = monotonic
        self._checked_at = monotonic()
        self._signature = _signature(path)
        self._unaudited: list[AuditEntry] = []

    @property
    def directory(self) -> AgencyDirectory:
        """The directory in use now, without looking at the file."""
        return self._directory

    async def current(self) -> AgencyDirectory:
        """The directory in use, reloaded first if the file changed (rule 1)."""
        now = self._monotonic()
        if now - self._checked_at >= CHECK_INTERVAL_SECONDS:
            self._checked_at = now
            if _signature(self._path) != self._signature:
                await self.reload("file changed")
            elif self._unaudited:
                await self._write_audit()
        return self._directory

    async def reload(self, cause: str) -> bool:
        """Load the file now; whether a new directory is in use (rules 2-4)."""
        # Taken before the read: a file changed during it is read again at the next check.
        self._signature = _signature(self._path)
        try:
            fresh = self._load(self._path)
        except ConfigurationError as exc:
            error = type(exc.__cause__ or exc).__name__
            log.warning("directory.reload_failed", cause=cause, error=error, detail=str(exc))
            self._unaudited.append(self._refused_entry(self._directory, cause, error))
            await self._write_audit()
            return False
        if fresh.content_sha256 == self._directory.content_sha256:
            return False
        self._directory = fresh
        log.info("directory.reloaded", cause=cause, agencies=len(fresh))
        self._unaudited.append(self._loaded_entry(fresh, cause))
        await self._write_audit()
        return True

    async def _write_audit(self) -> None:
        if self._audit is None:
            self._unaudited.clear()
            return
        try:
            await self._audit.record(*self._unaudited)
        except ServiceError:
            log.warning("directory.reload_unaudited", records=len(self._unaudited))
            return
        self._unaudited.clear()
