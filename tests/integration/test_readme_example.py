"""The README's quick-start example, run as written against a real hub."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys

from tests.integration.conftest import AMQP_URL, REPO, HubProcess


def _readme_example() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.S)
    (example,) = [block for block in blocks if "curl" in block and "hub tail" in block]
    return example


async def test_readme_example_shows_the_event_arriving(hub_process: HubProcess) -> None:
    """The README's curl post and ``hub tail`` lines deliver the example to the police without
    the NHS number, and to the education service minimised to the UPN, as the README says."""
    script = (
        _readme_example()
        .replace("http://127.0.0.1:8080", hub_process.base_url)
        .replace("var/demo/tokens.env", str(hub_process.log_path.with_name("tokens.env")))
        .replace(".venv/bin/hub", f"{sys.executable} -m hub")
    )
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-euo",
        "pipefail",
        "-c",
        script,
        cwd=REPO,
        # The test's own directory, so that no var/demo/amqp credentials of a `make run` apply.
        env={
            **os.environ,
            "HUB_AMQP_URL": AMQP_URL,
            "HUB_KEYS_DIR": str(hub_process.keys_dir),
            "HUB_AGENCIES_PATH": str(hub_process.log_path.with_name("agencies.yaml")),
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=45)
    assert process.returncode == 0, stderr.decode()
    accepted, police, education = stdout.decode().splitlines()
    assert json.loads(accepted)["status"] == "accepted"
    assert json.loads(police)["recipient"] == "northumbria-police"
    assert json.loads(police)["event"]["id"] == "demo-missing-0001"
    assert "nhs_number" not in json.loads(police)["event"]["data"]["person"]
    assert "data.person.nhs_number" in json.loads(police)["receipt"]["withheld"]
    assert json.loads(education)["recipient"] == "northumberland-education"
    assert json.loads(education)["event"]["data"]["person"] == {"upn": "H801200001001"}
