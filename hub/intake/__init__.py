"""Intake: accept a notification from an authenticated agency, durably, or refuse it.

Canonical notifications are validated as they are; an agency's native records are first mapped
by its adapter (:mod:`._native`). Pure of any broker or database client: the publisher and the
audit log are ports (:mod:`hub.ports`).
"""

from hub.intake._intake import ACCEPTED_CONTENT_TYPES, Intake
from hub.intake._native import (
    MAX_PROBLEMS,
    MAX_RECORDS,
    adapt,
    native_record_shapes,
    parse_records,
)

__all__ = [
    "ACCEPTED_CONTENT_TYPES",
    "MAX_PROBLEMS",
    "MAX_RECORDS",
    "Intake",
    "adapt",
    "native_record_shapes",
    "parse_records",
]
