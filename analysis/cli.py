"""The `nanscope` command line: `check` files, folders or the whole project and print findings (text, JSON,
SARIF or GitHub annotations); `trace` a script to a graph file.

This module parses arguments and dispatches: configuration, discovery and parallel checking live in
`nanscope.analysis.project`, the output formats in `nanscope.analysis.output`, quick fixes in
`nanscope.analysis.fixes`.

Exit codes: 0 no findings, 1 findings (0 with --exit-zero), 2 usage, configuration or internal error, or a
file that could not be analysed at all.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import math
import sys
import time
import tokenize
import traceback
from pathlib import Path
from typing import Any, Sequence

from nanscope.analysis import output, project
from nanscope.analysis.api import GRAPH_SUFFIXES, CheckOptions
from nanscope.analysis.output.common import display_path
from nanscope.analysis.output.json import JSON_VERSION  # noqa: F401  (re-exported: part of the contract)
from nanscope.analysis.output.progress import Progress
from nanscope.analysis.report import Report
from nanscope.analysis.transformers.registry import TENSOR_MODES

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


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
    # Defaults are None: a flag that is not given leaves the value of [tool.nanscope] (or the default).
    check.add_argument("paths", nargs="*", type=Path, help="Python scripts (traced), .pb/.pbtxt graph files or "
                       "folders (searched); none: the project's entry points, else its model files")
    check.add_argument("--range", dest="ranges", action="append", default=[], metavar="NAME=LO:HI",
                       help="range of a graph input or variable (repeatable); -inf and inf allowed")
    check.add_argument("--weight-range", metavar="LO:HI", help="range assumed for every trained float weight "
                       "without its own --range (default: unbounded; the DEBAR paper assumed -1:1)")
    check.add_argument("--format", choices=output.FORMATS, help="output format (default: text)")
    check.add_argument("--output-file", type=Path, metavar="FILE", help="write the output to FILE instead of "
                       "standard output")
    check.add_argument("--statistics", action="store_true", default=None, help="also print the findings per "
                       "rule code and a summary: unsafe ops, warnings, proven safe, time")
    check.add_argument("--show-safe", action="store_true", default=None,
                       help="also list the ops proven safe (text format)")
    check.add_argument("--select", action="append", metavar="CODES", help="report only these rule codes or "
                       "prefixes, comma-separated (NS101,NS105 or NS1)")
    check.add_argument("--ignore", action="append", metavar="CODES", help="do not report these rule codes or "
                       "prefixes, comma-separated")
    check.add_argument("--exclude", action="append", metavar="GLOB", help="skip files and folders matching "
                       "GLOB (repeatable; replaces the configured list)")
    check.add_argument("--respect-gitignore", action=argparse.BooleanOptionalAction, default=None,
                       help="skip files that .gitignore ignores when searching folders (default: yes)")
    check.add_argument("-j", "--jobs", type=int, metavar="N", help="check up to N files at once "
                       "(default 0: the number of cores)")
    check.add_argument("--exit-zero", action="store_true", default=None,
                       help="exit with 0 even when there are findings (errors still exit with 2)")
    check.add_argument("--config", type=Path, metavar="FILE", help="read [tool.nanscope] from FILE instead of "
                       "the nearest pyproject.toml")
    check.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                       help="colour the text output (auto: on a terminal, honouring NO_COLOR and FORCE_COLOR)")
    check.add_argument("--rules-url", metavar="URL", help="base URL of the rule pages for SARIF helpUri "
                       "(default: docs/rules/ in the repository)")
    check.add_argument("-v", "--verbose", action="store_true", help="list every file skipped while searching")
    check.add_argument("--timeout", type=float, help="seconds a script may run while tracing (default: 60)")
    check.add_argument("--interpreter", help="Python that runs the traced scripts (default: this one)")
    check.add_argument("--max-ops", type=int, metavar="N", help="do not analyse graphs of more than N ops "
                       "(default: 500000)")   # issue 6: the graph-size limit as a setting
    check.add_argument("--tensor", choices=TENSOR_MODES,
                       help="tensor abstraction: partition (split points from ops; default), smash (one interval "
                       "per tensor) or expand (one interval per element)")
    check.add_argument("--relations", choices=project.RELATIONS,
                       help="track affine equality relations between tensors (default) or intervals only")
    check.add_argument("--split", action=argparse.BooleanOptionalAction, default=None, help="re-check unsafe "
                       "ops by splitting a value's range at 0 (default: yes)")
    check.add_argument("--block-limit", type=int, help="partition mode: tensors with more blocks are smashed "
                       "(default: 64)")
    check.add_argument("--project-root", type=Path, help="folder whose files findings point into "
                       "(default: each script's folder)")
    fixing = check.add_mutually_exclusive_group()
    fixing.add_argument("--fix", action="store_true", help="apply the preferred proven fix of every finding "
                        "to the source files, in place")
    fixing.add_argument("--diff", action="store_true", help="print the preferred proven fixes as a unified "
                        "diff; change nothing")
    check.add_argument("--eps", type=float, help="epsilon that fixes add or clip with (default: per dtype, "
                       "1e-7 for float32)")
    trace = commands.add_parser("trace", help="trace a script and save its graph as .pb or .pbtxt")
    trace.add_argument("script", type=Path)
    trace.add_argument("-o", "--output", type=Path, required=True, help="graph file to write (.pb or .pbtxt)")
    trace.add_argument("--timeout", type=float, default=60.0)
    trace.add_argument("--interpreter")
    ops = commands.add_parser("ops", help="list the supported op types, or those of a graph or script that "
                              "are not supported")
    ops.add_argument("path", nargs="?", type=Path, help=".pb/.pbtxt graph or Python script (traced)")
    ops.add_argument("--format", choices=("text", "json"), default="text")
    ops.add_argument("--timeout", type=float, default=60.0)
    ops.add_argument("--interpreter")
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
        if args.command == "ops":
            from nanscope.analysis.ops_command import run_ops
            return run_ops(args.path, args.format, timeout=args.timeout, interpreter=args.interpreter)
        return run_check(args)
    except (UsageError, project.ProjectError) as error:
        print(f"nanscope: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except Exception:  # noqa: BLE001 - a bug of nanscope must exit with 2, not with 1 ("findings")
        traceback.print_exc()
        print("nanscope: internal error (the traceback above); please report it", file=sys.stderr)
        return EXIT_ERROR


def check_settings(args: argparse.Namespace) -> project.Settings:
    """[tool.nanscope] of the nearest pyproject.toml (or --config), overridden by the flags given."""
    cli: dict[str, Any] = {
        "paths": tuple(args.paths) or None,
        "ranges": dict(parse_range(text) for text in args.ranges),
        "weight_range": parse_range(f"weights={args.weight_range}")[1] if args.weight_range else None,
        "select": project.parse_codes(args.select, "--select") if args.select else None,
        "ignore": project.parse_codes(args.ignore, "--ignore") if args.ignore else None,
        "exclude": tuple(args.exclude) if args.exclude else None,
        "respect_gitignore": args.respect_gitignore,
        "format": args.format, "jobs": args.jobs, "timeout": args.timeout, "interpreter": args.interpreter,
        "tensor": args.tensor, "relations": args.relations, "split": args.split, "block_limit": args.block_limit,
        "show_safe": args.show_safe, "statistics": args.statistics, "exit_zero": args.exit_zero,
        "eps": args.eps, "project_root": args.project_root, "rules_url": args.rules_url,
    }
    if args.block_limit is not None and args.block_limit < 1:
        raise UsageError("--block-limit must be at least 1")
    if args.max_ops is not None and args.max_ops < 1:
        raise UsageError("--max-ops must be at least 1")
    if args.jobs is not None and args.jobs < 0:
        raise UsageError("--jobs must be 0 (the number of cores) or more")
    if args.timeout is not None and not (args.timeout > 0 and not math.isinf(args.timeout)):
        raise UsageError("--timeout must be a positive number of seconds")
    if args.eps is not None and not (args.eps > 0 and not math.isinf(args.eps)):
        raise UsageError("--eps must be a positive number")
    if args.output_file is not None and not args.output_file.absolute().parent.is_dir():
        raise UsageError(f"--output-file {args.output_file}: no such folder")
    return project.merge_settings(project.load_config(config_file=args.config), cli)


def run_check(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    settings = check_settings(args)
    options = settings.check_options()
    if args.max_ops is not None:       # issue 6: command line only (not a [tool.nanscope] key yet)
        options = dataclasses.replace(options, max_ops=args.max_ops)
    if args.fix or args.diff:
        if settings.format != "text":
            raise UsageError(f"--fix and --diff print text; they cannot be combined with --format {settings.format}")
        targets, _ = project.discover(settings)
        args.show_safe = settings.show_safe
        return run_fixes(args, targets, options)
    targets, skipped = project.discover(settings)
    if not targets and not skipped:
        print("nanscope: warning: no model files found to check", file=sys.stderr)
    with Progress(len(targets), sys.stderr) as progress:
        reports = project.check_targets(targets, options, settings.workers,
                                        on_done=lambda target, _: progress.advance(display_path(target.path)))
    reports, unbuilt = project.split_unbuilt(targets, reports)
    reports = project.filter_findings(reports, settings.select, settings.ignore)
    run = output.Run(reports, root=settings.project_root or settings.root, skipped=skipped + unbuilt,
                     seconds=time.perf_counter() - started, jobs=min(settings.workers, max(len(targets), 1)),
                     rules_url=settings.rules_url)
    fixes = output.sarif.engine_fixes() if settings.format == "sarif" else None
    color = {"always": True, "never": False}.get(args.color)
    with _output_stream(args.output_file) as out:
        output.write(settings.format, run, out, sys.stderr, show_safe=settings.show_safe,
                     statistics=settings.statistics, color=color, fixes=fixes, verbose=args.verbose)
    return project.exit_status(reports, exit_zero=settings.exit_zero)


@contextlib.contextmanager
def _output_stream(path: Path | None):
    if path is None:
        yield sys.stdout
        return
    try:
        handle = open(path, "w", encoding="utf-8")
    except OSError as error:
        raise UsageError(f"--output-file {path}: {error.strerror or error}") from None
    with handle:
        yield handle


def run_fixes(args: argparse.Namespace, targets: list[project.Target], options: CheckOptions) -> int:
    """--fix: apply the preferred proven fixes in place and print what was found and fixed; --diff: print
    the same changes as a unified diff on stdout (the findings go to stderr) and change nothing. Each
    target is checked the way `check` would (an entry point `file.py:function` through its function)."""
    from nanscope.analysis.fixes import fixes_for_report, select_fixes

    reports, chosen = [], []
    for target in targets:
        report = project.check_target(target, options)
        reports.append(report)
        chosen.extend(select_fixes(fixes_for_report(report)))
    if args.diff:
        with contextlib.redirect_stdout(sys.stderr):
            print_text(reports)
    else:
        print_text(reports, show_safe=args.show_safe)
    by_file: dict[Path, list] = {}
    for fix in chosen:
        by_file.setdefault(Path(fix.path), []).append(fix)
    failed = False
    fixed: set[tuple[Path, str]] = set()
    for path, fixes in by_file.items():
        if _apply_to_file(path, fixes, write=args.fix):
            fixed.update((Path(fix.path), fix.op_name) for fix in fixes)
        else:
            failed = True
    found = sum(len(r.findings) for r in reports)
    verb = "fixed" if args.fix else "would fix"
    print(f"nanscope: {verb} {len(fixed)} of {found} finding{'s' if found != 1 else ''}",
          file=sys.stderr if args.diff else sys.stdout)
    if failed or any(r.errors and r.stats.ops == 0 for r in reports):
        return EXIT_ERROR
    remaining = found - len(fixed) if args.fix else found
    return EXIT_FINDINGS if remaining else EXIT_CLEAN


def _apply_to_file(path: Path, fixes: list, write: bool) -> bool:
    """Apply the edits of `fixes` to one file (keeping its encoding and line breaks), or print them as a
    diff. False when the file cannot be read or written or the edits do not apply."""
    from nanscope.analysis.fixes import EditConflict, apply_edits, unified_diff

    try:
        raw = path.read_bytes()
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        old = raw.decode(encoding)
        new = apply_edits(old, [edit for fix in fixes for edit in fix.edits])
        if write:
            path.write_bytes(new.encode(encoding))
        else:
            sys.stdout.write(unified_diff(_display_path(path), old, new))
    except (OSError, SyntaxError, UnicodeError, EditConflict) as error:
        print(f"{_display_path(path)}: error: cannot apply fixes: {error}", file=sys.stderr)
        return False
    if write:
        for fix in fixes:
            span = fix.edits[0].span
            print(f"{_display_path(path)}:{span.line}:{span.column + 1}: fixed {fix.code}: {fix.title}")
    return True


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


# -- output (kept for callers of these names; the formats live in nanscope.analysis.output) ------------

def _display_path(path: Path) -> str:
    """Relative to the working directory when the file lies below it, else absolute."""
    return display_path(path)


def to_json(reports: Sequence[Report]) -> dict:
    """The JSON document (contract version 1) for `reports`."""
    return output.json.to_json(reports)


def print_text(reports: Sequence[Report], show_safe: bool = False) -> None:
    """The text format of `reports` on the current standard output (errors and notes on standard error)."""
    output.text.write(output.Run(list(reports), root=Path.cwd()), sys.stdout, sys.stderr, show_safe=show_safe)


if __name__ == "__main__":
    sys.exit(main())
