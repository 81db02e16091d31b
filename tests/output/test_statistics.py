"""--statistics: findings per rule code and the paper's summary (unsafe ops, warnings, proven safe, time)."""
from __future__ import annotations

import io

from output_helpers import located_report, run_of

from nanscope.analysis.output.statistics import headline, summarise, write_text
from nanscope.analysis.report import Report, Stats


def test_summary_counts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = located_report(tmp_path)
    other = Report(source=tmp_path / "b.pbtxt", stats=Stats(7, 2, 0.25), suppressed=1)
    summary = summarise(run_of(report, other, root=tmp_path))
    assert summary.codes == {"NS101": 1, "NS105": 1}
    assert (summary.files, summary.ops, summary.unsafe_ops, summary.warnings, summary.proven_safe) == (2, 19, 5, 2, 1)
    assert summary.analysis_seconds == 0.75 and summary.seconds == 1.25 and summary.suppressed == 1
    assert headline(summary) == ("5 unsafe ops: 2 warnings, 1 proven safe (20%); 2 files, 19 ops in 1.2 s (-j 2); "
                                 "1 suppressed")
    out = io.StringIO()
    write_text(summary, out)
    lines = out.getvalue().splitlines()
    assert lines[:2] == ["NS101  1  log of a value that may be zero or negative",
                         "NS105  1  division by a value that may be zero"]
    assert lines[3].split() == ["file", "ops", "unsafe", "ops", "warnings", "proven", "safe", "time"]
    assert lines[4].split() == ["model.py", "12", "3", "2", "1", "0.50", "s"]
    assert lines[6].split() == ["total", "(2", "files)", "19", "5", "2", "1", "0.75", "s"]
    assert lines[-1] == headline(summary)


def test_text_statistics_on_the_corpus(cli, corpus):
    code, out, _ = cli("check", "--statistics", "-j", "2", "graphs", cwd=corpus.parent)
    assert code == 1
    tail = out.split("\n\n")[-3:]
    assert tail[0].splitlines() == ["NS101  1  log of a value that may be zero or negative",
                                    "NS103  1  exp of a value large enough to overflow",
                                    "NS105  1  division by a value that may be zero",
                                    "NS107  1  square root of a value that may be negative"]
    assert tail[2].startswith("15 unsafe ops: 4 warnings, 10 proven safe (67%); 4 files, 219 ops in ")
