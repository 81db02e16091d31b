"""Every registered transformer against TensorFlow itself (see soundness_harness.py for the method).

`CASES` builds one small graph per op type (and per dtype or attribute variant); hypothesis draws input
ranges and the harness asserts that what TensorFlow computes for inputs inside those ranges lies inside
the abstract values. Ops whose inputs cannot be drawn independently (constants, variables, random ops,
Range, BroadcastGradientArgs, v1 loops) have their own tests below, and
`test_error_budget_on_dense_points` runs the unary math ops on dense and worst-known inputs, one abstract
point interval each, to pin the error budgets of TensorFlow's (not correctly rounded) kernels.
`test_every_registered_op_has_a_soundness_test` fails when a transformer is registered without a test.
"""
from __future__ import annotations

import math
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from soundness_harness import (
    MODES,
    Case,
    In,
    assert_inside,
    build,
    check_case,
    check_elements,
    covers,
    holds,
    ref,
)

from nanscope.analysis.checks import SPEC_BY_OP
from nanscope.analysis.domain.interval import INF, Interval
from nanscope.analysis.graph import TensorRef, graph_from_bytes
from nanscope.analysis.interpreter import interpret
from nanscope.analysis.transformers.registry import AnalysisOptions, Assumptions

pytestmark = pytest.mark.tensorflow
tf = pytest.importorskip("tensorflow")
raw = tf.raw_ops
v1 = tf.compat.v1

F32, F64, F16, I32 = "float32", "float64", "float16", "int32"


def x_in(dtype=F32, shape=(3, 4), kind="any", feed=None):
    return In(dtype, shape, kind, feed)


# -- cases --------------------------------------------------------------------------------------------------

CASES: list[Case] = []


def case(id_, op, inputs, build, **kw):
    CASES.append(Case(id_, op, tuple(inputs), build, **kw))


# unary elementwise math
UNARY_X = ["Neg", "Abs", "Square", "Sqrt", "Rsqrt", "Exp", "Expm1", "Log", "Log1p", "Reciprocal", "Inv",
           "Sigmoid", "Tanh"]
UNARY_FEATURES = ["Relu", "Relu6", "Softplus"]
UNARY_BY_DTYPE = {
    F32: UNARY_X + UNARY_FEATURES,
    F64: ["Neg", "Abs", "Square", "Sqrt", "Rsqrt", "Exp", "Expm1", "Log", "Log1p", "Reciprocal", "Sigmoid",
          "Tanh", "Relu", "Softplus"],
    F16: ["Abs", "Square", "Sqrt", "Exp", "Expm1", "Log", "Log1p", "Reciprocal", "Sigmoid", "Tanh", "Relu",
          "Softplus"],
    I32: ["Neg", "Abs", "Square", "Relu"],
}


def _unary(op):
    arg = "features" if op in UNARY_FEATURES else "x"
    return lambda x: getattr(raw, op)(**{arg: x})


for _dtype, _ops in UNARY_BY_DTYPE.items():
    for _op in _ops:
        case(f"{_op}-{_dtype}", _op, [x_in(_dtype)], _unary(_op))

for _op in ["Identity", "StopGradient", "Snapshot", "PreventGradient"]:
    case(f"{_op}-f32", _op, [x_in()], lambda x, _op=_op: getattr(raw, _op)(input=x), covers=("Placeholder",))
case("Identity-i32", "Identity", [x_in(I32)], lambda x: raw.Identity(input=x))
case("Identity-bool", "Identity", [x_in("bool")], lambda x: raw.Identity(input=x))
case("CheckNumerics", "CheckNumerics", [x_in()], lambda x: raw.CheckNumerics(tensor=x, message="m"))
case("EnsureShape", "EnsureShape", [x_in(shape=(None, 4), feed=(3, 4))],
     lambda x: raw.EnsureShape(input=x, shape=[3, 4]))

# binary elementwise arithmetic
BINARY = ["Add", "AddV2", "Sub", "Mul", "RealDiv", "Div", "FloorDiv", "TruncateDiv", "FloorMod", "Mod",
          "TruncateMod", "SquaredDifference", "Maximum", "Minimum"]
DIVISIONS = {"RealDiv", "Div", "FloorDiv", "TruncateDiv", "FloorMod", "Mod", "TruncateMod"}
# Float division by a range containing 0 is what the checks report; ops without a check get nonzero divisors.
CHECKED_DIVISIONS = {"RealDiv", "Div"}


def _binary_inputs(op, dtype, y_shape=(3, 4)):
    x_kind = "divsafe" if dtype == I32 and op in DIVISIONS else "any"
    y_kind = "nonzero" if op in DIVISIONS and (dtype == I32 or op not in CHECKED_DIVISIONS) else "any"
    return [x_in(dtype, kind=x_kind), x_in(dtype, y_shape, y_kind)]


for _op in BINARY:
    case(f"{_op}-f32", _op, _binary_inputs(_op, F32), lambda x, y, _op=_op: getattr(raw, _op)(x=x, y=y))
    case(f"{_op}-f32-broadcast", _op, _binary_inputs(_op, F32, (4,)),
         lambda x, y, _op=_op: getattr(raw, _op)(x=x, y=y), examples=15)
    if _op != "RealDiv":
        case(f"{_op}-i32", _op, _binary_inputs(_op, I32), lambda x, y, _op=_op: getattr(raw, _op)(x=x, y=y))
for _dtype in (F64, F16):
    for _op in ["Add", "Sub", "Mul", "RealDiv", "SquaredDifference", "Maximum", "FloorDiv", "FloorMod"]:
        case(f"{_op}-{_dtype}", _op, _binary_inputs(_op, _dtype), lambda x, y, _op=_op: getattr(raw, _op)(x=x, y=y))
case("Mul-square-f32", "Mul", [x_in()], lambda x: raw.Mul(x=x, y=x))
case("Mul-square-i32", "Mul", [x_in(I32)], lambda x: raw.Mul(x=x, y=x))
case("Mul-square-f16", "Mul", [x_in(F16)], lambda x: raw.Mul(x=x, y=x))
case("Mul-square-f64", "Mul", [x_in(F64)], lambda x: raw.Mul(x=x, y=x))
case("Square-f64-huge", "Square", [x_in(F64)], lambda x: raw.Square(x=x))
case("BiasAdd", "BiasAdd", [x_in(), x_in(shape=(4,))], lambda x, b: raw.BiasAdd(value=x, bias=b))
case("BiasAdd-nchw", "BiasAdd", [x_in(shape=(2, 3, 2, 2)), x_in(shape=(3,))],
     lambda x, b: raw.BiasAdd(value=x, bias=b, data_format="NCHW"), examples=15)
