"""A key that is not a field of its record is never named: not in problems, logs or audit rows.

A CSV posted without its header row makes its first row's values into keys; a surname or a
date of birth must not come back in a problem, nor reach the audit log or the application log.
"""

from __future__ import annotations

import json

from aiohttp.test_utils import TestClient
from structlog.testing import capture_logs

from schemas import UNKNOWN_FIELD, Locations
from tests.fakes import FakeAuditLog, FakePublisher
from tests.fixtures import canary_event
from tests.unit.conftest import CHILDRENS_TOKEN, PROBLEM

SURNAME = "Pemberton"  # shaped like a field name: a pattern cannot tell it from one
HEADERLESS = (
    f"CHILD-000777,{SURNAME},04/05/2012,M,27/11/2026\n"
    "CHILD-000778,Ashworth,01/02/2013,A,28/11/2026\n"
)


def test_an_unknown_key_is_numbered_never_named() -> None:
    """Distinct unknown keys are numbered in the order met; the same key keeps its number."""
    locations = Locations()

    first = locations.path(("data", "person", "Pemberton"), rule="extra_forbidden")
    second = locations.path(("data", "Ashworth"), rule="extra_forbidden")
    again = locations.path(("Pemberton",), rule="extra_forbidden")

    assert (first, second, again) == (
        "data.person." + UNKNOWN_FIELD.format(n=1),
        "data." + UNKNOWN_FIELD.format(n=2),
        UNKNOWN_FIELD.format(n=1),
    )


def test_a_field_of_the_model_is_named_as_it_is() -> None:
    """Locations from a model's own errors name its fields, and indexes stay indexes."""
    assert Locations().path(("RHI_ATTEMPTS", 0, "date"), rule="date_parsing") == (
        "RHI_ATTEMPTS.0.date"
    )


def test_before_any_model_only_known_names_are_shown() -> None:
    """In a raw document, a key is named only if some model defines it."""
    locations = Locations(known=frozenset({"data", "person"}))

    assert locations.path(("data", "person", "Pemberton", 2)) == (
        "data.person." + UNKNOWN_FIELD.format(n=1) + ".2"
    )


async def test_a_headerless_csv_names_no_value_in_problem_audit_or_log(
    client: TestClient, publisher: FakePublisher, audit: FakeAuditLog
) -> None:
    """A CSV without its header row is refused; none of its first row's values is repeated."""
    with capture_logs() as logs:
        response = await client.post(
            "/v1/records?record_type=ssda903_missing",
            data=HEADERLESS,
            headers={"Authorization": f"Bearer {CHILDRENS_TOKEN}", "Content-Type": "text/csv"},
        )

    assert response.status == 422
    assert response.content_type == PROBLEM
    text = await response.text()
    fields = [problem["field"] for problem in json.loads(text)["errors"]]
    assert "records[0]." + UNKNOWN_FIELD.format(n=1) in fields
    assert publisher.ingress == []
    (entry,) = audit.entries
    leaked = [SURNAME, "CHILD-000777", "04/05/2012", "27/11/2026"]
    for place in (text, json.dumps(entry.detail), json.dumps(logs, default=str)):
        assert [value for value in leaked if value in place] == []


async def test_an_unknown_key_in_a_notification_is_numbered(
    client: TestClient, audit: FakeAuditLog
) -> None:
    """A notification with a key its type does not define names it by number, also in the audit."""
    event = canary_event()
    event["data"]["person"][SURNAME] = "x"

    response = await client.post(
        "/v1/notifications",
        data=json.dumps(event),
        headers={"Authorization": f"Bearer {CHILDRENS_TOKEN}", "Content-Type": "application/json"},
    )

    assert response.status == 422
    problems = (await response.json())["errors"]
    assert {"field": "data.person." + UNKNOWN_FIELD.format(n=1), "rule": "extra_forbidden"} in [
        {"field": p["field"], "rule": p["rule"]} for p in problems
    ]
    assert SURNAME not in json.dumps(problems)
    assert SURNAME not in json.dumps(audit.entries[-1].detail)
