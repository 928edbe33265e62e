"""The partnership's own mechanisms around decide(): one hub episode across agencies' reports,
withdrawals of a risk that fell, identifiers a recipient must be able to match, the hub's
episode reference on every view, placement changes, and publishers written by kind.

The golden tables (``test_decide_golden.py``) pin what each shipped rule shares; these tests pin
the rules of ``_routing_state``, ``_withdrawals`` and ``_decide`` that the tables rely on.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from hub.sharing import (
    ActivePlacement,
    Decision,
    EpisodeChange,
    MissingEpisode,
    PlacementChange,
    Refusal,
    RiskTold,
    RoutingState,
    correlate_episode,
    decide,
)
from protocols import PartyKind, Protocol, ProtocolError, parse_protocol
from schemas import parse_notification, return_interview_due, source_for_agency
from tests.unit.builders import (
    DELETE,
    documented_example,
    documented_from,
    make_ended_event,
    make_event,
    make_rule,
    partnership_protocol,
    placed,
    shipped_protocol,
)

NOW = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
DURHAM = "durham-childrens"
DURHAM_ADULTS = "durham-adults"
DURHAM_POLICE = "durham-constabulary"
DURHAM_SCHOOL = "durham-education"  # the school role's party for a Durham pupil with no URN
DURHAM_HEALTH = "durham-darlington-health"
NORTHUMBERLAND = "northumberland-childrens"
NORTHUMBERLAND_EDUCATION = "northumberland-education"
NORTHUMBRIA_POLICE = "northumbria-police"
TO_SCHOOL = "se-risk-to-school"
TO_HEALTH = "se-risk-to-health"
TO_POLICE = "se-risk-to-police"


def _day(text: str) -> date:
    return date.fromisoformat(text)


# --- one episode, many sources -------------------------------------------------------------------


def _started(on: str, publisher: str = NORTHUMBRIA_POLICE) -> Any:
    """A missing report (started) from ``publisher`` of an episode that began ``on``."""
    return parse_notification(
        make_event(source=source_for_agency(publisher), data={"started_on": on})
    )


def _ended(started_on: str, ended_on: str, publisher: str = NORTHUMBERLAND) -> Any:
    """A missing report (ended) from ``publisher`` of an episode from ``started_on`` to
    ``ended_on``."""
    event = make_ended_event(
        source=source_for_agency(publisher),
        data={
            "started_on": started_on,
            "ended_on": ended_on,
            "return_interview_due": return_interview_due(_day(ended_on), None).isoformat(),
        },
    )
    del event["data"]["ended_at"]
    return parse_notification(event)


def _episode(
    reference: str,
    sources: set[str],
    started: str,
    ended: str | None,
    publishers: frozenset[str] = frozenset(),
) -> MissingEpisode:
    return MissingEpisode(
        reference,
        frozenset(sources),
        _day(started),
        None if ended is None else _day(ended),
        publishers=publishers,
    )


def _known(*episodes: MissingEpisode) -> RoutingState:
    return RoutingState(episodes=episodes)


def test_a_report_of_no_known_episode_starts_one_under_the_fresh_reference() -> None:
    """With nothing known about the subject, the report starts a new hub episode of its own
    dates, under the reference the router derived, with its own episode as its only source."""
    change = correlate_episode(_started("2026-11-28"), RoutingState(), "src-police", "ep-new")

    assert change == EpisodeChange(
        _episode("ep-new", {"src-police"}, "2026-11-28", None, frozenset({NORTHUMBRIA_POLICE})),
        new=True,
    )


def test_a_report_joins_the_episode_its_own_episode_is_part_of() -> None:
    """The council's report of its episode's end joins the hub episode its start began, and
    closes it on the day the council says."""
    state = _known(_episode("ep-1", {"src-council"}, "2026-11-28", None))

    change = correlate_episode(_ended("2026-11-28", "2026-11-30"), state, "src-council", "ep-x")

    assert change == EpisodeChange(
        _episode("ep-1", {"src-council"}, "2026-11-28", "2026-11-30", frozenset({NORTHUMBERLAND})),
        new=False,
    )


def test_its_own_episode_comes_before_one_whose_dates_overlap() -> None:
    """A report whose own episode is known joins that one, even when another overlaps it."""
    state = _known(
        _episode("ep-own", {"src-council"}, "2026-11-20", "2026-11-21"),
        _episode("ep-other", {"src-police"}, "2026-11-28", None),
    )

    change = correlate_episode(_started("2026-11-28"), state, "src-council", "ep-x")

    assert change is not None
    assert change.episode.reference == "ep-own"
    assert change.new is False


OVERLAPS = [
    # known episode (started, ended), report (started, ended), joins?
    (("2026-11-28", "2026-11-29"), ("2026-11-29", None), True),
    (("2026-11-28", "2026-11-29"), ("2026-11-30", None), True),  # a day after its end
    (("2026-11-28", "2026-11-29"), ("2026-12-01", None), False),  # two days after
    (("2026-11-28", None), ("2026-12-05", None), True),  # it has not ended
    (("2026-11-28", "2026-11-29"), ("2026-11-26", "2026-11-27"), True),  # a day before it began
    (("2026-11-28", "2026-11-29"), ("2026-11-25", "2026-11-26"), False),  # two days before
    (("2026-11-28", "2026-11-29"), ("2026-11-20", None), True),  # began before, still open
]


@pytest.mark.parametrize(("known", "report", "joins"), OVERLAPS)
def test_a_report_of_another_source_joins_an_episode_its_dates_overlap_with_a_days_slack(
    known: tuple[str, str | None], report: tuple[str, str | None], joins: bool
) -> None:
    """The police's report joins the council's episode when their dates overlap, a day either
    side allowed (councils record dates, the police times); otherwise it starts its own."""
    state = _known(_episode("ep-council", {"src-council"}, *known))
    started, ended = report
    notification = _started(started) if ended is None else _ended(started, ended)

    change = correlate_episode(notification, state, "src-police", "ep-police")

    assert change is not None
    assert change.new is not joins
    assert change.episode.reference == ("ep-council" if joins else "ep-police")


def test_joining_an_episode_widens_it_to_both_reports_and_keeps_each_source() -> None:
    """The joined episode keeps its reference, gains the new source, and runs from the earlier
    start to the later end."""
    state = _known(_episode("ep-1", {"src-council"}, "2026-11-28", "2026-11-29"))

    change = correlate_episode(_ended("2026-11-27", "2026-11-30"), state, "src-police", "ep-x")

    assert change == EpisodeChange(
        _episode(
            "ep-1",
            {"src-council", "src-police"},
            "2026-11-27",
            "2026-11-30",
            frozenset({NORTHUMBERLAND}),
        ),
        new=False,
    )


def test_a_publishers_new_episode_is_a_new_episode_even_when_its_dates_overlap() -> None:
    """The police reporting a second episode (a new episode id of theirs) while their first is
    still open start a new hub episode; another agency's overlapping report would have joined."""
    known = _episode("ep-1", {"src-police-1"}, "2026-11-20", None, frozenset({NORTHUMBRIA_POLICE}))

    same = correlate_episode(_started("2026-11-28"), _known(known), "src-police-2", "ep-2")
    other = correlate_episode(
        _started("2026-11-28", NORTHUMBERLAND), _known(known), "src-council", "ep-3"
    )

    assert same is not None
    assert (same.episode.reference, same.new) == ("ep-2", True)
    assert other is not None
    assert (other.episode.reference, other.new) == ("ep-1", False)


