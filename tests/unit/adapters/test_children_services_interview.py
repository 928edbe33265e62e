"""Children's services: return interviews after a missing episode, their outcome and problems.

What an interview found (factors, places, associates, actions) is tested in
``test_children_services_interview_content``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.adapters.test_children_services import (
    BAD_NHS_NUMBER,
    DROP,
    INTERVIEW,
    as_json,
    interview,
    mapped,
    missing,
    problems,
)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        pytest.param(
            interview(),
            {
                "outcome": "completed",
                "offered_on": "2026-11-23",
                "completed_on": "2026-11-25",
                "conducted_by": "independent_worker",
                "se_risk_identified": True,
            },
            id="completed",
        ),
        pytest.param(
            interview(miss_missing_rhi_accepted=DROP, RHI_COMPLETED_DATE=DROP),
            {"outcome": "offered", "offered_on": "2026-11-23", "completed_on": None},
            id="offered-no-answer-yet",
        ),
        pytest.param(
            interview(RHI_COMPLETED_DATE="", RHI_SE_RISK_IDENTIFIED=DROP),
            {"outcome": "offered", "se_risk_identified": None},
            id="accepted-not-yet-held",
        ),
        pytest.param(
            interview(
                miss_missing_rhi_accepted="N",
                RHI_COMPLETED_DATE=DROP,
                RHI_ANALYSIS="Synthetic: declined twice; carer will re-offer.",
                RHI_CONDUCTED_BY=DROP,
            ),
            {
                "outcome": "declined",
                "analysis": "Synthetic: declined twice; carer will re-offer.",
                "completed_on": None,
            },
            id="declined-with-analysis",
        ),
        pytest.param(
            interview(
                MIS_START="2026-11-21", RHI_OFFERED_DATE="2026-11-23", RHI_COMPLETED_DATE=DROP
            ),
            {"outcome": "offered", "offered_on": "2026-11-23"},
            id="iso-dates",
        ),
        pytest.param(
            interview(RHI_ANALYSIS="Synthetic: pushed by a row at home."),
            {"outcome": "completed", "analysis": "Synthetic: pushed by a row at home."},
            id="completed-with-analysis",
        ),
    ],
)
def test_return_interview_maps_to_its_outcome(
    record: dict[str, Any], expected: dict[str, Any]
) -> None:
    """A completed date means completed, accepted N declined, an offer alone offered."""
    (event,) = mapped(record)
    data = as_json(event)["data"]

    assert event.type == INTERVIEW
    assert {key: data.get(key) for key in expected} == expected
    assert data["attempts"] == [
        {"attempted_on": "2026-11-24", "method": "phone", "reached": False},
        {"attempted_on": "2026-11-25", "method": "visit", "reached": True},
    ]


def test_return_interview_belongs_to_its_missing_episode() -> None:
    """episode_ref and episodeid are the missing episode's id, whatever the date format."""
    (episode_event,) = mapped(missing(MIS_END="23/11/2026"))
    (interview_event,) = mapped(interview(MIS_START="2026-11-21"))

    assert interview_event.episodeid == episode_event.episodeid
    assert as_json(interview_event)["data"]["episode_ref"] == episode_event.episodeid


NOT_OFFERED = {
    "miss_missing_rhi_offered": "N",
    "miss_missing_rhi_accepted": DROP,
    "RHI_OFFERED_DATE": DROP,
    "RHI_COMPLETED_DATE": DROP,
    "RHI_ATTEMPTS": DROP,
    "RHI_CONDUCTED_BY": DROP,
    "RHI_SE_RISK_IDENTIFIED": DROP,
}


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        pytest.param(
            interview(**NOT_OFFERED, RHI_NOT_OFFERED_REASON="in_custody"),
            {"not_offered_reason": "in_custody"},
            id="not-offered",
        ),
        pytest.param(
            interview(
                **NOT_OFFERED | {"miss_missing_rhi_offered": "NA"},
                RHI_NOT_OFFERED_REASON="TURNED_18",
                RHI_NOT_OFFERED_DETAIL="Synthetic: eighteen the day after returning.",
            ),
            {
                "not_offered_reason": "turned_18",
                "not_offered_detail": "Synthetic: eighteen the day after returning.",
            },
            id="not-applicable-code-in-any-case",
        ),
    ],
)
def test_interview_not_offered_is_sent_with_its_reason(
    record: dict[str, Any], expected: dict[str, Any]
) -> None:
    """No offer (N or NA) is sent as not_offered with the reason, never dropped."""
    (event,) = mapped(record)
    data = as_json(event)["data"]

    assert data["outcome"] == "not_offered"
    assert {key: data.get(key) for key in expected} == expected
    assert "offered_on" not in data
    assert data["attempts"] == []


