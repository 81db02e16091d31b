"""Range annotations (`# nanscope: range=[lo, hi]`) and the failure location; no TensorFlow."""
from __future__ import annotations

import math

import pytest

from nanscope.analysis.graph import Graph, Node
from nanscope.analysis.sourcemap import SourceMapper, parse_range_comment, range_annotations
from nanscope.analysis.tracing import Frame, RangeAnnotation


@pytest.mark.parametrize("comment, expected", [
    ("# nanscope: range=[0, 1]", (0.0, 1.0)),
    ("#nanscope:range=[-1.5,2e3]", (-1.5, 2000.0)),
    ("# NANSCOPE: Range = ( -inf , inf )", (-math.inf, math.inf)),
    ("# pixels; nanscope: range=[0, 255] (uint8)", (0.0, 255.0)),
    ("# nanscope: range=[.5, +7.]", (0.5, 7.0)),
    ("# nanscope: range=[1, 0]", None),            # lo > hi
    ("# nanscope: range=[nan, 1]", None),
    ("# nanscope: range=[0, 1", None),
    ("# nanscope: ignore[NS101]", None),
    ("# range=[0, 1]", None),
])
def test_parse_range_comment(comment, expected):
    assert parse_range_comment(comment) == expected


SOURCE = '''\
import tensorflow as tf
x = tf.placeholder(tf.float32, [None, 3], name="x")  # nanscope: range=[0, 1]
y = tf.placeholder(
    tf.float32,
    [None, 3],  # nanscope: range=[-2, 2]
    name="y",
)
s = tf.placeholder_with_default("# nanscope: range=[0, 9]", [], name="s")
w = tf.Variable(tf.zeros([3]), name="w")  # nanscope: range=[-0.1, 0.1]
z = tf.log(x)  # nanscope: range=[5, 6]
def build():
    return tf.placeholder(tf.float32, name="inner")  # nanscope: range=[3, 4]
q = build()
'''


def test_range_annotations_of_inputs(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(SOURCE, encoding="utf-8")
    graph = Graph([Node("x", "Placeholder"), Node("y", "Placeholder"), Node("s", "PlaceholderWithDefault"),
                   Node("w", "VariableV2"), Node("Log", "Log"), Node("inner", "Placeholder"),
                   Node("elsewhere", "Placeholder")])
    file = str(path)
    frames = {
        "x": (Frame(file, 2, "<module>"),),
        "y": (Frame(file, 3, "<module>"),),              # a multi-line call: its comment is on line 5
        "s": (Frame(file, 8, "<module>"),),              # the "comment" is inside a string
        "w": (Frame(file, 9, "<module>"),),
        "Log": (Frame(file, 10, "<module>"),),           # not an input
        "inner": (Frame(file, 13, "<module>"), Frame(file, 12, "build")),   # innermost project frame
        "elsewhere": (Frame("/somewhere/else.py", 1, "<module>"),),
    }
    found = range_annotations(graph, frames, tmp_path)
    resolved = path.resolve()
    assert found == {
        "x": RangeAnnotation(0.0, 1.0, resolved, 2),
        "y": RangeAnnotation(-2.0, 2.0, resolved, 5),
        "w": RangeAnnotation(-0.1, 0.1, resolved, 9),
        "inner": RangeAnnotation(3.0, 4.0, resolved, 12),
    }


def test_unparsable_file_still_has_its_line_comments(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("x = tf.placeholder(tf.float32)  # nanscope: range=[0, 2]\ndef (:\n", encoding="utf-8")
    graph = Graph([Node("x", "Placeholder")])
    found = range_annotations(graph, {"x": (Frame(str(path), 1, "<module>"),)}, tmp_path)
    assert found["x"].lo == 0.0 and found["x"].hi == 2.0


def test_locate_failure_is_the_innermost_project_frame(tmp_path):
    path = tmp_path / "train.py"
    path.write_text("import numpy as np\n\ndef load():\n    return np.load('data.npy')\n\nload()\n",
                    encoding="utf-8")
    mapper = SourceMapper(tmp_path)
    frames = (Frame(str(path), 6, "<module>"), Frame(str(path), 4, "load"),
              Frame("/usr/lib/python3/numpy/io.py", 400, "load"))
    location = mapper.locate_failure(frames)
    assert location is not None and location.path == path.resolve()
    assert (location.span.line, location.span.column, location.span.end_column) == (4, 11, 30)
    assert mapper.locate_failure(()) is None
    assert mapper.locate_failure((Frame("/elsewhere.py", 1, "f"),)) is None
