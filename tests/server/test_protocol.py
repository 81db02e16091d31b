"""server/protocol.py: documents count lines the LSP way, so incremental edits below a form feed land where
the client meant them (the language-level tests are in tests/robustness/test_edit_fuzz.py)."""
from __future__ import annotations

import pytest
from lsprotocol import types

from nanscope.server.protocol import LspWorkspace


def _edit(line: int, start: int, end: int, text: str) -> types.TextDocumentContentChangePartial:
    return types.TextDocumentContentChangePartial(
        range=types.Range(types.Position(line, start), types.Position(line, end)), text=text)


@pytest.mark.parametrize("separator", ["\x0c", "\u2028", "\x85", "\x1c"])
def test_an_incremental_edit_below_a_non_lsp_line_break_lands_on_its_line(separator):
    workspace = LspWorkspace(None)
    uri = "file:///tmp/model.py"
    workspace.put_text_document(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=f"x = 1 {separator} # a\ny = 2\nz = 3\n"))
    workspace.update_text_document(types.VersionedTextDocumentIdentifier(version=2, uri=uri), _edit(1, 4, 5, "log(x)"))
    document = workspace.get_text_document(uri)
    assert document.source == f"x = 1 {separator} # a\ny = log(x)\nz = 3\n"
    assert len(document.lines) == 3


def test_lsp_line_breaks_still_split_lines():
    workspace = LspWorkspace(None)
    uri = "file:///tmp/model.py"
    workspace.put_text_document(types.TextDocumentItem(uri=uri, language_id="python", version=1, text="a\r\nb\rc\nd"))
    workspace.update_text_document(types.VersionedTextDocumentIdentifier(version=2, uri=uri), _edit(3, 0, 1, "e"))
    workspace.update_text_document(types.VersionedTextDocumentIdentifier(version=3, uri=uri), _edit(1, 0, 1, "f"))
    assert workspace.get_text_document(uri).source == "a\r\nf\rc\ne"
