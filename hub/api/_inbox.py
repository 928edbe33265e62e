"""``GET /v1/inbox`` and ``GET /v1/inbox/{delivery_id}``: an agency's HTTP inbox (:mod:`hub.inbox`).

Rules:

1. ``GET /v1/inbox`` lists the caller's pending copies, oldest first, metadata only, each with
   the links to download and to acknowledge it. Query: ``limit`` (1-500, default 100), ``after``
   (the ``next`` cursor of the page before), ``wait`` (0-60 seconds: long-poll until a copy is
   pending). Anything else in the query is a 422 naming it.
2. ``GET /v1/inbox/{delivery_id}`` answers the sealed delivery envelope, byte for byte as on the
   broker (``application/vnd.sehub.delivery-envelope+json``); with ``?open=true``, or an
   ``Accept`` of ``application/vnd.sehub.delivery+json``, the opened delivery document, or a 409
   problem if this hub holds no key of the agency.
3. Acknowledging is ``POST /v1/deliveries/{delivery_id}/acknowledgements``
   (:mod:`._acknowledgements`); an acknowledged copy leaves the list, and may still be downloaded.
4. Any id that is not the caller's answers the same 404 as an id that is no delivery, audited.
"""

from __future__ import annotations

from typing import Final, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub._exceptions import ConfigurationError, InvalidInput
from hub.api._context import CORRELATION_ID, as_agency
from hub.inbox import MAX_PAGE, MAX_WAIT_SECONDS, AgencyInbox, InboxItem
from hub.messages import DELIVERY_DOCUMENT_CONTENT_TYPE
from hub.validation import invalid_input

__all__ = [
    "INBOX",
    "INBOX_ROUTE",
    "InboxEntry",
    "InboxLinks",
    "InboxListing",
    "InboxQuery",
    "add_inbox_routes",
]

INBOX = web.AppKey("inbox", AgencyInbox)
INBOX_ROUTE: Final = "/v1/inbox"
DOWNLOAD_ROUTE: Final = "/v1/inbox/{delivery_id}"
ACKNOWLEDGE_PATH: Final = "/v1/deliveries/{delivery_id}/acknowledgements"


class InboxQuery(BaseModel):
    """The query of a listing (rule 1)."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=100, ge=1, le=MAX_PAGE)
    after: str | None = Field(default=None, max_length=200)
    wait: float = Field(default=0.0, ge=0.0, le=MAX_WAIT_SECONDS)


class _DownloadQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    open: bool = False


class InboxLinks(BaseModel):
    """Where to download the copy and where to acknowledge it."""

    model_config = ConfigDict(extra="forbid")

    download: str
    acknowledge: str


class InboxEntry(BaseModel):
    """One pending copy: metadata only, never contents."""

    model_config = ConfigDict(extra="forbid")

    delivery_id: str
    type: str = Field(description="The notification's type (an escalation's or alert's own).")
    kind: str = Field(description="notification, escalation or alert.")
    rule_id: str | None
    released_at: str = Field(description="When the hub released it to your agency.")
    size: int = Field(description="Bytes of the sealed envelope.")
    acknowledge_by: str | None
    links: InboxLinks

    @classmethod
    def of(cls, item: InboxItem) -> InboxEntry:
        return cls(
            delivery_id=item.delivery_id,
            type=item.type,
            kind=item.kind,
            rule_id=item.rule_id,
            released_at=item.released_at.isoformat(),
            size=item.size,
            acknowledge_by=None if item.acknowledge_by is None else item.acknowledge_by.isoformat(),
            links=InboxLinks(
                download=DOWNLOAD_ROUTE.format(delivery_id=item.delivery_id),
                acknowledge=ACKNOWLEDGE_PATH.format(delivery_id=item.delivery_id),
            ),
        )


class InboxListing(BaseModel):
    """A page of the inbox; ``next`` is the cursor of the next page, null once there is none."""

    model_config = ConfigDict(extra="forbid")

    deliveries: list[InboxEntry]
    next: str | None
    correlation_id: str


Query = TypeVar("Query", bound=BaseModel)


def _inbox(request: web.Request) -> AgencyInbox:
    inbox = request.app.get(INBOX)
    if inbox is None:
        raise ConfigurationError("the inbox is not configured")
    return inbox


def _query(request: web.Request, model: type[Query]) -> Query:
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        raise invalid_input(
            exc, what="query parameter(s)", correlation_id=request[CORRELATION_ID]
        ) from exc


def _gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


async def list_inbox(request: web.Request) -> web.Response:
    """A page of the calling agency's pending copies (rule 1)."""
    agency = await as_agency(request, "inbox")
    inbox = _inbox(request)
    correlation_id = request[CORRELATION_ID]
    asked = _query(request, InboxQuery)
    try:
        page = await inbox.pending(
            agency.id,
            after=asked.after,
            limit=asked.limit,
            wait=asked.wait,
            gone=lambda: _gone(request),
            route=INBOX_ROUTE,
            correlation_id=correlation_id,
        )
    except InvalidInput as error:
        error.correlation_id = correlation_id
        raise
    answer = InboxListing(
        deliveries=[InboxEntry.of(item) for item in page.items],
        next=page.next,
        correlation_id=correlation_id,
    )
    return web.json_response(answer.model_dump(mode="json"))


async def download_delivery(request: web.Request) -> web.Response:
    """One of the calling agency's copies, sealed or opened (rules 2 and 4)."""
    agency = await as_agency(request, "inbox")
    inbox = _inbox(request)
    delivery_id = request.match_info["delivery_id"]
    opened = _query(request, _DownloadQuery).open or (
        DELIVERY_DOCUMENT_CONTENT_TYPE in request.headers.get("Accept", "")
    )
    got = await inbox.download(
        agency.id,
        delivery_id,
        opened=opened,
        route=DOWNLOAD_ROUTE,
        correlation_id=request[CORRELATION_ID],
    )
    headers = {
        "Sehub-Delivery-Id": got.delivery_id,
        "Link": f'<{ACKNOWLEDGE_PATH.format(delivery_id=got.delivery_id)}>; rel="acknowledge"',
    }
    if got.opened is not None:
        return web.Response(
            body=got.opened.model_dump_json().encode(),
            content_type=DELIVERY_DOCUMENT_CONTENT_TYPE,
            headers=headers,
        )
    return web.Response(body=got.envelope, content_type=got.content_type, headers=headers)


def add_inbox_routes(app: web.Application, inbox: AgencyInbox | None) -> None:
    """The inbox's routes; without ``inbox`` they answer that it is not configured."""
    if inbox is not None:
        app[INBOX] = inbox
    app.router.add_get(INBOX_ROUTE, list_inbox)
    app.router.add_get(DOWNLOAD_ROUTE, download_delivery)
