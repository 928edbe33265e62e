"""Reading a dead letter from RabbitMQ's bookkeeping, and the topology's dead-letter arguments.

The headers are shaped as RabbitMQ 3.10 sets them on a quorum queue's dead letter (observed on
the project's broker); ``tests/integration/test_dead_letters_queue.py`` reads real ones.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from hub.delivery import (
    DEAD_EXCHANGE,
    DELIVERY_LIMIT,
    REQUEUES_HEADER,
    DeadLetter,
    agency_of_queue,
    agency_queue_name,
    dead_queue_arguments,
    republished_headers,
    server_version,
    working_queue_arguments,
)
from tests.fakes import FakeIncomingMessage

DIED = datetime(2026, 11, 29, 9, 0, 5, tzinfo=UTC)
FIRST_DIED = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
BODY = b'{"sealed": "CANARY-BODY-0001"}'
DELIVERY = "0123456789abcdef0123456789abcdef"


def _message(**properties: Any) -> FakeIncomingMessage:
    """A message as RabbitMQ hands over a dead letter: a sealed copy for an agency by default."""
    defaults: dict[str, Any] = {
        "body": BODY,
        "message_id": "n-0001",
        "type": "uk.gov.sehub.missing_episode.started",
        "correlation_id": "corr-1",
        "content_type": "application/vnd.sehub.delivery-envelope+json",
    }
    return FakeIncomingMessage(**{**defaults, **properties})


def _death(queue: str, reason: str, count: int, time: datetime) -> Any:
    """An x-death entry of a copy for the police, published to the delivery exchange."""
    return {
        "count": count,
        "reason": reason,
        "queue": queue,
        "time": time,
        "exchange": "sehub.deliver",
        "routing-keys": ["northumbria-police"],
    }


def _of(message: FakeIncomingMessage) -> DeadLetter:
    return DeadLetter.of(message)  # type: ignore[arg-type]  # the properties it reads


def _agency_dead_letter() -> FakeIncomingMessage:
    """A copy for the police, given up on by the delivery limit after an earlier rejection."""
    police = agency_queue_name("northumbria-police")
    return _message(
        headers={
            "sehub-recipient": "northumbria-police",
            "sehub-delivery-id": DELIVERY,
            "x-death": [
                _death(police, "delivery_limit", 2, DIED),
                _death(police, "rejected", 1, FIRST_DIED),
            ],
            "x-first-death-queue": police,
            "x-first-death-reason": "rejected",
            "x-first-death-exchange": "sehub.deliver",
            "x-delivery-count": 3,
        }
    )


def test_a_dead_letter_is_read_from_its_most_recent_death() -> None:
    """Queue, reason, count and origin are the newest x-death entry's; first death is kept."""
    letter = _of(_agency_dead_letter())

    assert letter.id == DELIVERY
    assert letter.queue == "sehub.agency.northumbria-police"
    assert letter.reason == "delivery_limit"
    assert letter.count == 2
    assert letter.recipient == "northumbria-police"
    assert letter.dead_lettered_at == DIED
    assert letter.first_death_at == FIRST_DIED
    assert letter.origin == ("sehub.deliver", "northumbria-police")
    assert letter.size == len(BODY)


def test_the_id_falls_back_to_the_message_id_then_to_a_hash_of_the_body() -> None:
    """No delivery id: the message id; neither: ``sha256:`` and 16 hex digits of the body."""
    assert _of(_message()).id == "n-0001"
    anonymous = _of(_message(message_id=None))
    assert anonymous.id.startswith("sha256:")
    assert len(anonymous.id) == len("sha256:") + 16


@pytest.mark.parametrize(
    "headers",
    [
        {"x-death": "not a list"},
        {"x-death": [None, 7]},
        {"x-death": [{"count": True, "time": "yesterday", "routing-keys": "k", "queue": 5}]},
        {"x-first-death-queue": b"\xff\xfe", "sehub-requeues": -3},
    ],
)
def test_unexpected_bookkeeping_reads_as_unknown_never_as_an_error(headers: dict[str, Any]) -> None:
    """A header of the wrong shape leaves the field unknown, so the letter can still be listed."""
    letter = _of(_message(headers=headers))

    assert letter.count == 0
    assert letter.requeues == 0
    assert letter.origin is None
    assert letter.recipient is None
    json.dumps(letter.as_json())


def test_a_message_nobody_dead_lettered_has_no_origin() -> None:
    """Without x-death there is nowhere to put the message back."""
    letter = _of(_message())

    assert letter.death is None
    assert letter.origin is None
    assert letter.queue is None


def test_the_metadata_never_holds_the_body() -> None:
    """Neither the JSON of a dead letter nor its headers carry the sealed payload."""
    text = json.dumps(_of(_agency_dead_letter()).as_json())

    assert "CANARY-BODY" not in text
    assert '"body_sha256"' in text


def test_the_json_names_every_death_and_the_hubs_own_headers_only() -> None:
    """``show`` prints the x-death entries as a list and leaves RabbitMQ's x- headers out."""
    shown = _of(_agency_dead_letter()).as_json()

    assert [death["reason"] for death in shown["deaths"]] == ["delivery_limit", "rejected"]
    assert shown["deaths"][0]["time"] == "2026-11-29T09:00:05Z"
    assert shown["headers"] == {
        "sehub-delivery-id": DELIVERY,
        "sehub-recipient": "northumbria-police",
    }


def test_a_requeued_message_loses_the_brokers_headers_and_counts_its_requeues() -> None:
    """x-* headers are the broker's and are dropped; sehub-requeues goes up by one each time."""
    once = republished_headers(_agency_dead_letter().headers)

    assert not [name for name in once if name.startswith("x-")]
    assert once["sehub-delivery-id"] == DELIVERY
    assert once[REQUEUES_HEADER] == 1
    assert republished_headers(once)[REQUEUES_HEADER] == 2
    assert _of(_message(headers=once)).requeues == 1


def test_working_queues_dead_letter_at_least_once_with_a_backstop_limit() -> None:
    """Ingress, acks and agency queues: quorum, the dead exchange, at-least-once, the limit."""
    assert working_queue_arguments() == {
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": DEAD_EXCHANGE,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
        "x-delivery-limit": DELIVERY_LIMIT,
    }


@pytest.mark.parametrize(
    ("version", "limit"),
    [
        ("3.10.8", None),
        ("3.13.7", None),
        ("", None),
        ("unknown", None),
        ("4.0.1", -1),
        ("4.3.5", -1),
    ],
)
def test_dead_queues_never_have_a_delivery_limit(version: str, limit: int | None) -> None:
    """3.x has none unless set (-1 would drop there); 4.x defaults to 20, so it is switched off."""
    arguments = dead_queue_arguments(version)

    assert arguments["x-queue-type"] == "quorum"
    assert arguments.get("x-delivery-limit") == limit
    assert "x-dead-letter-exchange" not in arguments


def test_an_agency_is_known_by_its_queue_only() -> None:
    """The recipient comes from an agency queue's name; any other queue names no agency."""
    assert agency_of_queue(agency_queue_name("northumbria-police")) == "northumbria-police"
    assert agency_of_queue("sehub.ingress") is None
    assert agency_of_queue("sehub.agency.") is None


@pytest.mark.parametrize(
    ("properties", "version"),
    [({"version": "3.10.8"}, "3.10.8"), ({"version": b"4.0.1"}, "4.0.1"), ({}, "")],
)
def test_the_brokers_version_is_read_from_its_connection_properties(
    properties: dict[str, object], version: str
) -> None:
    """Text or bytes, as the client library hands it over; missing is empty."""
    assert server_version(properties) == version
