"""The engine's facade: check a Python script or a saved graph and get a `Report`.

The CLI and the language server call only this module. `check_file` never raises for problems in the
user's code or files; those become `Report.errors`. Findings silenced by a `# nanscope: ignore[CODE]`
comment are dropped here and counted in `Report.suppressed`. `check_file_with_fixes` also computes the
verified quick fixes of every finding (see `nanscope.analysis.fixes`).

The check and analyse functions take an optional `memo` (`nanscope.analysis.memo.AnalysisMemo`): an
analysis with a memo reuses the abstract values of the nodes whose upstream subgraph did not change since
the memo's last analysis (the language server keeps one per entry point across saves). The report is the
same with or without it.
"""
from __future__ import annotations

import sys
import time
import tokenize
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

from nanscope.analysis.checks import CheckResult, comments_by_line, is_suppressed, run_checks
from nanscope.analysis.domain.interval import Interval
from nanscope.analysis.gcpause import gc_paused
from nanscope.analysis.graph import Graph, GraphLoadError, load_graph_file
from nanscope.analysis.graph.ir import TensorRef
from nanscope.analysis.interpreter import Environment, Interpreter
from nanscope.analysis.report import Assumption, Finding, Location, OpInfo, ProvenSafe, Report, Stats
from nanscope.analysis.splitting import split_and_recheck
from nanscope.analysis.transformers.registry import AnalysisOptions, Assumptions

if TYPE_CHECKING:
    from nanscope.analysis.fixes import Fix
    from nanscope.analysis.memo import AnalysisMemo
    from nanscope.analysis.tracing.result import TraceResult

GRAPH_SUFFIXES = (".pb", ".pbtxt")
SEVERITY = "warning"
DEFAULT_MAX_OPS = 500_000


@dataclass(frozen=True)
class CheckOptions:
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # input/variable name -> (lo, hi)
    project_root: Path | None = None      # default: the checked file's folder
    interpreter: str | None = None        # Python that traces scripts; default: this one
    trace_timeout: float = 60.0
    analysis: AnalysisOptions = field(default_factory=AnalysisOptions)
    weight_range: tuple[float, float] | None = None   # None: trained weights are unbounded
    range_origins: Mapping[str, str] = field(default_factory=dict)   # why a range in `ranges` holds
    # The epsilon quick fixes add or clip with: one value for every dtype, or dtype name -> value;
    # None: a default per dtype (nanscope.analysis.fixes.numbers.DEFAULT_EPS).
    eps: float | Mapping[str, float] | None = None
    # Graphs with more ops than this are not analysed (a clear error instead of unbounded time and memory;
    # issue 6). None: no limit.
    max_ops: int | None = DEFAULT_MAX_OPS

    def assumptions(self) -> Assumptions:
        ranges = {name: Interval(float(lo), float(hi)) for name, (lo, hi) in self.ranges.items()}
        origins = dict(self.range_origins)
        if self.weight_range is None:
            return Assumptions(ranges=ranges, origins=origins)
        return Assumptions(ranges=ranges, origins=origins, weight_range=Interval(*map(float, self.weight_range)))


def check_file(path: Path, options: CheckOptions = CheckOptions(), *, memo: AnalysisMemo | None = None) -> Report:
    path = Path(path).resolve()
    if path.suffix in GRAPH_SUFFIXES:
        return check_graph_file(path, options, memo=memo)
    return check_script(path, options, memo=memo)


def check_file_with_fixes(path: Path, options: CheckOptions = CheckOptions()
                          ) -> tuple[Report, dict[Finding, list[Fix]]]:
    """`check_file`, plus for every finding its quick fixes, each re-checked on the rewritten graph (proven
    fixes first; the preferred one is marked)."""
    from nanscope.analysis.fixes import fixes_for_report

    report = check_file(path, options)
    return report, fixes_for_report(report)


