"""One JSON Schema (draft 2020-12) per notification type, for integrators in any language.

The checked-in copies live in ``schemas/json/`` and a test fails if they disagree with the
models; ``hub schemas export`` rewrites them. Each schema is self-contained (its ``$defs``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from schemas._catalogue import CATALOGUE

__all__ = [
    "JSON_SCHEMA_DIR",
    "export_json_schemas",
    "json_schema_documents",
    "rendered_json_schemas",
]

JSON_SCHEMA_DIR = Path(__file__).resolve().parent / "json"
_ID_BASE = "urn:sehub:schema:"


def json_schema_documents() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema document, one per catalogue type."""
    documents: dict[str, dict[str, Any]] = {}
    for type_name, model in sorted(CATALOGUE.items()):
        schema = model.model_json_schema(mode="validation")
        documents[f"{type_name}.json"] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": _ID_BASE + type_name,
            **schema,
        }
    return documents


def _render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def export_json_schemas(directory: Path = JSON_SCHEMA_DIR) -> list[Path]:
    """Write every schema to ``directory`` (removing stale ones); returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    documents = json_schema_documents()
    for stale in directory.glob("*.json"):
        if stale.name not in documents:
            stale.unlink()
    written = []
    for name, document in documents.items():
        path = directory / name
        path.write_text(_render(document), encoding="utf-8")
        written.append(path)
    return written


def rendered_json_schemas() -> dict[str, str]:
    """File name -> exact text the export writes (for the drift test)."""
    return {name: _render(document) for name, document in json_schema_documents().items()}