case("AddN", "AddN", [x_in(), x_in(), x_in()], lambda a, b, c: raw.AddN(inputs=[a, b, c]))
case("AddN-i32", "AddN", [x_in(I32), x_in(I32), x_in(I32)], lambda a, b, c: raw.AddN(inputs=[a, b, c]))
case("ClipByValue-scalar", "ClipByValue", [x_in(), x_in(shape=()), x_in(shape=())],
     lambda t, lo, hi: raw.ClipByValue(t=t, clip_value_min=lo, clip_value_max=hi))
case("ClipByValue-tensor", "ClipByValue", [x_in(), x_in(), x_in()],
     lambda t, lo, hi: raw.ClipByValue(t=t, clip_value_min=lo, clip_value_max=hi))
case("ClipByValue-i32", "ClipByValue", [x_in(I32), x_in(I32, ()), x_in(I32, ())],
     lambda t, lo, hi: raw.ClipByValue(t=t, clip_value_min=lo, clip_value_max=hi))

# matrix products, convolution, pooling, softmax
for _ta, _tb in [(False, False), (True, False), (False, True), (True, True)]:
    _a = (4, 3) if _ta else (3, 4)
    _b = (5, 4) if _tb else (4, 5)
    case(f"MatMul-{int(_ta)}{int(_tb)}", "MatMul", [x_in(shape=_a), x_in(shape=_b)],
         lambda a, b, _ta=_ta, _tb=_tb: raw.MatMul(a=a, b=b, transpose_a=_ta, transpose_b=_tb),
         nan_on_overflow=True)
case("MatMul-unknown-k", "MatMul", [x_in(shape=(3, None), feed=(3, 4)), x_in(shape=(None, 5), feed=(4, 5))],
     lambda a, b: raw.MatMul(a=a, b=b), nan_on_overflow=True)
case("MatMul-unknown-a", "MatMul", [x_in(shape=None, feed=(3, 4)), x_in(shape=(4, 5))],
     lambda a, b: raw.MatMul(a=a, b=b), nan_on_overflow=True)
case("MatMul-i32", "MatMul", [x_in(I32), x_in(I32, (4, 5))], lambda a, b: raw.MatMul(a=a, b=b))
case("MatMul-f64", "MatMul", [x_in(F64), x_in(F64, (4, 5))], lambda a, b: raw.MatMul(a=a, b=b),
     nan_on_overflow=True)
for _ax, _ay in [(False, False), (True, False), (False, True)]:
    _a = (2, 4, 3) if _ax else (2, 3, 4)
    _b = (2, 5, 4) if _ay else (2, 4, 5)
    case(f"BatchMatMulV2-{int(_ax)}{int(_ay)}", "BatchMatMulV2", [x_in(shape=_a), x_in(shape=_b)],
         lambda a, b, _ax=_ax, _ay=_ay: raw.BatchMatMulV2(x=a, y=b, adj_x=_ax, adj_y=_ay), nan_on_overflow=True)
case("BatchMatMulV2-broadcast", "BatchMatMulV2", [x_in(shape=(2, 3, 4)), x_in(shape=(4, 5))],
     lambda a, b: raw.BatchMatMulV2(x=a, y=b), nan_on_overflow=True)
case("BatchMatMulV2-unknown-x", "BatchMatMulV2", [x_in(shape=None, feed=(2, 3, 4)), x_in(shape=(2, 4, 5))],
     lambda a, b: raw.BatchMatMulV2(x=a, y=b, adj_y=False), nan_on_overflow=True)
case("BatchMatMul", "BatchMatMul", [x_in(shape=(2, 3, 4)), x_in(shape=(2, 4, 5))],
     lambda a, b: raw.BatchMatMul(x=a, y=b), nan_on_overflow=True)
case("BatchMatMulV3", "BatchMatMulV3", [x_in(shape=(2, 3, 4)), x_in(shape=(2, 5, 4))],
     lambda a, b: raw.BatchMatMulV3(x=a, y=b, Tout=tf.float32, adj_y=True), nan_on_overflow=True)
for _padding, _stride in [("SAME", 1), ("VALID", 1), ("SAME", 2), ("VALID", 2)]:
    case(f"Conv2D-{_padding}-{_stride}", "Conv2D", [x_in(shape=(1, 5, 5, 2)), x_in(shape=(3, 3, 2, 3))],
         lambda x, w, _p=_padding, _s=_stride: raw.Conv2D(input=x, filter=w, strides=[1, _s, _s, 1], padding=_p),
         nan_on_overflow=True)
case("Conv2D-unknown-filter", "Conv2D", [x_in(shape=(1, 5, 5, 2)), x_in(shape=None, feed=(2, 2, 2, 3))],
     lambda x, w: raw.Conv2D(input=x, filter=w, strides=[1, 1, 1, 1], padding="SAME"), nan_on_overflow=True)
for _padding, _k, _s in [("SAME", 2, 2), ("VALID", 2, 2), ("SAME", 3, 1), ("VALID", 3, 2)]:
    _shape = (1, 5, 5, 2)
    case(f"MaxPool-{_padding}-{_k}{_s}", "MaxPool", [x_in(shape=_shape)],
         lambda x, _p=_padding, _k=_k, _s=_s: raw.MaxPool(input=x, ksize=[1, _k, _k, 1], strides=[1, _s, _s, 1],
                                                          padding=_p))
    case(f"AvgPool-{_padding}-{_k}{_s}", "AvgPool", [x_in(shape=_shape)],
         lambda x, _p=_padding, _k=_k, _s=_s: raw.AvgPool(value=x, ksize=[1, _k, _k, 1], strides=[1, _s, _s, 1],
                                                          padding=_p), nan_on_overflow=True)
case("MaxPoolV2", "MaxPoolV2", [x_in(shape=(1, 5, 5, 2))],
     lambda x: raw.MaxPoolV2(input=x, ksize=tf.constant([1, 2, 2, 1]), strides=tf.constant([1, 2, 2, 1]),
                             padding="SAME"))
