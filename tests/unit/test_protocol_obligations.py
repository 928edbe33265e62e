"""Escalation ladders and statutory clocks in the protocol: loading, refusing mistakes, lint."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from protocols import (
    Authority,
    PartyKind,
    Protocol,
    ProtocolError,
    Role,
    RoleRecipient,
    Severity,
    lint_protocol,
    load_protocol,
    parse_protocol,
)
from tests.unit.builders import (
    CHILDRENS,
    ENDED,
    POLICE,
    PROTOCOL_PATH,
    RETURN_INTERVIEW,
    STARTED,
    make_clock,
    make_ladder,
    make_protocol,
    make_protocol_dict,
    make_rule,
)

# Children's services may publish ended episodes (rule-a) and return interviews (rule-ri), so a
# clock may start and stop on them; the police and children's services are the only parties.
RI_RULE = make_rule(id="rule-ri", types=[RETURN_INTERVIEW])


def _document(
    *, rule: dict[str, Any] | None = None, ladders: Any = None, clocks: Any = None
) -> dict[str, Any]:
    document = make_protocol_dict(
        rule if rule is not None else make_rule(escalation="ladder-a"), RI_RULE
    )
    document["parties"] = [p for p in document["parties"] if p["id"] in (POLICE, CHILDRENS)]
    document["escalations"] = [make_ladder()] if ladders is None else ladders
    document["clocks"] = [make_clock()] if clocks is None else clocks
    return document


def _load(document: dict[str, Any]) -> Protocol:
    text = {key: value for key, value in document.items() if key != "content_hash"}
    return parse_protocol(yaml.safe_dump(text, sort_keys=False).encode(), origin="p.yaml")


def _refused(document: dict[str, Any]) -> str:
    with pytest.raises(ProtocolError) as caught:
        _load(document)
    return str(caught.value)


# --- the shipped protocol -----------------------------------------------------------------------


def test_the_shipped_ladder_chases_every_missing_child_rule() -> None:
    """The seven missing-episode rules climb one ladder: duty team, then manager with notice."""
    protocol = load_protocol(PROTOCOL_PATH)

    (ladder,) = protocol.escalations
    assert [(s.delay, s.to, s.addressed_to, s.notify_sender) for s in ladder.steps] == [
        (timedelta(minutes=30), "recipient", "duty-team", False),
        (timedelta(hours=1), "recipient", "named-manager", True),
    ]
    assert [rule.id for rule in protocol.rules if rule.escalation == ladder.id] == [
        "missing-child-from-council-to-police",
        "missing-child-between-councils",
        "missing-child-from-police-to-councils",
        "missing-child-between-forces",
        "still-missing-at-18-to-adult-services",
        "missing-pupil-to-school",
        "missing-pupil-to-school-from-council",
    ]
    assert all(ENDED in rule.types for rule in protocol.rules if rule.escalation == ladder.id)


def test_the_shipped_return_interview_clock_alerts_the_authority_and_the_police() -> None:
    """The 72-hour clock starts on any council's ended episode about its own child and alerts the
    responsible council, the council where the child lives, the police where the child is and
    the responsible council's force."""
    protocol = load_protocol(PROTOCOL_PATH)
    (clock,) = protocol.clocks
    councils = [p.id for p in protocol.parties_of(PartyKind.CHILDREN_SERVICES)]

    assert clock.id == "return-interview-overdue"
    assert clock.starts_on.types == (ENDED,)
    assert clock.starts_on.when.match == {"data.end_reason": ("found", "returned")}
    assert clock.starts_on.when.child is True
    assert set(clock.starts_on.when.publisher_is) == set(Authority)
    assert clock.starts_on.publishers == clock.stops_on.publishers == tuple(councils)
    assert clock.due.path == "data.return_interview_due"
    assert clock.stops_on.types == (RETURN_INTERVIEW,)
    assert clock.stops_on.episode == "data.episode_ref"
    assert clock.recipients == (
        RoleRecipient(role=Role.RESPONSIBLE_AUTHORITY),
        RoleRecipient(role=Role.RESIDENT_AUTHORITY),
        RoleRecipient(role=Role.POLICE_FOR_AREA),
        RoleRecipient(role=Role.POLICE_FOR_RESPONSIBLE_AREA),
    )
    assert "data.found_location" not in clock.fields
    assert any("statutory guidance" in basis for basis in clock.lawful_basis)


