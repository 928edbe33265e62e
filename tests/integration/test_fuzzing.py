"""schemathesis against the served OpenAPI document of a real hub (real broker and database).

Bounded: a fixed seed and a fixed number of cases per operation, so a run takes about the same
time on every machine. The checks are the issue's: no 5xx, every answer as documented (status,
content type, headers, schema), and missing or invalid authentication always refused.

Each credential reaches its own operations: an agency's token the intake and its deliveries
(after a post has given the police copies, so replay answers delivery ids and the stateful
phase follows its link to acknowledge), the auditor's token the audit API, the protocol
administrator's the explain endpoint. Everyone else's operations answer them 403, which the
first run checks too.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from hub.cli import ADMIN_AGENCY_ID, AUDITOR_ID
from tests.fixtures import example_event
from tests.integration.conftest import HubProcess, running_hub, wait_until

SCHEMATHESIS = Path(sys.executable).with_name("st")
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "ignored_auth",
    )
)
SEED = "20261201"
POLICE = "northumbria-police"
PENDING_FOR_POLICE = 60
# ignored_auth sends a wrong token to every operation; at the default limit (30 failures from
# one address, then 429 for it until the bucket refills) most of the run would be 429s.
UNTHROTTLED = {"HUB_FAILED_AUTH_PER_MINUTE": "100000", "HUB_FAILED_AUTH_BURST": "100000"}


@pytest.fixture
async def fuzzed_hub(clean_broker: None, tmp_path: Path) -> AsyncIterator[HubProcess]:
    """A real hub (API and router) whose limit on failed authentications a fuzzer cannot reach."""
    async with running_hub(tmp_path / "hub", role="all", extra_env=UNTHROTTLED) as hub:
        yield hub


async def _schemathesis(
    hub: HubProcess, agency_id: str, workdir: Path, *options: str
) -> tuple[int, str]:
    """Run schemathesis in ``workdir``, where it keeps its cache of earlier failures."""
    process = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS),
        "run",
        f"{hub.base_url}/openapi.json",
        "--checks",
        CHECKS,
        "--header",
        f"Authorization: Bearer {hub.tokens[agency_id]}",
        "--seed",
        SEED,
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--suppress-health-check",
        "too_slow,filter_too_much",
        *options,
        cwd=workdir,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=240)
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")


async def _police_have_a_copy(hub: HubProcess) -> None:
    """Post the example as children's services, and more like it, and wait until a police copy
    can be replayed. The fuzzer's stateful phase acknowledges copies; with copies left pending,
    its long-polls of the inbox (``wait`` up to 60 s) answer at once instead of waiting out."""
    since = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    for n in range(PENDING_FOR_POLICE):
        event = example_event()
        if n:
            event["id"] = f"fuzz-{n:03d}"
            event["episodeid"] = f"MIS-FUZZ-{n:03d}"
            event["data"]["person"]["local_id"] = f"CHILD-FUZZ-{n:03d}"
        assert (await hub.post(event))[0] == 202
    headers = {**hub.headers(POLICE), "Content-Type": "application/json"}

    async def replayable() -> bool:
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"{hub.base_url}/v1/deliveries/replay",
                data=json.dumps({"since": since}),
                headers=headers,
            ) as response,
        ):
            return bool((await response.json())["delivery_ids"])

    await wait_until(replayable, timeout=30, what="the police copy to be published")


@pytest.mark.timeout(300)
async def test_an_agency_fuzzing_every_operation_finds_nothing(
    fuzzed_hub: HubProcess, tmp_path: Path
) -> None:
    """Every operation fuzzed with the police token: no 5xx, nothing undocumented, no
    operation that lets a missing or wrong token through."""
    await _police_have_a_copy(fuzzed_hub)
    code, output = await _schemathesis(
        fuzzed_hub,
        POLICE,
        tmp_path,
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        "25",
        "--exclude-path-regex",
        "^/v1/(audit|admin)/",
    )
    assert code == 0, output[-6000:]
    assert "API Links:" in output


@pytest.mark.timeout(300)
async def test_the_auditor_and_the_administrator_fuzzing_their_operations_find_nothing(
    fuzzed_hub: HubProcess, tmp_path: Path
) -> None:
    """The audit API fuzzed with the auditor's token, explain with the administrator's."""
    for agency_id, paths in ((AUDITOR_ID, "^/v1/audit/"), (ADMIN_AGENCY_ID, "^/v1/admin/")):
        code, output = await _schemathesis(
            fuzzed_hub,
            agency_id,
            tmp_path,
            "--phases",
            "examples,fuzzing",
            "--max-examples",
            "40",
            "--include-path-regex",
            paths,
        )
        assert code == 0, output[-6000:]
        assert "Authentication failed" not in output, output[-3000:]
