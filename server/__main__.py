"""`python -m nanscope.server`: serve LSP over stdio.

Owns process setup: logging goes to stderr at WARNING (editors such as VS Code show every stderr line as
an error; `NANSCOPE_LOG_LEVEL=DEBUG` turns on more of ours), and stdout is reserved for the LSP stream.
The stream gets a private duplicate of file descriptor 1, and descriptor 1 itself (plus `sys.stdout`) is
pointed at stderr, so a stray `print` in any library, or a subprocess that inherits descriptor 1, cannot
corrupt the protocol.
"""
from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from nanscope.server.engine import Checker, Engine


def _configure_logging() -> None:
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format="nanscope-server %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("pygls").setLevel(logging.WARNING)
    level = os.environ.get("NANSCOPE_LOG_LEVEL", "").upper()
    if level in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        logging.getLogger("nanscope").setLevel(level)


def _reserve_stdout() -> BinaryIO:
    """A binary stream on a private copy of stdout; stdout itself now leads to stderr."""
    sys.stdout.flush()
    lsp_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    return lsp_out


def main(check: Checker | None = None, engine: Engine | None = None, debounce: float | None = None) -> None:
    """Serve over stdio until the client exits (or closes stdin); then stop every process we started.
    `check` or `engine` replaces the analysis engine (tests)."""
    _configure_logging()
    lsp_out = _reserve_stdout()
    from nanscope.server.app import create_server

    server = create_server(check, engine=engine, debounce=debounce)
    try:
        server.start_io(sys.stdin.buffer, lsp_out)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
