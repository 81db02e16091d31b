"""Unit tests of nanscope.server.convert: report -> LSP diagnostics (links, related information, severities),
code points <-> UTF-16 columns, hovers."""
from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from nanscope.analysis.report import Assumption, Finding, Location, OpInfo, ProvenSafe, Report, Span
from nanscope.server.convert import (
    RULES_DIR,
    SOURCE,
    Style,
    code_units,
    codepoint_column,
    diagnostics_by_file,
    ops_to_hover,
    report_to_diagnostics,
    same_path_key,
    span_to_range,
)

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
    assert diagnostic.message == "log of a value that can be 0 (inferred input range [0, 1])"


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


def test_codepoint_column_inverts_code_units():
    line = 'label = "😀"; z = tf.log(y)\n'
    column = line.index("tf.log")
    units = code_units(line[:column])
    assert units == column + 1
    assert codepoint_column(line, units) == column
    assert codepoint_column(line, code_units(line[:column], types.PositionEncodingKind.Utf8),
                            types.PositionEncodingKind.Utf8) == column
    assert codepoint_column(line, 999) == len(line.rstrip("\n"))


def test_link_related_information_and_configured_severity(tmp_path):
    model = tmp_path / "model.py"
    model.write_text("x = tf.placeholder(tf.float32)\nz = tf.log(x)\n", encoding="utf-8")
    assumption = Assumption("x", "input", (float("-inf"), float("inf")), "any float32 value",
                            Location(model, Span(1, 4, 1, 30)))
    weight = Assumption("W", "weight", (-1.0, 1.0), "weights assumed in [-1, 1]", None)
    report = Report(source=model, findings=[Finding(
        code="NS101", severity="warning", message="Log input may be <= 0: inferred range [0, 1] (float32)",
        op_name="Log", op_type="Log", input_range=(0.0, 1.0), location=Location(model, Span(2, 4, 2, 13)),
        assumptions=(assumption, weight))])
    lines = model.read_text(encoding="utf-8").splitlines(keepends=True)

    [diagnostic] = report_to_diagnostics(report, model, lines, style=Style(severity={"NS101": "error"}))
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert diagnostic.message == "Log input may be <= 0: inferred range [0, 1] (float32)"   # no second range
    assert diagnostic.code_description.href == (RULES_DIR / "NS101.md").as_uri()
    first, second = diagnostic.related_information
    assert first.message == "x is assumed in [-inf, inf] (any float32 value)"
    assert first.location == types.Location(model.as_uri(), types.Range(types.Position(0, 4), types.Position(0, 30)))
    assert second.message == "W is assumed in [-1, 1] (weights assumed in [-1, 1])"   # no location: the finding's
    assert second.location.range.start == types.Position(1, 4)
    assert diagnostic.data == {"op": "Log", "opType": "Log"}

    # A client that ignores relatedInformation gets the assumptions in the message; "off" drops the code.
    [plain] = report_to_diagnostics(report, model, lines, style=Style(related_information=False))
    assert plain.message.endswith("; assumes x in [-inf, inf] (any float32 value); "
                                  "W in [-1, 1] (weights assumed in [-1, 1])")
    assert report_to_diagnostics(report, model, lines, style=Style(severity={"NS101": "off"})) == []
    [linked] = report_to_diagnostics(report, model, lines, style=Style(rules_url="https://x.org/r"))
    assert linked.code_description.href == "https://x.org/r/NS101.md"


def test_findings_are_grouped_by_file():
    layers = Path("/project/layers.py")
    report = Report(source=DOC, findings=[finding(Span(1, 4, 1, 13), path=layers), finding(Span(1, 0, 1, 1)),
                                          finding(None)])
    by_file = diagnostics_by_file(report, DOC, lambda path: None)
    assert {path for path, _ in by_file.values()} == {layers, DOC}
    assert len(by_file[same_path_key(DOC)][1]) == 2       # its own, and the one without a location


def test_graph_text_findings_point_at_the_node():
    graph = Path("/project/model.pbtxt")
    lines = ['node {\n', '  name: "x"\n', '}\n', 'node {\n', '  name: "Log"\n', '  op: "Log"\n', '}\n']
    report = Report(source=graph, findings=[finding(None)])
    [diagnostic] = report_to_diagnostics(report, graph, lines)
    assert diagnostic.range == types.Range(types.Position(4, 2), types.Position(4, 13))
    assert diagnostic.message.endswith("[op Log]")


def test_hover_markdown():
    location = Location(DOC, Span(2, 4, 2, 13))
    ops = [OpInfo("Log", "Log", location, (float("-inf"), 0.0), (None, 10), "float32", "unsafe"),
           OpInfo("Sqrt", "Sqrt", location, (0.0, 2.0), (), "float32", "safe")]
    hover = ops_to_hover(ops, [finding(Span(2, 4, 2, 13))], [ProvenSafe("Sqrt", "Sqrt", location, (0.0, 4.0))],
                         types.Range(types.Position(1, 4), types.Position(1, 13)))
    text = hover.contents.value
    assert "`Log` (Log): output in [-inf, 0], shape [?, 10], float32" in text
    assert "**unsafe** (NS101): log of a value that can be 0" in text
    assert "`Sqrt` (Sqrt): output in [0, 2], shape [], float32" in text
    assert "proven safe: its input stays in [0, 4]" in text


def test_unsupported_ops_become_one_information_diagnostic(tmp_path):
    from nanscope.analysis.report import Report
    from nanscope.server.convert import report_to_diagnostics
    path = tmp_path / "model.py"
    path.write_text("import tensorflow as tf\n", encoding="utf-8")
    report = Report(source=path, unsupported_ops=["Qr", "Svd"])
    (diagnostic,) = report_to_diagnostics(report, path, ["import tensorflow as tf\n"])
    assert diagnostic.severity == types.DiagnosticSeverity.Information and diagnostic.code == "unsupported-ops"
    assert "Qr, Svd" in diagnostic.message and diagnostic.range.start.line == 0
    assert report_to_diagnostics(Report(source=path), path, ["import tensorflow as tf\n"]) == []
