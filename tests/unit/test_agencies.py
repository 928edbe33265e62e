"""The agency directory: bearer-token authentication and loading from YAML."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from hub import ConfigurationError, NotAuthenticated
from hub.agencies import Agency, AgencyDirectory, hash_token, new_token
from hub.cli import write_demo
from protocols import load_protocol
from tests.credentials import token_of
from tests.unit.builders import PROTOCOL_PATH

POLICE_TOKEN = "synthetic-police-token-0001"
POLICE_NEXT_TOKEN = "synthetic-police-token-0002"
CHILDRENS_TOKEN = "synthetic-childrens-token-0001"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _police() -> Agency:
    return Agency(
        id="northumbria-police",
        name="Northumbria Police",
        kind="police",
        tokens=(token_of(POLICE_TOKEN), token_of(POLICE_NEXT_TOKEN)),
    )


def _childrens() -> Agency:
    return Agency(
        id="northumberland-childrens",
        name="Northumberland children's services",
        kind="children_services",
        tokens=(token_of(CHILDRENS_TOKEN),),
    )


@pytest.fixture
def directory() -> AgencyDirectory:
    """A directory of two agencies, the police with two live tokens (rotation)."""
    return AgencyDirectory((_police(), _childrens()))


def test_hash_token_is_hex_sha256() -> None:
    """A stored token hash is the hex SHA-256 of the token's UTF-8 bytes."""
    assert hash_token("abc") == hashlib.sha256(b"abc").hexdigest()
    assert hash_token(POLICE_TOKEN) != hash_token(CHILDRENS_TOKEN)


def test_new_tokens_are_long_and_distinct() -> None:
    """Fresh tokens carry at least 256 bits and never repeat."""
    tokens = {new_token() for _ in range(20)}

    assert len(tokens) == 20
    assert all(len(token) >= 43 for token in tokens)


@pytest.mark.parametrize(
    ("token", "agency_id"),
    [
        (POLICE_TOKEN, "northumbria-police"),
        (POLICE_NEXT_TOKEN, "northumbria-police"),
        (CHILDRENS_TOKEN, "northumberland-childrens"),
    ],
)
def test_right_token_gives_the_agency(
    directory: AgencyDirectory, token: str, agency_id: str
) -> None:
    """Each of an agency's tokens authenticates as that agency and no other."""
    agency = directory.authenticate(token, now=NOW).agency

    assert agency.id == agency_id
    assert agency.source == f"urn:sehub:agency:{agency_id}"


@pytest.mark.parametrize(
    "token",
    [
        "wrong-token",
        POLICE_TOKEN + " ",
        POLICE_TOKEN.upper(),
        hash_token(POLICE_TOKEN),  # the stored hash is not itself a credential
    ],
)
def test_wrong_token_is_not_authenticated(directory: AgencyDirectory, token: str) -> None:
    """A token that is not exactly a registered one raises NotAuthenticated."""
    with pytest.raises(NotAuthenticated):
        directory.authenticate(token, now=NOW)


@pytest.mark.parametrize("token", [None, ""])
def test_missing_token_is_not_authenticated(directory: AgencyDirectory, token: str | None) -> None:
    """No token, or an empty one, raises NotAuthenticated."""
    with pytest.raises(NotAuthenticated, match="required"):
        directory.authenticate(token, now=NOW)


def test_not_authenticated_does_not_echo_the_token(directory: AgencyDirectory) -> None:
    """The refusal message never repeats the presented token."""
    presented = "synthetic-guess-CANARY-5521"

    with pytest.raises(NotAuthenticated) as caught:
        directory.authenticate(presented, now=NOW)

    assert presented not in str(caught.value)
    assert caught.value.status_hint == 401


def test_duplicate_agency_ids_are_a_configuration_error() -> None:
    """Two agencies with one id cannot make a directory."""
    twin = Agency(id="northumbria-police", name="Impostor", kind="police")

    with pytest.raises(ConfigurationError, match="unique"):
        AgencyDirectory((_police(), twin))


def test_directory_is_a_mapping_by_id(directory: AgencyDirectory) -> None:
    """The directory looks agencies up by id and lists exactly its agencies."""
    assert len(directory) == 2
    assert set(directory) == {"northumbria-police", "northumberland-childrens"}
    assert directory["northumbria-police"].name == "Northumbria Police"
    assert "durham-constabulary" not in directory


