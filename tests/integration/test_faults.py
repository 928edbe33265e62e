"""The fault-injection run (bench/faults.py), short but real: kill -9 of the broker and of hub
processes and a database outage while notifications flow, counted from the recipients' side.

The first tests pin how the figures are counted, on made-up tallies, so that a loss or a
duplicate cannot hide in the arithmetic; the last one runs the real thing against this
checkout's RabbitMQ and PostgreSQL (crashing and restarting them with the project's scripts).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bench.faults import (
    ChaosEvent,
    FaultConfig,
    PlannedNotification,
    Tally,
    delivery_figures,
    plan_chaos,
    plan_notifications,
    run_faults,
)
from hub.settings import PROTOCOLS_DIR
from protocols import load_protocol
from tests.integration.conftest import AMQP_URL, POSTGRES_URL, free_port

POLICE = "northumbria-police"
EDUCATION = "northumberland-education"
N = 300


def _planned(notification_id: str, *recipients: str) -> PlannedNotification:
    return PlannedNotification(
        notification_id, "northumberland-childrens", b"{}", frozenset(recipients)
    )


def _evidence(items: list[dict[str, object]]) -> str:
    """One line per loss or duplicate: which copy, why (for a duplicate), and in which window."""
    return "\n".join(
        f"{item['notification_id']} -> {item['recipient']}: {item.get('cause', 'lost')},"
        f" window {item.get('window_of_first_copy', item.get('window'))}"
        for item in items
    )


def _tally(*copies: tuple[str, str, str, float]) -> Tally:
    tally = Tally()
    for delivery_id, notification_id, recipient, at in copies:
        tally.record(delivery_id, notification_id, recipient, at)
    return tally


def test_a_pair_never_handed_over_is_lost_and_one_handed_twice_is_duplicated() -> None:
    """A copy never handed to the handler is lost, whether or not the hub published it, and a
    copy handed over twice is one duplicate, attributed to the crash it came with."""
    planned = [
        _planned("n-1", POLICE, EDUCATION),
        _planned("n-2", POLICE, EDUCATION),
        _planned("n-3", POLICE),
    ]
    handler = _tally(
        ("d-1p", "n-1", POLICE, 1.0),
        ("d-1e", "n-1", EDUCATION, 1.1),
        ("d-2p", "n-2", POLICE, 2.0),
        ("d-2p", "n-2", POLICE, 9.0),
    )
    tap = _tally(
        ("d-1p", "n-1", POLICE, 1.0),
        ("d-1e", "n-1", EDUCATION, 1.1),
        ("d-2p", "n-2", POLICE, 2.0),
        ("d-2e", "n-2", EDUCATION, 2.0),
    )
    crash = ChaosEvent("hub_kill", 0.5, target="router-1", began_s=2.5, recovered_s=4.0)
    accepted = {"n-1": 0.5, "n-2": 1.9, "n-3": 200.0}

    figures = delivery_figures(planned, accepted, handler, tap, [crash])

    assert (figures["expected"], figures["delivered"], figures["lost"]) == (5, 3, 2)
    published = {
        (loss["notification_id"], loss["recipient"]): loss["published"]
        for loss in figures["losses"]
    }
    assert published == {("n-2", EDUCATION): True, ("n-3", POLICE): False}
    assert figures["losses_by_window"] == {
        "hub_kill (router)": 1,
        "no chaos event in the 120 s before": 1,
    }
    assert figures["duplicated"] == 1
    assert figures["raw_redeliveries"] == 1
    (duplicate,) = figures["duplicates"]
    assert duplicate["cause"] == "redelivered to subscriber"
    assert duplicate["window_of_first_copy"]["target"] == "router-1"
    assert figures["duplicates_by_window"] == {"hub_kill (router)": 1}


def test_a_copy_published_twice_but_handed_over_once_is_raw_not_duplicated() -> None:
    """A second publish that the library's de-duplication kept from the handler counts in
    raw_redeliveries and published_twice, never in duplicated; a stranger's copy is misdelivered."""
    planned = [_planned("n-1", POLICE)]
    handler = _tally(("d-1p", "n-1", POLICE, 1.0), ("d-1x", "n-1", EDUCATION, 1.0))
    tap = _tally(("d-1p", "n-1", POLICE, 1.0), ("d-1p", "n-1", POLICE, 3.0))

    figures = delivery_figures(planned, {"n-1": 0.5}, handler, tap, [])

    assert (figures["lost"], figures["duplicated"]) == (0, 0)
    assert (figures["raw_redeliveries"], figures["published_twice"]) == (1, 1)
    assert figures["misdelivered"] == 1
    assert figures["duplicates"][0]["cause"] == "published twice"


def test_the_chaos_plan_comes_from_the_seed_alone() -> None:
    """The same seed plans the same crashes, in the counts asked, within the posting."""
    first = plan_chaos(broker_kills=5, hub_kills=20, db_outages=2, seed=3)
    again = plan_chaos(broker_kills=5, hub_kills=20, db_outages=2, seed=3)
    other = plan_chaos(broker_kills=5, hub_kills=20, db_outages=2, seed=4)

    assert [(e.kind, e.at_fraction) for e in first] == [(e.kind, e.at_fraction) for e in again]
    assert [e.at_fraction for e in first] != [e.at_fraction for e in other]
    kinds = [event.kind for event in first]
    assert (kinds.count("broker_kill"), kinds.count("hub_kill"), kinds.count("db_outage")) == (
        5,
        20,
        2,
    )
    assert all(0 < event.at_fraction < 1 for event in first)


def test_each_planned_notification_names_the_recipients_the_protocol_decides() -> None:
    """The synthetic notifications are distinct, and each goes to at least two agencies."""
    protocol = load_protocol(PROTOCOLS_DIR / "northumberland.yaml")
    planned = plan_notifications(200, seed=1, run_tag="t", protocol=protocol, now=datetime.now(UTC))

    assert len({n.id for n in planned}) == 200
    assert all(len(n.recipients) >= 2 for n in planned)
    assert {"newcastle-childrens", "durham-childrens"} <= set().union(
        *(n.recipients for n in planned)
    )


@pytest.mark.postgres
@pytest.mark.timeout(170)
async def test_kill_minus_nine_loses_nothing_and_hands_nothing_over_twice(
    clean_broker: None, tmp_path: Path
) -> None:
    """300 notifications through a broker kill -9, an API and a router kill -9 and a database
    outage: each accepted one reaches each expected recipient exactly once, and the audit
    chain verifies."""
    output = tmp_path / "faults.json"
    config = FaultConfig(
        notifications=N,
        broker_kills=1,
        hub_kills=2,
        db_outages=1,
        db_outage_seconds=2.0,
        rate=20.0,
        seed=7,
        amqp_port=urlsplit(AMQP_URL).port or 5672,
        pg_port=urlsplit(POSTGRES_URL).port or 5432,
        services_dir=None,
        http_ports=(free_port(), free_port()),
        workdir=tmp_path,
        output=output,
        drain_timeout=60.0,
        settle_seconds=3.0,
        quiet=True,
    )

    document = await run_faults(config)

    assert json.loads(output.read_text(encoding="utf-8")) == document
    kills = (document["broker_kills"], document["api_kills"], document["router_kills"])
    assert (kills, document["db_outages"]) == ((1, 1, 1), 1)
    assert document["accepted"] == N
    assert document["expected"] > N
    assert document["lost"] == 0, _evidence(document["losses"])
    assert document["duplicated"] == 0, _evidence(document["duplicates"])
    assert document["misdelivered"] == 0
    assert document["audit_chain_ok"] is True, document["audit_verify"]
