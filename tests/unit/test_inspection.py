"""The pure parts of the auditor API: identifiers, cursors, CSV cells, auditors in the directory,
and that a query whose audit record cannot be written is not answered."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from hub import InvalidQuery, PeerError, StoreUnavailable
from hub.agencies import Agency
from hub.api import csv_cell
from hub.audit import (
    AuditAction,
    AuditEntry,
    AuditQuery,
    ListedRecord,
    Position,
    decode_cursor,
    disclosures,
    encode_cursor,
)
from hub.inspection import Inspection, RecordsRequest, SubjectIdentifier, parse_request
from hub.pseudonyms import Pseudonymiser
from tests.fakes import FakeAuditLog, FakeSubjectKeys, FixedClock

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
NHS = "9434765919"


@pytest.mark.parametrize(
    "given",
    [
        {},
        {"nhs_number": NHS, "upn": "H801200001001"},
        {"local_id": "C-1"},
        {"agency": "northumbria-police", "nhs_number": NHS},
    ],
)
def test_a_subject_is_exactly_one_identifier(given: dict[str, str]) -> None:
    """None, two, a local id without its agency, or an agency without a local id: refused."""
    with pytest.raises(InvalidQuery):
        parse_request(SubjectIdentifier, repr(given).replace("'", '"').encode())


def test_each_identifier_pseudonymises_as_the_router_does() -> None:
    """The auditor's NHS number, UPN and local id meet the pseudonyms the router computed."""
    pseudonyms = Pseudonymiser(b"k" * 32)
    assert SubjectIdentifier(nhs_number=NHS).pseudonym(pseudonyms) == pseudonyms.nhs(NHS)
    local = SubjectIdentifier(local_id="C-1", agency="northumberland-childrens")
    assert local.pseudonym(pseudonyms) == pseudonyms.local(
        "urn:sehub:agency:northumberland-childrens", "C-1"
    )
    assert local.kind == "local_id"


def test_a_strict_query_refuses_coerced_types() -> None:
    """A limit sent as text is a type error naming ``limit``, not silently converted."""
    with pytest.raises(InvalidQuery) as caught:
        parse_request(RecordsRequest, b'{"limit": "10"}')
    assert [problem.field for problem in caught.value.problems] == ["limit"]


def test_a_cursor_round_trips_and_is_bound_to_its_query() -> None:
    """A cursor gives back its position with its own query, and is refused with any other."""
    query = AuditQuery(agency="northumbria-police")
    position = Position(NOW, 42)
    assert decode_cursor(encode_cursor(position, query), query) == position
    with pytest.raises(PeerError):
        decode_cursor(encode_cursor(position, query), AuditQuery(agency="durham-childrens"))
    with pytest.raises(PeerError):
        decode_cursor("%%%not-base64", query)


@pytest.mark.parametrize("value", ["=HYPERLINK(1)", "+1", "-1", "@SUM(A1)", "\tx"])
def test_a_csv_cell_never_starts_a_formula(value: str) -> None:
    """A value a spreadsheet would run is prefixed with a quote."""
    assert csv_cell(value) == "'" + value


def test_a_csv_cell_keeps_plain_values_and_writes_objects_as_json() -> None:
    """Ids stay as they are; a detail object becomes sorted JSON; None is empty."""
    assert csv_cell("demo-missing-0001") == "demo-missing-0001"
    assert csv_cell({"b": 1, "a": [2]}) == '{"a": [2], "b": 1}'
    assert csv_cell(None) == ""


def test_an_auditor_is_only_an_auditor() -> None:
    """The auditor role needs the kind auditor, and an auditor has no LA and no other role."""
    Agency(id="inspector", name="I", kind="auditor", roles=("auditor",))
    with pytest.raises(ValueError, match="go together"):
        Agency(id="inspector", name="I", kind="police", roles=("auditor",))
    with pytest.raises(ValueError, match="go together"):
        Agency(id="inspector", name="I", kind="auditor")
    with pytest.raises(ValueError, match="no LA code"):
        Agency(id="inspector", name="I", kind="auditor", roles=("auditor",), la_code="929")


def _listed(seq: int, action: AuditAction, **fields: object) -> ListedRecord:
    entry = AuditEntry(action=action, recorded_at=NOW + timedelta(seconds=seq), **fields)  # type: ignore[arg-type]
    return ListedRecord(seq=seq, record_hash=f"{seq:064x}", entry=entry)


