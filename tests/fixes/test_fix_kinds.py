"""Every fix kind on a small snippet and a hand-built graph (no TensorFlow): the exact text it writes, that
it keeps the file's formatting and aliases, and whether the re-analysis proves it."""
from __future__ import annotations

from fix_helpers import op

TF = "import tensorflow as tf\n"


def log_of_softmax_by_name(dtype="float32"):
    source = TF + "y = tf.nn.softmax(z)\nloss = tf.log(y)\n"
    ops = [op("z", "Placeholder", dtype=dtype, shape=(None, 10)),
           op("Softmax", "Softmax", "z", line=2, dtype=dtype, shape=(None, 10)),
           op("Log", "Log", "Softmax", line=3, dtype=dtype, shape=(None, 10)),
           op("gradients/Log_grad/Reciprocal", "Reciprocal", "Softmax", dtype=dtype, shape=(None, 10))]
    return source, ops


def test_log_of_a_probability_offers_clip_maximum_and_eps_all_proven(snippet):
    result = snippet(*log_of_softmax_by_name())
    fixes = result.only_fixes
    assert [f.kind for f in fixes] == ["clip", "maximum", "add-eps"]
    assert all(f.proven for f in fixes)
    assert [f.preferred for f in fixes] == [True, False, False]
    assert result.line_after(fixes[0]) == "loss = tf.log(tf.clip_by_value(y, 1e-07, 1.0))"
    assert result.line_after(fixes[1]) == "loss = tf.log(tf.maximum(y, 1e-07))"
    assert result.line_after(fixes[2]) == "loss = tf.log(y + 1e-07)"
    assert fixes[0].code == "NS101" and fixes[0].op_name == "Log"
    assert "proven safe" in fixes[0].detail and "[1e-07, 1]" in fixes[0].detail
    # The edit touches the operand only.
    [edit] = fixes[2].edits
    assert (edit.span.line, edit.span.column, edit.span.end_column) == (3, 14, 15)


def test_log_of_any_value_eps_is_not_proven_and_comes_last(snippet):
    source = TF + "x = tf.placeholder(tf.float32)\nloss = tf.log(x)\n"
    result = snippet(source, [op("x", "Placeholder", line=2), op("Log", "Log", "x", line=3)])
    fixes = result.only_fixes
    assert [(f.kind, f.proven, f.preferred) for f in fixes] == [("maximum", True, True), ("add-eps", False, False)]
    assert fixes[1].title.endswith("(not proven safe)")
    assert "not proven" in fixes[1].detail


def test_log_of_a_bounded_positive_value_clips_at_its_upper_bound(snippet):
    source = TF + "x = tf.placeholder(tf.float32)\nloss = tf.log(x * 2.5)\n"
    ops = [op("x", "Placeholder", line=2), op("c", "Const", value=2.5, line=3),
           op("mul", "Mul", "x", "c", line=3), op("Log", "Log", "mul", line=3)]
    result = snippet(source, ops, x=(0.0, 2.0))
    kinds = {f.kind: f for f in result.only_fixes}
    assert list(kinds) == ["maximum", "add-eps", "clip"]
    assert result.line_after(kinds["clip"]) == "loss = tf.log(tf.clip_by_value(x * 2.5, 1e-07, 5.01))"
    assert all(f.proven for f in result.only_fixes)


def test_log_softmax_replaces_log_of_an_inline_softmax(snippet):
    source = TF + "loss = tf.math.log(tf.nn.softmax(logits))\n"
    ops = [op("logits", "Placeholder", shape=(None, 10)),
           op("Softmax", "Softmax", "logits", line=2, shape=(None, 10)),
           op("Log", "Log", "Softmax", line=2, shape=(None, 10)),
           op("gradients/Log_grad/Reciprocal", "Reciprocal", "Softmax", shape=(None, 10))]
    result = snippet(source, ops)
    first = result.only_fixes[0]
    assert (first.kind, first.proven, first.preferred) == ("log-softmax", True, True)
    assert result.line_after(first) == "loss = tf.nn.log_softmax(logits)"
    assert "LogSoftmax" in first.detail


def test_log_sigmoid_replaces_log_of_an_inline_sigmoid(snippet):
    source = TF + "loss = tf.log(tf.sigmoid(z))\n"
    ops = [op("z", "Placeholder"), op("Sigmoid", "Sigmoid", "z", line=2), op("Log", "Log", "Sigmoid", line=2)]
    result = snippet(source, ops)
    first = result.only_fixes[0]
    assert (first.kind, first.proven, first.preferred) == ("log-sigmoid", True, True)
    assert result.line_after(first) == "loss = tf.math.log_sigmoid(z)"


