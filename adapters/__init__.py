"""Per-agency adapters: native records (national data specifications) -> canonical notifications.

Each ``adapters/<kind>/`` package exports ``ADAPTER``; :func:`adapter_for` finds it by kind.
The shared interface and helpers are in :mod:`adapters._core`, exported here.
"""

import functools
import importlib
from collections.abc import Mapping as _Mapping
from types import MappingProxyType as _MappingProxyType
from typing import get_args as _get_args

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
    "PRODUCES",
    "AdapterContext",
    "MappingFailed",
    "RecordAdapter",
    "RecordProblem",
    "adapter_for",
    "derive_id",
    "map_records",
    "native_field_names",
    "native_record_models",
]

ADAPTER_KINDS = ("police", "children_services", "adult_services", "education")

_MISSING = ("uk.sehub.missing_episode.started.v1", "uk.sehub.missing_episode.ended.v1")
# The notification types each adapter maps native records to: what `hub protocol lint` checks
# every party of that kind may publish.
PRODUCES: dict[str, frozenset[str]] = {
    "police": frozenset({*_MISSING, "uk.sehub.concern.raised.v1"}),
    "children_services": frozenset(
        {
            *_MISSING,
            "uk.sehub.placement.started.v1",
            "uk.sehub.placement.ended.v1",
            "uk.sehub.return_interview.recorded.v1",
            "uk.sehub.se_risk.assessed.v1",
        }
    ),
    "adult_services": frozenset({"uk.sehub.concern.raised.v1", "uk.sehub.se_risk.assessed.v1"}),
    "education": frozenset({"uk.sehub.education.concern_raised.v1"}),
}


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


@functools.cache
def native_record_models(kind: str) -> _Mapping[str, type[_core.NativeRecord]]:
    """The native record models of an adapter kind, by the ``record_type`` each one reads.

    Found as the :class:`NativeRecord` subclasses defined in ``adapters.<kind>`` whose
    ``record_type`` is one literal; ``KeyError`` for an unknown kind.
    """
    adapter_for(kind)
    found: dict[str, type[_core.NativeRecord]] = {}
    pending = [_core.NativeRecord]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        literal = _get_args(model.model_fields["record_type"].annotation)
        if model.__module__.startswith(f"adapters.{kind}.") and len(literal) == 1:
            found[literal[0]] = model
    return _MappingProxyType(dict(sorted(found.items())))
