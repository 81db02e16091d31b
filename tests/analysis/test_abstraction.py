"""The paper's abstraction at full strength, on the graphs of the issue: each precision feature proves an op
safe that the ablated configuration reports."""
from pathlib import Path

import pytest

from nanscope.analysis.api import CheckOptions, analyse_graph
from nanscope.analysis.graph import graph_from_bytes
from nanscope.analysis.transformers.registry import AnalysisOptions

pytestmark = pytest.mark.tensorflow
tf = pytest.importorskip("tensorflow")
v1 = tf.compat.v1


def build(fn, control_flow_v2=True):
    graph = tf.Graph()
    if not control_flow_v2:
        v1.disable_control_flow_v2()
    try:
        with graph.as_default():
            fn()
    finally:
        v1.enable_control_flow_v2()
    return graph_from_bytes(graph.as_graph_def(add_shapes=True).SerializeToString())


def verdicts(graph, ranges, **switches):
    options = CheckOptions(ranges=ranges, analysis=AnalysisOptions(**switches))
    report = analyse_graph(graph, Path("g.pb"), options, locations={})
    return {f.op_name: "unsafe" for f in report.findings} | {s.op_name: "safe" for s in report.proven_safe}


def affine_graph():
    a = v1.placeholder(tf.float32, [], name="a")
    b = v1.placeholder(tf.float32, [], name="b")
    x = a + b
    y = a - b
    z = x + y
    tf.math.log(z + 0.5, name="log")


def test_affine_relations_cancel_terms():
    graph = build(affine_graph)
    ranges = {"a": (0.0, 1.0), "b": (1.0, 2.0)}
    assert verdicts(graph, ranges) == {"log": "safe"}
    assert verdicts(graph, ranges, relations=False) == {"log": "unsafe"}


def relu_graph():
    x = v1.placeholder(tf.float32, [], name="x")
    y = tf.exp(-tf.nn.relu(x)) + tf.exp(x - tf.nn.relu(x))
    tf.math.log(y - 0.5, name="log")


def test_predicate_splitting_at_zero():
    graph = build(relu_graph)
    ranges = {"x": (-50.0, 40.0)}
    assert verdicts(graph, ranges) == {"log": "safe", "Exp": "safe", "Exp_1": "safe"}
    assert verdicts(graph, ranges, split=False)["log"] == "unsafe"


def concat_graph():
    p = v1.placeholder(tf.float32, [2, 1], name="p")
    q = tf.concat([p, tf.ones([2, 1])], axis=1)
    tf.math.log(q[:, 1], name="log")


def test_partitioning_keeps_concatenated_parts_apart():
    graph = build(concat_graph)
    ranges = {"p": (-1.0, 0.0)}
    assert verdicts(graph, ranges) == {"log": "safe"}
    assert verdicts(graph, ranges, tensor="expand") == {"log": "safe"}
    assert verdicts(graph, ranges, tensor="smash") == {"log": "unsafe"}


def layer_norm_graph():
    h = v1.placeholder(tf.float32, [None, 16], name="h")
    mean = tf.reduce_mean(h, axis=-1, keepdims=True)
    v = tf.reduce_mean(tf.math.squared_difference(h, mean), axis=-1, keepdims=True)
    tf.math.rsqrt(v + 1e-5, name="rsqrt")
    tf.math.log(v, name="log")


def test_variance_is_non_negative_but_may_be_zero():
    graph = build(layer_norm_graph)
    for switches in ({}, {"relations": False}, {"tensor": "smash"}):
        assert verdicts(graph, {}, **switches) == {"rsqrt": "safe", "log": "unsafe"}


def while_graph():
    i0 = tf.constant(0)
    x0 = v1.placeholder(tf.float32, [], name="x")
    _, x = tf.while_loop(lambda i, x: i < 10, lambda i, x: (i + 1, x * 0.5 + 1.0), [i0, x0])
    tf.math.log(x, name="log")
    tf.math.log(x - 5.0, name="log_shifted")


def test_v1_while_loop_reaches_a_fixpoint():
    graph = build(while_graph, control_flow_v2=False)
    ops = {n.op for n in graph}
    assert {"Enter", "Merge", "Switch", "NextIteration", "Exit"} <= ops
    result = verdicts(graph, {"x": (1.0, 2.0)})
    # x stays in [1, 2] (x * 0.5 + 1 maps [1, 2] into [1.5, 2]); the loop's join covers it.
    assert result["log"] == "safe"
    assert result["log_shifted"] == "unsafe"


def test_functional_while_and_if_bodies_are_analysed():
    def program():
        x = v1.placeholder(tf.float32, [], name="x")
        i0 = tf.constant(0)
        _, y = tf.while_loop(lambda i, x: i < 10, lambda i, x: (i + 1, x * 0.5 + 1.0), [i0, x])
        tf.math.log(y, name="log_after_loop")
        tf.cond(x > 0, lambda: tf.exp(x), lambda: tf.math.log(x))
    graph = build(program)
    assert {"StatelessWhile", "StatelessIf"} <= {n.op for n in graph}
    else_log = f"cond/{_branch(graph, 'else_branch')}/Log"
    then_exp = f"cond/{_branch(graph, 'then_branch')}/Exp"
    result = verdicts(graph, {"x": (1.0, 2.0)})
    assert result["log_after_loop"] == "safe"
    # With x > 0 the condition is decided: the false branch (and its log) is dead code.
    assert result[then_exp] == "safe" and else_log not in result
    result = verdicts(graph, {"x": (-1.0, 2.0)})
    assert result["log_after_loop"] == "unsafe" and result[else_log] == "unsafe" and result[then_exp] == "safe"


def _branch(graph, attr):
    cond = next(n for n in graph if n.op == "StatelessIf")
    return cond.attr(attr).name


def one_hot_graph():
    hot = tf.one_hot([2, 2, 2], depth=4, on_value=1.0, off_value=0.0)
    tf.math.log(hot[:, 2], name="log_hot")
    tf.math.log(hot[:, 1:], name="log_some_cold")
    labels = v1.placeholder(tf.int32, [None], name="labels")
    soft = tf.one_hot(labels, depth=4)
    tf.math.log(1.0 - soft[:, 3], name="log_never_hot")
    tf.math.log(1.0 - soft[:, 1], name="log_maybe_hot")
    tf.math.log(tf.one_hot([-1, 7], depth=3) + 1.0, name="log_out_of_range")


def test_one_hot_with_known_indices_creates_split_points():
    graph = build(one_hot_graph)
    ranges = {"labels": (0.0, 2.0)}
    safe_with_partitions = {"log_hot": "safe", "log_some_cold": "unsafe", "log_never_hot": "safe",
                            "log_maybe_hot": "unsafe", "log_out_of_range": "safe"}
    assert verdicts(graph, ranges) == safe_with_partitions
    assert verdicts(graph, ranges, tensor="expand") == safe_with_partitions
    smashed = verdicts(graph, ranges, tensor="smash")
    assert smashed == safe_with_partitions | {"log_hot": "unsafe", "log_never_hot": "unsafe"}
    # a block limit below the one-hot's blocks smashes it too
    assert verdicts(graph, ranges, block_limit=2)["log_hot"] == "unsafe"
