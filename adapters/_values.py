"""Value types for native records: the forms agency extracts really use.

SSDA903 CSV dates are ``dd/mm/yyyy``; CIN census XML dates are ISO; booleans arrive as Y/N, 1/0,
true/false; an empty CSV cell means absent (a required field left empty is ``missing``); a list of
codes is a JSON array or, in one CSV cell, codes separated by ``;`` (or ``,``), each counted
once. Each type here accepts those forms and nothing else. Area codes are the canonical ones
(:data:`schemas.AreaCode`): an English GSS code becomes its DfE LA code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from schemas import AreaCode

__all__ = [
    "NativeAreaCode",
    "NativeDate",
    "OptionalAreaCode",
    "OptionalNativeDate",
    "OptionalText",
    "OptionalYesNo",
    "SeparatedCodes",
    "YesNo",
    "split_list",
    "without_blanks",
]

_TRUE = frozenset({"y", "yes", "1", "true"})
_FALSE = frozenset({"n", "no", "0", "false"})


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _blank_is_missing(value: Any) -> Any:
    if _blank_to_none(value) is None:
        raise PydanticCustomError("missing", "Field required")
    return value


def _uk_date(value: Any) -> Any:
    value = _blank_to_none(value)
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 10 and text[2] == "/" and text[5] == "/":
            day, month, year = text.split("/")
            if day.isdigit() and month.isdigit() and year.isdigit():
                try:
                    return date(int(year), int(month), int(day))
                except ValueError as exc:
                    raise ValueError("not a real date (dd/mm/yyyy)") from exc
        return text
    return value


def _yes_no(value: Any) -> Any:
    value = _blank_to_none(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError("expected Y/N, 1/0 or true/false")
    return value


def without_blanks(data: Any) -> Any:
    """A record (or one object inside it) with its blank and null values left out: absent."""
    if isinstance(data, Mapping):
        return {
            key: value
            for key, value in data.items()
            if value is not None and not (isinstance(value, str) and not value.strip())
        }
    return data


def split_list(value: Any) -> Any:
    """A list of codes as posted: a JSON array, or one CSV cell split at ``;`` or ``,``; blank
    items dropped, each stripped (anything else is left for validation to refuse)."""
    value = _blank_to_none(value)
    if value is None:
        return ()
    if isinstance(value, str):
        value = re.split(r"[;,]", value)
    if isinstance(value, list | tuple):
        return tuple(
            item.strip() if isinstance(item, str) else item
            for item in value
            if not (isinstance(item, str) and not item.strip())
        )
    return value


def _each_once(codes: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(codes))


_Code = TypeVar("_Code")

NativeDate = Annotated[date, BeforeValidator(_uk_date)]
OptionalNativeDate = Annotated[date | None, BeforeValidator(_uk_date)]
YesNo = Annotated[bool, BeforeValidator(_yes_no)]
OptionalYesNo = Annotated[bool | None, BeforeValidator(_yes_no)]
OptionalText = Annotated[str | None, BeforeValidator(_blank_to_none)]
NativeAreaCode = Annotated[AreaCode, BeforeValidator(_blank_is_missing)]
OptionalAreaCode = Annotated[AreaCode | None, BeforeValidator(_blank_to_none)]

# Parametrise with the item type: ``SeparatedCodes[Annotated[str, one_of(...)]]``.
SeparatedCodes = Annotated[
    tuple[_Code, ...], BeforeValidator(split_list), AfterValidator(_each_once)
]
