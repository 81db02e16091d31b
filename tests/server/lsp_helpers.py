"""The one test utility module of the language-server, robustness and benchmark code.

- Recorded publications and waiting without races (pytest-lsp clients): `client.diagnostics` is replaced by
  a `RecordingDict` at initialization (see conftest.py), so a test can wait for "the next publication for
  this URI after that save": `mark = published_count(client)`, act, then `await publication(client, uri,
  since=mark)`.
- `RawServer`: a server process on plain pipes, spoken to with hand-framed JSON-RPC (tests of how the server
  ends, and `benchmarks/server_latency.py`, which times messages by their arrival).
- Processes from /proc (Linux): `process_table`, `children_of`, `descendants`, `alive`; and `trace_dirs`.

Tests import it by module name (`from lsp_helpers import ...`) with this folder on sys.path (conftest.py of
tests/server and tests/robustness put it there); the benchmark by file path. It needs pytest-lsp only for
type annotations.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import os
import queue
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

if TYPE_CHECKING:
    from pytest_lsp import LanguageClient

TIMEOUT = 20.0


class RecordingDict(dict):
    """`client.diagnostics`, also remembering every (uri, diagnostics) assignment in order."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, list[types.Diagnostic]]] = []

    def __setitem__(self, uri: str, diagnostics: Any) -> None:
        super().__setitem__(uri, diagnostics)
        self.log.append((uri, list(diagnostics)))



def open_file(client: LanguageClient, path: Path, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version,
                                             text=path.read_text(encoding="utf-8"))))
    return uri


def save_file(client: LanguageClient, path: Path, text: str | None = None) -> str:
    """Write `text` (if given) to disk, then tell the server the document was saved."""
    if text is not None:
        path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    return uri


def published_count(client: LanguageClient) -> int:
    return len(client.diagnostics.log)


async def until(predicate: Callable[[], Any], timeout: float = TIMEOUT, what: str = "a condition") -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise asyncio.TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def publication(client: LanguageClient, uri: str, *, since: int = 0, timeout: float = TIMEOUT,
                      where: Callable[[list[types.Diagnostic]], bool] = lambda _: True
                      ) -> list[types.Diagnostic]:
    """The first diagnostics published for `uri` after the `since`-th publication that satisfy `where`."""
    def find():
        for published_uri, diagnostics in client.diagnostics.log[since:]:
            if published_uri == uri and where(diagnostics):
                return [diagnostics]
        return None
    return (await until(find, timeout, f"diagnostics for {uri}"))[0]


def publications(client: LanguageClient, uri: str, since: int = 0) -> list[list[types.Diagnostic]]:
    return [diagnostics for published_uri, diagnostics in client.diagnostics.log[since:] if published_uri == uri]


def logged(client: LanguageClient) -> str:
    return "\n".join(message.message for message in client.log_messages)


# -- a server on plain pipes -----------------------------------------------------------------------------

