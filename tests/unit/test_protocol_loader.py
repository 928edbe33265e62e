"""Loading and validating protocol YAML: versions tied to bytes, and loud rejection of mistakes."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from protocols import ProtocolError, load_protocol, parse_duration, parse_protocol
from tests.unit.builders import PROTOCOL_PATH, make_protocol_dict, make_rule


def _yaml(document: dict[str, object]) -> bytes:
    document = {key: value for key, value in document.items() if key != "content_hash"}
    return yaml.safe_dump(document, sort_keys=False).encode()


def test_shipped_protocol_loads_with_a_version_tag_bound_to_its_bytes() -> None:
    """The shipped protocol loads; its tag is the declared version plus 12 hex of its SHA-256."""
    protocol = load_protocol(PROTOCOL_PATH)
    digest = hashlib.sha256(PROTOCOL_PATH.read_bytes()).hexdigest()

    assert protocol.id == "northumberland-se"
    assert protocol.version == "2026.11.0"
    assert protocol.version_tag == f"2026.11.0+{digest[:12]}"
    assert re.fullmatch(r"2026\.11\.0\+[0-9a-f]{12}", protocol.version_tag)
    assert protocol.content_hash == digest
    assert [rule.id for rule in protocol.rules] == [
        "missing-child-to-police",
        "missing-child-to-childrens-services",
        "missing-pupil-to-education",
        "return-interview-to-police",
        "placement-to-police",
        "child-concern-to-childrens-services",
        "child-se-concern-to-education",
        "adult-concern-to-adult-services",
        "adult-se-concern-to-police",
        "adult-trafficking-concern-to-police",
        "se-risk-to-police",
        "se-risk-to-education",
        "education-concern-to-childrens-services",
    ]


def test_shipped_protocol_names_only_its_parties() -> None:
    """Every publisher and recipient in the shipped rules is a declared party."""
    protocol = load_protocol(PROTOCOL_PATH)
    parties = set(protocol.parties)

    for rule in protocol.rules:
        assert set(rule.publishers) <= parties
        assert set(rule.recipients) <= parties


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
        make_rule(id="rule-stranger", recipients=["durham-constabulary"]),
    )

    with pytest.raises(ProtocolError, match="rule-stranger") as caught:
        parse_protocol(_yaml(document))
    assert "durham-constabulary" in str(caught.value)
    assert "rule-ok" not in str(caught.value)


def test_a_publisher_that_is_not_a_party_is_rejected() -> None:
    """A non-party publisher is as much an error as a non-party recipient."""
    document = make_protocol_dict(make_rule(id="rule-odd", publishers=["durham-constabulary"]))

    with pytest.raises(ProtocolError, match="rule-odd"):
        parse_protocol(_yaml(document))


def test_duplicate_rule_ids_are_rejected() -> None:
    """Two rules with one id fail the load, naming the id."""
    document = make_protocol_dict(make_rule(id="rule-twice"), make_rule(id="rule-twice"))

    with pytest.raises(ProtocolError, match=r"rule-twice.*duplicate"):
        parse_protocol(_yaml(document))


@pytest.mark.parametrize("duration", ["72 hours", "72", "h", "1.5h", "72H", "3w", "-1h"])
def test_a_bad_duration_is_rejected(duration: str) -> None:
    """``acknowledge_within`` must be a number followed by m, h or d."""
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
    "text",
    [b"id: [unclosed", b"rules:\n  - id: a\n   bad: indent\n", b"key: 'open\n", b"\t- tab"],
)
def test_invalid_yaml_is_a_protocol_error(text: bytes) -> None:
    """Text that is not YAML raises ProtocolError, not a raw parser exception."""
    with pytest.raises(ProtocolError, match="not valid YAML"):
        parse_protocol(text)


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
    assert protocol.rules[0].acknowledge_delta == timedelta(hours=1)
