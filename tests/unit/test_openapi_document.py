"""The OpenAPI document lints, its examples satisfy its own schemas, and its links resolve."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from adapters import ADAPTER_KINDS, adapter_for
from hub.api import openapi_document
from hub.crypto import SOURCE_FIELDS
from hub.intake import ENVELOPE_CONTENT_TYPE

DOCUMENT = openapi_document()
_URI = "urn:sehub:openapi"
_REGISTRY = Registry().with_resource(_URI, Resource(DOCUMENT, specification=DRAFT202012))


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator of ``schema``, whose references point into the document."""
    absolute = json.loads(json.dumps(schema).replace('"#/components/', f'"{_URI}#/components/'))
    return Draft202012Validator(absolute, registry=_REGISTRY)


def _operations() -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def _examples() -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, value) for every example in a request body or a response."""
    for name, operation in _operations():
        contents = [("request", operation.get("requestBody", {}).get("content", {}))]
        contents += [(status, r.get("content", {})) for status, r in operation["responses"].items()]
        for part, content in contents:
            for media, described in content.items():
                if "example" in described:
                    yield f"{name} {part} {media}", described["schema"], described["example"]
                for key, example in described.get("examples", {}).items():
                    yield f"{name} {part} {media} {key}", described["schema"], example["value"]


EXAMPLES = list(_examples())


def test_the_generated_document_lints_as_openapi_31() -> None:
    """openapi-spec-validator finds nothing wrong with the document the hub serves."""
    validate(DOCUMENT)
    assert DOCUMENT["openapi"] == "3.1.0"


def test_every_operation_has_a_request_and_a_response_example_where_it_has_a_body() -> None:
    """Each operation with a JSON body has an example of it, and each has a 2xx example."""
    for name, operation in _operations():
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            assert body.get("examples"), name
    assert any("202" in where for where, _, _ in EXAMPLES)
    assert len(EXAMPLES) > 50


@pytest.mark.parametrize(("where", "schema", "value"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_every_example_satisfies_its_schema(where: str, schema: dict[str, Any], value: Any) -> None:
    """An example in the document is valid against the schema it illustrates."""
    errors = [error.message[:200] for error in _validator(schema).iter_errors(value)]
    assert errors == [], where


def test_each_kind_has_its_native_record_shapes_and_no_more() -> None:
    """The per-kind component lists exactly the record types the kind's adapter reads."""
    schemas = DOCUMENT["components"]["schemas"]
    for kind in ADAPTER_KINDS:
        component = next(s for s in schemas.values() if s.get("x-adapter-kind") == kind)
        assert set(component["discriminator"]["mapping"]) == adapter_for(kind).record_types
        for target in component["discriminator"]["mapping"].values():
            name = target.rsplit("/", 1)[1]
            assert name.startswith("Native")
            assert schemas[name]["additionalProperties"] is False


def test_a_record_of_no_kind_and_an_empty_list_are_outside_the_records_schema() -> None:
    """The records body schema refuses what the hub refuses: an empty list, an unknown type."""
    body = DOCUMENT["paths"]["/v1/records"]["post"]["requestBody"]["content"]
    validator = _validator(body["application/json"]["schema"])
    assert not validator.is_valid([])
    assert not validator.is_valid({"record_type": "no_such_record"})
    assert not validator.is_valid({"records": []})


def test_a_native_date_is_described_as_a_date_or_its_text_form() -> None:
    """A converted field accepts its text form in the schema, as the adapter does."""
    report = DOCUMENT["components"]["schemas"]["NativeMissingPersonReport"]["properties"]
    forms = report["dob"]["anyOf"]
    assert {"type": "string", "format": "date"} in forms
    assert any(f.get("type") == "string" and "format" not in f for f in forms)


def test_every_link_names_an_operation_and_a_field_of_its_response() -> None:
    """A link's operationId exists, each $response.body pointer is in the response schema, and
    each $request.path expression names a path parameter of the operation linked from."""
    operation_ids = {operation["operationId"] for _, operation in _operations()}
    schemas = DOCUMENT["components"]["schemas"]
    found = 0
    for name, operation in _operations():
        in_path = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        for status, response in operation["responses"].items():
            for link in response.get("links", {}).values():
                found += 1
                assert link["operationId"] in operation_ids, name
                feeds = [*link.get("parameters", {}).values()]
                feeds += [*(link.get("requestBody") or {}).values()]
                for expression in feeds:
                    if expression.startswith("$request.path."):
                        assert expression.removeprefix("$request.path.") in in_path, name
                        continue
                    answer = response["content"]["application/json"]["schema"]["$ref"]
                    properties = schemas[answer.rsplit("/", 1)[1]]["properties"]
                    field = expression.removeprefix("$response.body#/").split("/")[0]
                    assert field in properties, f"{name} {status}: {expression}"
    assert found >= 3


def test_a_delivery_id_from_replay_feeds_the_acknowledgement_path() -> None:
    """Replay's answer links to acknowledgeDelivery with a delivery id from its body."""
    replay = DOCUMENT["paths"]["/v1/deliveries/replay"]["post"]["responses"]["200"]
    link = replay["links"]["acknowledgeFirst"]
    assert link["operationId"] == "acknowledgeDelivery"
    assert link["parameters"] == {"delivery_id": "$response.body#/delivery_ids/0"}


def test_every_problem_example_has_the_status_of_its_response() -> None:
    """A problem example shows the status, and the problem type, the hub sends for it."""
    for name, operation in _operations():
        for status, response in operation["responses"].items():
            problem = response.get("content", {}).get("application/problem+json")
            if problem is None:
                continue
            (example,) = problem["examples"].values()
            assert example["value"]["status"] == int(status), name
            assert example["value"]["type"].startswith("urn:sehub:problem:")
            assert "X-Correlation-ID" in response["headers"]


def test_the_source_envelope_body_is_the_wire_formats_and_takes_its_vector() -> None:
    """postNotification describes the source envelope with exactly the wire format's members,
    and the known-answer envelope of docs/wire-format.md satisfies that schema."""
    operation = DOCUMENT["paths"]["/v1/notifications"]["post"]
    schema = operation["requestBody"]["content"][ENVELOPE_CONTENT_TYPE]["schema"]
    assert tuple(schema["required"]) == SOURCE_FIELDS
    assert schema["additionalProperties"] is False
    vectors = Path(__file__).parent / "crypto" / "vectors" / "source-envelope.json"
    envelope = json.loads(json.loads(vectors.read_text(encoding="utf-8"))["envelope"])
    _validator(schema).validate(envelope)
    signed = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
    assert signed == {"Content-Digest", "Signature-Input", "Signature"}
