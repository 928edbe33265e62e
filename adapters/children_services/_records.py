"""Native record shapes of a local authority's children's services, named as the national specs do.

Rules:

1. Field names are the specs' own: SSDA903 (``CHILD``, ``MIS_START``, ``PLACE``...), Annex A /
   SSD derived placement fields (``PL_LA``, ``PL_LOCATION``, ``PL_DISTANCE``) and the CIN census
   (``LAchildID``, ``AssessmentFactors``). Local extensions are upper-case and say so below.
   The return interview (:mod:`._return_records`) and the vulnerability checklist
   (:mod:`._checklist`) have modules of their own.
2. Unknown fields are errors. A blank or null value is absent: a required field left blank is
   reported as ``missing``.
3. These models check single fields only; rules across fields, years and the clock are in
   :mod:`._rules`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    model_validator,
)

from adapters._core import NativeRecord
from adapters._values import (
    NativeDate,
    OptionalNativeDate,
    OptionalYesNo,
    YesNo,
    without_blanks,
)
from adapters.children_services import _codes
from adapters.children_services._fields import (
    AreaCodeField,
    ChildId,
    NhsNumberField,
    PlacementLaCode,
    PlanRef,
    Postcode,
    RealUpn,
    Upn903,
    Urn,
    one_of,
)

__all__ = [
    "CinAssessment",
    "Ssda903Episode",
    "Ssda903Header",
    "Ssda903Missing",
    "eighteenth_birthday",
]


def eighteenth_birthday(born: date) -> date:
    """The date a child turns 18 (a 29 February birthday falls on 1 March in common years)."""
    try:
        return born.replace(year=born.year + 18)
    except ValueError:
        return date(born.year + 18, 3, 1)


class _Record(NativeRecord):
    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: Any) -> Any:
        return without_blanks(data)


Sex903 = Annotated[str, one_of(_codes.SEX_903_OLD | _codes.SEX_NEW)]


class _Resident(_Record):
    """Where the child lives now (local extension): the council area, DfE or GSS coded."""

    RESIDENT_LA: AreaCodeField | None = None


class _HeldIdentifiers(_Resident):
    """Identifiers an LA system holds alongside a 903 row (local extension, all optional)."""

    UPN: Upn903 | None = None
    NHS_NUMBER: NhsNumberField | None = None
    DOB: OptionalNativeDate = None
    SEX: Sex903 | None = None


class Ssda903Header(_Record):
    """SSDA903 Header: who the child is. Identity only; no notification of its own."""

    record_type: Literal["ssda903_header"]
    CHILD: ChildId
    SEX: Sex903
    DOB: NativeDate
    ETHNIC: Annotated[str, one_of(_codes.ETHNIC)]
    UPN: Upn903
    MOTHER: OptionalYesNo = None
    MC_DOB: OptionalNativeDate = None


class Ssda903Missing(_HeldIdentifiers):
    """SSDA903 Missing row; ``LOOKED_AFTER`` (local, default Y) marks a child not in care."""

    record_type: Literal["ssda903_missing"]
    CHILD: ChildId
    DOB: NativeDate
    MISSING: Annotated[str, one_of(_codes.MISSING_TYPES)] | None = None
    MIS_START: OptionalNativeDate = None
    MIS_END: OptionalNativeDate = None
    LOOKED_AFTER: YesNo = True

    @property
    def turns_18_on(self) -> date:
        """The child's 18th birthday, when an open episode closes (903 guidance; REC E8)."""
        return eighteenth_birthday(self.DOB)


