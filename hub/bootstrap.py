"""The one composition root: read settings, load configuration, wire real dependencies.

Unit tests wire fakes of the same ports (``tests/fakes.py``) into the same classes instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from hub._exceptions import ConfigurationError, ServiceError
from hub.acknowledgements import AcknowledgementConsumer, Acknowledgements
from hub.agencies import AgencyDirectory
from hub.api import ApiDependencies, FailedAuthentications, Rate, ReloadingDirectory, Throttle
from hub.audit import ByRule, Period
from hub.checkpoints import Checkpointer
from hub.configuration import (
    check_directory,
    directory_loaded,
    directory_refused,
    load_configuration,
    protocol_loaded,
    reloading_directory,
)
from hub.crypto import HUB_AGENCY, AuditMacKeys, KeyMaterial
from hub.db import create_engine_for, migrate
from hub.delivery import Broker
from hub.inbox import AgencyInbox
from hub.inspection import Inspection
from hub.intake import Intake
from hub.logs import get_logger
from hub.ports import AuditLog, Clock, utc_now
from hub.pseudonyms import Pseudonymiser, load_or_create_key
from hub.relays import InboxOnlyPublisher, IngressRelay, OutboxRelay, ReplayRelay
from hub.replay import Replay
from hub.routing import DeadLetterAuditor, Resolver, Router, RoutingConsumer, ShardConsumer
from hub.settings import Settings
from hub.stores import (
    SqlAcknowledgementStore,
    SqlAuditLog,
    SqlAuditReader,
    SqlInboxStore,
    SqlIntakeStore,
    SqlNonceStore,
    SqlReplayStore,
    SqlRoutingStore,
    SqlSubjectKeys,
    SqlSubjectLinks,
    vouching,
)
from protocols import Protocol

__all__ = [
    "Hub",
    "Role",
    "Waiting",
    "audit_macs",
    "bootstrap",
    "check_directory",
    "directory_loaded",
    "directory_refused",
    "load_configuration",
    "private_key_owners",
    "reloading_directory",
    "throttle",
    "writing_audit_log",
]

log = get_logger(__name__)

Role = Literal["all", "api", "router"]


def private_key_owners(agencies: AgencyDirectory, role: Role) -> tuple[str, ...]:
    """Whose private documents a process of ``role`` loads: the API the agencies it signs for,
    the router the hub's; never an agency that signs at its own edge, in any role."""
    signed_for = tuple(agency.id for agency in agencies.values() if not agency.signs_at_edge)
    hub = (HUB_AGENCY,) if role in ("all", "router") else ()
    return (*hub, *(signed_for if role in ("all", "api") else ()))


@dataclass(frozen=True, slots=True)
class Hub:
    """Everything a hub process runs, wired."""

    settings: Settings
    agencies: AgencyDirectory
    protocol: Protocol
    broker: Broker
    audit: SqlAuditLog
    intake: Intake
    router: Router
    resolver: Resolver
    shards: ShardConsumer
    dead_letters: DeadLetterAuditor
    checkpointer: Checkpointer
    inspection: Inspection
    ingress_relay: IngressRelay
    outbox_relay: OutboxRelay
    replay_relay: ReplayRelay
    acknowledgements: Acknowledgements
    acknowledgement_consumer: AcknowledgementConsumer
    replay: Replay
    inbox: AgencyInbox
    clock: Clock
    directory: ReloadingDirectory  # what the API authenticates by; reloaded (hub run: SIGHUP)
    keys: KeyMaterial  # the public keys, and the private rings this role holds

    def api_dependencies(self) -> ApiDependencies:
        return ApiDependencies(
            intake=self.intake,
            agencies=self.agencies,
            readiness={"broker": self.broker.ping, "database": self.audit.ping},
            max_body_bytes=self.settings.max_body_bytes,
            protocol=self.protocol,
            failed_auth=FailedAuthentications(self.audit, self.clock),
            audit=self.audit,
            inspection=self.inspection,
            acknowledgements=self.acknowledgements,
            replay=self.replay,
            clock=self.clock,
            directory=self.directory,
            throttle=throttle(self.settings, self.audit, self.clock),
            client_certificates=self.settings.tls_client_ca is not None,
        )

    async def close(self) -> None:
        await self.broker.close()
        await self.audit.close()


def audit_macs(settings: Settings, clock: Clock = utc_now) -> AuditMacKeys:
    """The audit writer's MAC keys, created on first use (``hub.crypto.AuditMacKeys``)."""
    return AuditMacKeys.load_or_create(settings.audit_mac_key_file, clock())


def writing_audit_log(settings: Settings, clock: Clock = utc_now) -> SqlAuditLog:
    """The audit log as a command that appends to it opens it: with the writer's MAC keys,
    so that every record it appends is vouched for."""
    return SqlAuditLog.from_url(settings.database_url, macs=audit_macs(settings, clock))


def throttle(settings: Settings, audit: AuditLog, clock: Clock) -> Throttle:
    """The API's request limits, from the settings' defaults."""
    return Throttle(
        audit,
        clock,
        per_agency=Rate(settings.rate_per_minute, settings.rate_burst),
        failures=Rate(settings.failed_auth_per_minute, settings.failed_auth_burst),
        max_body_bytes=settings.max_body_bytes,
    )


def _pseudonymiser(settings: Settings) -> Pseudonymiser:
    try:
        key, created = load_or_create_key(settings.pseudonym_key_path)
    except (OSError, ValueError) as exc:
        raise ConfigurationError("the pseudonym key cannot be read") from exc
    if created:
        log.warning("pseudonym_key.created", path=str(settings.pseudonym_key_path))
    return Pseudonymiser(key)


