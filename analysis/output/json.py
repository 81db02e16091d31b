"""`--format json`: one JSON object, the stable contract (version 1) documented in the README.

The keys and their order are the contract; new keys may be added. Keys this module adds beyond the
original contract appear only when they have content or were asked for: `skipped` (files passed over,
with why) and `statistics` (with --statistics).
"""
from __future__ import annotations

import json
from typing import Sequence, TextIO

from nanscope.analysis.output.common import Run, bound, display_path, finding_path
from nanscope.analysis.report import Finding, Report

JSON_VERSION = 1


def finding_json(report: Report, finding: Finding) -> dict:
    location = finding.location
    span = location.span if location else None
    return {
        "path": display_path(finding_path(report, finding)),
        "line": span.line if span else None,
        "column": span.column + 1 if span else None,
        "end_line": span.end_line if span else None,
        "end_column": span.end_column + 1 if span else None,
        "code": finding.code,
        "severity": finding.severity,
        "message": finding.message,
        "op_name": finding.op_name,
        "op_type": finding.op_type,
        "input_range": [bound(finding.input_range[0]), bound(finding.input_range[1])],
        "gradient_of": finding.gradient_of,
        "assumptions": [{"name": a.name, "kind": a.kind, "range": [bound(a.range[0]), bound(a.range[1])],
                         "origin": a.origin,
                         "path": display_path(a.location.path) if a.location else None,
                         "line": a.location.span.line if a.location else None} for a in finding.assumptions],
    }


def to_json(reports: Sequence[Report]) -> dict:
    """The version-1 document for `reports` (without the optional keys)."""
    return {
        "version": JSON_VERSION,
        "findings": [finding_json(r, f) for r in reports for f in r.findings],
        "proven_safe": [{"op_name": s.op_name, "op_type": s.op_type,
                         "path": display_path(s.location.path if s.location else r.source),
                         "line": s.location.span.line if s.location else None}
                        for r in reports for s in r.proven_safe],
        "stats": {"ops": sum(r.stats.ops for r in reports),
                  "unsafe_ops": sum(r.stats.unsafe_ops for r in reports),
                  "seconds": round(sum(r.stats.seconds for r in reports), 3),
                  "unsupported_ops": sorted({op for r in reports for op in r.unsupported_ops})},
        "errors": [f"{error_position(r, i)}: {e}" for r in reports for i, e in enumerate(r.errors)],
        "notes": [f"{display_path(r.source)}: {n}" for r in reports for n in r.notes],
        "suppressed": sum(r.suppressed for r in reports),
    }


def error_position(report, index: int) -> str:
    """`path`, or `path:line:column` for the first error when the traced script's failing line is known."""
    if index == 0 and report.failure is not None:
        span = report.failure.span
        return f"{display_path(report.failure.path)}:{span.line}:{span.column + 1}"
    return display_path(report.source)


def run_json(run: Run, statistics: bool = False) -> dict:
    from nanscope.analysis.output.statistics import summarise

    payload = to_json(run.reports)
    if run.skipped:
        payload["skipped"] = [{"path": display_path(s.path), "reason": s.reason} for s in run.skipped]
    if statistics:
        payload["statistics"] = summarise(run).to_json()
    return payload


def write(run: Run, out: TextIO, err: TextIO, *, statistics: bool = False, verbose: bool = False) -> None:
    print(json.dumps(run_json(run, statistics), indent=2), file=out)
