"""Children's services' native vulnerability checklist record (a local extension).

The RMG's checklist has no national return, so the record is the LA's own, named in this
adapter's style for local fields (upper case), with the 903 ``CHILD`` and ``DOB`` and the held
identifiers ``UPN``, ``NHS_NUMBER`` and ``SEX``:

``VCL_DATE`` (assessed), ``VCL_SCORE`` (0-4), ``VCL_JUDGEMENT`` (L/M/H, optional) with
``VCL_JUDGEMENT_REASON``, ``RMG_STATUS``, ``VCL_REVIEW_DATE``, ``PLAN_IN_PLACE`` (Y/N) and
``VCL_MARKERS``. Values and rules are the shared checklist's (:mod:`adapters._checklist`); every
field fits a CSV cell.
"""

from __future__ import annotations

from typing import Literal

from adapters._checklist import (
    ChecklistFields,
    ChecklistScore,
    JudgementLevel,
    JudgementReason,
    MarkerCodes,
    RmgStatusCode,
)
from adapters._values import NativeDate, OptionalNativeDate, OptionalYesNo
from adapters.children_services._fields import ChildId
from adapters.children_services._records import _HeldIdentifiers

__all__ = ["CHECKLIST_FIELDS", "VulnerabilityChecklist"]

CHECKLIST_FIELDS = ChecklistFields(
    born="DOB",
    assessed="VCL_DATE",
    score="VCL_SCORE",
    judgement="VCL_JUDGEMENT",
    reason="VCL_JUDGEMENT_REASON",
    rmg_status="RMG_STATUS",
    review="VCL_REVIEW_DATE",
    plan="PLAN_IN_PLACE",
    markers="VCL_MARKERS",
)


class VulnerabilityChecklist(_HeldIdentifiers):
    """A child's vulnerability checklist, as the RMG scores and reviews it."""

    record_type: Literal["vulnerability_checklist"]
    CHILD: ChildId
    DOB: NativeDate
    VCL_DATE: NativeDate
    VCL_SCORE: ChecklistScore
    VCL_JUDGEMENT: JudgementLevel | None = None
    VCL_JUDGEMENT_REASON: JudgementReason | None = None
    RMG_STATUS: RmgStatusCode | None = None
    VCL_REVIEW_DATE: OptionalNativeDate = None
    PLAN_IN_PLACE: OptionalYesNo = None
    VCL_MARKERS: MarkerCodes = ()
