"""Crypto-shredding a subject: the records stay and verify, but no identifier finds them again.

Runs ``hub subject erase`` as a process against the real SQLite and PostgreSQL logs that the
auditor API tests build (three routed notifications, two of them about child A).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.audit import AuditAction
from hub.db import (
    audit_records,
    subject_episodes,
    subject_keys,
    subject_placements,
    subject_risk_told,
)
from hub.pseudonyms import Pseudonymiser
from schemas import parse_notification, source_for_agency
from tests.integration.conftest import REPO
from tests.integration.test_auditor_api import (
    A_LOCAL,
    A_NHS,
    A_UPN,
    B_NHS,
    CHILDRENS,
    EVENTS,
    AuditedHub,
    audited,
)

__all__ = ["audited"]  # the fixture, shared with the auditor API tests

PSEUDONYMS = Pseudonymiser(b"p" * 32)  # the fixture's pseudonym key


def _erase(
    database_url: str, tmp_path: Path, identifiers: object, reference: str
) -> subprocess.CompletedProcess[str]:
    key_path = tmp_path / "pseudonym.key"
    key_path.write_bytes(b"p" * 32)  # the key of PSEUDONYMS
    env = {**os.environ, "HUB_DATABASE_URL": database_url, "HUB_PSEUDONYM_KEY_PATH": str(key_path)}
    return subprocess.run(  # noqa: S603  # our own module, fixed arguments
        [
            sys.executable,
            "-m",
            "hub",
            "subject",
            "erase",
            "--identifiers",
            "-",
            "--reference",
            reference,
        ],
        input=json.dumps(identifiers),
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        check=False,
        timeout=60,
    )


def _known_by(event: dict[str, Any]) -> frozenset[str]:
    """Every pseudonym the router keys the subject of ``event`` by (posted by children's
    services of LA 929, whose own id for the child is also the council's child id)."""
    return PSEUDONYMS.subjects(parse_notification(event), council_la="929")


A_KEYS, B_KEYS = _known_by(EVENTS[0]), _known_by(EVENTS[1])
# What the three identifiers the erasure is given are pseudonymised as, worked out here.
A_GIVEN = frozenset(
    {
        PSEUDONYMS.nhs(A_NHS),
        PSEUDONYMS.upn(A_UPN),
        PSEUDONYMS.local(source_for_agency(CHILDRENS), A_LOCAL),
    }
)
A_IDENTIFIERS = [{"nhs_number": A_NHS}, {"upn": A_UPN}, {"local_id": A_LOCAL, "agency": CHILDRENS}]
STATE = (subject_placements, subject_episodes, subject_risk_told)


async def _remember_state(engine: AsyncEngine) -> None:
    """An active placement and a risk told, for A and for B, under every key each is known by,
    as the router writes them (the missing episodes were routed by the fixture)."""
    now = datetime.now(UTC)
    subjects = sorted(A_KEYS | B_KEYS)
    async with engine.begin() as connection:
        await connection.execute(
            insert(subject_placements),
            [
                {
                    "subject_key": subject,
                    "episode_key": f"episode-{subject in A_KEYS}",
                    "placing_la": "929",
                    "host_la": "391",
                    "started_at": now,
                }
                for subject in subjects
            ],
        )
        await connection.execute(
            insert(subject_risk_told),
            [
                {
                    "subject_key": subject,
                    "recipient": "northumberland-education",
                    "rule_id": "se-risk-to-school",
                    "level": 3,
                    "on_rmg": True,
                    "told_at": now,
                }
                for subject in subjects
            ],
        )


async def _rows(engine: AsyncEngine, keys: frozenset[str]) -> dict[str, int]:
    """How many rows of the subject keys and of each routing state table are keyed by ``keys``."""
    counts = {}
    async with engine.connect() as connection:
        counts["subject_keys"] = await connection.scalar(
            select(func.count())
            .select_from(subject_keys)
            .where(subject_keys.c.pseudonym.in_(sorted(keys)))
        )
        for table in STATE:
            counts[table.name] = await connection.scalar(
                select(func.count()).select_from(table).where(table.c.subject_key.in_(sorted(keys)))
            )
    return {name: int(count or 0) for name, count in counts.items()}


async def test_an_erased_subject_is_found_by_no_identifier_and_the_log_still_verifies(
    audited: AuditedHub, fresh_database_url: str, tmp_path: Path
) -> None:
    """After erasing child A by all three identifiers: no query finds A's records, their keys
    and A's placements, missing episodes and risks told under them are gone, B's are untouched,
    every record is still there, the chain verifies and the erasure is audited."""
    before = await audited.records(subject={"nhs_number": A_NHS})
    assert before
    engine = audited.audit.engine
    await _remember_state(engine)
    assert A_GIVEN < A_KEYS
    assert 0 not in (await _rows(engine, A_GIVEN)).values()
    b_before = await _rows(engine, B_KEYS)
    assert 0 not in b_before.values()
    async with engine.connect() as connection:
        records_before = await connection.scalar(select(func.count()).select_from(audit_records))
        keys_before = await connection.scalar(select(func.count()).select_from(subject_keys))

    done = _erase(fresh_database_url, tmp_path, A_IDENTIFIERS, "DPO-2026-0042")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["identifiers"] == 3
    assert A_NHS not in done.stdout + done.stderr

    for subject in A_IDENTIFIERS:
        found = await audited.records(subject=subject, actions=["notification.shared"])
        assert found == []
    assert await audited.records(subject={"nhs_number": B_NHS}, actions=["notification.shared"])

    verifier = await audited.audit.verify()
    assert verifier.broken is None
    async with engine.connect() as connection:
        records_after = await connection.scalar(select(func.count()).select_from(audit_records))
        keys_after = await connection.scalar(select(func.count()).select_from(subject_keys))
    assert records_after is not None
    assert records_before is not None
    assert records_after > records_before  # nothing deleted; the erasure and queries appended
    assert await _rows(engine, A_GIVEN) == dict.fromkeys(b_before, 0)
    assert await _rows(engine, B_KEYS) == b_before  # child B's keys and state, all of them
    assert keys_before is not None
    assert keys_after is not None
    assert answer["keys_shredded"] == keys_before - keys_after >= len(A_GIVEN)
    [erased] = await audited.audit.entries(action=AuditAction.SUBJECT_ERASED)
    assert erased.detail == {
        "reference": "DPO-2026-0042",
        "identifiers": {"local_id": 1, "nhs_number": 1, "upn": 1},
        "keys_shredded": answer["keys_shredded"],
    }


async def test_erasure_leaves_no_key_or_routing_state_under_any_pseudonym_of_the_subject(
    audited: AuditedHub, fresh_database_url: str, tmp_path: Path
) -> None:
    """Erased by every identifier the erasure accepts, child A keeps no subject key and no
    placement, missing episode or risk told under any pseudonym the router knows A by.

    FAILS on the code at the time of writing: a children's services publisher's own id for the
    child is also the council's child id, so the router keys the child by a fourth pseudonym,
    ``Pseudonymiser.la_child("929", local_id)`` (the key a police record's ``la_child_id`` links
    by). ``hub subject erase`` shreds only ``local(source, local_id)`` for the identifier
    ``{"local_id", "agency"}`` and has no way to name the council child id, so that key stays:
    A's records stay linkable to each other and to the next record about A, and A's routing
    state under it stays (rows in every table).
    """
    engine = audited.audit.engine
    await _remember_state(engine)
    assert 0 not in (await _rows(engine, A_KEYS)).values()

    done = _erase(fresh_database_url, tmp_path, A_IDENTIFIERS, "DPO-2026-0043")
    assert done.returncode == 0, done.stderr

    assert await _rows(engine, A_KEYS) == {
        "subject_keys": 0,
        "subject_placements": 0,
        "subject_episodes": 0,
        "subject_risk_told": 0,
    }
    assert 0 not in (await _rows(engine, B_KEYS)).values()


async def test_bad_identifiers_are_named_not_echoed_and_erase_nothing(
    audited: AuditedHub, fresh_database_url: str, tmp_path: Path
) -> None:
    """An invalid NHS number is refused (exit 2) naming its field, and no key is deleted."""
    done = _erase(fresh_database_url, tmp_path, [{"nhs_number": "1234567890"}], "DPO-1")
    assert done.returncode == 2
    assert "nhs_number" in done.stderr
    assert "1234567890" not in done.stderr + done.stdout
    assert await audited.records(subject={"nhs_number": A_NHS}, actions=["notification.shared"])
