"""The auditor API on the real databases: who may ask, what they get, and that asking is audited.

Records are made by routing synthetic notifications with the real router and SQL stores (the
publisher is a fake: this file is about the audit log, the broker has its own tests).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from stdnum.gb import nhs, upn

from hub.agencies import Agency, AgencyDirectory
from hub.api import ApiDependencies, AuditPage, AuditRecord, Disclosures, create_app
from hub.audit import AuditAction
from hub.inspection import Inspection
from hub.pseudonyms import Pseudonymiser
from hub.routing import Router
from hub.stores import SqlAuditLog, SqlAuditReader, SqlRoutingStore, SqlSubjectKeys
from protocols import load_protocol
from tests.credentials import token_of
from tests.fakes import FakePublisher, FixedClock, fake_intake, provisioned_keys
from tests.fixtures import example_event
from tests.integration.conftest import REPO

PROTOCOL = load_protocol(REPO / "protocols" / "northumberland.yaml")
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
CHILDRENS = "northumberland-childrens"
POLICE = "northumbria-police"
EDUCATION = "northumberland-education"
AUDITOR = "inspector-one"
TOKENS = {CHILDRENS: "t-childrens", POLICE: "t-police", EDUCATION: "t-education", AUDITOR: "t-au"}
KINDS = {CHILDRENS: "children_services", POLICE: "police", EDUCATION: "education"}

A_NHS, A_UPN, A_LOCAL = "9434765919", "H801200001001", "CHILD-A-001"
B_NHS = next(n for n in (f"94347659{i:02d}" for i in range(100)) if nhs.is_valid(n))
B_UPN = upn.calc_check_digit("801200002002") + "801200002002"
UNKNOWN_NHS = next(n for n in (f"40107764{i:02d}" for i in range(100)) if nhs.is_valid(n))
ENDPOINTS = ("/v1/audit/records", "/v1/audit/export", "/v1/audit/disclosures")


def _event(event_id: str, *, nhs_number: str, upn_: str, local_id: str) -> dict[str, Any]:
    event = example_event()
    event["id"] = event_id
    event["episodeid"] = f"EP-{event_id}"
    event["data"]["person"].update(nhs_number=nhs_number, upn=upn_, local_id=local_id)
    return event


EVENTS = (
    _event("a-1", nhs_number=A_NHS, upn_=A_UPN, local_id=A_LOCAL),
    _event("b-1", nhs_number=B_NHS, upn_=B_UPN, local_id="CHILD-B-001"),
    _event("a-2", nhs_number=A_NHS, upn_=A_UPN, local_id=A_LOCAL),
)


@dataclass
class AuditedHub:
    client: TestClient
    audit: SqlAuditLog

    async def ask(self, path: str, body: dict[str, Any], token: str = TOKENS[AUDITOR]) -> Any:
        return await self.client.post(
            path, data=json.dumps(body), headers=_headers(token, "application/json")
        )

    async def records(self, **body: Any) -> list[dict[str, Any]]:
        """Every record matching ``body``, page by page."""
        found: list[dict[str, Any]] = []
        cursor = None
        while True:
            response = await self.ask("/v1/audit/records", {**body, "cursor": cursor})
            assert response.status == 200, await response.text()
            page = await response.json()
            AuditPage.model_validate(page)  # the answer is what the OpenAPI document says
            found.extend(page["records"])
            cursor = page["next_cursor"]
            if cursor is None:
                return found


def _headers(token: str, content_type: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": content_type}


def _directory() -> AgencyDirectory:
    agencies = [
        Agency(
            id=agency_id,
            name=agency_id,
            kind=KINDS[agency_id],
            la_code=None if agency_id == POLICE else "929",
            tokens=(token_of(TOKENS[agency_id]),),
        )
        for agency_id in KINDS
    ]
    auditor = Agency(
        id=AUDITOR,
        name="Inspector",
        kind="auditor",
        roles=("auditor",),
        tokens=(token_of(TOKENS[AUDITOR], "audit"),),
    )
    return AgencyDirectory((*agencies, auditor))


@pytest.fixture
async def audited(fresh_database_url: str, tmp_path: Path) -> AsyncIterator[AuditedHub]:
    """Three notifications routed into a fresh audit log, and the API in front of it."""
    audit = SqlAuditLog.from_url(fresh_database_url)
    await audit.migrate()
    engine = audit._engine  # one engine for every store, as bootstrap wires it
    keys = provisioned_keys(tmp_path / "keys", PROTOCOL.party_ids)
    pseudonyms = Pseudonymiser(b"p" * 32)
    subject_keys = SqlSubjectKeys(engine)
    clock = FixedClock(NOW)
    router = Router(
        PROTOCOL,
        publisher=FakePublisher(),
        audit=audit,
        state=SqlRoutingStore(engine),
        subject_keys=subject_keys,
        pseudonyms=pseudonyms,
        keys=keys,
        clock=clock,
    )
    for minute, event in enumerate(EVENTS):
        clock.now = NOW + timedelta(minutes=minute)
        body = json.dumps(event).encode()
        await router.route(keys.seal_source(CHILDRENS, body, message_id=event["id"], now=NOW), None)
    clock.now = NOW + timedelta(hours=1)
    deps = ApiDependencies(
        intake=fake_intake(FakePublisher(), audit, clock, keys=keys, max_body_bytes=65536),
        agencies=_directory(),
        readiness={},
        max_body_bytes=65536,
        protocol=PROTOCOL,
        audit=audit,
        inspection=Inspection(SqlAuditReader(engine), audit, subject_keys, pseudonyms, clock),
        clock=clock,
    )
    async with TestClient(TestServer(create_app(deps))) as client:
        yield AuditedHub(client, audit)
    await audit.close()


@pytest.mark.parametrize("agency", sorted(KINDS))
@pytest.mark.parametrize("path", ENDPOINTS)
async def test_an_agency_is_refused_every_auditor_endpoint_and_it_is_audited(
    audited: AuditedHub, agency: str, path: str
) -> None:
    """Each agency's own credential gets a 403 on each auditor endpoint, recorded as refused."""
    response = await audited.ask(path, {"subject": {"nhs_number": A_NHS}}, TOKENS[agency])
    assert response.status == 403
    assert A_NHS not in await response.text()
    refused = await audited.audit.entries(action=AuditAction.ACCESS_REFUSED)
    assert [(e.actor, e.detail["route"]) for e in refused] == [(agency, path)]
    assert await audited.audit.entries(action=AuditAction.AUDIT_QUERIED) == []


