"""Adult services and education: where the person lives, and the school a pupil attends."""

from __future__ import annotations

from typing import Any

import pytest

from adapters import AdapterContext, MappingFailed
from adapters.adult_services import ADAPTER as ADULT_ADAPTER
from tests.unit.adapters.test_adult_services import CONTEXT as ADULT_CONTEXT
from tests.unit.adapters.test_adult_services import concluded_enquiry
from tests.unit.adapters.test_education_builders import (
    SCHOOL_URN,
    attendance,
    cme,
    ehe,
    failures,
    mapped,
    placement,
)
from tests.unit.builders import ADAPTER_ID_KEY

NO_LA_CODE = AdapterContext(
    id_key=ADAPTER_ID_KEY, agency_id=ADULT_CONTEXT.agency_id, now=ADULT_CONTEXT.now
)


def _adult_residences(record: dict[str, Any], context: AdapterContext) -> set[str]:
    notifications = ADULT_ADAPTER.map_record(record, context)
    assert notifications
    return {n.data.person.resident_la for n in notifications}


@pytest.mark.parametrize(
    ("given", "resident"), [(None, "929"), ("391", "391"), ("E08000024", "394"), ("WAL", "WAL")]
)
def test_an_adult_lives_where_the_enquiry_says_else_in_the_council(
    given: str | None, resident: str
) -> None:
    """Every event of an enquiry carries its ``resident_la``, or the council's own LA."""
    record = concluded_enquiry(**({"resident_la": given} if given else {}))

    assert _adult_residences(record, ADULT_CONTEXT) == {resident}


def test_an_adult_services_adapter_without_an_la_needs_the_residence() -> None:
    """With no LA code of its own the adapter refuses an enquiry that does not say."""
    with pytest.raises(MappingFailed) as caught:
        ADULT_ADAPTER.map_record(concluded_enquiry(), NO_LA_CODE)

    assert [(p.field, p.rule) for p in caught.value.problems] == [("resident_la", "missing")]
    assert _adult_residences(concluded_enquiry(resident_la="929"), NO_LA_CODE) == {"929"}


def test_an_unknown_english_gss_residence_is_refused() -> None:
    """An English GSS code the hub cannot map to a DfE code is refused at ``resident_la``."""
    with pytest.raises(MappingFailed) as caught:
        ADULT_ADAPTER.map_record(concluded_enquiry(resident_la="E09000033"), ADULT_CONTEXT)

    assert [(p.field, p.rule) for p in caught.value.problems] == [("resident_la", "value_error")]
    assert "E09000033" not in caught.value.problems[0].message


# --- education ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(attendance(("N",) * 20), id="attendance"),
        pytest.param(cme("continuous_absence_10_days"), id="cme-absence"),
        pytest.param(placement(), id="alternative-provision"),
    ],
)
def test_a_pupil_on_a_schools_roll_carries_its_urn(record: dict[str, Any]) -> None:
    """Records of a pupil on the school's roll name that school on the person."""
    concerns = mapped(record)

    assert concerns
    assert {c.data.person.school_urn for c in concerns} == {SCHOOL_URN}
    assert {c.data.person.resident_la for c in concerns} == {"929"}


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(cme(), id="deleted-from-register"),
        pytest.param(ehe(), id="home-educated"),
        pytest.param(placement(school_urn="9291234"), id="laestab-is-not-a-urn"),
    ],
)
def test_no_school_is_named_for_a_pupil_not_on_a_roll_or_without_a_urn(
    record: dict[str, Any],
) -> None:
    """A deleted or home-educated pupil attends no school; a seven-digit LAESTAB is no URN."""
    (concern,) = mapped(record)

    assert concern.data.person.school_urn is None


def test_a_pupil_lives_where_the_record_says() -> None:
    """``resident_la`` given on an education record wins over the council's LA, normalised."""
    (concern,) = mapped(ehe(resident_la="E06000047"))

    assert concern.data.person.resident_la == "840"
    assert failures(ehe(resident_la="ZZZ")) == {("resident_la", "string_pattern_mismatch")}
