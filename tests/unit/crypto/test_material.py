"""``KeyMaterial``: operations bound to the keys a process holds, reloaded as keys rotate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from hub import ConfigurationError, InvalidMessage
from hub.crypto import HUB_AGENCY, KeyMaterial, KeyRotation, KeyStore, provision_keys

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
EDGE = "example-childrens"
LATECOMER = "example-police"
BODY = b'{"synthetic": "notification"}'


@dataclass
class Monotonic:
    """A monotonic clock that moves only when told."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def keys_dir(tmp_path: Path) -> Path:
    provision_keys(tmp_path, (HUB_AGENCY, EDGE), NOW - timedelta(days=1))
    return tmp_path


def _sealed_by(keys_dir: Path, agency: str, message_id: str = "m-1") -> bytes:
    return KeyMaterial(keys_dir, (agency,)).seal_source(
        agency, BODY, message_id=message_id, now=NOW
    )


def _reloads(logs: list[dict[str, object]]) -> list[object]:
    return [entry["cause"] for entry in logs if entry["event"] == "keys.reloaded"]


def test_bound_operations_round_trip(keys_dir: Path) -> None:
    """What an edge seals with its own keys, the hub opens with its own: no ring leaves either."""
    hub = KeyMaterial(keys_dir, (HUB_AGENCY,))

    opened = hub.open_source(_sealed_by(keys_dir, EDGE), now=NOW)

    assert (opened.agency, opened.notification) == (EDGE, BODY)


def test_an_agency_met_after_loading_is_retried_once_after_a_reload(keys_dir: Path) -> None:
    """A source whose keys appeared after the last look is opened, by a reload on its kid."""
    clock = Monotonic()
    hub = KeyMaterial(keys_dir, (HUB_AGENCY,), monotonic=clock)
    clock.now += 10
    hub.refresh()  # nothing has changed: the next look is a second away
    provision_keys(keys_dir, (LATECOMER,), NOW - timedelta(days=1))
    envelope = _sealed_by(keys_dir, LATECOMER)
    clock.now += 0.5

    with capture_logs() as logs:
        opened = hub.open_source(envelope, now=NOW)

    assert opened.agency == LATECOMER
    assert _reloads(logs) == ["unknown_agency"]


def test_no_reload_is_retried_within_a_second_of_the_last(keys_dir: Path) -> None:
    """Keys loaded under a second ago are not reloaded again: a flood of bad kids costs nothing."""
    clock = Monotonic()
    hub = KeyMaterial(keys_dir, (HUB_AGENCY,), monotonic=clock)
    provision_keys(keys_dir, (LATECOMER,), NOW - timedelta(days=1))
    envelope = _sealed_by(keys_dir, LATECOMER)
    clock.now += 0.5

    with capture_logs() as logs, pytest.raises(InvalidMessage) as refused:
        hub.open_source(envelope, now=NOW)

    assert refused.value.reason == "unknown_agency"
    assert _reloads(logs) == []


def test_a_changed_key_file_is_picked_up_on_the_next_look(keys_dir: Path) -> None:
    """A rotation on disk is read within a second, before any peer presents the new kid."""
    clock = Monotonic()
    hub = KeyMaterial(keys_dir, (HUB_AGENCY,), monotonic=clock)
    store = KeyStore(keys_dir)
    rotated, new_key = KeyRotation().rotate(store.read_private(EDGE), "sig", NOW)
    store.save(rotated)
    clock.now += 1.5

    with capture_logs() as logs:
        hub.refresh()
        opened = hub.open_source(_sealed_by(keys_dir, EDGE), now=NOW)

    assert opened.agency == EDGE
    assert _reloads(logs) == ["files_changed"]
    assert b'"sig_kid":"' + new_key.kid.encode() in _sealed_by(keys_dir, EDGE)


def test_a_bad_key_file_keeps_the_keys_in_use(keys_dir: Path) -> None:
    """A half-written peer document is logged and skipped; everyone else is still served."""
    clock = Monotonic()
    hub = KeyMaterial(keys_dir, (HUB_AGENCY,), monotonic=clock)
    envelope = _sealed_by(keys_dir, EDGE)
    KeyStore(keys_dir).public_path(LATECOMER).write_text("{", encoding="utf-8")
    clock.now += 1.5

    with capture_logs() as logs:
        opened = hub.open_source(envelope, now=NOW)

    assert opened.agency == EDGE
    (failed,) = [entry for entry in logs if entry["event"] == "keys.reload_failed"]
    assert failed["cause"] == "files_changed"


def test_a_bad_key_file_at_start_stops_the_process(keys_dir: Path) -> None:
    """Keys that cannot be read when the process starts are a configuration error."""
    KeyStore(keys_dir).public_path(LATECOMER).write_text("{", encoding="utf-8")

    with pytest.raises(ConfigurationError):
        KeyMaterial(keys_dir, (HUB_AGENCY,))


def test_a_ring_this_process_does_not_hold_is_a_configuration_error(keys_dir: Path) -> None:
    """The router holds no agency's private keys: it cannot sign as one, and says so."""
    hub = KeyMaterial(keys_dir, (HUB_AGENCY,))

    with pytest.raises(ConfigurationError, match="no private keys for example-childrens"):
        hub.seal_source(EDGE, BODY, message_id="m-1", now=NOW)


def test_a_peers_bad_signature_is_not_retried(keys_dir: Path) -> None:
    """Only an unknown kid or agency earns a reload; a forged envelope is refused at once."""
    clock = Monotonic()
    hub = KeyMaterial(keys_dir, (HUB_AGENCY,), monotonic=clock)
    forged = _sealed_by(keys_dir, EDGE).replace(b'"sig":"', b'"sig":"AA', 1)
    clock.now += 10

    with capture_logs() as logs, pytest.raises(InvalidMessage):
        hub.open_source(forged, now=NOW)

    assert _reloads(logs) == []