@pytest.mark.parametrize("path", ENDPOINTS)
async def test_no_or_an_unknown_token_is_401(audited: AuditedHub, path: str) -> None:
    """Without a credential the auditor endpoints answer 401 and nothing is queried."""
    response = await audited.client.post(path, json={})
    assert response.status == 401
    response = await audited.ask(path, {}, token="not-a-token")
    assert response.status == 401
    assert await audited.audit.entries(action=AuditAction.AUDIT_QUERIED) == []


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/v1/notifications", "application/cloudevents+json"),
        ("/v1/records", "application/json"),
        ("/v1/admin/protocol/explain", "application/json"),
    ],
)
async def test_an_auditor_cannot_post_or_explain(
    audited: AuditedHub, path: str, content_type: str
) -> None:
    """An auditor's credential is refused (403, audited) wherever notifications go in."""
    event = _event("au-1", nhs_number=A_NHS, upn_=A_UPN, local_id=A_LOCAL)
    event["source"] = f"urn:sehub:agency:{AUDITOR}"
    response = await audited.client.post(
        path, data=json.dumps(event), headers=_headers(TOKENS[AUDITOR], content_type)
    )
    assert response.status == 403
    refused = await audited.audit.entries(action=AuditAction.ACCESS_REFUSED)
    assert [(e.actor, e.detail["route"]) for e in refused] == [(AUDITOR, path)]
    assert await audited.audit.entries(action=AuditAction.NOTIFICATION_ACCEPTED) == []


@pytest.mark.parametrize(
    "subject",
    [{"nhs_number": A_NHS}, {"upn": A_UPN}, {"local_id": A_LOCAL, "agency": CHILDRENS}],
    ids=["nhs_number", "upn", "local_id"],
)
async def test_a_subject_is_found_by_any_of_its_identifiers(
    audited: AuditedHub, subject: dict[str, str]
) -> None:
    """By NHS number, UPN or the publisher's own id, the same records: those of a-1 and a-2."""
    found = await audited.records(subject=subject, actions=["notification.shared"])
    assert {record["notification_id"] for record in found} == {"a-1", "a-2"}
    shared = await audited.audit.entries(action=AuditAction.NOTIFICATION_SHARED)
    assert len(found) == sum(e.notification_id in {"a-1", "a-2"} for e in shared)


async def test_an_unknown_subject_matches_nothing_and_is_still_audited(
    audited: AuditedHub,
) -> None:
    """A valid NHS number the hub never saw finds no record; the query is recorded, unnamed."""
    found = await audited.records(subject={"nhs_number": UNKNOWN_NHS})
    assert found == []
    [asked] = await audited.audit.entries(action=AuditAction.AUDIT_QUERIED)
    assert asked.detail["subject_known"] is False
    assert asked.detail["subjects"] == []
    assert UNKNOWN_NHS not in json.dumps(asked.detail)


