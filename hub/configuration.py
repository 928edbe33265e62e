"""Configuration: the agency directory and the protocol, loaded and checked to agree, and the
audit records of loading, reloading or refusing them."""

from __future__ import annotations

from hub._exceptions import ConfigurationError
from hub.agencies import AgencyDirectory
from hub.api import ReloadingDirectory
from hub.audit import AuditAction, AuditEntry
from hub.ports import AuditLog, Clock
from hub.settings import Settings
from protocols import Protocol, ProtocolError, load_protocol

__all__ = [
    "check_directory",
    "directory_loaded",
    "directory_refused",
    "load_configuration",
    "protocol_loaded",
    "reloading_directory",
]


def load_configuration(settings: Settings) -> tuple[AgencyDirectory, Protocol]:
    """Load the agency directory and the protocol, and check that they agree."""
    agencies = AgencyDirectory.load(settings.agencies_path)
    try:
        protocol = load_protocol(settings.protocol_path)
    except ProtocolError as exc:
        raise ConfigurationError(str(exc)) from exc
    return check_directory(agencies, protocol, settings), protocol


def check_directory(
    agencies: AgencyDirectory, protocol: Protocol, settings: Settings
) -> AgencyDirectory:
    """``agencies`` if it agrees with the protocol and the settings; at start and at every
    reload (:class:`hub.api.ReloadingDirectory`)."""
    missing = sorted(set(protocol.party_ids) - set(agencies))
    if missing:
        raise ConfigurationError(
            f"protocol parties with no entry in the agency directory: {missing}"
        )
    auditors = sorted(party for party in protocol.party_ids if agencies[party].is_auditor)
    if auditors:
        raise ConfigurationError(f"auditors may not be parties of the protocol: {auditors}")
    # Adapters stamp records with the directory's LA; decisions use the protocol's. They agree.
    disagreeing = sorted(
        party.id for party in protocol.parties if agencies[party.id].la_code != party.la_code
    )
    if disagreeing:
        raise ConfigurationError(
            f"parties whose LA code differs between the protocol and the directory: {disagreeing}"
        )
    above = sorted(
        agency.id
        for agency in agencies.values()
        if (agency.limits.max_body_bytes or 0) > settings.max_body_bytes
    )
    if above:
        raise ConfigurationError(f"agencies whose body limit is above HUB_MAX_BODY_BYTES: {above}")
    return agencies


def reloading_directory(
    agencies: AgencyDirectory,
    protocol: Protocol,
    settings: Settings,
    audit: AuditLog | None,
    clock: Clock,
) -> ReloadingDirectory:
    """The API's directory, reloaded from ``HUB_AGENCIES_PATH`` under the start's checks."""
    return ReloadingDirectory(
        agencies,
        settings.agencies_path,
        load=lambda path: check_directory(AgencyDirectory.load(path), protocol, settings),
        loaded_entry=lambda fresh, cause: directory_loaded(fresh, clock, cause=cause),
        refused_entry=lambda in_use, cause, error: directory_refused(in_use, clock, cause, error),
        audit=audit,
    )


def protocol_loaded(protocol: Protocol, clock: Clock) -> AuditEntry:
    """The record that a process now shares by this protocol (the file's hash identifies it)."""
    return AuditEntry(
        action=AuditAction.PROTOCOL_LOADED,
        recorded_at=clock(),
        protocol_version=protocol.version_tag,
        detail={
            "protocol_id": protocol.id,
            "content_sha256": protocol.content_hash,
            "parties": len(protocol.parties),
            "rules": len(protocol.rules),
        },
    )


def directory_loaded(
    agencies: AgencyDirectory, clock: Clock, *, cause: str | None = None
) -> AuditEntry:
    """The record that a process now authenticates by this directory: how many agencies, their
    ids, the file's hash (which identifies it) and, for a reload, its cause. Never a token
    hash."""
    return AuditEntry(
        action=AuditAction.DIRECTORY_LOADED,
        recorded_at=clock(),
        detail={
            "agencies": len(agencies),
            "agency_ids": sorted(agencies),
            "content_sha256": agencies.content_sha256,
            **({"reloaded": cause} if cause is not None else {}),
        },
    )


def directory_refused(in_use: AgencyDirectory, clock: Clock, cause: str, error: str) -> AuditEntry:
    """The record that a reload was refused: its cause, the error's type, and the hash of the
    directory that stays in use (whose tokens, a revoked one included, still authenticate)."""
    return AuditEntry(
        action=AuditAction.DIRECTORY_REFUSED,
        recorded_at=clock(),
        detail={"reloaded": cause, "error": error, "in_use_sha256": in_use.content_sha256},
    )
