"""What every handler of the HTTP API shares: its dependencies, and who is calling.

Rules:

1. Every request but health, readiness and the OpenAPI document carries a bearer token; one
   the directory does not know is a 401, counted for the audit log (:mod:`._failed_auth`).
2. An auditor's credential may call the auditor endpoints and nothing else; every other
   credential may call everything but those. A refusal is a 403 and an ``access.refused``
   record naming the caller, the route (never the path's values) and why.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import structlog
from aiohttp import web
from pydantic import BaseModel, ValidationError

from hub._exceptions import Forbidden, InvalidInput, NotAuthenticated, UnsupportedMediaType
from hub.acknowledgements import Acknowledgements
from hub.agencies import Agency, AgencyDirectory
from hub.api._failed_auth import FailedAuthentications
from hub.audit import AuditAction, AuditEntry
from hub.inspection import Inspection
from hub.intake import Intake
from hub.ports import AuditLog, Clock, utc_now
from hub.replay import Replay
from hub.validation import field_problems
from protocols import Protocol

__all__ = [
    "CORRELATION_ID",
    "DEPENDENCIES",
    "ApiDependencies",
    "ReadinessCheck",
    "as_agency",
    "as_auditor",
    "authenticated",
    "json_body",
]

ReadinessCheck = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ApiDependencies:
    """What the HTTP layer needs, wired by :mod:`hub.bootstrap`."""

    intake: Intake
    agencies: AgencyDirectory
    readiness: dict[str, ReadinessCheck]
    max_body_bytes: int
    protocol: Protocol | None = None  # what /v1/admin/protocol/explain explains with
    failed_auth: FailedAuthentications | None = None  # audits refused credentials
    audit: AuditLog | None = None  # records admin calls and refused access
    inspection: Inspection | None = None  # answers auditors
    acknowledgements: Acknowledgements | None = None  # records agencies' acknowledgements
    replay: Replay | None = None  # sends an agency's copies again
    clock: Clock = utc_now


DEPENDENCIES = web.AppKey("dependencies", ApiDependencies)
CORRELATION_ID = web.RequestKey("correlation_id", str)


def _bearer_token(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


async def authenticated(request: web.Request) -> Agency:
    """The party whose bearer token this is, bound to the request's log context (rule 1)."""
    deps = request.app[DEPENDENCIES]
    token = _bearer_token(request)
    try:
        agency = deps.agencies.authenticate(token)
    except NotAuthenticated:
        if deps.failed_auth is not None:
            await deps.failed_auth.note(request.remote, token)
        raise
    structlog.contextvars.bind_contextvars(agency=agency.id)
    return agency


async def audit_call(
    request: web.Request, action: AuditAction, party: Agency, **detail: str
) -> None:
    """Commit a record that ``party`` called this route (or was refused it)."""
    deps = request.app[DEPENDENCIES]
    if deps.audit is None:
        return
    resource = request.match_info.route.resource
    await deps.audit.record(
        AuditEntry(
            action=action,
            recorded_at=deps.clock(),
            correlation_id=request[CORRELATION_ID],
            actor=party.id,
            detail={
                "method": request.method,
                "route": resource.canonical if resource is not None else "(unmatched)",
                **detail,
            },
        )
    )


async def _refused(request: web.Request, party: Agency, reason: str) -> Forbidden:
    await audit_call(request, AuditAction.ACCESS_REFUSED, party, reason=reason)
    return Forbidden(reason)


Body = TypeVar("Body", bound=BaseModel)


async def json_body(request: web.Request, model: type[Body]) -> Body:
    """The request's JSON body as ``model``: 415 unless ``application/json``, 422 naming each
    failing field (never its value)."""
    if request.content_type != "application/json":
        raise UnsupportedMediaType("send the body as application/json")
    try:
        return model.model_validate_json(await request.read() or b"{}")
    except ValidationError as exc:
        problems = field_problems(exc)
        raise InvalidInput(
            f"{len(problems)} field(s) failed validation",
            problems,
            correlation_id=request[CORRELATION_ID],
        ) from exc


async def as_agency(request: web.Request) -> Agency:
    """The calling agency; an auditor is refused (rule 2)."""
    party = await authenticated(request)
    if party.is_auditor:
        raise await _refused(request, party, "an auditor's credential may only query the audit log")
    return party


async def as_auditor(request: web.Request) -> Agency:
    """The calling auditor; anyone else is refused (rule 2)."""
    party = await authenticated(request)
    if not party.is_auditor:
        raise await _refused(request, party, "only an auditor's credential may query the audit log")
    return party
