"""The HTTP inbox's part of the OpenAPI document: list, download, and the links between them and
the acknowledgement, so that a client (or a fuzzer) can follow list -> download -> acknowledge.

The answer models are :mod:`._inbox`'s own; the opened document is
:class:`hub.messages.DeliveredNotification`.
"""

from __future__ import annotations

from typing import Any

from hub.api._inbox import InboxListing
from hub.inbox import MAX_PAGE, MAX_WAIT_SECONDS
from hub.messages import (
    DELIVERY_CONTENT_TYPE,
    DELIVERY_DOCUMENT_CONTENT_TYPE,
    DeliveredNotification,
)

__all__ = ["INBOX_MODELS", "inbox_paths"]

INBOX_MODELS = (InboxListing, DeliveredNotification)

_ID = {"type": "string", "pattern": "^[0-9a-f]{32}$"}
_FIRST = "$response.body#/deliveries/0/delivery_id"


def inbox_paths(ref: str, problem: Any, json_answer: Any) -> dict[str, Any]:
    """The two inbox operations; ``problem`` and ``json_answer`` build responses."""
    refused = {
        "401": problem("No or unknown bearer token."),
        "403": problem("An auditor's credential."),
    }
    from_listing = {
        "downloadFirst": {
            "operationId": "downloadDelivery",
            "parameters": {"delivery_id": _FIRST},
            "description": "Download the oldest pending copy.",
        },
        "acknowledgeFirst": {
            "operationId": "acknowledgeDelivery",
            "parameters": {"delivery_id": _FIRST},
            "description": "Acknowledge the oldest pending copy; it leaves the list.",
        },
    }
    listed = json_answer("A page of pending copies, oldest first (maybe empty).", "InboxListing")
    listed["links"] = from_listing
    downloaded = {
        "description": (
            "The sealed delivery envelope, byte for byte as on the agency's queue "
            "(docs/wire-format.md section 6); or, opened, the delivery document. Sehub-Delivery-Id "
            "names it and Link (rel=acknowledge) says where to acknowledge it."
        ),
        "content": {
            DELIVERY_CONTENT_TYPE: {"schema": {"type": "object"}},
            DELIVERY_DOCUMENT_CONTENT_TYPE: {
                "schema": {"$ref": ref.format(model="DeliveredNotification")}
            },
        },
        "links": {
            "acknowledge": {
                "operationId": "acknowledgeDelivery",
                "parameters": {"delivery_id": "$request.path.delivery_id"},
            }
        },
    }
    return {
        "/v1/inbox": {
            "get": {
                "operationId": "listInbox",
                "summary": "Your agency's pending copies: released to it, not yet acknowledged.",
                "description": (
                    "Metadata only. Start each poll from the first page: acknowledging a copy "
                    "takes it off the list; next pages one listing. wait long-polls: the answer "
                    "comes as soon as a copy is pending, or empty at the deadline. "
                    "See docs/inbox.md."
                ),
                "security": [{"agencyToken": []}],
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
                    },
                    {
                        "name": "after",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "maxLength": 200},
                        "description": "The next cursor of the page before.",
                    },
                    {
                        "name": "wait",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "number", "minimum": 0, "maximum": MAX_WAIT_SECONDS},
                        "description": "Seconds to wait for a copy when none is pending.",
                    },
                ],
                "responses": {
                    "200": listed,
                    **refused,
                    "404": problem("The cursor names no copy of your agency's (audited)."),
                    "422": problem("A query parameter failed validation, or a bad cursor."),
                    "503": problem("The database is unavailable; retry later."),
                },
            }
        },
        "/v1/inbox/{delivery_id}": {
            "get": {
                "operationId": "downloadDelivery",
                "summary": "Download one of your agency's copies, sealed (default) or opened.",
                "description": (
                    "Every download is audited (delivery.downloaded). Opened (open=true, or "
                    f"Accept: {DELIVERY_DOCUMENT_CONTENT_TYPE}) only where this hub holds your "
                    "agency's private key, at your own edge; otherwise 409."
                ),
                "security": [{"agencyToken": []}],
                "parameters": [
                    {"name": "delivery_id", "in": "path", "required": True, "schema": _ID},
                    {
                        "name": "open",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "boolean"},
                    },
                ],
                "responses": {
                    "200": downloaded,
                    **refused,
                    "404": problem(
                        "No such copy for your agency: another's, held, or none (audited)."
                    ),
                    "409": problem("Asked opened, but this hub holds no key of your agency."),
                    "422": problem("A query parameter failed validation."),
                    "503": problem("The database is unavailable; retry later."),
                },
            }
        },
    }
