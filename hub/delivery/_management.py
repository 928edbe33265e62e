"""A small client of RabbitMQ's management HTTP API: users, their permissions and vhosts.

Only what provisioning needs (:mod:`._provisioning`), as an administrator
(``HUB_RABBITMQ_ADMIN_URL``, e.g. ``http://guest:guest@127.0.0.1:15672``).

Rules:

1. The administrator's user and password come from the URL's userinfo and travel only as HTTP
   basic authentication; neither is ever put in an error, a log line or a ``repr``.
2. aiohttp's errors and timeouts become :class:`~hub.BrokerUnavailable`; a refused login (401)
   or forbidden call (403) is a :class:`~hub.ConfigurationError` (retrying cannot help); any
   other unexpected status is a :class:`~hub.BrokerUnavailable` naming the method, the path and
   the status, never a password or a body sent.
3. Tags are read whether the broker gives a list (3.10 and later) or a comma-separated string,
   and written as a comma-separated string, which every version reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from hub._exceptions import BrokerUnavailable, ConfigurationError
from hub.delivery._permissions import Permission

__all__ = ["ExistingUser", "ManagementApi"]

TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True, slots=True)
class ExistingUser:
    """A user as the broker lists it: name, tags, and its password hash (never a password)."""

    name: str
    tags: frozenset[str]
    password_hash: str
    hashing_algorithm: str


def _tags(value: object) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset(tag.strip() for tag in value.split(",") if tag.strip())
    if isinstance(value, list):
        return frozenset(tag for tag in value if isinstance(tag, str) and tag)
    return frozenset()


class ManagementApi:
    """The management API of one broker, used inside ``async with``."""

    def __init__(self, admin_url: str) -> None:
        url = URL(admin_url)
        if url.user is None or url.password is None:
            raise ConfigurationError(
                "the RabbitMQ admin URL (HUB_RABBITMQ_ADMIN_URL) names no user and password"
            )
        self.admin_user: str = url.user
        self._authorization = aiohttp.encode_basic_auth(url.user, url.password)
        self._base = url.with_user(None).with_password(None).with_path("/api")
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"ManagementApi({str(self._base)!r}, user={self.admin_user!r})"

    async def __aenter__(self) -> ManagementApi:
        self._session = aiohttp.ClientSession(
            headers={"Authorization": self._authorization},
            timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def _call(
        self, method: str, *segments: str, body: object = None, absent_ok: bool = False
    ) -> Any:
        """The JSON answer of a GET (None for others); None for a 404 when ``absent_ok``."""
        if self._session is None:
            raise RuntimeError("use the ManagementApi inside 'async with'")
        path = "/".join(quote(segment, safe="") for segment in segments)
        url = URL(f"{self._base}/{path}", encoded=True)
        where = f"{method} /api/{'/'.join(segments)}"
        try:
            async with self._session.request(method, url, json=body) as response:
                if response.status in (401, 403):
                    raise ConfigurationError(
                        f"RabbitMQ's management API refused {where} ({response.status}): the "
                        "admin URL's user must be an administrator (HUB_RABBITMQ_ADMIN_URL)"
                    )
                if response.status == 404 and absent_ok:
                    return None
                if response.status >= 300:
                    raise BrokerUnavailable(
                        f"RabbitMQ's management API answered {where} with {response.status}"
                    )
                if response.status == 204 or method != "GET":
                    return None
                return await response.json()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise BrokerUnavailable(
                f"RabbitMQ's management API did not answer {where}; is the management "
                "plugin enabled and HUB_RABBITMQ_ADMIN_URL right?"
            ) from exc

    async def amqp_ports(self) -> set[int]:
        """The ports this broker's AMQP and AMQPS listeners are on (to check that an AMQP URL
        and this API are one broker)."""
        overview = await self._call("GET", "overview") or {}
        listeners = overview.get("listeners", []) if isinstance(overview, dict) else []
        return {
            int(listener["port"])
            for listener in listeners
            if isinstance(listener, dict)
            and str(listener.get("protocol", "")).startswith("amqp")
            and isinstance(listener.get("port"), int)
        }

    async def users(self) -> list[ExistingUser]:
        """Every user on the broker (rule 3)."""
        listed = await self._call("GET", "users") or []
        return [
            ExistingUser(
                name=str(entry.get("name", "")),
                tags=_tags(entry.get("tags")),
                password_hash=str(entry.get("password_hash", "")),
                hashing_algorithm=str(entry.get("hashing_algorithm", "")),
            )
            for entry in listed
            if isinstance(entry, dict)
        ]

    async def put_user(self, name: str, *, password: str, tags: frozenset[str]) -> None:
        """Create the user or set its password and tags (rule 3)."""
        await self._call(
            "PUT", "users", name, body={"password": password, "tags": ",".join(sorted(tags))}
        )

    async def delete_user(self, name: str) -> None:
        """Delete the user, its permissions with it; a user already gone is no error."""
        await self._call("DELETE", "users", name, absent_ok=True)

    async def permissions(self, vhost: str) -> dict[str, Permission]:
        """Each user's permission in ``vhost``, by user name."""
        listed = await self._call("GET", "vhosts", vhost, "permissions") or []
        return {
            str(entry["user"]): Permission(
                configure=str(entry.get("configure", "")),
                write=str(entry.get("write", "")),
                read=str(entry.get("read", "")),
            )
            for entry in listed
            if isinstance(entry, dict) and "user" in entry
        }

    async def put_permission(self, vhost: str, user: str, permission: Permission) -> None:
        """Set ``user``'s permission in ``vhost``."""
        await self._call(
            "PUT",
            "permissions",
            vhost,
            user,
            body={
                "configure": permission.configure,
                "write": permission.write,
                "read": permission.read,
            },
        )

    async def vhost_exists(self, vhost: str) -> bool:
        return await self._call("GET", "vhosts", vhost, absent_ok=True) is not None

    async def put_vhost(self, vhost: str) -> None:
        """Create ``vhost`` (idempotent)."""
        await self._call("PUT", "vhosts", vhost)

    async def delete_vhost(self, vhost: str) -> None:
        """Delete ``vhost`` and everything in it; one already gone is no error."""
        await self._call("DELETE", "vhosts", vhost, absent_ok=True)
