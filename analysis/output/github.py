"""`--format github`: GitHub Actions workflow commands, which GitHub shows as annotations on the pull
request's diff.

    ::warning file=examples/mnist_softmax.py,line=15,col=52,endLine=15,endColumn=61,title=NS101::Log input ...

Paths are relative to the working directory (a workflow runs in the checkout). Columns are 1-based and
`endColumn` is exclusive, as in the JSON output; `col`/`endColumn` are given only for a single-line span
(GitHub ignores them otherwise). A finding without a source line (a graph file) names only the file.
Files that could not be analysed become `::error` commands; with --statistics the summary becomes a
`::notice`. Values are escaped as the runner expects: `%`, CR and LF everywhere, and `:` and `,` inside
properties.
"""
from __future__ import annotations

from typing import TextIO

from nanscope.analysis.output.common import Run, display_path, finding_path
from nanscope.analysis.report import Finding, Report


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, **properties: object) -> str:
    """`::kind key=value,...::message`, leaving out properties that are None."""
    fields = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items()
                      if value is not None)
    return f"::{kind} {fields}::{escape_data(message)}" if fields else f"::{kind}::{escape_data(message)}"


def finding_command(report: Report, finding: Finding) -> str:
    kind = "error" if finding.severity == "error" else "warning"
    path = display_path(finding_path(report, finding))
    message = f"{finding.message} [op {finding.op_name}]"
    if finding.location is None:
        return command(kind, message, file=path, title=finding.code)
    span = finding.location.span
    one_line = span.end_line == span.line
    return command(kind, message, file=path, line=span.line, col=span.column + 1 if one_line else None,
                   endLine=span.end_line, endColumn=span.end_column + 1 if one_line else None, title=finding.code)


def write(run: Run, out: TextIO, err: TextIO, *, statistics: bool = False, verbose: bool = False) -> None:
    for skipped in run.skipped:
        if skipped.explicit or verbose:
            print(f"{display_path(skipped.path)}: note: skipped: {skipped.reason}", file=err)
    for report in run.reports:
        for error in report.errors:
            print(command("error", error, file=display_path(report.source), title="nanscope"), file=out)
        for finding in report.findings:
            print(finding_command(report, finding), file=out)
        for note in report.notes:
            print(f"{display_path(report.source)}: note: {note}", file=err)
    if statistics:
        from nanscope.analysis.output.statistics import headline, summarise

        summary = summarise(run)
        counts = ", ".join(f"{code}: {count}" for code, count in summary.codes.items())
        print(command("notice", headline(summary) + (f"\n{counts}" if counts else ""), title="nanscope"), file=out)
