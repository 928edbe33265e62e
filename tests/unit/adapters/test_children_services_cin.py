"""Children's services: CIN census assessments as SE risk assessed, from their factor codes."""

from __future__ import annotations

from typing import Any

import pytest

from adapters import AdapterContext
from tests.unit.adapters.test_children_services import (
    BAD_UPN,
    CONTEXT,
    CONTEXT_2023,
    DROP,
    OTHER_UPN,
    SE_RISK,
    as_json,
    assessment,
    failure,
    mapped,
    problems,
)

NO_MARKERS = {
    "sexual_exploitation": False,
    "criminal_exploitation": False,
    "trafficking_modern_slavery": False,
    "missing": False,
    "sexual_abuse": False,
}


@pytest.mark.parametrize(
    ("factors", "markers", "shared"),
    [
        pytest.param(
            ["2A", "10A", "11A"], {"sexual_exploitation", "missing"}, ["10A", "11A"], id="cse"
        ),
        pytest.param(["24A"], {"criminal_exploitation"}, ["24A"], id="criminal-exploitation"),
        pytest.param(
            ["13A", "12A", "4B"],
            {"trafficking_modern_slavery"},
            ["12A", "13A"],
            id="trafficking-with-gangs",
        ),
        pytest.param(["10A"], {"missing"}, ["10A"], id="missing"),
        pytest.param(["16A", "19C", "19B"], {"sexual_abuse"}, ["19B", "19C"], id="sexual-abuse"),
        pytest.param(
            ["11A", "11A", "24A"],
            {"sexual_exploitation", "criminal_exploitation"},
            ["11A", "24A"],
            id="duplicates-once",
        ),
        pytest.param(["6a", "11a"], {"sexual_exploitation"}, ["11A"], id="codes-in-any-case"),
    ],
)
def test_assessment_with_an_exploitation_factor_is_shared_as_factors(
    factors: list[str], markers: set[str], shared: list[str]
) -> None:
    """An authorised assessment sends its exploitation factors and their markers, never a level."""
    (event,) = mapped(assessment(AssessmentFactors=factors))
    data = as_json(event)["data"]

    assert event.type == SE_RISK
    assert event.episodeid is None
    assert data["method"] == "cin_assessment"
    assert data["assessed_on"] == "2026-11-02"
    assert data["markers"] == {**NO_MARKERS, **dict.fromkeys(markers, True)}
    assert data["assessment_factors"] == shared
    assert "risk_level" not in data
    assert "checklist_score" not in data


def test_assessment_person_comes_from_the_child_identifiers() -> None:
    """LAchildID, UPN, PersonBirthDate and Sex become the canonical person."""
    (event,) = mapped(assessment())

    assert as_json(event)["data"]["person"] == {
        "local_id": "NCC100871",
        "upn": OTHER_UPN,
        "date_of_birth": "2010-07-19",
        "sex": "F",
        "resident_la": "929",
    }


@pytest.mark.parametrize(
    ("record", "context", "person"),
    [
        pytest.param(
            assessment(UPN=DROP, UPNunknown="UN7", Sex="U"),
            CONTEXT,
            {"local_id": "NCC100871", "upn_unknown": "UN7", "sex": "U"},
            id="upn-unknown-element",
        ),
        pytest.param(
            assessment(
                Sex=DROP,
                GenderCurrent="2",
                AssessmentActualStartDate="2023-04-03",
                AssessmentAuthorisationDate="2023-05-02",
            ),
            CONTEXT_2023,
            {"local_id": "NCC100871", "sex": "F"},
            id="2023-24-gender-current-2",
        ),
        pytest.param(
            assessment(
                Sex=DROP,
                GenderCurrent=0,
                AssessmentActualStartDate="2023-04-03",
                AssessmentAuthorisationDate="2023-05-02",
            ),
            CONTEXT_2023,
            {"local_id": "NCC100871", "sex": "U"},
            id="2023-24-gender-not-recorded",
        ),
    ],
)
def test_assessment_identifiers_are_normalised(
    record: dict[str, Any], context: AdapterContext, person: dict[str, Any]
) -> None:
    """UPNunknown becomes upn_unknown; GenderCurrent 1/2/0/9 becomes M/F/U/U."""
    (event,) = mapped(record, context)

    got = as_json(event)["data"]["person"]
    assert {key: got.get(key) for key in person} == person


def test_cin_dates_may_be_dd_mm_yyyy_or_iso() -> None:
    """CIN XML dates are ISO, but a 903-style dd/mm/yyyy export maps to the same event."""
    assert mapped(assessment()) == mapped(
        assessment(
            PersonBirthDate="19/07/2010",
            AssessmentActualStartDate="05/10/2026",
            AssessmentAuthorisationDate="02/11/2026",
        )
    )


