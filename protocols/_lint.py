"""Lint a protocol: mistakes that load cleanly but would not share what the signatories meant.

The loader (:mod:`protocols._loader`) already refuses what is malformed: unknown keys, bad ids,
recipients that are not parties. This module finds what is well formed but wrong, and says where
(the rule, clock or ladder, and the line when the YAML text is given). A clock is checked as a
rule is, its ``fields`` against its ``starts_on`` types and each trigger's ``when`` against its
own types:

* ``unknown-type`` (error): a notification type that is not in :data:`schemas.CATALOGUE`; no such
  notification can be posted, so the rule never applies to it (or the clock never starts/stops).
* ``unknown-field`` / ``unknown-match-path`` (error): a path in ``fields``, ``identify_by`` or
  ``when.match`` in none of the types' JSON Schemas (:mod:`protocols._schema_paths`).
* ``impossible-match`` (error): a ``when.match`` value the schema can never hold (an enum value
  that does not exist, ``'true'`` for a boolean), so the rule never applies.
* ``unknown-episode-path`` (error): a clock trigger's ``episode`` path that one of its types
  lacks: such a notification names no episode, so it never starts (or stops) the clock.
* ``unknown-due-path`` (error): a clock's ``due`` path that a starting type lacks, or that holds
  no date or date-time: the clock never falls due, so it never starts.
* ``unreachable-rule`` (error): a rule all of whose (type, publisher, recipient) combinations
  earlier unconditional rules already serve (a recipient is served once, by the first rule), so
  it never shares anything. A rule with a role recipient is never reported.
* ``unused-party`` (warning): a party no rule, clock or ladder names and no role recipient could
  resolve to.
* the completeness checks of :mod:`protocols._completeness` (``kind-cannot-publish``,
  ``identifier-not-shared``, ``lawful-basis-incomplete``, ``withdraw-without-threshold``, and
  with an agency directory ``no-queue``, ``publisher-not-in-directory``, ``not-in-directory``).
* ``unused-ladder`` (warning): a ladder no rule names as its ``escalation``.
* ``no-deadline`` (warning): a rule without ``acknowledge_within``: receipts carry no deadline.

A rule with a deadline and no ladder is not reported: the partnership decides which deliveries
are chased. Pure: it reads the schemas package and nothing of the hub, broker or database.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import chain
from typing import Any

import yaml

from protocols._completeness import completeness_gaps, directory_gaps
from protocols._loader import _describe, _line_of
from protocols._model import Condition, Protocol, RoleRecipient, Rule, When
from protocols._obligations import RECIPIENT, Clock, ClockTrigger
from protocols._schema_paths import (
    can_hold,
    finite_values,
    holds_a_time,
    path_schemas,
    schema_leaf_paths,
    schema_paths,
)
from schemas import CATALOGUE

__all__ = ["Finding", "Severity", "lint_protocol", "schema_leaf_paths", "schema_paths"]

Location = tuple[int | str, ...]


class Severity(StrEnum):
    """An error should stop sign-off; a warning needs a reviewer's judgement."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: how bad, which check, what, and where (rule, YAML location and line)."""

    severity: Severity
    code: str
    message: str
    rule: str | None = None
    location: str = ""
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The finding as plain JSON-ready data."""
        return {
            "severity": self.severity.value,
            "code": self.code,
            "rule": self.rule,
            "location": self.location,
            "line": self.line,
            "message": self.message,
        }


# --- the checks -------------------------------------------------------------------------------


class _Linter:
    def __init__(
        self,
        protocol: Protocol,
        source: bytes | None,
        agency_ids: Collection[str] | None,
        produced: Mapping[str, Collection[str]] | None = None,
    ) -> None:
        self.protocol = protocol
        self.produced = produced
        self.root = yaml.compose(source) if source is not None else None
        self.agency_ids = agency_ids
        self.findings: list[Finding] = []

    def add(
        self,
        severity: Severity,
        code: str,
        message: str,
        location: Location,
        owner: str | None = None,
    ) -> None:
        self.findings.append(
            Finding(
                severity=severity,
                code=code,
                message=message,
                rule=owner,
                location=_describe(location),
                line=None if self.root is None else _line_of(self.root, location),
            )
        )

    def run(self) -> tuple[Finding, ...]:
        for index, rule in enumerate(self.protocol.rules):
            where: Location = ("rules", index)
            known = self.types(rule.types, (*where, "types"), rule.id)
            self.fields(known, rule.fields, where, rule.id, _RULE)
            self.identifiers(known, rule.identify_by, where, rule.id)
            self.matches(known, rule.when, (*where, "when"), rule.id, _RULE)
            if rule.acknowledge_within is None:
                self.add(
                    Severity.WARNING,
                    "no-deadline",
                    "no acknowledge_within: receipts carry no deadline, so nobody is chased",
                    where,
                    rule.id,
                )
        for index, clock in enumerate(self.protocol.clocks):
            self.clock(clock, ("clocks", index))
        self.unreachable()
        self.unused_parties()
        self.unused_ladders()
        gaps = completeness_gaps(self.protocol, self.produced)
        if self.agency_ids is not None:
            named = ((w, o, r) for w, o, r in self._recipients() if isinstance(r, str))
            gaps = chain(gaps, directory_gaps(self.protocol, self.agency_ids, named))
        for gap in gaps:
            severity = Severity.ERROR if gap.error else Severity.WARNING
            self.add(severity, gap.code, gap.message, gap.location, gap.owner)
        return tuple(sorted(self.findings, key=_in_file_order))

    def types(self, types: Sequence[str], where: Location, owner: str) -> list[str]:
        """Report the types not in the catalogue; return those that are."""
        for position, type_name in enumerate(types):
            if type_name not in CATALOGUE:
                self.add(
                    Severity.ERROR,
                    "unknown-type",
                    f"{type_name!r} is not a notification type in the catalogue",
                    (*where, position),
                    owner,
                )
        return [name for name in types if name in CATALOGUE]

    def fields(
        self, types: Sequence[str], fields: Sequence[str], where: Location, owner: str, of: _Of
    ) -> None:
        if not types:
            return  # every type is already reported as unknown
        paths = frozenset().union(*(schema_paths(name) for name in types))
        for position, path in enumerate(fields):
            if path not in paths:
                self.add(
                    Severity.ERROR,
                    "unknown-field",
                    f"field {path!r} exists in none of {of.types}, so {of.shares_nothing}",
                    (*where, "fields", position),
                    owner,
                )

    def identifiers(
        self, types: Sequence[str], paths: Sequence[str], where: Location, owner: str
    ) -> None:
        """An ``identify_by`` path no type holds: every view of the rule would be refused."""
        known = frozenset().union(*(schema_paths(name) for name in types)) if types else None
        for position, path in enumerate(paths):
            if known is not None and path not in known:
                self.add(
                    Severity.ERROR,
                    "unknown-field",
                    f"identify_by {path!r} exists in none of the rule's types, so every view "
                    "of it would be refused",
                    (*where, "identify_by", position),
                    owner,
                )

    def matches(
        self, types: Sequence[str], when: When, where: Location, owner: str, of: _Of
    ) -> None:
        if not types:
            return
        paths = frozenset().union(*(schema_paths(name) for name in types))
        for path, expected in when.match.items():
            location = (*where, "match", path)
            if path not in paths:
                self.add(
                    Severity.ERROR,
                    "unknown-match-path",
                    f"match path {path!r} exists in none of {of.types}, so {of.never}",
                    location,
                    owner,
                )
                continue
            self.match_values(types, path, expected, location, owner)

    def match_values(
        self,
        types: Sequence[str],
        path: str,
        expected: Condition,
        location: Location,
        owner: str,
    ) -> None:
        allowed: list[object] = []
        for name in types:
            resolved = path_schemas(name).get(path)
            if resolved is None:
                continue
            values = finite_values(resolved)
            if values is None:
                return  # free text or numbers: any value might occur
            allowed.extend(values)
        options = expected if isinstance(expected, tuple) else (expected,)
        impossible = [option for option in options if not can_hold(option, allowed)]
        if impossible:
            shown = ", ".join(repr(value) for value in impossible)
            self.add(
                Severity.ERROR,
                "impossible-match",
                f"match {path!r}: {shown} can never occur (allowed: "
                f"{', '.join(repr(value) for value in allowed if value is not None)})",
                location,
                owner,
            )

    def clock(self, clock: Clock, where: Location) -> None:
        starting = self.trigger(clock.starts_on, (*where, "starts_on"), clock.id, _STARTS)
        self.trigger(clock.stops_on, (*where, "stops_on"), clock.id, _STOPS)
        self.fields(starting, clock.fields, where, clock.id, _ALERT)
        for type_name in starting:
            resolved = path_schemas(type_name).get(clock.due.path)
            if resolved is None or not holds_a_time(resolved):
                what = "has no" if resolved is None else "holds no date or date-time at"
                self.add(
                    Severity.ERROR,
                    "unknown-due-path",
                    f"{type_name} {what} {clock.due.path!r}: the clock never falls due, so it "
                    "never starts",
                    (*where, "due"),
                    clock.id,
                )

    def trigger(self, trigger: ClockTrigger, where: Location, owner: str, of: _Of) -> list[str]:
        """Check a clock's ``starts_on`` or ``stops_on``; return its types in the catalogue."""
        known = self.types(trigger.types, (*where, "types"), owner)
        self.matches(known, trigger.when, (*where, "when"), owner, of)
        for type_name in known:
            if trigger.episode not in schema_paths(type_name):
                self.add(
                    Severity.ERROR,
                    "unknown-episode-path",
                    f"{type_name} has no {trigger.episode!r}: such a notification names no "
                    f"episode, so {of.never}",
                    (*where, "episode"),
                    owner,
                )
        return known

    def unreachable(self) -> None:
        served: set[tuple[str, str, str]] = set()
        for index, rule in enumerate(self.protocol.rules):
            named = rule.named_recipients
            if len(named) == len(rule.recipients):
                combinations = [
                    (type_name, publisher, recipient)
                    for type_name in rule.types
                    for publisher in rule.publishers
                    for recipient in named
                ]
                if all(r == p or (t, p, r) in served for t, p, r in combinations):
                    self.add(
                        Severity.ERROR,
                        "unreachable-rule",
                        "never shares anything: every recipient is already served, for every "
                        "type and publisher, by an earlier rule without conditions (or is the "
                        "publisher itself)",
                        ("rules", index),
                        rule.id,
                    )
            if rule.when == When():
                served.update(
                    (type_name, publisher, recipient)
                    for type_name in rule.types
                    for publisher in rule.publishers
                    for recipient in named
                    if recipient != publisher
                )

    def unused_parties(self) -> None:
        told = [recipient for _, _, recipient in self._recipients()]
        named = {party_id for rule in self.protocol.rules for party_id in rule.publishers}
        named.update(recipient for recipient in told if isinstance(recipient, str))
        roles = {recipient for recipient in told if not isinstance(recipient, str)}
        for index, party in enumerate(self.protocol.parties):
            if party.id in named or any(party.may_be(role) for role in roles):
                continue
            self.add(
                Severity.WARNING,
                "unused-party",
                f"party {party.id} ({party.kind.value}) appears in no rule and no role recipient "
                "can resolve to it: it neither publishes nor receives anything",
                ("parties", index),
            )

    def unused_ladders(self) -> None:
        used = {rule.escalation for rule in self.protocol.rules}
        for index, ladder in enumerate(self.protocol.escalations):
            if ladder.id not in used:
                self.add(
                    Severity.WARNING,
                    "unused-ladder",
                    f"ladder {ladder.id} is the escalation of no rule: it never escalates anything",
                    ("escalations", index),
                    ladder.id,
                )

    def _recipients(self) -> Iterator[tuple[Location, str, str | RoleRecipient]]:
        """Every recipient of a rule, a clock's alert or a ladder step (but ``recipient``)."""
        sections: tuple[tuple[str, tuple[Rule | Clock, ...]], ...] = (
            ("rules", self.protocol.rules),
            ("clocks", self.protocol.clocks),
        )
        for section, items in sections:
            for index, item in enumerate(items):
                for position, recipient in enumerate(item.recipients):
                    yield (section, index, "recipients", position), item.id, recipient
        for index, ladder in enumerate(self.protocol.escalations):
            for position, step in enumerate(ladder.steps):
                if step.to != RECIPIENT:
                    yield ("escalations", index, "steps", position, "to"), ladder.id, step.to