# --- loading ------------------------------------------------------------------------------------


def test_a_protocol_with_a_ladder_and_a_clock_loads() -> None:
    """A rule names its ladder; a clock due at a field or after a duration from one both load."""
    later = make_clock(id="clock-b", due={"after": "72h", "from": "data.ended_at"})
    protocol = _load(_document(clocks=[make_clock(), later]))

    assert protocol.rules[0].escalation == "ladder-a"
    assert protocol.ladder("ladder-a").steps[1].notify_sender is True
    assert protocol.clocks[1].due.path == "data.ended_at"
    assert protocol.clocks[1].due.delay == timedelta(hours=72)
    assert protocol.clocks[0].due.delay == timedelta()
    assert protocol.clocks[0].stops_on.episode == "data.episode_ref"
    assert protocol.clocks[0].starts_on.episode == "episodeid"


def test_a_protocol_without_ladders_or_clocks_has_none() -> None:
    """Both sections are optional; a protocol without them has no ladder and no clock."""
    protocol = make_protocol()

    assert (protocol.escalations, protocol.clocks) == ((), ())


def test_an_unknown_ladder_is_refused_at_its_rule() -> None:
    """A rule naming a ladder that is not declared does not load, and the message names both."""
    message = _refused(_document(rule=make_rule(escalation="no-such-ladder")))

    assert "rule rule-a: escalation no-such-ladder is not a ladder in escalations" in message
    assert re.match(r"p\.yaml:\d+: ", message)


def test_an_escalation_needs_a_deadline() -> None:
    """A ladder counts from the acknowledgement deadline, so a rule without one cannot have one."""
    rule = make_rule(escalation="ladder-a")
    del rule["acknowledge_within"]

    message = _refused(_document(rule=rule))

    assert "escalation ladder-a needs acknowledge_within" in message


def test_a_ladder_with_no_steps_is_refused() -> None:
    """An empty ladder escalates nothing; it is an error, not a silent no-op."""
    message = _refused(_document(ladders=[make_ladder(steps=[])]))

    assert "escalations[0].steps" in message


@pytest.mark.parametrize("after", ["30", "half an hour", "next school day 08:30", "-5m", "1w"])
def test_a_step_with_a_bad_duration_is_refused(after: str) -> None:
    """A step's ``after`` is a duration ('30m', '2h', '1d'), reported at the step's line."""
    ladder = make_ladder()
    ladder["steps"][1]["after"] = after

    message = _refused(_document(ladders=[ladder]))

    assert "escalations[0].steps[1].after: expected a duration" in message


@pytest.mark.parametrize("label", ["Duty Team", "duty_team", "x", "a" * 42, "1st-line"])
def test_a_step_addressed_to_a_bad_label_is_refused(label: str) -> None:
    """``addressed_to`` is a lower-case label for a team or role, never a name or free text."""
    ladder = make_ladder()
    ladder["steps"][0]["addressed_to"] = label

    assert "escalations[0].steps[0].addressed_to" in _refused(_document(ladders=[ladder]))


def test_a_step_to_a_non_party_is_refused() -> None:
    """A step names ``recipient``, a role or a party; anything else is refused naming the step."""
    ladder = make_ladder()
    ladder["steps"][1]["to"] = "someone-else"

    message = _refused(_document(ladders=[ladder]))

    assert "ladder ladder-a: step 2: not a party to the protocol: 'someone-else'" in message


def test_a_step_may_go_to_a_party_or_a_role() -> None:
    """``to`` accepts a party id and ``{role: ...}`` as well as ``recipient``."""
    ladder = make_ladder()
    ladder["steps"][0]["to"] = CHILDRENS
    ladder["steps"][1]["to"] = {"role": "responsible_authority"}

    steps = _load(_document(ladders=[ladder])).ladder("ladder-a").steps

    assert steps[0].named_party == CHILDRENS
    assert steps[1].to == RoleRecipient(role=Role.RESPONSIBLE_AUTHORITY)
    assert steps[1].named_party is None


