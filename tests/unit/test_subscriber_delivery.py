"""Opening one message for the agency: verified and parsed, addressed to it, its replay mark read
from the header, and errors that carry nothing of the contents."""

from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub import InvalidMessage, UnreadableDelivery
from hub.crypto import KeyMaterial
from hub.messages import delivery_id
from hub.subscriber import REPLAY_HEADER, Delivery, is_replay, open_message
from tests.fixtures import CANARY_NHS_NUMBER
from tests.subscriber_builders import POLICE, make_keys, sealed_delivery, tampered

ID = delivery_id("synthetic-open", POLICE)


@pytest.fixture
def keys(tmp_path: Path) -> KeyMaterial:
    return make_keys(tmp_path / "keys")


def _open(tmp_path: Path, body: bytes, *, replayed: bool = False) -> Delivery:
    police = KeyMaterial(tmp_path / "keys", (POLICE,))
    opened: Delivery = open_message(police, POLICE, body, replayed=replayed, now=datetime.now(UTC))
    return opened


def test_a_sealed_delivery_opens_with_its_id_and_replay_mark(
    keys: KeyMaterial, tmp_path: Path
) -> None:
    """The police open their copy: its delivery id, event and receipt, and the replay mark."""
    delivery = _open(tmp_path, sealed_delivery(keys, ID, "open-0001"), replayed=True)

    assert delivery.delivery_id == ID
    assert delivery.notification_id == "open-0001"
    assert delivery.replayed is True
    assert _open(tmp_path, sealed_delivery(keys, ID)).replayed is False


@pytest.mark.parametrize(
    ("value", "replayed"),
    [("true", True), (b"true", True), ("false", False), ("TRUE", False), (None, False)],
)
def test_only_the_exact_replay_header_marks_a_replay(value: object, replayed: bool) -> None:
    """``sehub-replay: "true"`` (as text or bytes) is a replay; anything else is not."""
    headers = {} if value is None else {REPLAY_HEADER: value}

    assert is_replay(headers) is replayed


def test_a_bad_signature_is_an_invalid_message(keys: KeyMaterial, tmp_path: Path) -> None:
    """A tampered hub signature fails verification before anything is opened."""
    with pytest.raises(InvalidMessage) as failure:
        _open(tmp_path, tampered(sealed_delivery(keys, ID)))

    assert failure.value.reason == "bad_signature"


def test_a_document_for_another_agency_is_unreadable(keys: KeyMaterial, tmp_path: Path) -> None:
    """A copy sealed to the police whose document names education is refused."""
    with pytest.raises(UnreadableDelivery, match="another agency"):
        _open(tmp_path, sealed_delivery(keys, ID, recipient="northumberland-education"))


def test_a_sealed_non_delivery_is_unreadable_and_says_nothing_of_it(
    keys: KeyMaterial, tmp_path: Path
) -> None:
    """Sealed plaintext that is no delivery document raises an error without its contents,
    and without pydantic's error (which quotes them) attached."""
    plaintext = json.dumps({"nhs_number": CANARY_NHS_NUMBER}).encode()
    body = keys.seal_delivery(
        POLICE,
        plaintext,
        message_id="open-0002",
        rule_id="rule",
        protocol_version="test",
        source_sig=b"synthetic",
        now=datetime.now(UTC),
    )

    with pytest.raises(UnreadableDelivery) as failure:
        _open(tmp_path, body)

    assert CANARY_NHS_NUMBER not in str(failure.value)
    assert failure.value.__cause__ is None
    assert failure.value.__suppress_context__


def test_the_package_exports_exactly_its_public_surface() -> None:
    """Every name in ``hub.subscriber.__all__`` exists, and every public attribute is listed."""
    package = importlib.import_module("hub.subscriber")
    public = {
        name
        for name, value in vars(package).items()
        if not name.startswith("_") and not isinstance(value, type(importlib))
    }

    assert public == set(package.__all__)
