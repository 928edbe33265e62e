"""Signing at the agency's own edge, through real hub processes, RabbitMQ and PostgreSQL.

Children's services sign at their edge: their private document lives in a directory of their
own that no hub process reads. The API (``hub run --role api``) reads a keys directory with
neither the hub's private document nor theirs; the router (``--role router``) holds the hub's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
import yaml

from hub.agencies import AgencyDirectory
from hub.audit import AuditAction, AuditEntry
from hub.bootstrap import Role, bootstrap, private_key_owners
from hub.cli import write_demo
from hub.crypto import HUB_AGENCY, KeyMaterial
from hub.edge import ENVELOPE_CONTENT_TYPE, seal_and_sign, sign_request
from hub.settings import Settings
from hub.stores import SqlAuditLog
from hub.subscriber import Subscriber
from tests.fixtures import canary_event
from tests.integration.conftest import (
    AMQP_URL,
    POSTGRES_URL,
    drop_all_tables,
    free_port,
    readyz_status,
    start_hub,
    stop_process,
    wait_until,
)
from tests.integration.queue_support import queued

pytestmark = pytest.mark.postgres

EDGE = "northumberland-childrens"
POLICE = "northumbria-police"
EDUCATION = "northumberland-education"


@dataclass
class EdgeRig:
    """An API process and a router process, the agency's own keys, and the tokens."""

    base_url: str
    tokens: dict[str, str]
    edge_keys: KeyMaterial  # the agency's edge: its private document, everyone's public ones
    api_keys_dir: Path
    router_keys_dir: Path
    directory: AgencyDirectory

    @property
    def url(self) -> str:
        return f"{self.base_url}/v1/notifications"

    async def post(self, body: bytes, headers: dict[str, str], agency: str = EDGE) -> int:
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                self.url,
                data=body,
                headers={**headers, "Authorization": f"Bearer {self.tokens[agency]}"},
                timeout=aiohttp.ClientTimeout(total=30),
            ) as response,
        ):
            await response.read()
            return response.status

    def subscriber(self, agency: str) -> Subscriber:
        return Subscriber(AMQP_URL, agency, keys_dir=self.router_keys_dir)


def _layout(tmp_path: Path) -> tuple[Path, Path, Path, Path, dict[str, str]]:
    """The demo, with children's services signing at their edge and the keys split three ways."""
    agencies_path, keys = tmp_path / "agencies.yaml", tmp_path / "keys"
    tokens = write_demo(agencies_path, tmp_path / "tokens.env", keys_dir=keys)
    document = yaml.safe_load(agencies_path.read_text(encoding="utf-8"))
    for agency in document["agencies"]:
        if agency["id"] == EDGE:
            agency["signs_at_edge"] = True
    agencies_path.write_text(yaml.safe_dump(document), encoding="utf-8")
    edge = tmp_path / "edge-keys"  # the agency's machine: the hub never reads it
    shutil.copytree(keys / "public", edge / "public")
    (edge / "private").mkdir(mode=0o700)
    shutil.move(keys / "private" / f"{EDGE}.jwks.json", edge / "private" / f"{EDGE}.jwks.json")
    api = tmp_path / "api-keys"  # the API's machine: no hub private document either
    shutil.copytree(keys, api)
    (api / "private" / f"{HUB_AGENCY}.jwks.json").unlink()
    return agencies_path, keys, api, edge, tokens


def _start(
    tmp_path: Path, role: str, keys_dir: Path, agencies: Path, port: int
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HUB_AMQP_URL": AMQP_URL,
        "HUB_DATABASE_URL": POSTGRES_URL,
        "HUB_HTTP_PORT": str(port),
        "HUB_AGENCIES_PATH": str(agencies),
        "HUB_KEYS_DIR": str(keys_dir),
        "HUB_PSEUDONYM_KEY_PATH": str(tmp_path / "keys" / "pseudonym.key"),
        "HUB_LOG_LEVEL": "DEBUG",
    }
    return start_hub(role, tmp_path / f"{role}.log", env)


@pytest.fixture
async def rig(clean_broker: None, tmp_path: Path) -> AsyncIterator[EdgeRig]:
    await drop_all_tables(POSTGRES_URL)
    agencies, keys, api_keys, edge_keys, tokens = _layout(tmp_path)
    (tmp_path / "keys" / "pseudonym.key").write_bytes(os.urandom(32))
    port = free_port()
    api = _start(tmp_path, "api", api_keys, agencies, port)
    base_url = f"http://127.0.0.1:{port}"

    async def api_ready() -> bool:
        assert api.poll() is None, (tmp_path / "api.log").read_text()
        return await readyz_status(base_url) == 200

    router = None
    try:
        await wait_until(api_ready, timeout=30, what="the API to become ready")
        router = _start(tmp_path, "router", keys, agencies, free_port())

        async def router_started() -> bool:
            assert router is not None
            assert router.poll() is None, (tmp_path / "router.log").read_text()
            return b"router.started" in (tmp_path / "router.log").read_bytes()

        await wait_until(router_started, timeout=30, what="the router to start")
        yield EdgeRig(
            base_url,
            tokens,
            KeyMaterial(edge_keys, (EDGE,)),
            api_keys,
            keys,
            AgencyDirectory.load(agencies),
        )
    finally:
        for process in (api, router):
            if process is not None:
                stop_process(process)


async def _entries(notification_id: str | None = None) -> list[AuditEntry]:
    audit = SqlAuditLog.from_url(POSTGRES_URL)
    try:
        return await audit.entries(notification_id=notification_id)
    finally:
        await audit.close()


def _notification(event_id: str) -> bytes:
    return json.dumps(canary_event(event_id)).encode()


