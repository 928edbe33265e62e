"""Police adapter: crime records with HOCR flags and concern notices -> concern raised."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from adapters import AdapterContext, MappingFailed
from adapters.police import ADAPTER
from schemas import ConcernRaised, notification_adapter
from tests.unit.builders import ADAPTER_ID_KEY, POLICE, VALID_NHS_NUMBER, VALID_UPN, nhs_number_from

CONTEXT = AdapterContext(
    id_key=ADAPTER_ID_KEY,
    agency_id=POLICE,
    now=datetime(2026, 11, 29, 9, 0, tzinfo=UTC),
    la_code="929",
)
CONCERN = "uk.sehub.concern.raised.v1"
OTHER_NHS_NUMBER = nhs_number_from("943476593")
NO_MARKERS = {
    "sexual_exploitation": False,
    "criminal_exploitation": False,
    "trafficking_modern_slavery": False,
    "missing": False,
    "sexual_abuse": False,
}


def crime(**overrides: Any) -> dict[str, Any]:
    """A crime record with no flags set against a 15-year-old victim; overrides replace fields."""
    record: dict[str, Any] = {
        "record_type": "crime_record",
        "crime_ref": "NP-CR-2026-118204",
        "offence_code": "071",
        "recorded_date": "24/11/2026",
        "victim_person_id": "NP-7730142",
        "victim_dob": "04/05/2011",
        "victim_sex": "F",
        "victim_nhs_number": VALID_NHS_NUMBER,
        "victim_resident_la": "929",
        "cse_flag": "N",
        "csa_flag": "N",
        "cce_flag": "N",
        "modern_slavery_flag": "N",
    }
    record.update(overrides)
    return record


def notice(**overrides: Any) -> dict[str, Any]:
    """A PPN about a 17-year-old with a CSE label; overrides replace fields."""
    record: dict[str, Any] = {
        "record_type": "concern_notice",
        "notice_id": "PPN-2026-031877",
        "person_id": "NP-7730512",
        "dob": "2009-02-11",
        "sex": "F",
        "nhs_number": OTHER_NHS_NUMBER,
        "upn": VALID_UPN,
        "resident_la": "392",
        "notice_date": "26/11/2026",
        "subject": "child",
        "grading": "High",
        "vulnerability_types": ["CSE", "Mental Health"],
        "information_only": "N",
        "officer_in_case": "PC 0000 Synthetic Officer",
        "incident_datetime": "25/11/2026 22:45",
        "incident_location": "Synthetic Quayside",
        "summary": "Synthetic summary of the concern.",
    }
    record.update(overrides)
    return record


def _only(record: dict[str, Any]) -> ConcernRaised:
    events = ADAPTER.map_record(record, CONTEXT)
    assert [event.type for event in events] == [CONCERN]
    event = events[0]
    assert isinstance(event, ConcernRaised)
    return event


def _problems(record: dict[str, Any]) -> set[tuple[str, str]]:
    with pytest.raises(MappingFailed) as caught:
        ADAPTER.map_record(record, CONTEXT)
    return {(problem.field, problem.rule) for problem in caught.value.problems}


# --- crime records ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "markers", "grading"),
    [
        pytest.param({"cse_flag": "Y"}, {"sexual_exploitation"}, "high", id="cse"),
        pytest.param({"csa_flag": "Y"}, {"sexual_abuse"}, "medium", id="csa-alone"),
        pytest.param({"cce_flag": "1"}, {"criminal_exploitation"}, "high", id="cce"),
        pytest.param(
            {"modern_slavery_flag": "true"}, {"trafficking_modern_slavery"}, "high", id="ms"
        ),
        pytest.param(
            {"cse_flag": "Y", "csa_flag": "Y"},
            {"sexual_exploitation", "sexual_abuse"},
            "high",
            id="cse-and-csa",
        ),
    ],
)
def test_flagged_crime_gives_a_concern_with_markers_and_grading(
    flags: dict[str, str], markers: set[str], grading: str
) -> None:
    """Each HOCR flag sets its marker; exploitation grades high, CSA alone medium."""
    event = _only(crime(**flags))

    data = event.data
    assert {name for name, value in data.markers.model_dump().items() if value} == markers
    assert data.grading == grading
    assert data.origin == "crime_record"
    assert data.referral == "referral"
    assert data.reference == "NP-CR-2026-118204"
    assert data.raised_on == date(2026, 11, 24)
    assert data.subject == "child"
    assert data.person.local_id == "NP-7730142"
    assert data.person.nhs_number == VALID_NHS_NUMBER
    assert data.person.date_of_birth == date(2011, 5, 4)
    assert data.person.resident_la == "929"
    assert data.summary is None


@pytest.mark.parametrize(
    "flags",
    [
        pytest.param({}, id="all-N"),
        pytest.param(
            {"cse_flag": "", "csa_flag": "", "cce_flag": "", "modern_slavery_flag": ""},
            id="all-blank",
        ),
    ],
)
def test_crime_without_flags_gives_nothing(flags: dict[str, str]) -> None:
    """A crime record with no exploitation or abuse flag gives no notification."""
    assert ADAPTER.map_record(crime(**flags), CONTEXT) == []


@pytest.mark.parametrize(
    ("victim", "subject"),
    [
        pytest.param(
            {"recorded_date": "2026-11-20", "victim_dob": "2008-11-21"}, "child", id="17y364d"
        ),
        pytest.param(
            {"recorded_date": "2026-11-21", "victim_dob": "2008-11-21"}, "adult", id="18th"
        ),
        pytest.param(
            {"recorded_date": "2026-02-28", "victim_dob": "2008-02-29"}, "child", id="leap-28"
        ),
        pytest.param(
            {"recorded_date": "2026-03-01", "victim_dob": "2008-02-29"}, "adult", id="leap-1"
        ),
        pytest.param({"victim_dob": "", "victim_is_child": "Y"}, "child", id="stated-child"),
        pytest.param({"victim_dob": "", "victim_is_child": "N"}, "adult", id="stated-adult"),
        pytest.param({"victim_is_child": "Y"}, "child", id="stated-and-derived-agree"),
    ],
)
def test_crime_victim_child_or_adult_on_the_recorded_date(
    victim: dict[str, str], subject: str
) -> None:
    """Under 18 on the recorded date is a child; exactly 18 is an adult (CSE flag kept)."""
    event = _only(crime(cse_flag="Y", **victim))

    assert event.data.subject == subject
    assert event.data.markers.sexual_exploitation is True


def test_same_crime_twice_gives_the_same_event_id_and_each_victim_its_own() -> None:
    """The crime's id is stable per crime and victim, so one crime's two victims are two events."""
    first = _only(crime(cse_flag="Y"))
    again = _only(crime(cse_flag="Y"))
    other_victim = _only(crime(cse_flag="Y", victim_person_id="NP-7730999"))

    assert first == again
    assert first.id != other_victim.id


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        pytest.param(
            crime(cse_flag="Y", victim_is_child="N"),
            {("victim_is_child", "inconsistent_with_dob")},
            id="stated-adult-but-15",
        ),
        pytest.param(
            crime(
                cse_flag="Y",
                recorded_date="2026-11-21",
                victim_dob="2008-11-21",
                victim_is_child="Y",
            ),
            {("victim_is_child", "inconsistent_with_dob")},
            id="stated-child-on-18th-birthday",
        ),
        pytest.param(
            crime(cse_flag="Y", victim_dob=""),
            {("victim_is_child", "missing")},
            id="neither-dob-nor-stated",
        ),
        pytest.param(
            crime(victim_nhs_number="9434765918"),
            {("victim_nhs_number", "value_error")},
            id="nhs",
        ),
        pytest.param(
            crime(offence_code="sexual"),
            {("offence_code", "string_pattern_mismatch")},
            id="offence-code",
        ),
        pytest.param(
            crime(recorded_date="30/11/2026"), {("recorded_date", "in_future")}, id="in-future"
        ),
        pytest.param(
            crime(victim_dob="2026-11-25"),
            {("victim_dob", "after_recorded_date")},
            id="born-after-recorded",
        ),
        pytest.param(crime(cse_flag="maybe"), {("cse_flag", "value_error")}, id="flag"),
        pytest.param(crime(victim_sex="2"), {("victim_sex", "unknown_code")}, id="sex"),
        pytest.param(
            {k: v for k, v in crime().items() if k != "victim_resident_la"},
            {("victim_resident_la", "missing")},
            id="no-resident-la",
        ),
        pytest.param(
            crime(victim_upn="X428558133462", victim_school_urn="1234567"),
            {("victim_upn", "value_error"), ("victim_school_urn", "string_pattern_mismatch")},
            id="victim-upn-and-urn",
        ),
        pytest.param(
            crime(da_flag="Y"), {("(unknown field #1)", "extra_forbidden")}, id="unknown-field"
        ),
    ],
)
def test_invalid_crime_records_name_every_failing_field(
    record: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    """An invalid crime record fails with exactly these (native field, rule) problems."""
    assert _problems(record) == expected


# --- concern notices --------------------------------------------------------------------------


def test_concern_notice_with_se_label_gives_a_child_concern_with_se_marker() -> None:
    """A CCN labelled CSE is a child concern with the SE marker and every label kept."""
    data = _only(notice()).data

    assert data.subject == "child"
    assert data.markers.sexual_exploitation is True
    assert data.markers.model_dump() == {**NO_MARKERS, "sexual_exploitation": True}
    assert data.vulnerability_types == ("CSE", "Mental Health")
    assert data.grading == "high"
    assert data.referral == "referral"
    assert data.origin == "concern_notice"
    assert data.reference == "PPN-2026-031877"
    assert data.raised_on == date(2026, 11, 26)
    assert data.incident_at == datetime(2026, 11, 25, 22, 45, tzinfo=UTC)
    assert data.summary == "Synthetic summary of the concern."
    assert data.person.local_id == "NP-7730512"
    assert data.person.nhs_number == OTHER_NHS_NUMBER
    assert data.person.upn == VALID_UPN
    assert data.person.resident_la == "392"
    assert data.person.responsible_la is None


def test_concern_notice_without_se_label_has_no_markers_but_keeps_labels() -> None:
    """Labels outside the marker vocabulary (local ones too) set no marker and are not errors."""
    data = _only(notice(vulnerability_types=["Domestic Abuse", "Hoarding (local)"])).data

    assert data.markers.model_dump() == NO_MARKERS
    assert data.vulnerability_types == ("Domestic Abuse", "Hoarding (local)")


@pytest.mark.parametrize(
    ("labels", "markers"),
    [
        pytest.param(["cse"], {"sexual_exploitation"}, id="lower-cse"),
        pytest.param(["Child Sexual Exploitation"], {"sexual_exploitation"}, id="long-cse"),
        pytest.param(["CCE", "County-Lines"], {"criminal_exploitation"}, id="cce"),
        pytest.param(["Modern Slavery"], {"trafficking_modern_slavery"}, id="ms"),
        pytest.param(["HUMAN TRAFFICKING"], {"trafficking_modern_slavery"}, id="trafficking"),
        pytest.param(["Missing From Care"], {"missing"}, id="missing"),
        pytest.param(["Sexual Abuse"], {"sexual_abuse"}, id="sexual-abuse"),
        pytest.param("CSE; Missing", {"sexual_exploitation", "missing"}, id="csv-cell"),
        pytest.param([], set(), id="none"),
    ],
)
def test_vulnerability_labels_map_to_markers_case_insensitively(
    labels: Any, markers: set[str]
) -> None:
    """Exploitation labels set their markers whatever their case or separators."""
    data = _only(notice(vulnerability_types=labels)).data

    assert {name for name, value in data.markers.model_dump().items() if value} == markers


@pytest.mark.parametrize(
    ("grading", "expected"),
    [
        pytest.param("high", "high", id="high"),
        pytest.param("Medium", "medium", id="Medium"),
        pytest.param("LOW", "low", id="LOW"),
        pytest.param("Red", "high", id="red"),
        pytest.param("amber", "medium", id="amber"),
        pytest.param("Green", "low", id="green"),
    ],
)
def test_ppn_merlin_and_rag_gradings(grading: str, expected: str) -> None:
    """PPN high/medium/low, Merlin high/low and red/amber/green map to the canonical grading."""
    assert _only(notice(grading=grading)).data.grading == expected


@pytest.mark.parametrize(
    ("overrides", "subject", "referral"),
    [
        pytest.param({"subject": "CCN"}, "child", "referral", id="ccn"),
        pytest.param(
            {"subject": "ACN", "dob": "1999-06-30", "information_only": "Y"},
            "adult",
            "information_only",
            id="acn-information-only",
        ),
        pytest.param(
            {"subject": "adult", "dob": "2008-11-26"}, "adult", "referral", id="adult-on-18th"
        ),
    ],
)
def test_concern_notice_subject_and_referral(
    overrides: dict[str, str], subject: str, referral: str
) -> None:
    """CCN/ACN map to child/adult and information_only Y to an information-only notice."""
    data = _only(notice(**overrides)).data

    assert data.subject == subject
    assert data.referral == referral


def test_officer_and_incident_location_are_not_forwarded() -> None:
    """The officer in case and the incident location never reach the notification."""
    wire = notification_adapter.dump_json(_only(notice())).decode()

    assert "Synthetic Officer" not in wire
    assert "Synthetic Quayside" not in wire


def test_same_notice_twice_gives_the_same_event() -> None:
    """Mapping the same notice twice gives an equal notification with the same event id."""
    assert _only(notice()) == _only(notice())


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        pytest.param(notice(grading="critical"), {("grading", "unknown_code")}, id="grading"),
        pytest.param(notice(grading="standard"), {("grading", "unknown_code")}, id="grading-2"),
        pytest.param(notice(subject="youth"), {("subject", "unknown_code")}, id="subject"),
        pytest.param(
            notice(subject="adult"), {("subject", "inconsistent_with_dob")}, id="acn-for-child"
        ),
        pytest.param(
            notice(subject="CCN", dob="2008-11-26"),
            {("subject", "inconsistent_with_dob")},
            id="ccn-on-18th-birthday",
        ),
        pytest.param(notice(nhs_number="9434765918"), {("nhs_number", "value_error")}, id="nhs"),
        pytest.param(notice(upn="R247962919251"), {("upn", "value_error")}, id="upn"),
        pytest.param(
            notice(incident_datetime="2026-11-27 00:10"),
            {("incident_datetime", "after_notice_date")},
            id="incident-after-notice",
        ),
        pytest.param(
            notice(vulnerability_types=[f"Label {n}" for n in range(21)]),
            {("vulnerability_types", "too_long")},
            id="too-many-labels",
        ),
        pytest.param(
            notice(information_only=""), {("information_only", "bool_type")}, id="no-referral"
        ),
        pytest.param(
            notice(merlin_ref="M1"), {("(unknown field #1)", "extra_forbidden")}, id="unknown"
        ),
    ],
)
def test_invalid_concern_notices_name_every_failing_field(
    record: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    """An invalid concern notice fails with exactly these (native field, rule) problems."""
    assert _problems(record) == expected


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(
            crime(victim_person_id="X" * 80, victim_nhs_number="9434765918", cse_flag="Y"),
            id="crime",
        ),
        pytest.param(
            notice(person_id="X" * 80, nhs_number="9434765918", upn="R247962919251"),
            id="notice",
        ),
    ],
)
def test_problem_messages_never_echo_personal_values(record: dict[str, Any]) -> None:
    """Neither the planted person id nor the NHS number or UPN appears in a problem message."""
    with pytest.raises(MappingFailed) as caught:
        ADAPTER.map_record(record, CONTEXT)

    messages = " ".join(problem.message for problem in caught.value.problems)
    assert caught.value.problems
    for planted in ("X" * 80, "9434765918", "R247962919251"):
        assert planted not in messages
