"""Intake: accept a notification from an authenticated agency, durably, or refuse it.

Canonical notifications are validated as they are; an agency's native records are first mapped
by its adapter (:mod:`._native`). Pure of any broker or database client: the publisher and the
audit log are ports (:mod:`hub.ports`). An agency that signs at its own edge posts source envelopes
with a request signature (:mod:`._signed_requests`); ``HttpRequest`` is the request as read.
"""

from hub.crypto import HttpRequest
from hub.intake._intake import ACCEPTED_CONTENT_TYPES, ENVELOPE_CONTENT_TYPE, Intake
from hub.intake._native import MAX_PROBLEMS, MAX_RECORDS, adapt, parse_records

__all__ = [
    "ACCEPTED_CONTENT_TYPES",
    "ENVELOPE_CONTENT_TYPE",
    "MAX_PROBLEMS",
    "MAX_RECORDS",
    "HttpRequest",
    "Intake",
    "adapt",
    "parse_records",
]
