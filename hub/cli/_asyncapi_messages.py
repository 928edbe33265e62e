"""The messages of the AsyncAPI document (:mod:`hub.cli._asyncapi_document`): the envelopes
that travel on the broker, their headers, and the plaintexts they seal.

Rules:

1. Every payload on the broker is sealed: the payload schemas describe the envelopes, with the
   members and suites :mod:`hub.crypto` reads, and the plaintext each ``ct`` opens to is a
   schema of its own, named in the ``ct`` description.
2. :data:`MESSAGE_HEADERS` is every application header the hub and its agency library set;
   AMQP's own properties (message id, type, correlation id) are said in each message's
   description.
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from hub.crypto import (
    AGENCY_ID_PATTERN,
    DELIVERY_FIELDS,
    DELIVERY_VERSION,
    HPKE_HYBRID,
    HPKE_X25519,
    SOURCE_FIELDS,
    SOURCE_VERSION,
)
from hub.delivery import (
    DELIVERY_LIMIT,
    REQUEUES_HEADER,
)
from hub.messages import (
    ACKNOWLEDGEMENT_CONTENT_TYPE,
    DELIVERY_CONTENT_TYPE,
    REPLAY_HEADER,
    SOURCE_CONTENT_TYPE,
    Acknowledgement,
    DeliveredNotification,
)

__all__ = ["BINDING_VERSION", "MESSAGE_HEADERS", "message_components", "ref", "schema_components"]

BINDING_VERSION = "0.3.0"
_BASE64URL = r"^[A-Za-z0-9_-]+$"
_SCHEMAS = "#/components/schemas/{model}"
_KID = r"^[a-z0-9][a-z0-9-]{0,62}-(sig|enc)-[0-9]{8}-[0-9a-f]{4}$"

# The application headers the hub and its agency library set, and what each says.
MESSAGE_HEADERS: dict[str, str] = {
    "sehub-publisher": "The agency id of the publisher (the intake's caller, or the "
    "acknowledging agency).",
    "sehub-recipient": "The agency id the copy is addressed to.",
    "sehub-rule": "The protocol rule that allowed this sharing.",
    "sehub-delivery-id": "The copy's stable id (32 lower-case hex): the same on every publish, "
    "replay or redelivery of it; what an acknowledgement names.",
    REPLAY_HEADER: '"true" on a copy sent again because its recipient asked (replay).',
    REQUEUES_HEADER: "On a dead letter put back by hub dlq requeue: how many times it was.",
}


def ref(where: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{where}/{name}"}


def _text(description: str, **constraints: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **constraints}


def _envelope(version: str, fields: tuple[str, ...], sealed: str) -> dict[str, Any]:
    members = {
        "v": {"type": "string", "const": version, "description": "The envelope's version."},
        "source": _text("The publishing agency's id.", pattern=AGENCY_ID_PATTERN),
        "recipient": _text("The receiving agency's id.", pattern=AGENCY_ID_PATTERN),
        "message_id": _text("The message id (the notification id, or ack-<delivery>-<action>)."),
        "rule_id": _text("The protocol rule that allowed this sharing."),
        "protocol_version": _text("The protocol version tag the decision was made under."),
        "source_sig_sha256": _text(
            "Hex SHA-256 of the source signature's 64 bytes.", pattern="^[0-9a-f]{64}$"
        ),
        "sig_kid": _text("Kid of the publisher's Ed25519 signing key.", pattern=_KID),
        "sig": _text("Ed25519 signature over the sealed bytes, base64url.", pattern=_BASE64URL),
        "enc_kid": _text("Kid of the recipient's HPKE key.", pattern=_KID),
        "suite": {"type": "string", "enum": [HPKE_X25519, HPKE_HYBRID]},
        "ct": _text(f"HPKE ciphertext (enc || sealed) of {sealed}, base64url.", pattern=_BASE64URL),
        "hub_kid": _text("Kid of the hub's Ed25519 signing key.", pattern=_KID),
        "hub_sig": _text(
            "Ed25519 signature over the nine signed members joined by line feeds, base64url.",
            pattern=_BASE64URL,
        ),
    }
    return {
        "type": "object",
        "description": "UTF-8 JSON, every member a string; see docs/wire-format.md.",
        "required": list(fields),
        "additionalProperties": False,
        "properties": {name: members[name] for name in fields},
    }


def _headers(*names: str, required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "required": list(required),
        "properties": {name: _text(MESSAGE_HEADERS[name]) for name in names},
    }


def _message(
    name: str,
    title: str,
    content_type: str,
    payload: str,
    *,
    headers: dict[str, Any],
    description: str,
) -> dict[str, Any]:
    return {
        "name": name,
        "title": title,
        "contentType": content_type,
        "summary": description,
        "description": (
            description + " AMQP properties: message_id (the notification id, or "
            "ack-<delivery>-<action>), type (the notification type, or acknowledgement), "
            "correlation_id (the HTTP request's), delivery mode 2 (persistent)."
        ),
        "correlationId": {
            "description": "The AMQP correlation-id property: the posting request's id.",
            "location": "$message.header#/correlation_id",
        },
        "headers": headers,
        "payload": ref("schemas", payload),
        "bindings": {"amqp": {"messageType": name, "bindingVersion": BINDING_VERSION}},
    }


def message_components() -> dict[str, Any]:
    return {
        "SourceEnvelope": _message(
            "sourceEnvelope",
            "A notification, signed as its agency and sealed to the hub",
            SOURCE_CONTENT_TYPE,
            "SourceEnvelope",
            headers=_headers("sehub-publisher", required=("sehub-publisher",)),
            description="What the intake publishes once a post is accepted; the router opens it.",
        ),
        "DeliveryEnvelope": _message(
            "deliveryEnvelope",
            "One recipient's view, sealed to it and signed by the hub",
            DELIVERY_CONTENT_TYPE,
            "DeliveryEnvelope",
            headers=_headers(
                "sehub-recipient",
                "sehub-rule",
                "sehub-delivery-id",
                REPLAY_HEADER,
                required=("sehub-recipient", "sehub-rule", "sehub-delivery-id"),
            ),
            description="What the router publishes for each recipient the protocol tells.",
        ),
        "AcknowledgementEnvelope": _message(
            "acknowledgementEnvelope",
            "A business acknowledgement, signed by the agency and sealed to the hub",
            ACKNOWLEDGEMENT_CONTENT_TYPE,
            "AcknowledgementSourceEnvelope",
            headers=_headers("sehub-publisher", required=("sehub-publisher",)),
            description="What an agency's subscriber sends to say it received, actioned or "
            "declined a delivery.",
        ),
        "DeadLetter": {
            "name": "deadLetter",
            "title": "Any of the above, dead-lettered by RabbitMQ",
            "summary": "A message a consumer rejected, or one over the delivery limit.",
            "description": (
                "The message as it was, with RabbitMQ's x-death, x-first-death-queue and "
                f"x-first-death-reason headers (x-delivery-limit is {DELIVERY_LIMIT}). hub dlq "
                "lists and requeues them (docs/operations.md); the routers audit each one."
            ),
            "headers": _headers("sehub-delivery-id", REQUEUES_HEADER),
            "payload": {
                "oneOf": [
                    ref("schemas", "SourceEnvelope"),
                    ref("schemas", "DeliveryEnvelope"),
                    ref("schemas", "AcknowledgementSourceEnvelope"),
                ]
            },
        },
    }


def schema_components() -> dict[str, Any]:
    _, plaintexts = models_json_schema(
        [(DeliveredNotification, "validation"), (Acknowledgement, "validation")],
        ref_template=_SCHEMAS,
    )
    return {
        "SourceEnvelope": _envelope(
            SOURCE_VERSION, SOURCE_FIELDS, "the canonical notification (schemas/json/)"
        ),
        "DeliveryEnvelope": _envelope(
            DELIVERY_VERSION, DELIVERY_FIELDS, "a DeliveredNotification (components/schemas)"
        ),
        "AcknowledgementSourceEnvelope": _envelope(
            SOURCE_VERSION, SOURCE_FIELDS, "an Acknowledgement (components/schemas)"
        ),
        **plaintexts["$defs"],
    }
