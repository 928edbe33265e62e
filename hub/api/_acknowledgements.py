"""``POST /v1/deliveries/{delivery_id}/acknowledgements``: an agency acknowledges a delivery.

The body names the action (``received``, ``actioned`` or ``declined``), who at the agency took it
(``by``: the agency's own user or system reference) and, optionally, a reference to the agency's
own note (``note_ref``). Only the delivery's recipient may acknowledge it; for any other caller,
and for an id that is no delivery, the answer is the same 404. A bad body is a 422 naming the
field, never its value. See :mod:`hub.acknowledgements` for what is recorded and stopped.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from hub._exceptions import ConfigurationError
from hub.api._context import CORRELATION_ID, DEPENDENCIES, as_agency, json_body
from hub.messages import AckAction, Acknowledgement, Reference
from hub.validation import invalid_input

__all__ = [
    "Acknowledged",
    "AcknowledgementBody",
    "acknowledge_delivery",
    "add_acknowledgement_routes",
]


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
    agency = await as_agency(request, "inbox")
    deps = request.app[DEPENDENCIES]
    correlation_id = request[CORRELATION_ID]
    if deps.acknowledgements is None:
        raise ConfigurationError("acknowledgements are not configured")
    said = await json_body(request, AcknowledgementBody)
    ack = _of(request.match_info["delivery_id"], said, correlation_id)
    delivery = await deps.acknowledgements.acknowledge(
        agency.id, ack, channel="http", correlation_id=correlation_id, route=_ROUTE
    )
    answer = Acknowledged(
        delivery_id=delivery.delivery_id,
        action=ack.action,
        status="acknowledged",
        escalations_stopped=delivery.stopped,
        correlation_id=correlation_id,
    )
    return web.json_response(answer.model_dump(mode="json"))


def _of(delivery_id: str, said: AcknowledgementBody, correlation_id: str) -> Acknowledgement:
    """The acknowledgement of the delivery the path names; 422 naming ``delivery_id`` if that
    is not a delivery id."""
    try:
        return Acknowledgement(delivery_id=delivery_id, **said.model_dump())
    except ValidationError as exc:
        raise invalid_input(exc, correlation_id=correlation_id) from exc


_ROUTE = "/v1/deliveries/{delivery_id}/acknowledgements"


def add_acknowledgement_routes(app: web.Application) -> None:
    app.router.add_post(_ROUTE, acknowledge_delivery)
