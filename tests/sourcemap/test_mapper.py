"""SourceMapper: frames built by hand, files written to tmp_path; astroid only, no TensorFlow."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from astroid import nodes

from nanscope.analysis.graph import Graph, Node
from nanscope.analysis.report import Location, Span
from nanscope.analysis.sourcemap import SourceMapper
from nanscope.analysis.tracing import Frame

MNIST_LINE = "cross_entropy = tf.reduce_mean(-tf.reduce_sum(y_ * tf.log(y), axis=1))"


def write(tmp_path: Path, text: str, name: str = "model.py") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def graph_of(*ops: tuple[str, str]) -> Graph:
    return Graph([Node(name=name, op=op_type) for name, op_type in ops])


def frames_at(path: Path, ops: dict[str, int]) -> dict[str, tuple[Frame, ...]]:
    return {name: (Frame(str(path), line, "<module>"),) for name, line in ops.items()}


def text_of(path: Path, span: Span) -> str:
    lines = path.read_text(encoding="utf-8").split("\n")
    if span.line == span.end_line:
        return lines[span.line - 1][span.column:span.end_column]
    middle = lines[span.line:span.end_line - 1]
    return "\n".join([lines[span.line - 1][span.column:], *middle, lines[span.end_line - 1][:span.end_column]])


def test_mnist_cross_entropy_line(tmp_path):
    path = write(tmp_path, f"import tensorflow as tf\n\n{MNIST_LINE}\n")
    graph = graph_of(("Log", "Log"), ("mul", "Mul"), ("Sum/reduction_indices", "Const"), ("Sum", "Sum"),
                     ("Neg", "Neg"), ("Const", "Const"), ("Mean", "Mean"))
    frames = frames_at(path, {node.name: 3 for node in graph})
    located = SourceMapper(tmp_path).locate_ops(graph, frames)

    assert set(located) == {node.name for node in graph}
    assert located["Log"] == Location(path.resolve(), Span(3, 51, 3, 60))
    assert text_of(path, located["Log"].span) == "tf.log(y)"
    assert located["mul"].span == Span(3, 46, 3, 60)
    assert text_of(path, located["mul"].span) == "y_ * tf.log(y)"
    assert located["Sum"].span == Span(3, 32, 3, 69)
    assert text_of(path, located["Sum"].span) == "tf.reduce_sum(y_ * tf.log(y), axis=1)"
    assert text_of(path, located["Neg"].span) == "-tf.reduce_sum(y_ * tf.log(y), axis=1)"
    assert text_of(path, located["Mean"].span) == MNIST_LINE[len("cross_entropy = "):]
    # A constant made by a call has no creator by name: several calls on the line -> the outermost.
    assert located["Sum/reduction_indices"].span == located["Mean"].span


def test_two_logs_on_one_line_follow_creation_order(tmp_path):
    line = "z = tf.log(a) + tf.math.log(b)"
    path = write(tmp_path, line + "\n")
    graph = graph_of(("Log", "Log"), ("Log_1", "Log"), ("add", "AddV2"))
    mapper = SourceMapper(tmp_path)

    located = mapper.locate_ops(graph, frames_at(path, {"Log": 1, "Log_1": 1, "add": 1}))
    assert located["Log"].span == Span(1, 4, 1, 13)
    assert located["Log_1"].span == Span(1, 16, 1, 30)
    assert text_of(path, located["add"].span) == "tf.log(a) + tf.math.log(b)"

    # Creation order is the order of the frames mapping, whatever the names say.
    swapped = mapper.locate_ops(graph, frames_at(path, {"Log_1": 1, "Log": 1}))
    assert swapped["Log_1"].span == Span(1, 4, 1, 13)
    assert swapped["Log"].span == Span(1, 16, 1, 30)


def test_more_ops_than_calls_wrap_around(tmp_path):
    path = write(tmp_path, "logs = [tf.log(v) for v in values]\n")
    graph = graph_of(("Log", "Log"), ("Log_1", "Log"), ("Log_2", "Log"))
    located = SourceMapper(tmp_path).locate_ops(graph, frames_at(path, {"Log": 1, "Log_1": 1, "Log_2": 1}))
    assert {location.span for location in located.values()} == {Span(1, 8, 1, 17)}


@pytest.mark.parametrize("prefix", ['s = "é"; ', 's = "🙂 ü"; ', "# -*- ok -*-\nt = '日本'; "])
def test_non_ascii_before_the_call_gives_code_point_columns(tmp_path, prefix):
    text = f"{prefix}p = tf.log(x)\n"
    path = write(tmp_path, text)
    line_number = text.count("\n", 0, text.index("tf.log")) + 1
    line_text = text.split("\n")[line_number - 1]
    graph = graph_of(("Log", "Log"))
    located = SourceMapper(tmp_path).locate_ops(graph, frames_at(path, {"Log": line_number}))
    column = line_text.index("tf.log(x)")
    assert located["Log"].span == Span(line_number, column, line_number, column + len("tf.log(x)"))
    assert column < len(line_text[:column].encode("utf-8"))   # bytes and code points differ here


def test_multi_line_call(tmp_path):
    text = ("import tensorflow as tf\n"
            "loss = tf.reduce_mean(\n"
            "    tf.log(\n"
            "        p),\n"
            "    axis=0)\n")
    path = write(tmp_path, text)
    graph = graph_of(("Log", "Log"), ("Mean", "Mean"))
    mapper = SourceMapper(tmp_path)
    # The frame may name any line of the call: the first line of each call here ...
    located = mapper.locate_ops(graph, frames_at(path, {"Log": 3, "Mean": 2}))
    assert located["Log"].span == Span(3, 4, 4, 10)
    assert located["Mean"].span == Span(2, 7, 5, 11)
    assert text_of(path, located["Log"].span) == "tf.log(\n        p)"
    # ... or an inner line of it.
    inner = mapper.locate_ops(graph, frames_at(path, {"Log": 4, "Mean": 5}))
    assert inner["Log"].span == Span(3, 4, 4, 10)
    assert inner["Mean"].span == Span(2, 7, 5, 11)


def test_syntax_error_falls_back_to_the_line(tmp_path):
    text = "import tensorflow as tf\n    y = tf.log(x +   \n"
    path = write(tmp_path, text)
    located = SourceMapper(tmp_path).locate_ops(graph_of(("Log", "Log")), frames_at(path, {"Log": 2}))
    assert located["Log"].span == Span(2, 4, 2, len("    y = tf.log(x +"))


def test_undecodable_file_falls_back_to_the_line(tmp_path):
    path = tmp_path / "model.py"
    path.write_bytes(b"s = '\xff'\n  y = tf.log(x)\n")
    located = SourceMapper(tmp_path).locate_ops(graph_of(("Log", "Log")), frames_at(path, {"Log": 2}))
    assert located["Log"].span == Span(2, 2, 2, 15)


def test_frames_outside_the_project_are_ignored(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    outside = write(tmp_path, "y = tf.log(x)\n", name="library.py")
    inside = write(project, "import library\nz = library.helper(x)\n")
    graph = graph_of(("Log", "Log"), ("Exp", "Exp"))
    frames = {
        # Innermost project frame wins; the library frame after it is skipped.
        "Log": (Frame(str(inside), 2, "<module>"), Frame(str(outside), 1, "helper")),
        # No frame in the project: no location.
        "Exp": (Frame(str(outside), 1, "helper"),),
    }
    mapper = SourceMapper(project)
    located = mapper.locate_ops(graph, frames)
    assert set(located) == {"Log"}
    assert located["Log"].path == inside.resolve()
    assert text_of(inside, located["Log"].span) == "library.helper(x)"   # fallback: the only call
    assert mapper.locate_frame(Frame(str(outside), 1, "helper"), "Log") is None
    assert mapper.locate_frame(Frame("<string>", 1, "<module>"), "Log") is None


def test_innermost_project_frame_is_used(tmp_path):
    path = write(tmp_path, "def loss(p):\n    return -tf.log(p)\n\nl = loss(q)\n")
    graph = graph_of(("Log", "Log"), ("Neg", "Neg"))
    frames = {name: (Frame(str(path), 4, "<module>"), Frame(str(path), 2, "loss")) for name in ("Log", "Neg")}
    located = SourceMapper(tmp_path).locate_ops(graph, frames)
    assert text_of(path, located["Log"].span) == "tf.log(p)"
    assert text_of(path, located["Neg"].span) == "-tf.log(p)"


def test_operators_and_subscripts(tmp_path):
    path = write(tmp_path, "r = x[1:] / (a - b)\nx *= 2\nm = x < y\n")
    graph = graph_of(("StridedSlice", "StridedSlice"), ("sub", "Sub"), ("truediv", "RealDiv"),
                     ("mul", "Mul"), ("Less", "Less"))
    located = SourceMapper(tmp_path).locate_ops(
        graph, frames_at(path, {"StridedSlice": 1, "sub": 1, "truediv": 1, "mul": 2, "Less": 3}))
    assert text_of(path, located["StridedSlice"].span) == "x[1:]"
    assert text_of(path, located["sub"].span) == "a - b"
    assert text_of(path, located["truediv"].span) == "x[1:] / (a - b)"
    assert text_of(path, located["mul"].span) == "x *= 2"
    assert text_of(path, located["Less"].span) == "x < y"


def test_fallbacks(tmp_path):
    path = write(tmp_path, "l = -keras_loss(y, p) * 2\n"
                           "m = tf.reduce_mean(lib.bce(y, p))\n"
                           "a, b = f(x), g(x)\n"
                           "with scope:\n"
                           "    pass\n")
    graph = graph_of(("Log", "Log"), ("Log_1", "Log"), ("Exp", "Exp"), ("Const", "Const"))
    located = SourceMapper(tmp_path).locate_ops(graph, frames_at(path, {"Log": 1, "Log_1": 2, "Exp": 3,
                                                                        "Const": 4}))
    assert text_of(path, located["Log"].span) == "keras_loss(y, p)"                 # the only call
    assert text_of(path, located["Log_1"].span) == "tf.reduce_mean(lib.bce(y, p))"  # the outermost
    assert text_of(path, located["Exp"].span) == "a, b = f(x), g(x)"                # two outermost: the line
    assert text_of(path, located["Const"].span) == "with scope:"                    # no expression: the line


def test_ops_missing_from_the_graph_use_the_fallback(tmp_path):
    path = write(tmp_path, "y = tf.exp(x)\n")
    located = SourceMapper(tmp_path).locate_ops(graph_of(), frames_at(path, {"Exp": 1}))
    assert text_of(path, located["Exp"].span) == "tf.exp(x)"


def test_locate_frame_and_expression_at(tmp_path):
    path = write(tmp_path, "y = tf.sqrt(tf.exp(x))\n")
    mapper = SourceMapper(tmp_path)
    location = mapper.locate_frame(Frame(str(path), 1, "<module>"), "Exp")
    assert location is not None and text_of(path, location.span) == "tf.exp(x)"
    node = mapper.expression_at(location)
    assert isinstance(node, nodes.Call) and node.as_string() == "tf.exp(x)"
    untyped = mapper.locate_frame(Frame(str(path), 1, "<module>"))
    assert untyped is not None and text_of(path, untyped.span) == "tf.sqrt(tf.exp(x))"
    assert mapper.locate_frame(Frame(str(path), 99, "<module>"), "Exp") is None
    assert mapper.expression_at(Location(path, Span(1, 0, 1, 1))) is None


def test_cache_follows_file_changes(tmp_path):
    path = write(tmp_path, "y = tf.log(x)\n")
    mapper = SourceMapper(tmp_path)
    frame = Frame(str(path), 1, "<module>")
    assert mapper.locate_frame(frame, "Log").span == Span(1, 4, 1, 13)
    path.write_text("yy = tf.log(x)\n", encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert mapper.locate_frame(frame, "Log").span == Span(1, 5, 1, 14)


def test_symlinked_project_root(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    path = write(real, "y = tf.log(x)\n")
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    located = SourceMapper(link).locate_ops(graph_of(("Log", "Log")), frames_at(path, {"Log": 1}))
    assert located["Log"].path == path.resolve()
