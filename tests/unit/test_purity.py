"""The core stays pure: the sharing decision, the ports and intake pull in no I/O library."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
IO_LIBRARIES = ("aiohttp", "aio_pika", "aiormq", "sqlalchemy")

_PROBE = textwrap.dedent(
    """
    import json, sys
    import {module}
    print(json.dumps(sorted(sys.modules)))
    """
)


def _modules_after_importing(module: str) -> set[str]:
    completed = subprocess.run(  # noqa: S603 - fixed interpreter and fixed code
        [sys.executable, "-c", _PROBE.format(module=module)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
        timeout=30,
    )
    return set(json.loads(completed.stdout))


def _top_level(modules: set[str]) -> set[str]:
    return {name.partition(".")[0] for name in modules}


def test_importing_hub_sharing_loads_no_io_library() -> None:
    """``import hub.sharing`` leaves aiohttp, aio_pika, aiormq and sqlalchemy unimported."""
    loaded = _modules_after_importing("hub.sharing")

    assert "hub.sharing" in loaded
    assert sorted(_top_level(loaded) & set(IO_LIBRARIES)) == []


@pytest.mark.parametrize(
    "module", ["hub.ports", "hub.intake", "hub.audit", "hub.messages", "hub.crypto", "hub.sharing"]
)
def test_the_core_and_its_ports_load_no_io_library(module: str) -> None:
    """The ports, the intake use case and the values they exchange load no broker or database."""
    loaded = _modules_after_importing(module)

    assert module in loaded
    assert sorted(_top_level(loaded) & set(IO_LIBRARIES)) == []


def test_the_probe_detects_an_io_library() -> None:
    """The subprocess probe does see an I/O library when one is imported (the check can fail)."""
    loaded = _modules_after_importing("hub.delivery")

    assert _top_level(loaded) & set(IO_LIBRARIES)
