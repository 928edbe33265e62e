"""The audit writer's MAC keys: the secret with which the hub vouches for every record it appends.

A hash chain shows that records follow one another; it cannot show who wrote them, and anyone
who may INSERT into ``audit_records`` can append a well-hashed record at the end. So every hub
process that appends stamps each record with a MAC only the holders of this key can make.

Rules:

1. A record's MAC is ``HMAC-SHA256(key, b"sehub-audit-mac-1\\n" || kid || "\\n" ||
   record_hash)`` in lower-case hex, where ``record_hash`` is the record's chain hash (which
   covers its ``seq``, its contents and the record before it) and ``kid`` the key's id. The
   prefix keeps these MACs apart from every other use of a key.
2. The keys live in one file, ``<keys_dir>/private/hub.audit-mac.json`` by default, never in the
   database: ``{"keys": [{"kid": "audit-mac-<yyyymmdd>-<4 hex>", "key": <32 bytes, base64url
   without padding>, "created": <Unix seconds>}, ...]}``, mode 0600, oldest first. The newest
   key MACs; every key in the file checks, so records written before a rotation still verify.
3. A writer that finds no file creates one with a first key (several processes starting at once
   agree on one, as the pseudonym key's do). A reader (``hub audit verify``) never creates one:
   without it, MACs are not checked, and it says so.
4. A MAC under a kid this process has not loaded makes it re-read the file once (another process
   rotated): then an unknown kid is a MAC that does not check.
5. Rotation appends a new key and keeps the old ones (:func:`rotate_audit_mac_key`); a running
   process MACs with the key it loaded until it re-reads the file, which the old key still
   verifies.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from hub._exceptions import ConfigurationError, InvalidMessage
from hub.crypto._codec import b64decode, b64encode

__all__ = [
    "AUDIT_MAC_FILE",
    "AUDIT_MAC_VERSION",
    "AuditMacKeys",
    "audit_mac",
    "rotate_audit_mac_key",
]

AUDIT_MAC_VERSION: Final = "sehub-audit-mac-1"
AUDIT_MAC_FILE: Final = "hub.audit-mac.json"
_DOMAIN: Final = AUDIT_MAC_VERSION.encode() + b"\n"
_KEY_BYTES: Final = 32


def _prefix(kid: str) -> bytes:
    return _DOMAIN + kid.encode() + b"\n"


def audit_mac(key: bytes, kid: str, record_hash: str) -> str:
    """The MAC of the record whose chain hash is ``record_hash`` (rule 1)."""
    return hmac.digest(key, _prefix(kid) + record_hash.encode(), hashlib.sha256).hex()


def _new_key(now: datetime) -> dict[str, object]:
    kid = f"audit-mac-{now.astimezone(UTC):%Y%m%d}-{secrets.token_hex(2)}"
    key = b64encode(secrets.token_bytes(_KEY_BYTES))
    return {"kid": kid, "key": key, "created": int(now.timestamp())}


def _read(path: Path) -> list[tuple[str, bytes]]:
    """The keys in the file, oldest first; :class:`~hub.ConfigurationError` naming the file
    (never its contents) when it cannot be used."""
    try:
        if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigurationError(f"audit MAC key file {path} is readable by others")
        document = json.loads(path.read_bytes())
        keys = [(str(entry["kid"]), b64decode(entry["key"])) for entry in document["keys"]]
    except OSError as exc:
        raise ConfigurationError(f"cannot read audit MAC key file {path}: {exc.strerror}") from exc
    except (ValueError, KeyError, TypeError, InvalidMessage) as exc:
        raise ConfigurationError(f"audit MAC key file {path} is invalid") from exc
    if not keys or any(len(key) != _KEY_BYTES for _, key in keys):
        raise ConfigurationError(f"audit MAC key file {path} holds no usable key")
    return keys


def _write(path: Path, document: dict[str, object], *, replace: bool) -> bool:
    """Write ``document`` at ``path`` (mode 0600 from the first byte); without ``replace``, only
    if no file is there yet. Whether it wrote."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(document, indent=2) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(draft, path)
        else:
            os.link(draft, path)
    except FileExistsError:
        return False
    finally:
        draft.unlink(missing_ok=True)
    return True


def rotate_audit_mac_key(path: Path, now: datetime) -> str:
    """Append a new key to the file (creating it if need be) and return its kid (rule 5)."""
    entries: list[object] = []
    if path.exists():
        _read(path)  # refuse to rewrite a file we could not use
        entries = list(json.loads(path.read_bytes())["keys"])
    fresh = _new_key(now)
    _write(path, {"keys": [*entries, fresh]}, replace=True)
    return str(fresh["kid"])


class AuditMacKeys:
    """The audit MAC keys of one file: the newest vouches, every one checks (rules 2 to 4)."""

    def __init__(self, path: Path, keys: list[tuple[str, bytes]]) -> None:
        self.path = path
        self._keys = dict(keys)
        self._kid, self._key = keys[-1]
        # Per kid, an HMAC that has absorbed the prefix (rule 1): a check copies it and adds
        # the hash, half the cost of a one-shot HMAC when a walk checks every record.
        self._primed: dict[str, hmac.HMAC] = {}

    @classmethod
    def load(cls, path: Path) -> AuditMacKeys:
        """The keys in ``path``, which must exist (a reader's; rule 3)."""
        return cls(path, _read(path))

    @classmethod
    def load_or_create(cls, path: Path, now: datetime) -> AuditMacKeys:
        """The keys in ``path``, creating the file with a first key if there is none (a
        writer's; rule 3)."""
        if not path.exists():
            try:
                _write(path, {"keys": [_new_key(now)]}, replace=False)
            except OSError as exc:
                raise ConfigurationError(
                    f"cannot create audit MAC key file {path}: {exc.strerror}"
                ) from exc
        return cls.load(path)

    @property
    def kid(self) -> str:
        """The kid of the key that vouches."""
        return self._kid

    def vouch(self, record_hash: str) -> tuple[str, str]:
        """The kid and MAC that vouch for the record with this chain hash (rule 1)."""
        return self._kid, audit_mac(self._key, self._kid, record_hash)

    def check(self, kid: str, record_hash: str, mac: str) -> bool:
        """Whether ``mac`` under ``kid`` vouches for ``record_hash`` (rules 1 and 4)."""
        primed = self._primed.get(kid)
        if primed is None:
            key = self._keys.get(kid)
            if key is None:
                try:
                    self._keys.update(_read(self.path))
                except ConfigurationError:
                    return False
                self._primed.clear()  # the file may now hold another key under a primed kid
                key = self._keys.get(kid)
                if key is None:
                    return False
            primed = self._primed[kid] = hmac.new(key, _prefix(kid), hashlib.sha256)
        running = primed.copy()
        running.update(record_hash.encode())
        return hmac.compare_digest(running.hexdigest(), mac)
