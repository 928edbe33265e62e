"""Shared code lists: risk levels and the cross-agency exploitation markers.

Area and LA codes are in :mod:`schemas._areas`.
"""

from __future__ import annotations

from enum import StrEnum

from schemas._base import CanonicalModel

__all__ = ["ExploitationMarkers", "RiskLevel"]


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
