"""Key documents, the keys directory, the registry and the ring."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from hub import ConfigurationError
from hub.crypto import (
    InvalidMessage,
    KeyDocument,
    KeyRegistry,
    KeyRing,
    KeyRotation,
    KeyStore,
    PrivateKeyDocument,
    generate_document,
)
from tests.unit.crypto.conftest import CLASSIC, NOW, PQ, SOURCE, Parties


def test_public_documents_never_contain_priv(parties: Parties, tmp_path: Path) -> None:
    """Neither a public document nor any file under public/ mentions priv."""
    store = KeyStore(tmp_path)
    for document in parties.documents.values():
        store.save(document)
        assert "priv" not in document.public().to_json()

    assert all("priv" not in path.read_text() for path in store.public_dir.iterdir())
    assert {p.name for p in store.public_dir.iterdir()} == {
        f"{a}.jwks.json" for a in parties.documents
    }


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_private_files_are_created_0600(parties: Parties, tmp_path: Path) -> None:
    """A private document is mode 0600 in a 0700 directory; its public half is 0644."""
    old_umask = os.umask(0o022)
    try:
        KeyStore(tmp_path).save(parties.documents[PQ])
    finally:
        os.umask(old_umask)

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(tmp_path / "private" / f"{PQ}.jwks.json") == 0o600
    assert mode(tmp_path / "private") == 0o700
    assert mode(tmp_path / "public" / f"{PQ}.jwks.json") == 0o644
    assert list((tmp_path / "private").glob(".*tmp")) == []


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_private_file_others_can_read_is_refused(parties: Parties, tmp_path: Path) -> None:
    """Loading a ring from a group- or world-readable file raises ConfigurationError."""
    store = KeyStore(tmp_path)
    store.save(parties.documents[CLASSIC])
    store.private_path(CLASSIC).chmod(0o644)

    with pytest.raises(ConfigurationError, match="chmod 600"):
        KeyRing.load(tmp_path, CLASSIC)


def test_documents_round_trip_through_the_keys_directory(parties: Parties, tmp_path: Path) -> None:
    """What the store saves, KeyRegistry.load and KeyRing.load read back identically."""
    store = KeyStore(tmp_path)
    for document in parties.documents.values():
        store.save(document)

    registry = KeyRegistry.load(tmp_path)
    ring = KeyRing.load(tmp_path, SOURCE)

    assert registry.agencies == tuple(sorted(parties.documents))
    assert registry.keys(PQ) == parties.documents[PQ].public().keys
    assert ring.public_document == parties.documents[SOURCE].public()


def _record(document: PrivateKeyDocument, index: int = 0, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(document.to_json())
    data["keys"][index].update(changes)
    return data


BAD_DOCUMENTS = [
    ("use does not fit alg", 0, {"use": "enc"}),
    ("kid of another agency", 0, {"kid": "example-police-sig-20260101-abcd"}),
    ("kid use part differs", 0, {"kid": "example-childrens-enc-20260101-abcd"}),
    ("unknown alg", 0, {"alg": "RSA"}),
    ("exp before nbf", 0, {"exp": 0}),
    ("padded base64", 0, {"pub": "AAAA="}),
    ("short public key", 1, {"pub": "AAAA"}),
    ("pub is not priv's", 0, {"pub": "4sI3JiLMxLMp5WXuPH7yjS_IozLggqiT-XY20mEJ6bc"}),
    ("string time", 0, {"nbf": "1767225600"}),
    ("unknown member", 0, {"x5c": "nope"}),
]


@pytest.mark.parametrize(
    ("name", "index", "changes"), BAD_DOCUMENTS, ids=[b[0] for b in BAD_DOCUMENTS]
)
def test_inconsistent_key_documents_are_refused(
    name: str, index: int, changes: dict[str, Any], parties: Parties
) -> None:
    """A key whose kid, use, alg, sizes, times or members are inconsistent fails validation."""
    data = _record(parties.documents[SOURCE], index, **changes)

    with pytest.raises(ValidationError):
        PrivateKeyDocument.model_validate_json(json.dumps(data))


def test_a_private_document_is_not_a_public_one(parties: Parties) -> None:
    """A private document put where a public one belongs is refused (priv is not allowed)."""
    with pytest.raises(ValidationError):
        KeyDocument.model_validate_json(parties.documents[SOURCE].to_json())


def test_a_file_named_for_another_agency_is_refused(parties: Parties, tmp_path: Path) -> None:
    """public/<agency>.jwks.json must hold that agency's document."""
    store = KeyStore(tmp_path)
    store.save(parties.documents[SOURCE])
    store.public_path(SOURCE).rename(store.public_path("impostor"))

    with pytest.raises(ConfigurationError, match="holds agency"):
        KeyRegistry.load(tmp_path)