@dataclass
class Waiting:
    """How a process that starts before its services waits for them: the state of each (what
    its ``/readyz`` says meanwhile), and the pause between tries, doubling to ``max_pause``."""

    states: dict[str, str] = field(
        default_factory=lambda: {"database": "waiting", "broker": "waiting"}
    )
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    max_pause: float = 10.0


async def _until_up(
    service: str, start: Callable[[], Awaitable[None]], waiting: Waiting | None
) -> None:
    """Run ``start`` until it succeeds; without ``waiting``, once. A configuration error (ours to
    fix, not an outage) is raised at once either way."""
    attempt = 0
    while True:
        try:
            await start()
        except ServiceError as exc:
            if waiting is None or isinstance(exc, ConfigurationError):
                raise
            attempt += 1
            waiting.states[service] = "unavailable"
            log.warning("hub.waiting", service=service, error=type(exc).__name__, attempt=attempt)
            await waiting.sleep(min(waiting.max_pause, 0.25 * 2.0**attempt))
            continue
        if waiting is not None:
            waiting.states[service] = "ok"
        log.info("hub.service_up", service=service)
        return


async def bootstrap(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    wait: Waiting | None = None,
    configuration: tuple[AgencyDirectory, Protocol] | None = None,
    role: Role = "all",
) -> Hub:
    """Connect to the database and the broker, migrate, declare the topology, and wire.

    With ``wait``, a database or broker that is down is waited for instead of failing; with
    ``configuration``, the directory and protocol already loaded are used; ``role`` says which
    private keys are loaded (:func:`private_key_owners`), and an intake (``"api"``) only checks
    ingress passively, so that a broker user without configure rights can start it.
    """
    agencies, protocol = configuration or load_configuration(settings)
    macs = audit_macs(settings, clock)
    # One engine for every store, so a decision and its audit rows commit in one transaction;
    # every audit record appended on it carries the writer's MAC.
    engine = vouching(create_engine_for(settings.database_url), macs)
    audit = SqlAuditLog(engine)
    broker = Broker(settings.amqp_url, publish_timeout=settings.publish_timeout_seconds)

    async def start_database() -> None:
        await migrate(engine)
        await audit.record(protocol_loaded(protocol, clock), directory_loaded(agencies, clock))

    async def start_broker() -> None:
        await broker.connect()
        if role == "api":
            await broker.check_ingress()
        else:
            await broker.declare_topology(agencies)

    try:
        await _until_up("database", start_database, wait)
        pseudonyms = _pseudonymiser(settings)
        # Only the private documents present on this machine are loaded: a router's machine
        # holds the hub's, an agency edge's holds that agency's (the demo holds them all).
        keys = KeyMaterial(settings.keys_dir, private_key_owners(agencies, role))
        await _until_up("broker", start_broker, wait)
    except BaseException:
        await audit.close()
        await broker.close()
        raise
    subject_keys = SqlSubjectKeys(engine)
    state = SqlRoutingStore(engine)
    intake_store = SqlIntakeStore(engine)
    # Copies for an agency that reads only its HTTP inbox are not published to its queue.
    deliveries = InboxOnlyPublisher(
        broker, [agency.id for agency in agencies.values() if agency.delivery == "http"]
    )
    router = Router(
        protocol,
        publisher=deliveries,
        audit=audit,
        state=state,
        subject_keys=subject_keys,
        pseudonyms=pseudonyms,
        keys=keys,
        clock=clock,
        concurrency=settings.router_concurrency,
    )
    links = SqlSubjectLinks(engine)
    retention = ByRule({rule: Period.parse(kept) for rule, kept in protocol.retentions.items()})
    acknowledgements = Acknowledgements(SqlAcknowledgementStore(engine), audit, clock, keys=keys)
    replays = SqlReplayStore(engine)
    return Hub(
        settings=settings,
        agencies=agencies,
        protocol=protocol,
        broker=broker,
        audit=audit,
        intake=Intake(
            broker,
            audit,
            clock,
            store=intake_store,
            pseudonyms=pseudonyms,
            keys=keys,
            max_body_bytes=settings.max_body_bytes,
            nonces=SqlNonceStore(engine),
            signature_window=timedelta(seconds=settings.request_signature_window_seconds),
            subjects=router.subjects,
        ),
        router=router,
        keys=keys,
        resolver=Resolver(
            links=links,
            publisher=broker,
            subjects_of_envelope=router.subjects_of_envelope,
            clock=clock,
        ),
        shards=ShardConsumer(
            RoutingConsumer(router, audit=audit, clock=clock).on_message, links=links, clock=clock
        ),
        dead_letters=DeadLetterAuditor(audit, clock),
        clock=clock,
        inspection=Inspection(SqlAuditReader(engine), audit, subject_keys, pseudonyms, clock),
        checkpointer=Checkpointer(
            audit,
            keys,
            clock,
            macs,
            every_records=settings.audit_checkpoint_every_records,
            every_seconds=settings.audit_checkpoint_every_seconds,
        ),
        ingress_relay=IngressRelay(intake_store, broker, clock),
        outbox_relay=OutboxRelay(state, deliveries, clock),
        replay_relay=ReplayRelay(replays, deliveries, clock),
        acknowledgements=acknowledgements,
        acknowledgement_consumer=AcknowledgementConsumer(
            acknowledgements, audit=audit, clock=clock
        ),
        replay=Replay(state, replays, clock, audit=audit, retention=retention),
        directory=reloading_directory(agencies, protocol, settings, audit, clock),
        inbox=AgencyInbox(SqlInboxStore(engine), audit, clock, keys=keys),
    )
