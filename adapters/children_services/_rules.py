"""Rules across fields, collection years and the clock, checked once each field is well formed.

Each problem is located at the native field that must change; messages never carry values.

Rules:

1. No date may be after today (the adapter's ``now`` in England): ``date_in_future``.
2. Sex is coded for the collection year of the return being made (the year containing ``now``):
   903 ``SEX`` 1/2 and CIN ``GenderCurrent`` up to 2023/24; M/F/U (CIN ``Sex``) from 2024/25.
3. SSDA903 Missing: 564 a type needs a start date, 565/566 a start or end date needs a type,
   567 the end is not before the start, 586 the start is not before birth. A 903 episode is a
   child's: it cannot start on or after the 18th birthday.
4. Return interview: ``not offered`` (N or NA) needs ``RHI_NOT_OFFERED_REASON`` and excludes any
   offer, acceptance, attempt, interview and finding (factors, places, associates); the reason
   and its detail are refused on any other outcome. A declined interview has a completed date
   never, and needs the analysis and the attempts made. No date (an action's due date too) is
   before the episode started, nor the completion before the offer.
5. SSDA903 Episodes: ``PLACE`` must be valid in the collection year of ``DECOM``; no provider
   for temporary and Z placements; ``REC`` with ``DEC`` and only then, as for
   ``REASON_PLACE_CHANGE``; ``DEC`` not before ``DECOM``; ``PL_LOCATION`` agrees with ``PL_LA``;
   a placement start states ``SE_RISK``, and with a risk, whether a risk assessment and a care
   plan are available. A placement needs the adapter's LA code (the placing authority). A
   placement may be notified before it starts: an open placement episode's ``DECOM`` may be in
   the future (nothing else may). ``PL_START`` is the DECOM of the row that began the
   placement: on a placement row it is that row's DECOM; on an RNE L row it is not after
   DECOM, and is required when the row ends its placement (its ``episodeid`` is the
   placement's, so the hub can close the placement it opened).
6. CIN Assessment: authorised not before started; one of ``Sex``/``GenderCurrent`` as the year
   codes it; ``UPN`` or ``UPNunknown``, not both; the legacy 18A/19A only up to 2019/20.
7. Every record but the Header must say where the child lives (:func:`resident_la`): its
   ``RESIDENT_LA``; else, for a child in a current placement (begun, not ceased), the
   placement's ``PL_LA`` when known and not CON; else the adapter's own LA code. With none of
   them it is refused.
8. Vulnerability checklist: the shared checklist rules (:mod:`adapters._checklist`), and ``SEX``
   coded for the year as rule 2 says.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from adapters._checklist import checklist_problems
from adapters._core import AdapterContext, RecordProblem, unknown_residence
from adapters.children_services import _codes
from adapters.children_services._checklist import CHECKLIST_FIELDS, VulnerabilityChecklist
from adapters.children_services._records import (
    CinAssessment,
    Ssda903Episode,
    Ssda903Header,
    Ssda903Missing,
)
from adapters.children_services._return_records import (
    ReturnInterview,
    declined_problems,
    not_offered_problems,
)
from schemas import is_out_of_area

__all__ = ["ENGLAND", "NativeModel", "problems_for", "resident_la", "today"]

ENGLAND = ZoneInfo("Europe/London")
NativeModel = (
    Ssda903Header
    | Ssda903Missing
    | ReturnInterview
    | Ssda903Episode
    | CinAssessment
    | VulnerabilityChecklist
)


def today(context: AdapterContext) -> date:
    """The adapter's current date in England."""
    return context.now.astimezone(ENGLAND).date()


def resident_la(
    record: Ssda903Missing
    | ReturnInterview
    | Ssda903Episode
    | CinAssessment
    | VulnerabilityChecklist,
    context: AdapterContext,
) -> str | None:
    """Where the child lives now, by rule 7 (``None`` if nothing says)."""
    if record.RESIDENT_LA is not None:
        return record.RESIDENT_LA
    if (
        isinstance(record, Ssda903Episode)
        and record.DEC is None
        and today(context) >= record.DECOM
        and record.PL_LA is not None
        and not record.confidential
    ):
        return record.PL_LA
    return context.la_code


def problems_for(record: NativeModel, context: AdapterContext) -> list[RecordProblem]:
    """Every cross-field problem of a well-formed native record."""
    match record:
        case Ssda903Header():
            return _header(record, context)
        case Ssda903Missing():
            problems = _missing(record, context)
        case ReturnInterview():
            problems = _return_interview(record, context)
        case Ssda903Episode():
            problems = _episode(record, context)
        case CinAssessment():
            problems = _assessment(record, context)
        case VulnerabilityChecklist():
            problems = _checklist(record, context)
    if resident_la(record, context) is None:
        problems.append(unknown_residence("RESIDENT_LA"))
    return problems


def _problem(field: str, rule: str, message: str) -> RecordProblem:
    return RecordProblem(field=field, rule=rule, message=message)


