"""The audit writer's MAC keys: one file, kept private, the newest vouches and every one checks."""

from __future__ import annotations

import hashlib
import hmac
import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub import ConfigurationError
from hub.audit import ChainVerifier, link
from hub.crypto import AuditMacKeys, audit_mac, rotate_audit_mac_key

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HASH = "ab" * 32


def test_a_mac_is_hmac_sha256_of_the_prefixed_kid_and_chain_hash() -> None:
    """The documented encoding: HMAC-SHA256(key, "sehub-audit-mac-1\\n" kid "\\n" hash), hex."""
    key = bytes(range(32))
    expected = hmac.new(
        key, b"sehub-audit-mac-1\naudit-mac-20261201-0001\n" + HASH.encode(), hashlib.sha256
    ).hexdigest()

    assert audit_mac(key, "audit-mac-20261201-0001", HASH) == expected


def test_a_writer_creates_the_file_private_and_a_reader_does_not(tmp_path: Path) -> None:
    """``load_or_create`` writes mode 0600; ``load`` of a missing file is a configuration error."""
    path = tmp_path / "private" / "hub.audit-mac.json"
    with pytest.raises(ConfigurationError):
        AuditMacKeys.load(path)

    keys = AuditMacKeys.load_or_create(path, NOW)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.kid.startswith("audit-mac-20261201-")
    assert AuditMacKeys.load_or_create(path, NOW).kid == keys.kid  # the same key, not a new one


def test_a_mac_checks_only_for_its_own_record_and_key(tmp_path: Path) -> None:
    """A MAC vouches for one chain hash under one kid; any other hash, MAC or kid fails."""
    keys = AuditMacKeys.load_or_create(tmp_path / "m.json", NOW)
    kid, mac = keys.vouch(HASH)

    assert keys.check(kid, HASH, mac)
    assert not keys.check(kid, "cd" * 32, mac)
    assert not keys.check(kid, HASH, "00" * 32)
    assert not keys.check("audit-mac-20261201-ffff", HASH, mac)


def test_one_key_checks_many_records_in_turn_as_the_documented_mac(tmp_path: Path) -> None:
    """Checks one after another under one kid each see only their own hash, as ``audit_mac``."""
    kid, key = "audit-mac-20261201-0001", bytes(range(32))
    keys = AuditMacKeys(tmp_path / "m.json", [(kid, key)])
    hashes = [f"{n:02x}" * 32 for n in range(4)]
    macs = [audit_mac(key, kid, digest) for digest in hashes]

    for n, (digest, mac) in enumerate(zip(hashes, macs, strict=True)):
        assert keys.check(kid, digest, mac)
        assert keys.check(kid, digest, mac)
        assert not keys.check(kid, digest, macs[n - 1])
    assert [keys.vouch(digest) for digest in hashes] == [(kid, mac) for mac in macs]


def test_rotation_vouches_with_the_new_key_and_still_checks_the_old(tmp_path: Path) -> None:
    """After a rotation, a process that re-reads the file MACs with the new key; a process that
    loaded before the rotation checks the new key's MACs by re-reading the file once."""
    path = tmp_path / "m.json"
    before = AuditMacKeys.load_or_create(path, NOW)
    old_kid, old_mac = before.vouch(HASH)

    new_kid = rotate_audit_mac_key(path, NOW)
    after = AuditMacKeys.load(path)
    kid, mac = after.vouch(HASH)

    assert kid == new_kid != old_kid
    assert after.check(old_kid, HASH, old_mac)
    assert before.check(kid, HASH, mac)
    assert len(json.loads(path.read_text())["keys"]) == 2


def test_a_file_others_may_read_or_a_damaged_one_is_refused_without_its_contents(
    tmp_path: Path,
) -> None:
    """The key file is refused when group-readable or invalid, and the error never quotes it."""
    path = tmp_path / "m.json"
    AuditMacKeys.load_or_create(path, NOW)
    path.chmod(0o640)
    with pytest.raises(ConfigurationError, match="readable by others"):
        AuditMacKeys.load(path)
    path.chmod(0o600)
    path.write_text('{"keys": [{"kid": "CANARY-KID", "key": "short"}]}')

    with pytest.raises(ConfigurationError) as refused:
        AuditMacKeys.load(path)

    assert "CANARY" not in str(refused.value)


def _chained(n: int, macs: AuditMacKeys | None) -> list[dict[str, object]]:
    rows = [
        {"recorded_at": NOW, "action": "notification.accepted", "correlation_id": None,
         "notification_id": f"n-{i}", "notification_type": None, "actor": None,
         "recipient": None, "rule_id": None, "protocol_version": None, "detail": {}}
        for i in range(n)
    ]  # fmt: skip
    linked = link(rows, head_seq=0, head_hash="0" * 64)
    for row in linked:
        row["mac_kid"], row["mac"] = macs.vouch(row["record_hash"]) if macs else (None, None)
    return linked


def test_the_verifier_requires_a_mac_after_what_a_checkpoint_covers(tmp_path: Path) -> None:
    """Without a MAC, a record is accepted only up to ``unvouched_through``; with the keys
    missing, MACs are not looked at at all."""
    macs = AuditMacKeys.load_or_create(tmp_path / "m.json", NOW)
    rows = _chained(4, None)

    covered = ChainVerifier(macs=macs, unvouched_through=4)
    partly = ChainVerifier(macs=macs, unvouched_through=2)
    keyless = ChainVerifier()

    assert all(covered.feed(row) for row in rows)
    assert not all(partly.feed(row) for row in rows)
    assert partly.broken is not None
    assert partly.broken.seq == 3
    assert all(keyless.feed(row) for row in rows)
    assert not keyless.macs_checked


def test_the_verifier_accepts_the_writers_macs(tmp_path: Path) -> None:
    """Records vouched for by the writer verify with its keys, from the first one."""
    macs = AuditMacKeys.load_or_create(tmp_path / "m.json", NOW)
    verifier = ChainVerifier(macs=macs)

    assert all(verifier.feed(row) for row in _chained(3, macs))
    assert verifier.checked == 3
    assert verifier.macs_checked
