"""The HTTP edge of a hub process that is still waiting for its broker or database.

A process started while RabbitMQ or the database is down does not exit: it waits for them
(:func:`hub.bootstrap.bootstrap` with ``wait=True``) and, meanwhile, answers on its port:

- ``GET /healthz``: 200, the process is alive;
- ``GET /readyz``: 503, with the state of each service it waits for;
- anything else: 503 problem+json with ``Retry-After``, so a caller retries, and nothing is
  accepted that could not be kept.

Once both answer, :mod:`hub.cli._run` replaces this application with the real one.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from hub._exceptions import ServiceError
from hub.api._problems import problem_response

__all__ = ["create_starting_app"]

STATES = web.AppKey("service_states", Mapping[str, str])


def create_starting_app(states: Mapping[str, str]) -> web.Application:
    """An application that says the hub is starting; ``states`` is read live (service: state)."""
    app = web.Application()
    app[STATES] = states
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    app.router.add_route("*", "/{path:.*}", _starting)
    return app


async def _healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _readyz(request: web.Request) -> web.Response:
    states: Mapping[str, str] = request.app[STATES]
    return web.json_response({"status": "starting", "checks": dict(states)}, status=503)


async def _starting(_request: web.Request) -> web.Response:
    return problem_response(
        ServiceError("the hub is starting: its broker or database is not up yet"), None
    )
