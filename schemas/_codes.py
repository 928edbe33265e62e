"""Shared code lists: local authority codes, risk levels and the cross-agency exploitation markers.

LA codes are the three-digit DfE ("old") codes used in SSDA903 and the CIN census, e.g. 929 for
Northumberland. SSDA903's derived ``PL_LA`` also uses SCO, WAL, NIR (Scotland, Wales, Northern
Ireland), NUK (outside the UK) and CON (confidential placement).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from schemas._base import CanonicalModel

__all__ = [
    "LA_CODE_PATTERN",
    "NON_ENGLISH_LOCATIONS",
    "PLACEMENT_LA_PATTERN",
    "ExploitationMarkers",
    "LaCode",
    "PlacementLa",
    "RiskLevel",
]


_OUTSIDE_ENGLAND = ("SCO", "WAL", "NIR", "NUK")
NON_ENGLISH_LOCATIONS = frozenset(_OUTSIDE_ENGLAND)
_LA_CODE = "[0-9]{3}"
LA_CODE_PATTERN = f"^{_LA_CODE}$"
PLACEMENT_LA_PATTERN = f"^({_LA_CODE}|{'|'.join(_OUTSIDE_ENGLAND)})$"

LaCode = Annotated[str, Field(pattern=LA_CODE_PATTERN, description="Three-digit DfE LA code.")]
PlacementLa = Annotated[
    str,
    Field(
        pattern=PLACEMENT_LA_PATTERN,
        description="LA code of the placement, or SCO/WAL/NIR/NUK outside England.",
    ),
]


class RiskLevel(StrEnum):
    """Risk of sexual exploitation as graded by the partnership."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ExploitationMarkers(CanonicalModel):
    """The canonical cross-agency markers (CIN factors, SAC types of risk, police flags).

    ``sexual_exploitation``: CIN 11A, SAC 'Sexual Exploitation', police CSE flag.
    ``criminal_exploitation``: CIN 24A, police CCE flag.
    ``trafficking_modern_slavery``: CIN 12A, SAC 'Modern Slavery'.
    ``missing``: CIN 10A, SSDA903 missing, APP missing report.
    ``sexual_abuse``: CIN 19B/19C, CPP category SAB, SAC 'Sexual Abuse', police CSA flag.
    """

    sexual_exploitation: bool = False
    criminal_exploitation: bool = False
    trafficking_modern_slavery: bool = False
    missing: bool = False
    sexual_abuse: bool = False

    @property
    def any(self) -> bool:
        """True if any marker is set."""
        return any(self.model_dump().values())
