"""Children's services adapter: its surface, ids, the shipped example, the 903 header, privacy.

The helpers here build realistic synthetic native records; the sibling test files for missing
episodes, placements and CIN assessments import them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import pytest

from adapters import AdapterContext, MappingFailed, derive_id, map_records
from adapters import children_services as codes
from adapters.children_services import ADAPTER, missing_episode_id
from schemas import PLACEMENT_TYPES, Notification, notification_adapter
from tests.unit.builders import ADAPTER_ID_KEY, REPO_ROOT, upn_from

AGENCY = "northumberland-childrens"
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
CONTEXT = AdapterContext(id_key=ADAPTER_ID_KEY, agency_id=AGENCY, now=NOW, la_code="929")
CONTEXT_2023 = AdapterContext(
    id_key=ADAPTER_ID_KEY,
    agency_id=AGENCY,
    now=datetime(2023, 6, 1, 9, 0, tzinfo=UTC),
    la_code="929",
)
EXAMPLE = REPO_ROOT / "docs" / "examples" / "native" / "children_services.json"

NHS_NUMBER = "9434765919"
OTHER_NHS_NUMBER = "9434765927"
BAD_NHS_NUMBER = "9434765918"
UPN = upn_from(929, "260100012")
OTHER_UPN = upn_from(929, "261400045")
BAD_UPN = "R247962919251"  # check letter should be Q

STARTED = "uk.sehub.missing_episode.started.v1"
ENDED = "uk.sehub.missing_episode.ended.v1"
INTERVIEW = "uk.sehub.return_interview.recorded.v1"
PLACEMENT_STARTED = "uk.sehub.placement.started.v1"
PLACEMENT_ENDED = "uk.sehub.placement.ended.v1"
SE_RISK = "uk.sehub.se_risk.assessed.v1"

DROP = object()  # an override value that removes the field


def _with(base: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    record = dict(base)
    for key, value in changes.items():
        if value is DROP:
            record.pop(key, None)
        else:
            record[key] = value
    return record


def header(**changes: Any) -> dict[str, Any]:
    """A valid 2026 SSDA903 Header row."""
    base = {
        "record_type": "ssda903_header",
        "CHILD": "NCC100234",
        "SEX": "F",
        "DOB": "14/03/2011",
        "ETHNIC": "WBRI",
        "UPN": UPN,
        "MOTHER": "0",
        "MC_DOB": "",
    }
    return _with(base, changes)


def missing(**changes: Any) -> dict[str, Any]:
    """A valid open SSDA903 Missing row (M, started 21/11/2026) with held identifiers."""
    base = {
        "record_type": "ssda903_missing",
        "CHILD": "NCC100234",
        "DOB": "14/03/2011",
        "MISSING": "M",
        "MIS_START": "21/11/2026",
        "MIS_END": "",
        "UPN": UPN,
        "NHS_NUMBER": NHS_NUMBER,
        "SEX": "F",
    }
    return _with(base, changes)


def interview(**changes: Any) -> dict[str, Any]:
    """A valid completed return interview for the missing episode of ``missing()``."""
    base = {
        "record_type": "return_interview",
        "CHILD": "NCC100234",
        "MIS_START": "21/11/2026",
        "miss_missing_rhi_offered": "Y",
        "miss_missing_rhi_accepted": "Y",
        "RHI_OFFERED_DATE": "23/11/2026",
        "RHI_COMPLETED_DATE": "25/11/2026",
        "RHI_ATTEMPTS": [
            {"date": "24/11/2026", "method": "phone", "reached": "N"},
            {"date": "25/11/2026", "method": "visit", "reached": "Y"},
        ],
        "RHI_SE_RISK_IDENTIFIED": "Y",
        "RHI_CONDUCTED_BY": "independent_worker",
    }
    return _with(base, changes)


def episode(**changes: Any) -> dict[str, Any]:
    """A valid open 903 episode: a change of placement to in-area foster care, no SE risk."""
    base = {
        "record_type": "ssda903_episode",
        "CHILD": "NCC100871",
        "DECOM": "02/11/2026",
        "RNE": "P",
        "LS": "C2",
        "CIN": "N1",
        "PLACE": "U4",
        "PLACE_PROVIDER": "PR1",
        "DEC": "",
        "REC": "",
        "REASON_PLACE_CHANGE": "",
        "HOME_POST": "NE61 1ZZ",
        "PL_POST": "NE65 0ZZ",
        "URN": "SC123456",
        "PL_LA": "929",
        "PL_LOCATION": "IN",
        "PL_DISTANCE": "7.4",
        "SE_RISK": "N",
        "NHS_NUMBER": OTHER_NHS_NUMBER,
        "UPN": OTHER_UPN,
        "DOB": "19/07/2010",
        "SEX": "F",
    }
    return _with(base, changes)


def assessment(**changes: Any) -> dict[str, Any]:
    """A valid authorised CIN census assessment identifying CSE (11A) and missing (10A)."""
    base = {
        "record_type": "cin_assessment",
        "LAchildID": "NCC100871",
        "UPN": OTHER_UPN,
        "PersonBirthDate": "2010-07-19",
        "Sex": "F",
        "AssessmentActualStartDate": "2026-10-05",
        "AssessmentAuthorisationDate": "2026-11-02",
        "AssessmentFactors": ["2A", "10A", "11A"],
    }
    return _with(base, changes)


def checklist(**changes: Any) -> dict[str, Any]:
    """A valid vulnerability checklist: score 3 (high), RMG added, a plan, review in January."""
    base = {
        "record_type": "vulnerability_checklist",
        "CHILD": "NCC100234",
        "DOB": "14/03/2011",
        "VCL_DATE": "25/11/2026",
        "VCL_SCORE": "3",
        "VCL_JUDGEMENT": "",
        "VCL_JUDGEMENT_REASON": "",
        "RMG_STATUS": "added",
        "VCL_REVIEW_DATE": "06/01/2027",
        "PLAN_IN_PLACE": "Y",
        "VCL_MARKERS": "sexual_exploitation;missing",
        "UPN": UPN,
        "NHS_NUMBER": NHS_NUMBER,
        "SEX": "F",
    }
    return _with(base, changes)


def mapped(record: Mapping[str, Any], context: AdapterContext = CONTEXT) -> list[Notification]:
    """The notifications the adapter makes of one record."""
    return ADAPTER.map_record(record, context)


def as_json(notification: Notification) -> dict[str, Any]:
    """The notification as the JSON a recipient would see (absent fields left out)."""
    dumped: dict[str, Any] = json.loads(
        notification_adapter.dump_json(notification, exclude_none=True)
    )
    return dumped


def failure(record: Mapping[str, Any], context: AdapterContext = CONTEXT) -> MappingFailed:
    """The failure the adapter raises for a record it refuses."""
    with pytest.raises(MappingFailed) as caught:
        ADAPTER.map_record(record, context)
    return caught.value


def problems(record: Mapping[str, Any], context: AdapterContext = CONTEXT) -> set[tuple[str, str]]:
    """The (field, rule) pairs of a refused record."""
    return {(problem.field, problem.rule) for problem in failure(record, context).problems}


# --- the adapter's surface ----------------------------------------------------------------------


def test_adapter_names_its_kind_and_record_types() -> None:
    """ADAPTER is the children_services adapter for exactly the six native record types."""
    assert ADAPTER.kind == "children_services"
    assert ADAPTER.record_types == {
        "ssda903_header",
        "ssda903_missing",
        "return_interview",
        "ssda903_episode",
        "cin_assessment",
        "vulnerability_checklist",
    }


def test_unknown_record_type_is_refused_at_record_type() -> None:
    """A record_type the adapter does not know is an ``unknown_record_type`` problem."""
    assert problems({"record_type": "ssda903_reviews", "CHILD": "NCC1"}) == {
        ("record_type", "unknown_record_type")
    }


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(header(COLOUR="red"), id="header"),
        pytest.param(missing(COLOUR="red"), id="missing"),
        pytest.param(interview(COLOUR="red"), id="return-interview"),
        pytest.param(episode(COLOUR="red"), id="episode"),
        pytest.param(assessment(COLOUR="red"), id="cin-assessment"),
        pytest.param(checklist(COLOUR="red"), id="vulnerability-checklist"),
    ],
)
def test_unknown_field_is_an_error_naming_it(record: dict[str, Any]) -> None:
    """A field the spec does not define is refused as ``extra_forbidden``, never by its name."""
    assert problems(record) == {("(unknown field #1)", "extra_forbidden")}


def test_placement_codes_by_year_cover_exactly_the_canonical_placement_types() -> None:
    """Every 903 PLACE code of any year is a canonical placement type, and none is missing."""
    by_year = set().union(*(codes.placement_types_for(year) for year in range(2015, 2030)))

    assert by_year == PLACEMENT_TYPES == codes.ALL_PLACEMENT_TYPES


def test_collection_years_run_from_april_to_march() -> None:
    """31 March belongs to the year before; 1 April starts the next (2024 is 2024/25)."""
    assert codes.collection_year(date(2025, 3, 31)) == 2024
    assert codes.collection_year(date(2025, 4, 1)) == 2025
    assert codes.year_label(2024) == "2024/25"
    assert codes.year_label(2099) == "2099/00"


# --- ids ----------------------------------------------------------------------------------------


def _example_records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return records


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(missing(), id="missing-open"),
        pytest.param(missing(MIS_END="23/11/2026"), id="missing-ended"),
        pytest.param(interview(), id="return-interview"),
        pytest.param(episode(), id="placement-started"),
        pytest.param(episode(DEC="20/11/2026", REC="E4A"), id="placement-ended"),
        pytest.param(assessment(), id="cin-assessment"),
        pytest.param(checklist(), id="vulnerability-checklist"),
    ],
)
def test_same_record_twice_gives_the_same_event_ids(record: dict[str, Any]) -> None:
    """Posting the same record twice gives identical events, ids included."""
    first, second = mapped(record), mapped(dict(record))

    assert [event.id for event in first] == [event.id for event in second]
    assert first == second
    assert all(event.id.startswith("cs-") for event in first)


def test_a_corrected_record_is_a_new_event_in_the_same_episode() -> None:
    """Re-coding an open episode from away (A) to missing (M) gives a new id, same episode."""
    (away,) = mapped(missing(MISSING="A"))
    (gone,) = mapped(missing(MISSING="M"))

    assert away.id != gone.id
    assert (
        away.episodeid
        == gone.episodeid
        == missing_episode_id(CONTEXT, "NCC100234", date(2026, 11, 21))
    )


def test_ids_differ_between_agencies_for_the_same_record() -> None:
    """Two agencies' records with the same local ids never share an event or episode id."""
    other = AdapterContext(
        id_key=ADAPTER_ID_KEY, agency_id="northumberland-adults", now=NOW, la_code="929"
    )

    (ours,), (theirs,) = mapped(missing()), mapped(missing(), other)

    assert ours.id != theirs.id
    assert ours.episodeid != theirs.episodeid
    assert ours.episodeid == derive_id(ADAPTER_ID_KEY, "mis", AGENCY, "NCC100234", "2026-11-21")


