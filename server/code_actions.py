"""The code-action feature: quick fixes for nanscope's diagnostics, fix-all, and ignore comments.

Owns `textDocument/codeAction`. For each nanscope diagnostic in the request's context it offers, as
`quickfix` actions, the verified fixes of its finding (`nanscope.analysis.fixes`): proven fixes first, the
preferred one marked `isPreferred`, then the unproven ones (their titles say "not proven safe"), then
"Ignore NS101 on this line", which appends `# nanscope: ignore[NS101]` (the analysis honours it). One
`source.fixAll.nanscope` action applies the preferred proven fix of every finding in the file at once.

Versions: an action is computed for one version of a document and never applies to another. The server
keeps the last published report of every document (`NanscopeServer.reports`); this module records, per
URI, the document version the report was computed for: it observes `text_document_publish_diagnostics`
(whose params carry the version) and pairs it with the report the server stored (see `_observe`).
Actions are offered only while the document's current version is that version, and every edit is a
`TextDocumentEdit` whose `OptionalVersionedTextDocumentIdentifier` names it, so a client refuses to apply
it to a document that has moved on.

Fixes are computed from the report's graph (a re-analysis per candidate fix) in a worker thread, started
when a report with findings is published, so the first request usually finds them ready; the text used
is the editor's buffer of the published version. Results are cached per (URI, report, version).
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from lsprotocol import types
from pygls.uris import to_fs_path

from nanscope.analysis.report import Finding, Report
from nanscope.server.convert import SOURCE, lsp_lines, span_to_range

if TYPE_CHECKING:
    from nanscope.analysis.fixes import Fix, TextEdit
    from nanscope.server.app import NanscopeServer

logger = logging.getLogger(__name__)

FIX_ALL = "source.fixAll.nanscope"
KINDS = (types.CodeActionKind.QuickFix, FIX_ALL)


@dataclass
class _Record:
    """The report last published on a document and the version (and text digest) it was computed for."""
    report: Report
    version: int | None
    digest: str


@dataclass
class _Computation:
    report: Report
    version: int | None
    future: asyncio.Future


@dataclass
class _State:
    records: dict[str, _Record] = field(default_factory=dict)              # by URI
    computations: dict[str, _Computation] = field(default_factory=dict)    # by URI


_STATES: weakref.WeakKeyDictionary[Any, _State] = weakref.WeakKeyDictionary()


def register(server: NanscopeServer) -> None:
    state = _STATES.setdefault(server, _State())
    publish = server.text_document_publish_diagnostics

    def publish_and_record(params: types.PublishDiagnosticsParams) -> None:
        publish(params)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            state.records.pop(params.uri, None)
            return
        # The server stores the report right after publishing it: look at it once this step is done (before
        # the loop reads the next message).
        loop.call_soon(_observe, server, params.uri, params.version)

    server.text_document_publish_diagnostics = publish_and_record
    server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                   types.CodeActionOptions(code_action_kinds=list(KINDS), resolve_provider=False))(code_action)


async def code_action(ls: NanscopeServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    uri = params.text_document.uri
    current = _current(ls, uri)
    if current is None:
        return None
    report, version, document = current
    path = Path(to_fs_path(uri) or "")
    only = params.context.only
    nanscope_diagnostics = [d for d in params.context.diagnostics if d.source == SOURCE]
    wants_fixes = _wants(only, types.CodeActionKind.QuickFix) and nanscope_diagnostics
    wants_fix_all = _wants(only, FIX_ALL)
    if not (wants_fixes or wants_fix_all) or not _own_findings(report, path):
        return None

    try:
        # Shielded: a cancelled request must not cancel the computation later requests share.
        fixes = await asyncio.shield(_computation(ls, uri, report, version, document.source).future)
    except Exception:  # the task boundary: a bug in a fix must not cost the editor its other actions
        logger.exception("computing fixes for %s failed", uri)
        fixes = {}
    now = _current(ls, uri)
    if now is None or now[0] is not report or now[1] != version:
        return None    # the document or its report changed while the fixes were computed

    lines, encoding = lsp_lines(document.source), ls.workspace.position_encoding
    edit_for = _EditBuilder(ls, uri, version, lines, encoding)
    actions: list[types.CodeAction] = []
    if wants_fixes:
        from nanscope.analysis.fixes import SourceFile, ignore_edit

        source = SourceFile(path, document.source)
        for diagnostic in nanscope_diagnostics:
            finding = _finding_of(diagnostic, report, path, lines, encoding)
            if finding is None:
                continue
            for fix in fixes.get(finding, ()):
                if not _same_file(fix.path, path):
                    continue    # the edits are bound to this document: a fix of another file is not for here
                actions.append(types.CodeAction(
                    title=fix.title, kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic],
                    is_preferred=True if fix.preferred else None, edit=edit_for(fix.edits)))
            silence = ignore_edit(source, finding)
            if silence is not None:
                actions.append(types.CodeAction(
                    title=f"Ignore {finding.code} on this line (# nanscope: ignore[{finding.code}])",
                    kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic], edit=edit_for([silence])))
    if wants_fix_all:
        from nanscope.analysis.fixes import select_fixes

        chosen = select_fixes(fixes, path)
        if chosen:
            count = len(chosen)
            actions.append(types.CodeAction(
                title=f"Apply {count} proven nanscope fix{'es' if count != 1 else ''}", kind=FIX_ALL,
                edit=edit_for([edit for fix in chosen for edit in fix.edits])))
    return actions or None


# -- state -------------------------------------------------------------------------------------------------

def _observe(ls: NanscopeServer, uri: str, version: int | None) -> None:
    """After a publication on `uri` for `version`: record which version the document's report belongs to,
    and start computing its fixes.

    A report object the document has not had before was computed for this version (the server publishes
    only results that no edit has overtaken). The same report published again (a result reused from the
    cache, or diagnostics re-published after another file's save) still belongs to this version only if
    the text is the one it was recorded with; otherwise the old record stays, whose version no longer
    matches, and no action is offered until the document is analysed again.
    """
    state = _STATES[ls]
    report = ls.reports.get(uri)
    document = ls.workspace.text_documents.get(uri)
    if report is None or document is None or document.version != version:
        state.records.pop(uri, None)
        return
    digest = hashlib.sha256(document.source.encode("utf-8", "surrogatepass")).hexdigest()
    previous = state.records.get(uri)
    if previous is None or previous.report is not report or previous.digest == digest:
        state.records[uri] = _Record(report, version, digest)
    current = _current(ls, uri)
    if current is not None and _own_findings(report, Path(to_fs_path(uri) or "")):
        _computation(ls, uri, report, version, document.source)


def _current(ls: NanscopeServer, uri: str) -> tuple[Report, int | None, Any] | None:
    """(report, version, document) while the document is at the version its report was computed for."""
    record = _STATES[ls].records.get(uri)
    report = ls.reports.get(uri)
    if record is None or report is None or record.report is not report:
        return None
    document = ls.workspace.get_text_document(uri)
    if document.version != record.version:
        return None
    return report, record.version, document


def _computation(ls: NanscopeServer, uri: str, report: Report, version: int | None, text: str) -> _Computation:
    state = _STATES[ls]
    cached = state.computations.get(uri)
    if cached is not None and cached.report is report and cached.version == version:
        return cached
    path = Path(to_fs_path(uri) or "")
    findings = _own_findings(report, path)
    eps = _configured_eps(ls, report)
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(None, _compute_fixes, report, path, text, findings, eps)
    computation = _Computation(report, version, future)
    state.computations[uri] = computation
    return computation


def _compute_fixes(report: Report, path: Path, text: str, findings: list[Finding],
                   eps: float | Mapping[str, float] | None) -> dict[Finding, list[Fix]]:
    from nanscope.analysis.fixes import fixes_for_report

    return fixes_for_report(report, sources={path: text}, findings=findings, eps=eps)


def _configured_eps(ls: NanscopeServer, report: Report) -> float | Mapping[str, float] | None:
    """The options the analysis ran with win; else the server's `eps` setting, when it has one."""
    options = report.options
    if options is not None and options.eps is not None:
        return options.eps
    return ls.settings.eps


def _own_findings(report: Report, path: Path) -> list[Finding]:
    return [f for f in report.findings if f.location is not None and _same_file(f.location.path, path)]


def _same_file(a: Path, b: Path) -> bool:
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


# -- conversion ------------------------------------------------------------------------------------------

def _wants(only: Sequence[str] | None, kind: str) -> bool:
    """Whether a request limited to the kinds `only` (None: any) wants actions of `kind`."""
    return only is None or any(kind == wanted or kind.startswith(f"{wanted}.") for wanted in only)


def _finding_of(diagnostic: types.Diagnostic, report: Report, path: Path, lines: Sequence[str],
                encoding: str) -> Finding | None:
    """The finding a diagnostic shows: by the op named in its data, else by its range and code."""
    data = diagnostic.data if isinstance(diagnostic.data, Mapping) else {}
    candidates = [f for f in _own_findings(report, path) if f.code == diagnostic.code]
    by_op = [f for f in candidates if f.op_name == data.get("op")]
    if by_op:
        return by_op[0]
    by_range = [f for f in candidates if span_to_range(f.location.span, lines, encoding) == diagnostic.range]
    return by_range[0] if by_range else None


class _EditBuilder:
    """Text edits of one document version -> a WorkspaceEdit bound to that version."""

    def __init__(self, ls: NanscopeServer, uri: str, version: int | None, lines: Sequence[str], encoding: str):
        self.uri, self.version, self.lines, self.encoding = uri, version, lines, encoding
        self.versioned = _supports_document_changes(ls)
        # Text a fix copies across lines comes with "\n": give it the document's line break.
        first = lines[0] if lines else ""
        self.newline = "\r\n" if first.endswith("\r\n") else "\r" if first.endswith("\r") else "\n"

    def __call__(self, edits: Sequence[TextEdit]) -> types.WorkspaceEdit:
        text_edits = [types.TextEdit(range=span_to_range(e.span, self.lines, self.encoding),
                                     new_text=e.new_text.replace("\n", self.newline)) for e in edits]
        if not self.versioned:   # a client without documentChanges: the version check above is all we have
            return types.WorkspaceEdit(changes={self.uri: text_edits})
        document = types.OptionalVersionedTextDocumentIdentifier(uri=self.uri, version=self.version)
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=document,
                                                                            edits=text_edits)])


def _supports_document_changes(ls: NanscopeServer) -> bool:
    capabilities = ls.client_capabilities
    workspace = capabilities.workspace if capabilities is not None else None
    workspace_edit = workspace.workspace_edit if workspace is not None else None
    if workspace_edit is None or workspace_edit.document_changes is None:
        return True     # unknown: documentChanges is what the feature promises
    return bool(workspace_edit.document_changes)
