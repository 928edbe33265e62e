#!/usr/bin/env python3
"""Lint AsyncAPI 3.0 documents against the official AsyncAPI 3.0.0 JSON Schema.

The schema is the one the ``@asyncapi/specs`` package ships (``schemas/3.0.0.json``: JSON
Schema draft-07, with every binding's schema bundled). It is not copied into the repository:
``npm pack`` fetches the pinned tarball through the machine's npm, its SHA-256 must equal the
pin below, and only that one file is kept, under ``var/asyncapi/`` (git ignores ``var/``), so
the next run needs no network.

Usage: ``python scripts/asyncapi_schema.py [FILE ...]`` (default ``docs/asyncapi.yaml``);
prints each problem with its place and exits 1 if there is any. The unit tests call
:func:`problems` on the document ``hub asyncapi`` writes.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator

PACKAGE = "@asyncapi/specs@6.11.1"
TARBALL_SHA256 = "01af8744dc33c0c7eb2e908f6a955319ee58b70ecadc9387d1aeb16c0cd28928"
MEMBER = "package/schemas/3.0.0.json"
REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "var" / "asyncapi" / "specs-6.11.1-3.0.0.json"


def _fetch(destination: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("asyncapi_schema: npm is needed to fetch the schema (apt-get install npm)")
    with tempfile.TemporaryDirectory() as scratch:
        packed = subprocess.run(  # noqa: S603  # npm, with our fixed arguments
            [npm, "pack", PACKAGE, "--pack-destination", scratch, "--silent"],
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )
        tarball = Path(scratch) / packed.stdout.strip().splitlines()[-1]
        digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
        if digest != TARBALL_SHA256:
            raise SystemExit(f"asyncapi_schema: {PACKAGE} has SHA-256 {digest}, not the pin")
        with tarfile.open(tarball, "r:gz") as archive:
            member = archive.extractfile(MEMBER)
            if member is None:
                raise SystemExit(f"asyncapi_schema: {PACKAGE} has no {MEMBER}")
            text = member.read()
    json.loads(text)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_suffix(".partial")
    partial.write_bytes(text)
    partial.replace(destination)


def schema() -> dict[str, Any]:
    """The official AsyncAPI 3.0.0 JSON Schema, fetched once and cached."""
    if not CACHE.exists():
        _fetch(CACHE)
    loaded: dict[str, Any] = json.loads(CACHE.read_text(encoding="utf-8"))
    return loaded


def problems(document: Any) -> list[str]:
    """Every place ``document`` breaks the AsyncAPI 3.0.0 schema, one line each."""
    validator = Draft7Validator(schema())
    found = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
        place = "/".join(str(part) for part in error.absolute_path) or "(document)"
        found.append(f"{place}: {error.message[:300]}")
    return found


def main(paths: list[str]) -> int:
    failed = False
    for path in paths or [str(REPO / "docs" / "asyncapi.yaml")]:
        for problem in problems(yaml.safe_load(Path(path).read_text(encoding="utf-8"))):
            failed = True
            print(f"{path}: {problem}")  # noqa: T201  # a lint reports on stdout
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
