"""Education adapter: CME, EHE and alternative provision mapping, identifiers and refusals."""

from __future__ import annotations

import json
import types
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import adapters.education
from adapters import AdapterContext, MappingFailed, RecordAdapter, map_records
from adapters.education import ADAPTER
from schemas import EducationConcernRaised
from tests.unit.adapters.test_education_builders import (
    CONCERN_RAISED,
    CONTEXT,
    NORTHUMBERLAND_UPN,
    OTHER_SCHOOL_URN,
    PUPIL_ID,
    SCHOOL_URN,
    TEMPORARY_UPN,
    UPN,
    attendance,
    cme,
    data_of,
    ehe,
    failures,
    mapped,
    placement,
)
from tests.unit.builders import ADAPTER_ID_KEY, EDUCATION, REPO_ROOT

EXAMPLES = REPO_ROOT / "docs" / "examples" / "native" / "education.json"

# --- the package surface ----------------------------------------------------------------------


def test_adapter_declares_its_kind_and_record_types() -> None:
    """ADAPTER is a RecordAdapter of kind 'education' for the four native record types."""
    adapter: RecordAdapter = ADAPTER

    assert adapter.kind == "education"
    assert adapter.record_types == {
        "attendance_marks",
        "cme_notice",
        "ehe_notice",
        "alternative_provision_placement",
    }


def test_package_exports_exactly_all() -> None:
    """Every name in ``__all__`` exists and every public attribute is listed in it."""
    package = adapters.education
    public = {
        name
        for name, value in vars(package).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }

    assert public == set(package.__all__)


# --- mapping: one native record, the concerns it gives ------------------------------------------

MAPPED = {
    "cme deletion -> removed from roll": (
        cme(destination_school_urn=OTHER_SCHOOL_URN),
        {
            "concern_type": "removed_from_roll",
            "identified_on": "2026-11-20",
            "school_urn": SCHOOL_URN,
            "la": "929",
            "removal_ground": "reg. 9(1)(d): ceased to attend and no longer resides nearby",
            "destination_school_urn": OTHER_SCHOOL_URN,
        },
    ),
    "cme 10-day absence -> missing education": (
        cme("continuous_absence_10_days"),
        {
            "concern_type": "missing_education",
            "identified_on": "2026-11-20",
            "school_urn": SCHOOL_URN,
            "removal_ground": None,
        },
    ),
    "ehe notice -> elective home education with estimated hours": (
        ehe(),
        {
            "concern_type": "elective_home_education",
            "identified_on": "2026-11-16",
            "la": "929",
            "school_urn": None,
            "hours_per_week": 12.5,
        },
    ),
    "ehe notice from a neighbour LA, hours unknown": (
        ehe(la="391", estimated_hours=""),
        {"concern_type": "elective_home_education", "la": "391", "hours_per_week": None},
    ),
    "ap placement under 25 hours": (
        placement(hours_per_week="18.5"),
        {
            "concern_type": "alternative_provision",
            "identified_on": "2026-11-09",
            "school_urn": SCHOOL_URN,
            "la": "929",
            "hours_per_week": 18.5,
        },
    ),
    "ap placement full time still carries its hours": (
        placement(hours_per_week=27.5, la="392"),
        {"concern_type": "alternative_provision", "la": "392", "hours_per_week": 27.5},
    ),
}


@pytest.mark.parametrize(("record", "expected"), MAPPED.values(), ids=MAPPED.keys())
def test_notice_maps_to_one_education_concern(
    record: dict[str, Any], expected: dict[str, Any]
) -> None:
    """Each notice gives exactly one education concern with its type and facts carried over."""
    (concern,) = mapped(record)

    assert concern.type == CONCERN_RAISED
    assert concern.source == f"urn:sehub:agency:{EDUCATION}"
    assert concern.time == datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    assert concern.episodeid is None
    assert concern.subject is None
    assert concern.data.person.local_id == PUPIL_ID
    assert data_of(concern, *expected) == expected


def test_new_registration_gives_no_notification() -> None:
    """A CME new-registration notice is validated but raises no concern."""
    assert mapped(cme("new_registration")) == []


