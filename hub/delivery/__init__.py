"""Delivery over RabbitMQ: the topology and the broker edge (what travels: :mod:`hub.messages`)."""

from hub.delivery._broker import Broker, MessageHandler
from hub.delivery._topology import (
    ACK_EXCHANGE,
    ACK_QUEUE,
    DEAD_EXCHANGE,
    DEAD_QUEUE,
    DELIVER_EXCHANGE,
    DELIVERY_LIMIT,
    INGRESS_EXCHANGE,
    INGRESS_QUEUE,
    INGRESS_ROUTING_KEY,
    agency_queue_name,
    declare_agency_queue,
)

__all__ = [
    "ACK_EXCHANGE",
    "ACK_QUEUE",
    "DEAD_EXCHANGE",
    "DEAD_QUEUE",
    "DELIVERY_LIMIT",
    "DELIVER_EXCHANGE",
    "INGRESS_EXCHANGE",
    "INGRESS_QUEUE",
    "INGRESS_ROUTING_KEY",
    "Broker",
    "MessageHandler",
    "agency_queue_name",
    "declare_agency_queue",
]
