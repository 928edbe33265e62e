"""The hub's HTTP API (aiohttp): intake, health, readiness, the OpenAPI document, and the
protocol administrators' explain endpoint.

Middleware binds a correlation id per request (``X-Correlation-ID`` if the caller sent a
UUID, else a new one), logs one line per request without its query string, and
turns every :class:`HubError` into RFC 9457 problem+json; so is every aiohttp ``HTTPException``
of 400 or more (the router's 404 and 405, a 413 from reading the body), with a fixed detail that
never repeats the path or the exception's own text. Anything unexpected becomes a bare 500
problem: the detail goes to the log by type, never to the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from http import HTTPStatus

import structlog
from aiohttp import web
from pydantic import ValidationError

from hub._exceptions import (
    ConfigurationError,
    Forbidden,
    HubError,
    InvalidNotification,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    PeerError,
    ServiceError,
    UnsupportedMediaType,
)
from hub.agencies import PROTOCOL_ADMIN, Agency
from hub.api._acknowledgements import add_acknowledgement_routes
from hub.api._auditor import add_auditor_routes
from hub.api._context import (
    CORRELATION_ID,
    CREDENTIAL,
    DEPENDENCIES,
    ApiDependencies,
    as_agency,
    audit_call,
    body_limit,
)
from hub.api._inbox import add_inbox_routes
from hub.api._openapi import openapi_document
from hub.api._problems import problem_response
from hub.api._replay import add_replay_routes
from hub.api._tallies import MinuteTally
from hub.audit import AuditAction
from hub.inbox import AgencyInbox
from hub.intake import ACCEPTED_CONTENT_TYPES, HttpRequest
from hub.logs import get_logger
from hub.sharing import simulate
from hub.validation import notification_problems
from schemas import AREA_CODE_PATTERN, parse_notification

__all__ = ["ApiDependencies", "create_app"]

log = get_logger(__name__)

CORRELATION_HEADER = "X-Correlation-ID"
# A UUID only: the id goes into logs, audit records and AMQP properties outside the seal, so a
# free-form one could carry a case number or an NHS number there.
_CORRELATION_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_PLACED_IN = re.compile(AREA_CODE_PATTERN)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _http_error(exc: web.HTTPException, max_body_bytes: int) -> HubError:
    """The :class:`HubError` for an aiohttp error; its text (it may hold the path) is dropped."""
    if isinstance(exc, web.HTTPNotFound):
        return NotFound("there is nothing at this path; see /openapi.json")
    if isinstance(exc, web.HTTPMethodNotAllowed):
        return MethodNotAllowed(
            "the path does not take this method; Allow lists those it does",
            tuple(sorted(exc.allowed_methods)),
        )
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        return PayloadTooLarge(f"the body is over {max_body_bytes} bytes")
    try:
        phrase = HTTPStatus(exc.status).phrase
    except ValueError:
        phrase = "HTTP error"
    error = PeerError(phrase) if exc.status < 500 else HubError(phrase)
    error.status_hint = exc.status  # no class for it in the tree: keep aiohttp's status
    error.title = phrase
    return error


@web.middleware
async def _correlate(request: web.Request, handler: Handler) -> web.StreamResponse:
    offered = request.headers.get(CORRELATION_HEADER, "").lower()
    correlation_id = offered if _CORRELATION_ID.match(offered) else str(uuid.uuid4())
    request[CORRELATION_ID] = correlation_id
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
    started = time.perf_counter()
    try:
        response = await handler(request)
    except HubError as error:
        response = problem_response(error, correlation_id)
        if isinstance(error, ServiceError):
            log.warning("request.service_error", error=type(error).__name__)
    except web.HTTPException as exc:
        if exc.status < 400:  # a redirect: aiohttp sends it as raised
            exc.headers[CORRELATION_HEADER] = correlation_id
            _log_handled(request, exc.status, started)
            raise
        mapped = _http_error(exc, request.app[DEPENDENCIES].max_body_bytes)
        response = problem_response(mapped, correlation_id)
    except Exception:
        log.exception("request.unexpected_error")
        response = problem_response(HubError("unexpected error"), correlation_id)
    response.headers[CORRELATION_HEADER] = correlation_id
    _log_handled(request, response.status, started)
    return response


def _log_handled(request: web.Request, status: int, started: float) -> None:
    route = request.match_info.route.resource
    log.info(
        "request.handled",
        method=request.method,
        route=route.canonical if route is not None else "(unmatched)",
        status=status,
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
    )


async def post_notification(request: web.Request) -> web.Response:
    """Accept a canonical notification from an authenticated agency."""
    deps = request.app[DEPENDENCIES]
    correlation_id = request[CORRELATION_ID]
    agency = await as_agency(request, "post")
    body = await _read_body(request, agency)
    accepted = await deps.intake.accept_post(
        agency,
        _as_read(request, body),
        correlation_id,
        content_type=request.content_type,
        types=request[CREDENTIAL].post_types,
    )
    return web.json_response(
        {"id": accepted, "status": "accepted", "correlation_id": correlation_id},
        status=202,
    )


async def post_records(request: web.Request) -> web.Response:
    """Accept an agency's native records; its adapter maps them to canonical notifications."""
    deps = request.app[DEPENDENCIES]
    correlation_id = request[CORRELATION_ID]
    agency = await as_agency(request, "post")
    body = await _read_body(request, agency)
    await deps.intake.admit(agency, _as_read(request, body), correlation_id, envelope=False)
    notifications = await deps.intake.accept_records(
        agency,
        body,
        correlation_id,
        content_type=request.content_type,
        record_type=request.query.get("record_type"),
        types=request[CREDENTIAL].post_types,
    )
    return web.json_response(
        {
            "status": "accepted",
            "correlation_id": correlation_id,
            "notifications": [{"id": n.id, "type": n.type} for n in notifications],
        },
        status=202,
    )


