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

from sqlalchemy import func, insert, select

from hub.audit import AuditAction
from hub.db import audit_records, subject_keys, subject_placements
from hub.pseudonyms import Pseudonymiser
from tests.integration.conftest import REPO
from tests.integration.test_auditor_api import (
    A_LOCAL,
    A_NHS,
    A_UPN,
    B_NHS,
    CHILDRENS,
    AuditedHub,
    audited,
)

__all__ = ["audited"]  # the fixture, shared with the auditor API tests


def _erase(
    database_url: str, tmp_path: Path, identifiers: object, reference: str
) -> subprocess.CompletedProcess[str]:
    key_path = tmp_path / "pseudonym.key"
    key_path.write_bytes(b"p" * 32)  # the fixture's pseudonym key
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


async def test_an_erased_subject_is_found_by_no_identifier_and_the_log_still_verifies(
    audited: AuditedHub, fresh_database_url: str, tmp_path: Path
) -> None:
    """After erasing child A by all three identifiers: no query finds A's records, B's are
    untouched, every record is still there, the chain verifies and the erasure is audited."""
    before = await audited.records(subject={"nhs_number": A_NHS})
    assert before
    engine = audited.audit.engine
    pseudonyms = Pseudonymiser(b"p" * 32)
    async with engine.begin() as connection:  # an active placement each, for A and for B
        await connection.execute(
            insert(subject_placements),
            [
                {
                    "subject_key": subject_key,
                    "episode_key": f"episode-{n}",
                    "placing_la": "929",
                    "host_la": "391",
                    "started_at": datetime.now(UTC),
                }
                for n, subject_key in enumerate((pseudonyms.nhs(A_NHS), pseudonyms.nhs(B_NHS)))
            ],
        )
    async with engine.connect() as connection:
        records_before = await connection.scalar(select(func.count()).select_from(audit_records))

    done = _erase(
        fresh_database_url,
        tmp_path,
        [{"nhs_number": A_NHS}, {"upn": A_UPN}, {"local_id": A_LOCAL, "agency": CHILDRENS}],
        "DPO-2026-0042",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"identifiers": 3, "keys_shredded": 3}
    assert A_NHS not in done.stdout + done.stderr

    for subject in (
        {"nhs_number": A_NHS},
        {"upn": A_UPN},
        {"local_id": A_LOCAL, "agency": CHILDRENS},
    ):
        found = await audited.records(subject=subject, actions=["notification.shared"])
        assert found == []
    assert await audited.records(subject={"nhs_number": B_NHS}, actions=["notification.shared"])

    verifier = await audited.audit.verify()
    assert verifier.broken is None
    async with engine.connect() as connection:
        records_after = await connection.scalar(select(func.count()).select_from(audit_records))
        keys_left = await connection.scalar(select(func.count()).select_from(subject_keys))
        placements = await connection.scalar(select(func.count()).select_from(subject_placements))
    assert records_after is not None
    assert records_before is not None
    assert records_after > records_before  # nothing deleted; the erasure and queries appended
    assert keys_left == 3  # child B's three identifiers
    assert placements == 1  # B's
    [erased] = await audited.audit.entries(action=AuditAction.SUBJECT_ERASED)
    assert erased.detail == {
        "reference": "DPO-2026-0042",
        "identifiers": {"local_id": 1, "nhs_number": 1, "upn": 1},
        "keys_shredded": 3,
    }


async def test_bad_identifiers_are_named_not_echoed_and_erase_nothing(
    audited: AuditedHub, fresh_database_url: str, tmp_path: Path
) -> None:
    """An invalid NHS number is refused (exit 2) naming its field, and no key is deleted."""
    done = _erase(fresh_database_url, tmp_path, [{"nhs_number": "1234567890"}], "DPO-1")
    assert done.returncode == 2
    assert "nhs_number" in done.stderr
    assert "1234567890" not in done.stderr + done.stdout
    assert await audited.records(subject={"nhs_number": A_NHS}, actions=["notification.shared"])
