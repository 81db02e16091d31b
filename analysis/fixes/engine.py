"""From a report to verified fixes: the orchestration of sources, candidates and re-analysis.

Owns `fixes_for_report`: for every located finding of a report that kept its graph (`Report.graph`,
`Report.locations`, `Report.options`, filled by `api.analyse_graph`), find the expression the source
mapping reported, list the candidate fixes for the op it made, re-check each on the rewritten graph, and
order them: proven fixes first (in the catalogue's order of preference), the first of them preferred,
then the unproven ones, titled as such.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

from nanscope.analysis.api import CheckOptions
from nanscope.analysis.checks import SPEC_BY_OP
from nanscope.analysis.fixes.aliases import Namespace
from nanscope.analysis.fixes.candidates import FixSite, candidates_for
from nanscope.analysis.fixes.model import Fix
from nanscope.analysis.fixes.numbers import eps_for
from nanscope.analysis.fixes.rewrite import GraphEditor
from nanscope.analysis.fixes.source import SourceFile
from nanscope.analysis.fixes.verify import Verifier
from nanscope.analysis.report import Finding, Report
from nanscope.analysis.sourcemap import creates

UNPROVEN_SUFFIX = " (not proven safe)"


def fixes_for_report(report: Report, *, sources: Mapping[Path, str] | None = None,
                     findings: Iterable[Finding] | None = None,
                     eps: float | Mapping[str, float] | None = None) -> dict[Finding, list[Fix]]:
    """Finding -> its fixes (proven first; the preferred one first of all), for `findings` (default: all
    of the report's). `sources` gives the text of files that differ from the disk (an editor's buffer of
    the version that was analysed); `eps` overrides the epsilon of the report's options."""
    graph = report.graph
    if graph is None:
        return {}
    chosen = [f for f in (report.findings if findings is None else findings) if f.location is not None]
    if not chosen:
        return {}
    options = report.options if report.options is not None else CheckOptions()
    context = _Context(report, options, eps if eps is not None else options.eps,
                       {Path(path).resolve(): text for path, text in (sources or {}).items()})
    return {finding: context.fixes_for(finding) for finding in chosen}


class _Context:
    def __init__(self, report: Report, options: CheckOptions, eps: float | Mapping[str, float] | None,
                 texts: Mapping[Path, str]):
        self.report, self.options, self.eps, self.texts = report, options, eps, texts
        self._verifier: Verifier | None = None
        self._files: dict[Path, tuple[SourceFile, Namespace] | None] = {}

    @property
    def verifier(self) -> Verifier:
        if self._verifier is None:
            self._verifier = Verifier(self.report.graph, self.options.assumptions(), self.options.analysis)
        return self._verifier

    def file(self, path: Path) -> tuple[SourceFile, Namespace] | None:
        path = Path(path).resolve()
        if path not in self._files:
            text = self.texts.get(path)
            source = SourceFile(path, text) if text is not None else SourceFile.read(path)
            self._files[path] = (source, Namespace(source.module)) if source is not None else None
        return self._files[path]

    def fixes_for(self, finding: Finding) -> list[Fix]:
        site = self.site(finding)
        if site is None:
            return []
        subject = site.subject
        verifier = self.verifier
        targets = {finding.op_name, subject.name, *verifier.unsafe_gradients_of(subject.name)}
        fixes: list[Fix] = []
        seen: set[tuple] = set()
        for candidate in candidates_for(site):
            if candidate.edits in seen:
                continue
            seen.add(candidate.edits)
            editor = GraphEditor(self.report.graph)
            candidate.rewrite(editor)
            verdict = verifier.verify(editor, targets, finding.op_name)
            title = candidate.title if verdict.proven else candidate.title + UNPROVEN_SUFFIX
            fixes.append(Fix(title=title, code=finding.code, kind=candidate.kind, path=site.source.path,
                             edits=candidate.edits, proven=verdict.proven, detail=verdict.detail,
                             op_name=finding.op_name))
        ordered = [f for f in fixes if f.proven] + [f for f in fixes if not f.proven]
        if ordered and ordered[0].proven:
            ordered[0] = ordered[0].as_preferred()
        return ordered

    def site(self, finding: Finding) -> FixSite | None:
        graph = self.report.graph
        subject = graph.get(finding.gradient_of or finding.op_name)
        spec = SPEC_BY_OP.get(subject.op) if subject is not None else None
        if subject is None or spec is None or spec.input_index >= len(subject.inputs) or finding.location is None:
            return None
        loaded = self.file(finding.location.path)
        if loaded is None:
            return None
        source, names = loaded
        expressions = [e for e in source.expressions_at(finding.location.span) if creates(e, subject.op)]
        if not expressions:
            return None
        env = self.verifier.env
        value = env.value(subject.inputs[spec.input_index])
        dtype = value.dtype if value.dtype.is_float else subject.output_dtype()
        eps = eps_for(dtype, self.eps)
        if eps is None:
            return None
        return FixSite(subject=subject, expr=expressions[-1], input_index=spec.input_index, source=source,
                       names=names, graph=graph, env=env, locations=self.report.locations, dtype=dtype, eps=eps)