case("AvgPool-f64", "AvgPool", [x_in(F64, (1, 4, 4, 1))],
     lambda x: raw.AvgPool(value=x, ksize=[1, 2, 2, 1], strides=[1, 1, 1, 1], padding="SAME"), nan_on_overflow=True)
for _dtype in (F32, F64):
    case(f"Softmax-{_dtype}", "Softmax", [x_in(_dtype, (4, 10))], lambda x: raw.Softmax(logits=x))
    case(f"LogSoftmax-{_dtype}", "LogSoftmax", [x_in(_dtype, (4, 10))], lambda x: raw.LogSoftmax(logits=x))
case("Softmax-1class", "Softmax", [x_in(shape=(4, 1))], lambda x: raw.Softmax(logits=x))
case("Softmax-2class", "Softmax", [x_in(shape=(3, 2))], lambda x: raw.Softmax(logits=x))
case("Softmax-unknown", "Softmax", [x_in(shape=(None, None), feed=(2, 6))], lambda x: raw.Softmax(logits=x))
case("LogSoftmax-unknown", "LogSoftmax", [x_in(shape=(None, None), feed=(2, 6))], lambda x: raw.LogSoftmax(logits=x))
case("Softmax-f16", "Softmax", [x_in(F16, (4, 10))], lambda x: raw.Softmax(logits=x))

# reductions
REDUCTIONS = ["Sum", "Mean", "Max", "Min", "Prod"]
for _op in REDUCTIONS:
    _overflow = _op in ("Sum", "Mean", "Prod")
    for _dtype in (F32, I32):
        for _axes, _keep in [([1], False), ([0, 1], True), ([-1], True), ([], False)]:
            case(f"{_op}-{_dtype}-{_axes}-{_keep}", _op, [x_in(_dtype)],
                 lambda x, _op=_op, _axes=_axes, _keep=_keep:
                     getattr(raw, _op)(input=x, axis=tf.constant(_axes, tf.int32), keep_dims=_keep),
                 nan_on_overflow=_overflow, examples=20)
    case(f"{_op}-unknown-count", _op, [x_in(shape=(None, 4), feed=(3, 4))],
         lambda x, _op=_op: getattr(raw, _op)(input=x, axis=tf.constant([0])), nan_on_overflow=_overflow)
    case(f"{_op}-unknown-rank", _op, [x_in(shape=None, feed=(2, 3))],
         lambda x, _op=_op: getattr(raw, _op)(input=x, axis=tf.constant([1])), nan_on_overflow=_overflow)
    case(f"{_op}-f64", _op, [x_in(F64, (2, 6))], lambda x, _op=_op: getattr(raw, _op)(input=x, axis=[1]),
         nan_on_overflow=_overflow)
    case(f"{_op}-f16", _op, [x_in(F16, (2, 6))], lambda x, _op=_op: getattr(raw, _op)(input=x, axis=[1]),
         nan_on_overflow=_overflow)
    case(f"{_op}-large", _op, [x_in(shape=(2, 300))], lambda x, _op=_op: getattr(raw, _op)(input=x, axis=[1]),
         nan_on_overflow=_overflow, examples=15)
    if _op != "Mean":  # the mean of no elements is 0 / 0 = NaN, which no check reports
        case(f"{_op}-empty", _op, [x_in(shape=(0, 3))], lambda x, _op=_op: getattr(raw, _op)(input=x, axis=[0]),
             examples=10)
        case(f"{_op}-empty-i32", _op, [x_in(I32, (2, 0))], lambda x, _op=_op: getattr(raw, _op)(input=x, axis=[1]),
             examples=10)

# moving and describing elements
case("Reshape", "Reshape", [x_in()], lambda x: raw.Reshape(tensor=x, shape=[2, 6]))
case("Reshape-i32", "Reshape", [x_in(I32)], lambda x: raw.Reshape(tensor=x, shape=[-1]))
case("Squeeze", "Squeeze", [x_in(shape=(3, 1, 4))], lambda x: raw.Squeeze(input=x, axis=[1]))
case("ExpandDims", "ExpandDims", [x_in()], lambda x: raw.ExpandDims(input=x, axis=1))
case("Transpose", "Transpose", [x_in(shape=(2, 3, 4))], lambda x: raw.Transpose(x=x, perm=[2, 0, 1]))
case("Tile", "Tile", [x_in()], lambda x: raw.Tile(input=x, multiples=[2, 1]))
case("BroadcastTo", "BroadcastTo", [x_in(shape=(4,))], lambda x: raw.BroadcastTo(input=x, shape=[3, 4]))
case("ReverseV2", "ReverseV2", [x_in()], lambda x: raw.ReverseV2(tensor=x, axis=[1]))
case("ConcatV2", "ConcatV2", [x_in(), x_in(shape=(3, 2))], lambda a, b: raw.ConcatV2(values=[a, b], axis=1))
case("ConcatV2-3", "ConcatV2", [x_in(I32), x_in(I32), x_in(I32, (1, 4))],
     lambda a, b, c: raw.ConcatV2(values=[a, b, c], axis=0))
case("Pack", "Pack", [x_in(), x_in()], lambda a, b: raw.Pack(values=[a, b], axis=1))
case("Pack-i32", "Pack", [x_in(I32, ()), x_in(I32, ()), x_in(I32, ())], lambda a, b, c: raw.Pack(values=[a, b, c]))
for _shape in [(3, 4), (None, 4), None]:
    _name = "static" if _shape == (3, 4) else "unknown"
    if _shape is None:
        _name = "unknown-rank"
    for _out in (tf.int32, tf.int64):
        case(f"Shape-{_name}-{_out.name}", "Shape", [x_in(shape=_shape, feed=(3, 4))],
             lambda x, _out=_out: raw.Shape(input=x, out_type=_out), examples=5)
        case(f"Size-{_name}-{_out.name}", "Size", [x_in(shape=_shape, feed=(3, 4))],
             lambda x, _out=_out: raw.Size(input=x, out_type=_out), examples=5)
    case(f"Rank-{_name}", "Rank", [x_in(shape=_shape, feed=(3, 4))], lambda x: raw.Rank(input=x), examples=5)
