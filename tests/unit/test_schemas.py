"""Canonical CloudEvents models: what they accept, what they refuse, and what is personal data."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas import (
    AREA_CODE_PATTERN,
    LA_CODE_PATTERN,
    PERSONAL_FIELD_NAMES,
    MissingEpisodeEnded,
    MissingEpisodeStarted,
    MissingType,
    PersonRef,
    PoliceRiskLevel,
    Sex,
    agency_id_from_source,
    notification_adapter,
    parse_notification,
    personal_field_names,
    return_interview_due,
    source_for_agency,
)
from tests.unit.builders import (
    ENDED,
    EXAMPLE_PATH,
    STARTED,
    VALID_NHS_NUMBER,
    VALID_UPN,
    example_event,
    make_ended_event,
    make_event,
    nhs_number_from,
    upn_from,
)


def _errors(raw: Any) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as caught:
        parse_notification(raw)
    return list(caught.value.errors(include_url=False))


def _locations(raw: Any) -> dict[tuple[int | str, ...], str]:
    return {tuple(error["loc"]): error["type"] for error in _errors(raw)}


# --- the example ------------------------------------------------------------------------------


def test_shipped_example_parses_into_the_started_model() -> None:
    """The documented example is a valid 'missing episode started' notification."""
    notification = parse_notification(EXAMPLE_PATH.read_bytes())

    assert isinstance(notification, MissingEpisodeStarted)
    assert notification.source == source_for_agency("northumberland-childrens")
    assert notification.time == datetime(2026, 11, 28, 21, 40, tzinfo=UTC)
    assert notification.data.person.nhs_number == VALID_NHS_NUMBER
    assert notification.data.person.upn == VALID_UPN
    assert notification.data.person.sex is Sex.FEMALE
    assert notification.data.missing_type is MissingType.MISSING
    assert notification.data.risk_level is PoliceRiskLevel.HIGH
    assert notification.data.started_on == date(2026, 11, 28)


@pytest.mark.parametrize("form", ["bytes", "str", "mapping"])
def test_parse_accepts_bytes_text_and_mappings_alike(form: str) -> None:
    """JSON bytes, JSON text and a decoded mapping parse to the same model."""
    event = example_event()
    raw: Any = {"bytes": json.dumps(event).encode(), "str": json.dumps(event), "mapping": event}[
        form
    ]

    assert parse_notification(raw) == parse_notification(event)


def test_ended_event_parses_into_the_ended_model() -> None:
    """The ``type`` selects the ended model, with its own fields."""
    notification = parse_notification(make_ended_event())

    assert isinstance(notification, MissingEpisodeEnded)
    assert notification.data.ended_on == date(2026, 11, 30)
    assert notification.data.found_location == "Synthetic Park"


def test_models_are_frozen() -> None:
    """A parsed notification cannot be changed after validation."""
    notification = parse_notification(make_event())

    with pytest.raises(ValidationError, match="frozen"):
        notification.id = "changed"  # type: ignore[misc]


@pytest.mark.parametrize("builder", [make_event, make_ended_event], ids=["started", "ended"])
def test_model_to_json_and_back_gives_an_equal_model(builder: Any) -> None:
    """Serialising a model to JSON and parsing it again gives an equal model."""
    model = parse_notification(builder(subject="CASE-1", correlationid="corr-1"))

    again = parse_notification(notification_adapter.dump_json(model))

    assert again == model
    assert parse_notification(model.model_dump_json()) == model


# --- unknown fields are errors ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "location"),
    [
        ({"colour": "red"}, (STARTED, "colour")),
        ({"data": {"colour": "red"}}, (STARTED, "data", "colour")),
        ({"data": {"person": {"x": "anything"}}}, (STARTED, "data", "person", "x")),
    ],
    ids=["top-level", "data", "data.person"],
)
def test_unknown_fields_are_rejected_not_dropped(
    overrides: dict[str, Any], location: tuple[str, ...]
) -> None:
    """A field the schema does not know fails validation (extra_forbidden) at its location."""
    assert _locations(make_event(**overrides)) == {location: "extra_forbidden"}


def test_unknown_field_in_ended_event_is_rejected() -> None:
    """The ended model forbids unknown fields too."""
    event = make_ended_event(data={"person": {"nickname": "Synthetic"}})

    assert _locations(event) == {(ENDED, "data", "person", "nickname"): "extra_forbidden"}


# --- identifiers ------------------------------------------------------------------------------


def _nhs_number_with_check_digit_ten() -> str:
    for prefix in range(100_000_000, 100_001_000):
        if nhs_number_from(str(prefix)) is None:
            return f"{prefix}0"
    raise AssertionError("no prefix without a check digit found")


@pytest.mark.parametrize(
    "value",
    [
        "9434765918",  # wrong check digit
        "943476591",  # nine digits
        "94347659190",  # eleven digits
        "ABCDEFGHIJ",
        "",
        _nhs_number_with_check_digit_ten(),
    ],
)
def test_invalid_nhs_numbers_are_rejected(value: str) -> None:
    """An NHS number failing length, digits or the modulus 11 check is refused at its field."""
    event = make_event(data={"person": {"nhs_number": value}})

    assert _locations(event) == {(STARTED, "data", "person", "nhs_number"): "value_error"}


@pytest.mark.parametrize(
    "value",
    [
        "A801200001001",  # wrong check letter
        "H80120000100",  # twelve characters
        "X80120000A001",  # middle must be digits
        "E000200005001",  # unknown LA number
        "",
    ],
)
def test_invalid_upns_are_rejected(value: str) -> None:
    """A UPN failing length, format, LA number or check letter is refused at its field."""
    event = make_event(data={"person": {"upn": value}})

    assert _locations(event) == {(STARTED, "data", "person", "upn"): "value_error"}


def test_generated_identifiers_are_valid() -> None:
    """The test helpers' NHS numbers and UPNs are accepted by the schema."""
    nhs_number = nhs_number_from("401023213")
    assert nhs_number is not None
    person = PersonRef(
        local_id="P1", resident_la="929", nhs_number=nhs_number, upn=upn_from(929, "123456789")
    )

    assert person.nhs_number == nhs_number


