"""A nanscope server process whose engine is a fast, scriptable stand-in (for protocol and scheduling tests).

The fake engine has the real engine's two steps. Its *trace* reads the entry file and obeys:
`# fake-trace-sleep: SECONDS` (take that long; a cancelled trace stops early), `# fake-imports: a.py b.py`
(the result depends on these files, next to the entry, besides those it imports),
`# fake-trace-fail: REASON` (the trace fails with
a traceback ending in `ValueError: REASON`), `# fake-output: TEXT` (what the traced program printed).
Its *analysis* re-reads the entry file and obeys `# fake-sleep: SECONDS` (take that long, after reading),
`# fake-raise` (the engine crashes), `# fake-error: TEXT` (a Report error), `# fake-elsewhere` (one more
finding located in other.py) and `# fake-assume: NAME LINE` (each finding rests on the input NAME created at
LINE of the entry). Every `log(...)` call in the entry file and in the files it imports becomes an NS101
warning (and an op, for hovers) whose message carries the analysis run number and the trace number
(both counted per server process), the `# fake-tag: TAG` value of the entry file and the project root.
"""
from __future__ import annotations

import itertools
import re
import threading
import time
from pathlib import Path

from nanscope.analysis.report import Assumption, Finding, Location, OpInfo, ProvenSafe, Report, Span, Stats
from nanscope.analysis.tracing.worker import TraceCancelled
from nanscope.server.__main__ import main
from nanscope.server.engine import Traced, static_imports
from nanscope.server.settings import Settings

_runs = itertools.count(1)
_traces = itertools.count(1)


class FakeEngine:
    def __init__(self) -> None:
        self.trace_numbers: dict[Path, int] = {}

    def start(self, settings: Settings) -> None:
        pass

    def stop(self, final: bool = True) -> None:
        pass

    def trace(self, entry: Path, settings: Settings, root: Path | None, cancel: threading.Event,
              function: str | None = None) -> Traced:
        number = next(_traces)
        text = entry.read_text(encoding="utf-8")
        if sleep := re.search(r"# fake-trace-sleep: ([0-9.]+)", text):
            if cancel.wait(float(sleep.group(1))):
                raise TraceCancelled(str(entry))
        files = {entry.resolve(), *static_imports(entry, root, function)}    # as the real engine does
        if imports := re.search(r"# fake-imports: (.+)", text):
            files.update((entry.parent / name).resolve() for name in imports.group(1).split())
        output = "\n".join(re.findall(r"# fake-output: (.+)", text))
        self.trace_numbers[entry.resolve()] = number
        if fail := re.search(r"# fake-trace-fail: (.+)", text):
            error = ('Traceback (most recent call last):\n  File "model.py", line 1, in <module>\n'
                     f"ValueError: {fail.group(1)}")
            return Traced(entry.resolve(), frozenset(files), "failed", error, output, 0.01)
        return Traced(entry.resolve(), frozenset(files), "stopped-at-session-run", None, output, 0.01)

    def analyse(self, traced: Traced, settings: Settings, root: Path | None) -> Report:
        run = next(_runs)
        path = traced.entry
        text = path.read_text(encoding="utf-8")
        if sleep := re.search(r"# fake-sleep: ([0-9.]+)", text):
            time.sleep(float(sleep.group(1)))
        if "# fake-raise" in text:
            raise RuntimeError("the fake engine exploded")
        tag = tag_match.group(1) if (tag_match := re.search(r"# fake-tag: (\S+)", text)) else "-"
        trace = self.trace_numbers.get(path, 0)
        assumptions = tuple(
            Assumption(name, "input", (float("-inf"), float("inf")), "any float32 value",
                       Location(path, Span(int(line), 0, int(line), len(name))))
            for name, line in re.findall(r"# fake-assume: (\S+) (\d+)", text))

        report = Report(source=path, stats=Stats(ops=0, unsafe_ops=0, seconds=0.0))
        files = [path, *sorted(f for f in traced.files if f != path)]
        for file in files:
            try:
                file_text = file.read_text(encoding="utf-8")
            except OSError:
                continue
            # Python's line numbers: read_text made every break a \n, and a form feed is no break
            for number, line in enumerate(file_text.split("\n"), start=1):
                for index, call in enumerate(re.finditer(r"log\([^)]*\)", line)):
                    location = Location(file, Span(number, call.start(), number, call.end()))
                    op_name = f"Log_{file.stem}_{number}_{index}"
                    report.findings.append(Finding(
                        code="NS101", severity="warning", op_name=op_name, op_type="Log", input_range=(0.0, 1.0),
                        message=f"fake log finding, run {run}, tag {tag}, root {root}, trace {trace}",
                        location=location, assumptions=assumptions))
                    report.ops.append(OpInfo(op_name, "Log", location, (float("-inf"), 0.0), (None, 10),
                                             "float32", "unsafe"))
                for call in re.finditer(r"sqrt\([^)]*\)", line):
                    location = Location(file, Span(number, call.start(), number, call.end()))
                    op_name = f"Sqrt_{file.stem}_{number}"
                    report.proven_safe.append(ProvenSafe(op_name, "Sqrt", location, (0.0, 4.0)))
                    report.ops.append(OpInfo(op_name, "Sqrt", location, (0.0, 2.0), (3,), "float32", "safe"))
        if "# fake-elsewhere" in text:
            report.findings.append(Finding(
                code="NS101", severity="error", op_name="Log_1", op_type="Log", input_range=(0.0, 1.0),
                message="in another file",
                location=Location(path.with_name("other.py"), Span(1, 0, 1, 3)),
            ))
        if traced.failed:
            report.errors.append(f"tracing {path.name} {traced.status}: {traced.error}")
        report.errors.extend(m.group(1) for m in re.finditer(r"# fake-error: (.+)", text))
        return report


if __name__ == "__main__":
    main(engine=FakeEngine())
