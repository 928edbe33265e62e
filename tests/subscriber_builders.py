"""Sealed deliveries to the police, built as the routing core builds them, for the subscriber's
unit and integration tests. Synthetic data only."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from hub.crypto import HUB_AGENCY, KeyMaterial, provision_keys
from hub.messages import DeliveredNotification
from tests.fixtures import example_event

POLICE = "northumbria-police"


def make_keys(keys_dir: Path) -> KeyMaterial:
    """Fresh hub and police keys under ``keys_dir``, valid from now; the hub's ring loaded."""
    provision_keys(keys_dir, (HUB_AGENCY, POLICE), datetime.now(UTC))
    return KeyMaterial(keys_dir, (HUB_AGENCY,))


def sealed_delivery(
    keys: KeyMaterial, delivery_id: str, event_id: str = "sub-0001", *, recipient: str = POLICE
) -> bytes:
    """A delivery document naming ``recipient``, sealed to the police, signed by ``keys``' hub."""
    event = example_event()
    event["id"] = event_id
    document = DeliveredNotification.model_validate(
        {
            "delivery_id": delivery_id,
            "recipient": recipient,
            "event": event,
            "receipt": {
                "rule_id": "missing-child-to-police",
                "protocol_version": "test",
                "lawful_basis": ["Children Act 2004 s11"],
                "purpose": "Find the child.",
                "withheld": [],
                "acknowledge_by": None,
            },
        }
    )
    return keys.seal_delivery(
        POLICE,
        document.model_dump_json().encode(),
        message_id=event_id,
        rule_id=document.receipt.rule_id,
        protocol_version=document.receipt.protocol_version,
        source_sig=b"synthetic source signature",
        now=datetime.now(UTC),
    )


def tampered(envelope: bytes) -> bytes:
    """``envelope`` with its hub signature altered."""
    fields = json.loads(envelope)
    signature = fields["hub_sig"]
    fields["hub_sig"] = signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")
    return json.dumps(fields).encode()
