"""The bound on holding a delivery for its keys: which checks are waited out, how the waits
grow, and that the window is never overrun."""

from __future__ import annotations

import itertools

import pytest

from hub.crypto import REASONS
from hub.subscriber import KEY_STATES, KeyRetry, KeyWait


def _attempts(retry: KeyRetry, start: float) -> list[float]:
    """The times of every attempt, failing each, from a first failure at ``start``."""
    times = [start]
    wait = retry.after_failure(None, start)
    while wait is not None:
        times.append(wait.next_try)
        wait = retry.after_failure(wait, wait.next_try)
    return times


def test_only_key_states_that_pass_are_waited_out() -> None:
    """Unknown kids and agencies and a key outside its validity wait; a bad signature or a
    retired key (deliberate, for ever) does not."""
    assert {"unknown_kid", "unknown_agency", "key_not_yet_valid", "expired_key"} == KEY_STATES
    assert KEY_STATES <= REASONS
    assert "bad_signature" not in KEY_STATES
    assert "retired_key" not in KEY_STATES


def test_the_first_failure_is_tried_again_after_the_first_wait() -> None:
    """A first failure at t=100 is tried again at t=101, counted as one attempt."""
    wait = KeyRetry(window=60, first_wait=1).after_failure(None, 100.0)

    assert wait == KeyWait(first_failed=100.0, attempts=1, next_try=101.0)


def test_waits_double_up_to_the_longest() -> None:
    """Waits go 1, 2, 4, 8, then stay at the longest (10) until the window ends."""
    times = _attempts(KeyRetry(window=60, first_wait=1, longest_wait=10), 0.0)
    waits = [later - earlier for earlier, later in itertools.pairwise(times)]

    assert waits[:6] == [1, 2, 4, 8, 10, 10]


def test_the_last_attempt_is_at_the_end_of_the_window_never_after() -> None:
    """With a 20 s window the attempts stop at exactly t=20, then the delivery is given up."""
    retry = KeyRetry(window=20, first_wait=1, longest_wait=15)
    times = _attempts(retry, 0.0)

    assert times == [0, 1, 3, 7, 15, 20]
    assert max(times) == retry.window


def test_a_failure_late_in_the_window_is_given_up_at_its_end() -> None:
    """An attempt made after the window's end gets no further try."""
    retry = KeyRetry(window=5)
    first = retry.after_failure(None, 0.0)
    assert first is not None

    assert retry.after_failure(first, 5.0) is None
    assert retry.after_failure(first, 4.9) is not None


def test_a_zero_window_gives_up_at_once() -> None:
    """``window=0`` turns the wait off: the first failure is final."""
    assert KeyRetry(window=0).after_failure(None, 42.0) is None


@pytest.mark.parametrize(
    "arguments",
    [
        {"window": -1},
        {"first_wait": 0},
        {"first_wait": 5, "longest_wait": 1},
    ],
)
def test_nonsense_bounds_are_refused(arguments: dict[str, float]) -> None:
    """A negative window, no first wait, or a longest wait under the first raise ValueError."""
    with pytest.raises(ValueError, match="window"):
        KeyRetry(**arguments)
