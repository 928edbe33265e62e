"""The nonces of signed requests on SQL: each ``(agency, nonce)`` accepted once in its window.

Rules:

1. :meth:`SqlNonceStore.first_use` inserts the row; the primary key refuses a second insert of
   the same ``(agency, nonce)``, so of several API processes racing one replay, one wins.
2. A row is kept until ``expires_at`` (the request's ``created`` plus the window): after that the
   request is refused as stale anyway, so :meth:`SqlNonceStore.prune` deletes it (the intake
   prunes after each signed request; the index on ``expires_at`` keeps that cheap).
3. The table holds agency ids, random nonces and times: nothing about a person.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from hub._exceptions import StoreUnavailable
from hub.db import request_nonces

__all__ = ["SqlNonceStore"]


class SqlNonceStore:
    """The nonce-store port on SQL, in the audit log's database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def first_use(self, agency: str, nonce: str, *, expires_at: datetime) -> bool:
        """Insert the nonce (rule 1); False if it is there already."""
        row = {"agency": agency, "nonce": nonce, "expires_at": expires_at.astimezone(UTC)}
        try:
            async with self._engine.begin() as connection:
                await connection.execute(insert(request_nonces), [row])
        except IntegrityError:
            return False
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not record the request's nonce") from exc
        return True

    async def prune(self, now: datetime) -> int:
        """Delete the nonces that expired before ``now`` (rule 2)."""
        expired = delete(request_nonces).where(request_nonces.c.expires_at < now.astimezone(UTC))
        try:
            async with self._engine.begin() as connection:
                result = await connection.execute(expired)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not prune expired nonces") from exc
        return int(result.rowcount or 0)
