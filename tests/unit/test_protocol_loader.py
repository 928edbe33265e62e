"""Loading and validating protocol YAML: versions tied to bytes, and loud rejection of mistakes."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from protocols import (
    COUNCIL_SERVICES,
    PartyKind,
    ProtocolError,
    Role,
    RoleRecipient,
    load_protocol,
    parse_duration,
    parse_protocol,
)
from tests.unit.builders import (
    CHILDRENS,
    POLICE,
    PROTOCOL_PATH,
    make_protocol,
    make_protocol_dict,
    make_rule,
)


def _yaml(document: dict[str, object]) -> bytes:
    document = {key: value for key, value in document.items() if key != "content_hash"}
    return yaml.safe_dump(document, sort_keys=False).encode()


def test_shipped_protocol_loads_with_a_version_tag_bound_to_its_bytes() -> None:
    """The shipped protocol loads; its tag is the declared version plus 12 hex of its SHA-256."""
    protocol = load_protocol(PROTOCOL_PATH)
    digest = hashlib.sha256(PROTOCOL_PATH.read_bytes()).hexdigest()

    assert protocol.id == "northumberland-se"
    assert protocol.version == "2026.12.2"
    assert protocol.version_tag == f"2026.12.2+{digest[:12]}"
    assert re.fullmatch(r"2026\.12\.2\+[0-9a-f]{12}", protocol.version_tag)
    assert protocol.content_hash == digest
    assert [rule.id for rule in protocol.rules] == [
        "missing-child-from-council-to-police",
        "missing-child-between-councils",
        "missing-child-from-police-to-councils",
        "missing-child-between-forces",
        "still-missing-at-18-to-adult-services",
        "missing-pupil-to-school",
        "missing-pupil-to-school-from-council",
        "return-interview-to-police",
        "return-interview-between-councils",
        "placement-to-host-area",
        "conflicting-placement-claim-to-responsible-authority",
        "child-concern-from-police-to-councils",
        "child-se-concern-to-school",
        "adult-concern-from-police-to-adult-services",
        "adult-exploitation-concern-to-police",
        "adult-trafficking-concern-to-police",
        "se-risk-to-police",
        "se-risk-to-host-authority",
        "se-risk-to-school",
        "se-risk-to-health",
        "education-concern-to-childrens-services",
    ]


# The councils of the force area and its neighbours, each with these four services.
COUNCILS = {
    "northumberland": "929",
    "newcastle": "391",
    "north-tyneside": "392",
    "south-tyneside": "393",
    "gateshead": "390",
    "sunderland": "394",
    "durham": "840",
    "cumberland": "942",
    "scottish-borders": "S12000026",
}
SERVICES = {
    "childrens": PartyKind.CHILDREN_SERVICES,
    "adults": PartyKind.ADULT_SERVICES,
    "education": PartyKind.EDUCATION,
    "licensing": PartyKind.LICENSING,
}
AREAS = {
    "northumbria-police": (PartyKind.POLICE, ("929", "390", "391", "392", "393", "394")),
    "durham-constabulary": (PartyKind.POLICE, ("840", "841")),
    "cumbria-constabulary": (PartyKind.POLICE, ("942", "943")),
    "police-scotland": (PartyKind.POLICE, ("S12000026",)),
    "northumbria-healthcare": (PartyKind.HEALTH, ("929", "392")),
    "newcastle-hospitals": (PartyKind.HEALTH, ("391",)),
    "gateshead-health": (PartyKind.HEALTH, ("390",)),
    "south-tyneside-sunderland-health": (PartyKind.HEALTH, ("393", "394")),
    "durham-darlington-health": (PartyKind.HEALTH, ("840", "841")),
    "north-cumbria-health": (PartyKind.HEALTH, ("942",)),
    "nhs-borders": (PartyKind.HEALTH, ("S12000026",)),
}


def test_shipped_protocol_declares_every_council_service_by_its_la() -> None:
    """Nine councils each have children's, adults', education and licensing parties with its LA."""
    protocol = load_protocol(PROTOCOL_PATH)
    councils = {p.id: (p.kind, p.la_code) for p in protocol.parties if p.kind in COUNCIL_SERVICES}

    assert councils == {
        f"{council}-{service}": (kind, la)
        for council, la in COUNCILS.items()
        for service, kind in SERVICES.items()
    }


def test_shipped_protocol_declares_the_forces_and_health_bodies_by_the_areas_they_cover() -> None:
    """Four police forces and seven health bodies carry the LA areas they cover and no LA."""
    protocol = load_protocol(PROTOCOL_PATH)
    covering = {
        p.id: (p.kind, p.areas)
        for p in protocol.parties
        if p.kind in (PartyKind.POLICE, PartyKind.HEALTH)
    }

    assert covering == AREAS
    assert all(protocol.party(party_id).la_code is None for party_id in AREAS)


def test_shipped_protocol_declares_its_schools_and_registered_provider() -> None:
    """Two schools by URN and LA, and one provider registered by Durham and Newcastle."""
    protocol = load_protocol(PROTOCOL_PATH)

    schools = {p.id: (p.urn, p.la_code) for p in protocol.parties_of(PartyKind.SCHOOL)}
    (provider,) = protocol.parties_of(PartyKind.PROVIDER)

    assert schools == {"school-100001": ("100001", "929"), "school-100002": ("100002", "840")}
    assert (provider.id, provider.registered_by, provider.la_code) == (
        "synthetic-care-homes",
        ("840", "391"),
        None,
    )
    assert len(protocol.parties) == len(COUNCILS) * len(SERVICES) + len(AREAS) + 3


def test_shipped_protocol_names_only_its_parties() -> None:
    """Every publisher and recipient in the shipped rules is a declared party."""
    protocol = load_protocol(PROTOCOL_PATH)
    parties = set(protocol.party_ids)

    for rule in protocol.rules:
        assert set(rule.publishers) <= parties
        assert set(rule.named_recipients) <= parties
        roles = [r for r in rule.recipients if not isinstance(r, str)]
        assert all(isinstance(r, RoleRecipient) and r.role in Role for r in roles)
        assert len(rule.named_recipients) + len(roles) == len(rule.recipients)


def test_shipped_rules_name_every_recipient_by_role() -> None:
    """No rule names a party as recipient: each is told as the person's council, force or school."""
    protocol = load_protocol(PROTOCOL_PATH)

    roles = {
        rule.id: [r.label for r in rule.recipients if isinstance(r, RoleRecipient)]
        for rule in protocol.rules
    }

    assert all(rule.named_recipients == () for rule in protocol.rules)
    assert roles == {
        "missing-child-from-council-to-police": ["police_for_area", "police_for_responsible_area"],
        "missing-child-between-councils": [
            "host_authority",
            "responsible_authority",
            "resident_authority",
        ],
        "missing-child-from-police-to-councils": [
            "resident_authority",
            "responsible_authority",
            "host_authority",
        ],
        "missing-child-between-forces": ["police_for_area", "police_for_responsible_area"],
        "still-missing-at-18-to-adult-services": [
            "responsible_authority:adult_services",
            "resident_authority:adult_services",
        ],
        "missing-pupil-to-school": ["school"],
        "missing-pupil-to-school-from-council": ["school"],
        "return-interview-to-police": ["police_for_area", "police_for_responsible_area"],
        "return-interview-between-councils": ["responsible_authority", "host_authority"],
        "placement-to-host-area": [
            "host_authority",
            "police_for_area",
            "police_for_responsible_area",
        ],
        "conflicting-placement-claim-to-responsible-authority": ["responsible_authority"],
        "child-concern-from-police-to-councils": [
            "resident_authority",
            "responsible_authority",
            "host_authority",
        ],
        "child-se-concern-to-school": ["school"],
        "adult-concern-from-police-to-adult-services": [
            "resident_authority",
            "responsible_authority:children_services",
        ],
        "adult-exploitation-concern-to-police": ["police_for_area"],
        "adult-trafficking-concern-to-police": ["police_for_area"],
        "se-risk-to-police": ["police_for_area", "police_for_responsible_area"],
        "se-risk-to-host-authority": ["host_authority"],
        "se-risk-to-school": ["school"],
        "se-risk-to-health": ["health_for_area"],
        "education-concern-to-childrens-services": [
            "resident_authority:children_services",
            "responsible_authority:children_services",
        ],
    }


