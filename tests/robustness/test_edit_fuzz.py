"""Property-based fuzzing of the language server's handling of random edit sequences (issue 6).

Hypothesis draws sequences of editor events on one document: full and incremental changes (UTF-16 ranges,
text that breaks the syntax, non-ASCII and astral characters such as emoji, deleting everything), saves
(the buffer written to disk first, as editors do), closes and re-opens (also out of order: change or save
while closed, close twice), and requests at valid and invalid positions: hover, codeAction (with the
published diagnostics, none, or made-up ones) and documentSymbol (which nanscope does not serve). A small
model file with a known bug (one NS101) starts each sequence; its tag is unique per sequence.

The client keeps its own model of the document (every version's text, every text written to disk), so
after each sequence the test checks, over everything the server sent:
- every request was answered, with a result; the only error is "method not found" for documentSymbol;
- no error message was shown (pygls reports an exception in a handler as one; so does a failed analysis);
- every publication names a version the server was sent for that document (or none, for a document that
  is not open: then its ranges must fit a text that was on disk), versions never go backwards, and every
  range lies inside the text of that version: a line that exists, a UTF-16 column within that line and
  never inside a surrogate pair, start before end;
- hovers and the edits of code actions obey the same rule for the version they answer;
and after a final save of the original buggy text, the server publishes, for that version, the expected
diagnostic, and hover on it answers: it still works.

The fast stand-in engine (tests/server/fake_engine_server.py: `log(...)` calls become NS101 findings, read
from the file on disk) runs most examples, as tracing is not the subject here; a few run on the real engine
(TensorFlow traced by the warm worker).

Line breaks drawn are those of LSP (\\n, \\r\\n, \\r), and the characters Python's str.splitlines() also
breaks at (form feed, \\x1c, \\x85, \\u2028) are drawn too: they are not line breaks for LSP, editors or
Python, and the server must not count them as such.
"""
from __future__ import annotations

import itertools
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from lsp_helpers import RawServer, is_publication
from robust_helpers import SERVER_TESTS

FAKE_SERVER = [sys.executable, str(SERVER_TESTS / "fake_engine_server.py")]
REAL_SERVER = [sys.executable, "-m", "nanscope.server"]

# The original buggy text, with the range (line, start column, end column) of its NS101, for each engine.
FAKE_ORIGINAL = "# fake-tag: {tag}\nx = 1  # caf\u00e9 \U0001F600\ny = log(x)\n"
FAKE_BUG = (2, 4, 10)
REAL_ORIGINAL = ("import tensorflow as tf\n# {tag} \U0001F600\ntf.compat.v1.disable_eager_execution()\n"
                 "x = tf.compat.v1.placeholder(tf.float32, [None, 4], name='x')\n"
                 "y = tf.math.log(tf.nn.softmax(x))\n")
REAL_BUG = (4, 4, 33)

# Pieces of text: code, broken syntax, non-ASCII (2-byte, 3-byte, astral: two UTF-16 units), LSP line breaks,
# and characters that are no line break for LSP but are for str.splitlines().
PIECES = ["log(y)", "log(", ")", "x", "y = ", " ", "  ", "\n", "\n", "\r\n", "\r", "def f(:", "'", '"""', "#",
          "\u00e9", "\u4e2d", "\U0001F600", "\U0001F4A9", "z\u0301", "\t", "(", "[", "tf.math.log(x)",
          "\x0c", "\x1c", "\x85", "\u2028"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)
FRACTION = st.integers(0, 10_000)
WILD = st.one_of(FRACTION, st.sampled_from([10_000, 2**31 - 1]))     # positions past the end are valid LSP

