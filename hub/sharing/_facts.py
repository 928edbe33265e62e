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
4. Where the person lives (``resident_la``) and the school they attend are what the
   notification's person says. The responsible LA is the placing LA of the child's active
   placement (the hub's record of what the responsible council notified), else the one the
   person or the placement names; never the publisher's own LA by default.
5. The host LA comes from the notification itself (an out-of-area placement starting or ending)
   or from the subject's active out-of-area placement in the routing state. The person is in
   the host LA while placed there, else where they live (``area_la``).
6. The publisher's authorities: a council service holds the resident, responsible or host
   authority whose LA is its own; a registered provider holds the responsible authority of the
   councils that registered it. A placement from a publisher that is not the responsible
   authority is a conflicting claim.
7. On the RMG: added or reviewed is on it; removed or not referred is not.
8. A placement start is notified late when the hub decides it after the placement began, unless
   it is an emergency placement published within five working days of its start (weekdays
   that are not bank holidays: Care Planning Regulations 2010 reg 13). Only placement starts
   are judged; for anything else the fact is unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.sharing._routing_state import RoutingState
from protocols import COUNCIL_SERVICES, Authority, Party, PartyKind, school_calendar
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
    resident_la: str | None = None
    school_urn: str | None = None
    on_rmg: bool | None = None
    publisher_is: frozenset[Authority] = frozenset()
    claim_conflicts: bool | None = None
    late_notice: bool | None = None

    @property
    def adult(self) -> bool | None:
        return None if self.child is None else not self.child

    @property
    def area_la(self) -> str | None:
        """The LA the person is in: the host LA while placed there, else where they live."""
        return self.host_la or self.resident_la


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


_RMG = {"added": True, "reviewed": True, "removed": False, "not_referred": False}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _publisher_is(
    publisher: Party | None, resident: str | None, responsible: str | None, host: str | None
) -> frozenset[Authority]:
    if publisher is None:
        return frozenset()
    if publisher.kind is PartyKind.PROVIDER:
        acts_for = responsible is not None and responsible in publisher.registered_by
        return frozenset({Authority.RESPONSIBLE_AUTHORITY} if acts_for else ())
    if publisher.kind not in COUNCIL_SERVICES or publisher.la_code is None:
        return frozenset()
    held = {
        Authority.RESIDENT_AUTHORITY: resident,
        Authority.RESPONSIBLE_AUTHORITY: responsible,
        Authority.HOST_AUTHORITY: host,
    }
    return frozenset(authority for authority, la in held.items() if la == publisher.la_code)


EMERGENCY_WORKING_DAYS = 5


def _late_notice(
    notification: Notification, data: Mapping[str, Any], received: datetime | None
) -> bool | None:
    if notification.type != "uk.sehub.placement.started.v1":
        return None
    started = date.fromisoformat(str(data["started_on"]))
    notified = (received or notification.time).astimezone(ENGLAND).date()
    if notified <= started:
        return False
    if data.get("emergency") is not True:
        return True
    calendar = school_calendar()
    days = (started + timedelta(days=n) for n in range(1, (notified - started).days + 1))
    return sum(calendar.is_school_day(day) for day in days) > EMERGENCY_WORKING_DAYS


def facts_for(
    notification: Notification,
    event: Mapping[str, Any],
    state: RoutingState,
    *,
    publisher: Party | None,
    received: datetime | None = None,
) -> Facts:
    """The facts about ``notification`` (``event`` is its JSON form) given ``state``.

    ``publisher`` is the publishing party as the protocol declares it (None: not a party);
    ``received`` when the hub decides (a late notice is judged by it, not by the ``time`` the
    publisher wrote; without it, by that ``time``).
    """
    data: Mapping[str, Any] = event.get("data", {})
    person: Mapping[str, Any] = data.get("person", {})
    event_host = data.get("host_la") if data.get("out_of_area") is True else None
    # A placement event says where it is; an older placement in the state is not its host.
    is_placement = notification.type.startswith("uk.sehub.placement.")
    host_la = event_host if is_placement else (event_host or state.host_la)
    looked_after = data.get("looked_after")
    if not isinstance(looked_after, bool):
        looked_after = True if is_placement or state.placements else None
    resident_la = _text(person.get("resident_la"))
    responsible_la = (
        state.responsible_la or _text(person.get("responsible_la")) or _text(data.get("placing_la"))
    )
    publisher_is = _publisher_is(publisher, resident_la, responsible_la, host_la)
    return Facts(
        child=_child(notification, data),
        looked_after=looked_after,
        se_marker=_se_marker(data),
        cross_border=host_la is not None,
        risk=_risk(data),
        responsible_la=responsible_la,
        host_la=host_la,
        resident_la=resident_la,
        school_urn=_text(person.get("school_urn")),
        on_rmg=_RMG.get(str(data.get("rmg_status"))),
        publisher_is=publisher_is,
        claim_conflicts=(
            Authority.RESPONSIBLE_AUTHORITY not in publisher_is if is_placement else None
        ),
        late_notice=_late_notice(notification, data, received),
    )
