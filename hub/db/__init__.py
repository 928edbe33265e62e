"""The database's one owner: the metadata, every table, the engine factory and the migrations.

The stores (:mod:`hub.stores`) read and write through these names; nothing else touches SQL.
"""

from hub.db._engine import (
    MIGRATIONS_DIR,
    alembic_config,
    create_engine_for,
    migrate,
    upgrade_to_head,
)
from hub.db._roles import AUDIT_TABLES, KEY_TABLES, OWNER_APPENDS, STATE_TABLES, grant_roles
from hub.db._tables import (
    acknowledgements,
    audit_checkpoints,
    audit_prunes,
    audit_records,
    audit_subjects,
    intake_outbox,
    metadata,
    outbox,
    processed_notifications,
    replay_outbox,
    request_nonces,
    routing_barriers,
    subject_episodes,
    subject_keys,
    subject_links,
    subject_placements,
    subject_risk_told,
)

__all__ = [
    "AUDIT_TABLES",
    "KEY_TABLES",
    "MIGRATIONS_DIR",
    "OWNER_APPENDS",
    "STATE_TABLES",
    "acknowledgements",
    "alembic_config",
    "audit_checkpoints",
    "audit_prunes",
    "audit_records",
    "audit_subjects",
    "create_engine_for",
    "grant_roles",
    "intake_outbox",
    "metadata",
    "migrate",
    "outbox",
    "processed_notifications",
    "replay_outbox",
    "request_nonces",
    "routing_barriers",
    "subject_episodes",
    "subject_keys",
    "subject_links",
    "subject_placements",
    "subject_risk_told",
    "upgrade_to_head",
]