OPERATIONS = st.one_of(
    st.tuples(st.just("full"), TEXT),
    st.tuples(st.just("edit"), FRACTION, FRACTION, FRACTION, FRACTION, TEXT),
    st.tuples(st.just("edit"), FRACTION, FRACTION, FRACTION, FRACTION, TEXT),
    st.tuples(st.just("wipe")),
    st.tuples(st.just("save")),
    st.tuples(st.just("settle")),
    st.tuples(st.just("settle")),
    st.tuples(st.just("close")),
    st.tuples(st.just("open")),
    st.tuples(st.just("hover"), st.booleans(), WILD, WILD),
    st.tuples(st.just("action"), st.booleans(), WILD, WILD, WILD, WILD,
              st.sampled_from(["published", "none", "made-up"])),
    st.tuples(st.just("on-diagnostic"), st.sampled_from(["textDocument/hover", "textDocument/codeAction"])),
    st.tuples(st.just("symbols")),
    st.tuples(st.just("pause"), st.sampled_from([0.0, 0.05, 0.15])),
)
SEQUENCES = st.lists(OPERATIONS, min_size=1, max_size=14)

_numbers = itertools.count(1)


# -- the client's model of a text -------------------------------------------------------------------------

_BREAK = re.compile(r"\r\n|\r|\n")


def lsp_lines(text: str) -> list[str]:
    """The lines of `text` as LSP counts them (breaks: \\n, \\r\\n, \\r), without their breaks."""
    return _BREAK.split(text)


def utf16(text: str) -> int:
    return sum(2 if ord(character) > 0xFFFF else 1 for character in text)


def boundaries(line: str) -> list[int]:
    """The UTF-16 columns of `line` that fall between code points (0 and the end included)."""
    columns, column = [0], 0
    for character in line:
        column += 2 if ord(character) > 0xFFFF else 1
        columns.append(column)
    return columns


def position(text: str, line_pick: int, column_pick: int) -> tuple[int, int]:
    """A valid LSP position in `text` chosen by two numbers."""
    lines = lsp_lines(text)
    line = line_pick % len(lines)
    columns = boundaries(lines[line])
    return line, columns[column_pick % len(columns)]


def offset(text: str, line: int, column: int) -> int:
    """The string index of a valid LSP position."""
    starts = [0] + [match.end() for match in _BREAK.finditer(text)]
    index, units = starts[line], 0
    while units < column:
        units += 2 if ord(text[index]) > 0xFFFF else 1
        index += 1
    return index


def range_problem(text: str, rng: dict) -> str | None:
    """Why `rng` (an LSP range as JSON) is not a range of `text`, or None when it is."""
    lines = lsp_lines(text)
    ends = []
    for name in ("start", "end"):
        line, column = rng[name]["line"], rng[name]["character"]
        if not 0 <= line < len(lines):
            return f"{name} line {line} outside the {len(lines)} lines"
        if column not in boundaries(lines[line]):
            return f"{name} column {column} is not a code point boundary of line {line} {lines[line]!r}"
        ends.append((line, column))
    if ends[0] > ends[1]:
        return f"start {ends[0]} after end {ends[1]}"
    return None


# -- one document, as the client sees it -----------------------------------------------------------------

@dataclass
class Document:
    path: Path
    text: str
    is_open: bool = False
    version: int = 0
    versions: dict[int, str] = field(default_factory=dict)   # every version the server was sent
    disk: list[str] = field(default_factory=list)            # every text written to disk

    @property
    def uri(self) -> str:
        return self.path.as_uri()

    def write(self) -> None:
        self.path.write_text(self.text, encoding="utf-8", newline="")
        self.disk.append(self.text)


