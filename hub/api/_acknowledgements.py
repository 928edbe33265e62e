"""``POST /v1/deliveries/{delivery_id}/acknowledgements``: an agency acknowledges a delivery.

The body names the action (``received``, ``actioned`` or ``declined``), who at the agency took it
(``by``: the agency's own user or system reference) and, optionally, a reference to the agency's
own note (``note_ref``). Only the delivery's recipient may acknowledge it; for any other caller,
and for an id that is no delivery, the answer is the same 404. A bad body is a 422 naming the
field, never its value. See :mod:`hub.acknowledgements` for what is recorded and stopped.
"""

from __future__ import annotations

import json

from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from hub._exceptions import ConfigurationError, InvalidInput, UnsupportedMediaType
from hub.api._context import CORRELATION_ID, DEPENDENCIES, as_agency
from hub.messages import AckAction, Acknowledgement, Reference
from hub.validation import field_problems

__all__ = [
    "Acknowledged",
    "AcknowledgementBody",
    "acknowledge_delivery",
    "add_acknowledgement_routes",
]

_MEDIA = frozenset({"application/json"})


class AcknowledgementBody(BaseModel):
    """What the agency says it did with the delivery, and who at the agency did it."""

    model_config = ConfigDict(extra="forbid")

    action: AckAction
    by: Reference
    note_ref: Reference | None = None


class Acknowledged(BaseModel):
    """The acknowledgement is recorded (or was already, alike)."""

    model_config = ConfigDict(extra="forbid")

    delivery_id: str
    action: AckAction
    status: str
    escalations_stopped: int
    correlation_id: str


async def acknowledge_delivery(request: web.Request) -> web.Response:
    """Record the calling agency's acknowledgement of one of its deliveries."""
    agency = await as_agency(request)
    deps = request.app[DEPENDENCIES]
    correlation_id = request[CORRELATION_ID]
    if deps.acknowledgements is None:
        raise ConfigurationError("acknowledgements are not configured")
    if request.content_type not in _MEDIA:
        raise UnsupportedMediaType("send the acknowledgement as application/json")
    ack = _parse(request.match_info["delivery_id"], await request.read(), correlation_id)
    delivery = await deps.acknowledgements.acknowledge(
        agency.id, ack, channel="http", correlation_id=correlation_id
    )
    answer = Acknowledged(
        delivery_id=delivery.delivery_id,
        action=ack.action,
        status="acknowledged",
        escalations_stopped=delivery.stopped,
        correlation_id=correlation_id,
    )
    return web.json_response(answer.model_dump(mode="json"))


def _parse(delivery_id: str, body: bytes, correlation_id: str) -> Acknowledgement:
    try:
        document = json.loads(body or b"{}")
    except ValueError as exc:
        raise InvalidInput("the body is not JSON", (), correlation_id=correlation_id) from exc
    if not isinstance(document, dict):
        raise InvalidInput("the body is not a JSON object", (), correlation_id=correlation_id)
    try:
        said = AcknowledgementBody.model_validate(document)
        return Acknowledgement(delivery_id=delivery_id, **said.model_dump())
    except ValidationError as exc:
        problems = field_problems(exc)
        raise InvalidInput(
            f"{len(problems)} field(s) failed validation", problems, correlation_id=correlation_id
        ) from exc


def add_acknowledgement_routes(app: web.Application) -> None:
    app.router.add_post("/v1/deliveries/{delivery_id}/acknowledgements", acknowledge_delivery)
