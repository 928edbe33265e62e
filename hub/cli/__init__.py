"""The ``hub`` command. Each subcommand lives in its own module; this one only dispatches.

Exit codes: 0 success, 1 a service or configuration error, 2 bad usage or bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from hub._exceptions import HubError
from hub.cli import (
    _adapt,
    _asyncapi,
    _audit,
    _demo,
    _dlq,
    _keys,
    _maintenance,
    _protocol,
    _provision,
    _run,
    _subject,
    _tail,
    _tokens,
)
from hub.cli._asyncapi import asyncapi_yaml
from hub.cli._asyncapi_document import asyncapi_document
from hub.cli._asyncapi_messages import MESSAGE_HEADERS
from hub.cli._demo import ADMIN_AGENCY_ID, AUDITOR_ID, write_demo
from hub.logs import configure_logging
from hub.settings import Settings

__all__ = [
    "ADMIN_AGENCY_ID",
    "AUDITOR_ID",
    "MESSAGE_HEADERS",
    "asyncapi_document",
    "asyncapi_yaml",
    "main",
    "write_demo",
]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hub", description="Safeguarding information hub.")
    commands = parser.add_subparsers(dest="command", required=True)
    modules = (
        _run,
        _tail,
        _adapt,
        _demo,
        _provision,
        _maintenance,
        _protocol,
        _keys,
        _tokens,
        _audit,
        _subject,
        _dlq,
        _asyncapi,
    )
    for module in modules:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hub`` console script."""
    args = _parser().parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level)
    try:
        result: int = asyncio.run(args.handler(args, settings))
    except HubError as exc:
        print(f"hub: {exc.title}: {exc.detail}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
