"""Adult services adapter: what a safeguarding enquiry record must satisfy, and how it fails."""

from __future__ import annotations

from typing import Any

import pytest

from adapters import MappingFailed, RecordProblem, map_records
from adapters.adult_services import ADAPTER, TypeOfRisk
from tests.unit.adapters.test_adult_services import (
    CONTEXT,
    DROP,
    NHS_NUMBER,
    PERSON_ID,
    concluded_enquiry,
    open_enquiry,
)


def _problems(record: dict[str, Any]) -> tuple[RecordProblem, ...]:
    with pytest.raises(MappingFailed) as caught:
        ADAPTER.map_record(record, CONTEXT)
    return caught.value.problems


def _located(record: dict[str, Any]) -> set[tuple[str, str]]:
    return {(problem.field, problem.rule) for problem in _problems(record)}


FIELD_CASES: dict[str, tuple[dict[str, Any], set[tuple[str, str]]]] = {
    "type of risk in lower case": (
        open_enquiry(type_of_risk=["sexual exploitation"]),
        {("type_of_risk.0", "sac_label")},
    ),
    "type of risk with a lower-case second word": (
        open_enquiry(type_of_risk=["Sexual Exploitation", "Modern slavery"]),
        {("type_of_risk.1", "sac_label")},
    ),
    "type of risk misspelt": (
        open_enquiry(type_of_risk=["Sexual Exploitaton"]),
        {("type_of_risk.0", "sac_label")},
    ),
    "type of risk as one string, not a list": (
        open_enquiry(type_of_risk="Sexual Exploitation"),
        {("type_of_risk", "tuple_type")},
    ),
    "no type of risk": (open_enquiry(type_of_risk=[]), {("type_of_risk", "too_short")}),
    "the same type of risk twice": (
        open_enquiry(type_of_risk=["Modern Slavery", "Modern Slavery"]),
        {("type_of_risk", "duplicate_label")},
    ),
    "unknown location of risk": (
        open_enquiry(location_of_risk="Licensed Premises"),
        {("location_of_risk", "sac_label")},
    ),
    "location of risk in the local form's lower case": (
        open_enquiry(location_of_risk="Care Home - residential"),
        {("location_of_risk", "sac_label")},
    ),
    "unknown source of risk": (
        open_enquiry(source_of_risk=["Stranger"]),
        {("source_of_risk.0", "sac_label")},
    ),
    "the same source of risk twice": (
        open_enquiry(source_of_risk=["Service Provider", "Service Provider"]),
        {("source_of_risk", "duplicate_label")},
    ),
    "903 sex code instead of an SG1b gender": (open_enquiry(gender="F"), {("gender", "sac_label")}),
    "unknown ethnicity": (open_enquiry(ethnicity="British"), {("ethnicity", "sac_label")}),
    "unknown primary support reason": (
        open_enquiry(primary_support_reason="Learning Disability"),
        {("primary_support_reason", "sac_label")},
    ),
    "enquiry type abbreviated": (open_enquiry(enquiry_type="S42"), {("enquiry_type", "sac_label")}),
    "risk outcome capitalised as on a local form": (
        concluded_enquiry(risk_outcome="Risk Reduced"),
        {("risk_outcome", "sac_label")},
    ),
    "SG3a spelling used for SG4a": (
        open_enquiry(msp_asked="Don't know"),
        {("msp_asked", "sac_label")},
    ),
    "SG4a spelling used for SG3a": (
        open_enquiry(lacked_capacity="Don't Know"),
        {("lacked_capacity", "sac_label")},
    ),
    "invalid NHS number": (open_enquiry(nhs_number="9434765918"), {("nhs_number", "value_error")}),
    "impossible date": (open_enquiry(concern_date="31/02/2026"), {("concern_date", "value_error")}),
    "grading outside high/medium/low": (open_enquiry(grading="amber"), {("grading", "enum")}),
    "missing person id": (open_enquiry(person_id=DROP), {("person_id", "missing")}),
    "unknown field": (
        open_enquiry(allocated_worker="Synthetic Worker"),
        {("(unknown field #1)", "extra_forbidden")},
    ),
    "summary over 4000 characters": (
        open_enquiry(summary="x" * 4001),
        {("summary", "string_too_long")},
    ),
    "another record type": (
        open_enquiry(record_type="missing_episode"),
        {("record_type", "literal_error")},
    ),
}


