"""Children's services: SSDA903 episodes as placements started and ended, and their location."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from adapters import AdapterContext
from adapters.children_services import placement_episode_id
from tests.unit.adapters.test_children_services import (
    BAD_NHS_NUMBER,
    BAD_UPN,
    CONTEXT,
    DROP,
    NOW,
    OTHER_NHS_NUMBER,
    OTHER_UPN,
    PLACEMENT_ENDED,
    PLACEMENT_STARTED,
    as_json,
    episode,
    failure,
    mapped,
    problems,
)
from tests.unit.builders import ADAPTER_ID_KEY

LOCATION_FIELDS = ("host_la", "out_of_area", "placement_postcode", "distance_miles", "urn")


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        pytest.param(
            episode(),
            {
                "placing_la": "929",
                "host_la": "929",
                "out_of_area": False,
                "confidential": False,
                "placement_type": "U4",
                "provider": "PR1",
                "legal_status": "C2",
                "started_on": "2026-11-02",
                "placement_postcode": "NE65 0ZZ",
                "distance_miles": 7.4,
                "urn": "SC123456",
                "se_risk": False,
            },
            id="in-area",
        ),
        pytest.param(
            episode(PL_LA="391", PL_LOCATION="OUT", PL_POST="ne1 1zz", PL_DISTANCE="21.9"),
            {"host_la": "391", "out_of_area": True, "placement_postcode": "NE1 1ZZ"},
            id="out-of-area-newcastle",
        ),
        pytest.param(
            episode(PL_LA="WAL", PL_LOCATION=DROP, PL_POST="LL11 1ZZ", PL_DISTANCE="190.2"),
            {"host_la": "WAL", "out_of_area": True, "distance_miles": 190.2},
            id="wales-is-out-of-area",
        ),
        pytest.param(
            episode(PL_LA="NUK", PL_LOCATION="OUT", PL_POST=DROP, PL_DISTANCE="999.9"),
            {"host_la": "NUK", "out_of_area": True, "placement_postcode": None},
            id="outside-the-uk",
        ),
        pytest.param(
            episode(PL_LA=DROP, PL_LOCATION="OUT"),
            {"host_la": None, "out_of_area": True},
            id="location-without-la",
        ),
        pytest.param(
            episode(PL_LA=DROP, PL_LOCATION="IN"),
            {"host_la": None, "out_of_area": False},
            id="in-without-la",
        ),
        pytest.param(
            episode(PL_LA=DROP, PL_LOCATION=DROP, PL_DISTANCE=DROP),
            {"host_la": None, "out_of_area": None, "distance_miles": None},
            id="location-unknown",
        ),
        pytest.param(
            episode(PLACE=DROP, PL="U4"),
            {"placement_type": "U4"},
            id="xml-name-PL",
        ),
        pytest.param(
            episode(RNE="s", LS="v2", PLACE="u6", PLACE_PROVIDER="pr4", PL_LOCATION="in"),
            {"placement_type": "U6", "legal_status": "V2", "provider": "PR4"},
            id="codes-in-any-case",
        ),
        pytest.param(
            episode(SE_RISK="Y", RISK_ASSESSMENT_AVAILABLE="Y", CARE_PLAN_AVAILABLE="N"),
            {"se_risk": True, "risk_assessment_available": True, "care_plan_available": False},
            id="se-risk-with-plans",
        ),
        pytest.param(
            episode(DECOM="2026-11-02", DOB="2010-07-19"),
            {"started_on": "2026-11-02"},
            id="iso-dates",
        ),
    ],
)
def test_new_placement_episode_starts_a_placement(
    record: dict[str, Any], expected: dict[str, Any]
) -> None:
    """An open episode with RNE S/P/T/B/U is a placement started, located from PL_LA; the child
    lives where placed (the council's own LA if PL_LA is unknown) and the council is responsible."""
    (event,) = mapped(record)
    data = as_json(event)["data"]

    assert event.type == PLACEMENT_STARTED
    assert {key: data.get(key) for key in expected} == expected
    assert event.episodeid == placement_episode_id(CONTEXT, "NCC100871", date(2026, 11, 2))
    assert data["person"] == {
        "local_id": "NCC100871",
        "nhs_number": OTHER_NHS_NUMBER,
        "upn": OTHER_UPN,
        "date_of_birth": "2010-07-19",
        "sex": "F",
        "resident_la": data.get("host_la") or "929",
        "responsible_la": "929",
    }


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="started"),
        pytest.param({"DEC": "20/11/2026", "REC": "E4A"}, id="ended"),
    ],
)
def test_confidential_placement_carries_no_location_at_all(changes: dict[str, Any]) -> None:
    """PL_LA = CON: confidential, with no host LA, out-of-area flag, postcode, distance or URN."""
    record = episode(PL_LA="CON", PL_LOCATION="OUT", PL_POST="CA1 1ZZ", **changes)

    (event,) = mapped(record)
    data = as_json(event)["data"]

    assert data["confidential"] is True
    assert [field for field in LOCATION_FIELDS if field in data] == []
    assert "CA1 1ZZ" not in json.dumps(as_json(event))