class Ssda903Episode(_HeldIdentifiers):
    """SSDA903 Episodes row, with the Annex A / SSD derived location fields.

    ``PLACE`` is also accepted under its XML name ``PL``. Local extensions: ``SE_RISK``,
    ``RISK_ASSESSMENT_AVAILABLE`` and ``CARE_PLAN_AVAILABLE`` (Y/N); ``RISK_ASSESSMENT_REF``
    and ``CARE_PLAN_REF`` (the council's references to them); ``EMERGENCY_PLACEMENT`` (Y/N: an
    emergency placement notified after it began); ``PL_START``, the DECOM of the episode the
    placement began in, which a legal-status-only episode (RNE L) needs to end its placement.
    """

    record_type: Literal["ssda903_episode"]
    CHILD: ChildId
    DECOM: NativeDate
    RNE: Annotated[str, one_of(_codes.REASON_NEW_EPISODE)]
    LS: Annotated[str, one_of(_codes.LEGAL_STATUS)]
    CIN: Annotated[str, one_of(_codes.CATEGORY_OF_NEED)]
    # The alias choice makes __init__ untypable for the plugin; records are only ever validated.
    PLACE: Annotated[str, one_of(_codes.ALL_PLACEMENT_TYPES)] = Field(  # type: ignore[pydantic-alias]
        validation_alias=AliasChoices("PLACE", "PL")
    )
    PLACE_PROVIDER: Annotated[str, one_of(_codes.PLACEMENT_PROVIDERS)] | None = None
    DEC: OptionalNativeDate = None
    REC: Annotated[str, one_of(_codes.REASON_CEASED)] | None = None
    REASON_PLACE_CHANGE: Annotated[str, one_of(_codes.REASON_PLACE_CHANGE)] | None = None
    HOME_POST: Postcode | None = None
    PL_POST: Postcode | None = None
    URN: Urn | None = None
    PL_LA: PlacementLaCode | None = None
    PL_LOCATION: Annotated[str, one_of(_codes.PL_LOCATION)] | None = None
    PL_DISTANCE: Annotated[float, Field(ge=0, le=999.9)] | None = None
    SE_RISK: OptionalYesNo = None
    RISK_ASSESSMENT_AVAILABLE: OptionalYesNo = None
    CARE_PLAN_AVAILABLE: OptionalYesNo = None
    RISK_ASSESSMENT_REF: PlanRef | None = None
    CARE_PLAN_REF: PlanRef | None = None
    EMERGENCY_PLACEMENT: YesNo = False
    PL_START: OptionalNativeDate = None
    _place_field: str = PrivateAttr(default="PLACE")

    @model_validator(mode="wrap")
    @classmethod
    def _remember_place_name(
        cls, data: Any, handler: ModelWrapValidatorHandler[Ssda903Episode]
    ) -> Ssda903Episode:
        episode = handler(data)
        if isinstance(data, Mapping) and "PLACE" not in data and "PL" in data:
            episode._place_field = "PL"
        return episode

    @property
    def place_field(self) -> str:
        """The name the record gave the placement type: ``PLACE`` (CSV) or ``PL`` (XML)."""
        return self._place_field

    @property
    def confidential(self) -> bool:
        """903 ``PL_LA`` = CON: the placement's location must not be passed on."""
        return self.PL_LA == _codes.PL_LA_CONFIDENTIAL

    @property
    def starts_placement(self) -> bool:
        """An open episode that began with a change of placement (RNE S, P, T, B or U)."""
        return self.DEC is None and self.RNE in _codes.PLACEMENT_RNE

    @property
    def legal_status_only(self) -> bool:
        """RNE L: the legal status changed, the placement of the episode before goes on."""
        return self.RNE not in _codes.PLACEMENT_RNE

    @property
    def placement_started_on(self) -> date:
        """When this row's placement began: ``DECOM``, or for an RNE L row its ``PL_START``
        (checked present before mapping whenever the row ends its placement)."""
        return self.PL_START if self.PL_START is not None else self.DECOM

    @property
    def ends_placement(self) -> bool:
        """A ceased episode whose placement ended with it, in a placement or an RNE L row.

        An episode ceasing with X1 (a new episode the same day) and no reason for placement
        change, from a placement that is not temporary, is followed by a legal-status-only
        episode (903 rule 225 requires the reason before a P/B/T/U episode): the placement
        goes on, so it has not ended. The L episode that follows ends it in the same way:
        ceasing otherwise than X1 (the child left care), or with a reason for the change.
        """
        if self.DEC is None:
            return False
        return (
            self.REC != "X1"
            or self.REASON_PLACE_CHANGE is not None
            or self.PLACE in _codes.TEMPORARY_PLACEMENTS
        )


class CinAssessment(_Resident):
    """CIN census Assessment with its child's identifiers (``ChildIdentifiers``).

    ``Sex`` is the 2024/25+ element and ``GenderCurrent`` the earlier one.
    """

    record_type: Literal["cin_assessment"]
    LAchildID: ChildId
    UPN: RealUpn | None = None
    UPNunknown: Annotated[str, one_of(_codes.CIN_UPN_UNKNOWN)] | None = None
    PersonBirthDate: OptionalNativeDate = None
    Sex: Annotated[str, one_of(_codes.SEX_NEW)] | None = None
    GenderCurrent: Annotated[str, one_of(_codes.CIN_GENDER_CURRENT)] | None = None
    AssessmentActualStartDate: NativeDate
    AssessmentAuthorisationDate: OptionalNativeDate = None
    AssessmentFactors: tuple[
        Annotated[str, one_of(_codes.CIN_FACTORS | _codes.LEGACY_CIN_FACTORS)], ...
    ] = ()
