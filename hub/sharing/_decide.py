"""The sharing decision: a pure function from (notification, protocol, state, now) to a Decision.

No I/O happens here: no aiohttp, aio-pika or SQLAlchemy. The async shell in
:mod:`hub.routing` loads what is needed, calls :func:`decide`, then publishes and
audits what it returns.

Rules:

1. Deny by default. A (type, publisher) pair that no rule names is refused, with the reason.
   A rule whose ``when`` conditions do not hold does not apply; that too is recorded.
2. A rule shares with each of its recipients, except the publisher itself. A role recipient is
   resolved from the notification and the routing state (:mod:`._roles`); one that cannot be
   resolved is recorded as refused, with the reason.
3. A recipient already served by an earlier rule (file order) is not served twice; the later
   rule is recorded as suppressed with the reason.
4. Each view holds only the allow-listed paths, plus the envelope attributes that identify the
   event (never ``subject`` unless allowed). Every other leaf path present is withheld, and
   named in the receipt.
5. Every view carries a lawful-basis receipt: rule id, protocol version, basis, purpose,
   withheld paths and the acknowledgement deadline counted from ``now``. The same
   :class:`Receipt` travels to the recipient inside its delivery.
6. A decision not to share is as explicit as a decision to share: it is a value in
   ``Decision.refusals``, and the shell audits it.
7. A decision carries what it was computed from (the facts, the routing state, ``now``), so an
   explanation is the decision rendered (:mod:`._explain`), never a second computation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from hub.sharing._facts import RISK_ORDER, Facts, facts_for
from hub.sharing._roles import resolve_recipient
from hub.sharing._routing_state import RoutingState
from protocols import Condition, Protocol, Rule, acknowledge_by
from schemas import Notification, agency_id_from_source

__all__ = ["ALWAYS_SHARED", "Decision", "Receipt", "Refusal", "View", "decide", "leaf_paths"]

ALWAYS_SHARED = frozenset(
    {
        "specversion",
        "id",
        "source",
        "type",
        "time",
        "datacontenttype",
        "dataschema",
        "correlationid",
        "episodeid",
    }
)


class Receipt(BaseModel):
    """Why a recipient was told: the lawful-basis receipt that travels with every view."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule_id: str
    protocol_version: str
    lawful_basis: tuple[str, ...]
    purpose: str
    withheld: tuple[str, ...]
    acknowledge_by: AwareDatetime | None


@dataclass(frozen=True, slots=True)
class View:
    """What one recipient is given: the minimised event, the leaf paths in it, and its receipt."""

    recipient: str
    event: Mapping[str, Any]
    shared: tuple[str, ...]
    receipt: Receipt


@dataclass(frozen=True, slots=True)
class Refusal:
    """A recipient not told (or, with ``recipient`` None, nobody told), and why."""

    recipient: str | None
    rule_id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Decision:
    """Everything decided about one notification, and what it was decided on."""

    notification_id: str
    notification_type: str
    notification_time: datetime
    publisher: str
    protocol_version: str
    decided_at: datetime
    facts: Facts
    state: RoutingState
    views: tuple[View, ...]
    refusals: tuple[Refusal, ...]
    authorised: bool  # some rule let this publisher share this type, conditions met