class Session:
    """Drives one server with a sequence of operations on one document and checks what comes back."""

    def __init__(self, server: RawServer, document: Document, timeout: float) -> None:
        self.server, self.document, self.timeout = server, document, timeout
        self.mark = len(server.received)
        self.answers: list[tuple[str, dict, int | None]] = []    # (method, response, version asked at)
        self.changes_while_closed = 0

    # operations
    def open(self) -> None:
        doc = self.document
        doc.version += 1
        doc.versions[doc.version] = doc.text
        doc.is_open = True
        self.server.notify("textDocument/didOpen", {"textDocument": {
            "uri": doc.uri, "languageId": "python", "version": doc.version, "text": doc.text}})

    def change(self, text: str, rng: dict | None = None, inserted: str = "") -> None:
        doc = self.document
        doc.version += 1
        doc.text = text
        if doc.is_open:
            doc.versions[doc.version] = text
        else:
            self.changes_while_closed += 1
        change = {"text": text} if rng is None else {"range": rng, "text": inserted}
        self.server.notify("textDocument/didChange", {
            "textDocument": {"uri": doc.uri, "version": doc.version}, "contentChanges": [change]})

    def run(self, operation: tuple) -> None:
        doc, kind = self.document, operation[0]
        if kind == "full":
            self.change(operation[1])
        elif kind in ("edit", "wipe"):
            if kind == "edit":
                start = position(doc.text, operation[1], operation[2])
                end = position(doc.text, operation[3], operation[4])
                start, end = min(start, end), max(start, end)
                inserted = operation[5]
            else:
                lines = lsp_lines(doc.text)
                start, end, inserted = (0, 0), (len(lines) - 1, utf16(lines[-1])), ""
            text = doc.text[:offset(doc.text, *start)] + inserted + doc.text[offset(doc.text, *end):]
            rng = {"start": {"line": start[0], "character": start[1]}, "end": {"line": end[0], "character": end[1]}}
            self.change(text, rng, inserted)
        elif kind in ("save", "settle"):
            doc.write()
            since = len(self.server.received)
            self.server.notify("textDocument/didSave", {"textDocument": {"uri": doc.uri}})
            if kind == "settle":         # no edit follows: the save must be answered, for this version
                version = doc.version if doc.is_open else None
                self.wait_received(lambda m: is_publication(doc.uri)(m) and m["params"].get("version") == version,
                                   since, self.timeout)
        elif kind == "close":
            doc.is_open = False
            self.server.notify("textDocument/didClose", {"textDocument": {"uri": doc.uri}})
        elif kind == "open":
            self.open()
        elif kind == "hover":
            _, valid, line, column = operation
            spot = position(doc.text, line, column) if valid else (line, column)
            self.ask("textDocument/hover", {"textDocument": {"uri": doc.uri},
                                            "position": {"line": spot[0], "character": spot[1]}})
        elif kind == "action":
            _, valid, a, b, c, d, context = operation
            if valid:
                start, end = sorted([position(doc.text, a, b), position(doc.text, c, d)])
            else:
                start, end = (a, b), (c, d)      # possibly end before start, or past the end
            rng = {"start": {"line": start[0], "character": start[1]}, "end": {"line": end[0], "character": end[1]}}
            diagnostics = {"published": self.last_published, "none": lambda: [],
                           "made-up": lambda: [{"range": rng, "message": "made up", "source": "nanscope",
                                                "code": "NS101", "data": {"op": "no_such_op"}}]}[context]()
            self.ask("textDocument/codeAction", {"textDocument": {"uri": doc.uri}, "range": rng,
                                                 "context": {"diagnostics": diagnostics}})
        elif kind == "on-diagnostic":       # what an editor asks about a diagnostic it shows
            published = self.last_published()
            if not published:
                return
            rng = published[0]["range"]
            if operation[1] == "textDocument/hover":
                self.ask("textDocument/hover", {"textDocument": {"uri": doc.uri}, "position": rng["start"]})
            else:
                self.ask("textDocument/codeAction", {"textDocument": {"uri": doc.uri}, "range": rng,
                                                     "context": {"diagnostics": published}})
        elif kind == "symbols":
            self.ask("textDocument/documentSymbol", {"textDocument": {"uri": doc.uri}})
        elif kind == "pause":
            time.sleep(operation[1])

    def wait_received(self, predicate, since: int, timeout: float) -> dict:
        """The first message received after the `since`-th that satisfies `predicate`."""
        deadline = time.monotonic() + timeout
        while True:
            received = len(self.server.received)
            for message in self.server.received[since:received]:
                if predicate(message):
                    return message
            since = received
            if time.monotonic() > deadline:
                raise AssertionError(f"no answer within {timeout} s")
            time.sleep(0.01)

    def ask(self, method: str, params: dict) -> dict:
        version = self.document.version if self.document.is_open else None
        response = self.server.call(method, params, timeout=30)
        self.answers.append((method, response, version))
        return response

    def last_published(self) -> list[dict]:
        for message in reversed(self.server.received[self.mark:]):
            if is_publication(self.document.uri)(message):
                return message["params"]["diagnostics"]
        return []

    # the end of a sequence
    def finish(self, original: str, bug: tuple[int, int, int]) -> None:
        """Save the original buggy text; its diagnostic must be published for that version."""
        doc = self.document
        if not doc.is_open:
            self.open()
        self.change(original)
        doc.write()
        final = doc.version
        since = len(self.server.received)
        self.server.notify("textDocument/didSave", {"textDocument": {"uri": doc.uri}})
        line, start, end = bug
        expected = {"start": {"line": line, "character": start}, "end": {"line": line, "character": end}}

        def answered(message: dict) -> bool:
            return (is_publication(doc.uri)(message) and message["params"].get("version") == final
                    and [(d["code"], d["range"]) for d in message["params"]["diagnostics"]] == [("NS101", expected)])
        self.wait_received(answered, since, self.timeout)
        hover = self.ask("textDocument/hover", {"textDocument": {"uri": doc.uri},
                                                "position": {"line": line, "character": start + 1}})
        assert hover.get("result") and hover["result"]["range"] == expected, hover

    def check(self) -> None:
        """The properties of the module docstring, over everything received since the sequence began."""
        doc = self.document
        for method, response, version in self.answers:
            if "error" in response:
                assert method == "textDocument/documentSymbol" and response["error"]["code"] == -32601, \
                    (method, response)
                continue
            assert "result" in response, (method, response)
            result = response["result"]
            if result:
                event(f"{method} answered with a result")
            if method == "textDocument/hover" and result and result.get("range") and version is not None:
                problem = range_problem(doc.versions[version], result["range"])
                assert problem is None, ("hover", version, problem, result)
            if method == "textDocument/codeAction" and result:
                for action in result:
                    for change in (action.get("edit") or {}).get("documentChanges") or ():
                        edited = change["textDocument"].get("version")
                        assert edited == version, ("a code action for another version", version, edited, action)
                        for edit in change["edits"]:
                            problem = range_problem(doc.versions[edited], edit["range"])
                            assert problem is None, ("code action", edited, problem, action)
        last = 0
        errors = [message["params"]["message"] for message in self.server.received[self.mark:]
                  if message.get("method") == "window/showMessage" and message["params"]["type"] == 1]
        assert not errors, errors     # not even for a change of a document that is not open (it is logged)
        for message in self.server.received[self.mark:]:
            if not is_publication(doc.uri)(message):
                continue
            params = message["params"]
            version = params.get("version")
            if version is None:
                texts = doc.disk or [doc.text]
            else:
                assert version in doc.versions, ("published for a version never sent", version, sorted(doc.versions))
                assert version >= last, ("a publication went back in versions", last, version)
                last = version
                texts = [doc.versions[version]]
            event("publication for a document not open" if version is None else "publication for a version")
            if params["diagnostics"] and any(text != doc.disk[0] for text in texts):
                event("diagnostics published on an edited text")
            fits = [all(range_problem(text, d["range"]) is None for d in params["diagnostics"]) for text in texts]
            assert any(fits), ("published ranges outside the text", version,
                               [(d["range"], range_problem(texts[-1], d["range"])) for d in params["diagnostics"]],
                               texts[-1])
            for diagnostic in params["diagnostics"]:
                code = str(diagnostic.get("code", ""))
                assert diagnostic.get("source") == "nanscope", diagnostic
                assert re.fullmatch(r"NS\d{3}", code) or code in ("trace-failed", "unsupported-ops"), diagnostic