def cross_entropy_ops(axis=1, keep_dims=False):
    return [op("z", "Placeholder", shape=(None, 10), line=2), op("y_", "Placeholder", shape=(None, 10), line=3),
            op("Softmax", "Softmax", "z", line=4, shape=(None, 10)),
            op("Log", "Log", "Softmax", line=4, shape=(None, 10)),
            op("mul", "Mul", "y_", "Log", line=4, shape=(None, 10)),
            op("Sum/reduction_indices", "Const", dtype="int32", value=axis, line=4),
            op("Sum", "Sum", "mul", "Sum/reduction_indices", line=4, shape=(None,), keep_dims=keep_dims),
            op("Neg", "Neg", "Sum", line=4, shape=(None,)),
            op("Const", "Const", dtype="int32", value=[0], line=4),
            op("Mean", "Mean", "Neg", "Const", line=4, shape=()),
            op("gradients/Log_grad/Reciprocal", "Reciprocal", "Softmax", shape=(None, 10))]


CROSS_ENTROPY = (TF + "z = tf.placeholder(tf.float32, [None, 10])\ny_ = tf.placeholder(tf.float32, [None, 10])\n"
                 "loss = tf.reduce_mean(-tf.reduce_sum(y_ * tf.log(tf.nn.softmax(z)), axis=1))\n")


def test_exact_cross_entropy_becomes_softmax_cross_entropy_with_logits(snippet):
    result = snippet(CROSS_ENTROPY, cross_entropy_ops())
    first = result.only_fixes[0]
    assert (first.kind, first.proven, first.preferred) == ("softmax-cross-entropy", True, True)
    assert result.line_after(first) == \
        "loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=z))"
    assert result.only_fixes[1].kind == "log-softmax"


def test_cross_entropy_over_another_axis_is_not_rewritten(snippet):
    source = CROSS_ENTROPY.replace("axis=1", "axis=0")
    result = snippet(source, cross_entropy_ops(axis=0))
    assert "softmax-cross-entropy" not in [f.kind for f in result.only_fixes]
    assert result.only_fixes[0].kind == "log-softmax"


def test_cross_entropy_with_keepdims_is_not_rewritten(snippet):
    source = CROSS_ENTROPY.replace("axis=1", "axis=1, keepdims=True")
    result = snippet(source, cross_entropy_ops(keep_dims=True))
    assert "softmax-cross-entropy" not in [f.kind for f in result.only_fixes]


def division(source_line, b_range=None, a_line=2):
    source = TF + "a = tf.placeholder(tf.float32)\nb = tf.placeholder(tf.float32)\n" + source_line + "\n"
    ops = [op("a", "Placeholder", line=2), op("b", "Placeholder", line=3),
           op("truediv", "RealDiv", "a", "b", line=4),
           op("gradients/truediv_grad/RealDiv", "RealDiv", "a", "b")]
    return source, ops, ({"b": b_range} if b_range else {})


def test_division_by_any_value_uses_divide_no_nan(snippet):
    source, ops, ranges = division("q = a / b")
    result = snippet(source, ops, **ranges)
    assert [(f.kind, f.proven, f.preferred) for f in result.only_fixes] == [("divide-no-nan", True, True)]
    assert result.line_after(result.only_fixes[0]) == "q = tf.math.divide_no_nan(a, b)"


def test_division_by_a_non_negative_value_also_offers_eps(snippet):
    source, ops, ranges = division("q = a / b", b_range=(0.0, 1.0))
    result = snippet(source, ops, **ranges)
    eps = result.by_kind("add-eps")
    assert eps.proven and result.line_after(eps) == "q = a / (b + 1e-07)"
    # Parentheses already there are not doubled.
    source, ops, ranges = division("q = a / (b)", b_range=(0.0, 1.0))
    result = snippet(source, ops, **ranges)
    assert result.line_after(result.by_kind("add-eps")) == "q = a / (b + 1e-07)"


def test_divide_call_keeps_its_arguments(snippet):
    source, ops, ranges = division("q = tf.divide(a,  b, name='q')", b_range=(0.0, 1.0))
    result = snippet(source, ops, **ranges)
    assert result.line_after(result.by_kind("divide-no-nan")) == "q = tf.math.divide_no_nan(a,  b, name='q')"
    assert result.line_after(result.by_kind("add-eps")) == "q = tf.divide(a,  b + 1e-07, name='q')"


def unary(call, op_type, dtype="float32", **ranges):
    source = TF + f"x = tf.placeholder(tf.{dtype})\ny = {call}\n"
    ops = [op("x", "Placeholder", line=2, dtype=dtype), op(op_type, op_type, "x", line=3, dtype=dtype)]
    return source, ops, ranges


def test_exp_is_bounded_by_the_dtype_limit(snippet):
    for dtype, limit in (("float32", "88.0"), ("float16", "11.0"), ("float64", "709.0"), ("bfloat16", "88.0")):
        source, ops, ranges = unary("tf.exp(x)", "Exp", dtype)
        result = snippet(source, ops)
        [fix] = result.only_fixes
        assert (fix.kind, fix.proven, fix.preferred) == ("minimum", True, True), dtype
        assert result.line_after(fix) == f"y = tf.exp(tf.minimum(x, {limit}))"


