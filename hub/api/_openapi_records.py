"""``POST /v1/records`` in the OpenAPI document: each adapter kind's native record shapes.

The shapes are the adapters' own pydantic models (:func:`hub.intake.native_record_shapes`), so
the document says what the adapters check. The caller's kind comes from its token, which a
document cannot branch on; so the body is any kind's record, each kind's records are also a
component of their own (``PoliceRecord``...), and a record of another kind than the caller's
is refused (422, ``unknown_record_type``), as the description says.

Rules:

1. Native components are named ``Native<Model>``, so they never collide with the canonical
   schemas' names (both have a ``ReturnInterview``).
2. Native records take CSV-style values (``dd/mm/yyyy`` dates, ``Y``/``N`` booleans, codes as
   the national return spells them, lists separated by ``;``): a field an adapter converts
   before checking its type is described as that type *or* its text form, never only as the
   type, which would understate what is accepted.
3. A JSON body is one record, a non-empty array of them, or ``{"records": [...]}``; at most
   :data:`hub.intake.MAX_RECORDS` records. CSV is one record type per post
   (``?record_type=``), with the native field names as its header row.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from hub.api._openapi_examples import NATIVE_EXAMPLES
from hub.api._openapi_parts import (
    AGENCY_TOKEN,
    EXAMPLE_CORRELATION_ID,
    json_answer,
    problems,
    ref,
)
from hub.intake import MAX_RECORDS, native_record_shapes

__all__ = ["native_components", "records_path"]

_PREFIX = "Native"
# Codes and lists an adapter converts from text before checking them; scalars are read from
# text by pydantic's lax mode whether converted or not (``_NativeSchema``).
_CONVERTED = frozenset({"enum", "tuple", "definition-ref"})
_TEXT_FORM = {
    "type": "string",
    "description": "Its text form, as in a CSV cell: see docs/adapters.md for each field.",
}


def _kind_component(kind: str) -> str:
    return "".join(part.title() for part in kind.split("_")) + "Record"


def _or_text(generated: JsonSchemaValue) -> JsonSchemaValue:
    return {"anyOf": [generated, _TEXT_FORM]}


class _NativeSchema(GenerateJsonSchema):
    """Pydantic's JSON Schema with rule 2: native records are read in pydantic's lax mode, so
    every number, boolean, date and time may come as text, and so may every code or list an
    adapter converts before checking it."""

    def int_schema(self, schema: core_schema.IntSchema) -> JsonSchemaValue:
        return _or_text(super().int_schema(schema))

    def float_schema(self, schema: core_schema.FloatSchema) -> JsonSchemaValue:
        return _or_text(super().float_schema(schema))

    def bool_schema(self, schema: core_schema.BoolSchema) -> JsonSchemaValue:
        return _or_text(super().bool_schema(schema))

    def date_schema(self, schema: core_schema.DateSchema) -> JsonSchemaValue:
        return _or_text(super().date_schema(schema))

    def datetime_schema(self, schema: core_schema.DatetimeSchema) -> JsonSchemaValue:
        return _or_text(super().datetime_schema(schema))

    def function_before_schema(
        self, schema: core_schema.BeforeValidatorFunctionSchema
    ) -> JsonSchemaValue:
        inner = schema["schema"]
        converted = inner["schema"] if inner["type"] == "nullable" else inner
        generated = super().function_before_schema(schema)
        if converted["type"] not in _CONVERTED:
            return generated
        return _or_text(generated)


def native_components() -> dict[str, Any]:
    """Every native record model (rule 1), and one ``oneOf`` component per adapter kind."""
    shapes = native_record_shapes()
    validation: Literal["validation"] = "validation"
    inputs = [
        ((kind, record_type), validation, model.__pydantic_core_schema__)
        for kind, models in shapes.items()
        for record_type, model in models.items()
    ]
    generator = _NativeSchema(ref_template=f"#/components/schemas/{_PREFIX}{{model}}")
    refs, definitions = generator.generate_definitions(inputs)
    components = {_PREFIX + name: schema for name, schema in definitions.items()}
    for kind, types in shapes.items():
        components[_kind_component(kind)] = {
            "description": (
                f"A native record of a {kind} agency: record_type is one of "
                f"{', '.join(types)}. Another kind's record is refused (422)."
            ),
            "x-adapter-kind": kind,
            "oneOf": [refs[(kind, record_type), "validation"] for record_type in types],
            "discriminator": {
                "propertyName": "record_type",
                "mapping": {
                    record_type: refs[(kind, record_type), "validation"]["$ref"]
                    for record_type in types
                },
            },
        }
    components["NativeRecord"] = {
        "description": "A native record of any adapter kind; the caller's kind decides which.",
        "anyOf": [ref(_kind_component(kind)) for kind in shapes],
    }
    return components


def _json_records() -> dict[str, Any]:
    many = {"type": "array", "items": ref("NativeRecord"), "minItems": 1, "maxItems": MAX_RECORDS}
    return {
        "schema": {
            "oneOf": [
                ref("NativeRecord"),
                many,
                {
                    "type": "object",
                    "properties": {"records": many},
                    "required": ["records"],
                    "additionalProperties": False,
                },
            ]
        },
        "examples": {
            kind: {"summary": f"A {kind} agency's records (synthetic)", "value": records}
            for kind, records in NATIVE_EXAMPLES.items()
        },
    }


def records_path() -> dict[str, Any]:
    """The ``/v1/records`` path item."""
    record_types = sorted({t for models in native_record_shapes().values() for t in models})
    return {
        "post": {
            "operationId": "postRecords",
            "summary": "Post native records for the agency's adapter to map.",
            "description": (
                "The calling agency's kind (police, children_services, adult_services, "
                "education) chooses the adapter, and so which record types it may send "
                "(PoliceRecord, ChildrenServicesRecord...). JSON: one record, a non-empty array "
                f'of at most {MAX_RECORDS}, or {{"records": [...]}}. CSV: a header row of the '
                "native field names and one record per row, all of the ?record_type= given. "
                "Nothing is published unless every record maps. See docs/adapters.md."
            ),
            "security": AGENCY_TOKEN,
            "parameters": [
                {
                    "name": "record_type",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": record_types},
                    "description": "The record type of every CSV row; required for CSV.",
                }
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": _json_records(),
                    "text/csv": {
                        "schema": {
                            "type": "string",
                            "description": (
                                "UTF-8 CSV: a header row of the record type's native field "
                                f"names, then 1 to {MAX_RECORDS} rows."
                            ),
                        },
                    },
                },
            },
            "responses": {
                "202": json_answer(
                    "Accepted: every notification confirmed durable.",
                    "RecordsAccepted",
                    example={
                        "status": "accepted",
                        "correlation_id": EXAMPLE_CORRELATION_ID,
                        "notifications": [
                            {
                                "id": "mis-6f0c2a9e41d7b3850a1c9e2f4d6b8a03",
                                "type": "uk.sehub.missing_episode.started.v1",
                            }
                        ],
                    },
                ),
                **problems(
                    {
                        401: "No or unknown bearer token, or a request signature that fails.",
                        403: (
                            "The agency's kind has no adapter (it posts canonical "
                            "notifications), it signs at its edge (it posts envelopes), or a "
                            "record maps to a type the token may not post."
                        ),
                        409: "A record's notification was accepted before with other content.",
                        413: "The body is too large.",
                        415: "Not application/json or text/csv.",
                        422: "A record failed, or there is none (an empty list, a CSV with no "
                        "rows); errors name records[i].FIELD and the rule.",
                        503: "Broker or audit store unavailable; retry later.",
                    }
                ),
            },
        }
    }
