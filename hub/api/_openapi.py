"""The OpenAPI 3.1 document, generated from the pydantic models (never written by hand).

Pydantic emits JSON Schema 2020-12, which OpenAPI 3.1 uses as is; the models' definitions go to
``components/schemas`` and the operations refer to them. The pieces every operation is built
from (problem responses, headers, security, links) are :mod:`hub.api._openapi_parts`; the native
records are :mod:`hub.api._openapi_records`, the auditor API :mod:`hub.api._openapi_audit`.

Rules:

1. The document describes what the hub enforces: a pattern, a bound or a media type in it is
   checked by the hub, and a rule no schema can say (a check digit) is said in a description.
2. Every operation lists each status it can answer; problems carry real example renderings.
3. Links follow the stateful flows: a delivery id in one answer feeds the next operation
   (replay -> acknowledge; the inbox, :mod:`hub.api._openapi_inbox`: list -> download ->
   acknowledge), and a cursor the next page.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import models_json_schema

from hub.api._acknowledgements import Acknowledged, AcknowledgementBody
from hub.api._openapi_audit import AUDIT_MODELS, audit_paths
from hub.api._openapi_examples import CANONICAL_EXAMPLES
from hub.api._openapi_inbox import INBOX_MODELS, inbox_paths
from hub.api._openapi_parts import (
    AGENCY_TOKEN,
    EXAMPLE_CORRELATION_ID,
    SECURITY_SCHEMES,
    json_answer,
    json_body,
    link,
    problems,
    ref,
)
from hub.api._openapi_records import native_components, records_path
from hub.api._problems import Problem
from hub.api._replay import ReplayAnswer, ReplayRequest
from hub.intake import ENVELOPE_CONTENT_TYPE
from hub.sharing import Explanation
from schemas import AREA_CODE_PATTERN, CATALOGUE, notification_adapter

__all__ = ["openapi_document"]

_REF = "#/components/schemas/{model}"
_DELIVERY_ID = {"type": "string", "pattern": "^[0-9a-f]{32}$"}


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


def _components() -> dict[str, Any]:
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
    parts = (notification.pop("$defs", {}), {"Notification": notification}, native_components())
    for part in parts:
        clash = components.keys() & part.keys()
        if clash:
            raise RuntimeError(f"two schemas would be named {sorted(clash)}")
        components.update(part)
    return components


def _notification_body() -> dict[str, Any]:
    examples = {
        name: {"summary": "A synthetic notification", "value": value}
        for name, value in CANONICAL_EXAMPLES.items()
    }
    content: dict[str, Any] = {
        media: {"schema": ref("Notification"), **({"examples": examples} if examples else {})}
        for media in ("application/cloudevents+json", "application/json")
    }
    content[ENVELOPE_CONTENT_TYPE] = {"schema": _SOURCE_ENVELOPE}
    return {"required": True, "content": content}


# docs/wire-format.md section 5: what an agency that seals and signs at its own edge posts.
SOURCE_ENVELOPE_MEMBERS = ("v", "source", "message_id", "sig_kid", "sig", "enc_kid", "suite", "ct")
_SOURCE_ENVELOPE: dict[str, Any] = {
    "type": "object",
    "description": (
        "A source envelope the agency sealed to the hub and signed itself (docs/wire-format.md "
        "sections 5 and 5a); it must come in a request signed by the agency (Signature-Input, "
        "Signature, Content-Digest). The hub's API checks its header with public keys and "
        "commits it as it came; only the router opens it."
    ),
    "properties": {name: {"type": "string", "minLength": 1} for name in SOURCE_ENVELOPE_MEMBERS}
    | {"v": {"const": "sehub-source-1"}},
    "required": list(SOURCE_ENVELOPE_MEMBERS),
    "additionalProperties": False,
}


def _signature_headers() -> list[dict[str, Any]]:
    """RFC 9421 request signatures and the RFC 9530 digest they cover (docs/wire-format.md 5a)."""
    described = {
        "Content-Digest": "RFC 9530 digest of the body with a sha-256 member.",
        "Signature-Input": (
            'RFC 9421: covers "@method" "@path" "@query" "content-type" "content-digest", with '
            "created, keyid (the agency's signing kid) and a fresh nonce."
        ),
        "Signature": "RFC 9421: the agency's Ed25519 signature over the signature base.",
    }
    return [
        {
            "name": name,
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": f"{text} Required with an envelope, and for an agency that signs "
            "at its edge; checked whenever sent.",
        }
        for name, text in described.items()
    ]


def _post_notification() -> dict[str, Any]:
    return {
        "operationId": "postNotification",
        "summary": "Post a notification for routing under the sharing protocol.",
        "description": (
            "JSON is validated strictly: a wrong type is a 422 naming the field, never coerced. "
            "The source must be the calling agency's own URN."
        ),
        "security": AGENCY_TOKEN,
        "parameters": _signature_headers(),
        "requestBody": _notification_body(),
        "responses": {
            "202": json_answer(
                "Accepted: confirmed durable by the broker.",
                "Accepted",
                example={
                    "id": "demo-missing-0001",
                    "status": "accepted",
                    "correlation_id": EXAMPLE_CORRELATION_ID,
                },
            ),
            **problems(
                {
                    400: "An envelope whose header does not check (docs/wire-format.md 5a).",
                    401: (
                        "No or unknown bearer token; or a request signature that does not "
                        "verify, is stale or replays a nonce."
                    ),
                    403: (
                        "The source is not the authenticated agency; an agency that signs "
                        "at its edge posted anything but an envelope; or the token may not post "
                        "this notification type (or, limited to types, an envelope)."
                    ),
                    409: "This source and id were accepted before with other content.",
                    413: "The body is too large.",
                    415: "Not a JSON media type, nor a source envelope.",
                    422: "Validation failed; errors name each field and rule.",
                    503: "Broker or audit store unavailable; retry later.",
                }
            ),
        },
    }


def _explain() -> dict[str, Any]:
    return {
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
        "security": AGENCY_TOKEN,
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
        "requestBody": _notification_body(),
        "responses": {
            "200": json_answer("The explanation.", "Explanation"),
            **problems(
                {
                    400: "placed_in is not an LA code.",
                    401: "No or unknown bearer token.",
                    403: "The agency does not have the protocol_admin role.",
                    413: "The body is too large.",
                    415: "Not a JSON media type.",
                    422: "Validation failed; errors name each field and rule.",
                    500: "No protocol is configured.",
                }
            ),
        },
    }


def _acknowledge() -> dict[str, Any]:
    return {
        "operationId": "acknowledgeDelivery",
        "summary": "Acknowledge one of your agency's deliveries (received, actioned, "
        "declined); stops its escalation ladder.",
        "security": AGENCY_TOKEN,
        "parameters": [
            {
                "name": "delivery_id",
                "in": "path",
                "required": True,
                "schema": _DELIVERY_ID,
                "description": "The delivery's id, as in the delivered document.",
            }
        ],
        "requestBody": json_body(
            "AcknowledgementBody",
            examples={
                "received": {"action": "received", "by": "duty-officer-17"},
                "actioned": {"action": "actioned", "by": "mash-team", "note_ref": "NOTE-2231"},
            },
        ),
        "responses": {
            "200": json_answer(
                "Recorded, or recorded before alike.",
                "Acknowledged",
                example={
                    "delivery_id": "5d41402abc4b2a76b9719d911017c592",
                    "action": "received",
                    "status": "acknowledged",
                    "escalations_stopped": 1,
                    "correlation_id": EXAMPLE_CORRELATION_ID,
                },
            ),
            **problems(
                {
                    401: "No or unknown bearer token.",
                    403: "An auditor's credential.",
                    404: "No such delivery for your agency.",
                    409: "Acknowledged with this action by someone else.",
                    415: "Not application/json.",
                    422: "Validation failed; errors name each field and rule.",
                    503: "The database is unavailable; retry later.",
                }
            ),
        },
    }


def _replay() -> dict[str, Any]:
    return {
        "operationId": "replayDeliveries",
        "summary": "Send your agency's copies again, marked replayed, a page at a "
        "time (since a time, then after the cursor given).",
        "security": AGENCY_TOKEN,
        "requestBody": json_body(
            "ReplayRequest",
            examples={
                "first page": {"since": "2026-11-28T00:00:00Z", "limit": 100},
                "next page": {"after": "opaque-cursor-from-next"},
            },
        ),
        "responses": {
            "200": json_answer(
                "This page was sent again.",
                "ReplayAnswer",
                example={
                    "replayed": 1,
                    "delivery_ids": ["5d41402abc4b2a76b9719d911017c592"],
                    "next": None,
                    "correlation_id": EXAMPLE_CORRELATION_ID,
                },
                links={
                    "nextPage": link(
                        "replayDeliveries",
                        "The next page, after this page's cursor (none once next is null).",
                        requestBody={"after": "$response.body#/next"},
                    ),
                    "acknowledgeFirst": link(
                        "acknowledgeDelivery",
                        "Acknowledge the first delivery sent again.",
                        delivery_id="$response.body#/delivery_ids/0",
                    ),
                },
            ),
            **problems(
                {
                    401: "No or unknown bearer token.",
                    403: "An auditor's credential.",
                    415: "Not application/json.",
                    422: "Neither or both of since and after, or a bad cursor.",
                    503: "Broker or database unavailable; retry later.",
                }
            ),
        },
    }


def _operational() -> dict[str, Any]:
    alive = {"status": "ok"}
    ready = {"status": "ready", "checks": {"broker": "ok", "database": "ok"}}
    return {
        "/healthz": {
            "get": {
                "operationId": "health",
                "summary": "The process is alive.",
                "responses": {"200": json_answer("Alive.", "Health", example=alive)},
            }
        },
        "/readyz": {
            "get": {
                "operationId": "readiness",
                "summary": "The broker and the database are reachable.",
                "responses": {
                    "200": json_answer("Ready.", "Health", example=ready),
                    "503": json_answer("Not ready; checks say which part is down.", "Health"),
                },
            }
        },
    }


@cache
def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document for the hub's HTTP API."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Safeguarding information-sharing hub",
            "version": "1",
            "description": (
                "Agencies post canonical notifications (CloudEvents 1.0, structured JSON) or "
                "their native records. Known types: "
                f"{', '.join(sorted(CATALOGUE))}."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": _with_access(
            {
                "/v1/notifications": {"post": _post_notification()},
                "/v1/records": records_path(),
                "/v1/admin/protocol/explain": {"post": _explain()},
                "/v1/deliveries/{delivery_id}/acknowledgements": {"post": _acknowledge()},
                "/v1/deliveries/replay": {"post": _replay()},
                **audit_paths(),
                **inbox_paths(),
                **_operational(),
            }
        ),
        "components": {"schemas": _components(), "securitySchemes": SECURITY_SCHEMES},
    }


#: (method, path) -> the token scope the operation needs (hub.agencies.Scope); the handlers
#: check it, and tests/unit/test_route_scopes.py holds this table to theirs.
OPERATION_SCOPES: dict[tuple[str, str], str] = {
    ("post", "/v1/notifications"): "post",
    ("post", "/v1/records"): "post",
    ("post", "/v1/admin/protocol/explain"): "explain",
    ("post", "/v1/audit/records"): "audit",
    ("post", "/v1/audit/export"): "audit",
    ("post", "/v1/audit/disclosures"): "audit",
    ("post", "/v1/deliveries/{delivery_id}/acknowledgements"): "inbox",
    ("post", "/v1/deliveries/replay"): "inbox",
    ("get", "/v1/inbox"): "inbox",
    ("get", "/v1/inbox/{delivery_id}"): "inbox",
}


def _with_access(paths: dict[str, Any]) -> dict[str, Any]:
    """Every authenticated operation names its scope and documents the refusals every one of
    them can answer: 403 without the scope, 429 over the agency's (or, before authentication,
    the address's) rate."""
    for path, item in paths.items():
        for method, operation in item.items():
            scope = OPERATION_SCOPES.get((method, path))
            if scope is None:
                continue
            operation["x-sehub-scope"] = scope
            refusals = {
                403: "An auditor's credential, or a token without the scope.",
                429: "Over the request rate; Retry-After says when to try again.",
            }
            for status, answer in problems(refusals).items():
                operation["responses"].setdefault(status, answer)
    return paths
