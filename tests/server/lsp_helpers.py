"""Helpers for the language-server tests: recorded publications and waiting without races.

`client.diagnostics` is replaced by a `RecordingDict` at initialization (see conftest.py), so a test can
wait for "the next publication for this URI after that save": `mark = published_count(client)`, act, then
`await publication(client, uri, since=mark)`.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import os
import queue
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
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


# -- a server on plain pipes (for the tests of how it ends) ------------------------------------------------

class RawServer:
    """`python -m nanscope.server` on pipes, spoken to with hand-framed JSON-RPC (so a test can close stdin)."""

    def __init__(self, command: list[str], cwd: Path) -> None:
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, cwd=cwd)
        self.messages: queue.Queue[dict] = queue.Queue()
        self.seen: list[dict] = []
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
            self.messages.put(json.loads(stream.read(length)))

    def send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def request(self, method: str, params: Any) -> Any:
        number = next(self._ids)
        self.send({"id": number, "method": method, "params": params})
        return self.wait_for(lambda m: m.get("id") == number and "method" not in m).get("result")

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def wait_for(self, predicate: Callable[[dict], bool], timeout: float = 120.0) -> dict:
        for message in self.seen:
            if predicate(message):
                self.seen.remove(message)
                return message
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no such message from the server")
            try:
                message = self.messages.get(timeout=remaining)
            except queue.Empty:
                continue
            if message.get("method") in ("window/workDoneProgress/create", "workspace/configuration"):
                self.send({"id": message["id"], "result": None})
            if predicate(message):
                return message
            self.seen.append(message)

    def initialize(self, root: Path, options: dict | None = None) -> None:
        self.request("initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {},
                                    "initializationOptions": options})
        self.notify("initialized", {})

    def open(self, path: Path) -> str:
        uri = path.as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": path.read_text(encoding="utf-8")}})
        return uri


def descendants(pid: int) -> set[int]:
    """Every living descendant of process `pid` (Linux: from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] not in ("Z", "X"):
            children.setdefault(int(fields[1]), []).append(int(entry))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False
