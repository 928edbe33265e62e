"""The integration guide's examples, run in order against a real hub, so they cannot rot.

Every ``sh`` and ``python`` block of ``docs/integration-guide.md`` runs, top to bottom, in one
working directory; a block right after ``<!-- not run: why -->`` is skipped, and the test checks
that each such marker gives a reason. A ``sh`` block's exported variables carry into the blocks
after it, as they would in the reader's shell. The guide's demo addresses are replaced by the
test hub's: ``http://127.0.0.1:8080``, ``var/demo/`` and ``.venv/bin/``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.integration.broker_support import ADMIN_URL, remove_provisioned
from tests.integration.conftest import AMQP_URL, REPO, HubProcess

GUIDE = REPO / "docs" / "integration-guide.md"
_BLOCK = re.compile(
    r"(?:<!-- (?P<marker>not run)(?P<why>[^>]*)-->\n)?```(?P<lang>\w+)\n(?P<body>.*?)```", re.S
)
RUN_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Block:
    """One fenced block of the guide: its language, text, and whether it runs."""

    lang: str
    body: str
    runs: bool
    why_not: str


def guide_blocks() -> list[Block]:
    """The guide's ``sh`` and ``python`` blocks, in order."""
    text = GUIDE.read_text(encoding="utf-8")
    return [
        Block(m["lang"], m["body"], m["marker"] is None, (m["why"] or "").strip(" :"))
        for m in _BLOCK.finditer(text)
        if m["lang"] in ("sh", "python")
    ]


def _localised(body: str, hub: HubProcess, demo_dir: Path) -> str:
    # One pass, so that a replacement is never itself replaced.
    replacements = {
        "http://127.0.0.1:8080": hub.base_url,
        "var/demo/": f"{demo_dir}/",
        ".venv/bin/hub": f"{sys.executable} -m hub",
        ".venv/bin/python": sys.executable,
    }
    pattern = "|".join(re.escape(old) for old in replacements)
    return re.sub(pattern, lambda found: replacements[found[0]], body)


async def _run(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=RUN_TIMEOUT_SECONDS)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def run_guide(hub: HubProcess, work: Path) -> list[str]:
    """Run every block; the stdout of each, in order. A block that fails fails the test."""
    demo_dir = hub.keys_dir.parent
    env = {
        **os.environ,
        "HUB_AMQP_URL": AMQP_URL,
        "HUB_AGENCIES_PATH": str(demo_dir / "agencies.yaml"),
        "HUB_PSEUDONYM_KEY_PATH": str(hub.keys_dir / "pseudonym.key"),
        "HUB_RABBITMQ_ADMIN_URL": ADMIN_URL,
        "PYTHONPATH": str(REPO),
    }
    outputs = []
    for number, block in enumerate(guide_blocks(), start=1):
        if not block.runs:
            continue
        body = _localised(block.body, hub, demo_dir)
        if block.lang == "sh":
            # After the block, dump the environment, so its exports reach the next blocks.
            script = f"{body}\nenv -0 > {work / '.guide-env'}\n"
            code, out, err = await _run(["bash", "-euo", "pipefail", "-c", script], env, work)
        else:
            code, out, err = await _run([sys.executable, "-c", body], env, work)
        assert code == 0, f"block {number} ({block.lang}) failed:\n{body}\n--- stderr:\n{err}"
        if block.lang == "sh":
            dumped = (work / ".guide-env").read_bytes().split(b"\0")
            env = dict(item.decode().split("=", 1) for item in dumped if b"=" in item)
        outputs.append(out)
    return outputs


def test_every_skipped_block_says_why() -> None:
    """A guide block that is not run carries its reason, so skipping is never silent."""
    blocks = guide_blocks()
    assert blocks, "the guide has no examples"
    assert all(block.why_not for block in blocks if not block.runs)


async def test_the_guide_runs_end_to_end(hub_process: HubProcess, tmp_path: Path) -> None:
    """Every example of the integration guide runs green against a real hub, and the walk-through
    leaves the police and education with the copies it says they get."""
    work = tmp_path / "work"
    work.mkdir()
    # The reader runs the guide from a checkout: its files are where the guide says.
    (work / "docs").symlink_to(REPO / "docs")
    try:
        outputs = await run_guide(hub_process, work)
    finally:
        await remove_provisioned()  # the broker users the guide's `hub provision` made
    assert outputs
    accepted = json.loads((work / "accepted.json").read_text(encoding="utf-8"))
    assert accepted["status"] == "accepted"
    assert (work / "police-delivery-id.txt").read_text() in (work / "replay.json").read_text()
    acknowledged = (work / "education-delivery-id.txt").read_text().strip()
    pending = json.loads((work / "inbox.json").read_text())["deliveries"]
    assert acknowledged not in {entry["delivery_id"] for entry in pending}