def test_shipped_rules_are_written_once_per_kind_of_publisher() -> None:
    """Each rule's publishers are every party of its kinds, never a hand-picked council."""
    protocol = load_protocol(PROTOCOL_PATH)
    police, childrens, adults = (
        PartyKind.POLICE,
        PartyKind.CHILDREN_SERVICES,
        PartyKind.ADULT_SERVICES,
    )
    kinds = {
        rule.id: {protocol.party(publisher).kind for publisher in rule.publishers}
        for rule in protocol.rules
    }

    for rule in protocol.rules:
        every = [p.id for kind in kinds[rule.id] for p in protocol.parties_of(kind)]
        assert sorted(rule.publishers) == sorted(every), rule.id
    assert kinds == {
        "missing-child-from-council-to-police": {childrens},
        "missing-child-between-councils": {childrens},
        "missing-child-from-police-to-councils": {police},
        "missing-child-between-forces": {police},
        "still-missing-at-18-to-adult-services": {childrens},
        "missing-pupil-to-school": {police},
        "missing-pupil-to-school-from-council": {childrens},
        "return-interview-to-police": {childrens},
        "return-interview-between-councils": {childrens},
        "placement-to-host-area": {childrens, PartyKind.PROVIDER},
        "conflicting-placement-claim-to-responsible-authority": {childrens, PartyKind.PROVIDER},
        "child-concern-from-police-to-councils": {police},
        "child-se-concern-to-school": {police},
        "adult-concern-from-police-to-adult-services": {police},
        "adult-exploitation-concern-to-police": {adults},
        "adult-trafficking-concern-to-police": {adults},
        "se-risk-to-police": {childrens, adults},
        "se-risk-to-host-authority": {childrens},
        "se-risk-to-school": {childrens},
        "se-risk-to-health": {childrens, adults},
        "education-concern-to-childrens-services": {PartyKind.EDUCATION},
    }


