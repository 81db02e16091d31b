"""Unit tests of nanscope.server.convert: report -> LSP diagnostics, code points -> UTF-16 columns."""
from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from nanscope.analysis.report import Finding, Location, Report, Span
from nanscope.server.convert import SOURCE, code_units, report_to_diagnostics, span_to_range

DOC = Path("/project/model.py")


def finding(span: Span | None, path: Path = DOC, severity: str = "warning", code: str = "NS101") -> Finding:
    location = None if span is None else Location(path, span)
    return Finding(code=code, severity=severity, message="log of a value that can be 0", op_name="Log",
                   op_type="Log", input_range=(0.0, 1.0), location=location)


def test_ascii_line_keeps_columns_and_makes_lines_zero_based():
    lines = ["import tensorflow as tf\n", "z = tf.log(y)\n"]
    start = lines[1].index("tf.log(y)")
    report = Report(source=DOC, findings=[finding(Span(2, start, 2, start + 9))])

    [diagnostic] = report_to_diagnostics(report, DOC, lines)

    assert diagnostic.range == types.Range(types.Position(1, start), types.Position(1, start + 9))
    assert diagnostic.code == "NS101"
    assert diagnostic.source == SOURCE == "nanscope"
    assert diagnostic.severity == types.DiagnosticSeverity.Warning
    assert diagnostic.message == "log of a value that can be 0"


def test_emoji_before_the_call_counts_two_utf16_units():
    line = 'label = "😀"; z = tf.log(y)\n'
    column = line.index("tf.log(y)")          # code points: the emoji is one
    lines = ["# model\n", line]
    report = Report(source=DOC, findings=[finding(Span(2, column, 2, column + 9))])

    [diagnostic] = report_to_diagnostics(report, DOC, lines)

    assert diagnostic.range.start == types.Position(1, column + 1)
    assert diagnostic.range.end == types.Position(1, column + 10)
    assert line.encode("utf-16-le")[2 * (column + 1):2 * (column + 10)].decode("utf-16-le") == "tf.log(y)"


def test_other_position_encodings():
    text = 'é😀x'
    assert code_units(text, types.PositionEncodingKind.Utf16) == 4
    assert code_units(text, types.PositionEncodingKind.Utf8) == 2 + 4 + 1
    assert code_units(text, types.PositionEncodingKind.Utf32) == 3
    assert code_units(text, None) == 4   # unknown: the LSP default, UTF-16


def test_severity_mapping():
    lines = ["z = tf.log(y)\n"]
    report = Report(source=DOC, findings=[finding(Span(1, 4, 1, 13), severity="error"),
                                          finding(Span(1, 4, 1, 13), severity="warning")])
    severities = [d.severity for d in report_to_diagnostics(report, DOC, lines)]
    assert severities == [types.DiagnosticSeverity.Error, types.DiagnosticSeverity.Warning]


def test_findings_in_another_file_are_not_published_on_this_document():
    lines = ["z = tf.log(y)\n"]
    report = Report(source=DOC, findings=[finding(Span(1, 4, 1, 13), path=Path("/project/layers.py")),
                                          finding(Span(1, 4, 1, 13))])
    diagnostics = report_to_diagnostics(report, DOC, lines)
    assert len(diagnostics) == 1


def test_same_file_through_a_different_spelling(tmp_path):
    doc = tmp_path / "model.py"
    doc.write_text("z = tf.log(y)\n", encoding="utf-8")
    report = Report(source=doc, findings=[finding(Span(1, 4, 1, 13), path=tmp_path / "." / "model.py")])
    assert len(report_to_diagnostics(report, doc, ["z = tf.log(y)\n"])) == 1


def test_finding_without_location_is_shown_at_the_top():
    report = Report(source=DOC, findings=[finding(None)])
    [diagnostic] = report_to_diagnostics(report, DOC, ["x = 1\n"])
    assert diagnostic.range == types.Range(types.Position(0, 0), types.Position(0, 0))
    assert "Log" in diagnostic.message


def test_spans_past_the_text_are_clamped():
    lines = ["ab\n", "cd\r\n"]
    assert span_to_range(Span(2, 1, 2, 99), lines) == types.Range(types.Position(1, 1), types.Position(1, 2))
    assert span_to_range(Span(7, 0, 9, 1), lines) == types.Range(types.Position(1, 2), types.Position(1, 2))
    assert span_to_range(Span(1, 0, 1, 1), []) == types.Range(types.Position(0, 0), types.Position(0, 0))
