"""Fixes keep the user's names for TensorFlow and the user's text: aliases, multi-line calls, non-ASCII."""
from __future__ import annotations

import pytest
from astroid import extract_node, parse
from fix_helpers import op

from nanscope.analysis.fixes.aliases import Namespace, receiver_of


def log_snippet(imports: str, call: str, **ranges):
    source = f"{imports}\nx = make()\nloss = {call}\n"
    line = imports.count("\n") + 2
    ops = [op("x", "Placeholder", line=line), op("Log", "Log", "x", line=line + 1)]
    return source, ops, ranges


@pytest.mark.parametrize("imports,call,expected", [
    ("import tensorflow as tf", "tf.log(x)", "tf.log(tf.clip_by_value(x, 1e-07, 1.0))"),
    ("import tensorflow as tf", "tf.math.log(x)", "tf.math.log(tf.clip_by_value(x, 1e-07, 1.0))"),
    ("import tensorflow.compat.v1 as tf", "tf.log(x)", "tf.log(tf.clip_by_value(x, 1e-07, 1.0))"),
    ("import tensorflow as tf", "tf.compat.v1.log(x)", "tf.compat.v1.log(tf.compat.v1.clip_by_value(x, 1e-07, 1.0))"),
    ("from tensorflow.compat import v1 as tf1", "tf1.log(x)", "tf1.log(tf1.clip_by_value(x, 1e-07, 1.0))"),
    ("import tensorflow", "tensorflow.math.log(x)", "tensorflow.math.log(tensorflow.clip_by_value(x, 1e-07, 1.0))"),
])
def test_clip_is_spelled_with_the_files_alias(snippet, imports, call, expected):
    source, ops, ranges = log_snippet(imports, call)
    result = snippet(source, ops, x=(0.0, 1.0))
    preferred = result.only_fixes[0]
    assert preferred.kind == "clip" and preferred.preferred
    assert result.line_after(preferred) == f"loss = {expected}"


@pytest.mark.parametrize("imports,call,expected", [
    ("import tensorflow as tf", "tf.math.log(x)", "tf.math.log(tf.math.maximum(x, 1e-07))"),
    ("from tensorflow import math as tm", "tm.log(x)", "tm.log(tm.maximum(x, 1e-07))"),
    ("from tensorflow.math import log, maximum", "log(x)", "log(maximum(x, 1e-07))"),
    ("import tensorflow.compat.v1 as tf", "tf.math.log(x)", "tf.math.log(tf.math.maximum(x, 1e-07))"),
])
def test_maximum_is_spelled_with_the_files_alias(snippet, imports, call, expected):
    source, ops, ranges = log_snippet(imports, call)
    result = snippet(source, ops)
    assert result.line_after(result.by_kind("maximum")) == f"loss = {expected}"


def test_a_function_the_file_cannot_name_is_not_offered(snippet):
    # tf.math has no clip_by_value and the file has no other name for TensorFlow: no clip fix.
    source, ops, ranges = log_snippet("from tensorflow import math as tm", "tm.log(x)")
    result = snippet(source, ops, x=(0.0, 1.0))
    assert [f.kind for f in result.only_fixes] == ["maximum", "add-eps"]
    # Without any name for TensorFlow only the epsilon remains.
    source, ops, ranges = log_snippet("from tensorflow.math import log", "log(x)")
    result = snippet(source, ops, x=(0.0, 1.0))
    assert [f.kind for f in result.only_fixes] == ["add-eps"]
    assert result.line_after(result.only_fixes[0]) == "loss = log(x + 1e-07)"


