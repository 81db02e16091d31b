"""Ops that move, copy or describe elements without computing new values: reshape, transpose, concat,
shape queries, fills, casts.

Moving elements never changes the range of a smashed tensor. Shape queries produce exact integer values
when the static shape is known (dimensions assumed >= 1 otherwise), which later shape arithmetic needs.
"""
from __future__ import annotations

import numpy as np

from nanscope.analysis.domain.interval import Interval
from nanscope.analysis.transformers.registry import out, transformer


@transformer("Shape")
def shape(node, inputs, ctx):
    """The input's dimensions: exact when statically known, else each unknown one is at least 1."""
    x = inputs[0]
    dtype = node.output_dtype()
    if x.shape is not None and all(d is not None for d in x.shape):
        value = np.asarray(x.shape, dtype=np.int64)
        interval = Interval(float(value.min()), float(value.max())) if value.size else Interval(0.0, 0.0)
        return out(node, interval, value=value)
    known = [d for d in (x.shape or ()) if d is not None]
    lo = float(min(known + [1]))
    return out(node, Interval(min(lo, 1.0), dtype.max))


@transformer("Size")
def size(node, inputs, ctx):
    n = inputs[0].num_elements()
    if n is not None:
        return out(node, Interval(float(n), float(n)), value=np.asarray(n, dtype=np.int64))
    return out(node, Interval(1.0, node.output_dtype().max))


@transformer("Rank")
def rank(node, inputs, ctx):
    r = inputs[0].rank
    if r is not None:
        return out(node, Interval(float(r), float(r)), value=np.asarray(r, dtype=np.int32))
    return out(node, Interval(0.0, 254.0))


@transformer("Assign", "AssignVariableOp")
def assign(node, inputs, ctx):
    """The assigned value (a ref variable's output after assignment)."""
    return out(node, inputs[1].interval) if node.op == "Assign" else ()


@transformer("Fill")
def fill(node, inputs, ctx):
    """Exact: every element is the fill value."""
    return out(node, inputs[1].interval)


@transformer("ZerosLike")
def zeros_like(node, inputs, ctx):
    return out(node, Interval(0.0, 0.0))


@transformer("OnesLike")
def ones_like(node, inputs, ctx):
    return out(node, Interval(1.0, 1.0))


@transformer("Cast")
def cast(node, inputs, ctx):
    """To bool: 0 or 1 (exactly 0 or 1 when the input excludes or is only zero). To an integer type:
    truncation toward zero, out-of-range values undefined (the whole type). To a float type: rounding."""
    x = inputs[0].interval
    dtype = node.output_dtype()
    if dtype.kind == "bool":
        if x.lo == 0 and x.hi == 0:
            return out(node, Interval(0.0, 0.0))
        return out(node, Interval(1.0, 1.0) if not x.contains(0.0) else Interval(0.0, 1.0))
    value = None
    if inputs[0].value is not None and dtype.is_integer:
        value = inputs[0].value.astype(np.int64)
    if dtype.is_integer:
        return out(node, Interval(float(np.trunc(x.lo)) if np.isfinite(x.lo) else x.lo,
                                  float(np.trunc(x.hi)) if np.isfinite(x.hi) else x.hi), value=value)
    return out(node, x, ulps=1 if dtype.is_float else 0)


@transformer("NoOp")
def no_op(node, inputs, ctx):
    return ()




@transformer("DynamicStitch", "ParallelDynamicStitch")
def dynamic_stitch(node, inputs, ctx):
    """Exact: the output elements come from the data tensors (the second half of the inputs)."""
    data = inputs[len(inputs) // 2:]
    result = data[0].interval
    for x in data[1:]:
        result = result.join(x.interval)
    return out(node, result)


@transformer("Range")
def range_(node, inputs, ctx):
    """Values between start and limit (exact for known scalar operands)."""
    start, limit, delta = inputs[0], inputs[1], inputs[2]
    # soundness fix: TensorFlow computes float elements as start + i * delta in the element type, which may
    # differ from numpy's by a rounding (range(0, 1, 0.1)[9] is 0.90000004 in float32): float bounds are
    # widened by an ulp and a float value is not kept as exact
    is_float = node.output_dtype().is_float
    ulps = 1 if is_float else 0
    if all(x.value is not None for x in (start, limit, delta)):
        try:
            value = np.arange(start.value, limit.value, delta.value)
            if value.size:
                keep = value.size <= 4096 and not is_float
                return out(node, Interval(float(value.min()), float(value.max())), ulps=ulps,
                           value=value if keep else None)
        except (ValueError, ZeroDivisionError):
            pass
    return out(node, start.interval.join(limit.interval), ulps=ulps)


@transformer("BroadcastGradientArgs")
def broadcast_gradient_args(node, inputs, ctx):
    """Two lists of axis indices: each between 0 and the larger rank minus one. (Soundness fix: the bound
    was the largest dimension, but s0 = [2, 1, 3, 1, 1], s1 = [1] gives the axes 0..4.)"""
    ranks = [x.shape[0] if x.shape is not None and len(x.shape) == 1 else None for x in inputs[:2]]
    top = max(ranks) - 1 if None not in ranks else node.output_dtype().max
    hull = Interval(0.0, max(float(top), 0.0))
    return out(node, hull, index=0), out(node, hull, index=1)
