"""Provisioning the broker's users: compare what the directory asks for with what the broker
has, plan the difference, and apply it through the management API.

Rules:

1. :func:`plan` is pure: from the wanted users (:func:`~hub.delivery.broker_users`) and their
   passwords, and the broker's users and permissions, it lists the changes, nothing else. A
   second run against the outcome of the first plans none (idempotent).
2. A wanted user is created if missing; its password and tags are set again only if they
   differ (the password is compared with the broker's salted SHA-256 hash, never read back);
   its permission in the vhost is set only if it differs.
3. A user tagged :data:`~hub.delivery.MANAGED_TAG` that is no longer wanted is deleted
   (revoked), and its credentials file with it. Users without the tag are never touched, except
   ``guest``, which is deleted unless kept: a default account whose password everyone knows.
4. The administrator provisioning runs as is never deleted. Deleting ``guest`` while logged in
   as ``guest`` is refused before any change: it would lock provisioning out.
5. The topology is declared as the administrator (the ``declare`` callback) before any user is
   changed, so no agency and no intake ever needs configure rights; a vhost that does not
   exist is created first, and the administrator given every right in it.
6. Changes print as ``<action> <user>: <why>``; no password is ever part of a change.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from hub._exceptions import ConfigurationError
from hub.delivery._management import ExistingUser, ManagementApi
from hub.delivery._permissions import MANAGED_TAG, BrokerUser, Permission

__all__ = ["GUEST", "Action", "Change", "Plan", "apply", "password_matches", "plan"]

GUEST = "guest"
SHA256_HASHING = "rabbit_password_hashing_sha256"
SALT_BYTES = 4
FULL = Permission(configure=".*", write=".*", read=".*")


class Action(StrEnum):
    CREATE_VHOST = "create vhost"
    CREATE = "create"
    UPDATE = "update"
    PERMIT = "set permissions of"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class Change:
    """One change to the broker (rule 6)."""

    action: Action
    name: str
    why: str

    def __str__(self) -> str:
        return f"{self.action} {self.name}: {self.why}"


@dataclass(frozen=True, slots=True)
class Plan:
    """The changes that bring the broker to the wanted users, in the order they apply."""

    vhost: str
    changes: tuple[Change, ...]

    @property
    def deleted(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.changes if c.action is Action.DELETE)


def password_matches(user: ExistingUser, password: str) -> bool:
    """Whether ``password`` is the one the broker holds the hash of (rule 2)."""
    if user.hashing_algorithm != SHA256_HASHING:
        return False
    try:
        raw = base64.b64decode(user.password_hash, validate=True)
    except (binascii.Error, ValueError):
        return False
    salt, digest = raw[:SALT_BYTES], raw[SALT_BYTES:]
    return hmac.compare_digest(hashlib.sha256(salt + password.encode()).digest(), digest)


def _user_changes(
    user: BrokerUser,
    password: str,
    existing: ExistingUser | None,
    permission: Permission | None,
) -> list[Change]:
    changes: list[Change] = []
    if existing is None:
        changes.append(Change(Action.CREATE, user.name, f"new {user.role} user"))
    else:
        differs = [
            what
            for what, same in (
                ("password", password_matches(existing, password)),
                ("tags", existing.tags == {MANAGED_TAG}),
            )
            if not same
        ]
        if differs:
            changes.append(Change(Action.UPDATE, user.name, " and ".join(differs) + " differ"))
    if existing is None or permission != user.permission:
        changes.append(Change(Action.PERMIT, user.name, _describe(user.permission)))
    return changes


def _describe(permission: Permission) -> str:
    return f"configure {permission.configure} write {permission.write} read {permission.read}"


def plan(
    wanted: Sequence[BrokerUser],
    passwords: Mapping[str, str],
    existing: Sequence[ExistingUser],
    permissions: Mapping[str, Permission],
    *,
    vhost: str,
    vhost_exists: bool = True,
    admin_user: str,
    keep_guest: bool,
) -> Plan:
    """The changes that make the broker hold exactly ``wanted`` (rules 1-4)."""
    if not keep_guest and admin_user == GUEST:
        raise ConfigurationError(
            "provisioning logs in as guest, so it cannot delete guest: create an administrator "
            "of your own and set HUB_RABBITMQ_ADMIN_URL to it, or keep guest (--keep-guest)"
        )
    by_name = {user.name: user for user in existing}
    changes: list[Change] = []
    if not vhost_exists:
        changes.append(Change(Action.CREATE_VHOST, vhost, "the AMQP URL names it"))
    for user in wanted:
        found, permitted = by_name.get(user.name), permissions.get(user.name)
        changes.extend(_user_changes(user, passwords[user.name], found, permitted))
    wanted_names = {user.name for user in wanted}
    for present in sorted(existing, key=lambda u: u.name):
        if present.name == admin_user or present.name in wanted_names:
            continue
        if MANAGED_TAG in present.tags:
            changes.append(Change(Action.DELETE, present.name, "no longer in the directory"))
        elif present.name == GUEST and not keep_guest:
            why = "the default account (--keep-guest keeps it)"
            changes.append(Change(Action.DELETE, present.name, why))
    return Plan(vhost=vhost, changes=tuple(changes))


async def apply(
    api: ManagementApi,
    planned: Plan,
    wanted: Sequence[BrokerUser],
    passwords: Mapping[str, str],
    *,
    declare: Callable[[], Awaitable[None]],
    forget: Callable[[str], None] = lambda _user: None,
) -> None:
    """Make the changes (rules 3, 5): vhost, topology, then users; ``forget`` each revoked
    user's credentials once the broker has deleted it."""
    users = {user.name: user for user in wanted}
    changes = list(planned.changes)
    if changes and changes[0].action is Action.CREATE_VHOST:
        await api.put_vhost(planned.vhost)
        await api.put_permission(planned.vhost, api.admin_user, FULL)
        changes.pop(0)
    await declare()
    for change in changes:
        if change.action in (Action.CREATE, Action.UPDATE):
            await api.put_user(
                change.name, password=passwords[change.name], tags=frozenset({MANAGED_TAG})
            )
        elif change.action is Action.PERMIT:
            await api.put_permission(planned.vhost, change.name, users[change.name].permission)
        elif change.action is Action.DELETE:
            await api.delete_user(change.name)
            forget(change.name)
