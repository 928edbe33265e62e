"""Native records in, canonical notifications out: the adapter edge of the hub.

An agency's system posts its own records (SSDA903 rows, police reports...). The agency's
adapter, chosen by the agency's kind in the directory, maps them; nothing is published unless
every record maps. The same code serves ``POST /v1/records`` and the offline ``hub adapt``; both
key the adapter's ids with the agency's id key from the hub's pseudonym key, so a file mapped
offline gives the ids the hub would give it.

Body formats: a JSON array of records, ``{"records": [...]}``, or one record object; or CSV
(``text/csv``) with a header row, where every row has the ``record_type`` given by the caller.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from adapters import (
    ADAPTER_KINDS,
    AdapterContext,
    MappingFailed,
    adapter_for,
    map_records,
    native_field_names,
    native_record_models,
)
from hub._exceptions import FieldProblem, Forbidden, InvalidNotification, UnsupportedMediaType
from hub.agencies import Agency
from hub.pseudonyms import Pseudonymiser
from hub.validation import decode_json, int_too_large, too_long_integers
from schemas import Locations, Notification

__all__ = ["MAX_PROBLEMS", "MAX_RECORDS", "adapt", "native_record_shapes", "parse_records"]

MAX_RECORDS = 1000
MAX_PROBLEMS = 50
_JSON_TYPES = frozenset({"application/json"})
_CSV_TYPES = frozenset({"text/csv"})


def native_record_shapes() -> dict[str, Mapping[str, type[BaseModel]]]:
    """Each adapter kind's native record models, by record type: what ``/v1/records`` reads."""
    return {kind: native_record_models(kind) for kind in ADAPTER_KINDS}


def _body_problem(rule: str, message: str) -> InvalidNotification:
    return InvalidNotification(message, (FieldProblem("(body)", rule, message),))


def _failed(problems: Sequence[FieldProblem]) -> InvalidNotification:
    shown = tuple(problems[:MAX_PROBLEMS])
    more = f" (the first {MAX_PROBLEMS} are listed)" if len(problems) > MAX_PROBLEMS else ""
    return InvalidNotification(
        f"{len(problems)} field(s) failed in the native records{more}", shown
    )


def parse_records(body: bytes, content_type: str, record_type: str | None) -> list[Any]:
    """The records in a posted body; :class:`InvalidNotification` if it is not readable."""
    if content_type in _CSV_TYPES:
        if not record_type:
            raise _body_problem("missing", "CSV needs the record_type query parameter")
        try:
            rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise _body_problem("csv_invalid", "not UTF-8 CSV with a header row") from exc
        if len(rows) > MAX_RECORDS:
            raise _body_problem("too_many_records", f"send at most {MAX_RECORDS} rows per post")
        if not rows:
            # As an empty JSON list is: a post that carries nothing is refused, and audited.
            raise _body_problem("records", "expected at least one row after the header row")
        return [{**row, "record_type": record_type} for row in rows]
    if content_type not in _JSON_TYPES:
        raise UnsupportedMediaType("send application/json or text/csv")
    try:
        document = decode_json(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise _body_problem("json_invalid", "the body is not valid JSON") from exc
    if isinstance(document, Mapping) and "records" in document:
        document = document["records"]
    records = [document] if isinstance(document, Mapping) else document
    if not isinstance(records, list) or not records:
        raise _body_problem("records", "expected a record, a list of records or {records: [...]}")
    if len(records) > MAX_RECORDS:
        raise _body_problem("too_many_records", f"send at most {MAX_RECORDS} records per post")
    too_long: list[FieldProblem] = []
    for index, record in enumerate(records):
        # No adapter has read the record yet: a key is shown only if some native type defines it.
        locations = Locations(known=native_field_names())
        too_long.extend(
            int_too_large(".".join((f"records[{index}]", locations.path(location))).rstrip("."))
            for location in too_long_integers(record)
        )
    if too_long:
        raise _failed(too_long)
    return records


def adapt(
    agency: Agency, records: list[Any], now: datetime, pseudonyms: Pseudonymiser
) -> list[Notification]:
    """Map ``records`` with the agency's adapter, its ids keyed by the agency's id key from
    ``pseudonyms``; every failing field is reported at once."""
    try:
        adapter = adapter_for(agency.kind)
    except KeyError as exc:
        raise Forbidden(
            f"there is no adapter for {agency.kind} agencies; post canonical notifications"
        ) from exc
    context = AdapterContext(
        agency_id=agency.id,
        now=now,
        id_key=pseudonyms.adapter_id_key(agency.id),
        la_code=agency.la_code,
    )
    try:
        return map_records(adapter, records, context)
    except MappingFailed as failed:
        raise _failed(
            [FieldProblem(p.field, p.rule, p.message) for p in failed.problems]
        ) from failed
