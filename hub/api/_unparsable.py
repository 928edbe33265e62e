"""Requests aiohttp answers before any middleware runs: an unparsable request line or header.

aiohttp's protocol handler answers a request it cannot parse (a control byte in the target, a
malformed header, a bad method) with a ``text/plain`` 400 whose body is the parser's message,
and that message quotes the raw bytes received; it also logs them with the traceback. Neither
reaches :mod:`hub.api._app`'s middleware, because no request was ever made of the bytes.

Rules:

1. Every answer the protocol handler itself makes is RFC 9457 problem+json with a fixed detail
   for its status, never the parser's text or anything the peer sent.
2. It is logged as one line naming the status and the error's class, never its message.
3. The connection is closed afterwards, as aiohttp does: after a parse error the stream is not
   trusted to be at a request boundary.

:class:`ProblemAppRunner` is the :class:`aiohttp.web.AppRunner` every hub server starts with.
"""

from __future__ import annotations

import uuid
from http import HTTPStatus

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from hub._exceptions import HubError, PeerError
from hub.api._problems import problem_response
from hub.logs import get_logger

__all__ = ["ProblemAppRunner", "unparsable_problem"]

log = get_logger(__name__)

_DETAILS = {
    400: "the request line or a header could not be parsed",
    500: "unexpected error",
    504: "the request took too long",
}


def unparsable_problem(status: int) -> web.Response:
    """The problem+json answer for a request the protocol handler failed with ``status``."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "HTTP error"
    detail = _DETAILS.get(status, phrase.lower())
    error = PeerError(detail) if status < 500 else HubError(detail)
    error.status_hint = status
    error.title = phrase
    correlation_id = str(uuid.uuid4())
    response = problem_response(error, correlation_id)
    response.headers["X-Correlation-ID"] = correlation_id
    response.force_close()
    return response


class _ProblemRequestHandler(RequestHandler):
    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        log.warning(
            "request.unparsable",
            status=status,
            error=type(exc).__name__ if exc is not None else None,
        )
        if request.writer.output_size > 0:
            raise ConnectionError("a response was already sent; no room for the error")
        return unparsable_problem(status)


class _ProblemServer(web.Server):
    def __call__(self) -> RequestHandler:
        return _ProblemRequestHandler(self, loop=self._loop, **self._kwargs)


class ProblemAppRunner(web.AppRunner):
    """An :class:`~aiohttp.web.AppRunner` whose connections answer unparsable requests with
    problem+json (rules 1-3)."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        # The application builds its Server with private arguments; swapping the class keeps
        # them all and changes only which RequestHandler each connection gets.
        server.__class__ = _ProblemServer
        return server
