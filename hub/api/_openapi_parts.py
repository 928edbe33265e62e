"""The pieces every operation of the OpenAPI document is built from, so each part of the
document (intake, deliveries, the auditor API, and whatever is added next) says the same
thing the same way.

Rules:

1. A problem response is described once per status, with an example that is a real
   :func:`~hub.api._problems.problem_for` rendering of the exception class the hub raises for
   that status: the example cannot drift from what the hub sends.
2. Every answer the middleware makes carries ``X-Correlation-ID``; a 401 carries
   ``WWW-Authenticate`` and a 503 ``Retry-After``, as :func:`~hub.api._problems.problem_response`
   sets them. The document says so on each response.
3. Every operation that needs a credential names :data:`AGENCY_TOKEN`; the one scheme is in
   :data:`SECURITY_SCHEMES`.
4. Links name their target by ``operationId`` and feed it values from the response with
   runtime expressions (``$response.body#/...``), so a client or a fuzzer can follow a flow.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from hub._exceptions import (
    ConfigurationError,
    Conflict,
    FieldProblem,
    Forbidden,
    HubError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    PeerError,
    ServiceError,
    TooManyRequests,
    UnsupportedMediaType,
)
from hub.api._problems import PROBLEM_CONTENT_TYPE, problem_for

__all__ = [
    "AGENCY_TOKEN",
    "EXAMPLE_CORRELATION_ID",
    "SECURITY_SCHEMES",
    "json_answer",
    "json_body",
    "link",
    "problems",
    "ref",
]

AGENCY_TOKEN: list[dict[str, list[str]]] = [{"agencyToken": []}]
SECURITY_SCHEMES: dict[str, Any] = {
    "agencyToken": {
        "type": "http",
        "scheme": "bearer",
        "description": (
            "The agency's (or an auditor's) token from the agency directory; the hub stores "
            "only its SHA-256. Each token has scopes (post, inbox, explain, audit: an "
            "operation's x-sehub-scope names the one it needs), an expiry, and may be revoked. "
            "A missing, unknown, expired or revoked token is 401, alike; a token without the "
            "scope, or a party that may not go there, is 403."
        ),
    },
    "mutualTLS": {
        "type": "mutualTLS",
        "description": (
            "Where the hub is deployed with a client CA (HUB_TLS_CLIENT_CA), every connection "
            "presents an agency's client certificate, and the bearer token must be of the same "
            "agency (docs/operations.md, Agency credentials). Not used by the demo."
        ),
    },
}
EXAMPLE_CORRELATION_ID = "3f1c9e0a-8d2b-4c71-9a55-0b6f2e4d7c18"

_STRING = {"schema": {"type": "string"}}
_CORRELATED = {
    "X-Correlation-ID": {
        "description": (
            "The request's correlation id: the caller's own if it is a UUID (lower-cased), "
            "else a new one. Nothing else is kept, so that no case reference or identifier "
            "reaches the hub's logs and audit records through it."
        ),
        "schema": {"type": "string", "format": "uuid"},
    }
}
_STATUS_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": 'Always Bearer realm="sehub".', **_STRING}},
    429: {"Retry-After": {"description": "Whole seconds until a request is allowed.", **_STRING}},
    503: {"Retry-After": {"description": "Seconds to wait before retrying.", **_STRING}},
}
_EXAMPLE_ERRORS: dict[int, type[HubError]] = {
    400: PeerError,
    401: NotAuthenticated,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    500: ConfigurationError,
    503: ServiceError,
}


def ref(model: str) -> dict[str, str]:
    """A reference to a schema in ``components/schemas``."""
    return {"$ref": f"#/components/schemas/{model}"}


def _example_problem(status: int, detail: str) -> dict[str, Any]:
    if status == 422:
        error: HubError = InvalidInput(
            "1 field(s) failed validation",
            (FieldProblem("data.person.nhs_number", "value_error", "not a valid NHS number"),),
        )
    elif status == 429:
        error = TooManyRequests(detail, 2)
    else:
        error = _EXAMPLE_ERRORS[status](detail)
    return problem_for(error, EXAMPLE_CORRELATION_ID).model_dump(exclude_none=True)


def problems(described: Mapping[int, str]) -> dict[str, Any]:
    """The problem+json responses of an operation, by status, each with its example (rule 1)."""
    answers: dict[str, Any] = {}
    for status, description in sorted(described.items()):
        example = _example_problem(status, description.rstrip("."))
        answers[str(status)] = {
            "description": description,
            "headers": {**_CORRELATED, **_STATUS_HEADERS.get(status, {})},
            "content": {
                PROBLEM_CONTENT_TYPE: {
                    "schema": ref("Problem"),
                    "examples": {HTTPStatus(status).name.lower(): {"value": example}},
                }
            },
        }
    return answers


def json_answer(
    description: str,
    model: str,
    *,
    example: Any = None,
    links: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A JSON response of ``model``, with an example and links when given."""
    media: dict[str, Any] = {"schema": ref(model)}
    if example is not None:
        media["example"] = example
    answer: dict[str, Any] = {
        "description": description,
        "headers": dict(_CORRELATED),
        "content": {"application/json": media},
    }
    if links:
        answer["links"] = dict(links)
    return answer


def json_body(model: str, *, examples: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A required ``application/json`` request body of ``model``; examples by name."""
    media: dict[str, Any] = {"schema": ref(model)}
    if examples:
        media["examples"] = {name: {"value": value} for name, value in examples.items()}
    return {"required": True, "content": {"application/json": media}}


def link(operation_id: str, description: str, **feeds: Any) -> dict[str, Any]:
    """A link to ``operation_id``: ``feeds`` are its parameters, ``requestBody`` its body."""
    body = feeds.pop("requestBody", None)
    target: dict[str, Any] = {"operationId": operation_id, "description": description}
    if feeds:
        target["parameters"] = feeds
    if body is not None:
        target["requestBody"] = body
    return target
