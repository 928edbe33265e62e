"""Shared parties for the crypto tests: the hub and three agencies, one with a post-quantum key."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hub.crypto import KeyRegistry, KeyRing, PrivateKeyDocument, generate_document

VECTORS = Path(__file__).parent / "vectors"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
SOURCE = "example-childrens"
CLASSIC = "example-police"
PQ = "example-health"


def load_vector(name: str) -> Any:
    """One JSON fixture from ``vectors/``."""
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def seed(label: str, size: int) -> bytes:
    """Deterministic key material for tests (never for real keys)."""
    return hashlib.shake_256(f"sehub unit test {label}".encode()).digest(size)


@dataclass
class Parties:
    """Private documents of the hub and the agencies, and the registry of their public halves."""

    documents: dict[str, PrivateKeyDocument]

    @property
    def registry(self) -> KeyRegistry:
        return KeyRegistry(document.public() for document in self.documents.values())

    def ring(self, agency: str) -> KeyRing:
        return KeyRing(self.documents[agency])


def make_parties(now: datetime = NOW) -> Parties:
    """The hub, a source, a classical recipient and a post-quantum recipient."""
    agencies = {"hub": False, SOURCE: False, CLASSIC: False, PQ: True}
    return Parties(
        {
            agency: generate_document(
                agency,
                now,
                pq=pq,
                sig_seed=seed(f"{agency}/sig", 32),
                enc_seed=seed(f"{agency}/enc", 96 if pq else 32),
            )
            for agency, pq in agencies.items()
        }
    )


@pytest.fixture(scope="session")
def parties() -> Parties:
    return make_parties()


@pytest.fixture(scope="session")
def kat_parties() -> Parties:
    documents = load_vector("keys.json")["documents"]
    return Parties(
        {
            doc["agency"]: PrivateKeyDocument.model_validate_json(json.dumps(doc))
            for doc in documents
        }
    )
