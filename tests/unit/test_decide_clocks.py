"""Statutory clocks planned by decide(): started, stopped, due, and the alerts they would send."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub.sharing import (
    CLOCK_FIRED_TYPE,
    HUB_SOURCE,
    ClockStop,
    Decision,
    EpisodeRef,
    Refusal,
    RoutingState,
    decide,
)
from protocols import Protocol, load_protocol
from schemas import parse_notification, source_for_agency
from tests.unit.builders import (
    CHILDRENS,
    DURHAM_POLICE,
    GDPR_BASIS,
    NEWCASTLE,
    NORTHUMBERLAND_LA,
    POLICE,
    PROTOCOL_PATH,
    RETURN_INTERVIEW,
    documented_example,
    make_clock,
    make_ended_event,
    make_protocol,
    make_rule,
    placed_in,
)

ENDED_AT = datetime(2026, 11, 30, 8, 50, tzinfo=UTC)  # make_ended_event's ended_at
DUE = ENDED_AT + timedelta(hours=72)  # and its return_interview_due
ROUTED = datetime(2026, 11, 30, 9, 10, tzinfo=UTC)  # twenty minutes after the child came back
EPISODE = EpisodeRef(source_for_agency(CHILDRENS), "MIS-TEST-0001")
RI_RULE = make_rule(id="rule-ri", types=[RETURN_INTERVIEW])


def _protocol(**clock: Any) -> Protocol:
    return make_protocol(make_rule(), RI_RULE, clocks=[make_clock(**clock)])


def _ended(**changes: Any) -> Decision:
    protocol = changes.pop("protocol", None) or _protocol()
    now = changes.pop("now", ROUTED)
    state = changes.pop("state", RoutingState())
    return decide(parse_notification(make_ended_event(**changes)), protocol, now, state)


def _interview(protocol: Protocol | None = None, **changes: Any) -> Decision:
    event = documented_example(
        "return_interview.recorded",
        source=source_for_agency(CHILDRENS),
        episodeid="MIS-TEST-0001",
        data__episode_ref="MIS-TEST-0001",
    )
    for key, value in changes.items():
        event[key] = value
    return decide(parse_notification(event), protocol or _protocol(), ROUTED)


# --- starting -----------------------------------------------------------------------------------


RESPONSIBLE = {"person": {"responsible_la": NORTHUMBERLAND_LA}}  # children's services' own child


def test_an_ended_episode_starts_the_clock_due_at_its_return_interview_time() -> None:
    """The ended episode starts the clock for its own episode, due 72 hours after the return."""
    decision = _ended(data=RESPONSIBLE)

    (start,) = decision.clocks_started
    assert (start.clock_id, start.episode, start.due_at, start.fires_at_once) == (
        "clock-a",
        EPISODE,
        DUE,
        False,
    )
    assert [alert.recipient for alert in start.alerts] == [CHILDRENS, POLICE]
    assert decision.clocks_stopped == ()


def test_a_child_naming_no_responsible_la_alerts_the_police_only() -> None:
    """The publisher's own LA is never assumed responsible: that alert is refused, with why."""
    decision = _ended()

    (start,) = decision.clocks_started
    assert [alert.recipient for alert in start.alerts] == [POLICE]
    assert (
        Refusal(
            None,
            "clock-a",
            "role responsible_authority: responsible authority (not looked after, or not "
            "known): not known",
        )
        in decision.refusals
    )


def test_a_child_who_turned_18_still_missing_starts_no_clock() -> None:
    """No return interview is due, so no clock starts; the decision says why."""
    decision = _ended(
        data={
            "person": {"date_of_birth": "2008-11-30"},
            "end_reason": "turned_18_still_missing",
            "return_interview_due": None,
        }
    )

    assert decision.clocks_started == ()
    assert (
        Refusal(None, "clock-a", "clock not started: condition not met: data.end_reason")
        in decision.refusals
    )


def test_an_episode_that_ended_more_than_72_hours_ago_is_due_in_the_past() -> None:
    """Learned of four days late, the clock is already due: it fires as soon as it is held."""
    late = ENDED_AT + timedelta(days=4)

    (start,) = _ended(now=late).clocks_started

    assert start.due_at == DUE
    assert start.due_at <= late
    assert start.fires_at_once is True
    # The alert's own deadline counts from its release (now), not from the past due time.
    assert {a.receipt.acknowledge_by for a in start.alerts} == {None}
    (timed,) = _ended(now=late, protocol=_protocol(acknowledge_within="1d")).clocks_started
    assert {a.receipt.acknowledge_by for a in timed.alerts} == {late + timedelta(days=1)}


