"""Children's services: the RMG's vulnerability checklist as SE risk assessed, judgement first."""

from __future__ import annotations

from typing import Any

import pytest

from adapters import map_records
from adapters.children_services import ADAPTER
from hub.intake import parse_records
from tests.unit.adapters.test_children_services import (
    CONTEXT,
    CONTEXT_2023,
    DROP,
    NHS_NUMBER,
    SE_RISK,
    UPN,
    as_json,
    checklist,
    mapped,
    problems,
)

REASON = "Synthetic: seen with an older man not known to carers since the score."


def _data(record: dict[str, Any]) -> dict[str, Any]:
    (event,) = mapped(record)
    assert event.type == SE_RISK
    assert event.episodeid is None
    data: dict[str, Any] = as_json(event)["data"]
    return data


def test_a_checklist_maps_to_an_assessment_at_the_scores_level() -> None:
    """Score 3 with no judgement is high; RMG status, review, plan and markers are carried."""
    data = _data(checklist())

    assert data == {
        "person": {
            "local_id": "NCC100234",
            "nhs_number": NHS_NUMBER,
            "upn": UPN,
            "date_of_birth": "2011-03-14",
            "sex": "F",
            "resident_la": "929",
        },
        "assessed_on": "2026-11-25",
        "method": "vulnerability_checklist",
        "checklist_score": 3,
        "risk_level": "high",
        "rmg_status": "added",
        "review_on": "2027-01-06",
        "plan_in_place": True,
        "markers": {
            "sexual_exploitation": True,
            "criminal_exploitation": False,
            "trafficking_modern_slavery": False,
            "missing": True,
            "sexual_abuse": False,
        },
        "assessment_factors": [],
    }


@pytest.mark.parametrize(
    ("score", "judgement", "level"),
    [
        pytest.param("0", "", "low", id="0-low"),
        pytest.param("1", "", "low", id="1-low"),
        pytest.param("2", "", "medium", id="2-medium"),
        pytest.param(3, "", "high", id="3-high-as-a-number"),
        pytest.param("4", "", "high", id="4-high"),
        pytest.param("1", "H", "high", id="judgement-raises"),
        pytest.param("4", "l", "low", id="judgement-lowers"),
        pytest.param("2", "medium", "medium", id="judgement-agrees"),
    ],
)
def test_the_level_is_the_judgements_else_the_scores(
    score: object, judgement: str, level: str
) -> None:
    """A recorded judgement sets the level worked to; otherwise 0-1 low, 2 medium, 3-4 high."""
    reason = REASON if judgement else ""
    data = _data(
        checklist(
            VCL_SCORE=score,
            VCL_JUDGEMENT=judgement,
            VCL_JUDGEMENT_REASON=reason,
            RMG_STATUS="reviewed",
        )
    )

    assert data["risk_level"] == level
    assert data["checklist_score"] == int(str(score))
    if judgement:
        assert data["professional_judgement"] == {"level": level, "rationale": REASON}
    else:
        assert "professional_judgement" not in data


def test_a_judgement_that_lowers_the_risk_lets_the_child_leave_the_rmg() -> None:
    """Score 3 judged medium is medium: removal from the RMG is accepted and carried."""
    data = _data(checklist(VCL_JUDGEMENT="M", VCL_JUDGEMENT_REASON=REASON, RMG_STATUS="Removed"))

    assert (data["risk_level"], data["rmg_status"]) == ("medium", "removed")


def test_optional_fields_may_be_left_blank() -> None:
    """No RMG status, review date, plan or markers: the assessment carries the score alone."""
    data = _data(checklist(RMG_STATUS="", VCL_REVIEW_DATE="", PLAN_IN_PLACE="", VCL_MARKERS=""))

    assert {"rmg_status", "review_on", "plan_in_place"}.isdisjoint(data)
    assert not any(data["markers"].values())


