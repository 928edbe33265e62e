"""A subject's routing state on SQL: its placements, missing episodes and the risks told.

Read with :func:`load_state`; changed with :func:`remember`, inside the routing store's one
transaction (:mod:`._routing_store`), so a decision and the state it leaves commit together.
Every row is keyed by a subject pseudonym: a person known by several identifiers has a row
under each, and a change is written under every key the notification names.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import RowMapping, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.db import subject_episodes, subject_placements, subject_risk_told
from hub.sharing import (
    ActivePlacement,
    EpisodeChange,
    MissingEpisode,
    PlacementChange,
    RiskTold,
    RoutingState,
)

__all__ = ["load_state", "remember"]


async def load_state(connection: AsyncConnection, keys: list[str]) -> RoutingState:
    """The state of a subject known by any of ``keys``."""
    queries = (
        select(subject_placements)
        .where(subject_placements.c.subject_key.in_(keys))
        .order_by(subject_placements.c.started_at, subject_placements.c.episode_key),
        select(subject_episodes)
        .where(subject_episodes.c.subject_key.in_(keys))
        .order_by(subject_episodes.c.started_on, subject_episodes.c.reference),
        select(subject_risk_told)
        .where(subject_risk_told.c.subject_key.in_(keys))
        .order_by(subject_risk_told.c.told_at),
    )
    placed, episodes, told = [
        (await connection.execute(query)).mappings().all() for query in queries
    ]
    placements = {
        row["episode_key"]: ActivePlacement(row["episode_key"], row["placing_la"], row["host_la"])
        for row in placed
    }
    # The latest told under any of the subject's keys wins.
    latest = {
        row["recipient"]: RiskTold(
            row["recipient"], row["rule_id"], row["level"], bool(row["on_rmg"])
        )
        for row in told
    }
    return RoutingState(
        placements=tuple(placements.values()),
        episodes=_episodes(episodes),
        told=tuple(latest.values()),
    )


async def remember(  # noqa: PLR0917  # one call per decision, each part optional
    connection: AsyncConnection,
    subjects: list[str],
    change: PlacementChange | None,
    episode: EpisodeChange | None,
    told: Sequence[RiskTold],
    now: datetime,
) -> None:
    """Apply a decision's state changes for ``subjects`` (sorted pseudonyms)."""
    if change is not None:
        await _apply(connection, subjects, change, now)
    if episode is not None:
        await _remember_episode(connection, subjects, episode.episode, now)
    if told:
        await _remember_told(connection, subjects, told, now)


async def _apply(
    connection: AsyncConnection, subjects: list[str], change: PlacementChange, now: datetime
) -> None:
    """Forget the episode's placement; remember it again if it (re)started."""
    await connection.execute(
        delete(subject_placements).where(subject_placements.c.episode_key == change.episode)
    )
    if change.started is not None:
        placement = change.started
        await connection.execute(
            insert(subject_placements),
            [
                {
                    "subject_key": subject,
                    "episode_key": placement.episode,
                    "placing_la": placement.placing_la,
                    "host_la": placement.host_la,
                    "started_at": now.astimezone(UTC),
                }
                for subject in subjects
            ],
        )


def _episodes(rows: Sequence[RowMapping]) -> tuple[MissingEpisode, ...]:
    by_reference: dict[str, MissingEpisode] = {}
    for row in rows:
        known = by_reference.get(row["reference"])
        sources = frozenset({row["source_key"]}) | (known.sources if known else frozenset())
        publishers = frozenset(filter(None, (row["publishers"] or "").split(",")))
        by_reference[row["reference"]] = MissingEpisode(
            row["reference"],
            sources,
            row["started_on"],
            row["ended_on"],
            publishers=publishers | (known.publishers if known else frozenset()),
        )
    return tuple(by_reference.values())


async def _remember_episode(
    connection: AsyncConnection, subjects: list[str], episode: MissingEpisode, now: datetime
) -> None:
    """Every (subject key, source) of the episode, with its dates as they now stand."""
    at = now.astimezone(UTC)
    dates = {
        "started_on": episode.started_on,
        "ended_on": episode.ended_on,
        "publishers": ",".join(sorted(episode.publishers)),
        "updated_at": at,
    }
    await connection.execute(
        update(subject_episodes)
        .where(subject_episodes.c.reference == episode.reference)
        .values(**dates)
    )
    existing = {
        (row.subject_key, row.source_key)
        for row in await connection.execute(
            select(subject_episodes.c.subject_key, subject_episodes.c.source_key).where(
                subject_episodes.c.subject_key.in_(subjects)
            )
        )
    }
    rows = [
        {"subject_key": subject, "source_key": source, "reference": episode.reference, **dates}
        for subject in subjects
        for source in sorted(episode.sources)
        if (subject, source) not in existing
    ]
    if rows:
        await connection.execute(insert(subject_episodes), rows)


async def _remember_told(
    connection: AsyncConnection, subjects: list[str], told: Sequence[RiskTold], now: datetime
) -> None:
    await connection.execute(
        delete(subject_risk_told).where(
            subject_risk_told.c.subject_key.in_(subjects),
            subject_risk_told.c.recipient.in_(sorted({t.recipient for t in told})),
        )
    )
    await connection.execute(
        insert(subject_risk_told),
        [
            {
                "subject_key": subject,
                "recipient": t.recipient,
                "rule_id": t.rule_id,
                "level": t.level,
                "on_rmg": t.on_rmg,
                "told_at": now.astimezone(UTC),
            }
            for subject in subjects
            for t in told
        ],
    )