class RawServer:
    """A language server process (e.g. `python -m nanscope.server`) on pipes, spoken to with hand-framed
    JSON-RPC, so a test can close its stdin. A reader thread stamps each message with its arrival time
    (`time.perf_counter()`) and keeps the client's log (`window/logMessage`) in `log`. Requests from the
    server (progress creation, configuration) are answered with null."""

    def __init__(self, command: list[str], cwd: Path) -> None:
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, cwd=cwd)
        self.messages: queue.Queue[tuple[float, dict]] = queue.Queue()
        self.seen: list[tuple[float, dict]] = []      # received, not yet asked for
        self.received: list[dict] = []                # every message, in order of arrival
        self.log: list[str] = []
        self._ids = itertools.count(1)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if length is None:
                return
            message = json.loads(stream.read(length))
            if message.get("method") == "window/logMessage":
                self.log.append(message["params"]["message"])
            self.received.append(message)
            self.messages.put((time.perf_counter(), message))

    def send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def request(self, method: str, params: Any, timeout: float = 120.0) -> Any:
        """The result of a request (None also when the server answered with an error: see `call`)."""
        return self.call(method, params, timeout).get("result")

    def call(self, method: str, params: Any, timeout: float = 120.0) -> dict:
        """The whole response to a request: {"result": ...} or {"error": {"code", "message"}}."""
        number = next(self._ids)
        self.send({"id": number, "method": method, "params": params})
        return self.wait_for(lambda m: m.get("id") == number and "method" not in m, timeout)

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def wait_for(self, predicate: Callable[[dict], bool], timeout: float = 120.0) -> dict:
        """The first message received (and not yet taken) that satisfies `predicate`."""
        return self.arrival(predicate, timeout)[1]

    def arrival(self, predicate: Callable[[dict], bool], timeout: float = 120.0) -> tuple[float, dict]:
        """(arrival time, message) of the first message received (and not yet taken) satisfying `predicate`."""
        for index, (arrived, message) in enumerate(self.seen):
            if predicate(message):
                del self.seen[index]
                return arrived, message
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no such message from the server")
            try:
                arrived, message = self.messages.get(timeout=remaining)
            except queue.Empty:
                continue
            if "id" in message and "method" in message:      # a request from the server
                self.send({"id": message["id"], "result": None})
            if predicate(message):
                return arrived, message
            self.seen.append((arrived, message))

    def forget(self) -> None:
        """Drop the messages received but not taken: the next wait sees only what arrives from now on
        (and what is still unread)."""
        self.seen.clear()

    def initialize(self, root: Path, options: dict | None = None) -> Any:
        result = self.request("initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {},
                                             "initializationOptions": options})
        self.notify("initialized", {})
        return result

    def open(self, path: Path, version: int = 1) -> str:
        uri = path.as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": version, "text": path.read_text(encoding="utf-8")}})
        return uri

    def save(self, path: Path, text: str | None = None) -> str:
        """Write `text` (if given) to disk, then tell the server the document was saved."""
        if text is not None:
            path.write_text(text, encoding="utf-8")
        uri = path.as_uri()
        self.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
        return uri

    def close(self, timeout: float = 30.0) -> None:
        """Shut the server down (shutdown, exit); kill it if it does not end."""
        try:
            self.request("shutdown", None, timeout)
            self.notify("exit", None)
            self.process.wait(timeout=timeout)
        except (OSError, TimeoutError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()


def is_publication(uri: str) -> Callable[[dict], bool]:
    """A `RawServer` predicate: diagnostics published for `uri`."""
    return lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri


# -- processes and temporary folders (Linux: /proc) ----------------------------------------------------------

def process_table() -> dict[int, tuple[int, str]]:
    """Every process -> (its parent's pid, its state letter), zombies included."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        table[int(entry)] = (int(fields[1]), fields[0])
    return table


def children_of(pid: int) -> dict[int, str]:
    """The direct children of `pid` (including zombies) -> their state letter."""
    return {child: state for child, (parent, state) in process_table().items() if parent == pid}


def descendants(pid: int) -> set[int]:
    """Every living descendant of process `pid`."""
    children: dict[int, list[int]] = {}
    for child, (parent, state) in process_table().items():
        if state not in ("Z", "X"):
            children.setdefault(parent, []).append(child)
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie is not alive)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def status_field(pid: int, name: str) -> int:
    """A numeric field of /proc/PID/status (e.g. "VmRSS" in KiB, "Threads")."""
    with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
        for line in handle:
            if line.startswith(f"{name}:"):
                return int(line.split()[1])
    raise KeyError(f"no {name} in /proc/{pid}/status")


def open_fds(pid: int) -> int:
    """How many file descriptors process `pid` has open."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", errors="replace")
    except OSError:
        return ""


def trace_dirs() -> set[str]:
    """The names of the trace folders (`nanscope-trace-*`) in the temporary directory."""
    return {name for name in os.listdir(tempfile.gettempdir()) if name.startswith("nanscope-trace-")}


def apply_text_edits(text: str, edits) -> str:
    """Apply LSP text edits to `text` as a client does: every range refers to the original text, lines end
    only at \\n, \\r\\n or \\r, and columns count UTF-16 code units."""
    lines = re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", text)

    def offset(position) -> int:
        start = sum(len(line) for line in lines[:position.line])
        line = lines[position.line] if position.line < len(lines) else ""
        units = 0
        for index, character in enumerate(line):
            if units >= position.character:
                return start + index
            units += len(character.encode("utf-16-le")) // 2
        return start + len(line.rstrip("\r\n"))

    spans = sorted(((offset(e.range.start), offset(e.range.end), e.new_text) for e in edits), reverse=True)
    for start, end, new_text in spans:
        text = text[:start] + new_text + text[end:]
    return text