def test_an_open_report_joining_a_closed_episode_leaves_it_closed() -> None:
    """A police report still open joining an episode the council has closed keeps its end."""
    state = _known(_episode("ep-1", {"src-council"}, "2026-11-28", "2026-11-29"))

    change = correlate_episode(_started("2026-11-29"), state, "src-police", "ep-x")

    assert change is not None
    assert change.episode.ended_on == _day("2026-11-29")


def test_a_return_interview_joins_only_the_episode_it_follows_unchanged() -> None:
    """A return interview belongs to the known episode it names, which it does not change; it
    starts none and joins none by its dates."""
    interview = parse_notification(documented_example("return_interview.recorded"))
    episode = _episode("ep-1", {"src-council"}, "2026-11-28", "2026-11-29")

    assert correlate_episode(interview, _known(episode), "src-council", "ep-x") == EpisodeChange(
        episode, new=False
    )
    assert correlate_episode(interview, _known(episode), "src-unknown", "ep-x") is None
    assert correlate_episode(interview, RoutingState(), "src-council", "ep-x") is None


@pytest.mark.parametrize("type_name", ["concern.raised", "placement.started", "se_risk.assessed"])
def test_a_notification_about_no_missing_episode_belongs_to_none(type_name: str) -> None:
    """Only missing reports and return interviews belong to an episode."""
    notification = parse_notification(documented_example(type_name))
    state = _known(_episode("ep-1", {"src-a"}, "2026-11-20", None))

    assert correlate_episode(notification, state, "src-a", "ep-x") is None