def _in_future(context: AdapterContext, dates: dict[str, date | None]) -> list[RecordProblem]:
    now = today(context)
    return [
        _problem(field, "date_in_future", "is after today")
        for field, value in dates.items()
        if value is not None and value > now
    ]


def _sex_for_year(
    field: str, code: str | None, context: AdapterContext, old_codes: frozenset[str]
) -> list[RecordProblem]:
    year = _codes.collection_year(today(context))
    valid = _codes.SEX_NEW if _codes.new_sex_coding(year) else old_codes
    if code is None or code in valid:
        return []
    return [
        _problem(
            field,
            "code_not_in_collection_year",
            f"the {_codes.year_label(year)} return codes sex as one of: {', '.join(sorted(valid))}",
        )
    ]


def _header(record: Ssda903Header, context: AdapterContext) -> list[RecordProblem]:
    problems = _in_future(context, {"DOB": record.DOB, "MC_DOB": record.MC_DOB})
    problems += _sex_for_year("SEX", record.SEX, context, _codes.SEX_903_OLD)
    if record.MC_DOB is not None and record.MC_DOB < record.DOB:
        problems.append(_problem("MC_DOB", "date_order", "is before the child's DOB"))
    return problems


def _missing(record: Ssda903Missing, context: AdapterContext) -> list[RecordProblem]:
    problems = _in_future(
        context, {"DOB": record.DOB, "MIS_START": record.MIS_START, "MIS_END": record.MIS_END}
    )
    problems += _sex_for_year("SEX", record.SEX, context, _codes.SEX_903_OLD)
    if record.MISSING is None:
        if record.MIS_START is not None:
            problems.append(_problem("MISSING", "ssda903_565", "a start date needs the type"))
        if record.MIS_END is not None:
            problems.append(_problem("MISSING", "ssda903_566", "an end date needs the type"))
        if record.MIS_START is None and record.MIS_END is None:
            problems.append(_problem("MISSING", "missing", "Field required"))
    if record.MIS_START is None:
        if record.MISSING is not None:
            problems.append(_problem("MIS_START", "ssda903_564", "the type needs a start date"))
        else:
            problems.append(_problem("MIS_START", "missing", "Field required"))
        return problems
    if record.MIS_END is not None and record.MIS_END < record.MIS_START:
        problems.append(_problem("MIS_END", "ssda903_567", "is before MIS_START"))
    if record.MIS_START < record.DOB:
        problems.append(_problem("MIS_START", "ssda903_586", "is before the child's DOB"))
    elif record.turns_18_on <= record.MIS_START:
        problems.append(
            _problem("MIS_START", "after_18th_birthday", "is on or after the 18th birthday")
        )
    return problems


def _return_interview(record: ReturnInterview, context: AdapterContext) -> list[RecordProblem]:
    attempt_dates = {
        f"RHI_ATTEMPTS.{index}.date": attempt.attempted_on
        for index, attempt in enumerate(record.RHI_ATTEMPTS)
    }
    dated = {
        "RHI_OFFERED_DATE": record.RHI_OFFERED_DATE,
        "RHI_COMPLETED_DATE": record.RHI_COMPLETED_DATE,
        **attempt_dates,
    }
    due_dates = {
        f"RHI_ACTIONS.{index}.due_date": action.due_date
        for index, action in enumerate(record.RHI_ACTIONS)
    }
    problems = _in_future(context, {"MIS_START": record.MIS_START, "DOB": record.DOB, **dated})
    problems += _sex_for_year("SEX", record.SEX, context, _codes.SEX_903_OLD)
    problems += [
        _problem(field, "date_order", "is before MIS_START")
        for field, value in {**dated, **due_dates}.items()
        if value is not None and value < record.MIS_START
    ]
    offered, completed = record.RHI_OFFERED_DATE, record.RHI_COMPLETED_DATE
    if offered is not None and completed is not None and completed < offered:
        problems.append(_problem("RHI_COMPLETED_DATE", "date_order", "is before RHI_OFFERED_DATE"))
    return problems + not_offered_problems(record) + declined_problems(record)


def _episode(record: Ssda903Episode, context: AdapterContext) -> list[RecordProblem]:
    dates = {"DEC": record.DEC, "DOB": record.DOB, "PL_START": record.PL_START}
    if not record.starts_placement:
        dates["DECOM"] = record.DECOM
    problems = _in_future(context, dates)
    problems += _sex_for_year("SEX", record.SEX, context, _codes.SEX_903_OLD)
    year = _codes.collection_year(record.DECOM)
    valid_places = _codes.placement_types_for(year)
    if record.PLACE not in valid_places:
        problems.append(
            _problem(
                record.place_field,
                "code_not_in_collection_year",
                f"not a placement type in {_codes.year_label(year)} (the year of DECOM); "
                f"expected one of: {', '.join(sorted(valid_places))}",
            )
        )
    if record.PLACE_PROVIDER is not None and record.PLACE in _codes.NO_PROVIDER_PLACEMENTS:
        problems.append(
            _problem(
                "PLACE_PROVIDER",
                "not_applicable",
                "must be blank for placement types "
                + ", ".join(sorted(_codes.NO_PROVIDER_PLACEMENTS)),
            )
        )
    problems += _episode_end(record)
    problems += _placement_start(record)
    problems += _episode_location(record, context)
    if record.starts_placement:
        problems += _episode_se_risk(record)
    return problems