def check_graph_file(path: Path, options: CheckOptions = CheckOptions(), *,
                     memo: AnalysisMemo | None = None) -> Report:
    started = time.perf_counter()
    try:
        graph = load_graph_file(path, max_ops=options.max_ops)
    except GraphLoadError as error:
        return Report(source=path, errors=[str(error)])
    return analyse_graph(graph, path, options, locations={}, started=started, memo=memo)


def check_script(path: Path, options: CheckOptions = CheckOptions(), *, memo: AnalysisMemo | None = None) -> Report:
    from nanscope.analysis.tracing.runner import trace_script

    started = time.perf_counter()
    if not path.is_file():
        return Report(source=path, errors=[f"{path}: no such file"])
    project_root = (options.project_root or path.parent).resolve()
    trace = trace_script(path, interpreter=options.interpreter or sys.executable, project_root=project_root,
                         timeout=options.trace_timeout)
    return check_trace(path, trace, options, started=started, memo=memo)


def check_entry_point(path: Path, function: str | None, options: CheckOptions = CheckOptions(), *,
                      memo: AnalysisMemo | None = None) -> Report:
    """Check an entry point of `[tool.nanscope] entry-points`: a script, or `file.py:function`, which
    imports the file as a module (below the project root, by default the folder it is imported from) and
    traces what `function()` builds or returns."""
    from dataclasses import replace

    from nanscope.analysis.tracing.entry_points import import_root
    from nanscope.analysis.tracing.result import EntryPoint
    from nanscope.analysis.tracing.runner import trace_entry_point

    if function is None:
        return check_script(path, options, memo=memo)
    started = time.perf_counter()
    path = Path(path).resolve()
    if not path.is_file():
        return Report(source=path, errors=[f"{path}: no such file"])
    project_root = Path(options.project_root or import_root(path)).resolve()
    trace = trace_entry_point(EntryPoint(path, function), interpreter=options.interpreter or sys.executable,
                              project_root=project_root, timeout=options.trace_timeout)
    return check_trace(path, trace, replace(options, project_root=project_root), started=started, memo=memo)


def check_trace(path: Path, trace: TraceResult, options: CheckOptions = CheckOptions(), *,
                started: float | None = None, memo: AnalysisMemo | None = None) -> Report:
    """Map and analyse what tracing `path` produced (the language server traces with its own worker)."""
    from nanscope.analysis.sourcemap import SourceMapper

    started = time.perf_counter() if started is None else started
    project_root = (options.project_root or path.parent).resolve()
    reason = _clear_reason(trace)
    errors = [] if trace.error is None else [f"tracing {path.name} {trace.status}: {reason}"]
    if trace.graph is None:
        return Report(source=path, errors=errors or [f"tracing {path.name} produced no graph"],
                      stats=Stats(0, 0, time.perf_counter() - started))
    if options.max_ops is not None and len(trace.graph) > options.max_ops:   # issue 6: bounded time and memory
        errors.append(f"the graph traced from {path.name} is too large to analyse: {len(trace.graph)} ops, more "
                      f"than the limit of {options.max_ops} (--max-ops)")
        return Report(source=path, errors=errors, stats=Stats(0, 0, time.perf_counter() - started))
    mapper = SourceMapper(project_root)
    locations = mapper.locate_ops(trace.graph, trace.frames)
    report = analyse_graph(trace.graph, path, _with_traced_ranges(options, trace), locations=locations,
                           started=started, memo=memo)
    report.errors[:0] = errors
    if trace.error is not None and trace.error_frames:
        report.failure = mapper.locate_failure(trace.error_frames)
    return report


def _clear_reason(trace: TraceResult) -> str | None:
    """The one-line reason of a failed trace. Issue 6: a SyntaxError comes without a "Traceback" header, so
    `failure_message` is its `File "...", line N` line; the exception line ("SyntaxError: ...") says more."""
    reason = trace.failure_message or trace.error
    if reason and reason.startswith("File ") and trace.error:
        exception_lines = [line for line in trace.error.splitlines() if line.strip() and not line.startswith(" ")
                           and not line.startswith("File ")]
        if exception_lines:
            return exception_lines[-1].strip()
    return reason


