"""A nanscope server process whose engine is a fast, scriptable stand-in (for scheduling tests).

The fake engine reads the file when it is called and obeys comment directives in it:
`# fake-sleep: SECONDS` (take that long, after reading the file), `# fake-raise` (the engine crashes),
`# fake-error: TEXT` (a Report error), `# fake-elsewhere` (one more finding located in another file).
Every `log(...)` call in the file becomes an NS101 warning whose message carries the run number (counted
per server process), the `# fake-tag: TAG` value of the file and the project root the server passed.
"""
from __future__ import annotations

import itertools
import re
import time
from pathlib import Path

from nanscope.analysis.report import Finding, Location, Report, Span
from nanscope.server.__main__ import main
from nanscope.server.settings import Settings

_runs = itertools.count(1)


def fake_check(path: Path, settings: Settings, project_root: Path | None) -> Report:
    run = next(_runs)
    text = path.read_text(encoding="utf-8")
    if sleep := re.search(r"# fake-sleep: ([0-9.]+)", text):
        time.sleep(float(sleep.group(1)))
    if "# fake-raise" in text:
        raise RuntimeError("the fake engine exploded")
    tag = tag_match.group(1) if (tag_match := re.search(r"# fake-tag: (\S+)", text)) else "-"

    report = Report(source=path)
    for number, line in enumerate(text.splitlines(), start=1):
        for call in re.finditer(r"log\([^)]*\)", line):
            report.findings.append(Finding(
                code="NS101", severity="warning", op_name="Log", op_type="Log", input_range=(0.0, 1.0),
                message=f"fake log finding, run {run}, tag {tag}, root {project_root}",
                location=Location(path, Span(number, call.start(), number, call.end())),
            ))
    if "# fake-elsewhere" in text:
        report.findings.append(Finding(
            code="NS101", severity="error", op_name="Log_1", op_type="Log", input_range=(0.0, 1.0),
            message="in another file",
            location=Location(path.with_name("other.py"), Span(1, 0, 1, 3)),
        ))
    report.errors.extend(m.group(1) for m in re.finditer(r"# fake-error: (.+)", text))
    return report


if __name__ == "__main__":
    main(check=fake_check)
