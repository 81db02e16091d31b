"""The text format: compiler-style lines grouped by file, the source line with a caret under the call,
colour only on a terminal (NO_COLOR / FORCE_COLOR / --color), errors and notes on stderr."""
from __future__ import annotations

import io

from output_helpers import GRAPHS, located_report, run_of

from nanscope.analysis.output import text
from nanscope.analysis.report import Span


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_caret_under_the_span_keeps_tabs_and_stops_at_the_line_end():
    assert text.caret_line("\tratio = tf.reduce_sum(x / d)", Span(1, 23, 1, 28)) == "\t" + " " * 22 + "^^^^^"
    assert text.caret_line("loss = f(", Span(1, 7, 2, 3)) == " " * 7 + "^^"          # continues below
    assert text.caret_line("abc", Span(1, 1, 1, 1)) == " ^"                           # never empty
    assert text.caret_line("abc", Span(1, 9, 1, 12)) == "   ^"                        # beyond the text


def test_findings_with_source_lines_and_carets(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    text.write(run_of(located_report(tmp_path), root=tmp_path), out, err, show_safe=True)
    lines = out.getvalue().splitlines()
    assert lines[0] == "model.py:5:24: NS105 RealDiv input may be = 0, 100% sure: a, b [op truediv]"
    assert lines[1:4] == ["  |", "5 | \tratio = tf.reduce_sum(x / d)", "  | \t" + " " * 22 + "^^^^^"]
    assert lines[4:9] == ["model.py:6:23: NS101 Log input may be <= 0", "second line [op Log]",
                          "  |", "6 | loss = tf.reduce_mean(", "  | " + " " * 22 + "^"]
    assert lines[9] == "model.py:3:5: proven safe: Sqrt [op Sqrt]"
    assert lines[-1] == "model.py: 2 findings; 1 of 3 unsafe ops proven safe (12 ops, 0.50 s)"
    assert "\x1b[" not in out.getvalue()
    assert err.getvalue() == "model.py: note: 1 op types have no transformer\n"


def test_colour_follows_the_terminal_and_the_environment(tmp_path):
    assert text.use_color(Terminal(), {}) and not text.use_color(io.StringIO(), {})
    assert not text.use_color(Terminal(), {"NO_COLOR": "1"})
    assert text.use_color(io.StringIO(), {"FORCE_COLOR": "1"})
    assert not text.use_color(io.StringIO(), {"FORCE_COLOR": "0"})
    assert not text.use_color(Terminal(), {"NO_COLOR": "1", "FORCE_COLOR": "1"})     # NO_COLOR wins
    assert text.use_color(Terminal(), {"NO_COLOR": ""})                               # empty: not set
    assert not text.use_color(Terminal(), {"TERM": "dumb"})
    out = Terminal()
    text.write(run_of(located_report(tmp_path), root=tmp_path), out, io.StringIO())
    assert "\x1b[1;33mNS105\x1b[0m" in out.getvalue()


def test_corpus_is_grouped_by_file_in_path_order(cli, corpus):
    code, out, err = cli("check", "graphs", cwd=corpus.parent)
    assert code == 1
    summaries = [line.split(":")[0] for line in out.splitlines() if " unsafe ops proven safe " in line]
    assert summaries == [f"graphs/{name}" for name in sorted(GRAPHS)]
    groups = out.strip().split("\n\n")
    assert len(groups) == len(GRAPHS)
    for group, name in zip(groups, sorted(GRAPHS)):
        codes = {line.split(" ")[1] for line in group.splitlines() if line.startswith(f"graphs/{name}: NS")}
        assert codes == GRAPHS[name]
    assert "note: 1 op types have no transformer" in err


def test_color_flag_overrides_detection(cli, corpus, monkeypatch):
    code, out, _ = cli("check", "--color", "always", "graphs/unsafe_ops.pbtxt", cwd=corpus.parent)
    assert code == 1 and "\x1b[1;33mNS105\x1b[0m" in out
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" in cli("check", "graphs/unsafe_ops.pbtxt")[1]
    assert "\x1b[" not in cli("check", "--color", "never", "graphs/unsafe_ops.pbtxt")[1]