def test_a_council_publishes_only_about_its_own_people() -> None:
    """Every rule a council service publishes under asks ``publisher_is`` one of its authorities
    (but the alert of a conflicting placement claim, which is about another council's child)."""
    protocol = load_protocol(PROTOCOL_PATH)

    for rule in protocol.rules:
        kinds = {protocol.party(publisher).kind for publisher in rule.publishers}
        if kinds & COUNCIL_SERVICES and rule.when.claim_conflicts is not True:
            assert rule.when.publisher_is, rule.id


def test_every_shipped_rule_and_clock_cites_article_6_and_article_9() -> None:
    """Each disclosure cites UK GDPR Art 6(1)(e) and Art 9(2)(g) before its statute."""
    protocol = load_protocol(PROTOCOL_PATH)

    for terms in (*protocol.rules, *protocol.clocks):
        assert terms.lawful_basis[:2] == (
            "UK GDPR Art 6(1)(e) (public task)",
            "UK GDPR Art 9(2)(g) (substantial public interest)",
        ), terms.id
        assert len(terms.lawful_basis) > 2, terms.id


def test_files_differing_by_one_byte_have_different_version_tags(tmp_path: Path) -> None:
    """Changing one byte of a protocol file (even in a comment) changes its version tag."""
    original = PROTOCOL_PATH.read_bytes()
    assert original.startswith(b"#")
    changed = original[:1] + b"!" + original[2:]
    assert len(changed) == len(original)
    assert sum(a != b for a, b in zip(original, changed, strict=True)) == 1
    first = tmp_path / "first.yaml"
    second = tmp_path / "second.yaml"
    first.write_bytes(original)
    second.write_bytes(changed)

    one = load_protocol(first)
    other = load_protocol(second)

    assert one.version == other.version
    assert one.rules == other.rules
    assert one.version_tag != other.version_tag


# --- parties by kind and area; publishers by kind; roles with a service ------------------------


def test_a_publisher_kind_expands_to_every_party_of_that_kind_once() -> None:
    """``{kind: children_services}`` is each council's children's services in file order, after
    any named before it, each once however often it is named."""
    publishers = ["newcastle-childrens", {"kind": "children_services"}, POLICE]
    rule = make_rule(publishers=[*publishers, {"kind": "children_services"}, CHILDRENS])

    (loaded,) = parse_protocol(_yaml(make_protocol_dict(rule))).rules

    assert loaded.publishers == ("newcastle-childrens", CHILDRENS, "durham-childrens", POLICE)


@pytest.mark.parametrize(
    "publisher",
    [{"kind": "school"}, {"kind": "constabulary"}, {"kind": "police", "areas": ["929"]}],
    ids=["a-kind-with-no-party", "not-a-kind", "a-kind-with-more"],
)
def test_a_publisher_kind_that_names_no_party_is_refused(publisher: dict[str, object]) -> None:
    """A kind no party has, a misspelt kind or a kind with other keys never loads as nobody."""
    document = make_protocol_dict(make_rule(publishers=[publisher]))

    with pytest.raises(ProtocolError, match=r"rules\[0\]\.publishers"):
        parse_protocol(_yaml(document))