def _with_traced_ranges(options: CheckOptions, trace: TraceResult) -> CheckOptions:
    """Ranges in order of precedence: an inline `# nanscope: range=[lo, hi]` annotation, then the ranges
    given by flags or configuration, then the min and max of the data the script fed first."""
    from dataclasses import replace

    ranges: dict[str, tuple[float, float]] = {}
    origins: dict[str, str] = {}
    for name, bounds in trace.observed_ranges.items():
        ranges[name] = bounds
        origins[name] = f"observed in the data the script fed ({trace.observed_sources.get(name, 'first batch')})"
    for name, bounds in options.ranges.items():
        ranges[name] = bounds
        origins[name] = options.range_origins.get(name, "given range")
    for name, bounds in trace.annotated_ranges.items():
        ranges[name] = bounds
        annotation = trace.range_annotations.get(name)
        origins[name] = f"annotated on line {annotation.line}" if annotation else "annotated in the source"
    if not ranges:
        return options
    return replace(options, ranges=ranges, range_origins=origins)


def analyse_graph(graph: Graph, source: Path, options: CheckOptions, *, locations: Mapping[str, Location],
                  started: float | None = None, memo: AnalysisMemo | None = None) -> Report:
    with gc_paused():
        return _analyse_graph(graph, source, options, locations=locations, started=started, memo=memo)


def _analyse_graph(graph: Graph, source: Path, options: CheckOptions, *, locations: Mapping[str, Location],
                   started: float | None = None, memo: AnalysisMemo | None = None) -> Report:
    started = time.perf_counter() if started is None else started
    interpreter = Interpreter(graph, options.assumptions(), options.analysis, memo=memo)
    env = interpreter.run()
    results = run_checks(graph, env)
    if options.analysis.split:
        results = split_and_recheck(interpreter, env, results)
    report = Report(source=source, graph=graph, locations=dict(locations), options=options)
    sources = _SourceAssumptions(graph, env, interpreter.context.assumptions, locations)
    report.findings, report.suppressed = _unsuppressed(_findings(results, locations, sources))
    report.proven_safe = [ProvenSafe(r.name, r.node.op, _location_of(r, locations),
                                     (r.input_range.lo, r.input_range.hi), r.split_on)
                          for r in results if not r.unsafe]
    report.ops = _op_infos(graph, env, results, locations)
    unsupported = set(env.unsupported).union(*(body.env.unsupported for body in env.bodies))
    report.unsupported_ops = sorted(unsupported)
    if unsupported:
        report.notes.append(f"{len(unsupported)} op types have no transformer and were treated as unbounded: "
                            f"{', '.join(sorted(unsupported))}")
    if env.failed:
        report.notes.append(f"{len(env.failed)} ops could not be analysed and were treated as unbounded: "
                            + ", ".join(sorted(env.failed)[:10]))
    report.stats = Stats(ops=len(graph), unsafe_ops=len(results), seconds=time.perf_counter() - started)
    return report


def _location_of(result: CheckResult, locations: Mapping[str, Location]) -> Location | None:
    # A gradient op is created inside the optimizer's call; the bug lives at the forward op's source line.
    if result.gradient_of is not None:
        found = locations.get(result.prefix + result.gradient_of) or locations.get(result.gradient_of)
        if found is not None:
            return found
    return locations.get(result.name) or locations.get(result.node.name)


def _unsuppressed(findings: list[Finding]) -> tuple[list[Finding], int]:
    """The findings not silenced by a `# nanscope: ignore[...]` comment on a line of their expression, and
    how many were silenced."""
    comments: dict[Path, Mapping[int, str]] = {}
    kept = []
    for finding in findings:
        location = finding.location
        if location is not None:
            path = Path(location.path)
            if path not in comments:
                comments[path] = _comments_of(path)
            if is_suppressed(finding.code, location.span.line, location.span.end_line, comments[path]):
                continue
        kept.append(finding)
    return kept, len(findings) - len(kept)