def test_legacy_factor_is_accepted_in_its_own_years() -> None:
    """19A (sexual abuse, before the 2020/21 split) is valid for an assessment in 2019/20."""
    record = assessment(
        AssessmentActualStartDate="2019-06-03",
        AssessmentAuthorisationDate="2019-07-01",
        AssessmentFactors=["19A", "18A"],
    )

    (event,) = mapped(record)
    data = as_json(event)["data"]

    assert data["markers"] == {**NO_MARKERS, "sexual_abuse": True}
    assert data["assessment_factors"] == ["19A"]


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(assessment(AssessmentFactors=["2A", "16A", "21"]), id="no-exploitation"),
        pytest.param(assessment(AssessmentFactors=["13A"]), id="gangs-alone-has-no-marker"),
        pytest.param(assessment(AssessmentFactors=[]), id="no-factors"),
        pytest.param(assessment(AssessmentAuthorisationDate=""), id="not-yet-authorised"),
    ],
)
def test_assessment_without_an_authorised_exploitation_factor_sends_nothing(
    record: dict[str, Any],
) -> None:
    """Only a concluded assessment identifying exploitation is SE information to share."""
    assert mapped(record) == []


@pytest.mark.parametrize(
    ("record", "context", "expected"),
    [
        pytest.param(
            assessment(AssessmentFactors=["11A", "99Z"]),
            CONTEXT,
            {("AssessmentFactors.1", "unknown_code")},
            id="factor-99Z",
        ),
        pytest.param(
            assessment(
                AssessmentActualStartDate="2020-03-20",
                AssessmentAuthorisationDate="2020-04-15",
                AssessmentFactors=["11A", "19A"],
            ),
            CONTEXT,
            {("AssessmentFactors.1", "code_not_in_collection_year")},
            id="legacy-19A-in-2020-21",
        ),
        pytest.param(
            assessment(AssessmentAuthorisationDate="2026-10-01"),
            CONTEXT,
            {("AssessmentAuthorisationDate", "end_before_start")},
            id="authorised-before-started",
        ),
        pytest.param(
            assessment(AssessmentAuthorisationDate="2026-11-30"),
            CONTEXT,
            {("AssessmentAuthorisationDate", "date_in_future")},
            id="authorised-tomorrow",
        ),
        pytest.param(
            assessment(Sex=DROP, GenderCurrent="2"),
            CONTEXT,
            {("GenderCurrent", "code_not_in_collection_year")},
            id="gender-current-in-2026",
        ),
        pytest.param(
            assessment(
                AssessmentActualStartDate="2023-04-03", AssessmentAuthorisationDate="2023-05-02"
            ),
            CONTEXT_2023,
            {("Sex", "code_not_in_collection_year")},
            id="sex-in-2023",
        ),
        pytest.param(
            assessment(GenderCurrent="2"),
            CONTEXT,
            {("GenderCurrent", "conflict")},
            id="sex-and-gender-current",
        ),
        pytest.param(
            assessment(GenderCurrent="3", Sex=DROP),
            CONTEXT,
            {("GenderCurrent", "unknown_code")},
            id="gender-current-3",
        ),
        pytest.param(
            assessment(UPNunknown="UN3"),
            CONTEXT,
            {("UPNunknown", "conflict")},
            id="upn-and-unknown",
        ),
        pytest.param(assessment(UPN="UN1"), CONTEXT, {("UPN", "invalid_upn")}, id="UN1-in-UPN"),
        pytest.param(assessment(UPN=BAD_UPN), CONTEXT, {("UPN", "invalid_upn")}, id="bad-upn"),
        pytest.param(
            assessment(UPN=DROP, UPNunknown="UN9"),
            CONTEXT,
            {("UPNunknown", "unknown_code")},
            id="UN9",
        ),
        pytest.param(
            assessment(AssessmentActualStartDate=DROP, LAchildID=""),
            CONTEXT,
            {("AssessmentActualStartDate", "missing"), ("LAchildID", "missing")},
            id="no-start-no-child",
        ),
        pytest.param(
            assessment(AssessmentFactors="11A"),
            CONTEXT,
            {("AssessmentFactors", "tuple_type")},
            id="factors-not-a-list",
        ),
    ],
)
def test_invalid_assessment_reports_every_problem(
    record: dict[str, Any], context: AdapterContext, expected: set[tuple[str, str]]
) -> None:
    """A refused CIN assessment names each element at fault (factors by position)."""
    assert problems(record, context) == expected


def test_unknown_factor_message_lists_the_2024_codes() -> None:
    """The unknown-factor message lists valid codes, 11A and 24A among them, and no value."""
    (problem,) = failure(assessment(AssessmentFactors=["99Z"])).problems

    assert "11A" in problem.message
    assert "24A" in problem.message
    assert "99Z" not in problem.message
