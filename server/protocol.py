"""The JSON-RPC edge of the server: the messages pygls's protocol does not answer the way LSP asks.

- A request whose params do not parse (a negative position, a missing field) gets an error response with
  its id (-32602 InvalidParams), so the client stops waiting; pygls only showed "Error in server" and never
  answered the request.
- A change to a document that is not open (a client's out-of-order message) is dropped with a line in
  the log instead of an error shown to the user; the document's next didOpen brings its text.
- Documents count lines the LSP way (`convert.lsp_lines`: only \\n, \\r\\n and \\r end a line). pygls's
  documents split with `str.splitlines`, which also breaks at a form feed or U+2028, so an incremental
  edit below one would land on the wrong line and corrupt the buffer.
"""
from __future__ import annotations

import logging
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.workspace import TextDocument, Workspace

from nanscope.server.convert import lsp_lines

logger = logging.getLogger(__name__)


class _Answered:
    """Stands for a request already answered with an error while it was parsed: nothing left to handle."""


ANSWERED = _Answered()


class LspTextDocument(TextDocument):
    @property
    def lines(self):
        return tuple(lsp_lines(self.source))


class LspWorkspace(Workspace):
    def _create_text_document(self, doc_uri, source=None, version=None, language_id=None) -> TextDocument:
        return LspTextDocument(doc_uri, source=source, version=version, language_id=language_id,
                               sync_kind=types.TextDocumentSyncKind.Incremental,
                               position_codec=self.position_codec)


class NanscopeProtocol(LanguageServerProtocol):
    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams):
        result = yield from super().lsp_initialize(params)
        # pygls made a workspace whose documents split lines its way: the same workspace, with ours
        made = self.workspace
        self._workspace = LspWorkspace(made.root_uri, types.TextDocumentSyncKind.Incremental,
                                       list(made.folders.values()), made.position_encoding)
        return result

    def structure_message(self, data):
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if not (isinstance(data, dict) and "id" in data and "method" in data):
                raise          # a notification has nobody waiting for an answer: pygls reports it
            logger.warning("request %s (id %s) has invalid params: %s", data["method"], data["id"], error.message)
            self._send_response(data["id"], error=types.ResponseError(
                code=error.code, message=f"{data['method']}: {error.message}"))
            return ANSWERED

    def handle_message(self, message):
        if message is ANSWERED:
            return
        super().handle_message(message)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        if unquote(params.text_document.uri) not in self.workspace.text_documents:
            logger.warning("change of %s, which is not open: ignored", params.text_document.uri)
            return
        yield from super().lsp_text_document__did_change(params)
