"""Broker credentials on disk: one file per RabbitMQ user, holding the AMQP URL it connects with.

``hub provision`` writes them (``var/demo/amqp/<user>.url`` in the demo); ``hub run`` and
``hub tail`` read them. Rules:

1. A file holds one line, the whole URL (``amqp://user:password@host:port/vhost``, or a
   cluster's URLs comma-separated, the same user in each); it is
   created with mode 0600 in a directory of mode 0700, and replaced atomically (write a
   temporary file, rename), so a reader never sees half a password.
2. Passwords are made with :func:`secrets.token_urlsafe` (256 bits) and never printed or
   logged; what is printed is the file's path.
3. A password already on disk is reused unless a rotation asks for a new one, so re-running
   provisioning changes nothing on the broker.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from hub.delivery._failover import broker_urls

__all__ = ["BrokerCredentials", "url_with_credentials", "vhost_of"]

PASSWORD_BYTES = 32


def url_with_credentials(amqp_url: str, user: str, password: str) -> str:
    """``amqp_url`` (its scheme, host, port, vhost and query kept) logging in as ``user``; each
    of a cluster's comma-separated URLs so."""
    return ",".join(_one_with_credentials(url, user, password) for url in broker_urls(amqp_url))


def _one_with_credentials(amqp_url: str, user: str, password: str) -> str:
    parts = urlsplit(amqp_url)
    host = parts.hostname or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    location = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    if parts.port is not None:
        location += f":{parts.port}"
    return urlunsplit((parts.scheme, location, parts.path, parts.query, parts.fragment))


def vhost_of(amqp_url: str) -> str:
    """The vhost an AMQP URL names, as aio-pika reads it (none or ``/`` is ``/``); a cluster's
    URLs all name the same one, so the first is read."""
    path = urlsplit(broker_urls(amqp_url)[0]).path
    return "/" if path in ("", "/") else unquote(path[1:])


class BrokerCredentials:
    """The credentials directory: each user's URL file (rules 1-3)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, user: str) -> Path:
        return self.directory / f"{user}.url"

    def url(self, user: str) -> str | None:
        """The URL ``user`` connects with, or None if no file holds one."""
        try:
            text = self.path(user).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return text or None

    def password(self, user: str) -> str | None:
        """The password on file for ``user``, or None."""
        url = self.url(user)
        password = None if url is None else urlsplit(broker_urls(url)[0]).password
        return None if password is None else unquote(password)

    @staticmethod
    def new_password() -> str:
        return secrets.token_urlsafe(PASSWORD_BYTES)

    def write(self, user: str, url: str) -> Path:
        """Replace ``user``'s file with ``url`` (rule 1); its path."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.path(user)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(url + "\n")
        temporary.replace(path)
        return path

    def remove(self, user: str) -> None:
        """Forget ``user``'s file (a revoked user); none is no error."""
        self.path(user).unlink(missing_ok=True)
