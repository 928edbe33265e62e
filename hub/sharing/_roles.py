"""Resolve a rule's recipients (party ids, or roles) to parties, with a reason when one can't be.

Roles (:class:`protocols.Role`), each resolved from the facts about one person:

* ``resident_authority``: the council where the person lives (``resident_la``).
* ``responsible_authority``: the council responsible for a looked-after child or care leaver.
* ``host_authority``: the council hosting the child's active out-of-area placement.
* A council role reaches the council's children's services for a child and its adult social
  care for an adult, unless the recipient names the ``service`` (``education``, ...). Whether a
  person is a child must then be known.
* ``police_for_area`` / ``health_for_area``: the force (health body) whose areas include the
  LA the person is in: the host LA while placed there, else where they live.
* ``police_for_host_area`` / ``police_for_responsible_area``: the force for that LA.
* ``school``: the school party with the pupil's URN; where no school is known (or it is not a
  party), the education service of the council the pupil is in.

A role resolves to no one rather than to a default: nothing goes to a council that is not the
person's, and the reason is recorded.
"""

from __future__ import annotations

from collections.abc import Callable

from hub.sharing._facts import Facts
from protocols import PartyKind, Protocol, Role, RoleRecipient

__all__ = ["resolve_recipient"]

Resolved = tuple[str | None, str]  # (party id, or None and the reason)


def _council(protocol: Protocol, la: str | None, kind: PartyKind | None, what: str) -> Resolved:
    if la is None:
        return None, f"{what}: not known"
    if kind is None:
        return None, f"{what}: whether the person is a child or an adult is not known"
    party = protocol.index.party_by_la.get((kind, la))
    if party is None:
        return None, f"{what}: no {kind.value} party for LA {la}"
    return party.id, ""


def _covering(protocol: Protocol, kind: PartyKind, la: str | None, what: str) -> Resolved:
    if la is None:
        return None, f"{what}: the area is not known"
    party = protocol.index.party_covering.get((kind, la))
    if party is None:
        return None, f"{what}: no {kind.value} party covers LA {la}"
    return party.id, ""


def _school(protocol: Protocol, facts: Facts, _: PartyKind | None) -> Resolved:
    if facts.school_urn is not None:
        party = protocol.index.school_by_urn.get(facts.school_urn)
        if party is not None:
            return party.id, ""
    return _council(protocol, facts.area_la, PartyKind.EDUCATION, "the pupil's school")


def _by_age(facts: Facts) -> PartyKind | None:
    if facts.child is None:
        return None
    return PartyKind.CHILDREN_SERVICES if facts.child else PartyKind.ADULT_SERVICES


_Resolver = Callable[[Protocol, Facts, PartyKind | None], Resolved]
_RESOLVERS: dict[Role, _Resolver] = {
    Role.RESIDENT_AUTHORITY: lambda p, f, k: _council(p, f.resident_la, k, "resident authority"),
    Role.RESPONSIBLE_AUTHORITY: lambda p, f, k: _council(
        p, f.responsible_la, k, "responsible authority (not looked after, or not known)"
    ),
    Role.HOST_AUTHORITY: lambda p, f, k: _council(
        p,
        f.host_la,
        k,
        "host authority (no active out-of-area placement)"
        if f.host_la is None
        else "host authority",
    ),
    Role.POLICE_FOR_AREA: lambda p, f, _: _covering(
        p, PartyKind.POLICE, f.area_la, "police for the area"
    ),
    Role.POLICE_FOR_HOST_AREA: lambda p, f, _: _covering(
        p, PartyKind.POLICE, f.host_la, "police for the host area"
    ),
    Role.POLICE_FOR_RESPONSIBLE_AREA: lambda p, f, _: _covering(
        p, PartyKind.POLICE, f.responsible_la, "police for the responsible area"
    ),
    Role.HEALTH_FOR_AREA: lambda p, f, _: _covering(
        p, PartyKind.HEALTH, f.area_la, "health for the area"
    ),
    Role.SCHOOL: _school,
}


def resolve_recipient(recipient: str | RoleRecipient, protocol: Protocol, facts: Facts) -> Resolved:
    """The party a recipient names, or None with the reason (naming the role) it cannot be."""
    if isinstance(recipient, str):
        return recipient, ""
    service = recipient.service or _by_age(facts)
    party, reason = _RESOLVERS[recipient.role](protocol, facts, service)
    return party, (f"role {recipient.label}: {reason}" if party is None else "")
