"""Pseudonyms: HMAC-SHA256 of identifiers under a hub secret, so state is never keyed by them.

A subject is known by every identifier a notification carries: its NHS number, its UPN, and
the publisher's own id for the person (qualified by the publisher). Two notifications from
different agencies about the same child meet in the routing state through a shared NHS number
or UPN, without either number being stored. An event's ``source`` + ``id`` is pseudonymised
the same way for de-duplication.

Each agency's adapter derives its event ids and episode references under its own id key,
an HMAC of the agency id under the same secret (domain-separated from every pseudonym), so the
hub and ``hub adapt`` give the same ids and no recipient can recompute them from a guess.

The key is a secret of the deployment (``HUB_PSEUDONYM_KEY_PATH``); losing it orphans the
state, so production provisions and backs it up. For a demo, :func:`load_or_create_key`
creates one.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from schemas import Notification

__all__ = ["KEY_BYTES", "Pseudonymiser", "load_or_create_key"]

KEY_BYTES = 32


def _read_key(path: Path) -> bytes:
    key = path.read_bytes()
    if len(key) < KEY_BYTES:
        raise ValueError(f"{path} holds fewer than {KEY_BYTES} bytes")
    return key


def load_or_create_key(path: Path) -> tuple[bytes, bool]:
    """The key at ``path`` (created with mode 0600 if missing); and whether it was created.

    Several processes starting at once on a fresh machine agree on one key: each writes its
    own to a private file and links it into place, which only the first can do; the others
    read the first's. Nobody ever reads a half-written key.
    """
    if path.exists():
        return _read_key(path), False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(draft, path)
        except FileExistsError:
            return _read_key(path), False
    finally:
        draft.unlink(missing_ok=True)
    return key, True


class Pseudonymiser:
    """Keyed pseudonyms for subjects and events."""

    def __init__(self, key: bytes) -> None:
        if len(key) < KEY_BYTES:
            raise ValueError(f"the pseudonym key must be at least {KEY_BYTES} bytes")
        self._key = key

    def _mac(self, *parts: str) -> str:
        message = "\x1f".join(parts).encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def event(self, source: str, event_id: str) -> str:
        """The pseudonym of one CloudEvent (``source`` + ``id``)."""
        return self._mac("event", source, event_id)

    def content(self, canonical: bytes) -> str:
        """A keyed hash of a notification's canonical bytes: equal for a retried post, different
        for a changed one, and no dictionary attack on its values without the key."""
        return hmac.new(self._key, b"content\x1f" + canonical, hashlib.sha256).hexdigest()

    def episode(self, source: str, episode: str) -> str:
        """The pseudonym of a publisher's episode (missing episode or placement)."""
        return self._mac("episode", source, episode)

    def local(self, source: str, local_id: str) -> str:
        """The pseudonym of a person by the id its publisher (``source``) knows it by."""
        return self._mac("local", source, local_id)

    def nhs(self, nhs_number: str) -> str:
        """The pseudonym of a person by NHS number (validated, compact: 10 digits)."""
        return self._mac("nhs", nhs_number)

    def upn(self, upn: str) -> str:
        """The pseudonym of a pupil by UPN (validated, compact: 13 characters)."""
        return self._mac("upn", upn)

    def adapter_id_key(self, agency_id: str) -> bytes:
        """The key the agency's adapter derives its ids under (32 bytes, one per agency)."""
        return bytes.fromhex(self._mac("adapter-id-key", agency_id))

    def la_child(self, la_code: str, child_id: str) -> str:
        """The pseudonym of a child by the id their council (``la_code``) knows them by."""
        return self._mac("la-child", la_code, child_id)

    def hub_episode(self, source_episode: str) -> str:
        """The hub's reference for a missing episode first reported as ``source_episode`` (a
        pseudonym): what recipients see, the same for every report of that episode."""
        return "ep-" + self._mac("hub-episode", source_episode)[:32]

    def subjects(
        self, notification: Notification, *, council_la: str | None = None
    ) -> frozenset[str]:
        """Every pseudonym the subject of ``notification`` is known by.

        ``council_la`` is the LA of a children's services publisher, whose own id for the child
        is the child's council id; another agency links to it by ``la_child_id`` (with the
        responsible council, else the one where the child lives).
        """
        person = notification.data.person
        keys = {self.local(notification.source, person.local_id)}
        if person.nhs_number:
            keys.add(self.nhs(person.nhs_number))
        if person.upn:
            keys.add(self.upn(person.upn))
        if council_la is not None:
            keys.add(self.la_child(council_la, person.local_id))
        if person.la_child_id:
            council = person.responsible_la or person.resident_la
            keys.add(self.la_child(council, person.la_child_id))
        return frozenset(keys)