def test_ehe_without_upn_carries_the_reason_instead() -> None:
    """An EHE notice with upn_unknown (and no upn) names the reason in the person."""
    (concern,) = mapped(ehe(upn=None, upn_unknown="UN2"))

    assert concern.data.person.upn is None
    assert concern.data.person.upn_unknown == "UN2"


UPNS = {
    "permanent": (UPN, UPN),
    "northumberland permanent": (NORTHUMBERLAND_UPN, NORTHUMBERLAND_UPN),
    "temporary (final letter)": (TEMPORARY_UPN, TEMPORARY_UPN),
    "lower case is normalised": (UPN.lower(), UPN),
}


@pytest.mark.parametrize(("given", "carried"), UPNS.values(), ids=UPNS.keys())
def test_valid_upns_are_carried_normalised(given: str, carried: str) -> None:
    """Permanent and temporary UPNs that stdnum accepts reach the person, upper-cased."""
    (concern,) = mapped(placement(upn=given))

    assert concern.data.person.upn == carried


@pytest.mark.parametrize("dob", ["14/03/2012", "2012-03-14"])
def test_uk_and_iso_dates_map_alike(dob: str) -> None:
    """A dd/mm/yyyy and an ISO date give the same canonical date and the same event id."""
    iso = mapped(cme(dob="2012-03-14", date="2026-11-20"))[0]
    (concern,) = mapped(cme(dob=dob, date="20/11/2026"))

    assert concern.data.person.date_of_birth == iso.data.person.date_of_birth
    assert concern.id == iso.id


def test_la_comes_from_the_context_when_the_record_has_none() -> None:
    """A CME notice reports to the publishing agency's LA; with none known, la is absent."""
    bare = AdapterContext(id_key=ADAPTER_ID_KEY, agency_id=EDUCATION, now=CONTEXT.now)

    assert mapped(cme())[0].data.la == "929"
    assert mapped(cme(resident_la="929"), context=bare)[0].data.la is None


def test_without_an_la_code_a_record_must_say_where_the_pupil_lives() -> None:
    """An adapter with no LA code of its own refuses a record without ``resident_la``."""
    bare = AdapterContext(id_key=ADAPTER_ID_KEY, agency_id=EDUCATION, now=CONTEXT.now)

    with pytest.raises(MappingFailed) as caught:
        mapped(cme(), context=bare)

    assert [(p.field, p.rule) for p in caught.value.problems] == [("resident_la", "missing")]


def test_parent_fields_are_accepted_and_never_forwarded() -> None:
    """Parent name, address, phone and future address appear nowhere in the notification."""
    planted = {
        "parent_name": "Synthetica Testparent",
        "parent_address": "7 Imaginary Terrace, Morpeth",
        "parent_phone": "01670 555 0199",
        "future_address": "12 Notreal Close, Blyth",
    }

    (concern,) = mapped(cme(**planted))

    produced = json.dumps(concern.model_dump(mode="json"))
    assert [value for value in planted.values() if value in produced] == []


# --- ids ----------------------------------------------------------------------------------------

RECORDS = {
    "attendance": attendance(["N"] * 10 + ["K"]),
    "cme": cme(),
    "ehe": ehe(),
    "ehe without upn": ehe(upn="", upn_unknown="UN1"),
    "placement": placement(),
}


@pytest.mark.parametrize("record", RECORDS.values(), ids=RECORDS.keys())
def test_same_record_twice_gives_the_same_ids(record: dict[str, Any]) -> None:
    """Mapping a record again gives the same CloudEvents ids, and they are opaque."""
    first = [concern.id for concern in mapped(record)]
    second = [concern.id for concern in mapped(record)]

    assert first == second
    assert len(set(first)) == len(first)
    assert all(event_id.startswith("edu-") and UPN not in event_id for event_id in first)


def test_ids_differ_by_pupil_date_and_record_type() -> None:
    """Another pupil, another date or another record type gives another id."""
    ids = {
        mapped(placement())[0].id,
        mapped(placement(upn=NORTHUMBERLAND_UPN))[0].id,
        mapped(placement(start_date="10/11/2026"))[0].id,
        mapped(attendance(["K"], marks=[{"date": "2026-11-09", "session": "AM", "code": "K"}]))[
            0
        ].id,
    }

    assert len(ids) == 4


# --- refusals -----------------------------------------------------------------------------------