def test_expm1_log1p_sqrt(snippet):
    source, ops, _ = unary("tf.math.expm1(x)", "Expm1")
    result = snippet(source, ops)
    assert result.line_after(result.only_fixes[0]) == "y = tf.math.expm1(tf.math.minimum(x, 88.0))"

    source, ops, _ = unary("tf.math.log1p(x)", "Log1p")
    result = snippet(source, ops)
    [fix] = result.only_fixes
    assert fix.proven and result.line_after(fix) == "y = tf.math.log1p(tf.math.maximum(x, -0.9999997))"

    source, ops, _ = unary("tf.sqrt(x)", "Sqrt")
    result = snippet(source, ops)
    [fix] = result.only_fixes
    assert fix.proven and result.line_after(fix) == "y = tf.sqrt(tf.maximum(x, 1e-07))"


def test_log1p_floor_stays_above_minus_one_in_float16(snippet):
    source, ops, _ = unary("tf.math.log1p(x)", "Log1p", "float16")
    result = snippet(source, ops)
    [fix] = result.only_fixes
    assert fix.proven and result.line_after(fix) == "y = tf.math.log1p(tf.math.maximum(x, -0.998))"


def test_rsqrt_adds_eps_to_a_non_negative_input(snippet):
    source, ops, ranges = unary("tf.math.rsqrt(x)", "Rsqrt")
    result = snippet(source, ops, x=(0.0, 4.0))
    assert [(f.kind, f.proven) for f in result.only_fixes] == [("add-eps", True), ("maximum", True)]
    assert result.line_after(result.only_fixes[0]) == "y = tf.math.rsqrt(x + 1e-07)"
    result = snippet(source, ops)   # x may be negative: the eps fix is not offered
    assert [(f.kind, f.proven) for f in result.only_fixes] == [("maximum", True)]


def test_reciprocal(snippet):
    source, ops, _ = unary("tf.math.reciprocal(x)", "Reciprocal")
    result = snippet(source, ops, x=(0.0, 4.0))
    assert [(f.kind, f.proven) for f in result.only_fixes] == [("reciprocal-no-nan", True), ("add-eps", True)]
    assert result.line_after(result.only_fixes[0]) == "y = tf.math.reciprocal_no_nan(x)"
    assert result.line_after(result.only_fixes[1]) == "y = tf.math.reciprocal(x + 1e-07)"


def test_gradient_only_finding_is_fixed_at_the_forward_call(snippet):
    # sqrt(x) with x >= 0 is safe, but its gradient 0.5 / sqrt(x) divides by 0 at x = 0.
    source = TF + "x = tf.placeholder(tf.float32)\ny = tf.sqrt(x)\n"
    ops = [op("x", "Placeholder", line=2), op("Sqrt", "Sqrt", "x", line=3), op("half", "Const", value=0.5),
           op("gradients/Sqrt_grad/truediv", "RealDiv", "half", "Sqrt")]
    result = snippet(source, ops, x=(0.0, 4.0))
    assert result.finding.gradient_of == "Sqrt"
    [fix] = result.only_fixes
    assert fix.proven and fix.preferred and result.line_after(fix) == "y = tf.sqrt(tf.maximum(x, 1e-07))"
    assert "RealDiv input" in fix.detail


def test_integer_division_gets_no_fix(snippet):
    source = TF + "a = tf.placeholder(tf.int32)\nb = tf.placeholder(tf.int32)\nq = tf.div(a, b)\n"
    ops = [op("a", "Placeholder", dtype="int32", line=2), op("b", "Placeholder", dtype="int32", line=3),
           op("Div", "Div", "a", "b", dtype="int32", line=4)]
    result = snippet(source, ops)
    assert result.only_fixes == []


def test_fixes_of_the_same_report_apply_together(snippet):
    from nanscope.analysis.fixes import apply_edits, select_fixes

    source = TF + "x = tf.placeholder(tf.float32)\ny = tf.log(x) + tf.sqrt(x) / x\n"
    ops = [op("x", "Placeholder", line=2), op("Log", "Log", "x", line=3), op("Sqrt", "Sqrt", "x", line=3),
           op("truediv", "RealDiv", "Sqrt", "x", line=3), op("add", "AddV2", "Log", "truediv", line=3)]
    result = snippet(source, ops)
    assert len(result.report.findings) == 3
    chosen = select_fixes(result.fixes)
    # The division's fix rewrites the whole `tf.sqrt(x) / x`, which contains the sqrt call: one of them waits.
    assert len(chosen) == 2
    text = apply_edits(result.path.read_text(encoding="utf-8"), [e for f in chosen for e in f.edits])
    assert text.split("\n")[2] == "y = tf.log(tf.maximum(x, 1e-07)) + tf.math.divide_no_nan(tf.sqrt(x), x)"