# --- the hub's episode reference on every view ---------------------------------------------------


def _decide(
    event: dict[str, Any],
    state: RoutingState = RoutingState(),  # noqa: B008  # frozen, shared empty state
    protocol: Protocol | None = None,
    episode: str | None = None,
) -> Decision:
    return decide(
        parse_notification(event), protocol or shipped_protocol(), NOW, state, episode=episode
    )


DURHAM_CHILD = {"data__person__resident_la": "929", "data__person__responsible_la": "840"}
DURHAM_IN_NORTHUMBERLAND = placed("840", "929", "DUR-PL-1")


def test_the_hub_episode_travels_on_every_view_whatever_the_rule_allows() -> None:
    """Every recipient of a missing report, the school's minimal view too, is given the hub's
    episode reference, listed as shared and never withheld."""
    event = documented_from(DURHAM, "missing_episode.ended", **DURHAM_CHILD)

    decision = _decide(event, DURHAM_IN_NORTHUMBERLAND, episode="ep-hub-1")

    assert decision.episode == "ep-hub-1"
    assert len(decision.views) == 4
    for view in decision.views:
        assert view.event["hubepisode"] == "ep-hub-1", view.recipient
        assert "hubepisode" in view.shared
        assert "hubepisode" not in view.receipt.withheld
        assert view.event["episodeid"] == event["episodeid"]


def test_without_a_hub_episode_no_view_names_one() -> None:
    """A notification that belongs to no episode gives no view a ``hubepisode``."""
    decision = _decide(documented_example("concern.raised"))

    assert decision.episode is None
    assert decision.views
    assert all("hubepisode" not in view.event for view in decision.views)


def test_a_withdrawal_carries_the_hub_episode_too() -> None:
    """A withdrawal is a view like any other: it carries the hub's episode reference."""
    state = RoutingState(told=(RiskTold(DURHAM_HEALTH, TO_HEALTH, 3, on_rmg=True),))
    event = documented_from(DURHAM, "se_risk.assessed", **LOW_OFF_RMG, **AT_HOME_IN_DURHAM)

    decision = _decide(event, state, episode="ep-hub-2")

    (withdrawal,) = [view for view in decision.views if view.receipt.withdrawal]
    assert withdrawal.event["hubepisode"] == "ep-hub-2"


