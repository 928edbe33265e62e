"""Children's services: what a return interview found, as JSON arrays and as CSV cells."""

from __future__ import annotations

from typing import Any

import pytest

from adapters import map_records
from adapters.children_services import ADAPTER
from hub.intake import parse_records
from tests.unit.adapters.test_children_services import (
    CONTEXT,
    as_json,
    failure,
    interview,
    mapped,
    problems,
)

PLACES = [
    {"kind": "hotel", "area": "391", "description": "Synthetic hotel by the station"},
    {"kind": "Online"},
]
ASSOCIATES = [
    {
        "relationship": "adult_unknown",
        "adult": "Y",
        "believed_to_exploit": "Y",
        "description": "Synthetic: an older man with a car",
    },
    {"relationship": "peer", "adult": "N", "believed_to_exploit": ""},
]
ACTIONS = [
    {"action": "refer_to_rmg", "owner": "children_services", "due_date": "02/12/2026"},
    {"action": "POLICE_INTELLIGENCE", "owner": "police"},
]


def test_interview_content_maps_to_canonical_fields() -> None:
    """Factors, places, associates and actions arrive coded, with their free text kept."""
    record = interview(
        RHI_PUSH_FACTORS=["placement_unhappy", "Bullying"],
        RHI_PULL_FACTORS=["adult_not_known_to_carers", "gifts_money_or_substances"],
        RHI_PLACES=PLACES,
        RHI_ASSOCIATES=ASSOCIATES,
        RHI_ACTIONS=ACTIONS,
        RHI_ANALYSIS="Synthetic analysis: drawn away by an adult offering gifts.",
    )

    (event,) = mapped(record)
    data = as_json(event)["data"]

    assert data["push_factors"] == ["placement_unhappy", "bullying"]
    assert data["pull_factors"] == ["adult_not_known_to_carers", "gifts_money_or_substances"]
    assert data["places"] == [
        {"kind": "hotel", "area": "391", "description": "Synthetic hotel by the station"},
        {"kind": "online"},
    ]
    assert data["associates"] == [
        {
            "relationship": "adult_unknown",
            "adult": True,
            "believed_to_exploit": True,
            "description": "Synthetic: an older man with a car",
        },
        {"relationship": "peer", "adult": False},
    ]
    assert data["actions"] == [
        {"action": "refer_to_rmg", "owner": "children_services", "due_on": "2026-12-02"},
        {"action": "police_intelligence", "owner": "police"},
    ]
    assert data["analysis"] == "Synthetic analysis: drawn away by an adult offering gifts."


def test_factor_cells_are_split_on_semicolons_and_counted_once() -> None:
    """A CSV cell ``a; b;A`` is the codes a and b, in order, each once."""
    (event,) = mapped(
        interview(RHI_PUSH_FACTORS="bullying; school_problems;BULLYING;", RHI_PULL_FACTORS="")
    )
    data = as_json(event)["data"]

    assert data["push_factors"] == ["bullying", "school_problems"]
    assert data["pull_factors"] == []


def test_a_csv_row_carries_the_outcome_factors_and_analysis() -> None:
    """A posted CSV row maps the same as JSON for every field a cell can hold."""
    body = (
        b"CHILD,MIS_START,miss_missing_rhi_offered,miss_missing_rhi_accepted,RHI_OFFERED_DATE,"
        b"RHI_COMPLETED_DATE,RHI_PUSH_FACTORS,RHI_PULL_FACTORS,RHI_ANALYSIS,RHI_PLACES\n"
        b'NCC100234,21/11/2026,Y,Y,23/11/2026,25/11/2026,bullying;mental_health,family,"Synthetic, '
        b'with a comma",\n'
    )

    (event,) = map_records(ADAPTER, parse_records(body, "text/csv", "return_interview"), CONTEXT)
    data = as_json(event)["data"]

    assert data["outcome"] == "completed"
    assert data["push_factors"] == ["bullying", "mental_health"]
    assert data["pull_factors"] == ["family"]
    assert data["analysis"] == "Synthetic, with a comma"
    assert data["places"] == []


