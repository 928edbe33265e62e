"""Routing state: what the hub remembers about a subject between notifications.

Today that is the subject's active out-of-area placements: while one lasts, its host authority
(and the police force for that area) can be recipients of later notifications about the child,
as the protocol says. The state is plain data; the router loads it for the notification's
subject (keyed by pseudonyms, never by raw identifiers) and stores the changes
:func:`placement_change` returns.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas import Notification, PlacementEnded, PlacementStarted

__all__ = ["ActivePlacement", "PlacementChange", "RoutingState", "placement_change"]


@dataclass(frozen=True, slots=True)
class ActivePlacement:
    """An out-of-area placement that has started and not ended."""

    episode: str
    placing_la: str
    host_la: str


@dataclass(frozen=True, slots=True)
class RoutingState:
    """What the hub knows about the subject of one notification."""

    placements: tuple[ActivePlacement, ...] = ()

    @property
    def host_la(self) -> str | None:
        """The host LA of the most recent active out-of-area placement, if any."""
        return self.placements[-1].host_la if self.placements else None

    @property
    def placing_la(self) -> str | None:
        return self.placements[-1].placing_la if self.placements else None


@dataclass(frozen=True, slots=True)
class PlacementChange:
    """A state change a notification causes: a placement to remember, or to forget."""

    episode: str
    started: ActivePlacement | None  # None: the placement with this episode has ended


def _episode(notification: Notification) -> str:
    return notification.episodeid or notification.id


def placement_change(notification: Notification) -> PlacementChange | None:
    """The state change ``notification`` causes, if any (pure)."""
    if isinstance(notification, PlacementEnded):
        return PlacementChange(episode=_episode(notification), started=None)
    if isinstance(notification, PlacementStarted):
        data = notification.data
        # A confidential placement has no known host; an in-area one needs no extra recipient.
        if data.confidential or not data.out_of_area or data.host_la is None:
            return None
        placement = ActivePlacement(_episode(notification), data.placing_la, data.host_la)
        return PlacementChange(episode=placement.episode, started=placement)
    return None
