"""Routing state: what the hub remembers about a subject between notifications.

The state is plain data. The router loads it for the notification's subject (keyed by
pseudonyms, never by raw identifiers), and stores the changes the functions here return.

Rules:

1. **Placements.** A child's active placements, as the responsible council (or a provider it
   registered) notified them. While one lasts, its placing LA is the child's responsible
   authority, and if it lies out of area its host LA is the host authority. Only the
   responsible authority changes a child's placement state: a claim by anyone else changes
   nothing (the decision alerts the responsible council instead). A confidential placement is
   remembered without a host.
2. **Missing episodes.** Reports of one missing episode from different agencies share one hub
   episode reference: a report joins the episode its own publisher's episode is already part
   of, else an episode of the same subject whose dates overlap its own (a day's slack either
   side, since councils record dates and the police times) and that its publisher has not
   already reported under another of its own episode ids (a publisher's new episode id is a
   new episode), else it starts a new one under the reference the router derived for it
   (keyed, never reversible).
3. **What each recipient was told of the risk.** For a rule that ``withdraw``\\s, the level
   (and whether the person was on the RMG) each recipient was last told, so that when the risk
   falls or the person leaves the RMG everyone told of more hears of it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from schemas import Notification, agency_id_from_source

__all__ = [
    "ActivePlacement",
    "EpisodeChange",
    "MissingEpisode",
    "PlacementChange",
    "RiskTold",
    "RoutingState",
    "about_an_episode",
    "correlate_episode",
    "episode_dates",
]

EPISODE_SLACK = timedelta(days=1)
_MISSING = "uk.sehub.missing_episode."
_RETURN_INTERVIEW = "uk.sehub.return_interview.recorded.v1"


@dataclass(frozen=True, slots=True)
class ActivePlacement:
    """A placement that has started and not ended (``host_la`` None: confidential)."""

    episode: str
    placing_la: str
    host_la: str | None

    @property
    def out_of_area(self) -> bool:
        return self.host_la is not None and self.host_la != self.placing_la


@dataclass(frozen=True, slots=True)
class MissingEpisode:
    """One missing episode as the hub knows it, from however many agencies' reports."""

    reference: str
    sources: frozenset[str]  # the pseudonyms of each publisher's own episode id
    started_on: date
    ended_on: date | None
    publishers: frozenset[str] = frozenset()  # the agencies that reported it

    def overlaps(self, started_on: date, ended_on: date | None) -> bool:
        """Whether an episode from ``started_on`` to ``ended_on`` (None: open) overlaps this."""
        mine_end = self.ended_on or date.max
        theirs_end = ended_on or date.max
        return started_on <= _plus(mine_end, EPISODE_SLACK) and self.started_on <= _plus(
            theirs_end, EPISODE_SLACK
        )


@dataclass(frozen=True, slots=True)
class RiskTold:
    """The risk level a recipient was last told under a withdrawing rule."""

    recipient: str
    rule_id: str
    level: int | None  # :data:`hub.sharing.RISK_ORDER`; None: a level not known
    on_rmg: bool


@dataclass(frozen=True, slots=True)
class RoutingState:
    """What the hub knows about the subject of one notification."""

    placements: tuple[ActivePlacement, ...] = ()
    episodes: tuple[MissingEpisode, ...] = ()
    told: tuple[RiskTold, ...] = ()

    @property
    def host_la(self) -> str | None:
        """The host LA of the most recent active out-of-area placement, if any."""
        away = [p for p in self.placements if p.out_of_area]
        return away[-1].host_la if away else None

    @property
    def responsible_la(self) -> str | None:
        """The placing LA of the most recent active placement: the responsible authority."""
        return self.placements[-1].placing_la if self.placements else None


@dataclass(frozen=True, slots=True)
class PlacementChange:
    """A state change a notification causes: a placement to remember, or to forget."""

    episode: str
    started: ActivePlacement | None  # None: the placement with this episode has ended


@dataclass(frozen=True, slots=True)
class EpisodeChange:
    """The missing episode a report belongs to, as it is to be remembered after the report."""

    episode: MissingEpisode
    new: bool


def _plus(day: date, delta: timedelta) -> date:
    return day if day == date.max else day + delta


def _day(value: Any) -> date | None:
    return date.fromisoformat(value[:10]) if isinstance(value, str) else None


def about_an_episode(notification: Notification) -> bool:
    """Whether ``notification`` is a missing report or a return interview: what rule 2 joins."""
    return notification.type.startswith(_MISSING) or notification.type == _RETURN_INTERVIEW


def episode_dates(notification: Notification) -> tuple[date, date | None] | None:
    """A missing report's first and last day (None for any other notification)."""
    if not notification.type.startswith(_MISSING):
        return None
    data = notification.model_dump(mode="json")["data"]
    started = _day(data.get("started_on"))
    if started is None:
        return None
    return started, _day(data.get("ended_on"))


def correlate_episode(
    notification: Notification, state: RoutingState, source_episode: str, fresh_reference: str
) -> EpisodeChange | None:
    """The hub episode ``notification`` belongs to (rule 2), and how to remember it.

    ``source_episode`` is the pseudonym of the publisher's own episode id (for a return
    interview, of the episode it follows); ``fresh_reference`` the reference a new episode takes.
    A return interview joins only an episode already known, and changes nothing in it.
    """
    known = [e for e in state.episodes if source_episode in e.sources]
    if notification.type == _RETURN_INTERVIEW:
        return EpisodeChange(known[-1], new=False) if known else None
    dates = episode_dates(notification)
    if dates is None:
        return None
    started_on, ended_on = dates
    publisher = agency_id_from_source(notification.source)
    if not known:
        known = [
            e
            for e in state.episodes
            if e.overlaps(started_on, ended_on) and publisher not in e.publishers
        ]
    if not known:
        episode = MissingEpisode(
            fresh_reference,
            frozenset({source_episode}),
            started_on,
            ended_on,
            publishers=frozenset({publisher}),
        )
        return EpisodeChange(episode, new=True)
    episode = known[-1]
    ends = [day for day in (episode.ended_on, ended_on) if day is not None]
    return EpisodeChange(
        replace(
            episode,
            sources=episode.sources | {source_episode},
            started_on=min(episode.started_on, started_on),
            ended_on=max(ends) if ends else None,
            publishers=episode.publishers | {publisher},
        ),
        new=False,
    )