@pytest.mark.parametrize("field", ["RHI_ATTEMPTS", "RHI_PLACES", "RHI_ASSOCIATES", "RHI_ACTIONS"])
def test_a_list_of_objects_in_a_csv_cell_is_refused_as_json_only(field: str) -> None:
    """A CSV cell cannot carry a list of objects: it is ``json_only``, never half-read."""
    assert problems(interview(**{field: "hotel; 391"})) == {(field, "json_only")}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"RHI_PUSH_FACTORS": "bullying;boredom"},
            {("RHI_PUSH_FACTORS.1", "unknown_code")},
            id="unknown-push-factor",
        ),
        pytest.param(
            {"RHI_PULL_FACTORS": ["placement_unhappy"]},
            {("RHI_PULL_FACTORS.0", "unknown_code")},
            id="push-factor-as-pull",
        ),
        pytest.param(
            {"RHI_PLACES": [{"kind": "castle"}]},
            {("RHI_PLACES.0.kind", "unknown_code")},
            id="unknown-place-kind",
        ),
        pytest.param(
            {"RHI_PLACES": [{"kind": "hotel", "area": "E99"}]},
            {("RHI_PLACES.0.area", "string_pattern_mismatch")},
            id="area-not-an-la-code",
        ),
        pytest.param(
            {"RHI_PLACES": [{"kind": "hotel", "area": "E06999999"}]},
            {("RHI_PLACES.0.area", "value_error")},
            id="gss-code-of-an-unknown-council",
        ),
        pytest.param(
            {"RHI_PLACES": [{"kind": "hotel", "description": "x" * 201}]},
            {("RHI_PLACES.0.description", "string_too_long")},
            id="place-description-too-long",
        ),
        pytest.param(
            {"RHI_PLACES": [{"area": "929"}]},
            {("RHI_PLACES.0.kind", "missing")},
            id="place-without-kind",
        ),
        pytest.param(
            {"RHI_PLACES": [{"kind": "hotel", "postcode": "NE1 1AA"}]},
            {("RHI_PLACES.0.(unknown field #1)", "extra_forbidden")},
            id="unknown-place-field",
        ),
        pytest.param(
            {"RHI_ASSOCIATES": [{"relationship": "stranger"}]},
            {("RHI_ASSOCIATES.0.relationship", "unknown_code")},
            id="unknown-relationship",
        ),
        pytest.param(
            {"RHI_ASSOCIATES": [{"relationship": "peer", "adult": "maybe"}]},
            {("RHI_ASSOCIATES.0.adult", "value_error")},
            id="adult-not-yes-or-no",
        ),
        pytest.param(
            {"RHI_ACTIONS": [{"action": "refer_to_rmg", "owner": "licensing"}]},
            {("RHI_ACTIONS.0.owner", "unknown_code")},
            id="unknown-owner",
        ),
        pytest.param(
            {"RHI_ACTIONS": [{"action": "refer_to_rmg", "owner": "police", "due_date": "1/1"}]},
            {("RHI_ACTIONS.0.due_date", "date_from_datetime_parsing")},
            id="unreadable-due-date",
        ),
        pytest.param(
            {
                "RHI_ACTIONS": [
                    {"action": "refer_to_rmg", "owner": "police", "due_date": "2026-11-01"}
                ]
            },
            {("RHI_ACTIONS.0.due_date", "date_order")},
            id="due-before-the-episode",
        ),
        pytest.param(
            {"RHI_ANALYSIS": "x" * 4001},
            {("RHI_ANALYSIS", "string_too_long")},
            id="analysis-too-long",
        ),
        pytest.param(
            {"RHI_PLACES": [{"kind": "hotel"}] * 51},
            {("RHI_PLACES", "too_long")},
            id="too-many-places",
        ),
    ],
)
def test_invalid_interview_content_is_refused_where_it_is_wrong(
    changes: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    """A bad code, area, text or date inside the content is located to its item and key."""
    assert problems(interview(**changes)) == expected


def test_a_places_gss_area_arrives_as_its_dfe_code() -> None:
    """Northumberland's GSS code (E06000057) in a place's area is sent as its DfE code, 929."""
    (event,) = mapped(interview(RHI_PLACES=[{"kind": "hotel", "area": "E06000057"}]))

    assert as_json(event)["data"]["places"] == [{"kind": "hotel", "area": "929"}]


def test_an_unknown_councils_gss_code_is_refused_without_echoing_it() -> None:
    """The refusal of an English GSS code the hub does not know never repeats the code."""
    (problem,) = failure(interview(RHI_PLACES=[{"kind": "hotel", "area": "E06999999"}])).problems

    assert problem.field == "RHI_PLACES.0.area"
    assert "E06999999" not in problem.message


def test_an_action_may_fall_due_after_today() -> None:
    """Due dates are plans, so unlike every other date they may be in the future."""
    record = interview(
        RHI_ACTIONS=[
            {"action": "safety_plan", "owner": "children_services", "due_date": "2027-01-04"}
        ]
    )

    (event,) = mapped(record)

    assert as_json(event)["data"]["actions"][0]["due_on"] == "2027-01-04"