def _episode_end(record: Ssda903Episode) -> list[RecordProblem]:
    if record.DEC is None:
        return [
            _problem(field, "not_applicable", "only for a ceased episode (DEC given)")
            for field in ("REC", "REASON_PLACE_CHANGE")
            if getattr(record, field) is not None
        ]
    problems = []
    if record.DEC < record.DECOM:
        problems.append(_problem("DEC", "end_before_start", "is before DECOM"))
    if record.REC is None:
        problems.append(_problem("REC", "missing", "a ceased episode (DEC given) needs it"))
    return problems


def _placement_start(record: Ssda903Episode) -> list[RecordProblem]:
    started = record.PL_START
    if not record.legal_status_only:
        if started is not None and started != record.DECOM:
            return [_problem("PL_START", "conflict", "a placement row's placement began at DECOM")]
        return []
    if started is None:
        if record.ends_placement:
            return [
                _problem(
                    "PL_START",
                    "missing",
                    "an RNE L episode that ends its placement needs the DECOM of the episode "
                    "the placement began in",
                )
            ]
        return []
    if started > record.DECOM:
        return [_problem("PL_START", "date_order", "is after DECOM")]
    return []


def _episode_location(record: Ssda903Episode, context: AdapterContext) -> list[RecordProblem]:
    if context.la_code is None:
        return [
            _problem(
                "(context).la_code",
                "missing",
                "the adapter needs its LA code: it is the placing authority",
            )
        ]
    if record.confidential or record.PL_LA is None or record.PL_LOCATION is None:
        return []
    if (record.PL_LOCATION == "OUT") != is_out_of_area(context.la_code, record.PL_LA):
        return [_problem("PL_LOCATION", "conflict", "contradicts PL_LA")]
    return []


def _episode_se_risk(record: Ssda903Episode) -> list[RecordProblem]:
    if record.SE_RISK is None:
        return [_problem("SE_RISK", "missing", "a placement start must say Y or N")]
    if not record.SE_RISK:
        return []
    return [
        _problem(field, "missing", "with SE_RISK Y, say Y or N")
        for field in ("RISK_ASSESSMENT_AVAILABLE", "CARE_PLAN_AVAILABLE")
        if getattr(record, field) is None
    ]


def _assessment(record: CinAssessment, context: AdapterContext) -> list[RecordProblem]:
    started, authorised = record.AssessmentActualStartDate, record.AssessmentAuthorisationDate
    problems = _in_future(
        context,
        {
            "PersonBirthDate": record.PersonBirthDate,
            "AssessmentActualStartDate": started,
            "AssessmentAuthorisationDate": authorised,
        },
    )
    if authorised is not None and authorised < started:
        problems.append(
            _problem(
                "AssessmentAuthorisationDate", "end_before_start", "is before the assessment began"
            )
        )
    if record.UPN is not None and record.UPNunknown is not None:
        problems.append(_problem("UPNunknown", "conflict", "give either UPN or UPNunknown"))
    problems += _cin_sex(record, context)
    year = _codes.collection_year(authorised or started)
    if not _codes.legacy_factors_allowed(year):
        problems += [
            _problem(
                f"AssessmentFactors.{index}",
                "code_not_in_collection_year",
                f"18A and 19A are not valid in {_codes.year_label(year)}: "
                "use 18B/18C or 19B/19C (from 2020/21)",
            )
            for index, factor in enumerate(record.AssessmentFactors)
            if factor in _codes.LEGACY_CIN_FACTORS
        ]
    return problems


def _cin_sex(record: CinAssessment, context: AdapterContext) -> list[RecordProblem]:
    if record.Sex is not None and record.GenderCurrent is not None:
        return [_problem("GenderCurrent", "conflict", "give either Sex or GenderCurrent")]
    year = _codes.collection_year(today(context))
    label = _codes.year_label(year)
    if _codes.new_sex_coding(year) and record.GenderCurrent is not None:
        return [
            _problem(
                "GenderCurrent",
                "code_not_in_collection_year",
                f"the {label} return records sex in Sex (M/F/U), from 2024/25",
            )
        ]
    if not _codes.new_sex_coding(year) and record.Sex is not None:
        return [
            _problem(
                "Sex",
                "code_not_in_collection_year",
                f"the {label} return records sex in GenderCurrent (0/1/2/9), up to 2023/24",
            )
        ]
    return []


def _checklist(record: VulnerabilityChecklist, context: AdapterContext) -> list[RecordProblem]:
    problems = checklist_problems(record, CHECKLIST_FIELDS, today(context))
    return problems + _sex_for_year("SEX", record.SEX, context, _codes.SEX_903_OLD)
