"""Children's services: placements running on through legal-status-only (RNE L) episodes,
placements notified before they start or late in an emergency, and the plans' references."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.adapters.test_children_services import (
    PLACEMENT_ENDED,
    PLACEMENT_STARTED,
    as_json,
    episode,
    mapped,
    problems,
)

# The placement begins on 2 November (RNE P); on 10 November only the legal status changes.
STARTED = episode()
HANDED_ON = episode(DEC="10/11/2026", REC="X1")


def _legal_status_row(**changes: Any) -> dict[str, Any]:
    """The RNE L row that follows ``HANDED_ON``: same placement, a new legal status."""
    fields = {"RNE": "L", "LS": "C1", "DECOM": "10/11/2026", "PL_START": "02/11/2026"}
    return episode(**{**fields, **changes})


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"DEC": "20/11/2026", "REC": "E4A"}, id="left-care"),
        pytest.param(
            {"DEC": "20/11/2026", "REC": "X1", "REASON_PLACE_CHANGE": "CARPL"},
            id="a-new-placement-follows",
        ),
    ],
)
def test_a_legal_status_row_that_ends_the_placement_ends_it_in_the_placements_episode(
    changes: dict[str, Any],
) -> None:
    """The L row closes the placement the P row opened: same episodeid, its start, the L end."""
    (opened,) = mapped(STARTED)
    assert mapped(HANDED_ON) == []

    (ended,) = mapped(_legal_status_row(**changes))
    data = as_json(ended)["data"]

    assert (opened.type, ended.type) == (PLACEMENT_STARTED, PLACEMENT_ENDED)
    assert ended.episodeid == opened.episodeid
    assert (data["started_on"], data["ended_on"]) == ("2026-11-02", "2026-11-20")
    assert data["legal_status"] == "C1"


def test_a_legal_status_row_handing_on_to_another_changes_nothing() -> None:
    """An L row ceasing X1 with no reason for a change is followed by another L row."""
    assert mapped(_legal_status_row(DEC="20/11/2026", REC="X1")) == []
    assert mapped(_legal_status_row(PL_START="")) == []


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        pytest.param(
            _legal_status_row(PL_START="", DEC="20/11/2026", REC="E4A"),
            {("PL_START", "missing")},
            id="ends-without-its-start",
        ),
        pytest.param(
            _legal_status_row(PL_START="11/11/2026"),
            {("PL_START", "date_order")},
            id="placement-begins-after-the-row",
        ),
        pytest.param(
            episode(PL_START="01/11/2026"),
            {("PL_START", "conflict")},
            id="placement-row-names-another-start",
        ),
        pytest.param(
            episode(RISK_ASSESSMENT_REF="RA 42", CARE_PLAN_REF="c@p.example"),
            {
                ("RISK_ASSESSMENT_REF", "string_pattern_mismatch"),
                ("CARE_PLAN_REF", "string_pattern_mismatch"),
            },
            id="references-with-space-or-at",
        ),
        pytest.param(
            episode(EMERGENCY_PLACEMENT="maybe"),
            {("EMERGENCY_PLACEMENT", "value_error")},
            id="emergency-not-yes-no",
        ),
    ],
)
def test_placement_starts_and_references_are_checked(
    record: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    """PL_START, the plans' references and the emergency flag are refused at their own field."""
    assert problems(record) == expected


def test_a_placement_may_be_notified_before_it_starts() -> None:
    """An open placement episode whose DECOM is after today maps to a placement started."""
    (event,) = mapped(episode(DECOM="14/12/2026"))

    assert event.type == PLACEMENT_STARTED
    assert as_json(event)["data"]["started_on"] == "2026-12-14"


def test_an_emergency_placement_carries_its_flag_and_the_plans_references() -> None:
    """EMERGENCY_PLACEMENT and the two references reach the placement started."""
    record = episode(
        SE_RISK="Y",
        RISK_ASSESSMENT_AVAILABLE="Y",
        CARE_PLAN_AVAILABLE="Y",
        RISK_ASSESSMENT_REF="RA-2026-0042",
        CARE_PLAN_REF="CP-2026-0042",
        EMERGENCY_PLACEMENT="Y",
    )

    data = as_json(mapped(record)[0])["data"]

    assert (data["emergency"], data["risk_assessment_ref"], data["care_plan_ref"]) == (
        True,
        "RA-2026-0042",
        "CP-2026-0042",
    )
    assert as_json(mapped(episode())[0])["data"]["emergency"] is False