case("Fill", "Fill", [x_in(shape=())], lambda v: raw.Fill(dims=[3, 4], value=v))
case("Fill-i32", "Fill", [x_in(I32, ())], lambda v: raw.Fill(dims=[2, 2], value=v))
case("ZerosLike", "ZerosLike", [x_in()], lambda x: raw.ZerosLike(x=x), examples=5)
case("OnesLike", "OnesLike", [x_in()], lambda x: raw.OnesLike(x=x), examples=5)
case("ZerosLike-i32", "ZerosLike", [x_in(I32)], lambda x: raw.ZerosLike(x=x), examples=5)
case("OnesLike-bool", "OnesLike", [x_in("bool")], lambda x: raw.OnesLike(x=x), examples=5)
for _src, _dst in [(F32, "int32"), (F32, "uint8"), (F32, "int64"), (I32, "float32"), (F32, "bool"),
                   (I32, "bool"), (F32, "float16"), (F64, "float32"), (F32, "float64"), (I32, "int8"),
                   ("int64", "float32"), ("int64", "int32"), (F16, "float32"), ("bool", "float32"),
                   (I32, "uint32"), (F64, "int32")]:
    case(f"Cast-{_src}-{_dst}", "Cast", [x_in(_src)], lambda x, _dst=_dst: raw.Cast(x=x, DstT=tf.as_dtype(_dst)))
case("GatherV2", "GatherV2", [x_in(shape=(5, 4))],
     lambda p: raw.GatherV2(params=p, indices=[4, 0, 2, 2], axis=0))
case("GatherV2-axis1", "GatherV2", [x_in(shape=(5, 4))],
     lambda p: raw.GatherV2(params=p, indices=[[3, 1], [0, 0]], axis=1))
case("GatherV2-i32", "GatherV2", [x_in(I32, (5, 4)), x_in(I32, (3,), "small")],
     lambda p, i: raw.GatherV2(params=p, indices=tf.math.floormod(i, 5), axis=0), covers=("FloorMod",))
case("Gather", "Gather", [x_in(shape=(5, 4))], lambda p: raw.Gather(params=p, indices=[1, 4]))
case("DynamicStitch", "DynamicStitch", [x_in(shape=(2, 3)), x_in(shape=(2, 3))],
     lambda a, b: raw.DynamicStitch(indices=[tf.constant([0, 2]), tf.constant([1, 3])], data=[a, b]))
case("ParallelDynamicStitch", "ParallelDynamicStitch", [x_in(I32, (2,)), x_in(I32, (3,))],
     lambda a, b: raw.ParallelDynamicStitch(indices=[tf.constant([4, 0]), tf.constant([1, 3, 2])], data=[a, b]))

# comparisons, logic, selection
COMPARISONS = ["Less", "LessEqual", "Greater", "GreaterEqual", "Equal", "NotEqual"]
for _op in COMPARISONS:
    case(f"{_op}-f32", _op, [x_in(), x_in()], lambda x, y, _op=_op: getattr(raw, _op)(x=x, y=y))
    case(f"{_op}-smallint", _op, [x_in(kind="smallint"), x_in(shape=(4,), kind="smallint")],
         lambda x, y, _op=_op: getattr(raw, _op)(x=x, y=y))
    case(f"{_op}-i32", _op, [x_in(I32, kind="smallint"), x_in(I32, kind="smallint")],
         lambda x, y, _op=_op: getattr(raw, _op)(x=x, y=y), examples=20)
case("LogicalAnd", "LogicalAnd", [x_in("bool"), x_in("bool")], lambda x, y: raw.LogicalAnd(x=x, y=y), examples=15)
case("LogicalOr", "LogicalOr", [x_in("bool"), x_in("bool", (4,))], lambda x, y: raw.LogicalOr(x=x, y=y),
     examples=15)
case("LogicalNot", "LogicalNot", [x_in("bool")], lambda x: raw.LogicalNot(x=x), examples=10)
case("Select", "Select", [x_in("bool"), x_in(), x_in()], lambda c, a, b: raw.Select(condition=c, x=a, y=b))
case("Select-rows", "Select", [x_in("bool", (3,)), x_in(), x_in()], lambda c, a, b: raw.Select(condition=c, x=a, y=b))
case("SelectV2", "SelectV2", [x_in("bool", (4,)), x_in(), x_in(shape=())],
     lambda c, a, b: raw.SelectV2(condition=c, t=a, e=b))
case("SelectV2-i32", "SelectV2", [x_in("bool"), x_in(I32), x_in(I32)],
     lambda c, a, b: raw.SelectV2(condition=c, t=a, e=b))

# slicing, splitting, padding; most on partitioned tensors (a concatenation of two differently ranged
# placeholders has a split point), so the per-block check exercises the partition bookkeeping
def parts(a, b, axis=0):
    return raw.ConcatV2(values=[a, b], axis=axis)


P2 = [x_in(shape=(2, 4)), x_in(shape=(3, 4))]          # concatenated along axis 0: shape (5, 4)
P2C = [x_in(shape=(3, 1)), x_in(shape=(3, 3))]         # concatenated along axis 1: shape (3, 4)
case("Concat", "Concat", [x_in(), x_in(shape=(3, 2))], lambda a, b: raw.Concat(concat_dim=1, values=[a, b]))
case("ConcatV2-partitioned", "ConcatV2", [x_in(shape=(2, 1)), x_in(shape=(2, 2)), x_in(shape=(1, 3))],
     lambda a, b, c: raw.ConcatV2(values=[raw.ConcatV2(values=[a, b], axis=1), c], axis=0))
for _name, _fn in {
    "StridedSlice-rows": lambda t: t[1:4],
    "StridedSlice-step": lambda t: t[::2, 1:],
    "StridedSlice-shrink": lambda t: t[3],
    "StridedSlice-newaxis": lambda t: t[None, 2:, -1],
    "StridedSlice-negative": lambda t: t[-2:, ::-1],
}.items():
    case(_name, "StridedSlice", P2, lambda a, b, _fn=_fn: _fn(parts(a, b)))