async def test_an_agency_signed_post_is_delivered_while_the_api_holds_no_key_of_it(
    rig: EdgeRig,
) -> None:
    """The agency seals and signs at its edge; the API (no hub key, no key of the agency)
    accepts the post and the router delivers it to the police and the pupil's education."""
    api_keys = KeyMaterial(rig.api_keys_dir, private_key_owners(rig.directory, "api"))
    assert HUB_AGENCY not in api_keys.private_agencies
    assert EDGE not in api_keys.private_agencies
    assert not (rig.api_keys_dir / "private" / f"{EDGE}.jwks.json").exists()
    assert not (rig.api_keys_dir / "private" / f"{HUB_AGENCY}.jwks.json").exists()

    body, headers = seal_and_sign(
        rig.edge_keys, EDGE, _notification("edge-e2e-1"), url=rig.url, now=datetime.now(UTC)
    )
    assert await rig.post(body, headers) == 202

    async with rig.subscriber(POLICE) as police, police.receive(timeout=30) as delivery:
        assert delivery.notification_id == "edge-e2e-1"
    async with rig.subscriber(EDUCATION) as education, education.receive(timeout=30) as delivery:
        assert delivery.notification_id == "edge-e2e-1"
    # An agency the hub signs for is still served by an API without the hub's private key.
    police_event = canary_event("edge-e2e-police")
    police_event["source"] = f"urn:sehub:agency:{POLICE}"
    plain = {"Content-Type": "application/cloudevents+json"}
    assert await rig.post(json.dumps(police_event).encode(), plain, agency=POLICE) == 202


async def test_a_tampered_or_replayed_post_is_refused_at_once_and_audited(rig: EdgeRig) -> None:
    """A body changed in transit is 401 before anything is queued; the same request sent twice
    is accepted once; both refusals are audited with their check."""
    body, headers = seal_and_sign(
        rig.edge_keys, EDGE, _notification("edge-tamper-1"), url=rig.url, now=datetime.now(UTC)
    )
    tampered = body.replace(b'"ct":"', b'"ct":"A', 1)
    assert await rig.post(tampered, headers) == 401
    assert await rig.post(body, headers) == 202
    assert await rig.post(body, headers) == 401  # a replay of the accepted request
    refusals = [
        entry.detail["check"]
        for entry in await _entries()
        if entry.action is AuditAction.NOTIFICATION_REJECTED and entry.actor == EDGE
    ]
    assert refusals == ["bad_digest", "replayed"]
    accepted = [
        e for e in await _entries("edge-tamper-1") if e.action is AuditAction.NOTIFICATION_ACCEPTED
    ]
    assert len(accepted) == 1


async def test_an_envelope_whose_inner_signature_fails_is_refused_by_the_router(
    rig: EdgeRig,
) -> None:
    """The agency's own bug: a validly request-signed post of an envelope whose signature does
    not cover what it sealed, or whose notification names another id. The API accepts both
    (it cannot open them); the router refuses and audits each, and nothing is delivered."""
    now = datetime.now(UTC)
    edge_private = rig.edge_keys
    # 1: the signature is over other bytes than those sealed.
    good = json.loads(
        edge_private.seal_source(
            EDGE, _notification("edge-bad-sig"), message_id="edge-bad-sig", now=now
        )
    )
    other = json.loads(
        edge_private.seal_source(
            EDGE, _notification("edge-other"), message_id="edge-bad-sig", now=now
        )
    )
    good["sig"] = other["sig"]
    bad_sig = json.dumps(good).encode()
    # 2: the notification inside says another id than the envelope.
    relabelled = edge_private.seal_source(
        EDGE, _notification("edge-inner-id"), message_id="edge-relabelled", now=now
    )
    for envelope in (bad_sig, relabelled):
        headers = sign_request(
            rig.edge_keys,
            EDGE,
            url=rig.url,
            content_type=ENVELOPE_CONTENT_TYPE,
            body=envelope,
            now=now,
        )
        assert await rig.post(envelope, headers) == 202

    async def both_refused() -> bool:
        failed = [
            e
            for e in await _entries()
            if e.action is AuditAction.ROUTING_FAILED
            and e.notification_id in {"edge-bad-sig", "edge-relabelled"}
        ]
        return len(failed) == 2

    await wait_until(both_refused, timeout=30, what="the router to refuse both envelopes")
    checks = {
        e.notification_id: e.detail["check"]
        for e in await _entries()
        if e.action is AuditAction.ROUTING_FAILED
    }
    assert checks == {"edge-bad-sig": "bad_signature", "edge-relabelled": "bad_signature"}
    shared = [e for e in await _entries() if e.action is AuditAction.NOTIFICATION_SHARED]
    assert shared == []
    assert set((await queued([POLICE, EDUCATION])).values()) == {0}


@pytest.mark.parametrize(
    ("role", "held"), [("api", (EDUCATION, POLICE)), ("router", (HUB_AGENCY,))]
)
async def test_each_role_holds_only_the_private_keys_it_needs(
    clean_broker: None, tmp_path: Path, role: Role, held: tuple[str, ...]
) -> None:
    """Wired from a keys directory holding every private document but the edge agency's, the
    API holds the agencies' it signs for and never the hub's; the router only the hub's."""
    await drop_all_tables(POSTGRES_URL)
    agencies, keys, _api, _edge, _tokens = _layout(tmp_path)
    settings = Settings(
        amqp_url=AMQP_URL,
        database_url=POSTGRES_URL,
        agencies_path=agencies,
        keys_dir=keys,
        pseudonym_key_path=tmp_path / "pseudonym.key",
    )
    hub = await bootstrap(settings, role=role)
    try:
        held_now = hub.keys.private_agencies
        assert EDGE not in held_now
        assert set(held) <= set(held_now)
        assert (HUB_AGENCY in held_now) is (role == "router")
    finally:
        await hub.close()
