"""The progress bar of multi-file runs, drawn on standard error only when it is a terminal.

    [##########..........]  3/7  examples/mnist_softmax.py

It is redrawn in place (carriage return, erase line) as each file finishes, is safe to advance from
several threads, and erases itself when closed, so it never mixes with the output.
"""
from __future__ import annotations

import shutil
import threading
from typing import TextIO

BAR_WIDTH = 24


class Progress:
    def __init__(self, total: int, stream: TextIO, enabled: bool | None = None):
        self.total, self.stream, self.done = total, stream, 0
        if enabled is None:
            isatty = getattr(stream, "isatty", None)
            enabled = total > 1 and bool(isatty and isatty())
        self.enabled = enabled
        self._lock = threading.Lock()
        self._drawn = False

    def __enter__(self) -> Progress:
        self.draw("")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def advance(self, label: str = "") -> None:
        with self._lock:
            self.done += 1
            self._draw(label)

    def draw(self, label: str) -> None:
        with self._lock:
            self._draw(label)

    def _draw(self, label: str) -> None:
        if not self.enabled:
            return
        filled = BAR_WIDTH * self.done // max(self.total, 1)
        counter = f"{self.done:>{len(str(self.total))}}/{self.total}"
        text = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}]  {counter}  {label}"
        width = max(shutil.get_terminal_size((80, 24)).columns - 1, 10)
        self.stream.write("\r\x1b[2K" + text[:width])
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        with self._lock:
            if self.enabled and self._drawn:
                self.stream.write("\r\x1b[2K")
                self.stream.flush()
                self._drawn = False