def test_a_kind_is_not_a_recipient() -> None:
    """Recipients are parties or roles: ``{kind: police}`` would tell every force, so it fails."""
    document = make_protocol_dict(make_rule(recipients=[{"kind": "police"}]))

    with pytest.raises(ProtocolError, match=r"rules\[0\]\.recipients\[0\]"):
        parse_protocol(_yaml(document))


@pytest.mark.parametrize(
    "recipient",
    [
        {"role": "police_for_area", "service": "education"},
        {"role": "school", "service": "education"},
        {"role": "resident_authority", "service": "police"},
        {"role": "host_authority", "service": "school"},
    ],
)
def test_a_service_is_for_a_council_role_and_names_a_council_service(
    recipient: dict[str, str],
) -> None:
    """Only the resident, responsible and host authority take a service, one of a council's."""
    document = make_protocol_dict(make_rule(recipients=[recipient]))

    with pytest.raises(ProtocolError, match="service is for a council role"):
        parse_protocol(_yaml(document))


def test_a_council_role_may_name_the_service_meant() -> None:
    """``{role: resident_authority, service: education}`` loads with its label."""
    recipient = {"role": "resident_authority", "service": "education"}

    (rule,) = parse_protocol(_yaml(make_protocol_dict(make_rule(recipients=[recipient])))).rules

    assert rule.recipients == (
        RoleRecipient(role=Role.RESIDENT_AUTHORITY, service=PartyKind.EDUCATION),
    )
    (recipient,) = rule.recipients
    assert isinstance(recipient, RoleRecipient)
    assert recipient.label == "resident_authority:education"


@pytest.mark.parametrize(
    ("party", "message"),
    [
        (
            {"id": "x", "name": "X", "kind": "police", "areas": ["929"], "la_code": "929"},
            "a police party has no la_code",
        ),
        ({"id": "x", "name": "X", "kind": "health"}, "a health party needs areas"),
        ({"id": "x", "name": "X", "kind": "education"}, "an? education party needs la_code"),
        (
            {
                "id": "x",
                "name": "X",
                "kind": "children_services",
                "la_code": "929",
                "areas": ["929"],
            },
            "a children_services party has no areas",
        ),
        ({"id": "x", "name": "X", "kind": "school", "la_code": "929"}, "a school party needs urn"),
        ({"id": "x", "name": "X", "kind": "provider"}, "a provider party needs registered_by"),
        (
            {"id": "x", "name": "X", "kind": "provider", "registered_by": ["929"], "urn": "100001"},
            "a provider party has no urn",
        ),
        ({"id": "x", "name": "X", "kind": "police", "areas": ["Tyne"]}, "is not an LA code"),
        (
            {"id": "x", "name": "X", "kind": "provider", "registered_by": ["Durham"]},
            "is not an LA code",
        ),
        (
            {"id": "x", "name": "X", "kind": "school", "la_code": "929", "urn": "10001"},
            "urn",
        ),
    ],
    ids=[
        "police-with-la",
        "health-without-areas",
        "council-without-la",
        "council-with-areas",
        "school-without-urn",
        "provider-unregistered",
        "provider-with-urn",
        "area-not-a-code",
        "registered-by-not-a-code",
        "urn-not-six-digits",
    ],
)
def test_a_party_carries_exactly_what_its_kind_resolves_by(
    party: dict[str, object], message: str
) -> None:
    """A council has its LA, a force or health body its areas, a school its URN, a provider the
    councils that registered it; anything missing or extra is refused."""
    document = make_protocol_dict()
    document["parties"].append(party)

    with pytest.raises(ProtocolError, match=message):
        parse_protocol(_yaml(document))


def test_a_council_outside_england_is_a_party_by_its_gss_code() -> None:
    """The Scottish Borders' services and Police Scotland load with the GSS code S12000026."""
    document = make_protocol_dict()
    document["parties"] += [
        {"id": "borders", "name": "B", "kind": "children_services", "la_code": "S12000026"},
        {"id": "scotland", "name": "S", "kind": "police", "areas": ["S12000026"]},
    ]

    protocol = parse_protocol(_yaml(document))

    assert protocol.party("borders").la_code == "S12000026"
    assert protocol.party("scotland").covers("S12000026")