# --- envelope ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "northumberland-childrens",
        "urn:sehub:agency:",
        "urn:sehub:agency:Northumberland",
        "urn:sehub:agency:-leading-hyphen",
        "urn:sehub:agency:northumberland_childrens",
        "URN:SEHUB:AGENCY:northumberland-childrens",
        "https://example.invalid/agency/northumberland-childrens",
        "urn:sehub:agency:northumberland-childrens/extra",
        "urn:sehub:agency:northumberland-childrens\n",
        "urn:sehub:agency:" + "a" * 64,
    ],
)
def test_wrong_source_forms_are_rejected(source: str) -> None:
    """``source`` must be exactly urn:sehub:agency:<lower-case agency id>."""
    assert _locations(make_event(source=source)) == {(STARTED, "source"): "string_pattern_mismatch"}


def test_longest_agency_id_is_accepted() -> None:
    """An agency id of the maximum 63 characters is a valid source."""
    source = "urn:sehub:agency:" + "a" * 63

    notification = parse_notification(make_event(source=source))

    assert agency_id_from_source(notification.source) == "a" * 63


@pytest.mark.parametrize("time", ["2026-11-28T21:40:00", "2026-11-28T21:40:00.123456"])
def test_naive_time_is_rejected(time: str) -> None:
    """An event ``time`` without a UTC offset is refused: times must be unambiguous."""
    assert _locations(make_event(time=time)) == {(STARTED, "time"): "timezone_aware"}


@pytest.mark.parametrize(
    ("event", "location"),
    [
        (make_event(data={"started_at": "2026-11-28T21:15:00"}), (STARTED, "data", "started_at")),
        (make_ended_event(data={"ended_at": "2026-11-30T08:50:00"}), (ENDED, "data", "ended_at")),
    ],
    ids=["started_at", "ended_at"],
)
def test_naive_time_in_data_is_rejected(event: dict[str, Any], location: tuple[str, ...]) -> None:
    """Times of day inside ``data`` must carry an offset too."""
    assert _locations(event) == {location: "timezone_aware"}


def test_time_with_an_offset_is_kept_as_the_same_instant() -> None:
    """A time with a non-UTC offset parses to the same instant."""
    notification = parse_notification(make_event(time="2026-11-28T22:40:00+01:00"))

    assert notification.time == datetime(2026, 11, 28, 21, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    ("field", "value"),
    [("specversion", "0.3"), ("datacontenttype", "text/xml"), ("id", "-starts-with-hyphen")],
)
def test_envelope_constants_and_id_form_are_enforced(field: str, value: str) -> None:
    """specversion 1.0, JSON content and the id form are all checked."""
    assert (STARTED, field) in _locations(make_event(**{field: value}))


