"""Conversion of nanscope reports into LSP diagnostics and hovers.

The only module that knows both our report types (`nanscope.analysis.report`) and lsprotocol types.
It owns the position conversion: a report `Span` has 1-based lines and 0-based columns counted in Unicode
code points; an LSP `Position` has 0-based lines and columns counted in the negotiated position encoding
(UTF-16 code units unless the client chose otherwise). Columns are converted by reading the text of the
line in the document, so a character outside the Basic Multilingual Plane (an emoji) before a call counts
as two UTF-16 units.

A diagnostic carries: the rule code with `codeDescription.href` (the rule page: `Style.rules_url` + CODE.md;
by default the `docs/rules/` folder next to the installed package, as a file: URI, when it exists), the
message with the inferred input range, `relatedInformation` with one entry per assumption the verdict rests
on ("x is assumed in [-inf, inf] (any float32 value)", at the line that creates x), the severity
configured for the code, and `data` naming the op (for code actions). Two diagnostics are not findings,
both Information: "unsupported-ops" at the top of the entry point (op types treated as unbounded), and
"trace-failed" at the line where the traced script failed (the partial graph was analysed).
"""
from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from lsprotocol import types

from nanscope.analysis.report import Assumption, Finding, Location, OpInfo, ProvenSafe, Report, Span

SOURCE = "nanscope"
RULES_DIR = Path(__file__).resolve().parents[1] / "docs" / "rules"

_SEVERITIES = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}
LinesFor = Callable[[Path], "Sequence[str] | None"]


@dataclass(frozen=True)
class Style:
    """How findings become diagnostics (from the settings and the client's capabilities)."""
    severity: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))   # code -> level/"off"
    rules_url: str | None = None          # base URL of the rule pages; None: the bundled docs/rules
    related_information: bool = True      # False: the client ignores it, so the message names the assumptions
    encoding: str = types.PositionEncodingKind.Utf16
    shows: Callable[[str], bool] = lambda code: True    # rule selection (select/ignore)


def same_path_key(path: Path | str) -> str:
    """A key under which two spellings of one file compare equal."""
    return os.path.normcase(os.path.realpath(path))


def diagnostics_by_file(report: Report, entry: Path, lines_for: LinesFor, style: Style = Style()
                        ) -> dict[str, tuple[Path, list[types.Diagnostic]]]:
    """Every finding of `report` as a diagnostic on the file it is located in, keyed by `same_path_key`.

    A finding without a location (no frame of the op lies in the project) is shown at the start of the
    entry point, so that a possible NaN is never hidden. Findings whose code is configured "off", or not
    selected (`select`/`ignore`), are left out.
    """
    result: dict[str, tuple[Path, list[types.Diagnostic]]] = {}
    for finding in report.findings:
        level = style.severity.get(finding.code, finding.severity)
        if level == "off" or not style.shows(finding.code):
            continue
        path = Path(finding.location.path) if finding.location is not None else entry
        key = same_path_key(path)
        if finding.location is None:
            rng = _node_line(finding.op_name, lines_for(entry)) if entry.suffix == ".pbtxt" else None
            rng = rng or types.Range(types.Position(0, 0), types.Position(0, 0))
        else:
            rng = span_to_range(finding.location.span, lines_for(path), style.encoding)
        related = _related(finding, lines_for, style)
        graph_file = entry.suffix in (".pb", ".pbtxt")
        result.setdefault(key, (path, []))[1].append(
            finding_to_diagnostic(finding, rng, style, related, graph_file=graph_file))
    if report.unsupported_ops:
        result.setdefault(same_path_key(entry), (entry, []))[1].append(unsupported_ops_diagnostic(report))
    if report.failure is not None and report.errors:
        path = Path(report.failure.path)
        rng = span_to_range(report.failure.span, lines_for(path), style.encoding)
        result.setdefault(same_path_key(path), (path, []))[1].append(trace_failure_diagnostic(report.errors[0], rng))
    return result


def trace_failure_diagnostic(message: str, rng: types.Range) -> types.Diagnostic:
    """One information diagnostic at the line where the traced script failed, with the exception message
    (`Report.failure`, `Report.errors[0]`): the findings come from the graph built before that line."""
    return types.Diagnostic(range=rng, message=message, severity=types.DiagnosticSeverity.Information, source=SOURCE,
                            code="trace-failed")


