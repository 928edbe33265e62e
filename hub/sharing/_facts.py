"""Facts a rule's conditions and roles are judged on, derived from a notification and state.

Rules:

1. A fact is True, False or unknown (None). An unknown fact never satisfies a condition, so a
   rule that needs ``child: true`` does not share about a person whose age nobody knows.
2. Child or adult comes from the date of birth on the record's own date (a concern raised, an
   episode started, a risk assessed), else on the day it was published; failing that, from
   what the notification says (a concern's subject, a looked-after flag). Placements, return
   interviews and education concerns are about children by definition.
3. Risk levels are ordered no_apparent_risk < low < medium < high, across the police's APP
   levels, RMG levels and concern gradings.
4. The responsible LA is the one the notification's person names, else the placing LA of an active
   placement, else the publishing council's own LA.
5. The host LA comes from the notification itself (an out-of-area placement starting or ending)
   or from the subject's active out-of-area placement in the routing state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from hub.sharing._routing_state import RoutingState
from schemas import Notification

__all__ = ["RISK_ORDER", "Facts", "facts_for"]

ENGLAND = ZoneInfo("Europe/London")
RISK_ORDER = {"no_apparent_risk": 0, "low": 1, "medium": 2, "high": 3}
_ABOUT_CHILDREN = (
    "uk.sehub.placement.",
    "uk.sehub.return_interview.",
    "uk.sehub.education.",
)


@dataclass(frozen=True, slots=True)
class Facts:
    """What is known about the subject of one notification."""

    child: bool | None
    looked_after: bool | None
    se_marker: bool | None
    cross_border: bool
    risk: int | None
    responsible_la: str | None
    host_la: str | None

    @property
    def adult(self) -> bool | None:
        return None if self.child is None else not self.child


def _age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _child(notification: Notification, data: Mapping[str, Any]) -> bool | None:
    born = notification.data.person.date_of_birth
    if born is not None:
        return _age_on(born, _event_date(notification, data)) < 18
    if data.get("subject") in ("child", "adult"):
        return bool(data["subject"] == "child")
    if notification.type.startswith(_ABOUT_CHILDREN) or data.get("looked_after") is True:
        return True
    return None


_EVENT_DATES = ("started_on", "raised_on", "assessed_on", "identified_on", "offered_on")


def _event_date(notification: Notification, data: Mapping[str, Any]) -> date:
    """The day the facts are about: the record's own date if it has one, else the day the
    event was published, in England (whatever offset its time was written with)."""
    for key in _EVENT_DATES:
        value = data.get(key)
        if isinstance(value, str):
            return date.fromisoformat(value)
    return notification.time.astimezone(ENGLAND).date()


def _se_marker(data: Mapping[str, Any]) -> bool | None:
    markers = data.get("markers")
    if isinstance(markers, Mapping):
        return bool(markers.get("sexual_exploitation"))
    for key in ("se_risk", "se_risk_identified"):
        if isinstance(data.get(key), bool):
            return bool(data[key])
    return None


def _risk(data: Mapping[str, Any]) -> int | None:
    for key in ("risk_level", "grading"):
        level = data.get(key)
        if isinstance(level, str) and level in RISK_ORDER:
            return RISK_ORDER[level]
    return None


def facts_for(
    notification: Notification,
    event: Mapping[str, Any],
    state: RoutingState,
    *,
    publisher_la: str | None,
) -> Facts:
    """The facts about ``notification`` (``event`` is its JSON form) given ``state``.

    ``publisher_la`` is the publishing council's LA code: a council publishes about people it
    is responsible for unless the notification names another responsible authority.
    """
    data: Mapping[str, Any] = event.get("data", {})
    event_host = data.get("host_la") if data.get("out_of_area") is True else None
    # A placement event says where it is; an older placement in the state is not its host.
    is_placement = notification.type.startswith("uk.sehub.placement.")
    host_la = event_host if is_placement else (event_host or state.host_la)
    looked_after = data.get("looked_after")
    if not isinstance(looked_after, bool):
        looked_after = True if is_placement or state.placements else None
    return Facts(
        child=_child(notification, data),
        looked_after=looked_after,
        se_marker=_se_marker(data),
        cross_border=host_la is not None,
        risk=_risk(data),
        responsible_la=(
            data.get("person", {}).get("responsible_la")
            or data.get("placing_la")
            or state.placing_la
            or publisher_la
        ),
        host_la=host_la,
    )
