"""Settings, read from the environment with the ``HUB_`` prefix (pydantic-settings).

Every path defaults to the demo layout that ``make run`` creates under ``var/``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]

PROTOCOLS_DIR = Path(__file__).resolve().parent.parent / "protocols"


class Settings(BaseSettings):
    """Hub configuration. Example: ``HUB_AMQP_URL=amqp://user:pw@127.0.0.1:5672/``."""

    model_config = SettingsConfigDict(env_prefix="HUB_", extra="forbid", frozen=True)

    # One node, or a cluster's nodes comma-separated: the connection fails over between them.
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    # The management API ``hub provision`` administers the broker's users through.
    rabbitmq_admin_url: str = "http://guest:guest@127.0.0.1:15672"
    database_url: str = "sqlite+aiosqlite:///var/hub.db"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    agencies_path: Path = Path("var/demo/agencies.yaml")
    protocol_path: Path = PROTOCOLS_DIR / "northumberland.yaml"
    keys_dir: Path = Path("var/demo/keys")
    pseudonym_key_path: Path = Path("var/demo/keys/pseudonym.key")
    # The audit writer's MAC keys (hub.crypto.AuditMacKeys); None: <keys_dir>/private/.
    audit_mac_key_path: Path | None = None
    max_body_bytes: int = Field(default=256 * 1024, gt=0)
    # Per agency, unless its directory entry's ``limits`` says otherwise.
    rate_per_minute: int = Field(default=6000, gt=0)
    rate_burst: int = Field(default=600, gt=0)
    # Per remote address, spent only by failed authentications.
    failed_auth_per_minute: int = Field(default=60, gt=0)
    failed_auth_burst: int = Field(default=30, gt=0)
    # Server TLS for the API; with a client CA, mutual TLS. None of them: plain HTTP.
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_client_ca: Path | None = None
    # How far a signed request's ``created`` may be from our clock; its nonce is kept as long.
    request_signature_window_seconds: int = Field(default=300, gt=0)
    publish_timeout_seconds: float = Field(default=5.0, gt=0)
    # Routes one router process runs at once, each on a shard of its own (hub.routing._shards).
    router_concurrency: int = Field(default=16, gt=0)
    # Which ingress shards this router reads first: i of n routers started together.
    router_slot: str = "0/1"
    log_level: str = "INFO"
    audit_checkpoint_every_records: int = Field(default=1000, gt=0)
    audit_checkpoint_every_seconds: float = Field(default=300.0, gt=0)

    @property
    def audit_mac_key_file(self) -> Path:
        """Where the audit writer's MAC keys are kept: never in the database."""
        if self.audit_mac_key_path is not None:
            return self.audit_mac_key_path
        return self.keys_dir / "private" / "hub.audit-mac.json"