@pytest.mark.parametrize(
    "party",
    [
        {"id": "x", "name": "X", "kind": "children_services", "la_code": "E06000057"},
        {"id": "x", "name": "X", "kind": "police", "areas": ["E06000057"]},
    ],
    ids=["council", "force-area"],
)
def test_an_english_gss_code_is_not_a_party_area(party: dict[str, object]) -> None:
    """BUG: a party may be declared by an English GSS code, yet every person's area is normalised
    to its DfE code (schemas/_areas.py rule 5), so no role could ever reach that party."""
    document = make_protocol_dict()
    document["parties"].append(party)

    with pytest.raises(ProtocolError):
        parse_protocol(_yaml(document))


def test_a_declared_content_hash_is_replaced_by_the_real_one() -> None:
    """A ``content_hash`` written in the file cannot fake the version tag."""
    text = _yaml(make_protocol_dict()) + b"content_hash: '" + b"0" * 64 + b"'\n"

    protocol = parse_protocol(text)

    assert protocol.content_hash == hashlib.sha256(text).hexdigest()


@pytest.mark.parametrize(
    ("where", "key"),
    [("top", "colour"), ("rule", "recipient"), ("rule", "feilds")],
)
def test_unknown_keys_are_rejected_naming_the_key(where: str, key: str) -> None:
    """A misspelt or unknown key is an error that names the key, never silently ignored."""
    rule = make_rule()
    document = make_protocol_dict(rule)
    if where == "top":
        document[key] = "anything"
    else:
        document["rules"][0][key] = ["northumberland-adults"]

    with pytest.raises(ProtocolError, match=key):
        parse_protocol(_yaml(document))


def test_a_rule_naming_a_non_party_is_rejected_naming_the_rule() -> None:
    """A publisher or recipient that is not a party fails the load, naming rule and agency."""
    document = make_protocol_dict(
        make_rule(id="rule-ok"),
        make_rule(id="rule-stranger", recipients=["cleveland-police"]),
    )

    with pytest.raises(ProtocolError, match="rule-stranger") as caught:
        parse_protocol(_yaml(document))
    assert "cleveland-police" in str(caught.value)
    assert "rule-ok" not in str(caught.value)


def test_a_publisher_that_is_not_a_party_is_rejected() -> None:
    """A non-party publisher is as much an error as a non-party recipient."""
    document = make_protocol_dict(make_rule(id="rule-odd", publishers=["cleveland-police"]))

    with pytest.raises(ProtocolError, match="rule-odd"):
        parse_protocol(_yaml(document))


def test_duplicate_rule_ids_are_rejected() -> None:
    """Two rules with one id fail the load, naming the id."""
    document = make_protocol_dict(make_rule(id="rule-twice"), make_rule(id="rule-twice"))

    with pytest.raises(ProtocolError, match=r"duplicate rule id.*rule-twice"):
        parse_protocol(_yaml(document))


@pytest.mark.parametrize(
    "duration",
    [
        "72 hours",
        "72",
        "h",
        "1.5h",
        "72H",
        "3w",
        "-1h",
        "next school day",
        "next school day 8:30",
        "next school day 24:00",
        "next school day 08:60",
        "next schoolday 08:30",
        "Next school day 08:30",
        "next school day 08:30 ",
        "next working day 08:30",
    ],
)
def test_a_bad_duration_is_rejected(duration: str) -> None:
    """``acknowledge_within`` must be a number and m, h or d, or 'next school day HH:MM'."""
    document = make_protocol_dict(make_rule(acknowledge_within=duration))

    with pytest.raises(ProtocolError, match="acknowledge_within"):
        parse_protocol(_yaml(document))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", timedelta(minutes=90)),
        ("72h", timedelta(hours=72)),
        ("7d", timedelta(days=7)),
    ],
)
def test_parse_duration_reads_minutes_hours_and_days(text: str, expected: timedelta) -> None:
    """``parse_duration`` turns the three accepted units into the matching timedelta."""
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "path",
    ["Data.person", "data..person", "data.person.", ".data", "data/person", "data.1st", ""],
)
def test_a_bad_field_path_is_rejected(path: str) -> None:
    """A field path that is not dotted lower-case identifiers fails the load."""
    document = make_protocol_dict(make_rule(fields=["data.missing_type", path]))

    with pytest.raises(ProtocolError, match="fields"):
        parse_protocol(_yaml(document))


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        (b"id: [unclosed", 1, "expected ',' or ']'"),
        (b"rules:\n  - id: a\n   bad: indent\n", 3, "expected <block end>"),
        (b"key: 'open\n", 2, "unexpected end of stream"),
        (b"\t- tab", 1, "cannot start any token"),
    ],
)
def test_invalid_yaml_is_a_protocol_error(text: bytes, line: int, problem: str) -> None:
    """Text that is not YAML raises ProtocolError (not a raw parser exception) with its line."""
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(text, origin="bad.yaml")
    message = str(caught.value)
    assert message.startswith(f"bad.yaml:{line}: ")
    assert problem in message