case("StridedSlice-unknown", "StridedSlice", [x_in(shape=(None, 4), feed=(5, 4))], lambda x: x[1:3, :2])
case("Slice", "Slice", P2, lambda a, b: raw.Slice(input=parts(a, b), begin=[1, 1], size=[3, -1]))
case("Slice-unknown-begin", "Slice", [x_in(), x_in(I32, (2,), "smallint")],
     lambda x, i: raw.Slice(input=x, begin=tf.math.abs(i) // 2, size=[1, 2]), covers=("FloorDiv", "Abs"))
case("Split", "Split", P2C, lambda a, b: raw.Split(axis=1, value=parts(a, b, 1), num_split=2))
case("Split-rows", "Split", P2, lambda a, b: raw.Split(axis=0, value=parts(a, b)[:4], num_split=4))
case("SplitV", "SplitV", P2C,
     lambda a, b: raw.SplitV(value=parts(a, b, 1), size_splits=[2, -1, 1], axis=-1, num_split=3))
case("Unpack", "Unpack", P2, lambda a, b: raw.Unpack(value=parts(a, b), num=5, axis=0))
case("Unpack-axis1", "Unpack", P2, lambda a, b: raw.Unpack(value=parts(a, b), num=4, axis=1))
case("Pad", "Pad", P2, lambda a, b: raw.Pad(input=parts(a, b), paddings=[[1, 0], [0, 2]]))
case("Pad-unknown", "Pad", [x_in(shape=None, feed=(3, 4))], lambda x: raw.Pad(input=x, paddings=[[1, 1], [0, 1]]))
case("PadV2", "PadV2", P2 + [x_in(shape=())],
     lambda a, b, c: raw.PadV2(input=parts(a, b), paddings=[[0, 2], [1, 1]], constant_values=c))
for _mode in ("REFLECT", "SYMMETRIC"):
    case(f"MirrorPad-{_mode}", "MirrorPad", P2,
         lambda a, b, _mode=_mode: raw.MirrorPad(input=parts(a, b), paddings=[[1, 1], [2, 0]], mode=_mode))
case("Transpose-partitioned", "Transpose", P2, lambda a, b: raw.Transpose(x=parts(a, b), perm=[1, 0]))
case("Reshape-partitioned", "Reshape", P2, lambda a, b: raw.Reshape(tensor=parts(a, b), shape=[5, 1, 4]))
case("Squeeze-partitioned", "Squeeze", [x_in(shape=(2, 1, 4)), x_in(shape=(3, 1, 4))],
     lambda a, b: raw.Squeeze(input=parts(a, b), axis=[1]))
case("ExpandDims-partitioned", "ExpandDims", P2, lambda a, b: raw.ExpandDims(input=parts(a, b), axis=-1))
case("Tile-partitioned", "Tile", P2, lambda a, b: raw.Tile(input=parts(a, b), multiples=[1, 2]))
case("Pack-partitioned", "Pack", P2 + P2, lambda a, b, c, d: raw.Pack(values=[parts(a, b), parts(c, d)], axis=1))
case("GatherV2-partitioned", "GatherV2", P2, lambda a, b: raw.GatherV2(params=parts(a, b), indices=[4, 0, 2, 2, 1],
                                                                      axis=0))
case("GatherV2-scalar", "GatherV2", P2, lambda a, b: raw.GatherV2(params=parts(a, b), indices=3, axis=0))
case("Gather-partitioned", "Gather", P2, lambda a, b: raw.Gather(params=parts(a, b), indices=[[1, 2], [3, 4]]))
case("AddV2-aligned", "AddV2", P2C + [x_in(shape=(3, 3)), x_in(shape=(3, 1))],
     lambda a, b, c, d: raw.AddV2(x=parts(a, b, 1), y=parts(c, d, 1)))
case("Mul-aligned-broadcast", "Mul", P2C + [x_in(shape=(1, 4))],
     lambda a, b, c: raw.Mul(x=parts(a, b, 1), y=c))
case("Sum-partitioned", "Sum", P2, lambda a, b: raw.Sum(input=parts(a, b), axis=[1]), nan_on_overflow=True)
case("MatMul-partitioned", "MatMul", P2C + [x_in(shape=(4, 2))],
     lambda a, b, w: raw.MatMul(a=parts(a, b, 1), b=w), nan_on_overflow=True)
case("OneHot", "OneHot", [x_in(I32, (5,), "smallint"), x_in(shape=()), x_in(shape=())],
     lambda i, on, off: raw.OneHot(indices=i, depth=4, on_value=on, off_value=off))
case("OneHot-axis0", "OneHot", [x_in(I32, (2, 3), "smallint"), x_in(I32, ()), x_in(I32, ())],
     lambda i, on, off: raw.OneHot(indices=i, depth=3, on_value=on, off_value=off, axis=0))
# known indices give split points (negative and too large ones are off everywhere); indices concatenated
# from a constant and a placeholder are partitioned: a point block is one-hot, a ranged block on or off
case("OneHot-constant", "OneHot", [x_in(shape=()), x_in(shape=())],
     lambda on, off: raw.OneHot(indices=[[2, -1, 0], [4, 3, 2]], depth=4, on_value=on, off_value=off, axis=1))
case("OneHot-partitioned", "OneHot", [x_in(I32, (3,), "smallint"), x_in(shape=()), x_in(shape=())],
     lambda i, on, off: raw.OneHot(indices=raw.ConcatV2(values=[[1, 1, 5], i, [-2]], axis=0), depth=4,
                                   on_value=on, off_value=off))

# a few compositions: transformers applied to their own outputs (rounded, partitioned, related values)
case("compose-affine", "Sub", [x_in(), x_in()], lambda a, b: raw.Sub(x=raw.AddV2(x=a, y=b), y=raw.Sub(x=a, y=b)),
     covers=("AddV2",))
case("compose-relu", "AddV2", [x_in(shape=(2, 3))],
     lambda x: raw.AddV2(x=raw.Exp(x=raw.Neg(x=raw.Relu(features=x))),
                         y=raw.Exp(x=raw.Sub(x=x, y=raw.Relu(features=x)))), covers=("Exp", "Relu", "Neg", "Sub"))
case("compose-concat", "Mul", [x_in(shape=(2, 1)), x_in(shape=(2, 1))],
     lambda a, b: raw.Mul(x=raw.ConcatV2(values=[a, tf.ones([2, 1])], axis=1),
                          y=raw.ConcatV2(values=[tf.zeros([2, 1]), b], axis=1)), covers=("ConcatV2",))
case("compose-scale", "RealDiv", [x_in(), x_in()],
     lambda a, b: raw.RealDiv(x=raw.Sub(x=raw.Mul(x=a, y=tf.constant(3.0)), y=raw.Mul(x=tf.constant(2.0), y=a)),
                              y=tf.constant(4.0)), covers=("Sub", "Mul"))


@st.composite
def range_operands(draw, integer: bool):
    """Ranges for start, limit, delta such that every concrete choice is a valid Range."""
    number = st.integers(-20, 20).map(float) if integer else st.floats(-20, 20, width=32)
    a, b = sorted([draw(number), draw(number)])
    span = draw(st.integers(0, 30).map(float) if integer else st.floats(0, 30, width=32))
    c = float(np.float32(b + span))
    d = max(c, draw(number))
    step = st.integers(1, 6).map(float) if integer else st.floats(0.25, 6, width=32)
    s1, s2 = sorted([draw(step), draw(step)])
    if draw(st.booleans()):   # counting down
        return [Interval(c, d), Interval(a, b), Interval(-s2, -s1)]
    return [Interval(a, b), Interval(c, d), Interval(s1, s2)]


for _dtype in (I32, F32):
    case(f"Range-{_dtype}", "Range", [x_in(_dtype, ()), x_in(_dtype, ()), x_in(_dtype, ())],
         lambda a, b, c: raw.Range(start=a, limit=b, delta=c),
         draw_intervals=lambda draw, _i=_dtype == I32: draw(range_operands(_i)), examples=40)



# NANSCOPE_SOUNDNESS_SCALE=10 runs ten times the examples per case (a deeper search than CI's).
SCALE = float(os.environ.get("NANSCOPE_SOUNDNESS_SCALE", "1"))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_transformer_is_sound(case, harness):
    check_case(harness, case, int(case.examples * SCALE))


EXTREMES = ["top", "full", "max", "-max", "from_zero", "tiny", "point_zero"]


@pytest.mark.parametrize("extreme", EXTREMES)
def test_transformers_do_not_fail_on_extreme_ranges(extreme, harness):
    """A failing transformer is sound (its outputs become unbounded) but loses everything downstream:
    no transformer may fail on the type's extreme ranges (overflowing bounds, 0 * inf, inf - inf)."""
    failures = {}
    for case in CASES:
        if case.draw_intervals is not None:
            continue
        built = harness.build(case)
        ranges = {}
        for i, spec in enumerate(case.inputs):
            big = float(np.finfo(spec.dtype).max) if spec.dtype.startswith("float") else \
                float(np.iinfo(spec.dtype).max) if spec.dtype != "bool" else 1.0
            tiny = float(np.finfo(spec.dtype).tiny) if spec.dtype.startswith("float") else 1.0
            ranges[f"in{i}"] = {"top": Interval.top(), "full": Interval(-big, big), "max": Interval(big, big),
                                "-max": Interval(-big, -big), "from_zero": Interval(0.0, big),
                                "tiny": Interval(tiny / 2, tiny), "point_zero": Interval(0.0, 0.0)}[extreme]
            if spec.kind == "nonzero" and ranges[f"in{i}"].contains(0.0):
                ranges[f"in{i}"] = Interval(1.0, big)
        for mode, options in MODES.items():
            env = interpret(built.ir, Assumptions(ranges=ranges), options)
            if env.failed:
                failures[f"{case.id} [{mode}]"] = env.failed
    assert not failures, failures


def test_case_ids_are_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


# -- error budgets: each unary op on dense points, one abstract point interval per value -----------------------

# Inputs where TensorFlow 2.21's CPU kernels were measured to be least accurate (dense scans of float32,
# random scans of float64), plus 600 evenly spaced float32 bit patterns of each sign and uniform values.
WORST_POINTS = [-14.452496, -14.114551, 7.1724668, -0.34130624, -0.15365721, 0.7184838, 9.560074e-38,
                0.00034517044, 2.68052e36, 1.3467545e36, 2.0 ** 103, 2.0 ** 126, -16.26584842175795,
                -34.053131461269004, -21.082706601044315, 37.856898602028394, 0.36761901187604473]
DENSE_OPS = ["Exp", "Expm1", "Log", "Log1p", "Sqrt", "Rsqrt", "Reciprocal", "Sigmoid", "Tanh", "Softplus",
             "Square", "Neg", "Abs", "Relu", "Relu6"]


def dense_points(dtype) -> np.ndarray:
    rng = np.random.default_rng(7)
    np_dtype = np.dtype(dtype)
    if np_dtype == np.float32:
        bits = np.linspace(0, 0x7F7FFFFF, 600).astype(np.uint32)
        grid = bits.view(np.float32).astype(np.float64)
    else:
        grid = np.exp(rng.uniform(-700 if np_dtype == np.float64 else -16, 700 if np_dtype == np.float64 else 11, 600))
    with np.errstate(over="ignore"):
        points = np.concatenate([WORST_POINTS, grid, rng.uniform(-40, 40, 300)]).astype(np_dtype)
    points = points[np.isfinite(points)]
    return np.concatenate([points, -points])


@pytest.mark.parametrize("dtype", [F32, F64, F16])
@pytest.mark.parametrize("op", DENSE_OPS)
def test_error_budget_on_dense_points(op, dtype):
    points = dense_points(dtype)

    def fn():
        x = v1.placeholder(tf.as_dtype(dtype), [None], name="x")
        return x, _unary(op)(x)
    graph, ir, (x, y) = build(fn)
    with tf.compat.v1.Session(graph=graph) as session:
        results = session.run(y, {x: points})
    options = AnalysisOptions(tensor="smash", relations=False, split=False)
    spec = SPEC_BY_OP.get(op)
    for point, result in zip(points, results):
        env = interpret(ir, Assumptions(ranges={"x": Interval.point(float(point))}), options)
        abstract = env.value(ref(y))
        checked = env.value(ref(x))
        nan_ok = spec is not None and spec.danger(checked.interval, checked.dtype)
        check_elements(np.asarray(result), abstract, nan_ok, f"{op}({point!r}) = {result!r}: {abstract!r}")


# -- ops whose inputs are not independent placeholders ---------------------------------------------------------

CONSTANTS = [
    np.array([[1.5, -2.25], [3e38, -1e-30]], np.float32),
    np.array([1e-40, -1e-45, 0.0], np.float32),   # subnormals
    np.array([0.1, 1e300, -5e-324], np.float64),
    np.array([1.0, 65504.0, -6e-8], np.float16),
    np.array([[-(2 ** 31), 2 ** 31 - 1]], np.int32),
    np.array([2 ** 62 + 1, -(2 ** 63)], np.int64),
    np.array([0, 255], np.uint8),
    np.array([True, False]),
    np.array(7.0, np.float32),
    np.zeros((2, 0), np.float32),
    np.full((64, 64), 0.5, np.float32),           # beyond the size kept as an exact value
]


@covers("Const", "HostConst")
@pytest.mark.parametrize("value", CONSTANTS, ids=lambda v: f"{v.dtype}-{v.shape}")
def test_const_interval_holds_its_value(value):
    graph, ir, (c, host) = build(lambda: (tf.constant(value), tf.constant(value, name="host")))
    graph_def = graph.as_graph_def(add_shapes=True)
    for node in graph_def.node:
        if node.name == "host":
            node.op = "HostConst"
    ir = graph_from_bytes(graph_def.SerializeToString())
    assert ir["host"].op == "HostConst"
    holds(ir, ("Const", "HostConst"))
    env = interpret(ir)
    with tf.compat.v1.Session(graph=graph) as session:
        actual = session.run(c)
    assert_inside(env, [c], [actual], "Const")
    abstract = env.value(TensorRef("host"))
    check_elements(np.asarray(actual), abstract, False, f"HostConst {abstract!r}")
    assert abstract.dtype.name == c.dtype.name


@covers("PlaceholderWithDefault")
@settings(max_examples=30, deadline=None, database=None)
@given(data=st.data())
def test_placeholder_with_default(data):
    graph, ir, (p, out) = _placeholder_with_default_graph()
    holds(ir, ("PlaceholderWithDefault",))
    lo = data.draw(st.floats(-100, 100, width=32))
    hi = data.draw(st.floats(lo, 100, width=32))
    env = interpret(ir, Assumptions(ranges={"pwd": Interval(lo, hi)}))
    with tf.compat.v1.Session(graph=graph) as session:
        fed = np.array(data.draw(st.lists(st.floats(lo, hi, width=32), min_size=2, max_size=2)), np.float32)
        default = session.run([p, out])
        assert_inside(env, [p, out], default, "default")
        assert_inside(env, [p, out], session.run([p, out], {p: fed}), "fed")
    unranged = interpret(ir)
    assert unranged.value(ref(p)).interval == Interval(-np.finfo(np.float32).max, np.finfo(np.float32).max)


_PWD_CACHE = {}


def _placeholder_with_default_graph():
    if "g" not in _PWD_CACHE:
        def fn():
            p = raw.PlaceholderWithDefault(input=tf.constant([-3.0, 5.0]), shape=[2], name="pwd")
            return p, raw.Exp(x=raw.Neg(x=raw.Square(x=p)))
        _PWD_CACHE["g"] = build(fn)
    return _PWD_CACHE["g"]


VARIABLE_OPS = ("VariableV2", "Variable", "Assign", "VarHandleOp", "ReadVariableOp", "AssignVariableOp",
                "ResourceGather")


@covers(*VARIABLE_OPS)
@pytest.mark.parametrize("weight_range", [None, Interval(-5.0, 0.5)])
def test_variables_hold_their_assumed_range(weight_range):
    rng = np.random.default_rng(0)
    lo, hi = (-1.0, 1.0) if weight_range is None else (weight_range.lo, weight_range.hi)
    init = rng.uniform(lo, hi, (5, 4)).astype(np.float32)
    init[0, 0], init[0, 1] = lo, hi

    def fn():
        ref_var = v1.Variable(init, name="ref_var", use_resource=False)
        res_var = v1.Variable(init, name="res_var", use_resource=True)
        legacy = raw.Variable(shape=[5, 4], dtype=tf.float32, name="legacy")
        legacy_init = raw.Assign(ref=legacy, value=tf.constant(init), name="legacy_assign")
        reads = [tf.identity(ref_var), res_var.read_value(), raw.ResourceGather(resource=res_var.handle,
                 indices=[0, 3], dtype=tf.float32), raw.Identity(input=legacy), raw.MatMul(
                 a=tf.identity(ref_var), b=tf.transpose(res_var.read_value()))]
        return [v1.global_variables_initializer(), legacy_init], reads

    graph, ir, (inits, reads) = build(fn)
    holds(ir, VARIABLE_OPS)
    ranges = {} if weight_range is None else {n: weight_range for n in ("ref_var", "res_var", "legacy")}
    env = interpret(ir, Assumptions(ranges=ranges))
    assert not env.failed
    with tf.compat.v1.Session(graph=graph) as session:
        session.run(inits)
        assert_inside(env, reads, session.run(reads), "variables")
    assign = next(n for n in ir if n.op == "Assign" and n.name == "legacy_assign")
    assert env.value(TensorRef(assign.name)).interval.contains(float(init.max()))
    for node in ir:
        if node.op == "AssignVariableOp":  # no outputs
            assert TensorRef(node.name, 0) not in env.values


@covers("RandomUniform", "TruncatedNormal")
@pytest.mark.parametrize("dtype", [tf.float32, tf.float64, tf.float16])
def test_random_ops_stay_in_their_ranges(dtype):
    def fn():
        shape = tf.constant([4000])
        return [raw.RandomUniform(shape=shape, dtype=dtype, seed=1, seed2=2),
                raw.TruncatedNormal(shape=shape, dtype=dtype, seed=3, seed2=4)]
    graph, ir, outs = build(fn)
    holds(ir, ("RandomUniform", "TruncatedNormal"))
    env = interpret(ir)
    with tf.compat.v1.Session(graph=graph) as session:
        for _ in range(10):
            assert_inside(env, outs, session.run(outs), "random")


@covers("Range")
@pytest.mark.parametrize("start, limit, delta", [(0, 10, 3), (0.0, 1.0, 0.1), (1.0, -2.0, -0.3), (-3.5, 7.25, 0.75),
                                                 (0.1, 0.7, 0.2)])
def test_range_of_constants(start, limit, delta):
    dtype = tf.int32 if isinstance(start, int) else tf.float32
    graph, ir, out = build(lambda: raw.Range(start=tf.constant(start, dtype), limit=tf.constant(limit, dtype),
                                             delta=tf.constant(delta, dtype)))
    holds(ir, ("Range",))
    env = interpret(ir)
    with tf.compat.v1.Session(graph=graph) as session:
        actual = session.run(out)
    assert_inside(env, [out], [actual], "Range")
    value = env.value(ref(out)).value
    if value is not None:
        assert value.shape == actual.shape


@covers("BroadcastGradientArgs")
@pytest.mark.parametrize("s0, s1", [([1, 1, 1], [1, 1, 1]), ([2, 1, 3, 1, 1], [1]), ([3, 1, 4], [1, 5, 4]),
                                    ([], [7, 7]), ([9], [9])])
@pytest.mark.parametrize("known", [True, False])
def test_broadcast_gradient_args(s0, s1, known):
    def fn():
        if known:
            a, b = tf.constant(s0, tf.int32), tf.constant(s1, tf.int32)
            return [], raw.BroadcastGradientArgs(s0=a, s1=b)
        a = v1.placeholder(tf.int32, [len(s0)], name="s0")
        b = v1.placeholder(tf.int32, [None], name="s1")
        return [a, b], raw.BroadcastGradientArgs(s0=a, s1=b)
    graph, ir, (phs, outs) = build(fn)
    holds(ir, ("BroadcastGradientArgs",))
    env = interpret(ir, Assumptions(ranges={"s0": Interval(1, 9), "s1": Interval(1, 9)}))
    assert not env.failed
    with tf.compat.v1.Session(graph=graph) as session:
        feeds = dict(zip(phs, [np.array(s0, np.int32), np.array(s1, np.int32)]))
        assert_inside(env, list(outs), session.run(list(outs), feeds), "BroadcastGradientArgs")


def _loop_graph():
    if "g" not in _LOOP_CACHE:
        def fn():
            x0 = v1.placeholder(tf.float32, [3], name="x")
            n = v1.placeholder(tf.int32, [], name="n")
            i, x = tf.while_loop(lambda i, x: i < n, lambda i, x: (i + 1, x * 0.5 + 1.0), [tf.constant(0), x0])
            y = tf.cond(x[0] > 1.5, lambda: x * 2.0, lambda: x - 1.0)
            return [x0, n], [i, x, y]
        v1.disable_control_flow_v2()   # v1 loops: Enter/Merge/Switch/NextIteration/Exit/LoopCond
        try:
            built = build(fn)
        finally:
            v1.enable_control_flow_v2()
        _LOOP_CACHE["g"] = built
    return _LOOP_CACHE["g"]


_LOOP_CACHE = {}


LOOP_OPS = ("Enter", "Exit", "LoopCond", "NextIteration", "Switch", "Merge")


@covers(*LOOP_OPS)
@settings(max_examples=25, deadline=None, database=None)
@given(data=st.data())
def test_v1_loop_and_cond_values_are_sound(data):
    graph, ir, ((x0, n), outs) = _loop_graph()
    holds(ir, LOOP_OPS)
    lo = data.draw(st.floats(-100, 100, width=32))
    hi = data.draw(st.floats(lo, 100, width=32))
    n_hi = data.draw(st.integers(0, 40))
    env = interpret(ir, Assumptions(ranges={"x": Interval(lo, hi), "n": Interval(0, n_hi)}))
    assert not env.failed
    values = np.array(data.draw(st.lists(st.floats(lo, hi, width=32), min_size=3, max_size=3)), np.float32)
    with tf.compat.v1.Session(graph=graph) as session:
        result = session.run(outs, {x0: values, n: data.draw(st.integers(0, n_hi))})
    assert_inside(env, outs, result, "loop")


@covers("NoOp", "ControlTrigger")
def test_ops_without_outputs():
    def fn():
        x = v1.placeholder(tf.float32, [2], name="x")
        with tf.control_dependencies([x]):
            return [raw.NoOp(name="noop"), raw.ControlTrigger(name="trigger")]
    graph, ir, _ = build(fn)
    env = interpret(ir)
    assert not env.failed
    holds(ir, ("NoOp", "ControlTrigger"))
    assert TensorRef("noop") not in env.values and TensorRef("trigger") not in env.values


# -- precision: the analysis must not be uselessly loose --------------------------------------------------------

def abstract_of(fn, ranges):
    graph, ir, out = build(fn)
    return interpret(ir, Assumptions(ranges=ranges)).value(ref(out)).interval


def test_softmax_of_ten_classes_in_unit_range_is_bounded_away_from_zero():
    x = abstract_of(lambda: tf.nn.softmax(v1.placeholder(tf.float32, [None, 10], name="x")), {"x": Interval(-1, 1)})
    assert 0.01 < x.lo and x.hi <= 1.0


def test_relu_lower_bound_is_exactly_zero():
    x = abstract_of(lambda: tf.nn.relu(v1.placeholder(tf.float32, [3], name="x")), {"x": Interval(-5, 3)})
    assert x.lo == 0.0 and 3.0 <= x.hi < 3.00001


@pytest.mark.parametrize("public", [True, False])
def test_clip_by_value_lower_bound_is_the_float32_minimum(public):
    def fn():
        x = v1.placeholder(tf.float32, [3], name="x")
        if public:
            return tf.clip_by_value(x, 1e-10, 1.0)
        return raw.ClipByValue(t=x, clip_value_min=tf.constant(1e-10), clip_value_max=tf.constant(1.0))
    x = abstract_of(fn, {"x": Interval(-5, 3)})
    assert x.lo == float(np.float32(1e-10)) and x.hi == 1.0


def test_exp_of_nonpositive_values_is_within_unit_interval():
    x = abstract_of(lambda: tf.exp(v1.placeholder(tf.float32, [3], name="x")), {"x": Interval(-INF, 0)})
    assert 0.0 <= x.lo and x.hi <= 1.0


def test_log_softmax_and_sigmoid_are_tight():
    x = abstract_of(lambda: tf.nn.log_softmax(v1.placeholder(tf.float32, [2, 4], name="x")), {"x": Interval(0, 1)})
    assert x.hi == 0.0 and -(1 + math.log(4)) - 1e-5 < x.lo
    s = abstract_of(lambda: tf.sigmoid(v1.placeholder(tf.float32, [2], name="x")), {"x": Interval(0, 1)})
    assert 0.4999 < s.lo <= 0.5 and 0.7310 < s.hi < 0.7311


# -- coverage ---------------------------------------------------------------------------------------------------

# Ops whose graphs are not built from placeholders have special tests above, marked with `covers`.
# Reference-typed control flow (loops over old-style variables) shares the transformer of the plain op.
ALIASES = {"RefEnter": "Enter", "RefExit": "Exit", "RefNextIteration": "NextIteration", "RefSwitch": "Switch",
           "RefMerge": "Merge"}

