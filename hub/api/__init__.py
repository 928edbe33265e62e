"""The HTTP edge: intake, operational endpoints, problem+json, OpenAPI."""

from hub.api._app import create_app
from hub.api._auditor import CSV_COLUMNS, csv_cell
from hub.api._context import ApiDependencies
from hub.api._failed_auth import MAX_KEYS_PER_MINUTE, FailedAuthentications, token_fingerprint
from hub.api._inbox import InboxEntry, InboxListing
from hub.api._limits import Rate, RateLimiter
from hub.api._openapi import openapi_document
from hub.api._openapi_audit import AuditPage, AuditRecord, Disclosures
from hub.api._problems import PROBLEM_CONTENT_TYPE, Problem, problem_response
from hub.api._reloading import ReloadingDirectory
from hub.api._starting import create_starting_app
from hub.api._throttling import Throttle
from hub.api._tls import peer_certificate_fingerprint, server_ssl_context
from hub.api._unparsable import ProblemAppRunner

__all__ = [
    "CSV_COLUMNS",
    "MAX_KEYS_PER_MINUTE",
    "PROBLEM_CONTENT_TYPE",
    "ApiDependencies",
    "AuditPage",
    "AuditRecord",
    "Disclosures",
    "FailedAuthentications",
    "InboxEntry",
    "InboxListing",
    "Problem",
    "ProblemAppRunner",
    "Rate",
    "RateLimiter",
    "ReloadingDirectory",
    "Throttle",
    "create_app",
    "create_starting_app",
    "csv_cell",
    "openapi_document",
    "peer_certificate_fingerprint",
    "problem_response",
    "server_ssl_context",
    "token_fingerprint",
]
