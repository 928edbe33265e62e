"""The canonical return interview: each outcome's evidence, coded findings, personal free text."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from schemas import (
    PERSONAL_FIELD_NAMES,
    ReturnInterviewOutcome,
    ReturnInterviewRecordedData,
    notification_adapter,
    parse_notification,
)
from tests.unit.builders import DELETE, documented_example

INTERVIEW = "return_interview.recorded"
FINDINGS = ("push_factors", "pull_factors", "places", "associates")


def _not_offered(**changes: Any) -> dict[str, Any]:
    """The documented (declined) example turned into an interview that was never offered."""
    cleared = {f"data__{name}": DELETE for name in ("offered_on", "attempts", *FINDINGS)}
    base = {"data__outcome": "not_offered", "data__not_offered_reason": "moved_out_of_area"}
    return documented_example(INTERVIEW, **cleared | base | changes)


def refusal(event: dict[str, Any]) -> str:
    """The one validation message a refused notification gets."""
    with pytest.raises(ValidationError) as caught:
        parse_notification(event)
    (error,) = caught.value.errors(include_url=False)
    return str(error["msg"])


def test_the_documented_interview_carries_its_findings() -> None:
    """The documented declined interview parses with coded factors, places, associates, actions."""
    data = parse_notification(documented_example(INTERVIEW)).data

    assert isinstance(data, ReturnInterviewRecordedData)
    assert data.outcome is ReturnInterviewOutcome.DECLINED
    assert [factor.value for factor in data.pull_factors] == [
        "adult_not_known_to_carers",
        "gifts_money_or_substances",
    ]
    assert data.places[0].area == "391"
    assert data.associates[0].believed_to_exploit is True
    assert [action.owner.value for action in data.actions] == ["children_services", "police"]


def test_an_interview_not_offered_carries_its_reason() -> None:
    """not_offered with a reason and an optional detail is a valid interview record."""
    data = parse_notification(
        _not_offered(data__not_offered_detail="Synthetic: moved to Scotland with family.")
    ).data

    assert isinstance(data, ReturnInterviewRecordedData)
    assert data.outcome is ReturnInterviewOutcome.NOT_OFFERED
    assert data.not_offered_reason is not None
    assert data.not_offered_reason.value == "moved_out_of_area"


@pytest.mark.parametrize(
    ("event", "message"),
    [
        pytest.param(
            _not_offered(data__not_offered_reason=None),
            "needs not_offered_reason",
            id="not-offered-without-reason",
        ),
        pytest.param(
            _not_offered(data__offered_on="2026-11-29"),
            "no offered_on and no attempts",
            id="not-offered-yet-offered",
        ),
        pytest.param(
            _not_offered(data__places=[{"kind": "hotel"}]),
            "found no factors, places or associates",
            id="not-offered-yet-found-a-place",
        ),
        pytest.param(
            documented_example(INTERVIEW, data__not_offered_reason="other"),
            "only for not_offered",
            id="reason-on-a-declined-interview",
        ),
        pytest.param(
            documented_example(INTERVIEW, data__not_offered_detail="Synthetic."),
            "only for not_offered",
            id="detail-without-not-offered",
        ),
        pytest.param(
            documented_example(INTERVIEW, data__analysis=DELETE),
            "needs the analysis",
            id="declined-without-analysis",
        ),
        pytest.param(
            documented_example(INTERVIEW, data__attempts=DELETE),
            "needs the attempts",
            id="declined-without-attempts",
        ),
        pytest.param(
            documented_example(INTERVIEW, data__outcome="completed"),
            "needs completed_on",
            id="completed-without-date",
        ),
        pytest.param(
            documented_example(INTERVIEW, data__push_factors=["bullying", "bullying"]),
            "each code may appear only once",
            id="a-factor-twice",
        ),
    ],
)
def test_an_outcome_without_its_evidence_is_refused(event: dict[str, Any], message: str) -> None:
    """Each outcome needs its own evidence and refuses another outcome's."""
    assert message in refusal(event)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        pytest.param("data__push_factors", ["boredom"], id="unknown-push-factor"),
        pytest.param("data__pull_factors", ["bullying"], id="push-factor-as-pull"),
        pytest.param("data__places", [{"kind": "castle"}], id="unknown-place-kind"),
        pytest.param("data__places", [{"kind": "hotel", "area": "E06999999"}], id="unknown-gss"),
        pytest.param("data__places", [{"kind": "hotel", "area": "NE1"}], id="not-an-area"),
        pytest.param("data__places", [{"kind": "hotel", "description": "x" * 201}], id="long"),
        pytest.param("data__associates", [{"relationship": "stranger"}], id="relationship"),
        pytest.param("data__actions", [{"action": "refer_to_rmg"}], id="action-without-owner"),
        pytest.param("data__actions", [{"action": "arrest", "owner": "police"}], id="action"),
        pytest.param("data__analysis", "x" * 4001, id="analysis-too-long"),
        pytest.param("data__not_offered_detail", "x" * 501, id="detail-too-long"),
        pytest.param("data__declined_analysis", "Synthetic.", id="the-old-field-is-gone"),
    ],
)
def test_findings_outside_their_code_lists_are_refused(path: str, value: Any) -> None:
    """Factors, kinds, relationships, actions and owners are closed code lists; text is bounded."""
    with pytest.raises(ValidationError):
        parse_notification(documented_example(INTERVIEW, **{path: value}))


@pytest.mark.parametrize(
    ("area", "normalised"),
    [("E06000057", "929"), ("929", "929"), ("S12000026", "S12000026"), ("SCO", "SCO")],
)
def test_a_places_area_is_an_area_code_normalised_to_dfe(area: str, normalised: str) -> None:
    """A place's area is any area code; a known English council's GSS code becomes its DfE code."""
    event = documented_example(INTERVIEW, data__places=[{"kind": "hotel", "area": area}])

    data = parse_notification(event).data

    assert isinstance(data, ReturnInterviewRecordedData)
    assert data.places[0].area == normalised


def test_interview_free_text_is_personal_data() -> None:
    """The analysis, the not-offered detail and each description are marked personal."""
    schema = notification_adapter.json_schema()["$defs"]

    assert {"analysis", "not_offered_detail", "description"} <= PERSONAL_FIELD_NAMES
    for model, name in (
        ("ReturnInterviewRecordedData", "analysis"),
        ("ReturnInterviewRecordedData", "not_offered_detail"),
        ("PlaceVisited", "description"),
        ("Associate", "description"),
    ):
        assert schema[model]["properties"][name]["x-personal-data"] is True
    for name in ("push_factors", "pull_factors", "kind", "relationship", "action", "owner"):
        assert name not in PERSONAL_FIELD_NAMES