def test_the_disclosure_view_renders_the_records_only() -> None:
    """Told, refused, accepted and published come from their records; another publisher's
    notification with the same id is not mixed in."""
    common = {"notification_id": "n-1", "actor": "northumberland-childrens"}
    about = [
        _listed(
            2,
            AuditAction.NOTIFICATION_SHARED,
            recipient="northumbria-police",
            rule_id="r-1",
            detail={"shared": ["data.a"], "withheld": ["data.b"], "lawful_basis": ["x"]},
            **common,
        ),
        _listed(
            3,
            AuditAction.SHARING_REFUSED,
            recipient="northumberland-adults",
            rule_id=None,
            detail={"reason": "no rule"},
            **common,
        ),
    ]
    related = [
        _listed(1, AuditAction.NOTIFICATION_ACCEPTED, **common),
        _listed(4, AuditAction.DELIVERY_PUBLISHED, recipient="northumbria-police", **common),
        _listed(
            5,
            AuditAction.DELIVERY_PUBLISHED,
            recipient="northumbria-police",
            notification_id="n-1",
            actor="durham-childrens",
        ),
    ]
    [view] = [v.to_json() for v in disclosures(about, related)]
    assert view["accepted_at"] == "2026-12-01T09:00:01.000000Z"
    [told] = view["told"]
    assert (told["shared"], told["withheld"], told["records"]) == (["data.a"], ["data.b"], [2, 4])
    assert told["published_at"] == "2026-12-01T09:00:04.000000Z"
    assert view["refused"] == [
        {
            "recipient": "northumberland-adults",
            "rule_id": None,
            "reason": "no rule",
            "decided_at": "2026-12-01T09:00:03.000000Z",
            "records": [3],
        }
    ]


def test_the_disclosure_view_says_what_became_of_each_copy() -> None:
    """The copy's missed deadline, its escalation, the acknowledgement of that escalation by
    the police, and the clock alert the notification set off, each from its own record."""
    common = {"notification_id": "n-2", "actor": "northumberland-childrens"}
    copy, step = "a" * 32, "b" * 32
    about = [
        _listed(
            1,
            AuditAction.NOTIFICATION_SHARED,
            recipient="northumbria-police",
            detail={"delivery_id": copy, "shared": [], "withheld": []},
            **common,
        ),
        _listed(
            2,
            AuditAction.DEADLINE_MISSED,
            recipient="northumbria-police",
            detail={"unacknowledged_delivery_id": copy},
            **common,
        ),
        _listed(
            3,
            AuditAction.DELIVERY_ESCALATED,
            recipient="northumbria-police",
            detail={
                "delivery_id": step,
                "unacknowledged_delivery_id": copy,
                "step": 1,
                "addressed_to": "duty-team",
            },
            **common,
        ),
        _listed(
            4,
            AuditAction.DELIVERY_ACKNOWLEDGED,
            recipient="northumbria-police",
            notification_id="n-2",
            actor="northumbria-police",
            detail={"delivery_id": step, "action": "actioned", "by": "duty.sergeant.2"},
        ),
        _listed(
            5,
            AuditAction.CLOCK_FIRED,
            recipient="northumbria-police",
            detail={"clock_id": "return-interview-overdue"},
            **common,
        ),
    ]
    [view] = [v.to_json() for v in disclosures(about, [])]
    [told] = view["told"]
    assert told["deadline_missed_at"] == "2026-12-01T09:00:02.000000Z"
    assert [(e["step"], e["addressed_to"]) for e in told["escalations"]] == [(1, "duty-team")]
    assert told["acknowledged"] == [
        {
            "action": "actioned",
            "by": "duty.sergeant.2",
            "agency": "northumbria-police",
            "of": "escalation",
            "acknowledged_at": "2026-12-01T09:00:04.000000Z",
        }
    ]
    assert told["records"] == [1, 2, 3, 4]
    assert [(a["clock_id"], a["recipient"]) for a in view["alerts"]] == [
        ("return-interview-overdue", "northumbria-police")
    ]


class _UnreadReader:
    """A reader that fails the test if it is ever read."""

    async def page(
        self, query: AuditQuery, *, after: Position | None = None, limit: int = 100
    ) -> list[ListedRecord]:
        raise AssertionError("read before the query was audited")

    def stream(self, query: AuditQuery) -> AsyncIterator[ListedRecord]:
        raise AssertionError("read before the query was audited")

    async def of_notifications(
        self, notifications: Iterable[tuple[str | None, str]]
    ) -> list[ListedRecord]:
        raise AssertionError("read before the query was audited")


async def test_a_query_that_cannot_be_audited_is_not_answered() -> None:
    """With the audit store down the query fails (503) before anything is read."""
    inspection = Inspection(
        _UnreadReader(),
        FakeAuditLog(fail=True),
        FakeSubjectKeys(),
        Pseudonymiser(b"k" * 32),
        FixedClock(NOW),
    )
    with pytest.raises(StoreUnavailable):
        await inspection.records("inspector", RecordsRequest(), None)


def test_a_councils_child_id_is_an_identifier_an_auditor_or_an_eraser_can_give() -> None:
    """``la_child_id`` with its ``la_code`` finds the child by the key police records link by;
    one without the other is refused; a children's services id also names that key."""
    pseudonyms = Pseudonymiser(b"k" * 32)
    by_council = SubjectIdentifier(la_child_id="DUR-CHILD-0042", la_code="840")
    own = SubjectIdentifier(local_id="DUR-CHILD-0042", agency="durham-childrens")

    assert by_council.kind == "la_child_id"
    assert by_council.pseudonym(pseudonyms) == pseudonyms.la_child("840", "DUR-CHILD-0042")
    assert own.council_pseudonym(pseudonyms, "840") == by_council.pseudonym(pseudonyms)
    assert own.council_pseudonym(pseudonyms, None) is None
    assert by_council.council_pseudonym(pseudonyms, "840") is None
    with pytest.raises(ValidationError):
        SubjectIdentifier(la_child_id="DUR-CHILD-0042")
