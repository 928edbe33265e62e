"""Area codes and the person's places: what is accepted, how it is normalised, what is refused."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from protocols import Protocol
from schemas import (
    AREA_CODE_PATTERN,
    ENGLISH_GSS_CODES,
    LA_CODE_PATTERN,
    AreaCode,
    LaCode,
    PersonRef,
    normalise_area,
    parse_notification,
)
from tests.unit.builders import documented_example, make_event, make_protocol_dict

_AREA: TypeAdapter[str] = TypeAdapter(AreaCode)
_LA: TypeAdapter[str] = TypeAdapter(LaCode)

# The councils the brief names, as (DfE code, GSS code).
PARTNERSHIP = {
    "929": "E06000057",
    "391": "E08000021",
    "392": "E08000022",
    "393": "E08000023",
    "390": "E08000037",
    "394": "E08000024",
    "840": "E06000047",
    "841": "E06000005",
    "805": "E06000001",
    "806": "E06000002",
    "807": "E06000003",
    "808": "E06000004",
    "942": "E06000063",
    "943": "E06000064",
}


def _person(**fields: Any) -> PersonRef:
    return PersonRef.model_validate({"local_id": "P-1", "resident_la": "929", **fields})


@pytest.mark.parametrize(("dfe", "gss"), sorted(PARTNERSHIP.items()))
def test_an_english_councils_gss_code_is_normalised_to_its_dfe_code(dfe: str, gss: str) -> None:
    """Each partnership council's GSS code becomes its DfE code, and the DfE code stays."""
    assert normalise_area(gss) == dfe
    assert normalise_area(dfe) == dfe
    assert ENGLISH_GSS_CODES[gss] == dfe


@pytest.mark.parametrize("code", ["S12000026", "W06000001", "N09000003", "SCO", "WAL", "NUK"])
def test_codes_outside_england_are_kept_as_they_are(code: str) -> None:
    """A non-English council's GSS code, or a country code, is already normal."""
    assert normalise_area(code) == code
    assert _AREA.validate_python(code) == code


def test_an_unknown_english_gss_code_is_refused_without_echoing_it() -> None:
    """An English GSS code missing from the table is refused, and the message omits the code."""
    with pytest.raises(ValueError, match=r"schemas/_areas\.py") as caught:
        normalise_area("E09000033")
    assert "E09000033" not in str(caught.value)

    with pytest.raises(ValidationError) as invalid:
        _AREA.validate_python("E09000033")
    (error,) = invalid.value.errors(include_input=False)
    assert "E09000033" not in error["msg"]


@pytest.mark.parametrize(
    "code", ["92", "9290", "S1200002", "S13000026", "E0600005", "sco", "CON", "E06000057\n"]
)
def test_malformed_area_codes_are_refused(code: str) -> None:
    """Wrong lengths, wrong GSS entity codes, lower case and CON are not area codes."""
    with pytest.raises(ValueError, match="not an area code"):
        normalise_area(code)
    with pytest.raises(ValidationError):
        _AREA.validate_python(code)


@pytest.mark.parametrize("code", ["SCO", "WAL", "NIR", "NUK"])
def test_a_country_is_an_area_but_never_a_responsible_council(code: str) -> None:
    """An LA code names a council: the country-only codes are refused there."""
    with pytest.raises(ValidationError):
        _LA.validate_python(code)
    assert re.fullmatch(AREA_CODE_PATTERN, code)
    assert not re.fullmatch(LA_CODE_PATTERN, code)


def test_an_la_code_accepts_the_english_gss_form_and_normalises_it() -> None:
    """``LaCode`` takes E06000057 and gives 929; a Scottish council's code stays as given."""
    assert _LA.validate_python("E06000057") == "929"
    assert _LA.validate_python("S12000026") == "S12000026"


def test_every_normalised_form_matches_the_exported_patterns() -> None:
    """What normalisation gives always matches the patterns the parties and directory use."""
    for gss in ENGLISH_GSS_CODES:
        assert re.fullmatch(LA_CODE_PATTERN, normalise_area(gss))
    assert re.fullmatch(LA_CODE_PATTERN, "S12000026")
    assert not re.fullmatch(LA_CODE_PATTERN, "E06000057")


