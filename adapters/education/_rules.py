"""Attendance rules: which register marks raise an education concern, under local thresholds.

The thresholds are local policy (no national rule says how many sessions make a concern), so
they live in :class:`AttendanceRules`, a frozen value given to the adapter; the defaults are
below. Rules, applied to one ``attendance_marks`` record:

1. Order. Marks are put in register order, (date, AM before PM), whatever order they came in:
   a mark is keyed by its date and session, so its position in the list carries no meaning.
   Two marks for the same date and session contradict each other and are an error at the later
   one (``marks[i]``, rule ``duplicate_session``).
2. Part-time timetable. Any ``C2`` mark raises ``part_time_timetable`` when the record's
   ``hours_per_week`` is under ``part_time_below_hours`` (default 25, the strategy's "not in
   receipt of full time education: less than 25 hours"). Without ``hours_per_week`` it is an
   error (rule ``required_for_part_time_timetable``); at or over the threshold, no concern.
3. Unauthorised absence. A run of at least ``unauthorised_run_sessions`` (default 10 sessions,
   five school days) consecutive marks whose codes are in ``unauthorised_codes`` (default N, O,
   U, G) raises ``unauthorised_absence``. Every such run raises its own concern.
4. LA-arranged provision. Any ``K`` mark raises ``alternative_provision``.
5. Suspension without provision. A run of at least ``suspension_run_sessions`` (default 2, one
   day) consecutive ``E`` marks raises ``suspension_without_provision``.
6. Runs. A run is consecutive marks in register order. A mark with any other code ends it,
   except codes in ``run_skips_codes`` (default ``#``, planned whole-school closure), which are
   passed over: a closure day is not a day the pupil attended. Gaps in the dates (weekends,
   holidays) do not end a run, because a register has no marks for them.
7. A concern is identified on the date its threshold was met: the first C2 or K mark, or the
   Nth mark of a run. ``first_session_on`` / ``last_session_on`` span the marks that raised it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from adapters._core import MappingFailed, RecordProblem
from adapters.education._codes import ATTENDANCE_CODES, CODE_CLASSES, AttendanceClass, Session
from adapters.education._records import Mark
from schemas import FULL_TIME_HOURS, EducationConcernType

__all__ = ["AttendanceConcern", "AttendanceRules", "attendance_concerns"]

_PART_TIME = "C2"
_LA_ARRANGED = "K"
_SUSPENDED = "E"


@dataclass(frozen=True, slots=True)
class AttendanceRules:
    """Local thresholds for raising concerns from register marks (see the module rules)."""

    unauthorised_run_sessions: int = 10
    suspension_run_sessions: int = 2
    part_time_below_hours: float = FULL_TIME_HOURS
    unauthorised_codes: frozenset[str] = field(default=frozenset({"N", "O", "U", "G"}))
    run_skips_codes: frozenset[str] = field(default=frozenset({"#"}))

    def __post_init__(self) -> None:
        if self.unauthorised_run_sessions < 1 or self.suspension_run_sessions < 1:
            raise ValueError("a run threshold must be at least one session")
        if not 0 < self.part_time_below_hours <= FULL_TIME_HOURS:
            # The canonical part-time concern only exists under the full-time hours.
            raise ValueError(f"part_time_below_hours must be in (0, {FULL_TIME_HOURS:g}]")
        unauthorised = {c for c, k in CODE_CLASSES.items() if k is AttendanceClass.UNAUTHORISED}
        if not self.unauthorised_codes or not self.unauthorised_codes <= unauthorised:
            raise ValueError(f"unauthorised_codes must be among {sorted(unauthorised)}")
        if not self.run_skips_codes <= ATTENDANCE_CODES:
            raise ValueError("run_skips_codes must be attendance codes")
        if self.run_skips_codes & (self.unauthorised_codes | {_SUSPENDED}):
            raise ValueError("a code cannot both make a run and be skipped by it")


@dataclass(frozen=True, slots=True)
class AttendanceConcern:
    """A concern raised by register marks: its type and the marks that raised it, in order."""

    concern_type: EducationConcernType
    marks: tuple[Mark, ...]
    identified_on: date
    sessions_missed: int | None = None
    hours_per_week: float | None = None

    @property
    def first_session_on(self) -> date:
        """The date of the first mark that raised the concern."""
        return self.marks[0].date

    @property
    def last_session_on(self) -> date:
        """The date of the last mark that raised the concern."""
        return self.marks[-1].date

    @property
    def codes(self) -> tuple[str, ...]:
        """The attendance codes that raised the concern, in register order."""
        return tuple(mark.code for mark in self.marks)


def _register_key(mark: Mark) -> tuple[date, bool]:
    return mark.date, mark.session is Session.PM


def _duplicate_sessions(marks: Sequence[Mark]) -> list[RecordProblem]:
    first_index: dict[tuple[date, bool], int] = {}
    problems: list[RecordProblem] = []
    for index, mark in enumerate(marks):
        earlier = first_index.setdefault(_register_key(mark), index)
        if earlier != index:
            problems.append(
                RecordProblem(
                    f"marks[{index}]",
                    "duplicate_session",
                    f"repeats the date and session of marks[{earlier}]",
                )
            )
    return problems


def _runs(
    ordered: Sequence[Mark], codes: frozenset[str], skips: frozenset[str]
) -> Iterator[tuple[Mark, ...]]:
    run: list[Mark] = []
    for mark in ordered:
        if mark.code in skips:
            continue
        if mark.code in codes:
            run.append(mark)
        elif run:
            yield tuple(run)
            run = []
    if run:
        yield tuple(run)


def _run_concerns(
    ordered: Sequence[Mark],
    codes: frozenset[str],
    threshold: int,
    concern_type: EducationConcernType,
    skips: frozenset[str],
) -> list[AttendanceConcern]:
    return [
        AttendanceConcern(
            concern_type=concern_type,
            marks=run,
            identified_on=run[threshold - 1].date,
            sessions_missed=len(run),
        )
        for run in _runs(ordered, codes, skips)
        if len(run) >= threshold
    ]


def attendance_concerns(
    marks: Sequence[Mark], hours_per_week: float | None, rules: AttendanceRules
) -> list[AttendanceConcern]:
    """Every concern the marks raise under ``rules``, by first date; or :class:`MappingFailed`."""
    problems = _duplicate_sessions(marks)
    ordered = tuple(sorted(marks, key=_register_key))
    part_time = tuple(mark for mark in ordered if mark.code == _PART_TIME)
    if part_time and hours_per_week is None:
        problems.append(
            RecordProblem(
                "hours_per_week",
                "required_for_part_time_timetable",
                "a C2 (part-time timetable) mark needs the timetable's hours_per_week",
            )
        )
    if problems:
        raise MappingFailed(problems)

    concerns: list[AttendanceConcern] = []
    if part_time and hours_per_week is not None and hours_per_week < rules.part_time_below_hours:
        concerns.append(
            AttendanceConcern(
                concern_type=EducationConcernType.PART_TIME_TIMETABLE,
                marks=part_time,
                identified_on=part_time[0].date,
                sessions_missed=len(part_time),
                hours_per_week=hours_per_week,
            )
        )

    concerns += _run_concerns(
        ordered,
        rules.unauthorised_codes,
        rules.unauthorised_run_sessions,
        EducationConcernType.UNAUTHORISED_ABSENCE,
        rules.run_skips_codes,
    )

    la_arranged = tuple(mark for mark in ordered if mark.code == _LA_ARRANGED)
    if la_arranged:
        concerns.append(
            AttendanceConcern(
                concern_type=EducationConcernType.ALTERNATIVE_PROVISION,
                marks=la_arranged,
                identified_on=la_arranged[0].date,
            )
        )

    concerns += _run_concerns(
        ordered,
        frozenset({_SUSPENDED}),
        rules.suspension_run_sessions,
        EducationConcernType.SUSPENSION_WITHOUT_PROVISION,
        rules.run_skips_codes,
    )
    return sorted(concerns, key=lambda c: (c.first_session_on, c.concern_type.value))