def decide(
    notification: Notification,
    protocol: Protocol,
    now: datetime,
    state: RoutingState = RoutingState(),  # noqa: B008  # immutable, shared empty state
) -> Decision:
    """Apply ``protocol`` to ``notification`` at time ``now``, given the subject's ``state``."""
    publisher = agency_id_from_source(notification.source)
    event = notification.model_dump(mode="json", exclude_none=True)
    facts = facts_for(notification, event, state, publisher_la=protocol.la_of(publisher))
    views: dict[str, View] = {}
    refusals: list[Refusal] = []
    matched_any = False
    for rule in protocol.rules:
        if notification.type not in rule.types:
            continue
        if publisher not in rule.publishers:
            continue
        unmet = _unmet_condition(event, facts, rule)
        if unmet is not None:
            refusals.append(Refusal(None, rule.id, f"condition not met: {unmet}"))
            continue
        matched_any = True
        for named in rule.recipients:
            recipient, reason = resolve_recipient(named, protocol, facts)
            if recipient is None:
                refusals.append(Refusal(None, rule.id, reason))
            elif recipient == publisher:
                refusals.append(Refusal(recipient, rule.id, "recipient is the publisher"))
            elif recipient in views:
                earlier = views[recipient].receipt.rule_id
                refusals.append(Refusal(recipient, rule.id, f"already served by rule {earlier}"))
            else:
                views[recipient] = _view(recipient, event, rule, protocol, now)
    if not matched_any:
        refusals.append(Refusal(None, None, f"no rule allows {notification.type} from {publisher}"))
    return Decision(
        notification_id=notification.id,
        notification_type=notification.type,
        notification_time=notification.time,
        publisher=publisher,
        protocol_version=protocol.version_tag,
        decided_at=now,
        facts=facts,
        state=state,
        views=tuple(views.values()),
        refusals=tuple(refusals),
        authorised=matched_any,
    )


_ABSENT = object()


def _value_at(event: Mapping[str, Any], path: str) -> Any:
    node: Any = event
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return _ABSENT
        node = node[part]
    return node


def _matches(value: Any, expected: Condition) -> bool:
    allowed = expected if isinstance(expected, tuple) else (expected,)
    # bool is an int in Python; compare types too, so `true` never matches `1`.
    return any(type(value) is type(option) and value == option for option in allowed)


def _unmet_condition(event: Mapping[str, Any], facts: Facts, rule: Rule) -> str | None:
    """The first condition of ``rule`` that does not hold, or None if all hold."""
    when = rule.when
    for name in ("child", "adult", "looked_after", "se_marker", "cross_border"):
        wanted = getattr(when, name)
        if wanted is not None and getattr(facts, name) is not wanted:
            return name
    if when.risk_at_least is not None and (
        facts.risk is None or facts.risk < RISK_ORDER[when.risk_at_least.value]
    ):
        return f"risk_at_least {when.risk_at_least.value}"
    for path, expected in when.match.items():
        if not _matches(_value_at(event, path), expected):
            return path
    return None


def _view(
    recipient: str, event: Mapping[str, Any], rule: Rule, protocol: Protocol, now: datetime
) -> View:
    allowed = tuple(path.split(".") for path in rule.fields)
    kept, withheld = _minimise(event, allowed, prefix=())
    receipt = Receipt(
        rule_id=rule.id,
        protocol_version=protocol.version_tag,
        lawful_basis=rule.lawful_basis,
        purpose=rule.purpose,
        withheld=tuple(sorted(withheld)),
        acknowledge_by=(
            None
            if rule.acknowledge_within is None
            else acknowledge_by(rule.acknowledge_within, now)
        ),
    )
    return View(
        recipient=recipient, event=kept, shared=tuple(sorted(leaf_paths(kept))), receipt=receipt
    )


def _minimise(
    node: Mapping[str, Any], allowed: tuple[list[str], ...], prefix: tuple[str, ...]
) -> tuple[dict[str, Any], list[str]]:
    kept: dict[str, Any] = {}
    withheld: list[str] = []
    for key, value in node.items():
        path = (*prefix, key)
        if (not prefix and key in ALWAYS_SHARED) or list(path) in allowed:
            kept[key] = value
        elif isinstance(value, Mapping) and _is_ancestor(path, allowed):
            inner, inner_withheld = _minimise(value, allowed, path)
            if inner:
                kept[key] = inner
            withheld.extend(inner_withheld)
        else:
            withheld.extend(leaf_paths(value, path))
    return kept, withheld


def _is_ancestor(path: tuple[str, ...], allowed: tuple[list[str], ...]) -> bool:
    return any(len(rule) > len(path) and rule[: len(path)] == list(path) for rule in allowed)


def leaf_paths(value: Any, path: tuple[str, ...] = ()) -> list[str]:
    """The dotted paths of every leaf under ``value`` (an empty object is a leaf)."""
    if isinstance(value, Mapping) and value:
        leaves: list[str] = []
        for key, inner in value.items():
            leaves.extend(leaf_paths(inner, (*path, key)))
        return leaves
    return [".".join(path)]
