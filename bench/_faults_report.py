"""The figures of a fault run, computed from the recipients' side, with the evidence behind
every loss and every duplicate.

Definitions:

1. ``accepted``: notifications that got 202. ``expected``: the (notification, recipient) pairs
   that :func:`hub.sharing.decide` names for the accepted ones. ``delivered``: expected pairs
   some subscriber's handler was given at least once. ``lost``: expected pairs never given.
2. ``duplicated``: copies a handler was given beyond the first, per delivery id, after whatever
   de-duplication the subscriber library does: what the agency would have acted on twice.
3. ``raw_redeliveries``: copies beyond the first per delivery id before any de-duplication:
   for each delivery id, the larger of the copies the handler was given and the copies the
   hub published to the queue (seen on the tap), less one. With a library that de-duplicates,
   it stays above zero while ``duplicated`` is zero.
4. ``published_twice``: delivery ids the hub published more than once (tap). A duplicate the
   hub did not publish twice was redelivered to the subscriber (an ack lost in an outage).
5. Every duplicate and every loss is listed (up to :data:`EVIDENCE_LIMIT`) with its times and
   its *window*: the chaos event during which its first copy arrived (for a loss: it was
   accepted), and counted by the kind of that event. A copy published just before a kill has
   a negative ``seconds_after_it_began``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Final

from bench._faults_chaos import ChaosEvent
from bench._faults_recipients import Tally
from bench._faults_traffic import PlannedNotification

__all__ = ["EVIDENCE_LIMIT", "delivery_figures"]

EVIDENCE_LIMIT: Final = 50
WINDOW_SECONDS: Final = 120.0
LEAD_SECONDS: Final = 1.0  # a publish lands just before the kill that cuts off its mark-sent


def _window(events: Sequence[ChaosEvent], at: float) -> dict[str, Any] | None:
    """The chaos event during which ``at`` fell (from :data:`LEAD_SECONDS` before it began to
    as long after it recovered; the nearest start if several), else the last one before it."""
    timed = [
        (number, event.began_s, event.recovered_s, event)
        for number, event in enumerate(events, start=1)
        if event.began_s is not None and event.recovered_s is not None
    ]
    during = [
        (abs(at - began), number, began, event)
        for number, began, recovered, event in timed
        if began - LEAD_SECONDS <= at <= recovered + LEAD_SECONDS
    ]
    before = [
        (number, began, event)
        for number, began, _, event in timed
        if began <= at <= began + WINDOW_SECONDS
    ]
    if during:
        _, number, began, event = min(during, key=lambda found: found[0])
    elif before:
        number, began, event = before[-1]
    else:
        return None
    return {
        "event": number,
        "kind": event.kind,
        "target": event.target,
        "seconds_after_it_began": round(at - began, 2),
    }


def _window_kind(window: dict[str, Any] | None) -> str:
    if window is None:
        return f"no chaos event in the {WINDOW_SECONDS:.0f} s before"
    target = f" ({str(window['target']).split('-')[0]})" if window["target"] else ""
    return f"{window['kind']}{target}"


def _duplicates(
    handler: Tally, tap: Tally, events: Sequence[ChaosEvent]
) -> tuple[list[dict[str, Any]], Counter[str]]:
    listed, by_window = [], Counter[str]()
    ids = sorted(
        (
            d
            for d in set(handler.times) | set(tap.times)
            if max(handler.copies(d), tap.copies(d)) > 1
        ),
        key=lambda d: min(handler.times.get(d, tap.times.get(d, [0.0]))),
    )
    pair_of = {
        d: pair for source in (handler, tap) for pair, ds in source.pairs.items() for d in ds
    }
    for delivery_id in ids:
        seen = sorted(handler.times.get(delivery_id, []))
        published = sorted(tap.times.get(delivery_id, []))
        first = min([*seen[:1], *published[:1]])
        window = _window(events, first)
        if len(seen) > 1:
            by_window[_window_kind(window)] += len(seen) - 1
        notification_id, recipient = pair_of[delivery_id]
        listed.append(
            {
                "notification_id": notification_id,
                "recipient": recipient,
                "delivery_id": delivery_id,
                "handler_copies": len(seen),
                "published_copies": len(published),
                "cause": "published twice" if len(published) > 1 else "redelivered to subscriber",
                "handler_seen_s": [round(t, 2) for t in seen],
                "published_s": [round(t, 2) for t in published],
                "window_of_first_copy": window,
                "window_of_second_copy": _window(events, (seen if len(seen) > 1 else published)[1]),
            }
        )
    return listed[:EVIDENCE_LIMIT], by_window


def _losses(
    lost: Sequence[tuple[str, str]],
    accepted: Mapping[str, float],
    tap: Tally,
    events: Sequence[ChaosEvent],
) -> tuple[list[dict[str, Any]], Counter[str]]:
    listed, by_window = [], Counter[str]()
    for notification_id, recipient in lost:
        window = _window(events, accepted[notification_id])
        by_window[_window_kind(window)] += 1
        listed.append(
            {
                "notification_id": notification_id,
                "recipient": recipient,
                "accepted_s": round(accepted[notification_id], 2),
                "published": (notification_id, recipient) in tap.pairs,
                "window": window,
            }
        )
    return listed[:EVIDENCE_LIMIT], by_window


def delivery_figures(
    planned: Sequence[PlannedNotification],
    accepted: Mapping[str, float],
    handler: Tally,
    tap: Tally,
    events: Sequence[ChaosEvent],
) -> dict[str, Any]:
    """The delivery figures and their evidence (definitions 1-5)."""
    recipients = {n.id: n.recipients for n in planned}
    expected = {(n, r) for n in accepted for r in recipients[n]}
    received = set(handler.pairs)
    lost = sorted(expected - received)
    ours = {pair for pair in received if pair[0] in recipients}
    misdelivered = sorted(p for p in ours if p[1] not in recipients[p[0]])
    raw = sum(
        max(handler.copies(d), tap.copies(d)) - 1 for d in set(handler.times) | set(tap.times)
    )
    duplicates, duplicates_by_window = _duplicates(handler, tap, events)
    losses, losses_by_window = _losses(lost, accepted, tap, events)
    return {
        "accepted": len(accepted),
        "expected": len(expected),
        "delivered": len(expected & received),
        "lost": len(lost),
        "duplicated": handler.extra,
        "raw_redeliveries": raw,
        "published_twice": sum(1 for seen in tap.times.values() if len(seen) > 1),
        "handler_copies": handler.raw,
        "published_copies": tap.raw,
        "misdelivered": len(misdelivered),
        "delivered_unaccepted": len({p for p in ours if p[0] not in accepted} - set(misdelivered)),
        "foreign_copies": len(received - ours),
        "pairs_with_two_delivery_ids": sum(1 for ids in handler.pairs.values() if len(ids) > 1),
        "duplicates_by_window": dict(duplicates_by_window),
        "losses_by_window": dict(losses_by_window),
        "duplicates": duplicates,
        "losses": losses,
        "misdelivered_pairs": [list(pair) for pair in misdelivered[:EVIDENCE_LIMIT]],
    }
