"""Education adapter: concerns raised from attendance register marks, under configurable rules."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.education import AttendanceRules, EducationAdapter
from tests.unit.adapters.test_education_builders import (
    CONCERN_RAISED,
    SCHOOL_URN,
    UPN,
    attendance,
    data_of,
    failures,
    mapped,
    session_date,
    sessions,
)

ALL_FACTS = (
    "concern_type",
    "sessions_missed",
    "attendance_codes",
    "first_session_on",
    "last_session_on",
    "identified_on",
    "hours_per_week",
)

# --- rule by rule: the marks and the concerns they raise ---------------------------------------

RAISED: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {
    "all present: nothing": (attendance(["/", "\\", "L", "\\"]), []),
    "C2 at 24.5 hours: part-time timetable": (
        attendance(["/", "C2", "/", "C2"], hours_per_week=24.5),
        [
            {
                "concern_type": "part_time_timetable",
                "sessions_missed": 2,
                "attendance_codes": ["C2", "C2"],
                "first_session_on": session_date(1),
                "last_session_on": session_date(3),
                "identified_on": session_date(1),
                "hours_per_week": 24.5,
            }
        ],
    ),
    "C2 at 25 hours: full time, nothing": (attendance(["C2", "/"], hours_per_week=25), []),
    "9 unauthorised sessions: under the threshold": (attendance(["N"] * 9), []),
    "10 unauthorised sessions: unauthorised absence": (
        attendance(["N", "O", "U", "G", "N", "N", "O", "O", "N", "N"]),
        [
            {
                "concern_type": "unauthorised_absence",
                "sessions_missed": 10,
                "attendance_codes": ["N", "O", "U", "G", "N", "N", "O", "O", "N", "N"],
                "first_session_on": session_date(0),
                "last_session_on": session_date(9),
                "identified_on": session_date(9),
                "hours_per_week": None,
            }
        ],
    ),
    "12 unauthorised sessions: identified at the 10th": (
        attendance(["N"] * 12),
        [
            {
                "concern_type": "unauthorised_absence",
                "sessions_missed": 12,
                "last_session_on": session_date(11),
                "identified_on": session_date(9),
            }
        ],
    ),
    "run broken by a present mark": (attendance(["N"] * 5 + ["/"] + ["N"] * 5), []),
    "run broken by an authorised absence": (attendance(["N"] * 5 + ["I"] + ["N"] * 5), []),
    "run passes over a planned closure": (
        attendance(["N"] * 4 + ["#", "#"] + ["N"] * 6),
        [
            {
                "concern_type": "unauthorised_absence",
                "sessions_missed": 10,
                "attendance_codes": ["N"] * 10,
                "last_session_on": session_date(11),
            }
        ],
    ),
    "K: alternative provision": (
        attendance(["/", "K", "K", "/"]),
        [
            {
                "concern_type": "alternative_provision",
                "sessions_missed": None,
                "attendance_codes": ["K", "K"],
                "first_session_on": session_date(1),
                "last_session_on": session_date(2),
                "identified_on": session_date(1),
            }
        ],
    ),
    "one E session: under the threshold": (attendance(["/", "E", "/"]), []),
    "two E sessions: suspension without provision": (
        attendance(["/", "\\", "E", "E"]),
        [
            {
                "concern_type": "suspension_without_provision",
                "sessions_missed": 2,
                "attendance_codes": ["E", "E"],
                "first_session_on": session_date(2),
                "identified_on": session_date(3),
            }
        ],
    ),
    "remote learning coded as absence is just absence": (attendance(["O", "O"]), []),
}


@pytest.mark.parametrize(("record", "expected"), RAISED.values(), ids=RAISED.keys())
def test_marks_raise_the_concerns_their_rules_say(
    record: dict[str, Any], expected: list[dict[str, Any]]
) -> None:
    """Each rule raises its concern, with its sessions, codes and dates, and nothing else."""
    concerns = mapped(record)

    assert [c.type for c in concerns] == [CONCERN_RAISED] * len(expected)
    assert [data_of(c, *facts) for c, facts in zip(concerns, expected, strict=True)] == expected
    assert all(c.data.school_urn == SCHOOL_URN and c.data.person.upn == UPN for c in concerns)


def test_one_record_can_raise_several_concerns_each_with_its_own_id() -> None:
    """C2, a run of N, K and E in one record give four concerns, by first date, distinct ids."""
    codes = ["C2", "/"] + ["N"] * 10 + ["K", "K", "E", "E"]
    concerns = mapped(attendance(codes, hours_per_week=10))

    assert [c.data.concern_type.value for c in concerns] == [
        "part_time_timetable",
        "unauthorised_absence",
        "alternative_provision",
        "suspension_without_provision",
    ]
    assert len({c.id for c in concerns}) == 4


def test_two_runs_are_two_concerns() -> None:
    """Two separate runs over the threshold raise one concern each, with different ids."""
    concerns = mapped(attendance(["N"] * 10 + ["/"] + ["G"] * 10))

    assert [c.data.sessions_missed for c in concerns] == [10, 10]
    assert [data_of(c, "first_session_on") for c in concerns] == [
        {"first_session_on": session_date(0)},
        {"first_session_on": session_date(11)},
    ]
    assert concerns[0].id != concerns[1].id


def test_marks_in_any_order_are_put_in_register_order() -> None:
    """Shuffled marks (PM before AM, days reversed) give the same concerns and ids as sorted."""
    ordered = attendance(["N", "O"] * 5)
    shuffled = attendance(marks=list(reversed(ordered["marks"])))

    concerns = mapped(shuffled)

    assert concerns == mapped(ordered)
    assert concerns[0].data.attendance_codes == ("N", "O") * 5


def test_uk_and_iso_mark_dates_map_alike() -> None:
    """Marks dated dd/mm/yyyy give the same concern and id as the same marks dated ISO."""
    iso = attendance(["N"] * 10)
    uk = attendance(
        marks=[
            {**mark, "date": "/".join(reversed(mark["date"].split("-")))} for mark in iso["marks"]
        ]
    )

    assert mapped(uk) == mapped(iso)


# --- configurable thresholds ------------------------------------------------------------------

CONFIGURED = {
    "default: 4 sessions is nothing": (AttendanceRules(), ["N"] * 4, []),
    "N=4: 4 sessions raise": (
        AttendanceRules(unauthorised_run_sessions=4),
        ["N"] * 4,
        ["unauthorised_absence"],
    ),
    "M=4: two E sessions are nothing": (AttendanceRules(suspension_run_sessions=4), ["E"] * 2, []),
    "M=1: one E session raises": (
        AttendanceRules(suspension_run_sessions=1),
        ["E"],
        ["suspension_without_provision"],
    ),
    "only N counts: a run of G is nothing": (
        AttendanceRules(unauthorised_codes=frozenset({"N"})),
        ["G"] * 10,
        [],
    ),
    "part-time under 20 hours: 22 is nothing": (
        AttendanceRules(part_time_below_hours=20),
        ["C2"],
        [],
    ),
}


@pytest.mark.parametrize(("rules", "codes", "expected"), CONFIGURED.values(), ids=CONFIGURED.keys())
def test_thresholds_come_from_the_adapters_rules(
    rules: AttendanceRules, codes: list[str], expected: list[str]
) -> None:
    """An adapter built with other AttendanceRules raises concerns by those thresholds."""
    record = attendance(codes, hours_per_week=22)

    concerns = mapped(record, adapter=EducationAdapter(rules))

    assert [c.data.concern_type.value for c in concerns] == expected


MISUSED = {
    "zero-session run": {"unauthorised_run_sessions": 0},
    "zero-session suspension": {"suspension_run_sessions": 0},
    "part-time above full time": {"part_time_below_hours": 30},
    "present code as unauthorised": {"unauthorised_codes": frozenset({"/"})},
    "no unauthorised codes": {"unauthorised_codes": frozenset()},
    "skipping an unknown code": {"run_skips_codes": frozenset({"ZZ"})},
    "skipping a run code": {"run_skips_codes": frozenset({"#", "N"})},
}


@pytest.mark.parametrize("settings", MISUSED.values(), ids=MISUSED.keys())
def test_nonsense_rules_are_refused_when_built(settings: dict[str, Any]) -> None:
    """AttendanceRules refuses a threshold or code set that could not be applied."""
    with pytest.raises(ValueError, match=r"."):
        AttendanceRules(**settings)


# --- refusals -----------------------------------------------------------------------------------

REFUSED = {
    "unknown attendance code": (
        attendance(["/", "\\", "A"]),
        {("marks[2].code", "unknown_attendance_code")},
    ),
    "lower-case code": (attendance(["n"]), {("marks[0].code", "unknown_attendance_code")}),
    "unknown session": (
        attendance(marks=[{"date": "2026-11-02", "session": "EVE", "code": "/"}]),
        {("marks[0].session", "enum")},
    ),
    "unknown mark field": (
        attendance(marks=[{"date": "2026-11-02", "session": "AM", "code": "/", "mins": 5}]),
        {("marks[0].(unknown field #1)", "extra_forbidden")},
    ),
    "no marks": (attendance(marks=[]), {("marks", "too_short")}),
    "C2 without hours": (
        attendance(["C2"]),
        {("hours_per_week", "required_for_part_time_timetable")},
    ),
    "C2 with blank hours": (
        attendance(["C2"], hours_per_week=""),
        {("hours_per_week", "required_for_part_time_timetable")},
    ),
    "same session twice": (
        attendance(marks=sessions(["N", "N"]) + sessions(["/"])),
        {("marks[2]", "duplicate_session")},
    ),
    "same session twice and C2 without hours": (
        attendance(marks=sessions(["C2"]) + sessions(["C2"])),
        {("marks[1]", "duplicate_session"), ("hours_per_week", "required_for_part_time_timetable")},
    ),
    "bad upn and bad code together": (
        attendance(["Q", "?"], upn="R247962919251"),
        {("upn", "value_error"), ("marks[1].code", "unknown_attendance_code")},
    ),
}


@pytest.mark.parametrize(("record", "expected"), REFUSED.values(), ids=REFUSED.keys())
def test_bad_marks_are_refused_naming_each_field(
    record: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    """A bad attendance record fails with exactly these (native field, rule) problems."""
    assert failures(record) == expected
