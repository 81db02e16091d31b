"""log of a probability assigned on an earlier line (`y = tf.nn.softmax(logits)`, then `tf.log(y)`): the
stable APIs are offered when the logits' name means the same tensor at the log, and never when rewriting
would copy code that builds something (a layer call) or read a name that was rebound."""
from __future__ import annotations

import pytest
from fix_helpers import op

TF = "import tensorflow as tf\n"
SOFTMAX_BY_NAME = TF + ("logits = tf.placeholder(tf.float32, [None, 10])\n"
                        "y = tf.nn.softmax(logits)\n"
                        "loss = tf.log(y)\n")


def softmax_ops(softmax_line=3, log_line=4):
    return [op("logits", "Placeholder", shape=(None, 10), line=2),
            op("Softmax", "Softmax", "logits", line=softmax_line, shape=(None, 10)),
            op("Log", "Log", "Softmax", line=log_line, shape=(None, 10)),
            op("gradients/Log_grad/Reciprocal", "Reciprocal", "Softmax", shape=(None, 10))]


def test_log_of_an_assigned_softmax_becomes_log_softmax_of_the_logits(snippet):
    result = snippet(SOFTMAX_BY_NAME, softmax_ops())
    fixes = result.only_fixes
    assert [f.kind for f in fixes] == ["log-softmax", "clip", "maximum", "add-eps"]
    assert (fixes[0].proven, fixes[0].preferred) == (True, True)
    assert result.line_after(fixes[0]) == "loss = tf.nn.log_softmax(logits)"
    assert "LogSoftmax" in fixes[0].detail
    # Only the log call changes: the softmax stays for whoever else reads y.
    assert result.applied(fixes[0]).split("\n")[2] == "y = tf.nn.softmax(logits)"


def test_cross_entropy_over_an_assigned_softmax_becomes_the_fused_op(snippet):
    source = TF + ("logits = tf.placeholder(tf.float32, [None, 10])\n"
                   "y_ = tf.placeholder(tf.float32, [None, 10])\n"
                   "y = tf.nn.softmax(logits)\n"
                   "loss = tf.reduce_mean(-tf.reduce_sum(y_ * tf.log(y), axis=1))\n")
    ops = [op("logits", "Placeholder", shape=(None, 10), line=2),
           op("y_", "Placeholder", shape=(None, 10), line=3),
           op("Softmax", "Softmax", "logits", line=4, shape=(None, 10)),
           op("Log", "Log", "Softmax", line=5, shape=(None, 10)),
           op("mul", "Mul", "y_", "Log", line=5, shape=(None, 10)),
           op("Sum/reduction_indices", "Const", dtype="int32", value=1, line=5),
           op("Sum", "Sum", "mul", "Sum/reduction_indices", line=5, shape=(None,), keep_dims=False),
           op("Neg", "Neg", "Sum", line=5, shape=(None,)),
           op("Const", "Const", dtype="int32", value=[0], line=5),
           op("Mean", "Mean", "Neg", "Const", line=5, shape=()),
           op("gradients/Log_grad/Reciprocal", "Reciprocal", "Softmax", shape=(None, 10))]
    result = snippet(source, ops)
    fixes = result.only_fixes
    assert [f.kind for f in fixes[:2]] == ["softmax-cross-entropy", "log-softmax"]
    assert (fixes[0].proven, fixes[0].preferred) == (True, True)
    assert result.line_after(fixes[0]) == \
        "loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=logits))"


def test_log_of_an_assigned_sigmoid_becomes_log_sigmoid(snippet):
    source = TF + "z = tf.placeholder(tf.float32)\np = tf.sigmoid(z)\nloss = tf.log(p)\n"
    ops = [op("z", "Placeholder", line=2), op("Sigmoid", "Sigmoid", "z", line=3), op("Log", "Log", "Sigmoid", line=4)]
    result = snippet(source, ops)
    first = result.only_fixes[0]
    assert (first.kind, first.proven, first.preferred) == ("log-sigmoid", True, True)
    assert result.line_after(first) == "loss = tf.math.log_sigmoid(z)"


@pytest.mark.parametrize("source, lines", [
    # The logits are a layer call: copying it would build a second layer.
    (TF + "h = tf.placeholder(tf.float32, [None, 10])\ny = tf.nn.softmax(tf.layers.dense(h, 10))\n"
          "loss = tf.log(y)\n", (3, 4)),
    # y is bound twice: `y` at the log is not known to be the softmax by its text.
    (SOFTMAX_BY_NAME + "y = tf.zeros([1])\n", (3, 4)),
    # The logits' name is rebound: at the log it may mean another tensor.
    (SOFTMAX_BY_NAME + "logits = tf.zeros([1])\n", (3, 4)),
    # The softmax is made in another scope (a helper's return value).
    (TF + "logits = tf.placeholder(tf.float32, [None, 10])\ndef probabilities(v):\n"
          "    return tf.nn.softmax(v)\ny = probabilities(logits)\nloss = tf.log(y)\n", (4, 6)),
    # Assigned together with something else.
    (TF + "logits = tf.placeholder(tf.float32, [None, 10])\ny, n = tf.nn.softmax(logits), 10\n"
          "loss = tf.log(y)\n", (3, 4)),
], ids=["layer-call", "y-rebound", "logits-rebound", "other-scope", "tuple-assignment"])
def test_no_rewrite_when_the_text_would_not_mean_the_same_tensor(snippet, source, lines):
    result = snippet(source, softmax_ops(*lines))
    fixes = result.only_fixes
    assert [f.kind for f in fixes] == ["clip", "maximum", "add-eps"]
    assert fixes[0].preferred and result.line_after(fixes[0]).endswith("tf.log(tf.clip_by_value(y, 1e-07, 1.0))")
