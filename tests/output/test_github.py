"""The GitHub Actions format: one workflow command per finding with file, line, columns and the rule code as
title; values escaped as the runner expects; errors as ::error; statistics as a ::notice."""
from __future__ import annotations

import io

from output_helpers import GRAPHS, located_report, run_of

from nanscope.analysis.output import github
from nanscope.analysis.report import Report


def test_escaping():
    assert github.escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert github.command("warning", "m: x, y", file="a,b.py", line=3, col=None) == \
        "::warning file=a%2Cb.py,line=3::m: x, y"
    assert github.command("notice", "plain") == "::notice::plain"


def test_findings_errors_and_statistics(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = located_report(tmp_path)
    broken = Report(source=tmp_path / "broken.py", errors=["tracing broken.py failed:\nSyntaxError: x"])
    out, err = io.StringIO(), io.StringIO()
    github.write(run_of(report, broken, root=tmp_path), out, err, statistics=True)
    lines = out.getvalue().splitlines()
    assert lines[0] == ("::warning file=model.py,line=5,col=24,endLine=5,endColumn=29,title=NS105::"
                        "RealDiv input may be = 0, 100%25 sure: a, b [op truediv]")
    # a span over two lines: no columns (GitHub takes them only on one line); the newline is escaped
    assert lines[1] == "::warning file=model.py,line=6,endLine=7,title=NS101::Log input may be <= 0%0Asecond line [op Log]"
    assert lines[2] == "::error file=broken.py,title=nanscope::tracing broken.py failed:%0ASyntaxError: x"
    assert lines[3].startswith("::notice title=nanscope::3 unsafe ops: 2 warnings, 1 proven safe (33%25)")
    assert lines[3].endswith("%0ANS101: 1, NS105: 1") and len(lines) == 4
    assert err.getvalue() == "model.py: note: 1 op types have no transformer\n"


def test_corpus(cli, corpus):
    code, out, err = cli("check", "--format", "github", "graphs", cwd=corpus.parent)
    assert code == 1
    commands = out.splitlines()
    assert all(line.startswith("::warning file=graphs/") for line in commands)
    found = {(line.split(",")[0].removeprefix("::warning file="), line.split("title=")[1].split("::")[0])
             for line in commands}
    assert found == {(f"graphs/{name}", code) for name, codes in GRAPHS.items() for code in codes}
