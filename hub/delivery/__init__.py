"""Delivery over RabbitMQ: topology, the broker edge, and the wire documents."""

from hub.delivery._broker import Broker, MessageHandler
from hub.delivery._topology import (
    DEAD_EXCHANGE,
    DEAD_QUEUE,
    DELIVER_EXCHANGE,
    DELIVERY_LIMIT,
    INGRESS_EXCHANGE,
    INGRESS_QUEUE,
    INGRESS_ROUTING_KEY,
    agency_queue_name,
)
from hub.delivery._wire import (
    DELIVERY_CONTENT_TYPE,
    NOTIFICATION_CONTENT_TYPE,
    SOURCE_CONTENT_TYPE,
    DeliveredNotification,
    DeliveryReceipt,
    OutgoingMessage,
)

__all__ = [
    "DEAD_EXCHANGE",
    "DEAD_QUEUE",
    "DELIVERY_CONTENT_TYPE",
    "DELIVERY_LIMIT",
    "DELIVER_EXCHANGE",
    "INGRESS_EXCHANGE",
    "INGRESS_QUEUE",
    "INGRESS_ROUTING_KEY",
    "NOTIFICATION_CONTENT_TYPE",
    "SOURCE_CONTENT_TYPE",
    "Broker",
    "DeliveredNotification",
    "DeliveryReceipt",
    "MessageHandler",
    "OutgoingMessage",
    "agency_queue_name",
]
