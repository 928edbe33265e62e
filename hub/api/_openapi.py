"""The OpenAPI 3.1 document, generated from the pydantic models (never written by hand).

Pydantic emits JSON Schema 2020-12, which OpenAPI 3.1 uses as is; the models' definitions go to
``components/schemas`` and the operations refer to them.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import models_json_schema

from hub.api._acknowledgements import Acknowledged, AcknowledgementBody
from hub.api._openapi_audit import AUDIT_MODELS, audit_paths
from hub.api._openapi_inbox import INBOX_MODELS, inbox_paths
from hub.api._problems import PROBLEM_CONTENT_TYPE, Problem
from hub.api._replay import ReplayAnswer, ReplayRequest
from hub.sharing import Explanation
from schemas import AREA_CODE_PATTERN, CATALOGUE, notification_adapter

__all__ = ["openapi_document"]

_REF = "#/components/schemas/{model}"


class Accepted(BaseModel):
    """The notification is durably queued for routing."""

    model_config = ConfigDict(extra="forbid")

    id: str
    status: str
    correlation_id: str


class NotificationRef(BaseModel):
    """A notification produced from a native record."""

    model_config = ConfigDict(extra="forbid")

    id: str
    type: str


class RecordsAccepted(BaseModel):
    """Every notification mapped from the records is durably queued for routing."""

    model_config = ConfigDict(extra="forbid")

    status: str
    correlation_id: str
    notifications: list[NotificationRef]


class Health(BaseModel):
    """Liveness or readiness."""

    model_config = ConfigDict(extra="forbid")

    status: str
    checks: dict[str, str] | None = None


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": _REF.format(model="Problem")}}},
    }


def _json(description: str, model: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF.format(model=model)}}},
    }


@cache
def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document for the hub's HTTP API."""
    _, definitions = models_json_schema(
        [
            (model, "validation")
            for model in (
                Problem,
                Accepted,
                RecordsAccepted,
                Health,
                Explanation,
                AcknowledgementBody,
                Acknowledged,
                ReplayRequest,
                ReplayAnswer,
                *AUDIT_MODELS,
                *INBOX_MODELS,
            )
        ],
        ref_template=_REF,
    )
    components: dict[str, Any] = dict(definitions.get("$defs", {}))
    notification = notification_adapter.json_schema(ref_template=_REF)
    components.update(notification.pop("$defs", {}))
    components["Notification"] = notification
    request_body = {
        "required": True,
        "content": {
            media: {"schema": {"$ref": _REF.format(model="Notification")}}
            for media in ("application/cloudevents+json", "application/json")
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Safeguarding information-sharing hub",
            "version": "1",
            "description": (
                "Agencies post canonical notifications (CloudEvents 1.0, structured JSON). "
                f"Known types: {', '.join(sorted(CATALOGUE))}."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/v1/notifications": {
                "post": {
                    "operationId": "postNotification",
                    "summary": "Post a notification for routing under the sharing protocol.",
                    "security": [{"agencyToken": []}],
                    "requestBody": request_body,
                    "responses": {
                        "202": _json("Accepted: confirmed durable by the broker.", "Accepted"),
                        "401": _problem("No or unknown bearer token."),
                        "403": _problem("The source is not the authenticated agency."),
                        "409": _problem(
                            "This source and id were accepted before with other content."
                        ),
                        "413": _problem("The body is too large."),
                        "415": _problem("Not a JSON media type."),
                        "422": _problem("Validation failed; errors name each field and rule."),
                        "503": _problem("Broker or audit store unavailable; retry later."),
                    },
                }
            },
            "/v1/records": {
                "post": {
                    "operationId": "postRecords",
                    "summary": "Post native records for the agency's adapter to map.",
                    "description": (
                        'A JSON array of records, {"records": [...]}, or one record, each with a '
                        "record_type and the native field names of the agency's national "
                        "return; or CSV with a header row and ?record_type=. Nothing is "
                        "published unless every record maps. See docs/adapters.md."
                    ),
                    "security": [{"agencyToken": []}],
                    "parameters": [
                        {
                            "name": "record_type",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string"},
                            "description": "The record type of every CSV row.",
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        {"type": "array", "items": {"type": "object"}},
                                        {"type": "object"},
                                    ]
                                }
                            },
                            "text/csv": {"schema": {"type": "string"}},
                        },
                    },
                    "responses": {
                        "202": _json(
                            "Accepted: every notification confirmed durable.", "RecordsAccepted"
                        ),
                        "401": _problem("No or unknown bearer token."),
                        "403": _problem(
                            "The agency's kind has no adapter: it posts canonical notifications."
                        ),
                        "409": _problem(
                            "A record's notification was accepted before with other content."
                        ),
                        "413": _problem("The body is too large."),
                        "415": _problem("Not application/json or text/csv."),
                        "422": _problem(
                            "A record failed, or there is none (an empty list, a CSV with no "
                            "rows); errors name records[i].FIELD and the rule."
                        ),
                        "503": _problem("Broker or audit store unavailable; retry later."),
                    },
                }
            },
            "/v1/admin/protocol/explain": {
                "post": {
                    "operationId": "explainNotification",
                    "summary": "Explain what the protocol decides for a notification.",
                    "description": (
                        "For protocol administrators (an agency whose directory entry has the "
                        "role protocol_admin). Runs the router's own decision on the posted "
                        "notification, publishing and storing nothing, and answers, per "
                        "recipient, the rule, lawful basis, purpose, deadline, retention and "
                        "the leaf paths shared and withheld; and every rule or recipient not "
                        "used, with the reason. Paths only, never values. Deadlines are counted "
                        "from the notification's time. See docs/protocol.md."
                    ),
                    "security": [{"agencyToken": []}],
                    "parameters": [
                        {
                            "name": "placed_in",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "pattern": AREA_CODE_PATTERN},
                            "description": (
                                "Assume the subject has an active out-of-area placement hosted "
                                "by this LA (placed by the notification's responsible LA, or "
                                "929), to see cross-border routing."
                            ),
                        }
                    ],
                    "requestBody": request_body,
                    "responses": {
                        "200": _json("The explanation.", "Explanation"),
                        "400": _problem("placed_in is not an LA code."),
                        "401": _problem("No or unknown bearer token."),
                        "403": _problem("The agency does not have the protocol_admin role."),
                        "413": _problem("The body is too large."),
                        "415": _problem("Not a JSON media type."),
                        "422": _problem("Validation failed; errors name each field and rule."),
                        "500": _problem("No protocol is configured."),
                    },
                }
            },
            "/v1/deliveries/{delivery_id}/acknowledgements": {
                "post": {
                    "operationId": "acknowledgeDelivery",
                    "summary": "Acknowledge one of your agency's deliveries (received, actioned, "
                    "declined); stops its escalation ladder.",
                    "security": [{"agencyToken": []}],
                    "parameters": [
                        {
                            "name": "delivery_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                            "description": "The delivery's id, as in the delivered document.",
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": _REF.format(model="AcknowledgementBody")}
                            }
                        },
                    },
                    "responses": {
                        "200": _json("Recorded, or recorded before alike.", "Acknowledged"),
                        "401": _problem("No or unknown bearer token."),
                        "403": _problem("An auditor's credential."),
                        "404": _problem("No such delivery for your agency."),
                        "409": _problem("Acknowledged with this action by someone else."),
                        "415": _problem("Not application/json."),
                        "422": _problem("Validation failed; errors name each field and rule."),
                        "503": _problem("The database is unavailable; retry later."),
                    },
                }
            },
            "/v1/deliveries/replay": {
                "post": {
                    "operationId": "replayDeliveries",
                    "summary": "Send your agency's copies again, marked replayed, a page at a "
                    "time (since a time, then after the cursor given).",
                    "security": [{"agencyToken": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": _REF.format(model="ReplayRequest")}
                            }
                        },
                    },
                    "responses": {
                        "200": _json("This page was sent again.", "ReplayAnswer"),
                        "401": _problem("No or unknown bearer token."),
                        "403": _problem("An auditor's credential."),
                        "415": _problem("Not application/json."),
                        "422": _problem("Neither or both of since and after, or a bad cursor."),
                        "503": _problem("Broker or database unavailable; retry later."),
                    },
                }
            },
            **audit_paths(_REF, _problem, _json),
            **inbox_paths(_REF, _problem, _json),
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "summary": "The process is alive.",
                    "responses": {"200": _json("Alive.", "Health")},
                }
            },
            "/readyz": {
                "get": {
                    "operationId": "readiness",
                    "summary": "The broker and the database are reachable.",
                    "responses": {
                        "200": _json("Ready.", "Health"),
                        "503": _json("Not ready; checks say which part is down.", "Health"),
                    },
                }
            },
        },
        "components": {
            "schemas": components,
            "securitySchemes": {
                "agencyToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The agency's token; the hub stores only its SHA-256.",
                }
            },
        },
    }
