"""The auditor API's part of the OpenAPI document: its operations and answer models.

The request models are :mod:`hub.inspection`'s own; the answer models below describe what
:mod:`hub.audit` renders, and the integration tests validate real answers against them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from hub.api._openapi_parts import AGENCY_TOKEN, json_answer, json_body, link, problems, ref
from hub.inspection import DisclosureRequest, ExportRequest, RecordsRequest

__all__ = ["AUDIT_MODELS", "AuditPage", "AuditRecord", "Disclosures", "audit_paths"]


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AuditRecord(_Answer):
    """One audit record: metadata only (ids, rules, field names, hashes, subject tokens)."""

    seq: int
    recorded_at: str
    action: str
    correlation_id: str | None
    notification_id: str | None
    notification_type: str | None
    actor: str | None
    recipient: str | None
    rule_id: str | None
    protocol_version: str | None
    detail: dict[str, Any]
    record_hash: str


class AuditPage(_Answer):
    """A page of records; send ``next_cursor`` with the same filters for the next one."""

    records: list[AuditRecord]
    next_cursor: str | None


class CopyAcknowledged(_Answer):
    """Who at the recipient acknowledged the copy (or an escalation of it), and how."""

    action: str | None
    by: str | None
    agency: str | None
    of: str
    acknowledged_at: str


class CopyEscalated(_Answer):
    """One step of the copy's ladder, released because nobody acknowledged in time."""

    step: int | None
    recipient: str | None
    addressed_to: str | None
    escalated_at: str


class Told(_Answer):
    """One recipient told: under which rule and basis, which fields, what was withheld, and
    what became of its copy."""

    recipient: str | None
    rule_id: str | None
    lawful_basis: list[str]
    purpose: str | None
    shared: list[str]
    withheld: list[str]
    acknowledge_by: str | None
    decided_at: str
    published_at: str | None
    delivery_id: str | None
    acknowledged: list[CopyAcknowledged]
    deadline_missed_at: str | None
    escalations: list[CopyEscalated]
    records: list[int]


class Alerted(_Answer):
    """A statutory clock's alert the notification set off, and when it went."""

    clock_id: str | None
    recipient: str | None
    fired_at: str
    records: list[int]


class Refused(_Answer):
    """One recipient refused, and why."""

    recipient: str | None
    rule_id: str | None
    reason: str | None
    decided_at: str
    records: list[int]


class NotificationDisclosureModel(_Answer):
    """What became of one notification about the subject."""

    notification_id: str
    notification_type: str | None
    publisher: str | None
    protocol_version: str | None
    accepted_at: str | None
    decided_at: str
    told: list[Told]
    refused: list[Refused]
    alerts: list[Alerted]


class SubjectAsked(_Answer):
    """Which kind of identifier was asked by, and whether the hub knows that subject."""

    by: str
    known: bool


class Disclosures(_Answer):
    """The disclosure view of one subject."""

    subject: SubjectAsked
    notifications: list[NotificationDisclosureModel]


AUDIT_MODELS = (AuditPage, Disclosures, RecordsRequest, ExportRequest, DisclosureRequest)


def audit_paths() -> dict[str, Any]:
    """The three auditor operations."""

    def body(model: str, example: dict[str, Any]) -> dict[str, Any]:
        return json_body(model, examples={"example": example})

    refused = {
        401: "No or unknown bearer token.",
        403: "Not an auditor's credential (audited as access.refused).",
        415: "Not application/json.",
        422: "A filter failed validation; errors name each field, never its value.",
        503: "The audit store is unavailable; nothing was answered.",
    }
    common = (
        " For auditors' credentials only; agencies get 403. The query is audited (audit.queried) "
        "before it is answered. Subjects are given by NHS number, UPN or an agency's own id, in "
        "the body (never a URL), and matched by their audit tokens. See docs/audit.md."
    )
    next_page = link(
        "listAuditRecords",
        "The next page: send next_cursor as cursor, with the same filters as this request.",
        requestBody={"cursor": "$response.body#/next_cursor"},
    )
    return {
        "/v1/audit/records": {
            "post": {
                "operationId": "listAuditRecords",
                "summary": "A page of audit records matching the filters.",
                "description": "Cursor pagination, oldest first." + common,
                "security": AGENCY_TOKEN,
                "requestBody": body(
                    "RecordsRequest", {"actions": ["notification.shared"], "limit": 50}
                ),
                "responses": {
                    "200": json_answer(
                        "A page of records.", "AuditPage", links={"nextPage": next_page}
                    ),
                    **problems({400: "The cursor is not this query's.", **refused}),
                },
            }
        },
        "/v1/audit/export": {
            "post": {
                "operationId": "exportAuditRecords",
                "summary": "Every matching audit record, streamed as JSON Lines or CSV.",
                "description": "format: jsonl (default) or csv." + common,
                "security": AGENCY_TOKEN,
                "requestBody": body("ExportRequest", {"format": "csv"}),
                "responses": {
                    "200": {
                        "description": "The records, one per line (CSV: a header row first).",
                        "content": {
                            "application/jsonl": {
                                "schema": {"type": "string"},
                                "x-item-schema": ref("AuditRecord"),
                            },
                            "text/csv": {"schema": {"type": "string"}},
                        },
                    },
                    **problems(refused),
                },
            }
        },
        "/v1/audit/disclosures": {
            "post": {
                "operationId": "subjectDisclosures",
                "summary": "Who was told what about one subject, when, why; who was refused.",
                "description": "Field names only, never values." + common,
                "security": AGENCY_TOKEN,
                "requestBody": body("DisclosureRequest", {"subject": {"nhs_number": "9434765919"}}),
                "responses": {
                    "200": json_answer("The disclosure view.", "Disclosures"),
                    **problems(refused),
                },
            }
        },
    }
