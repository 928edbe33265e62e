"""What a decision gives each party, or why not: minimised views, their receipts, refusals.

Rules:

1. A view holds only the allow-listed paths, plus the envelope attributes that identify the
   event (never ``subject`` unless allowed). Every other leaf path present is withheld, and
   named in the receipt.
2. Every view carries a lawful-basis receipt: the rule id (for a clock's alert, the clock id;
   the protocol keeps the two apart), protocol version, basis, purpose, withheld paths and the
   acknowledgement deadline. The same :class:`Receipt` travels to the recipient inside its
   delivery.
3. A rule's view and a clock's alert are built by one function from the same terms (fields,
   basis, purpose, deadline), so minimisation and lawful basis can never differ between them.
4. A view whose rule names a ladder carries the escalation steps planned for it, in order
   (:mod:`._ladders`); they travel to nobody, the router holds them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Final

from pydantic import AwareDatetime, BaseModel, ConfigDict

from protocols import Clock, Protocol, Rule, acknowledge_by

__all__ = [
    "ALWAYS_SHARED",
    "EscalationStep",
    "Receipt",
    "Refusal",
    "View",
    "leaf_paths",
    "view_of",
]

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
        "hubepisode",
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
    withdrawal: bool = False  # the risk this recipient was told of has fallen


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """One step of a ladder planned for one view: released at ``due_at`` unless acknowledged.

    ``recipient`` is the party told at this step, ``addressed_to`` the team or role inside it;
    ``about_recipient`` the party whose copy went unacknowledged (the view's recipient). With
    ``notify_sender`` the publisher is told too that this step was reached.
    """

    ladder: str
    step: int  # 1 for the first step
    recipient: str
    addressed_to: str
    due_at: datetime  # aware, UTC
    about_recipient: str
    notify_sender: bool

    @property
    def resends_view(self) -> bool:
        """Whether this step goes back to the agency that was told (it may see the view)."""
        return self.recipient == self.about_recipient

    @property
    def key(self) -> str:
        """Tells this step apart from every other copy about the same notification."""
        return f"escalation:{self.about_recipient}:{self.step}"

    @property
    def sender_key(self) -> str:
        """As :attr:`key`, for the notice to the sender (``notify_sender``)."""
        return f"{self.key}:sender"


@dataclass(frozen=True, slots=True)
class View:
    """What one recipient is given: the minimised event, the leaf paths in it, and its receipt."""

    recipient: str
    event: Mapping[str, Any]
    shared: tuple[str, ...]
    receipt: Receipt
    escalations: tuple[EscalationStep, ...] = ()


@dataclass(frozen=True, slots=True)
class Refusal:
    """A recipient not told (or, with ``recipient`` None, nobody told), and why.

    ``rule_id`` names the rule, or the clock, the refusal is about.
    """

    recipient: str | None
    rule_id: str | None
    reason: str


def _unchanged(kept: dict[str, Any]) -> dict[str, Any]:
    return kept


def view_of(
    recipient: str,
    event: Mapping[str, Any],
    terms: Rule | Clock,
    protocol: Protocol,
    *,
    deadline_from: datetime,
    shape: Callable[[dict[str, Any]], dict[str, Any]] = _unchanged,
) -> View:
    """``recipient``'s view of ``event`` under a rule's (or a clock's) terms.

    ``shape`` turns the minimised event into what the recipient is given (a clock's alert
    document); the receipt's deadline is counted from ``deadline_from``.
    """
    withheld: list[str] = []
    shared: list[str] = []
    kept = _minimise(event, _allowed(terms.fields), "", withheld, shared)
    given = shape(kept)
    if shape is not _unchanged:
        shared = leaf_paths(given)
    receipt = Receipt(
        rule_id=terms.id,
        protocol_version=protocol.version_tag,
        lawful_basis=terms.lawful_basis,
        purpose=terms.purpose,
        withheld=tuple(sorted(withheld)),
        acknowledge_by=(
            None
            if terms.acknowledge_within is None
            else acknowledge_by(terms.acknowledge_within, deadline_from)
        ),
    )
    return View(recipient=recipient, event=given, shared=tuple(sorted(shared)), receipt=receipt)


# An allow-list as a tree of keys: a path's last key maps to _WHOLE (its subtree is shared); a
# key above an allowed path maps to the tree below it. A path allowed whole wins over longer ones.
_WHOLE: Final = object()
_Allowed = dict[str, Any]


@lru_cache(maxsize=1024)  # keyed by the rule's (or clock's) fields; a protocol has a few hundred
def _allowed(fields: tuple[str, ...]) -> _Allowed:
    tree: _Allowed = {}
    for path in fields:
        node = tree
        *above, last = path.split(".")
        for key in above:
            below = node.setdefault(key, {})
            if below is _WHOLE:
                break
            node = below
        else:
            node[last] = _WHOLE
    return tree


def _minimise(
    node: Mapping[str, Any],
    allowed: _Allowed,
    prefix: str,
    withheld: list[str],
    shared: list[str],
) -> dict[str, Any]:
    """The allowed part of ``node``; its leaf paths (``prefix``ed) go to ``shared``, every other
    one to ``withheld``."""
    kept: dict[str, Any] = {}
    for key, value in node.items():
        below = allowed.get(key)
        if below is _WHOLE or (not prefix and key in ALWAYS_SHARED):
            kept[key] = value
            _leaves(value, prefix + key, shared)
        elif below is not None and _is_mapping(value):
            inner = _minimise(value, below, f"{prefix}{key}.", withheld, shared)
            if inner:
                kept[key] = inner
        else:
            _leaves(value, prefix + key, withheld)
    return kept


_NOT_MAPPINGS: Final = frozenset({str, int, float, bool, type(None), list})


def _is_mapping(value: Any) -> bool:
    kind = type(value)
    return kind is dict or (kind not in _NOT_MAPPINGS and isinstance(value, Mapping))


def _leaves(value: Any, path: str, into: list[str]) -> None:
    if value and _is_mapping(value):
        for key, inner in value.items():
            _leaves(inner, f"{path}.{key}", into)
    else:
        into.append(path)


def leaf_paths(value: Any, path: tuple[str, ...] = ()) -> list[str]:
    """The dotted paths of every leaf under ``value`` (an empty object is a leaf)."""
    leaves: list[str] = []
    if path:
        _leaves(value, ".".join(path), leaves)
    elif value and _is_mapping(value):
        for key, inner in value.items():
            _leaves(inner, key, leaves)
    else:
        leaves.append("")
    return leaves
