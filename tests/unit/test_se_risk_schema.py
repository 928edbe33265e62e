"""The canonical SE risk assessment: the level worked to, judgements, CIN factors, the RMG."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from schemas import (
    PERSONAL_FIELD_NAMES,
    RiskLevel,
    SeRiskAssessedData,
    level_worked_to,
    notification_adapter,
    parse_notification,
)
from tests.unit.builders import DELETE, documented_example
from tests.unit.test_return_interview_schema import refusal

RISK = "se_risk.assessed"
REASON = "Synthetic: new intelligence of an older boyfriend since the checklist was scored."


def _judged(score: int, judged: str, level: str, **changes: Any) -> dict[str, Any]:
    return documented_example(
        RISK,
        data__checklist_score=score,
        data__professional_judgement={"level": judged, "rationale": REASON},
        data__risk_level=level,
        **changes,
    )


def _cin(**changes: Any) -> dict[str, Any]:
    base = {
        "data__method": "cin_assessment",
        "data__checklist_score": DELETE,
        "data__risk_level": DELETE,
        "data__rmg_status": DELETE,
        "data__assessment_factors": ["10A", "11A"],
    }
    return documented_example(RISK, **base | changes)


def _data(event: dict[str, Any]) -> SeRiskAssessedData:
    data = parse_notification(event).data
    assert isinstance(data, SeRiskAssessedData)
    return data


@pytest.mark.parametrize(
    ("score", "judgement", "expected"),
    [
        (0, None, RiskLevel.LOW),
        (1, None, RiskLevel.LOW),
        (2, None, RiskLevel.MEDIUM),
        (3, None, RiskLevel.HIGH),
        (4, None, RiskLevel.HIGH),
        (1, RiskLevel.HIGH, RiskLevel.HIGH),
        (4, RiskLevel.LOW, RiskLevel.LOW),
        (None, RiskLevel.MEDIUM, RiskLevel.MEDIUM),
        (None, None, None),
    ],
)
def test_the_level_worked_to_is_the_judgements_else_the_scores(
    score: int | None, judgement: RiskLevel | None, expected: RiskLevel | None
) -> None:
    """A recorded judgement decides the level; without one, 0-1 low, 2 medium, 3-4 high."""
    assert level_worked_to(score, judgement) is expected


@pytest.mark.parametrize(
    ("score", "judged"),
    [pytest.param(2, "high", id="raised"), pytest.param(4, "low", id="lowered")],
)
def test_a_judgement_may_raise_or_lower_the_scores_level(score: int, judged: str) -> None:
    """A checklist whose judgement differs from its score works to the judgement's level."""
    data = _data(_judged(score, judged, judged))

    assert data.risk_level == judged
    assert data.professional_judgement is not None
    assert data.professional_judgement.rationale == REASON


def test_a_judgement_lowering_the_risk_allows_removal_from_the_rmg() -> None:
    """Score 3 judged medium is medium, so the person may leave the RMG."""
    data = _data(_judged(3, "medium", "medium", data__rmg_status="removed"))

    assert data.risk_level is RiskLevel.MEDIUM


def test_a_cin_assessment_carries_factors_and_no_level() -> None:
    """method cin_assessment is valid with factors and markers and no risk_level."""
    data = _data(_cin())

    assert data.risk_level is None
    assert data.assessment_factors == ("10A", "11A")
    assert data.markers.sexual_exploitation is True


@pytest.mark.parametrize(
    ("event", "message"),
    [
        pytest.param(_judged(2, "high", "medium"), "judgement's level", id="score-over-judgement"),
        pytest.param(
            documented_example(RISK, data__risk_level="medium"),
            "else the checklist score's",
            id="level-not-the-scores",
        ),
        pytest.param(
            documented_example(RISK, data__checklist_score=DELETE),
            "needs checklist_score",
            id="checklist-without-score",
        ),
        pytest.param(_cin(data__risk_level="high"), "not a graded risk_level", id="cin-level"),
        pytest.param(
            _cin(data__professional_judgement={"level": "high", "rationale": REASON}),
            "not a graded risk_level",
            id="cin-judgement",
        ),
        pytest.param(_cin(data__assessment_factors=[]), "needs its assessment_factors", id="cin"),
        pytest.param(_cin(data__checklist_score=3), "only for a vulnerability", id="cin-score"),
        pytest.param(
            documented_example(RISK, data__assessment_factors=["11A"]),
            "only for a CIN assessment",
            id="checklist-with-factors",
        ),
        pytest.param(
            documented_example(
                RISK,
                data__method="safeguarding_enquiry",
                data__checklist_score=DELETE,
                data__risk_level=DELETE,
            ),
            "needs risk_level",
            id="enquiry-without-level",
        ),
        pytest.param(
            documented_example(RISK, data__rmg_status="removed"),
            "reduced to medium or low",
            id="removed-at-high",
        ),
        pytest.param(
            _cin(data__rmg_status="removed"), "reduced to medium or low", id="removed-ungraded"
        ),
        pytest.param(
            documented_example(RISK, data__review_on="2026-11-24"),
            "review_on is before assessed_on",
            id="review-before-assessment",
        ),
    ],
)
def test_an_inconsistent_assessment_is_refused(event: dict[str, Any], message: str) -> None:
    """Level, score, judgement, factors, RMG removal and review date must agree."""
    assert message in refusal(event)


@pytest.mark.parametrize(
    "judgement",
    [
        pytest.param({"level": "high"}, id="no-reason"),
        pytest.param({"level": "high", "rationale": ""}, id="blank-reason"),
        pytest.param({"level": "high", "rationale": "x" * 1001}, id="reason-too-long"),
        pytest.param({"level": "severe", "rationale": REASON}, id="unknown-level"),
    ],
)
def test_a_judgement_needs_a_level_and_its_reason(judgement: dict[str, Any]) -> None:
    """A judgement is a partnership level with a reason of 1 to 1000 characters."""
    with pytest.raises(ValidationError):
        parse_notification(documented_example(RISK, data__professional_judgement=judgement))


def test_the_judgements_reason_is_personal_data() -> None:
    """The reason is free text about the person: marked personal; the level is not."""
    schema = notification_adapter.json_schema()["$defs"]["ProfessionalJudgement"]

    assert schema["properties"]["rationale"]["x-personal-data"] is True
    assert "x-personal-data" not in schema["properties"]["level"]
    assert "rationale" in PERSONAL_FIELD_NAMES
    assert "reason" not in PERSONAL_FIELD_NAMES  # the hub's own log and audit key
    assert {"review_on", "plan_in_place", "professional_judgement"}.isdisjoint(PERSONAL_FIELD_NAMES)
