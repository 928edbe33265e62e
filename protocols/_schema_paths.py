"""Paths in the exported JSON Schemas of the notification catalogue, for checking a protocol.

A protocol names data by dotted paths (``data.person.upn``); these functions say which paths a
notification type can hold, which are leaves, and which values a path can take, judged on the
JSON Schemas :mod:`schemas` exports: ``$ref``/``$defs`` and ``anyOf`` are followed, and arrays
are leaves, as :func:`hub.sharing.decide` treats them.

Pure: it reads the schemas package and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from typing import Any

from schemas import json_schema_documents

__all__ = [
    "can_hold",
    "finite_values",
    "holds_a_time",
    "path_schemas",
    "schema_leaf_paths",
    "schema_paths",
]

_MAX_DEPTH = 16  # the canonical schemas nest four deep; this only stops a recursive $ref
_TIME_FORMATS = frozenset({"date", "date-time"})


@cache
def _schemas() -> Mapping[str, Mapping[str, Any]]:
    return {
        name.removesuffix(".json"): document for name, document in json_schema_documents().items()
    }


def _alternatives(node: Mapping[str, Any], defs: Mapping[str, Any], depth: int = 0) -> list[Any]:
    """The concrete subschemas ``node`` stands for: ``$ref`` resolved, ``anyOf`` etc. flattened."""
    if depth > _MAX_DEPTH:
        return []
    if "$ref" in node:
        name = str(node["$ref"]).rpartition("/")[2]
        target = defs.get(name)
        return [] if target is None else _alternatives(target, defs, depth + 1)
    options = [*node.get("anyOf", ()), *node.get("oneOf", ()), *node.get("allOf", ())]
    if options:
        return [alt for option in options for alt in _alternatives(option, defs, depth + 1)]
    return [node]


def _walk(
    node: Mapping[str, Any], defs: Mapping[str, Any], prefix: str, depth: int = 0
) -> Iterator[tuple[str, list[Any]]]:
    """Every property path below ``node`` with its resolved subschemas (arrays not entered)."""
    if depth > _MAX_DEPTH:
        return
    properties: dict[str, list[Any]] = {}
    for alternative in _alternatives(node, defs):
        for name, schema in alternative.get("properties", {}).items():
            properties.setdefault(name, []).append(schema)
    for name, schemas in properties.items():
        path = f"{prefix}.{name}" if prefix else name
        resolved = [alt for schema in schemas for alt in _alternatives(schema, defs)]
        yield path, resolved
        for schema in schemas:
            yield from _walk(schema, defs, path, depth + 1)


@cache
def path_schemas(type_name: str) -> Mapping[str, tuple[Any, ...]]:
    document = _schemas()[type_name]
    defs = document.get("$defs", {})
    collected: dict[str, list[Any]] = {}
    for path, resolved in _walk(document, defs, ""):
        collected.setdefault(path, []).extend(resolved)
    return {path: tuple(resolved) for path, resolved in collected.items()}


def schema_paths(type_name: str) -> frozenset[str]:
    """Every dotted path (leaves and their prefixes) an event of this catalogue type can hold."""
    return frozenset(path_schemas(type_name))


def schema_leaf_paths(type_name: str) -> frozenset[str]:
    """The dotted paths of this catalogue type that have no properties of their own."""
    return frozenset(
        path
        for path, resolved in path_schemas(type_name).items()
        if not any(isinstance(alt, Mapping) and alt.get("properties") for alt in resolved)
    )


def finite_values(resolved: Sequence[Any]) -> list[object] | None:
    """Every value the path can hold, when the schema makes that a finite set; else None."""
    values: list[object] = []
    for alternative in resolved:
        if not isinstance(alternative, Mapping):
            return None
        if "const" in alternative:
            values.append(alternative["const"])
        elif "enum" in alternative:
            values.extend(alternative["enum"])
        elif alternative.get("type") == "boolean":
            values.extend((True, False))
        elif alternative.get("type") == "null":
            values.append(None)
        else:
            return None
    return values


def can_hold(value: object, allowed: Sequence[object]) -> bool:
    # As decide() compares: the type must agree too, so `true` never matches `1` or "true".
    return any(type(value) is type(option) and value == option for option in allowed)


def holds_a_time(resolved: Sequence[Any]) -> bool:
    """Whether every non-null form of the path is a date or date-time string."""
    forms = [
        alt for alt in resolved if not (isinstance(alt, Mapping) and alt.get("type") == "null")
    ]
    return bool(forms) and all(
        isinstance(alt, Mapping)
        and alt.get("type") == "string"
        and alt.get("format") in _TIME_FORMATS
        for alt in forms
    )