def test_envelope_carries_source_time_and_content_type() -> None:
    """The envelope names the agency's source, the context's time and JSON content."""
    (event,) = mapped(missing())

    assert event.source == "urn:sehub:agency:northumberland-childrens"
    assert event.time == NOW
    assert event.specversion == "1.0"
    assert event.datacontenttype == "application/json"
    assert event.subject is None


# --- the shipped example ------------------------------------------------------------------------


def test_shipped_example_maps_to_the_expected_notifications() -> None:
    """docs/examples/native/children_services.json maps whole, to one event per non-header row."""
    notifications = map_records(ADAPTER, _example_records(), CONTEXT)

    assert [event.type for event in notifications] == [
        ENDED,
        INTERVIEW,
        PLACEMENT_STARTED,
        SE_RISK,
        SE_RISK,
        STARTED,
    ]


def test_map_records_locates_problems_by_record_index() -> None:
    """A failing record inside a batch is reported as records[i].FIELD, with the others' too."""
    records = [missing(), missing(MIS_END="01/01/2026"), episode(PLACE="Q9")]

    with pytest.raises(MappingFailed) as caught:
        map_records(ADAPTER, records, CONTEXT)

    assert {(p.field, p.rule) for p in caught.value.problems} == {
        ("records[1].MIS_END", "ssda903_567"),
        ("records[2].PLACE", "unknown_code"),
    }


