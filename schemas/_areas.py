"""Area codes: the council where a person lives, or the one responsible for them.

Rules:

1. A council in England is named by its three-digit DfE ("old") LA code, as SSDA903 and the CIN
   census name it: ``929`` is Northumberland.
2. A council outside England is named by its GSS code: a Scottish council area ``S12`` (the
   Scottish Borders is ``S12000026``), a Welsh unitary authority ``W06``, a Northern Irish
   district ``N09``, each followed by six digits. No DfE code exists for them.
3. Where only the country is known: ``SCO``, ``WAL``, ``NIR``, or ``NUK`` (outside the UK), as
   SSDA903's derived ``PL_LA`` codes them. These are areas, never a council: a responsible
   authority (:data:`LaCode`) cannot be one.
4. An English council's GSS code (``E06000057``, as the 903 validator derives ``PL_LA``) is
   accepted and normalised to its DfE code through :data:`ENGLISH_GSS_CODES`, so that ``929``
   and ``E06000057`` are the same council everywhere after validation. An English GSS code
   missing from the table is refused: extend the table when a council joins the partnership.
5. :data:`LA_CODE_PATTERN` and :data:`AREA_CODE_PATTERN` match the normalised forms; the
   protocol's parties and the agency directory use them. The canonical types accept the English
   GSS form as well and normalise it.
6. Error messages name the rule and never echo the value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated

from pydantic import AfterValidator, Field

__all__ = [
    "AREA_CODE_PATTERN",
    "ENGLISH_GSS_CODES",
    "LA_CODE_PATTERN",
    "NON_ENGLISH_LOCATIONS",
    "AreaCode",
    "LaCode",
    "normalise_area",
]

# (council, DfE LA code, GSS code). Extend it when a council joins the partnership.
_ENGLISH_COUNCILS = (
    ("Northumberland", "929", "E06000057"),
    ("Newcastle upon Tyne", "391", "E08000021"),
    ("North Tyneside", "392", "E08000022"),
    ("South Tyneside", "393", "E08000023"),
    ("Gateshead", "390", "E08000037"),
    ("Sunderland", "394", "E08000024"),
    ("County Durham", "840", "E06000047"),
    ("Darlington", "841", "E06000005"),
    ("Hartlepool", "805", "E06000001"),
    ("Middlesbrough", "806", "E06000002"),
    ("Redcar and Cleveland", "807", "E06000003"),
    ("Stockton-on-Tees", "808", "E06000004"),
    ("Cumberland", "942", "E06000063"),
    ("Westmorland and Furness", "943", "E06000064"),
)
ENGLISH_GSS_CODES: Mapping[str, str] = MappingProxyType(
    {gss: dfe for _, dfe, gss in _ENGLISH_COUNCILS}
)

_COUNTRIES = ("SCO", "WAL", "NIR", "NUK")
NON_ENGLISH_LOCATIONS = frozenset(_COUNTRIES)

_DFE = "[0-9]{3}"
_OUTSIDE_ENGLAND_GSS = "(S12|W06|N09)[0-9]{6}"
_ENGLISH_GSS = "E[0-9]{8}"
_COUNTRY = "|".join(_COUNTRIES)

LA_CODE_PATTERN = f"^({_DFE}|{_OUTSIDE_ENGLAND_GSS})$"
AREA_CODE_PATTERN = f"^({_DFE}|{_OUTSIDE_ENGLAND_GSS}|{_COUNTRY})$"
_LA_INPUT_PATTERN = f"^({_DFE}|{_OUTSIDE_ENGLAND_GSS}|{_ENGLISH_GSS})$"
_AREA_INPUT_PATTERN = f"^({_DFE}|{_OUTSIDE_ENGLAND_GSS}|{_ENGLISH_GSS}|{_COUNTRY})$"
_AREA_INPUT = re.compile(_AREA_INPUT_PATTERN)


def normalise_area(code: str) -> str:
    """The normalised form of an area code: an English GSS code becomes its DfE LA code.

    Raises :class:`ValueError` for a code of no accepted form, or an English GSS code the
    table does not list; the message never repeats the code.
    """
    if not _AREA_INPUT.fullmatch(code):
        raise ValueError(
            "not an area code: a three-digit DfE LA code, a council's GSS code "
            "(E, S12, W06 or N09 and digits) or SCO, WAL, NIR or NUK"
        )
    if not code.startswith("E"):
        return code
    try:
        return ENGLISH_GSS_CODES[code]
    except KeyError:
        raise ValueError(
            "an English GSS code of a council the hub does not know: "
            "give its DfE LA code, or add the council to schemas/_areas.py"
        ) from None


LaCode = Annotated[
    str,
    Field(
        pattern=_LA_INPUT_PATTERN,
        description=(
            "A council: its three-digit DfE LA code, or the GSS code of a council outside "
            "England (S12/W06/N09 + 6 digits). An English GSS code is normalised to the DfE code."
        ),
    ),
    AfterValidator(normalise_area),
]
AreaCode = Annotated[
    str,
    Field(
        pattern=_AREA_INPUT_PATTERN,
        description=(
            "A council as for an LA code, or SCO/WAL/NIR/NUK when only the country is known "
            "(NUK: outside the UK). An English GSS code is normalised to the DfE code."
        ),
    ),
    AfterValidator(normalise_area),
]
