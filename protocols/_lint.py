"""Lint a protocol: mistakes that load cleanly but would not share what the signatories meant.

The loader (:mod:`protocols._loader`) already refuses what is malformed: unknown keys, bad ids,
recipients that are not parties. This module finds what is well formed but wrong, and says where
(the rule, and the line when the YAML text is given):

* ``unknown-type`` (error): a notification type that is not in :data:`schemas.CATALOGUE`; no such
  notification can be posted, so the rule never applies to it.
* ``unknown-field`` / ``unknown-match-path`` (error): a path in ``fields`` or ``when.match`` that
  exists in none of the rule's types, judged on the exported JSON Schemas (``$ref``/``$defs`` and
  ``anyOf`` followed; arrays are leaves, as :func:`hub.sharing.decide` treats them). ``data`` and
  any prefix of a real path are fine.
* ``impossible-match`` (error): a ``when.match`` value the schema can never hold (an enum value
  that does not exist, ``'true'`` for a boolean), so the rule never applies.
* ``unreachable-rule`` (error): a rule all of whose (type, publisher, recipient) combinations are
  already served by earlier unconditional rules (or are the publisher itself). Decisions serve a
  recipient once, by the first rule in file order, so such a rule never shares anything.
  Conservative: a rule with a role recipient is never reported, since a role may resolve to a
  party no earlier rule names.
* ``no-queue`` / ``publisher-not-in-directory`` / ``not-in-directory`` (error, only with an agency
  directory): parties the directory does not know. The hub refuses to start without them.
* ``unused-party`` (warning): a party no rule names and no role recipient could resolve to.
* ``no-deadline`` (warning): a rule without ``acknowledge_within``: receipts carry no deadline.

Pure: it reads the schemas package and nothing of the hub, the broker or the database.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

import yaml

from protocols._loader import _describe, _line_of
from protocols._model import Condition, Party, PartyKind, Protocol, Role, Rule, When
from schemas import CATALOGUE, json_schema_documents

__all__ = ["Finding", "Severity", "lint_protocol", "schema_leaf_paths", "schema_paths"]

Location = tuple[int | str, ...]

# Which parties a role recipient can resolve to (mirrors hub.sharing._roles, which this package
# cannot import): the kinds a role looks for, and whether it needs an LA code or police areas.
_ROLE_KINDS: Mapping[Role, frozenset[PartyKind]] = {
    Role.RESPONSIBLE_AUTHORITY: frozenset({PartyKind.CHILDREN_SERVICES, PartyKind.ADULT_SERVICES}),
    Role.HOST_AUTHORITY: frozenset({PartyKind.CHILDREN_SERVICES}),
    Role.POLICE_FOR_HOST_AREA: frozenset({PartyKind.POLICE}),
    Role.POLICE_FOR_RESPONSIBLE_AREA: frozenset({PartyKind.POLICE}),
    Role.SUBJECTS_EDUCATION: frozenset({PartyKind.EDUCATION}),
}
_MAX_DEPTH = 16  # the canonical schemas nest four deep; this only stops a recursive $ref


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


# --- paths in the exported JSON Schemas -------------------------------------------------------


@cache
def _schemas() -> Mapping[str, Mapping[str, Any]]:
    return {
        name.removesuffix(".json"): document for name, document in json_schema_documents().items()
    }


def _alternatives(node: Mapping[str, Any], defs: Mapping[str, Any], depth: int = 0) -> list[Any]:
    """The concrete subschemas ``node`` stands for: ``$ref`` resolved, ``anyOf`` etc. flattened."""
    if depth > _MAX_DEPTH:
        return []
    if "$ref" in node:
        name = str(node["$ref"]).rpartition("/")[2]
        target = defs.get(name)
        return [] if target is None else _alternatives(target, defs, depth + 1)
    options = [*node.get("anyOf", ()), *node.get("oneOf", ()), *node.get("allOf", ())]
    if options:
        return [alt for option in options for alt in _alternatives(option, defs, depth + 1)]
    return [node]


def _walk(
    node: Mapping[str, Any], defs: Mapping[str, Any], prefix: str, depth: int = 0
) -> Iterator[tuple[str, list[Any]]]:
    """Every property path below ``node`` with its resolved subschemas (arrays not entered)."""
    if depth > _MAX_DEPTH:
        return
    properties: dict[str, list[Any]] = {}
    for alternative in _alternatives(node, defs):
        for name, schema in alternative.get("properties", {}).items():
            properties.setdefault(name, []).append(schema)
    for name, schemas in properties.items():
        path = f"{prefix}.{name}" if prefix else name
        resolved = [alt for schema in schemas for alt in _alternatives(schema, defs)]
        yield path, resolved
        for schema in schemas:
            yield from _walk(schema, defs, path, depth + 1)


@cache
def _path_schemas(type_name: str) -> Mapping[str, tuple[Any, ...]]:
    document = _schemas()[type_name]
    defs = document.get("$defs", {})
    collected: dict[str, list[Any]] = {}
    for path, resolved in _walk(document, defs, ""):
        collected.setdefault(path, []).extend(resolved)
    return {path: tuple(resolved) for path, resolved in collected.items()}


def schema_paths(type_name: str) -> frozenset[str]:
    """Every dotted path (leaves and their prefixes) an event of this catalogue type can hold."""
    return frozenset(_path_schemas(type_name))


def schema_leaf_paths(type_name: str) -> frozenset[str]:
    """The dotted paths of this catalogue type that have no properties of their own."""
    return frozenset(
        path
        for path, resolved in _path_schemas(type_name).items()
        if not any(isinstance(alt, Mapping) and alt.get("properties") for alt in resolved)
    )


def _finite_values(resolved: Sequence[Any]) -> list[object] | None:
    """Every value the path can hold, when the schema makes that a finite set; else None."""
    values: list[object] = []
    for alternative in resolved:
        if not isinstance(alternative, Mapping):
            return None
        if "const" in alternative:
            values.append(alternative["const"])
        elif "enum" in alternative:
            values.extend(alternative["enum"])
        elif alternative.get("type") == "boolean":
            values.extend((True, False))
        elif alternative.get("type") == "null":
            values.append(None)
        else:
            return None
    return values


def _can_hold(value: object, allowed: Sequence[object]) -> bool:
    # As decide() compares: the type must agree too, so `true` never matches `1` or "true".
    return any(type(value) is type(option) and value == option for option in allowed)


# --- the checks -------------------------------------------------------------------------------


class _Linter:
    def __init__(
        self, protocol: Protocol, source: bytes | None, agency_ids: Collection[str] | None
    ) -> None:
        self.protocol = protocol
        self.root = yaml.compose(source) if source is not None else None
        self.agency_ids = agency_ids
        self.findings: list[Finding] = []

    def add(
        self,
        severity: Severity,
        code: str,
        message: str,
        location: Location,
        rule: Rule | None = None,
    ) -> None:
        self.findings.append(
            Finding(
                severity=severity,
                code=code,
                message=message,
                rule=None if rule is None else rule.id,
                location=_describe(location),
                line=None if self.root is None else _line_of(self.root, location),
            )
        )

    def run(self) -> tuple[Finding, ...]:
        for index, rule in enumerate(self.protocol.rules):
            where: Location = ("rules", index)
            self.types(rule, where)
            self.paths(rule, where)
            if rule.acknowledge_within is None:
                self.add(
                    Severity.WARNING,
                    "no-deadline",
                    "no acknowledge_within: receipts carry no deadline, so nobody is chased",
                    where,
                    rule,
                )
        self.unreachable()
        self.unused_parties()
        if self.agency_ids is not None:
            self.directory(self.agency_ids)
        return tuple(
            sorted(self.findings, key=lambda f: (f.line or 0, f.location, f.code, f.message))
        )

    def types(self, rule: Rule, where: Location) -> None:
        for position, type_name in enumerate(rule.types):
            if type_name not in CATALOGUE:
                self.add(
                    Severity.ERROR,
                    "unknown-type",
                    f"{type_name!r} is not a notification type in the catalogue",
                    (*where, "types", position),
                    rule,
                )

    def paths(self, rule: Rule, where: Location) -> None:
        known = [name for name in rule.types if name in CATALOGUE]
        if not known:
            return  # every type is already reported as unknown
        paths = frozenset().union(*(schema_paths(name) for name in known))
        for position, path in enumerate(rule.fields):
            if path not in paths:
                self.add(
                    Severity.ERROR,
                    "unknown-field",
                    f"field {path!r} exists in none of the rule's types, so it shares nothing",
                    (*where, "fields", position),
                    rule,
                )
        for path, expected in rule.when.match.items():
            location = (*where, "when", "match", path)
            if path not in paths:
                self.add(
                    Severity.ERROR,
                    "unknown-match-path",
                    f"match path {path!r} exists in none of the rule's types, so the rule "
                    "never applies",
                    location,
                    rule,
                )
                continue
            self.match_values(rule, known, path, expected, location)

    def match_values(
        self,
        rule: Rule,
        types: Sequence[str],
        path: str,
        expected: Condition,
        location: Location,
    ) -> None:
        allowed: list[object] = []
        for name in types:
            resolved = _path_schemas(name).get(path)
            if resolved is None:
                continue
            values = _finite_values(resolved)
            if values is None:
                return  # free text or numbers: any value might occur
            allowed.extend(values)
        options = expected if isinstance(expected, tuple) else (expected,)
        impossible = [option for option in options if not _can_hold(option, allowed)]
        if impossible:
            shown = ", ".join(repr(value) for value in impossible)
            self.add(
                Severity.ERROR,
                "impossible-match",
                f"match {path!r}: {shown} can never occur (allowed: "
                f"{', '.join(repr(value) for value in allowed if value is not None)})",
                location,
                rule,
            )

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
                        rule,
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
        named = {
            party_id
            for rule in self.protocol.rules
            for party_id in (*rule.publishers, *rule.named_recipients)
        }
        roles = {
            recipient.role
            for rule in self.protocol.rules
            for recipient in rule.recipients
            if not isinstance(recipient, str)
        }
        for index, party in enumerate(self.protocol.parties):
            if party.id in named or any(_role_may_resolve_to(role, party) for role in roles):
                continue
            self.add(
                Severity.WARNING,
                "unused-party",
                f"party {party.id} ({party.kind.value}) appears in no rule and no role recipient "
                "can resolve to it: it neither publishes nor receives anything",
                ("parties", index),
            )

    def directory(self, agency_ids: Collection[str]) -> None:
        referenced: set[str] = set()
        for index, rule in enumerate(self.protocol.rules):
            for position, publisher in enumerate(rule.publishers):
                referenced.add(publisher)
                if publisher not in agency_ids:
                    self.add(
                        Severity.ERROR,
                        "publisher-not-in-directory",
                        f"publisher {publisher} is not in the agency directory: it has no "
                        "credential to post with, and the hub refuses to start without it",
                        ("rules", index, "publishers", position),
                        rule,
                    )
            for position, recipient in enumerate(rule.recipients):
                if isinstance(recipient, str):
                    referenced.add(recipient)
                    if recipient not in agency_ids:
                        self.add(
                            Severity.ERROR,
                            "no-queue",
                            f"recipient {recipient} is not in the agency directory: it has no "
                            "queue, and the hub refuses to start without it",
                            ("rules", index, "recipients", position),
                            rule,
                        )
        for index, party in enumerate(self.protocol.parties):
            if party.id not in agency_ids and party.id not in referenced:
                self.add(
                    Severity.ERROR,
                    "not-in-directory",
                    f"party {party.id} is not in the agency directory: no queue for what a role "
                    "resolves to it, and the hub refuses to start without it",
                    ("parties", index),
                )


def _role_may_resolve_to(role: Role, party: Party) -> bool:
    if party.kind not in _ROLE_KINDS[role]:
        return False
    return bool(party.areas) if party.kind is PartyKind.POLICE else party.la_code is not None


def lint_protocol(
    protocol: Protocol,
    *,
    source: bytes | None = None,
    agency_ids: Collection[str] | None = None,
) -> tuple[Finding, ...]:
    """Every finding about ``protocol``, in file order.

    ``source`` is the YAML the protocol was loaded from (for line numbers); ``agency_ids`` the
    ids in the agency directory, to check every party has a queue and a credential.
    """
    return _Linter(protocol, source, agency_ids).run()
