"""Suppression comments (`# nanscope: ignore[NS101]`) honoured by the analysis, the edit that adds one, and
applying edits to text (line breaks kept, overlaps refused), diffs."""
from __future__ import annotations

import pytest
from fix_helpers import op

from nanscope.analysis.checks import ALL_CODES, comments_by_line, ignored_codes, is_suppressed
from nanscope.analysis.fixes import EditConflict, SourceFile, TextEdit, apply_edits, ignore_edit, unified_diff
from nanscope.analysis.report import Span


def log_at_line_3(comment=""):
    source = f"import tensorflow as tf\nx = make()\nloss = tf.log(x){comment}\n"
    return source, [op("x", "Placeholder", line=2), op("Log", "Log", "x", line=3)]


@pytest.mark.parametrize("comment,silenced", [
    ("  # nanscope: ignore[NS101]", True),
    ("  # nanscope: ignore", True),
    ("  #nanscope:ignore[ns105, NS101]", True),
    ("  # why: the input is a count  # nanscope: ignore[NS101]", True),
    ("  # nanscope: ignore[NS105]", False),
    ("  # nanscope is great", False),
    ("", False),
])
def test_ignore_comment_drops_the_finding_and_counts_it(snippet, comment, silenced):
    result = snippet(*log_at_line_3(comment))
    assert (result.report.findings == []) is silenced
    assert result.report.suppressed == (1 if silenced else 0)


def test_a_directive_inside_a_string_does_not_count(snippet):
    source = "import tensorflow as tf\nx = make()\nloss = tf.log(x); s = '# nanscope: ignore'\n"
    result = snippet(source, [op("x", "Placeholder", line=2), op("Log", "Log", "x", line=3)])
    assert len(result.report.findings) == 1 and result.report.suppressed == 0


def test_directive_on_any_line_of_a_multi_line_expression(snippet):
    source = "import tensorflow as tf\nx = make()\nloss = tf.log(\n    x)  # nanscope: ignore[NS101]\n"
    result = snippet(source, [op("x", "Placeholder", line=2), op("Log", "Log", "x", line=3)])
    assert result.report.findings == [] and result.report.suppressed == 1


def test_directive_parsing():
    assert ignored_codes("# nanscope: ignore") is ALL_CODES
    assert ignored_codes("# nanscope: ignore[NS101,NS105]") == {"NS101", "NS105"}
    assert ignored_codes("# nanscope: ignored") == frozenset()
    assert ignored_codes("# noqa") == frozenset()
    comments = comments_by_line("a = 1  # nanscope: ignore[NS101]\nb = '# nanscope: ignore'\n")
    assert comments == {1: "# nanscope: ignore[NS101]"}
    assert is_suppressed("NS101", 1, 1, comments) and not is_suppressed("NS105", 1, 1, comments)
    assert not is_suppressed("NS101", 2, 2, comments)


def test_ignore_action_edit_is_honoured_by_the_analysis(snippet, tmp_path):
    result = snippet(*log_at_line_3())
    source = SourceFile(result.path, result.path.read_text(encoding="utf-8"))
    edit = ignore_edit(source, result.finding)
    assert edit == TextEdit(Span(3, 16, 3, 16), "  # nanscope: ignore[NS101]")
    silenced = apply_edits(source.text, [edit])
    assert silenced.split("\n")[2] == "loss = tf.log(x)  # nanscope: ignore[NS101]"
    again = snippet(silenced, log_at_line_3()[1])
    assert again.report.findings == [] and again.report.suppressed == 1


def test_ignore_edit_extends_an_existing_list_and_replaces_trailing_blanks(snippet):
    result = snippet(*log_at_line_3("  # nanscope: ignore[NS105]"))
    source = SourceFile(result.path, result.path.read_text(encoding="utf-8"))
    edit = ignore_edit(source, result.finding)
    assert apply_edits(source.text, [edit]).split("\n")[2] == "loss = tf.log(x)  # nanscope: ignore[NS105, NS101]"

    result = snippet(*log_at_line_3("   "))
    source = SourceFile(result.path, result.path.read_text(encoding="utf-8"))
    assert apply_edits(source.text, [ignore_edit(source, result.finding)]).split("\n")[2] == \
        "loss = tf.log(x)  # nanscope: ignore[NS101]"


def test_ignore_edit_avoids_a_line_continued_by_a_backslash(snippet):
    source = "import tensorflow as tf\nx = make()\nloss = tf.log(x) + \\\n    1.0\n"
    result = snippet(source, [op("x", "Placeholder", line=2), op("Log", "Log", "x", line=3)])
    # The reported call sits on a line that ends with a backslash, and the comment cannot go there.
    assert ignore_edit(SourceFile(result.path, source), result.finding) is None


def test_apply_edits_keeps_crlf_and_refuses_overlaps():
    text = "a = f(x)\r\nb = g(\r\n    y)\r\n"
    edited = apply_edits(text, [TextEdit(Span(1, 6, 1, 7), "h(x,\n  1)"), TextEdit(Span(3, 4, 3, 5), "z")])
    assert edited == "a = f(h(x,\r\n  1))\r\nb = g(\r\n    z)\r\n"
    with pytest.raises(EditConflict):
        apply_edits(text, [TextEdit(Span(1, 4, 1, 8), "u"), TextEdit(Span(1, 6, 1, 7), "v")])
    with pytest.raises(EditConflict):
        apply_edits(text, [TextEdit(Span(9, 0, 9, 1), "u")])


def test_unified_diff():
    diff = unified_diff("m.py", "a = 1\nb = 2\n", "a = 1\nb = 3\n")
    assert diff.splitlines() == ["--- a/m.py", "+++ b/m.py", "@@ -1,2 +1,2 @@", " a = 1", "-b = 2", "+b = 3"]
    assert unified_diff("m.py", "same\n", "same\n") == ""
