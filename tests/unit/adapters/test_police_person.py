"""Police adapter: where the person lives, the council responsible for them, its id for the
child and the pupil's school, on every record type."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.police import ADAPTER
from schemas import ConcernRaised
from tests.unit.adapters.test_police_concerns import CONTEXT, crime, notice
from tests.unit.adapters.test_police_missing import misper, traced
from tests.unit.builders import VALID_UPN


def _map(record: dict[str, Any]) -> list[Any]:
    return list(ADAPTER.map_record(record, CONTEXT))


def _only(record: dict[str, Any]) -> ConcernRaised:
    (event,) = _map(record)
    assert isinstance(event, ConcernRaised)
    return event


def test_the_councils_child_id_travels_on_the_traced_person() -> None:
    """The force's record of the council's child id is kept as ``person.la_child_id``."""
    (event,) = _map(traced())

    assert event.data.person.la_child_id == "CHILD-000123"
    assert event.data.person.local_id == "NP-7730142"


@pytest.mark.parametrize(
    ("given", "normalised"),
    [("929", "929"), ("E06000057", "929"), ("S12000026", "S12000026"), ("SCO", "SCO")],
)
def test_resident_la_is_a_dfe_or_gss_code_normalised(given: str, normalised: str) -> None:
    """Where the person lives may be given as a DfE or a GSS code; English GSS becomes DfE."""
    (event,) = _map(misper(resident_la=given, responsible_la="E06000057"))

    assert event.data.person.resident_la == normalised
    assert event.data.person.responsible_la == "929"


def test_a_crime_victims_identifiers_and_councils_travel_on_the_person() -> None:
    """The victim's UPN, the council's child id, responsible council and school are kept."""
    person = _only(
        crime(
            cse_flag="Y",
            victim_upn=VALID_UPN,
            victim_resident_la="E08000021",
            victim_responsible_la="929",
            victim_la_child_id="CHILD-000123",
            victim_school_urn="123456",
        )
    ).data.person

    assert person.upn == VALID_UPN
    assert person.resident_la == "391"
    assert person.responsible_la == "929"
    assert person.la_child_id == "CHILD-000123"
    assert person.school_urn == "123456"


def test_a_concern_about_a_looked_after_child_names_the_responsible_council() -> None:
    """A CCN carries the responsible council, its id for the child and the pupil's school."""
    person = _only(
        notice(responsible_la="840", la_child_id="DUR-CHILD-77", school_urn="654321")
    ).data.person

    assert (person.responsible_la, person.la_child_id, person.school_urn) == (
        "840",
        "DUR-CHILD-77",
        "654321",
    )
