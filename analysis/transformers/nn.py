"""Neural-network layers: matrix products, convolutions, pooling, softmax.

Each output of a matmul or convolution is a sum of K products of an input element and a weight, so its
range is K times the product interval plus accumulated rounding error (see accumulate.py).
"""
from __future__ import annotations

import math

from nanscope.analysis.domain.interval import INF, Interval, safe_exp
from nanscope.analysis.transformers.accumulate import sum_of_terms
from nanscope.analysis.transformers.registry import out, transformer


@transformer("MatMul")
def matmul(node, inputs, ctx):
    """Each element sums K products of the operands' intervals; K is the contracted dimension."""
    a, b = inputs[0], inputs[1]
    k = None
    if a.shape is not None and len(a.shape) == 2:
        k = a.shape[0] if node.attr("transpose_a") else a.shape[1]
    if k is None and b.shape is not None and len(b.shape) == 2:
        k = b.shape[1] if node.attr("transpose_b") else b.shape[0]
    result = sum_of_terms(a.interval * b.interval, k, node.output_dtype())
    return out(node, result)


@transformer("BatchMatMul", "BatchMatMulV2", "BatchMatMulV3")
def batch_matmul(node, inputs, ctx):
    """Like MatMul, per batch element; K from the last axes (adj_x / adj_y swap them)."""
    a, b = inputs[0], inputs[1]
    k = None
    if a.shape is not None and len(a.shape) >= 2:
        k = a.shape[-2] if node.attr("adj_x") else a.shape[-1]
    return out(node, sum_of_terms(a.interval * b.interval, k, node.output_dtype()))


@transformer("Conv2D")
def conv2d(node, inputs, ctx):
    """Each output sums kh*kw*in_channels products; with SAME padding some terms are zeros."""
    x, w = inputs[0], inputs[1]
    count = None
    if w.shape is not None and len(w.shape) == 4 and all(d is not None for d in w.shape[:3]):
        count = w.shape[0] * w.shape[1] * w.shape[2]
    term = x.interval * w.interval
    if node.attr("padding") != "VALID":
        term = term.join(Interval(0.0, 0.0))
    return out(node, sum_of_terms(term, count, node.output_dtype()))


@transformer("MaxPool", "MaxPoolV2")
def max_pool(node, inputs, ctx):
    """Exact: every output is one of the input elements (padding never wins)."""
    return out(node, inputs[0].interval)


@transformer("AvgPool")
def avg_pool(node, inputs, ctx):
    """A mean of input elements lies within the input range (plus rounding of the sum and division)."""
    x = inputs[0].interval
    dtype = node.output_dtype()
    magnitude = max(abs(x.lo), abs(x.hi))
    ksize = node.attr("ksize") or ()
    window = math.prod(ksize) if ksize else None
    if window is None:  # no window size recorded: the rounding error cannot be bounded
        return out(node, Interval(-INF, INF))
    # soundness fix: + tiny per addition (a partial sum below the smallest normal is flushed to 0)
    err = window * (dtype.eps * magnitude + dtype.tiny)
    # soundness fix: the window's sum is computed before the division and may overflow to +-inf
    hi = INF if window * x.hi > dtype.max else (min(x.hi + err, 0.0) if x.hi <= 0 else x.hi + err)
    lo = -INF if window * x.lo < -dtype.max else (max(x.lo - err, 0.0) if x.lo >= 0 else x.lo - err)
    return out(node, Interval(lo, hi), ulps=1)


@transformer("Softmax")
def softmax(node, inputs, ctx):
    """softmax_i = 1 / (1 + sum_{j != i} exp(x_j - x_i)); with n classes and x in [a, b] each output lies in
    [1 / (1 + (n-1) e^(b-a)), 1 / (1 + (n-1) e^(a-b))]. The computed value never exceeds 1; underflow to 0
    is accounted for by rounding (flush below the smallest normal)."""
    x = inputs[0].interval
    shape = inputs[0].shape
    n = shape[-1] if shape else None
    dtype = node.output_dtype()
    if n == 1:
        return out(node, Interval(1.0, 1.0))
    if n is None or not x.is_bounded:
        return out(node, Interval(0.0, 1.0))
    spread = x.hi - x.lo
    lo = 1.0 / (1.0 + (n - 1) * safe_exp(spread))
    hi = 1.0 / (1.0 + (n - 1) * safe_exp(-spread))
    # soundness fix: exp(x_j - max) inherits the rounding of the difference, a relative error of up to
    # spread * eps / 2 (x in [2.57, 21.5], n = 2: 5.98704331e-9 computed, 5.98704e-9 bound with n + 4 ulps);
    # plus two transcendental budgets (exp and the sum's terms) and n roundings of the sum. (Capped: a
    # spread beyond 2**20 leaves [0, 1] anyway, and an infinite one would make 0 * inf in the widening.)
    rounded = Interval(lo, hi).to_dtype(dtype, ulps=n + 16 + min(spread, 2.0 ** 20))
    return out(node, Interval(max(rounded.lo, 0.0), min(rounded.hi, 1.0)))


@transformer("LogSoftmax")
def log_softmax(node, inputs, ctx):
    """log(softmax) = x_i - logsumexp(x) <= 0; finite below only when the input range is bounded."""
    x = inputs[0].interval
    shape = inputs[0].shape
    n = shape[-1] if shape else None
    if n is None or not x.is_bounded:
        return out(node, Interval(-INF, 0.0))
    spread = x.hi - x.lo
    lo = -(spread + math.log(n))
    return out(node, Interval(lo, 0.0), ulps=n + 4)

