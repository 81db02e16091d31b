"""`--statistics`: how many findings of each rule code, and the DEBAR paper's summary of a run: unsafe ops
looked at, warnings (findings), ops proven safe, and the time taken, per file and in total."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TextIO

from nanscope.analysis.checks import SPEC_BY_CODE
from nanscope.analysis.output.common import Run, display_path, plural


@dataclass(frozen=True)
class FileRow:
    path: str
    ops: int
    unsafe_ops: int
    warnings: int
    proven_safe: int
    seconds: float


@dataclass(frozen=True)
class Summary:
    files: int
    ops: int
    unsafe_ops: int              # ops a check looked at
    warnings: int                # findings reported
    proven_safe: int
    seconds: float               # wall-clock time of the run
    analysis_seconds: float      # the files' own times added up (tracing and analysis)
    jobs: int
    codes: dict[str, int] = field(default_factory=dict)      # rule code -> findings, sorted by code
    rows: tuple[FileRow, ...] = ()
    failed_files: int = 0        # files with errors
    skipped_files: int = 0
    suppressed: int = 0          # findings silenced by `# nanscope: ignore[...]` comments

    def to_json(self) -> dict:
        return {"files": self.files, "ops": self.ops, "unsafe_ops": self.unsafe_ops, "warnings": self.warnings,
                "proven_safe": self.proven_safe, "seconds": round(self.seconds, 3),
                "analysis_seconds": round(self.analysis_seconds, 3), "jobs": self.jobs, "codes": self.codes,
                "failed_files": self.failed_files, "skipped_files": self.skipped_files,
                "suppressed": self.suppressed,
                "files_table": [{"path": r.path, "ops": r.ops, "unsafe_ops": r.unsafe_ops, "warnings": r.warnings,
                                 "proven_safe": r.proven_safe, "seconds": round(r.seconds, 3)} for r in self.rows]}


def summarise(run: Run) -> Summary:
    counts = Counter(finding.code for _, finding in run.findings)
    rows = tuple(FileRow(display_path(r.source), r.stats.ops, r.stats.unsafe_ops, len(r.findings), len(r.proven_safe),
                         r.stats.seconds) for r in run.reports)
    return Summary(files=len(run.reports), ops=sum(r.ops for r in rows), unsafe_ops=sum(r.unsafe_ops for r in rows),
                   warnings=sum(r.warnings for r in rows), proven_safe=sum(r.proven_safe for r in rows),
                   seconds=run.seconds, analysis_seconds=sum(r.seconds for r in rows), jobs=run.jobs,
                   codes=dict(sorted(counts.items())), rows=rows,
                   failed_files=sum(1 for r in run.reports if r.errors), skipped_files=len(run.skipped),
                   suppressed=sum(r.suppressed for r in run.reports))


def headline(summary: Summary) -> str:
    """One line: `6 unsafe ops: 1 warning, 5 proven safe (83%); 2 files, 208 ops in 3.1 s (-j 2)`."""
    share = f" ({100 * summary.proven_safe / summary.unsafe_ops:.0f}%)" if summary.unsafe_ops else ""
    extra = []
    if summary.suppressed:
        extra.append(f"{summary.suppressed} suppressed")
    if summary.failed_files:
        extra.append(f"{plural(summary.failed_files, 'file')} with errors")
    if summary.skipped_files:
        extra.append(f"{summary.skipped_files} skipped")
    return (f"{plural(summary.unsafe_ops, 'unsafe op')}: {plural(summary.warnings, 'warning')}, "
            f"{summary.proven_safe} proven safe{share}; {plural(summary.files, 'file')}, "
            f"{plural(summary.ops, 'op')} in {summary.seconds:.1f} s (-j {summary.jobs})"
            + ("; " + ", ".join(extra) if extra else ""))


def write_text(summary: Summary, out: TextIO) -> None:
    """The per-code counts, a per-file table like the paper's, and the headline."""
    if summary.codes:
        width = max(len(str(n)) for n in summary.codes.values())
        for code, count in summary.codes.items():
            spec = SPEC_BY_CODE.get(code)
            print(f"{code}  {count:>{width}}  {spec.title if spec else ''}".rstrip(), file=out)
        print(file=out)
    if summary.rows:
        header = ("file", "ops", "unsafe ops", "warnings", "proven safe", "time")
        total = FileRow(f"total ({plural(summary.files, 'file')})", summary.ops, summary.unsafe_ops,
                        summary.warnings, summary.proven_safe, summary.analysis_seconds)
        cells = [header] + [(r.path, str(r.ops), str(r.unsafe_ops), str(r.warnings), str(r.proven_safe),
                             f"{r.seconds:.2f} s") for r in (*summary.rows, total)]
        widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
        for row in cells:
            print("  ".join([row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]),
                  file=out)
        print(file=out)
    print(headline(summary), file=out)
