"""The AsyncAPI 3.0 document of the hub's queues, generated from the code (never by hand).

Names come from :mod:`hub.delivery`'s topology constants, content types and plaintext models
from :mod:`hub.messages`, envelope members and suites from :mod:`hub.crypto`
(:mod:`hub.cli._asyncapi_messages`); what only prose can say (who publishes, what a header
means) follows docs/wire-format.md and docs/reliability.md. ``docs/asyncapi.yaml`` is this
document written out by ``hub asyncapi``; a unit test holds the two equal and lints the file
against the official AsyncAPI 3.0.0 JSON Schema (scripts/asyncapi_schema.py fetches it).

Rules:

1. The described application is the hub with its agency library (:mod:`hub.subscriber`):
   each operation says, in ``x-performed-by``, which part sends or receives.
2. An exchange is a channel whose address is the routing key (AMQP binding ``is: routingKey``);
   a queue is a channel whose address is the queue's name (``is: queue``). An agency's queue is
   one parameterised channel, ``sehub.agency.{agencyId}``.
"""

from __future__ import annotations

from typing import Any

from hub.cli._asyncapi_messages import (
    BINDING_VERSION,
    message_components,
    ref,
    schema_components,
)
from hub.delivery import (
    ACK_EXCHANGE,
    ACK_QUEUE,
    AGENCY_QUEUE_PREFIX,
    DEAD_AUDIT_QUEUE,
    DEAD_EXCHANGE,
    DEAD_QUEUE,
    DELIVER_EXCHANGE,
    INGRESS_EXCHANGE,
    INGRESS_QUEUE,
    INGRESS_ROUTING_KEY,
    SHARD_COUNT,
    SHARD_EXCHANGE,
    SHARD_QUEUE_PREFIX,
    working_queue_arguments,
)

__all__ = ["asyncapi_document"]


def _exchange(name: str, kind: str, address: str | None, description: str) -> dict[str, Any]:
    return {
        "address": address,
        "description": description,
        "bindings": {
            "amqp": {
                "is": "routingKey",
                "exchange": {"name": name, "type": kind, "durable": True, "autoDelete": False},
                "bindingVersion": BINDING_VERSION,
            }
        },
    }


def _queue(name: str, description: str) -> dict[str, Any]:
    return {
        "address": name,
        "description": description,
        "bindings": {
            "amqp": {
                "is": "queue",
                "queue": {"name": name, "durable": True, "exclusive": False, "autoDelete": False},
                "bindingVersion": BINDING_VERSION,
            }
        },
    }


def _carrying(channel: dict[str, Any], *messages: str) -> dict[str, Any]:
    return {**channel, "messages": {m[0].lower() + m[1:]: ref("messages", m) for m in messages}}


def _channels() -> dict[str, Any]:
    arguments = ", ".join(f"{k}={v}" for k, v in working_queue_arguments().items())
    working = f"A durable quorum queue ({arguments})."
    shard = {"shard": {"description": f"The shard's number, 0 to {SHARD_COUNT - 1}."}}
    agency = {
        "agencyId": {"description": "The agency's id in the directory, e.g. northumbria-police."}
    }
    return {
        "ingress": _carrying(
            _exchange(
                INGRESS_EXCHANGE,
                "direct",
                INGRESS_ROUTING_KEY,
                "Accepted notifications, to the routers.",
            ),
            "SourceEnvelope",
        ),
        "ingressQueue": _carrying(
            _queue(
                INGRESS_QUEUE,
                "What the routers' resolver consumes, one router at a time "
                f"(x-single-active-consumer). {working}",
            ),
            "SourceEnvelope",
        ),
        "shards": {
            **_carrying(
                _exchange(
                    SHARD_EXCHANGE,
                    "direct",
                    "{shard}",
                    "Each accepted notification, to the shard of its subject's ordering "
                    "component (header sehub-subjects: the subject's pseudonyms).",
                ),
                "SourceEnvelope",
            ),
            "parameters": shard,
        },
        "shardQueue": {
            **_carrying(
                _queue(
                    SHARD_QUEUE_PREFIX + "{shard}",
                    "One ingress shard, routed in order by one router at a time "
                    f"(x-single-active-consumer, prefetch 1). {working}",
                ),
                "SourceEnvelope",
            ),
            "parameters": shard,
        },
        "deliver": {
            **_carrying(
                _exchange(
                    DELIVER_EXCHANGE,
                    "direct",
                    "{agencyId}",
                    "Each recipient's copy, routed by its agency id.",
                ),
                "DeliveryEnvelope",
            ),
            "parameters": agency,
        },
        "agencyQueue": {
            **_carrying(
                _queue(
                    AGENCY_QUEUE_PREFIX + "{agencyId}",
                    f"One agency's deliveries, bound to {DELIVER_EXCHANGE} by its id. {working}",
                ),
                "DeliveryEnvelope",
            ),
            "parameters": agency,
        },
        "acks": _carrying(
            _exchange(ACK_EXCHANGE, "direct", ACK_QUEUE, "Business acknowledgements, to the hub."),
            "AcknowledgementEnvelope",
        ),
        "acksQueue": _carrying(
            _queue(ACK_QUEUE, f"What the routers consume. {working}"), "AcknowledgementEnvelope"
        ),
        "deadLetters": _carrying(
            _exchange(
                DEAD_EXCHANGE,
                "fanout",
                None,
                "Where every working queue dead-letters, at least once; fanned out to both "
                "dead queues (the routing key is the message's own).",
            ),
            "DeadLetter",
        ),
        "deadQueue": _carrying(
            _queue(DEAD_QUEUE, "Dead letters for operators (hub dlq); no delivery limit."),
            "DeadLetter",
        ),
        "deadAuditQueue": _carrying(
            _queue(DEAD_AUDIT_QUEUE, "A copy of each dead letter, audited by the routers."),
            "DeadLetter",
        ),
    }


