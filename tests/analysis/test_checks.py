"""Checks and interpreter on hand-written graphs (no TensorFlow): danger zones follow the dtype, unknown
ops are unbounded (never optimistic), every checked op is reported or proven safe."""
from pathlib import Path

import pytest

from nanscope.analysis.api import CheckOptions, analyse_graph
from nanscope.analysis.graph import graph_from_text


def node(name, op, *inputs, dtype="DT_FLOAT", shape=None, value=None):
    parts = [f'name: "{name}" op: "{op}"'] + [f'input: "{i}"' for i in inputs]
    parts.append(f'attr {{ key: "{"dtype" if op in ("Placeholder", "Const") else "T"}" value {{ type: {dtype} }} }}')
    if shape is not None:
        dims = " ".join(f"dim {{ size: {d} }}" for d in shape)
        parts.append(f'attr {{ key: "_output_shapes" value {{ list {{ shape {{ {dims} }} }} }} }}')
    if value is not None:
        field = {"DT_FLOAT": "float_val", "DT_DOUBLE": "double_val", "DT_INT32": "int_val"}[dtype]
        vals = " ".join(f"{field}: {v}" for v in value)
        parts.append(f'attr {{ key: "value" value {{ tensor {{ dtype: {dtype} tensor_shape {{ dim {{ size: '
                     f'{len(value)} }} }} {vals} }} }} }}')
    return "node { " + " ".join(parts) + " }\n"


def analyse(text, **ranges):
    graph = graph_from_text(text.encode())
    return analyse_graph(graph, Path("g.pbtxt"), CheckOptions(ranges=ranges), locations={})


def codes(report):
    return sorted((f.code, f.op_name) for f in report.findings)


def test_log_of_softmax_is_reported_with_its_range():
    report = analyse(node("x", "Placeholder", shape=[-1, 10]) + node("p", "Softmax", "x", shape=[-1, 10])
                     + node("l", "Log", "p"))
    assert codes(report) == [("NS101", "l")]
    assert report.findings[0].input_range == (0.0, 1.0)
    assert report.stats.unsafe_ops == 1 and not report.proven_safe


def test_softmax_of_bounded_logits_makes_log_safe():
    text = node("x", "Placeholder", shape=[-1, 10]) + node("p", "Softmax", "x", shape=[-1, 10]) + node("l", "Log", "p")
    report = analyse(text, x=(-1.0, 1.0))
    assert codes(report) == [] and [s.op_name for s in report.proven_safe] == ["l"]


def test_clipping_proves_log_safe():
    text = (node("x", "Placeholder") + node("lo", "Const", value=[1e-10]) + node("hi", "Const", value=[1.0])
            + node("c", "ClipByValue", "x", "lo", "hi") + node("l", "Log", "c"))
    assert codes(analyse(text)) == []


@pytest.mark.parametrize("dtype,hi,unsafe", [
    ("DT_FLOAT", 88.0, False), ("DT_FLOAT", 89.0, True),
    ("DT_DOUBLE", 89.0, False), ("DT_DOUBLE", 710.0, True),
    ("DT_HALF", 11.0, False), ("DT_HALF", 11.2, True),
])
def test_exp_threshold_follows_dtype(dtype, hi, unsafe):
    text = node("x", "Placeholder", dtype=dtype) + node("e", "Exp", "x", dtype=dtype)
    report = analyse(text, x=(0.0, hi))
    assert bool(report.findings) is unsafe


def test_log_of_subnormal_counts_as_zero():
    text = node("x", "Placeholder") + node("l", "Log", "x")
    assert codes(analyse(text, x=(1e-39, 1.0))) == [("NS101", "l")]   # below float32's smallest normal
    assert codes(analyse(text, x=(1e-30, 1.0))) == []


def test_unknown_op_is_unbounded_and_named_in_a_note():
    text = node("x", "Placeholder") + node("m", "MysteryOp", "x") + node("l", "Log", "m")
    report = analyse(text, x=(1.0, 2.0))
    assert codes(report) == [("NS101", "l")]
    assert report.findings[0].input_range == (float("-inf"), float("inf"))
    assert any("MysteryOp" in note for note in report.notes)


def test_division_by_a_range_excluding_zero_is_safe():
    text = node("a", "Placeholder") + node("b", "Placeholder") + node("d", "RealDiv", "a", "b")
    assert codes(analyse(text, b=(0.5, 2.0))) == []
    assert codes(analyse(text, b=(-1.0, 2.0))) == [("NS105", "d")]


def test_sqrt_rsqrt_log1p_expm1_reciprocal_zones():
    base = node("x", "Placeholder")
    for op, code, safe_range, unsafe_range in [
        ("Sqrt", "NS107", (0.0, 4.0), (-1e-3, 4.0)),
        ("Rsqrt", "NS108", (1e-3, 4.0), (0.0, 4.0)),
        ("Log1p", "NS102", (-0.99, 4.0), (-1.0, 4.0)),
        ("Expm1", "NS104", (0.0, 80.0), (0.0, 100.0)),
        ("Reciprocal", "NS106", (1.0, 4.0), (-1.0, 4.0)),
    ]:
        text = base + node("y", op, "x")
        assert codes(analyse(text, x=safe_range)) == [], op
        assert codes(analyse(text, x=unsafe_range)) == [(code, "y")], op


def test_affine_free_interval_level_is_sound_on_cancellation():
    # Without relations, x - x is [-2, 2] for x in [-1, 1]: the division must be reported, not guessed safe.
    text = (node("x", "Placeholder") + node("d", "Sub", "x", "x") + node("one", "Const", value=[1.0])
            + node("q", "RealDiv", "one", "d"))
    assert codes(analyse(text, x=(-1.0, 1.0))) == [("NS105", "q")]


def test_gradient_of_a_reported_log_is_folded_into_one_finding():
    text = (node("x", "Placeholder", shape=[-1, 10]) + node("Softmax", "Softmax", "x", shape=[-1, 10])
            + node("Log", "Log", "Softmax") + node("gradients/Log_grad/Reciprocal", "Reciprocal", "Softmax"))
    report = analyse(text)
    assert codes(report) == [("NS101", "Log")]
    assert "gradient" in report.findings[0].message
    assert report.stats.unsafe_ops == 2


def test_gradient_failing_alone_is_reported_as_the_gradient():
    # sqrt(x) with x >= 0 is safe, but its gradient 0.5 / sqrt(x) divides by 0 at x = 0.
    text = (node("x", "Placeholder") + node("Sqrt", "Sqrt", "x") + node("half", "Const", value=[0.5])
            + node("gradients/Sqrt_grad/truediv", "RealDiv", "half", "Sqrt"))
    report = analyse(text, x=(0.0, 4.0))
    assert codes(report) == [("NS105", "gradients/Sqrt_grad/truediv")]
    assert report.findings[0].gradient_of == "Sqrt"
    assert report.findings[0].message.startswith("the gradient of Sqrt")