def test_a_clocks_alerts_carry_the_hub_episode_as_every_view_does() -> None:
    """BUG (hub/sharing/_clocks.py _alert): decide() rule 9 says the hub's episode reference
    travels on every view, but a clock's alert (a View, about the very episode whose return
    interview is overdue) copies only correlationid, episodeid and subject, so the police and
    the responsible council cannot match the alert to the other agencies' reports of it."""
    event = documented_from(DURHAM, "missing_episode.ended", **DURHAM_CHILD)

    decision = _decide(event, DURHAM_IN_NORTHUMBERLAND, episode="ep-hub-3")

    (start,) = decision.clocks_started
    assert start.alerts
    assert {alert.event.get("hubepisode") for alert in start.alerts} == {"ep-hub-3"}


# --- withdrawals ---------------------------------------------------------------------------------

AT_HOME_IN_DURHAM = {"data__person__resident_la": "840", "data__person__responsible_la": "840"}
LOW_OFF_RMG = {"data__risk_level": "low", "data__checklist_score": 1, "data__rmg_status": "removed"}
LOW_ON_RMG = {"data__risk_level": "low", "data__checklist_score": 1, "data__rmg_status": "reviewed"}
MEDIUM_ON_RMG = {"data__risk_level": "medium", "data__checklist_score": 2}
MEDIUM_OFF_RMG = {**MEDIUM_ON_RMG, "data__rmg_status": "removed"}
TOLD_HIGH = (
    RiskTold(DURHAM_SCHOOL, TO_SCHOOL, 3, on_rmg=True),
    RiskTold(DURHAM_HEALTH, TO_HEALTH, 3, on_rmg=True),
)


def _assessed(publisher: str = DURHAM, **changes: Any) -> dict[str, Any]:
    """An SE risk assessment of a Durham child at home, by ``publisher``."""
    return documented_from(publisher, "se_risk.assessed", **AT_HOME_IN_DURHAM, **changes)


def _told(decision: Decision) -> dict[str, tuple[str, bool]]:
    """Recipient -> (rule id, whether it is a withdrawal)."""
    return {v.recipient: (v.receipt.rule_id, v.receipt.withdrawal) for v in decision.views}


def test_a_risk_that_falls_is_withdrawn_from_everyone_told_of_more() -> None:
    """A low risk, still on the RMG, reaches the school and health told of high, each under
    the rule that told it, with its fields only, marked as a withdrawal."""
    decision = _decide(_assessed(**LOW_ON_RMG), RoutingState(told=TOLD_HIGH))

    assert _told(decision) == {
        DURHAM_POLICE: (TO_POLICE, False),
        DURHAM_SCHOOL: (TO_SCHOOL, True),
        DURHAM_HEALTH: (TO_HEALTH, True),
    }
    views = {view.recipient: view for view in decision.views}
    assert views[DURHAM_SCHOOL].event["data"] == {
        "person": {"upn": "H801200001001"},
        "assessed_on": "2026-11-25",
        "risk_level": "low",
        "rmg_status": "reviewed",
        "review_on": "2027-01-06",
        "plan_in_place": True,
    }
    assert "data.person.nhs_number" in views[DURHAM_SCHOOL].receipt.withheld
    assert decision.told == (
        RiskTold(DURHAM_SCHOOL, TO_SCHOOL, 1, on_rmg=True),
        RiskTold(DURHAM_HEALTH, TO_HEALTH, 1, on_rmg=True),
    )


def test_a_risk_still_above_a_threshold_is_shared_and_withdrawn_only_below_it() -> None:
    """Falling from high to medium: the school (medium and above) is told as usual, health
    (high only) is told of it as a withdrawal."""
    decision = _decide(_assessed(**MEDIUM_ON_RMG), RoutingState(told=TOLD_HIGH))

    assert _told(decision)[DURHAM_SCHOOL] == (TO_SCHOOL, False)
    assert _told(decision)[DURHAM_HEALTH] == (TO_HEALTH, True)


@pytest.mark.parametrize("level", [None, 2], ids=["level-not-known", "same-level"])
def test_leaving_the_rmg_is_withdrawn_from_those_told_while_on_it(level: int | None) -> None:
    """Health told while the child was on the RMG hears when they leave it, even when the
    level it was told is not lower than the new one."""
    state = RoutingState(told=(RiskTold(DURHAM_HEALTH, TO_HEALTH, level, on_rmg=True),))

    decision = _decide(_assessed(**MEDIUM_OFF_RMG), state)

    assert _told(decision)[DURHAM_HEALTH] == (TO_HEALTH, True)


