"""`--format sarif`: a SARIF 2.1.0 log (one run) for code-scanning services and SARIF viewers.

- `tool.driver.rules` lists every rule code with its id, a kebab-case name, short and full
  descriptions, `help` text, `helpUri` (the rule's page: `docs/rules/NSxxx.md` relative to the repository,
  or below the `rules-url` setting) and a default level of `warning`. Each result points at its rule with `ruleId` and `ruleIndex`.
- Locations use `artifactLocation.uri` relative to the project root with `uriBaseId` `%SRCROOT%`
  (`originalUriBaseIds` gives the root's absolute `file:` URI); files outside the root get an absolute
  `file:` URI. Regions are 1-based with an exclusive `endColumn`; columns count Unicode code points
  (`columnKind`). A finding in a graph file has no region.
- `fixes` are given when a fix engine is passed in (`fixes=`): the proven fixes of the finding (the preferred
  one first), as replacements of regions of the file.
- `partialFingerprints` identify a finding across runs independently of its line (rule, file, op name).
- Files that could not be analysed, notes and skipped files are `toolExecutionNotifications` of the
  invocation; `executionSuccessful` is false when some file could not be analysed at all.
"""
from __future__ import annotations

import hashlib
import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable, Sequence, TextIO
from urllib.parse import quote

from nanscope.analysis.checks import SPECS, UnsafeOpSpec
from nanscope.analysis.fixes.model import Fix
from nanscope.analysis.output.common import FixProvider, Run, bound, finding_path
from nanscope.analysis.report import Finding, Report, Span

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
ROOT_BASE_ID = "%SRCROOT%"
RULE_PAGE = "docs/rules/{code}.md"
FINGERPRINT = "nanscopeFinding/v1"

RULE_NAMES = {
    "NS101": "log-of-non-positive",
    "NS102": "log1p-at-or-below-minus-one",
    "NS103": "exp-overflow",
    "NS104": "expm1-overflow",
    "NS105": "division-by-zero",
    "NS106": "reciprocal-of-zero",
    "NS107": "sqrt-of-negative",
    "NS108": "rsqrt-of-non-positive",
    "NS109": "pow-of-non-positive-base",
    "NS110": "acos-asin-out-of-domain",
    "NS111": "atanh-out-of-domain",
    "NS112": "acosh-below-one",
    "NS113": "lgamma-digamma-at-pole",
    "NS114": "integer-division-by-zero",
}


def tool_version() -> str:
    try:
        return metadata.version("nanscope")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def rule_page(code: str, base: str | None = None) -> str:
    """`base`/CODE.md, or the page's path in the repository (`docs/rules/CODE.md`) without a base."""
    return f"{base.rstrip('/')}/{code}.md" if base else RULE_PAGE.format(code=code)


def rule_descriptor(spec: UnsafeOpSpec, rules_url: str | None = None) -> dict:
    ops = ", ".join(spec.op_types)
    full = (f"{_sentence(spec.title)} nanscope reports an op of type {ops} when the range it infers for the "
            f"op's input may be {spec.zone} ({spec.hazard}), under the stated input ranges; it proves the op "
            "safe otherwise.")
    page = rule_page(spec.code, rules_url)
    return {
        "id": spec.code,
        "name": RULE_NAMES.get(spec.code, spec.code.lower()),
        "shortDescription": {"text": _sentence(spec.title)},
        "fullDescription": {"text": full},
        "help": {"text": f"{full} See {page} for the bug, its danger zone and the usual fixes.",
                 "markdown": f"{full}\n\nSee [{spec.code}]({page}) for the bug, its danger zone and the usual fixes."},
        "helpUri": page,
        "defaultConfiguration": {"level": "warning", "enabled": True},
        "properties": {"opTypes": list(spec.op_types), "tags": ["numerical", "nan", "inf"]},
    }


def artifact_location(path: Path, root: Path) -> dict:
    """The path relative to the project root (percent-encoded, `/`-separated), else an absolute URI."""
    path = Path(path).resolve()
    try:
        relative = path.relative_to(root.resolve())
    except ValueError:
        return {"uri": path.as_uri()}
    return {"uri": quote(relative.as_posix(), safe="/"), "uriBaseId": ROOT_BASE_ID}


def region(span: Span) -> dict:
    """A report span (1-based lines, 0-based exclusive code point columns) as a 1-based SARIF region."""
    end_column = span.end_column + 1
    if span.end_line == span.line:
        end_column = max(end_column, span.column + 1)
    return {"startLine": span.line, "startColumn": span.column + 1, "endLine": max(span.end_line, span.line),
            "endColumn": end_column}


