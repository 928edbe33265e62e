"""What the benchmarks that wipe a database share: the guard that it is a scratch one, removing
a SQLite file with its journals, and writing a result document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

__all__ = ["refuse_unless_scratch", "remove_sqlite", "write_document"]


def refuse_unless_scratch(url: str) -> None:
    """A benchmark drops every table: only on a PostgreSQL database named as a scratch one."""
    if not url.startswith("postgresql"):
        return
    name = make_url(url).database or ""
    if not name.endswith(("_test", "_bench")):
        raise SystemExit(
            f"refusing to wipe PostgreSQL database {name!r}: the benchmark drops every table, "
            "so it runs only on a database whose name ends in _test or _bench"
        )


def remove_sqlite(path: Path) -> None:
    """Delete a SQLite database and its WAL files; make sure its directory exists."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)


def write_document(output: Path, document: dict[str, Any]) -> None:
    """Write a result document as indented JSON, creating its directory."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