@pytest.mark.parametrize("text", [b"", b"- a list\n", b"just a string\n", b"42\n"])
def test_a_document_that_is_not_a_mapping_is_a_protocol_error(text: bytes) -> None:
    """Valid YAML whose top level is not a mapping is rejected with ProtocolError."""
    with pytest.raises(ProtocolError, match="mapping"):
        parse_protocol(text)


@pytest.mark.parametrize(
    "missing", ["types", "publishers", "recipients", "fields", "purpose", "lawful_basis"]
)
def test_a_rule_without_a_required_list_is_rejected(missing: str) -> None:
    """Every rule must say what, from whom, to whom, which fields, why and on which basis."""
    rule = make_rule()
    del rule[missing]

    with pytest.raises(ProtocolError, match=missing):
        parse_protocol(_yaml(make_protocol_dict(rule)))


@pytest.mark.parametrize("empty", ["types", "publishers", "recipients", "fields", "lawful_basis"])
def test_a_rule_with_an_empty_list_is_rejected(empty: str) -> None:
    """An empty types/publishers/recipients/fields/lawful_basis list is an error."""
    with pytest.raises(ProtocolError, match=empty):
        parse_protocol(_yaml(make_protocol_dict(make_rule(**{empty: []}))))


def test_error_messages_name_the_origin(tmp_path: Path) -> None:
    """A load failure names the file it came from."""
    path = tmp_path / "broken.yaml"
    path.write_bytes(b"id: [unclosed")

    with pytest.raises(ProtocolError, match=re.escape(str(path))):
        load_protocol(path)


def test_a_missing_file_is_a_protocol_error(tmp_path: Path) -> None:
    """A protocol path that cannot be read raises ProtocolError naming the path."""
    path = tmp_path / "absent.yaml"

    with pytest.raises(ProtocolError, match=re.escape(str(path))):
        load_protocol(path)


def test_a_valid_minimal_document_round_trips_through_the_loader() -> None:
    """A protocol built by the test builders parses back with its rules intact."""
    document = make_protocol_dict(make_rule(id="rule-a"), make_rule(id="rule-b"))

    protocol = parse_protocol(_yaml(document))

    assert [rule.id for rule in protocol.rules] == ["rule-a", "rule-b"]
    assert protocol.rules[0].acknowledge_within == "1h"
    assert parse_duration(protocol.rules[0].acknowledge_within) == timedelta(hours=1)
    assert protocol.parties == make_protocol(*document["rules"]).parties


# --- errors carry the line of the offending YAML node -----------------------------------------

_DOCUMENT = """\
# Synthetic protocol for line-number tests.
id: line-test
title: Line numbers
version: "1"
parties:
  - id: northumbria-police
    name: Northumbria Police
    kind: police                                   # @police-kind
    areas: ["929", "391"]
  - id: northumberland-childrens
    name: Children's services
    kind: children_services
    la_code: "929"
  - id: northumberland-education
    name: Education
    kind: education
    la_code: "929"
rules:
  - id: rule-zero                                  # @rule-0
    types: [uk.sehub.missing_episode.started.v1]
    publishers: [northumberland-childrens]
    recipients: [northumbria-police]               # @rule-0-recipients
    fields: [data.person]
    purpose: p
    lawful_basis: [b]
    acknowledge_within: 1h
    retention: P1Y
  - id: rule-one                                   # @rule-1
    types: [uk.sehub.missing_episode.started.v1]
    publishers: [northumberland-childrens]
    recipients: [northumberland-education]         # @rule-1-recipients
    when: {child: true}                            # @rule-1-when
    fields: [data.person.upn]
    purpose: p
    lawful_basis: [b]
    acknowledge_within: next school day 08:30      # @rule-1-ack
    retention: P1Y
  - id: rule-two                                   # @rule-2
    types: [uk.sehub.missing_episode.ended.v1]
    publishers: [northumberland-childrens]
    recipients: [northumbria-police, {role: police_for_host_area}]  # @rule-2-recipients
    when:
      match: {data.missing_type: missing}          # @rule-2-match
    fields: [data.person]
    purpose: p
    lawful_basis: [b]
    retention: P1Y
  - id: rule-three                                 # @rule-3
    types: [uk.sehub.missing_episode.ended.v1]
    publishers: [northumbria-police]
    recipients: [northumberland-childrens]         # @rule-3-recipients
    fields: [data]                                 # @rule-3-fields
    purpose: p
    lawful_basis: [b]
    retention: P1Y                                 # @rule-3-end
"""
_ORIGIN = "protocols/line-test.yaml"