def test_exactly_at_the_due_time_the_clock_fires_at_once() -> None:
    """A clock due the very moment it starts is not in the future: it fires at once."""
    (start,) = _ended(now=DUE).clocks_started

    assert start.fires_at_once is True


def test_a_clock_due_in_the_future_has_its_alert_deadline_counted_from_the_due_time() -> None:
    """The alert is released at the due time; its acknowledgement deadline counts from then."""
    (start,) = _ended(protocol=_protocol(acknowledge_within="1d")).clocks_started

    assert {a.receipt.acknowledge_by for a in start.alerts} == {DUE + timedelta(days=1)}


def test_due_after_a_duration_from_a_date_counts_from_the_start_of_that_day_in_england() -> None:
    """``after: 72h, from: data.ended_on`` counts from midnight in England, in UTC."""
    protocol = _protocol(due={"after": "72h", "from": "data.ended_on"})

    (start,) = _ended(
        protocol=protocol,
        data={
            "ended_on": "2026-06-30",
            "started_on": "2026-06-29",
            "ended_at": "2026-06-30T08:50:00+01:00",
            "return_interview_due": "2026-07-03T07:50:00Z",
        },
    ).clocks_started

    assert start.due_at == datetime(2026, 7, 2, 23, 0, tzinfo=UTC)  # 72h after 00:00 BST


def test_an_ended_episode_from_a_publisher_not_named_starts_no_clock() -> None:
    """The police may publish ended episodes, but this clock is children's services' to start."""
    protocol = make_protocol(
        make_rule(),
        make_rule(id="rule-p", publishers=[POLICE], recipients=[CHILDRENS]),
        RI_RULE,
        clocks=[make_clock()],
    )

    decision = _ended(protocol=protocol, source=source_for_agency(POLICE))

    assert decision.clocks_started == ()
    assert not [r for r in decision.refusals if r.rule_id == "clock-a"]


def test_an_ended_episode_naming_no_episode_starts_no_clock() -> None:
    """Without an episode id nothing could ever stop the clock; it is refused, with the reason."""
    event = make_ended_event()
    del event["episodeid"]

    decision = decide(parse_notification(event), _protocol(), ROUTED)

    assert decision.clocks_started == ()
    assert Refusal(None, "clock-a", "clock not started: no episode at episodeid") in (
        decision.refusals
    )


def test_an_ended_episode_without_the_due_time_starts_no_clock() -> None:
    """A clock counted from a time the notification does not hold cannot fall due: refused."""
    protocol = _protocol(due={"after": "72h", "from": "data.ended_at"})
    event = make_ended_event()
    del event["data"]["ended_at"]
    event["data"]["return_interview_due"] = "2026-12-03T00:00:00Z"  # 72h from 00:00 GMT

    decision = decide(parse_notification(event), protocol, ROUTED)

    assert decision.clocks_started == ()
    assert Refusal(None, "clock-a", "clock not started: no time at data.ended_at") in (
        decision.refusals
    )


def test_a_clock_with_nobody_to_alert_does_not_start() -> None:
    """A clock whose every recipient fails to resolve is refused, not started silently."""
    decision = _ended(protocol=_protocol(recipients=[{"role": "host_authority"}]))

    assert decision.clocks_started == ()
    assert [r.reason for r in decision.refusals if r.rule_id == "clock-a"] == [
        "role host_authority: host authority (no active out-of-area placement): not known",
        "clock not started: nobody to alert",
    ]


def test_a_party_resolved_twice_is_alerted_once() -> None:
    """Placed in Newcastle, the host area's police are Northumbria Police again: one alert."""
    protocol = _protocol(
        recipients=[POLICE, {"role": "police_for_host_area"}, {"role": "host_authority"}]
    )

    decision = _ended(protocol=protocol, state=placed_in("391"))

    (start,) = decision.clocks_started
    assert [a.recipient for a in start.alerts] == [POLICE, NEWCASTLE]
    assert Refusal(POLICE, "clock-a", "already alerted by this clock") in decision.refusals


# --- the alert ----------------------------------------------------------------------------------


