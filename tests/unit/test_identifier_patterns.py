"""The NHS number and UPN patterns in the JSON Schema are the ones the hub enforces."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from hub.api import openapi_document
from schemas import NHS_NUMBER_PATTERN, UPN_PATTERN, NhsNumber, Upn

NHS = TypeAdapter(NhsNumber)
UPN = TypeAdapter(Upn)
VALID_NHS = "9434765919"
VALID_UPN = "H801200001001"


def _accepts(adapter: TypeAdapter[str], value: str) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


def test_the_person_schema_carries_both_patterns_and_says_what_they_cannot() -> None:
    """The document's PersonRef shows each pattern and says the check digit is checked too."""
    person = openapi_document()["components"]["schemas"]["PersonRef"]["properties"]
    nhs = next(s for s in person["nhs_number"]["anyOf"] if s.get("type") == "string")
    upn = next(s for s in person["upn"]["anyOf"] if s.get("type") == "string")
    assert nhs["pattern"] == NHS_NUMBER_PATTERN
    assert upn["pattern"] == UPN_PATTERN
    assert "modulus 11" in nhs["description"]
    assert "check letter" in upn["description"]


@pytest.mark.parametrize("value", ["9434-765919", "94 347 65919", " 9434765919"])
def test_an_nhs_number_stdnum_would_compact_but_the_pattern_refuses_is_refused(value: str) -> None:
    """Separators where the pattern has none are refused, as the document says."""
    assert _accepts(NHS, VALID_NHS)
    assert not _accepts(NHS, value)


@pytest.mark.parametrize("value", ["H801 200001001", " H801200001001"])
def test_a_upn_with_a_space_is_refused(value: str) -> None:
    """A space inside or around a UPN is refused, as the pattern says."""
    assert _accepts(UPN, VALID_UPN)
    assert not _accepts(UPN, value)


@given(st.from_regex(r"\A[0-9 \-]{9,13}\Z"))
def test_every_accepted_nhs_number_matches_the_pattern(value: str) -> None:
    """No string the validator accepts falls outside the documented pattern."""
    if _accepts(NHS, value):
        assert re.match(NHS_NUMBER_PATTERN, value)


@given(st.from_regex(r"\A[A-Za-z0-9 ]{12,14}\Z"))
def test_every_accepted_upn_matches_the_pattern(value: str) -> None:
    """No string the validator accepts falls outside the documented pattern."""
    if _accepts(UPN, value):
        assert re.match(UPN_PATTERN, value)
