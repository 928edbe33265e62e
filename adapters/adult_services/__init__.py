"""Adult services adapter: an LA's adult safeguarding enquiry records, coded with the SAC labels.

``safeguarding_enquiry`` maps to an adult concern notification and, for a Section 42 enquiry,
SE-risk assessments at its start and conclusion; an enquiry with no exploitation-relevant type
of risk maps to nothing. See ``_records`` and ``_mapping`` for the rules. A
``vulnerability_checklist`` maps to one SE-risk assessment (``_checklist``).
"""

from adapters.adult_services._checklist import AdultVulnerabilityChecklist
from adapters.adult_services._codes import (
    ActionAndResult,
    EnquiryType,
    Ethnicity,
    Gender,
    LackedCapacity,
    LocationOfRisk,
    MspAsked,
    MspOutcomesAchieved,
    PrimarySupportReason,
    RiskOutcome,
    SourceOfRisk,
    TypeOfRisk,
)
from adapters.adult_services._mapping import AdultServicesAdapter
from adapters.adult_services._records import SafeguardingEnquiry

__all__ = [
    "ADAPTER",
    "ActionAndResult",
    "AdultServicesAdapter",
    "AdultVulnerabilityChecklist",
    "EnquiryType",
    "Ethnicity",
    "Gender",
    "LackedCapacity",
    "LocationOfRisk",
    "MspAsked",
    "MspOutcomesAchieved",
    "PrimarySupportReason",
    "RiskOutcome",
    "SafeguardingEnquiry",
    "SourceOfRisk",
    "TypeOfRisk",
]

ADAPTER = AdultServicesAdapter()
