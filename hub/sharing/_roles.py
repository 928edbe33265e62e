"""Resolve a rule's recipients (party ids, or roles) to parties, with a reason when one can't be.

Roles:

* ``responsible_authority``: the children's (or, for an adult, adult) services of the LA
  responsible for the subject.
* ``host_authority``: the children's services of the LA hosting the subject's active
  out-of-area placement.
* ``police_for_host_area`` / ``police_for_responsible_area``: the police force whose areas
  include that LA.
* ``subjects_education``: the education service of the LA the child lives in (the host LA while
  placed out of area, otherwise the responsible LA).
"""

from __future__ import annotations

from collections.abc import Callable

from hub.sharing._facts import Facts
from protocols import Party, PartyKind, Protocol, Role, RoleRecipient

__all__ = ["resolve_recipient"]

Resolved = tuple[str | None, str]  # (party id, or None and the reason)


def _council(protocol: Protocol, la: str | None, kind: PartyKind, what: str) -> Resolved:
    if la is None:
        return None, f"{what}: not known"
    for party in protocol.parties:
        if party.kind is kind and party.la_code == la:
            return party.id, ""
    return None, f"{what}: no {kind.value} party for LA {la}"


def _police(protocol: Protocol, la: str | None, what: str) -> Resolved:
    if la is None:
        return None, f"{what}: not known"
    forces: list[Party] = [
        p for p in protocol.parties if p.kind is PartyKind.POLICE and la in p.areas
    ]
    if not forces:
        return None, f"{what}: no police party covers LA {la}"
    return forces[0].id, ""


def _services_kind(facts: Facts) -> PartyKind:
    return PartyKind.ADULT_SERVICES if facts.child is False else PartyKind.CHILDREN_SERVICES


_RESOLVERS: dict[Role, Callable[[Protocol, Facts], Resolved]] = {
    Role.RESPONSIBLE_AUTHORITY: lambda p, f: _council(
        p, f.responsible_la, _services_kind(f), "responsible authority"
    ),
    Role.HOST_AUTHORITY: lambda p, f: _council(
        p,
        f.host_la,
        PartyKind.CHILDREN_SERVICES,
        "host authority (no active out-of-area placement)"
        if f.host_la is None
        else "host authority",
    ),
    Role.POLICE_FOR_HOST_AREA: lambda p, f: _police(p, f.host_la, "police for the host area"),
    Role.POLICE_FOR_RESPONSIBLE_AREA: lambda p, f: _police(
        p, f.responsible_la, "police for the responsible area"
    ),
    Role.SUBJECTS_EDUCATION: lambda p, f: _council(
        p, f.host_la or f.responsible_la, PartyKind.EDUCATION, "subject's education service"
    ),
}


def resolve_recipient(recipient: str | RoleRecipient, protocol: Protocol, facts: Facts) -> Resolved:
    """The party a recipient names, or None with the reason (naming the role) it cannot be."""
    if isinstance(recipient, str):
        return recipient, ""
    party, reason = _RESOLVERS[recipient.role](protocol, facts)
    return party, (f"role {recipient.role.value}: {reason}" if party is None else "")