def _fingerprint(finding: Finding, uri: str) -> str:
    key = "\0".join((finding.code, uri, finding.op_name))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _fix_json(fix: Fix, root: Path) -> dict:
    title = fix.title or "Apply nanscope's fix"
    replacements = [{"deletedRegion": region(edit.span), "insertedContent": {"text": edit.new_text}}
                    for edit in fix.edits]
    return {"description": {"text": f"{title} (proven to remove the finding)"},
            "artifactChanges": [{"artifactLocation": artifact_location(fix.path, root), "replacements": replacements}]}


def fixes_for(finding: Finding, fixes: Iterable[Fix]) -> list[Fix]:
    """The proven fixes of `finding` among a report's fixes, the preferred one first."""
    own = [fix for fix in fixes
           if fix.op_name == finding.op_name and fix.code == finding.code and fix.proven and fix.edits]
    return sorted(own, key=lambda fix: not fix.preferred)


def result_json(report: Report, finding: Finding, rule_index: dict[str, int], root: Path,
                report_fixes: Sequence[Fix] = ()) -> dict:
    location = artifact_location(finding_path(report, finding), root)
    physical: dict[str, Any] = {"artifactLocation": location}
    if finding.location is not None:
        physical["region"] = region(finding.location.span)
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "level": "error" if finding.severity == "error" else "warning",
        "message": {"text": f"{finding.message} [op {finding.op_name}]"},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {FINGERPRINT: _fingerprint(finding, location["uri"])},
        "properties": {
            "opName": finding.op_name, "opType": finding.op_type,
            "inputRange": [bound(finding.input_range[0]), bound(finding.input_range[1])],
            "gradientOf": finding.gradient_of,
            "assumptions": [{"name": a.name, "kind": a.kind, "range": [bound(a.range[0]), bound(a.range[1])],
                             "origin": a.origin} for a in finding.assumptions],
        },
    }
    if finding.code in rule_index:
        result["ruleIndex"] = rule_index[finding.code]
    fixes = fixes_for(finding, report_fixes)
    if fixes:
        result["fixes"] = [_fix_json(fix, root) for fix in fixes]
    return result


def _notification(level: str, text: str, path: Path | None, root: Path) -> dict:
    note: dict[str, Any] = {"level": level, "message": {"text": text}}
    if path is not None:
        note["locations"] = [{"physicalLocation": {"artifactLocation": artifact_location(path, root)}}]
    return note


def to_sarif(run: Run, *, statistics: bool = False, fixes: FixProvider | None = None) -> dict:
    root = run.root.resolve()
    rules = [rule_descriptor(spec, run.rules_url) for spec in SPECS]
    rule_index = {rule["id"]: index for index, rule in enumerate(rules)}
    results = []
    for report in run.reports:
        report_fixes = list(fixes(report)) if fixes is not None and report.findings else []
        results.extend(result_json(report, finding, rule_index, root, report_fixes) for finding in report.findings)
    notifications = []
    for report in run.reports:
        notifications.extend(_notification("error", error, report.source, root) for error in report.errors)
        notifications.extend(_notification("note", note, report.source, root) for note in report.notes)
    notifications.extend(_notification("note", f"skipped: {s.reason}", s.path, root) for s in run.skipped)
    invocation: dict[str, Any] = {
        "executionSuccessful": not any(r.errors and r.stats.ops == 0 for r in run.reports),
        "toolExecutionNotifications": notifications,
    }
    sarif_run: dict[str, Any] = {
        "tool": {"driver": {"name": "nanscope", "version": tool_version(), "semanticVersion": tool_version(),
                            "rules": rules}},
        "originalUriBaseIds": {ROOT_BASE_ID: {"uri": root.as_uri().rstrip("/") + "/"}},
        "invocations": [invocation],
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    if statistics:
        from nanscope.analysis.output.statistics import summarise

        sarif_run["properties"] = {"statistics": summarise(run).to_json()}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [sarif_run]}


def write(run: Run, out: TextIO, err: TextIO, *, statistics: bool = False, fixes: FixProvider | None = None) -> None:
    print(json.dumps(to_sarif(run, statistics=statistics, fixes=fixes), indent=2), file=out)


def engine_fixes() -> FixProvider | None:
    """The quick-fix engine's fixes of a report (`nanscope.analysis.fixes.fixes_for_report`), or None when
    this installation has no fix engine."""
    try:
        from nanscope.analysis.fixes import fixes_for_report
    except ImportError:
        return None

    def provide(report: Report) -> list[Fix]:
        try:
            found = fixes_for_report(report)
        except Exception as error:  # noqa: BLE001 - a fix engine failure must not cost the findings
            print(f"nanscope: warning: no quick fixes for {report.source}: {type(error).__name__}: {error}",
                  file=sys.stderr)
            return []
        return [fix for fixes in found.values() for fix in fixes]
    return provide
