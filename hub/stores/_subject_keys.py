"""Per-subject keys on SQL: how the audit log's subject tokens are made, found and shredded.

Rules (the why is in :mod:`hub.audit._subjects`):

1. A pseudonym's key is created once, the first time it is asked for; two writers asking at
   once both get the key that won (the insert ignores a row already there, then reads back).
2. Keys are random (``random_bytes``, injectable for tests) and never leave this module: callers
   get tokens.
3. :meth:`SqlSubjectKeys.erase` deletes keys and the subject's routing state in one
   transaction; it needs DELETE, which only the database owner has on PostgreSQL.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from hub._exceptions import StoreUnavailable
from hub.audit import SUBJECT_KEY_BYTES, subject_token
from hub.db import subject_episodes, subject_keys, subject_placements, subject_risk_told

__all__ = ["SqlSubjectKeys"]


class SqlSubjectKeys:
    """The subject-keys port on SQL."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        random_bytes: Callable[[int], bytes] = secrets.token_bytes,
    ) -> None:
        self._engine = engine
        self._random_bytes = random_bytes

    async def tokens(self, pseudonyms: Iterable[str], now: datetime) -> frozenset[str]:
        """The audit tokens of ``pseudonyms``, creating a key for any that has none (rule 1)."""
        wanted = sorted(set(pseudonyms))
        if not wanted:
            return frozenset()
        query = select(subject_keys.c.pseudonym, subject_keys.c.key).where(
            subject_keys.c.pseudonym.in_(wanted)
        )
        try:
            async with self._engine.begin() as connection:
                found = {row.pseudonym: bytes(row.key) for row in await connection.execute(query)}
                missing = [pseudonym for pseudonym in wanted if pseudonym not in found]
                if missing:
                    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
                    rows = [
                        {
                            "pseudonym": pseudonym,
                            "key": self._random_bytes(SUBJECT_KEY_BYTES),
                            "created_at": now.astimezone(UTC),
                        }
                        for pseudonym in missing
                    ]
                    await connection.execute(
                        dialect.insert(subject_keys).on_conflict_do_nothing(), rows
                    )
                    found = {
                        row.pseudonym: bytes(row.key) for row in await connection.execute(query)
                    }
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the subject keys") from exc
        return frozenset(subject_token(key) for key in found.values())

    async def token(self, pseudonym: str) -> str | None:
        """The audit token of ``pseudonym``, or None if it has no key (never seen, or erased)."""
        query = select(subject_keys.c.key).where(subject_keys.c.pseudonym == pseudonym)
        try:
            async with self._engine.connect() as connection:
                key = await connection.scalar(query)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the subject keys") from exc
        return None if key is None else subject_token(bytes(key))

    async def erase(self, pseudonyms: Iterable[str]) -> int:
        """Shred the keys of ``pseudonyms`` and forget their routing state; how many keys went."""
        doomed = sorted(set(pseudonyms))
        try:
            async with self._engine.begin() as connection:
                result = await connection.execute(
                    delete(subject_keys).where(subject_keys.c.pseudonym.in_(doomed))
                )
                for table in (subject_placements, subject_episodes, subject_risk_told):
                    await connection.execute(delete(table).where(table.c.subject_key.in_(doomed)))
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not erase the subject keys") from exc
        return int(result.rowcount or 0)
