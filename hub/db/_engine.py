"""The database's engine and schema: one engine factory, and the migrations that ship with it.

SQLite (WAL) is the default, PostgreSQL the production store. The schema is owned by the Alembic
migrations in ``migrations/``; :func:`migrate` brings a database to the newest revision.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from hub._exceptions import StoreUnavailable

__all__ = ["MIGRATIONS_DIR", "alembic_config", "create_engine_for", "migrate", "upgrade_to_head"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


# JSON columns are written as the audit chain encodes them (rule 2 of hub.audit._chain: keys
# sorted, no spaces, non-ASCII as is), so an audit record's stored detail is the very text its
# hash covers and verification need not parse it (rule 7 there).
_canonical_json: Final = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False
).encode


def create_engine_for(database_url: str) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout and its directory created."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        # No pre-ping: it cost a round trip (a transaction begun and rolled back) on every
        # checkout, a tenth of a router's time. A connection the server has dropped fails its
        # first statement instead; SQLAlchemy then discards every pooled connection older than
        # it, so after a database restart one operation per process fails (StoreUnavailable,
        # which every caller retries or answers 503) and the rest reconnect.
        return create_async_engine(url, json_serializer=_canonical_json)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": 30}, json_serializer=_canonical_json)

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    return engine


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at our migrations; ``connection`` is reused if given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_to_head(connection: Connection) -> None:
    """Upgrade the database behind ``connection`` to the newest revision."""
    command.upgrade(alembic_config(connection), "head")


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema behind ``engine`` to the newest revision, in one transaction."""
    try:
        async with engine.begin() as connection:
            await connection.run_sync(upgrade_to_head)
    except (SQLAlchemyError, OSError) as exc:
        raise StoreUnavailable("could not migrate the database") from exc