@pytest.mark.parametrize(
    ("told", "changes"),
    [
        (RiskTold(DURHAM_SCHOOL, TO_SCHOOL, 1, on_rmg=False), LOW_OFF_RMG),
        (RiskTold(DURHAM_HEALTH, TO_HEALTH, 1, on_rmg=True), LOW_ON_RMG),
        (RiskTold(DURHAM_HEALTH, TO_HEALTH, 0, on_rmg=False), LOW_OFF_RMG),
        (RiskTold(DURHAM_HEALTH, TO_HEALTH, None, on_rmg=False), LOW_OFF_RMG),
    ],
    ids=["same-low", "same-low-still-on-rmg", "told-lower", "level-not-known-off-rmg"],
)
def test_a_risk_that_has_not_fallen_is_not_withdrawn(
    told: RiskTold, changes: dict[str, Any]
) -> None:
    """No lower level and no leaving the RMG: the recipient below the threshold hears nothing."""
    decision = _decide(_assessed(**changes), RoutingState(told=(told,)))

    assert told.recipient not in _told(decision)
    assert decision.told == ()


@pytest.mark.parametrize(
    "told",
    [
        RiskTold(DURHAM_SCHOOL, TO_SCHOOL, 3, on_rmg=True),
        RiskTold(DURHAM_POLICE, TO_SCHOOL, 3, on_rmg=True),
    ],
    ids=["served-by-the-same-rule", "served-by-another-rule"],
)
def test_a_recipient_this_notification_reaches_anyway_is_not_told_twice(told: RiskTold) -> None:
    """A recipient served by a rule is given that one view, never a withdrawal besides."""
    decision = _decide(_assessed(**MEDIUM_ON_RMG), RoutingState(told=(told,)))
    mine = [view for view in decision.views if view.recipient == told.recipient]

    assert len(mine) == 1
    assert mine[0].receipt.withdrawal is False


def _without(rule_id: str, **changes: Any) -> Protocol:
    """The shipped protocol with ``rule_id`` removed, or changed (``changes`` given)."""
    protocol = shipped_protocol()
    rules = tuple(
        rule.model_copy(update=changes) if rule.id == rule_id else rule
        for rule in protocol.rules
        if rule.id != rule_id or changes
    )
    return protocol.model_copy(update={"rules": rules})


@pytest.mark.parametrize(
    "protocol",
    [_without(TO_SCHOOL), _without(TO_SCHOOL, withdraw=False)],
    ids=["rule-removed", "rule-no-longer-withdraws"],
)
def test_a_withdrawal_needs_the_rule_that_told_the_recipient(protocol: Protocol) -> None:
    """A recipient told under a rule that is gone, or no longer withdraws, is not told again."""
    decision = _decide(_assessed(**LOW_OFF_RMG), RoutingState(told=TOLD_HIGH), protocol)

    assert DURHAM_SCHOOL not in _told(decision)
    assert _told(decision)[DURHAM_HEALTH] == (TO_HEALTH, True)


def test_a_withdrawal_needs_the_rule_to_let_this_publisher_publish_it() -> None:
    """Adult social care may tell health but not the school: its low assessment of a young
    adult (who still has a UPN) withdraws health's high, and tells the school nothing."""
    adult = _assessed(DURHAM_ADULTS, **LOW_OFF_RMG, data__person__date_of_birth="2007-02-14")

    decision = _decide(adult, RoutingState(told=TOLD_HIGH))

    assert DURHAM_SCHOOL not in _told(decision)
    assert _told(decision)[DURHAM_HEALTH] == (TO_HEALTH, True)


