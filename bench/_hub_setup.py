"""What a hub benchmark run stands on: its protocol, its demo directory, an empty broker and
database, and the requests it posts.

Rules:

1. The protocol is the demo protocol's parties with one rule: ``missing_episode.started``
   from Northumberland children's services or Northumbria Police, shared with the first R
   parties of :data:`FAN_OUT` (the demo's fields for the police, no deadline, no ladder, no
   clock), so every notification reaches exactly R recipients. It is written under the run's
   directory and loaded (validated) before any hub process reads it.
2. The demo directory (``hub demo init``: agencies, tokens, keys) is made once per benchmark
   part; the agency directory does not depend on the rule, so every run reuses it. Each run
   starts from an empty hub topology on the broker and an empty, migrated database.
3. The hub processes' environment is only what the run sets (bench._faults_hub.hub_env): the
   run's broker and its own PostgreSQL database (name ending ``_bench``), the run's protocol,
   rate limits far above what is offered (a benchmark must not measure the throttle).
4. Requests are synthetic: canonical notifications as the fault run plans them, and every
   ``native_every``-th a Northumbria Police ``missing_person_report`` posted to
   ``/v1/records``, its ``misper_id`` unique to the run.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import yaml

from bench._faults_hub import hub_command, hub_env
from bench._faults_inspect import fresh_broker, fresh_database
from bench._load import Post
from bench.faults import plan_notifications
from hub.db import create_engine_for, migrate
from hub.pseudonyms import load_or_create_key
from hub.settings import PROTOCOLS_DIR
from protocols import Protocol, load_protocol

__all__ = ["FAN_OUT", "BenchHub", "bench_protocol", "requests"]

PUBLISHERS: Final = ("northumberland-childrens", "northumbria-police")
FAN_OUT: Final = (
    "durham-constabulary",
    "cumbria-constabulary",
    "police-scotland",
    "newcastle-childrens",
    "durham-childrens",
    "gateshead-childrens",
    "sunderland-childrens",
    "cumberland-childrens",
)
_FIELDS: Final = [
    "data.person.local_id",
    "data.person.upn",
    "data.person.date_of_birth",
    "data.person.sex",
    "data.person.resident_la",
    "data.person.responsible_la",
    "data.missing_type",
    "data.looked_after",
    "data.started_on",
    "data.started_at",
    "data.risk_level",
    "data.police_reference",
    "data.last_seen_location",
]


def bench_protocol(recipients: int, path: Path) -> Protocol:
    """Write and load the protocol of rule 1 with ``recipients`` recipients."""
    if not 1 <= recipients <= len(FAN_OUT):
        raise ValueError(f"recipients is 1 to {len(FAN_OUT)}")
    demo = yaml.safe_load((PROTOCOLS_DIR / "northumberland.yaml").read_text(encoding="utf-8"))
    rule = {
        "id": f"bench-missing-to-{recipients}",
        "types": ["uk.sehub.missing_episode.started.v1"],
        "publishers": list(PUBLISHERS),
        "recipients": list(FAN_OUT[:recipients]),
        "fields": _FIELDS,
        "purpose": "Benchmark: locate a missing child.",
        "lawful_basis": demo["rules"][0]["lawful_basis"],
        "retention": "P6Y",
    }
    protocol = {
        key: value for key, value in demo.items() if key not in ("rules", "escalations", "clocks")
    }
    protocol["rules"] = [rule]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(protocol, sort_keys=False), encoding="utf-8")
    return load_protocol(path)


@dataclass
class BenchHub:
    """The demo directory and services one benchmark part's hub runs share (rules 2 and 3)."""

    workdir: Path
    amqp_url: str
    database_url: str

    @property
    def demo(self) -> Path:
        return self.workdir / "demo"

    def env(self, protocol_path: Path) -> dict[str, str]:
        return hub_env(
            {
                "HUB_AMQP_URL": self.amqp_url,
                "HUB_DATABASE_URL": self.database_url,
                "HUB_AGENCIES_PATH": str(self.demo / "agencies.yaml"),
                "HUB_KEYS_DIR": str(self.demo / "keys"),
                "HUB_PSEUDONYM_KEY_PATH": str(self.demo / "keys" / "pseudonym.key"),
                "HUB_PROTOCOL_PATH": str(protocol_path),
                "HUB_RATE_PER_MINUTE": "100000000",
                "HUB_RATE_BURST": "1000000",
                "HUB_LOG_LEVEL": "INFO",
            }
        )

    async def init_demo(self) -> dict[str, str]:
        """``hub demo init`` into a fresh directory; the tokens by agency id."""
        if not self.database_url.rsplit("/", 1)[-1].endswith("_bench"):
            raise ValueError("the benchmark wipes its database: its name must end in _bench")
        shutil.rmtree(self.demo, ignore_errors=True)
        await self.fresh()
        protocol_path = self.workdir / "protocol-1.yaml"
        bench_protocol(1, protocol_path)
        done = await hub_command(self.env(protocol_path), "demo", "init")
        if done.returncode != 0:
            raise RuntimeError(f"hub demo init failed: {done.stderr.strip()[-400:]}")
        load_or_create_key(self.demo / "keys" / "pseudonym.key")
        variables = dict(
            line.split("=", 1)
            for line in (self.demo / "tokens.env").read_text(encoding="utf-8").splitlines()
            if "=" in line and not line.startswith("#")
        )
        return {
            agency: variables[agency.upper().replace("-", "_") + "_TOKEN"] for agency in PUBLISHERS
        }

    async def fresh(self) -> None:
        """An empty hub topology and an empty, migrated database (rule 2)."""
        await fresh_broker(self.amqp_url, [*FAN_OUT, *PUBLISHERS])
        await fresh_database(self.database_url)
        engine = create_engine_for(self.database_url)
        try:
            await migrate(engine)
        finally:
            await engine.dispose()


def _police_record(tag: str, index: int) -> dict[str, Any]:
    return {
        "record_type": "missing_person_report",
        "misper_id": f"MP-{tag}-{index:06d}",
        "person_id": f"NP-{tag}-{index:06d}",
        "dob": "2011-05-04",
        "sex": "F",
        "resident_la": "929",
        "upn": "L929412024001",
        "missing_since": "2026-11-27T21:40",
        "date_reported_missing": "2026-11-27T23:05",
        "missing_from": "Synthetic Retail Park",
        "reported_missing_by": "Residential care staff",
        "initial_risk_level": "medium",
        "current_risk_level": "high",
        "looked_after": "Y",
        "responsible_la": "929",
    }


def requests(
    count: int, *, protocol: Protocol, tokens: dict[str, str], tag: str, native_every: int = 4
) -> list[Post]:
    """``count`` posts, canonical and native (rule 4)."""
    planned = plan_notifications(
        count, seed=13, run_tag=tag, protocol=protocol, now=datetime.now(UTC)
    )
    posts = []
    for index, notification in enumerate(planned):
        if native_every and index % native_every == native_every - 1:
            posts.append(
                Post(
                    "/v1/records",
                    {
                        "Authorization": f"Bearer {tokens['northumbria-police']}",
                        "Content-Type": "application/json",
                    },
                    json.dumps([_police_record(tag, index)]).encode(),
                )
            )
            continue
        posts.append(
            Post(
                "/v1/notifications",
                {
                    "Authorization": f"Bearer {tokens[notification.publisher]}",
                    "Content-Type": "application/cloudevents+json",
                },
                notification.body,
            )
        )
    return posts
