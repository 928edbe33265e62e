"""Unit tests of POST /v1/records (native records through the agency's adapter) and of the
rule that malformed or oversized input never produces a 5xx."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub import InvalidNotification
from hub.audit import AuditAction
from hub.crypto import KeyMaterial
from hub.intake import MAX_PROBLEMS, parse_records
from tests.fakes import FakeAuditLog, FakePublisher
from tests.unit.conftest import CHILDRENS_TOKEN, EDUCATION_TOKEN, PROBLEM

NATIVE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "native"
MISSING_ROW = {
    "record_type": "ssda903_missing",
    "CHILD": "CHILD-000777",
    "DOB": "04/05/2012",
    "MISSING": "M",
    "MIS_START": "27/11/2026",
    "MIS_END": "",
}


BIG = "7" * 5000  # over CPython's default limit of 4,300 digits for int("...")


def _with_big(document: object) -> bytes:
    """``document`` as JSON, with each "BIG" string replaced by the 5,000-digit integer."""
    return json.dumps(document).replace('"BIG"', BIG).replace('"-BIG"', f"-{BIG}").encode()


def _opened(keys: KeyMaterial, envelope: bytes) -> dict[str, Any]:
    """The notification inside a source envelope, opened as the hub."""
    now = datetime(2026, 11, 29, tzinfo=UTC)
    contents = keys.open_source(envelope, now=now)
    result: dict[str, Any] = json.loads(contents.notification)
    return result


def _headers(token: str, content_type: str = "application/json") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": content_type}


async def test_native_records_are_mapped_published_and_audited(
    client: TestClient, publisher: FakePublisher, audit: FakeAuditLog, keys: KeyMaterial
) -> None:
    """An SSDA903 missing row posted by children's services is published as a canonical event."""
    response = await client.post(
        "/v1/records", data=json.dumps([MISSING_ROW]), headers=_headers(CHILDRENS_TOKEN)
    )
    assert response.status == 202
    body = await response.json()
    assert [n["type"] for n in body["notifications"]] == ["uk.sehub.missing_episode.started.v1"]
    (message,) = publisher.ingress
    event = _opened(keys, message.body)
    assert event["source"] == "urn:sehub:agency:northumberland-childrens"
    assert event["data"]["person"]["responsible_la"] == "929"
    assert [e.action for e in audit.entries] == [AuditAction.NOTIFICATION_ACCEPTED]


async def test_csv_rows_take_the_record_type_from_the_query(
    client: TestClient, publisher: FakePublisher, keys: KeyMaterial
) -> None:
    """SSDA903 CSV with a header row is accepted when record_type is given."""
    csv_body = "CHILD,DOB,MISSING,MIS_START,MIS_END\nCHILD-000777,04/05/2012,A,27/11/2026,\n"
    response = await client.post(
        "/v1/records?record_type=ssda903_missing",
        data=csv_body,
        headers=_headers(CHILDRENS_TOKEN, "text/csv"),
    )
    assert response.status == 202
    assert _opened(keys, publisher.ingress[0].body)["data"]["missing_type"] == (
        "away_without_authorisation"
    )


async def test_bad_records_name_every_native_field_and_publish_nothing(
    client: TestClient, publisher: FakePublisher, audit: FakeAuditLog
) -> None:
    """A batch with a bad record is refused whole: 422 naming records[i].FIELD, audited."""
    bad = {**MISSING_ROW, "MISSING": "X", "EXTRA": "y"}
    response = await client.post(
        "/v1/records", data=json.dumps([MISSING_ROW, bad]), headers=_headers(CHILDRENS_TOKEN)
    )
    assert response.status == 422
    assert response.content_type == PROBLEM
    fields = {(e["field"], e["rule"]) for e in (await response.json())["errors"]}
    assert ("records[1].MISSING", "unknown_code") in fields
    assert ("records[1].(unknown field #1)", "extra_forbidden") in fields
    assert publisher.ingress == []
    assert audit.entries[-1].action is AuditAction.NOTIFICATION_REJECTED
    assert "CHILD-000777" not in await response.text()


