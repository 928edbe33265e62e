"""What changes between two versions of a protocol, for whom.

A protocol is reviewed as rules; it takes effect as routes. A route is one (notification type,
publisher, recipient) combination a rule allows, where the recipient is a party id or a role
(``role:host_authority``). Combinations where the recipient is the publisher are left out: they
never share anything.

For every route the two versions disagree on, the diff says:

* ``gained`` / ``lost``: the recipient starts or stops being told, with the rules, fields, lawful
  basis and purpose involved;
* ``changed``: for each rule serving the route in both versions (paired by rule id, or a single
  renamed rule): data items gained and lost, lawful basis added and removed, and the old and new
  purpose, acknowledgement deadline, retention and conditions; rules that start or stop serving
  the route while others still do; and whether the order deciding between several rules changed.

Fields are compared as the data items they let through: an allow-listed path stands for every
leaf below it in the notification type's JSON Schema, so ``data.person`` replaced by
``data.person.upn`` shows each identifier lost, not one path swapped for another.

Also reported: the version change (declared version and file hash), parties added, removed or
changed (a party's LA code or areas decide what a role resolves to) and rules added, removed or
changed. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from protocols._lint import schema_leaf_paths
from protocols._model import Party, Protocol, RoleRecipient, Rule
from schemas import CATALOGUE

__all__ = ["diff_protocols"]

RouteKey = tuple[str, str, str]  # (type, publisher, recipient or "role:<role>")


def _recipient_key(recipient: str | RoleRecipient) -> str:
    return recipient if isinstance(recipient, str) else f"role:{recipient.label}"


def _routes(protocol: Protocol) -> dict[RouteKey, list[Rule]]:
    routes: dict[RouteKey, list[Rule]] = {}
    for rule in protocol.rules:
        for type_name in rule.types:
            for publisher in rule.publishers:
                for recipient in rule.recipients:
                    if isinstance(recipient, str) and recipient == publisher:
                        continue
                    key = (type_name, publisher, _recipient_key(recipient))
                    routes.setdefault(key, []).append(rule)
    return routes


def _data_items(fields: Iterable[str], type_name: str) -> list[str]:
    """The leaf paths ``fields`` let through for ``type_name`` (as written, for unknown types)."""
    fields = tuple(fields)
    if type_name not in CATALOGUE:
        return sorted(fields)
    leaves = schema_leaf_paths(type_name)
    items: set[str] = set()
    for field in fields:
        below = {leaf for leaf in leaves if leaf == field or leaf.startswith(field + ".")}
        items |= below or {field}  # a path the schema lacks is shown as written
    return sorted(items)


def _conditions(rule: Rule) -> dict[str, Any]:
    return rule.when.model_dump(mode="json", exclude_defaults=True)


def _rule_summary(rule: Rule, type_name: str) -> dict[str, Any]:
    return {
        "rule": rule.id,
        "conditions": _conditions(rule),
        "fields": _data_items(rule.fields, type_name),
        "lawful_basis": list(rule.lawful_basis),
        "purpose": rule.purpose,
        "acknowledge_within": rule.acknowledge_within,
        "retention": rule.retention,
    }


def _change(old: object, new: object) -> dict[str, object] | None:
    return None if old == new else {"old": old, "new": new}


def _rule_changes(old: Rule, new: Rule, type_name: str) -> dict[str, Any]:
    """How one rule serving a route differs; empty when it serves it identically."""
    changes: dict[str, Any] = {}
    old_items = set(_data_items(old.fields, type_name))
    new_items = set(_data_items(new.fields, type_name))
    if new_items - old_items:
        changes["fields_gained"] = sorted(new_items - old_items)
    if old_items - new_items:
        changes["fields_lost"] = sorted(old_items - new_items)
    if set(new.lawful_basis) - set(old.lawful_basis):
        changes["lawful_basis_added"] = [b for b in new.lawful_basis if b not in old.lawful_basis]
    if set(old.lawful_basis) - set(new.lawful_basis):
        changes["lawful_basis_removed"] = [b for b in old.lawful_basis if b not in new.lawful_basis]
    for name, before, after in (
        ("purpose", old.purpose, new.purpose),
        ("acknowledge_within", old.acknowledge_within, new.acknowledge_within),
        ("retention", old.retention, new.retention),
        ("conditions", _conditions(old), _conditions(new)),
    ):
        change = _change(before, after)
        if change is not None:
            changes[name] = change
    if changes or old.id != new.id:
        changes = {
            "rule": new.id if old.id == new.id else {"old": old.id, "new": new.id},
            **changes,
        }
    return changes


def _route_changes(old: Sequence[Rule], new: Sequence[Rule], type_name: str) -> dict[str, Any]:
    old_by_id = {rule.id: rule for rule in old}
    new_by_id = {rule.id: rule for rule in new}
    pairs = [(old_by_id[i], new_by_id[i]) for i in old_by_id if i in new_by_id]
    only_old = [rule for rule in old if rule.id not in new_by_id]
    only_new = [rule for rule in new if rule.id not in old_by_id]
    if len(only_old) == 1 and len(only_new) == 1:  # one rule renamed: compare it with itself
        pairs.append((only_old[0], only_new[0]))
        only_old, only_new = [], []
    changes: dict[str, Any] = {}
    rules = [c for c in (_rule_changes(o, n, type_name) for o, n in pairs) if c]
    if rules:
        changes["rules"] = rules
    if only_new:
        changes["rules_added"] = [_rule_summary(rule, type_name) for rule in only_new]
    if only_old:
        changes["rules_removed"] = [_rule_summary(rule, type_name) for rule in only_old]
    renamed = {o.id: n.id for o, n in pairs}
    old_order = [renamed[rule.id] for rule in old if rule.id in renamed]
    new_order = [rule.id for rule in new if rule.id in renamed.values()]
    if old_order != new_order:
        changes["precedence"] = {"old": old_order, "new": new_order}
    return changes


def _party_changes(old: Protocol, new: Protocol) -> dict[str, Any]:
    old_parties: Mapping[str, Party] = {party.id: party for party in old.parties}
    new_parties: Mapping[str, Party] = {party.id: party for party in new.parties}
    changed = []
    for party_id in sorted(old_parties.keys() & new_parties.keys()):
        before = old_parties[party_id].model_dump(mode="json")
        after = new_parties[party_id].model_dump(mode="json")
        attributes = {
            name: {"old": before[name], "new": after[name]}
            for name in before
            if before[name] != after[name]
        }
        if attributes:
            changed.append({"party": party_id, "changes": attributes})
    return {
        "added": sorted(new_parties.keys() - old_parties.keys()),
        "removed": sorted(old_parties.keys() - new_parties.keys()),
        "changed": changed,
    }


def _rule_set_changes(old: Protocol, new: Protocol) -> dict[str, list[str]]:
    old_rules = {rule.id: rule for rule in old.rules}
    new_rules = {rule.id: rule for rule in new.rules}
    return {
        "added": [rule.id for rule in new.rules if rule.id not in old_rules],
        "removed": [rule.id for rule in old.rules if rule.id not in new_rules],
        "changed": [
            rule.id for rule in new.rules if rule.id in old_rules and old_rules[rule.id] != rule
        ],
    }


def _version(protocol: Protocol) -> dict[str, str]:
    return {"id": protocol.id, "version": protocol.version, "version_tag": protocol.version_tag}


def diff_protocols(old: Protocol, new: Protocol) -> dict[str, Any]:
    """Everything that changes from ``old`` to ``new``, per route and overall (JSON-ready)."""
    old_routes = _routes(old)
    new_routes = _routes(new)
    routes: list[dict[str, Any]] = []
    for key in sorted(old_routes.keys() | new_routes.keys()):
        type_name, publisher, recipient = key
        where = {"type": type_name, "publisher": publisher, "recipient": recipient}
        if key not in old_routes:
            summaries = [_rule_summary(rule, type_name) for rule in new_routes[key]]
            routes.append({**where, "change": "gained", "rules": summaries})
        elif key not in new_routes:
            summaries = [_rule_summary(rule, type_name) for rule in old_routes[key]]
            routes.append({**where, "change": "lost", "rules": summaries})
        else:
            changes = _route_changes(old_routes[key], new_routes[key], type_name)
            if changes:
                routes.append({**where, "change": "changed", **changes})
    counts = {
        change: sum(1 for route in routes if route["change"] == change)
        for change in ("gained", "lost", "changed")
    }
    return {
        "old": _version(old),
        "new": _version(new),
        "version_changed": old.version != new.version,
        "content_changed": old.content_hash != new.content_hash,
        "summary": {"routes_" + change: count for change, count in counts.items()},
        "parties": _party_changes(old, new),
        "rules": _rule_set_changes(old, new),
        "routes": routes,
    }