def unsupported_ops_diagnostic(report: Report) -> types.Diagnostic:
    """One information diagnostic at the top of the entry point naming the op types without a transformer:
    their outputs were treated as unbounded, which can cost precision (never soundness)."""
    names = ", ".join(report.unsupported_ops)
    count = len(report.unsupported_ops)
    return types.Diagnostic(
        range=types.Range(types.Position(0, 0), types.Position(0, 0)),
        message=f"nanscope has no transformer for {count} op type{'s' if count != 1 else ''} of this graph "
                f"({names}); their outputs were treated as unbounded",
        severity=types.DiagnosticSeverity.Information, source="nanscope", code="unsupported-ops")


def _node_line(op_name: str, lines: Sequence[str] | None) -> types.Range | None:
    """In a text GraphDef, the line naming the node `op_name` (its `name: "..."` field)."""
    needle = f'name: "{op_name}"'
    for index, line in enumerate(lines or ()):
        text = _strip_eol(line)
        if text.strip() == needle:
            start = len(text) - len(text.lstrip())
            return types.Range(types.Position(index, start), types.Position(index, len(text)))
    return None


def report_to_diagnostics(report: Report, document_path: Path, lines: Sequence[str],
                          encoding: str = types.PositionEncodingKind.Utf16, style: Style | None = None
                          ) -> list[types.Diagnostic]:
    """The diagnostics of `report` that belong on the document at `document_path` (whose text is `lines`)."""
    style = Style(encoding=encoding) if style is None else style
    own = same_path_key(document_path)

    def lines_for(path: Path) -> Sequence[str] | None:
        return lines if same_path_key(path) == own else _read_lines(path)

    return diagnostics_by_file(report, document_path, lines_for, style).get(own, (document_path, []))[1]


def finding_to_diagnostic(finding: Finding, rng: types.Range, style: Style = Style(),
                          related: list[types.DiagnosticRelatedInformation] | None = None,
                          graph_file: bool = False) -> types.Diagnostic:
    message = finding.message
    if "inferred range" not in message and "inferred input range" not in message:
        message = f"{message} (inferred input range {format_range(finding.input_range)})"
    if graph_file:
        message = f"{message} [op {finding.op_name}]"
    elif finding.location is None:
        message = f"{message} (op {finding.op_name}: not created by code in this project)"
    if not style.related_information and finding.assumptions:
        message += "; assumes " + "; ".join(f"{a.name} in {format_range(a.range)} ({a.origin})"
                                            for a in finding.assumptions)
    data = {"op": finding.op_name, "opType": finding.op_type}
    if finding.gradient_of is not None:
        data["gradientOf"] = finding.gradient_of
    level = style.severity.get(finding.code, finding.severity)
    href = rule_url(finding.code, style.rules_url)
    return types.Diagnostic(
        range=rng,
        message=message,
        severity=_SEVERITIES.get(level, types.DiagnosticSeverity.Warning),
        code=finding.code,
        code_description=types.CodeDescription(href=href) if href else None,
        source=SOURCE,
        related_information=related or None,
        data=data,
    )


def _related(finding: Finding, lines_for: LinesFor, style: Style) -> list[types.DiagnosticRelatedInformation]:
    related = []
    for assumption in finding.assumptions:
        location = assumption.location or finding.location
        if location is None:
            continue
        rng = span_to_range(location.span, lines_for(Path(location.path)), style.encoding)
        related.append(types.DiagnosticRelatedInformation(
            location=types.Location(uri=Path(location.path).as_uri(), range=rng),
            message=assumption_text(assumption)))
    return related


def assumption_text(assumption: Assumption) -> str:
    return f"{assumption.name} is assumed in {format_range(assumption.range)} ({assumption.origin})"


def format_range(bounds: tuple[float, float] | None) -> str:
    if bounds is None:
        return "[?]"
    return f"[{_number(bounds[0])}, {_number(bounds[1])}]"


