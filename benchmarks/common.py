"""Helpers the benchmarks share: Markdown tables (the output format every benchmark prints, pasteable into
README.md) and timing one call with or without the garbage collector."""
from __future__ import annotations

import gc
import time
from typing import Callable, Sequence


def timed(call: Callable[[], object], *, collect: bool = True) -> float:
    """Seconds of one call, after a full collection; with `collect` False the garbage collector is off."""
    gc.collect()
    enabled = gc.isenabled()
    if not collect:
        gc.disable()
    try:
        started = time.perf_counter()
        call()
        return time.perf_counter() - started
    finally:
        if enabled:
            gc.enable()


def markdown(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table with columns padded to their widest cell, so it also reads well in a terminal."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"

    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])