async def test_an_agency_posts_only_through_its_own_adapter(client: TestClient) -> None:
    """Education's token maps records with the education adapter, so a 903 row is refused."""
    response = await client.post(
        "/v1/records", data=json.dumps([MISSING_ROW]), headers=_headers(EDUCATION_TOKEN)
    )
    assert response.status == 422
    (error,) = (await response.json())["errors"]
    assert (error["field"], error["rule"]) == ("records[0].record_type", "unknown_record_type")


async def test_the_documented_native_examples_are_accepted(
    client: TestClient, publisher: FakePublisher
) -> None:
    """The education example file posts cleanly and produces education concerns."""
    body = (NATIVE / "education.json").read_bytes()
    response = await client.post("/v1/records", data=body, headers=_headers(EDUCATION_TOKEN))
    assert response.status == 202
    types = {n["type"] for n in (await response.json())["notifications"]}
    assert types == {"uk.sehub.education.concern_raised.v1"}
    assert len(publisher.ingress) == len((await response.json())["notifications"])


async def test_an_integer_over_the_digit_limit_is_a_422_naming_its_field_audited(
    client: TestClient, publisher: FakePublisher, audit: FakeAuditLog
) -> None:
    """A 5,000-digit integer in a record is a 422 naming records[i].FIELD, audited, not echoed."""
    body = _with_big([MISSING_ROW, {**MISSING_ROW, "CHILD": "BIG"}])
    response = await client.post("/v1/records", data=body, headers=_headers(CHILDRENS_TOKEN))
    assert response.status == 422
    assert response.content_type == PROBLEM
    problem = await response.json()
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [
        ("records[1].CHILD", "int_too_large")
    ]
    assert problem["correlation_id"] == response.headers["X-Correlation-ID"]
    assert BIG[:20] not in await response.text()
    assert publisher.ingress == []
    (entry,) = audit.entries
    assert entry.action is AuditAction.NOTIFICATION_REJECTED
    assert entry.correlation_id == response.headers["X-Correlation-ID"]
    assert entry.detail["problems"] == [{"field": "records[1].CHILD", "rule": "int_too_large"}]
    assert BIG[:20] not in json.dumps(entry.detail)


@pytest.mark.parametrize(
    ("document", "fields"),
    [
        ({**MISSING_ROW, "MIS_END": "BIG"}, ["records[0].MIS_END"]),
        (["BIG"], ["records[0]"]),
        (
            {"records": [MISSING_ROW, {**MISSING_ROW, "EXTRA": {"not a name": [1, "BIG"]}}]},
            ["records[1].(unknown field #1).(unknown field #2).1"],
        ),
        ([MISSING_ROW, {**MISSING_ROW, "MIS_START": "-BIG"}], ["records[1].MIS_START"]),
    ],
)
async def test_too_long_integers_are_located_like_adapter_fields(
    client: TestClient, document: object, fields: list[str]
) -> None:
    """Each too-long integer is named by the record index then its dotted path, odd keys unnamed."""
    response = await client.post(
        "/v1/records", data=_with_big(document), headers=_headers(CHILDRENS_TOKEN)
    )
    assert response.status == 422
    errors = (await response.json())["errors"]
    assert [(e["field"], e["rule"]) for e in errors] == [(f, "int_too_large") for f in fields]
    assert "not a name" not in await response.text()


def test_every_too_long_integer_is_named_in_order_and_the_list_is_capped() -> None:
    """Parsing names each too-long integer in document order and lists at most MAX_PROBLEMS."""
    records = [{**MISSING_ROW, "DOB": "BIG", "MIS_START": "-BIG"}, MISSING_ROW, ["BIG"]]
    with pytest.raises(InvalidNotification) as caught:
        parse_records(_with_big(records), "application/json", None)
    assert [(p.field, p.rule) for p in caught.value.problems] == [
        ("records[0].DOB", "int_too_large"),
        ("records[0].MIS_START", "int_too_large"),
        ("records[2].0", "int_too_large"),
    ]
    many = _with_big({"records": [{"record_type": "BIG"}] * (MAX_PROBLEMS + 10)})
    with pytest.raises(InvalidNotification) as capped:
        parse_records(many, "application/json", None)
    assert len(capped.value.problems) == MAX_PROBLEMS
    assert capped.value.detail.startswith(f"{MAX_PROBLEMS + 10} field(s) failed")
    assert BIG[:20] not in repr(capped.value.problems)