@pytest.mark.parametrize(("record", "expected"), list(FIELD_CASES.values()), ids=list(FIELD_CASES))
def test_a_bad_field_is_reported_at_its_native_name(
    record: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    """Each bad field gives exactly the expected (native field, rule) problems."""
    assert _located(record) == expected


RECORD_CASES: dict[str, tuple[dict[str, Any], set[tuple[str, str]]]] = {
    "concluded before started": (
        concluded_enquiry(enquiry_concluded="05/11/2026"),
        {("enquiry_concluded", "before_enquiry_start")},
    ),
    "started before the concern": (
        open_enquiry(enquiry_start="01/11/2026"),
        {("enquiry_start", "before_concern_date")},
    ),
    "concluded without a start": (
        concluded_enquiry(enquiry_start=DROP),
        {("enquiry_start", "required_when_concluded")},
    ),
    "concluded without an action and result": (
        concluded_enquiry(action_and_result=DROP, risk_outcome=DROP),
        {("action_and_result", "required_when_concluded")},
    ),
    "risk identified without a risk outcome": (
        concluded_enquiry(risk_outcome=""),
        {("risk_outcome", "required_when_risk_identified")},
    ),
    "risk outcome after no risk was identified": (
        concluded_enquiry(action_and_result="No risk identified and action taken"),
        {("risk_outcome", "only_when_risk_identified")},
    ),
    "outcome fields before the enquiry concluded": (
        open_enquiry(
            action_and_result="Risk identified and action taken",
            risk_outcome="Risk reduced",
            msp_outcomes_achieved="Fully Achieved",
        ),
        {
            ("action_and_result", "only_when_concluded"),
            ("risk_outcome", "only_when_concluded"),
            ("msp_outcomes_achieved", "only_when_concluded"),
        },
    ),
    "outcomes achieved though none were expressed": (
        concluded_enquiry(msp_asked="Yes they were asked but no outcomes were expressed"),
        {("msp_outcomes_achieved", "only_when_outcomes_expressed")},
    ),
    "a 17-year-old in transition": (
        open_enquiry(dob="04/11/2008"),
        {("dob", "adult_age")},
    ),
    "a leap-day birthday the day before it falls": (
        open_enquiry(dob="29/02/2008", concern_date="28/02/2026", enquiry_start="28/02/2026"),
        {("dob", "adult_age")},
    ),
    "a concern dated tomorrow": (
        open_enquiry(concern_date="30/11/2026", enquiry_start=DROP),
        {("concern_date", "in_future")},
    ),
    "a conclusion dated tomorrow": (
        concluded_enquiry(enquiry_concluded="30/11/2026"),
        {("enquiry_concluded", "in_future")},
    ),
    "a non-exploitation enquiry is still checked": (
        concluded_enquiry(type_of_risk=["Physical Abuse"], enquiry_concluded="01/11/2026"),
        {("enquiry_concluded", "before_enquiry_start")},
    ),
}


@pytest.mark.parametrize(
    ("record", "expected"), list(RECORD_CASES.values()), ids=list(RECORD_CASES)
)
def test_a_record_rule_is_reported_at_the_field_that_breaks_it(
    record: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    """Each inconsistent record gives exactly the expected (native field, rule) problems."""
    assert _located(record) == expected


def test_a_label_error_names_the_table_and_lists_every_valid_label() -> None:
    """A wrong-case type of risk says the labels are exact and lists all eleven SG2a labels."""
    (problem,) = _problems(open_enquiry(type_of_risk=["Modern slavery"]))

    assert "SG2a" in problem.message
    assert "case" in problem.message
    assert all(f"'{label.value}'" in problem.message for label in TypeOfRisk)


def test_a_misspelt_label_is_told_apart_from_a_case_slip() -> None:
    """A misspelling is 'not a SAC label'; only a case or spacing slip gets the case hint."""
    (misspelt,) = _problems(open_enquiry(location_of_risk="Own Hme"))
    (case_slip,) = _problems(open_enquiry(location_of_risk="own  home"))

    assert misspelt.message.startswith("not a SAC label")
    assert case_slip.message.startswith("matches a label only if case or spacing is ignored")


def test_every_failing_field_is_reported_at_once() -> None:
    """Several bad fields in one record are all reported together."""
    record = open_enquiry(
        nhs_number="9434765918",
        gender="female",
        type_of_risk=["Sexual Exploitation", "Trafficking"],
        location_of_risk="Pub",
        referrer="Synthetic Referrer",
    )

    assert _located(record) == {
        ("nhs_number", "value_error"),
        ("gender", "sac_label"),
        ("type_of_risk.1", "sac_label"),
        ("location_of_risk", "sac_label"),
        ("(unknown field #1)", "extra_forbidden"),
    }


def test_no_personal_value_appears_in_any_problem() -> None:
    """Planted identifiers, dates and free text never appear in a problem or the exception text."""
    canary = "CANARY-7f3a9c"
    bad_nhs = NHS_NUMBER[:-1] + "8"
    record = open_enquiry(
        person_id=canary * 6,
        nhs_number=bad_nhs,
        enquiry_ref=canary * 6,
        summary=canary * 600,
        type_of_risk=[canary],
        location_of_risk=canary,
        referrer_name=canary,
    )
    child = open_enquiry(person_id=PERSON_ID, dob="04/11/2008")

    with pytest.raises(MappingFailed) as caught:
        map_records(ADAPTER, [record, child], CONTEXT)

    texts = [str(caught.value)] + [f"{p.field} {p.rule} {p.message}" for p in caught.value.problems]
    for planted in (canary, bad_nhs, PERSON_ID, "2008-11-04", "04/11/2008"):
        assert not any(planted in text for text in texts)
    assert ("records[1].dob", "adult_age") in {(p.field, p.rule) for p in caught.value.problems}
