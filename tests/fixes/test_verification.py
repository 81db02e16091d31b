"""Verified fixes: a fix is "proven" only when the re-analysis of the rewritten graph proves the op and its
gradient safe. Fixes that are not enough (an epsilon that flushes to 0, one too small for float16) are
offered as unproven, never preferred."""
from __future__ import annotations

import numpy as np
import pytest
from fix_helpers import op

from nanscope.analysis.domain.dtypes import BY_NAME
from nanscope.analysis.fixes.numbers import (
    DEFAULT_EPS,
    eps_for,
    exp_limit,
    literal,
    log1p_floor,
    nice_up,
    stored_value,
)
from nanscope.analysis.fixes.rewrite import GraphEditor
from nanscope.analysis.graph.ir import Graph, TensorRef


def probability_log(dtype):
    source = "import tensorflow as tf\ny = tf.nn.softmax(z)\nloss = tf.log(y)\n"
    ops = [op("z", "Placeholder", dtype=dtype, shape=(None, 10)),
           op("Softmax", "Softmax", "z", line=2, dtype=dtype, shape=(None, 10)),
           op("Log", "Log", "Softmax", line=3, dtype=dtype, shape=(None, 10)),
           op("gradients/Log_grad/Reciprocal", "Reciprocal", "Softmax", dtype=dtype, shape=(None, 10))]
    return source, ops


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_default_eps_is_proven_for_every_float_dtype(snippet, dtype):
    result = snippet(*probability_log(dtype))
    fixes = result.only_fixes
    assert [f.kind for f in fixes] == ["clip", "maximum", "add-eps"]
    assert all(f.proven for f in fixes), [f.detail for f in fixes]
    assert literal(DEFAULT_EPS[dtype]) in result.line_after(fixes[0])


def test_eps_that_flushes_to_zero_in_float32_is_not_proven(snippet):
    # 1e-45 is a float32 subnormal: TensorFlow flushes it (and x + 1e-45) to 0, so log can still see 0.
    result = snippet(*probability_log("float32"), eps=1e-45)
    fixes = result.only_fixes
    assert fixes and not any(f.proven or f.preferred for f in fixes)
    assert all(f.title.endswith("(not proven safe)") for f in fixes)
    assert "y + 1e-45" in result.line_after(result.by_kind("add-eps"))


def test_eps_too_small_for_float16_is_not_proven(snippet):
    # float32's usual 1e-7 is below float16's smallest normal number (about 6.1e-5).
    result = snippet(*probability_log("float16"), eps=1e-7)
    assert not any(f.proven for f in result.only_fixes)
    result = snippet(*probability_log("float16"), eps={"float16": 1e-3})
    assert all(f.proven for f in result.only_fixes)
    assert result.line_after(result.only_fixes[0]) == "loss = tf.log(tf.clip_by_value(y, 0.001, 1.0))"


def test_gradient_folded_into_the_finding_must_be_proven_too(snippet):
    # The forward Log reads a guarded input, but a gradient op that reads the raw softmax output through
    # another path (not the Log's input tensor) stays unsafe: the fix is not proven.
    source, ops = probability_log("float32")
    ops[-1] = op("gradients/Log_grad/Reciprocal", "Reciprocal", "alias", dtype="float32", shape=(None, 10))
    ops.insert(2, op("alias", "Identity", "Softmax", shape=(None, 10)))
    result = snippet(source, ops)
    assert "gradient fails too" in result.finding.message
    fixes = result.only_fixes
    assert fixes and not any(f.proven for f in fixes)
    assert "gradients/Log_grad/Reciprocal" in fixes[0].detail


def test_exp_limit_is_proven_per_dtype(snippet):
    for dtype in ("float16", "bfloat16", "float32", "float64"):
        source = f"import tensorflow as tf\nx = tf.placeholder(tf.{dtype})\ny = tf.exp(x)\n"
        result = snippet(source, [op("x", "Placeholder", dtype=dtype, line=2),
                                  op("Exp", "Exp", "x", dtype=dtype, line=3)])
        [fix] = result.only_fixes
        assert fix.proven, (dtype, fix.detail)