def test_home_postcode_is_never_passed_on() -> None:
    """HOME_POST (the child's home) appears nowhere in a started or ended placement."""
    events = mapped(episode()) + mapped(episode(DEC="20/11/2026", REC="E4A"))

    assert len(events) == 2
    assert all("NE61 1ZZ" not in json.dumps(as_json(event)) for event in events)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"DEC": "20/11/2026", "REC": "E4A"},
            {"ended_on": "2026-11-20", "reason_ceased": "E4A", "reason_place_change": None},
            id="left-care",
        ),
        pytest.param(
            {"DEC": "20/11/2026", "REC": "X1", "REASON_PLACE_CHANGE": "CREQB"},
            {"ended_on": "2026-11-20", "reason_ceased": "X1", "reason_place_change": "CREQB"},
            id="placement-changed",
        ),
        pytest.param(
            {"PLACE": "T4", "PLACE_PROVIDER": "PR4", "DEC": "05/11/2026", "REC": "X1"},
            {"ended_on": "2026-11-05", "placement_type": "T4"},
            id="temporary-placement-over",
        ),
        pytest.param(
            {"DEC": "02/11/2026", "REC": "E8", "PL_LA": "WAL", "PL_LOCATION": "OUT"},
            {"started_on": "2026-11-02", "ended_on": "2026-11-02", "out_of_area": True},
            id="same-day-out-of-area",
        ),
    ],
)
def test_ceased_placement_episode_ends_the_placement(
    changes: dict[str, Any], expected: dict[str, Any]
) -> None:
    """DEC ends the placement (REC, REASON_PLACE_CHANGE), in the episode that started it."""
    (event,) = mapped(episode(**changes))
    data = as_json(event)["data"]

    assert event.type == PLACEMENT_ENDED
    assert {key: data.get(key) for key in expected} == expected
    assert event.episodeid == mapped(episode())[0].episodeid
    assert "se_risk" not in data


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(episode(RNE="L"), id="legal-status-change-only"),
        pytest.param(
            episode(RNE="L", DEC="20/11/2026", REC="X1"),
            id="legal-status-episode-followed-by-another",
        ),
        pytest.param(
            episode(DEC="20/11/2026", REC="X1"),
            id="x1-without-reason-so-legal-status-changes-next",
        ),
    ],
)
def test_no_placement_change_sends_nothing(record: dict[str, Any]) -> None:
    """A legal-status-only episode (RNE L), or one followed by one, changes no placement."""
    assert mapped(record) == []


@pytest.mark.parametrize(
    ("place", "decom", "provider"),
    [
        pytest.param("K3", "01/04/2024", "PR4", id="K3-from-2024-25"),
        pytest.param("H5", "31/03/2025", "PR4", id="H5-until-2024-25"),
        pytest.param("P2", "15/10/2024", "PR4", id="P2-until-2024-25"),
        pytest.param("Z1", "31/03/2025", DROP, id="Z1-until-2024-25"),
        pytest.param("Z11", "01/04/2025", DROP, id="Z11-from-2025-26"),
        pytest.param("Z14", "28/11/2026", DROP, id="Z14-in-2026-27"),
        pytest.param("U6", "01/01/2019", "PR1", id="U6-every-year"),
    ],
)
def test_placement_type_valid_in_its_collection_year_is_accepted(
    place: str, decom: str, provider: object
) -> None:
    """PLACE is checked against the list of the collection year DECOM falls in."""
    (event,) = mapped(episode(PLACE=place, DECOM=decom, PLACE_PROVIDER=provider))

    assert as_json(event)["data"]["placement_type"] == place


@pytest.mark.parametrize(
    ("field", "place", "decom", "year"),
    [
        pytest.param("PLACE", "K3", "31/03/2024", "2023/24", id="K3-in-2023-24"),
        pytest.param("PLACE", "Z11", "15/01/2025", "2024/25", id="Z11-in-2024-25"),
        pytest.param("PLACE", "P2", "01/04/2025", "2025/26", id="P2-in-2025-26"),
        pytest.param("PLACE", "H5", "02/04/2025", "2025/26", id="H5-in-2025-26"),
        pytest.param("PL", "Z1", "01/06/2026", "2026/27", id="Z1-in-2026-27-xml-name"),
    ],
)
def test_placement_type_of_another_year_is_an_error_naming_the_year(
    field: str, place: str, decom: str, year: str
) -> None:
    """A PLACE code from another collection year is refused at PLACE (or PL), naming the year."""
    record = episode(**{"PLACE": DROP, "DECOM": decom, "PLACE_PROVIDER": DROP, field: place})

    (problem,) = failure(record).problems

    assert (problem.field, problem.rule) == (field, "code_not_in_collection_year")
    assert year in problem.message


