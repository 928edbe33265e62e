"""Least-privilege roles on PostgreSQL: a writer that can only append to the audit log, and a
read-only auditor.

Rules:

1. The owner of the tables (who runs ``hub db upgrade``) is never the role the hub runs as.
2. The writer may SELECT and INSERT the audit tables and the subject keys, nothing more: no
   UPDATE, DELETE or TRUNCATE, whatever the triggers say. It may only SELECT the prune anchors
   (:data:`OWNER_APPENDS`): an anchor moves where verification starts, and only a prune
   writes one. It may read and write the routing state and the outboxes (delivery, intake,
   replay). Pruning and erasure run as the owner (``hub audit prune`` and
   ``hub subject erase``).
3. The auditor may only SELECT the audit tables; it sees no routing state, no outbox and no
   subject keys (with those and the pseudonym key, a token could be linked to a person).
4. Granting is idempotent and revokes anything else those roles held on these tables first.
5. Role names are checked against a strict pattern before they reach SQL.
"""

from __future__ import annotations

import re
from typing import Final

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from hub._exceptions import ConfigurationError, StoreUnavailable

__all__ = ["AUDIT_TABLES", "KEY_TABLES", "OWNER_APPENDS", "STATE_TABLES", "grant_roles"]

AUDIT_TABLES: Final = ("audit_records", "audit_checkpoints", "audit_subjects", "audit_prunes")
OWNER_APPENDS: Final = ("audit_prunes",)  # audit tables only the owner writes (rule 2)
KEY_TABLES: Final = ("subject_keys",)
STATE_TABLES: Final = (
    "processed_notifications",
    "subject_placements",
    "subject_episodes",
    "subject_risk_told",
    "outbox",
    "intake_outbox",
    "acknowledgements",
    "request_nonces",
    "replay_outbox",
    "subject_links",
    "routing_barriers",
)
_ROLE: Final = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _statements(writer: str, auditor: str) -> list[str]:
    every = ", ".join((*AUDIT_TABLES, *KEY_TABLES, *STATE_TABLES, "alembic_version"))
    appended = [table for table in (*AUDIT_TABLES, *KEY_TABLES) if table not in OWNER_APPENDS]
    state = ", ".join(STATE_TABLES)
    return [
        f"REVOKE ALL ON {every} FROM {writer}, {auditor}",
        f"GRANT USAGE ON SCHEMA public TO {writer}, {auditor}",
        f"GRANT SELECT, INSERT ON {', '.join(appended)} TO {writer}",
        f"GRANT SELECT ON {', '.join(OWNER_APPENDS)} TO {writer}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {state} TO {writer}",
        f"GRANT SELECT ON alembic_version TO {writer}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {writer}",
        f"GRANT SELECT ON {', '.join(AUDIT_TABLES)} TO {auditor}",
    ]


async def grant_roles(engine: AsyncEngine, *, writer: str, auditor: str) -> None:
    """Give ``writer`` and ``auditor`` exactly the rights of rules 2 and 3 (as the owner)."""
    if engine.dialect.name != "postgresql":
        raise ConfigurationError("database roles apply to PostgreSQL; SQLite has none")
    for role in (writer, auditor):
        if not _ROLE.match(role):
            raise ConfigurationError("a role name is lower-case letters, digits and _")
    if writer == auditor:
        raise ConfigurationError("the writer and the auditor must be different roles")
    try:
        async with engine.begin() as connection:
            for statement in _statements(writer, auditor):
                await connection.execute(text(statement))
    except SQLAlchemyError as exc:
        raise StoreUnavailable("could not grant the database roles") from exc