def _comments_of(path: Path) -> Mapping[int, str]:
    try:
        with tokenize.open(path) as handle:     # honours the coding cookie, like the source mapper
            return comments_by_line(handle.read())
    except (OSError, SyntaxError, UnicodeDecodeError):
        return {}


SOURCE_OPS = {"Placeholder": "input", "PlaceholderWithDefault": "input", "VariableV2": "weight",
              "Variable": "weight", "VarHandleOp": "weight"}
MAX_ASSUMPTIONS = 8


class _SourceAssumptions:
    """For an op, the placeholders and variables upstream of it and the ranges assumed for them."""

    def __init__(self, graph: Graph, env: Environment, assumptions: Assumptions, locations: Mapping[str, Location]):
        self.graph, self.env, self.assumptions, self.locations = graph, env, assumptions, locations

    def upstream_of(self, name: str) -> tuple[Assumption, ...]:
        found: list[Assumption] = []
        seen = {name}
        queue = deque([name])
        while queue and len(found) < MAX_ASSUMPTIONS:
            node = self.graph.get(queue.popleft())
            if node is None:
                continue
            kind = SOURCE_OPS.get(node.op)
            if kind is not None:
                dtype = node.attr("dtype") or node.output_dtype()
                lookup = self.assumptions.for_input if kind == "input" else self.assumptions.for_variable
                interval, origin = lookup(node.name, dtype)
                found.append(Assumption(node.name, kind, (interval.lo, interval.hi), origin,
                                        self.locations.get(node.name)))
                continue
            for ref in node.inputs:
                if ref.node not in seen:
                    seen.add(ref.node)
                    queue.append(ref.node)
        return tuple(found)


def _op_infos(graph: Graph, env: Environment, results: Sequence[CheckResult],
              locations: Mapping[str, Location]) -> list[OpInfo]:
    verdicts = {r.node.name: "unsafe" if r.unsafe else "safe" for r in results}
    infos = []
    for node in graph:
        location = locations.get(node.name)
        if location is None:
            continue
        value = env.value(TensorRef(node.name, 0))
        infos.append(OpInfo(node.name, node.op, location, (value.interval.lo, value.interval.hi), value.shape,
                            value.dtype.name, verdicts.get(node.name)))
    return infos


def _findings(results: Sequence[CheckResult], locations: Mapping[str, Location],
              sources: _SourceAssumptions) -> list[Finding]:
    """One finding per unsafe op, except that a gradient op failing where its forward op is already
    reported is folded into the forward finding's message (one cause, one squiggle)."""
    unsafe = [r for r in results if r.unsafe]
    reported_forward = {r.name for r in unsafe if r.gradient_of is None}
    folded: dict[str, list[CheckResult]] = {}
    for r in unsafe:
        if r.gradient_of is not None and r.prefix + r.gradient_of in reported_forward:
            folded.setdefault(r.prefix + r.gradient_of, []).append(r)
    findings = []
    for r in unsafe:
        if r.gradient_of is not None and r.prefix + r.gradient_of in reported_forward:
            continue
        message = r.message()
        extra = folded.get(r.name, [])
        if extra:
            message += "; its gradient fails too (" + ", ".join(f"{g.node.op}" for g in extra) + ")"
        findings.append(Finding(code=r.spec.code, severity=SEVERITY, message=message, op_name=r.name,
                                op_type=r.node.op, input_range=(r.input_range.lo, r.input_range.hi),
                                location=_location_of(r, locations), gradient_of=r.gradient_of,
                                assumptions=sources.upstream_of(r.node.name) if not r.prefix else ()))
    findings.sort(key=lambda f: (str(f.location.path) if f.location else "",
                                 (f.location.span.line, f.location.span.column) if f.location else (0, 0), f.code))
    return findings
