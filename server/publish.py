"""Publication of diagnostics for every file that received findings, merged over entry points.

Owns what the client currently shows. Each entry point keeps the diagnostics it last produced, per file
(`Entry.diagnostics`); a file's published list is the union over all entry points (a module imported by
two scripts gets each finding once). Publishing an entry point's new report re-publishes every file it
touches now or touched before, so a finding that went away is cleared even in a file nobody has open.
The entry point's own file, and every file whose open or save asked for the run, are always published, even
with nothing, so the client sees each run's answer.

Positions are converted with the text the client has for an open file and the text on disk otherwise;
an open file is published under the URI the client used for it, with its version.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import to_fs_path

from nanscope.analysis.report import Report
from nanscope.server.convert import Style, diagnostics_by_file, lsp_lines, same_path_key
from nanscope.server.settings import Settings

if TYPE_CHECKING:
    from nanscope.server.app import NanscopeServer
    from nanscope.server.engine import Traced
    from nanscope.server.scheduler import Entry


class Publisher:
    def __init__(self, server: NanscopeServer) -> None:
        self.server = server

    def publish(self, entry: Entry, report: Report, settings: Settings, traced: Traced | None = None) -> None:
        style = Style(severity=settings.severity, rules_url=settings.rules_url,
                      related_information=self._related_information_supported(),
                      encoding=self.server.workspace.position_encoding, shows=settings.shows)
        new = diagnostics_by_file(report, entry.path, self.lines_for, style)
        old = entry.diagnostics
        entry.diagnostics = new
        own = same_path_key(entry.path)
        paths = {key: path for key, (path, _) in old.items()}
        paths.update({key: path for key, (path, _) in new.items()})
        paths.setdefault(own, entry.path)
        for key, path in entry.waiting.items():     # the files whose open/save asked for this run: answered
            paths.setdefault(key, path)
        entry.waiting = {}
        for key, path in paths.items():
            self._publish(key, path)
            if key in new or key == own:
                self.server.reports[self.uri_for(path)[0]] = report
        self._tell_report_errors(entry, report, traced)

    def withdraw(self, entry: Entry) -> None:
        """An entry point is gone: re-publish its files without its diagnostics."""
        old, entry.diagnostics = entry.diagnostics, {}
        paths = {key: path for key, (path, _) in old.items()}
        paths.setdefault(same_path_key(entry.path), entry.path)
        for key, path in paths.items():
            self._publish(key, path)
            uri = self.uri_for(path)[0]
            if self.server.reports.get(uri) is entry.report:
                self.server.reports.pop(uri, None)

    def _publish(self, key: str, path: Path) -> None:
        combined: list[types.Diagnostic] = []
        seen = set()
        for entry in self.server.scheduler.entries.values():
            _, diagnostics = entry.diagnostics.get(key, (path, []))
            for diagnostic in diagnostics:
                signature = (diagnostic.range.start.line, diagnostic.range.start.character,
                             diagnostic.range.end.line, diagnostic.range.end.character,
                             diagnostic.code, diagnostic.message)
                if signature not in seen:
                    seen.add(signature)
                    combined.append(diagnostic)
        uri, version = self.uri_for(path)
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=combined, version=version))

    def _tell_report_errors(self, entry: Entry, report: Report, traced: Traced | None) -> None:
        for note in report.notes:
            self.server.log(f"{entry.name}: {note}", "info")
        errors = list(report.errors)
        if traced is not None and traced.failed:   # the trace failure was already told, once
            errors = [error for error in errors if not error.startswith("tracing ")]
        for error in errors:
            self.server.log(f"{entry.name}: {error}", "warning", types.MessageType.Warning)
        if errors and tuple(errors) != entry.shown_errors:
            more = f" (and {len(errors) - 1} more, see the output log)" if len(errors) > 1 else ""
            self.server.show_message(f"nanscope could not fully analyse {entry.name}: {errors[0]}{more}",
                                     types.MessageType.Warning)
        entry.shown_errors = tuple(errors)

    # -- files ---------------------------------------------------------------------------------------------

    def open_document(self, path: Path):
        key = same_path_key(path)
        for uri, document in self.server.workspace.text_documents.items():
            fs_path = to_fs_path(uri) if uri.startswith("file:") else None
            if fs_path is not None and same_path_key(fs_path) == key:
                return document
        return None

    def uri_for(self, path: Path) -> tuple[str, int | None]:
        document = self.open_document(path)
        if document is not None:
            return document.uri, document.version
        return Path(os.path.abspath(path)).as_uri(), None

    def lines_for(self, path: Path) -> Sequence[str] | None:
        document = self.open_document(path)
        if document is not None:
            return lsp_lines(document.source)
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                return lsp_lines(handle.read())
        except OSError:
            return None

    def _related_information_supported(self) -> bool:
        capabilities = self.server.client_capabilities
        document = capabilities.text_document if capabilities is not None else None
        publish = document.publish_diagnostics if document is not None else None
        return bool(publish is not None and publish.related_information)