def test_an_interview_with_no_outcome_yet_sends_nothing() -> None:
    """A record with no flag, no offer date and no completion states nothing yet to send."""
    record = interview(
        miss_missing_rhi_offered=DROP,
        miss_missing_rhi_accepted=DROP,
        RHI_OFFERED_DATE=DROP,
        RHI_COMPLETED_DATE=DROP,
    )

    assert mapped(record) == []


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        pytest.param(
            interview(miss_missing_rhi_accepted="N", RHI_COMPLETED_DATE=DROP, RHI_ATTEMPTS=DROP),
            {("RHI_ANALYSIS", "missing"), ("RHI_ATTEMPTS", "missing")},
            id="declined-without-analysis-or-attempts",
        ),
        pytest.param(
            interview(miss_missing_rhi_accepted="N"),
            {("miss_missing_rhi_accepted", "conflict")},
            id="declined-yet-completed",
        ),
        pytest.param(
            interview(miss_missing_rhi_offered="N"),
            {("miss_missing_rhi_offered", "conflict"), ("RHI_NOT_OFFERED_REASON", "missing")},
            id="not-offered-yet-completed",
        ),
        pytest.param(
            interview(**NOT_OFFERED),
            {("RHI_NOT_OFFERED_REASON", "missing")},
            id="not-offered-without-reason",
        ),
        pytest.param(
            interview(
                **NOT_OFFERED
                | {"RHI_ATTEMPTS": [{"date": "24/11/2026", "method": "phone", "reached": "N"}]},
                RHI_NOT_OFFERED_REASON="other",
            ),
            {("miss_missing_rhi_offered", "conflict")},
            id="not-offered-yet-attempted",
        ),
        pytest.param(
            interview(
                **NOT_OFFERED,
                RHI_NOT_OFFERED_REASON="moved_out_of_area",
                RHI_PUSH_FACTORS="bullying",
                RHI_PLACES=[{"kind": "hotel"}],
            ),
            {("RHI_PUSH_FACTORS", "not_applicable"), ("RHI_PLACES", "not_applicable")},
            id="not-offered-yet-found-something",
        ),
        pytest.param(
            interview(RHI_NOT_OFFERED_REASON="in_custody", RHI_NOT_OFFERED_DETAIL="Synthetic."),
            {
                ("RHI_NOT_OFFERED_REASON", "not_applicable"),
                ("RHI_NOT_OFFERED_DETAIL", "not_applicable"),
            },
            id="reason-on-a-completed-interview",
        ),
        pytest.param(
            interview(**NOT_OFFERED, RHI_NOT_OFFERED_REASON="on_holiday"),
            {("RHI_NOT_OFFERED_REASON", "unknown_code")},
            id="unknown-reason",
        ),
        pytest.param(
            interview(RHI_NOT_OFFERED_DETAIL="x" * 501),
            {("RHI_NOT_OFFERED_DETAIL", "string_too_long")},
            id="detail-too-long",
        ),
        pytest.param(
            interview(miss_missing_rhi_offered="X"),
            {("miss_missing_rhi_offered", "unknown_code")},
            id="unknown-flag",
        ),
        pytest.param(
            interview(RHI_ATTEMPTS=[{"date": "24/11/2026", "method": "pigeon", "reached": "N"}]),
            {("RHI_ATTEMPTS.0.method", "unknown_code")},
            id="unknown-attempt-method",
        ),
        pytest.param(
            interview(
                RHI_ATTEMPTS=[
                    {"date": "24/11/2026", "method": "phone", "reached": "N", "note": "x"}
                ]
            ),
            {("RHI_ATTEMPTS.0.(unknown field #1)", "extra_forbidden")},
            id="unknown-attempt-field",
        ),
        pytest.param(
            interview(RHI_ATTEMPTS=[{"date": "20/11/2026", "method": "visit", "reached": "Y"}]),
            {("RHI_ATTEMPTS.0.date", "date_order")},
            id="attempt-before-episode",
        ),
        pytest.param(
            interview(RHI_OFFERED_DATE="26/11/2026"),
            {("RHI_COMPLETED_DATE", "date_order")},
            id="completed-before-offered",
        ),
        pytest.param(
            interview(RHI_OFFERED_DATE="20/11/2026"),
            {("RHI_OFFERED_DATE", "date_order")},
            id="offered-before-episode",
        ),
        pytest.param(
            interview(RHI_CONDUCTED_BY="police"),
            {("RHI_CONDUCTED_BY", "unknown_code")},
            id="unknown-interviewer",
        ),
        pytest.param(
            interview(RHI_COMPLETED_DATE="30/11/2026"),
            {("RHI_COMPLETED_DATE", "date_in_future")},
            id="completed-tomorrow",
        ),
        pytest.param(interview(MIS_START=DROP), {("MIS_START", "missing")}, id="no-episode-named"),
        pytest.param(
            interview(NHS_NUMBER=BAD_NHS_NUMBER),
            {("NHS_NUMBER", "invalid_nhs_number")},
            id="invalid-nhs-number",
        ),
    ],
)
def test_invalid_return_interview_reports_every_problem(
    record: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    """A contradictory or incomplete interview record is refused at the fields at fault."""
    assert problems(record) == expected