def test_graph_editor_guards_inputs_and_gradients_without_touching_the_original():
    nodes = [op("x", "Placeholder")[0], op("Log", "Log", "x")[0],
             op("gradients/Log_grad/Reciprocal", "Reciprocal", "x")[0], op("other", "Reciprocal", "x")[0]]
    graph = Graph(nodes)
    editor = GraphEditor(graph)
    dtype = BY_NAME["float32"]
    guarded = editor.op("AddV2", [TensorRef("x"), editor.const(1e-7, dtype)], dtype)
    editor.guard_input("Log", 0, guarded)
    rewritten = editor.build()
    assert rewritten["Log"].inputs == (guarded,)
    assert rewritten["gradients/Log_grad/Reciprocal"].inputs == (guarded,)
    assert rewritten["other"].inputs == (TensorRef("x"),)      # not a gradient of Log: untouched
    assert graph["Log"].inputs == (TensorRef("x"),)            # the original graph is immutable
    assert editor.touched == {guarded.node, "nanscope_fix/eps", "Log", "gradients/Log_grad/Reciprocal"}

    editor = GraphEditor(graph)
    editor.replace("Log", "LogSoftmax", [TensorRef("x")], dtype)
    rewritten = editor.build()
    assert rewritten["Log"].op == "LogSoftmax" and "gradients/Log_grad/Reciprocal" not in rewritten


def test_numbers():
    float16, float32, bfloat16 = BY_NAME["float16"], BY_NAME["float32"], BY_NAME["bfloat16"]
    assert eps_for(float32) == 1e-7 and eps_for(float16) == 1e-4
    assert eps_for(float32, 1e-9) == 1e-9 and eps_for(float16, {"float32": 1e-9}) == 1e-4
    assert eps_for(BY_NAME["int32"]) is None
    assert [exp_limit(BY_NAME[d]) for d in ("float16", "bfloat16", "float32", "float64")] == [11, 88, 88, 709]
    assert literal(1e-7) == "1e-07" and literal(88.0) == "88.0" and literal(0.5) == "0.5"
    assert nice_up(5.0000001, 3) == 5.01 and nice_up(0.123, 2) == 0.13 and nice_up(2.0, 2) == 2.0
    assert log1p_floor(1e-7, float32) == "-0.9999997" and log1p_floor(1e-4, float16) == "-0.998"
    assert float(stored_value(1e-8, float16)) == 0.0
    assert stored_value(1e-45, float32) > 0        # a subnormal: the checks count it as 0
    assert float(stored_value(1.0 + 2 ** -9, bfloat16)) == 1.0          # ties to even at 8 significant bits
    assert float(stored_value(1.0 + 3 * 2 ** -9, bfloat16)) == 1.0 + 2 ** -7
    assert stored_value(0.1, bfloat16).dtype == np.float32


class _Everything:
    def __contains__(self, item) -> bool:
        return True


def test_incremental_recheck_agrees_with_a_full_reanalysis(snippet, monkeypatch):
    import nanscope.analysis.fixes.verify as verify
    from nanscope.analysis.fixes import fixes_for_report

    cases = [probability_log("float32"), probability_log("float16")]
    source = "import tensorflow as tf\nx = tf.placeholder(tf.float32)\ny = tf.sqrt(x)\n"
    cases.append((source, [op("x", "Placeholder", line=2), op("Sqrt", "Sqrt", "x", line=3),
                           op("half", "Const", value=0.5), op("gradients/Sqrt_grad/truediv", "RealDiv", "half", "Sqrt")]))
    for case in cases:
        for eps in (None, 1e-45):
            result = snippet(*case, eps=eps)
            incremental = {f: [(x.kind, x.proven, x.detail) for x in fixes] for f, fixes in result.fixes.items()}
            with monkeypatch.context() as patched:
                patched.setattr(verify, "LOOP_OPS", _Everything())   # every rewrite re-runs the whole analysis
                full = {f: [(x.kind, x.proven, x.detail) for x in fixes]
                        for f, fixes in fixes_for_report(result.report).items()}
            assert incremental == full