def _line(text: str, marker: str) -> int:
    """The 1-based line of ``text`` carrying the comment ``# @marker``."""
    (line,) = [
        number
        for number, content in enumerate(text.splitlines(), start=1)
        if content.rstrip().endswith(f"# @{marker}")
    ]
    return line


def _replace_on(text: str, marker: str, old: str, new: str) -> str:
    """``text`` with ``old`` replaced by ``new`` on the line marked ``marker`` only."""
    lines = text.splitlines(keepends=True)
    index = _line(text, marker) - 1
    assert old in lines[index], (old, lines[index])
    lines[index] = lines[index].replace(old, new)
    return "".join(lines)


def _insert_after(text: str, marker: str, new_line: str) -> str:
    lines = text.splitlines(keepends=True)
    lines.insert(_line(text, marker), new_line + "\n")
    return "".join(lines)


def _error(text: str) -> str:
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(text.encode(), origin=_ORIGIN)
    return str(caught.value)


def test_the_line_test_document_is_valid() -> None:
    """The document the line-number tests break is itself a valid protocol."""
    protocol = parse_protocol(_DOCUMENT.encode(), origin=_ORIGIN)

    assert [rule.id for rule in protocol.rules] == [
        "rule-zero",
        "rule-one",
        "rule-two",
        "rule-three",
    ]


@pytest.mark.parametrize(
    ("marker", "old", "new", "location"),
    [
        (
            "rule-1-ack",
            "next school day 08:30",
            "next school day 8.30",
            "rules[1].acknowledge_within",
        ),
        ("rule-1-ack", "next school day 08:30", "tomorrow", "rules[1].acknowledge_within"),
        ("rule-1-when", "child: true", "child: sometimes", "rules[1].when.child"),
        ("rule-1-when", "child: true", "over_18: false", "rules[1].when.over_18"),
        ("rule-1-when", "child: true", "risk_at_least: severe", "rules[1].when.risk_at_least"),
        ("rule-2-match", "data.missing_type", "Data.missing_type", "rules[2].when.match"),
        ("police-kind", "police", "constabulary", "parties[0].kind"),
        (
            "rule-2-recipients",
            "police_for_host_area",
            "police_for_elsewhere",
            "rules[2].recipients[1].role",
        ),
        ("rule-3-fields", "[data]", "[data/person]", "rules[3].fields"),
        ("rule-3-end", "P1Y", "one year", "rules[3].retention"),
    ],
)
def test_a_bad_value_is_reported_at_its_line(
    marker: str, old: str, new: str, location: str
) -> None:
    """A bad value is reported as ``file:LINE: location: reason`` with the value's own line."""
    message = _error(_replace_on(_DOCUMENT, marker, old, new))

    assert f"{_ORIGIN}:{_line(_DOCUMENT, marker)}: {location}: " in message
    for reason in message.splitlines():
        assert re.match(rf"{re.escape(_ORIGIN)}:\d+: ", reason), reason


def test_an_unknown_key_in_rule_three_is_reported_at_its_line() -> None:
    """An unknown key in the fourth rule names the key, the rule's index and the key's line."""
    text = _insert_after(_DOCUMENT, "rule-3-recipients", "    colour: red")

    message = _error(text)

    assert message == (
        f"{_ORIGIN}:{_line(_DOCUMENT, 'rule-3-recipients') + 1}: rules[3].colour: "
        "Extra inputs are not permitted"
    )


def test_an_unknown_capitalised_key_is_named() -> None:
    """A capitalised typo of a key (``Fields``) is named in the message like any other key."""
    text = _insert_after(_DOCUMENT, "rule-3-recipients", "    Fields: [data.person]")

    message = _error(text)

    assert f"{_ORIGIN}:{_line(_DOCUMENT, 'rule-3-recipients') + 1}: rules[3].Fields: " in message


def test_a_bad_match_value_is_described_by_its_yaml_path_only() -> None:
    """The location of a bad ``match`` value names YAML keys, not the union members tried."""
    text = _replace_on(_DOCUMENT, "rule-2-match", "missing}", "{nested: 1}}")

    message = _error(text)

    line = _line(_DOCUMENT, "rule-2-match")
    reasons = message.splitlines()
    assert reasons
    for reason in reasons:
        assert reason.startswith(f"{_ORIGIN}:{line}: rules[2].when.match.data.missing_type: ")