# --- SSDA903 header -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "context"),
    [
        pytest.param(header(), CONTEXT, id="2026-sex-F"),
        pytest.param(header(SEX="u"), CONTEXT, id="sex-code-any-case"),
        pytest.param(header(UPN="UN4"), CONTEXT, id="upn-unknown-newly-looked-after"),
        pytest.param(header(MOTHER="1", MC_DOB="02/05/2026"), CONTEXT, id="child-is-a-mother"),
        pytest.param(header(SEX="2"), CONTEXT_2023, id="2023-24-sex-2"),
        pytest.param(header(DOB="2011-03-14"), CONTEXT, id="iso-date"),
    ],
)
def test_valid_header_is_accepted_and_sends_nothing(
    record: dict[str, Any], context: AdapterContext
) -> None:
    """A well-formed 903 Header row is identity only: it maps to no notification."""
    assert mapped(record, context) == []


@pytest.mark.parametrize(
    ("record", "context", "expected"),
    [
        pytest.param(
            header(SEX="1"), CONTEXT, {("SEX", "code_not_in_collection_year")}, id="1-in-2026"
        ),
        pytest.param(
            header(SEX="M"), CONTEXT_2023, {("SEX", "code_not_in_collection_year")}, id="M-in-2023"
        ),
        pytest.param(header(SEX="X"), CONTEXT, {("SEX", "unknown_code")}, id="unknown-sex"),
        pytest.param(header(UPN=BAD_UPN), CONTEXT, {("UPN", "invalid_upn")}, id="invalid-upn"),
        pytest.param(header(UPN="UN6"), CONTEXT, {("UPN", "invalid_upn")}, id="un6-is-cin-only"),
        pytest.param(header(UPN=""), CONTEXT, {("UPN", "missing")}, id="blank-upn"),
        pytest.param(header(ETHNIC="XXXX"), CONTEXT, {("ETHNIC", "unknown_code")}, id="ethnic"),
        pytest.param(
            header(MOTHER="1", MC_DOB="01/01/2010"),
            CONTEXT,
            {("MC_DOB", "date_order")},
            id="mothers-child-born-first",
        ),
        pytest.param(
            header(DOB="01/12/2026"), CONTEXT, {("DOB", "date_in_future")}, id="unborn-dob"
        ),
        pytest.param(
            header(DOB=DROP, CHILD=""),
            CONTEXT,
            {("DOB", "missing"), ("CHILD", "missing")},
            id="blank-and-absent-are-missing",
        ),
    ],
)
def test_invalid_header_reports_every_problem(
    record: dict[str, Any], context: AdapterContext, expected: set[tuple[str, str]]
) -> None:
    """A header is validated even though it sends nothing; problems name the 903 field."""
    assert problems(record, context) == expected


