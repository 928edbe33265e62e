"""Structured JSON logs with no personal data in them.

Rules:

1. ``merge_contextvars`` runs first, so the correlation id, agency and protocol version bound per
   request or per message (``bind_contextvars``) appear on every line.
2. Redaction is a processor: any key that a canonical schema marks as personal data is replaced,
   at any depth (inside pydantic models too), and credentials inside URLs are masked.
3. Exceptions are logged by type only, whether as ``exc_info`` or as a value. Their messages can
   carry input values (pydantic echoes them), so they never reach a log line.
4. Standard-library loggers (aio-pika, aiohttp, SQLAlchemy) go through the same processors.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any

import structlog
from pydantic import BaseModel
from structlog.typing import EventDict, Processor, WrappedLogger

from schemas import PERSONAL_FIELD_NAMES

__all__ = [
    "REDACTED",
    "bind_message",
    "configure_logging",
    "get_logger",
    "redact_personal_data",
    "safe_exception",
]

REDACTED = "[redacted]"
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]+@", re.I)


def _redact(value: Any, names: frozenset[str]) -> Any:
    if isinstance(value, BaseModel):
        return _redact(value.model_dump(mode="json"), names)
    if isinstance(value, BaseException):
        return type(value).__qualname__
    if isinstance(value, Mapping):
        return {
            key: REDACTED if key in names else _redact(item, names) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(item, names) for item in value]
    if isinstance(value, str):
        return _URL_CREDENTIALS.sub(r"\g<scheme>***@", value)
    return value


def redact_personal_data(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Replace personal-data keys and URL credentials, at any depth."""
    for key in list(event_dict):
        if key in PERSONAL_FIELD_NAMES:
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _redact(event_dict[key], PERSONAL_FIELD_NAMES)
    return event_dict


def safe_exception(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Log an exception by its type (and chained cause's type), never by its message."""
    exc_info = event_dict.pop("exc_info", None)
    if exc_info is True:
        exc_info = sys.exc_info()
    exc: BaseException | None = None
    if isinstance(exc_info, BaseException):
        exc = exc_info
    elif isinstance(exc_info, tuple) and len(exc_info) == 3:
        exc = exc_info[1]
    if exc is not None:
        event_dict["exception_type"] = type(exc).__qualname__
        if exc.__cause__ is not None:
            event_dict["exception_cause"] = type(exc.__cause__).__qualname__
    for key in ("exception", "stack"):
        event_dict.pop(key, None)
    return event_dict


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        safe_exception,
        redact_personal_data,
    ]


def configure_logging(level: str = "INFO", *, stream: Any = None) -> None:
    """Route structlog and the standard library through one JSON pipeline on ``stream``."""
    shared = _shared_processors()
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Third-party debug output can echo SQL parameters or message frames; keep it at WARNING.
    for noisy in (
        "aio_pika",
        "aiormq",
        "aiohttp.access",
        "aiosqlite",
        "asyncio",
        "sqlalchemy",
        "alembic",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A named structlog logger."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger


def bind_message(message_id: str | None, correlation_id: str | None, **ids: str) -> None:
    """Start the log context of one consumed message: its ids (never its contents) on every
    line logged while it is handled, and nothing left from the message before."""
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(
        correlation_id=correlation_id, notification_id=message_id, **ids
    )
