"""`nanscope ops`: the supported op types, and the unsupported op types of a graph file or a script."""
from __future__ import annotations

import json
import sys
import textwrap

import pytest

from nanscope.analysis.cli import main
from nanscope.analysis.transformers import REGISTRY


def test_lists_supported_ops_sorted(capsys):
    assert main(["ops"]) == 0
    assert capsys.readouterr().out.splitlines() == sorted(REGISTRY)
    assert len(REGISTRY) >= 200


def test_json_is_a_list(capsys):
    assert main(["ops", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == sorted(REGISTRY)


def _graph_file(tmp_path, unsupported: bool):
    tf = pytest.importorskip("tensorflow")
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [3], name="x")
        y = tf.exp(x)
        if unsupported:
            tf.raw_ops.Qr(input=tf.reshape(y, [3, 1]))
        f = tf.function(lambda v: tf.math.log(v + 1.0), input_signature=[tf.TensorSpec([3], tf.float32)])
        f(y)
    path = tmp_path / ("bad.pb" if unsupported else "good.pb")
    path.write_bytes(graph.as_graph_def().SerializeToString())
    return path


def test_graph_with_only_supported_ops(tmp_path, capsys):
    path = _graph_file(tmp_path, unsupported=False)
    assert main(["ops", str(path)]) == 0
    assert capsys.readouterr().out == ""


def test_graph_with_unsupported_ops(tmp_path, capsys):
    path = _graph_file(tmp_path, unsupported=True)
    assert main(["ops", str(path)]) == 1
    assert capsys.readouterr().out.splitlines() == ["Qr"]
    assert main(["ops", str(path), "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out) == ["Qr"]


def test_function_library_bodies_count(tmp_path):
    tf = pytest.importorskip("tensorflow")
    from nanscope.analysis.graph import graph_from_bytes
    from nanscope.analysis.ops_command import unsupported_ops

    @tf.function(input_signature=[tf.TensorSpec([2, 2], tf.float32)])
    def f(v):
        return tf.raw_ops.Qr(input=v)[0]
    graph_def = f.get_concrete_function().graph.as_graph_def()
    outer = tf.Graph()
    with outer.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2, 2])
        tf.raw_ops.PartitionedCall(args=[x], Tout=[tf.float32], f=f.get_concrete_function())
    graph = graph_from_bytes(outer.as_graph_def().SerializeToString())
    assert "Qr" in unsupported_ops(graph)
    assert graph_def is not None


def test_missing_file_is_an_error(tmp_path, capsys):
    assert main(["ops", str(tmp_path / "none.pb")]) == 2


def test_script_is_traced(tmp_path, capsys):
    pytest.importorskip("tensorflow")
    script = tmp_path / "model.py"
    script.write_text(textwrap.dedent("""
        import tensorflow as tf
        tf.compat.v1.disable_eager_execution()
        x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="x")
        y = tf.nn.softmax(tf.matmul(x, tf.ones([3, 2])))
        with tf.compat.v1.Session() as s:
            s.run(y, {x: [[1.0, 2.0, 3.0]]})
    """))
    code = main(["ops", str(script), "--interpreter", sys.executable, "--timeout", "120"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out == ""
