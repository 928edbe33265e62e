"""One progress bar on stderr for ``make bench``.

Rules:

1. A bar counts steps of a known total; each redraw is one line, rewritten in place with
   ``\\r`` when stderr is a terminal, and a new line per step otherwise (a log stays readable).
2. ``note`` prints a message above the bar without breaking it; the bar never writes to stdout.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["ProgressBar"]

WIDTH = 30


class ProgressBar:
    """``total`` steps; ``advance()`` one, ``note(text)`` to say what is being done."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = max(1, total)
        self.done = 0
        self.label = ""
        self._stream = stream if stream is not None else sys.stderr
        self._started = time.monotonic()
        self._live = self._stream.isatty()

    def line(self) -> str:
        filled = round(WIDTH * min(self.done, self.total) / self.total)
        elapsed = time.monotonic() - self._started
        return (
            f"[{'#' * filled}{'.' * (WIDTH - filled)}] {self.done}/{self.total}"
            f" {elapsed:5.0f}s {self.label}"
        )

    def _draw(self) -> None:
        if self._live:
            self._stream.write("\r\x1b[K" + self.line())
        else:
            self._stream.write(self.line() + "\n")
        self._stream.flush()

    def note(self, text: str) -> None:
        self.label = text
        if self._live:
            self._stream.write("\r\x1b[K" + text + "\n")
        self._draw()

    def advance(self, steps: int = 1) -> None:
        self.done += steps
        self._draw()

    def close(self) -> None:
        if self._live:
            self._stream.write("\n")
            self._stream.flush()