def _number(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def rule_url(code: str, base: str | None) -> str | None:
    """The rule page of `code`: `base`/CODE.md, or the bundled page when there is no base."""
    if base:
        return f"{base.rstrip('/')}/{code}.md"
    return _bundled_rule(code)


@lru_cache(maxsize=64)
def _bundled_rule(code: str) -> str | None:
    page = RULES_DIR / f"{code}.md"
    return page.as_uri() if page.is_file() else None


# -- positions -------------------------------------------------------------------------------------------

def span_to_range(span: Span, lines: Sequence[str] | None,
                  encoding: str = types.PositionEncodingKind.Utf16) -> types.Range:
    """LSP range of a report span; positions past the end of the text are clamped onto it. Without the
    text (`lines` None: the file cannot be read) code points are taken as code units."""
    if lines is None:
        return types.Range(types.Position(max(span.line - 1, 0), max(span.column, 0)),
                           types.Position(max(span.end_line - 1, 0), max(span.end_column, 0)))
    return types.Range(
        start=_position(span.line, span.column, lines, encoding),
        end=_position(span.end_line, span.end_column, lines, encoding),
    )


def _position(line: int, column: int, lines: Sequence[str], encoding: str) -> types.Position:
    index = line - 1
    if not lines:
        return types.Position(0, 0)
    if index < 0:
        return types.Position(0, 0)
    if index >= len(lines):
        last = len(lines) - 1
        return types.Position(last, code_units(_strip_eol(lines[last]), encoding))
    text = _strip_eol(lines[index])
    return types.Position(index, code_units(text[: max(column, 0)], encoding))


def code_units(text: str, encoding: str = types.PositionEncodingKind.Utf16) -> int:
    """Length of `text` in the units of a position encoding (utf-16, utf-8 or utf-32)."""
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8"))
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    # UTF-16 is the LSP default and the fallback for anything unknown.
    return len(text.encode("utf-16-le")) // 2


def codepoint_column(text: str, units: int, encoding: str = types.PositionEncodingKind.Utf16) -> int:
    """The code-point column of an LSP `character` offset into `text` (the inverse of `code_units`)."""
    text = _strip_eol(text)
    counted = 0
    for index, character in enumerate(text):
        if counted >= units:
            return index
        counted += code_units(character, encoding)
    return len(text)


_LSP_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def lsp_lines(text: str) -> list[str]:
    """The lines of `text` as LSP counts them (with their line breaks): only \\n, \\r\\n and \\r end a
    line, as in editors and in Python's own line numbers; `str.splitlines` would also break at a form
    feed or U+2028 and move every position below it."""
    return _LSP_LINE.findall(text)


def _strip_eol(line: str) -> str:
    return line.rstrip("\r\n")


def _read_lines(path: Path) -> list[str] | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return lsp_lines(handle.read())
    except OSError:
        return None


# -- hover -----------------------------------------------------------------------------------------------

MAX_HOVER_OPS = 8


def ops_to_hover(ops: Sequence[OpInfo], findings: Iterable[Finding], proven: Iterable[ProvenSafe],
                 rng: types.Range) -> types.Hover:
    """Markdown for the ops one call created: each op's output range, shape and dtype; for a checked op its
    verdict, and for an unsafe one the finding's message and the assumptions it rests on."""
    by_op: dict[str, Finding] = {}
    for finding in findings:
        by_op.setdefault(finding.op_name, finding)
        if finding.gradient_of:
            by_op.setdefault(finding.gradient_of, finding)
    safe = {p.op_name: p for p in proven}
    lines = ["**nanscope**", ""]
    for op in ops[:MAX_HOVER_OPS]:
        shape = "unknown" if op.shape is None else "[" + ", ".join("?" if d is None else str(d) for d in op.shape) + "]"
        lines.append(f"- `{op.op_name}` ({op.op_type}): output in {format_range(op.output_range)}, "
                     f"shape {shape}, {op.dtype}")
        finding = by_op.get(op.op_name)
        if finding is not None:
            lines.append(f"  - **unsafe** ({finding.code}): {finding.message}")
            lines.extend(f"  - {assumption_text(a)}" for a in finding.assumptions)
        elif op.op_name in safe:
            proof = safe[op.op_name]
            split = f", by splitting `{proof.split_on}` at 0" if proof.split_on else ""
            lines.append(f"  - proven safe: its input stays in {format_range(proof.input_range)}{split}")
        elif op.verdict == "unsafe":
            lines.append("  - **unsafe**")
    if len(ops) > MAX_HOVER_OPS:
        lines.append(f"- and {len(ops) - MAX_HOVER_OPS} more ops")
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n".join(lines)),
                       range=rng)


def span_contains(span: Span, line: int, column: int) -> bool:
    """Whether the code-point position (1-based line, 0-based column) lies in the span (end inclusive)."""
    if line < span.line or line > span.end_line:
        return False
    if line == span.line and column < span.column:
        return False
    if line == span.end_line and column > span.end_column:
        return False
    return True


def location_key(location: Location) -> str:
    return same_path_key(location.path)
