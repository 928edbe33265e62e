"""Which rules apply to one notification, found without scanning the protocol.

``decide()`` walks the rules in file order: a rule of another type or publisher is skipped
silently, a rule whose ``when`` does not hold is refused with the first condition that failed,
and a rule whose conditions hold serves its recipients. This module gives the same walk at a
cost flat in the number of rules.

Rules:

1. The rules of a notification come from the protocol's index by (type, publisher)
   (:meth:`protocols.ProtocolIndex.rules_for`), in file order. Rules of other types or
   publishers are never looked at, as the scan skipped them without a word.
2. Whether a ``when`` holds depends only on the facts conditions read (``child``,
   ``looked_after``, ``se_marker``, ``cross_border``, ``claim_conflicts``, ``late_notice``, the
   risk and the publisher's authorities) and on the values at the paths the rules ``match``:
   exact matches, all of them. Those make a notification's *signature*. Two notifications with
   one signature meet and fail exactly the same conditions of exactly the same rules.
3. So the walk is worked out once per (type, publisher) and signature: a sequence of
   *segments*, each either a rule whose conditions hold or the run of refusals ("condition not
   met: ...") of the rules between two such rules, in file order. Refusals are frozen values and
   shared between decisions; they are equal to the ones a scan would build.
4. Each distinct ``when`` of a (type, publisher) is judged once per signature, by
   :func:`hub.sharing._conditions.unmet_condition` itself, so the conditions mean exactly what
   they mean everywhere else.
5. A matched value that is not a plain scalar (an object, a list) has no signature; such a
   notification is walked without the memo, with the same result.
6. The plans are memos of values derived from a frozen protocol and bounded in size:
   ``decide()`` stays a pure function (same arguments, same decision).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Final

from hub.sharing._conditions import ABSENT, unmet_condition, value_at
from hub.sharing._facts import Facts
from hub.sharing._views import Refusal
from protocols import Protocol, Rule, When

__all__ = ["Segment", "SegmentsOf", "rule_segments", "scanned_segments"]

Segment = Rule | tuple[Refusal, ...]  # a rule whose conditions hold, or a run of refusals
SegmentsOf = Callable[[Protocol, str, str, Mapping[str, Any], Facts], tuple[Segment, ...]]
MEMO_LIMIT: Final = 1024  # signatures kept per (type, publisher) before the memo starts again
_SCALARS: Final = (str, int, float, bool, type(None))


def _distinct(whens: list[When]) -> tuple[tuple[When, ...], tuple[int, ...]]:
    r"""The distinct ``when``\s, and for each rule the position of its own among them.

    Told apart by their JSON, which keeps the order of ``match`` (the first path that fails is
    the one a refusal names), where ``==`` would not.
    """
    positions: dict[str, int] = {}
    distinct: list[When] = []
    of_rules: list[int] = []
    for when in whens:
        key = when.model_dump_json()
        if key not in positions:
            positions[key] = len(distinct)
            distinct.append(when)
        of_rules.append(positions[key])
    return tuple(distinct), tuple(of_rules)


@dataclass(slots=True)
class _Walk:
    """The rules of one (type, publisher), and their walks by signature (rule 3)."""

    rules: tuple[Rule, ...]
    whens: tuple[When, ...]
    when_of: tuple[int, ...]  # for each rule, its when's position in ``whens``
    paths: tuple[str, ...]  # every path the whens match, once
    memo: dict[Hashable, tuple[Segment, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, rules: tuple[Rule, ...]) -> _Walk:
        whens, when_of = _distinct([rule.when for rule in rules])
        paths = tuple(dict.fromkeys(path for when in whens for path in when.match))
        return cls(rules, whens, when_of, paths)

    def signature(self, event: Mapping[str, Any], facts: Facts) -> Hashable | None:
        """What the conditions of these rules can tell apart about a notification (rule 2)."""
        values: list[Any] = []
        for path in self.paths:
            value = value_at(event, path)
            if value is ABSENT:
                values.append(ABSENT)
            elif isinstance(value, _SCALARS):
                values.append((type(value), value))  # `true` is not `1` to a match
            else:
                return None  # rule 5
        return (
            facts.child,
            facts.looked_after,
            facts.se_marker,
            facts.cross_border,
            facts.claim_conflicts,
            facts.late_notice,
            facts.risk,
            facts.publisher_is,
            *values,
        )

    def walk(self, event: Mapping[str, Any], facts: Facts) -> tuple[Segment, ...]:
        """The segments of these rules for this notification, in file order (rule 3)."""
        unmet = [unmet_condition(event, facts, when) for when in self.whens]
        segments: list[Segment] = []
        refused: list[Refusal] = []
        for rule, position in zip(self.rules, self.when_of, strict=True):
            reason = unmet[position]
            if reason is None:
                if refused:
                    segments.append(tuple(refused))
                    refused = []
                segments.append(rule)
            else:
                refused.append(Refusal(None, rule.id, f"condition not met: {reason}"))
        if refused:
            segments.append(tuple(refused))
        return tuple(segments)

    def segments(self, event: Mapping[str, Any], facts: Facts) -> tuple[Segment, ...]:
        signature = self.signature(event, facts)
        if signature is None:
            return self.walk(event, facts)
        found = self.memo.get(signature)
        if found is None:
            if len(self.memo) >= MEMO_LIMIT:
                self.memo.clear()
            found = self.memo[signature] = self.walk(event, facts)
        return found


class _Plans:
    """The walks of one protocol, by (type, publisher), made as they are first asked for."""

    __slots__ = ("__weakref__", "index", "walks")

    def __init__(self, protocol: Protocol) -> None:
        self.index = protocol.index
        self.walks: dict[tuple[str, str], _Walk] = {}


# Keyed by id(): a frozen protocol's fields never change, and the entry goes with the protocol.
_PLANS: dict[int, tuple[weakref.ref[Protocol], _Plans]] = {}


def _plans(protocol: Protocol) -> _Plans:
    key = id(protocol)
    entry = _PLANS.get(key)
    if entry is not None and entry[0]() is protocol and entry[1].index is protocol.index:
        return entry[1]
    plans = _Plans(protocol)
    _PLANS[key] = (weakref.ref(protocol, partial(_forget, key)), plans)
    return plans


def _forget(key: int, _: weakref.ref[Protocol]) -> None:
    _PLANS.pop(key, None)


def rule_segments(
    protocol: Protocol, type_name: str, publisher: str, event: Mapping[str, Any], facts: Facts
) -> tuple[Segment, ...]:
    """The rules of ``type_name`` from ``publisher`` that apply, and the refusals of the rest."""
    plans = _plans(protocol)
    walk = plans.walks.get((type_name, publisher))
    if walk is None:
        rules = plans.index.rules_for(type_name, publisher)
        if not rules:
            return ()
        walk = plans.walks[(type_name, publisher)] = _Walk.of(rules)
    return walk.segments(event, facts)


def scanned_segments(
    protocol: Protocol, type_name: str, publisher: str, event: Mapping[str, Any], facts: Facts
) -> tuple[Segment, ...]:
    """As :func:`rule_segments`, by judging every rule of the protocol in turn: the reference."""
    named = tuple(
        rule for rule in protocol.rules if type_name in rule.types and publisher in rule.publishers
    )
    return _Walk(named, tuple(rule.when for rule in named), tuple(range(len(named))), ()).walk(
        event, facts
    )
