"""The request examples in the OpenAPI document: the synthetic files in ``docs/examples/``.

The document shows the same files the README and docs/adapters.md post, and the tests map and
post those files, so an example in the document is one the hub is known to accept. They are
read from the source tree the hub runs from; an installation without ``docs/`` serves the
document without request examples (the schemas are unchanged).

Every value in them is synthetic: NHS number 943 476 5919 is from the range NHS Digital gives
for testing, and every name and place is made up.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["CANONICAL_EXAMPLES", "NATIVE_EXAMPLES"]

_EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _canonical() -> dict[str, Any]:
    return {path.stem: _load(path) for path in sorted(_EXAMPLES.glob("*.json"))}


def _native() -> dict[str, Any]:
    return {path.stem: _load(path) for path in sorted((_EXAMPLES / "native").glob("*.json"))}


CANONICAL_EXAMPLES: dict[str, Any] = _canonical()
NATIVE_EXAMPLES: dict[str, Any] = _native()