def test_a_protocol_party_may_be_a_scottish_council() -> None:
    """The protocol's ``la_code`` takes the Scottish Borders' GSS code (the same pattern)."""
    document = make_protocol_dict()
    document["parties"].append(
        {
            "id": "scottish-borders-childrens",
            "name": "Scottish Borders children's services (synthetic)",
            "kind": "children_services",
            "la_code": "S12000026",
        }
    )

    protocol = Protocol.model_validate(document)

    assert protocol.party("scottish-borders-childrens").la_code == "S12000026"


# --- the person's places ---------------------------------------------------------------------


def test_a_person_must_say_where_they_live() -> None:
    """``resident_la`` is required."""
    with pytest.raises(ValidationError) as caught:
        PersonRef.model_validate({"local_id": "P-1"})

    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [(("resident_la",), "missing")]


def test_the_persons_councils_are_normalised() -> None:
    """Both the residence and the responsible council come back in DfE form."""
    person = _person(resident_la="E08000021", responsible_la="E06000057")

    assert (person.resident_la, person.responsible_la) == ("391", "929")


@pytest.mark.parametrize("urn", ["12345", "1234567", "12345a", "SC1234"])
def test_a_school_urn_is_six_digits(urn: str) -> None:
    """The pupil's school is named by its six-digit URN and nothing else."""
    with pytest.raises(ValidationError):
        _person(school_urn=urn)
    assert _person(school_urn="123456").school_urn == "123456"


def test_the_councils_child_id_is_personal_and_bounded() -> None:
    """``la_child_id`` is 1-64 characters and marked as personal data."""
    assert PersonRef.model_fields["la_child_id"].json_schema_extra == {"x-personal-data": True}
    for bad in ("", "x" * 65):
        with pytest.raises(ValidationError):
            _person(la_child_id=bad)
    assert _person(la_child_id="CHILD-000123").la_child_id == "CHILD-000123"


def test_a_missing_episode_no_longer_carries_its_own_responsible_la() -> None:
    """``responsible_la`` lives on the person: in ``data`` it is an unknown field."""
    event = make_event()
    event["data"]["responsible_la"] = "929"

    with pytest.raises(ValidationError) as caught:
        parse_notification(event)

    assert [e["type"] for e in caught.value.errors()] == ["extra_forbidden"]


# --- placements --------------------------------------------------------------------------------


def test_a_placements_responsible_council_is_the_placing_one() -> None:
    """A person's responsible LA other than the placing LA is refused; the same one passes."""
    claimed = documented_example("placement.started", data__person__responsible_la="840")

    with pytest.raises(ValidationError, match="placing_la"):
        parse_notification(claimed)
    same = documented_example("placement.started", data__person__responsible_la="E06000057")
    assert parse_notification(same).data.person.responsible_la == "929"


def test_an_english_gss_host_is_not_out_of_area_for_its_own_council() -> None:
    """929 placing in E06000057 is in area once normalised; the host comes back as 929."""
    event = documented_example(
        "placement.started", data__host_la="E06000057", data__out_of_area=False
    )

    data = parse_notification(event).data

    assert (data.host_la, data.out_of_area) == ("929", False)


def test_a_placement_may_be_notified_before_it_starts_or_late_in_an_emergency() -> None:
    """A future ``started_on`` is accepted; ``emergency`` defaults to False and can be set."""
    future = documented_example("placement.started", data__started_on="2099-01-01")
    emergency = documented_example("placement.started", data__emergency=True)

    assert parse_notification(future).data.emergency is False
    assert parse_notification(emergency).data.emergency is True


@pytest.mark.parametrize(
    "ref", ["has space", "a@b.example", "x" * 65, "-leading-dash"], ids=["space", "at", "long", "-"]
)
def test_plan_references_are_opaque_ids_of_at_most_64_characters(ref: str) -> None:
    """A risk assessment or care plan reference follows the id pattern, up to 64 characters."""
    for field in ("risk_assessment_ref", "care_plan_ref"):
        event = documented_example("placement.started", **{f"data__{field}": ref})
        with pytest.raises(ValidationError) as caught:
            parse_notification(event)
        assert [e["loc"][-1] for e in caught.value.errors()] == [field]
