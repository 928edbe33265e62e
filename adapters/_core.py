"""What every adapter shares: the interface, record problems, and deterministic ids.

An adapter maps one agency's native records (the shapes its national returns define) to
canonical notifications. It knows its agency's formats and nothing of routing. It is pure: the
clock and the agency's identity come in through :class:`AdapterContext`; nothing is sent.

Rules:

1. A native record is a JSON object with a ``record_type`` naming its shape, and the native
   field names unchanged (``CHILD``, ``MIS_START``...). CSV-style values are accepted: dates as
   ``dd/mm/yyyy`` or ISO, booleans as Y/N, 1/0 or true/false, blanks as absent.
2. Every failing field is reported at once, named as the agency names it (``MIS_END``), with the
   rule it broke. Values are never echoed.
3. Event ids are derived from the record's natural key and its mapped content, so posting the
   same record twice gives the same CloudEvents ``id`` (and the hub processes it once), while a
   corrected record is a new event in the same episode. Ids are hashes, never raw ids.
4. Every id an adapter derives (event ids, ``episodeid``, ``correlationid``, episode
   references) is an HMAC-SHA256 under the agency's own id key (:attr:`AdapterContext.id_key`,
   which the hub derives from its pseudonym key), never a plain hash: natural keys (a police
   reference, a misper id, a child id and a date) are few enough to guess, and a recipient who
   could hash the guesses would recover a reference the protocol withheld. The same record
   under the same key gives the same id; another agency's key gives another.
5. Unknown fields and unknown codes are errors, never silently dropped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from schemas import Locations, Notification, parse_notification, source_for_agency

__all__ = [
    "ID_KEY_BYTES",
    "AdapterContext",
    "MappingFailed",
    "NativeRecord",
    "RecordAdapter",
    "RecordProblem",
    "build_notification",
    "derive_id",
    "map_records",
    "model_for",
    "problems_from",
    "unknown_residence",
]


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """One failing native field: its native name (or dotted path), the rule, a safe message."""

    field: str
    rule: str
    message: str


class MappingFailed(ValueError):
    """A record could not be mapped; ``problems`` names every failing field."""

    def __init__(self, problems: Sequence[RecordProblem]) -> None:
        super().__init__(f"{len(problems)} field(s) failed")
        self.problems = tuple(problems)


ID_KEY_BYTES = 32


@dataclass(frozen=True, slots=True)
class AdapterContext:
    """What an adapter is told about where and when it runs, and the agency's id key (rule 4)."""

    agency_id: str
    now: datetime
    id_key: bytes = field(repr=False)
    la_code: str | None = None

    def __post_init__(self) -> None:
        if len(self.id_key) < ID_KEY_BYTES:
            raise ValueError(f"an adapter's id key must be at least {ID_KEY_BYTES} bytes")

    def derive_id(self, prefix: str, *parts: object) -> str:
        """:func:`derive_id` under this agency's id key."""
        return derive_id(self.id_key, prefix, *parts)

    @property
    def source(self) -> str:
        """The CloudEvents ``source`` of this agency."""
        return source_for_agency(self.agency_id)

    def time(self) -> datetime:
        """The event ``time``: now, in UTC."""
        return self.now.astimezone(UTC)


class NativeRecord(BaseModel):
    """Base for native record models: unknown fields are refused, blanks become absent."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    record_type: str


class RecordAdapter(Protocol):
    """One agency's mapping from native records to canonical notifications."""

    kind: ClassVar[str]
    record_types: ClassVar[frozenset[str]]

    def map_record(self, record: Mapping[str, Any], context: AdapterContext) -> list[Notification]:
        """The notifications one native record gives (possibly none); or :class:`MappingFailed`."""
        ...


def derive_id(key: bytes, prefix: str, *parts: object) -> str:
    """A stable, opaque id from a record's natural key, keyed (rule 4): ``prefix-<32 hex>``."""
    message = "\x1f".join(str(part) for part in parts).encode()
    digest = hmac.new(key, message, hashlib.sha256).hexdigest()
    return f"{prefix}-{digest[:32]}"


def unknown_residence(field: str) -> RecordProblem:
    """The problem of a record that does not say where its person lives, mapped by an adapter
    with no LA code of its own to fall back on."""
    return RecordProblem(
        field, "missing", "say where the person lives, or give the adapter its LA code"
    )


def problems_from(error: ValidationError, *, prefix: str = "") -> list[RecordProblem]:
    """Record problems from a pydantic error, located by native field name, values never copied.

    A key the record type does not define is ``(unknown field #n)``, never its name
    (:class:`schemas.Locations`).
    """
    problems = []
    locations = Locations()
    for item in error.errors(include_url=False, include_input=False, include_context=False):
        location = locations.path(item["loc"], rule=item["type"])
        problems.append(
            RecordProblem(
                field=f"{prefix}{location}" if location else (prefix.rstrip(".") or "(record)"),
                rule=item["type"],
                message=item["msg"].removeprefix("Value error, "),
            )
        )
    return problems


M = TypeVar("M")


def model_for(record: Mapping[str, Any], models: Mapping[str, M]) -> M:
    """The entry of ``models`` for the record's ``record_type``; or :class:`MappingFailed`."""
    entry = models.get(str(record.get("record_type")))
    if entry is None:
        raise MappingFailed(
            [
                RecordProblem(
                    "record_type",
                    "unknown_record_type",
                    f"expected one of: {', '.join(sorted(models))}",
                )
            ]
        )
    return entry


def map_records(
    adapter: RecordAdapter, records: Sequence[Any], context: AdapterContext
) -> list[Notification]:
    """Map every record, or fail with every problem located as ``records[i].FIELD``."""
    notifications: list[Notification] = []
    problems: list[RecordProblem] = []
    for index, record in enumerate(records):
        where = f"records[{index}]"
        if not isinstance(record, Mapping):
            problems.append(RecordProblem(where, "dict_type", "a record must be a JSON object"))
            continue
        record_type = record.get("record_type")
        if not isinstance(record_type, str) or record_type not in adapter.record_types:
            problems.append(
                RecordProblem(
                    f"{where}.record_type",
                    "unknown_record_type",
                    f"expected one of: {', '.join(sorted(adapter.record_types))}",
                )
            )
            continue
        try:
            notifications.extend(adapter.map_record(record, context))
        except MappingFailed as failed:
            problems.extend(
                RecordProblem(f"{where}.{p.field}", p.rule, p.message) for p in failed.problems
            )
    if problems:
        raise MappingFailed(problems)
    return notifications


def build_notification(event: Mapping[str, Any], context: AdapterContext) -> Notification:
    """Validate a mapped event as canonical; a failure is reported under ``canonical.``.

    The event's id is bound to its content here, for every adapter and under the agency's id
    key: the same record always gives the same id, and a corrected record (a flag added, a
    grading changed) gives a new one, so the hub's de-duplication never swallows an update.
    """
    event = dict(event)
    if isinstance(event.get("id"), str) and "-" in event["id"]:
        prefix = event["id"].split("-", 1)[0]
        content = json.dumps(event.get("data"), sort_keys=True, default=str)
        event["id"] = context.derive_id(prefix, event["id"], content)
    try:
        return parse_notification(event)
    except ValidationError as exc:
        raise MappingFailed(problems_from(exc, prefix="canonical.")) from exc
