"""Reductions over axes: Sum, Mean, Prod, Max, Min.

The number of reduced elements comes from the input's static shape and the (constant) axes; when it is not
known the sum is bounded only by the signs of its terms.
"""
from __future__ import annotations

import numpy as np

from nanscope.analysis.domain.interval import INF, Interval
from nanscope.analysis.transformers.accumulate import dims_product, sum_of_terms
from nanscope.analysis.transformers.registry import out, transformer


def reduced_count(node, inputs) -> int | None:
    """How many input elements each output element reduces over; None when unknown."""
    x, axes = inputs[0], inputs[1]
    if x.shape is None or axes.value is None:
        return None
    rank = len(x.shape)
    indices = {int(a) % rank for a in axes.value.reshape(-1)} if rank else set()
    return dims_product(x.shape, sorted(indices))


@transformer("Sum")
def sum_(node, inputs, ctx):
    """count terms, each in the input interval, plus accumulated rounding error."""
    return out(node, sum_of_terms(inputs[0].interval, reduced_count(node, inputs), node.output_dtype()))


@transformer("Mean")
def mean(node, inputs, ctx):
    """A mean lies within the range of its terms; rounding adds about count ulps of the largest magnitude."""
    x = inputs[0].interval
    dtype = node.output_dtype()
    if not dtype.is_float:
        return out(node, x)
    count = reduced_count(node, inputs)
    if count is None:  # unknown count: the accumulated error is unbounded unless all terms share a sign
        # (soundness fix: this held only for bounded inputs; [-inf, 5] returned [-inf, 5] unwidened)
        return out(node, Interval(-INF if x.lo < 0 else 0.0, INF if x.hi > 0 else 0.0))
    magnitude = max(abs(x.lo), abs(x.hi))
    err = (count + 1) * dtype.eps * magnitude + dtype.tiny   # + tiny: partial sums flushed to 0 (FTZ)
    lo, hi = x.lo - err if x.lo < 0 or x.lo - err >= 0 else 0.0, x.hi + err
    # soundness fix: TensorFlow sums before it divides, so the sum may overflow to +-inf (then inf / count)
    hi = INF if count * x.hi > dtype.max else hi
    lo = -INF if count * x.lo < -dtype.max else lo
    return out(node, Interval(lo, hi), ulps=1)


@transformer("Max", "Min")
def max_min(node, inputs, ctx):
    """Exact: the result is one of the input elements. Over no elements (a reduced dimension of size 0)
    it is the reduction's identity: -inf / the lowest integer for Max, +inf / the largest for Min
    (soundness fix: the input's range was returned)."""
    if reduced_count(node, inputs) == 0:
        dtype = node.output_dtype()
        if node.op == "Max":
            identity = -INF if dtype.is_float else dtype.lowest
        else:
            identity = INF if dtype.is_float else dtype.max
        return out(node, Interval(identity, identity))
    return out(node, inputs[0].interval)


@transformer("Prod")
def prod(node, inputs, ctx):
    """A product of count factors in [lo, hi]: [lo^count, hi^count] for non-negative factors, else within
    +-max|x|^count. Integer shape products with known values are computed exactly."""
    x, axes = inputs[0], inputs[1]
    if x.value is not None and axes.value is not None and x.value.dtype.kind in "iu":
        value = np.prod(x.value, axis=tuple(int(a) for a in axes.value.reshape(-1)),
                        keepdims=bool(node.attr("keep_dims")))
        interval = Interval(float(value.min()), float(value.max())) if value.size else Interval(1.0, 1.0)
        return out(node, interval, value=value)
    count = reduced_count(node, inputs)
    lo, hi = x.interval.lo, x.interval.hi
    if lo >= 1 and _dimensions_of_one_tensor(node, ctx):
        # The number of elements in part of one tensor (e.g. the count a mean's gradient divides by):
        # at least 1 and at most the tensor's size (assumptions: no empty tensors, < 2^31 elements).
        low = _power(lo, count) if count is not None else 1.0
        return out(node, Interval(min(low, ctx.assumptions.max_elements), float(ctx.assumptions.max_elements)))
    if count is None:
        if lo >= 0:
            return out(node, Interval(0.0 if lo < 1 else 1.0, 1.0 if hi <= 1 else INF), ulps=1)
        return out(node, Interval(-INF, INF))
    if lo >= 0:
        return out(node, Interval(_power(lo, count), _power(hi, count)), ulps=count + 1)
    bound = _power(max(-lo, abs(hi)), count)
    return out(node, Interval(-bound, bound), ulps=count + 1)


# Ops that pick some of a shape vector's entries without changing them.
_SHAPE_PICKERS = frozenset({"GatherV2", "Gather", "StridedSlice", "Slice", "Identity"})


def _dimensions_of_one_tensor(node, ctx) -> bool:
    """Whether input 0 of `node` holds dimensions taken from one Shape op (through gathers and slices)."""
    graph = ctx.graph
    if graph is None or not node.inputs:
        return False
    current = graph.get(node.inputs[0].node)
    for _ in range(8):
        if current is None:
            return False
        if current.op == "Shape":
            return True
        if current.op not in _SHAPE_PICKERS or not current.inputs:
            return False
        current = graph.get(current.inputs[0].node)
    return False


def _power(base: float, exponent: int) -> float:
    try:
        return base ** exponent
    except OverflowError:
        return INF
