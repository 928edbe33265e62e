"""Placement notifications (SSDA903 Episodes, with the derived placement-location fields).

Rules:

1. The placing authority is responsible for the child: the person's ``responsible_la``, if
   given, is the ``placing_la``. The host authority is where the placement lies (903's derived
   ``PL_LA``; an English GSS code is normalised to the DfE code first).
2. A placement is out of area when the host is not the placing authority; a placement outside
   England (SCO, WAL, NIR, NUK, or a council's GSS code there) therefore always is.
3. A confidential placement (``PL_LA`` = CON) suppresses its location: no host authority,
   postcode, distance or setting URN at all.
4. Where there is a risk of sexual exploitation, the host authority needs to know whether a risk
   assessment and a care plan are available, so both must then be stated; ``risk_assessment_ref``
   and ``care_plan_ref`` are the placing authority's references to them, where it gives them.
5. A placement may be notified before it starts (``started_on`` in the future), and an
   emergency placement after it started (``emergency``: within five working days, Care Planning,
   Placement and Case Review (England) Regulations 2010 reg 13).
"""

from __future__ import annotations

from datetime import date
from typing import Literal, get_args

from pydantic import Field, model_validator

from schemas._areas import AreaCode, LaCode, normalise_area
from schemas._base import CanonicalModel, personal
from schemas._envelope import ID_PATTERN, Envelope
from schemas._person import PersonRef

__all__ = [
    "PLACEMENT_TYPES",
    "PlacementEnded",
    "PlacementEndedData",
    "PlacementStarted",
    "PlacementStartedData",
    "is_out_of_area",
]

PlacementType = Literal[
    "A3", "A4", "A5", "A6", "H5", "K1", "K2", "K3", "P1", "P2", "P3", "R1", "R2", "R3", "R5",
    "S1", "T0", "T1", "T2", "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6",
    "Z1", "Z11", "Z12", "Z13", "Z14",
]  # fmt: skip
# Every SSDA903 PLACE code of any collection year; the adapter checks the year's own list.
PLACEMENT_TYPES: frozenset[str] = frozenset(get_args(PlacementType))
Provider = Literal["PR0", "PR1", "PR2", "PR3", "PR4", "PR5"]
LegalStatus = Literal[
    "C1", "C2", "D1", "E1", "V2", "V3", "V4", "L1", "L2", "L3", "J1", "J2", "J3"
]  # fmt: skip


def is_out_of_area(placing_la: str, host_la: str) -> bool:
    """903 PL_LOCATION == OUT: the host is not the placing authority, once both are normalised.

    A country code (SCO...) is never a placing authority, so a placement there is out of area.
    """
    return normalise_area(host_la) != normalise_area(placing_la)


class _PlacementFacts(CanonicalModel):
    person: PersonRef
    placing_la: LaCode = Field(description="The responsible (placing) local authority.")
    confidential: bool = Field(description="903 PL_LA = CON: the location is suppressed.")
    host_la: AreaCode | None = Field(default=None, description="903 PL_LA, if known.")
    out_of_area: bool | None = Field(default=None, description="Derived from the LA codes.")
    placement_type: PlacementType
    provider: Provider | None = None
    urn: str | None = Field(default=None, pattern=r"^(SC[0-9]{6}|[0-9]{7}|XXXXXXX)$")
    legal_status: LegalStatus | None = None
    started_on: date
    placement_postcode: str | None = personal(default=None, max_length=10)
    distance_miles: float | None = Field(default=None, ge=0, le=999.9)

    @model_validator(mode="after")
    def _location_rules(self) -> _PlacementFacts:
        located = (
            self.host_la,
            self.out_of_area,
            self.placement_postcode,
            self.distance_miles,
            self.urn,
        )
        if self.person.responsible_la not in (None, self.placing_la):
            raise ValueError("person.responsible_la must be the placing_la")
        if self.confidential:
            if any(value is not None for value in located):
                raise ValueError("a confidential placement carries no location fields")
            return self
        if self.host_la is not None and self.out_of_area != is_out_of_area(
            self.placing_la, self.host_la
        ):
            raise ValueError("out_of_area does not follow from placing_la and host_la")
        return self


class PlacementStartedData(_PlacementFacts):
    """A looked-after child's placement has started."""

    se_risk: bool = Field(description="Whether there is a known risk of sexual exploitation.")
    risk_assessment_available: bool | None = None
    care_plan_available: bool | None = None
    risk_assessment_ref: str | None = Field(
        default=None,
        max_length=64,
        pattern=ID_PATTERN,
        description="The placing authority's reference to the risk assessment.",
    )
    care_plan_ref: str | None = Field(
        default=None,
        max_length=64,
        pattern=ID_PATTERN,
        description="The placing authority's reference to the care plan.",
    )
    emergency: bool = Field(
        default=False,
        description="An emergency placement, notified after it started (within five working "
        "days; Care Planning Regulations 2010 reg 13).",
    )

    @model_validator(mode="after")
    def _se_risk_needs_plans(self) -> PlacementStartedData:
        if self.se_risk and (
            self.risk_assessment_available is None or self.care_plan_available is None
        ):
            raise ValueError(
                "with an SE risk, say whether a risk assessment and a care plan are available"
            )
        return self


class PlacementEndedData(_PlacementFacts):
    """A placement has ended."""

    ended_on: date
    reason_ceased: str | None = Field(
        default=None, pattern=r"^(X1|E[0-9]{1,2}[AB]?)$", description="903 REC."
    )
    reason_place_change: (
        Literal[
            "CARPL", "CLOSE", "ALLEG", "STAND", "APPRR", "CREQB", "CREQO", "CHILD", "LAREQ",
            "PLACE", "CUSTOD", "OTHER",
        ]
        | None
    ) = None  # fmt: skip

    @model_validator(mode="after")
    def _ends_after_start(self) -> PlacementEndedData:
        if self.ended_on < self.started_on:
            raise ValueError("ended_on is before started_on")
        return self


class PlacementStarted(Envelope):
    """CloudEvent: placement started."""

    type: Literal["uk.sehub.placement.started.v1"]
    data: PlacementStartedData


class PlacementEnded(Envelope):
    """CloudEvent: placement ended."""

    type: Literal["uk.sehub.placement.ended.v1"]
    data: PlacementEndedData
