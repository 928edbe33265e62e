"""RFC 9457 problem details: the one place a :class:`HubError` becomes an HTTP response.

A problem names the failing fields and rules, and carries the correlation id so an agency's
integrator and our operators can find the same request in the audit log. It never echoes
submitted values.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from hub._exceptions import HubError, InvalidInput, MethodNotAllowed, TooManyRequests

__all__ = ["PROBLEM_CONTENT_TYPE", "FieldProblemModel", "Problem", "problem_response"]

PROBLEM_CONTENT_TYPE = "application/problem+json"
_TYPE_BASE = "urn:sehub:problem:"


class FieldProblemModel(BaseModel):
    """One failing field."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(description="Dotted path of the field, e.g. data.person.nhs_number.")
    rule: str = Field(description="The rule it broke, e.g. missing, extra_forbidden.")
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem details document."""

    model_config = ConfigDict(extra="forbid")

    type: str
    title: str
    status: int
    detail: str
    correlation_id: str | None = None
    errors: list[FieldProblemModel] | None = None


def _slug(error: HubError) -> str:
    name = type(error).__name__
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in name).lstrip("-")


def problem_for(error: HubError, correlation_id: str | None) -> Problem:
    """The problem document for ``error``."""
    errors = None
    if isinstance(error, InvalidInput):
        errors = [
            FieldProblemModel(field=p.field, rule=p.rule, message=p.message) for p in error.problems
        ]
    return Problem(
        type=_TYPE_BASE + _slug(error),
        title=error.title,
        status=error.status_hint,
        detail=error.detail,
        correlation_id=error.correlation_id or correlation_id,
        errors=errors,
    )


def problem_response(error: HubError, correlation_id: str | None) -> web.Response:
    """``error`` as an ``application/problem+json`` response with its status."""
    problem = problem_for(error, correlation_id)
    response = web.Response(
        status=problem.status,
        body=problem.model_dump_json(exclude_none=True).encode(),
        content_type=PROBLEM_CONTENT_TYPE,
    )
    if problem.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="sehub"'
    if isinstance(error, MethodNotAllowed):
        response.headers["Allow"] = ", ".join(error.allowed)
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    if problem.status == 503:
        response.headers["Retry-After"] = "5"
    return response
