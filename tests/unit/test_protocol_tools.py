"""``hub protocol explain|lint|diff`` and the pure logic behind them (hub.sharing, protocols)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters import PRODUCES
from hub.cli import main, write_demo
from hub.sharing import decide, explain, simulated_placement
from protocols import (
    Finding,
    Protocol,
    Severity,
    diff_protocols,
    lint_protocol,
    load_protocol,
    parse_protocol,
    schema_paths,
)
from schemas import CATALOGUE, parse_notification

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "protocols" / "northumberland.yaml"
DOCS = ROOT / "docs" / "notifications.md"
ENVELOPE = ["datacontenttype", "episodeid", "id", "source", "specversion", "time", "type"]
POLICE = "northumbria-police"
CHILDRENS = "northumberland-childrens"
EDUCATION = "northumberland-education"
MISSING_STARTED = "uk.sehub.missing_episode.started.v1"
MISSING_ENDED = "uk.sehub.missing_episode.ended.v1"
CONCERN = "uk.sehub.concern.raised.v1"
RISK = "uk.sehub.se_risk.assessed.v1"
GDPR = "UK GDPR Art 6(1)(e), UK GDPR Art 9(2)(g)"  # a small rule's basis cites both Articles
LICENSING = [
    f"{council}-licensing"
    for council in (
        "northumberland",
        "newcastle",
        "north-tyneside",
        "south-tyneside",
        "gateshead",
        "sunderland",
        "durham",
        "cumberland",
        "scottish-borders",
    )
]


def _documented() -> dict[str, dict[str, Any]]:
    blocks = re.findall(r"```json\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.S)
    return {event["type"]: event for event in map(json.loads, blocks)}


def _leaves(node: Any, prefix: str = "") -> set[str]:
    if isinstance(node, dict) and node:
        return {
            leaf
            for key, value in node.items()
            if value is not None  # null is not sent: the canonical form leaves it out
            for leaf in _leaves(value, f"{prefix}.{key}" if prefix else key)
        }
    return {prefix}


@pytest.fixture(scope="module")
def shipped() -> Protocol:
    return load_protocol(SHIPPED)


SMALL_HEAD = """\
id: small
title: Small test protocol
version: "{version}"
parties:
  - {{id: police, name: Police, kind: police, areas: ["929"]}}
  - {{id: childrens, name: Children's services, kind: children_services, la_code: "929"}}
  - {{id: education, name: Education, kind: education, la_code: "929"}}
rules:
"""

RULE = """\
  - id: {id}
    types: [{types}]
    publishers: [{publishers}]
    recipients: [{recipients}]
    fields: [{fields}]
    purpose: {purpose}
    lawful_basis: [{basis}]
    retention: P6Y
{extra}"""


def _rule(
    rule_id: str,
    *,
    types: str = MISSING_STARTED,
    publishers: str = "childrens",
    recipients: str = "police",
    fields: str = "data.person, data.missing_type",
    purpose: str = "Find the child.",
    basis: str = f"{GDPR}, Children Act 2004 s11",
    when: str | None = None,
    ack: str | None = "1h",
) -> str:
    extra = "" if when is None else f"    when: {when}\n"
    extra += "" if ack is None else f"    acknowledge_within: {ack}\n"
    return RULE.format(
        id=rule_id,
        types=types,
        publishers=publishers,
        recipients=recipients,
        fields=fields,
        purpose=purpose,
        basis=basis,
        extra=extra,
    )


def _small(*rules: str, version: str = "1") -> bytes:
    return (SMALL_HEAD.format(version=version) + "".join(rules)).encode()


def _complete() -> str:
    """Rules letting each small party publish every type its kind's adapter makes, so the CLI's
    completeness check (``kind-cannot-publish``) finds nothing."""
    return "".join(
        _rule(f"all-from-{party}", types=", ".join(sorted(PRODUCES[kind])), publishers=party,
              recipients=recipient, fields="data")
        for kind, party, recipient in (
            ("police", "police", "childrens"),
            ("children_services", "childrens", "police"),
            ("education", "education", "childrens"),
        )
    )  # fmt: skip


def _lint(*rules: str, agency_ids: set[str] | None = None) -> list[Finding]:
    text = _small(*rules)
    return list(lint_protocol(parse_protocol(text), source=text, agency_ids=agency_ids))


def _errors(*rules: str, agency_ids: set[str] | None = None) -> list[Finding]:
    return [f for f in _lint(*rules, agency_ids=agency_ids) if f.severity is Severity.ERROR]


def _codes(findings: list[Finding]) -> list[tuple[str, str | None]]:
    return [(f.code, f.rule) for f in findings]


# --- explain ----------------------------------------------------------------------------------


@pytest.mark.parametrize("type_name", sorted(CATALOGUE))
def test_every_documented_example_is_explained(shipped: Protocol, type_name: str) -> None:
    """Each example in docs/notifications.md explains to a well-formed, value-free document."""
    event = _documented()[type_name]
    notification = parse_notification(event)
    document = explain(decide(notification, shipped, notification.time), shipped)

    assert set(document) == {
        "protocol",
        "notification",
        "evaluated_at",
        "hub_episode",
        "active_placements",
        "remembered_risks",
        "facts",
        "recipients",
        "clocks_started",
        "clocks_stopped",
        "not_shared",
    }
    assert document["protocol"]["version_tag"] == shipped.version_tag
    assert document["notification"]["id"] == event["id"]
    assert document["notification"]["type"] == type_name
    assert document["recipients"], "every documented example is shared with someone"
    rules = {rule.id: rule for rule in shipped.rules}
    for recipient in document["recipients"]:
        rule = rules[recipient["rule"]]
        assert recipient["agency"] in shipped.party_ids
        assert recipient["lawful_basis"] == list(rule.lawful_basis)
        assert recipient["purpose"] == rule.purpose
        shared, withheld = set(recipient["fields_shared"]), set(recipient["fields_withheld"])
        assert not shared & withheld
        assert shared | withheld == _leaves(notification.model_dump(mode="json"))
    for refusal in document["not_shared"]:
        assert set(refusal) == {"agency", "rule", "reason"}
        assert refusal["reason"]
    identifiers = [event["data"]["person"].get(key) for key in ("local_id", "nhs_number", "upn")]
    assert all(value not in json.dumps(document) for value in identifiers if value)


MISSING_TO_SCHOOL_BASIS = [
    "UK GDPR Art 6(1)(e) (public task)",
    "UK GDPR Art 9(2)(g) (substantial public interest)",
    "DPA 2018 Sch 1 para 18 (safeguarding of children and individuals at risk)",
    "Children Act 2004 s10, and s11 (the duty of the agency that shares)",
    "Education Act 2002 s175 (maintained schools) or s157 (academies and independent schools)",
]


# The documented child's force is also its responsible council's force; the publishing council
# is the child's responsible and resident authority itself.
ALREADY_TOLD_AS_RESPONSIBLE_FORCE = {
    "agency": POLICE,
    "rule": "missing-child-from-council-to-police",
    "reason": "already served by rule missing-child-from-council-to-police",
}
THE_COUNCIL_IS_THE_PUBLISHER = {
    "agency": CHILDRENS,
    "rule": "missing-child-between-councils",
    "reason": "recipient is the publisher",
}


def test_golden_missing_episode_started(shipped: Protocol) -> None:
    """The documented missing child goes to the police without the NHS number, and to the
    education service of its council minimised, since no school of the pupil is known."""
    notification = parse_notification(_documented()[MISSING_STARTED])
    document = explain(decide(notification, shipped, notification.time), shipped)

    assert [(r["agency"], r["rule"]) for r in document["recipients"]] == [
        (POLICE, "missing-child-from-council-to-police"),
        (EDUCATION, "missing-pupil-to-school-from-council"),
    ]
    police, education = document["recipients"]
    assert police["fields_withheld"] == ["data.person.nhs_number"]
    assert education == {
        "agency": EDUCATION,
        "agency_name": "Northumberland County Council education services",
        "rule": "missing-pupil-to-school-from-council",
        "rule_description": (
            "As missing-pupil-to-school, from a council that is one of the child's own."
        ),
        "lawful_basis": MISSING_TO_SCHOOL_BASIS,
        "purpose": "Follow up absence from school and support the pupil on return.",
        "acknowledge_within": "next school day 08:30",
        "acknowledge_by": "2026-11-30T08:30:00Z",
        "retention": "P2Y",
        "fields_shared": [
            "data.missing_type",
            "data.person.upn",
            "data.started_on",
            *ENVELOPE,
        ],
        "fields_withheld": [
            "data.last_seen_location",
            "data.looked_after",
            "data.person.date_of_birth",
            "data.person.local_id",
            "data.person.nhs_number",
            "data.person.resident_la",
            "data.person.responsible_la",
            "data.person.sex",
            "data.risk_level",
            "data.started_at",
        ],
        # Unacknowledged, the copy goes to education's duty team half an hour after the
        # deadline, then to its named manager an hour later, and the sender hears of it.
        "escalation": "missing-child-unacknowledged",
        "escalations": [
            {
                "step": 1,
                "agency": EDUCATION,
                "agency_name": "Northumberland County Council education services",
                "addressed_to": "duty-team",
                "due_at": "2026-11-30T09:00:00Z",
                "notify_sender": False,
            },
            {
                "step": 2,
                "agency": EDUCATION,
                "agency_name": "Northumberland County Council education services",
                "addressed_to": "named-manager",
                "due_at": "2026-11-30T10:00:00Z",
                "notify_sender": True,
            },
        ],
        "withdrawal": False,
    }
    # No placement makes a host.
    assert document["not_shared"] == [
        ALREADY_TOLD_AS_RESPONSIBLE_FORCE,
        {
            "agency": None,
            "rule": "missing-child-between-councils",
            "reason": (
                "role host_authority: host authority (no active out-of-area placement): not known"
            ),
        },
        *[THE_COUNCIL_IS_THE_PUBLISHER] * 2,
    ]


def test_golden_missing_episode_started_placed_in_newcastle(shipped: Protocol) -> None:
    """Placed in Newcastle, Newcastle's children's services are told as host and its education
    service as the school's; Northumberland's education service is not told."""
    notification = parse_notification(_documented()[MISSING_STARTED])
    state = simulated_placement(notification, "391", shipped)
    document = explain(decide(notification, shipped, notification.time, state), shipped)

    assert [(r["agency"], r["rule"]) for r in document["recipients"]] == [
        (POLICE, "missing-child-from-council-to-police"),
        ("newcastle-childrens", "missing-child-between-councils"),
        ("newcastle-education", "missing-pupil-to-school-from-council"),
    ]
    assert document["not_shared"] == [
        ALREADY_TOLD_AS_RESPONSIBLE_FORCE,
        *[THE_COUNCIL_IS_THE_PUBLISHER] * 2,
    ]
    host = document["recipients"][1]
    assert host["fields_withheld"] == []
    assert host["lawful_basis"][:2] == MISSING_TO_SCHOOL_BASIS[:2]
    assert (document["facts"]["host_la"], document["facts"]["area_la"]) == ("391", "391")
    assert document["facts"]["cross_border"] is True
    assert document["facts"]["publisher_is"] == ["resident_authority", "responsible_authority"]


def test_golden_police_concern_reaches_the_council_and_not_the_school_without_a_upn(
    shipped: Protocol,
) -> None:
    """The police CCN about a Northumberland child reaches Northumberland's children's services;
    the school is refused, since a crime record carries no UPN the school could match."""
    notification = parse_notification(_documented()[CONCERN])
    document = explain(decide(notification, shipped, notification.time), shipped)

    assert [(r["agency"], r["rule"]) for r in document["recipients"]] == [
        (CHILDRENS, "child-concern-from-police-to-councils")
    ]
    assert {
        "agency": EDUCATION,
        "rule": "child-se-concern-to-school",
        "reason": "no identifier the recipient can match (needs one of: data.person.upn)",
    } in document["not_shared"]
    assert document["facts"]["school_known"] is True
    assert document["facts"]["publisher_is"] == []


def test_simulated_placement_defaults_the_placing_la(shipped: Protocol) -> None:
    """A police notification naming no responsible or placing LA is assumed placed by 929."""
    notification = parse_notification(_documented()[CONCERN])
    state = simulated_placement(notification, "840", shipped)
    (placement,) = state.placements
    assert (placement.placing_la, placement.host_la) == ("929", "840")
    assert (state.responsible_la, state.host_la) == ("929", "840")


def test_cli_explain_prints_the_document(capsys: pytest.CaptureFixture[str]) -> None:
    """``hub protocol explain`` prints the explanation as JSON and exits 0."""
    path = ROOT / "docs" / "examples" / "missing-episode-started.json"
    status = main(
        ["protocol", "explain", str(path), "--protocol", str(SHIPPED), "--placed-in", "840"]
    )
    document = json.loads(capsys.readouterr().out)
    assert status == 0
    assert {r["agency"] for r in document["recipients"]} >= {
        "durham-childrens",
        "durham-constabulary",
    }


def _explained(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], event: dict[str, Any], *options: str
) -> dict[str, Any]:
    """What ``hub protocol explain`` prints for ``event`` with ``options`` (it must exit 0)."""
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    assert main(["protocol", "explain", str(path), "--protocol", str(SHIPPED), *options]) == 0
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    return document


def test_cli_explain_placed_by_another_council_shows_a_conflicting_claim(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--placed-in 391 --placed-by 840``: the hub remembers Durham placed the child, so
    Northumberland's placement is a claim that alerts Durham alone."""
    event = _documented()["uk.sehub.placement.started.v1"]

    document = _explained(tmp_path, capsys, event, "--placed-in", "391", "--placed-by", "840")

    assert document["active_placements"] == [
        {"episode": "simulated-placement", "placing_la": "840", "host_la": "391"}
    ]
    assert (document["facts"]["claim_conflicts"], document["facts"]["publisher_is"]) == (True, [])
    assert [(r["agency"], r["rule"]) for r in document["recipients"]] == [
        ("durham-childrens", "conflicting-placement-claim-to-responsible-authority")
    ]


def test_cli_explain_told_shows_the_withdrawals_a_lower_risk_owes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--told RULE:AGENCY:LEVEL[:rmg]`` assumes what school and health heard: a low risk off
    the RMG is then a withdrawal to each, and the assumption is listed."""
    event = _documented()[RISK]
    event["data"].update(risk_level="low", checklist_score=1, rmg_status="removed")
    told = ["se-risk-to-school:northumberland-education:high:rmg", "se-risk-to-health:"
            "northumbria-healthcare:high"]  # fmt: skip

    document = _explained(tmp_path, capsys, event, "--told", told[0], "--told", told[1])

    assert document["remembered_risks"] == [
        {"agency": EDUCATION, "rule": "se-risk-to-school", "risk": "high", "on_rmg": True},
        {
            "agency": "northumbria-healthcare",
            "rule": "se-risk-to-health",
            "risk": "high",
            "on_rmg": False,
        },
    ]
    assert [(r["agency"], r["withdrawal"]) for r in document["recipients"]] == [
        (POLICE, False),
        (EDUCATION, True),
        ("northumbria-healthcare", True),
    ]


@pytest.mark.parametrize(
    "told",
    ["se-risk-to-school:northumberland-education", "a:b:severe", "a:b:high:yes", "a:b:high:rmg:x"],
)
def test_cli_explain_rejects_a_malformed_told(told: str) -> None:
    """``--told`` is RULE:AGENCY:LEVEL with an optional ``:rmg``: anything else exits 2."""
    path = ROOT / "docs" / "examples" / "missing-episode-started.json"
    with pytest.raises(SystemExit) as exited:
        main(["protocol", "explain", str(path), "--told", told])
    assert exited.value.code == 2


def test_cli_explain_invalid_notification_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A notification that fails validation prints its problems and exits 2."""
    event = _documented()[MISSING_STARTED]
    event["data"]["missing_type"] = "vanished"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(event))
    status = main(["protocol", "explain", str(path), "--protocol", str(SHIPPED)])
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert status == 2
    assert [p["field"] for p in problems] == ["data.missing_type"]


def test_cli_explain_invalid_protocol_exits_2_with_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken protocol is reported with its file and line, exit 2."""
    protocol = tmp_path / "broken.yaml"
    protocol.write_text(
        SHIPPED.read_text(encoding="utf-8").replace(
            "acknowledge_within: 1h", "acknowledge_within: soon", 1
        )
    )
    path = ROOT / "docs" / "examples" / "missing-episode-started.json"
    status = main(["protocol", "explain", str(path), "--protocol", str(protocol)])
    error = capsys.readouterr().err
    assert status == 2
    assert re.search(r"broken\.yaml:\d+: rules\[0\]\.acknowledge_within", error)


def test_cli_explain_rejects_a_bad_placed_in() -> None:
    """``--placed-in`` must be an LA code: a usage error, exit 2."""
    path = ROOT / "docs" / "examples" / "missing-episode-started.json"
    with pytest.raises(SystemExit) as exited:
        main(["protocol", "explain", str(path), "--placed-in", "Newcastle"])
    assert exited.value.code == 2


# --- lint -------------------------------------------------------------------------------------


def test_the_shipped_protocol_has_no_lint_errors(shipped: Protocol) -> None:
    """Every path, type, party and identifier is real, every kind can publish what its adapter
    makes, and every disclosure cites Articles 6 and 9."""
    findings = lint_protocol(shipped, source=SHIPPED.read_bytes(), produced=PRODUCES)
    assert [(f.code, f.rule, f.message) for f in findings if f.severity is Severity.ERROR] == []


def test_the_shipped_protocols_only_warnings_are_the_licensing_parties(shipped: Protocol) -> None:
    """The nine licensing parties, which receive and publish nothing yet, are the only warnings."""
    findings = lint_protocol(shipped, source=SHIPPED.read_bytes(), produced=PRODUCES)
    warnings = [f for f in findings if f.severity is Severity.WARNING]
    parties = list(shipped.party_ids)
    assert [(f.code, f.location) for f in warnings] == [
        ("unused-party", f"parties[{parties.index(party)}]") for party in LICENSING
    ]
    assert all(party in f.message for f, party in zip(warnings, LICENSING, strict=False))


def test_without_the_yaml_text_findings_are_still_in_file_order() -> None:
    """BUG: without the YAML text (no lines) findings are sorted by location as text, so the
    unused party at parties[10] is listed before the one at parties[2]."""
    councils = "".join(
        f'  - {{id: council-{n}, name: C, kind: children_services, la_code: "{n:03d}"}}\n'
        for n in range(1, 9)
    )
    text = (
        SMALL_HEAD.format(version="1").replace("rules:\n", councils + "rules:\n") + _rule("a")
    ).encode()

    findings = lint_protocol(parse_protocol(text))

    locations = [f.location for f in findings if f.code == "unused-party"]
    assert locations == sorted(locations, key=lambda where: int(where[8:-1]))


def test_a_clean_small_protocol_has_no_findings() -> None:
    """Real paths, their prefixes and ``data`` are fine; every party is used."""
    findings = _lint(
        _rule("a", fields="data, data.person.upn"),
        _rule("b", recipients="education", when="{match: {data.missing_type: missing}}"),
    )
    assert findings == []


def test_unknown_type_is_an_error_on_its_line() -> None:
    """A type not in the catalogue is reported, with the YAML line it is on."""
    findings = _errors(_rule("a", types=f"{MISSING_STARTED}, uk.sehub.missing_episode.begun.v1"))
    (finding,) = findings
    assert (finding.severity, finding.code, finding.rule) == (Severity.ERROR, "unknown-type", "a")
    assert finding.location == "rules[0].types[1]"
    assert finding.line == 10


def test_field_in_none_of_the_types_is_an_error() -> None:
    """A field that only another type has, or a typo, is reported; one in any type is fine."""
    findings = _lint(
        _rule(
            "a",
            types=f"{MISSING_STARTED}, {MISSING_ENDED}",
            fields="data.ended_on, data.person.nhs",
        ),
        _rule("b", recipients="education", fields="data.grading"),
    )
    assert [(f.code, f.rule, f.location) for f in findings] == [
        ("unknown-field", "a", "rules[0].fields[1]"),
        ("unknown-field", "b", "rules[1].fields[0]"),
    ]


def test_arrays_are_leaves() -> None:
    """A path into an array's items is reported: decisions treat an array as one leaf."""
    findings = _errors(
        _rule("a", types="uk.sehub.return_interview.recorded.v1", fields="data.attempts.method")
    )
    assert _codes(findings) == [("unknown-field", "a")]
    assert "data.attempts" in schema_paths("uk.sehub.return_interview.recorded.v1")


def test_match_paths_and_impossible_values_are_errors() -> None:
    """A match on a path no type has, or on a value the schema cannot hold, never applies."""
    findings = _errors(
        _rule("a", types=CONCERN, fields="data", publishers="police", recipients="childrens",
              when="{match: {data.subjects: child}}"),
        _rule("b", types=CONCERN, fields="data", publishers="police", recipients="education",
              when="{match: {data.subject: [child, childs]}}"),
        _rule("c", types=CONCERN, fields="data", publishers="childrens", recipients="police",
              when="{match: {data.markers.sexual_exploitation: 'true'}}"),
        _rule("d", types=CONCERN, fields="data", publishers="education", recipients="police",
              when="{match: {data.reference: anything, data.markers.missing: true}}"),
    )  # fmt: skip
    assert _codes(findings) == [
        ("unknown-match-path", "a"),
        ("impossible-match", "b"),
        ("impossible-match", "c"),
    ]
    assert "'childs'" in findings[1].message
    assert "'child'" not in findings[1].message.partition("(")[0]


def test_rule_shadowed_by_earlier_unconditional_rules_is_unreachable() -> None:
    """A rule whose every combination is already served earlier, unconditionally, is reported."""
    findings = _lint(
        _rule("first", types=f"{MISSING_STARTED}, {MISSING_ENDED}"),
        _rule("second", recipients="education"),
        _rule("shadowed", recipients="police, education, childrens",
              when="{child: true}"),
    )  # fmt: skip
    assert _codes(findings) == [("unreachable-rule", "shadowed")]
    assert findings[0].location == "rules[2]"


@pytest.mark.parametrize(
    ("earlier_when", "later_recipients", "later_types"),
    [
        ("{child: true}", "police", MISSING_STARTED),
        (None, "police, {role: school}", MISSING_STARTED),
        (None, "police", f"{MISSING_STARTED}, {MISSING_ENDED}"),
    ],
    ids=["earlier-is-conditional", "later-has-a-role", "later-has-another-type"],
)
def test_unreachable_is_reported_only_when_certain(
    earlier_when: str | None, later_recipients: str, later_types: str
) -> None:
    """A conditional earlier rule, a role recipient or an unserved type keeps a rule reachable."""
    findings = _lint(
        _rule("first", when=earlier_when),
        _rule("later", recipients=later_recipients, types=later_types),
        _rule("edu", recipients="education"),
    )
    assert ("unreachable-rule", "later") not in _codes(findings)


def test_rule_only_to_its_publisher_is_unreachable() -> None:
    """A rule that would only tell its own publisher never shares anything."""
    findings = _errors(_rule("a", recipients="education"), _rule("self", recipients="childrens"))
    assert _codes(findings) == [("unreachable-rule", "self")]


def test_missing_deadline_and_unused_party_are_warnings() -> None:
    """No acknowledge_within, and a party nobody names or resolves to, are warnings."""
    findings = _lint(_rule("a", ack=None))
    assert [(f.severity, f.code, f.rule) for f in findings] == [
        (Severity.WARNING, "unused-party", None),
        (Severity.WARNING, "no-deadline", "a"),
    ]
    assert "education" in findings[0].message


def test_a_role_recipient_uses_the_parties_it_may_resolve_to() -> None:
    """A party reachable only through a role recipient is not reported unused."""
    findings = _lint(_rule("a", recipients="police, {role: school}"))
    assert findings == []


def test_directory_check_names_recipients_and_publishers_without_queues() -> None:
    """With a directory, missing recipients, publishers and other parties are errors."""
    findings = _lint(_rule("a", recipients="police, {role: school}"), agency_ids={"childrens"})
    assert [(f.code, f.location) for f in findings] == [
        ("not-in-directory", "parties[2]"),
        ("no-queue", "rules[0].recipients[0]"),
    ]
    assert _codes(
        _lint(_rule("a"), _rule("b", recipients="education"), agency_ids={"police", "education"})
    ) == [
        ("publisher-not-in-directory", "a"),
        ("publisher-not-in-directory", "b"),
    ]


def test_cli_lint_warnings_alone_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Warnings alone exit 0; the table names the severity, line, rule and check."""
    path = tmp_path / "p.yaml"
    path.write_bytes(_small(_rule("a", ack=None), _complete()))
    status = main(["protocol", "lint", str(path)])
    lines = capsys.readouterr().out.splitlines()
    assert status == 0
    assert lines[0].split() == ["SEVERITY", "LINE", "RULE", "CHECK", "MESSAGE"]
    assert lines[1].split()[:4] == ["warning", "9", "a", "no-deadline"]
    assert len(lines) == 2


def test_cli_lint_strict_counts_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--strict`` exits 1 on warnings; JSON lines are one finding each."""
    path = tmp_path / "p.yaml"
    path.write_bytes(_small(_rule("a", ack=None), _complete()))
    status = main(["protocol", "lint", str(path), "--strict", "--format", "jsonl"])
    lines = capsys.readouterr().out.splitlines()
    assert status == 1
    assert [json.loads(line)["code"] for line in lines] == ["no-deadline"]


def test_cli_lint_errors_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A protocol with an error exits 1 and prints it as a JSON line."""
    path = tmp_path / "p.yaml"
    path.write_bytes(_small(_rule("a", fields="data.nope"), _complete()))
    status = main(["protocol", "lint", str(path), "--format", "jsonl"])
    (line,) = capsys.readouterr().out.splitlines()
    assert status == 1
    assert json.loads(line) == {
        "severity": "error",
        "code": "unknown-field",
        "rule": "a",
        "location": "rules[0].fields[0]",
        "line": 13,
        "message": "field 'data.nope' exists in none of the rule's types, so it shares nothing",
    }


DIRECTORY_CHECKS = {"no-queue", "publisher-not-in-directory", "not-in-directory"}


def test_cli_lint_checks_the_demo_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo directory (with its admin and auditor entries) has every party of the shipped
    protocol, the provider and the schools included; without the provider it is an error."""
    agencies = tmp_path / "agencies.yaml"
    write_demo(agencies, tmp_path / "tokens.env", SHIPPED)
    status = main(
        ["protocol", "lint", str(SHIPPED), "--agencies", str(agencies), "--format", "jsonl"]
    )
    found = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert status == 0
    assert [f for f in found if f["code"] in DIRECTORY_CHECKS] == []

    text = agencies.read_text(encoding="utf-8")
    assert "id: synthetic-care-homes" in text
    agencies.write_text(text.replace("id: synthetic-care-homes", "id: other-care-homes"))
    status = main(["protocol", "lint", str(SHIPPED), "--agencies", str(agencies)])
    out = capsys.readouterr().out
    assert status == 1
    assert "publisher-not-in-directory" in out
    assert "synthetic-care-homes" in out


def test_cli_lint_unusable_inputs_exit_2(tmp_path: Path) -> None:
    """An invalid protocol or an unreadable directory is a usage error, exit 2."""
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\n")
    assert main(["protocol", "lint", str(broken)]) == 2
    assert main(["protocol", "lint", str(SHIPPED), "--agencies", str(tmp_path / "none.yaml")]) == 2


# --- diff -------------------------------------------------------------------------------------


def _route(diff: dict[str, Any], type_name: str, publisher: str, recipient: str) -> dict[str, Any]:
    (route,) = [
        r
        for r in diff["routes"]
        if (r["type"], r["publisher"], r["recipient"]) == (type_name, publisher, recipient)
    ]
    return route


def test_diff_of_identical_protocols_is_empty(shipped: Protocol) -> None:
    """Nothing changes between a protocol and itself."""
    diff = diff_protocols(shipped, shipped)
    assert diff["routes"] == []
    assert diff["version_changed"] is False
    assert diff["rules"] == {"added": [], "removed": [], "changed": []}


def test_diff_of_small_protocols_names_every_change() -> None:
    """Recipients, data items, basis, purpose, deadline and conditions changes are all named."""
    old = parse_protocol(
        _small(
            _rule("to-police"),
            _rule("to-education", recipients="education", fields="data.person.upn"),
        )
    )
    new = parse_protocol(
        _small(
            _rule("to-police", fields="data.person.upn, data.missing_type, data.risk_level",
                  basis=f"{GDPR}, Children Act 2004 s11, Crime and Disorder Act 1998 s115",
                  purpose="Find the child quickly.",
                  when="{child: true}", ack="2h"),
            _rule("to-childrens", publishers="police", recipients="childrens"),
            version="2",
        ),
    )  # fmt: skip
    diff = diff_protocols(old, new)

    assert diff["version_changed"] is True
    assert (diff["old"]["version"], diff["new"]["version"]) == ("1", "2")
    assert diff["rules"] == {
        "added": ["to-childrens"],
        "removed": ["to-education"],
        "changed": ["to-police"],
    }
    assert diff["summary"] == {"routes_gained": 1, "routes_lost": 1, "routes_changed": 1}
    police = _route(diff, MISSING_STARTED, "childrens", "police")
    assert police["change"] == "changed"
    assert police["rules"] == [
        {
            "rule": "to-police",
            "fields_gained": ["data.risk_level"],
            "fields_lost": [
                "data.person.date_of_birth",
                "data.person.la_child_id",
                "data.person.local_id",
                "data.person.nhs_number",
                "data.person.resident_la",
                "data.person.responsible_la",
                "data.person.school_urn",
                "data.person.sex",
                "data.person.upn_unknown",
            ],
            "lawful_basis_added": ["Crime and Disorder Act 1998 s115"],
            "purpose": {"old": "Find the child.", "new": "Find the child quickly."},
            "acknowledge_within": {"old": "1h", "new": "2h"},
            "conditions": {"old": {}, "new": {"child": True}},
        }
    ]
    lost = _route(diff, MISSING_STARTED, "childrens", "education")
    assert lost["change"] == "lost"
    assert [r["rule"] for r in lost["rules"]] == ["to-education"]
    assert lost["rules"][0]["fields"] == ["data.person.upn"]
    gained = _route(diff, MISSING_STARTED, "police", "childrens")
    assert gained["change"] == "gained"
    assert gained["rules"][0]["lawful_basis"] == [
        "UK GDPR Art 6(1)(e)",
        "UK GDPR Art 9(2)(g)",
        "Children Act 2004 s11",
    ]


def test_diff_pairs_a_renamed_rule_and_sees_precedence() -> None:
    """A renamed rule is compared with its old self; reordering competing rules is reported."""
    first = _rule("first", when="{child: true}")
    second = _rule("second", fields="data.person.upn")
    edu = _rule("edu", recipients="education")
    diff = diff_protocols(
        parse_protocol(_small(first, second, edu)),
        parse_protocol(_small(second, first.replace("id: first", "id: first-renamed"), edu)),
    )
    (route,) = diff["routes"]
    assert route["rules"] == [{"rule": {"old": "first", "new": "first-renamed"}}]
    assert route["precedence"] == {
        "old": ["first-renamed", "second"],
        "new": ["second", "first-renamed"],
    }


def test_diff_reports_party_changes() -> None:
    """A police force's areas decide what role recipients resolve to, so changes are shown."""
    old = _small(_rule("a"))
    new = old.replace(b'areas: ["929"]', b'areas: ["929", "391"]')
    diff = diff_protocols(parse_protocol(old), parse_protocol(new))
    assert diff["parties"]["changed"] == [
        {"party": "police", "changes": {"areas": {"old": ["929"], "new": ["929", "391"]}}}
    ]
    assert diff["version_changed"] is False
    assert diff["content_changed"] is True


def test_diff_shipped_against_a_modified_copy(shipped: Protocol, tmp_path: Path) -> None:
    """Widening the school's view (shared by the police's and the councils' rules) and lowering
    health's threshold show on every route, from every publisher, to the school and health."""
    text = SHIPPED.read_text(encoding="utf-8")
    modified = (
        text.replace('version: "2026.12.2"', 'version: "2026.12.3"')
        .replace(
            "fields: &missing-to-school [data.person.upn, data.missing_type, data.started_on,",
            "fields: &missing-to-school [data.person.upn, data.person.date_of_birth, "
            "data.missing_type, data.started_on,",
        )
        .replace("      risk_at_least: high\n", "      risk_at_least: medium\n")
    )
    path = tmp_path / "new.yaml"
    path.write_text(modified, encoding="utf-8")
    diff = diff_protocols(shipped, load_protocol(path))

    assert (diff["old"]["version"], diff["new"]["version"]) == ("2026.12.2", "2026.12.3")
    assert diff["rules"]["changed"] == [
        "missing-pupil-to-school",
        "missing-pupil-to-school-from-council",
        "se-risk-to-health",
    ]
    school = [r for r in diff["routes"] if r["recipient"] == "role:school"]
    assert len(school) == 2 * (4 + 9) == 26  # two types, from four forces and nine councils
    by_rule = {
        rule.id: rule
        for rule in shipped.rules
        if rule.id in ("missing-pupil-to-school", "missing-pupil-to-school-from-council")
    }
    for route in school:
        (rule,) = [r for r in by_rule.values() if route["publisher"] in r.publishers]
        assert route["rules"] == [{"rule": rule.id, "fields_gained": ["data.person.date_of_birth"]}]
    health = _route(diff, RISK, CHILDRENS, "role:health_for_area")
    (health_rule,) = [rule for rule in shipped.rules if rule.id == "se-risk-to-health"]
    old_when = health_rule.when.model_dump(mode="json", exclude_defaults=True)
    assert health["rules"][0]["conditions"] == {
        "old": old_when,
        "new": {**old_when, "risk_at_least": "medium"},
    }
    health_routes = [r for r in diff["routes"] if r["recipient"] == "role:health_for_area"]
    assert len(health_routes) == 18  # every children's and adult services
    assert diff["summary"] == {"routes_gained": 0, "routes_lost": 0, "routes_changed": 44}


def test_diff_shows_a_council_role_given_another_service(shipped: Protocol) -> None:
    """BUG: routes key a role without its service, so telling the responsible council's
    education instead of its adult social care changes no route in the diff."""
    text = SHIPPED.read_text(encoding="utf-8")
    before = "recipients: [{role: responsible_authority, service: adult_services},"
    assert before in text
    changed = text.replace(
        before, "recipients: [{role: responsible_authority, service: education},"
    )

    diff = diff_protocols(shipped, parse_protocol(changed.encode()))

    assert diff["rules"]["changed"] == ["still-missing-at-18-to-adult-services"]
    assert diff["summary"]["routes_gained"] == diff["summary"]["routes_lost"] == 9


def test_cli_diff_prints_json_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``hub protocol diff`` prints the diff as JSON; an invalid file exits 2."""
    new = tmp_path / "new.yaml"
    new.write_text(SHIPPED.read_text(encoding="utf-8").replace('"2026.12.2"', '"2026.12.3"'))
    assert main(["protocol", "diff", str(SHIPPED), str(new)]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert diff["version_changed"] is True
    assert diff["routes"] == []

    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [")
    assert main(["protocol", "diff", str(SHIPPED), str(broken)]) == 2


# --- purity -----------------------------------------------------------------------------------


def test_protocol_tools_import_nothing_of_the_hub() -> None:
    """Importing protocols (lint and diff included) loads neither the hub nor any I/O library."""
    probe = textwrap.dedent(
        """
        import json, sys
        import protocols._lint, protocols._diff
        print(json.dumps(sorted(sys.modules)))
        """
    )
    completed = subprocess.run(  # noqa: S603 - fixed interpreter and fixed code
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=30,
    )
    loaded = {name.partition(".")[0] for name in json.loads(completed.stdout)}
    assert sorted(loaded & {"hub", "aiohttp", "aio_pika", "aiormq", "sqlalchemy"}) == []


def test_explain_leaves_the_notification_time_as_the_clock(shipped: Protocol) -> None:
    """Deadlines are counted from the ``now`` given, reported as evaluated_at."""
    notification = parse_notification(_documented()[MISSING_STARTED])
    now = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)
    document = explain(decide(notification, shipped, now), shipped)
    assert document["evaluated_at"] == "2026-11-28T22:00:00Z"
    assert document["recipients"][0]["acknowledge_by"] == "2026-11-28T23:00:00Z"


def test_a_council_publishers_simulated_placement_is_its_own(shipped: Protocol) -> None:
    """A council's record naming no responsible LA is simulated as placed by that council."""
    event = _documented()["uk.sehub.return_interview.recorded.v1"]
    event["source"] = "urn:sehub:agency:newcastle-childrens"
    state = simulated_placement(parse_notification(event), "840", shipped)
    assert (state.responsible_la, state.host_la) == ("391", "840")


def test_a_simulated_placement_keeps_the_responsible_la_the_record_names(
    shipped: Protocol,
) -> None:
    """A record naming its responsible LA (929) is simulated as placed by it, whoever posts it."""
    event = _documented()[MISSING_STARTED]
    event["source"] = "urn:sehub:agency:newcastle-childrens"
    state = simulated_placement(parse_notification(event), "840", shipped)
    assert (state.responsible_la, state.host_la) == ("929", "840")


def test_a_placement_inside_the_placing_la_is_not_out_of_area(shipped: Protocol) -> None:
    """Placed in its own council's area a child's placement is kept, as the router keeps it, but
    is not out of area: no host, no cross-border sharing."""
    notification = parse_notification(_documented()[MISSING_STARTED])
    document = explain(
        decide(
            notification,
            shipped,
            notification.time,
            simulated_placement(notification, "929", shipped),
        ),
        shipped,
    )
    assert document["active_placements"] == [
        {"episode": "simulated-placement", "placing_la": "929", "host_la": "929"}
    ]
    assert (document["facts"]["cross_border"], document["facts"]["host_la"]) == (False, None)
    assert [r["agency"] for r in document["recipients"]] == [POLICE, EDUCATION]