def test_an_invalid_file_names_the_problem_but_not_the_key(
    parties: Parties, tmp_path: Path
) -> None:
    """The error for a bad private file names the member, never the private bytes."""
    store = KeyStore(tmp_path)
    document = parties.documents[SOURCE]
    store.save(document)
    data = _record(document, 0, exp=0)
    store.private_path(SOURCE).write_text(json.dumps(data))

    with pytest.raises(ConfigurationError) as caught:
        KeyRing.load(tmp_path, SOURCE)

    assert document.keys[0].priv not in str(caught.value)
    assert "exp must be after nbf" in str(caught.value)


def test_reprs_show_kids_not_private_keys(parties: Parties) -> None:
    """repr of a ring or a private document lists kids only."""
    document = parties.documents[SOURCE]
    texts = [repr(KeyRing(document)), repr(document), repr(document.keys[0])]

    assert all(key.priv not in text for text in texts for key in document.keys)
    assert document.keys[0].kid in texts[0]


def test_the_newest_usable_key_signs_and_seals(parties: Parties) -> None:
    """With two usable keys, the one with the later nbf is chosen for new work."""
    later = NOW.replace(month=2)
    rotated, new = KeyRotation().rotate(parties.documents[CLASSIC], "enc", later)
    registry = KeyRegistry([rotated.public()])

    assert registry.encryption_key_for(CLASSIC, later).kid == new.kid
    assert registry.encryption_key_for(CLASSIC, NOW).kid == parties.documents[CLASSIC].keys[1].kid


def test_having_no_usable_key_of_our_own_is_a_configuration_error(parties: Parties) -> None:
    """Sealing to an agency without a usable key, or signing without one, is our fault."""
    document = parties.documents[CLASSIC]
    retired = KeyRotation().retire(
        KeyRotation().retire(document, document.keys[0].kid, NOW), document.keys[1].kid, NOW
    )

    with pytest.raises(ConfigurationError):
        KeyRegistry([retired.public()]).encryption_key_for(CLASSIC, NOW)
    with pytest.raises(ConfigurationError):
        KeyRing(retired).signing_key(NOW)
    with pytest.raises(ConfigurationError):
        parties.registry.encryption_key_for("nobody", NOW)


def test_lookups_of_peer_named_kids_give_reasons(parties: Parties) -> None:
    """The registry and the ring say why a kid a peer named is refused."""
    registry, ring = parties.registry, parties.ring(CLASSIC)
    source_sig = parties.documents[SOURCE].keys[0].kid
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: registry.signing_key("nobody", source_sig, NOW), "unknown_agency"),
        (lambda: registry.signing_key(CLASSIC, source_sig, NOW), "kid_agency_mismatch"),
        (
            lambda: registry.signing_key(SOURCE, "example-childrens-sig-20260101-0000", NOW),
            "unknown_kid",
        ),
        (lambda: registry.signing_key(SOURCE, "no\ncontrol", NOW), "malformed"),
        (lambda: registry.encryption_key(SOURCE, source_sig, NOW), "wrong_key_use"),
        (lambda: ring.decryption_key(parties.documents[CLASSIC].keys[0].kid, NOW), "wrong_key_use"),
        (
            lambda: ring.decryption_key(parties.documents[PQ].keys[1].kid, NOW),
            "kid_agency_mismatch",
        ),
    ]
    reasons = []
    for action, _ in cases:
        with pytest.raises(InvalidMessage) as caught:
            action()
        reasons.append(caught.value.reason)
    assert reasons == [reason for _, reason in cases]


def test_two_documents_for_one_agency_are_refused(parties: Parties) -> None:
    """The registry holds one document per agency."""
    document = parties.documents[SOURCE].public()

    with pytest.raises(ValueError, match="two key documents"):
        KeyRegistry([document, document])


def test_generated_kids_follow_the_documented_form() -> None:
    """Kids are <agency>-<use>-<yyyymmdd>-<4 hex> and the hex is a public-key fingerprint."""
    import hashlib  # noqa: PLC0415

    document = generate_document("hub", NOW, sig_seed=bytes(32), enc_seed=bytes(range(32)))

    for key in document.keys:
        fingerprint = hashlib.sha256(key.public_bytes).hexdigest()[:4]
        assert key.kid == f"hub-{key.use}-20260101-{fingerprint}"