def _operation(
    action: str, channel: str, message: str, performed_by: str, summary: str
) -> dict[str, Any]:
    first = message[0].lower() + message[1:]
    operation: dict[str, Any] = {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel}"},
        "summary": summary,
        "x-performed-by": performed_by,
        "messages": [{"$ref": f"#/channels/{channel}/messages/{first}"}],
    }
    if action == "send":
        operation["bindings"] = {
            "amqp": {"deliveryMode": 2, "mandatory": True, "bindingVersion": BINDING_VERSION}
        }
    else:
        operation["bindings"] = {"amqp": {"ack": True, "bindingVersion": BINDING_VERSION}}
    return operation


def _operations() -> dict[str, Any]:
    return {
        "publishNotification": _operation(
            "send",
            "ingress",
            "SourceEnvelope",
            "hub.relays (the intake outbox)",
            "Publish an accepted notification, with publisher confirms, after its audit record "
            "is committed.",
        ),
        "resolveNotification": _operation(
            "receive",
            "ingressQueue",
            "SourceEnvelope",
            "hub.routing (the resolver)",
            "Link the subject's pseudonyms into one ordering component; acknowledged once "
            "forwarded to its shard.",
        ),
        "forwardNotification": _operation(
            "send",
            "shards",
            "SourceEnvelope",
            "hub.routing (the resolver)",
            "Forward the notification, unchanged, to its shard, with publisher confirms.",
        ),
        "routeNotification": _operation(
            "receive",
            "shardQueue",
            "SourceEnvelope",
            "hub.routing",
            "Verify, open and decide; acknowledged once the decision is committed.",
        ),
        "deliverCopy": _operation(
            "send",
            "deliver",
            "DeliveryEnvelope",
            "hub.relays (the delivery outbox)",
            "Publish one recipient's sealed view, with publisher confirms.",
        ),
        "receiveDelivery": _operation(
            "receive",
            "agencyQueue",
            "DeliveryEnvelope",
            "hub.subscriber (at the agency)",
            "Verify the hub's signature, open, deduplicate by delivery id, then acknowledge.",
        ),
        "sendAcknowledgement": _operation(
            "send",
            "acks",
            "AcknowledgementEnvelope",
            "hub.subscriber (at the agency)",
            "Say who at the agency received, actioned or declined a delivery.",
        ),
        "recordAcknowledgement": _operation(
            "receive",
            "acksQueue",
            "AcknowledgementEnvelope",
            "hub.acknowledgements",
            "Verify and record an acknowledgement; stop the copy's escalation ladder.",
        ),
        "inspectDeadLetters": _operation(
            "receive",
            "deadQueue",
            "DeadLetter",
            "hub dlq (operators)",
            "List, show metadata of, and requeue dead letters; never their payloads.",
        ),
        "auditDeadLetters": _operation(
            "receive",
            "deadAuditQueue",
            "DeadLetter",
            "hub.routing (dead-letter auditor)",
            "Write one audit record per dead letter.",
        ),
    }


def asyncapi_document() -> dict[str, Any]:
    """The whole AsyncAPI 3.0 document of the hub's broker interface."""
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Safeguarding information-sharing hub: queues",
            "version": "1",
            "description": (
                "The RabbitMQ topology the hub declares, and what travels on it. Every payload "
                "is a signed and sealed envelope (docs/wire-format.md); the HTTP API is "
                "described by /openapi.json."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "production": {
                "host": "rabbitmq.example.invalid:5671",
                "protocol": "amqps",
                "description": "TLS (AMQP over TLS). Each agency connects as its own user, "
                "which may read only its own queue and publish only acknowledgements.",
                "security": [ref("securitySchemes", "agencyUser")],
            },
            "demo": {
                "host": "127.0.0.1:5672",
                "protocol": "amqp",
                "description": "make run's broker, on loopback, plain AMQP.",
                "security": [ref("securitySchemes", "agencyUser")],
            },
        },
        "channels": _channels(),
        "operations": _operations(),
        "components": {
            "messages": message_components(),
            "schemas": schema_components(),
            "securitySchemes": {
                "agencyUser": {
                    "type": "userPassword",
                    "description": "One RabbitMQ user per agency, and one per hub role, with "
                    "permissions derived from the protocol and the agency directory.",
                }
            },
        },
    }
