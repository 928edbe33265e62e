"""The auditor API: records, exports and the disclosure view, for auditors' credentials only.

Queries are POSTed as JSON, so that a subject's NHS number or UPN travels in a body, never in a
URL that proxies and access logs keep. Every call is audited by :mod:`hub.inspection` before it
is answered; a refused or invalid one is audited here.

Exports stream: JSON Lines (one record per line) or CSV (the record's columns, ``detail`` as
JSON). A CSV cell that a spreadsheet would read as a formula is prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any, Final, TypeVar

from aiohttp import web
from pydantic import BaseModel

from hub._exceptions import ConfigurationError, InvalidQuery, UnsupportedMediaType
from hub.agencies import Agency
from hub.api._context import CORRELATION_ID, DEPENDENCIES, as_auditor, audit_call
from hub.audit import RECORD_FIELDS, AuditAction, ListedRecord
from hub.inspection import (
    DisclosureRequest,
    ExportRequest,
    Inspection,
    RecordsRequest,
    parse_request,
)

__all__ = ["CSV_COLUMNS", "add_auditor_routes", "csv_cell"]

CSV_COLUMNS: Final = (*(name for name in RECORD_FIELDS if name != "detail"), "detail")
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
_MEDIA: Final = {"jsonl": "application/jsonl", "csv": "text/csv"}


def csv_cell(value: Any) -> str:
    """A value as a CSV cell a spreadsheet will show, never run."""
    text = (
        ""
        if value is None
        else json.dumps(value, sort_keys=True)
        if isinstance(value, dict | list)
        else str(value)
    )
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv_line(values: list[Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([csv_cell(value) for value in values])
    return buffer.getvalue().encode()


Model = TypeVar("Model", bound=BaseModel)


async def _query(request: web.Request, model: type[Model]) -> tuple[Agency, Inspection, Model]:
    auditor = await as_auditor(request)
    inspection = request.app[DEPENDENCIES].inspection
    if inspection is None:
        raise ConfigurationError("no audit log is configured for auditors")
    if request.content_type != "application/json":
        raise UnsupportedMediaType("send the query as application/json")
    try:
        parsed = parse_request(model, await request.read())
    except InvalidQuery as error:
        fields = ",".join(sorted({problem.field for problem in error.problems}))
        await audit_call(request, AuditAction.AUDIT_QUERIED, auditor, rejected=fields)
        error.correlation_id = request[CORRELATION_ID]
        raise
    return auditor, inspection, parsed


async def records(request: web.Request) -> web.Response:
    """A page of audit records matching the filters, with the cursor of the next page."""
    auditor, inspection, query = await _query(request, RecordsRequest)
    answer = await inspection.records(auditor.id, query, request[CORRELATION_ID])
    return web.json_response(answer)


async def disclosures(request: web.Request) -> web.Response:
    """For one subject: who was told what, when, under which rule, and who was refused."""
    auditor, inspection, query = await _query(request, DisclosureRequest)
    answer = await inspection.disclosures(auditor.id, query, request[CORRELATION_ID])
    return web.json_response(answer)


async def export(request: web.Request) -> web.StreamResponse:
    """Every matching record, streamed as JSON Lines or CSV."""
    auditor, inspection, query = await _query(request, ExportRequest)
    found = await inspection.export(auditor.id, query, request[CORRELATION_ID])
    response = web.StreamResponse(
        headers={
            "Content-Type": _MEDIA[query.format],
            "Content-Disposition": f'attachment; filename="audit-export.{query.format}"',
        }
    )
    await response.prepare(request)
    await _write(response, found, query.format)
    await response.write_eof()
    return response


async def _write(
    response: web.StreamResponse, found: AsyncIterator[ListedRecord], format_: str
) -> None:
    if format_ == "csv":
        await response.write(_csv_line(list(CSV_COLUMNS)))
    async for record in found:
        document = record.to_json()
        if format_ == "csv":
            await response.write(_csv_line([document[column] for column in CSV_COLUMNS]))
        else:
            line = json.dumps(document, sort_keys=True, ensure_ascii=False) + "\n"
            await response.write(line.encode())


def add_auditor_routes(app: web.Application) -> None:
    app.router.add_post("/v1/audit/records", records)
    app.router.add_post("/v1/audit/export", export)
    app.router.add_post("/v1/audit/disclosures", disclosures)
