"""The `nanscope` command line: `check` files and print findings as text or JSON; `trace` a script to a
graph file.

Exit codes: 0 no findings, 1 findings, 2 usage error or a file that could not be analysed at all.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Sequence

from nanscope.analysis.api import GRAPH_SUFFIXES, CheckOptions, check_file
from nanscope.analysis.report import Finding, Report
from nanscope.analysis.transformers.registry import TENSOR_MODES, AnalysisOptions

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
JSON_VERSION = 1


class UsageError(Exception):
    pass


def parse_range(text: str) -> tuple[str, tuple[float, float]]:
    """NAME=LO:HI, where LO and HI are numbers or -inf / inf."""
    name, sep, bounds = text.rpartition("=")
    lo_text, colon, hi_text = bounds.partition(":")
    if not sep or not name or not colon:
        raise UsageError(f"--range {text!r}: expected NAME=LO:HI, for example x=0:1 or logits=-inf:inf")
    try:
        lo, hi = float(lo_text), float(hi_text)
    except ValueError:
        raise UsageError(f"--range {text!r}: LO and HI must be numbers, -inf or inf") from None
    if math.isnan(lo) or math.isnan(hi) or lo > hi:
        raise UsageError(f"--range {text!r}: LO must not exceed HI")
    return name, (lo, hi)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nanscope", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="find ops that may produce NaN or Inf")
    check.add_argument("paths", nargs="+", type=Path, help="Python scripts (traced) or .pb/.pbtxt graph files")
    check.add_argument("--range", dest="ranges", action="append", default=[], metavar="NAME=LO:HI",
                       help="range of a graph input or variable (repeatable); -inf and inf allowed")
    check.add_argument("--weight-range", metavar="LO:HI", help="range assumed for every trained float weight "
                       "without its own --range (default: unbounded; the DEBAR paper assumed -1:1)")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--show-safe", action="store_true", help="also list the ops proven safe (text format)")
    check.add_argument("--timeout", type=float, default=120.0, help="seconds a script may run while tracing")
    check.add_argument("--interpreter", help="Python that runs the traced scripts (default: this one)")
    check.add_argument("--tensor", choices=TENSOR_MODES, default="partition",
                       help="tensor abstraction: partition (split points from ops), smash (one interval per "
                       "tensor) or expand (one interval per element)")
    check.add_argument("--relations", choices=("affine", "none"), default="affine",
                       help="track affine equality relations between tensors (default) or intervals only")
    check.add_argument("--no-split", action="store_true", help="do not re-check unsafe ops by splitting "
                       "a value's range at 0")
    check.add_argument("--block-limit", type=int, default=AnalysisOptions.block_limit,
                       help="partition mode: tensors with more blocks are smashed")
    check.add_argument("--project-root", type=Path, help="folder whose files findings point into "
                       "(default: each script's folder)")
    trace = commands.add_parser("trace", help="trace a script and save its graph as .pb or .pbtxt")
    trace.add_argument("script", type=Path)
    trace.add_argument("-o", "--output", type=Path, required=True, help="graph file to write (.pb or .pbtxt)")
    trace.add_argument("--timeout", type=float, default=120.0)
    trace.add_argument("--interpreter")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse already printed the usage message
        return EXIT_CLEAN if exit_.code == 0 else EXIT_ERROR
    try:
        if args.command == "trace":
            return run_trace(args)
        return run_check(args)
    except UsageError as error:
        print(f"nanscope: error: {error}", file=sys.stderr)
        return EXIT_ERROR


def run_check(args: argparse.Namespace) -> int:
    ranges = dict(parse_range(text) for text in args.ranges)
    for path in args.paths:
        if not path.exists():
            raise UsageError(f"{path}: no such file")
        if path.suffix not in GRAPH_SUFFIXES + (".py",):
            raise UsageError(f"{path}: expected a .py script or a .pb/.pbtxt graph file")
    if args.block_limit < 1:
        raise UsageError("--block-limit must be at least 1")
    analysis = AnalysisOptions(tensor=args.tensor, relations=args.relations == "affine", split=not args.no_split,
                               block_limit=args.block_limit)
    weight_range = parse_range(f"weights={args.weight_range}")[1] if args.weight_range else None
    options = CheckOptions(ranges=ranges, project_root=args.project_root, interpreter=args.interpreter,
                           trace_timeout=args.timeout, analysis=analysis, weight_range=weight_range)
    reports = [check_file(path, options) for path in args.paths]
    if args.format == "json":
        print(json.dumps(to_json(reports), indent=2))
    else:
        print_text(reports, show_safe=args.show_safe)
    if any(r.errors and r.stats.ops == 0 for r in reports):
        return EXIT_ERROR
    return EXIT_FINDINGS if any(r.findings for r in reports) else EXIT_CLEAN


def run_trace(args: argparse.Namespace) -> int:
    from nanscope.analysis.graph.loader import save_graph_file
    from nanscope.analysis.tracing.runner import trace_script

    if not args.script.is_file():
        raise UsageError(f"{args.script}: no such file")
    if args.output.suffix not in GRAPH_SUFFIXES:
        raise UsageError(f"{args.output}: the output must end in .pb or .pbtxt")
    result = trace_script(args.script.resolve(), interpreter=args.interpreter or sys.executable,
                          project_root=args.script.resolve().parent, timeout=args.timeout)
    if result.error:
        print(f"{args.script}: tracing {result.status}: {result.error}", file=sys.stderr)
    if result.graph_bytes is None:
        return EXIT_ERROR
    save_graph_file(result.graph_bytes, args.output)
    print(f"{args.output}: {len(result.graph)} ops")
    return EXIT_CLEAN


# -- output -------------------------------------------------------------------------------------------

def _display_path(path: Path) -> str:
    """Relative to the working directory when the file lies below it, else absolute."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _bound(value: float) -> float | str:
    """JSON has no infinity: unbounded sides are the strings "-inf" and "inf"."""
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def _finding_json(report: Report, finding: Finding) -> dict:
    location = finding.location
    span = location.span if location else None
    return {
        "path": _display_path(location.path if location else report.source),
        "line": span.line if span else None,
        "column": span.column + 1 if span else None,
        "end_line": span.end_line if span else None,
        "end_column": span.end_column + 1 if span else None,
        "code": finding.code,
        "severity": finding.severity,
        "message": finding.message,
        "op_name": finding.op_name,
        "op_type": finding.op_type,
        "input_range": [_bound(finding.input_range[0]), _bound(finding.input_range[1])],
        "gradient_of": finding.gradient_of,
        "assumptions": [{"name": a.name, "kind": a.kind, "range": [_bound(a.range[0]), _bound(a.range[1])],
                         "origin": a.origin,
                         "path": _display_path(a.location.path) if a.location else None,
                         "line": a.location.span.line if a.location else None} for a in finding.assumptions],
    }