def test_ended_before_started_is_rejected() -> None:
    """An episode cannot end on a date before it started (SSDA903 rule 567)."""
    event = make_ended_event(data={"started_on": "2026-11-28", "ended_on": "2026-11-27"})

    errors = _errors(event)

    assert [(tuple(e["loc"]), e["type"]) for e in errors] == [((ENDED, "data"), "value_error")]
    assert "ended_on is before started_on" in errors[0]["msg"]


def test_ended_on_the_day_it_started_is_accepted() -> None:
    """An episode may end on the day it started."""
    event = make_ended_event(data={"started_on": "2026-11-28", "ended_on": "2026-11-28"})

    notification = parse_notification(event)

    assert isinstance(notification, MissingEpisodeEnded)
    assert notification.data.ended_on == notification.data.started_on


def test_return_interview_falls_due_72_hours_after_return() -> None:
    """The return interview is due 72 hours after the recorded return time."""
    notification = parse_notification(make_ended_event())
    assert isinstance(notification, MissingEpisodeEnded)

    assert notification.data.return_interview_due == datetime(2026, 12, 3, 8, 50, tzinfo=UTC)


def test_return_interview_due_must_be_72_hours_after_return() -> None:
    """A due time that is not 72 hours after the return is rejected at data."""
    event = make_ended_event(data={"return_interview_due": "2026-12-04T08:50:00Z"})
    assert _locations(event) == {(ENDED, "data"): "value_error"}


def test_date_only_return_counts_72_hours_from_the_start_of_the_day_in_england() -> None:
    """With no time recorded, the 72 hours run from midnight (UK time) of the return date."""
    due = return_interview_due(date(2026, 7, 1), None)
    assert due == datetime(2026, 7, 3, 23, 0, tzinfo=UTC)  # midnight BST on 4 July


