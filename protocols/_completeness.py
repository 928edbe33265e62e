"""Lint checks that a protocol is complete and its disclosures are stated in full.

:mod:`protocols._lint` finds what would not share what the signatories meant; these checks find
what the partnership has not yet decided, or not yet written down:

* ``kind-cannot-publish`` (error, only given what each kind's adapter produces): a party whose
  adapter maps native records to a notification type that no rule lets that party publish. Its
  records would be accepted and then shared with nobody.
* ``identifier-not-shared`` (error): a rule's ``identify_by`` path that its ``fields`` do not
  share, so every view of the rule would be refused.
* ``lawful-basis-incomplete`` (error): a rule or clock that does not cite a UK GDPR Article 6
  condition and an Article 9 condition (``UK GDPR Art 6(1)(e) ...``, ``UK GDPR Art 9(2)(g) ...``)
  beside its statute.
* ``no-queue`` / ``publisher-not-in-directory`` / ``not-in-directory`` (error, only with an agency
  directory): parties the directory does not know. The hub refuses to start without them.
* ``withdraw-without-threshold`` (warning): a rule that ``withdraw``\\s but shares at every
  risk level (no ``risk_at_least``), so its recipients hear every assessment anyway.

Pure: reads the protocol and what it is told; nothing of the adapters, hub or broker.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass

from protocols._model import Protocol, Rule
from protocols._obligations import Clock

__all__ = ["Gap", "completeness_gaps", "directory_gaps"]

_ARTICLES = (
    ("UK GDPR Art 6(", "an Article 6 condition"),
    ("UK GDPR Art 9(", "an Article 9 condition"),
)


@dataclass(frozen=True, slots=True)
class Gap:
    """One gap: its check, whether it is an error, the message, and where (a YAML location)."""

    code: str
    error: bool
    message: str
    location: tuple[int | str, ...]
    owner: str | None = None


def _covered(path: str, fields: Collection[str]) -> bool:
    return any(path == field or path.startswith(field + ".") for field in fields)


def _basis_gaps(terms: Rule | Clock, where: tuple[int | str, ...]) -> Iterator[Gap]:
    missing = [
        what
        for prefix, what in _ARTICLES
        if not any(basis.startswith(prefix) for basis in terms.lawful_basis)
    ]
    if missing:
        yield Gap(
            "lawful-basis-incomplete",
            True,
            f"the lawful basis cites no UK GDPR {' and no '.join(missing)}",
            (*where, "lawful_basis"),
            terms.id,
        )


def completeness_gaps(
    protocol: Protocol, produced: Mapping[str, Collection[str]] | None = None
) -> Iterator[Gap]:
    """Every gap in ``protocol``; ``produced`` maps a party kind to the types its adapter makes."""
    for index, rule in enumerate(protocol.rules):
        where: tuple[int | str, ...] = ("rules", index)
        for position, path in enumerate(rule.identify_by):
            if not _covered(path, rule.fields):
                yield Gap(
                    "identifier-not-shared",
                    True,
                    f"identify_by {path!r} is not among the rule's fields, so every view of it "
                    "would be refused",
                    (*where, "identify_by", position),
                    rule.id,
                )
        if rule.withdraw and rule.when.risk_at_least is None:
            yield Gap(
                "withdraw-without-threshold",
                False,
                "withdraw without risk_at_least: the recipients hear every assessment anyway",
                (*where, "withdraw"),
                rule.id,
            )
        yield from _basis_gaps(rule, where)
    for index, clock in enumerate(protocol.clocks):
        yield from _basis_gaps(clock, ("clocks", index))
    for index, party in enumerate(protocol.parties):
        types = sorted((produced or {}).get(party.kind.value, ()))
        unpublishable = [t for t in types if not protocol.may_publish(party.id, t)]
        if unpublishable:
            yield Gap(
                "kind-cannot-publish",
                True,
                f"party {party.id} ({party.kind.value}) has an adapter that makes "
                f"{', '.join(unpublishable)}, but no rule lets it publish them",
                ("parties", index),
                None,
            )


Where = tuple[int | str, ...]


def directory_gaps(
    protocol: Protocol,
    agency_ids: Collection[str],
    named_recipients: Iterable[tuple[Where, str, str]],
) -> Iterator[Gap]:
    """Parties the agency directory lacks; ``named_recipients`` are (location, owner, party id)."""
    referenced: set[str] = set()
    for index, rule in enumerate(protocol.rules):
        for position, publisher in enumerate(rule.publishers):
            referenced.add(publisher)
            if publisher not in agency_ids:
                yield Gap(
                    "publisher-not-in-directory",
                    True,
                    f"publisher {publisher} is not in the agency directory: it has no "
                    "credential to post with, and the hub refuses to start without it",
                    ("rules", index, "publishers", position),
                    rule.id,
                )
    for where, owner, recipient in named_recipients:
        referenced.add(recipient)
        if recipient not in agency_ids:
            yield Gap(
                "no-queue",
                True,
                f"recipient {recipient} is not in the agency directory: it has no queue, and "
                "the hub refuses to start without it",
                where,
                owner,
            )
    for index, party in enumerate(protocol.parties):
        if party.id not in agency_ids and party.id not in referenced:
            yield Gap(
                "not-in-directory",
                True,
                f"party {party.id} is not in the agency directory: no queue for what a role "
                "resolves to it, and the hub refuses to start without it",
                ("parties", index),
            )