def test_the_publisher_is_never_sent_a_withdrawal() -> None:
    """A state that says the publisher itself was told is no reason to send it its own event."""
    state = RoutingState(told=(RiskTold(DURHAM, TO_HEALTH, 3, on_rmg=True),))

    decision = _decide(_assessed(**LOW_OFF_RMG), state)

    assert DURHAM not in _told(decision)


def test_a_withdrawal_without_an_identifier_the_recipient_matches_is_refused() -> None:
    """Health matches people by NHS number: a withdrawal without one is refused with the
    reason, and health is not remembered as told."""
    event = _assessed(**LOW_OFF_RMG, data__person__nhs_number=DELETE)

    decision = _decide(event, RoutingState(told=TOLD_HIGH))

    assert DURHAM_HEALTH not in _told(decision)
    assert (
        Refusal(
            DURHAM_HEALTH,
            TO_HEALTH,
            "no identifier the recipient can match (needs one of: data.person.nhs_number)",
        )
        in decision.refusals
    )
    assert [t.recipient for t in decision.told] == [DURHAM_SCHOOL]


def test_a_notification_no_rule_allows_withdraws_nothing() -> None:
    """Durham's assessment of a child that is not Durham's reaches nobody, a withdrawal neither."""
    event = documented_from(DURHAM, "se_risk.assessed", **LOW_OFF_RMG)  # a Northumberland child

    decision = _decide(event, RoutingState(told=TOLD_HIGH))

    assert decision.views == ()
    assert decision.authorised is False


# --- identifiers a recipient can match -----------------------------------------------------------

ONLY_UPN = ["data.person.upn"]


def _identified(event: dict[str, Any], *rules: dict[str, Any]) -> Decision:
    protocol = partnership_protocol(*rules)
    return decide(parse_notification(event), protocol, NOW)


def _rule(**changes: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": "rule-id",
        "publishers": [NORTHUMBERLAND],
        "recipients": [NORTHUMBERLAND_EDUCATION],
        "fields": ["data.person.upn", "data.person.nhs_number", "data.missing_type"],
        "identify_by": ONLY_UPN,
        "escalation": None,
    }
    rule.update(changes)
    return make_rule(**rule)


def test_a_view_with_an_identifier_the_recipient_matches_is_sent() -> None:
    """A view holding the UPN the rule asks for is served."""
    decision = _identified(make_event(), _rule())

    assert [view.recipient for view in decision.views] == [NORTHUMBERLAND_EDUCATION]


def test_a_view_without_one_is_refused_with_the_reason_and_not_sent() -> None:
    """A view holding none of the identifiers is refused, named, with what it needed."""
    event = make_event(data={"person": {"upn": None}})
    del event["data"]["person"]["upn"]

    decision = _identified(event, _rule())

    assert decision.views == ()
    assert decision.refusals == (
        Refusal(
            NORTHUMBERLAND_EDUCATION,
            "rule-id",
            "no identifier the recipient can match (needs one of: data.person.upn)",
        ),
    )


@pytest.mark.parametrize(
    ("drop", "served"),
    [((), True), (("upn",), True), (("nhs_number",), True), (("upn", "nhs_number"), False)],
    ids=["both", "nhs-number-only", "upn-only", "neither"],
)
def test_any_one_of_the_identifiers_will_do(drop: tuple[str, ...], served: bool) -> None:
    """With two identifiers named, a view holding either is served; holding neither, refused."""
    event = make_event()
    for key in drop:
        del event["data"]["person"][key]
    rule = _rule(identify_by=["data.person.upn", "data.person.nhs_number"])

    decision = _identified(event, rule)

    assert bool(decision.views) is served
    if not served:
        assert decision.refusals[0].reason.endswith(
            "(needs one of: data.person.upn, data.person.nhs_number)"
        )


def test_a_field_sharing_the_identifiers_whole_subtree_satisfies_it() -> None:
    """``fields: [data.person]`` shares the UPN beneath it, so the view is identified."""
    decision = _identified(make_event(), _rule(fields=["data.person"]))

    assert [view.recipient for view in decision.views] == [NORTHUMBERLAND_EDUCATION]


