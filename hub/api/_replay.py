"""``POST /v1/deliveries/replay``: an agency asks for its deliveries to be sent again.

The body is ``{"since": "<time with offset>"}`` for the first page, or ``{"after": "<cursor>"}``
for the next; ``limit`` (1-500, default 500) bounds a page. The copies go again to the agency's
own queue, marked replayed (:mod:`hub.replay`); the answer says how many, and the cursor of the
next page, or null once there is none.
"""

from __future__ import annotations

from typing import Self

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from hub._exceptions import ConfigurationError, InvalidInput
from hub.api._context import CORRELATION_ID, DEPENDENCIES, as_agency, json_body
from hub.replay import MAX_PAGE

__all__ = ["ReplayAnswer", "ReplayRequest", "add_replay_routes", "replay_deliveries"]


class ReplayRequest(BaseModel):
    """Which of the agency's copies to send again: from a time, or after a cursor."""

    model_config = ConfigDict(extra="forbid")

    since: AwareDatetime | None = None
    after: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=MAX_PAGE, ge=1, le=MAX_PAGE)

    @model_validator(mode="after")
    def _one_start(self) -> Self:
        if (self.since is None) == (self.after is None):
            raise ValueError("give exactly one of since or after")
        return self


class ReplayAnswer(BaseModel):
    """How many copies were sent again, their delivery ids, and the next page's cursor."""

    model_config = ConfigDict(extra="forbid")

    replayed: int
    delivery_ids: list[str]
    next: str | None
    correlation_id: str


async def replay_deliveries(request: web.Request) -> web.Response:
    """Send one page of the calling agency's copies again, marked replayed."""
    agency = await as_agency(request, "inbox")
    deps = request.app[DEPENDENCIES]
    correlation_id = request[CORRELATION_ID]
    if deps.replay is None:
        raise ConfigurationError("replay is not configured")
    asked = await json_body(request, ReplayRequest)
    try:
        page = await deps.replay.replay(
            agency.id,
            since=asked.since,
            after=asked.after,
            limit=asked.limit,
            correlation_id=correlation_id,
        )
    except InvalidInput as error:
        error.correlation_id = correlation_id
        raise
    answer = ReplayAnswer(
        replayed=page.replayed,
        delivery_ids=list(page.delivery_ids),
        next=page.next,
        correlation_id=correlation_id,
    )
    return web.json_response(answer.model_dump(mode="json"))


def add_replay_routes(app: web.Application) -> None:
    app.router.add_post("/v1/deliveries/replay", replay_deliveries)
