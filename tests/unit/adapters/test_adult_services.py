"""Adult services adapter: safeguarding enquiry records (SAC labels) to canonical notifications."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters import AdapterContext, adult_services, derive_id, map_records
from adapters.adult_services import ADAPTER
from schemas import ConcernRaised, ExploitationMarkers, Notification, SeRiskAssessed, Sex
from tests.unit.builders import ADAPTER_ID_KEY, ADULTS, POLICE

REPO_ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = REPO_ROOT / "docs" / "examples" / "native" / "adult_services.json"

CONCERN = "uk.sehub.concern.raised.v1"
ASSESSED = "uk.sehub.se_risk.assessed.v1"

CONTEXT = AdapterContext(
    id_key=ADAPTER_ID_KEY,
    agency_id=ADULTS,
    now=datetime(2026, 11, 29, 9, 0, tzinfo=UTC),
    la_code="929",
)
NHS_NUMBER = "9434765919"
PERSON_ID = "ASC-0099173"
ENQUIRY_REF = "SGE-2026-00511"
DROP = object()


def open_enquiry(**overrides: Any) -> dict[str, Any]:
    """A Section 42 enquiry about sexual exploitation, started but not concluded."""
    record: dict[str, Any] = {
        "record_type": "safeguarding_enquiry",
        "person_id": PERSON_ID,
        "nhs_number": NHS_NUMBER,
        "dob": "14/06/2003",
        "gender": "Female",
        "ethnicity": "White",
        "primary_support_reason": "Learning Disability Support",
        "concern_date": "03/11/2026",
        "enquiry_type": "Section 42",
        "enquiry_start": "06/11/2026",
        "type_of_risk": ["Sexual Exploitation"],
        "location_of_risk": "In the Community",
        "source_of_risk": ["Other - Unknown to individual"],
        "lacked_capacity": "No, they did not lack capacity",
        "msp_asked": "Yes they were asked and outcomes were expressed",
        "enquiry_ref": ENQUIRY_REF,
        "summary": "Synthetic: offered lifts and cannabis by older men outside a takeaway.",
    }
    record.update(overrides)
    return {key: value for key, value in record.items() if value is not DROP}


def concluded_enquiry(**overrides: Any) -> dict[str, Any]:
    """The same enquiry concluded: risk identified, action taken, risk reduced."""
    conclusion: dict[str, Any] = {
        "enquiry_concluded": "27/11/2026",
        "action_and_result": "Risk identified and action taken",
        "risk_outcome": "Risk reduced",
        "msp_outcomes_achieved": "Partially Achieved",
    }
    return open_enquiry(**(conclusion | overrides))


def _true_markers(markers: ExploitationMarkers) -> frozenset[str]:
    return frozenset(name for name, value in markers.model_dump().items() if value)


def summary(notification: Notification) -> tuple[object, ...]:
    """The key mapped fields of one notification, for table comparison."""
    if isinstance(notification, ConcernRaised):
        concern = notification.data
        markers = _true_markers(concern.markers)
        return (
            "concern",
            concern.referral,
            concern.grading.value,
            markers,
            concern.vulnerability_types,
        )
    assert isinstance(notification, SeRiskAssessed)
    risk = notification.data
    markers = _true_markers(risk.markers)
    return ("assessed", risk.assessed_on, risk.risk_level.value, risk.risk_outcome, markers)


SE = frozenset({"sexual_exploitation"})
MS = frozenset({"trafficking_modern_slavery"})
SA = frozenset({"sexual_abuse"})
SE_TYPES = ("Sexual Exploitation",)
STARTED_ON = date(2026, 11, 6)
CONCLUDED_ON = date(2026, 11, 27)

MAPPING_CASES: dict[str, tuple[dict[str, Any], list[tuple[object, ...]]]] = {
    "section 42 concluded with risk reduced: concern, started and concluded": (
        concluded_enquiry(),
        [
            ("concern", "referral", "high", SE, SE_TYPES),
            ("assessed", STARTED_ON, "high", None, SE),
            ("assessed", CONCLUDED_ON, "medium", "risk_reduced", SE),
        ],
    ),
    "section 42 open with only modern slavery": (
        open_enquiry(type_of_risk=["Modern Slavery"]),
        [
            ("concern", "referral", "high", MS, ("Modern Slavery",)),
            ("assessed", STARTED_ON, "high", None, MS),
        ],
    ),
    "section 42 not yet started, sexual abuse: concern only, graded medium": (
        open_enquiry(type_of_risk=["Sexual Abuse"], enquiry_start=DROP),
        [("concern", "referral", "medium", SA, ("Sexual Abuse",))],
    ),
    "other enquiry concluded: information-only concern, no assessment": (
        concluded_enquiry(enquiry_type="Other"),
        [("concern", "information_only", "high", SE, SE_TYPES)],
    ),
    "several types of risk: every exploitation marker, all labels in SAC order": (
        open_enquiry(
            type_of_risk=["Domestic Abuse", "Modern Slavery", "Sexual Abuse", "Sexual Exploitation"]
        ),
        [
            (
                "concern",
                "referral",
                "high",
                SE | MS | SA,
                ("Sexual Abuse", "Domestic Abuse", "Sexual Exploitation", "Modern Slavery"),
            ),
            ("assessed", STARTED_ON, "high", None, SE | MS | SA),
        ],
    ),
    "the LA's own grading wins over the derived one": (
        open_enquiry(grading="low", enquiry_start=""),
        [("concern", "referral", "low", SE, SE_TYPES)],
    ),
    "risk removed concludes low": (
        concluded_enquiry(risk_outcome="Risk removed"),
        [
            ("concern", "referral", "high", SE, SE_TYPES),
            ("assessed", STARTED_ON, "high", None, SE),
            ("assessed", CONCLUDED_ON, "low", "risk_removed", SE),
        ],
    ),
    "risk remained concludes high, even for sexual abuse alone": (
        concluded_enquiry(type_of_risk=["Sexual Abuse"], risk_outcome="Risk remained"),
        [
            ("concern", "referral", "medium", SA, ("Sexual Abuse",)),
            ("assessed", STARTED_ON, "medium", None, SA),
            ("assessed", CONCLUDED_ON, "high", "risk_remained", SA),
        ],
    ),
    "no risk identified concludes low with no outcome": (
        concluded_enquiry(
            action_and_result="No risk identified and no action taken", risk_outcome=DROP
        ),
        [
            ("concern", "referral", "high", SE, SE_TYPES),
            ("assessed", STARTED_ON, "high", None, SE),
            ("assessed", CONCLUDED_ON, "low", None, SE),
        ],
    ),
    "an inconclusive enquiry keeps the opening level": (
        concluded_enquiry(
            type_of_risk=["Sexual Abuse"],
            action_and_result="Risk Assessment inconclusive and action taken",
            risk_outcome=DROP,
        ),
        [
            ("concern", "referral", "medium", SA, ("Sexual Abuse",)),
            ("assessed", STARTED_ON, "medium", None, SA),
            ("assessed", CONCLUDED_ON, "medium", None, SA),
        ],
    ),
    "an enquiry ceased at the adult's request keeps the opening level": (
        concluded_enquiry(
            action_and_result="Enquiry ceased at individual's request and no action taken",
            risk_outcome=DROP,
            msp_outcomes_achieved="Not Achieved",
        ),
        [
            ("concern", "referral", "high", SE, SE_TYPES),
            ("assessed", STARTED_ON, "high", None, SE),
            ("assessed", CONCLUDED_ON, "high", None, SE),
        ],
    ),
    "no exploitation-relevant type of risk: nothing at all": (
        concluded_enquiry(type_of_risk=["Physical Abuse", "Neglect and Acts of Omission"]),
        [],
    ),
    "self-neglect and financial abuse, not started: nothing at all": (
        open_enquiry(type_of_risk=["Self-Neglect", "Financial or Material Abuse"]),
        [],
    ),
}


@pytest.mark.parametrize(
    ("record", "expected"), list(MAPPING_CASES.values()), ids=list(MAPPING_CASES)
)
def test_enquiry_maps_to_the_expected_notifications(
    record: dict[str, Any], expected: list[tuple[object, ...]]
) -> None:
    """Each enquiry gives exactly the expected canonical types with their key mapped fields."""
    notifications = ADAPTER.map_record(record, CONTEXT)

    assert [summary(n) for n in notifications] == expected
    assert [n.type for n in notifications] == [
        CONCERN if row[0] == "concern" else ASSESSED for row in expected
    ]


def test_concern_carries_origin_reference_date_and_summary() -> None:
    """The concern is an adult notification from a safeguarding enquiry, dated by the concern."""
    concern = ADAPTER.map_record(concluded_enquiry(), CONTEXT)[0]

    assert isinstance(concern, ConcernRaised)
    assert concern.data.subject.value == "adult"
    assert concern.data.origin == "safeguarding_enquiry"
    assert concern.data.reference == ENQUIRY_REF
    assert concern.data.raised_on == date(2026, 11, 3)
    assert concern.data.summary == open_enquiry()["summary"]
    assert concern.data.incident_at is None


def test_assessments_use_the_safeguarding_enquiry_method_and_no_checklist() -> None:
    """Both assessments say they came from a safeguarding enquiry, with no VCL score."""
    assessments = ADAPTER.map_record(concluded_enquiry(), CONTEXT)[1:]

    assert all(isinstance(a, SeRiskAssessed) for a in assessments)
    assert {a.data.method for a in assessments if isinstance(a, SeRiskAssessed)} == {
        "safeguarding_enquiry"
    }
    assert {a.data.checklist_score for a in assessments if isinstance(a, SeRiskAssessed)} == {None}


@pytest.mark.parametrize(
    ("gender", "sex"),
    [("Male", Sex.MALE), ("Female", Sex.FEMALE), ("Not Known", Sex.UNKNOWN)],
    ids=["male", "female", "not known"],
)
def test_person_identifiers_and_sac_gender_map_to_the_person(gender: str, sex: Sex) -> None:
    """person_id, nhs_number and dob are carried; SG1b gender becomes M/F/U."""
    person = ADAPTER.map_record(open_enquiry(gender=gender), CONTEXT)[0].data.person

    assert person.local_id == PERSON_ID
    assert person.nhs_number == NHS_NUMBER
    assert person.date_of_birth == date(2003, 6, 14)
    assert person.sex is sex
    assert person.upn is None


@pytest.mark.parametrize(
    ("nhs_number", "expected"),
    [("943 476 5919", NHS_NUMBER), ("", None), (DROP, None)],
    ids=["spaced", "blank", "absent"],
)
def test_nhs_number_is_optional_and_normalised(nhs_number: object, expected: str | None) -> None:
    """A spaced NHS number is compacted; a blank or absent one leaves the person without it."""
    person = ADAPTER.map_record(open_enquiry(nhs_number=nhs_number), CONTEXT)[0].data.person

    assert person.nhs_number == expected


@pytest.mark.parametrize(
    ("dob", "concern_date"),
    [("03/11/2008", "03/11/2026"), ("29/02/2008", "01/03/2026")],
    ids=["18th birthday", "leap-day birthday on 1 March"],
)
def test_a_person_who_turns_18_on_the_concern_date_is_an_adult(dob: str, concern_date: str) -> None:
    """Adulthood starts on the 18th birthday (1 March for a 29 February birthday)."""
    record = open_enquiry(dob=dob, concern_date=concern_date, enquiry_start=concern_date)

    assert [n.type for n in ADAPTER.map_record(record, CONTEXT)] == [CONCERN, ASSESSED]


def test_fields_without_a_canonical_home_are_not_forwarded() -> None:
    """Ethnicity, support reason, location, source, capacity and MSP never leave the adapter."""
    record = concluded_enquiry(ethnicity="Other Ethnic Group", location_of_risk="Hospital - Acute")
    dumped = json.dumps([n.model_dump(mode="json") for n in ADAPTER.map_record(record, CONTEXT)])

    for label in (
        "Other Ethnic Group",
        "Learning Disability Support",
        "Hospital - Acute",
        "Unknown to individual",
        "did not lack capacity",
        "outcomes were expressed",
        "Partially Achieved",
        "Risk identified and action taken",
    ):
        assert label not in dumped


def test_envelope_follows_the_cloudevents_conventions() -> None:
    """Source, time, content type and a shared correlation id are set; no subject or episode."""
    notifications = ADAPTER.map_record(concluded_enquiry(), CONTEXT)

    assert {n.source for n in notifications} == {"urn:sehub:agency:northumberland-adults"}
    assert {n.time for n in notifications} == {CONTEXT.time()}
    assert {n.datacontenttype for n in notifications} == {"application/json"}
    assert {n.correlationid for n in notifications} == {
        derive_id(ADAPTER_ID_KEY, "asc", ADULTS, ENQUIRY_REF)
    }
    assert {n.subject for n in notifications} == {None}
    assert {n.episodeid for n in notifications} == {None}
    # Ids bind the natural key and the content (adapters._core.build_notification): stable
    # for the same record, distinct per event kind.
    ids = [n.id for n in notifications]
    assert len(set(ids)) == 3
    assert all(i.startswith("asc-") for i in ids)
    assert [n.id for n in ADAPTER.map_record(concluded_enquiry(), CONTEXT)] == ids


def test_the_same_record_twice_gives_the_same_events() -> None:
    """Mapping one record twice gives identical notifications, ids included."""
    first = ADAPTER.map_record(concluded_enquiry(), CONTEXT)
    second = ADAPTER.map_record(concluded_enquiry(), CONTEXT)

    assert [n.id for n in first] == [n.id for n in second]
    assert first == second


def test_an_updated_record_keeps_earlier_ids_and_adds_the_conclusion() -> None:
    """Re-posting the enquiry once concluded repeats the concern and start ids, plus one new id."""
    opened = [n.id for n in ADAPTER.map_record(open_enquiry(), CONTEXT)]
    concluded = [n.id for n in ADAPTER.map_record(concluded_enquiry(), CONTEXT)]

    assert concluded[:2] == opened
    assert len(set(concluded)) == 3


def test_ids_depend_on_the_agency_and_the_enquiry_ref() -> None:
    """Another agency or another enquiry ref gives different ids; the ids never contain the ref."""
    other_agency = AdapterContext(
        id_key=ADAPTER_ID_KEY, agency_id=POLICE, now=CONTEXT.now, la_code="929"
    )
    base = ADAPTER.map_record(open_enquiry(), CONTEXT)[0].id

    assert ADAPTER.map_record(open_enquiry(), other_agency)[0].id != base
    assert ADAPTER.map_record(open_enquiry(enquiry_ref="SGE-2026-00512"), CONTEXT)[0].id != base
    assert ENQUIRY_REF not in base


def test_the_native_examples_all_map() -> None:
    """docs/examples/native/adult_services.json maps, giving the documented notification types."""
    records = json.loads(EXAMPLES.read_text(encoding="utf-8"))

    notifications = map_records(ADAPTER, records, CONTEXT)

    assert 3 <= len(records) <= 6
    assert [n.type for n in notifications] == [
        CONCERN,
        ASSESSED,
        ASSESSED,
        CONCERN,
        ASSESSED,
        CONCERN,
        ASSESSED,
    ]


def test_the_package_exposes_its_adapter() -> None:
    """The package exports ADAPTER with its kind and record types, and every name in __all__."""
    assert ADAPTER.kind == "adult_services"
    assert ADAPTER.record_types == frozenset({"safeguarding_enquiry", "vulnerability_checklist"})
    assert [name for name in adult_services.__all__ if not hasattr(adult_services, name)] == []
