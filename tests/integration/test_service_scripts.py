"""Where scripts/services keeps its state: always somewhere the service user can reach.

These tests run the scripts' own path resolution (the ``state-dir`` subcommand) on copies of
the scripts; they start no server.
"""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import REPO

FALLBACK_ROOT = Path("/var/lib/sehub-services")
SERVICES = pytest.mark.parametrize(
    ("script", "user"), [("postgres.sh", "postgres"), ("rabbitmq.sh", "rabbitmq")]
)


def searchable_by(user: str, directory: Path) -> bool:
    """True if the mode bits let ``user`` search ``directory`` and every directory above it."""
    account = pwd.getpwnam(user)
    if account.pw_uid == 0:
        return True
    groups = {account.pw_gid, *(g.gr_gid for g in grp.getgrall() if user in g.gr_mem)}
    for path in [*reversed(directory.parents), directory]:
        info = path.stat()
        if info.st_uid == account.pw_uid:
            bit = stat.S_IXUSR
        elif info.st_gid in groups:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not info.st_mode & bit:
            return False
    return True


def existing_ancestor(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


def state_dir(checkout: Path, script: str, *, explicit: bool = False) -> Path:
    """What ``scripts/services/SCRIPT state-dir`` prints for ``checkout``."""
    env = dict(os.environ)
    if not explicit:
        env.pop("HUB_SERVICES_DIR", None)
    result = subprocess.run(  # noqa: S603  # our own script, fixed arguments
        [str(checkout / "scripts" / "services" / script), "state-dir"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return Path(result.stdout.strip())


def copy_scripts(checkout: Path) -> Path:
    shutil.copytree(REPO / "scripts" / "services", checkout / "scripts" / "services")
    return checkout.resolve()


@pytest.fixture
def private_checkout(tmp_path: Path) -> Path:
    """A checkout of the service scripts inside a mode-0700 directory, like a home directory."""
    private = tmp_path / "private"
    private.mkdir()
    private.chmod(0o700)
    return copy_scripts(private / "hub")


@pytest.fixture
def open_checkout() -> Iterator[Path]:
    """A checkout of the service scripts inside a directory everyone may search."""
    with tempfile.TemporaryDirectory() as parent:
        Path(parent).chmod(0o755)
        yield copy_scripts(Path(parent) / "hub")


@SERVICES
def test_private_checkout_state_goes_where_the_service_user_can_reach(
    private_checkout: Path, script: str, user: str
) -> None:
    """Under a 0700 directory the state goes to a per-checkout directory the user can reach."""
    assert not searchable_by(user, private_checkout)
    digest = hashlib.sha256(str(private_checkout).encode()).hexdigest()[:16]
    chosen = state_dir(private_checkout, script)
    assert chosen == FALLBACK_ROOT / digest / user
    assert searchable_by(user, existing_ancestor(chosen))
    assert state_dir(private_checkout, script) == chosen


@SERVICES
def test_open_checkout_keeps_its_state_inside(open_checkout: Path, script: str, user: str) -> None:
    """Where the service user can reach the checkout, the state stays in its var/services."""
    assert searchable_by(user, open_checkout), "precondition: the temporary directory is open"
    assert state_dir(open_checkout, script) == open_checkout / "var" / "services" / user


@SERVICES
def test_running_services_state_is_reachable_and_private(script: str, user: str) -> None:
    """The state directory of this checkout's running services is the user's and reachable."""
    chosen = state_dir(REPO, script, explicit=True)
    assert chosen.is_dir(), f"{chosen} is missing: start this checkout's services (make services)"
    info = chosen.stat()
    assert searchable_by(user, chosen)
    assert info.st_uid == pwd.getpwnam(user).pw_uid
    assert not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