def test_two_mistakes_are_each_reported_at_their_own_line() -> None:
    """Every problem in the file is reported, each with its own line."""
    text = _replace_on(_DOCUMENT, "rule-1-ack", "next school day 08:30", "soon")
    text = _replace_on(text, "rule-3-end", "P1Y", "forever")

    message = _error(text)

    assert message.splitlines() == [
        f"{_ORIGIN}:{_line(_DOCUMENT, 'rule-1-ack')}: rules[1].acknowledge_within: "
        "expected a duration ('90m', '72h', '7d') or 'next school day HH:MM'",
        f"{_ORIGIN}:{_line(_DOCUMENT, 'rule-3-end')}: rules[3].retention: "
        "String should match pattern '^P(\\d+Y)?(\\d+M)?(\\d+D)?$'",
    ]


def test_a_missing_required_key_is_reported_at_its_rule() -> None:
    """A rule without ``purpose`` is reported at the rule's first line."""
    lines = [
        line
        for number, line in enumerate(_DOCUMENT.splitlines(keepends=True), start=1)
        if not (number > _line(_DOCUMENT, "rule-3") and line.strip() == "purpose: p")
    ]

    message = _error("".join(lines))

    assert message == f"{_ORIGIN}:{_line(_DOCUMENT, 'rule-3')}: rules[3].purpose: Field required"


def test_a_rule_naming_a_non_party_is_reported_naming_the_rule_with_a_line() -> None:
    """A non-party recipient fails the load with ``file:LINE:``, naming the rule and agency."""
    text = _replace_on(
        _DOCUMENT, "rule-1-recipients", "northumberland-education", "sunderland-education"
    )

    message = _error(text)

    assert re.match(rf"{re.escape(_ORIGIN)}:\d+: ", message)
    assert "rule rule-one" in message
    assert "sunderland-education" in message
    assert "rule-zero" not in message


def test_a_rule_naming_a_non_party_is_reported_at_a_line_of_that_rule() -> None:
    """The line given for a non-party recipient lies within the rule that names it."""
    text = _replace_on(
        _DOCUMENT, "rule-1-recipients", "northumberland-education", "sunderland-education"
    )

    message = _error(text)

    line = int(re.match(rf"{re.escape(_ORIGIN)}:(\d+): ", message)[1])  # type: ignore[index]
    first, after = _line(_DOCUMENT, "rule-1"), _line(_DOCUMENT, "rule-2")
    assert first <= line < after, message


def test_invalid_yaml_in_a_rule_is_reported_at_its_line() -> None:
    """A YAML syntax error in the middle of the file gives that line, not the top of the file."""
    text = _replace_on(_DOCUMENT, "rule-3-fields", "[data]", "[data")

    message = _error(text)

    # The parser notices the unclosed flow sequence at the next line's key.
    assert message.startswith(f"{_ORIGIN}:{_line(_DOCUMENT, 'rule-3-fields') + 1}: ")


def test_the_shipped_file_reports_a_bad_deadline_at_its_line(tmp_path: Path) -> None:
    """Breaking the school's deadline in the shipped file names the file, that line and rule."""
    lines = PROTOCOL_PATH.read_text(encoding="utf-8").splitlines(keepends=True)
    index = lines.index("    acknowledge_within: next school day 08:30\n")
    lines[index] = "    acknowledge_within: next school day 8am\n"
    path = tmp_path / "northumberland.yaml"
    path.write_text("".join(lines), encoding="utf-8")
    rules_start = lines.index("rules:\n")
    rule = sum(line.startswith("  - id: ") for line in lines[rules_start:index]) - 1

    with pytest.raises(ProtocolError) as caught:
        load_protocol(path)

    assert rule == 5  # missing-pupil-to-school, the first rule with a school-day deadline
    assert str(caught.value).startswith(f"{path}:{index + 1}: rules[5].acknowledge_within: ")


def test_a_key_given_twice_in_a_rule_is_rejected_at_its_second_line() -> None:
    """A second ``fields:`` in one rule is an error at its line, never a silent override."""
    text = _insert_after(_DOCUMENT, "rule-1-ack", "    fields: [data]")

    with pytest.raises(ProtocolError, match="fields") as caught:
        parse_protocol(text.encode(), origin=_ORIGIN)

    assert str(caught.value).startswith(f"{_ORIGIN}:{_line(_DOCUMENT, 'rule-1-ack') + 1}: ")
