"""From a report to verified fixes: the orchestration of sources, candidates and re-analysis.

Owns `fixes_for_report`: for every located finding of a report that kept its graph (`Report.graph`,
`Report.locations`, `Report.options`, filled by `api.analyse_graph`), find the expression the source
mapping reported, list the candidate fixes for the op it made, re-check each on the rewritten graph, and
order them: proven fixes first (in the catalogue's order of preference), the first of them preferred,
then the unproven ones, titled as such.

An op made inside a library call (`tf.nn.batch_normalization(x, mean, var, ...)` computes rsqrt(var + e)) has
no call of its own in the user's code: its location is the user's call. There the fix guards the argument
whose tensor feeds the op's input through the call's own ops (`call_sites`), when the argument is known to
be that tensor; such a guard is offered only when the re-analysis proves it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

from astroid import nodes

from nanscope.analysis.api import CheckOptions
from nanscope.analysis.checks import SPEC_BY_OP
from nanscope.analysis.fixes.aliases import Namespace
from nanscope.analysis.fixes.candidates import FixSite, candidates_for
from nanscope.analysis.fixes.model import Fix
from nanscope.analysis.fixes.numbers import eps_for
from nanscope.analysis.fixes.rewrite import GraphEditor
from nanscope.analysis.fixes.source import SourceFile
from nanscope.analysis.fixes.verify import Verifier
from nanscope.analysis.graph.ir import Graph, Node, TensorRef
from nanscope.analysis.report import Finding, Report, Span
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
        sites = self.sites(finding)
        if not sites:
            return []
        subject = sites[0].subject
        verifier = self.verifier
        targets = {finding.op_name, subject.name, *verifier.unsafe_gradients_of(subject.name)}
        fixes: list[Fix] = []
        seen: set[tuple] = set()
        for site in sites:
            for candidate in candidates_for(site):
                if candidate.edits in seen:
                    continue
                seen.add(candidate.edits)
                editor = GraphEditor(self.report.graph)
                candidate.rewrite(editor)
                verdict = verifier.verify(editor, targets, finding.op_name)
                if not verdict.proven and site.argument is not None:
                    continue   # a guard on an argument that proves nothing is a guess, not a fix
                title = candidate.title if verdict.proven else candidate.title + UNPROVEN_SUFFIX
                fixes.append(Fix(title=title, code=finding.code, kind=candidate.kind, path=site.source.path,
                                 edits=candidate.edits, proven=verdict.proven, detail=verdict.detail,
                                 op_name=finding.op_name))
        ordered = [f for f in fixes if f.proven] + [f for f in fixes if not f.proven]
        if ordered and ordered[0].proven:
            ordered[0] = ordered[0].as_preferred()
        return ordered

    def sites(self, finding: Finding) -> list[FixSite]:
        """Where the finding can be fixed: the call or operator that made its op, or, for an op made
        inside a library call, each argument of that call that feeds the op's input (`call_sites`)."""
        graph = self.report.graph
        subject = graph.get(finding.gradient_of or finding.op_name)
        spec = SPEC_BY_OP.get(subject.op) if subject is not None else None
        if subject is None or spec is None or spec.input_index >= len(subject.inputs) or finding.location is None:
            return []
        loaded = self.file(finding.location.path)
        if loaded is None:
            return []
        source, names = loaded
        env = self.verifier.env
        spanned = source.expressions_at(finding.location.span)
        expressions = [e for e in spanned if creates(e, subject.op)]
        if not expressions:
            calls = [e for e in spanned if isinstance(e, nodes.Call)]
            return self.call_sites(finding, subject, spec.input_index, calls[-1], source, names) if calls else []
        value = env.value(subject.inputs[spec.input_index])
        dtype = value.dtype if value.dtype.is_float else subject.output_dtype()
        eps = eps_for(dtype, self.eps)
        if eps is None:
            return []
        return [FixSite(subject=subject, expr=expressions[-1], input_index=spec.input_index, source=source,
                        names=names, graph=graph, env=env, locations=self.report.locations, dtype=dtype, eps=eps)]

    def call_sites(self, finding: Finding, subject: Node, input_index: int, call: nodes.Call, source: SourceFile,
                   names: Namespace) -> list[FixSite]:
        """The op was made inside the library call `call` (every op of the call is located at its span: the
        call's region). Each tensor that flows from outside the region into the op's input, through the
        region's ops, is a feed; a feed gets a site when exactly one argument of the call is that tensor:
        an argument expression that made it, or a name bound once, by a plain assignment in the call's scope,
        to the expression that made it; and no other tensor made there enters the region (the argument's
        value is the feed, not another output of the same line)."""
        graph, locations = self.report.graph, self.report.locations
        path, span = Path(finding.location.path).resolve(), finding.location.span

        def located(name: str) -> Span | None:
            location = locations.get(name)
            if location is None or Path(location.path).resolve() != path:
                return None
            return location.span

        region = frozenset(name for name in locations if located(name) == span)
        if subject.name not in region or _has_star_args(call):
            return []
        entering = {ref for name in region if name in graph for ref in graph[name].inputs
                    if ref.node not in region}
        arguments = [*call.args, *(keyword.value for keyword in call.keywords or ())]
        spans = [_made_at(source, argument) for argument in arguments]
        env = self.verifier.env
        sites = []
        for feed in _feeds(graph, subject.inputs[input_index], region):
            producer = graph.get(feed.node)
            made_at = located(feed.node)
            if producer is None or producer.op == "Const" or made_at is None:
                continue
            matching = [argument for argument, at in zip(arguments, spans) if at == made_at]
            if len(matching) != 1 or {ref for ref in entering if located(ref.node) == made_at} != {feed}:
                continue
            dtype = env.value(feed).dtype
            eps = eps_for(dtype, self.eps) if dtype.is_float else None
            if eps is None:
                continue
            sites.append(FixSite(subject=subject, expr=call, input_index=input_index, source=source, names=names,
                                 graph=graph, env=env, locations=locations, dtype=dtype, eps=eps,
                                 argument=matching[0], feed=feed, region=region))
        return sites


def _feeds(graph: Graph, start: TensorRef, region: frozenset[str]) -> list[TensorRef]:
    """The tensors made outside `region` that `start` is computed from through the region's ops (in the
    order first met)."""
    found: dict[TensorRef, None] = {}
    stack, seen = [start], set()
    while stack:
        ref = stack.pop()
        if ref in seen:
            continue
        seen.add(ref)
        node = graph.get(ref.node)
        if node is not None and node.name in region:
            stack.extend(reversed(node.inputs))
        else:
            found[ref] = None
    return list(found)


def _made_at(source: SourceFile, argument: nodes.NodeNG) -> Span | None:
    """The span of the expression whose value an argument is: the argument itself when it computes
    something, or for a name bound once in its scope by a plain `name = expression`, that expression."""
    if isinstance(argument, (nodes.Call, nodes.BinOp, nodes.UnaryOp, nodes.Subscript)):
        return source.span(argument)
    if not isinstance(argument, nodes.Name):
        return None
    bindings = argument.scope().locals.get(argument.name, [])
    if len(bindings) != 1:
        return None
    [binding] = bindings
    assign = binding.parent
    if not isinstance(binding, nodes.AssignName) or not isinstance(assign, nodes.Assign) or \
            len(assign.targets) != 1 or assign.targets[0] is not binding:
        return None
    return source.span(assign.value)


def _has_star_args(call: nodes.Call) -> bool:
    return any(isinstance(arg, nodes.Starred) for arg in call.args) or \
        any(keyword.arg is None for keyword in call.keywords or ())
