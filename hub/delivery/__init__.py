"""Delivery over RabbitMQ: the topology, the broker edge, the dead letters, and the broker's
users and their permissions (what travels: :mod:`hub.messages`)."""

from hub.delivery._broker import Broker, MessageHandler, server_version
from hub.delivery._credentials import BrokerCredentials, url_with_credentials, vhost_of
from hub.delivery._dead_letter_queue import DeadLetterQueue, Requeued
from hub.delivery._dead_letters import REQUEUES_HEADER, DeadLetter, Death, republished_headers
from hub.delivery._failover import FailoverConnection, broker_urls, connect_failover, connect_first
from hub.delivery._management import ExistingUser, ManagementApi
from hub.delivery._permissions import (
    INTAKE_USER,
    MANAGED_TAG,
    ROUTER_USER,
    BrokerRole,
    BrokerUser,
    Permission,
    agency_user,
    broker_users,
    permission_pattern,
)
from hub.delivery._provisioning import GUEST, Change, Plan, password_matches
from hub.delivery._provisioning import apply as apply_provisioning
from hub.delivery._provisioning import plan as plan_provisioning
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
    "GUEST",
    "INGRESS_EXCHANGE",
    "INGRESS_QUEUE",
    "INGRESS_ROUTING_KEY",
    "INTAKE_USER",
    "MANAGED_TAG",
    "REQUEUES_HEADER",
    "ROUTER_USER",
    "Broker",
    "BrokerCredentials",
    "BrokerRole",
    "BrokerUser",
    "Change",
    "DeadLetter",
    "DeadLetterQueue",
    "Death",
    "ExistingUser",
    "FailoverConnection",
    "ManagementApi",
    "MessageHandler",
    "Permission",
    "Plan",
    "Requeued",
    "agency_of_queue",
    "agency_queue_name",
    "agency_user",
    "apply_provisioning",
    "broker_urls",
    "broker_users",
    "connect_failover",
    "connect_first",
    "dead_queue_arguments",
    "declare_agency_queue",
    "password_matches",
    "permission_pattern",
    "plan_provisioning",
    "republished_headers",
    "server_version",
    "url_with_credentials",
    "vhost_of",
    "working_queue_arguments",
]
