"""Field types for children's-services native records: codes, identifiers, postcodes.

Rules:

1. A code field accepts the codes of its list, in any letter case, as text or as a whole number
   (``GenderCurrent: 2``); anything else is ``unknown_code``, with the valid codes listed.
2. Identifiers are checked with the canonical schema types, which use python-stdnum: a failure is
   ``invalid_nhs_number`` or ``invalid_upn``, and the value is never echoed.
3. An SSDA903 ``UPN`` may hold an unknown-UPN code (UN1-UN5) instead of a UPN; the CIN census
   keeps those in a separate ``UPNunknown`` field, so its ``UPN`` must be a real one.
4. Postcodes are normalised to upper case with one space before the inward code.
5. An area code (``RESIDENT_LA``, ``PL_LA``) is a DfE LA code, a council's GSS code or
   SCO/WAL/NIR/NUK, in any letter case; an English GSS code becomes its DfE code
   (``E06000057`` is ``929``), so that codes compare equal whichever form the system exports.
   ``PL_LA`` may also be CON (a confidential placement).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Annotated, Any

from pydantic import BeforeValidator, StringConstraints, TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError

from adapters.children_services import _codes
from schemas import ID_PATTERN, NhsNumber, Upn, normalise_area

__all__ = [
    "AreaCodeField",
    "ChildId",
    "NhsNumberField",
    "PlacementLaCode",
    "PlanRef",
    "Postcode",
    "RealUpn",
    "Upn903",
    "Urn",
    "one_of",
]

_NHS_NUMBER: TypeAdapter[str] = TypeAdapter(NhsNumber)
_UPN: TypeAdapter[str] = TypeAdapter(Upn)
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
_URN = re.compile(r"^(SC[0-9]{6}|[0-9]{7}|XXXXXXX)$")


def _as_text(value: Any) -> Any:
    """Whole numbers become text (JSON exports often number codes and ids); the rest is kept."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value


def one_of(codes: Iterable[str], *, case: Callable[[str], str] = str.upper) -> BeforeValidator:
    """A validator accepting exactly these codes (after ``case``), as ``unknown_code`` otherwise."""
    allowed = frozenset(codes)
    listing = ", ".join(sorted(allowed))

    def check(value: Any) -> Any:
        value = _as_text(value)
        if isinstance(value, str) and case(value) in allowed:
            return case(value)
        raise PydanticCustomError("unknown_code", f"expected one of: {listing}")

    return BeforeValidator(check)


def _nhs_number(value: Any) -> Any:
    try:
        return _NHS_NUMBER.validate_python(_as_text(value))
    except ValidationError:
        raise PydanticCustomError(
            "invalid_nhs_number", "not a valid NHS number (10 digits, modulus 11 check digit)"
        ) from None


def _real_upn(value: Any) -> Any:
    value = _as_text(value)
    try:
        return _UPN.validate_python(value.upper() if isinstance(value, str) else value)
    except ValidationError:
        raise PydanticCustomError(
            "invalid_upn", "not a valid UPN (13 characters, check letter first)"
        ) from None


def _upn_903(value: Any) -> Any:
    value = _as_text(value)
    if isinstance(value, str) and value.upper() in _codes.UPN_UNKNOWN_903:
        return value.upper()
    try:
        return _real_upn(value)
    except PydanticCustomError:
        raise PydanticCustomError(
            "invalid_upn",
            "not a valid UPN (13 characters, check letter first) nor UN1-UN5",
        ) from None


def _postcode(value: Any) -> Any:
    value = _as_text(value)
    if isinstance(value, str):
        match = _POSTCODE.match(" ".join(value.upper().split()))
        if match:
            return f"{match[1]} {match[2]}"
    raise PydanticCustomError("invalid_postcode", "not a UK postcode (e.g. NE61 1AA)")


def _area_code(value: Any) -> Any:
    value = _as_text(value)
    try:
        return normalise_area(value.upper() if isinstance(value, str) else "")
    except ValueError as exc:
        raise PydanticCustomError("unknown_code", str(exc)) from None


def _placement_la(value: Any) -> Any:
    value = _as_text(value)
    if isinstance(value, str) and value.upper() == _codes.PL_LA_CONFIDENTIAL:
        return _codes.PL_LA_CONFIDENTIAL
    try:
        return _area_code(value)
    except PydanticCustomError as exc:
        raise PydanticCustomError(
            "unknown_code", f"{exc.message()}; or CON for a confidential placement"
        ) from None


def _urn(value: Any) -> Any:
    value = _as_text(value)
    if isinstance(value, str) and _URN.match(value.upper()):
        return value.upper()
    raise PydanticCustomError(
        "invalid_urn", "expected an Ofsted URN: SC and 6 digits, 7 digits, or XXXXXXX"
    )


ChildId = Annotated[str, BeforeValidator(_as_text), StringConstraints(min_length=1, max_length=64)]
NhsNumberField = Annotated[str, BeforeValidator(_nhs_number)]
RealUpn = Annotated[str, BeforeValidator(_real_upn)]
Upn903 = Annotated[str, BeforeValidator(_upn_903)]
PlacementLaCode = Annotated[str, BeforeValidator(_placement_la)]
AreaCodeField = Annotated[str, BeforeValidator(_area_code)]
Postcode = Annotated[str, BeforeValidator(_postcode)]
Urn = Annotated[str, BeforeValidator(_urn)]
# An opaque reference to the council's own document (no spaces, no "@"), as canonical ids are.
PlanRef = Annotated[
    str, BeforeValidator(_as_text), StringConstraints(pattern=ID_PATTERN, max_length=64)
]
