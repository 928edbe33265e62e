"""Run the Alembic migrations that ship inside the package, on a given engine or connection."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from hub._exceptions import StoreUnavailable

__all__ = ["MIGRATIONS_DIR", "alembic_config", "migrate", "upgrade_to_head"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


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
