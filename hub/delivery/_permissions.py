"""Who may do what on the broker: one RabbitMQ user per role, its permissions derived from the
agency directory by a table. Pure: no I/O; :mod:`._provisioning` applies it.

RabbitMQ grants three regular expressions per user and vhost, each matched against the name of
the queue or exchange an operation touches (queues and exchanges share one namespace there):
*configure* (declare, delete), *write* (publish to an exchange; bind a queue, which also needs
*read* on the exchange) and *read* (consume, ``basic.get``, purge; the exchange side of a bind).

Rules:

1. Every user :func:`broker_users` returns carries :data:`MANAGED_TAG`, so that provisioning can
   tell its own users from anyone else's and revoke only those (:mod:`._provisioning`).
2. An agency (every entry of the directory that is not an auditor: auditors receive nothing)
   gets ``sehub-agency-<id>``: configure nothing, write only ``sehub.acks`` (its business
   acknowledgements), read only its own queue ``sehub.agency.<id>``. It cannot declare, bind,
   purge or delete anything, nor publish to ingress or to the delivery exchange.
3. The intake (``hub run --role api``) gets ``sehub-intake``: write ``sehub.ingress`` only. It
   reads nothing and declares nothing; it checks ingress passively at start.
4. The router (``hub run --role router`` or ``all``: routing core, relays, acknowledgement and
   dead-letter consumers, ``hub dlq``) gets ``sehub-router``: configure and write the hub's
   exchanges and queues, including every directory entry's queue, which it declares and binds
   at start; read ingress, its shards, acks and the two dead queues (it consumes them) and the
   exchanges it binds from. It reads no agency's queue.
5. Each expression is anchored and lists exact names (``^a$``, ``^(?:a|b)$``), never a prefix, so a
   name an agency chooses cannot widen a grant; an empty list is ``^$`` (matches nothing).
6. Queues and exchanges of one name share a grant: ``sehub.ingress``, ``sehub.acks`` and
   ``sehub.dead`` are each both, so write on the queue (to bind it) is write on the exchange.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from hub.delivery._topology import (
    ACK_EXCHANGE,
    ACK_QUEUE,
    DEAD_AUDIT_QUEUE,
    DEAD_EXCHANGE,
    DEAD_QUEUE,
    DELIVER_EXCHANGE,
    INGRESS_EXCHANGE,
    INGRESS_QUEUE,
    SHARD_COUNT,
    SHARD_EXCHANGE,
    agency_queue_name,
    shard_queue_name,
)

__all__ = [
    "AGENCY_USER_PREFIX",
    "INTAKE_USER",
    "MANAGED_TAG",
    "ROUTER_USER",
    "BrokerRole",
    "BrokerUser",
    "Permission",
    "agency_user",
    "broker_users",
    "permission_pattern",
]

MANAGED_TAG = "sehub-managed"
ROUTER_USER = "sehub-router"
INTAKE_USER = "sehub-intake"
AGENCY_USER_PREFIX = "sehub-agency-"
OWN_QUEUE = "{own queue}"
EVERY_AGENCY_QUEUE = "{every agency queue}"


class BrokerRole(StrEnum):
    AGENCY = "agency"
    INTAKE = "intake"
    ROUTER = "router"


@dataclass(frozen=True, slots=True)
class Permission:
    """RabbitMQ's three expressions for one user in one vhost."""

    configure: str
    write: str
    read: str


@dataclass(frozen=True, slots=True)
class BrokerUser:
    """A user provisioning creates: its name, role, agency (for an agency) and permission."""

    name: str
    role: BrokerRole
    permission: Permission
    agency: str | None = None


@dataclass(frozen=True, slots=True)
class _Grant:
    configure: tuple[str, ...]
    write: tuple[str, ...]
    read: tuple[str, ...]


_HUB_OBJECTS = (
    INGRESS_EXCHANGE,
    DELIVER_EXCHANGE,
    ACK_EXCHANGE,
    DEAD_EXCHANGE,
    INGRESS_QUEUE,
    ACK_QUEUE,
    DEAD_QUEUE,
    DEAD_AUDIT_QUEUE,
    SHARD_EXCHANGE,
    *(shard_queue_name(shard) for shard in range(SHARD_COUNT)),
)

# The table (rules 2-4). OWN_QUEUE and EVERY_AGENCY_QUEUE stand for names from the directory.
_TABLE: dict[BrokerRole, _Grant] = {
    BrokerRole.AGENCY: _Grant(configure=(), write=(ACK_EXCHANGE,), read=(OWN_QUEUE,)),
    BrokerRole.INTAKE: _Grant(configure=(), write=(INGRESS_EXCHANGE,), read=()),
    BrokerRole.ROUTER: _Grant(
        configure=(*_HUB_OBJECTS, EVERY_AGENCY_QUEUE),
        # Publish to ingress (the intake relay), to its shards (the resolver), to agencies
        # (deliveries, replays) and to acks (``hub dlq requeue``); bind its queues, every
        # agency's included.
        write=(*_HUB_OBJECTS, EVERY_AGENCY_QUEUE),
        # Consume ingress, its shards, acks and the dead queues; bind from the five exchanges.
        read=_HUB_OBJECTS,
    ),
}


def agency_user(agency_id: str) -> str:
    """The RabbitMQ user of an agency."""
    return f"{AGENCY_USER_PREFIX}{agency_id}"


def permission_pattern(names: Iterable[str]) -> str:
    """An anchored expression matching exactly ``names`` (rule 5)."""
    unique = sorted(set(names))
    if not unique:
        return "^$"
    if len(unique) == 1:
        return f"^{re.escape(unique[0])}$"
    return "^(?:" + "|".join(re.escape(name) for name in unique) + ")$"


def _resolve(names: tuple[str, ...], own_queue: str | None, agency_queues: list[str]) -> list[str]:
    resolved: list[str] = []
    for name in names:
        if name == OWN_QUEUE:
            resolved.extend(() if own_queue is None else (own_queue,))
        elif name == EVERY_AGENCY_QUEUE:
            resolved.extend(agency_queues)
        else:
            resolved.append(name)
    return resolved


def _permission(role: BrokerRole, own_queue: str | None, agency_queues: list[str]) -> Permission:
    grant = _TABLE[role]
    return Permission(
        configure=permission_pattern(_resolve(grant.configure, own_queue, agency_queues)),
        write=permission_pattern(_resolve(grant.write, own_queue, agency_queues)),
        read=permission_pattern(_resolve(grant.read, own_queue, agency_queues)),
    )


def broker_users(
    agency_ids: Iterable[str], *, auditors: Iterable[str] = ()
) -> tuple[BrokerUser, ...]:
    """The users for a directory of ``agency_ids`` (rules 2-4): the router and the intake, then
    one per agency that is not among ``auditors``, in id order."""
    ids = sorted(set(agency_ids))
    not_receiving = set(auditors)
    queues = [agency_queue_name(agency_id) for agency_id in ids]
    users = [
        BrokerUser(ROUTER_USER, BrokerRole.ROUTER, _permission(BrokerRole.ROUTER, None, queues)),
        BrokerUser(INTAKE_USER, BrokerRole.INTAKE, _permission(BrokerRole.INTAKE, None, queues)),
    ]
    users.extend(
        BrokerUser(
            agency_user(agency_id),
            BrokerRole.AGENCY,
            _permission(BrokerRole.AGENCY, agency_queue_name(agency_id), queues),
            agency=agency_id,
        )
        for agency_id in ids
        if agency_id not in not_receiving
    )
    return tuple(users)
