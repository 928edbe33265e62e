"""Adult services: a vulnerable adult's vulnerability checklist as SE risk assessed."""

from __future__ import annotations

from typing import Any

import pytest

from adapters import MappingFailed
from adapters.adult_services import ADAPTER
from schemas import Notification, notification_adapter
from tests.unit.adapters.test_adult_services import CONTEXT, DROP, NHS_NUMBER, PERSON_ID

ASSESSED = "uk.sehub.se_risk.assessed.v1"
REASON = "Synthetic: moved to supported accommodation; contact with the men has stopped."


def adult_checklist(**overrides: Any) -> dict[str, Any]:
    """A valid adult checklist: score 4, judged medium, leaving the RMG with a plan."""
    record: dict[str, Any] = {
        "record_type": "vulnerability_checklist",
        "person_id": PERSON_ID,
        "nhs_number": NHS_NUMBER,
        "dob": "14/06/2003",
        "gender": "Female",
        "assessed_date": "25/11/2026",
        "score": "4",
        "judgement_level": "M",
        "judgement_reason": REASON,
        "rmg_status": "removed",
        "review_date": "25/02/2027",
        "plan_in_place": "Y",
        "markers": ["sexual_exploitation", "trafficking_modern_slavery"],
    }
    record.update(overrides)
    return {key: value for key, value in record.items() if value is not DROP}


def _mapped(record: dict[str, Any]) -> dict[str, Any]:
    notifications: list[Notification] = ADAPTER.map_record(record, CONTEXT)
    (event,) = notifications
    dumped: dict[str, Any] = notification_adapter.dump_python(event, mode="json", exclude_none=True)
    return dumped


def _problems(record: dict[str, Any]) -> set[tuple[str, str]]:
    with pytest.raises(MappingFailed) as caught:
        ADAPTER.map_record(record, CONTEXT)
    return {(problem.field, problem.rule) for problem in caught.value.problems}


def test_an_adult_checklist_maps_to_an_assessment_at_the_judgements_level() -> None:
    """Score 4 judged medium works to medium; the person, RMG, review, plan and markers travel."""
    event = _mapped(adult_checklist())
    data = event["data"]

    assert event["type"] == ASSESSED
    assert event["source"] == "urn:sehub:agency:northumberland-adults"
    assert "episodeid" not in event
    assert data["person"] == {
        "local_id": PERSON_ID,
        "nhs_number": NHS_NUMBER,
        "date_of_birth": "2003-06-14",
        "sex": "F",
        "resident_la": "929",
    }
    assert data["method"] == "vulnerability_checklist"
    assert (data["checklist_score"], data["risk_level"]) == (4, "medium")
    assert data["professional_judgement"] == {"level": "medium", "rationale": REASON}
    assert (data["rmg_status"], data["review_on"], data["plan_in_place"]) == (
        "removed",
        "2027-02-25",
        True,
    )
    assert {name for name, set_ in data["markers"].items() if set_} == {
        "sexual_exploitation",
        "trafficking_modern_slavery",
    }


def test_blank_optional_fields_are_absent() -> None:
    """Blank gender, NHS number, judgement, RMG status, review and plan are simply not sent."""
    blank = dict.fromkeys(
        ("nhs_number", "gender", "judgement_level", "judgement_reason", "rmg_status"), ""
    )
    data = _mapped(
        adult_checklist(**blank, review_date="", plan_in_place="", markers="", score="2")
    )["data"]

    assert data["person"] == {
        "local_id": PERSON_ID,
        "date_of_birth": "2003-06-14",
        "resident_la": "929",
    }
    assert data["risk_level"] == "medium"
    assert {"professional_judgement", "rmg_status", "review_on", "plan_in_place"}.isdisjoint(data)


def test_the_same_checklist_twice_gives_the_same_id() -> None:
    """Re-posting a checklist gives the same event id; another date gives another."""
    first, again = _mapped(adult_checklist()), _mapped(adult_checklist())
    later = _mapped(adult_checklist(assessed_date="26/11/2026"))

    assert first["id"] == again["id"]
    assert first["id"] != later["id"]
    assert PERSON_ID not in first["id"]


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        pytest.param(
            adult_checklist(dob="14/06/2010"), {("dob", "adult_age")}, id="a-child-is-not-an-adult"
        ),
        pytest.param(adult_checklist(score="5"), {("score", "checklist_score")}, id="score-5"),
        pytest.param(adult_checklist(score=DROP), {("score", "missing")}, id="no-score"),
        pytest.param(
            adult_checklist(judgement_reason=""),
            {("judgement_reason", "missing")},
            id="judgement-without-reason",
        ),
        pytest.param(
            adult_checklist(judgement_level=""),
            {("judgement_reason", "not_applicable"), ("rmg_status", "rmg_removal_at_high_risk")},
            id="score-4-without-judgement-cannot-leave-the-rmg",
        ),
        pytest.param(adult_checklist(gender="female"), {("gender", "sac_label")}, id="gender"),
        pytest.param(
            adult_checklist(nhs_number="9434765918"), {("nhs_number", "value_error")}, id="nhs"
        ),
        pytest.param(
            adult_checklist(markers=["sexual exploitation"]),
            {("markers.0", "unknown_code")},
            id="marker",
        ),
        pytest.param(
            adult_checklist(review_date="24/11/2026"),
            {("review_date", "date_order")},
            id="review-before-assessment",
        ),
        pytest.param(
            adult_checklist(assessed_date="30/11/2026"),
            {("assessed_date", "date_in_future")},
            id="assessed-tomorrow",
        ),
        pytest.param(
            adult_checklist(summary="Synthetic."),
            {("(unknown field #1)", "extra_forbidden")},
            id="unknown-field",
        ),
    ],
)
def test_an_invalid_adult_checklist_is_refused_at_its_fields(
    record: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    """Age, score, judgement, labels, markers and dates are checked at the adapter's names."""
    assert _problems(record) == expected