def test_recipient_is_a_reserved_party_id() -> None:
    """No party may be called ``recipient``: ``to: recipient`` must mean one thing only."""
    document = _document()
    document["parties"][0]["id"] = "recipient"

    assert "party id 'recipient' is reserved" in _refused(document)


def test_duplicate_ladder_ids_are_refused() -> None:
    """Two ladders with one id would make a rule's escalation ambiguous."""
    message = _refused(_document(ladders=[make_ladder(), make_ladder()]))

    assert "duplicate ladder id(s): ['ladder-a']" in message


def test_a_clock_may_not_share_an_id_with_a_rule() -> None:
    """A receipt's rule_id names a rule or a clock, so the two never share an id."""
    message = _refused(_document(clocks=[make_clock(id="rule-a")]))

    assert "duplicate rule or clock id(s): ['rule-a']" in message


@pytest.mark.parametrize(
    "due",
    [
        {"field": "data.return_interview_due", "after": "72h", "from": "data.ended_at"},
        {"after": "72h"},
        {"from": "data.ended_at"},
        {},
    ],
)
def test_a_clock_is_due_either_at_a_field_or_after_a_duration(due: dict[str, str]) -> None:
    """``due`` is ``field``, or ``after`` with ``from``: never both, never neither."""
    message = _refused(_document(clocks=[make_clock(due=due)]))

    assert "clocks[0].due" in message


def test_a_clock_due_after_a_bad_duration_is_refused() -> None:
    """``due.after`` is a duration like a ladder step's."""
    message = _refused(_document(clocks=[make_clock(due={"after": "3 days", "from": "x.y"})]))

    assert "clocks[0].due.after: expected a duration" in message


def test_a_clock_started_by_a_publisher_no_rule_allows_is_refused() -> None:
    """Deny by default: a clock starts only on what a rule lets that publisher publish."""
    clock = make_clock()
    clock["starts_on"]["publishers"] = [POLICE]

    message = _refused(_document(clocks=[clock]))

    assert (
        f"clock clock-a: starts_on: no rule lets {POLICE} publish {ENDED}, so it cannot start"
        in message
    )


def test_a_clock_stopped_by_a_type_no_rule_allows_is_refused() -> None:
    """A stopping type must be one a rule lets the stopping publisher publish."""
    clock = make_clock()
    clock["stops_on"]["types"] = [STARTED, "uk.sehub.placement.ended.v1"]

    message = _refused(_document(clocks=[clock]))

    assert "stops_on: no rule lets northumberland-childrens publish uk.sehub.placement" in message


def test_a_clock_naming_a_non_party_is_refused_at_its_line() -> None:
    """A clock's recipients and publishers are parties; the message names the clock's line."""
    text = yaml.safe_dump(
        {
            key: value
            for key, value in _document(clocks=[make_clock(recipients=["nobody-at-all"])]).items()
            if key != "content_hash"
        },
        sort_keys=False,
    )
    line = text.splitlines().index("- id: clock-a") + 1

    with pytest.raises(ProtocolError) as caught:
        parse_protocol(text.encode(), origin="p.yaml")

    assert str(caught.value).startswith(
        f"p.yaml:{line}: (top level): clock clock-a: not a party to the protocol: ['nobody-at-all']"
    )


def test_an_unknown_key_in_a_clock_is_refused() -> None:
    """A misspelt clock key never silently changes what the clock does."""
    clock = make_clock()
    clock["stops_on"]["publisher"] = [CHILDRENS]

    assert "clocks[0].stops_on.publisher" in _refused(_document(clocks=[clock]))


def test_ladders_and_clocks_are_frozen() -> None:
    """Loaded ladders and clocks cannot be changed afterwards."""
    protocol = _load(_document())

    with pytest.raises(ValidationError):
        protocol.clocks[0].id = "changed"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        protocol.escalations[0].steps[0].after = "1m"  # type: ignore[misc]


# --- lint ---------------------------------------------------------------------------------------


def _lint(document: dict[str, Any]) -> list[tuple[Severity, str, str | None, str]]:
    return [(f.severity, f.code, f.rule, f.location) for f in lint_protocol(_load(document))]


def test_a_clean_protocol_with_a_ladder_and_a_clock_lints_clean() -> None:
    """The builders' ladder and clock use real paths, types and parties."""
    assert _lint(_document()) == []


