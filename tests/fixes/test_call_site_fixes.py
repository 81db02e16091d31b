"""Ops made inside a library call (`tf.nn.batch_normalization` divides by rsqrt of the variance plus its
epsilon): the fix guards the user's argument that feeds the op, at the call the source mapping reported, and
is offered only when the re-analysis proves it and the argument is known to be that tensor."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from fix_helpers import op

TF = "import tensorflow as tf\n"


def batch_norm_ops(variance_line=3, call_line=4, variance_op=("var", "Placeholder")):
    name, kind = variance_op
    ops = [op("x", "Placeholder", shape=(None, 10), line=2)]
    if kind == "Placeholder":
        ops.append(op(name, kind, shape=(10,), line=variance_line))
    else:
        ops += [op("v", "Placeholder", shape=(10,), line=variance_line - 1),
                op(name, kind, "v", shape=(10,), line=variance_line)]
    return ops + [
        op("batchnorm/add/y", "Const", value=0.0, line=call_line),
        op("batchnorm/add", "AddV2", name, "batchnorm/add/y", shape=(10,), line=call_line),
        op("batchnorm/Rsqrt", "Rsqrt", "batchnorm/add", shape=(10,), line=call_line),
        op("batchnorm/mul", "Mul", "x", "batchnorm/Rsqrt", shape=(None, 10), line=call_line),
    ]


def test_op_inside_a_library_call_is_fixed_at_the_argument_that_feeds_it(snippet):
    source = TF + ("x = tf.placeholder(tf.float32, [None, 10])\n"
                   "var = tf.placeholder(tf.float32, [10])\n"
                   "y = tf.nn.batch_normalization(x, 0.0, var, None, None, 0.0)\n")
    result = snippet(source, batch_norm_ops(), var=(0.0, 4.0))
    assert result.finding.op_name == "batchnorm/Rsqrt"
    fixes = result.only_fixes
    assert [(f.kind, f.proven, f.preferred) for f in fixes] == [("add-eps", True, True), ("maximum", True, False)]
    assert result.line_after(fixes[0]) == "y = tf.nn.batch_normalization(x, 0.0, var + 1e-07, None, None, 0.0)"
    assert result.line_after(fixes[1]) == \
        "y = tf.nn.batch_normalization(x, 0.0, tf.maximum(var, 1e-07), None, None, 0.0)"
    assert fixes[0].title.startswith("Add epsilon to the argument of tf.nn.batch_normalization")
    assert "[1e-07, 4" in fixes[0].detail


def test_an_argument_that_computes_the_feed_is_guarded_in_place(snippet):
    source = TF + ("x = tf.placeholder(tf.float32, [None, 10])\n"
                   "v = tf.placeholder(tf.float32, [10])\n"
                   "y = tf.nn.batch_normalization(x, 0.0, tf.abs(v), None, None, 0.0)\n")
    result = snippet(source, batch_norm_ops(variance_line=4, call_line=4, variance_op=("Abs", "Abs")))
    fixes = result.only_fixes
    assert fixes[0].preferred and fixes[0].kind == "add-eps"
    assert result.line_after(fixes[0]) == \
        "y = tf.nn.batch_normalization(x, 0.0, tf.abs(v) + 1e-07, None, None, 0.0)"


def test_no_fix_when_the_argument_is_not_known_to_be_the_feed(snippet):
    # `mean, var = f(...)`: both names come from the same line, which of them is the feed is unknown.
    source = TF + ("x = tf.placeholder(tf.float32, [None, 10])\n"
                   "mean, var = tf.placeholder(tf.float32, [10]), tf.placeholder(tf.float32, [10])\n"
                   "y = tf.nn.batch_normalization(x, mean, var, None, None, 0.0)\n")
    result = snippet(source, batch_norm_ops(), var=(0.0, 4.0))
    assert result.only_fixes == []


def test_a_guard_the_re_analysis_cannot_prove_is_not_offered(snippet):
    # dropout divides by 1 - rate: no floor on `rate` keeps that away from 0.
    source = TF + ("x = tf.placeholder(tf.float32, [None, 10])\n"
                   "rate = tf.placeholder(tf.float32)\n"
                   "y = tf.nn.dropout(x, rate=rate)\n")
    ops = [op("x", "Placeholder", shape=(None, 10), line=2), op("rate", "Placeholder", line=3),
           op("dropout/sub/x", "Const", value=1.0, line=4),
           op("dropout/sub", "Sub", "dropout/sub/x", "rate", line=4),
           op("dropout/truediv", "RealDiv", "dropout/sub/x", "dropout/sub", line=4),
           op("dropout/mul", "Mul", "x", "dropout/truediv", shape=(None, 10), line=4)]
    result = snippet(source, ops)
    assert result.finding.op_name == "dropout/truediv"
    assert result.only_fixes == []


def test_exp_inside_a_call_bounds_the_argument_from_above(snippet):
    source = TF + "import layers\nz = tf.placeholder(tf.float32)\ny = layers.scaled_exp(z)\n"
    ops = [op("z", "Placeholder", line=3), op("scaled_exp/c", "Const", value=0.5, line=4),
           op("scaled_exp/mul", "Mul", "z", "scaled_exp/c", line=4), op("scaled_exp/Exp", "Exp", "scaled_exp/mul", line=4)]
    result = snippet(source, ops)
    [fix] = result.only_fixes
    assert (fix.kind, fix.proven, fix.preferred) == ("minimum", True, True)
    assert result.line_after(fix) == "y = layers.scaled_exp(tf.minimum(z, 88.0))"


BATCH_NORM_SCRIPT = '''import tensorflow.compat.v1 as tf
tf.disable_eager_execution()

x = tf.placeholder(tf.float32, [None, 10], name="x")
mean = tf.reduce_mean(x, axis=0)
var = tf.reduce_mean(tf.square(x - mean), axis=0)
normed = tf.nn.batch_normalization(x, mean, var, None, None, variance_epsilon=0.0)
scale = tf.nn.batch_normalization(x, mean, tf.reduce_mean(tf.square(x - mean), axis=0), None, None, 0.0)
rate = tf.placeholder(tf.float32, name="rate")
dropped = tf.nn.dropout(normed + scale, rate=rate)
'''


@pytest.mark.tensorflow
def test_call_site_fixes_traced_and_checked_again(tmp_path):
    """Real tracing: the guarded arguments make both batch normalisations safe when the edited script is traced
    and checked again; dropout's division by 1 - rate gets no fix (no bound on `rate` is proven) and stays."""
    script = tmp_path / "model.py"
    script.write_text(BATCH_NORM_SCRIPT, encoding="utf-8")

    def nanscope(*args):
        return subprocess.run([sys.executable, "-m", "nanscope.analysis.cli", "check", *args, "model.py"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=300)

    fixed = nanscope("--fix")
    assert "fixed 2 of 3 findings" in fixed.stdout, fixed.stdout + fixed.stderr
    lines = script.read_text(encoding="utf-8").split("\n")
    assert lines[6] == "normed = tf.nn.batch_normalization(x, mean, var + 1e-07, None, None, variance_epsilon=0.0)"
    assert lines[7] == ("scale = tf.nn.batch_normalization(x, mean, tf.reduce_mean(tf.square(x - mean), axis=0) "
                        "+ 1e-07, None, None, 0.0)")
    output = json.loads(nanscope("--format", "json").stdout)
    assert output["errors"] == []
    assert [(f["line"], f["code"], f["op_type"]) for f in output["findings"]] == [(10, "NS105", "RealDiv")]
