"""``directory.loaded``: what a starting hub records about the agency directory it loaded."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import yaml

from hub.agencies import AgencyDirectory, hash_token
from hub.audit import AuditAction
from hub.bootstrap import directory_loaded
from tests.credentials import token_of
from tests.fakes import FixedClock

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
TOKENS = {"northumbria-police": "police-secret", "northumberland-childrens": "childrens-secret"}


def _token(token: str) -> dict[str, object]:
    return token_of(token).model_dump(mode="json", exclude_none=True)


def _directory(path: Path) -> bytes:
    document = {
        "agencies": [
            {"id": agency, "name": agency, "kind": kind, "tokens": [_token(token)]}
            | ({"la_code": "929"} if kind == "children_services" else {})
            for (agency, token), kind in zip(
                TOKENS.items(), ("police", "children_services"), strict=True
            )
        ]
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path.read_bytes()


def test_the_record_names_the_agencies_and_the_files_hash(tmp_path: Path) -> None:
    """The record holds the count, the sorted ids and the SHA-256 of the file's exact bytes."""
    content = _directory(tmp_path / "agencies.yaml")

    entry = directory_loaded(AgencyDirectory.load(tmp_path / "agencies.yaml"), FixedClock(NOW))

    assert entry.action is AuditAction.DIRECTORY_LOADED
    assert entry.recorded_at == NOW
    assert entry.detail == {
        "agencies": 2,
        "agency_ids": ["northumberland-childrens", "northumbria-police"],
        "content_sha256": hashlib.sha256(content).hexdigest(),
    }


def test_the_record_holds_no_token_or_token_hash(tmp_path: Path) -> None:
    """Neither a bearer token nor its SHA-256 appears in the record."""
    _directory(tmp_path / "agencies.yaml")

    entry = directory_loaded(AgencyDirectory.load(tmp_path / "agencies.yaml"), FixedClock(NOW))

    written = json.dumps(entry.detail)
    for token in TOKENS.values():
        assert token not in written
        assert hash_token(token) not in written