def test_each_alert_holds_only_the_clocks_fields_with_the_clocks_receipt() -> None:
    """The alert is minimised like a rule's view: only the allow-list, the rest named withheld."""
    decision = _ended(subject="SYNTHETIC-REF-1")

    (start,) = decision.clocks_started
    for alert in start.alerts:
        assert alert.event["data"] == {
            "person": {"upn": "H801200001001"},
            "ended_on": "2026-11-30",
            "return_interview_due": "2026-12-03T08:50:00Z",
        }
        assert "subject" not in alert.event
        assert alert.receipt.rule_id == "clock-a"
        assert alert.receipt.lawful_basis == (*GDPR_BASIS, "Synthetic Act 2000 s2")
        assert alert.receipt.purpose == "Synthetic clock purpose."
        assert alert.receipt.protocol_version == decision.protocol_version
        assert alert.receipt.withheld == (
            "data.end_reason",
            "data.ended_at",
            "data.found_location",
            "data.looked_after",
            "data.missing_type",
            "data.person.date_of_birth",
            "data.person.local_id",
            "data.person.nhs_number",
            "data.person.resident_la",
            "data.person.sex",
            "data.started_on",
            "subject",
        )
        assert "data.person.upn" in alert.shared
        assert not set(alert.shared) & set(alert.receipt.withheld)


def test_the_alert_is_a_cloudevent_from_the_hub_naming_the_clock_and_its_start() -> None:
    """Type clock.fired, from the hub, at the due time; the starting event named, not copied."""
    (start,) = _ended(correlationid="CORR-1").clocks_started
    event = dict(start.alerts[0].event)

    data = event.pop("data")
    assert event == {
        "specversion": "1.0",
        "id": "clock-a:northumberland-childrens:test-missing-0002",
        "source": HUB_SOURCE,
        "type": CLOCK_FIRED_TYPE,
        "time": "2026-12-03T08:50:00Z",
        "datacontenttype": "application/json",
        "clockid": "clock-a",
        "startedbyid": "test-missing-0002",
        "startedbysource": source_for_agency(CHILDRENS),
        "startedbytype": "uk.sehub.missing_episode.ended.v1",
        "startedbytime": "2026-11-30T09:05:00Z",
        "episodeid": "MIS-TEST-0001",
        "correlationid": "CORR-1",
    }
    assert set(data) == {"person", "ended_on", "return_interview_due"}


def test_a_clock_alerts_its_own_publisher() -> None:
    """Children's services started the clock and are the responsible authority: they are told."""
    (start,) = _ended(data=RESPONSIBLE).clocks_started

    assert CHILDRENS in [alert.recipient for alert in start.alerts]


# --- stopping -----------------------------------------------------------------------------------


def test_a_return_interview_for_the_episode_stops_its_clock() -> None:
    """The interview names the episode by ``data.episode_ref``; that episode's clock stops."""
    decision = _interview()

    assert decision.clocks_stopped == (ClockStop("clock-a", EPISODE),)
    assert decision.clocks_started == ()


def test_a_return_interview_for_another_episode_stops_only_that_one() -> None:
    """The stop names its own episode: the router cancels nothing for a different one."""
    event = documented_example(
        "return_interview.recorded",
        source=source_for_agency(CHILDRENS),
        data__episode_ref="MIS-TEST-0002",
    )

    (stop,) = decide(parse_notification(event), _protocol(), ROUTED).clocks_stopped

    assert stop.episode == EpisodeRef(source_for_agency(CHILDRENS), "MIS-TEST-0002")
    assert stop.episode != EPISODE


def test_a_stop_from_a_publisher_not_allowed_stops_nothing() -> None:
    """The police's return interview, even naming the same episode, never stops the clock."""
    protocol = make_protocol(
        make_rule(),
        RI_RULE,
        make_rule(
            id="rule-p", types=[RETURN_INTERVIEW], publishers=[POLICE], recipients=[CHILDRENS]
        ),
        clocks=[make_clock()],
    )

    decision = _interview(protocol, source=source_for_agency(POLICE))

    assert decision.clocks_stopped == ()
    assert decision.views  # shared under rule-p all the same: stopping is not sharing


def test_a_stop_of_a_type_no_rule_lets_the_publisher_publish_stops_nothing() -> None:
    """Even in a protocol built without validation, no rule for the police: no stop by them."""
    protocol = _protocol()
    (clock,) = protocol.clocks
    police_too = clock.stops_on.model_copy(update={"publishers": (CHILDRENS, POLICE)})
    unchecked = protocol.model_copy(
        update={"clocks": (clock.model_copy(update={"stops_on": police_too}),)}
    )

    decision = _interview(unchecked, source=source_for_agency(POLICE))

    assert decision.clocks_stopped == ()
    assert _interview(unchecked).clocks_stopped == (ClockStop("clock-a", EPISODE),)


def test_a_stop_whose_condition_fails_is_refused_with_the_reason() -> None:
    """A clock stopped only by a completed interview is not stopped by an offer."""
    clock = make_clock()
    clock["stops_on"]["when"] = {"match": {"data.outcome": "completed"}}
    protocol = make_protocol(make_rule(), RI_RULE, clocks=[clock])

    decision = _interview(protocol)

    assert decision.clocks_stopped == ()
    assert Refusal(None, "clock-a", "clock not stopped: condition not met: data.outcome") in (
        decision.refusals
    )