async def test_every_query_is_audited_and_shows_in_the_log_it_queries(
    audited: AuditedHub,
) -> None:
    """A query by subject is an audit.queried record naming the auditor and the token of the
    identifier asked by, never the identifier, and a later query by it lists the earlier one."""
    await audited.records(subject={"nhs_number": A_NHS})
    [asked] = await audited.audit.entries(action=AuditAction.AUDIT_QUERIED)
    assert (asked.actor, asked.detail["endpoint"], asked.detail["subject_by"]) == (
        AUDITOR,
        "records",
        "nhs_number",
    )
    assert A_NHS not in json.dumps(asked.detail)
    later = await audited.records(subject={"nhs_number": A_NHS}, actions=["audit.queried"])
    assert [record["actor"] for record in later] == [AUDITOR, AUDITOR]
    assert later[0]["detail"]["subjects"] == asked.detail["subjects"]


async def test_pages_cover_the_listing_once_in_order(audited: AuditedHub) -> None:
    """Paging two at a time gives every record once, in (time, seq) order, as one big page."""
    paged = await audited.records(limit=2)
    response = await audited.ask("/v1/audit/records", {"limit": 1000})
    whole = (await response.json())["records"]
    by_key = [r["seq"] for r in paged if r["action"] != "audit.queried"]
    assert by_key == [r["seq"] for r in whole if r["action"] != "audit.queried"]
    assert len(by_key) == len(set(by_key)) > 4
    times = [(r["recorded_at"], r["seq"]) for r in paged]
    assert times == sorted(times)


async def test_a_cursor_only_serves_its_own_query(audited: AuditedHub) -> None:
    """A cursor sent with other filters, or made up, is a 400 problem."""
    response = await audited.ask("/v1/audit/records", {"limit": 1})
    cursor = (await response.json())["next_cursor"]
    assert cursor is not None
    other = await audited.ask("/v1/audit/records", {"limit": 1, "cursor": cursor, "agency": POLICE})
    assert other.status == 400
    made_up = await audited.ask("/v1/audit/records", {"cursor": "bm90LWEtY3Vyc29y"})
    assert made_up.status == 400
    asked = await audited.audit.entries(action=AuditAction.AUDIT_QUERIED)
    assert [e.detail["page"] for e in asked] == [False, True, True]  # refused cursors too


async def test_filters_by_agency_type_action_and_time(audited: AuditedHub) -> None:
    """Each filter narrows to the records that satisfy it, and together they all hold."""
    told_police = await audited.records(agency=POLICE, actions=["notification.shared"])
    assert {(r["recipient"], r["notification_id"]) for r in told_police} == {
        (POLICE, "a-1"),
        (POLICE, "b-1"),
        (POLICE, "a-2"),
    }
    since = (NOW + timedelta(seconds=30)).isoformat()
    until = (NOW + timedelta(minutes=1, seconds=30)).isoformat()
    in_range = await audited.records(
        since=since, until=until, notification_type="uk.sehub.missing_episode.started.v1"
    )
    assert {r["notification_id"] for r in in_range} == {"b-1"}
    none = await audited.records(notification_type="uk.sehub.placement.started.v1")
    assert none == []


async def test_the_disclosure_view_says_who_was_told_what(audited: AuditedHub) -> None:
    """For subject A: both notifications, each recipient with its rule, basis and field names,
    and the refusals with their reasons, as the shared and refused records say."""
    response = await audited.ask("/v1/audit/disclosures", {"subject": {"nhs_number": A_NHS}})
    assert response.status == 200
    view = await response.json()
    Disclosures.model_validate(view)  # the answer is what the OpenAPI document says
    assert view["subject"] == {"by": "nhs_number", "known": True}
    assert [n["notification_id"] for n in view["notifications"]] == ["a-1", "a-2"]
    shared = await audited.audit.entries(
        notification_id="a-1", action=AuditAction.NOTIFICATION_SHARED
    )
    first = view["notifications"][0]
    assert first["publisher"] == CHILDRENS
    assert [(t["recipient"], t["rule_id"], t["shared"], t["withheld"]) for t in first["told"]] == [
        (e.recipient, e.rule_id, e.detail["shared"], e.detail["withheld"])
        for e in sorted(shared, key=lambda e: e.recipient or "")
    ]
    police = next(t for t in first["told"] if t["recipient"] == POLICE)
    assert "data.person.nhs_number" in police["withheld"]  # the police's purpose does not need it
    assert "data.person.nhs_number" not in police["shared"]
    assert "data.person.local_id" in police["shared"]
    assert police["lawful_basis"]
    education = next(t for t in first["told"] if t["recipient"] == EDUCATION)
    assert education["rule_id"] == "missing-pupil-to-school-from-council"
    assert [p for p in education["shared"] if p.startswith("data.")] == [
        "data.missing_type",
        "data.person.upn",
        "data.started_on",
    ]
    refused = await audited.audit.entries(notification_id="a-1", action=AuditAction.SHARING_REFUSED)
    listed = [(r["recipient"], r["rule_id"], r["reason"]) for r in first["refused"]]
    assert listed
    assert set(listed) <= {(e.recipient, e.rule_id, e.detail["reason"]) for e in refused}
    assert A_NHS not in json.dumps(view)


