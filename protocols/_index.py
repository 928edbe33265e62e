"""The protocol's lookups, indexed once when it is loaded: rules by (type, publisher), parties.

A protocol is frozen, so everything derived from it can be computed once. ``decide()`` asks
"which rules name this notification type and this publisher?" for every notification; a linear
scan of the rules made that cost grow with the protocol. This index answers it with one lookup.

Rules:

1. ``rules_for(type, publisher)`` holds exactly the rules whose ``types`` hold the type and whose
   ``publishers`` hold the publisher, in file order: order decides which rule serves a recipient
   first, so the index never reorders.
2. The parties are indexed by id and by kind (file order within a kind), by (kind, LA code),
   by (kind, area covered) and schools by URN, each keeping the first in file order as a scan
   finds it; the ladders and rules by id, so roles and ladders resolve without scanning.
3. The index is derived data: it is built from the protocol's own fields and never takes part in
   comparing two protocols (two equal protocols have equal indexes).
4. A protocol copied with other fields (``model_copy(update=...)``, which does not validate)
   gets a fresh index: :meth:`ProtocolIndex.built_from` tells the index of its fields apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from protocols._terms import PartyKind

if TYPE_CHECKING:
    from protocols._model import Party, Rule
    from protocols._obligations import Ladder

__all__ = ["ProtocolIndex", "index_protocol"]

Pair = tuple[str, str]  # (notification type, publisher party id)


@dataclass(frozen=True, slots=True, eq=False)
class ProtocolIndex:
    """The protocol's rules by (type, publisher), and its parties, ladders and rules by id."""

    rules: tuple[Rule, ...]  # the tuples it was built from, to tell a copy's fields apart
    parties: tuple[Party, ...]
    escalations: tuple[Ladder, ...]
    by_pair: Mapping[Pair, tuple[Rule, ...]]
    party_by_id: Mapping[str, Party]
    parties_by_kind: Mapping[PartyKind, tuple[Party, ...]]
    party_by_la: Mapping[tuple[PartyKind, str], Party]  # the first of a kind with that LA code
    party_covering: Mapping[tuple[PartyKind, str], Party]  # the first of a kind covering an LA
    school_by_urn: Mapping[str, Party]
    ladder_by_id: Mapping[str, Ladder]
    rule_by_id: Mapping[str, Rule]
    withdrawing: frozenset[str]  # ids of the rules that withdraw

    def __eq__(self, other: object) -> bool:
        # Rule 3: derived from the fields pydantic compares anyway.
        return isinstance(other, ProtocolIndex)

    __hash__ = object.__hash__

    def rules_for(self, type_name: str, publisher: str) -> tuple[Rule, ...]:
        """The rules naming ``type_name`` from ``publisher``, in file order (rule 1)."""
        return self.by_pair.get((type_name, publisher), ())

    def built_from(
        self, rules: tuple[Rule, ...], parties: tuple[Party, ...], escalations: tuple[Ladder, ...]
    ) -> bool:
        """Whether this index was built from exactly these tuples (rule 4)."""
        return self.rules is rules and self.parties is parties and self.escalations is escalations


def index_protocol(
    rules: tuple[Rule, ...], parties: tuple[Party, ...], escalations: tuple[Ladder, ...]
) -> ProtocolIndex:
    """Index a protocol's rules, parties and ladders (see the module's rules)."""
    by_pair: dict[Pair, list[Rule]] = {}
    for rule in rules:
        for pair in dict.fromkeys((t, p) for t in rule.types for p in rule.publishers):
            by_pair.setdefault(pair, []).append(rule)
    by_kind: dict[PartyKind, list[Party]] = {kind: [] for kind in PartyKind}
    party_by_id: dict[str, Party] = {}
    by_la: dict[tuple[PartyKind, str], Party] = {}
    covering: dict[tuple[PartyKind, str], Party] = {}
    by_urn: dict[str, Party] = {}
    for party in parties:  # each keeps the first, as a scan finds it
        by_kind[party.kind].append(party)
        party_by_id.setdefault(party.id, party)
        if party.la_code is not None:
            by_la.setdefault((party.kind, party.la_code), party)
        for area in party.areas:
            covering.setdefault((party.kind, area), party)
        if party.kind is PartyKind.SCHOOL and party.urn is not None:
            by_urn.setdefault(party.urn, party)
    return ProtocolIndex(
        rules=rules,
        parties=parties,
        escalations=escalations,
        by_pair=MappingProxyType({pair: tuple(found) for pair, found in by_pair.items()}),
        party_by_id=MappingProxyType(party_by_id),
        parties_by_kind=MappingProxyType({k: tuple(found) for k, found in by_kind.items()}),
        party_by_la=MappingProxyType(by_la),
        party_covering=MappingProxyType(covering),
        school_by_urn=MappingProxyType(by_urn),
        ladder_by_id=MappingProxyType(_first_by_id(escalations)),
        rule_by_id=MappingProxyType({rule.id: rule for rule in rules}),
        withdrawing=frozenset(rule.id for rule in rules if rule.withdraw),
    )


def _first_by_id(ladders: tuple[Ladder, ...]) -> dict[str, Ladder]:
    found: dict[str, Ladder] = {}
    for ladder in ladders:
        found.setdefault(ladder.id, ladder)
    return found