def run_sequence(server: RawServer, folder: Path, operations: list[tuple], original: str,
                 bug: tuple[int, int, int], timeout: float) -> None:
    number = next(_numbers)
    text = original.format(tag=f"seq{number}")
    document = Document(folder / f"model_{number}.py", text)
    document.write()
    session = Session(server, document, timeout)
    session.open()
    try:
        for operation in operations:
            session.run(operation)
        session.finish(text, bug)
        session.check()
    finally:
        if document.is_open:
            server.notify("textDocument/didClose", {"textDocument": {"uri": document.uri}})


def start(command: list[str], folder: Path) -> RawServer:
    server = RawServer(command, folder)
    server.initialize(folder)
    return server


@pytest.fixture(scope="module")
def fake_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("edit-fuzz")
    server = start(FAKE_SERVER, folder)
    yield server, folder
    server.close()


@pytest.fixture(scope="module")
def real_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("edit-fuzz-real")
    server = start(REAL_SERVER, folder)
    yield server, folder
    server.close()


FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                      HealthCheck.function_scoped_fixture])


@settings(FUZZ, max_examples=60)
@given(operations=SEQUENCES)
def test_random_edit_sequences_with_the_fake_engine(fake_server, operations):
    server, folder = fake_server
    run_sequence(server, folder, operations, FAKE_ORIGINAL, FAKE_BUG, timeout=20)


