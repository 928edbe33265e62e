"""Per-agency adapters: native records (national data specifications) -> canonical notifications.

Each ``adapters/<kind>/`` package exports ``ADAPTER``; :func:`adapter_for` finds it by kind.
The shared interface and helpers are in :mod:`adapters._core`, exported here.
"""

import importlib

from adapters._core import (
    AdapterContext,
    MappingFailed,
    RecordAdapter,
    RecordProblem,
    derive_id,
    map_records,
)

__all__ = [
    "ADAPTER_KINDS",
    "AdapterContext",
    "MappingFailed",
    "RecordAdapter",
    "RecordProblem",
    "adapter_for",
    "derive_id",
    "map_records",
]

ADAPTER_KINDS = ("police", "children_services", "adult_services", "education")


def adapter_for(kind: str) -> RecordAdapter:
    """The adapter for an agency kind; ``KeyError`` for an unknown kind."""
    if kind not in ADAPTER_KINDS:
        raise KeyError(kind)
    adapter: RecordAdapter = importlib.import_module(f"adapters.{kind}").ADAPTER
    return adapter
