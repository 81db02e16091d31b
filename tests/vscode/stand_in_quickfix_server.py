"""The real nanscope server, plus a stand-in quick fix when the server has none (VS Code e2e self-test).

Owned by tests/vscode/. `e2e.mjs` runs it (through a generated `python` wrapper) when
NANSCOPE_E2E_STAND_IN_FIX=1, to prove that its quick-fix steps (Ctrl+. then Enter, Ctrl+S, the squiggle
goes, the file changes) work in code-server before the real server offers code actions. The stand-in
turns every NS101 call `f(x)` into `f(x + 1e-8)`; the real analysis then re-checks the saved file.
Once the real server registers `textDocument/codeAction`, this module adds nothing and the real fixes run.
"""
from __future__ import annotations

import re

from lsprotocol import types

import nanscope.server.app as app

_STAND_IN_EPS = "1e-8"
_original_create_server = app.create_server


def _stand_in_fixes(ls: app.NanscopeServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    document = ls.workspace.get_text_document(params.text_document.uri)
    actions = []
    for diagnostic in params.context.diagnostics:
        start, end = diagnostic.range.start, diagnostic.range.end
        if diagnostic.code != "NS101" or start.line != end.line:
            continue
        call = document.lines[start.line][start.character:end.character]
        match = re.fullmatch(r"(?s)(.*)\((.*)\)", call)
        if match is None:
            continue
        new_text = f"{match.group(1)}({match.group(2)} + {_STAND_IN_EPS})"
        actions.append(types.CodeAction(
            title=f"Guard the log with an epsilon: {new_text}",
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[diagnostic],
            is_preferred=True,
            edit=types.WorkspaceEdit(changes={
                params.text_document.uri: [types.TextEdit(range=diagnostic.range, new_text=new_text)],
            }),
        ))
    return actions


def create_server(*args, **kwargs) -> app.NanscopeServer:
    server = _original_create_server(*args, **kwargs)
    if types.TEXT_DOCUMENT_CODE_ACTION not in server.protocol.fm.features:
        server.feature(
            types.TEXT_DOCUMENT_CODE_ACTION,
            types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
        )(_stand_in_fixes)
    return server


if __name__ == "__main__":
    # `python -m nanscope.server`'s main looks create_server up when it runs: it gets this one.
    app.create_server = create_server
    from nanscope.server.__main__ import main

    main()
