"""The CloudEvents 1.0 envelope (structured JSON mode) every notification travels in.

Rules:

1. ``specversion`` is ``"1.0"`` and ``datacontenttype`` is ``"application/json"``.
2. ``source`` names the publishing agency as ``urn:sehub:agency:<agency-id>``. The hub checks it
   against the credential that posted the event, so one agency can never post as another.
3. ``type`` is ``uk.sehub.<family>.<event>.v<major>``; each concrete notification pins it with a
   ``Literal``. A breaking change makes a new major version and a new type.
4. ``source`` + ``id`` identify an event uniquely; a re-post with both equal is the same event.
5. Extension attributes (lower-case, as CloudEvents requires):
   ``correlationid`` ties together the events of one piece of work, and ``episodeid`` names the
   missing episode or placement an event belongs to, so recipients see updates to an episode
   rather than fresh alerts.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from schemas._base import CanonicalModel, personal

__all__ = [
    "AGENCY_SOURCE_PREFIX",
    "ID_PATTERN",
    "Envelope",
    "agency_id_from_source",
    "source_for_agency",
]

AGENCY_SOURCE_PREFIX = "urn:sehub:agency:"
AGENCY_ID_PATTERN = r"[a-z0-9][a-z0-9-]{0,62}"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"


def source_for_agency(agency_id: str) -> str:
    """The CloudEvents ``source`` an agency publishes under."""
    return AGENCY_SOURCE_PREFIX + agency_id


def agency_id_from_source(source: str) -> str:
    """The agency id inside a ``source`` URN (the envelope has already checked its form)."""
    return source.removeprefix(AGENCY_SOURCE_PREFIX)


class Envelope(CanonicalModel):
    """CloudEvents 1.0 attributes shared by every canonical notification."""

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(
        pattern=ID_PATTERN,
        description="Unique per source; re-posting the same source and id is the same event.",
    )
    source: str = Field(
        pattern=rf"^{AGENCY_SOURCE_PREFIX}{AGENCY_ID_PATTERN}$",
        description="The publishing agency, urn:sehub:agency:<agency-id>.",
    )
    time: AwareDatetime = Field(description="When the event happened at the source.")
    subject: str | None = personal(
        default=None,
        max_length=128,
        description="The source's own reference for the record the event is about.",
    )
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str | None = Field(default=None, max_length=512)
    correlationid: str | None = Field(
        default=None, pattern=ID_PATTERN, description="Extension: ties related events together."
    )
    episodeid: str | None = Field(
        default=None,
        pattern=ID_PATTERN,
        description="Extension: the missing episode or placement this event belongs to.",
    )