_SECTIONS_IN_FILE = ("parties", "rules", "escalations", "clocks")


def _in_file_order(finding: Finding) -> tuple[object, ...]:
    """By line when the YAML was given; else by section, then item number, then the rest."""
    section, _, rest = finding.location.partition("[")
    number, _, tail = rest.partition("]")
    rank = _SECTIONS_IN_FILE.index(section) if section in _SECTIONS_IN_FILE else -1
    item = int(number) if number.isdigit() else -1
    return (finding.line or 0, rank, item, tail, finding.code, finding.message)


@dataclass(frozen=True, slots=True)
class _Of:
    """How a finding names the types a path was looked for in, and what follows."""

    types: str
    never: str
    shares_nothing: str = ""


_RULE = _Of("the rule's types", "the rule never applies", "it shares nothing")
_ALERT = _Of("the clock's starts_on types", "", "the alert never shows it")
_STARTS = _Of("starts_on's types", "the clock never starts")
_STOPS = _Of("stops_on's types", "the clock never stops")


def lint_protocol(
    protocol: Protocol,
    *,
    source: bytes | None = None,
    agency_ids: Collection[str] | None = None,
    produced: Mapping[str, Collection[str]] | None = None,
) -> tuple[Finding, ...]:
    """Every finding about ``protocol``, in file order.

    ``source`` is the YAML the protocol was loaded from (for line numbers); ``agency_ids`` the
    ids in the agency directory, to check every party has a queue and a credential;
    ``produced`` the notification types each party kind's adapter makes, to check every party
    can publish them (:mod:`protocols._completeness`).
    """
    return _Linter(protocol, source, agency_ids, produced).run()
