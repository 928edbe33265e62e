"""Per-agency adapters: native records (national data specifications) -> canonical notifications.

Each ``adapters/<kind>/`` package exports ``ADAPTER``; :func:`adapter_for` finds it by kind.
The shared interface and helpers are in :mod:`adapters._core`, exported here.
"""

import functools
import importlib

from adapters import _core
from adapters._core import (
    ID_KEY_BYTES,
    AdapterContext,
    MappingFailed,
    RecordAdapter,
    RecordProblem,
    derive_id,
    map_records,
)
from schemas import field_names_of as _field_names_of

__all__ = [
    "ADAPTER_KINDS",
    "ID_KEY_BYTES",
    "AdapterContext",
    "MappingFailed",
    "RecordAdapter",
    "RecordProblem",
    "adapter_for",
    "derive_id",
    "map_records",
    "native_field_names",
]

ADAPTER_KINDS = ("police", "children_services", "adult_services", "education")


def adapter_for(kind: str) -> RecordAdapter:
    """The adapter for an agency kind; ``KeyError`` for an unknown kind."""
    if kind not in ADAPTER_KINDS:
        raise KeyError(kind)
    adapter: RecordAdapter = importlib.import_module(f"adapters.{kind}").ADAPTER
    return adapter


@functools.cache
def native_field_names() -> frozenset[str]:
    """Every field name the native record types of every adapter define (and ``records``)."""
    for kind in ADAPTER_KINDS:
        importlib.import_module(f"adapters.{kind}")
    models: list[type[_core.NativeRecord]] = []
    pending = [_core.NativeRecord]
    while pending:
        model = pending.pop()
        models.append(model)
        pending.extend(model.__subclasses__())
    return _field_names_of(models) | {"records"}
