"""The education adapter: validate a native record, apply the attendance rules, build events.

Rules:

1. ``record_type`` picks the native model; any other value is an error at ``record_type``.
2. Problems come in three passes, each reporting everything it finds: the native model (field
   types, codes, UPN, cross-field rules), then the attendance rules (duplicate sessions, C2
   without hours), then the canonical model (under ``canonical.``). A later pass runs only on
   what the earlier one accepted.
3. A list position is written ``marks[3].code`` (as ``map_records`` writes ``records[3]``).
4. The attendance thresholds are the adapter's :class:`AttendanceRules`; ``ADAPTER`` uses the
   defaults, and an LA with another policy builds ``EducationAdapter(AttendanceRules(...))``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import ValidationError

from adapters._core import (
    AdapterContext,
    MappingFailed,
    RecordProblem,
    build_notification,
    model_for,
    problems_from,
    unknown_residence,
)
from adapters.education._mapping import events_for
from adapters.education._records import (
    AlternativeProvisionPlacement,
    AttendanceMarks,
    CmeNotice,
    EducationRecord,
    EheNotice,
)
from adapters.education._rules import AttendanceRules
from schemas import Notification

__all__ = ["ADAPTER", "EducationAdapter"]

_MODELS: Mapping[str, type[EducationRecord]] = {
    "attendance_marks": AttendanceMarks,
    "cme_notice": CmeNotice,
    "ehe_notice": EheNotice,
    "alternative_provision_placement": AlternativeProvisionPlacement,
}
_LIST_INDEX = re.compile(r"\.(\d+)(?=\.|$)")


def _bracketed(problems: Sequence[RecordProblem]) -> list[RecordProblem]:
    return [RecordProblem(_LIST_INDEX.sub(r"[\1]", p.field), p.rule, p.message) for p in problems]


@dataclass(frozen=True, slots=True)
class EducationAdapter:
    """Maps education records (attendance, CME, EHE, alternative provision) to concerns."""

    kind: ClassVar[str] = "education"
    record_types: ClassVar[frozenset[str]] = frozenset(_MODELS)

    rules: AttendanceRules = field(default_factory=AttendanceRules)

    def map_record(self, record: Mapping[str, Any], context: AdapterContext) -> list[Notification]:
        """The concerns one native record raises (possibly none); or :class:`MappingFailed`."""
        model = model_for(record, _MODELS)
        try:
            native = model.model_validate(record)
        except ValidationError as exc:
            raise MappingFailed(_bracketed(problems_from(exc))) from exc
        if native.resident_la is None and context.la_code is None:
            raise MappingFailed([unknown_residence("resident_la")])

        notifications: list[Notification] = []
        problems: list[RecordProblem] = []
        for event in events_for(native, context, self.rules):
            try:
                notifications.append(build_notification(event, context))
            except MappingFailed as failed:
                problems.extend(_bracketed(failed.problems))
        if problems:
            raise MappingFailed(problems)
        return notifications


ADAPTER = EducationAdapter()
