"""The information-sharing protocol as frozen data.

A protocol is what the partners signed off: who may publish which notification types, who is
told, which fields each recipient gets, why, and on which lawful basis. It is loaded from YAML
(:mod:`protocols._loader`) into these models, which the pure ``decide()`` reads.

Rules:

1. Unknown keys in the YAML are errors; a typo never silently widens or narrows sharing.
2. Parties are the agencies that signed; a council's service has its LA code, a police force or
   health body the areas it covers, a school its URN and LA, and a registered provider the
   councils that registered it, so roles resolve without any other lookup.
3. A recipient is a party id, or a role resolved from the notification and routing state
   (:class:`~protocols.Role`: the resident, responsible and host authorities, the police and
   health body for the area the person is in, the school the pupil attends). A publisher is a
   party id or ``{kind: ...}``, expanded here to every party of that kind, so a rule is
   written once per kind of party, never copied per council.
4. ``fields`` is an allow-list of dotted paths into the CloudEvent (``data.person.nhs_number``).
   A path allows its whole subtree. Anything not listed is withheld.
5. ``when`` narrows a rule: facts (``child``, ``adult``, ``looked_after``, ``se_marker``,
   ``cross_border``, ``risk_at_least``) and exact matches on event paths (``match``). A fact
   that cannot be established never satisfies a condition.
6. ``identify_by`` lists identifiers a recipient can match a view by; a view holding none of
   them is refused, not sent. ``withdraw`` marks a rule whose recipients are told again when
   the person's risk falls below the level they were told, or the person leaves the RMG.
7. The version recorded on every decision is the declared version plus a hash of the file's
   exact bytes, so two different files can never be mistaken for one another.
8. A rule's ``escalation`` names a ladder of :mod:`protocols._obligations` and needs the rule's
   ``acknowledge_within``: the ladder counts from that deadline. Clocks are declared beside the
   rules; a clock starts or stops only on (type, publisher) pairs some rule names, so nothing
   reaches a clock that the protocol does not let that publisher publish.
9. Rule and clock ids share one namespace (a receipt's ``rule_id`` names either), and the party
   ids ``hub`` and ``recipient`` are reserved.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import Field, PrivateAttr, field_validator, model_validator

from protocols._index import ProtocolIndex, index_protocol
from protocols._obligations import Clock, ClockTrigger, Ladder
from protocols._terms import (
    COUNCIL_ROLES,
    COUNCIL_SERVICES,
    ID_PATTERN,
    Authority,
    Condition,
    Deadline,
    FieldPath,
    FieldPaths,
    Frozen,
    LawfulBasis,
    PartyKind,
    Publishers,
    Recipients,
    Retention,
    RiskThreshold,
    Role,
    RoleRecipient,
    When,
    party_ids,
)
from schemas import LA_CODE_PATTERN

# A party's LA is in the canonical form people's areas are normalised to (schemas._areas): a
# DfE code, or the GSS code of a council outside England. An English GSS code would never match.
AREA_PATTERN = LA_CODE_PATTERN

__all__ = [
    "AREA_PATTERN",
    "COUNCIL_ROLES",
    "COUNCIL_SERVICES",
    "Authority",
    "Condition",
    "Party",
    "PartyKind",
    "Protocol",
    "RiskThreshold",
    "Role",
    "RoleRecipient",
    "Rule",
    "When",
]

_RESERVED_PARTY_IDS = {
    "hub": "the hub's own keys",
    "recipient": "a ladder step's 'to: recipient'",
}


# The kinds of party each role resolves to (as hub.sharing does, which this package cannot import).
_AREA_KINDS: Mapping[Role, PartyKind] = {
    Role.POLICE_FOR_AREA: PartyKind.POLICE,
    Role.POLICE_FOR_HOST_AREA: PartyKind.POLICE,
    Role.POLICE_FOR_RESPONSIBLE_AREA: PartyKind.POLICE,
    Role.HEALTH_FOR_AREA: PartyKind.HEALTH,
}
_AREA_PARTIES = frozenset({PartyKind.POLICE, PartyKind.HEALTH})


class Party(Frozen):
    """An agency that is party to the protocol."""

    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1)
    kind: PartyKind
    la_code: str | None = Field(
        default=None,
        pattern=AREA_PATTERN,
        description="A council's (or a school's) LA: DfE code, or GSS code outside England.",
    )
    areas: tuple[str, ...] = Field(
        default=(), description="LA codes a police force or health body covers."
    )
    urn: str | None = Field(default=None, pattern=r"^[0-9]{6}$", description="A school's URN.")
    registered_by: tuple[str, ...] = Field(
        default=(),
        description="A provider's: the LAs that registered it to notify their placements.",
    )

    @field_validator("areas", "registered_by")
    @classmethod
    def _la_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for code in value:
            if not re.match(AREA_PATTERN, code):
                raise ValueError(
                    f"{code!r} is not an LA code (DfE three digits, or the GSS code of a "
                    "council outside England)"
                )
        return value

    @model_validator(mode="after")
    def _fields_of_its_kind(self) -> Party:
        kind = self.kind
        wanted = {
            "la_code": kind in COUNCIL_SERVICES or kind is PartyKind.SCHOOL,
            "areas": kind in _AREA_PARTIES,
            "urn": kind is PartyKind.SCHOOL,
            "registered_by": kind is PartyKind.PROVIDER,
        }
        for name, needed in wanted.items():
            given = bool(getattr(self, name))
            if given != needed:
                verb = "needs" if needed else "has no"
                raise ValueError(f"party {self.id}: a {kind.value} party {verb} {name}")
        return self

    def may_be(self, recipient: RoleRecipient) -> bool:
        """Whether a role recipient can resolve to this party, by its kind (and ``service``)."""
        role = recipient.role
        if role in COUNCIL_ROLES:
            by_age = {PartyKind.CHILDREN_SERVICES, PartyKind.ADULT_SERVICES}
            return self.kind in ({recipient.service} if recipient.service else by_age)
        if role is Role.SCHOOL:
            return self.kind in (PartyKind.SCHOOL, PartyKind.EDUCATION)
        return self.kind is _AREA_KINDS[role]

    def covers(self, area: str) -> bool:
        """Whether the person's area is this party's: its council, or one of its areas."""
        return area == self.la_code or area in self.areas


class Rule(Frozen):
    """One sharing rule: these types, from these publishers, to these recipients."""

    id: str = Field(pattern=ID_PATTERN)
    description: str = ""
    types: tuple[str, ...] = Field(min_length=1)
    publishers: Publishers
    recipients: Recipients
    when: When = Field(default_factory=When)
    fields: FieldPaths
    identify_by: tuple[FieldPath, ...] = Field(
        default=(), description="Identifiers the recipient can match; a view needs one of them."
    )
    withdraw: bool = Field(
        default=False,
        description="Tell a recipient again when the risk falls below what it was told.",
    )
    purpose: str = Field(min_length=1)
    lawful_basis: LawfulBasis
    acknowledge_within: Deadline | None = None
    escalation: str | None = Field(
        default=None, pattern=ID_PATTERN, description="The ladder an unacknowledged copy climbs."
    )
    retention: Retention

    @model_validator(mode="after")
    def _escalation_needs_a_deadline(self) -> Rule:
        if self.escalation is not None and self.acknowledge_within is None:
            raise ValueError(
                f"rule {self.id}: escalation {self.escalation} needs acknowledge_within, the "
                "deadline its first step counts from"
            )
        return self

    @property
    def named_recipients(self) -> tuple[str, ...]:
        """The recipients named as party ids (not roles)."""
        return party_ids(self.recipients)


def _expanded(item: Any, by_kind: Mapping[str, list[str]]) -> Any:
    """``item`` (a rule, or a clock's trigger) with ``{kind: ...}`` publishers expanded."""
    if not isinstance(item, dict) or not isinstance(item.get("publishers"), list):
        return item
    publishers: list[Any] = []
    for publisher in item["publishers"]:
        kind = publisher.get("kind") if isinstance(publisher, dict) else None
        if isinstance(kind, str) and len(publisher) == 1 and kind in by_kind:
            publishers.extend(p for p in by_kind[kind] if p not in publishers)
        elif publisher not in publishers:
            publishers.append(publisher)
    return {**item, "publishers": publishers}


def _expanded_clock(clock: Any, by_kind: Mapping[str, list[str]]) -> Any:
    if not isinstance(clock, dict):
        return clock
    return {
        **clock,
        **{
            trigger: _expanded(clock[trigger], by_kind)
            for trigger in ("starts_on", "stops_on")
            if trigger in clock
        },
    }


def _duplicates(ids: list[str]) -> list[str]:
    return sorted({i for i in ids if ids.count(i) > 1})


class Protocol(Frozen):
    """A partnership's whole protocol."""

    id: str = Field(pattern=ID_PATTERN)
    title: str
    version: str = Field(min_length=1)
    content_hash: str = Field(default="", description="SHA-256 of the file; set by the loader.")
    parties: tuple[Party, ...] = Field(min_length=1)
    rules: tuple[Rule, ...]
    escalations: tuple[Ladder, ...] = Field(default=(), description="Escalation ladders.")
    clocks: tuple[Clock, ...] = Field(default=(), description="Statutory clocks.")
    _index: ProtocolIndex | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _expand_kinds(cls, data: Any) -> Any:
        """Publishers given as ``{kind: ...}`` become every party of that kind (rule 3)."""
        if not isinstance(data, dict) or not isinstance(data.get("parties"), list):
            return data
        by_kind: dict[str, list[str]] = {}
        for party in data["parties"]:
            if isinstance(party, dict):
                by_kind.setdefault(str(party.get("kind")), []).append(str(party.get("id")))
        data = dict(data)
        data["rules"] = [_expanded(rule, by_kind) for rule in data.get("rules") or ()]
        data["clocks"] = [_expanded_clock(clock, by_kind) for clock in data.get("clocks") or ()]
        return data

    @model_validator(mode="after")
    def _references(self) -> Protocol:
        ids = [party.id for party in self.parties]
        if len(set(ids)) != len(ids):
            raise ValueError("party ids must be unique")
        for reserved, why in _RESERVED_PARTY_IDS.items():
            if reserved in ids:
                raise ValueError(f"party id {reserved!r} is reserved for {why}")
        for what, duplicates in (
            ("rule", _duplicates([rule.id for rule in self.rules])),
            ("ladder", _duplicates([ladder.id for ladder in self.escalations])),
            (
                "rule or clock",
                _duplicates([*(r.id for r in self.rules), *(c.id for c in self.clocks)]),
            ),
        ):
            if duplicates:
                raise ValueError(f"duplicate {what} id(s): {duplicates}")
        self._index = index_protocol(self.rules, self.parties, self.escalations)
        problems = [*self._rule_problems(), *self._ladder_problems(), *self._clock_problems()]
        if problems:
            raise ValueError(problems[0])
        return self

    @property
    def index(self) -> ProtocolIndex:
        """The protocol's lookups, built when it was loaded (:mod:`protocols._index`)."""
        index: ProtocolIndex | None = self.__pydantic_private__["_index"]  # type: ignore[index]
        if index is None or not index.built_from(self.rules, self.parties, self.escalations):
            index = self._index = index_protocol(self.rules, self.parties, self.escalations)
        return index

    def _rule_problems(self) -> Iterator[str]:
        known, ladders = set(self.party_ids), {ladder.id for ladder in self.escalations}
        for rule in self.rules:
            unknown = (set(rule.publishers) | set(rule.named_recipients)) - known
            if unknown:
                yield f"rule {rule.id}: not a party to the protocol: {sorted(unknown)}"
            if rule.escalation is not None and rule.escalation not in ladders:
                yield f"rule {rule.id}: escalation {rule.escalation} is not a ladder in escalations"

    def _ladder_problems(self) -> Iterator[str]:
        known = set(self.party_ids)
        for ladder in self.escalations:
            for number, step in enumerate(ladder.steps, start=1):
                if step.named_party is not None and step.named_party not in known:
                    yield (
                        f"ladder {ladder.id}: step {number}: not a party to the protocol: "
                        f"{step.named_party!r} (or 'recipient', or a role)"
                    )

    def _clock_problems(self) -> Iterator[str]:
        known = set(self.party_ids)
        for clock in self.clocks:
            unknown = set(clock.named_recipients) - known
            for trigger in (clock.starts_on, clock.stops_on):
                unknown |= set(trigger.publishers) - known
            if unknown:
                yield f"clock {clock.id}: not a party to the protocol: {sorted(unknown)}"
                continue
            for name, trigger in (("starts_on", clock.starts_on), ("stops_on", clock.stops_on)):
                for type_name, publisher in self._unpublishable(trigger):
                    yield (
                        f"clock {clock.id}: {name}: no rule lets {publisher} publish "
                        f"{type_name}, so it cannot {name.removesuffix('s_on')} the clock"
                    )

    def _unpublishable(self, trigger: ClockTrigger) -> Iterator[tuple[str, str]]:
        for type_name in trigger.types:
            for publisher in trigger.publishers:
                if not self.may_publish(publisher, type_name):
                    yield type_name, publisher

    @property
    def version_tag(self) -> str:
        """The declared version and the file hash, as recorded on every decision."""
        return f"{self.version}+{self.content_hash[:12]}"

    @property
    def party_ids(self) -> tuple[str, ...]:
        return tuple(party.id for party in self.parties)

    def find_party(self, party_id: str) -> Party | None:
        """The party with this id, or None if it is not a party to the protocol."""
        return self.index.party_by_id.get(party_id)

    def party(self, party_id: str) -> Party:
        """The party with this id (``KeyError`` if none)."""
        found = self.find_party(party_id)
        if found is None:
            raise KeyError(party_id)
        return found

    @property
    def retentions(self) -> dict[str, str]:
        """How long what each rule, or clock, shares is kept (ISO 8601 periods), by its id."""
        kept = {rule.id: rule.retention for rule in self.rules}
        kept.update((clock.id, clock.retention) for clock in self.clocks)
        return kept

    def parties_of(self, kind: PartyKind) -> tuple[Party, ...]:
        """The parties of ``kind``, in file order."""
        return self.index.parties_by_kind[kind]

    def la_of(self, party_id: str) -> str | None:
        """The LA code of a council party; None for a party with none, or not in the protocol."""
        found = self.find_party(party_id)
        return None if found is None else found.la_code

    def may_publish(self, publisher: str, type_name: str) -> bool:
        """Whether some rule names ``publisher`` for ``type_name`` (whatever its conditions)."""
        return bool(self.index.rules_for(type_name, publisher))

    def ladder(self, ladder_id: str) -> Ladder:
        """The escalation ladder with this id (``KeyError`` if none)."""
        return self.index.ladder_by_id[ladder_id]