async def test_an_integer_at_the_digit_limit_is_left_to_the_adapter(client: TestClient) -> None:
    """A 4,300-digit integer is read, so the adapter names its own rule for the field."""
    body = json.dumps([{**MISSING_ROW, "CHILD": int("7" * 4300)}]).encode()
    response = await client.post("/v1/records", data=body, headers=_headers(CHILDRENS_TOKEN))
    assert response.status == 422
    (error,) = (await response.json())["errors"]
    assert error["field"] == "records[0].CHILD"
    assert error["rule"] != "int_too_large"


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
_bodies = st.one_of(
    st.binary(max_size=300),
    _json_values.map(lambda value: json.dumps(value).encode()),
    st.builds(
        lambda extra: json.dumps([{**MISSING_ROW, **extra}]).encode(),
        st.dictionaries(st.sampled_from(list(MISSING_ROW)), _json_values, max_size=3),
    ),
    st.integers(min_value=9_000, max_value=20_000).map(lambda n: b"[" + b" " * n + b"]"),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(["/v1/records", "/v1/notifications"]),
    body=_bodies,
    content_type=st.sampled_from(
        ["application/json", "text/csv", "application/cloudevents+json", "text/plain"]
    ),
)
async def test_malformed_or_oversized_input_never_gives_a_5xx(
    client: TestClient, path: str, body: bytes, content_type: str
) -> None:
    """Whatever the body, an authenticated post is answered 2xx or 4xx, never 5xx."""
    response = await client.post(path, data=body, headers=_headers(CHILDRENS_TOKEN, content_type))
    assert response.status < 500, await response.text()


async def test_the_same_records_posted_twice_are_accepted_once_under_their_keyed_ids(
    client: TestClient, publisher: FakePublisher, audit: FakeAuditLog
) -> None:
    """A re-post of the same row gets the same keyed ids, audited as a duplicate, sent once."""
    answers = []
    for _ in range(2):
        response = await client.post(
            "/v1/records", data=json.dumps([MISSING_ROW]), headers=_headers(CHILDRENS_TOKEN)
        )
        assert response.status == 202
        answers.append([n["id"] for n in (await response.json())["notifications"]])

    assert answers[0] == answers[1]
    assert len(publisher.ingress) == 1
    assert [e.action for e in audit.entries] == [
        AuditAction.NOTIFICATION_ACCEPTED,
        AuditAction.NOTIFICATION_DUPLICATE,
    ]


@pytest.mark.parametrize(
    "csv_body", ["", "CHILD,DOB,MISSING,MIS_START,MIS_END\n"], ids=["empty", "header-only"]
)
async def test_a_csv_post_with_no_rows_is_refused_as_an_empty_json_list_is(
    client: TestClient, publisher: FakePublisher, audit: FakeAuditLog, csv_body: str
) -> None:
    """An empty or header-only CSV carries no record: a 422 naming the body, audited, nothing
    published (it used to answer 202 with no notifications and no audit record)."""
    response = await client.post(
        "/v1/records?record_type=ssda903_missing",
        data=csv_body,
        headers=_headers(CHILDRENS_TOKEN, "text/csv"),
    )
    empty_list = await client.post("/v1/records", data="[]", headers=_headers(CHILDRENS_TOKEN))

    assert (response.status, empty_list.status) == (422, 422)
    assert response.content_type == PROBLEM
    (error,) = (await response.json())["errors"]
    assert (error["field"], error["rule"]) == ("(body)", "records")
    assert publisher.ingress == []
    assert [e.action for e in audit.entries] == [AuditAction.NOTIFICATION_REJECTED] * 2


async def test_records_in_an_unsupported_media_type_are_a_415_audited(
    client: TestClient, publisher: FakePublisher, audit: FakeAuditLog
) -> None:
    """/v1/records answers 415 to a media type it does not read, as /v1/notifications does."""
    response = await client.post(
        "/v1/records",
        data=json.dumps([MISSING_ROW]),
        headers=_headers(CHILDRENS_TOKEN, "text/plain"),
    )

    assert response.status == 415
    assert response.content_type == PROBLEM
    assert publisher.ingress == []
    assert audit.entries[-1].action is AuditAction.NOTIFICATION_REJECTED