def test_wrong_year_sex_message_names_the_collection_year() -> None:
    """The wrong-year SEX message says which return's coding applies."""
    (problem,) = failure(header(SEX="1")).problems

    assert "2026/27" in problem.message


# --- no personal data in problems ---------------------------------------------------------------

PLANTED = (
    "NCC999111",
    BAD_NHS_NUMBER,
    BAD_UPN,
    "NE61 1ZZ",
    "XX9 9XX",
    "Synthetic refusal",
    "14/03/2011",
    "2011-03-14",
)


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(
            missing(CHILD=PLANTED[0], NHS_NUMBER=PLANTED[1], UPN=PLANTED[2], MIS_END="01/01/2020"),
            id="missing",
        ),
        pytest.param(
            interview(
                CHILD=PLANTED[0],
                NHS_NUMBER=PLANTED[1],
                miss_missing_rhi_accepted="N",
                RHI_ANALYSIS=PLANTED[5],
                RHI_PLACES=[{"kind": "hotel", "description": PLANTED[5], "area": "NE1"}],
            ),
            id="return-interview",
        ),
        pytest.param(
            episode(
                CHILD=PLANTED[0], UPN=PLANTED[2], HOME_POST=PLANTED[3] + "?", PL_POST=PLANTED[4]
            ),
            id="episode",
        ),
        pytest.param(
            assessment(LAchildID=PLANTED[0], UPN=PLANTED[2], PersonBirthDate="31/02/2010"),
            id="cin-assessment",
        ),
        pytest.param(
            checklist(
                CHILD=PLANTED[0],
                DOB=PLANTED[6],
                VCL_DATE="01/01/2011",
                VCL_JUDGEMENT_REASON=PLANTED[5],
                VCL_MARKERS=PLANTED[5],
            ),
            id="vulnerability-checklist",
        ),
    ],
)
def test_no_personal_value_appears_in_any_problem(record: dict[str, Any]) -> None:
    """Problem fields and messages never echo the ids, numbers, postcodes or text planted."""
    failed = failure(record)

    assert failed.problems
    text = " ".join(f"{p.field} {p.rule} {p.message}" for p in failed.problems) + str(failed)
    assert [value for value in PLANTED if value in text] == []
