"""Delivery over RabbitMQ: the topology, the broker edge and the dead letters (what travels:
:mod:`hub.messages`)."""

from hub.delivery._broker import Broker, MessageHandler, server_version
from hub.delivery._dead_letter_queue import DeadLetterQueue, Requeued
from hub.delivery._dead_letters import REQUEUES_HEADER, DeadLetter, Death, republished_headers
from hub.delivery._topology import (
    ACK_EXCHANGE,
    ACK_QUEUE,
    AGENCY_QUEUE_PREFIX,
    DEAD_AUDIT_QUEUE,
    DEAD_EXCHANGE,
    DEAD_QUEUE,
    DELIVER_EXCHANGE,
    DELIVERY_LIMIT,
    INGRESS_EXCHANGE,
    INGRESS_QUEUE,
    INGRESS_ROUTING_KEY,
    agency_of_queue,
    agency_queue_name,
    dead_queue_arguments,
    declare_agency_queue,
    working_queue_arguments,
)

__all__ = [
    "ACK_EXCHANGE",
    "ACK_QUEUE",
    "AGENCY_QUEUE_PREFIX",
    "DEAD_AUDIT_QUEUE",
    "DEAD_EXCHANGE",
    "DEAD_QUEUE",
    "DELIVERY_LIMIT",
    "DELIVER_EXCHANGE",
    "INGRESS_EXCHANGE",
    "INGRESS_QUEUE",
    "INGRESS_ROUTING_KEY",
    "REQUEUES_HEADER",
    "Broker",
    "DeadLetter",
    "DeadLetterQueue",
    "Death",
    "MessageHandler",
    "Requeued",
    "agency_of_queue",
    "agency_queue_name",
    "dead_queue_arguments",
    "declare_agency_queue",
    "republished_headers",
    "server_version",
    "working_queue_arguments",
]
