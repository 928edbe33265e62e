"""Which management plugin a fault run's broker restarts with: its own broker none, the tests'
shared broker the one it had, so the tests after it can still provision broker users."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.faults import ClusterServices, Services


def test_the_shared_test_broker_keeps_its_management_plugin_on_restart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On the default port, or with a management port given, the checkout's own broker is
    restarted with its management API."""
    monkeypatch.delenv("HUB_AMQP_MGMT_PORT", raising=False)
    monkeypatch.delenv("HUB_RABBITMQ_MANAGEMENT", raising=False)
    assert "HUB_RABBITMQ_MANAGEMENT" not in Services(5672, 55432)._env()
    monkeypatch.setenv("HUB_AMQP_MGMT_PORT", "15682")
    assert "HUB_RABBITMQ_MANAGEMENT" not in Services(5682, 55442)._env()


def test_a_broker_of_its_own_or_off_port_without_one_runs_without_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """make faults' own broker, and a shared one off the default port with no management port
    of its own (the default may be another checkout's), run without the plugin."""
    monkeypatch.delenv("HUB_AMQP_MGMT_PORT", raising=False)
    assert Services(5772, 55532, tmp_path)._env()["HUB_RABBITMQ_MANAGEMENT"] == "0"
    assert Services(5682, 55442)._env()["HUB_RABBITMQ_MANAGEMENT"] == "0"


def test_a_cluster_run_gives_every_process_each_node_two_ports_apart(tmp_path: Path) -> None:
    """make cluster-faults' hub, subscribers and harness get every node's URL, in node order,
    on the ports rabbitmq-cluster.sh opens (the base port, +2, +4)."""
    cluster = ClusterServices(5712, 55472, tmp_path, nodes=3)
    assert cluster.node_ports == (5712, 5714, 5716)
    assert cluster.amqp_url == (
        "amqp://guest:guest@127.0.0.1:5712/,"
        "amqp://guest:guest@127.0.0.1:5714/,"
        "amqp://guest:guest@127.0.0.1:5716/"
    )


def test_a_cluster_run_needs_services_of_its_own() -> None:
    """The cluster is always the run's own: without a state directory it refuses to start."""
    with pytest.raises(ValueError, match="of its own"):
        ClusterServices(5712, 55472, None)._cluster_dir()