NO_LA_CODE = AdapterContext(id_key=ADAPTER_ID_KEY, agency_id=CONTEXT.agency_id, now=NOW)


@pytest.mark.parametrize(
    ("record", "context", "expected"),
    [
        pytest.param(episode(PLACE="Q9"), CONTEXT, {("PLACE", "unknown_code")}, id="PLACE-Q9"),
        pytest.param(episode(PLACE=DROP, PL="Q9"), CONTEXT, {("PL", "unknown_code")}, id="PL-Q9"),
        pytest.param(
            episode(PL="U4"),
            CONTEXT,
            {("(unknown field #1)", "extra_forbidden")},
            id="both-PLACE-and-PL",
        ),
        pytest.param(episode(PLACE=DROP), CONTEXT, {("PLACE", "missing")}, id="no-PLACE"),
        pytest.param(episode(RNE="X"), CONTEXT, {("RNE", "unknown_code")}, id="RNE"),
        pytest.param(episode(LS="C9"), CONTEXT, {("LS", "unknown_code")}, id="LS"),
        pytest.param(episode(CIN="N9"), CONTEXT, {("CIN", "unknown_code")}, id="CIN"),
        pytest.param(
            episode(DEC="20/11/2026", REC="E99"), CONTEXT, {("REC", "unknown_code")}, id="REC"
        ),
        pytest.param(
            episode(PL_LOCATION="IN", PL_LA="391"),
            CONTEXT,
            {("PL_LOCATION", "conflict")},
            id="newcastle-marked-in",
        ),
        pytest.param(
            episode(PL_LOCATION="OUT"),
            CONTEXT,
            {("PL_LOCATION", "conflict")},
            id="northumberland-marked-out",
        ),
        pytest.param(
            episode(PL_LA="WAL", PL_LOCATION="IN"),
            CONTEXT,
            {("PL_LOCATION", "conflict")},
            id="wales-marked-in",
        ),
        pytest.param(episode(PL_LA="ENG"), CONTEXT, {("PL_LA", "unknown_code")}, id="PL_LA"),
        pytest.param(
            episode(SE_RISK="Y"),
            CONTEXT,
            {("RISK_ASSESSMENT_AVAILABLE", "missing"), ("CARE_PLAN_AVAILABLE", "missing")},
            id="se-risk-without-plans",
        ),
        pytest.param(
            episode(SE_RISK=DROP), CONTEXT, {("SE_RISK", "missing")}, id="start-without-se-risk"
        ),
        pytest.param(
            episode(DEC="01/11/2026", REC="E4A"),
            CONTEXT,
            {("DEC", "end_before_start")},
            id="ends-before-it-starts",
        ),
        pytest.param(
            episode(DEC="20/11/2026"), CONTEXT, {("REC", "missing")}, id="ceased-without-reason"
        ),
        pytest.param(
            episode(REC="E4A", REASON_PLACE_CHANGE="CARPL"),
            CONTEXT,
            {("REC", "not_applicable"), ("REASON_PLACE_CHANGE", "not_applicable")},
            id="reasons-without-ceasing",
        ),
        pytest.param(
            episode(PLACE="T1"),
            CONTEXT,
            {("PLACE_PROVIDER", "not_applicable")},
            id="provider-for-hospital-stay",
        ),
        pytest.param(
            episode(PL_POST="NOT A CODE"), CONTEXT, {("PL_POST", "invalid_postcode")}, id="post"
        ),
        pytest.param(episode(URN="12345"), CONTEXT, {("URN", "invalid_urn")}, id="URN"),
        pytest.param(
            episode(PL_DISTANCE="1000"),
            CONTEXT,
            {("PL_DISTANCE", "less_than_equal")},
            id="distance-over-999.9",
        ),
        pytest.param(
            episode(DECOM="20/11/2026", DEC="30/11/2026", REC="E4A"),
            CONTEXT,
            {("DEC", "date_in_future")},
            id="ends-in-future",
        ),
        pytest.param(
            episode(RNE="L", DECOM="30/11/2026"),
            CONTEXT,
            {("DECOM", "date_in_future")},
            id="legal-status-changes-in-future",
        ),
        pytest.param(
            episode(NHS_NUMBER=BAD_NHS_NUMBER),
            CONTEXT,
            {("NHS_NUMBER", "invalid_nhs_number")},
            id="invalid-nhs-number",
        ),
        pytest.param(episode(UPN=BAD_UPN), CONTEXT, {("UPN", "invalid_upn")}, id="invalid-upn"),
        pytest.param(
            episode(), NO_LA_CODE, {("(context).la_code", "missing")}, id="adapter-without-la"
        ),
    ],
)
def test_invalid_episode_reports_every_problem(
    record: dict[str, Any], context: AdapterContext, expected: set[tuple[str, str]]
) -> None:
    """A refused 903 episode names each field at fault with the rule it broke."""
    assert problems(record, context) == expected