def test_a_checklist_row_posted_as_csv_maps_like_json() -> None:
    """Every checklist field fits a CSV cell, markers separated by semicolons."""
    header = ",".join(key for key in checklist() if key != "record_type")
    row = ",".join(str(value) for key, value in checklist().items() if key != "record_type")
    body = f"{header}\n{row}\n".encode()

    records = parse_records(body, "text/csv", "vulnerability_checklist")

    assert map_records(ADAPTER, records, CONTEXT) == mapped(checklist())


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        pytest.param(checklist(VCL_SCORE="5"), {("VCL_SCORE", "checklist_score")}, id="score-5"),
        pytest.param(checklist(VCL_SCORE="2.5"), {("VCL_SCORE", "checklist_score")}, id="half"),
        pytest.param(checklist(VCL_SCORE=True), {("VCL_SCORE", "checklist_score")}, id="bool"),
        pytest.param(checklist(VCL_SCORE=""), {("VCL_SCORE", "missing")}, id="no-score"),
        pytest.param(checklist(VCL_DATE=DROP), {("VCL_DATE", "missing")}, id="no-date"),
        pytest.param(
            checklist(VCL_JUDGEMENT="X", VCL_JUDGEMENT_REASON=REASON),
            {("VCL_JUDGEMENT", "unknown_code")},
            id="unknown-judgement",
        ),
        pytest.param(
            checklist(VCL_JUDGEMENT="H"),
            {("VCL_JUDGEMENT_REASON", "missing")},
            id="judgement-without-reason",
        ),
        pytest.param(
            checklist(VCL_JUDGEMENT_REASON=REASON),
            {("VCL_JUDGEMENT_REASON", "not_applicable")},
            id="reason-without-judgement",
        ),
        pytest.param(
            checklist(VCL_JUDGEMENT="H", VCL_JUDGEMENT_REASON="x" * 1001),
            {("VCL_JUDGEMENT_REASON", "string_too_long")},
            id="reason-too-long",
        ),
        pytest.param(
            checklist(RMG_STATUS="removed"),
            {("RMG_STATUS", "rmg_removal_at_high_risk")},
            id="removed-at-high",
        ),
        pytest.param(
            checklist(
                VCL_SCORE="1", VCL_JUDGEMENT="H", VCL_JUDGEMENT_REASON=REASON, RMG_STATUS="removed"
            ),
            {("RMG_STATUS", "rmg_removal_at_high_risk")},
            id="removed-when-judged-high",
        ),
        pytest.param(checklist(RMG_STATUS="left"), {("RMG_STATUS", "unknown_code")}, id="rmg"),
        pytest.param(
            checklist(VCL_MARKERS="sexual_exploitation;cse"),
            {("VCL_MARKERS.1", "unknown_code")},
            id="unknown-marker",
        ),
        pytest.param(
            checklist(PLAN_IN_PLACE="maybe"), {("PLAN_IN_PLACE", "value_error")}, id="plan"
        ),
        pytest.param(
            checklist(VCL_REVIEW_DATE="24/11/2026"),
            {("VCL_REVIEW_DATE", "date_order")},
            id="review-before-assessment",
        ),
        pytest.param(
            checklist(VCL_DATE="30/11/2026"),
            {("VCL_DATE", "date_in_future")},
            id="assessed-tomorrow",
        ),
        pytest.param(
            checklist(VCL_DATE="01/01/2011"),
            {("VCL_DATE", "date_order")},
            id="assessed-before-birth",
        ),
        pytest.param(checklist(DOB=DROP), {("DOB", "missing")}, id="no-dob"),
        pytest.param(checklist(SEX="1"), {("SEX", "code_not_in_collection_year")}, id="sex-year"),
    ],
)
def test_an_invalid_checklist_is_refused_at_its_fields(
    record: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    """Score, judgement, reason, RMG status, markers and dates are checked at their own names."""
    assert problems(record) == expected


def test_a_review_date_may_be_in_the_future() -> None:
    """The review is planned: unlike the assessment, its date may be after today."""
    assert _data(checklist(VCL_REVIEW_DATE="2027-03-01"))["review_on"] == "2027-03-01"


def test_sex_is_coded_for_the_year_of_the_return() -> None:
    """In 2023/24 the 903 codes sex 1/2, as for every other record of this adapter."""
    record = checklist(SEX="2", VCL_DATE="01/05/2023", VCL_REVIEW_DATE="", DOB="14/03/2011")

    (event,) = mapped(record, CONTEXT_2023)

    assert as_json(event)["data"]["person"]["sex"] == "F"