def test_an_unused_ladder_is_a_warning() -> None:
    """A ladder no rule names never escalates anything."""
    findings = _lint(_document(rule=make_rule()))

    assert findings == [(Severity.WARNING, "unused-ladder", "ladder-a", "escalations[0]")]


def test_clock_paths_are_checked_against_their_own_types() -> None:
    """Fields and the due path against starts_on's types; each trigger's match and episode too."""
    clock = make_clock(
        fields=["data.person.upn", "data.outcome"],
        due={"field": "data.missing_type"},
    )
    clock["starts_on"]["when"] = {"match": {"data.end_reason": "escaped"}}
    clock["stops_on"]["episode"] = "data.episode"

    assert sorted(_lint(_document(clocks=[clock]))) == sorted(
        [
            (Severity.ERROR, "unknown-field", "clock-a", "clocks[0].fields[1]"),
            (Severity.ERROR, "unknown-due-path", "clock-a", "clocks[0].due"),
            (
                Severity.ERROR,
                "impossible-match",
                "clock-a",
                "clocks[0].starts_on.when.match.data.end_reason",
            ),
            (Severity.ERROR, "unknown-episode-path", "clock-a", "clocks[0].stops_on.episode"),
        ]
    )


def test_a_due_path_a_starting_type_lacks_is_an_error() -> None:
    """A due path some starting type does not hold means that type never starts the clock."""
    clock = make_clock(due={"after": "72h", "from": "data.nowhere"})

    assert _lint(_document(clocks=[clock])) == [
        (Severity.ERROR, "unknown-due-path", "clock-a", "clocks[0].due")
    ]


def test_clock_types_outside_the_catalogue_are_errors() -> None:
    """An unknown trigger type is reported where it is written."""
    clock = make_clock()
    clock["stops_on"]["types"] = [RETURN_INTERVIEW, "uk.sehub.return_interview.held.v1"]
    document = _document(clocks=[clock])
    document["rules"][1]["types"] = [RETURN_INTERVIEW, "uk.sehub.return_interview.held.v1"]

    assert (
        Severity.ERROR,
        "unknown-type",
        "clock-a",
        "clocks[0].stops_on.types[1]",
    ) in _lint(document)


LICENSING = {"id": "licensing", "name": "Licensing (synthetic)", "kind": "licensing"}


def _with_licensing(document: dict[str, Any]) -> dict[str, Any]:
    document["parties"].append({**LICENSING, "la_code": "929"})
    return document


def test_a_party_told_only_by_a_clock_or_a_ladder_is_used() -> None:
    """Licensing named only by a clock's alert, or a ladder step, is not an unused party."""
    ladder = make_ladder()
    ladder["steps"][0]["to"] = "licensing"

    assert _lint(_with_licensing(_document(clocks=[make_clock(recipients=["licensing"])]))) == []
    assert _lint(_with_licensing(_document(ladders=[ladder]))) == []


def test_a_council_role_naming_no_service_never_uses_licensing() -> None:
    """``{role: responsible_authority}`` reaches children's or adult services only, so a
    licensing party nothing else names is reported unused."""
    assert _lint(_with_licensing(_document())) == [
        (Severity.WARNING, "unused-party", None, "parties[2]")
    ]


def test_a_council_role_naming_licensing_uses_it() -> None:
    """``{role: resident_authority, service: licensing}`` in a clock's alert uses licensing."""
    clock = make_clock(recipients=[{"role": "resident_authority", "service": "licensing"}, POLICE])

    assert _lint(_with_licensing(_document(clocks=[clock]))) == []


def test_a_clock_or_step_recipient_without_a_queue_is_an_error() -> None:
    """With a directory, every party a clock or ladder step names must have a queue."""
    ladder = make_ladder()
    ladder["steps"][0]["to"] = CHILDRENS
    protocol = _load(_document(ladders=[ladder]))
    directory = set(protocol.party_ids) - {POLICE, CHILDRENS}

    no_queue = [
        (f.rule, f.location)
        for f in lint_protocol(protocol, agency_ids=directory)
        if f.code == "no-queue"
    ]

    assert ("clock-a", "clocks[0].recipients[1]") in no_queue
    assert ("ladder-a", "escalations[0].steps[0].to") in no_queue