@pytest.mark.tensorflow
@settings(FUZZ, max_examples=6)
@given(operations=SEQUENCES)
def test_random_edit_sequences_with_the_real_engine(real_server, operations):
    server, folder = real_server
    run_sequence(server, folder, operations, REAL_ORIGINAL, REAL_BUG, timeout=180)


# -- the client's model, checked on its own ----------------------------------------------------------------

def test_the_client_model_counts_utf16_columns_and_lsp_lines():
    text = "a\U0001F600b\r\nc\u00e9\rd\n"
    assert lsp_lines(text) == ["a\U0001F600b", "c\u00e9", "d", ""]
    assert boundaries("a\U0001F600b") == [0, 1, 3, 4]
    assert offset(text, 0, 3) == 2 and offset(text, 1, 2) == 7 and offset(text, 3, 0) == len(text)
    assert range_problem(text, {"start": {"line": 0, "character": 2}, "end": {"line": 0, "character": 3}})
    assert range_problem(text, {"start": {"line": 1, "character": 0}, "end": {"line": 0, "character": 0}})
    assert range_problem(text, {"start": {"line": 4, "character": 0}, "end": {"line": 4, "character": 0}})
    assert range_problem(text, {"start": {"line": 0, "character": 1}, "end": {"line": 3, "character": 0}}) is None


# -- divergences of pygls from LSP that the server corrects (server/protocol.py) ----------------------------

@pytest.mark.parametrize("separator", ["\x0c", "\u2028"])
def test_a_form_feed_does_not_move_diagnostics(fake_server, separator: str):
    server, folder = fake_server
    document = Document(folder / f"model_{next(_numbers)}.py", f"x = 1  {separator}\n# fake-tag: ff\ny = log(x)\n")
    document.write()
    session = Session(server, document, timeout=20)
    session.open()
    try:
        published = session.wait_received(lambda m: is_publication(document.uri)(m) and m["params"]["diagnostics"],
                                           session.mark, 20)
        [diagnostic] = published["params"]["diagnostics"]
        assert diagnostic["range"]["start"] == {"line": 2, "character": 4}, diagnostic["range"]
    finally:
        server.notify("textDocument/didClose", {"textDocument": {"uri": document.uri}})


def test_a_request_with_invalid_params_gets_an_error_response(fake_server):
    server, folder = fake_server
    response = server.call("textDocument/hover", {"textDocument": {"uri": (folder / "any.py").as_uri()},
                                                  "position": {"line": -1, "character": 0}}, timeout=5)
    assert response.get("error", {}).get("code") == -32602, response
