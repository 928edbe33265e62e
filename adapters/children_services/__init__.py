"""Children's services adapter: SSDA903, return interviews, CIN census assessments, checklists.

Maps a local authority's native records, named as the DfE specs name them, to canonical
notifications: missing episodes (903 Missing), return interviews (SSD / Annex A flags with
local extensions), placements (903 Episodes with the Annex A location fields) and SE risk
(CIN census assessment factors, and the RMG's vulnerability checklist). The 903 Header is
validated but sends nothing.
"""

from adapters.children_services._adapter import ADAPTER, ChildrenServicesAdapter
from adapters.children_services._checklist import VulnerabilityChecklist
from adapters.children_services._codes import (
    ALL_PLACEMENT_TYPES,
    collection_year,
    placement_types_for,
    year_label,
)
from adapters.children_services._mapping import missing_episode_id, placement_episode_id
from adapters.children_services._records import (
    CinAssessment,
    Ssda903Episode,
    Ssda903Header,
    Ssda903Missing,
)
from adapters.children_services._return_records import (
    ReturnInterview,
    RhiAction,
    RhiAssociate,
    RhiAttempt,
    RhiPlace,
)

__all__ = [
    "ADAPTER",
    "ALL_PLACEMENT_TYPES",
    "ChildrenServicesAdapter",
    "CinAssessment",
    "ReturnInterview",
    "RhiAction",
    "RhiAssociate",
    "RhiAttempt",
    "RhiPlace",
    "Ssda903Episode",
    "Ssda903Header",
    "Ssda903Missing",
    "VulnerabilityChecklist",
    "collection_year",
    "missing_episode_id",
    "placement_episode_id",
    "placement_types_for",
    "year_label",
]
