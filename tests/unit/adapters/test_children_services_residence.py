"""Children's services: where the child lives and who is responsible, and PL_LA in either code."""

from __future__ import annotations

from typing import Any

import pytest

from adapters import AdapterContext
from tests.unit.adapters.test_children_services import (
    CONTEXT,
    NOW,
    as_json,
    assessment,
    episode,
    failure,
    mapped,
    missing,
    problems,
)
from tests.unit.builders import ADAPTER_ID_KEY

NO_LA_CODE = AdapterContext(id_key=ADAPTER_ID_KEY, agency_id=CONTEXT.agency_id, now=NOW)


def _person(record: dict[str, Any], context: AdapterContext = CONTEXT) -> dict[str, Any]:
    (event,) = mapped(record, context)
    person: dict[str, Any] = as_json(event)["data"]["person"]
    return person


@pytest.mark.parametrize(
    ("record", "resident"),
    [
        pytest.param(missing(RESIDENT_LA="391"), "391", id="missing-row-says"),
        pytest.param(missing(), "929", id="missing-row-council-own"),
        pytest.param(episode(PL_LA="840", PL_LOCATION="OUT"), "840", id="placed-child"),
        pytest.param(
            episode(PL_LA="840", PL_LOCATION="OUT", RESIDENT_LA="e08000022"),
            "392",
            id="stated-residence-first",
        ),
        pytest.param(episode(PL_LA="CON", PL_LOCATION=""), "929", id="confidential-not-told"),
        pytest.param(
            episode(PL_LA="840", PL_LOCATION="OUT", DEC="20/11/2026", REC="E4A"),
            "929",
            id="placement-over",
        ),
        pytest.param(
            episode(PL_LA="840", PL_LOCATION="OUT", DECOM="14/12/2026"),
            "929",
            id="placement-not-begun",
        ),
        pytest.param(assessment(RESIDENT_LA="S12000026"), "S12000026", id="cin-scottish"),
        pytest.param(assessment(), "929", id="cin-council-own"),
    ],
)
def test_the_child_lives_where_the_record_says_else_where_placed_else_in_the_council(
    record: dict[str, Any], resident: str
) -> None:
    """RESIDENT_LA first, then a current known placement's PL_LA, then the council's LA."""
    assert _person(record)["resident_la"] == resident


def test_a_looked_after_child_has_the_council_as_responsible_and_others_do_not_say() -> None:
    """Placements and looked-after missing rows name the council; CIN and other rows do not."""
    assert _person(episode())["responsible_la"] == "929"
    assert _person(missing())["responsible_la"] == "929"
    assert "responsible_la" not in _person(missing(LOOKED_AFTER="N"))
    assert "responsible_la" not in _person(assessment())


def test_without_an_la_code_a_row_must_say_where_the_child_lives() -> None:
    """An adapter with no LA of its own refuses a row that does not say, and takes one that does."""
    assert problems(missing(), NO_LA_CODE) == {("RESIDENT_LA", "missing")}
    assert _person(missing(RESIDENT_LA="929"), NO_LA_CODE)["resident_la"] == "929"


@pytest.mark.parametrize(
    ("pl_la", "location", "host", "out_of_area"),
    [
        pytest.param("E06000057", "IN", "929", False, id="own-council-as-gss"),
        pytest.param("e08000021", "OUT", "391", True, id="newcastle-gss-lower-case"),
        pytest.param("S12000026", "OUT", "S12000026", True, id="scottish-borders"),
    ],
)
def test_pl_la_as_a_gss_code_is_normalised_before_out_of_area_is_derived(
    pl_la: str, location: str, host: str, out_of_area: bool
) -> None:
    """The 903 validator's GSS form of PL_LA works, and 929 vs E06000057 is not out of area."""
    (event,) = mapped(episode(PL_LA=pl_la, PL_LOCATION=location))
    data = as_json(event)["data"]

    assert (data["host_la"], data["out_of_area"]) == (host, out_of_area)


@pytest.mark.parametrize(
    ("field", "value"),
    [("PL_LA", "E09000033"), ("PL_LA", "ENG"), ("RESIDENT_LA", "CON"), ("RESIDENT_LA", "92")],
)
def test_unknown_area_codes_are_refused_without_echoing_them(field: str, value: str) -> None:
    """An unknown English GSS code or a malformed code is ``unknown_code``, the value unsaid."""
    (problem,) = failure(episode(**{field: value})).problems

    assert (problem.field, problem.rule) == (field, "unknown_code")
    assert value not in problem.message