def _as_read(request: web.Request, body: bytes) -> HttpRequest:
    """What a request signature covers, as this request came."""
    return HttpRequest(request.method, str(request.url), tuple(request.headers.items()), body)


async def _read_body(request: web.Request, agency: Agency) -> bytes:
    limit = body_limit(request, agency)
    declared = request.content_length or 0
    try:
        body = await request.read() if declared <= limit else None
    except web.HTTPRequestEntityTooLarge as exc:
        raise await _too_large(request, agency, limit) from exc
    if body is None or len(body) > limit:
        raise await _too_large(request, agency, limit)
    return body


async def _too_large(request: web.Request, agency: Agency, limit: int) -> PayloadTooLarge:
    too_large = PayloadTooLarge(f"the body is over {limit} bytes")
    await request.app[DEPENDENCIES].intake.refuse(agency, too_large, request[CORRELATION_ID])
    return too_large


async def explain_notification(request: web.Request) -> web.Response:
    """What the protocol would decide for a notification; for protocol administrators only.

    Nothing is published, routed or stored: the body is only decided on. The answer names
    paths, never values. The deadlines are counted from the notification's own time.
    """
    deps = request.app[DEPENDENCIES]
    correlation_id = request[CORRELATION_ID]
    agency = await as_agency(request, "explain")
    if PROTOCOL_ADMIN not in agency.roles:
        reason = f"only an agency with the {PROTOCOL_ADMIN} role may explain decisions"
        await audit_call(request, AuditAction.ACCESS_REFUSED, agency, reason=reason)
        raise Forbidden(reason)
    await audit_call(request, AuditAction.ADMIN_CALLED, agency)
    if deps.protocol is None:
        raise ConfigurationError("no protocol is configured for the explain endpoint")
    if request.content_type not in ACCEPTED_CONTENT_TYPES:
        raise UnsupportedMediaType("send application/json or application/cloudevents+json")
    placed_in = request.query.get("placed_in")
    if placed_in is not None and not _PLACED_IN.match(placed_in):
        raise PeerError(
            "placed_in must be an LA code (DfE, or GSS outside England), or SCO, WAL, NIR or NUK"
        )
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise PayloadTooLarge(f"the body is over {deps.max_body_bytes} bytes") from exc
    try:
        notification = parse_notification(body)
    except ValidationError as exc:
        problems = notification_problems(exc, body)
        raise InvalidNotification(
            f"{len(problems)} field(s) failed validation", problems, correlation_id=correlation_id
        ) from exc
    return web.json_response(simulate(notification, deps.protocol, placed_in=placed_in))


async def healthz(_request: web.Request) -> web.Response:
    """The process is alive."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """The broker and the database answer; 503 otherwise."""
    checks: dict[str, str] = {}
    for name, check in request.app[DEPENDENCIES].readiness.items():
        try:
            await check()
        except ServiceError:
            checks[name] = "unavailable"
        else:
            checks[name] = "ok"
    ready = all(state == "ok" for state in checks.values())
    return web.json_response(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )


async def openapi(_request: web.Request) -> web.Response:
    """The OpenAPI 3.1 document, generated from the pydantic models."""
    return web.json_response(openapi_document())


def create_app(deps: ApiDependencies, *, inbox: AgencyInbox | None = None) -> web.Application:
    """The aiohttp application; the caller owns start-up and shutdown of ``deps``."""
    app = web.Application(middlewares=[_correlate], client_max_size=deps.max_body_bytes)
    app[DEPENDENCIES] = deps
    tallies = [deps.failed_auth, deps.throttle.refused if deps.throttle else None]
    if any(tallies):
        app.cleanup_ctx.append(_flushing(*(tally for tally in tallies if tally is not None)))
    app.router.add_post("/v1/notifications", post_notification)
    app.router.add_post("/v1/records", post_records)
    app.router.add_post("/v1/admin/protocol/explain", explain_notification)
    add_auditor_routes(app)
    add_acknowledgement_routes(app)
    add_replay_routes(app)
    add_inbox_routes(app, inbox)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/openapi.json", openapi)
    return app


def _flushing(*tallies: MinuteTally) -> Callable[[web.Application], AsyncIterator[None]]:
    """While the app runs, audit each minute's refusals once it is over (:mod:`._tallies`)."""

    async def flushing(_app: web.Application) -> AsyncIterator[None]:
        async def every_minute() -> None:
            while True:
                await asyncio.sleep(60 - time.time() % 60 + 1)
                for tally in tallies:
                    await tally.flush_due()

        task = asyncio.create_task(every_minute())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        for tally in tallies:
            await tally.flush()

    return flushing