def test_an_identifier_the_rule_does_not_share_refuses_every_view() -> None:
    """An ``identify_by`` path the rule's fields do not allow is never in a view, whatever the
    notification holds (lint reports such a rule)."""
    decision = _identified(make_event(), _rule(fields=["data.missing_type"]))

    assert decision.views == ()
    assert decision.refusals[0].recipient == NORTHUMBERLAND_EDUCATION


def test_a_refused_view_leaves_the_recipient_to_a_later_rule() -> None:
    """A view refused for want of an identifier does not count as served: a later rule that
    needs none serves the recipient under its own fields."""
    event = make_event()
    del event["data"]["person"]["upn"]
    later = _rule(id="rule-later", identify_by=[], fields=["data.missing_type"])

    decision = _identified(event, _rule(), later)

    (view,) = decision.views
    assert (view.recipient, view.receipt.rule_id) == (NORTHUMBERLAND_EDUCATION, "rule-later")
    assert view.event["data"] == {"missing_type": "missing"}


# --- placements change only from the responsible authority ---------------------------------------


@pytest.mark.parametrize(
    ("publisher", "state", "changed"),
    [
        (DURHAM, RoutingState(), True),
        (DURHAM, DURHAM_IN_NORTHUMBERLAND, True),
        ("synthetic-care-homes", DURHAM_IN_NORTHUMBERLAND, True),
        (NORTHUMBERLAND, DURHAM_IN_NORTHUMBERLAND, False),
        ("gateshead-childrens", DURHAM_IN_NORTHUMBERLAND, False),
        (NORTHUMBRIA_POLICE, DURHAM_IN_NORTHUMBERLAND, False),
    ],
    ids=["first-placement", "responsible", "registered-provider", "host", "other", "police"],
)
@pytest.mark.parametrize("type_name", ["placement.started", "placement.ended"])
def test_only_the_responsible_authority_changes_a_childs_placement(
    publisher: str, state: RoutingState, changed: bool, type_name: str
) -> None:
    """A placement starting or ending from the responsible council (or a provider it
    registered) is remembered; from anyone else, nothing changes."""
    event = documented_from(
        publisher,
        type_name,
        **DURHAM_CHILD,
        data__placing_la="840",
        data__confidential=False,
        data__host_la="929",
        data__out_of_area=True,
    )

    decision = _decide(event, state)

    episode = event["episodeid"]
    if not changed:
        assert decision.placement is None
    elif type_name == "placement.started":
        assert decision.placement == PlacementChange(
            episode, ActivePlacement(episode, "840", "929")
        )
    else:
        assert decision.placement == PlacementChange(episode, None)


@pytest.mark.parametrize(
    ("changes", "host"),
    [
        ({"data__host_la": "929", "data__out_of_area": True}, "929"),
        ({"data__host_la": "840", "data__out_of_area": False}, "840"),
    ],
    ids=["out-of-area", "in-area"],
)
def test_a_placement_is_remembered_with_its_host(changes: dict[str, Any], host: str) -> None:
    """An active placement is remembered with where it lies (the placing LA when in area)."""
    event = documented_from(
        DURHAM, "placement.started", **DURHAM_CHILD, data__placing_la="840", **changes
    )

    placement = _decide(event).placement

    assert placement is not None
    assert placement.started is not None
    assert placement.started.host_la == host
    assert placement.started.out_of_area is (host != "840")


# --- publishers written by kind ------------------------------------------------------------------