# --- the shipped protocol -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> Protocol:
    return load_protocol(PROTOCOL_PATH)


def test_the_shipped_clock_alerts_childrens_services_and_the_police(shipped: Protocol) -> None:
    """The documented ended episode starts the return-interview clock for 929 and its police."""
    notification = parse_notification(documented_example("missing_episode.ended"))

    (start,) = decide(notification, shipped, notification.time).clocks_started

    assert start.clock_id == "return-interview-overdue"
    assert start.due_at == datetime(2026, 12, 2, 7, 30, tzinfo=UTC)
    assert [a.recipient for a in start.alerts] == [CHILDRENS, POLICE]
    assert all("data.found_location" in a.receipt.withheld for a in start.alerts)


def test_the_shipped_clock_is_stopped_by_the_documented_return_interview(
    shipped: Protocol,
) -> None:
    """The documented interview names the documented episode, so it stops that clock."""
    ended = parse_notification(documented_example("missing_episode.ended"))
    interview = parse_notification(documented_example("return_interview.recorded"))

    (start,) = decide(ended, shipped, ended.time).clocks_started
    (stop,) = decide(interview, shipped, interview.time).clocks_stopped

    assert (stop.clock_id, stop.episode) == (start.clock_id, start.episode)


def test_a_police_report_of_an_ended_episode_starts_no_shipped_clock(shipped: Protocol) -> None:
    """Episode ids are the publisher's own: only children's services' episodes are watched."""
    event = documented_example("missing_episode.ended", source=source_for_agency(POLICE))

    decision = decide(parse_notification(event), shipped, ROUTED)

    assert decision.clocks_started == ()
    assert [v.recipient for v in decision.views] == [CHILDRENS, "northumberland-education"]


def test_a_child_placed_out_of_the_force_area_alerts_both_forces(shipped: Protocol) -> None:
    """Placed in Durham, the return-interview clock alerts the responsible council, Durham's
    force where the child is, and Northumbria Police as the responsible council's force."""
    notification = parse_notification(documented_example("missing_episode.ended"))

    (start,) = decide(notification, shipped, notification.time, placed_in("840")).clocks_started

    assert [a.recipient for a in start.alerts] == [CHILDRENS, DURHAM_POLICE, POLICE]


def test_a_host_councils_overdue_interview_alerts_the_responsible_council(
    shipped: Protocol,
) -> None:
    """Newcastle reporting the return of Northumberland's child placed there starts the clock on
    Newcastle's episode, alerting Northumberland and the police."""
    event = documented_example("missing_episode.ended", source=source_for_agency(NEWCASTLE))
    notification = parse_notification(event)

    (start,) = decide(notification, shipped, notification.time, placed_in("391")).clocks_started

    assert start.episode == EpisodeRef(source_for_agency(NEWCASTLE), event["episodeid"])
    assert {CHILDRENS, POLICE} <= {a.recipient for a in start.alerts}


@pytest.mark.parametrize(
    ("resident_la", "alerted"),
    [("929", [CHILDRENS, POLICE]), ("391", [CHILDRENS, NEWCASTLE, POLICE])],
    ids=["living-in-northumberland", "living-in-newcastle"],
)
def test_a_host_councils_clock_alerts_the_council_where_the_child_lives(
    shipped: Protocol, resident_la: str, alerted: list[str]
) -> None:
    """The clock alerts the responsible council, the council where the child lives and the
    police: a host council reporting the return is alerted only as the council of residence."""
    event = documented_example(
        "missing_episode.ended",
        source=source_for_agency(NEWCASTLE),
        data__person__resident_la=resident_la,
    )
    notification = parse_notification(event)

    (start,) = decide(notification, shipped, notification.time, placed_in("391")).clocks_started

    assert [a.recipient for a in start.alerts] == alerted


def test_a_council_with_no_authority_for_the_child_starts_no_shipped_clock(
    shipped: Protocol,
) -> None:
    """Newcastle reporting a Northumberland child placed in Durham holds no authority for them:
    the clock is refused on ``publisher_is``."""
    event = documented_example("missing_episode.ended", source=source_for_agency(NEWCASTLE))
    notification = parse_notification(event)

    decision = decide(notification, shipped, notification.time, placed_in("840"))

    assert decision.clocks_started == ()
    assert [r.reason for r in decision.refusals if r.rule_id == "return-interview-overdue"] == [
        "clock not started: condition not met: publisher_is responsible_authority or "
        "host_authority or resident_authority"
    ]
