"""Education adapter: school attendance, Children Missing Education, elective home education
and alternative provision, mapped to canonical education concerns.

Record types: ``attendance_marks``, ``cme_notice``, ``ehe_notice`` and
``alternative_provision_placement``; each maps to ``uk.sehub.education.concern_raised.v1``.
``ADAPTER`` applies the default :class:`AttendanceRules`; pass others to
:class:`EducationAdapter` for a local policy.
"""

from adapters.education._adapter import ADAPTER, EducationAdapter
from adapters.education._codes import ATTENDANCE_CODES, CODE_CLASSES, AttendanceClass
from adapters.education._rules import AttendanceRules

__all__ = [
    "ADAPTER",
    "ATTENDANCE_CODES",
    "CODE_CLASSES",
    "AttendanceClass",
    "AttendanceRules",
    "EducationAdapter",
]