def test_a_shipped_rule_written_for_a_kind_names_every_party_of_that_kind() -> None:
    """``{kind: children_services}`` is every council's children's services, in file order;
    with ``{kind: provider}`` beside it, the registered providers too."""
    protocol = shipped_protocol()
    rules = {rule.id: rule for rule in protocol.rules}
    childrens = tuple(p.id for p in protocol.parties_of(PartyKind.CHILDREN_SERVICES))
    providers = tuple(p.id for p in protocol.parties_of(PartyKind.PROVIDER))

    assert len(childrens) == 9
    assert rules["missing-child-from-council-to-police"].publishers == childrens
    assert rules["placement-to-host-area"].publishers == (*childrens, *providers)
    assert protocol.clocks[0].starts_on.publishers == childrens


KINDS = """
id: t
title: t
version: "1"
parties:
  - {id: a-childrens, name: A, kind: children_services, la_code: "929"}
  - {id: a-police, name: P, kind: police, areas: ["929"]}
  - {id: b-childrens, name: B, kind: children_services, la_code: "391"}
rules:
  - id: r
    types: [uk.sehub.missing_episode.ended.v1, uk.sehub.return_interview.recorded.v1]
    publishers: PUBLISHERS
    recipients: [a-police]
    fields: [data.person]
    purpose: p
    lawful_basis: [b]
    retention: P1Y
  - id: r-councils
    types: [uk.sehub.missing_episode.ended.v1, uk.sehub.return_interview.recorded.v1]
    publishers: [{kind: children_services}]
    recipients: [a-police]
    fields: [data.person]
    purpose: p
    lawful_basis: [b]
    retention: P1Y
clocks:
  - id: c
    description: d
    starts_on: {types: [uk.sehub.missing_episode.ended.v1], publishers: [{kind: children_services}]}
    due: {field: data.return_interview_due}
    stops_on:
      types: [uk.sehub.return_interview.recorded.v1]
      publishers: [{kind: children_services}]
    recipients: [a-police]
    fields: [data.person]
    purpose: p
    lawful_basis: [b]
    retention: P1Y
"""


@pytest.mark.parametrize(
    ("publishers", "expanded"),
    [
        ("[{kind: children_services}]", ("a-childrens", "b-childrens")),
        ("[b-childrens, {kind: children_services}]", ("b-childrens", "a-childrens")),
        ("[{kind: children_services}, a-police]", ("a-childrens", "b-childrens", "a-police")),
        ("[{kind: police}, a-police]", ("a-police",)),
    ],
    ids=["kind", "id-then-kind", "kind-then-id", "each-once"],
)
def test_a_kind_expands_to_its_parties_in_file_order_each_once(
    publishers: str, expanded: tuple[str, ...]
) -> None:
    """The loader writes a kind out as its parties, in file order, after what precedes it,
    naming each party once; a clock's triggers are expanded the same way."""
    protocol = parse_protocol(KINDS.replace("PUBLISHERS", publishers).encode())

    assert protocol.rules[0].publishers == expanded
    assert protocol.clocks[0].starts_on.publishers == ("a-childrens", "b-childrens")
    assert protocol.clocks[0].stops_on.publishers == ("a-childrens", "b-childrens")


@pytest.mark.parametrize(
    "publishers",
    ["[{kind: licensing}]", "[{kind: councils}]", "[{kind: police, la_code: '929'}]"],
    ids=["a-kind-no-party-has", "not-a-kind", "a-kind-with-another-key"],
)
def test_a_kind_that_names_no_party_does_not_load(publishers: str) -> None:
    """A kind no party has, a kind that does not exist, or a kind with anything beside it is
    refused where it is written: it never silently widens or empties a rule."""
    text = KINDS.replace("PUBLISHERS", publishers).encode()

    with pytest.raises(ProtocolError, match=r"rules\[0\]\.publishers"):
        parse_protocol(text)


def test_a_publisher_cannot_post_its_own_hub_episode_reference() -> None:
    """``hubepisode`` is the hub's to set: a posted notification carrying one is refused, so no
    publisher can make its report join (or split from) another agency's episode."""
    event = make_event()
    event["hubepisode"] = "ep-0123456789abcdef0123456789abcdef"

    with pytest.raises(ValidationError):
        parse_notification(event)
