"""Synthetic test data shared by unit and integration tests. Nothing here is a real person."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"

# Canary values: if any of these strings shows up in a log line or an error response,
# personal data has leaked. They are valid where they must be (the NHS number passes modulus 11).
CANARY_LOCAL_ID = "CANARY-LOCALID-7Q2X"
CANARY_NHS_NUMBER = "9434765919"
CANARY_LOCATION = "Canary Wharf Synthetic Lane 77"
CANARY_DOB = "2011-05-04"
CANARY_SUBJECT = "CANARY-SUBJECT-K9"
CANARIES = (CANARY_LOCAL_ID, CANARY_NHS_NUMBER, CANARY_LOCATION, CANARY_SUBJECT)


def example_event() -> dict[str, Any]:
    """The documented missing-episode-started example, as a fresh mutable dict."""
    return copy.deepcopy(json.loads((EXAMPLES / "missing-episode-started.json").read_text()))


def canary_event(event_id: str = "canary-0001", **envelope: Any) -> dict[str, Any]:
    """The example event with canary personal data planted in it."""
    event = example_event()
    event["id"] = event_id
    event["subject"] = CANARY_SUBJECT
    event["data"]["person"]["local_id"] = CANARY_LOCAL_ID
    event["data"]["person"]["nhs_number"] = CANARY_NHS_NUMBER
    event["data"]["person"]["date_of_birth"] = CANARY_DOB
    event["data"]["last_seen_location"] = CANARY_LOCATION
    event.update(envelope)
    return event