REFUSED = {
    "upn with the wrong check letter": (placement(upn="A801200005001"), {("upn", "value_error")}),
    "upn R247962919251": (placement(upn="R247962919251"), {("upn", "value_error")}),
    "upn X428558133462": (attendance(upn="X428558133462"), {("upn", "value_error")}),
    "upn missing": (placement(upn=None), {("upn", "string_type")}),
    "deletion without a ground": (
        cme(deletion_ground=None),
        {("deletion_ground", "required_for_deletion")},
    ),
    "deletion with a blank ground": (
        cme(deletion_ground="  "),
        {("deletion_ground", "required_for_deletion")},
    ),
    "deletion ground over 120 characters": (
        cme(deletion_ground="x" * 121),
        {("deletion_ground", "string_too_long")},
    ),
    "ground on an absence notice": (
        cme("continuous_absence_10_days", deletion_ground="reg. 9(1)(h)"),
        {("deletion_ground", "only_for_deletion")},
    ),
    "unknown notice type": (cme("moved_away"), {("notice_type", "enum")}),
    "impossible date": (cme(date="31/02/2026"), {("date", "value_error")}),
    "ehe with neither upn nor reason": (ehe(upn=None), {("upn_unknown", "upn_or_reason_required")}),
    "ehe with upn and reason": (ehe(upn_unknown="UN1"), {("upn_unknown", "upn_and_reason")}),
    "ehe with an unknown reason": (ehe(upn=None, upn_unknown="UN9"), {("upn_unknown", "enum")}),
    "placement without hours": (placement(hours_per_week=None), {("hours_per_week", "float_type")}),
    "placement over 60 hours": (
        placement(hours_per_week=61),
        {("hours_per_week", "less_than_equal")},
    ),
    "school urn not six digits": (
        placement(school_urn="12AB"),
        {("school_urn", "string_pattern_mismatch")},
    ),
    "la not three digits": (placement(la="9290"), {("la", "string_pattern_mismatch")}),
    "unknown field": (cme(favourite_colour="teal"), {("(unknown field #1)", "extra_forbidden")}),
    "unknown record type": (cme(record_type="exclusion"), {("record_type", "unknown_record_type")}),
    "every problem at once": (
        placement(upn="X428558133462", la="9290", hours_per_week=-1, extra=1),
        {
            ("upn", "value_error"),
            ("la", "string_pattern_mismatch"),
            ("hours_per_week", "greater_than_equal"),
            ("(unknown field #1)", "extra_forbidden"),
        },
    ),
}


@pytest.mark.parametrize(("record", "expected"), REFUSED.values(), ids=REFUSED.keys())
def test_bad_notice_is_refused_naming_each_field(
    record: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    """A bad notice fails with exactly these (native field, rule) problems."""
    assert failures(record) == expected


def test_problem_messages_never_echo_personal_values() -> None:
    """No planted identifier, date or parent detail appears in any problem message."""
    planted: dict[str, Any] = {
        "upn": "A801200005001",
        "person_id": "SYNTH-PUPIL-7788",
        "dob": "31/02/2011",
        "parent_name": "Synthetica Testparent",
        "parent_phone": "0" * 41,
        "deletion_ground": None,
        "school_urn": "99-1234",
    }
    with pytest.raises(MappingFailed) as caught:
        ADAPTER.map_record(cme(**planted), CONTEXT)

    messages = " ".join(problem.message for problem in caught.value.problems)
    assert len(caught.value.problems) == 5
    assert [v for v in planted.values() if v and v in messages] == []


# --- the shipped native examples ----------------------------------------------------------------


def test_shipped_native_examples_all_map() -> None:
    """docs/examples/native/education.json maps whole, giving the documented concerns."""
    records = json.loads(Path(EXAMPLES).read_text(encoding="utf-8"))

    notifications = map_records(ADAPTER, records, CONTEXT)

    concerns = [n for n in notifications if isinstance(n, EducationConcernRaised)]
    assert len(concerns) == len(notifications)
    assert sorted(n.data.concern_type.value for n in concerns) == [
        "alternative_provision",
        "elective_home_education",
        "part_time_timetable",
        "removed_from_roll",
        "unauthorised_absence",
    ]
    assert len({n.id for n in notifications}) == len(notifications)