def test_return_interview_due_is_72_elapsed_hours_across_a_clock_change() -> None:
    """Across the October clock change the due time is 72 real hours later, not wall-clock."""
    returned = datetime(2026, 10, 24, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    due = return_interview_due(returned.date(), returned)
    assert due - returned == timedelta(hours=72)
    assert due == datetime(2026, 10, 27, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize("code", ["92", "9290", "92a", " 929", "\u0669\u0662\u0669"])
def test_responsible_la_must_be_three_ascii_digits(code: str) -> None:
    """A DfE LA code is exactly three ASCII digits; other digit scripts are not LA codes."""
    event = make_event(data={"person": {"responsible_la": code}})

    assert _locations(event) == {
        (STARTED, "data", "person", "responsible_la"): "string_pattern_mismatch"
    }


def test_unknown_type_is_rejected() -> None:
    """A ``type`` outside the catalogue fails validation on the discriminator."""
    errors = _errors(make_event(type="uk.sehub.missing_episode.paused.v1"))

    assert [e["type"] for e in errors] == ["union_tag_invalid"]


# --- personal data ----------------------------------------------------------------------------


def test_personal_field_names_cover_every_identifying_field() -> None:
    """Identifiers, date of birth, subject and locations are marked personal; the rest is not."""
    for name in (
        "local_id",
        "nhs_number",
        "upn",
        "date_of_birth",
        "subject",
        "last_seen_location",
        "found_location",
    ):
        assert name in PERSONAL_FIELD_NAMES
    for name in ("missing_type", "sex", "id", "source", "type", "risk_level", "looked_after"):
        assert name not in PERSONAL_FIELD_NAMES


def test_personal_field_names_of_a_nested_model() -> None:
    """``personal_field_names`` finds marked fields of a model and of the models inside it."""
    assert personal_field_names(PersonRef) == {
        "local_id",
        "nhs_number",
        "upn",
        "date_of_birth",
        "la_child_id",
    }
    assert personal_field_names(MissingEpisodeStarted) >= personal_field_names(PersonRef)
    assert "found_location" not in personal_field_names(MissingEpisodeStarted)
    assert "last_seen_location" not in personal_field_names(MissingEpisodeEnded)


def test_json_schema_marks_personal_fields() -> None:
    """The published JSON Schema carries ``x-personal-data`` on exactly the personal fields."""
    definitions = notification_adapter.json_schema()["$defs"]
    marked = {
        name
        for definition in definitions.values()
        for name, prop in definition.get("properties", {}).items()
        if prop.get("x-personal-data") is True
    }

    assert marked == PERSONAL_FIELD_NAMES


# --- property: valid notifications round-trip and match the JSON Schema ----------------------

_SCHEMA = notification_adapter.json_schema()
_VALIDATOR = jsonschema.Draft202012Validator(_SCHEMA)

_ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}", fullmatch=True)
_agency_ids = st.from_regex(r"[a-z0-9][a-z0-9-]{0,62}", fullmatch=True)
_offsets = st.integers(min_value=-14 * 60 + 1, max_value=14 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
_aware = st.datetimes(
    min_value=datetime(1990, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive by contract
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=_offsets,
)
_dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1))
_nhs_numbers = (
    st.integers(min_value=100_000_000, max_value=999_999_999)
    .map(lambda prefix: nhs_number_from(str(prefix)))
    .filter(lambda number: number is not None)
)
_upns = st.builds(
    upn_from,
    st.sampled_from([201, 330, 801, 929, 938]),
    st.from_regex(r"[0-9]{9}", fullmatch=True),
)
# Normalised codes only: an English GSS code is accepted but comes back as its DfE code.
_persons = st.fixed_dictionaries(
    {
        "local_id": st.text(min_size=1, max_size=64),
        "resident_la": st.from_regex(AREA_CODE_PATTERN, fullmatch=True),
    },
    optional={
        "nhs_number": _nhs_numbers,
        "upn": _upns,
        "date_of_birth": _dates.map(date.isoformat),
        "sex": st.sampled_from([s.value for s in Sex]),
        "responsible_la": st.from_regex(LA_CODE_PATTERN, fullmatch=True),
        "la_child_id": st.text(min_size=1, max_size=64),
        "school_urn": st.from_regex(r"[0-9]{6}", fullmatch=True),
    },
)
_envelope = {
    "id": _ids,
    "source": _agency_ids.map(source_for_agency),
    "time": _aware.map(datetime.isoformat),
}
_envelope_optional = {
    "specversion": st.just("1.0"),
    "datacontenttype": st.just("application/json"),
    "subject": st.text(max_size=128),
    "dataschema": st.text(max_size=512),
    "correlationid": _ids,
    "episodeid": _ids,
}
_started_data = st.fixed_dictionaries(
    {
        "person": _persons,
        "missing_type": st.sampled_from([m.value for m in MissingType]),
        "looked_after": st.booleans(),
        "started_on": _dates.map(date.isoformat),
    },
    optional={
        "started_at": _aware.map(datetime.isoformat),
        "risk_level": st.sampled_from([r.value for r in PoliceRiskLevel]),
        "last_seen_location": st.text(max_size=200),
    },
)


@st.composite
def _ended_data(draw: st.DrawFn) -> dict[str, Any]:
    started, ended = sorted([draw(_dates), draw(_dates)])
    data = draw(
        st.fixed_dictionaries(
            {
                "person": _persons,
                "missing_type": st.sampled_from([m.value for m in MissingType]),
                "looked_after": st.booleans(),
            },
            optional={
                "ended_at": _aware.map(datetime.isoformat),
                "found_location": st.text(max_size=200),
            },
        )
    )
    ended_at = datetime.fromisoformat(data["ended_at"]) if "ended_at" in data else None
    due = return_interview_due(ended, ended_at)
    return {
        **data,
        "started_on": started.isoformat(),
        "ended_on": ended.isoformat(),
        "return_interview_due": due.isoformat(),
    }


notifications = st.one_of(
    st.fixed_dictionaries(
        {**_envelope, "type": st.just(STARTED), "data": _started_data}, optional=_envelope_optional
    ),
    st.fixed_dictionaries(
        {**_envelope, "type": st.just(ENDED), "data": _ended_data()}, optional=_envelope_optional
    ),
)


@settings(max_examples=100, deadline=None)
@given(raw=notifications)
def test_valid_notifications_round_trip_and_match_the_json_schema(raw: dict[str, Any]) -> None:
    """Any valid notification survives JSON unchanged and its JSON satisfies the JSON Schema."""
    model = parse_notification(raw)
    text = notification_adapter.dump_json(model)

    assert parse_notification(text) == model
    assert parse_notification(json.loads(text)) == model
    _VALIDATOR.validate(json.loads(text))
    _VALIDATOR.validate(raw)
