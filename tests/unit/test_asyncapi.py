"""The AsyncAPI document: generated from the topology, checked in, and lint-clean against the
official AsyncAPI 3.0.0 JSON Schema (fetched, pinned, by scripts/asyncapi_schema.py)."""

from __future__ import annotations

import copy
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from hub.cli import MESSAGE_HEADERS, asyncapi_document, asyncapi_yaml, main
from hub.crypto import DELIVERY_FIELDS, SOURCE_FIELDS
from hub.delivery import (
    ACK_QUEUE,
    AGENCY_QUEUE_PREFIX,
    DEAD_AUDIT_QUEUE,
    DEAD_EXCHANGE,
    DEAD_QUEUE,
    DELIVER_EXCHANGE,
    INGRESS_EXCHANGE,
    INGRESS_QUEUE,
    SHARD_EXCHANGE,
    SHARD_QUEUE_PREFIX,
)

REPO = Path(__file__).resolve().parents[2]
CHECKED_IN = REPO / "docs" / "asyncapi.yaml"


def _lint() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "asyncapi_schema", REPO / "scripts/asyncapi_schema.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LINT = _lint()


def test_the_checked_in_document_is_what_the_code_generates() -> None:
    """docs/asyncapi.yaml is hub asyncapi's output for today's topology (regenerate if not)."""
    assert CHECKED_IN.read_text(encoding="utf-8") == asyncapi_yaml()


def test_the_checked_in_document_lints_clean_against_the_official_schema() -> None:
    """The official AsyncAPI 3.0.0 JSON Schema finds no problem in docs/asyncapi.yaml."""
    document = yaml.safe_load(CHECKED_IN.read_text(encoding="utf-8"))
    assert document["asyncapi"] == "3.0.0"
    assert LINT.problems(document) == []


def test_the_lint_finds_a_broken_binding_and_a_wrong_action() -> None:
    """The lint is real: an unknown AMQP channel kind and a 2.x action are both reported."""
    broken: dict[str, Any] = copy.deepcopy(asyncapi_document())
    broken["channels"]["ingress"]["bindings"]["amqp"]["is"] = "exchange"
    broken["operations"]["deliverCopy"]["action"] = "publish"
    places = {problem.split(":", 1)[0] for problem in LINT.problems(broken)}
    assert {"channels/ingress", "operations/deliverCopy"} <= places


def test_the_lint_script_exits_1_naming_the_file_of_a_broken_document(tmp_path: Path) -> None:
    """Run as a script, the lint names the file and the place, and fails."""
    broken = copy.deepcopy(asyncapi_document())
    broken["servers"]["demo"]["protocol"] = 5
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    run = subprocess.run(  # noqa: S603  # our own script
        [sys.executable, str(REPO / "scripts/asyncapi_schema.py"), str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 1
    assert f"{path}: servers/demo" in run.stdout


def test_every_queue_and_exchange_of_the_topology_is_a_channel() -> None:
    """Each name the hub declares appears in a channel's AMQP binding, under its kind."""
    channels = asyncapi_document()["channels"].values()
    queues = {
        c["bindings"]["amqp"]["queue"]["name"] for c in channels if "queue" in c["bindings"]["amqp"]
    }
    exchanges = {
        (c["bindings"]["amqp"]["exchange"]["name"], c["bindings"]["amqp"]["exchange"]["type"])
        for c in channels
        if "exchange" in c["bindings"]["amqp"]
    }
    assert queues == {
        INGRESS_QUEUE,
        SHARD_QUEUE_PREFIX + "{shard}",
        ACK_QUEUE,
        DEAD_QUEUE,
        DEAD_AUDIT_QUEUE,
        AGENCY_QUEUE_PREFIX + "{agencyId}",
    }
    assert exchanges == {
        (INGRESS_EXCHANGE, "direct"),
        (SHARD_EXCHANGE, "direct"),
        (DELIVER_EXCHANGE, "direct"),
        (ACK_QUEUE, "direct"),
        (DEAD_EXCHANGE, "fanout"),
    }


def test_the_envelopes_have_exactly_the_members_the_crypto_reads() -> None:
    """Each envelope schema requires the wire format's members and forbids any other."""
    schemas = asyncapi_document()["components"]["schemas"]
    for name, fields in (
        ("SourceEnvelope", SOURCE_FIELDS),
        ("DeliveryEnvelope", DELIVERY_FIELDS),
        ("AcknowledgementSourceEnvelope", SOURCE_FIELDS),
    ):
        assert schemas[name]["required"] == list(fields)
        assert set(schemas[name]["properties"]) == set(fields)
        assert schemas[name]["additionalProperties"] is False
    assert {"DeliveredNotification", "Acknowledgement", "Receipt"} <= set(schemas)


def test_every_documented_header_is_set_somewhere_in_the_hub() -> None:
    """No header is documented that no code sets: each name is a literal in the hub's source."""
    source = "\n".join(
        p.read_text(encoding="utf-8")
        for p in (REPO / "hub").rglob("*.py")
        if "_asyncapi" not in p.name
    )
    for header in MESSAGE_HEADERS:
        assert f'"{header}"' in source, header


def test_hub_asyncapi_check_says_when_the_file_is_stale(tmp_path: Path, capsys: Any) -> None:
    """hub asyncapi writes the file; --check exits 0 on it, 1 once it differs."""
    output = tmp_path / "asyncapi.yaml"
    assert main(["asyncapi", "--output", str(output)]) == 0
    assert main(["asyncapi", "--output", str(output), "--check"]) == 0
    output.write_text(output.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    assert main(["asyncapi", "--output", str(output), "--check"]) == 1
    assert "stale" in capsys.readouterr().out