def test_namespace_resolution():
    module = parse("import tensorflow as tf\nimport tensorflow.compat.v1 as v1\nfrom tensorflow import nn\n"
                   "import numpy as np\nfrom tensorflow.math import divide_no_nan as dnn\n")
    names = Namespace(module)
    assert names.bindings == {"tf": "tensorflow", "v1": "tensorflow.compat.v1", "nn": "tensorflow.nn",
                              "dnn": "tensorflow.math.divide_no_nan"}
    call = extract_node("v1.math.log(x)")
    assert names.resolve(receiver_of(call)) == "tensorflow.compat.v1.math"
    assert names.spell("maximum", receiver_of(call)) == "v1.math.maximum"
    assert names.spell("clip_by_value", receiver_of(call)) == "v1.clip_by_value"
    assert names.spell("divide_no_nan") == "dnn"
    assert names.spell("log_softmax") == "nn.log_softmax"
    assert names.spell("maximum") == "tf.maximum"
    assert Namespace(parse("import numpy as np\n")).spell("maximum") is None


def test_multi_line_call_keeps_its_layout(snippet):
    source = ("import tensorflow as tf\nx = make()\n"
              "loss = tf.math.log(\n"
              "    x\n"
              "    * 2.0,   # scaled\n"
              "    name='loss')\n")
    ops = [op("x", "Placeholder", line=2), op("c", "Const", value=2.0, line=4),
           op("mul", "Mul", "x", "c", line=4), op("Log", "Log", "mul", line=3)]
    result = snippet(source, ops, x=(0.0, 0.4))
    clip = result.by_kind("clip")
    assert clip.proven
    assert result.applied(clip) == ("import tensorflow as tf\nx = make()\n"
                                    "loss = tf.math.log(\n"
                                    "    tf.clip_by_value(x\n"
                                    "    * 2.0, 1e-07, 1.0),   # scaled\n"
                                    "    name='loss')\n")
    assert "\n" not in clip.title
    eps = result.by_kind("add-eps")
    assert result.applied(eps).split("\n")[3:5] == ["    x", "    * 2.0 + 1e-07,   # scaled"]


def test_non_ascii_text_before_the_call(snippet):
    source = ("import tensorflow as tf\nprobabilité = make()\n"
              "perte = {'é': 1, '😀': tf.log(probabilité)}  # 概率\n")
    ops = [op("probabilité", "Placeholder", line=2), op("Log", "Log", "probabilité", line=3)]
    result = snippet(source, ops, **{"probabilité": (0.0, 1.0)})
    span = result.finding.location.span
    line = source.split("\n")[2]
    assert line[span.column:span.end_column] == "tf.log(probabilité)"
    clip = result.only_fixes[0]
    assert result.line_after(clip) == \
        "perte = {'é': 1, '😀': tf.log(tf.clip_by_value(probabilité, 1e-07, 1.0))}  # 概率"


def test_operand_needing_parentheses(snippet):
    source = "import tensorflow as tf\nx = make()\nloss = tf.log(x if flag else x)\n"
    ops = [op("x", "Placeholder", line=2), op("Log", "Log", "x", line=3)]
    result = snippet(source, ops, x=(0.0, 1.0))
    assert result.line_after(result.by_kind("add-eps")) == "loss = tf.log((x if flag else x) + 1e-07)"


def test_keyword_operand(snippet):
    source = "import tensorflow as tf\nx = make()\nloss = tf.math.log(x=x, name='l')\n"
    ops = [op("x", "Placeholder", line=2), op("Log", "Log", "x", line=3)]
    result = snippet(source, ops, x=(0.0, 1.0))
    assert result.line_after(result.by_kind("add-eps")) == "loss = tf.math.log(x=x + 1e-07, name='l')"


def test_editor_buffer_text_is_used_instead_of_the_disk(snippet, tmp_path):
    from nanscope.analysis.fixes import fixes_for_report

    source, ops, ranges = log_snippet("import tensorflow as tf", "tf.log(x)")
    result = snippet(source, ops)
    (tmp_path / "model.py").write_text("# the disk moved on\n", encoding="utf-8")
    fixes = fixes_for_report(result.report, sources={tmp_path / "model.py": source})
    assert [f.kind for f in fixes[result.finding]] == ["maximum", "add-eps"]
    assert fixes_for_report(result.report)[result.finding] == []   # the disk text no longer has the call