def _refusal_order(refusal: tuple[str | None, str | None, str]) -> tuple[str, str, str]:
    recipient, rule_id, reason = refusal
    return (recipient or "", rule_id or "", reason)


async def test_the_disclosure_view_lists_every_refusal_of_a_notification(
    audited: AuditedHub,
) -> None:
    """Every sharing.refused record of a notification about the subject is in the view, even
    several for one recipient or for none (a role that resolved to no one).

    FAILS on the code at the time of writing: hub.audit._disclosure keeps refusals in a dict
    keyed by recipient, so a later refusal for the same recipient (here the publisher, refused
    twice as the child's resident and responsible council; or any two roles that reach nobody)
    overwrites an earlier one, and a data protection officer sees fewer refusals than were
    decided.
    """
    response = await audited.ask("/v1/audit/disclosures", {"subject": {"nhs_number": A_NHS}})
    first = (await response.json())["notifications"][0]
    refused = await audited.audit.entries(notification_id="a-1", action=AuditAction.SHARING_REFUSED)
    decided = [(e.recipient, e.rule_id, e.detail["reason"]) for e in refused]
    listed = [(r["recipient"], r["rule_id"], r["reason"]) for r in first["refused"]]
    assert sorted(listed, key=_refusal_order) == sorted(decided, key=_refusal_order)


async def test_exports_stream_every_matching_record_as_jsonl_and_csv(
    audited: AuditedHub,
) -> None:
    """JSON Lines and CSV exports hold the same records as the paged listing."""
    listed = await audited.records(actions=["notification.shared", "sharing.refused"])
    query = {"actions": ["notification.shared", "sharing.refused"]}
    jsonl = await audited.ask("/v1/audit/export", {**query, "format": "jsonl"})
    assert jsonl.status == 200
    assert jsonl.content_type == "application/jsonl"
    lines = [json.loads(line) for line in (await jsonl.text()).splitlines()]
    assert all(AuditRecord.model_validate(line) for line in lines)
    assert lines == listed
    as_csv = await audited.ask("/v1/audit/export", {**query, "format": "csv"})
    assert as_csv.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(await as_csv.text())))
    assert [int(row["seq"]) for row in rows] == [record["seq"] for record in listed]
    assert [json.loads(row["detail"]) for row in rows] == [r["detail"] for r in listed]
    exports = await audited.audit.entries(action=AuditAction.AUDIT_QUERIED)
    assert [e.detail["format"] for e in exports if e.detail["endpoint"] == "export"] == [
        "jsonl",
        "csv",
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject": {"nhs_number": "1234567890"}}, "subject.nhs_number"),
        ({"subject": {"upn": "X999"}}, "subject.upn"),
        ({"limit": 5000}, "limit"),
        ({"actions": ["notification.leaked"]}, "actions.0"),
        ({"surname-smith": 1}, "(unknown field #1)"),
    ],
)
async def test_a_bad_query_is_422_naming_the_field_never_the_value(
    audited: AuditedHub, body: dict[str, Any], field: str
) -> None:
    """A bad identifier, limit, action or key is named in the problem, not echoed, and audited."""
    response = await audited.ask("/v1/audit/records", body)
    assert response.status == 422
    problem = await response.json()
    assert field in [error["field"] for error in problem["errors"]]
    text = json.dumps(problem)
    for value in ("1234567890", "X999", "notification.leaked", "surname-smith"):
        assert value not in text
    [asked] = await audited.audit.entries(action=AuditAction.AUDIT_QUERIED)
    assert asked.detail["rejected"] == field or field in asked.detail["rejected"].split(",")
    assert "surname" not in json.dumps(asked.detail)
