"""What every handler of the HTTP API shares: its dependencies, and who is calling.

Rules:

1. Every request but health, readiness and the OpenAPI document carries a bearer token. One
   the directory does not know, or knows as expired or revoked, is the same 401, counted for
   the audit log (:mod:`._failed_auth`). The directory is the reloaded one when the app has a
   :class:`~._reloading.ReloadingDirectory`; expiry is judged by the injected clock.
2. With mutual TLS (``client_certificates``), the token must also belong to the agency the
   connection's client certificate is listed for; otherwise the same 401, counted alike.
3. Request limits (:mod:`._throttling`): an address whose failed authentications are over its
   rate is a 429 before its token is looked at; an authenticated agency over its rate is a 429.
4. Each route names the scope its token must hold (``post``, ``inbox``, ``explain`` or
   ``audit``). An auditor's credential may call the auditor endpoints and nothing else; every
   other credential may call everything but those. A refusal is a 403 and an
   ``access.refused`` record naming the caller, the token's id, the route (never the path's
   values) and why (for a missing scope, which).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import structlog
from aiohttp import web
from pydantic import BaseModel, ValidationError

from hub._exceptions import (
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    TooManyRequests,
    UnsupportedMediaType,
)
from hub.acknowledgements import Acknowledgements
from hub.agencies import Agency, AgencyDirectory, Credential, Scope
from hub.api._failed_auth import FailedAuthentications
from hub.api._reloading import ReloadingDirectory
from hub.api._throttling import Throttle
from hub.api._tls import peer_certificate_fingerprint
from hub.audit import AuditAction, AuditEntry
from hub.inspection import Inspection
from hub.intake import Intake
from hub.ports import AuditLog, Clock, utc_now
from hub.replay import Replay
from hub.validation import field_problems
from protocols import Protocol

__all__ = [
    "CORRELATION_ID",
    "CREDENTIAL",
    "DEPENDENCIES",
    "ApiDependencies",
    "ReadinessCheck",
    "as_agency",
    "as_auditor",
    "authenticated",
    "body_limit",
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
    directory: ReloadingDirectory | None = None  # if set, authenticates instead of ``agencies``
    throttle: Throttle | None = None  # request rates and per-agency body limits
    client_certificates: bool = False  # mutual TLS: a token must match its certificate's agency


DEPENDENCIES = web.AppKey("dependencies", ApiDependencies)
CORRELATION_ID = web.RequestKey("correlation_id", str)
#: The accepted credential, once the request is authenticated (its token's limits).
CREDENTIAL = web.RequestKey("credential", Credential)


def _bearer_token(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


async def authenticated(request: web.Request) -> Credential:
    """The credential of the request's bearer token, bound to the log context (rules 1-3)."""
    deps = request.app[DEPENDENCIES]
    token = _bearer_token(request)
    directory = deps.agencies if deps.directory is None else await deps.directory.current()
    try:
        credential = directory.authenticate(token, now=deps.clock())
        if deps.client_certificates:
            _check_certificate(request, directory, credential)
    except NotAuthenticated:
        await _note_failure(deps, request.remote, token)
        if deps.throttle is not None:
            # Only failures spend from, and are stopped by, the address's bucket: a valid
            # token behind the same proxy or NAT is never locked out by someone else's.
            wait = deps.throttle.address_wait(request.remote)
            if wait:
                raise TooManyRequests(
                    "too many failed authentications from this address", wait
                ) from None
            deps.throttle.failed(request.remote)
        raise
    structlog.contextvars.bind_contextvars(agency=credential.agency.id)
    if deps.throttle is not None:
        await deps.throttle.admit(credential.agency)
    request[CREDENTIAL] = credential
    return credential


async def _note_failure(deps: ApiDependencies, remote: str | None, token: str | None) -> None:
    if deps.failed_auth is not None:
        await deps.failed_auth.note(remote, token)


def _check_certificate(
    request: web.Request, directory: AgencyDirectory, credential: Credential
) -> None:
    """Rule 2; the 401 says no more than an unknown token's would."""
    fingerprint = peer_certificate_fingerprint(request)
    holder = directory.by_certificate(fingerprint) if fingerprint is not None else None
    if holder is None or holder.id != credential.agency.id:
        raise NotAuthenticated("the bearer token is not recognised")


def body_limit(request: web.Request, agency: Agency) -> int:
    """The most bytes ``agency`` may send in one body (its own limit, if it has one)."""
    deps = request.app[DEPENDENCIES]
    return deps.max_body_bytes if deps.throttle is None else deps.throttle.body_limit(agency)


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


async def _refused(request: web.Request, credential: Credential, reason: str) -> Forbidden:
    await audit_call(
        request,
        AuditAction.ACCESS_REFUSED,
        credential.agency,
        reason=reason,
        token_id=credential.token.id,
    )
    return Forbidden(reason)


_HELD_BY: dict[str, str] = {"explain": " (only a protocol_admin's tokens hold it)"}


async def _scoped(request: web.Request, credential: Credential, scope: Scope) -> Agency:
    if not credential.allows(scope):
        hint = _HELD_BY.get(scope, "")
        raise await _refused(request, credential, f"the token lacks the {scope} scope{hint}")
    return credential.agency


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


async def as_agency(request: web.Request, scope: Scope) -> Agency:
    """The calling agency, if its token holds ``scope``; an auditor is refused (rule 4)."""
    credential = await authenticated(request)
    if credential.agency.is_auditor:
        raise await _refused(
            request, credential, "an auditor's credential may only query the audit log"
        )
    return await _scoped(request, credential, scope)


async def as_auditor(request: web.Request) -> Agency:
    """The calling auditor, if its token holds ``audit``; anyone else is refused (rule 4)."""
    credential = await authenticated(request)
    if not credential.agency.is_auditor:
        raise await _refused(
            request, credential, "only an auditor's credential may query the audit log"
        )
    return await _scoped(request, credential, "audit")
