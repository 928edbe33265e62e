"""Structured JSON logs: one object a line, context on every line, no personal data."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from hub.logs import (
    REDACTED,
    bind_message,
    configure_logging,
    redact_personal_data,
    safe_exception,
)
from schemas import PERSONAL_FIELD_NAMES, PersonRef

CANARY = "CANARY-8c1e0f"
_TOUCHED_LOGGERS = (
    "",
    "aio_pika",
    "aiormq",
    "aiohttp.access",
    "aiosqlite",
    "asyncio",
    "sqlalchemy",
    "sqlalchemy.engine",
    "alembic",
)


def _is_pytest_handler(handler: logging.Handler) -> bool:
    # pytest adds and removes its own capture handlers around each test phase.
    return type(handler).__module__.startswith("_pytest.")


@contextlib.contextmanager
def _configured(level: str) -> Iterator[io.StringIO]:
    """Configure logging onto a string buffer, and restore every global it touches afterwards."""
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in _TOUCHED_LOGGERS}
    handlers = [handler for handler in root.handlers if not _is_pytest_handler(handler)]
    buffer = io.StringIO()
    configure_logging(level, stream=buffer)
    ours = list(root.handlers)
    try:
        yield buffer
    finally:
        structlog.contextvars.clear_contextvars()
        structlog.reset_defaults()
        for handler in ours:
            handler.close()
        root.handlers[:] = [h for h in root.handlers if h not in ours] + handlers
        for name, saved_level in levels.items():
            logging.getLogger(name).setLevel(saved_level)


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """Logging configured at DEBUG onto a buffer; all logging state is restored afterwards."""
    with _configured("DEBUG") as buffer:
        yield buffer


def _lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    text = buffer.getvalue()
    assert text.endswith("\n")
    lines = text.splitlines()
    assert lines, "nothing was logged"
    records = [json.loads(line) for line in lines]
    assert all(isinstance(record, dict) for record in records)
    return records


def _raise_with_canary() -> None:
    try:
        int(CANARY)
    except ValueError as exc:
        raise RuntimeError(f"could not read {CANARY}") from exc


def test_personal_keys_are_redacted_at_any_depth(stream: io.StringIO) -> None:
    """Keys marked personal are replaced with ``[redacted]`` at the top level and nested."""
    log = structlog.get_logger("test.personal")
    log.info(
        "person.seen",
        nhs_number=CANARY,
        subject=CANARY,
        person={"local_id": CANARY, "upn": CANARY, "sex": "F"},
        episodes=[{"last_seen_location": CANARY}, {"found_location": CANARY}],
        pair=({"date_of_birth": CANARY},),
        count=2,
    )

    (record,) = _lines(stream)
    assert CANARY not in stream.getvalue()
    assert record["nhs_number"] == REDACTED
    assert record["subject"] == REDACTED
    assert record["person"] == {"local_id": REDACTED, "upn": REDACTED, "sex": "F"}
    assert record["episodes"] == [{"last_seen_location": REDACTED}, {"found_location": REDACTED}]
    assert record["pair"] == [{"date_of_birth": REDACTED}]
    assert record["count"] == 2
    assert record["event"] == "person.seen"


def test_url_credentials_are_masked(stream: io.StringIO) -> None:
    """Passwords inside URLs are masked in values, nested values and the event text."""
    log = structlog.get_logger("test.urls")
    url = f"amqp://hub:{CANARY}@broker.invalid:5672/"
    message = f"connecting to postgresql+asyncpg://user:{CANARY}@db.invalid/hub"
    log.warning(
        message,
        broker=url,
        nested={"urls": [url]},
    )

    (record,) = _lines(stream)
    assert CANARY not in stream.getvalue()
    assert record["broker"] == "amqp://***@broker.invalid:5672/"
    assert record["nested"] == {"urls": ["amqp://***@broker.invalid:5672/"]}
    assert "postgresql+asyncpg://***@db.invalid/hub" in record["event"]


def test_bearer_style_url_credentials_are_masked(stream: io.StringIO) -> None:
    """A credential with no password part (amqp://TOKEN@host) is masked too."""
    structlog.get_logger("test.urls").info("x", broker=f"amqps://{CANARY}@broker.invalid/")
    (record,) = _lines(stream)
    assert CANARY not in stream.getvalue()
    assert record["broker"] == "amqps://***@broker.invalid/"


def test_models_and_exceptions_passed_as_values_are_redacted(stream: io.StringIO) -> None:
    """A pydantic model value is redacted field by field; an exception value shows its type."""
    person = PersonRef(local_id=CANARY, nhs_number="9434765919", resident_la="929")
    structlog.get_logger("test.values").info("x", who=person, error=ValueError(CANARY))
    (record,) = _lines(stream)
    assert CANARY not in stream.getvalue()
    assert "9434765919" not in stream.getvalue()
    assert record["who"]["local_id"] == REDACTED
    assert record["error"] == "ValueError"


def test_structlog_exceptions_are_logged_by_type_only(stream: io.StringIO) -> None:
    """An exception logged through structlog shows its type and cause type, never its text."""
    log = structlog.get_logger("test.exc")
    try:
        _raise_with_canary()
    except RuntimeError:
        log.exception("step.failed")

    (record,) = _lines(stream)
    assert CANARY not in stream.getvalue()
    assert "Traceback" not in stream.getvalue()
    assert record["exception_type"] == "RuntimeError"
    assert record["exception_cause"] == "ValueError"
    assert record["level"] == "error"


def test_stdlib_exceptions_are_logged_by_type_only(stream: io.StringIO) -> None:
    """A standard-library logger's exception goes through the same pipeline: type, no text."""
    try:
        _raise_with_canary()
    except RuntimeError:
        logging.getLogger("third.party").exception("library.failed")

    (record,) = _lines(stream)
    assert CANARY not in stream.getvalue()
    assert "Traceback" not in stream.getvalue()
    assert record["exception_type"] == "RuntimeError"
    assert record["logger"] == "third.party"
    assert record["event"] == "library.failed"


def test_stdlib_messages_have_url_credentials_masked(stream: io.StringIO) -> None:
    """A standard-library message with a credentialled URL is masked like a structlog one."""
    logging.getLogger("aiohttp.client").warning("retrying https://u:%s@api.invalid/", CANARY)

    (record,) = _lines(stream)
    assert CANARY not in stream.getvalue()
    assert record["event"] == "retrying https://***@api.invalid/"


def test_context_appears_on_every_line_from_both_apis(stream: io.StringIO) -> None:
    """A bound correlation id is on every line, whichever logging API wrote it."""
    structlog.contextvars.bind_contextvars(correlation_id="corr-77", agency="northumbria-police")
    log = structlog.get_logger("test.context")
    log.info("first")
    log.warning("second", nhs_number=CANARY)
    logging.getLogger("stdlib.context").warning("third")
    try:
        _raise_with_canary()
    except RuntimeError:
        log.exception("fourth")

    records = _lines(stream)
    assert [record["event"] for record in records] == ["first", "second", "third", "fourth"]
    assert all(record["correlation_id"] == "corr-77" for record in records)
    assert all(record["agency"] == "northumbria-police" for record in records)
    assert all("timestamp" in record and "level" in record for record in records)
    assert CANARY not in stream.getvalue()
    assert REDACTED in stream.getvalue()


def test_unbound_context_does_not_linger(stream: io.StringIO) -> None:
    """After the context is cleared, later lines no longer carry the old correlation id."""
    structlog.contextvars.bind_contextvars(correlation_id="corr-1")
    log = structlog.get_logger("test.unbind")
    log.info("bound")
    structlog.contextvars.clear_contextvars()
    log.info("unbound")

    first, second = _lines(stream)
    assert first["correlation_id"] == "corr-1"
    assert "correlation_id" not in second


def test_a_message_context_replaces_the_one_before(stream: io.StringIO) -> None:
    """bind_message puts a consumed message's ids on its lines and drops the previous one's."""
    log = structlog.get_logger("test.message")
    bind_message("n-1", "corr-1", protocol_version="v1")
    log.info("first")
    structlog.contextvars.bind_contextvars(recipient="durham-childrens")
    bind_message("n-2", None)
    log.info("second")

    first, second = _lines(stream)
    assert (first["notification_id"], first["correlation_id"]) == ("n-1", "corr-1")
    assert first["protocol_version"] == "v1"
    assert second["notification_id"] == "n-2"
    assert second["correlation_id"] is None
    assert "protocol_version" not in second
    assert "recipient" not in second


def test_level_filters_lower_messages() -> None:
    """``configure_logging('warning')`` drops info lines and keeps warnings."""
    with _configured("warning") as buffer:
        structlog.get_logger("test.level").info("quiet")
        structlog.get_logger("test.level").warning("loud")
        records = _lines(buffer)

    assert [record["event"] for record in records] == ["loud"]


def test_noisy_libraries_are_held_at_warning(stream: io.StringIO) -> None:
    """Debug output from broker and database libraries is not written even at DEBUG."""
    logging.getLogger("aio_pika").debug("frame %s", CANARY)
    logging.getLogger("aiormq").debug("frame %s", CANARY)
    logging.getLogger("aio_pika").warning("visible")

    records = _lines(stream)
    assert [record["event"] for record in records] == ["visible"]
    assert CANARY not in stream.getvalue()


def test_redact_processor_on_its_own() -> None:
    """The redaction processor replaces every personal key and leaves other keys alone."""
    event: dict[str, Any] = dict.fromkeys(PERSONAL_FIELD_NAMES, CANARY)
    event["event"] = "x"
    event["missing_type"] = "missing"

    result = redact_personal_data(None, "info", event)

    assert {name: result[name] for name in PERSONAL_FIELD_NAMES} == dict.fromkeys(
        PERSONAL_FIELD_NAMES, REDACTED
    )
    assert result["missing_type"] == "missing"
    assert result["event"] == "x"


def test_safe_exception_drops_rendered_tracebacks() -> None:
    """The exception processor keeps the type and removes any pre-rendered text."""
    error = ValueError(CANARY)
    event: dict[str, Any] = {"event": "x", "exc_info": error, "exception": CANARY, "stack": CANARY}

    result = safe_exception(None, "error", event)

    assert result == {"event": "x", "exception_type": "ValueError"}


def test_configuring_inside_the_fixture_leaves_no_handler_behind() -> None:
    """The helper restores the root logger's handlers and levels after use."""
    root = logging.getLogger()
    before = ([h for h in root.handlers if not _is_pytest_handler(h)], root.level)
    pika_level = logging.getLogger("aio_pika").level

    with _configured("DEBUG") as buffer:
        assert any(getattr(h, "stream", None) is buffer for h in root.handlers)

    assert ([h for h in root.handlers if not _is_pytest_handler(h)], root.level) == before
    assert logging.getLogger("aio_pika").level == pika_level
    assert not any(getattr(h, "stream", None) is buffer for h in root.handlers)