def _write_directory(path: Path) -> None:
    document = {
        "agencies": [
            {
                "id": "northumbria-police",
                "name": "Northumbria Police",
                "kind": "police",
                "tokens": [token_of(POLICE_TOKEN).model_dump(mode="json", exclude_none=True)],
            },
            {
                "id": "northumberland-childrens",
                "name": "Northumberland children's services",
                "kind": "children_services",
                "tokens": [token_of(CHILDRENS_TOKEN).model_dump(mode="json", exclude_none=True)],
            },
        ]
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")


def test_load_from_yaml_authenticates_with_the_tokens(tmp_path: Path) -> None:
    """A directory file of hashes loads, and the matching tokens authenticate."""
    path = tmp_path / "agencies.yaml"
    _write_directory(path)

    directory = AgencyDirectory.load(path)

    assert directory.authenticate(POLICE_TOKEN, now=NOW).agency.id == "northumbria-police"
    assert directory.authenticate(CHILDRENS_TOKEN, now=NOW).agency.id == "northumberland-childrens"


def test_hand_written_file_holds_hashes_and_never_the_tokens(tmp_path: Path) -> None:
    """A directory file written from ``hash_token`` contains hashes, not tokens."""
    path = tmp_path / "agencies.yaml"
    _write_directory(path)

    text = path.read_text(encoding="utf-8")

    assert hash_token(POLICE_TOKEN) in text
    assert hash_token(CHILDRENS_TOKEN) in text
    assert POLICE_TOKEN not in text
    assert CHILDRENS_TOKEN not in text


def test_demo_directory_holds_only_hashes_and_its_tokens_authenticate(tmp_path: Path) -> None:
    """``write_demo`` stores only token hashes; each token it returns authenticates its agency."""
    agencies_path = tmp_path / "demo" / "agencies.yaml"
    tokens_path = tmp_path / "demo" / "tokens.env"
    agencies_path.parent.mkdir()

    tokens = write_demo(agencies_path, tokens_path)
    directory = AgencyDirectory.load(agencies_path)
    text = agencies_path.read_text(encoding="utf-8")

    assert set(tokens) == set(directory)
    for agency_id, token in tokens.items():
        assert token not in text
        assert hash_token(token) in text
        assert directory.authenticate(token, now=NOW).agency.id == agency_id
    assert tokens_path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "content",
    [
        "agencies: [",
        "agencies:\n  - id: Not_Valid\n    name: x\n    kind: police\n",
        "agencies:\n  - id: a\n    name: x\n    kind: police\n    token: plaintext\n",
        "agencies:\n  - id: a\n    name: x\n    kind: police\nextra: true\n",
        "[]",
    ],
    ids=["bad-yaml", "bad-id", "unknown-agency-key", "unknown-top-key", "not-a-mapping"],
)
def test_a_bad_directory_file_is_a_configuration_error(tmp_path: Path, content: str) -> None:
    """An unreadable, malformed or over-specified directory file raises ConfigurationError."""
    path = tmp_path / "agencies.yaml"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(ConfigurationError):
        AgencyDirectory.load(path)


def test_a_missing_directory_file_is_a_configuration_error(tmp_path: Path) -> None:
    """A directory path that does not exist raises ConfigurationError."""
    with pytest.raises(ConfigurationError):
        AgencyDirectory.load(tmp_path / "absent.yaml")


def test_a_duplicate_id_in_the_file_is_a_configuration_error(tmp_path: Path) -> None:
    """Duplicate ids in the file are refused on load."""
    path = tmp_path / "agencies.yaml"
    entry = {"id": "northumbria-police", "name": "x", "kind": "police"}
    path.write_text(yaml.safe_dump({"agencies": [entry, entry]}), encoding="utf-8")

    with pytest.raises(ConfigurationError, match="unique"):
        AgencyDirectory.load(path)


def test_one_token_shared_by_two_agencies_is_a_configuration_error() -> None:
    """A token hash listed under two agencies is refused, so it cannot pick one silently."""
    shared = (token_of("shared-token"),)
    with pytest.raises(ConfigurationError):
        AgencyDirectory(
            (
                Agency(id="agency-a", name="A", kind="police", tokens=shared),
                Agency(id="agency-b", name="B", kind="education", tokens=shared),
            )
        )


def test_the_demo_directory_has_every_party_of_the_partnership_with_its_la(
    tmp_path: Path,
) -> None:
    """Each council service and school keeps its LA (Scottish Borders by GSS code); forces,
    health bodies and the provider have none; every party's kind is its protocol kind."""
    write_demo(tmp_path / "agencies.yaml", tmp_path / "tokens.env")
    directory = AgencyDirectory.load(tmp_path / "agencies.yaml")
    protocol = load_protocol(PROTOCOL_PATH)

    assert {party.id: (party.kind.value, party.la_code) for party in protocol.parties} == {
        party.id: (directory[party.id].kind, directory[party.id].la_code)
        for party in protocol.parties
    }
    assert directory["scottish-borders-childrens"].la_code == "S12000026"
    assert directory["school-100002"].la_code == "840"
    assert directory["synthetic-care-homes"].la_code is None


@pytest.mark.parametrize(
    ("la_code", "loads"),
    [("929", True), ("S12000026", True), ("W06000001", True), ("E06000057", False), ("SCO", False)],
)
def test_a_directory_la_code_is_a_council_in_its_normalised_form(
    tmp_path: Path, la_code: str, loads: bool
) -> None:
    """A council is named by its DfE code, or its GSS code outside England; an English GSS code
    (normalised away everywhere else) and a country are refused."""
    path = tmp_path / "agencies.yaml"
    entry = {"id": "a-council", "name": "x", "kind": "children_services", "la_code": la_code}
    path.write_text(yaml.safe_dump({"agencies": [entry]}), encoding="utf-8")

    if loads:
        assert AgencyDirectory.load(path)["a-council"].la_code == la_code
    else:
        with pytest.raises(ConfigurationError):
            AgencyDirectory.load(path)
