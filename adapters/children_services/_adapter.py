"""The children's-services adapter: validate a native record, check its rules, map it.

Rules:

1. ``record_type`` selects the native model; an unknown type is ``unknown_record_type``.
2. Field problems (the model) come first; rules across fields are checked only once every field
   is well formed, since they compare values that must first parse. Either way every problem
   found is raised at once, located by native field name.
3. The mapped events are validated as canonical; a failure there is reported under
   ``canonical.`` and means the mapping, not the agency, is at fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import ValidationError

from adapters._core import (
    AdapterContext,
    MappingFailed,
    RecordAdapter,
    build_notification,
    model_for,
    problems_from,
)
from adapters.children_services._checklist import VulnerabilityChecklist
from adapters.children_services._mapping import events_for
from adapters.children_services._records import (
    CinAssessment,
    Ssda903Episode,
    Ssda903Header,
    Ssda903Missing,
)
from adapters.children_services._return_records import ReturnInterview
from adapters.children_services._rules import NativeModel, problems_for
from schemas import Notification

__all__ = ["ADAPTER", "ChildrenServicesAdapter"]

_MODELS: dict[
    str,
    type[Ssda903Header]
    | type[Ssda903Missing]
    | type[ReturnInterview]
    | type[Ssda903Episode]
    | type[CinAssessment]
    | type[VulnerabilityChecklist],
] = {
    "ssda903_header": Ssda903Header,
    "ssda903_missing": Ssda903Missing,
    "return_interview": ReturnInterview,
    "ssda903_episode": Ssda903Episode,
    "cin_assessment": CinAssessment,
    "vulnerability_checklist": VulnerabilityChecklist,
}


class ChildrenServicesAdapter:
    """SSDA903, return-interview, CIN census and checklist records to canonical notifications."""

    kind: ClassVar[str] = "children_services"
    record_types: ClassVar[frozenset[str]] = frozenset(_MODELS)

    def map_record(self, record: Mapping[str, Any], context: AdapterContext) -> list[Notification]:
        """The notifications one native record gives (possibly none); or :class:`MappingFailed`."""
        model = model_for(record, _MODELS)
        try:
            native: NativeModel = model.model_validate(dict(record))
        except ValidationError as exc:
            raise MappingFailed(problems_from(exc)) from None
        problems = problems_for(native, context)
        if problems:
            raise MappingFailed(problems)
        return [build_notification(event, context) for event in events_for(native, context)]


# Typed as the protocol so that mypy checks the class really is a RecordAdapter.
ADAPTER: RecordAdapter = ChildrenServicesAdapter()
