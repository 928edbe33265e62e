"""Canonical notifications: versioned pydantic models in a CloudEvents 1.0 envelope.

Pure data, no I/O. Import from here, not from the private modules.
"""

from schemas._base import PERSONAL, CanonicalModel, personal, personal_field_names
from schemas._catalogue import (
    CATALOGUE,
    PERSONAL_FIELD_NAMES,
    Notification,
    notification_adapter,
    parse_notification,
)
from schemas._envelope import (
    AGENCY_SOURCE_PREFIX,
    Envelope,
    agency_id_from_source,
    source_for_agency,
)
from schemas._missing import (
    RETURN_INTERVIEW_DUE_AFTER,
    MissingEpisodeEnded,
    MissingEpisodeEndedData,
    MissingEpisodeStarted,
    MissingEpisodeStartedData,
    MissingType,
    PoliceRiskLevel,
)
from schemas._person import NhsNumber, PersonRef, Sex, Upn

__all__ = [
    "AGENCY_SOURCE_PREFIX",
    "CATALOGUE",
    "PERSONAL",
    "PERSONAL_FIELD_NAMES",
    "RETURN_INTERVIEW_DUE_AFTER",
    "CanonicalModel",
    "Envelope",
    "MissingEpisodeEnded",
    "MissingEpisodeEndedData",
    "MissingEpisodeStarted",
    "MissingEpisodeStartedData",
    "MissingType",
    "NhsNumber",
    "Notification",
    "PersonRef",
    "PoliceRiskLevel",
    "Sex",
    "Upn",
    "agency_id_from_source",
    "notification_adapter",
    "parse_notification",
    "personal",
    "personal_field_names",
    "source_for_agency",
]
