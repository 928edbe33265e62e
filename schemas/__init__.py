"""Canonical notifications: versioned pydantic models in a CloudEvents 1.0 envelope.

Pure data, no I/O. Import from here, not from the private modules.
"""

from schemas._areas import (
    AREA_CODE_PATTERN,
    ENGLISH_GSS_CODES,
    LA_CODE_PATTERN,
    NON_ENGLISH_LOCATIONS,
    AreaCode,
    LaCode,
    normalise_area,
)
from schemas._base import PERSONAL, CanonicalModel, personal, personal_field_names
from schemas._catalogue import (
    CATALOGUE,
    PERSONAL_FIELD_NAMES,
    Notification,
    notification_adapter,
    parse_notification,
)
from schemas._codes import ExploitationMarkers, RiskLevel
from schemas._concern import ConcernGrading, ConcernRaised, ConcernRaisedData, ConcernSubject
from schemas._education import (
    FULL_TIME_HOURS,
    EducationConcernRaised,
    EducationConcernRaisedData,
    EducationConcernType,
)
from schemas._envelope import (
    AGENCY_SOURCE_PREFIX,
    ID_PATTERN,
    Envelope,
    agency_id_from_source,
    source_for_agency,
)
from schemas._export import (
    JSON_SCHEMA_DIR,
    export_json_schemas,
    json_schema_documents,
    rendered_json_schemas,
)
from schemas._locations import UNKNOWN_FIELD, Locations, canonical_field_names, field_names_of
from schemas._missing import (
    RETURN_INTERVIEW_DUE_AFTER,
    MissingEndReason,
    MissingEpisodeEnded,
    MissingEpisodeEndedData,
    MissingEpisodeStarted,
    MissingEpisodeStartedData,
    MissingType,
    PoliceRiskLevel,
    return_interview_due,
)
from schemas._person import NhsNumber, PersonRef, Sex, Upn, UpnUnknown
from schemas._placement import (
    PLACEMENT_TYPES,
    PlacementEnded,
    PlacementEndedData,
    PlacementStarted,
    PlacementStartedData,
    is_out_of_area,
)
from schemas._return_interview import (
    ContactAttempt,
    ReturnInterviewOutcome,
    ReturnInterviewRecorded,
    ReturnInterviewRecordedData,
)
from schemas._risk import (
    CHECKLIST_LEVELS,
    RmgStatus,
    SeRiskAssessed,
    SeRiskAssessedData,
    level_for_checklist_score,
)

__all__ = [
    "AGENCY_SOURCE_PREFIX",
    "AREA_CODE_PATTERN",
    "CATALOGUE",
    "CHECKLIST_LEVELS",
    "ENGLISH_GSS_CODES",
    "FULL_TIME_HOURS",
    "ID_PATTERN",
    "JSON_SCHEMA_DIR",
    "LA_CODE_PATTERN",
    "NON_ENGLISH_LOCATIONS",
    "PERSONAL",
    "PERSONAL_FIELD_NAMES",
    "PLACEMENT_TYPES",
    "RETURN_INTERVIEW_DUE_AFTER",
    "UNKNOWN_FIELD",
    "AreaCode",
    "CanonicalModel",
    "ConcernGrading",
    "ConcernRaised",
    "ConcernRaisedData",
    "ConcernSubject",
    "ContactAttempt",
    "EducationConcernRaised",
    "EducationConcernRaisedData",
    "EducationConcernType",
    "Envelope",
    "ExploitationMarkers",
    "LaCode",
    "Locations",
    "MissingEndReason",
    "MissingEpisodeEnded",
    "MissingEpisodeEndedData",
    "MissingEpisodeStarted",
    "MissingEpisodeStartedData",
    "MissingType",
    "NhsNumber",
    "Notification",
    "PersonRef",
    "PlacementEnded",
    "PlacementEndedData",
    "PlacementStarted",
    "PlacementStartedData",
    "PoliceRiskLevel",
    "ReturnInterviewOutcome",
    "ReturnInterviewRecorded",
    "ReturnInterviewRecordedData",
    "RiskLevel",
    "RmgStatus",
    "SeRiskAssessed",
    "SeRiskAssessedData",
    "Sex",
    "Upn",
    "UpnUnknown",
    "agency_id_from_source",
    "canonical_field_names",
    "export_json_schemas",
    "field_names_of",
    "is_out_of_area",
    "json_schema_documents",
    "level_for_checklist_score",
    "normalise_area",
    "notification_adapter",
    "parse_notification",
    "personal",
    "personal_field_names",
    "rendered_json_schemas",
    "return_interview_due",
    "source_for_agency",
]