def to_json(reports: Sequence[Report]) -> dict:
    return {
        "version": JSON_VERSION,
        "findings": [_finding_json(r, f) for r in reports for f in r.findings],
        "proven_safe": [{"op_name": s.op_name, "op_type": s.op_type,
                         "path": _display_path(s.location.path if s.location else r.source),
                         "line": s.location.span.line if s.location else None}
                        for r in reports for s in r.proven_safe],
        "stats": {"ops": sum(r.stats.ops for r in reports),
                  "unsafe_ops": sum(r.stats.unsafe_ops for r in reports),
                  "seconds": round(sum(r.stats.seconds for r in reports), 3),
                  "unsupported_ops": sorted({op for r in reports for op in r.unsupported_ops})},
        "errors": [f"{_display_path(r.source)}: {e}" for r in reports for e in r.errors],
        "notes": [f"{_display_path(r.source)}: {n}" for r in reports for n in r.notes],
    }


def print_text(reports: Sequence[Report], show_safe: bool = False) -> None:
    for report in reports:
        source = _display_path(report.source)
        for error in report.errors:
            print(f"{source}: error: {error}", file=sys.stderr)
        for finding in report.findings:
            if finding.location:
                span = finding.location.span
                where = f"{_display_path(finding.location.path)}:{span.line}:{span.column + 1}"
            else:
                where = source
            print(f"{where}: {finding.code} {finding.message} [op {finding.op_name}]")
        if show_safe:
            for safe in report.proven_safe:
                where = f"{_display_path(safe.location.path)}:{safe.location.span.line}:{safe.location.span.column + 1}" \
                    if safe.location else source
                print(f"{where}: proven safe: {safe.op_type} [op {safe.op_name}]")
        for note in report.notes:
            print(f"{source}: note: {note}", file=sys.stderr)
        if report.stats.ops:
            count = len(report.findings)
            print(f"{source}: {count} finding{'s' if count != 1 else ''}; {len(report.proven_safe)} of "
                  f"{report.stats.unsafe_ops} unsafe ops proven safe ({report.stats.ops} ops, "
                  f"{report.stats.seconds:.2f} s)")


if __name__ == "__main__":
    sys.exit(main())
